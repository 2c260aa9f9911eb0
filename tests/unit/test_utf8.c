/*
 * Unit tests for lib/utf8.c: strict decoding and validation (the chat
 * server's names and text, the front end's forms) and the lenient decoder,
 * stepping back and widths (the chat client's line editor).
 */
#include <stdint.h>

#include "check.h"
#include "utf8.h"

int	main(void);

static void
test_strict(void)
{
	uint32_t	cp = 0;
	size_t		n = 0;

	CHECK(utf8_decode("a", 1, &cp) == 1 && cp == 'a');
	CHECK(utf8_decode("\xc3\xa9", 2, &cp) == 2 && cp == 0xE9);
	CHECK(utf8_decode("\xf4\x8f\xbf\xbf", 4, &cp) == 4 && cp == 0x10FFFF);
	CHECK(utf8_decode("", 0, &cp) == 0);
	CHECK(utf8_decode("\xc0\xaf", 2, &cp) == 0);		/* overlong */
	CHECK(utf8_decode("\xe0\x80\xaf", 3, &cp) == 0);	/* overlong */
	CHECK(utf8_decode("\xf0\x80\x80\xaf", 4, &cp) == 0);	/* overlong */
	CHECK(utf8_decode("\xed\xa0\x80", 3, &cp) == 0);	/* surrogate */
	CHECK(utf8_decode("\xf4\x90\x80\x80", 4, &cp) == 0);	/* > U+10FFFF */
	CHECK(utf8_decode("\xe6\x97", 2, &cp) == 0);		/* truncated */
	CHECK(utf8_decode("\xe6\x97\x41", 3, &cp) == 0);	/* not a tail */
	CHECK(utf8_decode("\x80", 1, &cp) == 0);		/* stray tail */
	CHECK(utf8_valid("h\xc3\xa9llo \xe6\x97\xa5", 10, &n) && n == 7);
	CHECK(utf8_valid("", 0, &n) && n == 0);
	CHECK(!utf8_valid("a\0b", 3, NULL));			/* NUL */
	CHECK(!utf8_valid("ab\xc3", 3, NULL));
	CHECK(!utf8_valid("\xff", 1, NULL));
}

static void
test_lenient(void)
{
	uint32_t cp;

	CHECK(utf8_next("a", 1, &cp) == 1 && cp == 'a');
	CHECK(utf8_next("\xe6\x97\xa5", 3, &cp) == 3 && cp == 0x65E5);
	CHECK(utf8_next("\xf0\x9f\x98\x80", 4, &cp) == 4 && cp == 0x1F600);
	/* overlong, surrogate, beyond U+10FFFF, truncated, stray */
	CHECK(utf8_next("\xc0\x80", 2, &cp) == 1 && cp == UTF8_BAD);
	CHECK(utf8_next("\xe0\x80\xaf", 3, &cp) == 1 && cp == UTF8_BAD);
	CHECK(utf8_next("\xed\xa0\x80", 3, &cp) == 1 && cp == UTF8_BAD);
	CHECK(utf8_next("\xf4\x90\x80\x80", 4, &cp) == 1 && cp == UTF8_BAD);
	CHECK(utf8_next("\xe6\x97", 2, &cp) == 1 && cp == UTF8_BAD);
	CHECK(utf8_next("\x80", 1, &cp) == 1 && cp == UTF8_BAD);
	CHECK(utf8_prev("a\xc3\xa9", 3) == 1);
	CHECK(utf8_prev("a\xf0\x9f\x98\x80", 5) == 1);
	CHECK(utf8_prev("ab", 2) == 1);
	CHECK(utf8_prev("a\x80\x80", 3) == 2);	/* garbage: 1 byte */
}

static void
test_encode(void)
{
	static const uint32_t	 cps[] = { 0x41, 0xE9, 0x65E5, 0x1F600 };
	char			 buf[4];
	uint32_t		 cp;
	size_t			 i, n;

	for (i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
		n = utf8_encode(cps[i], buf);
		CHECK(n == i + 1 && utf8_decode(buf, n, &cp) == n &&
		    cp == cps[i]);
	}
}

static void
test_width(void)
{
	CHECK(utf8_width('a') == 1);
	CHECK(utf8_width(0xE9) == 1);
	CHECK(utf8_width(0x301) == 0);		/* combining acute */
	CHECK(utf8_width(0x200D) == 0);		/* ZWJ */
	CHECK(utf8_width(0x65E5) == 2);		/* CJK */
	CHECK(utf8_width(0xAC00) == 2);		/* Hangul */
	CHECK(utf8_width(0xFF21) == 2);		/* fullwidth A */
	CHECK(utf8_width(0x1F600) == 2);	/* emoji */
	CHECK(utf8_width(0x1b) == -1);
	CHECK(utf8_width(0x85) == -1);		/* C1 */
	CHECK(utf8_width(0x3B1) == 1);		/* alpha */
	CHECK(utf8_strwidth("h\xc3\xa9llo \xe6\x97\xa5", 10) == 8);
}

int
main(void)
{
	test_strict();
	test_lenient();
	test_encode();
	test_width();
	return check_report("test_utf8");
}
