/* config.h — settings from environment variables (twelve-factor). */
#ifndef PARLEY_CONFIG_H
#define PARLEY_CONFIG_H

#include <stddef.h>
#include <stdio.h>

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

/*
 * A program's settings as one table (tmux's options-table.c is the model):
 * name, where the value goes, default, range and help.  The same table
 * parses the environment (config_load) and prints --help (config_usage);
 * tests/settings_doc.py compares it with the README's tables.
 */
enum config_kind {
	CONFIG_KIND_UINT,	/* unsigned */
	CONFIG_KIND_LONG,	/* long */
	CONFIG_KIND_SIZE,	/* size_t */
	CONFIG_KIND_BOOL,	/* int, 0 or 1 */
	CONFIG_KIND_STR,	/* const char *, NULL when unset and no default */
};

#define CONFIG_REQUIRED	0x1	/* unset is fatal */
#define CONFIG_CORES	0x2	/* default: online cores, within [min, max] */
#define CONFIG_DERIVED	0x4	/* the program computes the default; def_str
				   only describes it (value left 0/NULL) */

struct config_setting {
	const char		*name;
	enum config_kind	 kind;
	size_t			 offset;	/* in the program's struct */
	long			 def, min, max;	/* numbers and booleans */
	const char		*def_str;	/* strings; CONFIG_DERIVED text */
	unsigned		 flags;
	const char		*help;
};

/* kind and offset of a field of the program's settings struct: the
 * arguments are "type, field" (or a macro expanding to them). */
#define CONFIG_UINT(...)	CONFIG_KIND_UINT, offsetof(__VA_ARGS__)
#define CONFIG_LONG(...)	CONFIG_KIND_LONG, offsetof(__VA_ARGS__)
#define CONFIG_SIZE(...)	CONFIG_KIND_SIZE, offsetof(__VA_ARGS__)
#define CONFIG_BOOL(...)	CONFIG_KIND_BOOL, offsetof(__VA_ARGS__)
#define CONFIG_STR(...)		CONFIG_KIND_STR, offsetof(__VA_ARGS__)

/* Rows the programs share (the README's "every server" table). */
#define CONFIG_ROW_AMQP_HEARTBEAT(...)					\
	{ "AMQP_HEARTBEAT", CONFIG_UINT(__VA_ARGS__), 10, 0, 600, NULL, 0,	\
	    "AMQP heartbeat seconds, 0 = off" }
#define CONFIG_ROW_LOG_LEVEL(def, ...)					\
	{ "LOG_LEVEL", CONFIG_STR(__VA_ARGS__), 0, 0, 0, def, 0,		\
	    "debug, info or warn" }

#define CONFIG_ROW_RPC_QUEUE(...)					\
	{ "RPC_QUEUE", CONFIG_STR(__VA_ARGS__), 0, 0, 0, "request", 0,	\
	    "the back end's RPC queue (the textbook's name)" }
#define CONFIG_ROW_RPC_QUEUE_TYPE(...)					\
	{ "RPC_QUEUE_TYPE", CONFIG_STR(__VA_ARGS__), 0, 0, 0, "classic", 0,	\
	    "classic (non-durable, the textbook's) or quorum (durable, "	\
	    "replicated); the same on every daemon" }

#define CONFIG_NSETTINGS(table)	(sizeof(table) / sizeof((table)[0]))

/*
 * Fill out (the struct the offsets point into) from the environment.  A
 * missing required setting or a malformed or out-of-range value is fatal,
 * with a message naming the variable.
 */
void	config_load(const struct config_setting *, size_t n, void *out);

/* The --help text of the table: each setting, its default and range. */
void	config_usage(FILE *, const struct config_setting *, size_t n);

/* The entry called name, or NULL. */
const struct config_setting *config_find(const struct config_setting *,
	    size_t n, const char *name);

#endif
