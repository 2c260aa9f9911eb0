/*
 * page_account.c — /account and what it links to, and /recover.
 *
 * Each handler is a step machine (see http.h): a step answers or starts
 * one RPC or one Argon2id job.  The account is always the one of the
 * browser's session: the back end derives it from the session's id hash,
 * so a form cannot name another account or another account's session.
 * Changing the password and deleting the account need the current
 * password, checked exactly like a log-in: the same throttle (LOGIN_PREPARE)
 * and the same failure record (LOGIN_FAILED), so neither form can be used
 * to guess passwords faster than the log-in form.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "account.h"
#include "auth.h"
#include "frontend.h"
#include "hasher.h"
#include "html_account.h"
#include "log.h"
#include "metrics.h"
#include "page_account.h"
#include "site.h"
#include "xmalloc.h"

#define HANDLE_LEN	16

enum password_step {
	PW_START, PW_PREPARED, PW_VERIFIED, PW_FAILED, PW_HASHED, PW_CHANGED
};
enum delete_step {
	DEL_START, DEL_PREPARED, DEL_VERIFIED, DEL_FAILED, DEL_DELETED
};
enum recover_step { REC_START, REC_CHECKED, REC_HASHED, REC_USED };
enum simple_step { ONE_START, ONE_DONE };

/* Which form a shared step answers for. */
enum acct_flow { FLOW_PASSWORD, FLOW_DELETE };

/* A form's working state, kept off struct req (http_state). */
struct acct_state {
	char	 email[ACCOUNT_EMAIL_MAX + 1];
	char	 account[SESSION_HASH_HEX + 1];
	char	*hash;
	char	 new_sid[SESSION_ID_LEN + 1];
};

static void
acct_state_free(void *arg)
{
	struct acct_state *a = arg;

	free(a->hash);
	sodium_memzero(a, sizeof(*a));
	free(a);
}

static struct acct_state *
acct_state(struct req *req)
{
	return http_state(req, sizeof(struct acct_state), acct_state_free);
}

static void
acct_count(const char *action, const char *result)
{
	char labels[96];

	snprintf(labels, sizeof(labels), "action=\"%s\",result=\"%s\"", action,
	    result);
	counter_add(metrics_counter("parley_account_actions_total", labels,
	    "Account page actions by result"), 1);
}

static json_t *
acct_ok_reply(struct req *req)
{
	json_t *reply = http_reply(req);

	if (reply == NULL || !json_is_true(json_object_get(reply, "success")))
		return NULL;
	return reply;
}

static int
acct_flag(json_t *reply, const char *key)
{
	return json_is_true(json_object_get(reply, key));
}

/* Replace both cookies: a fresh session id and a fresh CSRF cookie. */
static void
acct_cookies(struct req *req, const char *sid)
{
	int secure = req->fe->cfg.cookie_secure;

	http_cookie(req, session_set_cookie(session_cookie_name(secure), sid,
	    secure));
	session_csrf_new(&req->fe->keys, req->csrf_cookie);
	http_cookie(req, session_set_cookie(session_csrf_cookie_name(secure),
	    req->csrf_cookie, secure));
}

/* --- GET /account ------------------------------------------------------- */

static const struct {
	const char	*key;
	const char	*text;
} acct_notices[] = {
	{ "password", "Your password was changed. Every other session was "
	    "logged out." },
	{ "revoked", "The session was logged out." },
	{ "others", "Every other session was logged out." },
	{ "token", "The chat token was revoked; a chat-client using it is "
	    "disconnected." },
};

static const char *
acct_notice(struct req *req)
{
	const char	*done = MHD_lookup_connection_value(req->conn,
	    MHD_GET_ARGUMENT_KIND, "done");
	size_t		 i;

	for (i = 0; done != NULL && i < sizeof(acct_notices) /
	    sizeof(acct_notices[0]); i++)
		if (strcmp(done, acct_notices[i].key) == 0)
			return acct_notices[i].text;
	return NULL;
}

