/*
 * auth.c — POST /register, /login and /logout as small step machines:
 * each step either answers or starts one RPC or Argon2id job and returns;
 * the next step runs when the answer arrives (see http.h).
 *
 * Login takes the same path for an unknown email and a wrong password —
 * throttle check, one Argon2id verify (against a dummy hash when there is
 * no account), one failure record — so status, page and time match.
 *
 * A successful log-in (or registration) leaves a device cookie naming the
 * account; attempts that carry one are throttled on their own allowance
 * (docs/frontend.md "Throttling").  Registration asks the back end's
 * throttle before it spends a hash, and hashes in the hasher's BULK class,
 * so a flood of sign-ups cannot take the log-ins' workers.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "account.h"
#include "auth.h"
#include "frontend.h"
#include "hasher.h"
#include "html.h"
#include "log.h"
#include "metrics.h"
#include "site.h"
#include "throttle.h"
#include "useragent.h"
#include "xmalloc.h"

#define AUTH_LOGIN_FAILED	"Email or password is incorrect."
#define AUTH_EXISTS		"User already exists"	/* docs/backend.md */

enum register_step {
	REG_START, REG_PREPARED, REG_HASHED, REG_STORED, REG_SESSION
};
enum login_step {
	LOGIN_START, LOGIN_PREPARED, LOGIN_VERIFIED, LOGIN_FAILURE_SAVED,
	LOGIN_REHASHED, LOGIN_HASH_SAVED, LOGIN_SESSION
};
enum logout_step { LOGOUT_START, LOGOUT_DELETED };

/* A log-in's or registration's working state, kept off struct req. */
struct auth_state {
	char	 email[ACCOUNT_EMAIL_MAX + 1];
	char	 account[SESSION_HASH_HEX + 1];
	char	*hash;
	char	 new_sid[SESSION_ID_LEN + 1];
};

static void
auth_state_free(void *arg)
{
	struct auth_state *a = arg;

	free(a->hash);
	sodium_memzero(a, sizeof(*a));
	free(a);
}

static struct auth_state *
auth_state(struct req *req)
{
	return http_state(req, sizeof(struct auth_state), auth_state_free);
}

/* The key per-address limits count this client under (IPv6 per prefix). */
static void
auth_client(struct req *req, char *out)
{
	session_client_key(req->ip, req->fe->cfg.http_ipv6_prefix, out,
	    SESSION_CLIENT_MAX);
}

/* An id for throttling when the browser holds a device cookie of account. */
static json_t *
auth_device(struct req *req, const char *account)
{
	char	cookie[SESSION_DEVICE_LEN + 2], id[SESSION_HASH_HEX + 1];
	int	ok;

	if (form_cookie(MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_COOKIE), session_device_cookie_name(
	    req->fe->cfg.cookie_secure), cookie, sizeof(cookie)) == -1)
		return json_null();
	ok = session_device_check(&req->fe->keys, account, cookie, id);
	sodium_memzero(cookie, sizeof(cookie));
	return ok ? json_string(id) : json_null();
}

/* An attempt id makes a record idempotent if redelivered. */
static void
auth_attempt_id(char out[33])
{
	unsigned char id[16];

	randombytes_buf(id, sizeof(id));
	sodium_bin2hex(out, 33, id, sizeof(id));
}

/*
 * device: the id of the browser's device cookie for account (auth_device)
 * on the log-in form; json_null() on the password checks of a signed-in
 * user, which stay on the account's untrusted counter: a stolen session
 * guessing the password must not get its own allowance.
 */
