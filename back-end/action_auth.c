/*
 * action_auth.c — log-in support for the front end: LOGIN_PREPARE (throttle
 * verdict and password hash in one round trip), LOGIN_FAILED (record a
 * failure), SETHASH (store a rehash), REGISTER_PREPARE (the registration
 * throttle, before the front end spends a hash).  Throttling state lives in
 * the read-write database so every front-end replica sees the same counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "db.h"
#include "fields.h"
#include "jsonx.h"
#include "log.h"

#define CLIENT_MAX	64

/*
 * retry_after: seconds until the account and the client address are both
 * under their limits.  With max failures allowed per window, the max-th
 * most recent failure inside the window decides: once it leaves the
 * window, fewer than max remain.  A max of 0 disables that limit.
 *
 * $8 is the keyed hash of a valid device cookie for this account, or NULL.
 * An untrusted attempt (NULL) is limited by the account's untrusted
 * failures and by its client's failures; a trusted one only by the failures
 * made with that same device cookie, so strangers cannot lock it out.
 */
static const struct db_query q_login_prepare = {
	"login_prepare",
	"SELECT (SELECT hash FROM users WHERE lower(email) = lower($1)), "
	"ceil(extract(epoch FROM greatest(interval '0', "
	"(SELECT at + make_interval(secs => $3::double precision) - now() "
	"FROM login_failures WHERE $4::int > 0 AND account = $2 "
	"AND device IS NOT DISTINCT FROM $8 "
	"AND at > now() - make_interval(secs => $3::double precision) "
	"ORDER BY at DESC OFFSET greatest($4::int, 1) - 1 LIMIT 1), "
	"(SELECT at + make_interval(secs => $6::double precision) - now() "
	"FROM login_failures WHERE $7::int > 0 AND client = $5 "
	"AND $8::text IS NULL "
	"AND at > now() - make_interval(secs => $6::double precision) "
	"ORDER BY at DESC OFFSET greatest($7::int, 1) - 1 LIMIT 1))))::bigint",
	8, DB_WRITE
};

static const struct db_query q_login_failed = {
	"login_failed",
	"WITH swept AS (DELETE FROM login_failures "
	"WHERE at < now() - interval '1 day') "
	"INSERT INTO login_failures (attempt_id, account, client, device) "
	"VALUES ($1, $2, $3, $4) ON CONFLICT (attempt_id) DO NOTHING",
	4, DB_WRITE
};

/*
 * The registration throttle: seconds to wait as for log-ins, over the
 * attempts of this client ($3 in $4 s, at most $5) and of everyone ($6 s,
 * at most $7), each on its own so the front end can remember both; an attempt under both limits is recorded in the same statement,
 * unless both limits are off (nothing to count for).
 * Run twice (redelivery), the second run may count the first: harmless.
 */
static const struct db_query q_register_prepare = {
	"register_prepare",
	"WITH v AS (SELECT "
	"ceil(extract(epoch FROM greatest(interval '0', "
	"(SELECT at + make_interval(secs => $4::double precision) - now() "
	"FROM register_attempts WHERE $5::int > 0 AND client = $3 "
	"AND at > now() - make_interval(secs => $4::double precision) "
	"ORDER BY at DESC OFFSET greatest($5::int, 1) - 1 LIMIT 1))))::bigint "
	"AS client_retry, "
	"ceil(extract(epoch FROM greatest(interval '0', "
	"(SELECT at + make_interval(secs => $6::double precision) - now() "
	"FROM register_attempts WHERE $7::int > 0 "
	"AND at > now() - make_interval(secs => $6::double precision) "
	"ORDER BY at DESC OFFSET greatest($7::int, 1) - 1 LIMIT 1))))::bigint "
	"AS total_retry), "
	"swept AS (DELETE FROM register_attempts "
	"WHERE at < now() - interval '1 day'), "
	"ins AS (INSERT INTO register_attempts (attempt_id, client) "
	"SELECT $1, $3 FROM v WHERE v.client_retry = 0 AND v.total_retry = 0 "
	"AND ($5::int > 0 OR $7::int > 0) "
	"ON CONFLICT (attempt_id) DO NOTHING) "
	"SELECT v.client_retry, v.total_retry, EXISTS (SELECT 1 FROM users "
	"WHERE lower(email) = lower($2)) FROM v",
	7, DB_WRITE
};

/* Compare-and-set: a second run, or a concurrent change, updates nothing. */
static const struct db_query q_sethash = {
	"user_sethash",
	"UPDATE users SET hash = $3 WHERE lower(email) = lower($1) "
	"AND hash = $2",
	3, DB_WRITE
};

/* A limit's maximum and window from data, as query parameters. */
static int
action_auth_limit(json_t *data, const char *max_key, const char *window_key,
    char num[2][24], const char **max_param, const char **window_param,
    char *err, size_t errlen)
{
	long long max, window;

	if (fields_int(data, max_key, 0, 1000000, &max, err, errlen) == -1 ||
	    fields_int(data, window_key, 1, 86400, &window, err,
	    errlen) == -1)
		return -1;
	snprintf(num[0], sizeof(num[0]), "%lld", max);
	snprintf(num[1], sizeof(num[1]), "%lld", window);
	*max_param = num[0];
	*window_param = num[1];
	return 0;
}

