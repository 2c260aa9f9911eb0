/*
 * listener.c — two sockets rather than one dual-stack socket, so the port
 * works where IPv6 is disabled (containers) and IPv4 peers show their own
 * addresses.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "conn.h"
#include "listener.h"
#include "log.h"

#define LISTEN_BACKLOG	1024

/* [0..1]: the chat port, [2..3]: the WebSocket port. */
#define NLISTENERS	4
static struct evconnlistener	*listeners[NLISTENERS];
static struct event		*listener_pause_ev;

static void
listener_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
	(void)l;
	if (arg != NULL)
		conn_accept_ws(fd, sa, socklen);
	else
		conn_accept(fd, sa, socklen);
}

static void
listener_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	int i;

	(void)fd;
	(void)what;
	(void)arg;
	for (i = 0; i < NLISTENERS; i++)
		if (listeners[i] != NULL)
			evconnlistener_enable(listeners[i]);
}

static void
listener_error_cb(struct evconnlistener *l, void *arg)
{
	struct timeval	pause = { 0, 100 * 1000 };
	int		i;

	(void)l;
	(void)arg;
	/* EMFILE and friends: pause instead of spinning on the error. */
	log_warn("chat accept failed, pausing 100 ms");
	for (i = 0; i < NLISTENERS; i++)
		if (listeners[i] != NULL)
			evconnlistener_disable(listeners[i]);
	evtimer_add(listener_pause_ev, &pause);
}

static int
listener_socket(int family, unsigned port)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 len;
	int			 fd, on = 1, saved;

	if ((fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		sin6->sin6_addr = in6addr_any;
		len = sizeof(*sin6);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
		    sizeof(on)) == -1)
			goto fail;
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		len = sizeof(*sin);
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
listener_start(struct event_base *base, unsigned port, int ws)
{
	static const int	 families[2] = { AF_INET6, AF_INET };
	static int		 ws_tag;
	int			 i, fd, n = 0;
	struct evconnlistener	**ls = listeners + (ws ? 2 : 0);

	if (listener_pause_ev == NULL)
		listener_pause_ev = evtimer_new(base, listener_resume_cb, NULL);
	for (i = 0; i < 2; i++) {
		if ((fd = listener_socket(families[i], port)) == -1) {
			/* A family the host lacks is fine; a busy port is not. */
			if (errno == EADDRINUSE || errno == EACCES)
				return -1;
			log_warn("chat cannot listen family=%s port=%u",
			    families[i] == AF_INET6 ? "ipv6" : "ipv4", port);
			continue;
		}
		ls[i] = evconnlistener_new(base, listener_accept_cb,
		    ws ? &ws_tag : NULL, LEV_OPT_CLOSE_ON_FREE, LISTEN_BACKLOG,
		    fd);
		if (ls[i] == NULL) {
			close(fd);
			continue;
		}
		evconnlistener_set_error_cb(ls[i], listener_error_cb);
		n++;
	}
	return n > 0 ? 0 : -1;
}

void
listener_stop(void)
{
	int i;

	for (i = 0; i < NLISTENERS; i++) {
		if (listeners[i] != NULL)
			evconnlistener_free(listeners[i]);
		listeners[i] = NULL;
	}
	if (listener_pause_ev != NULL)
		event_free(listener_pause_ev);
	listener_pause_ev = NULL;
}
