/*
 * action_chat.c — the chat-server's state that must outlive a replica
 * (docs/chat.md): name leases and room history.
 *
 *   CHAT_CLAIM {owner, token, name, ttl_s}  lease a name (renews owner)
 *   CHAT_RELEASE {name, token}              give it back
 *   CHAT_HEARTBEAT {owner, ttl_s}           keep all of owner's names
 *   CHAT_RETIRE {owner}                     owner stops: drop its names
 *   CHAT_APPEND {messages: [{room, origin, seq, from, content, ts}]}
 *   CHAT_HISTORY {room, limit}              last messages, oldest first
 *
 * All are idempotent: a claim by the same owner succeeds again, releases
 * and retirements delete what is there, appends are keyed by (origin, seq).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "db.h"
#include "history_limits.h"
#include "jsonx.h"
#include "log.h"
#include "namekey.h"

#define CHAT_OWNER_MAX		64
#define CHAT_TOKEN_MAX		96
#define CHAT_NAME_MAX		128	/* 32 code points of UTF-8 */
#define CHAT_ROOM_MAX		32
#define CHAT_CONTENT_MAX	65536
#define CHAT_BATCH_MAX		1000
#define CHAT_HISTORY_MAX	1000

/*
 * Take the name unless another owner holds a live lease on it.  The lease
 * lives on the name's own row: ON CONFLICT evaluates the WHERE against the
 * latest committed version of that row, so of two replicas racing for one
 * name exactly one wins.  (A check against another table would use the
 * statement's older snapshot and let both win.)  The same owner may take
 * its own name again: its local name table already decided, and this makes
 * a redelivered claim succeed.
 */
static const struct db_query q_claim = {
	"chat_claim",
	"INSERT INTO chat_names AS n (name_key, name, owner, token, "
	"lease_until) VALUES (translate($3, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
	"'abcdefghijklmnopqrstuvwxyz'), $3, $1, $2, "
	"now() + make_interval(secs => $4::int)) "
	"ON CONFLICT (name_key) DO UPDATE SET name = EXCLUDED.name, "
	"owner = EXCLUDED.owner, token = EXCLUDED.token, claimed_at = now(), "
	"lease_until = EXCLUDED.lease_until "
	"WHERE n.owner = EXCLUDED.owner OR n.lease_until < now() "
	"RETURNING 1",
	4, DB_WRITE
};

/* After a refused claim: the name is an account's (or a tombstone). */
static const struct db_query q_claim_reserved = {
	"chat_claim_reserved",
	"SELECT 1 FROM chat_names WHERE name_key = $1 AND "
	"lease_until = 'infinity'",
	1, DB_WRITE
};

static const struct db_query q_release = {
	"chat_release",
	"DELETE FROM chat_names WHERE name_key = translate($1, "
	"'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') "
	"AND token = $2",
	2, DB_WRITE
};

static const struct db_query q_heartbeat = {
	"chat_heartbeat",
	"UPDATE chat_names SET lease_until = now() + "
	"make_interval(secs => $2::int) WHERE owner = $1",
	2, DB_WRITE
};

static const struct db_query q_retire = {
	"chat_retire",
	"DELETE FROM chat_names WHERE owner = $1",
	1, DB_WRITE
};

/*
 * In array order, so ids follow the order the replica sent them in; the
 * same statement marks the rooms written (history_limits.c) and returns
 * one row per room it created.
 */
static const struct db_query q_append = {
	"chat_append",
	"WITH ins AS (INSERT INTO chat_messages (room, origin, seq, sender, "
	"content, ts) "
	"SELECT room, origin, seq, sender, content, ts FROM ROWS FROM "
	"(jsonb_to_recordset($1::jsonb) AS (room text, origin text, "
	"seq bigint, sender text, content text, ts bigint)) WITH ORDINALITY "
	"AS x(room, origin, seq, sender, content, ts, ord) ORDER BY ord "
	"ON CONFLICT (origin, seq) DO NOTHING RETURNING id, room) "
	"INSERT INTO chat_rooms AS r (room, last_id) SELECT room, max(id) "
	"FROM ins GROUP BY room ON CONFLICT (room) DO UPDATE SET "
	"last_id = greatest(r.last_id, EXCLUDED.last_id), last_active = now() "
	"RETURNING xmax = 0",
	1, DB_WRITE
};

static const struct db_query q_prune = {
	"chat_prune",
	"DELETE FROM chat_messages WHERE room = $1 AND id < (SELECT id FROM "
	"chat_messages WHERE room = $1 ORDER BY id DESC OFFSET $2::int - 1 "
	"LIMIT 1)",
	2, DB_WRITE
};

static const struct db_query q_history = {
	"chat_history",
	"SELECT origin, seq, sender, content, ts FROM (SELECT id, origin, seq, "
	"sender, content, ts FROM chat_messages WHERE room = $1 "
	"ORDER BY id DESC LIMIT $2::int) t ORDER BY id",
	2, DB_READ
};

