/*
 * Unit tests for front-end/pbkdf2.c: PBKDF2-HMAC-SHA256 against RFC 7914
 * §11 and other published vectors, and the werkzeug hash format.
 */
#include <string.h>

#include <sodium.h>

#include "check.h"
#include "pbkdf2.h"

int	main(void);

static int
derives(const char *pw, size_t pwlen, const char *salt, size_t saltlen,
    unsigned long c, const char *want_hex)
{
	unsigned char	out[64];
	char		hex[129];
	size_t		n = strlen(want_hex) / 2;

	pbkdf2_sha256(pw, pwlen, salt, saltlen, c, out, n);
	sodium_bin2hex(hex, sizeof(hex), out, n);
	if (strcmp(hex, want_hex) != 0) {
		fprintf(stderr, "  PBKDF2(%s, c=%lu): %s\n", pw, c, hex);
		return 0;
	}
	return 1;
}

static void
test_vectors(void)
{
	/* RFC 7914 §11 (the PBKDF2-HMAC-SHA256 part), dkLen 64. */
	CHECK(derives("passwd", 6, "salt", 4, 1,
	    "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
	    "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"));
	CHECK(derives("Password", 8, "NaCl", 4, 80000,
	    "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
	    "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"));
	/* The RFC 6070 inputs with SHA-256 (as published with the RFC's
	 * errata and by most PBKDF2 implementations' test suites). */
	CHECK(derives("password", 8, "salt", 4, 1,
	    "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"));
	CHECK(derives("password", 8, "salt", 4, 2,
	    "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43"));
	CHECK(derives("password", 8, "salt", 4, 4096,
	    "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"));
	CHECK(derives("passwordPASSWORDpassword", 24,
	    "saltSALTsaltSALTsaltSALTsaltSALTsalt", 36, 4096,
	    "348c89dbcbd32b2f32d814b8116e84cf2b17347ebc1800181c4e2a1fb8dd53e1"
	    "c635518c7dac47e9"));
	CHECK(derives("pass\0word", 9, "sa\0lt", 5, 4096,
	    "89b69d0516f829893c696226650a8687"));
}

static void
test_werkzeug(void)
{
	/* Made with Python's hashlib the way werkzeug's
	 * generate_password_hash(method="pbkdf2:sha256") does. */
	const char *book = "pbkdf2:sha256:260000$Zq3Xc9LmP0aB7dEf$"
	    "3ea002467df5aced87633a71e0e0f6805cf0493dcf127a78f21e2f73ab755e07";
	const char *utf8 = "pbkdf2:sha256:1000$salt$"
	    "cf2d684cc373233b60f2331556aa47cb35abe3ae19e7c461380769577b523a22";
	const char *bad[] = {
		"pbkdf2:sha256$salt$cf2d684cc373233b60f2331556aa47cb35abe3ae"
		    "19e7c461380769577b523a22",	/* no count: ambiguous */
		"pbkdf2:sha256:01000$salt$cf2d684cc373233b60f2331556aa47cb35"
		    "abe3ae19e7c461380769577b523a22",
		"pbkdf2:sha256:0$salt$cf2d684cc373233b60f2331556aa47cb35abe3"
		    "ae19e7c461380769577b523a22",
		"pbkdf2:sha256:99999999$salt$cf2d684cc373233b60f2331556aa47c"
		    "b35abe3ae19e7c461380769577b523a22",
		"pbkdf2:sha256:1000$$cf2d684cc373233b60f2331556aa47cb35abe3a"
		    "e19e7c461380769577b523a22",
		"pbkdf2:sha256:1000$salt$CF2D684CC373233B60F2331556AA47CB35A"
		    "BE3AE19E7C461380769577B523A22",
		"pbkdf2:sha256:1000$salt$cf2d684cc373233b60f2331556aa47cb35a"
		    "be3ae19e7c461380769577b523a2",
		"pbkdf2:sha512:1000$salt$cf2d684cc373233b60f2331556aa47cb35a"
		    "be3ae19e7c461380769577b523a22",
		"scrypt:32768:8:1$salt$abcd",
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
		"",
	};
	unsigned long	n;
	size_t		i;

	CHECK(pbkdf2_werkzeug_verify(book, "correct horse", &n) ==
	    PBKDF2_MATCH && n == 260000);
	CHECK(pbkdf2_werkzeug_verify(book, "correct horsE", &n) ==
	    PBKDF2_MISMATCH && n == 260000);
	CHECK(pbkdf2_werkzeug_verify(utf8, "p\xc3\xa4ssw\xc3\xb6rd", &n) ==
	    PBKDF2_MATCH && n == 1000);
	CHECK(pbkdf2_werkzeug_verify(utf8, "", &n) == PBKDF2_MISMATCH);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 7;
		CHECK(pbkdf2_werkzeug_verify(bad[i], "p\xc3\xa4ssw\xc3\xb6rd",
		    &n) == PBKDF2_NOT_WERKZEUG && n == 0);
	}
	CHECK(pbkdf2_werkzeug_verify(NULL, "x", &n) == PBKDF2_NOT_WERKZEUG);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_vectors();
	test_werkzeug();
	return check_report("test_pbkdf2");
}
