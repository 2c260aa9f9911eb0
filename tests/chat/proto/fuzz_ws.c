/*
 * fuzz_ws.c — the WebSocket codec on arbitrary bytes, the way a listener
 * uses it: the handshake parser on a growing prefix, then the frame
 * decoder on what follows the request (or on the whole input when the
 * input does not start with "GET"), in chunks whose size the first byte
 * picks.  Invariants are checked against independent code: every text
 * message and close reason must be valid UTF-8 by lib/utf8.c's utf8_decode, every
 * event within the cap, every close code valid, and an encoded answer must
 * decode again.
 */
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "ws.h"
#include "ws_handshake.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_CAP	4096

static const char *fuzz_origins[] = { "http://localhost:8080" };

static void
must(int cond)
{
	if (!cond)
		abort();
}

static int
utf8_ok(const uint8_t *p, size_t n)
{
	uint32_t	cp;
	size_t		i = 0, k;

	while (i < n) {
		if ((k = utf8_decode(p + i, n - i, &cp)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

static void
check_event(const struct ws_event *ev)
{
	uint8_t	out[FUZZ_CAP + WS_MAX_HEADER];

	switch (ev->type) {
	case WS_EV_TEXT:
		must(utf8_ok(ev->data, ev->len));
		/* FALLTHROUGH */
	case WS_EV_BINARY:
		must(ev->len <= FUZZ_CAP);
		must(ws_encode(out, sizeof(out), ev->type == WS_EV_TEXT ?
		    WS_OP_TEXT : WS_OP_BINARY, ev->data, ev->len) ==
		    ev->len + (ev->len < 126 ? 2 : 4));
		break;
	case WS_EV_PING:
		must(ev->len <= WS_MAX_CONTROL);
		must(ws_encode(out, sizeof(out), WS_OP_PONG, ev->data,
		    ev->len) == ev->len + 2);
		break;
	case WS_EV_CLOSE:
		must(ev->code == WS_CLOSE_NO_STATUS ||
		    ws_close_code_valid(ev->code));
		must(ev->len <= WS_MAX_REASON && utf8_ok(ev->data, ev->len));
		must(ws_close_payload(out, ev->code, (const char *)ev->data,
		    ev->len) == (ev->code == WS_CLOSE_NO_STATUS ? 0 :
		    2 + ev->len));
		break;
	case WS_EV_ERROR:
		must(ev->code == WS_CLOSE_PROTOCOL ||
		    ev->code == WS_CLOSE_INVALID_DATA ||
		    ev->code == WS_CLOSE_TOO_BIG);
		break;
	case WS_EV_NONE:
		break;
	}
}

static void
frames(const uint8_t *data, size_t size, size_t step)
{
	struct ws_decoder	 d;
	struct ws_event		 ev;
	size_t			 off = 0, chunk, used;
	const uint8_t		*p;

	ws_decoder_init(&d, FUZZ_CAP);
	ws_decoder_step(&d, WS_IN_HANDSHAKE_DONE);
	while (off < size) {
		chunk = size - off < step ? size - off : step;
		p = data + off;
		off += chunk;
		while (chunk > 0) {
			used = ws_decode(&d, p, chunk, &ev);
			must(used <= chunk && d.msg_cap <= FUZZ_CAP);
			p += used;
			chunk -= used;
			check_event(&ev);
			if (ev.type == WS_EV_NONE)
				break;
			must(used > 0);
		}
	}
	must(d.state == WS_OPEN || d.done);
	ws_decoder_free(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ws_hs_config	 cfg = { fuzz_origins, 1, "/ws", 0 };
	struct ws_handshake	 hs, whole;
	enum ws_hs_status	 st = WS_HS_MORE, st_whole;
	char			 resp[WS_HS_RESPONSE_MAX];
	size_t			 step, i;

	if (size == 0)
		return 0;
	step = (size_t)(data[0] % 7) + 1;
	if (size < 3 || memcmp(data, "GET", 3) != 0) {
		frames(data + 1, size - 1, step);
		return 0;
	}
	ws_handshake_init(&whole);
	st_whole = ws_handshake_parse(&whole, &cfg, data, size);
	ws_handshake_init(&hs);
	for (i = step < size ? step : size; st == WS_HS_MORE; ) {
		st = ws_handshake_parse(&hs, &cfg, data, i);
		if (i == size)
			break;
		i = size - i < step ? size : i + step;
	}
	must(st == st_whole && hs.status == whole.status);
	if (st == WS_HS_MORE)
		return 0;
	must(hs.consumed == whole.consumed && hs.consumed <= size);
	must(ws_handshake_response(&hs, resp, sizeof(resp)) > 0);
	if (st == WS_HS_DONE)
		frames(data + hs.consumed, size - hs.consumed, step);
	return 0;
}
