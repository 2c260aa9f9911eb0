/*
 * chat_bench.c — load generator for chat-server (and the bare relay), one
 * thread, epoll, speaking the lab protocol.
 *
 *   chat-bench fanout --port P --clients N --senders S --rate R|0 ...
 *       N clients log in; S of them send R messages/s in all (0: as fast as
 *       a window of --window messages per sender, acknowledged by an
 *       observer client, allows: saturation).  Every receiver times every
 *       delivery (the send time travels in the message).
 *   chat-bench idle --port P --clients N [--pid PID] [--hold S]
 *       N clients log in and stay silent; prints the server's RSS growth,
 *       then keeps them connected S seconds (so several load processes,
 *       each under the 20,000-descriptor limit, overlap).
 *   chat-bench cross --port P --port2 P2 --rate R
 *       fan-out where senders are on P and receivers on P2 (replicas).
 *
 * --ws: every client speaks the browser's protocol instead, to the chat
 * server's WebSocket listener (CHAT_WS_PORT): the opening handshake with an
 * Origin (--origin), its accept key checked, then the same lab JSON, one
 * masked text frame per object out, one unmasked text frame per object in.
 * Fan-out runs end by waiting for every message in flight and report how
 * many deliveries never came (missing=).
 *
 * Prints one "key=value ..." result line.  bench/chat/run makes the table.
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "ws_handshake.h"

#define HIST_BUCKETS	100000	/* 10 us each: 0..1 s */
#define MAX_EVENTS	256

enum bstate { B_CONNECTING, B_HANDSHAKE, B_LOGIN, B_READY };

struct bconn {
	int		 fd;
	int		 id;
	int		 sender;	/* index among senders, or -1 */
	enum bstate	 state;
	uint8_t		*rbuf;
	size_t		 rlen, rcap;
	uint8_t		*wbuf;
	size_t		 wlen, wcap;
	uint64_t	 seq;		/* sender: next sequence number */
	double		 credit;	/* sender: messages due (rate mode) */
	uint64_t	 hello_us;	/* HELLO sent */
	char		 accept[WS_ACCEPT_LEN + 1];	/* ws: the answer due */
};

static struct bconn	*conns;
static int		 nconns, nsenders, epfd, observer = -1;
static uint64_t		*acked;		/* per sender, seen by the observer */
static uint64_t		 deliveries, sent, ready_count;
static uint64_t		 hist[HIST_BUCKETS + 1], hist_n;
static uint64_t		 login_max_us;	/* slowest HELLO -> WELCOME */
static int		 measuring;
static uint64_t		 rx_us;		/* when the input being parsed came */

static struct {
	const char	*host;
	int		 port, port2;
	int		 clients, senders, window, size, duration, srcips;
	int		 hold;	/* idle: seconds to keep the connections after */
	double		 rate;
	int		 pid;
	int		 ws;	/* --ws: WebSocket clients */
	int		 stagger;	/* --stagger: senders take turns */
	const char	*origin;
} opt = { "127.0.0.1", 0, 0, 100, 4, 64, 64, 5, 1, 0, 0, 0, 0, 0,
    "http://localhost:8080" };

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

static void
buf_add(uint8_t **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
	if (*len + n > *cap) {
		*cap = (*len + n) * 2;
		if ((*buf = realloc(*buf, *cap)) == NULL)
			die("realloc");
	}
	memcpy(*buf + *len, p, n);
	*len += n;
}

