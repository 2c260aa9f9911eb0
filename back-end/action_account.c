/*
 * action_account.c — what a signed-in person does with their account
 * (docs/frontend.md "Account pages"), for the front end:
 *
 *   ACCOUNT_GET {id_hash}                       the account and its sessions
 *   SESSION_REVOKE {id_hash, handle}            end one other session
 *   SESSION_REVOKE_OTHERS {id_hash}             end every other session
 *   PASSWORD_CHANGE {id_hash, old_hash, hash, new_id_hash, account}
 *   ACCOUNT_DELETE {id_hash, hash, account}
 *   RECOVERY_CHECK {token_hash}                 is an operator link usable
 *   RECOVERY_USE {token_hash, hash, account}    set the password with it
 *
 * The account is always the one of the live session id_hash (or of the
 * recovery token): the front end cannot name another account.  A session
 * is shown and addressed by its handle, the first 16 hex digits of its
 * id_hash.  Each statement does the whole change at once; a second run
 * finds nothing left to do and says so.  Changes that end sessions publish
 * an event to parley.events (events.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "fields.h"
#include "db.h"
#include "events.h"
#include "jsonx.h"
#include "log.h"
#include "sql.h"

#define HANDLE_LEN	16

#define NAME_KEY(col) \
	"translate(" col ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', " \
	"'abcdefghijklmnopqrstuvwxyz')"

static const struct db_query q_account_get = {
	"account_get",
	"SELECT u.id, u.email, " UTC_TIME("u.created_at") ", "
	UTC_TIME("u.prev_login_at") ", u.prev_login_ip, "
	UTC_TIME("u.last_login_at") ", u.last_login_ip "
	"FROM sessions s JOIN users u USING (email) "
	"WHERE s.id_hash = $1 AND s." LIVE_SESSION,
	1, DB_WRITE
};

static const struct db_query q_account_sessions = {
	"account_sessions",
	"SELECT left(id_hash, 16), " UTC_TIME("created_at") ", "
	UTC_TIME("last_seen") ", coalesce(client, ''), "
	"coalesce(agent, ''), id_hash = $1 "
	"FROM sessions WHERE " LIVE_SESSION " AND email = "
	"(SELECT email FROM sessions WHERE id_hash = $1 AND " LIVE_SESSION ") "
	"ORDER BY id_hash = $1 DESC, last_seen DESC LIMIT 100",
	1, DB_WRITE
};

/* $2 '' ends every other session, else the one with that handle. */
static const struct db_query q_session_revoke = {
	"session_revoke",
	"WITH me AS (SELECT u.id, u.email FROM sessions s JOIN users u "
	"USING (email) WHERE s.id_hash = $1 AND s." LIVE_SESSION "), "
	"gone AS (DELETE FROM sessions WHERE email = (SELECT email FROM me) "
	"AND id_hash <> $1 AND ($2 = '' OR left(id_hash, 16) = $2) "
	"RETURNING left(id_hash, 16) AS handle) "
	"SELECT id, email, (SELECT string_agg(handle, ',') FROM gone) FROM me",
	2, DB_WRITE
};

/* A new password also revokes the account's terminal chat tokens (a thief
 * could have made one); the event lists them (docs/backend.md). */
#define REVOKE_TOKENS \
	"toks AS (UPDATE chat_tokens SET revoked_at = now() WHERE " \
	"account_id = (SELECT id FROM changed) AND revoked_at IS NULL " \
	"RETURNING id) "
#define REVOKED_TOKENS	"(SELECT string_agg(id::text, ',') FROM toks)"

/*
 * Compare-and-set on the hash the front end verified; every session of the
 * account ends, this one goes on under new_id_hash (same start and expiry);
 * failed log-ins and recovery links of the account go too.
 */
