/*
 * relay.c — the machine's limit for the chat benchmark: a bare epoll
 * broadcast loop speaking just enough of the lab protocol for chat-bench
 * (HELLO -> WELCOME; CHAT -> "name: text" to everyone else), with the same
 * batching as chat-server (append to per-client buffers, write once per
 * loop turn).  No rooms, limits, JSON parser, escaping or cluster.
 *
 *   chat-relay PORT
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXFD	65536

struct rc {
	int	 open, dirty;
	char	 name[40];
	uint8_t	*in, *out;
	size_t	 inlen, incap, outlen, outcap;
};

static struct rc	 rcs[MAXFD];
static int		 dirty[MAXFD], ndirty, epfd;
static int		 members[MAXFD], nmembers;	/* open fds, dense */

int	main(int, char **);

static void
add(uint8_t **b, size_t *len, size_t *cap, const void *p, size_t n)
{
	if (*len + n > *cap) {
		*cap = (*len + n) * 2 + 4096;
		*b = realloc(*b, *cap);
	}
	memcpy(*b + *len, p, n);
	*len += n;
}

static void
frame(int fd, const char *type, const char *content, size_t clen)
{
	struct rc	*c = &rcs[fd];
	char		 head[64];
	int		 hn = snprintf(head, sizeof(head),
			    "{\"type\": \"%s\", \"content\": \"", type);
	uint32_t	 n = (uint32_t)(hn + clen + 2);
	uint8_t		 hdr[4] = { n >> 24, n >> 16, n >> 8, n };

	add(&c->out, &c->outlen, &c->outcap, hdr, 4);
	add(&c->out, &c->outlen, &c->outcap, head, (size_t)hn);
	add(&c->out, &c->outlen, &c->outcap, content, clen);
	add(&c->out, &c->outlen, &c->outcap, "\"}", 2);
	if (!c->dirty) {
		c->dirty = 1;
		dirty[ndirty++] = fd;
	}
}

/* The string value of key in a JSON object we wrote ourselves. */
static const char *
field(const uint8_t *p, size_t n, const char *key, size_t *len)
{
	char		 pat[32];
	const char	*s, *e, *end = (const char *)p + n;

	snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	if ((s = memmem(p, n, pat, strlen(pat))) == NULL)
		return NULL;
	s += strlen(pat);
	for (e = s; e < end && *e != '"'; e++)
		if (*e == '\\')
			e++;
	*len = (size_t)(e - s);
	return s;
}

static void
on_frame(int fd, const uint8_t *p, size_t n)
{
	struct rc	*c = &rcs[fd];
	const char	*s;
	char		 line[70000];
	size_t		 len;
	int		 i, ln;

	if (memmem(p, n, "\"HELLO\"", 7) != NULL &&
	    (s = field(p, n, "name", &len)) != NULL && len < sizeof(c->name)) {
		memcpy(c->name, s, len);
		c->name[len] = '\0';
		ln = snprintf(line, sizeof(line), "Welcome %s! You can now "
		    "start to chat!", c->name);
		frame(fd, "WELCOME", line, (size_t)ln);
		return;
	}
	if ((s = field(p, n, "content", &len)) == NULL || len > 65000)
		return;
	ln = snprintf(line, sizeof(line), "%s: %.*s", c->name, (int)len, s);
	for (i = 0; i < nmembers; i++)
		if (members[i] != fd)
			frame(members[i], "CHAT", line, (size_t)ln);
}

static void
drop(int fd)
{
	struct rc	*c = &rcs[fd];
	int		 i;

	for (i = 0; i < nmembers; i++)
		if (members[i] == fd) {
			members[i] = members[--nmembers];
			break;
		}
	close(fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
}

static void
on_read(int fd)
{
	struct rc	*c = &rcs[fd];
	size_t		 off = 0, n;
	ssize_t		 r;

	for (;;) {
		if (c->incap - c->inlen < 65536) {
			c->incap = c->incap * 2 + 65536;
			c->in = realloc(c->in, c->incap);
		}
		r = read(fd, c->in + c->inlen, c->incap - c->inlen);
		if (r == 0 || (r < 0 && errno != EAGAIN)) {
			drop(fd);
			return;
		}
		if (r < 0)
			break;
		c->inlen += (size_t)r;
	}
	while (c->inlen - off >= 4) {
		n = (size_t)c->in[off] << 24 | (size_t)c->in[off + 1] << 16 |
		    (size_t)c->in[off + 2] << 8 | c->in[off + 3];
		if (c->inlen - off - 4 < n)
			break;
		on_frame(fd, c->in + off + 4, n);
		off += 4 + n;
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
}

static void
flush_all(void)
{
	struct epoll_event	 ev;
	struct rc		*c;
	ssize_t			 w;
	int			 i, fd, keep = 0;

	for (i = 0; i < ndirty; i++) {
		fd = dirty[i];
		c = &rcs[fd];
		if (!c->open)
			continue;
		w = write(fd, c->out, c->outlen);
		if (w > 0) {
			memmove(c->out, c->out + w, c->outlen - (size_t)w);
			c->outlen -= (size_t)w;
		}
		c->dirty = c->outlen > 0;
		ev.events = EPOLLIN | (c->dirty ? EPOLLOUT : 0);
		ev.data.fd = fd;
		epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
		if (c->dirty)
			dirty[keep++] = fd;
	}
	ndirty = keep;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in	 sin;
	struct epoll_event	 ev, evs[256];
	int			 lfd, fd, n, i, on = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: chat-relay PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(argv[1]));
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 4096) == -1) {
		perror("listen");
		return 1;
	}
	epfd = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(epfd, evs, 256, -1);
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd == lfd) {
				while ((fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK)) >= 0) {
					if (fd >= MAXFD) {
						close(fd);
						continue;
					}
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY,
					    &on, sizeof(on));
					rcs[fd].open = 1;
					members[nmembers++] = fd;
					ev.events = EPOLLIN;
					ev.data.fd = fd;
					epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				on_read(fd);
		}
		flush_all();
	}
}