/* xorshift32: masking keys and nonces need no strength, only variety. */
static uint32_t
rnd32(void)
{
	static uint32_t x;

	if (x == 0)
		x = ((uint32_t)getpid() * 2654435761u) ^ (uint32_t)now_us() ^ 1;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

/* One final client frame: opcode op, masked as a browser masks it. */
static void
ws_out(struct bconn *c, uint8_t op, const void *payload, size_t n)
{
	uint8_t		 hdr[14], *p;
	uint32_t	 key = rnd32();
	size_t		 hlen = 2, off, i;

	hdr[0] = 0x80 | op;
	if (n < 126)
		hdr[1] = 0x80 | (uint8_t)n;
	else if (n < 65536) {
		hdr[1] = 0x80 | 126;
		hdr[2] = (uint8_t)(n >> 8);
		hdr[3] = (uint8_t)n;
		hlen = 4;
	} else {
		hdr[1] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			hdr[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
		hlen = 10;
	}
	memcpy(hdr + hlen, &key, 4);
	buf_add(&c->wbuf, &c->wlen, &c->wcap, hdr, hlen + 4);
	off = c->wlen;
	buf_add(&c->wbuf, &c->wlen, &c->wcap, payload, n);
	p = c->wbuf + off;
	for (i = 0; i < n; i++)
		p[i] ^= hdr[hlen + (i & 3)];
}

/* One lab JSON object: a framed frame, or a WebSocket text message. */
static void
frame_out(struct bconn *c, const char *json, size_t n)
{
	uint8_t hdr[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16),
	    (uint8_t)(n >> 8), (uint8_t)n };

	if (opt.ws) {
		ws_out(c, 0x1, json, n);
		return;
	}
	buf_add(&c->wbuf, &c->wlen, &c->wcap, hdr, 4);
	buf_add(&c->wbuf, &c->wlen, &c->wcap, json, n);
}

static void
want_write(struct bconn *c, int on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0),
	    .data.u32 = (uint32_t)c->id };

	epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void
flush(struct bconn *c)
{
	ssize_t n;

	while (c->wlen > 0) {
		n = write(c->fd, c->wbuf, c->wlen);
		if (n < 0) {
			if (errno == EAGAIN) {
				want_write(c, 1);
				return;
			}
			die("write");
		}
		memmove(c->wbuf, c->wbuf + n, c->wlen - (size_t)n);
		c->wlen -= (size_t)n;
	}
	if (c->state != B_CONNECTING)
		want_write(c, 0);
}

static void
open_conn(struct bconn *c, int port)
{
	struct sockaddr_in	sin, src;
	struct epoll_event	ev;
	int			on = 1;

	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		die("socket");
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (opt.srcips > 1) {
		/* Many loopback sources: more than 28k ports' worth. */
		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		src.sin_addr.s_addr = htonl(0x7f000001 +
		    (uint32_t)(c->id % opt.srcips));
		if (bind(c->fd, (struct sockaddr *)&src, sizeof(src)) == -1)
			die("bind");
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, opt.host, &sin.sin_addr);
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno != EINPROGRESS)
		die("connect");
	c->state = B_CONNECTING;
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.u32 = (uint32_t)c->id;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) == -1)
		die("epoll_ctl");
}

static void
send_hello(struct bconn *c)
{
	char	json[128];
	/* Unique per run: the cluster may still know the last run's names. */
	int	n = snprintf(json, sizeof(json),
		    "{\"type\": \"HELLO\", \"name\": \"b%x_%d\"}",
		    (unsigned)getpid() & 0xffff, c->id);

	frame_out(c, json, (size_t)n);
	c->state = B_LOGIN;
	c->hello_us = now_us();
	flush(c);
}

/* The browser's opening handshake; the answer is checked in on_read. */
static void
send_upgrade(struct bconn *c)
{
	uint8_t		nonce[16];
	uint32_t	r;
	char		key[32], req[512];
	int		i, n;

	for (i = 0; i < 4; i++) {
		r = rnd32();
		memcpy(nonce + 4 * i, &r, 4);
	}
	sodium_bin2base64(key, sizeof(key), nonce, sizeof(nonce),
	    sodium_base64_VARIANT_ORIGINAL);
	ws_accept_key(key, strlen(key), c->accept);
	n = snprintf(req, sizeof(req), "GET /ws HTTP/1.1\r\n"
	    "Host: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
	    "Origin: %s\r\n\r\n", opt.host, opt.port, key, opt.origin);
	buf_add(&c->wbuf, &c->wlen, &c->wcap, req, (size_t)n);
	c->state = B_HANDSHAKE;
	flush(c);
}

static void
fail(struct bconn *c, const char *why)
{
	fprintf(stderr, "chat-bench: conn %d: %s\n", c->id, why);
	exit(1);
}

