/*
 * conn.c — client connections on raw libevent events and evbuffers.
 *
 * Output is appended to each client's evbuffer and written by one flush
 * pass after the burst of input that produced it (a low-priority event):
 * one write per client per burst, and EV_WRITE is armed only when the
 * kernel buffer is full.  (bufferevents add and delete the write event
 * around every burst: two epoll_ctl calls per client per message burst.)
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "clock.h"
#include "conn.h"
#include "frame.h"
#include "ipcap.h"
#include "line.h"
#include "log.h"
#include "metrics.h"
#include "settings.h"
#include "vocab.h"
#include "wire.h"
#include "ws.h"
#include "ws_handshake.h"
#include "xmalloc.h"

#define CONN_CLOSING_MAX_MS	5000	/* to flush a goodbye */
#define CONN_READ_MAX		65536	/* bytes read per wake-up */

static struct event_base	*conn_base;
static struct conn_handlers	 conn_hub;	/* where input goes (the hub) */
static struct conn_list		 conn_all = TAILQ_HEAD_INITIALIZER(conn_all);
static struct conn_list		 conn_reapq = TAILQ_HEAD_INITIALIZER(conn_reapq);
static struct conn_list		 conn_dirtyq = TAILQ_HEAD_INITIALIZER(conn_dirtyq);
static struct event		*conn_reaper, *conn_sweeper, *conn_flusher;
static uint64_t			 conn_next_id = 1;
static size_t			 conn_n;

static struct gauge		*m_conns;
static struct counter		*m_accepted, *m_rejected_ip, *m_rejected_max;
static struct counter		*m_slow, *m_timeouts, *m_bad_input;
static struct counter		*m_deliveries;
static struct counter		*m_ws_ok, *m_ws_refused;

/* A WebSocket connection's codec state (docs/websocket.md). */
struct conn_ws {
	struct ws_handshake	 hs;
	struct ws_decoder	 dec;
	uint8_t			 close_sent;	/* our close frame is queued */
	uint8_t			 shut;		/* shutdown(SHUT_WR) done */
};

static struct ws_hs_config	 conn_ws_cfg;
static int			 conn_going_away;	/* draining: 1001 */

static void	conn_process(struct conn *);
static void	conn_flush(struct conn *);

/* ---- rendering and output ---- */

static void
out_render_frame(struct out *o, struct wbuf *b, int ext)
{
	wire_begin(b, o->type);
	if (o->content != NULL)
		wire_str(b, VOCAB_F_CONTENT, o->content);
	if (!ext)
		goto done;
	if (o->room != NULL)
		wire_str(b, VOCAB_F_ROOM, o->room);
	if (o->from != NULL)
		wire_str(b, VOCAB_F_FROM, o->from);
	if (o->ts != 0)
		wire_int(b, VOCAB_F_TS, o->ts);
	if (o->private_msg)
		wire_bool(b, VOCAB_F_PRIVATE, 1);
	if (o->history)
		wire_bool(b, VOCAB_F_HISTORY, 1);
	if (o->origin != NULL && o->seq != 0) {
		/* The same for a message live and replayed: a page that
		 * reconnects drops what it has shown already. */
		char id[96];

		snprintf(id, sizeof(id), "%s-%llu", o->origin,
		    (unsigned long long)o->seq);
		wire_str(b, VOCAB_F_ID, id);
	}
	if (o->nfeatures > 0)
		wire_strv(b, VOCAB_F_FEATURES, o->features, o->nfeatures);
done:
	wire_end(b);
}

const uint8_t *
conn_render(struct conn *c, struct out *o, size_t *len)
{
	if (c->mode == CONN_TEXT) {
		if (o->line == NULL) {
			o->linelen = strlen(o->content);
			o->line = xmalloc(o->linelen + 2);
			memcpy(o->line, o->content, o->linelen);
			o->line[o->linelen++] = '\n';
			o->line[o->linelen] = '\0';
		}
		*len = o->linelen;
		return (const uint8_t *)o->line;
	}
	if (c->features & WIRE_FEAT_META ||
	    (c->features != 0 && o->nfeatures > 0)) {
		if (o->meta.len == 0)
			out_render_frame(o, &o->meta, 1);
		*len = o->meta.len;
		return o->meta.p;
	}
	if (o->lab.len == 0)
		out_render_frame(o, &o->lab, 0);
	*len = o->lab.len;
	return o->lab.p;
}

