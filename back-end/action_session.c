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
#include "fields.h"
#include "jsonx.h"
#include "log.h"

/* One statement: sweep some expired sessions, end the one being replaced,
 * clear the account's failed log-ins, insert (a redelivery is a no-op). */
static const struct db_query q_session_create = {
	"session_create",
	"WITH swept AS (DELETE FROM sessions WHERE id_hash IN ("
	"SELECT id_hash FROM sessions WHERE expires_at < now() "
	"OR last_seen + idle_timeout < now() LIMIT 100)), "
	"old AS (DELETE FROM sessions WHERE $5 <> '' AND id_hash = $5), "
	"reset AS (DELETE FROM login_failures WHERE $6 <> '' AND account = $6) "
	"INSERT INTO sessions (id_hash, email, idle_timeout, expires_at) "
	"SELECT $1, email, make_interval(secs => $3::double precision), "
	"now() + make_interval(secs => $4::double precision) "
	"FROM users WHERE lower(email) = lower($2) "	/* as stored */
	"ON CONFLICT (id_hash) DO NOTHING",
	6, DB_WRITE
};

/* A live session is touched (idle timeout restarts) and names its user. */
static const struct db_query q_session_get = {
	"session_get",
	"UPDATE sessions SET last_seen = now() WHERE id_hash = $1 "
	"AND expires_at > now() AND last_seen + idle_timeout > now() "
	"RETURNING email",
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
	"DELETE FROM sessions WHERE id_hash = $1",
	1, DB_WRITE
};

json_t *
action_session_create(struct db *db, json_t *data)
{
	const char	*params[6];
	char		 idle[24], absolute[24], err[128];
	long long	 idle_s, absolute_s;
	PGresult	*res;
	int		 created;

	params[4] = params[5] = "";
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

	if (fields_hex(data, "id_hash", 64, &params[0], err,
	    sizeof(err)) == -1)
		return jsonx_failure(err);
	if ((res = db_exec(db, &q_session_delete, params, err,
	    sizeof(err))) == NULL)
		return jsonx_failure(err);
	PQclear(res);
	return json_pack("{sb}", "success", 1);
}