static enum step
auth_prepare(struct req *req, const char *email, const char *account,
    json_t *device, int next_step)
{
	struct fe_config	*cfg = &req->fe->cfg;
	char			 client[SESSION_CLIENT_MAX];

	auth_client(req, client);
	req->step = next_step;
	return http_rpc(req, "LOGIN_PREPARE", json_pack(
	    "{sssssssIsIsIsIso}", "email", email, "account", account,
	    "client", client,
	    "account_max", (json_int_t)cfg->login_account_max,
	    "account_window_s", (json_int_t)cfg->login_account_window_s,
	    "client_max", (json_int_t)cfg->login_ip_max,
	    "client_window_s", (json_int_t)cfg->login_ip_window_s,
	    "device", device));
}

enum step
auth_rpc_prepare(struct req *req, const char *email, const char *account,
    int next_step)
{
	return auth_prepare(req, email, account, json_null(), next_step);
}

static enum step
auth_failed(struct req *req, const char *account, json_t *device,
    int next_step)
{
	char	attempt[33], client[SESSION_CLIENT_MAX];

	auth_attempt_id(attempt);
	auth_client(req, client);
	req->step = next_step;
	return http_rpc(req, "LOGIN_FAILED", json_pack("{ssssssso}",
	    "attempt_id", attempt, "account", account, "client", client,
	    "device", device));
}

enum step
auth_rpc_failed(struct req *req, const char *account, int next_step)
{
	return auth_failed(req, account, json_null(), next_step);
}

static int
auth_succeeded(struct req *req)
{
	json_t *reply = http_reply(req);

	return reply != NULL && json_is_true(json_object_get(reply, "success"));
}

static enum step
auth_form_page(struct req *req, unsigned status, const struct html_form *f,
    int is_register)
{
	struct page p;

	site_page(req, &p, is_register ? "Create an account" : "Log in");
	p.path = is_register ? "/register" : "/login";
	return http_html(req, status, is_register ? html_register(&p, f) :
	    html_login(&p, f));
}

/* --- sessions ----------------------------------------------------------- */

/* A new session for the user; the old one, if any, is ended with it. */
static enum step
auth_session_create(struct req *req, int next_step, int reset_failures)
{
	struct auth_state	*a = auth_state(req);
	struct fe_config	*cfg = &req->fe->cfg;
	char			 id_hash[SESSION_HASH_HEX + 1];
	char			 agent[USERAGENT_DESC_MAX + 1];
	json_t			*data;

	session_new_id(a->new_sid);
	session_id_hash(a->new_sid, id_hash);
	useragent_describe(MHD_lookup_connection_value(req->conn,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT), agent, sizeof(agent));
	data = json_pack("{sssssIsIssss}", "id_hash", id_hash, "email",
	    a->email, "idle_s", (json_int_t)cfg->session_idle_s,
	    "absolute_s", (json_int_t)cfg->session_absolute_s,
	    "client", req->ip, "agent", agent);
	if (req->sid_hash[0] != '\0')
		json_object_set_new(data, "old_id_hash",
		    json_string(req->sid_hash));
	if (reset_failures) {
		json_object_set_new(data, "account", json_string(a->account));
		json_object_set_new(data, "device", auth_device(req,
		    a->account));
	}
	req->step = next_step;
	return http_rpc(req, "SESSION_CREATE", data);
}

/* Set the new session cookie, a new CSRF cookie and a device cookie for
 * the account (replacing one for another account), go home. */
static enum step
auth_session_created(struct req *req)
{
	struct auth_state	*a = auth_state(req);
	int			 secure = req->fe->cfg.cookie_secure;
	char			 device[SESSION_DEVICE_LEN + 1];

	if (!auth_succeeded(req))
		return site_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
	http_cookie(req, session_set_cookie(session_cookie_name(secure),
	    a->new_sid, secure));
	session_device_new(&req->fe->keys, a->account, device);
	http_cookie(req, session_set_lasting_cookie(session_device_cookie_name(
	    secure), device, secure, req->fe->cfg.device_cookie_max_age_s));
	session_csrf_new(&req->fe->keys, req->csrf_cookie);
	http_cookie(req, session_set_cookie(session_csrf_cookie_name(secure),
	    req->csrf_cookie, secure));
	return http_redirect(req, "/");
}