void
out_free(struct out *o)
{
	wbuf_free(&o->lab);
	wbuf_free(&o->meta);
	free(o->ws[0].p);
	free(o->ws[1].p);
	o->ws[0].p = o->ws[1].p = NULL;
	o->ws[0].len = o->ws[1].len = 0;
	free(o->line);
	o->line = NULL;
}

static int
conn_writable(struct conn *c)
{
	return c != NULL && c->state != CONN_DEAD && c->out != NULL;
}

/* Queue hdr (may be empty) and data as they are, then judge the queue. */
static void
conn_queue(struct conn *c, const void *hdr, size_t hlen, const void *data,
    size_t len)
{
	struct evbuffer *out;

	if (!conn_writable(c))
		return;
	out = c->out;
	if ((hlen > 0 && evbuffer_add(out, hdr, hlen) == -1) ||
	    (len > 0 && evbuffer_add(out, data, len) == -1)) {
		conn_close(c, "out of memory");
		return;
	}
	counter_add(m_deliveries, 1);
	if (!c->is_dirty) {
		c->is_dirty = 1;
		TAILQ_INSERT_TAIL(&conn_dirtyq, c, dirty);
		event_active(conn_flusher, EV_TIMEOUT, 0);
	}
	/*
	 * A slow reader never holds up the others: it is dropped.  Before
	 * judging, write what the kernel takes now (a burst of input may
	 * have queued more than the cap before the flush pass).
	 */
	if (settings.sendq_max != 0 &&
	    evbuffer_get_length(out) > settings.sendq_max &&
	    !event_pending(&c->wev, EV_WRITE, NULL))
		conn_flush(c);
	if (settings.sendq_max != 0 && c->out != NULL &&
	    c->state != CONN_DEAD &&
	    evbuffer_get_length(out) > settings.sendq_max) {
		counter_add(m_slow, 1);
		conn_close(c, "slow consumer");
	}
}

/*
 * A WebSocket gets each lab frame of data[0..len) as one text message:
 * the WebSocket header replaces the 4-byte length.  Nothing is sent
 * before the handshake is done or after our close frame.
 */
static void
conn_ws_write(struct conn *c, const uint8_t *p, size_t len)
{
	uint8_t		hdr[WS_MAX_HEADER];
	size_t		plen, hlen;

	if (c->ws->close_sent || c->ws->dec.state == WS_HANDSHAKE)
		return;
	while (len >= FRAME_HEADER_LEN && conn_writable(c)) {
		plen = (size_t)p[0] << 24 | (size_t)p[1] << 16 |
		    (size_t)p[2] << 8 | p[3];
		if (plen > len - FRAME_HEADER_LEN)
			break;
		hlen = ws_frame_header(hdr, WS_OP_TEXT, 1, plen);
		conn_queue(c, hdr, hlen, p + FRAME_HEADER_LEN, plen);
		p += FRAME_HEADER_LEN + plen;
		len -= FRAME_HEADER_LEN + plen;
	}
}

void
conn_write(struct conn *c, const void *data, size_t len)
{
	if (!conn_writable(c))
		return;
	if (c->mode == CONN_WS)
		conn_ws_write(c, data, len);
	else
		conn_queue(c, NULL, 0, data, len);
}

/* A control frame (ping, pong, close) of a WebSocket. */
static void
conn_ws_control(struct conn *c, enum ws_opcode op, const void *payload,
    size_t len)
{
	uint8_t	buf[WS_MAX_HEADER + WS_MAX_CONTROL];
	size_t	n;

	if (c->ws->close_sent)
		return;
	if ((n = ws_encode(buf, sizeof(buf), op, payload, len)) == 0 ||
	    n > sizeof(buf))
		return;
	conn_queue(c, NULL, 0, buf, n);
}

/* Our close frame, once; after it only the peer's close is awaited. */
static void
conn_ws_close_frame(struct conn *c, uint16_t code, const char *reason)
{
	uint8_t	pl[WS_MAX_CONTROL];
	size_t	n;

	if (c->ws->close_sent || c->ws->dec.state == WS_HANDSHAKE)
		return;
	n = ws_close_payload(pl, code, reason,
	    reason != NULL ? strlen(reason) : 0);
	conn_ws_control(c, WS_OP_CLOSE, pl, n);
	c->ws->close_sent = 1;
	ws_decoder_step(&c->ws->dec, WS_IN_CLOSE_SENT);
}

