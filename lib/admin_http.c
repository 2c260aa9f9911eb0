/* admin_http.c — /healthz, /readyz and /metrics over libmicrohttpd. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

struct admin_http *
admin_http_start(unsigned port, admin_ready_fn ready, void *arg, char *err,
    size_t errlen)
{
	struct admin_http *admin = xcalloc(1, sizeof(*admin));

	admin->ready = ready;
	admin->arg = arg;
	admin->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_DUAL_STACK | MHD_USE_POLL, (uint16_t)port, NULL, NULL,
	    admin_http_handle, admin,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
	    MHD_OPTION_END);
	if (admin->daemon == NULL) {
		snprintf(err, errlen, "cannot listen on admin port %u", port);
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
