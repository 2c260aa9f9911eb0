/*
 * client_pipe.c — lines from standard input without blocking the loop.
 *
 * epoll refuses regular files and /dev/null, which are always readable
 * anyway; for them the reader re-arms itself with event_active() after
 * every chunk instead of waiting for the descriptor.  A final line without
 * a newline counts; "\r\n" endings are accepted; a line longer than
 * CLIENT_PROTO_MAX_LINE is passed on in pieces cut at character
 * boundaries, so nothing is lost.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "client_pipe.h"
#include "client_proto.h"
#include "xmalloc.h"

#define CLIENT_PIPE_CHUNK	65536

struct client_pipe {
	const struct client_pipe_cb	*cb;
	void				*arg;
	int				 fd;
	int				 always;	/* not pollable */
	int				 paused;
	int				 eof;
	int				 eof_sent;
	struct evbuffer			*buf;
	struct event			*ev;
};

static void
client_pipe_arm(struct client_pipe *p)
{
	if (p->paused || p->eof)
		return;
	if (p->always)
		event_active(p->ev, EV_READ, 0);
	else
		event_add(p->ev, NULL);
}

/* Cut a long line before a UTF-8 continuation byte. */
static size_t
client_pipe_cut(struct evbuffer *buf, size_t max)
{
	unsigned char *p = evbuffer_pullup(buf, (ev_ssize_t)max + 1);
	size_t n = max;

	while (n > 1 && (p[n] & 0xC0) == 0x80)
		n--;
	return n;
}

static void
client_pipe_eof(struct client_pipe *p)
{
	if (p->eof_sent || p->paused || evbuffer_get_length(p->buf) > 0)
		return;
	p->eof_sent = 1;
	p->cb->eof(p->arg);
}

/* Hand over complete lines until paused. */
static void
client_pipe_lines(struct client_pipe *p)
{
	struct evbuffer_ptr	 eol;
	char			*line;
	size_t			 n, len;

	while (!p->paused && (len = evbuffer_get_length(p->buf)) > 0) {
		eol = evbuffer_search(p->buf, "\n", 1, NULL);
		if (eol.pos == -1 && len <= CLIENT_PROTO_MAX_LINE && !p->eof)
			return;		/* wait for the rest */
		if (eol.pos == -1 || (size_t)eol.pos > CLIENT_PROTO_MAX_LINE)
			n = len > CLIENT_PROTO_MAX_LINE ?
			    client_pipe_cut(p->buf, CLIENT_PROTO_MAX_LINE) : len;
		else
			n = (size_t)eol.pos;
		line = xmalloc(n + 1);
		evbuffer_remove(p->buf, line, n);
		line[n] = '\0';
		if (eol.pos != -1 && (size_t)eol.pos == n)
			evbuffer_drain(p->buf, 1);
		if (n > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		p->cb->line(p->arg, line);
	}
}

static void
client_pipe_read(evutil_socket_t fd, short what, void *arg)
{
	struct client_pipe	*p = arg;
	int			 n;

	(void)what;
	n = evbuffer_read(p->buf, fd, CLIENT_PIPE_CHUNK);
	if (n == -1 && (errno == EINTR || errno == EAGAIN)) {
		client_pipe_arm(p);
		return;
	}
	if (n <= 0)
		p->eof = 1;
	client_pipe_lines(p);
	if (p->eof) {
		client_pipe_eof(p);
		return;
	}
	client_pipe_arm(p);
}

struct client_pipe *
client_pipe_new(struct event_base *base, int fd,
    const struct client_pipe_cb *cb, void *arg)
{
	struct client_pipe	*p = xcalloc(1, sizeof(*p));
	struct stat		 st;

	p->cb = cb;
	p->arg = arg;
	p->fd = fd;
	p->buf = evbuffer_new();
	if (fstat(fd, &st) == 0 && !S_ISFIFO(st.st_mode) &&
	    !S_ISSOCK(st.st_mode) && !isatty(fd))
		p->always = 1;
	p->ev = event_new(base, fd, EV_READ, client_pipe_read, p);
	if (!p->always && event_add(p->ev, NULL) == -1) {
		p->always = 1;
		event_free(p->ev);
		p->ev = event_new(base, fd, EV_READ, client_pipe_read, p);
	}
	client_pipe_arm(p);
	return p;
}

void
client_pipe_pause(struct client_pipe *p, int paused)
{
	if (p->paused == paused)
		return;
	p->paused = paused;
	if (paused) {
		event_del(p->ev);
		return;
	}
	client_pipe_lines(p);
	if (p->paused)
		return;
	if (p->eof) {
		client_pipe_eof(p);
		return;
	}
	client_pipe_arm(p);
}

void
client_pipe_free(struct client_pipe *p)
{
	if (p == NULL)
		return;
	event_free(p->ev);
	evbuffer_free(p->buf);
	free(p);
}
