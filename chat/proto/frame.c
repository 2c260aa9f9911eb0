/* frame.c — length-prefixed framing of the lab chat protocol. */
#include "frame.h"

enum frame_status
frame_parse(const uint8_t *buf, size_t len, size_t max,
    const uint8_t **payload, size_t *payload_len, size_t *consumed)
{
	uint32_t n;

	*consumed = 0;
	if (len < FRAME_HEADER_LEN)
		return FRAME_INCOMPLETE;
	n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	    (uint32_t)buf[2] << 8 | (uint32_t)buf[3];
	*payload_len = n;
	if (n == 0) {
		*consumed = FRAME_HEADER_LEN;
		return FRAME_EMPTY;
	}
	if (n > max)
		return FRAME_TOO_LARGE;
	if (len - FRAME_HEADER_LEN < n)
		return FRAME_INCOMPLETE;
	*payload = buf + FRAME_HEADER_LEN;
	*consumed = FRAME_HEADER_LEN + (size_t)n;
	return FRAME_OK;
}

void
frame_header(uint8_t header[FRAME_HEADER_LEN], uint32_t payload_len)
{
	header[0] = (uint8_t)(payload_len >> 24);
	header[1] = (uint8_t)(payload_len >> 16);
	header[2] = (uint8_t)(payload_len >> 8);
	header[3] = (uint8_t)payload_len;
}