static void
acct_json_free(void *arg)
{
	json_t **j = arg;

	json_decref(*j);
	free(j);
}

enum step
page_account(struct req *req)
{
	struct page	 p;
	json_t		*reply, *account, **got;

	switch ((enum simple_step)req->step) {
	case ONE_START:
		if (req->user == NULL)
			return http_redirect(req, "/login");
		req->step = ONE_DONE;
		return http_rpc(req, "ACCOUNT_GET", json_pack("{ss}",
		    "id_hash", req->sid_hash));
	case ONE_DONE:
		if ((reply = acct_ok_reply(req)) == NULL)
			return site_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
		account = json_object_get(reply, "account");
		if (!json_is_object(account))
			return http_redirect(req, "/login");
		/* Keep it while the chat tokens are fetched. */
		got = http_state(req, sizeof(*got), acct_json_free);
		*got = json_incref(reply);
		req->step = ONE_DONE + 1;
		return http_rpc(req, "TOKEN_LIST", json_pack("{ss}",
		    "id_hash", req->sid_hash));
	default:
		break;
	}
	got = http_state(req, sizeof(*got), acct_json_free);
	if (*got == NULL)
		return site_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR);
	/* Without the tokens (an older back end) the page still works. */
	reply = acct_ok_reply(req);
	site_page(req, &p, "Account");
	return http_html(req, MHD_HTTP_OK, html_account_page(&p,
	    json_object_get(*got, "account"), json_object_get(*got,
	    "sessions"), reply != NULL ? json_object_get(reply, "tokens") :
	    NULL, acct_notice(req)));
}

/* --- POST /account/tokens, /account/tokens/revoke ------------------------ */

static enum step
acct_token_refused(struct req *req, const char *code)
{
	int		too_many = strcmp(code, "too_many") == 0;
	struct page	p;

	acct_count("token_create", code);
	site_page(req, &p, "New chat token");
	return http_html(req, too_many ? MHD_HTTP_CONFLICT :
	    MHD_HTTP_BAD_REQUEST, html_message(&p, "No token was created",
	    too_many ? "An account can have at most 20 chat tokens. Revoke one "
	    "you no longer use and try again." : "Give the token a label of 1 "
	    "to 64 characters, e.g. the computer it is for.",
	    "/account#tokens", "Back to your account"));
}

enum step
page_account_token_create(struct req *req)
{
	const char	*label = form_get(&req->form, "label");
	json_t		*reply;
	const char	*token, *code;
	struct page	 p;
	size_t		 n = label != NULL ? strlen(label) : 0;

	switch ((enum simple_step)req->step) {
	case ONE_START:
		if (req->user == NULL)
			return http_redirect(req, "/login");
		if (n == 0 || n > 256)
			return acct_token_refused(req, "invalid");
		req->step = ONE_DONE;
		return http_rpc(req, "TOKEN_CREATE", json_pack("{ssss}",
		    "id_hash", req->sid_hash, "label", label));
	case ONE_DONE:
		if ((reply = http_reply(req)) == NULL)
			return site_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
		token = json_string_value(json_object_get(reply, "token"));
		code = json_string_value(json_object_get(reply, "code"));
		if (code != NULL && strcmp(code, "signed_out") == 0)
			return http_redirect(req, "/login");
		if (code != NULL && (strcmp(code, "too_many") == 0 ||
		    strcmp(code, "invalid") == 0))
			return acct_token_refused(req, code);
		if (!acct_flag(reply, "success") || token == NULL)
			return site_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
		site_page(req, &p, "New chat token");
		log_info("auth chat token created user=%s ip=%s", req->user,
		    req->ip);
		acct_count("token_create", "ok");
		return http_html(req, MHD_HTTP_OK, html_account_token(&p, label,
		    token));
	}
	return site_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR);
}

