/*
 * Unit tests for lib/namekey.c: look-alike names share a key, invisible and
 * formatting characters are refused, plain ASCII keeps its lower case.
 */
#include <string.h>

#include "check.h"
#include "namekey.h"

int	main(void);

static char	 k1[NAMEKEY_MAX + 1], k2[NAMEKEY_MAX + 1];
static const char *why;

/* The key of s (or "" when refused, why set). */
static const char *
key(const char *s, char *buf)
{
	why = NULL;
	if (namekey(s, strlen(s), buf, &why) == -1)
		buf[0] = '\0';
	return buf;
}

static int
same(const char *a, const char *b)
{
	return key(a, k1)[0] != '\0' && strcmp(k1, key(b, k2)) == 0;
}

static int
refused(const char *s)
{
	return namekey(s, strlen(s), k1, &why) == -1 && why != NULL &&
	    why[0] != '\0';
}

static void
test_ascii(void)
{
	static const char *names[] = { "Alice", "bob_42", "x", "Ab-Cd.Ef",
	    "l1I0O", "rnm", "~!@#$%^&*()" };
	char	buf[8];
	size_t	i, j;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		CHECK(namekey(names[i], strlen(names[i]), k1, &why) ==
		    (int)strlen(names[i]));
		for (j = 0; names[i][j] != '\0'; j++)
			CHECK(k1[j] == (names[i][j] >= 'A' && names[i][j] <= 'Z'
			    ? names[i][j] - 'A' + 'a' : names[i][j]));
	}
	CHECK(strcmp(key("ALICE", k1), "alice") == 0);
	CHECK(!same("l1", "ll") && !same("O0", "OO") && !same("rn", "m"));
	for (i = 1; i < 0x80; i++) {		/* every ASCII character */
		buf[0] = (char)i;
		CHECK((namekey(buf, 1, k1, &why) == -1) ==
		    (i < 0x21 || i == 0x7f));
	}
	CHECK(refused("") && refused("a b") && refused("a\tb") &&
	    refused("a\nb"));
}

static void
test_lookalikes(void)
{
	CHECK(same("SERV\xd0\x95R", "SERVER"));		/* Cyrillic Е */
	CHECK(namekey_reserved(key("SERV\xd0\x95R", k1)));
	CHECK(namekey_reserved(key("server", k1)));
	CHECK(namekey_reserved(key("\xef\xbc\xb3\xef\xbc\xa5RVER", k1)));
	CHECK(!namekey_reserved(key("servers", k1)));
	CHECK(same("\xd0\x90lice", "Alice"));		/* Cyrillic А */
	CHECK(same("\xd0\xb0lice", "alice"));		/* Cyrillic а */
	CHECK(same("\xef\xbc\xa1lice", "Alice"));	/* fullwidth Ａ */
	CHECK(same("\xef\xbd\x81\xef\xbd\x8c\xef\xbd\x89\xef\xbd\x83"
	    "\xef\xbd\x85", "alice"));			/* ａｌｉｃｅ */
	CHECK(same("\xce\x91lice", "alice"));		/* Greek Α */
	CHECK(same("\xf0\x9d\x90\x80lice", "alice"));	/* bold 𝐀 */
	CHECK(same("\xd0\x86van", "Ivan"));		/* Cyrillic І */
	CHECK(same("\xd1\x96van", "ivan"));		/* Cyrillic і */
	CHECK(same("\xd0\xa2om", "Tom"));		/* Cyrillic Т */
	CHECK(same("\xd1\x82om", "Tom"));		/* its т, case-blind */
	CHECK(same("\xce\x92ob", "bob"));		/* Greek Β */
	CHECK(same("\xce\x9dick", "nick"));		/* Greek Ν */
	CHECK(same("\xd0\xae", "IO"));		/* Ю */
	/* Case folding beyond ASCII: Cyrillic and Greek names in any case. */
	CHECK(same("\xd0\xa2\xd0\x98\xd0\x9c\xd0\xa3\xd0\xa0",
	    "\xd1\x82\xd0\xb8\xd0\xbc\xd1\x83\xd1\x80"));	/* ТИМУР */
	CHECK(same("\xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91",
	    "\xcf\x83\xce\xbf\xcf\x86\xce\xb9\xce\xb1"));	/* ΣΟΦΙΑ */
	CHECK(same("\xe1\x8e\xaa", "\xea\xad\xba"));	/* Cherokee Ꭺ ꭺ */
	CHECK(same("STRA\xc3\x9f" "E", "strasse"));	/* ß folds to ss */
	CHECK(same("\xe1\xba\x9e", "ss"));		/* capital ẞ */
	CHECK(same("\xc3\xa9mile", "e\xcc\x81mile"));	/* é = e + U+0301 */
	CHECK(same("\xc3\x89MILE", "\xc3\xa9mile"));	/* É, é */
	CHECK(same("\xef\xac\x81le", "file"));		/* ligature ﬁ */
	CHECK(same("\xea\xb0\x80", "\xe1\x84\x80\xe1\x85\xa1")); /* 가 */
	/* Marks in another order are the same name (canonical order). */
	CHECK(same("a\xcc\x81\xcc\xa3", "a\xcc\xa3\xcc\x81"));
	CHECK(!same("alice", "bob") && !same("\xc3\xa9", "e"));
}