/*
 * o to a WebSocket: its lab frame (one of o's renderings) as one text
 * frame, made once per out and rendering like the renderings themselves,
 * so a room's WebSockets cost one evbuffer_add each, as framed clients do.
 */
static void
conn_ws_send(struct conn *c, struct out *o, const uint8_t *frame, size_t len)
{
	struct ws_text	*t = &o->ws[frame == o->meta.p];
	uint8_t		 hdr[WS_MAX_HEADER];
	size_t		 hlen, plen;

	if (c->ws->close_sent || c->ws->dec.state == WS_HANDSHAKE ||
	    len < FRAME_HEADER_LEN)
		return;
	if (t->p == NULL) {
		plen = len - FRAME_HEADER_LEN;
		hlen = ws_frame_header(hdr, WS_OP_TEXT, 1, plen);
		t->p = xmalloc(hlen + plen);
		memcpy(t->p, hdr, hlen);
		memcpy(t->p + hlen, frame + FRAME_HEADER_LEN, plen);
		t->len = hlen + plen;
	}
	conn_queue(c, NULL, 0, t->p, t->len);
}

void
conn_send(struct conn *c, struct out *o)
{
	const uint8_t	*p;
	size_t		 len;

	if (!conn_writable(c))
		return;
	p = conn_render(c, o, &len);
	if (c->mode == CONN_WS)
		conn_ws_send(c, o, p, len);
	else
		conn_write(c, p, len);
}

void
conn_notice(struct conn *c, const char *content)
{
	struct out o = { .type = VOCAB_CHAT, .content = content };

	conn_send(c, &o);
	out_free(&o);
}

void
conn_error(struct conn *c, const char *code, const char *text)
{
	struct wbuf	 b = { 0 };
	char		*line;

	if (c->mode != CONN_TEXT && (c->features & WIRE_FEAT_ERROR)) {
		wire_begin(&b, VOCAB_ERROR);
		wire_str(&b, VOCAB_F_CODE, code);
		wire_str(&b, VOCAB_F_CONTENT, text);
		wire_end(&b);
		conn_write(c, b.p, b.len);
		wbuf_free(&b);
		return;
	}
	line = xasprintf("SERVER: %s", text);
	conn_notice(c, line);
	free(line);
}

void
conn_errorf(struct conn *c, const char *code, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		fatalx("%s: vasprintf", __func__);
	va_end(ap);
	conn_error(c, code, text);
	free(text);
}

static void
conn_ping(struct conn *c)
{
	struct wbuf b = { 0 };

	if (c->mode == CONN_WS) {	/* liveness by WebSocket ping */
		conn_ws_control(c, WS_OP_PING, NULL, 0);
		return;
	}
	wire_begin(&b, VOCAB_PING);
	wire_end(&b);
	conn_write(c, b.p, b.len);
	wbuf_free(&b);
}

/* ---- state ---- */

int
conn_alive(struct conn *c)
{
	return c != NULL && c->state != CONN_DEAD && c->state != CONN_CLOSING;
}

static void
conn_reading(struct conn *c, int on)
{
	if (c->in == NULL || c->reading == on)
		return;
	c->reading = (uint8_t)on;
	if (on)
		event_add(&c->rev, NULL);
	else
		event_del(&c->rev);
}

#define CONN_TO(s)	(1u << (s))
#define CONN_ENDS	(CONN_TO(CONN_CLOSING) | CONN_TO(CONN_DEAD))

/* Where each state may go (conn.h has the picture). */
static const uint8_t conn_next[] = {
	[CONN_DETECT] = CONN_TO(CONN_OPEN) | CONN_ENDS,
	[CONN_OPEN] = CONN_ENDS,
	[CONN_CLOSING] = CONN_TO(CONN_DEAD),
	[CONN_DEAD] = 0,
};

static const char *const conn_state_names[] = {
	"DETECT", "OPEN", "CLOSING", "DEAD",
};

