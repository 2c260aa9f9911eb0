/* Unit tests for lib/config.c: defaults, parsing, range checks, tables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"

int	main(void);

struct t_settings {
	unsigned	 port;
	long		 window;
	size_t		 bytes;
	int		 flag;
	const char	*name, *derived;
	unsigned	 cores;
};

#define T(field)	struct t_settings, field

static const struct config_setting t_table[] = {
	{ "T_PORT", CONFIG_UINT(T(port)), 8080, 1, 65535, NULL, 0, "a port" },
	{ "T_WINDOW", CONFIG_LONG(T(window)), -5, -10, 10, NULL, 0, "signed" },
	{ "T_BYTES", CONFIG_SIZE(T(bytes)), 4096, 16, 1L << 30, NULL, 0, "b" },
	{ "T_FLAG", CONFIG_BOOL(T(flag)), 1, 0, 1, NULL, 0, "a boolean" },
	{ "T_NAME", CONFIG_STR(T(name)), 0, 0, 0, "dflt", 0, "a string" },
	{ "T_DERIVED", CONFIG_STR(T(derived)), 0, 0, 0, "T_NAME",
	    CONFIG_DERIVED, "defaults to another" },
	{ "T_CORES", CONFIG_UINT(T(cores)), 0, 1, 64, NULL, CONFIG_CORES,
	    "threads" },
};

/* One table fills the struct (defaults and values) and prints --help. */
static void
test_table(void)
{
	struct t_settings	 t;
	char			*buf = NULL;
	size_t			 len = 0;
	FILE			*fp;

	setenv("T_PORT", "443", 1);
	setenv("T_FLAG", "no", 1);
	setenv("T_NAME", "given", 1);
	memset(&t, 0xff, sizeof(t));
	config_load(t_table, CONFIG_NSETTINGS(t_table), &t);
	CHECK(t.port == 443 && t.window == -5 && t.bytes == 4096);
	CHECK(t.flag == 0 && strcmp(t.name, "given") == 0);
	CHECK(t.derived == NULL);
	CHECK(t.cores >= 1 && t.cores <= 64);
	unsetenv("T_NAME");
	config_load(t_table, CONFIG_NSETTINGS(t_table), &t);
	CHECK(strcmp(t.name, "dflt") == 0);
	CHECK(config_find(t_table, CONFIG_NSETTINGS(t_table), "T_FLAG") ==
	    &t_table[3]);
	CHECK(config_find(t_table, CONFIG_NSETTINGS(t_table), "T_NONE") ==
	    NULL);
	if ((fp = open_memstream(&buf, &len)) == NULL)
		return;
	config_usage(fp, t_table, CONFIG_NSETTINGS(t_table));
	fclose(fp);
	CHECK(strstr(buf, "  T_PORT (default 8080; 1..65535)\n        a port\n")
	    != NULL);
	CHECK(strstr(buf, "  T_WINDOW (default -5; -10..10)\n") != NULL);
	CHECK(strstr(buf, "  T_FLAG (default 1)\n") != NULL);
	CHECK(strstr(buf, "  T_NAME (default dflt)\n") != NULL);
	CHECK(strstr(buf, "  T_DERIVED (default T_NAME)\n") != NULL);
	CHECK(strstr(buf, "  T_CORES (default cores; 1..64)\n") != NULL);
	free(buf);
	unsetenv("T_PORT");
	unsetenv("T_FLAG");
}

int
main(void)
{
	char	err[128];
	long	n;

	unsetenv("T_NUM");
	CHECK(config_long("T_NUM", 7, 0, 10, &n, err, sizeof(err)) == 0);
	CHECK(n == 7);
	setenv("T_NUM", "", 1);
	CHECK(config_long("T_NUM", 7, 0, 10, &n, err, sizeof(err)) == 0);
	CHECK(n == 7);
	setenv("T_NUM", "10", 1);
	CHECK(config_long("T_NUM", 7, 0, 10, &n, err, sizeof(err)) == 0);
	CHECK(n == 10);
	setenv("T_NUM", "11", 1);
	CHECK(config_long("T_NUM", 7, 0, 10, &n, err, sizeof(err)) == -1);
	CHECK(strstr(err, "between 0 and 10") != NULL);
	setenv("T_NUM", "-1", 1);
	CHECK(config_long("T_NUM", 7, 0, 10, &n, err, sizeof(err)) == -1);
	setenv("T_NUM", "5x", 1);
	CHECK(config_long("T_NUM", 7, 0, 10, &n, err, sizeof(err)) == -1);
	CHECK(strstr(err, "integer") != NULL);
	setenv("T_NUM", "99999999999999999999999", 1);
	CHECK(config_long("T_NUM", 7, 0, 10, &n, err, sizeof(err)) == -1);

	setenv("T_STR", "abc", 1);
	CHECK(strcmp(config_str("T_STR", "d"), "abc") == 0);
	unsetenv("T_STR");
	CHECK(strcmp(config_str("T_STR", "d"), "d") == 0);
	CHECK(config_str("T_STR", NULL) == NULL);

	setenv("T_BOOL", "yes", 1);
	CHECK(config_bool_or_die("T_BOOL", 0) == 1);
	setenv("T_BOOL", "OFF", 1);
	CHECK(config_bool_or_die("T_BOOL", 1) == 0);
	unsetenv("T_BOOL");
	CHECK(config_bool_or_die("T_BOOL", 1) == 1);
	test_table();
	return check_report("test_config");
}
