/*
 * fuzz_client.c — fuzz target for chat-client's parsers: terminal bytes
 * through the key decoder, the editor and the renderer (first byte even),
 * or a frame payload through the message decoder and the display escaping
 * (first byte odd).  Checks the invariants, not just the absence of
 * crashes: the edit buffer stays valid UTF-8 with the cursor on a
 * character boundary, and escaped text holds no control byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client_proto.h"
#include "client_render.h"
#include "lineedit.h"
#include "utf8.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_valid_utf8(const char *s, size_t len)
{
	size_t		 i = 0, n;
	uint32_t	 cp;

	while (i < len) {
		n = utf8_next(s + i, len - i, &cp);
		if (cp == UTF8_BAD && n == 1)
			abort();
		i += n;
	}
}

static void
fuzz_keys(const uint8_t *data, size_t len, unsigned cols)
{
	struct lineedit		 le;
	struct lineedit_keys	 k;
	struct lineedit_key	 key;
	size_t			 i, rlen;
	char			*s;

	lineedit_init(&le, 64, 4);
	lineedit_keys_init(&k);
	for (i = 0; i < len; i++) {
		if (!lineedit_keys_feed(&k, data[i], &key))
			continue;
		if (lineedit_key(&le, &key) == LINEEDIT_ACCEPT) {
			s = lineedit_take(&le);
			lineedit_history_add(&le, s);
			free(s);
		}
		if (le.pos > le.len || le.len > le.max ||
		    strlen(le.buf) != le.len)
			abort();
		fuzz_valid_utf8(le.buf, le.len);
		if (le.pos < le.len && ((unsigned char)le.buf[le.pos] & 0xC0) ==
		    0x80)
			abort();
		s = lineedit_render(&le, ">> ", cols, &rlen);
		if (s == NULL || strlen(s) != rlen)
			abort();
		free(s);
	}
	lineedit_free(&le);
}

static void
fuzz_proto(const uint8_t *data, size_t len)
{
	struct client_render_opts	 plain = { 0, 0, NULL };
	struct client_msg		 m;
	char				 err[128], *s;
	size_t				 i;

	s = client_proto_utf8_fix((const char *)data, len);
	fuzz_valid_utf8(s, strlen(s));
	free(s);
	if (client_proto_decode(data, len, &m, err, sizeof(err)) == -1)
		return;
	if (m.ts_ms < 0 || m.ts_ms > CLIENT_TS_MAX_MS)
		abort();
	s = client_render_line(&plain, CLIENT_RENDER_CHAT, m.content, 0);
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
	fuzz_valid_utf8(s, strlen(s));
	free(s);
	client_proto_msg_clear(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (len < 1)
		return 0;
	if (data[0] & 1)
		fuzz_proto(data + 1, len - 1);
	else
		fuzz_keys(data + 1, len - 1, 2 + data[0] % 120);
	return 0;
}
