/*
 * html_account.h — the account pages: /account (details, change password,
 * sessions, delete), the delete confirmation, the password form on its own
 * after a failed change, and the recovery pages.
 */
#ifndef PARLEY_HTML_ACCOUNT_H
#define PARLEY_HTML_ACCOUNT_H

#include <jansson.h>

#include "html.h"

/* Errors shown next to the password fields. */
struct html_password_form {
	const char	*form_error;
	const char	*current_error;	/* NULL on the recovery form */
	const char	*new_error;
};

/*
 * account: the ACCOUNT_GET reply's "account" object; sessions: its
 * "sessions" array; tokens: TOKEN_LIST's "tokens", or NULL when the back
 * end could not list them (all borrowed).  notice: a confirmation shown on top,
 * or NULL.
 */
char	*html_account_page(const struct page *, json_t *account,
	    json_t *sessions, json_t *tokens, const char *notice);
/* A chat token just created, shown this once. */
char	*html_account_token(const struct page *, const char *label,
	    const char *token);
char	*html_account_password(const struct page *,
	    const struct html_password_form *);
char	*html_account_delete(const struct page *, const char *password_error,
	    const char *confirm_error);
/* The new-password form of a valid recovery link (token is echoed). */
char	*html_recover(const struct page *, const char *token,
	    const char *email, const struct html_password_form *);

#endif
