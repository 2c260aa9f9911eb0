/* html_account.c — see html_account.h.  Everything from the back end is
 * escaped like user input. */
#include <stdio.h>
#include <string.h>

#include "html_account.h"

static const char html_pw_hint[] = "12 to 128 characters. Spaces, emoji and "
    "any language are welcome; a few unrelated words work well. Common "
    "passwords are refused.";

static const char *
html_json_str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "";
}

/* One password input with its label, hint and error. */
static void
html_password_input(struct html *h, const char *id, const char *label,
    const char *hint, const char *autocomplete, const char *error,
    int autofocus)
{
	int bad = error != NULL && *error != '\0';

	fprintf(h->f, "<div class=\"field\"><label for=\"%s\">%s</label>", id,
	    label);
	if (hint != NULL)
		fprintf(h->f, "<p class=\"hint\" id=\"%s-hint\">%s</p>", id, hint);
	fprintf(h->f, "<input id=\"%s\" name=\"%s\" type=\"password\" "
	    "autocomplete=\"%s\" required maxlength=\"512\"%s", id, id,
	    autocomplete, hint != NULL ? " minlength=\"12\"" : "");
	if (hint != NULL || bad)
		fprintf(h->f, " aria-describedby=\"%s%s%s%s%s\"",
		    hint != NULL ? id : "", hint != NULL ? "-hint" : "",
		    hint != NULL && bad ? " " : "", bad ? id : "",
		    bad ? "-error" : "");
	fprintf(h->f, "%s%s>", bad ? " aria-invalid=\"true\"" : "",
	    bad || autofocus ? " autofocus" : "");
	if (bad) {
		char eid[64];

		snprintf(eid, sizeof(eid), "%s-error", id);
		html_error_text(h, eid, error);
	}
	html_put(h, "</div>");
}

static void
html_alert(struct html *h, const char *error)
{
	struct html_form f = { .form_error = error };

	html_form_error(h, &f);
}

static void
html_password_fields(struct html *h, const struct page *p,
    const struct html_password_form *f)
{
	html_put(h, "<form method=\"post\" action=\"/account/password\" "
	    "novalidate>");
	html_csrf(h, p);
	html_password_input(h, "current_password", "Current password", NULL,
	    "current-password", f->current_error, 0);
	html_password_input(h, "new_password", "New password", html_pw_hint,
	    "new-password", f->new_error, 0);
	html_put(h, "<button class=\"btn\" type=\"submit\">Change password"
	    "</button></form>");
}

static void
html_detail(struct html *h, const char *term, const char *value,
    const char *ip)
{
	html_put(h, "<dt>");
	html_put(h, term);
	html_put(h, "</dt><dd>");
	html_esc(h, value);
	if (ip != NULL && *ip != '\0') {
		html_put(h, " from <span class=\"mono\">");
		html_esc(h, ip);
		html_put(h, "</span>");
	}
	html_put(h, "</dd>");
}

static void
html_account_details(struct html *h, json_t *a)
{
	json_t *prev = json_object_get(a, "previous_login");

	html_put(h, "<section class=\"card\" aria-labelledby=\"details\">"
	    "<h2 id=\"details\">Your account</h2><dl class=\"details\">");
	html_detail(h, "Email", html_json_str(a, "email"), NULL);
	html_detail(h, "Member since", html_json_str(a, "created"), NULL);
	html_detail(h, "This sign-in", html_json_str(a, "last_login"),
	    html_json_str(a, "last_login_ip"));
	if (json_is_string(prev))
		html_detail(h, "Previous sign-in", json_string_value(prev),
		    html_json_str(a, "previous_login_ip"));
	else
		html_detail(h, "Previous sign-in", "none: this is the first",
		    NULL);
	html_put(h, "</dl><p class=\"hint\">If you do not recognise the "
	    "previous sign-in, change your password: that logs out every "
	    "other session.</p></section>\n");
}

static void
html_session_row(struct html *h, const struct page *p, json_t *s)
{
	int current = json_is_true(json_object_get(s, "current"));

	html_put(h, current ? "<tr class=\"current\">" : "<tr>");
	html_put(h, "<td data-label=\"Browser\">");
	html_esc(h, html_json_str(s, "agent"));
	if (current)
		html_put(h, " <span class=\"badge badge-inline\">This "
		    "session</span>");
	html_put(h, "</td><td data-label=\"Address\" class=\"mono\">");
	html_esc(h, html_json_str(s, "client"));
	html_put(h, "</td><td data-label=\"Signed in\">");
	html_esc(h, html_json_str(s, "created"));
	html_put(h, "</td><td data-label=\"Last active\">");
	html_esc(h, html_json_str(s, "last_seen"));
	html_put(h, "</td><td>");
	if (!current) {
		html_put(h, "<form class=\"inline\" method=\"post\" "
		    "action=\"/account/sessions/revoke\">");
		html_csrf(h, p);
		html_put(h, "<input type=\"hidden\" name=\"session\" value=\"");
		html_esc(h, html_json_str(s, "handle"));
		html_put(h, "\"><button class=\"btn btn-small btn-ghost\" "
		    "type=\"submit\">Log out<span class=\"sr-only\"> this "
		    "session</span></button></form>");
	}
	html_put(h, "</td></tr>");
}