/* --- register ----------------------------------------------------------- */

/* A registration refused by the throttle: the form again, 429. */
static enum step
auth_register_throttled(struct req *req, unsigned retry_after)
{
	struct auth_state	*a = auth_state(req);
	struct html_form	 f = { 0 };
	char			 msg[200];
	unsigned		 minutes = (retry_after + 59) / 60;

	counter_add(req->fe->registrations_throttled, 1);
	snprintf(msg, sizeof(msg), "Too many accounts were created recently. "
	    "Please try again in %u minute%s.", minutes, minutes == 1 ? "" :
	    "s");
	f.email = a->email;
	f.form_error = msg;
	req->resp.retry_after = retry_after;
	return auth_form_page(req, MHD_HTTP_TOO_MANY_REQUESTS, &f, 1);
}

/*
 * The registration throttle and the existence check, before any hash; a
 * client this replica already knows to be throttled is refused at once.
 */
static enum step
auth_register_prepare(struct req *req)
{
	struct auth_state	*a = auth_state(req);
	struct fe_config	*cfg = &req->fe->cfg;
	char			 attempt[33], client[SESSION_CLIENT_MAX];
	unsigned		 wait, all;

	auth_client(req, client);
	wait = throttle_wait(client);
	if ((all = throttle_wait(THROTTLE_EVERYONE)) > wait)
		wait = all;
	if (wait > 0) {
		log_debug("auth register throttled ip=%s retry_after_s=%u "
		    "known=1", req->ip, wait);
		return auth_register_throttled(req, wait);
	}
	session_account_key(&req->fe->keys, a->email, a->account);
	auth_attempt_id(attempt);
	req->step = REG_PREPARED;
	return http_rpc(req, "REGISTER_PREPARE", json_pack(
	    "{sssssssIsIsIsI}", "attempt_id", attempt, "email", a->email,
	    "client", client,
	    "client_max", (json_int_t)cfg->register_ip_max,
	    "client_window_s", (json_int_t)cfg->register_ip_window_s,
	    "total_max", (json_int_t)cfg->register_max,
	    "total_window_s", (json_int_t)cfg->register_window_s));
}

static enum step
auth_register_start(struct req *req)
{
	struct auth_state	*a = auth_state(req);
	struct html_form	 f = { 0 };
	const char		*pw = form_get(&req->form, "password");
	enum account_verdict	 ev, pv;

	f.email = form_get(&req->form, "email");
	ev = account_email(f.email, a->email, sizeof(a->email));
	pv = account_password(pw, ev == ACCOUNT_OK ? a->email : NULL);
	if (ev != ACCOUNT_OK || pv != ACCOUNT_OK) {
		f.email_error = ev != ACCOUNT_OK ? account_message(ev) : NULL;
		f.password_error = pv != ACCOUNT_OK ? account_message(pv) :
		    NULL;
		f.form_error = "Please correct the errors below.";
		log_info("auth register refused reason=invalid email_ok=%d "
		    "password=%d ip=%s", ev == ACCOUNT_OK, (int)pv, req->ip);
		return auth_form_page(req, MHD_HTTP_BAD_REQUEST, &f, 1);
	}
	return auth_register_prepare(req);
}

static enum step
auth_register_exists(struct req *req)
{
	struct auth_state	*a = auth_state(req);
	struct html_form	 f = { 0 };

	log_info("auth register refused reason=exists ip=%s", req->ip);
	f.email = a->email;
	f.email_error = "An account with this email address already "
	    "exists. Log in instead, or use another address.";
	f.form_error = "This email address is already registered.";
	return auth_form_page(req, MHD_HTTP_CONFLICT, &f, 1);
}

/* Seconds from a REGISTER_PREPARE reply, bounded to what a window can be. */
static unsigned
auth_seconds(const char *name, json_t *reply)
{
	json_int_t s = json_integer_value(json_object_get(reply, name));

	return s <= 0 ? 0 : s > 86400 ? 86400 : (unsigned)s;
}

