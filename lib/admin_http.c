/* admin_http.c — /healthz, /readyz and /metrics over libmicrohttpd. */
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "admin_http.h"
#include "metrics.h"
#include "xmalloc.h"

struct admin_http {
	struct MHD_Daemon	*daemon;
	admin_ready_fn		 ready;
	void			*arg;
};

static enum MHD_Result
admin_http_send(struct MHD_Connection *conn, unsigned status,
    const char *type, void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response	*resp;
	enum MHD_Result		 ret;

	resp = MHD_create_response_from_buffer(len, body, mode);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
admin_http_text(struct MHD_Connection *conn, unsigned status, const char *s)
{
	return admin_http_send(conn, status, "text/plain; charset=utf-8",
	    (void *)s, strlen(s), MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result
admin_http_handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **state)
{
	struct admin_http	*admin = cls;
	char			*body;
	size_t			 len;

	(void)version;
	(void)upload_data;
	(void)state;
	if (*upload_size != 0) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return admin_http_text(conn, 405, "method not allowed\n");
	if (strcmp(url, "/healthz") == 0)
		return admin_http_text(conn, 200, "ok\n");
	if (strcmp(url, "/readyz") == 0)
		return admin->ready(admin->arg) ?
		    admin_http_text(conn, 200, "ready\n") :
		    admin_http_text(conn, 503, "not ready\n");
	if (strcmp(url, "/metrics") == 0) {
		if ((body = metrics_render(&len)) == NULL)
			return admin_http_text(conn, 500, "error\n");
		return admin_http_send(conn, 200,
		    "text/plain; version=0.0.4; charset=utf-8", body, len,
		    MHD_RESPMEM_MUST_FREE);
	}
	return admin_http_text(conn, 404, "not found\n");
}

/*
 * The listening socket is ours, not libmicrohttpd's, so that a failure
 * carries its errno (a busy port says "Address already in use").  IPv6
 * with v4-mapped addresses when the host has IPv6, else IPv4.
 */
static int
admin_http_listen(unsigned port)
{
	struct sockaddr_in6	 sin6;
	struct sockaddr_in	 sin;
	int			 fd, on = 1, off = 0, saved;

	if ((fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1) {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)port);
		sin6.sin6_addr = in6addr_any;
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
		    sizeof(off)) == -1 ||
		    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on)) == -1 ||
		    bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1)
			goto fail;
	} else if (errno == EAFNOSUPPORT) {
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
			return -1;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		sin.sin_addr.s_addr = htonl(INADDR_ANY);
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on)) == -1 ||
		    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
			goto fail;
	} else
		return -1;
	if (listen(fd, 64) == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

struct admin_http *
admin_http_start(unsigned port, admin_ready_fn ready, void *arg, char *err,
    size_t errlen)
{
	struct admin_http	*admin;
	int			 fd;

	if ((fd = admin_http_listen(port)) == -1) {
		snprintf(err, errlen, "cannot listen on admin port %u err=\"%s\"",
		    port, strerror(errno));
		return NULL;
	}
	admin = xcalloc(1, sizeof(*admin));
	admin->ready = ready;
	admin->arg = arg;
	/* libmicrohttpd owns fd from here: MHD_stop_daemon closes it. */
	admin->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_POLL, 0, NULL, NULL, admin_http_handle, admin,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
	    MHD_OPTION_END);
	if (admin->daemon == NULL) {
		snprintf(err, errlen, "cannot serve admin port %u", port);
		close(fd);
		free(admin);
		return NULL;
	}
	return admin;
}

void
admin_http_stop(struct admin_http *admin)
{
	if (admin == NULL)
		return;
	MHD_stop_daemon(admin->daemon);
	free(admin);
}
