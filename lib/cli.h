/* cli.h — the options every daemon shares: --help, --version, --healthcheck. */
#ifndef PARLEY_CLI_H
#define PARLEY_CLI_H

#include <stddef.h>

struct config_setting;

/*
 * If argv[1] is --help (usage, then the settings table) or --version,
 * print and exit 0.  If it is --healthcheck, GET /readyz on 127.0.0.1 at
 * the port of the table's setting port_name (NULL: no health check) and
 * exit 0 when it answers 200, 1 otherwise.  Returns only when argv[1] is
 * none of these.
 */
void	cli_common(int argc, char **argv, const char *usage,
	    const struct config_setting *, size_t n, const char *port_name);

/* GET path on 127.0.0.1:port; 0 when the status is 200. */
int	cli_http_get_ok(unsigned port, const char *path, int timeout_ms);

#endif
