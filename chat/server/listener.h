/* listener.h — the chat port (and the WebSocket port) on every IPv6 and
 * IPv4 address. */
#ifndef PARLEY_LISTENER_H
#define PARLEY_LISTENER_H

struct event_base;

/*
 * Listen on [::]:port (IPv6 only) and 0.0.0.0:port.  -1 (errno set) when
 * the port is taken, or when neither family is available.  ws: the
 * accepted connections speak WebSocket (conn_accept_ws).
 */
int	listener_start(struct event_base *, unsigned port, int ws);
/* Stop accepting (drain); safe to call twice. */
void	listener_stop(void);

#endif
