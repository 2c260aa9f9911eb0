/*
 * action_session.c — front-end sessions: SESSION_CREATE, SESSION_GET,
 * SESSION_DELETE.  Sessions live in the read-write database only, so a
 * session created on one replica is seen at once by every other
 * (read-after-write).  Every action is safe to run twice.
 */
#include <stdio.h>
#include <string.h>

#include "action.h"
#include "db.h"
#include "events.h"
#include "fields.h"
#include "jsonx.h"
#include "log.h"

/* One statement: sweep some expired sessions, end the one being replaced,
 * clear the account's failed log-ins (only those of device $9 when the
 * log-in came with that device cookie: strangers' failures stay), note the sign-in on the account
 * (client $7, short browser description $8), insert (a redelivery is a
 * no-op: the sign-in is noted only when the session is new). */
static const struct db_query q_session_create = {
	"session_create",
	"WITH swept AS (DELETE FROM sessions WHERE id_hash IN ("
	"SELECT id_hash FROM sessions WHERE expires_at < now() "
	"OR last_seen + idle_timeout < now() LIMIT 100)), "
	"old AS (DELETE FROM sessions WHERE $5 <> '' AND id_hash = $5), "
	"reset AS (DELETE FROM login_failures WHERE $6 <> '' AND account = $6 "
	"AND ($9 = '' OR device = $9)), "
	"created AS (INSERT INTO sessions (id_hash, email, idle_timeout, "
	"expires_at, client, agent) "
	"SELECT $1, email, make_interval(secs => $3::double precision), "
	"now() + make_interval(secs => $4::double precision), "
	"nullif($7, ''), nullif($8, '') "
	"FROM users WHERE lower(email) = lower($2) "	/* as stored */
	"ON CONFLICT (id_hash) DO NOTHING RETURNING email) "
	"UPDATE users SET prev_login_at = last_login_at, "
	"prev_login_ip = last_login_ip, last_login_at = now(), "
	"last_login_ip = nullif($7, '') WHERE email = (SELECT email FROM created)",
	9, DB_WRITE
};

/*
 * A live session names its user.  last_seen (the idle timeout's start) is
 * coarse: written only when older than a tenth of the idle timeout, at most
 * a minute, so most requests read without writing.
 */
static const struct db_query q_session_get = {
	"session_get",
	"WITH live AS (SELECT email FROM sessions WHERE id_hash = $1 "
	"AND expires_at > now() AND last_seen + idle_timeout > now()), "
	"touched AS (UPDATE sessions SET last_seen = now() WHERE id_hash = $1 "
	"AND expires_at > now() AND last_seen + idle_timeout > now() "
	"AND last_seen < now() - least(interval '60 seconds', "
	"idle_timeout / 10)) "
	"SELECT email FROM live",
	1, DB_WRITE
};

/* After an insert of nothing: a redelivery, or no such account. */
static const struct db_query q_session_exists = {
	"session_exists",
	"SELECT 1 FROM sessions WHERE id_hash = $1",
	1, DB_WRITE
};

static const struct db_query q_session_delete = {
	"session_delete",
	"WITH gone AS (DELETE FROM sessions WHERE id_hash = $1 "
	"RETURNING email, left(id_hash, 16) AS handle) "
	"SELECT u.id, u.email, gone.handle FROM gone JOIN users u USING (email)",
	1, DB_WRITE
};

json_t *
action_session_create(struct db *db, json_t *data)
{
	const char	*params[9];
	char		 idle[24], absolute[24], err[128];
	long long	 idle_s, absolute_s;
	PGresult	*res;
	int		 created;

	params[4] = params[5] = params[6] = params[7] = params[8] = "";
	if (fields_hex(data, "id_hash", 64, &params[0], err,
	    sizeof(err)) == -1 ||
	    jsonx_get_string(data, "email", FIELDS_EMAIL_MAX, &params[1], err,
	    sizeof(err)) == -1 ||
	    fields_int(data, "idle_s", 1, 365LL * 86400, &idle_s, err,
	    sizeof(err)) == -1 ||
	    fields_int(data, "absolute_s", 1, 365LL * 86400, &absolute_s, err,
	    sizeof(err)) == -1 ||
	    (json_object_get(data, "old_id_hash") != NULL &&
	    fields_hex(data, "old_id_hash", 64, &params[4], err,
	    sizeof(err)) == -1) ||
	    (json_object_get(data, "account") != NULL &&
	    fields_hex(data, "account", 64, &params[5], err,
	    sizeof(err)) == -1) ||
	    (json_object_get(data, "client") != NULL &&
	    jsonx_get_string(data, "client", 64, &params[6], err,
	    sizeof(err)) == -1) ||
	    (json_object_get(data, "agent") != NULL &&
	    jsonx_get_string(data, "agent", 64, &params[7], err,
	    sizeof(err)) == -1) ||
	    (json_is_string(json_object_get(data, "device")) &&
	    fields_hex(data, "device", 64, &params[8], err,
	    sizeof(err)) == -1))
		return jsonx_failure(err);
	snprintf(idle, sizeof(idle), "%lld", idle_s);
	snprintf(absolute, sizeof(absolute), "%lld", absolute_s);
	params[2] = idle;
	params[3] = absolute;
	if ((res = db_exec(db, &q_session_create, params, err,
	    sizeof(err))) == NULL)
		return jsonx_failure(err);
	created = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	if (!created) {
		if ((res = db_exec(db, &q_session_exists, params, err,
		    sizeof(err))) == NULL)
			return jsonx_failure(err);
		created = PQntuples(res) == 1;
		PQclear(res);
	}
	if (!created)
		return jsonx_failure("Unknown user");
	return json_pack("{sb}", "success", 1);
}

json_t *
action_session_get(struct db *db, json_t *data)
{
	const char	*params[1];
	char		 err[128];
	PGresult	*res;
	json_t		*reply;

	if (fields_hex(data, "id_hash", 64, &params[0], err,
	    sizeof(err)) == -1)
		return jsonx_failure(err);
	if ((res = db_exec(db, &q_session_get, params, err,
	    sizeof(err))) == NULL)
		return jsonx_failure(err);
	if (PQntuples(res) == 1)
		reply = json_pack("{sbss}", "success", 1, "email",
		    PQgetvalue(res, 0, 0));
	else
		reply = json_pack("{sbsn}", "success", 1, "email");
	PQclear(res);
	return reply;
}

json_t *
action_session_delete(struct db *db, json_t *data)
{
	const char	*params[1];
	char		 err[128];
	PGresult	*res;
	json_t		*ev;

	if (fields_hex(data, "id_hash", 64, &params[0], err,
	    sizeof(err)) == -1)
		return jsonx_failure(err);
	if ((res = db_exec(db, &q_session_delete, params, err,
	    sizeof(err))) == NULL)
		return jsonx_failure(err);
	/* Its chat connections close too (docs/backend.md "Events"). */
	if (PQntuples(res) == 1) {
		ev = json_pack("{sIsssssb s[s]}", "account_id",
		    (json_int_t)strtoll(PQgetvalue(res, 0, 0), NULL, 10),
		    "email", PQgetvalue(res, 0, 1), "reason", "logout",
		    "all_sessions", 0, "sessions", PQgetvalue(res, 0, 2));
		events_publish("account.sessions_revoked", ev);
		json_decref(ev);
	}
	PQclear(res);
	return json_pack("{sb}", "success", 1);
}
