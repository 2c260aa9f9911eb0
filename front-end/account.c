/* account.c — email normalisation and password policy. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "denylist.h"
#include "utf8.h"

#define LOCAL_MAX	64
#define LABEL_MAX	63

/* RFC 5322 atext; '.' is handled by the dot-atom rules. */
static int
account_atext(int c)
{
	return isalnum(c) || strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL;
}

static int
account_local_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > LOCAL_MAX || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
		} else if (!account_atext((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

static int
account_domain_ok(const char *s)
{
	size_t	label = 0, labels = 1;
	char	prev = '.';

	for (; *s != '\0'; prev = *s++) {
		if (*s == '.') {
			if (label == 0 || prev == '-')
				return 0;
			label = 0;
			labels++;
			continue;
		}
		if (!(isalnum((unsigned char)*s) || *s == '-') ||
		    (label == 0 && *s == '-') || ++label > LABEL_MAX)
			return 0;
	}
	return label > 0 && prev != '-' && labels >= 2;
}

enum account_verdict
account_email(const char *in, char *out, size_t outlen)
{
	const char	*end, *at;
	size_t		 len, i;

	out[0] = '\0';
	if (in == NULL)
		return ACCOUNT_EMAIL_MISSING;
	while (isspace((unsigned char)*in))
		in++;
	end = in + strlen(in);
	while (end > in && isspace((unsigned char)end[-1]))
		end--;
	if ((len = (size_t)(end - in)) == 0)
		return ACCOUNT_EMAIL_MISSING;
	if (len > ACCOUNT_EMAIL_MAX || len >= outlen)
		return ACCOUNT_EMAIL_INVALID;
	for (i = 0; i < len; i++) {
		/* ASCII only: internationalised addresses are not accepted. */
		if ((unsigned char)in[i] >= 0x80)
			return ACCOUNT_EMAIL_INVALID;
		out[i] = (char)tolower((unsigned char)in[i]);
	}
	out[len] = '\0';
	if ((at = strchr(out, '@')) == NULL || strchr(at + 1, '@') != NULL ||
	    !account_local_ok(out, (size_t)(at - out)) ||
	    !account_domain_ok(at + 1)) {
		out[0] = '\0';
		return ACCOUNT_EMAIL_INVALID;
	}
	return ACCOUNT_OK;
}

enum account_verdict
account_password(const char *pw, const char *email)
{
	size_t	ncp;

	if (pw == NULL || *pw == '\0')
		return ACCOUNT_PASSWORD_MISSING;
	/* form_parse already rejected invalid UTF-8; count characters. */
	if (!utf8_valid(pw, strlen(pw), &ncp))
		return ACCOUNT_PASSWORD_MISSING;
	if (ncp < ACCOUNT_PASSWORD_MIN)
		return ACCOUNT_PASSWORD_SHORT;
	if (ncp > ACCOUNT_PASSWORD_MAX)
		return ACCOUNT_PASSWORD_LONG;
	if (email != NULL && strcasecmp(pw, email) == 0)
		return ACCOUNT_PASSWORD_IS_EMAIL;
	if (denylist_contains(pw))
		return ACCOUNT_PASSWORD_COMMON;
	return ACCOUNT_OK;
}

const char *
account_message(enum account_verdict v)
{
	switch (v) {
	case ACCOUNT_OK:
		return "";
	case ACCOUNT_EMAIL_MISSING:
		return "Enter your email address.";
	case ACCOUNT_EMAIL_INVALID:
		return "Enter a valid email address, like name@example.com.";
	case ACCOUNT_PASSWORD_MISSING:
		return "Enter a password.";
	case ACCOUNT_PASSWORD_SHORT:
		return "Use at least 12 characters. A few unrelated words "
		    "make a good password.";
	case ACCOUNT_PASSWORD_LONG:
		return "Use at most 128 characters.";
	case ACCOUNT_PASSWORD_COMMON:
		return "This password is too common and easy to guess. "
		    "Choose another one.";
	case ACCOUNT_PASSWORD_IS_EMAIL:
		return "Your password must not be your email address.";
	}
	return "Invalid input.";
}