static const struct db_query q_password_change = {
	"password_change",
	"WITH me AS (SELECT s.* FROM sessions s JOIN users u USING (email) "
	"WHERE s.id_hash = $1 AND s." LIVE_SESSION " AND u.hash = $2), "
	"changed AS (UPDATE users SET hash = $3 WHERE email = "
	"(SELECT email FROM me) AND hash = $2 RETURNING id, email), "
	"gone AS (DELETE FROM sessions WHERE email = (SELECT email FROM "
	"changed) RETURNING id_hash), "
	"kept AS (INSERT INTO sessions (id_hash, email, created_at, last_seen, "
	"idle_timeout, expires_at, client, agent) SELECT $4, me.email, "
	"me.created_at, now(), me.idle_timeout, me.expires_at, me.client, "
	"me.agent FROM me JOIN changed USING (email) "
	"ON CONFLICT (id_hash) DO NOTHING), "
	"failures AS (DELETE FROM login_failures WHERE account = $5 "
	"AND EXISTS (SELECT 1 FROM changed)), "
	"links AS (DELETE FROM recovery_tokens WHERE email = "
	"(SELECT email FROM changed)), " REVOKE_TOKENS
	"SELECT id, email, (SELECT string_agg(left(id_hash, 16), ',') "
	"FROM gone WHERE id_hash <> $1), " REVOKED_TOKENS " FROM changed",
	5, DB_WRITE
};

/* A redelivered change: the new session exists under the new hash. */
static const struct db_query q_password_changed = {
	"password_changed",
	"SELECT 1 FROM sessions s JOIN users u USING (email) "
	"WHERE s.id_hash = $1 AND u.hash = $2",
	2, DB_WRITE
};

/* The account row with everything that hangs off it; its chat name
 * becomes a tombstone that no chat server can claim (owner ''). */
static const struct db_query q_account_delete = {
	"account_delete",
	"WITH me AS (SELECT email FROM sessions WHERE id_hash = $1 AND "
	LIVE_SESSION "), "
	"deleted AS (DELETE FROM users WHERE email = (SELECT email FROM me) "
	"AND hash = $2 RETURNING id, email, chat_name), "
	"gone AS (DELETE FROM sessions WHERE email = (SELECT email FROM "
	"deleted) RETURNING left(id_hash, 16) AS handle), "
	"failures AS (DELETE FROM login_failures WHERE account = $3 "
	"AND EXISTS (SELECT 1 FROM deleted)), "
	"links AS (DELETE FROM recovery_tokens WHERE email = "
	"(SELECT email FROM deleted)), "
	"tomb AS (INSERT INTO chat_names (name_key, name, owner, token, "
	"lease_until) SELECT " NAME_KEY("chat_name") ", chat_name, '', '', "
	"'infinity' FROM deleted WHERE chat_name IS NOT NULL "
	"ON CONFLICT (name_key) DO UPDATE SET name = EXCLUDED.name, "
	"owner = '', token = '', lease_until = 'infinity') "
	"SELECT id, email, coalesce(chat_name, ''), "
	"(SELECT string_agg(handle, ',') FROM gone) FROM deleted",
	3, DB_WRITE
};

static const struct db_query q_recovery_check = {
	"recovery_check",
	"SELECT email, used_at IS NOT NULL, expires_at <= now() "
	"FROM recovery_tokens WHERE token_hash = $1",
	1, DB_WRITE
};

static const struct db_query q_recovery_use = {
	"recovery_use",
	"WITH link AS (UPDATE recovery_tokens SET used_at = now() "
	"WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() "
	"RETURNING email), "
	"changed AS (UPDATE users SET hash = $2 WHERE email = "
	"(SELECT email FROM link) RETURNING id, email), "
	"gone AS (DELETE FROM sessions WHERE email = (SELECT email FROM "
	"changed) RETURNING left(id_hash, 16) AS handle), "
	"others AS (DELETE FROM recovery_tokens WHERE email = "
	"(SELECT email FROM changed) AND token_hash <> $1), "
	"failures AS (DELETE FROM login_failures WHERE account = $3 "
	"AND EXISTS (SELECT 1 FROM changed)), " REVOKE_TOKENS
	"SELECT id, email, (SELECT string_agg(handle, ',') FROM gone), "
	REVOKED_TOKENS " FROM changed",
	3, DB_WRITE
};