static atomic_int auth_old_backend_warned;

/* The back end is older than this front end (no such action). */
static int
auth_unknown_action(struct req *req)
{
	json_t		*reply = http_reply(req);
	const char	*msg;

	msg = reply != NULL ? json_string_value(json_object_get(reply,
	    "message")) : NULL;
	return msg != NULL && strncmp(msg, "unknown action", 14) == 0;
}

static enum step
auth_register_hash(struct req *req)
{
	req->job.op = HASHER_HASH;
	req->job.cls = HASHER_BULK;
	req->job.password = form_get(&req->form, "password");
	req->step = REG_HASHED;
	return http_hash(req);
}

static enum step
auth_register_prepared(struct req *req)
{
	unsigned	 cwait, twait, wait;
	char		 client[SESSION_CLIENT_MAX];

	if (!auth_succeeded(req)) {
		if (!auth_unknown_action(req))
			return site_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
		/* A back end older than REGISTER_PREPARE (a rolling upgrade):
		 * nothing to ask, REGISTER still checks; the hasher's split
		 * still keeps log-ins served. */
		if (!atomic_exchange(&auth_old_backend_warned, 1))
			log_warnx("auth register unthrottled: the back end has "
			    "no REGISTER_PREPARE (logged once)");
		return auth_register_hash(req);
	}
	cwait = auth_seconds("client_retry_after", req->reply);
	twait = auth_seconds("total_retry_after", req->reply);
	wait = auth_seconds("retry_after", req->reply);
	if (wait > 0) {
		auth_client(req, client);
		throttle_note(client, cwait);
		throttle_note(THROTTLE_EVERYONE, twait);
		log_info("auth register throttled ip=%s retry_after_s=%u "
		    "limit=%s", req->ip, wait, cwait >= twait ? "address" :
		    "overall");
		return auth_register_throttled(req, wait);
	}
	if (json_is_true(json_object_get(req->reply, "exists")))
		return auth_register_exists(req);
	return auth_register_hash(req);
}

static enum step
auth_register_store(struct req *req)
{
	struct auth_state *a = auth_state(req);

	if (!req->job.ok)
		return site_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
	req->step = REG_STORED;
	return http_rpc(req, "REGISTER", json_pack("{ssss}", "email",
	    a->email, "hash", req->job.out));
}

/*
 * REGISTER refused for another reason than an existing account: the back
 * end's own validation (its limits can be stricter than ours) gets the form
 * again with its message; outages and unknown actions get their pages.
 */
static enum step
auth_register_refused(struct req *req, const char *msg)
{
	struct auth_state	*a = auth_state(req);
	struct html_form	 f = { 0 };
	char			 text[200];

	if (msg == NULL || strncmp(msg, "database ", 9) == 0 ||
	    strncmp(msg, "unknown action", 14) == 0)
		return site_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
	snprintf(text, sizeof(text), "This account could not be created: "
	    "%s.", msg);
	f.email = a->email;
	f.form_error = text;
	if (strstr(msg, "email") != NULL)
		f.email_error = "Please check this email address.";
	return auth_form_page(req, MHD_HTTP_BAD_REQUEST, &f, 1);
}

static enum step
auth_register_stored(struct req *req)
{
	struct auth_state	*a = auth_state(req);
	json_t			*reply = http_reply(req);
	const char		*msg;

	sodium_memzero(req->job.out, sizeof(req->job.out));
	if (reply == NULL)
		return site_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
	if (!json_is_true(json_object_get(reply, "success"))) {
		msg = json_string_value(json_object_get(reply, "message"));
		if (msg == NULL || strcmp(msg, AUTH_EXISTS) != 0)
			return auth_register_refused(req, msg);
		return auth_register_exists(req);
	}
	counter_add(req->fe->registrations, 1);
	log_info("auth register ok user=%s ip=%s", a->email, req->ip);
	return auth_session_create(req, REG_SESSION, 0);
}

