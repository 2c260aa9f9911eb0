/* ws.c — RFC 6455 framing, server side: decoder, encoder, state machine. */
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "ws.h"
#include "xmalloc.h"

/* ---- state machine ---------------------------------------------------- */

enum ws_state
ws_transition(enum ws_state s, enum ws_input in)
{
	switch (s) {
	case WS_HANDSHAKE:
		return in == WS_IN_HANDSHAKE_DONE ? WS_OPEN : WS_CLOSED;
	case WS_OPEN:
		switch (in) {
		case WS_IN_CLOSE_RECEIVED:
		case WS_IN_CLOSE_SENT:
			return WS_CLOSING;
		case WS_IN_FAILED:
		case WS_IN_EOF:
			return WS_CLOSED;
		default:
			return WS_OPEN;	/* a second handshake input: ignored */
		}
	case WS_CLOSING:
		switch (in) {
		case WS_IN_CLOSE_RECEIVED:
		case WS_IN_CLOSE_SENT:
		case WS_IN_FAILED:
		case WS_IN_EOF:
			return WS_CLOSED;
		default:
			return WS_CLOSING;
		}
	case WS_CLOSED:
		break;
	}
	return WS_CLOSED;
}

const char *
ws_state_name(enum ws_state s)
{
	switch (s) {
	case WS_HANDSHAKE:	return "handshake";
	case WS_OPEN:		return "open";
	case WS_CLOSING:	return "closing";
	case WS_CLOSED:		return "closed";
	}
	return "?";
}

/* ---- decoder ------------------------------------------------------------ */

void
ws_decoder_init(struct ws_decoder *d, size_t max_message)
{
	memset(d, 0, sizeof(*d));
	d->state = WS_HANDSHAKE;
	d->max_message = max_message;
	d->hdr_need = 2;
}

void
ws_decoder_free(struct ws_decoder *d)
{
	free(d->msg);
	d->msg = NULL;
	d->msg_len = d->msg_cap = 0;
}

void
ws_decoder_trim(struct ws_decoder *d)
{
	if (d->msg_opcode == 0)
		ws_decoder_free(d);
}

enum ws_state
ws_decoder_step(struct ws_decoder *d, enum ws_input in)
{
	d->state = ws_transition(d->state, in);
	return d->state;
}

/* Fail the connection with close code `code`; returns -1. */
static int
ws_fail(struct ws_decoder *d, struct ws_event *ev, uint16_t code,
    const char *why)
{
	ev->type = WS_EV_ERROR;
	ev->code = code;
	ev->why = why;
	d->done = 1;
	ws_decoder_step(d, WS_IN_FAILED);
	return -1;
}

static int
is_control(uint8_t op)
{
	return (op & 0x8) != 0;
}

/* The first two header bytes: everything that can be refused this early. */
static int
ws_header_start(struct ws_decoder *d, struct ws_event *ev)
{
	uint8_t	b0 = d->hdr[0], b1 = d->hdr[1], len7 = b1 & 0x7f;

	d->fin = b0 >> 7;
	d->opcode = b0 & 0x0f;
	if (b0 & 0x70)
		return ws_fail(d, ev, WS_CLOSE_PROTOCOL, "reserved bits set");
	switch (d->opcode) {
	case WS_OP_CONT:
		if (d->msg_opcode == 0)
			return ws_fail(d, ev, WS_CLOSE_PROTOCOL,
			    "continuation without a message");
		break;
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		if (d->msg_opcode != 0)
			return ws_fail(d, ev, WS_CLOSE_PROTOCOL,
			    "new message inside a fragmented one");
		break;
	case WS_OP_CLOSE:
	case WS_OP_PING:
	case WS_OP_PONG:
		if (!d->fin)
			return ws_fail(d, ev, WS_CLOSE_PROTOCOL,
			    "fragmented control frame");
		if (len7 > WS_MAX_CONTROL)
			return ws_fail(d, ev, WS_CLOSE_PROTOCOL,
			    "control frame above 125 bytes");
		break;
	default:
		return ws_fail(d, ev, WS_CLOSE_PROTOCOL, "unknown opcode");
	}
	if ((b1 & 0x80) == 0)
		return ws_fail(d, ev, WS_CLOSE_PROTOCOL, "unmasked frame");
	d->hdr_need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4;
	return 0;
}