static int
chat_room_ok(const char *room)
{
	size_t i, n = strlen(room);

	if (n == 0 || n > CHAT_ROOM_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((room[i] >= 'a' && room[i] <= 'z') ||
		    (room[i] >= '0' && room[i] <= '9') || room[i] == '-' ||
		    room[i] == '_'))
			return 0;
	return 1;
}

static int
chat_get_int(json_t *obj, const char *key, long long min, long long max,
    long long *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || !json_is_integer(v)) {
		snprintf(err, errlen, "field '%s' must be an integer", key);
		return -1;
	}
	*out = json_integer_value(v);
	if (*out < min || *out > max) {
		snprintf(err, errlen, "field '%s' is out of range", key);
		return -1;
	}
	return 0;
}

/* Run q and report only success or failure. */
static json_t *
chat_exec(struct db *db, const struct db_query *q, const char **params)
{
	PGresult	*res;
	char		 err[128];

	if ((res = db_exec(db, q, params, err, sizeof(err))) == NULL)
		return jsonx_failure(err);
	PQclear(res);
	return json_pack("{sb}", "success", 1);
}

/* A refused claim: "reserved" when an account owns the name for good. */
static json_t *
chat_refused(struct db *db, const char *name)
{
	const char	*why, *params[1];
	char		 key[NAMEKEY_MAX + 1], err[128];
	PGresult	*res;
	int		 reserved = 0;

	if (namekey(name, strlen(name), key, &why) != -1) {
		params[0] = key;
		if ((res = db_exec(db, &q_claim_reserved, params, err,
		    sizeof(err))) != NULL) {
			reserved = PQntuples(res) == 1;
			PQclear(res);
		}
	}
	if (reserved)
		return json_pack("{sbsssbss}", "success", 0, "message",
		    "That name belongs to an account", "taken", 1, "code",
		    "reserved");
	return json_pack("{sbsssb}", "success", 0, "message", "name taken",
	    "taken", 1);
}

json_t *
action_chat_claim(struct db *db, json_t *data)
{
	const char	*owner, *token, *name, *params[4];
	PGresult	*res;
	long long	 ttl;
	char		 err[128], ttlbuf[24];
	int		 ok;

	if (jsonx_get_string(data, "owner", CHAT_OWNER_MAX, &owner, err,
	    sizeof(err)) == -1 ||
	    jsonx_get_string(data, "token", CHAT_TOKEN_MAX, &token, err,
	    sizeof(err)) == -1 ||
	    jsonx_get_string(data, "name", CHAT_NAME_MAX, &name, err,
	    sizeof(err)) == -1 ||
	    chat_get_int(data, "ttl_s", 1, 86400, &ttl, err, sizeof(err)) == -1)
		return jsonx_failure(err);
	snprintf(ttlbuf, sizeof(ttlbuf), "%lld", ttl);
	params[0] = owner;
	params[1] = token;
	params[2] = name;
	params[3] = ttlbuf;
	if ((res = db_exec(db, &q_claim, params, err, sizeof(err))) == NULL)
		return jsonx_failure(err);
	ok = PQntuples(res) == 1;
	PQclear(res);
	if (!ok)
		return chat_refused(db, name);
	return json_pack("{sb}", "success", 1);
}

json_t *
action_chat_release(struct db *db, json_t *data)
{
	const char	*name, *token, *params[2];
	char		 err[128];

	if (jsonx_get_string(data, "name", CHAT_NAME_MAX, &name, err,
	    sizeof(err)) == -1 ||
	    jsonx_get_string(data, "token", CHAT_TOKEN_MAX, &token, err,
	    sizeof(err)) == -1)
		return jsonx_failure(err);
	params[0] = name;
	params[1] = token;
	return chat_exec(db, &q_release, params);
}

json_t *
action_chat_heartbeat(struct db *db, json_t *data)
{
	const char	*owner, *params[2];
	long long	 ttl;
	char		 err[128], ttlbuf[24];

	if (jsonx_get_string(data, "owner", CHAT_OWNER_MAX, &owner, err,
	    sizeof(err)) == -1 ||
	    chat_get_int(data, "ttl_s", 1, 86400, &ttl, err, sizeof(err)) == -1)
		return jsonx_failure(err);
	snprintf(ttlbuf, sizeof(ttlbuf), "%lld", ttl);
	params[0] = owner;
	params[1] = ttlbuf;
	return chat_exec(db, &q_heartbeat, params);
}

json_t *
action_chat_retire(struct db *db, json_t *data)
{
	const char	*owner, *params[1];
	char		 err[128];

	if (jsonx_get_string(data, "owner", CHAT_OWNER_MAX, &owner, err,
	    sizeof(err)) == -1)
		return jsonx_failure(err);
	params[0] = owner;
	return chat_exec(db, &q_retire, params);
}