enum step
page_account_token_revoke(struct req *req)
{
	const char	*id = form_get(&req->form, "id");
	json_t		*reply;
	struct page	 p;

	switch ((enum simple_step)req->step) {
	case ONE_START:
		if (req->user == NULL)
			return http_redirect(req, "/login");
		if (id == NULL || *id == '\0' || strlen(id) > 18 ||
		    strspn(id, "0123456789") != strlen(id))
			return site_error(req, MHD_HTTP_BAD_REQUEST);
		req->step = ONE_DONE;
		return http_rpc(req, "TOKEN_REVOKE", json_pack("{ssss}",
		    "id_hash", req->sid_hash, "id", id));
	case ONE_DONE:
		if ((reply = acct_ok_reply(req)) == NULL)
			return site_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
		acct_count("token_revoke", acct_flag(reply, "revoked") ? "ok" :
		    "none");
		if (!acct_flag(reply, "revoked")) {
			site_page(req, &p, "Token not found");
			return http_html(req, MHD_HTTP_NOT_FOUND, html_message(&p,
			    "Token not found", "That token is not one of this "
			    "account's live chat tokens (it may have been "
			    "revoked already). Nothing was changed.",
			    "/account#tokens", "Back to your account"));
		}
		log_info("auth chat token revoked user=%s ip=%s", req->user,
		    req->ip);
		return http_redirect(req, "/account?done=token#tokens");
	}
	return site_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR);
}

/* --- shared: check the current password like a log-in ------------------- */

static enum step
acct_refuse(struct req *req, enum acct_flow flow, unsigned status,
    const char *form_error, const char *field_error)
{
	struct html_password_form	f = { 0 };
	struct page			p;

	if (flow == FLOW_DELETE) {
		site_page(req, &p, "Delete account");
		return http_html(req, status, html_account_delete(&p,
		    field_error != NULL ? field_error : form_error, NULL));
	}
	f.form_error = form_error;
	f.current_error = field_error;
	site_page(req, &p, "Change password");
	return http_html(req, status, html_account_password(&p, &f));
}

static enum step
acct_prepare(struct req *req, int next)
{
	struct acct_state	*a = acct_state(req);

	snprintf(a->email, sizeof(a->email), "%s", req->user);
	session_account_key(&req->fe->keys, a->email, a->account);
	return auth_rpc_prepare(req, a->email, a->account, next);
}

/* The throttle verdict; then verify password against the stored hash. */
static enum step
acct_prepared(struct req *req, enum acct_flow flow, const char *password,
    int next)
{
	struct acct_state	*a = acct_state(req);
	json_t		*reply = acct_ok_reply(req), *hash;
	json_int_t	 retry_after;
	char		 msg[200];
	long		 minutes;

	if (reply == NULL)
		return site_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
	retry_after = json_integer_value(json_object_get(reply,
	    "retry_after"));
	if (retry_after > 0) {
		minutes = (long)(retry_after + 59) / 60;
		log_info("auth password check throttled account=%.12s ip=%s "
		    "retry_after_s=%lld", a->account, req->ip,
		    (long long)retry_after);
		acct_count(flow == FLOW_DELETE ? "delete" : "password",
		    "throttled");
		snprintf(msg, sizeof(msg), "Too many wrong passwords. For your "
		    "security, this is paused: try again in %ld minute%s.",
		    minutes, minutes == 1 ? "" : "s");
		req->resp.retry_after = (unsigned)retry_after;
		return acct_refuse(req, flow, MHD_HTTP_TOO_MANY_REQUESTS, msg,
		    NULL);
	}
	hash = json_object_get(reply, "hash");
	free(a->hash);
	a->hash = json_is_string(hash) ? xstrdup(json_string_value(hash)) :
	    NULL;
	req->job.op = HASHER_VERIFY;
	req->job.password = password;
	req->job.hash = a->hash != NULL ? a->hash :
	    hasher_dummy(req->fe->hasher);
	req->step = next;
	return http_hash(req);
}

