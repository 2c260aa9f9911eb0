/*
 * client_net.h — the client's TCP connection: resolve the host (IPv4 and
 * IPv6, without blocking the event loop), try each address in turn,
 * split what arrives into frames, queue frames to send.  One connection at
 * a time; reconnecting is the caller's decision (client.c).
 */
#ifndef PARLEY_CLIENT_NET_H
#define PARLEY_CLIENT_NET_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evdns_base;
struct client_net;

struct client_net_cb {
	void	(*connected)(void *arg);
	/* No address could be reached; reason is for the user. */
	void	(*failed)(void *arg, const char *reason);
	void	(*frame)(void *arg, const uint8_t *payload, size_t len);
	/* An open connection ended (closed by the peer, error, bad frame). */
	void	(*closed)(void *arg, const char *reason);
	/* The send queue drained below CLIENT_NET_SENDQ_LOW bytes. */
	void	(*writable)(void *arg);
};

/* Callers stop queueing above HIGH and wait for writable(). */
#define CLIENT_NET_SENDQ_HIGH	(256 * 1024)
#define CLIENT_NET_SENDQ_LOW	(64 * 1024)

struct client_net *client_net_new(struct event_base *, struct evdns_base *,
	    const char *host, const char *port, unsigned connect_timeout_ms,
	    const struct client_net_cb *, void *arg);
void	client_net_free(struct client_net *);

/* Start connecting; the outcome always arrives later, by callback. */
void	client_net_connect(struct client_net *);
/* Drop the connection or the attempt, without callbacks. */
void	client_net_close(struct client_net *);
int	client_net_is_open(const struct client_net *);

/* Queue one whole frame (header included).  0, or -1 when not open. */
int	client_net_send(struct client_net *, const uint8_t *frame, size_t len);
/* Bytes queued but not yet written to the socket. */
size_t	client_net_pending(const struct client_net *);

#endif