static void
record_latency(uint64_t us)
{
	uint64_t b = us / 10;

	hist[b > HIST_BUCKETS ? HIST_BUCKETS : b]++;
	hist_n++;
}

/*
 * A decimal number and the blank after it, within [*s, end): the input is
 * not NUL-terminated (sscanf would scan on past the frame for a NUL: the
 * whole read buffer, each time, behind a WebSocket header).
 */
static int
number(const char **s, const char *end, uint64_t *v)
{
	const char *p = *s;

	for (*v = 0; p < end && *p >= '0' && *p <= '9'; p++)
		*v = *v * 10 + (uint64_t)(*p - '0');
	if (p == *s || p >= end || *p != ' ')
		return 0;
	*s = p + 1;
	return 1;
}

/* Content of our own messages: "<sender> <seq> <t_us> pad". */
static void
on_chat(struct bconn *c, const uint8_t *p, size_t n)
{
	static const char key[] = "\"content\": \"";
	const char	*s, *end = (const char *)p + n;
	uint64_t	 sender, seq, t;

	s = memmem(p, n, key, sizeof(key) - 1);
	if (s == NULL)
		return;
	s += sizeof(key) - 1;
	/* Skip "bN: " (the server's "name: " prefix). */
	while (s < end && *s != ':')
		s++;
	if (end - s < 3 || s[1] != ' ')
		return;
	s += 2;
	if (!number(&s, end, &sender) || !number(&s, end, &seq) ||
	    !number(&s, end, &t))
		return;
	if (!measuring)
		return;
	deliveries++;
	record_latency(rx_us > t ? rx_us - t : 0);
	if (c->id == observer && sender < (uint64_t)nsenders &&
	    seq + 1 > acked[sender])
		acked[sender] = seq + 1;
}

static void
on_frame(struct bconn *c, const uint8_t *p, size_t n)
{
	if (c->state == B_LOGIN && memmem(p, n, "\"WELCOME\"", 9) != NULL) {
		c->state = B_READY;
		ready_count++;
		if (now_us() - c->hello_us > login_max_us)
			login_max_us = now_us() - c->hello_us;
		return;
	}
	if (memmem(p, n, "\"CHAT\"", 6) != NULL)
		on_chat(c, p, n);
}

/* Framed input: lab frames from off on; returns the end of the last. */
static size_t
framed_in(struct bconn *c, size_t off)
{
	size_t n;

	while (c->rlen - off >= 4) {
		n = (size_t)c->rbuf[off] << 24 | (size_t)c->rbuf[off + 1] << 16 |
		    (size_t)c->rbuf[off + 2] << 8 | c->rbuf[off + 3];
		if (c->rlen - off - 4 < n)
			break;
		on_frame(c, c->rbuf + off + 4, n);
		off += 4 + n;
	}
	return off;
}

/* The 101 (accept key checked), then HELLO; returns the bytes used. */
static size_t
ws_handshake_in(struct bconn *c)
{
	const uint8_t	*end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
	size_t		 n;

	if (end == NULL)
		return 0;
	n = (size_t)(end - c->rbuf) + 4;
	if (n < 13 || memcmp(c->rbuf, "HTTP/1.1 101 ", 13) != 0)
		fail(c, "handshake refused (CHAT_WS_ORIGINS lists --origin?)");
	if (memmem(c->rbuf, n, c->accept, WS_ACCEPT_LEN) == NULL)
		fail(c, "wrong Sec-WebSocket-Accept");
	send_hello(c);
	return n;
}