static void
test_refused(void)
{
	CHECK(refused("Al\xc2\xad" "ice"));		/* soft hyphen */
	CHECK(refused("Alice\xef\xb8\x8f"));		/* VS16 */
	CHECK(refused("Alice\xf3\xa0\x84\x80"));	/* VS17 */
	CHECK(refused("Alice\xf3\xa0\x81\x81"));	/* tag A */
	CHECK(refused("Al\xe2\x80\x8d" "ice"));		/* ZWJ */
	CHECK(refused("Al\xe2\x80\x8b" "ice"));		/* ZWSP */
	CHECK(refused("Al\xe2\x80\x8c" "ice"));		/* ZWNJ */
	CHECK(refused("\xef\xbb\xbf" "Alice"));		/* BOM */
	CHECK(refused("\xe2\x80\xae" "ecilA"));		/* RLO */
	CHECK(strstr(why, "direction") != NULL);
	CHECK(refused("Alice\xe2\x81\xa6"));		/* LRI */
	CHECK(refused("Al\xcd\x8f" "ice"));		/* CGJ */
	CHECK(refused("\xe3\x85\xa4"));			/* Hangul filler */
	CHECK(refused("A\xc2\xa0" "B"));		/* no-break space */
	CHECK(refused("A\xe3\x80\x80" "B"));		/* ideographic space */
	CHECK(refused("A\xe2\x80\xa8" "B"));		/* line separator */
	CHECK(refused("A\xc2\x85"));			/* C1 control NEL */
	CHECK(refused("\xee\x80\x80"));			/* private use */
	CHECK(refused("\xf0\xb0\x80\x80\xf3\xbf\xbf\xbf")); /* unassigned */
	CHECK(refused("\xef\xbf\xbe"));			/* noncharacter */
	CHECK(refused("\xcc\x81" "a"));			/* mark first */
	CHECK(strstr(why, "combining") != NULL);
	CHECK(!refused("a\xcc\x81\xcc\x82\xcc\x83\xcc\x84"));	/* 4 marks */
	CHECK(refused("a\xcc\x81\xcc\x82\xcc\x83\xcc\x84\xcc\x85"));
	CHECK(refused("\xc3\xa9\xff") && refused("\xc0\xaf") &&
	    refused("\xed\xa0\x80"));
	CHECK(namekey("a\0b", 3, k1, &why) == -1);		/* NUL */
}

static void
test_limits(void)
{
	char	name[NAMEKEY_MAX + 2];
	size_t	i;

	memset(name, 'A', sizeof(name));
	CHECK(namekey(name, NAMEKEY_MAX, k1, &why) == NAMEKEY_MAX &&
	    k1[NAMEKEY_MAX] == '\0' && k1[0] == 'a');
	CHECK(namekey(name, NAMEKEY_MAX + 1, k1, &why) == -1);
	/* U+FDFA expands to 18 code points (33 bytes): 16 of them are too
	 * long as a key though the name is 48 bytes. */
	for (i = 0; i < 16; i++)
		memcpy(name + 3 * i, "\xef\xb7\xba", 3);
	CHECK(namekey(name, 48, k1, &why) == -1 && strstr(why, "long"));
	CHECK(namekey(name, 15, k1, &why) > 0);
}

/* key(key(x)) == key(x) for names whose key is a usable name. */
static void
test_idempotent(void)
{
	static const char *names[] = { "SERV\xd0\x95R", "\xd0\x90lice",
	    "\xef\xbc\xa1lice", "STRA\xc3\x9f" "E", "\xc3\x89MILE",
	    "a\xcc\x81\xcc\xa3", "\xea\xb0\x80\xea\xb0\x81", "\xe2\x84\xaa",
	    "\xc7\x85", "\xe2\x91\xa0", "\xe3\x8d\xbf", "\xce\x90",
	    "\xf0\x9d\x94\x84" "b", "\xd4\xb1\xd5\xa1", "\xe1\xbe\x88" };
	size_t i;
	int n;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = namekey(names[i], strlen(names[i]), k1, &why);
		CHECK(n > 0);
		CHECK(namekey(k1, (size_t)n, k2, &why) == n &&
		    strcmp(k1, k2) == 0);
	}
}

int
main(void)
{
	test_ascii();
	test_lookalikes();
	test_refused();
	test_limits();
	test_idempotent();
	return check_report("test_namekey");
}