/* A wrong current password counts as a failed log-in. */
static enum step
acct_record_failure(struct req *req, int next)
{
	return auth_rpc_failed(req, acct_state(req)->account, next);
}

static enum step
acct_wrong_password(struct req *req, enum acct_flow flow)
{
	struct acct_state	*a = acct_state(req);
	if (acct_ok_reply(req) == NULL)
		log_warnx("auth failure not recorded account=%.12s",
		    a->account);
	log_info("auth password check failed account=%.12s ip=%s form=%s",
	    a->account, req->ip, flow == FLOW_DELETE ? "delete" : "password");
	acct_count(flow == FLOW_DELETE ? "delete" : "password",
	    "wrong_password");
	return acct_refuse(req, flow, MHD_HTTP_UNAUTHORIZED,
	    "Nothing was changed.", "This is not your current password.");
}

/* --- POST /account/password --------------------------------------------- */

static enum step
password_start(struct req *req)
{
	struct html_password_form	 f = { 0 };
	const char			*cur, *pw;
	enum account_verdict		 v;

	cur = form_get(&req->form, "current_password");
	pw = form_get(&req->form, "new_password");
	if (cur == NULL || *cur == '\0')
		f.current_error = "Enter your current password.";
	v = account_password(pw, req->user);
	if (v != ACCOUNT_OK)
		f.new_error = account_message(v);
	else if (cur != NULL && strcmp(cur, pw) == 0)
		f.new_error = "The new password must differ from the current "
		    "one.";
	if (f.current_error != NULL || f.new_error != NULL) {
		struct page p;

		f.form_error = "Please correct the errors below.";
		site_page(req, &p, "Change password");
		return http_html(req, MHD_HTTP_BAD_REQUEST,
		    html_account_password(&p, &f));
	}
	return acct_prepare(req, PW_PREPARED);
}

static enum step
password_verified(struct req *req)
{
	struct acct_state	*a = acct_state(req);
	if (!req->job.ok || a->hash == NULL)
		return acct_record_failure(req, PW_FAILED);
	req->job.op = HASHER_HASH;
	req->job.password = form_get(&req->form, "new_password");
	req->step = PW_HASHED;
	return http_hash(req);
}

static enum step
password_store(struct req *req)
{
	struct acct_state	*a = acct_state(req);
	char new_hash[SESSION_HASH_HEX + 1];

	if (!req->job.ok)
		return site_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
	session_new_id(a->new_sid);
	session_id_hash(a->new_sid, new_hash);
	req->step = PW_CHANGED;
	return http_rpc(req, "PASSWORD_CHANGE", json_pack(
	    "{ssssssssss}", "id_hash", req->sid_hash, "old_hash", a->hash,
	    "hash", req->job.out, "new_id_hash", new_hash,
	    "account", a->account));
}

static enum step
password_changed(struct req *req)
{
	struct acct_state	*a = acct_state(req);
	json_t *reply = acct_ok_reply(req);

	sodium_memzero(req->job.out, sizeof(req->job.out));
	if (reply == NULL)
		return site_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
	if (!acct_flag(reply, "changed")) {
		log_info("auth password change refused reason=changed-elsewhere "
		    "user=%s ip=%s", a->email, req->ip);
		acct_count("password", "conflict");
		return acct_refuse(req, FLOW_PASSWORD, MHD_HTTP_CONFLICT,
		    "Your password was changed from another session in the "
		    "meantime, so nothing was changed here. Log in again with "
		    "the newest password.", NULL);
	}
	log_info("auth password changed user=%s ip=%s", a->email, req->ip);
	acct_count("password", "ok");
	acct_cookies(req, a->new_sid);
	return http_redirect(req, "/account?done=password");
}

