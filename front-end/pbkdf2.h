/*
 * pbkdf2.h — PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) over libsodium's HMAC, and
 * the werkzeug hash format the textbook's front end stores:
 * "pbkdf2:sha256:ITERATIONS$SALT$HEXDIGEST" (werkzeug generate_password_hash;
 * the salt is used as its bytes, the digest is 32 bytes in lower-case hex).
 */
#ifndef PARLEY_PBKDF2_H
#define PARLEY_PBKDF2_H

#include <stddef.h>

#define PBKDF2_WERKZEUG_PREFIX	"pbkdf2:sha256:"
/* werkzeug 2.0-2.2's default, the textbook's: failures cost this much. */
#define PBKDF2_REF_ITERATIONS	260000UL
/* Larger counts are refused as malformed (a stored hash is input too). */
#define PBKDF2_MAX_ITERATIONS	2000000UL

enum pbkdf2_verdict {
	PBKDF2_NOT_WERKZEUG = -1,	/* another format, or malformed */
	PBKDF2_MISMATCH = 0,
	PBKDF2_MATCH = 1,
};

/* out = PBKDF2-HMAC-SHA256(password, salt, iterations), outlen bytes. */
void	pbkdf2_sha256(const void *password, size_t passwordlen,
	    const void *salt, size_t saltlen, unsigned long iterations,
	    unsigned char *out, size_t outlen);

/*
 * Check password against a werkzeug "pbkdf2:sha256:N$salt$hex" string in
 * constant time for its N.  *iterations is N when the format was
 * recognised (MATCH or MISMATCH), 0 otherwise.
 */
enum pbkdf2_verdict pbkdf2_werkzeug_verify(const char *stored,
	    const char *password, unsigned long *iterations);

/* Spend what a verification with `iterations` costs, on random input. */
void	pbkdf2_burn(unsigned long iterations);

#endif