static void
html_account_sessions(struct html *h, const struct page *p, json_t *list)
{
	size_t	i;
	json_t	*s;

	html_put(h, "<section class=\"card\" aria-labelledby=\"sessions\">"
	    "<h2 id=\"sessions\">Sessions</h2><p class=\"sub\">Where your "
	    "account is signed in. Times are approximate (within a minute)."
	    "</p><div class=\"table-wrap\"><table class=\"sessions\"><thead>"
	    "<tr><th scope=\"col\">Browser</th><th scope=\"col\">Address</th>"
	    "<th scope=\"col\">Signed in</th><th scope=\"col\">Last active"
	    "</th><th scope=\"col\"><span class=\"sr-only\">Action</span>"
	    "</th></tr></thead><tbody>");
	json_array_foreach(list, i, s)
		html_session_row(h, p, s);
	html_put(h, "</tbody></table></div>");
	if (json_array_size(list) > 1) {
		html_put(h, "<form method=\"post\" "
		    "action=\"/account/sessions/revoke-others\">");
		html_csrf(h, p);
		html_put(h, "<button class=\"btn btn-ghost\" type=\"submit\">"
		    "Log out everywhere else</button></form>");
	}
	html_put(h, "</section>\n");
}

static void
html_token_row(struct html *h, const struct page *p, json_t *t)
{
	json_t	*used = json_object_get(t, "last_used");
	char	 id[24];

	snprintf(id, sizeof(id), "%lld",
	    (long long)json_integer_value(json_object_get(t, "id")));
	html_put(h, "<tr><td data-label=\"Label\">");
	html_esc(h, html_json_str(t, "label"));
	html_put(h, "</td><td data-label=\"Created\">");
	html_esc(h, html_json_str(t, "created"));
	html_put(h, "</td><td data-label=\"Last used\">");
	html_esc(h, json_is_string(used) ? json_string_value(used) : "never");
	html_put(h, "</td><td><form class=\"inline\" method=\"post\" "
	    "action=\"/account/tokens/revoke\">");
	html_csrf(h, p);
	html_put(h, "<input type=\"hidden\" name=\"id\" value=\"");
	html_esc(h, id);
	html_put(h, "\"><button class=\"btn btn-small btn-ghost\" "
	    "type=\"submit\">Revoke<span class=\"sr-only\"> the token ");
	html_esc(h, html_json_str(t, "label"));
	html_put(h, "</span></button></form></td></tr>");
}

static void
html_account_tokens(struct html *h, const struct page *p, json_t *list)
{
	size_t	 i;
	json_t	*t;

	html_put(h, "<section class=\"card\" aria-labelledby=\"tokens\">"
	    "<h2 id=\"tokens\">Chat tokens</h2><p class=\"sub\">A token lets "
	    "<code>chat-client</code> on a terminal chat under your chat name "
	    "(<code>CHAT_TOKEN</code> or <code>CHAT_TOKEN_FILE</code>). It is "
	    "shown once, when you create it; revoke it when the computer is "
	    "no longer yours.</p>");
	if (list == NULL)
		html_put(h, "<p class=\"alert\" role=\"status\">The tokens "
		    "cannot be listed right now. Reload the page in a moment."
		    "</p>");
	else if (json_array_size(list) == 0)
		html_put(h, "<p>No tokens yet.</p>");
	else {
		html_put(h, "<div class=\"table-wrap\"><table class=\"sessions "
		    "tokens\"><thead><tr><th scope=\"col\">Label</th>"
		    "<th scope=\"col\">Created</th><th scope=\"col\">Last used"
		    "</th><th scope=\"col\"><span class=\"sr-only\">Action"
		    "</span></th></tr></thead><tbody>");
		json_array_foreach(list, i, t)
			html_token_row(h, p, t);
		html_put(h, "</tbody></table></div>");
	}
	html_put(h, "<form method=\"post\" action=\"/account/tokens\">");
	html_csrf(h, p);
	html_put(h, "<div class=\"field\"><label for=\"label\">Label of a "
	    "new token</label><p class=\"hint\" id=\"label-hint\">For you: "
	    "e.g. the computer it is for (1 to 64 characters).</p><input "
	    "id=\"label\" name=\"label\" type=\"text\" required "
	    "maxlength=\"64\" aria-describedby=\"label-hint\"></div>"
	    "<button class=\"btn\" type=\"submit\">Create a token</button>"
	    "</form></section>\n");
}

