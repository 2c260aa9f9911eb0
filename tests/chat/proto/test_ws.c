/*
 * test_ws.c — the WebSocket codec: the examples of RFC 6455 (§1.3 accept
 * key, §5.7 frames), cases modelled on the Autobahn categories (framing,
 * reserved bits, opcodes, fragmentation, UTF-8, ping/pong, close), the
 * encoder, the state machine and the opening handshake.  Every decoder
 * case is fed whole and then one byte at a time, and both transcripts
 * must be the expected one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws.h"
#include "ws_handshake.h"

#include "check.h"

int	main(void);


static const uint8_t rfc_mask[4] = { 0x37, 0xfa, 0x21, 0x3d };

/* ---- building client frames --------------------------------------------- */

struct tbuf {
	uint8_t	p[140000];
	size_t	len;
};

static void
put(struct tbuf *b, const void *s, size_t n)
{
	if (b->len + n > sizeof(b->p)) {
		fprintf(stderr, "test buffer overflow\n");
		exit(2);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/*
 * A client frame: first byte b0 (FIN, RSV, opcode), the payload masked
 * with the RFC's example key.  lenform 0 is the minimal length encoding;
 * 7, 16 or 64 forces that one (to build non-minimal lengths).
 */
static void
cframe_len(struct tbuf *b, uint8_t b0, const void *payload, uint64_t n,
    int lenform)
{
	uint8_t		 h[WS_MAX_HEADER];
	const uint8_t	*s = payload;
	size_t		 hl = 0, i;
	int		 form = lenform;

	if (form == 0)
		form = n < 126 ? 7 : n <= 0xffff ? 16 : 64;
	h[hl++] = b0;
	if (form == 7)
		h[hl++] = 0x80 | (uint8_t)n;
	else if (form == 16) {
		h[hl++] = 0x80 | 126;
		h[hl++] = (uint8_t)(n >> 8);
		h[hl++] = (uint8_t)n;
	} else {
		h[hl++] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			h[hl++] = (uint8_t)(n >> (56 - 8 * i));
	}
	memcpy(h + hl, rfc_mask, 4);
	hl += 4;
	put(b, h, hl);
	for (i = 0; s != NULL && i < n; i++) {
		uint8_t c = s[i] ^ rfc_mask[i & 3];

		put(b, &c, 1);
	}
}

static void
cframe(struct tbuf *b, uint8_t b0, const void *payload, size_t n)
{
	cframe_len(b, b0, payload, n, 0);
}

static void
cstr(struct tbuf *b, uint8_t b0, const char *s)
{
	cframe(b, b0, s, strlen(s));
}

static void
cclose(struct tbuf *b, unsigned code, const char *reason)
{
	uint8_t	p[WS_MAX_CONTROL + 2];
	size_t	n = strlen(reason);

	p[0] = (uint8_t)(code >> 8);
	p[1] = (uint8_t)code;
	memcpy(p + 2, reason, n);
	cframe(b, 0x88, p, n + 2);
}

/* ---- running the decoder ------------------------------------------------ */

static unsigned
sum16(const uint8_t *p, size_t n)
{
	unsigned s = 0;

	while (n-- > 0)
		s = (s * 31 + *p++) & 0xffff;
	return s;
}

static void
record(char *out, size_t cap, const struct ws_event *ev)
{
	size_t	l = strlen(out);

	switch (ev->type) {
	case WS_EV_TEXT:
		if (ev->len <= 64)
			snprintf(out + l, cap - l, "TEXT:%.*s;", (int)ev->len,
			    (const char *)ev->data);
		else
			snprintf(out + l, cap - l, "TEXT#%zu/%04x;", ev->len,
			    sum16(ev->data, ev->len));
		break;
	case WS_EV_BINARY:
		snprintf(out + l, cap - l, "BIN#%zu/%04x;", ev->len,
		    sum16(ev->data, ev->len));
		break;
	case WS_EV_PING:
		snprintf(out + l, cap - l, "PING:%.*s;", (int)ev->len,
		    (const char *)ev->data);
		break;
	case WS_EV_CLOSE:
		snprintf(out + l, cap - l, "CLOSE:%u:%.*s;", ev->code,
		    (int)ev->len, (const char *)ev->data);
		break;
	case WS_EV_ERROR:
		snprintf(out + l, cap - l, "ERR:%u;", ev->code);
		break;
	case WS_EV_NONE:
		break;
	}
}

/* Feed in[0..n) in chunks of step bytes (0: all at once). */
static void
feed(const uint8_t *in, size_t n, size_t max, size_t step, char *out,
    size_t cap)
{
	struct ws_decoder	 d;
	struct ws_event		 ev;
	const uint8_t		*p;
	size_t			 off = 0, left, used;

	out[0] = '\0';
	ws_decoder_init(&d, max);
	ws_decoder_step(&d, WS_IN_HANDSHAKE_DONE);
	while (off < n) {
		left = step == 0 || n - off < step ? n - off : step;
		p = in + off;
		off += left;
		while (left > 0) {
			used = ws_decode(&d, p, left, &ev);
			CHECK(used <= left);
			CHECK(d.msg_cap <= max);
			p += used;
			left -= used;
			if (ev.type == WS_EV_NONE) {
				CHECK(left == 0);
				break;
			}
			record(out, cap, &ev);
			if (used == 0) {	/* an event must consume */
				CHECK(used > 0);
				break;
			}
		}
	}
	ws_decoder_free(&d);
}

static int
expect_at(int line, const struct tbuf *b, size_t max, const char *want)
{
	char	whole[512], bytes[512];
	int	ok;

	feed(b->p, b->len, max, 0, whole, sizeof(whole));
	feed(b->p, b->len, max, 1, bytes, sizeof(bytes));
	ok = strcmp(whole, want) == 0 && strcmp(bytes, want) == 0;
	if (!ok) {
		fprintf(stderr, "%s:%d: FAIL want \"%s\"\n  whole \"%s\"\n"
		    "  bytes \"%s\"\n", __FILE__, line, want, whole, bytes);
		check_failures++;
	}
	return ok;
}

#define EXPECT(b, max, want)	expect_at(__LINE__, (b), (max), (want))
#define MAX	(64 * 1024)

/* ---- RFC 6455 §5.7 ------------------------------------------------------ */

static void
test_rfc_examples(void)
{
	static const uint8_t unmasked_hello[] = { 0x81, 0x05, 'H', 'e', 'l',
	    'l', 'o' };
	static const uint8_t masked_hello[] = { 0x81, 0x85, 0x37, 0xfa, 0x21,
	    0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	static const uint8_t masked_pong[] = { 0x8a, 0x85, 0x37, 0xfa, 0x21,
	    0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	static const uint8_t frag_unmasked[] = { 0x01, 0x03, 'H', 'e', 'l',
	    0x80, 0x02, 'l', 'o' };
	struct tbuf	*b = calloc(1, sizeof(*b));
	uint8_t		 bin[65536];
	char		 want[64];
	size_t		 i;

	/* unmasked client frames are a protocol error */
	put(b, unmasked_hello, sizeof(unmasked_hello));
	EXPECT(b, MAX, "ERR:1002;");
	b->len = 0;
	put(b, frag_unmasked, sizeof(frag_unmasked));
	EXPECT(b, MAX, "ERR:1002;");
	b->len = 0;
	put(b, masked_hello, sizeof(masked_hello));
	EXPECT(b, MAX, "TEXT:Hello;");
	/* fragmented "Hel" + "lo", masked */
	b->len = 0;
	cstr(b, 0x01, "Hel");
	cstr(b, 0x80, "lo");
	EXPECT(b, MAX, "TEXT:Hello;");
	/* ping "Hello"; the masked pong "Hello" of the RFC is ignored */
	b->len = 0;
	cstr(b, 0x89, "Hello");
	put(b, masked_pong, sizeof(masked_pong));
	EXPECT(b, MAX, "PING:Hello;");
	/* 256 bytes and 64 KiB of binary in one frame */
	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(i * 7 + 3);
	b->len = 0;
	cframe(b, 0x82, bin, 256);
	CHECK(b->p[1] == (0x80 | 126) && b->p[2] == 1 && b->p[3] == 0);
	snprintf(want, sizeof(want), "BIN#256/%04x;", sum16(bin, 256));
	EXPECT(b, MAX, want);
	b->len = 0;
	cframe(b, 0x82, bin, 65536);
	CHECK(b->p[1] == (0x80 | 127) && b->p[7] == 1 && b->p[8] == 0);
	snprintf(want, sizeof(want), "BIN#65536/%04x;", sum16(bin, 65536));
	EXPECT(b, 65536, want);
	EXPECT(b, 65535, "ERR:1009;");
	free(b);
}

/* ---- Autobahn-style categories ------------------------------------------ */

static void
test_framing(void)
{
	static const size_t lens[] = { 0, 1, 125, 126, 127, 128, 65535,
	    65536 };
	struct tbuf	*b = calloc(1, sizeof(*b));
	uint8_t		*text = malloc(65536);
	char		 want[64];
	size_t		 i;

	memset(text, '*', 65536);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		b->len = 0;
		cframe(b, 0x81, text, lens[i]);
		if (lens[i] <= 64)
			snprintf(want, sizeof(want), "TEXT:%.*s;",
			    (int)lens[i], (const char *)text);
		else
			snprintf(want, sizeof(want), "TEXT#%zu/%04x;",
			    lens[i], sum16(text, lens[i]));
		EXPECT(b, MAX, want);
		b->len = 0;
		cframe(b, 0x82, text, lens[i]);
		snprintf(want, sizeof(want), "BIN#%zu/%04x;", lens[i],
		    sum16(text, lens[i]));
		EXPECT(b, MAX, want);
	}
	/* non-minimal lengths, the 64-bit top bit */
	b->len = 0;
	cframe_len(b, 0x81, "Hello", 5, 16);
	EXPECT(b, MAX, "ERR:1002;");
	b->len = 0;
	cframe_len(b, 0x82, text, 200, 64);
	EXPECT(b, MAX, "ERR:1002;");
	b->len = 0;
	cframe_len(b, 0x82, NULL, 0x8000000000000001ull, 64);
	EXPECT(b, MAX, "ERR:1002;");
	/* a huge announced length: 1009 before any payload arrives */
	b->len = 0;
	cframe_len(b, 0x82, NULL, 0x7fffffffffffffffull, 64);
	EXPECT(b, MAX, "ERR:1009;");
	/* the cap: frame above it, fragments adding up above it */
	b->len = 0;
	cstr(b, 0x81, "Hello");
	EXPECT(b, 4, "ERR:1009;");
	EXPECT(b, 5, "TEXT:Hello;");
	b->len = 0;
	cstr(b, 0x01, "Hel");
	cstr(b, 0x80, "lo");
	EXPECT(b, 4, "ERR:1009;");
	/* several messages in one buffer, and input after an error dropped */
	b->len = 0;
	cstr(b, 0x81, "one");
	cstr(b, 0x82, "two");
	cstr(b, 0x81, "");
	put(b, "\x81\x05Hello", 7);
	cstr(b, 0x81, "never");
	snprintf(want, sizeof(want), "TEXT:one;BIN#3/%04x;TEXT:;ERR:1002;",
	    sum16((const uint8_t *)"two", 3));
	EXPECT(b, MAX, want);
	free(text);
	free(b);
}

static void
test_reserved_bits(void)
{
	static const uint8_t rsv[] = { 0x40, 0x20, 0x10, 0x70 };
	struct tbuf	*b = calloc(1, sizeof(*b));
	size_t		 i;

	for (i = 0; i < sizeof(rsv); i++) {
		b->len = 0;
		cstr(b, 0x81, "Hello");
		cstr(b, 0x81 | rsv[i], "Hello");
		cstr(b, 0x89, "late");
		EXPECT(b, MAX, "TEXT:Hello;ERR:1002;");
		b->len = 0;
		cstr(b, 0x89 | rsv[i], "ping");
		EXPECT(b, MAX, "ERR:1002;");
		b->len = 0;
		cframe(b, 0x82 | rsv[i], "\x00\xff", 2);
		EXPECT(b, MAX, "ERR:1002;");
	}
	free(b);
}

static void
test_opcodes(void)
{
	static const uint8_t ops[] = { 3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe,
	    0xf };
	struct tbuf	*b = calloc(1, sizeof(*b));
	size_t		 i;

	for (i = 0; i < sizeof(ops); i++) {
		b->len = 0;
		cstr(b, 0x80 | ops[i], "");
		EXPECT(b, MAX, "ERR:1002;");
		b->len = 0;
		cstr(b, 0x81, "Hello");
		cstr(b, 0x80 | ops[i], "payload");
		cstr(b, 0x89, "");
		EXPECT(b, MAX, "TEXT:Hello;ERR:1002;");
	}
	free(b);
}

static void
test_fragmentation(void)
{
	struct tbuf	*b = calloc(1, sizeof(*b));
	int		 i;

	/* control frames are never fragmented */
	b->len = 0;
	cstr(b, 0x09, "ping");
	EXPECT(b, MAX, "ERR:1002;");
	b->len = 0;
	cstr(b, 0x0a, "pong");
	EXPECT(b, MAX, "ERR:1002;");
	b->len = 0;
	cstr(b, 0x08, "");
	EXPECT(b, MAX, "ERR:1002;");
	/* control frames in the middle of a fragmented message */
	b->len = 0;
	cstr(b, 0x01, "frag");
	cstr(b, 0x89, "p1");
	cstr(b, 0x00, "ment");
	cstr(b, 0x8a, "ignored");
	cstr(b, 0x89, "p2");
	cstr(b, 0x80, "ed");
	EXPECT(b, MAX, "PING:p1;PING:p2;TEXT:fragmented;");
	/* a close in the middle ends everything */
	b->len = 0;
	cstr(b, 0x02, "fr");
	cclose(b, 1000, "");
	cstr(b, 0x80, "ag");
	EXPECT(b, MAX, "CLOSE:1000:;");
	/* continuation without a message; new message inside one */
	b->len = 0;
	cstr(b, 0x80, "orphan");
	EXPECT(b, MAX, "ERR:1002;");
	b->len = 0;
	cstr(b, 0x00, "orphan");
	EXPECT(b, MAX, "ERR:1002;");
	b->len = 0;
	cstr(b, 0x01, "one");
	cstr(b, 0x81, "two");
	EXPECT(b, MAX, "ERR:1002;");
	b->len = 0;
	cstr(b, 0x01, "one");
	cstr(b, 0x02, "two");
	EXPECT(b, MAX, "ERR:1002;");
	/* many one-byte fragments and empty ones */
	b->len = 0;
	cstr(b, 0x01, "");
	for (i = 0; i < 20; i++)
		cstr(b, 0x00, i % 2 ? "" : "x");
	cstr(b, 0x80, "");
	cstr(b, 0x02, "");
	cstr(b, 0x80, "");
	EXPECT(b, MAX, "TEXT:xxxxxxxxxx;BIN#0/0000;");
	/* a binary message after a fragmented text one */
	b->len = 0;
	cstr(b, 0x01, "a");
	cstr(b, 0x80, "b");
	cstr(b, 0x82, "c");
	EXPECT(b, MAX, "TEXT:ab;BIN#1/0063;");
	free(b);
}

static void
test_utf8(void)
{
	static const char *bad[] = {
		"\xc0\xaf",		/* overlong '/' */
		"\xc1\xbf",		/* overlong */
		"\xe0\x80\xaf",		/* overlong, 3 bytes */
		"\xf0\x80\x80\xaf",	/* overlong, 4 bytes */
		"\xed\xa0\x80",		/* surrogate U+D800 */
		"\xed\xbf\xbf",		/* surrogate U+DFFF */
		"\xf4\x90\x80\x80",	/* U+110000 */
		"\xf5\x80\x80\x80",
		"\xff",
		"\x80",			/* lone continuation */
		"a\xce",		/* truncated at the end */
		"\xe2\x82",
		"\xce\x41",		/* continuation missing */
	};
	struct tbuf	*b = calloc(1, sizeof(*b));
	const char	*kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";
	char		 want[64];
	size_t		 i, k, n = strlen(kosme);

	b->len = 0;
	cstr(b, 0x81, kosme);
	snprintf(want, sizeof(want), "TEXT:%s;", kosme);
	EXPECT(b, MAX, want);
	/* the same text split at every byte into two and three fragments */
	for (i = 1; i < n; i++) {
		b->len = 0;
		cframe(b, 0x01, kosme, i);
		cframe(b, 0x80, kosme + i, n - i);
		EXPECT(b, MAX, want);
		for (k = i + 1; k < n; k++) {
			b->len = 0;
			cframe(b, 0x01, kosme, i);
			cframe(b, 0x00, kosme + i, k - i);
			cframe(b, 0x80, kosme + k, n - k);
			EXPECT(b, MAX, want);
		}
	}
	/* edges that are valid */
	b->len = 0;
	cstr(b, 0x81, "\xf4\x8f\xbf\xbf\xef\xbf\xbf\xee\x80\x80\xed\x9f\xbf"
	    "\xc2\x80\xf0\x90\x80\x80");
	CHECK(EXPECT(b, MAX, "TEXT:\xf4\x8f\xbf\xbf\xef\xbf\xbf\xee\x80\x80"
	    "\xed\x9f\xbf\xc2\x80\xf0\x90\x80\x80;"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b->len = 0;
		cstr(b, 0x81, bad[i]);
		EXPECT(b, MAX, "ERR:1007;");
		/* split across fragments, and as the first fragment only:
		 * an invalid prefix fails before the message ends */
		b->len = 0;
		cframe(b, 0x01, bad[i], 1);
		cstr(b, 0x80, bad[i] + 1);
		EXPECT(b, MAX, "ERR:1007;");
		/* binary messages carry any bytes */
		b->len = 0;
		cstr(b, 0x82, bad[i]);
		snprintf(want, sizeof(want), "BIN#%zu/%04x;", strlen(bad[i]),
		    sum16((const uint8_t *)bad[i], strlen(bad[i])));
		EXPECT(b, MAX, want);
		snprintf(want, sizeof(want), "TEXT:%s;", kosme);
	}
	/* fail fast: the first fragment alone is refused */
	b->len = 0;
	cstr(b, 0x01, "ok \xed\xa0");
	EXPECT(b, MAX, "ERR:1007;");
	b->len = 0;
	cstr(b, 0x01, "\xf4\x90");
	EXPECT(b, MAX, "ERR:1007;");
	/* ... while a valid prefix waits */
	b->len = 0;
	cstr(b, 0x01, "ok \xed\x9f");
	EXPECT(b, MAX, "");
	free(b);
}

static void
test_ping_pong(void)
{
	struct tbuf	*b = calloc(1, sizeof(*b));
	uint8_t		 big[126];
	char		 want[160];

	memset(big, 'p', sizeof(big));
	b->len = 0;
	cstr(b, 0x89, "");
	cstr(b, 0x8a, "");
	cstr(b, 0x8a, "unsolicited");
	EXPECT(b, MAX, "PING:;");
	b->len = 0;
	cframe(b, 0x89, big, 125);
	snprintf(want, sizeof(want), "PING:%.125s;", (const char *)big);
	EXPECT(b, MAX, want);
	b->len = 0;
	cframe(b, 0x89, big, 126);
	EXPECT(b, MAX, "ERR:1002;");
	b->len = 0;
	cframe(b, 0x8a, big, 126);
	EXPECT(b, MAX, "ERR:1002;");
	/* a control frame with a non-minimal 16-bit length of 5 */
	b->len = 0;
	cframe_len(b, 0x89, "Hello", 5, 16);
	EXPECT(b, MAX, "ERR:1002;");
	/* ten pings in a row */
	b->len = 0;
	for (int i = 0; i < 10; i++)
		cstr(b, 0x89, "n");
	EXPECT(b, MAX, "PING:n;PING:n;PING:n;PING:n;PING:n;PING:n;PING:n;"
	    "PING:n;PING:n;PING:n;");
	free(b);
}

static void
test_close(void)
{
	static const unsigned good[] = { 1000, 1001, 1002, 1003, 1007, 1008,
	    1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999 };
	static const unsigned bad[] = { 0, 1, 999, 1004, 1005, 1006, 1015,
	    1016, 1100, 2000, 2999, 5000, 65535 };
	struct tbuf	*b = calloc(1, sizeof(*b));
	char		 want[200], reason[124];
	size_t		 i;

	b->len = 0;
	cstr(b, 0x88, "");
	cstr(b, 0x81, "after");
	EXPECT(b, MAX, "CLOSE:1005:;");
	b->len = 0;
	cstr(b, 0x88, "\x03");
	EXPECT(b, MAX, "ERR:1002;");
	b->len = 0;
	cclose(b, 1000, "bye \xce\xba");
	EXPECT(b, MAX, "CLOSE:1000:bye \xce\xba;");
	b->len = 0;
	cclose(b, 1000, "bad \xed\xa0\x80");
	EXPECT(b, MAX, "ERR:1007;");
	b->len = 0;
	cclose(b, 1000, "cut \xce");
	EXPECT(b, MAX, "ERR:1007;");
	memset(reason, 'r', 123);
	reason[123] = '\0';
	b->len = 0;
	cclose(b, 4000, reason);
	snprintf(want, sizeof(want), "CLOSE:4000:%s;", reason);
	EXPECT(b, MAX, want);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		b->len = 0;
		cclose(b, good[i], "");
		snprintf(want, sizeof(want), "CLOSE:%u:;", good[i]);
		EXPECT(b, MAX, want);
		CHECK(ws_close_code_valid((uint16_t)good[i]));
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b->len = 0;
		cclose(b, bad[i], "x");
		EXPECT(b, MAX, "ERR:1002;");
		CHECK(!ws_close_code_valid((uint16_t)bad[i]));
	}
	free(b);
}

/* The decoder's states through a close we start and one the peer starts. */
static void
test_states(void)
{
	struct ws_decoder	 d;
	struct ws_event		 ev;
	struct tbuf		*b = calloc(1, sizeof(*b));
	size_t			 used;

	CHECK(ws_transition(WS_HANDSHAKE, WS_IN_HANDSHAKE_DONE) == WS_OPEN);
	CHECK(ws_transition(WS_HANDSHAKE, WS_IN_HANDSHAKE_FAILED) ==
	    WS_CLOSED);
	CHECK(ws_transition(WS_HANDSHAKE, WS_IN_EOF) == WS_CLOSED);
	CHECK(ws_transition(WS_OPEN, WS_IN_CLOSE_RECEIVED) == WS_CLOSING);
	CHECK(ws_transition(WS_OPEN, WS_IN_CLOSE_SENT) == WS_CLOSING);
	CHECK(ws_transition(WS_OPEN, WS_IN_FAILED) == WS_CLOSED);
	CHECK(ws_transition(WS_OPEN, WS_IN_EOF) == WS_CLOSED);
	CHECK(ws_transition(WS_OPEN, WS_IN_HANDSHAKE_DONE) == WS_OPEN);
	CHECK(ws_transition(WS_CLOSING, WS_IN_CLOSE_RECEIVED) == WS_CLOSED);
	CHECK(ws_transition(WS_CLOSING, WS_IN_CLOSE_SENT) == WS_CLOSED);
	CHECK(ws_transition(WS_CLOSING, WS_IN_EOF) == WS_CLOSED);
	CHECK(ws_transition(WS_CLOSED, WS_IN_HANDSHAKE_DONE) == WS_CLOSED);
	CHECK(strcmp(ws_state_name(WS_CLOSING), "closing") == 0);

	/* frames before the handshake is done: refused, nothing consumed */
	ws_decoder_init(&d, MAX);
	CHECK(ws_decode(&d, (const uint8_t *)"\x81", 1, &ev) == 0);
	CHECK(ev.type == WS_EV_ERROR && d.state == WS_HANDSHAKE);

	/* we close first: frames still arrive until the peer's close */
	CHECK(ws_decoder_step(&d, WS_IN_HANDSHAKE_DONE) == WS_OPEN);
	CHECK(ws_decoder_step(&d, WS_IN_CLOSE_SENT) == WS_CLOSING);
	cstr(b, 0x81, "late");
	cclose(b, 1000, "");
	used = ws_decode(&d, b->p, b->len, &ev);
	CHECK(ev.type == WS_EV_TEXT && d.state == WS_CLOSING);
	used += ws_decode(&d, b->p + used, b->len - used, &ev);
	CHECK(ev.type == WS_EV_CLOSE && used == b->len);
	CHECK(d.state == WS_CLOSED);
	ws_decoder_free(&d);

	/* the peer closes first: we answer, then it is closed */
	ws_decoder_init(&d, MAX);
	ws_decoder_step(&d, WS_IN_HANDSHAKE_DONE);
	used = ws_decode(&d, b->p + 10, b->len - 10, &ev);
	CHECK(ev.type == WS_EV_CLOSE && d.state == WS_CLOSING);
	CHECK(ws_decode(&d, b->p, b->len, &ev) == b->len);
	CHECK(ev.type == WS_EV_NONE);
	CHECK(ws_decoder_step(&d, WS_IN_CLOSE_SENT) == WS_CLOSED);
	ws_decoder_free(&d);

	/* a protocol error: closed at once */
	ws_decoder_init(&d, MAX);
	ws_decoder_step(&d, WS_IN_HANDSHAKE_DONE);
	ws_decode(&d, (const uint8_t *)"\x81\x01x", 3, &ev);
	CHECK(ev.type == WS_EV_ERROR && ev.code == 1002 &&
	    d.state == WS_CLOSED && ev.why != NULL);
	ws_decoder_free(&d);

	/* a large message's buffer is freed after it, a small one kept */
	ws_decoder_init(&d, MAX);
	ws_decoder_step(&d, WS_IN_HANDSHAKE_DONE);
	b->len = 0;
	memset(b->p + 100000, 'z', 5000);
	cframe(b, 0x82, b->p + 100000, 5000);
	ws_decode(&d, b->p, b->len, &ev);
	CHECK(ev.type == WS_EV_BINARY && ev.len == 5000 && d.msg_cap >= 5000);
	b->len = 0;
	cstr(b, 0x81, "hi");
	ws_decode(&d, b->p, b->len, &ev);
	CHECK(ev.type == WS_EV_TEXT && d.msg_cap <= WS_KEEP_BUFFER);
	ws_decoder_trim(&d);
	CHECK(d.msg == NULL && d.msg_cap == 0);
	ws_decoder_free(&d);
	free(b);
}

/* ---- encoder ------------------------------------------------------------ */

static void
test_encode(void)
{
	struct ws_decoder	 d;
	struct ws_event		 ev;
	static uint8_t		 src[65536];
	uint8_t			 out[70000], cp[WS_MAX_CONTROL], hdr[14];
	char			 reason[200];
	size_t			 n, i;

	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 13 + 1);
	n = ws_encode(out, sizeof(out), WS_OP_TEXT, "Hello", 5);
	CHECK(n == 7 && memcmp(out, "\x81\x05Hello", 7) == 0);
	n = ws_encode(out, sizeof(out), WS_OP_PING, "Hello", 5);
	CHECK(n == 7 && memcmp(out, "\x89\x05Hello", 7) == 0);
	n = ws_encode(out, sizeof(out), WS_OP_PONG, "Hello", 5);
	CHECK(n == 7 && memcmp(out, "\x8a\x05Hello", 7) == 0);
	n = ws_encode(out, sizeof(out), WS_OP_BINARY, src, 256);
	CHECK(n == 260 && memcmp(out, "\x82\x7e\x01\x00", 4) == 0 &&
	    memcmp(out + 4, src, 256) == 0);
	n = ws_encode(out, sizeof(out), WS_OP_BINARY, src, 65536);
	CHECK(n == 65546 &&
	    memcmp(out, "\x82\x7f\0\0\0\0\0\x01\0\0", 10) == 0 &&
	    memcmp(out + 10, src, 65536) == 0);
	CHECK(ws_frame_header(hdr, WS_OP_TEXT, 0, 125) == 2 &&
	    hdr[0] == 0x01 && hdr[1] == 125);
	CHECK(ws_frame_header(hdr, WS_OP_CONT, 1, 126) == 4 &&
	    hdr[0] == 0x80 && hdr[1] == 126 && hdr[3] == 126);
	CHECK(ws_frame_header(hdr, WS_OP_BINARY, 1, 0xffff) == 4);
	CHECK(ws_frame_header(hdr, WS_OP_BINARY, 1, 0x10000) == 10);
	CHECK(ws_frame_header(hdr, WS_OP_PING, 1, 126) == 0);
	CHECK(ws_frame_header(hdr, WS_OP_PING, 0, 1) == 0);
	CHECK(ws_frame_header(hdr, (enum ws_opcode)3, 1, 1) == 0);
	/* too small a buffer: the size is returned, nothing written */
	out[0] = 0;
	CHECK(ws_encode(out, 6, WS_OP_TEXT, "Hello", 5) == 7 && out[0] == 0);
	CHECK(ws_encode(out, sizeof(out), WS_OP_CLOSE, out, 126) == 0);

	/* close payloads */
	CHECK(ws_close_payload(cp, WS_CLOSE_NO_STATUS, "x", 1) == 0);
	n = ws_close_payload(cp, 1000, "bye", 3);
	CHECK(n == 5 && memcmp(cp, "\x03\xe8" "bye", 5) == 0);
	n = ws_close_payload(cp, 1002, NULL, 0);
	CHECK(n == 2 && cp[0] == 0x03 && cp[1] == 0xea);
	/* a long reason is cut at a character boundary */
	for (i = 0; i + 2 <= 200; i += 2)
		memcpy(reason + i, "\xce\xba", 2);
	n = ws_close_payload(cp, 1000, reason, 200);
	CHECK(n == 2 + 122);
	memset(reason, 'a', 200);
	CHECK(ws_close_payload(cp, 1000, reason, 200) == 125);

	/* what the encoder writes, once masked, the decoder reads back */
	ws_decoder_init(&d, MAX);
	ws_decoder_step(&d, WS_IN_HANDSHAKE_DONE);
	n = ws_close_payload(cp, 4001, "done", 4);
	n = ws_encode(out, sizeof(out), WS_OP_CLOSE, cp, n);
	{
		struct tbuf *b = calloc(1, sizeof(*b));

		cframe(b, out[0], out + 2, n - 2);
		ws_decode(&d, b->p, b->len, &ev);
		free(b);
	}
	CHECK(ev.type == WS_EV_CLOSE && ev.code == 4001 && ev.len == 4 &&
	    memcmp(ev.data, "done", 4) == 0);
	ws_decoder_free(&d);
}

/* ---- handshake ---------------------------------------------------------- */

static const char *allow[] = { "http://localhost:8080",
    "https://chat.example.org" };

#define REQ(extra) "GET /ws HTTP/1.1\r\nHost: localhost:8080\r\n"	\
	"Upgrade: websocket\r\nConnection: Upgrade\r\n"			\
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" extra "\r\n"
#define V13 "Sec-WebSocket-Version: 13\r\n"

/* Parse req whole and grown one byte at a time; both must agree. */
static int
hs_run(const struct ws_hs_config *cfg, const char *req,
    struct ws_handshake *out)
{
	struct ws_handshake	hs;
	enum ws_hs_status	st = WS_HS_MORE, whole;
	size_t			n = strlen(req), i;

	ws_handshake_init(out);
	whole = ws_handshake_parse(out, cfg, (const uint8_t *)req, n);
	ws_handshake_init(&hs);
	for (i = 1; i <= n && st == WS_HS_MORE; i++)
		st = ws_handshake_parse(&hs, cfg, (const uint8_t *)req, i);
	CHECK(st == whole && hs.status == out->status);
	if (whole != WS_HS_MORE)
		CHECK(hs.consumed == out->consumed);
	return whole == WS_HS_DONE ? 101 : whole == WS_HS_MORE ? 0 :
	    out->status;
}

static void
test_handshake(void)
{
	struct ws_hs_config	 cfg = { allow, 2, "/ws", 0 };
	struct ws_hs_config	 none = { NULL, 0, NULL, 0 };
	struct ws_handshake	 hs;
	char			 accept[WS_ACCEPT_LEN + 1], resp[300];
	char			*big;
	size_t			 n;

	/* RFC 6455 §1.3 */
	ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 24, accept);
	CHECK(strcmp(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0);

	CHECK(hs_run(&cfg, REQ(V13), &hs) == 101);
	CHECK(strcmp(hs.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0);
	CHECK(hs.consumed == strlen(REQ(V13)));
	n = ws_handshake_response(&hs, resp, sizeof(resp));
	CHECK(n == strlen(resp) && strcmp(resp,
	    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Accept: "
	    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n") == 0);
	CHECK(ws_handshake_response(&hs, resp, 20) == 0);
	/* a frame right behind the request is not part of it */
	CHECK(hs_run(&cfg, REQ(V13) "\x81\x85", &hs) == 101);
	CHECK(hs.consumed == strlen(REQ(V13)));

	/* tolerated variations */
	CHECK(hs_run(&cfg, "GET /ws?room=lobby HTTP/1.1\r\nhost: h\r\n"
	    "UPGRADE: WebSocket\r\nconnection: keep-alive,  upgrade\r\n"
	    "sec-websocket-key:dGhlIHNhbXBsZSBub25jZQ==  \r\n"
	    "sec-websocket-version:\t13\r\nOrigin: HTTP://LOCALHOST:8080\r\n"
	    "User-Agent: test\r\n\r\n", &hs) == 101);
	CHECK(hs_run(&cfg, REQ(V13 "Origin: https://chat.example.org\r\n"),
	    &hs) == 101);
	CHECK(hs_run(&none, REQ(V13), &hs) == 101);	/* no Origin */
	CHECK(hs_run(&none, "GET /any/path HTTP/1.1\r\nHost: h\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n" V13 "\r\n",
	    &hs) == 101);

	/* Origin */
	CHECK(hs_run(&cfg, REQ(V13 "Origin: http://localhost:8081\r\n"), &hs)
	    == 403);
	CHECK(hs_run(&cfg, REQ(V13 "Origin: http://localhost\r\n"), &hs) ==
	    403);
	CHECK(hs_run(&cfg, REQ(V13 "Origin: http://localhost:8080/\r\n"),
	    &hs) == 403);
	CHECK(hs_run(&cfg, REQ(V13 "Origin: null\r\n"), &hs) == 403);
	CHECK(hs_run(&none, REQ(V13 "Origin: http://localhost:8080\r\n"),
	    &hs) == 403);
	CHECK(hs_run(&cfg, REQ(V13 "Origin: http://localhost:8080\r\n"
	    "Origin: http://localhost:8080\r\n"), &hs) == 400);
	n = ws_handshake_response(&hs, resp, sizeof(resp));
	CHECK(n > 0 && strncmp(resp, "HTTP/1.1 400 Bad Request\r\n", 26) == 0
	    && strstr(resp, "Connection: close\r\n") != NULL);

	/* version */
	CHECK(hs_run(&cfg, REQ("Sec-WebSocket-Version: 8\r\n"), &hs) == 426);
	ws_handshake_response(&hs, resp, sizeof(resp));
	CHECK(strncmp(resp, "HTTP/1.1 426 Upgrade Required\r\n", 31) == 0 &&
	    strstr(resp, "\r\nSec-WebSocket-Version: 13\r\n") != NULL);
	CHECK(hs_run(&cfg, REQ("Sec-WebSocket-Version: 13, 8\r\n"), &hs) ==
	    426);
	CHECK(hs_run(&cfg, REQ(""), &hs) == 400);

	/* path, method, version of HTTP, request line */
	CHECK(hs_run(&cfg, "GET /other HTTP/1.1\r\nHost: h\r\n\r\n", &hs) ==
	    404);
	ws_handshake_response(&hs, resp, sizeof(resp));
	CHECK(strncmp(resp, "HTTP/1.1 404 Not Found\r\n", 24) == 0);
	CHECK(hs_run(&cfg, "GET /wsx HTTP/1.1\r\nHost: h\r\n\r\n", &hs) ==
	    404);
	CHECK(hs_run(&cfg, "POST /ws HTTP/1.1\r\nHost: h\r\n\r\n", &hs) ==
	    400);
	CHECK(hs_run(&cfg, "GET /ws HTTP/1.0\r\nHost: h\r\n\r\n", &hs) ==
	    400);
	CHECK(hs_run(&cfg, "GET ws HTTP/1.1\r\nHost: h\r\n\r\n", &hs) == 400);
	CHECK(hs_run(&cfg, "GET /ws  HTTP/1.1\r\nHost: h\r\n\r\n", &hs) ==
	    400);
	CHECK(hs_run(&cfg, "\r\n\r\n", &hs) == 400);
	CHECK(hs_run(&cfg, "GET /w\rs HTTP/1.1\r\nHost: h\r\n\r\n", &hs) ==
	    400);
	CHECK(hs_run(&cfg, "GET /ws\x7f HTTP/1.1\r\nHost: h\r\n\r\n", &hs)
	    == 400);
	CHECK(hs_run(&none, "GET /w\ts HTTP/1.1\r\nHost: h\r\nUpgrade: "
	    "websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
	    "dGhlIHNhbXBsZSBub25jZQ==\r\n" V13 "\r\n", &hs) == 400);
	CHECK(hs_run(&cfg, "GET /ws\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n",
	    &hs) == 400);

	/* required fields */
	CHECK(hs_run(&cfg, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Key: "
	    "dGhlIHNhbXBsZSBub25jZQ==\r\n" V13 "\r\n", &hs) == 400);
	CHECK(hs_run(&cfg, REQ(V13 "Host: again\r\n"), &hs) == 400);
	CHECK(hs_run(&cfg, "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: "
	    "Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" V13
	    "\r\n", &hs) == 400);
	CHECK(hs_run(&cfg, "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Key: "
	    "dGhlIHNhbXBsZSBub25jZQ==\r\n" V13 "\r\n", &hs) == 400);
	CHECK(hs_run(&cfg, "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: "
	    "websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Key: "
	    "dGhlIHNhbXBsZSBub25jZQ==\r\n" V13 "\r\n", &hs) == 400);
	CHECK(hs_run(&cfg, "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: "
	    "websocket\r\nConnection: Upgraded\r\nSec-WebSocket-Key: "
	    "dGhlIHNhbXBsZSBub25jZQ==\r\n" V13 "\r\n", &hs) == 400);
	CHECK(hs_run(&cfg, REQ(V13 "Sec-WebSocket-Key: "
	    "dGhlIHNhbXBsZSBub25jZQ==\r\n"), &hs) == 400);
	CHECK(hs_run(&cfg, REQ(V13 "Content-Length: 0\r\n"), &hs) == 400);
	CHECK(hs_run(&cfg, "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: "
	    "websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
	    "dGhlIHNhbXBsZSBub25jZQ=\r\n" V13 "\r\n", &hs) == 400);
	CHECK(hs_run(&cfg, "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: "
	    "websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
	    "dGhlIHNhbXBsZSBub25jZQ!=\r\n" V13 "\r\n", &hs) == 400);
	CHECK(hs_run(&cfg, "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: "
	    "websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
	    "AAAAAAAAAAAAAAAAAAAAAAAA\r\n" V13 "\r\n", &hs) == 400);
	CHECK(hs_run(&cfg, "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: "
	    "websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
	    "AAAAAAAAAAAAAAAAAAAA\r\n" V13 "\r\n", &hs) == 400);

	/* syntax */
	CHECK(hs_run(&cfg, REQ(V13 "Bad Name: x\r\n"), &hs) == 400);
	CHECK(hs_run(&cfg, REQ(V13 "Host : x\r\n"), &hs) == 400);
	CHECK(hs_run(&cfg, REQ(V13 " folded\r\n"), &hs) == 400);
	CHECK(hs_run(&cfg, REQ(V13 "X: a\rb\r\n"), &hs) == 400);
	CHECK(hs_run(&cfg, REQ(V13 "X: a\rzY: 1\r\n"), &hs) == 400);
	CHECK(hs_run(&cfg, REQ(V13 "X: a\x01\r\n"), &hs) == 400);
	CHECK(hs_run(&cfg, REQ(V13 "no colon\r\n"), &hs) == 400);
	CHECK(hs_run(&cfg, "GET /ws HTTP/1.1\nHost: h\n\n", &hs) == 400);
	CHECK(hs_run(&cfg, "GET /ws HTTP/1.1\r\nHost: h\n", &hs) == 400);
	/* incomplete */
	CHECK(hs_run(&cfg, "GET /ws HTTP/1.1\r\nHost: h\r\n", &hs) == 0);

	/* limits: 431 before the end arrives, and too many fields */
	big = malloc(WS_HS_MAX_HEADER + 100);
	memset(big, 'a', WS_HS_MAX_HEADER + 99);
	memcpy(big, "GET /ws HTTP/1.1\r\nX: ", 21);
	big[WS_HS_MAX_HEADER + 99] = '\0';
	CHECK(hs_run(&cfg, big, &hs) == 431);
	ws_handshake_response(&hs, resp, sizeof(resp));
	CHECK(strncmp(resp, "HTTP/1.1 431 Request Header Fields Too Large"
	    "\r\n", 46) == 0);
	cfg.max_header = 100;
	CHECK(hs_run(&cfg, REQ(V13), &hs) == 431);
	cfg.max_header = strlen(REQ(V13));
	CHECK(hs_run(&cfg, REQ(V13), &hs) == 101);
	cfg.max_header = strlen(REQ(V13)) - 1;
	CHECK(hs_run(&cfg, REQ(V13), &hs) == 431);
	cfg.max_header = 0;
	n = (size_t)snprintf(big, WS_HS_MAX_HEADER, "%s", REQ(V13));
	n -= 2;
	for (int i = 0; i < WS_HS_MAX_FIELDS; i++)
		n += (size_t)snprintf(big + n, WS_HS_MAX_HEADER - n,
		    "X-%d: y\r\n", i);
	snprintf(big + n, WS_HS_MAX_HEADER - n, "\r\n");
	CHECK(hs_run(&cfg, big, &hs) == 431);
	free(big);
}

int
main(void)
{
	test_rfc_examples();
	test_framing();
	test_reserved_bits();
	test_opcodes();
	test_fragmentation();
	test_utf8();
	test_ping_pong();
	test_close();
	test_states();
	test_encode();
	test_handshake();
	if (check_failures != 0) {
		fprintf(stderr, "%d check(s) failed\n", check_failures);
		return 1;
	}
	printf("websocket codec tests passed\n");
	return 0;
}
