/* config.c — typed, validated access to environment variables. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "config.h"
#include "log.h"

const char *
config_str(const char *name, const char *def)
{
	const char *value = getenv(name);

	return (value == NULL || *value == '\0') ? def : value;
}

int
config_long(const char *name, long def, long min, long max, long *out,
    char *err, size_t errlen)
{
	const char	*value = config_str(name, NULL);
	char		*end;
	long		 n;

	if (value == NULL) {
		*out = def;
		return 0;
	}
	errno = 0;
	n = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0') {
		snprintf(err, errlen, "%s must be an integer", name);
		return -1;
	}
	if (n < min || n > max) {
		snprintf(err, errlen, "%s must be between %ld and %ld", name,
		    min, max);
		return -1;
	}
	*out = n;
	return 0;
}

long
config_long_or_die(const char *name, long def, long min, long max)
{
	char	err[128];
	long	n;

	if (config_long(name, def, min, max, &n, err, sizeof(err)) == -1)
		fatalx("config invalid: %s", err);
	return n;
}

int
config_bool_or_die(const char *name, int def)
{
	const char *value = config_str(name, NULL);

	if (value == NULL)
		return def;
	if (strcasecmp(value, "1") == 0 || strcasecmp(value, "true") == 0 ||
	    strcasecmp(value, "yes") == 0 || strcasecmp(value, "on") == 0)
		return 1;
	if (strcasecmp(value, "0") == 0 || strcasecmp(value, "false") == 0 ||
	    strcasecmp(value, "no") == 0 || strcasecmp(value, "off") == 0)
		return 0;
	fatalx("config invalid: %s must be a boolean (1/0, true/false)", name);
}