/* WebSocket input: server frames (unmasked, unfragmented) from off on. */
static size_t
ws_in(struct bconn *c, size_t off)
{
	const uint8_t	*p;
	size_t		 avail, hl, n, i;

	if (c->state == B_HANDSHAKE && (off = ws_handshake_in(c)) == 0)
		return 0;
	while ((avail = c->rlen - off) >= 2) {
		p = c->rbuf + off;
		hl = 2;
		n = p[1] & 0x7f;
		if (p[1] & 0x80 || (p[0] & 0xf0) != 0x80)
			fail(c, "masked, fragmented or RSV frame from the server");
		if (n == 126) {
			if (avail < 4)
				break;
			n = (size_t)p[2] << 8 | p[3];
			hl = 4;
		} else if (n == 127) {
			if (avail < 10)
				break;
			for (n = 0, i = 2; i < 10; i++)
				n = n << 8 | p[i];
			hl = 10;
		}
		if (avail - hl < n)
			break;
		switch (p[0] & 0x0f) {
		case 0x1:
			on_frame(c, p + hl, n);
			break;
		case 0x8:
			fail(c, "server sent a WebSocket close");
			break;
		case 0x9:	/* ping: the pong echoes it */
			ws_out(c, 0xa, p + hl, n);
			flush(c);
			break;
		case 0xa:
			break;
		default:
			fail(c, "unexpected opcode");
		}
		off += hl + n;
	}
	return off;
}

static void
on_read(struct bconn *c)
{
	size_t	off;
	ssize_t	r;
	int	eof = 0;

	for (;;) {
		if (c->rcap - c->rlen < 65536) {
			c->rcap = c->rcap * 2 + 65536;
			if ((c->rbuf = realloc(c->rbuf, c->rcap)) == NULL)
				die("realloc");
		}
		r = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
		if (r == 0) {	/* after what came before it (an HTTP error) */
			eof = 1;
			break;
		}
		if (r < 0) {
			if (errno == EAGAIN)
				break;
			die("read");
		}
		c->rlen += (size_t)r;
		/* A short read drained the socket: epoll (level-triggered)
		 * reports the rest; no read just to see EAGAIN. */
		if (c->rlen < c->rcap)
			break;
	}
	rx_us = now_us();
	off = opt.ws ? ws_in(c, 0) : framed_in(c, 0);
	if (eof)
		fail(c, "server closed the connection");
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
	/* Give back memory of idle connections. */
	if (c->rlen == 0 && c->rcap > 262144) {
		free(c->rbuf);
		c->rbuf = NULL;
		c->rcap = 0;
	}
}

static void
poll_once(int timeout_ms)
{
	struct epoll_event	 ev[MAX_EVENTS];
	struct bconn		*c;
	int			 n, i, err;
	socklen_t		 len = sizeof(err);

	n = epoll_wait(epfd, ev, MAX_EVENTS, timeout_ms);
	for (i = 0; i < n; i++) {
		c = &conns[ev[i].data.u32];
		if (c->state == B_CONNECTING && (ev[i].events & EPOLLOUT)) {
			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err,
			    &len) == -1 || err != 0) {
				errno = err;
				die("connect");
			}
			if (opt.ws)
				send_upgrade(c);
			else
				send_hello(c);
			continue;
		}
		if (ev[i].events & EPOLLIN)
			on_read(c);
		if (ev[i].events & EPOLLOUT)
			flush(c);
	}
}

static void
send_one(struct bconn *c)
{
	static char	 pad[65536];
	char		 json[70000];
	int		 n, used;

	if (pad[0] == '\0')
		memset(pad, 'x', sizeof(pad) - 1);
	used = snprintf(json, 64, "%d %llu %llu ", c->sender,
	    (unsigned long long)c->seq, (unsigned long long)now_us());
	n = snprintf(json, sizeof(json),
	    "{\"type\": \"CHAT\", \"content\": \"%d %llu %llu %.*s\"}",
	    c->sender, (unsigned long long)c->seq,
	    (unsigned long long)now_us(),
	    opt.size > used ? opt.size - used : 1, pad);
	frame_out(c, json, (size_t)n);
	c->seq++;
	sent++;
}

static void
connect_all(int first, int count, int port)
{
	int i, target = 0;

	for (i = first; i < first + count; i++) {
		open_conn(&conns[i], port);
		/* Do not outrun the listen backlog. */
		if ((i - first) % 500 == 499) {
			target = i - first + 1;
			while ((int)ready_count < target - 250)
				poll_once(10);
		}
	}
	(void)target;
}

