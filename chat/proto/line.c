/* line.c — newline-delimited input of plain-text sessions. */
#include <string.h>

#include "line.h"

enum line_status
line_next(const uint8_t *buf, size_t len, size_t max, size_t *linelen,
    size_t *consumed)
{
	const uint8_t	*nl;
	size_t		 scan = len < max + 2 ? len : max + 2, n;

	*linelen = *consumed = 0;
	/* max + 2 leaves room for the "\r\n" of a line of exactly max. */
	if ((nl = memchr(buf, '\n', scan)) == NULL) {
		if (len > max + 1) {
			*consumed = len;
			return LINE_TOO_LONG;
		}
		return LINE_INCOMPLETE;
	}
	n = (size_t)(nl - buf);
	*consumed = n + 1;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n > max)
		return LINE_TOO_LONG;
	*linelen = n;
	return LINE_OK;
}

size_t
line_skip(const uint8_t *buf, size_t len, int *done)
{
	const uint8_t *nl = memchr(buf, '\n', len);

	*done = nl != NULL;
	return nl != NULL ? (size_t)(nl - buf) + 1 : len;
}
