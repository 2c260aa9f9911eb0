/* config.c — typed, validated access to environment variables, and the
 * settings tables that drive both parsing and --help. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

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

static long
config_cores(long min, long max)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < min ? min : n > max ? max : n;
}

static void
config_load_one(const struct config_setting *s, char *base)
{
	const char	*str = config_str(s->name, NULL);
	long		 n = s->def;

	if (str == NULL && (s->flags & CONFIG_REQUIRED))
		fatalx("config missing: %s must be set (see --help)", s->name);
	if (s->flags & CONFIG_CORES)
		n = config_cores(s->min, s->max);
	switch (s->kind) {
	case CONFIG_KIND_STR:
		*(const char **)(void *)(base + s->offset) = str != NULL ? str :
		    (s->flags & CONFIG_DERIVED) ? NULL : s->def_str;
		return;
	case CONFIG_KIND_BOOL:
		*(int *)(void *)(base + s->offset) =
		    config_bool_or_die(s->name, (int)n);
		return;
	case CONFIG_KIND_UINT:
		*(unsigned *)(void *)(base + s->offset) =
		    (unsigned)config_long_or_die(s->name, n, s->min, s->max);
		return;
	case CONFIG_KIND_LONG:
		*(long *)(void *)(base + s->offset) =
		    config_long_or_die(s->name, n, s->min, s->max);
		return;
	case CONFIG_KIND_SIZE:
		*(size_t *)(void *)(base + s->offset) =
		    (size_t)config_long_or_die(s->name, n, s->min, s->max);
		return;
	}
}

void
config_load(const struct config_setting *table, size_t n, void *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		config_load_one(&table[i], out);
}

/* The default as --help and the README show it. */
static void
config_default_text(const struct config_setting *s, char *buf, size_t len)
{
	if (s->flags & CONFIG_REQUIRED)
		snprintf(buf, len, "required");
	else if (s->flags & CONFIG_CORES)
		snprintf(buf, len, "cores");
	else if (s->kind == CONFIG_KIND_STR || (s->flags & CONFIG_DERIVED))
		snprintf(buf, len, "%s", s->def_str != NULL ? s->def_str :
		    "unset");
	else
		snprintf(buf, len, "%ld", s->def);
}

void
config_usage(FILE *fp, const struct config_setting *table, size_t n)
{
	char	def[64];
	size_t	i;

	fputs("\nSettings (environment variables):\n", fp);
	for (i = 0; i < n; i++) {
		config_default_text(&table[i], def, sizeof(def));
		if (table[i].flags & CONFIG_REQUIRED)
			fprintf(fp, "  %s (required)\n", table[i].name);
		else if (table[i].kind == CONFIG_KIND_UINT ||
		    table[i].kind == CONFIG_KIND_LONG ||
		    table[i].kind == CONFIG_KIND_SIZE)
			fprintf(fp, "  %s (default %s; %ld..%ld)\n",
			    table[i].name, def, table[i].min, table[i].max);
		else
			fprintf(fp, "  %s (default %s)\n", table[i].name, def);
		fprintf(fp, "        %s\n", table[i].help);
	}
}

const struct config_setting *
config_find(const struct config_setting *table, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}
