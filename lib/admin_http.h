/*
 * admin_http.h — the small operations port of daemons without a web UI:
 * GET /healthz (alive), /readyz (dependencies reachable), /metrics.
 */
#ifndef PARLEY_ADMIN_HTTP_H
#define PARLEY_ADMIN_HTTP_H

#include <stddef.h>

struct admin_http;

/* Called from the HTTP thread; returns non-zero when ready. */
typedef int	(*admin_ready_fn)(void *arg);

struct admin_http	*admin_http_start(unsigned port, admin_ready_fn,
			    void *arg, char *err, size_t errlen);
void			 admin_http_stop(struct admin_http *);

#endif