char *
html_account_token(const struct page *p, const char *label,
    const char *token)
{
	struct html h;

	html_open(&h, p);
	html_put(&h, "<section class=\"card\"><h1>Your new chat token</h1>"
	    "<p class=\"sub\">For <strong>");
	html_esc(&h, label);
	html_put(&h, "</strong>. Copy it now: it is shown only this once and "
	    "this site keeps only a hash of it.</p><div class=\"field\">"
	    "<label for=\"token\">Token</label><input id=\"token\" "
	    "type=\"text\" class=\"mono\" readonly autofocus value=\"");
	html_esc(&h, token);
	html_put(&h, "\"></div><p>On the terminal, put it in a file only you "
	    "can read and start the client with <code>CHAT_TOKEN_FILE=that-file"
	    " chat-client HOST PORT</code> (or set <code>CHAT_TOKEN</code>); "
	    "never put it on the command line.</p><p class=\"actions\"><a "
	    "class=\"btn\" href=\"/account#tokens\">Back to your account</a>"
	    "</p></section>\n");
	return html_close(&h);
}

char *
html_account_page(const struct page *p, json_t *account, json_t *sessions,
    json_t *tokens, const char *notice)
{
	struct html			h;
	struct html_password_form	f = { 0 };

	html_open(&h, p);
	html_put(&h, "<div class=\"stack\"><h1>Account</h1>");
	if (notice != NULL) {
		html_put(&h, "<div class=\"notice\" role=\"status\">");
		html_esc(&h, notice);
		html_put(&h, "</div>");
	}
	html_account_details(&h, account);
	html_put(&h, "<section class=\"card\" aria-labelledby=\"password\">"
	    "<h2 id=\"password\">Change password</h2><p class=\"sub\">Every "
	    "other session of your account is logged out; this one stays "
	    "signed in.</p>");
	html_password_fields(&h, p, &f);
	html_put(&h, "</section>\n");
	html_account_sessions(&h, p, sessions);
	html_account_tokens(&h, p, tokens);
	html_put(&h, "<section class=\"card danger\" aria-labelledby=\"delete\">"
	    "<h2 id=\"delete\">Delete account</h2><p>Your account, its "
	    "sessions and its chat name are removed for good; messages you "
	    "wrote stay in the rooms' history.</p><p><a class=\"btn "
	    "btn-danger\" href=\"/account/delete\">Delete account…</a></p>"
	    "</section></div>\n");
	return html_close(&h);
}

char *
html_account_password(const struct page *p,
    const struct html_password_form *f)
{
	struct html h;

	html_open(&h, p);
	html_put(&h, "<section class=\"card narrow\"><h1>Change password</h1>"
	    "<p class=\"sub\">Every other session of your account will be "
	    "logged out.</p>");
	html_alert(&h, f->form_error);
	html_password_fields(&h, p, f);
	html_put(&h, "<p class=\"switch\"><a href=\"/account\">Back to your "
	    "account</a></p></section>\n");
	return html_close(&h);
}

char *
html_account_delete(const struct page *p, const char *password_error,
    const char *confirm_error)
{
	struct html	h;
	int		bad = confirm_error != NULL;

	html_open(&h, p);
	html_put(&h, "<section class=\"card narrow danger\"><h1>Delete your "
	    "account?</h1><p class=\"sub\">This cannot be undone. Your "
	    "account, every session and your chat name go now; nobody can "
	    "take the name after you. Messages already in room history stay."
	    "</p>");
	if (password_error != NULL || confirm_error != NULL)
		html_alert(&h, "Nothing was deleted. Please correct the errors "
		    "below.");
	html_put(&h, "<form method=\"post\" action=\"/account/delete\" "
	    "novalidate>");
	html_csrf(&h, p);
	html_password_input(&h, "password", "Your password", NULL,
	    "current-password", password_error, 1);
	fprintf(h.f, "<div class=\"field check\"><input id=\"confirm\" "
	    "name=\"confirm\" type=\"checkbox\" value=\"yes\" required%s>"
	    "<label for=\"confirm\">I understand that my account is deleted "
	    "for good</label>", bad ? " aria-invalid=\"true\" "
	    "aria-describedby=\"confirm-error\"" : "");
	html_error_text(&h, "confirm-error", confirm_error);
	html_put(&h, "</div><button class=\"btn btn-danger btn-wide\" "
	    "type=\"submit\">Delete my account</button></form><p "
	    "class=\"switch\"><a href=\"/account\">Keep my account</a></p>"
	    "</section>\n");
	return html_close(&h);
}

char *
html_recover(const struct page *p, const char *token, const char *email,
    const struct html_password_form *f)
{
	struct html h;

	html_open(&h, p);
	html_put(&h, "<section class=\"card narrow\"><h1>Set a new password"
	    "</h1><p class=\"sub\">For <strong>");
	html_esc(&h, email);
	html_put(&h, "</strong>. This link works once; setting the password "
	    "logs out every session of the account.</p>");
	html_alert(&h, f->form_error);
	html_put(&h, "<form method=\"post\" action=\"/recover\" novalidate>");
	html_csrf(&h, p);
	html_put(&h, "<input type=\"hidden\" name=\"token\" value=\"");
	html_esc(&h, token);
	html_put(&h, "\">");
	html_password_input(&h, "new_password", "New password", html_pw_hint,
	    "new-password", f->new_error, 1);
	html_put(&h, "<button class=\"btn btn-wide\" type=\"submit\">Set "
	    "password</button></form></section>\n");
	return html_close(&h);
}