/* The whole header is in: the length, the mask, and the message it opens. */
static int
ws_header_end(struct ws_decoder *d, struct ws_event *ev)
{
	uint8_t		 len7 = d->hdr[1] & 0x7f;
	const uint8_t	*p = d->hdr + 2;
	uint64_t	 n = len7;
	int		 i;

	if (len7 == 126) {
		n = (uint64_t)p[0] << 8 | p[1];
		p += 2;
		if (n < 126)
			return ws_fail(d, ev, WS_CLOSE_PROTOCOL,
			    "length not minimal");
	} else if (len7 == 127) {
		if (p[0] & 0x80)
			return ws_fail(d, ev, WS_CLOSE_PROTOCOL,
			    "64-bit length with the top bit set");
		for (n = 0, i = 0; i < 8; i++)
			n = n << 8 | p[i];
		p += 8;
		if (n <= 0xffff)
			return ws_fail(d, ev, WS_CLOSE_PROTOCOL,
			    "length not minimal");
	}
	memcpy(d->mask, p, 4);
	d->mask_pos = 0;
	d->remaining = n;
	d->ctl_len = 0;
	if (!is_control(d->opcode)) {
		if (d->opcode != WS_OP_CONT) {
			d->msg_opcode = d->opcode;
			d->msg_len = 0;
			memset(&d->utf8, 0, sizeof(d->utf8));
		}
		if (n > d->max_message - d->msg_len)
			return ws_fail(d, ev, WS_CLOSE_TOO_BIG,
			    "message above the limit");
	}
	d->in_payload = 1;
	return 0;
}

static size_t
ws_header_bytes(struct ws_decoder *d, const uint8_t *buf, size_t len,
    struct ws_event *ev)
{
	size_t	off = 0;

	while (off < len && d->hdr_len < d->hdr_need) {
		d->hdr[d->hdr_len++] = buf[off++];
		if (d->hdr_len == 2 && ws_header_start(d, ev) == -1)
			return off;
		if (d->hdr_len == d->hdr_need) {
			ws_header_end(d, ev);
			return off;
		}
	}
	return off;
}

static void
ws_msg_reserve(struct ws_decoder *d, size_t more)
{
	size_t	want = d->msg_len + more, cap;

	if (want <= d->msg_cap)
		return;
	cap = d->msg_cap ? d->msg_cap : 256;
	while (cap < want)
		cap *= 2;
	if (cap > d->max_message)
		cap = d->max_message;	/* want <= max_message already */
	d->msg = xrealloc(d->msg, cap);
	d->msg_cap = cap;
}

static void
ws_unmask(struct ws_decoder *d, uint8_t *dst, const uint8_t *src, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		dst[i] = src[i] ^ d->mask[d->mask_pos];
		d->mask_pos = (d->mask_pos + 1) & 3;
	}
}

static size_t
ws_payload_bytes(struct ws_decoder *d, const uint8_t *buf, size_t len,
    struct ws_event *ev)
{
	size_t	n = len;
	uint8_t	*dst;

	if (n > d->remaining)
		n = (size_t)d->remaining;
	if (is_control(d->opcode)) {
		ws_unmask(d, d->ctl + d->ctl_len, buf, n);
		d->ctl_len += (uint8_t)n;
	} else {
		ws_msg_reserve(d, n);
		dst = d->msg + d->msg_len;
		ws_unmask(d, dst, buf, n);
		d->msg_len += n;
		if (d->msg_opcode == WS_OP_TEXT &&
		    utf8_stream_feed(&d->utf8, dst, n) == -1) {
			ws_fail(d, ev, WS_CLOSE_INVALID_DATA,
			    "text is not UTF-8");
			return n;
		}
	}
	d->remaining -= n;
	return n;
}

int
ws_close_code_valid(uint16_t code)
{
	if (code >= 1000 && code <= 1003)
		return 1;
	if (code >= 1007 && code <= 1014)	/* 1012-1014: IANA registry */
		return 1;
	return code >= 3000 && code <= 4999;
}

static void
ws_close_received(struct ws_decoder *d, struct ws_event *ev)
{
	struct utf8_stream	u = { 0 };

	if (d->ctl_len == 1) {
		ws_fail(d, ev, WS_CLOSE_PROTOCOL, "close of one byte");
		return;
	}
	ev->code = WS_CLOSE_NO_STATUS;
	if (d->ctl_len >= 2) {
		ev->code = (uint16_t)(d->ctl[0] << 8 | d->ctl[1]);
		if (!ws_close_code_valid(ev->code)) {
			ws_fail(d, ev, WS_CLOSE_PROTOCOL, "invalid close code");
			return;
		}
		ev->data = d->ctl + 2;
		ev->len = d->ctl_len - 2;
		if (utf8_stream_feed(&u, ev->data, ev->len) == -1 || u.need != 0) {
			ws_fail(d, ev, WS_CLOSE_INVALID_DATA,
			    "close reason is not UTF-8");
			return;
		}
	} else {
		ev->data = d->ctl;
		ev->len = 0;
	}
	ev->type = WS_EV_CLOSE;
	d->done = 1;
	ws_decoder_step(d, WS_IN_CLOSE_RECEIVED);
}

