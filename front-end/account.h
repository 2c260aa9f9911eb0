/*
 * account.h — what makes an acceptable email address and password
 * (OWASP ASVS 4.0.3 V2.1: 12..128 characters, any Unicode, no composition
 * rules, checked against a list of common passwords).
 */
#ifndef PARLEY_ACCOUNT_H
#define PARLEY_ACCOUNT_H

#include <stddef.h>

#define ACCOUNT_EMAIL_MAX	254	/* RFC 5321 path limit */
#define ACCOUNT_PASSWORD_MIN	12	/* characters (code points) */
#define ACCOUNT_PASSWORD_MAX	128

enum account_verdict {
	ACCOUNT_OK,
	ACCOUNT_EMAIL_MISSING,
	ACCOUNT_EMAIL_INVALID,
	ACCOUNT_PASSWORD_MISSING,
	ACCOUNT_PASSWORD_SHORT,
	ACCOUNT_PASSWORD_LONG,
	ACCOUNT_PASSWORD_COMMON,
	ACCOUNT_PASSWORD_IS_EMAIL,
};

/*
 * Trim surrounding white space and lower-case in into out (at least
 * ACCOUNT_EMAIL_MAX + 1 bytes), then validate it: one '@', a dot-atom
 * local part of 1..64 characters, a domain of LDH labels with at least one
 * dot.  Returns ACCOUNT_OK, ACCOUNT_EMAIL_MISSING or ACCOUNT_EMAIL_INVALID.
 */
enum account_verdict	account_email(const char *in, char *out,
			    size_t outlen);
/* Length in characters, the common-password list, not the email itself. */
enum account_verdict	account_password(const char *pw, const char *email);
/* A message for the user, naming the problem and the fix. */
const char		*account_message(enum account_verdict);

#endif
