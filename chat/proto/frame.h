/*
 * frame.h — the lab's wire framing: a 4-byte big-endian unsigned length,
 * then that many bytes of UTF-8 JSON.  Pure functions, no I/O, so the
 * server, the client, the tests and the fuzzer share one parser.
 */
#ifndef PARLEY_FRAME_H
#define PARLEY_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HEADER_LEN	4

enum frame_status {
	FRAME_OK,		/* a whole frame is in the buffer */
	FRAME_INCOMPLETE,	/* need more bytes */
	FRAME_EMPTY,		/* length 0: not a JSON object */
	FRAME_TOO_LARGE,	/* length above the limit: the stream is lost */
};

/*
 * Look for one frame at the start of buf[0..len).  On FRAME_OK sets
 * payload/payload_len and consumed (header + payload).  On FRAME_EMPTY sets
 * consumed to the header length so the caller can skip it.  On
 * FRAME_TOO_LARGE sets payload_len to the announced length.
 */
enum frame_status frame_parse(const uint8_t *buf, size_t len, size_t max,
		    const uint8_t **payload, size_t *payload_len,
		    size_t *consumed);

/* Write the 4-byte header announcing payload_len. */
void		  frame_header(uint8_t header[FRAME_HEADER_LEN],
		    uint32_t payload_len);

#endif
