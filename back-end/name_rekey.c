/*
 * name_rekey.c — until lib/namekey, a chat_names row was keyed by its name
 * with A-Z in lower case, so only names of plain ASCII already have the key
 * namekey() gives them.  Once per process every other row moves to its new
 * key.  Two rows that now share a key (say "Аlice" with a Cyrillic А beside
 * "alice") become one: the one whose lease lasts longer, so a tombstone or
 * an account's name (lease_until 'infinity') beats a live lease and stays
 * effective.  A name that has no key now (invisible characters) keeps its
 * row and old key: no new claim can reach it, and its lease runs out.
 * Idempotent, so replicas starting together and every later start are
 * harmless.
 */
#include <stdatomic.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "name_rekey.h"
#include "namekey.h"

enum { REKEY_TODO, REKEY_BUSY, REKEY_DONE };

static atomic_int rekey_state = REKEY_TODO;

static const struct db_query q_rekey_list = {
	"name_rekey_list",
	"SELECT name_key, name FROM chat_names "
	"WHERE octet_length(name) <> length(name)",
	0, DB_WRITE
};

/* $3 (the name) makes a row that changed meanwhile stay as it is. */
static const struct db_query q_rekey_move = {
	"name_rekey_move",
	"WITH old AS (DELETE FROM chat_names WHERE name_key = $1 AND "
	"name = $3 RETURNING name, owner, token, claimed_at, lease_until) "
	"INSERT INTO chat_names AS n (name_key, name, owner, token, "
	"claimed_at, lease_until) SELECT $2, name, owner, token, claimed_at, "
	"lease_until FROM old ON CONFLICT (name_key) DO UPDATE SET "
	"name = EXCLUDED.name, owner = EXCLUDED.owner, token = EXCLUDED.token, "
	"claimed_at = EXCLUDED.claimed_at, lease_until = EXCLUDED.lease_until "
	"WHERE n.lease_until < EXCLUDED.lease_until",
	3, DB_WRITE
};

static int
name_rekey(struct db *db)
{
	PGresult	*res, *r;
	const char	*params[3], *why;
	char		 key[NAMEKEY_MAX + 1], err[128];
	int		 i, moved = 0, kept = 0;

	if ((res = db_exec(db, &q_rekey_list, NULL, err, sizeof(err))) == NULL) {
		log_warnx("chat names rekey: %s", err);
		return -1;
	}
	for (i = 0; i < PQntuples(res); i++) {
		params[0] = PQgetvalue(res, i, 0);
		params[2] = PQgetvalue(res, i, 1);
		if (namekey(params[2], strlen(params[2]), key, &why) == -1) {
			kept++;
			continue;
		}
		if (strcmp(key, params[0]) == 0)
			continue;
		params[1] = key;
		if ((r = db_exec(db, &q_rekey_move, params, err,
		    sizeof(err))) == NULL) {
			log_warnx("chat names rekey: %s", err);
			PQclear(res);
			return -1;
		}
		PQclear(r);
		moved++;
	}
	PQclear(res);
	if (moved != 0 || kept != 0)
		log_info("chat names rekeyed moved=%d kept_without_key=%d",
		    moved, kept);
	return 0;
}

void
name_rekey_tick(struct db *db)
{
	int todo = REKEY_TODO;

	if (atomic_load(&rekey_state) != REKEY_TODO || !db_ready(db) ||
	    !atomic_compare_exchange_strong(&rekey_state, &todo, REKEY_BUSY))
		return;
	atomic_store(&rekey_state, name_rekey(db) == 0 ? REKEY_DONE :
	    REKEY_TODO);
}