enum step
page_account_password(struct req *req)
{
	if (req->user == NULL && req->step == PW_START)
		return http_redirect(req, "/login");
	switch ((enum password_step)req->step) {
	case PW_START:
		return password_start(req);
	case PW_PREPARED:
		return acct_prepared(req, FLOW_PASSWORD,
		    form_get(&req->form, "current_password"), PW_VERIFIED);
	case PW_VERIFIED:
		return password_verified(req);
	case PW_FAILED:
		return acct_wrong_password(req, FLOW_PASSWORD);
	case PW_HASHED:
		return password_store(req);
	case PW_CHANGED:
		return password_changed(req);
	}
	return site_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR);
}

/* --- POST /account/sessions/revoke, /revoke-others ---------------------- */

static int
acct_handle_valid(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s != NULL && i == HANDLE_LEN;
}

static enum step
acct_revoked(struct req *req, int one)
{
	json_t		*reply = acct_ok_reply(req);
	json_int_t	 n;
	struct page	 p;

	if (reply == NULL)
		return site_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
	if (!acct_flag(reply, "signed_in"))
		return http_redirect(req, "/login");
	n = json_integer_value(json_object_get(reply, "revoked"));
	log_info("auth sessions revoked user=%s count=%lld ip=%s", req->user,
	    (long long)n, req->ip);
	acct_count(one ? "revoke" : "revoke_others", n > 0 ? "ok" : "none");
	if (one && n == 0) {
		site_page(req, &p, "Session not found");
		return http_html(req, MHD_HTTP_NOT_FOUND, html_message(&p,
		    "Session not found", "That session is not one of this "
		    "account's open sessions (it may have ended already). "
		    "Nothing was changed.", "/account", "Back to your account"));
	}
	return http_redirect(req, one ? "/account?done=revoked" :
	    "/account?done=others");
}

enum step
page_account_revoke(struct req *req)
{
	const char *handle = form_get(&req->form, "session");

	switch ((enum simple_step)req->step) {
	case ONE_START:
		if (req->user == NULL)
			return http_redirect(req, "/login");
		if (!acct_handle_valid(handle))
			return site_error(req, MHD_HTTP_BAD_REQUEST);
		req->step = ONE_DONE;
		return http_rpc(req, "SESSION_REVOKE", json_pack("{ssss}",
		    "id_hash", req->sid_hash, "handle", handle));
	case ONE_DONE:
		return acct_revoked(req, 1);
	}
	return site_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR);
}

enum step
page_account_revoke_others(struct req *req)
{
	switch ((enum simple_step)req->step) {
	case ONE_START:
		if (req->user == NULL)
			return http_redirect(req, "/login");
		req->step = ONE_DONE;
		return http_rpc(req, "SESSION_REVOKE_OTHERS", json_pack("{ss}",
		    "id_hash", req->sid_hash));
	case ONE_DONE:
		return acct_revoked(req, 0);
	}
	return site_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR);
}

/* --- GET and POST /account/delete --------------------------------------- */

enum step
page_account_delete_form(struct req *req)
{
	struct page p;

	if (req->user == NULL)
		return http_redirect(req, "/login");
	site_page(req, &p, "Delete account");
	return http_html(req, MHD_HTTP_OK, html_account_delete(&p, NULL, NULL));
}

static enum step
delete_start(struct req *req)
{
	const char	*pw = form_get(&req->form, "password");
	const char	*confirm = form_get(&req->form, "confirm");
	const char	*pw_error = NULL, *confirm_error = NULL;
	struct page	 p;

	if (pw == NULL || *pw == '\0')
		pw_error = "Enter your password.";
	if (confirm == NULL || strcmp(confirm, "yes") != 0)
		confirm_error = "Tick this box to confirm.";
	if (pw_error != NULL || confirm_error != NULL) {
		site_page(req, &p, "Delete account");
		return http_html(req, MHD_HTTP_BAD_REQUEST,
		    html_account_delete(&p, pw_error, confirm_error));
	}
	return acct_prepare(req, DEL_PREPARED);
}

