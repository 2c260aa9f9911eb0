/*
 * fuzz_form.c — the front end's parsers on arbitrary bytes: urlencoded
 * bodies (form_parse), Cookie headers (form_cookie), email normalisation
 * and the password policy (account_*), the common-password check.
 * Invariants are checked, not just "no crash".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "denylist.h"
#include "form.h"
#include "session.h"
#include "utf8.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_form(const char *s, size_t len)
{
	struct form	form;
	size_t		i, j;

	if (form_parse(&form, s, len) == -1)
		return;
	for (i = 0; i < form.n; i++) {
		/* Values are NUL-free UTF-8 of the recorded length. */
		if (strlen(form.f[i].value) != form.f[i].len ||
		    !utf8_valid(form.f[i].value, form.f[i].len, NULL))
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(form.f[i].name, form.f[j].name) == 0)
				abort();
		if (form_get(&form, form.f[i].name) != form.f[i].value)
			abort();
	}
	form_free(&form);
}

static void
fuzz_cookie(const char *s)
{
	char	out[64];
	size_t	n;

	if (form_cookie(s, "parley_session", out, sizeof(out)) == 0) {
		n = strlen(out);
		if (n == 0 || n >= sizeof(out))
			abort();
		(void)session_id_valid(out);
	}
	(void)form_cookie(s, "", out, 1);
	(void)form_cookie(s, "__Host-parley_csrf", out, sizeof(out));
}

static void
fuzz_account(const char *s)
{
	char			 email[ACCOUNT_EMAIL_MAX + 1];
	enum account_verdict	 v;
	size_t			 i;

	v = account_email(s, email, sizeof(email));
	if (v == ACCOUNT_OK) {
		/* Normalised: lower-case ASCII, one '@', within limits. */
		if (strlen(email) > ACCOUNT_EMAIL_MAX ||
		    strchr(email, '@') == NULL ||
		    strchr(email, '@') != strrchr(email, '@'))
			abort();
		for (i = 0; email[i] != '\0'; i++)
			if ((unsigned char)email[i] >= 0x80 ||
			    (email[i] >= 'A' && email[i] <= 'Z'))
				abort();
		/* Idempotent. */
		char again[ACCOUNT_EMAIL_MAX + 1];
		if (account_email(email, again, sizeof(again)) != ACCOUNT_OK ||
		    strcmp(email, again) != 0)
			abort();
	}
	if (utf8_valid(s, strlen(s), NULL))
		(void)account_password(s, v == ACCOUNT_OK ? email : NULL);
	(void)denylist_contains(s);
	(void)account_message(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);

	memcpy(s, data, len);
	s[len] = '\0';
	fuzz_form(s, len);
	fuzz_cookie(s);
	fuzz_account(s);
	free(s);
	return 0;
}