/* Every state change goes through here (memcached's conn_set_state). */
static void
conn_set_state(struct conn *c, enum conn_state state)
{
	if (c->state == CONN_DEAD)
		return;		/* late callbacks of a closed conn */
	if ((conn_next[c->state] & CONN_TO(state)) == 0) {
		log_warnx("%s: refused id=%llu from=%s to=%s", __func__,
		    (unsigned long long)c->id, conn_state_names[c->state],
		    conn_state_names[state]);
		return;
	}
	c->state = state;
	if (state == CONN_CLOSING || state == CONN_DEAD)
		conn_reading(c, 0);
}

void
conn_pause(struct conn *c)
{
	if (!conn_alive(c))
		return;
	c->paused = 1;
	conn_reading(c, 0);
}

void
conn_resume(struct conn *c)
{
	if (!conn_alive(c))
		return;
	c->paused = 0;
	conn_reading(c, 1);
	conn_process(c);
}

void
conn_logged_in(struct conn *c)
{
	if (c != NULL)
		c->logged_in = 1;
}

void
conn_close(struct conn *c, const char *reason)
{
	if (c->state == CONN_DEAD)
		return;
	log_debug("chat connection closed id=%llu reason=\"%s\"",
	    (unsigned long long)c->id, reason);
	conn_set_state(c, CONN_DEAD);
	event_del(&c->wev);
	TAILQ_INSERT_TAIL(&conn_reapq, c, reap);
	event_active(conn_reaper, EV_TIMEOUT, 0);
}

static void	conn_closing(struct conn *);

void
conn_finish(struct conn *c)
{
	if (!conn_alive(c))
		return;
	if (c->mode == CONN_WS)
		conn_ws_close_frame(c, conn_going_away ? WS_CLOSE_GOING_AWAY :
		    WS_CLOSE_NORMAL, conn_going_away ? "server shutting down" :
		    NULL);
	conn_closing(c);
}

void
conn_revoke(struct conn *c, const char *reason)
{
	if (!conn_alive(c))
		return;
	conn_error(c, "auth", reason);
	if (c->mode == CONN_WS)
		conn_ws_close_frame(c, WS_CLOSE_POLICY, reason);
	conn_closing(c);
}

static void
conn_closing(struct conn *c)
{
	conn_set_state(c, CONN_CLOSING);
	c->closing_ms = clock_now_ms();
	/* A WebSocket reads on until the peer's close and its EOF. */
	if (c->mode == CONN_WS)
		conn_reading(c, 1);
	/* conn_flush closes it once the goodbye is out. */
	if (!c->is_dirty)
		conn_flush(c);
}

static void
conn_reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c;

	(void)fd;
	(void)what;
	(void)arg;
	/* gone() may close more conns (slow consumers): loop until empty. */
	while ((c = TAILQ_FIRST(&conn_reapq)) != NULL) {
		TAILQ_REMOVE(&conn_reapq, c, reap);
		if (c->is_dirty) {
			TAILQ_REMOVE(&conn_dirtyq, c, dirty);
			c->is_dirty = 0;
		}
		conn_hub.gone(c);
		TAILQ_REMOVE(&conn_all, c, all);
		conn_n--;
		gauge_set(m_conns, (int64_t)conn_n);
		ipcap_put(c->ip);
		if (c->ws != NULL) {
			ws_decoder_free(&c->ws->dec);
			free(c->ws);
		}
		close(c->fd);
		evbuffer_free(c->in);
		evbuffer_free(c->out);
		free(c);
	}
}

/* ---- input ---- */

static void
conn_frame_message(struct conn *c, const uint8_t *payload, size_t len)
{
	struct wire_msg	 m;
	const char	*code;
	char		 err[128];

	if (wire_decode(payload, len, &m, &code, err, sizeof(err)) == -1) {
		counter_add(m_bad_input, 1);
		conn_error(c, code, err);
		return;
	}
	switch (m.type) {
	case WIRE_HELLO:
		if (m.ticket != NULL || m.token != NULL)
			conn_hub.auth(c, &m);
		else
			conn_hub.hello(c, m.name, m.name_len, m.features);
		break;
	case WIRE_CHAT:
		conn_hub.chat(c, m.content, m.content_len);
		break;
	case WIRE_QUIT:
		conn_hub.quit(c);
		break;
	case WIRE_PING:
		if (c->features & WIRE_FEAT_PING) {
			struct wbuf b = { 0 };

			wire_begin(&b, VOCAB_PONG);
			wire_end(&b);
			conn_write(c, b.p, b.len);
			wbuf_free(&b);
		}
		break;
	case WIRE_PONG:
		break;
	}
	wire_msg_free(&m);
}