/* A redelivered use: the link is used and the password is this one. */
static const struct db_query q_recovery_used = {
	"recovery_used",
	"SELECT 1 FROM recovery_tokens r JOIN users u USING (email) "
	"WHERE r.token_hash = $1 AND r.used_at IS NOT NULL AND u.hash = $2",
	2, DB_WRITE
};

static json_t *
account_null_or(PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return json_null();
	return json_string(PQgetvalue(res, row, col));
}

/* "a,b,c" (or NULL) as ["a","b","c"]. */
static json_t *
account_handles(PGresult *res, int col)
{
	json_t		*list = json_array();
	const char	*p, *comma;

	if (PQgetisnull(res, 0, col))
		return list;
	for (p = PQgetvalue(res, 0, col); *p != '\0'; p = comma + 1) {
		if ((comma = strchr(p, ',')) == NULL)
			comma = p + strlen(p);
		json_array_append_new(list, json_stringn(p, (size_t)(comma - p)));
		if (*comma == '\0')
			break;
	}
	return list;
}

/* "1,2,3" (or NULL) as [1,2,3]. */
static json_t *
account_ids(PGresult *res, int col)
{
	json_t	*list = json_array(), *s = account_handles(res, col), *v;
	size_t	 i;

	json_array_foreach(s, i, v)
		json_array_append_new(list, json_integer((json_int_t)strtoll(
		    json_string_value(v), NULL, 10)));
	json_decref(s);
	return list;
}

/* Publish one event about account (id, email) and the sessions it ended
 * (and the chat tokens it revoked: tokens_col, or -1; more fields: extra,
 * stolen, or NULL). */
static void
account_event(const char *key, const char *reason, PGresult *res,
    int sessions_col, int all, int tokens_col, json_t *extra)
{
	json_t *ev;

	ev = json_pack("{sIsssssbso}", "account_id",
	    (json_int_t)strtoll(PQgetvalue(res, 0, 0), NULL, 10),
	    "email", PQgetvalue(res, 0, 1), "reason", reason,
	    "all_sessions", all, "sessions", account_handles(res, sessions_col));
	if (tokens_col >= 0)
		json_object_set_new(ev, "tokens", account_ids(res, tokens_col));
	if (extra != NULL) {
		json_object_update(ev, extra);
		json_decref(extra);
	}
	events_publish(key, ev);
	json_decref(ev);
}

static json_t *
account_session_json(PGresult *res, int row)
{
	return json_pack("{sssssssssssb}", "handle", PQgetvalue(res, row, 0),
	    "created", PQgetvalue(res, row, 1), "last_seen",
	    PQgetvalue(res, row, 2), "client", PQgetvalue(res, row, 3),
	    "agent", PQgetvalue(res, row, 4), "current",
	    strcmp(PQgetvalue(res, row, 5), "t") == 0);
}

json_t *
action_account_get(struct db *db, json_t *data)
{
	const char	*params[1];
	char		 err[128];
	PGresult	*res;
	json_t		*account, *sessions;
	int		 i;

	if (fields_hex(data, "id_hash", 64, &params[0], err,
	    sizeof(err)) == -1)
		return jsonx_failure(err);
	if ((res = db_exec(db, &q_account_get, params, err,
	    sizeof(err))) == NULL)
		return jsonx_failure(err);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return json_pack("{sbsn}", "success", 1, "account");
	}
	account = json_pack("{sIsssssoso}", "id",
	    (json_int_t)strtoll(PQgetvalue(res, 0, 0), NULL, 10),
	    "email", PQgetvalue(res, 0, 1), "created", PQgetvalue(res, 0, 2),
	    "previous_login", account_null_or(res, 0, 3),
	    "previous_login_ip", account_null_or(res, 0, 4));
	json_object_set_new(account, "last_login", account_null_or(res, 0, 5));
	json_object_set_new(account, "last_login_ip",
	    account_null_or(res, 0, 6));
	PQclear(res);
	if ((res = db_exec(db, &q_account_sessions, params, err,
	    sizeof(err))) == NULL) {
		json_decref(account);
		return jsonx_failure(err);
	}
	sessions = json_array();
	for (i = 0; i < PQntuples(res); i++)
		json_array_append_new(sessions, account_session_json(res, i));
	PQclear(res);
	return json_pack("{sbsoso}", "success", 1, "account", account,
	    "sessions", sessions);
}

