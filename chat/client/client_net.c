/*
 * client_net.c — connection state machine:
 *
 *   IDLE -> RESOLVING -> CONNECTING (one address after another) -> OPEN
 *
 * Names are resolved with evdns_getaddrinfo (it reads /etc/hosts and
 * /etc/resolv.conf, so "localhost" and service names in Compose and
 * Kubernetes work) so the line editor never freezes on a slow DNS server.
 * Every address is tried with a non-blocking connect(2) and a timeout, so a
 * host whose first address is unreachable (say ::1 against a server bound
 * to IPv4 only) still connects.  Only the open socket gets a bufferevent.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "client_net.h"
#include "client_proto.h"
#include "frame.h"
#include "log.h"
#include "xmalloc.h"

enum client_net_state {
	CLIENT_NET_IDLE,
	CLIENT_NET_RESOLVING,
	CLIENT_NET_CONNECTING,
	CLIENT_NET_OPEN,
};

struct client_net {
	struct event_base		*base;
	struct evdns_base		*dns;
	char				*host;
	char				*port;
	unsigned			 timeout_ms;
	const struct client_net_cb	*cb;
	void				*arg;

	enum client_net_state		 state;
	struct event			*start_ev;	/* deferred start */
	struct evdns_getaddrinfo_request *req;
	struct client_net_ticket	*ticket;	/* of req */
	struct evutil_addrinfo		*addrs;
	struct evutil_addrinfo		*next;		/* address to try */
	int				 fd;		/* connecting */
	struct event			*conn_ev;
	char				 last_err[128];
	struct bufferevent		*bev;		/* open */
};

/*
 * The argument of a DNS request.  A cancelled request's callback runs
 * later (deferred), possibly after the client_net is gone, so the request
 * owns this ticket and the client_net only clears its pointer.
 */
struct client_net_ticket {
	struct client_net	*n;
};

static void	client_net_try(struct client_net *);

static void
client_net_reset(struct client_net *n)
{
	if (n->req != NULL) {
		n->ticket->n = NULL;
		evdns_getaddrinfo_cancel(n->req);
		n->req = NULL;
		n->ticket = NULL;
	}
	if (n->conn_ev != NULL) {
		event_free(n->conn_ev);
		n->conn_ev = NULL;
	}
	if (n->fd != -1) {
		close(n->fd);
		n->fd = -1;
	}
	if (n->addrs != NULL) {
		evutil_freeaddrinfo(n->addrs);
		n->addrs = n->next = NULL;
	}
	if (n->bev != NULL) {
		bufferevent_free(n->bev);
		n->bev = NULL;
	}
	event_del(n->start_ev);
	n->state = CLIENT_NET_IDLE;
}

/* End the attempt or link and report it; reason may live in what the
 * reset frees, so it is copied first. */
static void
client_net_end(struct client_net *n, const char *reason,
    void (*report)(void *, const char *))
{
	char msg[256];

	snprintf(msg, sizeof(msg), "%s", reason);
	client_net_reset(n);
	report(n->arg, msg);
}

static void
client_net_fail(struct client_net *n, const char *reason)
{
	client_net_end(n, reason, n->cb->failed);
}

static void
client_net_lost(struct client_net *n, const char *reason)
{
	client_net_end(n, reason, n->cb->closed);
}

/* Split the input into frames; stop if a callback closed the link. */
static void
client_net_read(struct bufferevent *bev, void *arg)
{
	struct client_net	*n = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	const uint8_t		*payload = NULL;
	size_t			 len, plen = 0, used;
	uint8_t			*data;

	while (n->bev == bev && (len = evbuffer_get_length(in)) > 0) {
		data = evbuffer_pullup(in, len < FRAME_HEADER_LEN ? -1 :
		    (ev_ssize_t)(len < CLIENT_PROTO_MAX_FRAME + FRAME_HEADER_LEN ?
		    len : CLIENT_PROTO_MAX_FRAME + FRAME_HEADER_LEN));
		switch (frame_parse(data, len, CLIENT_PROTO_MAX_FRAME,
		    &payload, &plen, &used)) {
		case FRAME_INCOMPLETE:
			return;
		case FRAME_EMPTY:
			evbuffer_drain(in, used);
			break;
		case FRAME_TOO_LARGE:
			client_net_lost(n, "the server sent a frame that is "
			    "too large");
			return;
		case FRAME_OK:
			n->cb->frame(n->arg, payload, plen);
			if (n->bev == bev)
				evbuffer_drain(in, used);
			break;
		}
	}
}

static void
client_net_write(struct bufferevent *bev, void *arg)
{
	struct client_net *n = arg;

	(void)bev;
	n->cb->writable(n->arg);
}

