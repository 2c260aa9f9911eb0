/*
 * fuzz_frame.c — the frame parser and the wire decoder on arbitrary bytes,
 * consumed the way conn.c does (frame after frame), and the encoder on
 * whatever string survives decoding.
 */
#include <stdint.h>
#include <string.h>

#include "frame.h"
#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t		*payload;
	struct wire_msg		 m;
	struct wbuf		 b = { 0 };
	const char		*code;
	char			 err[128];
	size_t			 plen, used, off = 0;
	enum frame_status	 st;

	while (off < size) {
		st = frame_parse(data + off, size - off, 4096, &payload, &plen,
		    &used);
		if (st == FRAME_INCOMPLETE || st == FRAME_TOO_LARGE)
			break;
		if (st == FRAME_OK && wire_decode(payload, plen, &m, &code,
		    err, sizeof(err)) == 0) {
			wire_begin(&b, "CHAT");
			if (m.content != NULL)
				wire_str(&b, "content", m.content);
			if (m.name != NULL)
				wire_str(&b, "from", m.name);
			wire_end(&b);
			wire_msg_free(&m);
		}
		off += used;
	}
	wbuf_free(&b);
	return 0;
}