/* A query that answers exactly one row; NULL with *failure set if not. */
static PGresult *
action_auth_row(struct db *db, const struct db_query *q, const char **params,
    json_t **failure)
{
	char		 err[128];
	PGresult	*res;

	if ((res = db_exec(db, q, params, err, sizeof(err))) == NULL) {
		*failure = jsonx_failure(err);
		return NULL;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		*failure = jsonx_failure("database error");
		return NULL;
	}
	return res;
}

/* The optional "device": absent or null is an untrusted attempt. */
static int
action_auth_device(json_t *data, const char **out, char *err, size_t errlen)
{
	json_t *d = json_object_get(data, "device");

	*out = NULL;
	if (d == NULL || json_is_null(d))
		return 0;
	return fields_hex(data, "device", 64, out, err, errlen);
}

json_t *
action_login_prepare(struct db *db, json_t *data)
{
	const char	*params[8];
	char		 num[4][24], err[128];
	PGresult	*res;
	json_t		*reply;

	if (jsonx_get_string(data, "email", FIELDS_EMAIL_MAX, &params[0], err,
	    sizeof(err)) == -1 ||
	    fields_hex(data, "account", 64, &params[1], err,
	    sizeof(err)) == -1 ||
	    jsonx_get_string(data, "client", CLIENT_MAX, &params[4], err,
	    sizeof(err)) == -1 ||
	    action_auth_limit(data, "account_max", "account_window_s", num,
	    &params[3], &params[2], err, sizeof(err)) == -1 ||
	    action_auth_limit(data, "client_max", "client_window_s", num + 2,
	    &params[6], &params[5], err, sizeof(err)) == -1 ||
	    action_auth_device(data, &params[7], err, sizeof(err)) == -1)
		return jsonx_failure(err);
	if ((res = action_auth_row(db, &q_login_prepare, params,
	    &reply)) == NULL)
		return reply;
	reply = json_pack("{sbsI}", "success", 1, "retry_after",
	    (json_int_t)strtoll(PQgetvalue(res, 0, 1), NULL, 10));
	json_object_set_new(reply, "hash", PQgetisnull(res, 0, 0) ?
	    json_null() : json_string(PQgetvalue(res, 0, 0)));
	PQclear(res);
	return reply;
}

json_t *
action_login_failed(struct db *db, json_t *data)
{
	const char	*params[4];
	char		 err[128];
	PGresult	*res;

	if (fields_hex(data, "attempt_id", 32, &params[0], err,
	    sizeof(err)) == -1 ||
	    fields_hex(data, "account", 64, &params[1], err,
	    sizeof(err)) == -1 ||
	    jsonx_get_string(data, "client", CLIENT_MAX, &params[2], err,
	    sizeof(err)) == -1 ||
	    action_auth_device(data, &params[3], err, sizeof(err)) == -1)
		return jsonx_failure(err);
	if ((res = db_exec(db, &q_login_failed, params, err,
	    sizeof(err))) == NULL)
		return jsonx_failure(err);
	PQclear(res);
	return json_pack("{sb}", "success", 1);
}

json_t *
action_sethash(struct db *db, json_t *data)
{
	const char	*params[3];
	char		 err[128];
	PGresult	*res;
	json_t		*reply;

	if (jsonx_get_string(data, "email", FIELDS_EMAIL_MAX, &params[0], err,
	    sizeof(err)) == -1 ||
	    jsonx_get_string(data, "old_hash", FIELDS_HASH_MAX, &params[1], err,
	    sizeof(err)) == -1 ||
	    jsonx_get_string(data, "hash", FIELDS_HASH_MAX, &params[2], err,
	    sizeof(err)) == -1)
		return jsonx_failure(err);
	if ((res = db_exec(db, &q_sethash, params, err, sizeof(err))) == NULL)
		return jsonx_failure(err);
	reply = json_pack("{sbsb}", "success", 1, "updated",
	    strcmp(PQcmdTuples(res), "1") == 0);
	PQclear(res);
	return reply;
}

json_t *
action_register_prepare(struct db *db, json_t *data)
{
	const char	*params[7];
	char		 num[4][24], err[128];
	long long	 cwait, twait;
	PGresult	*res;
	json_t		*reply;

	if (fields_hex(data, "attempt_id", 32, &params[0], err,
	    sizeof(err)) == -1 ||
	    fields_email(data, &params[1], err, sizeof(err)) == -1 ||
	    jsonx_get_string(data, "client", CLIENT_MAX, &params[2], err,
	    sizeof(err)) == -1 ||
	    action_auth_limit(data, "client_max", "client_window_s", num,
	    &params[4], &params[3], err, sizeof(err)) == -1 ||
	    action_auth_limit(data, "total_max", "total_window_s", num + 2,
	    &params[6], &params[5], err, sizeof(err)) == -1)
		return jsonx_failure(err);
	if ((res = action_auth_row(db, &q_register_prepare, params,
	    &reply)) == NULL)
		return reply;
	cwait = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	twait = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	reply = json_pack("{sbsIsIsIsb}", "success", 1,
	    "retry_after", (json_int_t)(cwait > twait ? cwait : twait),
	    "client_retry_after", (json_int_t)cwait,
	    "total_retry_after", (json_int_t)twait,
	    "exists", strcmp(PQgetvalue(res, 0, 2), "t") == 0);
	PQclear(res);
	return reply;
}