static void
client_net_event(struct bufferevent *bev, short what, void *arg)
{
	struct client_net	*n = arg;
	char			 reason[160];

	(void)bev;
	if (what & BEV_EVENT_EOF)
		client_net_lost(n, "the server closed the connection");
	else if (what & BEV_EVENT_ERROR) {
		snprintf(reason, sizeof(reason), "%s",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		client_net_lost(n, reason);
	}
}

static void
client_net_opened(struct client_net *n)
{
	int fd = n->fd;

	event_free(n->conn_ev);
	n->conn_ev = NULL;
	n->fd = -1;
	evutil_freeaddrinfo(n->addrs);
	n->addrs = n->next = NULL;
	n->bev = bufferevent_socket_new(n->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (n->bev == NULL) {
		close(fd);
		client_net_fail(n, "out of memory");
		return;
	}
	bufferevent_setcb(n->bev, client_net_read, client_net_write,
	    client_net_event, n);
	bufferevent_setwatermark(n->bev, EV_WRITE, CLIENT_NET_SENDQ_LOW, 0);
	bufferevent_enable(n->bev, EV_READ | EV_WRITE);
	n->state = CLIENT_NET_OPEN;
	n->cb->connected(n->arg);
}

static void
client_net_connect_done(evutil_socket_t fd, short what, void *arg)
{
	struct client_net	*n = arg;
	int			 err = 0;
	socklen_t		 len = sizeof(err);

	if (what & EV_TIMEOUT)
		err = ETIMEDOUT;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err == 0) {
		client_net_opened(n);
		return;
	}
	snprintf(n->last_err, sizeof(n->last_err), "%s", strerror(err));
	event_free(n->conn_ev);
	n->conn_ev = NULL;
	close(n->fd);
	n->fd = -1;
	client_net_try(n);
}

/* Start connecting to the next address; report failure after the last. */
static void
client_net_try(struct client_net *n)
{
	struct evutil_addrinfo	*ai;
	struct timeval		 tv;
	int			 fd;

	while ((ai = n->next) != NULL) {
		n->next = ai->ai_next;
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1) {
			snprintf(n->last_err, sizeof(n->last_err), "%s",
			    strerror(errno));
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1 &&
		    errno != EINPROGRESS) {
			snprintf(n->last_err, sizeof(n->last_err), "%s",
			    strerror(errno));
			close(fd);
			continue;
		}
		n->fd = fd;
		n->conn_ev = event_new(n->base, fd, EV_WRITE,
		    client_net_connect_done, n);
		tv.tv_sec = n->timeout_ms / 1000;
		tv.tv_usec = (n->timeout_ms % 1000) * 1000;
		event_add(n->conn_ev, &tv);
		return;
	}
	client_net_fail(n, n->last_err[0] ? n->last_err : "no address");
}

static void
client_net_resolved(int result, struct evutil_addrinfo *res, void *arg)
{
	struct client_net_ticket	*t = arg;
	struct client_net		*n = t->n;

	free(t);
	if (n == NULL) {		/* cancelled */
		if (res != NULL)
			evutil_freeaddrinfo(res);
		return;
	}
	n->req = NULL;
	n->ticket = NULL;
	if (result != 0) {
		client_net_fail(n, evutil_gai_strerror(result));
		return;
	}
	n->addrs = n->next = res;
	n->state = CLIENT_NET_CONNECTING;
	n->last_err[0] = '\0';
	client_net_try(n);
}

static void
client_net_start(evutil_socket_t fd, short what, void *arg)
{
	struct client_net		*n = arg;
	struct evutil_addrinfo		 hints;
	struct evdns_getaddrinfo_request *req;
	struct client_net_ticket	*t;

	(void)fd;
	(void)what;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	/* No AI_ADDRCONFIG: it hides ::1 on hosts without a global IPv6
	 * address, and an unusable address only costs one failed connect. */
	n->state = CLIENT_NET_RESOLVING;
	t = xmalloc(sizeof(*t));
	t->n = n;
	/* Numeric hosts and /etc/hosts answer at once, inside this call
	 * (and then the callback has already freed t). */
	n->ticket = t;
	req = evdns_getaddrinfo(n->dns, n->host, n->port, &hints,
	    client_net_resolved, t);
	if (req != NULL && n->state == CLIENT_NET_RESOLVING &&
	    n->ticket == t)
		n->req = req;
}

struct client_net *
client_net_new(struct event_base *base, struct evdns_base *dns,
    const char *host, const char *port, unsigned connect_timeout_ms,
    const struct client_net_cb *cb, void *arg)
{
	struct client_net *n = xcalloc(1, sizeof(*n));

	n->base = base;
	n->dns = dns;
	n->host = xstrdup(host);
	n->port = xstrdup(port);
	n->timeout_ms = connect_timeout_ms;
	n->cb = cb;
	n->arg = arg;
	n->fd = -1;
	n->start_ev = evtimer_new(base, client_net_start, n);
	return n;
}

void
client_net_connect(struct client_net *n)
{
	struct timeval now = { 0, 0 };

	client_net_reset(n);
	n->state = CLIENT_NET_RESOLVING;
	evtimer_add(n->start_ev, &now);
}

void
client_net_close(struct client_net *n)
{
	client_net_reset(n);
}

int
client_net_is_open(const struct client_net *n)
{
	return n->state == CLIENT_NET_OPEN;
}

int
client_net_send(struct client_net *n, const uint8_t *frame, size_t len)
{
	if (n->state != CLIENT_NET_OPEN)
		return -1;
	return bufferevent_write(n->bev, frame, len);
}

size_t
client_net_pending(const struct client_net *n)
{
	if (n->state != CLIENT_NET_OPEN)
		return 0;
	return evbuffer_get_length(bufferevent_get_output(n->bev));
}

void
client_net_free(struct client_net *n)
{
	if (n == NULL)
		return;
	client_net_reset(n);
	event_free(n->start_ev);
	free(n->host);
	free(n->port);
	free(n);
}
