/* listener.h — the chat port on every IPv6 and IPv4 address. */
#ifndef PARLEY_LISTENER_H
#define PARLEY_LISTENER_H

struct event_base;

/*
 * Listen on [::]:port (IPv6 only) and 0.0.0.0:port.  -1 (errno set) when
 * the port is taken, or when neither family is available.
 */
int	listener_start(struct event_base *, unsigned port);
/* Stop accepting (drain); safe to call twice. */
void	listener_stop(void);

#endif