/* One frame from in; 0 when more bytes are needed (or the conn closed). */
static int
conn_frame(struct conn *c, struct evbuffer *in)
{
	const uint8_t		*p, *payload;
	size_t			 len = evbuffer_get_length(in), plen, used;
	enum frame_status	 st;

	if (len < FRAME_HEADER_LEN)
		return 0;
	p = evbuffer_pullup(in, FRAME_HEADER_LEN);
	st = frame_parse(p, FRAME_HEADER_LEN, settings.frame_max, &payload,
	    &plen, &used);
	if (st == FRAME_EMPTY) {
		evbuffer_drain(in, used);
		counter_add(m_bad_input, 1);
		conn_error(c, "bad_frame", "empty frame ignored");
		return 1;
	}
	if (st == FRAME_TOO_LARGE) {
		/* The stream cannot be resynchronised: say why and close. */
		counter_add(m_bad_input, 1);
		conn_errorf(c, "too_long", "frame of %zu bytes is over the "
		    "limit of %zu; closing", plen, settings.frame_max);
		evbuffer_drain(in, len);
		conn_finish(c);
		return 0;
	}
	if (len < FRAME_HEADER_LEN + plen)
		return 0;
	p = evbuffer_pullup(in, (ssize_t)(FRAME_HEADER_LEN + plen));
	if (frame_parse(p, FRAME_HEADER_LEN + plen, settings.frame_max,
	    &payload, &plen, &used) != FRAME_OK)
		return 0;
	conn_frame_message(c, payload, plen);
	evbuffer_drain(in, used);
	return 1;
}

/* One line from in; 0 when more bytes are needed (or the conn closed). */
static int
conn_line(struct conn *c, struct evbuffer *in)
{
	size_t			 len = evbuffer_get_length(in), scan, n, used;
	const uint8_t		*p;
	enum line_status	 st;
	int			 done;

	if (c->skipping) {
		p = evbuffer_pullup(in, -1);
		used = line_skip(p, len, &done);
		evbuffer_drain(in, used);
		c->skipping = !done;
		return done;
	}
	scan = len < settings.frame_max + 2 ? len : settings.frame_max + 2;
	p = evbuffer_pullup(in, (ssize_t)scan);
	st = line_next(p, scan, settings.frame_max, &n, &used);
	if (st == LINE_INCOMPLETE)
		return 0;
	if (st == LINE_TOO_LONG) {
		counter_add(m_bad_input, 1);
		conn_errorf(c, "too_long", "line over %zu bytes ignored",
		    settings.frame_max);
		c->skipping = p[used - 1] != '\n';
		evbuffer_drain(in, used);
		return 1;
	}
	conn_hub.line(c, (const char *)p, n);
	evbuffer_drain(in, used);
	return 1;
}

/* The opening handshake, from CONN_DETECT: 1 when input may follow. */
static int
conn_ws_handshake(struct conn *c, struct evbuffer *in)
{
	struct conn_ws	*w = c->ws;
	char		 resp[WS_HS_RESPONSE_MAX];
	size_t		 len = evbuffer_get_length(in), n;
	const uint8_t	*p;

	/* The parser refuses a head above the limit: no more needed. */
	n = len < WS_HS_MAX_HEADER + 4 ? len : WS_HS_MAX_HEADER + 4;
	p = evbuffer_pullup(in, (ssize_t)n);
	switch (ws_handshake_parse(&w->hs, &conn_ws_cfg, p, n)) {
	case WS_HS_MORE:
		return 0;
	case WS_HS_DONE:
		n = ws_handshake_response(&w->hs, resp, sizeof(resp));
		conn_queue(c, NULL, 0, resp, n);
		evbuffer_drain(in, w->hs.consumed);
		ws_decoder_step(&w->dec, WS_IN_HANDSHAKE_DONE);
		counter_add(m_ws_ok, 1);
		conn_set_state(c, CONN_OPEN);
		return 1;
	case WS_HS_FAIL:
		n = ws_handshake_response(&w->hs, resp, sizeof(resp));
		conn_queue(c, NULL, 0, resp, n);
		ws_decoder_step(&w->dec, WS_IN_HANDSHAKE_FAILED);
		counter_add(m_ws_refused, 1);
		log_debug("chat websocket refused id=%llu status=%d why=\"%s\"",
		    (unsigned long long)c->id, w->hs.status, w->hs.why);
		evbuffer_drain(in, len);
		conn_finish(c);
		return 0;
	}
	return 0;
}