static enum step
delete_verified(struct req *req)
{
	struct acct_state	*a = acct_state(req);
	if (!req->job.ok || a->hash == NULL)
		return acct_record_failure(req, DEL_FAILED);
	req->step = DEL_DELETED;
	return http_rpc(req, "ACCOUNT_DELETE", json_pack("{ssssss}",
	    "id_hash", req->sid_hash, "hash", a->hash,
	    "account", a->account));
}

static enum step
delete_done(struct req *req)
{
	struct acct_state	*a = acct_state(req);
	json_t		*reply = acct_ok_reply(req);
	struct page	 p;

	if (reply == NULL)
		return site_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
	if (!acct_flag(reply, "deleted")) {
		acct_count("delete", "conflict");
		site_page(req, &p, "Nothing deleted");
		return http_html(req, MHD_HTTP_CONFLICT, html_message(&p,
		    "Nothing was deleted", "The account changed while you "
		    "confirmed (its password, or it was deleted elsewhere). "
		    "Log in and try again.", "/account", "Back to your "
		    "account"));
	}
	log_info("auth account deleted user=%s ip=%s", a->email, req->ip);
	acct_count("delete", "ok");
	acct_cookies(req, NULL);
	site_page(req, &p, "Account deleted");
	p.user = NULL;
	p.csrf_token = "";
	return http_html(req, MHD_HTTP_OK, html_message(&p, "Account deleted",
	    "Your account and all its sessions are gone. Thank you for "
	    "having used Parley.", "/", "Go to the home page"));
}

enum step
page_account_delete(struct req *req)
{
	if (req->user == NULL && req->step == DEL_START)
		return http_redirect(req, "/login");
	switch ((enum delete_step)req->step) {
	case DEL_START:
		return delete_start(req);
	case DEL_PREPARED:
		return acct_prepared(req, FLOW_DELETE,
		    form_get(&req->form, "password"), DEL_VERIFIED);
	case DEL_VERIFIED:
		return delete_verified(req);
	case DEL_FAILED:
		return acct_wrong_password(req, FLOW_DELETE);
	case DEL_DELETED:
		return delete_done(req);
	}
	return site_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR);
}

/* --- GET and POST /recover ---------------------------------------------- */

/* The token's hash into out (65 bytes); -1 when it cannot be one of ours. */
static int
recover_token_hash(const char *token, char *out)
{
	if (token == NULL || !session_id_valid(token))
		return -1;
	session_id_hash(token, out);
	return 0;
}

static enum step
recover_gone(struct req *req, const char *state)
{
	struct page	 p;
	const char	*text;

	/* The state comes from the bus: only known words reach logs/metrics. */
	if (strcmp(state, "used") != 0 && strcmp(state, "expired") != 0)
		state = "unknown";
	log_info("auth recovery refused reason=%s ip=%s", state, req->ip);
	acct_count("recover", state);
	if (strcmp(state, "used") == 0)
		text = "This recovery link has already been used. Ask the "
		    "operator of this site for a new one.";
	else if (strcmp(state, "expired") == 0)
		text = "This recovery link has expired (links work for one "
		    "hour). Ask the operator of this site for a new one.";
	else
		text = "This recovery link is not valid. Check that you copied "
		    "all of it, or ask the operator of this site for a new one.";
	site_page(req, &p, "Link not valid");
	return http_html(req, MHD_HTTP_GONE, html_message(&p,
	    "Recovery link not valid", text, "/login", "Go to log in"));
}

static enum step
recover_check(struct req *req, const char *token)
{
	char hash[SESSION_HASH_HEX + 1];

	if (token == NULL || *token == '\0')
		return site_error(req, MHD_HTTP_BAD_REQUEST);
	if (recover_token_hash(token, hash) == -1)
		return recover_gone(req, "unknown");
	req->step = REC_CHECKED;
	return http_rpc(req, "RECOVERY_CHECK", json_pack("{ss}", "token_hash",
	    hash));
}

