/* useragent.c — see useragent.h.  Order matters: Edge and Opera say
 * "Chrome", Chrome says "Safari", Android says "Linux". */
#include <stdio.h>
#include <string.h>

#include "useragent.h"

static const struct {
	const char	*token;
	const char	*name;
} useragent_browsers[] = {
	{ "Edg/",		"Edge" },
	{ "OPR/",		"Opera" },
	{ "Firefox/",		"Firefox" },
	{ "Chromium/",		"Chromium" },
	{ "HeadlessChrome/",	"Headless Chrome" },
	{ "Chrome/",		"Chrome" },
	{ "Safari/",		"Safari" },
	{ "curl/",		"curl" },
	{ "Wget/",		"Wget" },
	{ "python-",		"Python" },
}, useragent_systems[] = {
	{ "Android",		"Android" },
	{ "iPhone",		"iPhone" },
	{ "iPad",		"iPad" },
	{ "Windows",		"Windows" },
	{ "Mac OS X",		"macOS" },
	{ "CrOS",		"ChromeOS" },
	{ "Linux",		"Linux" },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

void
useragent_describe(const char *ua, char *out, size_t outlen)
{
	const char	*browser = NULL, *system = NULL;
	size_t		 i;

	if (outlen > USERAGENT_DESC_MAX + 1)
		outlen = USERAGENT_DESC_MAX + 1;
	if (ua == NULL || *ua == '\0') {
		snprintf(out, outlen, "Unknown browser");
		return;
	}
	for (i = 0; i < NELEM(useragent_browsers) && browser == NULL; i++)
		if (strstr(ua, useragent_browsers[i].token) != NULL)
			browser = useragent_browsers[i].name;
	for (i = 0; i < NELEM(useragent_systems) && system == NULL; i++)
		if (strstr(ua, useragent_systems[i].token) != NULL)
			system = useragent_systems[i].name;
	if (browser != NULL && system != NULL)
		snprintf(out, outlen, "%s on %s", browser, system);
	else
		snprintf(out, outlen, "%s", browser != NULL ? browser :
		    system != NULL ? system : "Other browser");
}
