/* test_useragent.c — the short browser descriptions of the sessions list. */
#include <string.h>

#include "../unit/check.h"
#include "useragent.h"

static int
describes(const char *ua, const char *want)
{
	char out[USERAGENT_DESC_MAX + 1];

	useragent_describe(ua, out, sizeof(out));
	if (strcmp(out, want) != 0)
		fprintf(stderr, "useragent: %s -> '%s', want '%s'\n",
		    ua != NULL ? ua : "(null)", out, want);
	return strcmp(out, want) == 0;
}

int
main(void)
{
	char	long_ua[4096], small[8];

	CHECK(describes("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) "
	    "Gecko/20100101 Firefox/128.0", "Firefox on Linux"));
	CHECK(describes("Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
	    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
	    "Safari/537.36 Edg/131.0.0.0", "Edge on Windows"));
	CHECK(describes("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) "
	    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
	    "Chrome on macOS"));
	CHECK(describes("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) "
	    "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 "
	    "Safari/604.1", "Safari on iPhone"));
	CHECK(describes("Mozilla/5.0 (Linux; Android 14; Pixel 8) "
	    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile "
	    "Safari/537.36", "Chrome on Android"));
	CHECK(describes("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
	    "(KHTML, like Gecko) HeadlessChrome/131.0 Safari/537.36",
	    "Headless Chrome on Linux"));
	CHECK(describes("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
	    "OPR/100.0 Chrome/120.0 Safari/537.36", "Opera on Linux"));
	CHECK(describes("curl/8.5.0", "curl"));
	CHECK(describes("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0)", "ChromeOS"));
	CHECK(describes("<script>alert(1)</script>", "Other browser"));
	CHECK(describes("", "Unknown browser"));
	CHECK(describes(NULL, "Unknown browser"));
	/* Never longer than the column, whatever the header. */
	memset(long_ua, 'A', sizeof(long_ua) - 1);
	long_ua[sizeof(long_ua) - 1] = '\0';
	CHECK(describes(long_ua, "Other browser"));
	useragent_describe("Mozilla/5.0 (X11; Linux x86_64) Firefox/1", small,
	    sizeof(small));
	CHECK(strcmp(small, "Firefox") == 0);
	return check_report("useragent");
}
