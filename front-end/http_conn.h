/*
 * http_conn.h — the front end's connection budget against slowloris.
 *
 * Every connection is either waiting for its client (a request's header or
 * body still to come, or an idle keep-alive) or busy (a whole request has
 * arrived and the site is answering it).  A connection may wait at most
 * the request timeout; and when a new connection would go past the cap,
 * the connection that has waited longest is closed to make room.  So
 * connections that send nothing useful can never keep a fresh client out.
 * Closing is shutdown(2) from any thread: libmicrohttpd sees the end of
 * the stream on its own thread and closes the connection itself.
 *
 * The budget also counts connections per client — an IPv4 address, or an
 * IPv6 prefix (HTTP_IPV6_PREFIX bits: one /64 is one subscriber) — and
 * refuses a client's connection past HTTP_MAX_CONN_PER_IP at accept.
 */
#ifndef PARLEY_HTTP_CONN_H
#define PARLEY_HTTP_CONN_H

#include <sys/socket.h>

#include <stdint.h>

struct http_conns;

enum http_conn_state { CONN_WAITING, CONN_BUSY, CONN_EVICTED };

struct http_conn {
	int			 fd;
	enum http_conn_state	 state;
	uint64_t		 since_ms;	/* waiting since */
	struct http_conn	*prev, *next;	/* the waiting list, oldest first */
	struct http_client	*client;	/* its count per client */
};

struct http_conns_config {
	unsigned	cap;		/* connections open */
	unsigned	timeout_ms;	/* of waiting, per request */
	unsigned	per_client;	/* connections per client, 0: any */
	unsigned	v6_prefix;	/* bits of an IPv6 client */
};

struct http_conns	*http_conns_start(const struct http_conns_config *);
void			 http_conns_stop(struct http_conns *);

/* libmicrohttpd's accept policy: 1 when the client may open one more. */
int	http_conns_admit(struct http_conns *, const struct sockaddr *);
/* Stopping: every new connection is refused from now on. */
void	http_conns_close_door(struct http_conns *);

/* From libmicrohttpd's connection callbacks and the request callbacks. */
void	http_conns_opened(struct http_conns *, struct http_conn *, int fd,
	    const struct sockaddr *);
void	http_conns_closed(struct http_conns *, struct http_conn *);
void	http_conns_busy(struct http_conns *, struct http_conn *);
void	http_conns_waiting(struct http_conns *, struct http_conn *);

#endif