enum step
auth_register(struct req *req)
{
	switch ((enum register_step)req->step) {
	case REG_START:
		return auth_register_start(req);
	case REG_PREPARED:
		return auth_register_prepared(req);
	case REG_HASHED:
		return auth_register_store(req);
	case REG_STORED:
		return auth_register_stored(req);
	case REG_SESSION:
		return auth_session_created(req);
	}
	return site_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR);
}

/* --- login -------------------------------------------------------------- */

static enum step
auth_login_refused(struct req *req, unsigned status, const char *message)
{
	struct html_form f = { 0 };

	f.email = form_get(&req->form, "email");
	f.form_error = message;
	return auth_form_page(req, status, &f, 0);
}

static enum step
auth_login_start(struct req *req)
{
	struct auth_state	*a = auth_state(req);
	struct html_form	 f = { 0 };
	const char		*pw = form_get(&req->form, "password");
	enum account_verdict	 ev;

	f.email = form_get(&req->form, "email");
	ev = account_email(f.email, a->email, sizeof(a->email));
	if (ev == ACCOUNT_EMAIL_MISSING || pw == NULL || *pw == '\0') {
		f.email_error = ev == ACCOUNT_EMAIL_MISSING ?
		    account_message(ev) : NULL;
		f.password_error = pw == NULL || *pw == '\0' ?
		    account_message(ACCOUNT_PASSWORD_MISSING) : NULL;
		return auth_form_page(req, MHD_HTTP_BAD_REQUEST, &f, 0);
	}
	if (ev != ACCOUNT_OK) {
		/* No such account can exist: the generic answer, at once. */
		counter_add(req->fe->logins_failed, 1);
		return auth_login_refused(req, MHD_HTTP_UNAUTHORIZED,
		    AUTH_LOGIN_FAILED);
	}
	session_account_key(&req->fe->keys, a->email, a->account);
	return auth_prepare(req, a->email, a->account,
	    auth_device(req, a->account), LOGIN_PREPARED);
}

static enum step
auth_login_throttled(struct req *req, json_int_t retry_after)
{
	struct auth_state *a = auth_state(req);
	char msg[200];
	long minutes = (long)(retry_after + 59) / 60;

	counter_add(req->fe->logins_throttled, 1);
	log_info("auth login throttled account=%.12s ip=%s retry_after_s=%lld",
	    a->account, req->ip, (long long)retry_after);
	snprintf(msg, sizeof(msg), "Too many failed log-in attempts. For "
	    "your security, logging in is paused: try again in %ld minute%s.",
	    minutes, minutes == 1 ? "" : "s");
	req->resp.retry_after = (unsigned)retry_after;
	return auth_login_refused(req, MHD_HTTP_TOO_MANY_REQUESTS, msg);
}

static enum step
auth_login_prepared(struct req *req)
{
	struct auth_state	*a = auth_state(req);
	json_t		*hash;
	json_int_t	 retry_after;

	if (!auth_succeeded(req))
		return site_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
	retry_after = json_integer_value(json_object_get(req->reply,
	    "retry_after"));
	if (retry_after > 0)
		return auth_login_throttled(req, retry_after);
	hash = json_object_get(req->reply, "hash");
	a->hash = json_is_string(hash) ? xstrdup(json_string_value(hash)) :
	    NULL;
	req->job.op = HASHER_VERIFY;
	req->job.password = form_get(&req->form, "password");
	req->job.hash = a->hash != NULL ? a->hash :
	    hasher_dummy(req->fe->hasher);
	req->step = LOGIN_VERIFIED;
	return http_hash(req);
}

