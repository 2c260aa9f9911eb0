/* cli.c — shared command-line options and the built-in health check
 * (containers run it instead of curl). */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"

static int
cli_wait(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	return poll(&pfd, 1, timeout_ms) == 1 ? 0 : -1;
}

int
cli_http_get_ok(unsigned port, const char *path, int timeout_ms)
{
	struct sockaddr_in	 sin;
	char			 req[256], resp[64];
	ssize_t			 n;
	int			 fd, ok = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno != EINPROGRESS)
		goto out;
	if (cli_wait(fd, POLLOUT, timeout_ms) == -1)
		goto out;
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: localhost"
	    "\r\n\r\n", path);
	if (write(fd, req, (size_t)n) != n)
		goto out;
	if (cli_wait(fd, POLLIN, timeout_ms) == -1)
		goto out;
	if ((n = read(fd, resp, sizeof(resp) - 1)) <= 0)
		goto out;
	resp[n] = '\0';
	if (strncmp(resp, "HTTP/1.", 7) == 0 && strncmp(resp + 8, " 200", 4) == 0)
		ok = 0;
out:
	close(fd);
	return ok;
}

void
cli_common(int argc, char **argv, const char *usage,
    const struct config_setting *table, size_t n, const char *port_name)
{
	const struct config_setting	*ps;
	long				 port;

	if (argc < 2)
		return;
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage, stdout);
		config_usage(stdout, table, n);
		exit(0);
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", argv[0], PARLEY_VERSION);
		exit(0);
	}
	if (strcmp(argv[1], "--healthcheck") == 0 && port_name != NULL &&
	    (ps = config_find(table, n, port_name)) != NULL) {
		port = config_long_or_die(ps->name, ps->def, ps->min, ps->max);
		exit(cli_http_get_ok((unsigned)port, "/readyz", 2000) == 0 ?
		    0 : 1);
	}
}