/* A validated copy of one message with exactly the columns' names. */
static json_t *
chat_message(json_t *m, char *err, size_t errlen)
{
	const char	*room, *origin, *from;
	json_t		*content;
	long long	 seq, ts;

	if (!json_is_object(m)) {
		snprintf(err, errlen, "each message must be an object");
		return NULL;
	}
	content = json_object_get(m, "content");
	if (jsonx_get_string(m, "room", CHAT_ROOM_MAX, &room, err,
	    errlen) == -1 ||
	    jsonx_get_string(m, "origin", CHAT_OWNER_MAX, &origin, err,
	    errlen) == -1 ||
	    jsonx_get_string(m, "from", CHAT_NAME_MAX, &from, err,
	    errlen) == -1 ||
	    chat_get_int(m, "seq", 1, INT64_MAX, &seq, err, errlen) == -1 ||
	    chat_get_int(m, "ts", 0, INT64_MAX, &ts, err, errlen) == -1)
		return NULL;
	if (!chat_room_ok(room)) {
		snprintf(err, errlen, "invalid room name");
		return NULL;
	}
	/* Empty content is a valid lab message; NUL cannot come from JSON. */
	if (!json_is_string(content) ||
	    json_string_length(content) > CHAT_CONTENT_MAX ||
	    strlen(json_string_value(content)) != json_string_length(content)) {
		snprintf(err, errlen, "field 'content' must be a string of at "
		    "most %d bytes", CHAT_CONTENT_MAX);
		return NULL;
	}
	return json_pack("{sssssIsssOsI}", "room", room, "origin", origin,
	    "seq", (json_int_t)seq, "sender", from, "content", content,
	    "ts", (json_int_t)ts);
}

static void
chat_prune(struct db *db, json_t *rows)
{
	const char	*params[2];
	char		 keep[16], err[128];
	PGresult	*res;
	json_t		*row, *seen = json_object();
	size_t		 i;

	snprintf(keep, sizeof(keep), "%ld", history_limits()->keep);
	json_array_foreach(rows, i, row) {
		const char *room = json_string_value(json_object_get(row,
		    "room"));

		/* About once per 64 messages per room: cheap, and bounded. */
		if (json_object_get(seen, room) != NULL ||
		    arc4random_uniform(64) >= json_array_size(rows))
			continue;
		json_object_set_new(seen, room, json_true());
		params[0] = room;
		params[1] = keep;
		if ((res = db_exec(db, &q_prune, params, err,
		    sizeof(err))) != NULL)
			PQclear(res);
	}
	json_decref(seen);
}

json_t *
action_chat_append(struct db *db, json_t *data)
{
	json_t		*msgs = json_object_get(data, "messages"), *rows, *m, *row;
	const char	*params[1];
	char		*body, err[128];
	PGresult	*res;
	size_t		 i;
	int		 created = 0, r;

	if (!json_is_array(msgs) || json_array_size(msgs) == 0 ||
	    json_array_size(msgs) > CHAT_BATCH_MAX)
		return jsonx_failure("field 'messages' must be a list of 1 to "
		    "1000 messages");
	rows = json_array();
	json_array_foreach(msgs, i, m) {
		if ((row = chat_message(m, err, sizeof(err))) == NULL) {
			json_decref(rows);
			return jsonx_failure(err);
		}
		json_array_append_new(rows, row);
	}
	body = jsonx_dump(rows);
	params[0] = body;
	res = db_exec(db, &q_append, params, err, sizeof(err));
	free(body);
	if (res == NULL) {
		json_decref(rows);
		return jsonx_failure(err);
	}
	for (r = 0; r < PQntuples(res); r++)
		created |= *PQgetvalue(res, r, 0) == 't';
	PQclear(res);
	chat_prune(db, rows);
	json_decref(rows);
	if (created)
		history_limits_evict(db);
	return json_pack("{sb}", "success", 1);
}

json_t *
action_chat_history(struct db *db, json_t *data)
{
	const char	*room, *params[2];
	long long	 limit;
	char		 err[128], limbuf[16];
	PGresult	*res;
	json_t		*msgs;
	int		 i;

	if (jsonx_get_string(data, "room", CHAT_ROOM_MAX, &room, err,
	    sizeof(err)) == -1 ||
	    chat_get_int(data, "limit", 1, CHAT_HISTORY_MAX, &limit, err,
	    sizeof(err)) == -1)
		return jsonx_failure(err);
	if (!chat_room_ok(room))
		return jsonx_failure("invalid room name");
	snprintf(limbuf, sizeof(limbuf), "%lld", limit);
	params[0] = room;
	params[1] = limbuf;
	if ((res = db_exec(db, &q_history, params, err, sizeof(err))) == NULL)
		return jsonx_failure(err);
	msgs = json_array();
	for (i = 0; i < PQntuples(res); i++)
		json_array_append_new(msgs, json_pack("{sssIsssssI}",
		    "origin", PQgetvalue(res, i, 0),
		    "seq", (json_int_t)strtoll(PQgetvalue(res, i, 1), NULL, 10),
		    "from", PQgetvalue(res, i, 2),
		    "content", PQgetvalue(res, i, 3),
		    "ts", (json_int_t)strtoll(PQgetvalue(res, i, 4), NULL, 10)));
	PQclear(res);
	return json_pack("{sbso}", "success", 1, "messages", msgs);
}