static json_t *
account_revoke(struct db *db, const char *id_hash, const char *handle)
{
	const char	*params[2] = { id_hash, handle };
	char		 err[128];
	PGresult	*res;
	json_t		*reply;
	size_t		 n;

	if ((res = db_exec(db, &q_session_revoke, params, err,
	    sizeof(err))) == NULL)
		return jsonx_failure(err);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return json_pack("{sbsbsi}", "success", 1, "signed_in", 0,
		    "revoked", 0);
	}
	reply = json_pack("{sbsbso}", "success", 1, "signed_in", 1,
	    "sessions", account_handles(res, 2));
	n = json_array_size(json_object_get(reply, "sessions"));
	json_object_set_new(reply, "revoked", json_integer((json_int_t)n));
	if (n > 0) {
		log_info("account sessions revoked user=%s count=%zu",
		    PQgetvalue(res, 0, 1), n);
		account_event("account.sessions_revoked", *handle == '\0' ?
		    "others" : "one", res, 2, 0, -1, NULL);
	}
	PQclear(res);
	return reply;
}

json_t *
action_session_revoke(struct db *db, json_t *data)
{
	const char	*id_hash, *handle;
	char		 err[128];

	if (fields_hex(data, "id_hash", 64, &id_hash, err, sizeof(err)) == -1 ||
	    fields_hex(data, "handle", HANDLE_LEN, &handle, err,
	    sizeof(err)) == -1)
		return jsonx_failure(err);
	return account_revoke(db, id_hash, handle);
}

json_t *
action_session_revoke_others(struct db *db, json_t *data)
{
	const char	*id_hash;
	char		 err[128];

	if (fields_hex(data, "id_hash", 64, &id_hash, err, sizeof(err)) == -1)
		return jsonx_failure(err);
	return account_revoke(db, id_hash, "");
}

json_t *
action_password_change(struct db *db, json_t *data)
{
	const char	*params[5];
	char		 err[128];
	PGresult	*res;
	int		 done;

	if (fields_hex(data, "id_hash", 64, &params[0], err,
	    sizeof(err)) == -1 ||
	    jsonx_get_string(data, "old_hash", FIELDS_HASH_MAX, &params[1], err,
	    sizeof(err)) == -1 ||
	    jsonx_get_string(data, "hash", FIELDS_HASH_MAX, &params[2], err,
	    sizeof(err)) == -1 ||
	    fields_hex(data, "new_id_hash", 64, &params[3], err,
	    sizeof(err)) == -1 ||
	    fields_hex(data, "account", 64, &params[4], err,
	    sizeof(err)) == -1)
		return jsonx_failure(err);
	if ((res = db_exec(db, &q_password_change, params, err,
	    sizeof(err))) == NULL)
		return jsonx_failure(err);
	if (PQntuples(res) == 1) {
		log_info("account password changed user=%s", PQgetvalue(res,
		    0, 1));
		/* The session goes on under a new handle: chat servers
		 * retag its connections, so later sign-outs find them. */
		account_event("account.password_changed", "changed", res, 2, 0,
		    3, json_pack("{s{s:s%s:s%}}", "session_moved", "from",
		    params[0], (size_t)HANDLE_LEN, "to", params[3],
		    (size_t)HANDLE_LEN));
		PQclear(res);
		return json_pack("{sbsb}", "success", 1, "changed", 1);
	}
	PQclear(res);
	/* Nothing changed: done already (a redelivery), or refused. */
	params[0] = params[3];
	params[1] = params[2];
	if ((res = db_exec(db, &q_password_changed, params, err,
	    sizeof(err))) == NULL)
		return jsonx_failure(err);
	done = PQntuples(res) == 1;
	PQclear(res);
	return json_pack("{sbsb}", "success", 1, "changed", done);
}

