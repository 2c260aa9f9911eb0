/*
 * lineedit_utf8.h — a small UTF-8 decoder and display-width table.
 *
 * Our own instead of mbrtowc(3)/wcwidth(3): the client image is FROM
 * scratch and has no locale files, so setlocale(LC_CTYPE, "C.UTF-8")
 * fails there and wcwidth() would answer -1 for everything non-ASCII.
 */
#ifndef PARLEY_LINEEDIT_UTF8_H
#define PARLEY_LINEEDIT_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define LINEEDIT_UTF8_BAD	0xFFFDu	/* replacement character */

/*
 * Length of the sequence announced by lead byte c: 1..4, or 0 when c cannot
 * start a sequence (continuation byte, 0xC0/0xC1, 0xF5..0xFF).
 */
size_t	 lineedit_utf8_seqlen(unsigned char c);

/*
 * Decode one code point at s[0..len) (len > 0).  Returns the bytes used;
 * an invalid, overlong, surrogate or truncated sequence yields
 * LINEEDIT_UTF8_BAD and consumes 1 byte, so callers always progress.
 */
size_t	 lineedit_utf8_decode(const char *s, size_t len, uint32_t *cp);

/* Encode cp (a valid scalar value) into out; returns 1..4. */
size_t	 lineedit_utf8_encode(uint32_t cp, char out[4]);

/* Offset of the code point that ends at pos (pos > 0). */
size_t	 lineedit_utf8_prev(const char *s, size_t pos);

/*
 * Columns cp occupies on a terminal: 0 for combining marks and other
 * zero-width characters, 2 for East Asian wide/fullwidth and emoji, 1
 * otherwise.  Control characters answer -1 (callers escape them).
 */
int	 lineedit_utf8_width(uint32_t cp);

/* Total width of s[0..len), counting an undisplayable character as 1. */
size_t	 lineedit_utf8_strwidth(const char *s, size_t len);

#endif
