/*
 * utf8.h — the one UTF-8 module: strict decoding and validation (RFC 3629:
 * no overlongs, no surrogates, nothing above U+10FFFF), a lenient decoder
 * for display, and terminal column widths.  Used by the chat server, the
 * chat client and the front end.
 *
 * Our own instead of mbrtowc(3)/wcwidth(3): the images are FROM scratch
 * and have no locale files, so setlocale(LC_CTYPE, "C.UTF-8") fails there
 * and wcwidth() would answer -1 for everything non-ASCII.
 */
#ifndef PARLEY_UTF8_H
#define PARLEY_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define UTF8_BAD	0xFFFDu	/* replacement character */

/*
 * Length of the sequence announced by lead byte c: 1..4, or 0 when c cannot
 * start a sequence (continuation byte, 0xC0/0xC1, 0xF5..0xFF).
 */
size_t	 utf8_seqlen(unsigned char c);

/*
 * Decode one sequence at s[0..len).  Returns its length (1..4) with the
 * code point in *cp, or 0 when the bytes are not valid UTF-8 (overlong,
 * surrogate, above U+10FFFF, truncated) or len is 0.
 */
size_t	 utf8_decode(const void *s, size_t len, uint32_t *cp);

/*
 * 1 when s[0..len) is valid UTF-8 without NUL bytes, with the number of
 * code points in *ncp (if not NULL); 0 otherwise.
 */
int	 utf8_valid(const void *s, size_t len, size_t *ncp);

/*
 * The next code point at s[0..len) (len > 0), for display.  Returns the
 * bytes used; an invalid, overlong, surrogate or truncated sequence yields
 * UTF8_BAD and consumes 1 byte, so callers always progress.
 */
size_t	 utf8_next(const char *s, size_t len, uint32_t *cp);

/* Encode cp (a valid scalar value) into out; returns 1..4. */
size_t	 utf8_encode(uint32_t cp, char out[4]);

/* Offset of the code point that ends at pos (pos > 0). */
size_t	 utf8_prev(const char *s, size_t pos);

/*
 * Columns cp occupies on a terminal: 0 for combining marks and other
 * zero-width characters, 2 for East Asian wide/fullwidth and emoji, 1
 * otherwise.  Control characters answer -1 (callers escape them).
 */
int	 utf8_width(uint32_t cp);

/* Total width of s[0..len), counting an undisplayable character as 1. */
size_t	 utf8_strwidth(const char *s, size_t len);

/*
 * Streaming validation (RFC 3629 as utf8_decode) that keeps its place across
 * buffers, e.g. WebSocket fragments: zero-initialise, feed each piece, and
 * the text is complete and valid when every feed returned 0 and need is 0.
 * Fails at the first byte that cannot start or continue a valid sequence.
 */
struct utf8_stream {
	uint8_t	need;		/* continuation bytes still expected */
	uint8_t	lo, hi;		/* bounds of the next continuation byte */
};

int	 utf8_stream_feed(struct utf8_stream *, const uint8_t *s, size_t n);

#endif