static void
ws_frame_end(struct ws_decoder *d, struct ws_event *ev)
{
	d->in_payload = 0;
	d->hdr_len = 0;
	d->hdr_need = 2;
	switch (d->opcode) {
	case WS_OP_PING:
		ev->type = WS_EV_PING;
		ev->data = d->ctl;
		ev->len = d->ctl_len;
		return;
	case WS_OP_PONG:
		return;		/* unsolicited or not: nothing to do */
	case WS_OP_CLOSE:
		ws_close_received(d, ev);
		return;
	}
	if (!d->fin)
		return;
	if (d->msg_opcode == WS_OP_TEXT && d->utf8.need != 0) {
		ws_fail(d, ev, WS_CLOSE_INVALID_DATA,
		    "text ends inside a character");
		return;
	}
	ev->type = d->msg_opcode == WS_OP_TEXT ? WS_EV_TEXT : WS_EV_BINARY;
	ev->data = d->msg != NULL ? d->msg : d->ctl;
	ev->len = d->msg_len;
	d->msg_opcode = 0;
	d->delivered = 1;
}

size_t
ws_decode(struct ws_decoder *d, const uint8_t *buf, size_t len,
    struct ws_event *ev)
{
	size_t	off = 0;

	memset(ev, 0, sizeof(*ev));
	ev->type = WS_EV_NONE;
	if (d->state == WS_HANDSHAKE) {
		ev->type = WS_EV_ERROR;
		ev->code = WS_CLOSE_INTERNAL;
		ev->why = "handshake not done";
		return 0;
	}
	if (d->done || d->state == WS_CLOSED)
		return len;
	if (d->delivered) {
		d->delivered = 0;
		d->msg_len = 0;
		if (d->msg_cap > WS_KEEP_BUFFER)
			ws_decoder_free(d);
	}
	while (off < len) {
		if (!d->in_payload)
			off += ws_header_bytes(d, buf + off, len - off, ev);
		else
			off += ws_payload_bytes(d, buf + off, len - off, ev);
		if (ev->type == WS_EV_ERROR)
			return off;
		if (d->in_payload && d->remaining == 0) {
			ws_frame_end(d, ev);
			if (ev->type != WS_EV_NONE)
				return off;
		}
	}
	return off;
}

/* ---- encoder ------------------------------------------------------------ */

size_t
ws_frame_header(uint8_t hdr[WS_MAX_HEADER], enum ws_opcode op, int fin,
    uint64_t len)
{
	int	i;

	switch (op) {
	case WS_OP_CONT:
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		break;
	case WS_OP_CLOSE:
	case WS_OP_PING:
	case WS_OP_PONG:
		if (!fin || len > WS_MAX_CONTROL)
			return 0;
		break;
	default:
		return 0;
	}
	hdr[0] = (uint8_t)((fin ? 0x80 : 0) | op);
	if (len < 126) {
		hdr[1] = (uint8_t)len;
		return 2;
	}
	if (len <= 0xffff) {
		hdr[1] = 126;
		hdr[2] = (uint8_t)(len >> 8);
		hdr[3] = (uint8_t)len;
		return 4;
	}
	hdr[1] = 127;
	for (i = 0; i < 8; i++)
		hdr[2 + i] = (uint8_t)(len >> (56 - 8 * i));
	return 10;
}

size_t
ws_encode(uint8_t *out, size_t cap, enum ws_opcode op, const void *payload,
    size_t len)
{
	uint8_t	hdr[WS_MAX_HEADER];
	size_t	h;

	if ((h = ws_frame_header(hdr, op, 1, len)) == 0 || len > SIZE_MAX - h)
		return 0;
	if (h + len > cap)
		return h + len;
	memcpy(out, hdr, h);
	if (len > 0)
		memcpy(out + h, payload, len);
	return h + len;
}

size_t
ws_close_payload(uint8_t out[WS_MAX_CONTROL], uint16_t code,
    const char *reason, size_t reason_len)
{
	const uint8_t	*r = (const uint8_t *)reason;
	size_t		 n = reason_len;

	if (code == WS_CLOSE_NO_STATUS)
		return 0;
	out[0] = (uint8_t)(code >> 8);
	out[1] = (uint8_t)code;
	if (r == NULL)
		return 2;
	if (n > WS_MAX_REASON) {
		n = WS_MAX_REASON;
		while (n > 0 && (r[n] & 0xc0) == 0x80)
			n--;	/* do not cut a character in two */
	}
	memcpy(out + 2, r, n);
	return 2 + n;
}
