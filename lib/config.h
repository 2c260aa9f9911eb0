/* config.h — settings from environment variables (twelve-factor). */
#ifndef PARLEY_CONFIG_H
#define PARLEY_CONFIG_H

#include <stddef.h>

/* The variable's value, or def when unset or empty. */
const char *config_str(const char *name, const char *def);

/*
 * Parse the variable as a base-10 integer in [min, max]; def when unset.
 * Returns 0, or -1 with a reason in err when malformed or out of range.
 */
int	config_long(const char *name, long def, long min, long max, long *out,
	    char *err, size_t errlen);

/* config_long for set-up code: a bad value is fatal, with a clear message. */
long	config_long_or_die(const char *name, long def, long min, long max);

/* "1", "true", "yes", "on" are true; "0", "false", "no", "off" false. */
int	config_bool_or_die(const char *name, int def);

#endif