static enum step
auth_login_verified(struct req *req)
{
	struct auth_state	*a = auth_state(req);

	if (req->job.ok && a->hash != NULL) {
		if (!req->job.needs_rehash)
			return auth_session_create(req, LOGIN_SESSION, 1);
		req->job.op = HASHER_HASH;
		req->step = LOGIN_REHASHED;
		return http_hash(req);
	}
	return auth_failed(req, a->account, auth_device(req, a->account),
	    LOGIN_FAILURE_SAVED);
}

static enum step
auth_login_failure_saved(struct req *req)
{
	struct auth_state *a = auth_state(req);

	if (!auth_succeeded(req))
		log_warnx("auth login failure not recorded account=%.12s",
		    a->account);
	counter_add(req->fe->logins_failed, 1);
	log_info("auth login failed account=%.12s ip=%s", a->account,
	    req->ip);
	return auth_login_refused(req, MHD_HTTP_UNAUTHORIZED,
	    AUTH_LOGIN_FAILED);
}

static enum step
auth_login_rehashed(struct req *req)
{
	struct auth_state *a = auth_state(req);

	if (!req->job.ok)
		return auth_session_create(req, LOGIN_SESSION, 1);
	req->step = LOGIN_HASH_SAVED;
	return http_rpc(req, "SETHASH", json_pack("{ssssss}", "email",
	    a->email, "old_hash", a->hash, "hash", req->job.out));
}

static enum step
auth_login_hash_saved(struct req *req)
{
	struct auth_state *a = auth_state(req);

	sodium_memzero(req->job.out, sizeof(req->job.out));
	if (auth_succeeded(req))
		log_info("auth rehash user=%s", a->email);
	else
		log_warnx("auth rehash not saved user=%s", a->email);
	return auth_session_create(req, LOGIN_SESSION, 1);
}

static enum step
auth_login_done(struct req *req)
{
	struct auth_state *a = auth_state(req);
	enum step s = auth_session_created(req);

	if (req->resp.status == MHD_HTTP_SEE_OTHER) {
		counter_add(req->fe->logins_ok, 1);
		log_info("auth login ok user=%s ip=%s", a->email, req->ip);
	}
	return s;
}

enum step
auth_login(struct req *req)
{
	switch ((enum login_step)req->step) {
	case LOGIN_START:
		return auth_login_start(req);
	case LOGIN_PREPARED:
		return auth_login_prepared(req);
	case LOGIN_VERIFIED:
		return auth_login_verified(req);
	case LOGIN_FAILURE_SAVED:
		return auth_login_failure_saved(req);
	case LOGIN_REHASHED:
		return auth_login_rehashed(req);
	case LOGIN_HASH_SAVED:
		return auth_login_hash_saved(req);
	case LOGIN_SESSION:
		return auth_login_done(req);
	}
	return site_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR);
}

/* --- logout ------------------------------------------------------------- */

static enum step
auth_logout_done(struct req *req)
{
	int secure = req->fe->cfg.cookie_secure;

	http_cookie(req, session_set_cookie(session_cookie_name(secure), NULL,
	    secure));
	session_csrf_new(&req->fe->keys, req->csrf_cookie);
	http_cookie(req, session_set_cookie(session_csrf_cookie_name(secure),
	    req->csrf_cookie, secure));
	return http_redirect(req, "/");
}

enum step
auth_logout(struct req *req)
{
	switch ((enum logout_step)req->step) {
	case LOGOUT_START:
		if (req->sid_hash[0] == '\0')
			return auth_logout_done(req);
		req->step = LOGOUT_DELETED;
		return http_rpc(req, "SESSION_DELETE", json_pack("{ss}",
		    "id_hash", req->sid_hash));
	case LOGOUT_DELETED:
		/* Never pretend: the session must be gone server-side. */
		if (!auth_succeeded(req))
			return site_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
		log_info("auth logout user=%s ip=%s", req->user != NULL ?
		    req->user : "-", req->ip);
		return auth_logout_done(req);
	}
	return site_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR);
}