static void
wait_ready(int n, int seconds)
{
	uint64_t deadline = now_us() + (uint64_t)seconds * 1000000;

	while ((int)ready_count < n) {
		if (now_us() > deadline) {
			fprintf(stderr, "chat-bench: only %llu of %d clients "
			    "logged in\n", (unsigned long long)ready_count, n);
			exit(1);
		}
		poll_once(10);
	}
}

static void
settle(int ms)
{
	uint64_t end = now_us() + (uint64_t)ms * 1000;

	while (now_us() < end)
		poll_once(5);
}

static long
rss_kb(int pid)
{
	char	path[64], line[256];
	FILE	*f;
	long	kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* CPU time (user + system) of process pid in microseconds, or -1. */
static double
cpu_us(int pid)
{
	char			 path[64], line[1024], *p;
	FILE			*f;
	unsigned long long	 ut, st;
	int			 ok;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	/* Fields 14 and 15, counted after the name's closing parenthesis. */
	if (p == NULL || (p = strrchr(line, ')')) == NULL)
		return -1;
	ok = sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%llu %llu", &ut, &st) == 2;
	return ok ? (double)(ut + st) * 1e6 / (double)sysconf(_SC_CLK_TCK) : -1;
}

static uint64_t
percentile(double p)
{
	uint64_t	want = (uint64_t)(p * (double)hist_n), acc = 0;
	size_t		i;

	for (i = 0; i <= HIST_BUCKETS; i++) {
		acc += hist[i];
		if (acc > want)
			return i * 10;
	}
	return HIST_BUCKETS * 10;
}

static void
run_load(void)
{
	uint64_t	start, now, last, end, p50, p99, p999, expected;
	double		secs, cpu0 = opt.pid > 0 ? cpu_us(opt.pid) : -1;
	int		i;
	double		per_sender_us = opt.rate > 0 ?
			    opt.rate / nsenders / 1e6 : 0;

	/* --stagger: sender i is i/S of a period ahead, so the S senders take
	 * turns instead of all sending in the same instant. */
	for (i = 0; opt.stagger && i < nsenders; i++)
		conns[i].credit = (double)i / nsenders;
	measuring = 1;
	start = last = now_us();
	end = start + (uint64_t)opt.duration * 1000000;
	while ((now = now_us()) < end) {
		for (i = 0; i < nsenders; i++) {
			struct bconn *c = &conns[i];

			if (opt.rate > 0) {
				c->credit += (double)(now - last) *
				    per_sender_us;
				while (c->credit >= 1) {
					send_one(c);
					c->credit -= 1;
				}
			} else
				while (c->seq - acked[i] < (uint64_t)opt.window)
					send_one(c);
			if (c->wlen > 0)
				flush(c);
		}
		last = now;
		poll_once(opt.rate > 0 ? 1 : 0);
	}
	secs = (double)(now_us() - start) / 1e6;
	if (cpu0 >= 0 && deliveries > 0)
		printf("server_cpu_ns_per_delivery=%.0f ", (cpu_us(opt.pid) - cpu0)
		    * 1000 / (double)deliveries);
	p50 = percentile(0.50);
	p99 = percentile(0.99);
	p999 = percentile(0.999);
	printf("clients=%d senders=%d protocol=%s offered=%s sent_per_s=%.0f "
	    "deliveries_per_s=%.0f p50_us=%llu p99_us=%llu p999_us=%llu "
	    "login_max_us=%llu ",
	    nconns, nsenders, opt.ws ? "websocket" : "framed",
	    opt.rate > 0 ? "fixed" : "saturation", (double)sent / secs,
	    (double)deliveries / secs, (unsigned long long)p50,
	    (unsigned long long)p99, (unsigned long long)p999,
	    (unsigned long long)login_max_us);
	/* Every message reaches everyone but its sender: wait for those in
	 * flight, then count what never came. */
	expected = sent * (uint64_t)(nconns - 1);
	end = now_us() + 10000000;
	while (deliveries < expected && now_us() < end)
		poll_once(10);
	measuring = 0;
	printf("missing=%llu\n", (unsigned long long)(expected > deliveries ?
	    expected - deliveries : 0));
}

static void
usage(void)
{
	fprintf(stderr, "usage: chat-bench fanout|idle|cross --port P "
	    "[--port2 P2] [--clients N] [--senders S] [--rate R] "
	    "[--window W] [--size B] [--duration S] [--srcips K] "
	    "[--pid PID] [--hold S] [--stagger] [--ws [--origin O]]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'h' },
		{ "port", required_argument, NULL, 'p' },
		{ "port2", required_argument, NULL, 'P' },
		{ "clients", required_argument, NULL, 'c' },
		{ "senders", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },
		{ "window", required_argument, NULL, 'w' },
		{ "size", required_argument, NULL, 'b' },
		{ "duration", required_argument, NULL, 'd' },
		{ "hold", required_argument, NULL, 'H' },
		{ "srcips", required_argument, NULL, 'i' },
		{ "pid", required_argument, NULL, 'x' },
		{ "ws", no_argument, NULL, 'W' },
		{ "stagger", no_argument, NULL, 'g' },
		{ "origin", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*mode;
	long		 rss0 = -1, rss1;
	int		 ch, i;

	if (argc < 2)
		usage();
	mode = argv[1];
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h': opt.host = optarg; break;
		case 'p': opt.port = atoi(optarg); break;
		case 'P': opt.port2 = atoi(optarg); break;
		case 'c': opt.clients = atoi(optarg); break;
		case 's': opt.senders = atoi(optarg); break;
		case 'r': opt.rate = atof(optarg); break;
		case 'w': opt.window = atoi(optarg); break;
		case 'b': opt.size = atoi(optarg); break;
		case 'd': opt.duration = atoi(optarg); break;
		case 'H': opt.hold = atoi(optarg); break;
		case 'i': opt.srcips = atoi(optarg); break;
		case 'x': opt.pid = atoi(optarg); break;
		case 'W': opt.ws = 1; break;
		case 'g': opt.stagger = 1; break;
		case 'o': opt.origin = optarg; break;
		default: usage();
		}
	}
	if (opt.port == 0 || opt.clients < 1 || opt.senders < 0 ||
	    opt.senders >= opt.clients)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if ((epfd = epoll_create1(0)) == -1)
		die("epoll_create1");
	nconns = opt.clients;
	if ((conns = calloc((size_t)nconns, sizeof(*conns))) == NULL ||
	    (acked = calloc((size_t)opt.senders + 1, sizeof(*acked))) == NULL)
		die("calloc");
	for (i = 0; i < nconns; i++) {
		conns[i].id = i;
		conns[i].sender = -1;
	}
	if (opt.pid > 0)
		rss0 = rss_kb(opt.pid);
	if (strcmp(mode, "idle") == 0) {
		nsenders = 0;
		connect_all(0, nconns, opt.port);
		wait_ready(nconns, 300);
		/* 2.5 s: the server's 1-s sweep trims quiet WebSockets. */
		settle(2500);
		rss1 = opt.pid > 0 ? rss_kb(opt.pid) : -1;
		printf("idle_clients=%d server_rss_before_kb=%ld "
		    "server_rss_after_kb=%ld rss_per_conn_bytes=%.0f\n",
		    nconns, rss0, rss1, rss0 > 0 && rss1 > 0 ?
		    (double)(rss1 - rss0) * 1024 / nconns : -1.0);
		fflush(stdout);
		if (opt.hold > 0)
			settle(opt.hold * 1000);
		return 0;
	}
	nsenders = opt.senders;
	for (i = 0; i < nsenders; i++)
		conns[i].sender = i;
	observer = nconns - 1;
	if (strcmp(mode, "cross") == 0) {
		if (opt.port2 == 0)
			usage();
		connect_all(0, nsenders, opt.port);
		connect_all(nsenders, nconns - nsenders, opt.port2);
	} else if (strcmp(mode, "fanout") == 0)
		connect_all(0, nconns, opt.port);
	else
		usage();
	wait_ready(nconns, 300);
	settle(1500);	/* presence notices, history, remote presence */
	run_load();
	if (opt.pid > 0)
		printf("server_rss_kb=%ld\n", rss_kb(opt.pid));
	return 0;
}
