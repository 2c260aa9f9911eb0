/* cli.h — the options every daemon shares: --help, --version, --healthcheck. */
#ifndef PARLEY_CLI_H
#define PARLEY_CLI_H

/*
 * If argv[1] is --help or --version, print and exit 0.  If it is
 * --healthcheck, GET /readyz on 127.0.0.1 at the port named by port_env
 * (default port_default) and exit 0 when it answers 200, 1 otherwise.
 * Returns only when argv[1] is none of these.
 */
void	cli_common(int argc, char **argv, const char *usage,
	    const char *port_env, long port_default);

/* GET path on 127.0.0.1:port; 0 when the status is 200. */
int	cli_http_get_ok(unsigned port, const char *path, int timeout_ms);

#endif