/* One decoded event of an open connection: 1 when input may follow. */
static int
conn_ws_event(struct conn *c, const struct ws_event *ev, int more)
{
	switch (ev->type) {
	case WS_EV_NONE:
		return more;
	case WS_EV_TEXT:
		if (c->state == CONN_OPEN)
			conn_frame_message(c, ev->data, ev->len);
		return 1;
	case WS_EV_BINARY:
		counter_add(m_bad_input, 1);
		conn_ws_close_frame(c, 1003, "text messages only");
		conn_finish(c);
		return 0;
	case WS_EV_PING:
		if (c->state == CONN_OPEN)
			conn_ws_control(c, WS_OP_PONG, ev->data, ev->len);
		return 1;
	case WS_EV_CLOSE:
		conn_ws_close_frame(c, ev->code, NULL);	/* the echo */
		conn_finish(c);
		return 0;
	case WS_EV_ERROR:
		counter_add(m_bad_input, 1);
		log_debug("chat websocket failed id=%llu code=%u why=\"%s\"",
		    (unsigned long long)c->id, ev->code, ev->why);
		conn_ws_close_frame(c, ev->code, ev->why);
		conn_finish(c);
		return 0;
	}
	return 0;
}

/*
 * WebSocket input: the opening handshake (state DETECT), then one event
 * of the decoder per call.  1 when there may be more to do.
 */
static int
conn_ws_input(struct conn *c, struct evbuffer *in)
{
	struct conn_ws	*w = c->ws;
	struct ws_event	 ev;
	const uint8_t	*p;
	size_t		 n, used;

	if (c->state == CONN_DETECT)
		return conn_ws_handshake(c, in);
	/* Closing with nothing more to decode: discard (drain for the EOF). */
	if (c->state == CONN_CLOSING && (w->dec.done ||
	    w->dec.state == WS_HANDSHAKE || w->dec.state == WS_CLOSED)) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return 0;
	}
	n = evbuffer_get_contiguous_space(in);
	p = evbuffer_pullup(in, (ssize_t)n);
	used = ws_decode(&w->dec, p, n, &ev);
	evbuffer_drain(in, used);
	return conn_ws_event(c, &ev, evbuffer_get_length(in) > 0);
}

static int
conn_takes_input(struct conn *c)
{
	if (c->mode == CONN_WS && c->state == CONN_CLOSING)
		return 1;
	return (c->state == CONN_DETECT || c->state == CONN_OPEN) &&
	    !c->paused;
}

static void
conn_process(struct conn *c)
{
	struct evbuffer	*in;
	const uint8_t	*p;

	/* Re-entered from hub callbacks that resume input: the outer call goes on. */
	if (c->in_process || c->in == NULL)
		return;
	c->in_process = 1;
	in = c->in;
	while (conn_takes_input(c) && evbuffer_get_length(in) > 0) {
		if (c->mode == CONN_WS) {
			if (conn_ws_input(c, in) == 0)
				break;
			continue;
		}
		if (c->state == CONN_DETECT) {
			p = evbuffer_pullup(in, 1);
			c->mode = p[0] == 0x00 ? CONN_FRAMED : CONN_TEXT;
			conn_set_state(c, CONN_OPEN);
		}
		if ((c->mode == CONN_FRAMED ? conn_frame(c, in) :
		    conn_line(c, in)) == 0)
			break;
	}
	c->in_process = 0;
}

static void
conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	size_t		 total = 0;
	int		 n;

	(void)what;
	while (total < CONN_READ_MAX) {
		n = evbuffer_read(c->in, fd, CONN_READ_MAX);
		if (n == 0) {
			conn_close(c, "end of stream");
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_close(c, "socket error");
			return;
		}
		total += (size_t)n;
	}
	c->last_rx_ms = clock_now_ms();
	c->ping_sent_ms = 0;
	conn_process(c);
}