json_t *
action_account_delete(struct db *db, json_t *data)
{
	const char	*params[3];
	char		 err[128];
	PGresult	*res;
	json_t		*ev;

	if (fields_hex(data, "id_hash", 64, &params[0], err,
	    sizeof(err)) == -1 ||
	    jsonx_get_string(data, "hash", FIELDS_HASH_MAX, &params[1], err,
	    sizeof(err)) == -1 ||
	    fields_hex(data, "account", 64, &params[2], err,
	    sizeof(err)) == -1)
		return jsonx_failure(err);
	if ((res = db_exec(db, &q_account_delete, params, err,
	    sizeof(err))) == NULL)
		return jsonx_failure(err);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return json_pack("{sbsb}", "success", 1, "deleted", 0);
	}
	log_info("account deleted user=%s", PQgetvalue(res, 0, 1));
	ev = json_pack("{sIsssssbso}", "account_id",
	    (json_int_t)strtoll(PQgetvalue(res, 0, 0), NULL, 10),
	    "email", PQgetvalue(res, 0, 1), "reason", "deleted",
	    "all_sessions", 1, "sessions", account_handles(res, 3));
	json_object_set_new(ev, "chat_name", *PQgetvalue(res, 0, 2) != '\0' ?
	    json_string(PQgetvalue(res, 0, 2)) : json_null());
	events_publish("account.deleted", ev);
	json_decref(ev);
	PQclear(res);
	return json_pack("{sbsb}", "success", 1, "deleted", 1);
}

json_t *
action_recovery_check(struct db *db, json_t *data)
{
	const char	*params[1], *state;
	char		 err[128];
	PGresult	*res;
	json_t		*reply;

	if (fields_hex(data, "token_hash", 64, &params[0], err,
	    sizeof(err)) == -1)
		return jsonx_failure(err);
	if ((res = db_exec(db, &q_recovery_check, params, err,
	    sizeof(err))) == NULL)
		return jsonx_failure(err);
	if (PQntuples(res) != 1)
		state = "unknown";
	else if (strcmp(PQgetvalue(res, 0, 1), "t") == 0)
		state = "used";
	else if (strcmp(PQgetvalue(res, 0, 2), "t") == 0)
		state = "expired";
	else
		state = "valid";
	if (strcmp(state, "valid") != 0 && PQntuples(res) == 1)
		log_info("recovery link refused reason=%s user=%s", state,
		    PQgetvalue(res, 0, 0));
	else if (strcmp(state, "unknown") == 0)
		log_info("recovery link refused reason=unknown");
	reply = json_pack("{sbss}", "success", 1, "state", state);
	if (strcmp(state, "valid") == 0)
		json_object_set_new(reply, "email",
		    json_string(PQgetvalue(res, 0, 0)));
	PQclear(res);
	return reply;
}

json_t *
action_recovery_use(struct db *db, json_t *data)
{
	const char	*params[3];
	char		 err[128];
	PGresult	*res;
	int		 done;

	if (fields_hex(data, "token_hash", 64, &params[0], err,
	    sizeof(err)) == -1 ||
	    jsonx_get_string(data, "hash", FIELDS_HASH_MAX, &params[1], err,
	    sizeof(err)) == -1 ||
	    fields_hex(data, "account", 64, &params[2], err,
	    sizeof(err)) == -1)
		return jsonx_failure(err);
	if ((res = db_exec(db, &q_recovery_use, params, err,
	    sizeof(err))) == NULL)
		return jsonx_failure(err);
	if (PQntuples(res) == 1) {
		log_info("recovery link used user=%s", PQgetvalue(res, 0, 1));
		account_event("account.password_changed", "recovery", res, 2,
		    1, 3, NULL);
		PQclear(res);
		return json_pack("{sbsb}", "success", 1, "used", 1);
	}
	PQclear(res);
	if ((res = db_exec(db, &q_recovery_used, params, err,
	    sizeof(err))) == NULL)
		return jsonx_failure(err);
	done = PQntuples(res) == 1;
	PQclear(res);
	if (!done)
		log_info("recovery link refused reason=used-or-expired");
	return json_pack("{sbsb}", "success", 1, "used", done);
}
