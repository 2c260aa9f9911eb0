/*
 * line.h — the plain-text (telnet, nc) session's line splitter.  Pure, no
 * I/O, shared by the server and the fuzzer.
 */
#ifndef PARLEY_LINE_H
#define PARLEY_LINE_H

#include <stddef.h>
#include <stdint.h>

enum line_status {
	LINE_OK,		/* a whole line is in the buffer */
	LINE_INCOMPLETE,	/* no newline yet */
	LINE_TOO_LONG,		/* more than max bytes without a newline */
};

/*
 * Look for one line at the start of buf[0..len).  On LINE_OK sets linelen
 * (without the "\n" or "\r\n") and consumed (with it).  On LINE_TOO_LONG
 * the caller drops consumed bytes; when they do not end with a newline
 * (none seen yet) it also drops everything up to the next one (line_skip).
 */
enum line_status line_next(const uint8_t *buf, size_t len, size_t max,
		    size_t *linelen, size_t *consumed);

/*
 * While discarding an over-long line: bytes to drop from buf[0..len),
 * and *done set when the newline ending it was found.
 */
size_t		 line_skip(const uint8_t *buf, size_t len, int *done);

#endif