/* The state of the link; 0 and a->email set when it is valid. */
static int
recover_valid(struct req *req, const char **state)
{
	struct acct_state	*a = acct_state(req);
	json_t		*reply = acct_ok_reply(req);
	const char	*email;

	*state = NULL;
	if (reply == NULL)
		return -1;
	*state = json_string_value(json_object_get(reply, "state"));
	email = json_string_value(json_object_get(reply, "email"));
	if (*state == NULL || strcmp(*state, "valid") != 0 || email == NULL) {
		if (*state == NULL)
			*state = "unknown";
		return -1;
	}
	snprintf(a->email, sizeof(a->email), "%s", email);
	return 0;
}

static enum step
recover_form_page(struct req *req, unsigned status, const char *token,
    const struct html_password_form *f)
{
	struct acct_state	*a = acct_state(req);
	struct page p;

	site_page(req, &p, "Set a new password");
	return http_html(req, status, html_recover(&p, token, a->email, f));
}

enum step
page_recover_form(struct req *req)
{
	struct html_password_form	 f = { 0 };
	const char			*token, *state;

	token = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND,
	    "token");
	switch ((enum recover_step)req->step) {
	case REC_START:
		return recover_check(req, token);
	case REC_CHECKED:
		if (recover_valid(req, &state) == -1)
			return state == NULL ? site_error(req,
			    MHD_HTTP_SERVICE_UNAVAILABLE) :
			    recover_gone(req, state);
		return recover_form_page(req, MHD_HTTP_OK, token, &f);
	default:
		break;
	}
	return site_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR);
}

static enum step
recover_checked(struct req *req)
{
	struct acct_state	*a = acct_state(req);
	struct html_password_form	 f = { 0 };
	const char			*state, *pw;
	enum account_verdict		 v;

	if (recover_valid(req, &state) == -1)
		return state == NULL ? site_error(req,
		    MHD_HTTP_SERVICE_UNAVAILABLE) : recover_gone(req, state);
	pw = form_get(&req->form, "new_password");
	if ((v = account_password(pw, a->email)) != ACCOUNT_OK) {
		f.form_error = "Please choose another password.";
		f.new_error = account_message(v);
		return recover_form_page(req, MHD_HTTP_BAD_REQUEST,
		    form_get(&req->form, "token"), &f);
	}
	session_account_key(&req->fe->keys, a->email, a->account);
	req->job.op = HASHER_HASH;
	req->job.password = pw;
	req->step = REC_HASHED;
	return http_hash(req);
}

static enum step
recover_store(struct req *req)
{
	struct acct_state	*a = acct_state(req);
	char hash[SESSION_HASH_HEX + 1];

	if (!req->job.ok ||
	    recover_token_hash(form_get(&req->form, "token"), hash) == -1)
		return site_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
	req->step = REC_USED;
	return http_rpc(req, "RECOVERY_USE", json_pack("{ssssss}",
	    "token_hash", hash, "hash", req->job.out, "account", a->account));
}

static enum step
recover_used(struct req *req)
{
	struct acct_state	*a = acct_state(req);
	json_t		*reply = acct_ok_reply(req);
	struct page	 p;

	sodium_memzero(req->job.out, sizeof(req->job.out));
	if (reply == NULL)
		return site_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
	if (!acct_flag(reply, "used"))
		return recover_gone(req, "used");
	log_info("auth recovery used user=%s ip=%s", a->email, req->ip);
	acct_count("recover", "ok");
	site_page(req, &p, "Password set");
	return http_html(req, MHD_HTTP_OK, html_message(&p, "Your new password "
	    "is set", "Every session of the account was logged out. Log in "
	    "with the new password.", "/login", "Log in"));
}

enum step
page_recover(struct req *req)
{
	switch ((enum recover_step)req->step) {
	case REC_START:
		return recover_check(req, form_get(&req->form, "token"));
	case REC_CHECKED:
		return recover_checked(req);
	case REC_HASHED:
		return recover_store(req);
	case REC_USED:
		return recover_used(req);
	}
	return site_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR);
}