/* Write what is queued; arm EV_WRITE only if the socket is full. */
static void
conn_flush(struct conn *c)
{
	int n;

	if (c->state == CONN_DEAD || c->out == NULL)
		return;
	while (evbuffer_get_length(c->out) > 0) {
		n = evbuffer_write(c->out, c->fd);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			conn_close(c, "write error");
			return;
		}
	}
	if (evbuffer_get_length(c->out) > 0)
		event_add(&c->wev, NULL);
	else if (c->state == CONN_CLOSING && c->mode == CONN_WS) {
		/*
		 * Closing a socket with unread input sends a RST that can
		 * overtake our close frame: shut down writing and read on to
		 * the peer's EOF (or the closing timeout).
		 */
		if (!c->ws->shut && shutdown(c->fd, SHUT_WR) == -1) {
			conn_close(c, "shutdown failed");
			return;
		}
		c->ws->shut = 1;
	} else if (c->state == CONN_CLOSING)
		conn_close(c, "goodbye sent");
}

static void
conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_flush(arg);
}

static void
conn_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c;

	(void)fd;
	(void)what;
	(void)arg;
	while ((c = TAILQ_FIRST(&conn_dirtyq)) != NULL) {
		TAILQ_REMOVE(&conn_dirtyq, c, dirty);
		c->is_dirty = 0;
		/* Already waiting for EV_WRITE: the kernel buffer is full. */
		if (!event_pending(&c->wev, EV_WRITE, NULL))
			conn_flush(c);
	}
}

/* ---- timers ---- */

static void
conn_timeout(struct conn *c, const char *why)
{
	counter_add(m_timeouts, 1);
	conn_error(c, "timeout", why);
	conn_finish(c);
}

/* Logged in: PING the quiet ones that know it, drop the idle others. */
static void
conn_check_idle(struct conn *c, uint64_t now)
{
	uint64_t quiet = now - c->last_rx_ms;

	if ((c->features & WIRE_FEAT_PING || c->mode == CONN_WS) &&
	    settings.ping_interval_s != 0) {
		if (c->ping_sent_ms != 0 && now - c->ping_sent_ms >=
		    settings.ping_timeout_s * 1000ull)
			conn_timeout(c, "no answer to PING");
		else if (c->ping_sent_ms == 0 && quiet >=
		    settings.ping_interval_s * 1000ull) {
			c->ping_sent_ms = now;
			conn_ping(c);
		}
	} else if (settings.idle_timeout_s != 0 &&
	    quiet >= settings.idle_timeout_s * 1000ull)
		conn_timeout(c, "idle for too long");
}

static void
conn_check_timers(struct conn *c, uint64_t now)
{
	switch (c->state) {
	case CONN_DETECT:
	case CONN_OPEN:
		/* A quiet WebSocket gives back its reassembly buffer. */
		if (c->mode == CONN_WS && now - c->last_rx_ms >= 1000)
			ws_decoder_trim(&c->ws->dec);
		if (c->logged_in)
			conn_check_idle(c, now);
		else if (settings.login_timeout_s != 0 &&
		    now - c->since_ms >= settings.login_timeout_s * 1000ull)
			conn_timeout(c, "no name given in time");
		break;
	case CONN_CLOSING:
		if (now - c->closing_ms >= CONN_CLOSING_MAX_MS)
			conn_close(c, "goodbye not read in time");
		break;
	default:
		break;
	}
}

static void
conn_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c;
	uint64_t	 now = clock_now_ms();

	(void)fd;
	(void)what;
	(void)arg;
	TAILQ_FOREACH(c, &conn_all, all)
		conn_check_timers(c, now);
}

/* ---- set-up ---- */

static void
conn_socket_options(int fd)
{
	int on = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) == -1)
		log_warn("%s: setsockopt", __func__);
}

