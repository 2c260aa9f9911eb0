/* action_user.c — REGISTER and GETHASH, compatible with the original
 * example's JSON (docs/backend.md, Actions). */
#include <stdio.h>
#include <string.h>

#include "action.h"
#include "db.h"
#include "fields.h"
#include "jsonx.h"
#include "log.h"

/*
 * Insert, or succeed again when the same (email, hash) is already there: a
 * redelivered REGISTER must not turn into "User already exists".  Hashes are
 * salted, so a different registration of the same email never matches.
 * Two statements on purpose: ON CONFLICT waits for a concurrent insert of
 * the same email to commit, and only a new statement's snapshot sees it.
 * Addresses are one account whatever their case (db/030-email-case.sql):
 * the conflict may be on the primary key or on the lower(email) index, and
 * the stored spelling is kept (the textbook's front end stores as typed).
 */
static const struct db_query q_insert = {
	"user_insert",
	"INSERT INTO users (email, hash) VALUES ($1, $2) ON CONFLICT DO NOTHING",
	2, DB_WRITE
};

static const struct db_query q_same = {
	"user_same",
	"SELECT 1 FROM users WHERE lower(email) = lower($1) AND hash = $2",
	2, DB_WRITE
};

static const struct db_query q_gethash = {
	"user_gethash",
	"SELECT hash FROM users WHERE lower(email) = lower($1)",
	1, DB_READ
};

json_t *
action_register(struct db *db, json_t *data)
{
	const char	*email, *hash, *params[2];
	PGresult	*res;
	char		 err[128];
	int		 created;

	if (fields_email(data, &email, err, sizeof(err)) == -1 ||
	    jsonx_get_string(data, "hash", FIELDS_HASH_MAX, &hash, err,
	    sizeof(err)) == -1)
		return jsonx_failure(err);
	params[0] = email;
	params[1] = hash;
	if ((res = db_exec(db, &q_insert, params, err, sizeof(err))) == NULL)
		return jsonx_failure(err);
	created = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	if (!created) {
		if ((res = db_exec(db, &q_same, params, err,
		    sizeof(err))) == NULL)
			return jsonx_failure(err);
		created = PQntuples(res) == 1;
		PQclear(res);
	}
	if (!created)
		return jsonx_failure("User already exists");
	log_debug("user registered");
	return json_pack("{sb}", "success", 1);
}

json_t *
action_gethash(struct db *db, json_t *data)
{
	const char	*email, *params[1];
	PGresult	*res;
	json_t		*reply;
	char		 err[128];

	if (jsonx_get_string(data, "email", FIELDS_EMAIL_MAX, &email, err,
	    sizeof(err)) == -1)
		return jsonx_failure(err);
	params[0] = email;
	if ((res = db_exec(db, &q_gethash, params, err, sizeof(err))) == NULL)
		return jsonx_failure(err);
	if (PQntuples(res) == 1)
		reply = json_pack("{sbss}", "success", 1, "hash",
		    PQgetvalue(res, 0, 0));
	else
		reply = jsonx_failure("Unknown user");
	PQclear(res);
	return reply;
}
