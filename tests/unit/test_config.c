/* Unit tests for lib/config.c: defaults, parsing and range checks. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"

int	main(void);

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
	return check_report("test_config");
}