static int
conn_accept_mode(int fd, const struct sockaddr *sa, int socklen, int ws)
{
	struct ipcap_slot	*ip;
	struct conn		*c;

	(void)socklen;
	if (settings.max_conn != 0 && conn_n >= settings.max_conn) {
		counter_add(m_rejected_max, 1);
		evutil_closesocket(fd);
		return -1;
	}
	if ((ip = ipcap_take(sa, settings.max_conn_per_ip)) == NULL) {
		counter_add(m_rejected_ip, 1);
		log_debug("chat connection refused reason=per_ip_cap");
		evutil_closesocket(fd);
		return -1;
	}
	conn_socket_options(fd);
	c = xcalloc(1, sizeof(*c));
	c->ip = ip;
	c->id = conn_next_id++;
	c->since_ms = c->last_rx_ms = clock_now_ms();
	c->state = CONN_DETECT;
	if (ws) {
		c->mode = CONN_WS;
		c->ws = xcalloc(1, sizeof(*c->ws));
		ws_handshake_init(&c->ws->hs);
		ws_decoder_init(&c->ws->dec, settings.frame_max);
	}
	c->fd = fd;
	c->in = evbuffer_new();
	c->out = evbuffer_new();
	if (c->in == NULL || c->out == NULL ||
	    event_assign(&c->rev, conn_base, fd, EV_READ | EV_PERSIST,
	    conn_read_cb, c) == -1 ||
	    event_assign(&c->wev, conn_base, fd, EV_WRITE, conn_write_cb,
	    c) == -1)
		fatalx("%s: out of memory", __func__);
	conn_reading(c, 1);
	TAILQ_INSERT_TAIL(&conn_all, c, all);
	conn_n++;
	counter_add(m_accepted, 1);
	gauge_set(m_conns, (int64_t)conn_n);
	return 0;
}

int
conn_accept(int fd, const struct sockaddr *sa, int socklen)
{
	return conn_accept_mode(fd, sa, socklen, 0);
}

int
conn_accept_ws(int fd, const struct sockaddr *sa, int socklen)
{
	return conn_accept_mode(fd, sa, socklen, 1);
}

void
conn_draining(void)
{
	conn_going_away = 1;
}

size_t
conn_count(void)
{
	return conn_n;
}

void
conn_foreach(void (*fn)(struct conn *, void *), void *arg)
{
	struct conn *c, *next;

	for (c = TAILQ_FIRST(&conn_all); c != NULL; c = next) {
		next = TAILQ_NEXT(c, all);
		fn(c, arg);
	}
}

void
conn_init(struct event_base *base, const struct conn_handlers *h)
{
	struct timeval one = { 1, 0 };

	conn_base = base;
	conn_hub = *h;
	conn_ws_cfg.origins = (const char *const *)settings.ws_origins;
	conn_ws_cfg.norigins = settings.ws_norigins;
	conn_ws_cfg.path = "/ws";
	conn_reaper = event_new(base, -1, 0, conn_reap_cb, NULL);
	/* Lowest priority (2; others have 1): runs after the input burst. */
	conn_flusher = event_new(base, -1, 0, conn_flush_cb, NULL);
	event_priority_set(conn_flusher, 2);
	conn_sweeper = event_new(base, -1, EV_PERSIST, conn_sweep_cb, NULL);
	event_add(conn_sweeper, &one);
	m_conns = metrics_gauge("chat_connections", "", "Open connections");
	m_accepted = metrics_counter("chat_connections_accepted_total", "",
	    "Connections accepted");
	m_rejected_ip = metrics_counter("chat_connections_rejected_total",
	    "reason=\"per_ip\"", "Connections refused by a limit");
	m_rejected_max = metrics_counter("chat_connections_rejected_total",
	    "reason=\"max_conn\"", "Connections refused by a limit");
	m_slow = metrics_counter("chat_slow_consumers_total", "",
	    "Clients dropped because their send queue was full");
	m_timeouts = metrics_counter("chat_timeouts_total", "",
	    "Clients dropped for login, idle or ping timeouts");
	m_bad_input = metrics_counter("chat_bad_input_total", "",
	    "Malformed frames, lines or messages");
	m_deliveries = metrics_counter("chat_deliveries_total", "",
	    "Messages queued to clients");
	m_ws_ok = metrics_counter("chat_ws_handshakes_total",
	    "result=\"accepted\"", "WebSocket opening handshakes");
	m_ws_refused = metrics_counter("chat_ws_handshakes_total",
	    "result=\"refused\"", "WebSocket opening handshakes");
}

void
conn_shutdown(void)
{
	struct conn *c;

	/* Whatever is left after the drain is closed without ceremony. */
	TAILQ_FOREACH(c, &conn_all, all)
		conn_close(c, "shutdown");
	conn_reap_cb(-1, 0, NULL);
	event_free(conn_sweeper);
	event_free(conn_flusher);
	event_free(conn_reaper);
}
