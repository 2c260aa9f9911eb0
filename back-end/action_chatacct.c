/*
 * action_chatacct.c — chat under an account (docs/chat.md "Accounts").
 *
 * For the front end (the account is the one of the live session id_hash):
 *   CHATNAME_GET {id_hash}             the account's chat name, or null
 *   CHATNAME_SET {id_hash, name}       pick it, once; it is the account's
 *   TICKET_CREATE {id_hash}            a 30 s single-use ticket for /ws
 *   TOKEN_CREATE {id_hash, label}      a terminal token, shown once
 *   TOKEN_LIST {id_hash}               the live tokens (no secrets)
 *   TOKEN_REVOKE {id_hash, id}         revoke one; event token_revoked
 * For the chat servers:
 *   CHAT_TICKET_REDEEM {ticket}        once: account, name, session handle
 *   CHAT_TOKEN_REDEEM {token}          account, name, token id
 *
 * Tickets and tokens are 32 random bytes in hex; only their SHA-256 is
 * stored, so the tables leak nothing that logs in.  A signed-out session
 * gets {success:false, code:"signed_out"}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "action.h"
#include "db.h"
#include "events.h"
#include "fields.h"
#include "jsonx.h"
#include "log.h"
#include "namekey.h"
#include "sql.h"
#include "utf8.h"

#define CHATACCT_NAME_CHARS	32	/* chat/proto/vocab.h NAME_MAX_CHARS */
#define CHATACCT_NAME_BYTES	128
#define CHATACCT_LABEL_CHARS	64
#define CHATACCT_TOKENS_MAX	"20"
#define CHATACCT_TICKET_S	30
#define CHATACCT_SECRET_HEX	64	/* 32 random bytes */

#define ME_SQL(lock) \
	"me AS (SELECT u.id, u.chat_name FROM sessions s JOIN users u " \
	"USING (email) WHERE s.id_hash = $1 AND s.expires_at > now() AND " \
	"s.last_seen + s.idle_timeout > now()" lock ")"

static const struct db_query q_chatname_get = {
	"chatname_get",
	"WITH " ME_SQL("") " SELECT coalesce(chat_name, '') FROM me",
	1, DB_WRITE
};

/*
 * The name's row becomes the account's for good, unless a live lease or
 * another account holds it (the claim race of action_chat.c: ON CONFLICT
 * sees the latest committed row).  The users row is locked so two tabs
 * picking two names at once give the account one.
 */
static const struct db_query q_chatname_set = {
	"chatname_set",
	"WITH " ME_SQL(" FOR UPDATE OF u") ", "
	"ins AS (INSERT INTO chat_names AS n (name_key, name, owner, token, "
	"lease_until) SELECT $2, $3, 'account:' || id, '', 'infinity' FROM me "
	"WHERE chat_name IS NULL ON CONFLICT (name_key) DO UPDATE SET "
	"name = EXCLUDED.name, owner = EXCLUDED.owner, token = '', "
	"claimed_at = now(), lease_until = 'infinity' "
	"WHERE n.lease_until < now() OR n.owner = EXCLUDED.owner RETURNING 1), "
	"named AS (UPDATE users SET chat_name = $3 WHERE id = (SELECT id FROM "
	"me) AND EXISTS (SELECT 1 FROM ins) RETURNING 1) "
	"SELECT coalesce(chat_name, ''), EXISTS (SELECT 1 FROM ins), "
	"coalesce((SELECT owner FROM chat_names WHERE name_key = $2), '-') "
	"FROM me",
	3, DB_WRITE
};

static const struct db_query q_ticket_create = {
	"ticket_create",
	"WITH swept AS (DELETE FROM chat_tickets WHERE ticket_hash IN ("
	"SELECT ticket_hash FROM chat_tickets WHERE expires_at < now() "
	"LIMIT 100)), " ME_SQL("") ", "
	"ins AS (INSERT INTO chat_tickets (ticket_hash, account_id, "
	"session_hash, expires_at) SELECT $2, id, $1, now() + "
	"make_interval(secs => $3::int) FROM me WHERE chat_name IS NOT NULL "
	"ON CONFLICT DO NOTHING) "
	"SELECT coalesce(chat_name, '') FROM me",
	3, DB_WRITE
};

/* Deleting is the single use; the ticket counts only while its session
 * lives and the account has a name. */
static const struct db_query q_ticket_redeem = {
	"ticket_redeem",
	"WITH t AS (DELETE FROM chat_tickets WHERE ticket_hash = $1 "
	"RETURNING account_id, session_hash, expires_at) "
	"SELECT u.id, u.chat_name, left(s.id_hash, 16) FROM t "
	"JOIN users u ON u.id = t.account_id "
	"JOIN sessions s ON s.id_hash = t.session_hash "
	"WHERE t.expires_at > now() AND s.expires_at > now() AND "
	"s.last_seen + s.idle_timeout > now() AND u.chat_name IS NOT NULL",
	1, DB_WRITE
};

/* 0 when the account has CHATACCT_TOKENS_MAX live tokens already. */
static const struct db_query q_token_create = {
	"token_create",
	"WITH " ME_SQL(" FOR UPDATE OF u") ", "
	"ins AS (INSERT INTO chat_tokens (account_id, label, token_hash) "
	"SELECT id, $2, $3 FROM me WHERE (SELECT count(*) FROM chat_tokens t "
	"WHERE t.account_id = me.id AND t.revoked_at IS NULL) < "
	CHATACCT_TOKENS_MAX " RETURNING id) "
	"SELECT coalesce((SELECT id FROM ins), 0) FROM me",
	3, DB_WRITE
};

static const struct db_query q_token_list = {
	"token_list",
	"WITH " ME_SQL("") " SELECT t.id, t.label, " UTC_TIME("t.created_at")
	", " UTC_TIME("t.last_used") " FROM me JOIN chat_tokens t ON "
	"t.account_id = me.id WHERE t.revoked_at IS NULL ORDER BY t.id",
	1, DB_WRITE
};

static const struct db_query q_token_revoke = {
	"token_revoke",
	"WITH " ME_SQL("") " UPDATE chat_tokens SET revoked_at = now() "
	"WHERE id = $2::bigint AND account_id = (SELECT id FROM me) AND "
	"revoked_at IS NULL RETURNING id, account_id",
	2, DB_WRITE
};

static const struct db_query q_token_redeem = {
	"token_redeem",
	"UPDATE chat_tokens t SET last_used = now() FROM users u "
	"WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND "
	"u.id = t.account_id RETURNING t.id, u.id, coalesce(u.chat_name, '')",
	1, DB_WRITE
};

static json_t *
chatacct_fail(const char *code, const char *message)
{
	return json_pack("{sbssss}", "success", 0, "code", code, "message",
	    message);
}

static json_t *
chatacct_signed_out(void)
{
	return chatacct_fail("signed_out", "the session has ended; sign in "
	    "again");
}

/* A new secret in hex (out: CHATACCT_SECRET_HEX + 1). */
static void
chatacct_secret(char *out)
{
	unsigned char raw[CHATACCT_SECRET_HEX / 2];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(out, CHATACCT_SECRET_HEX + 1, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
}

/* The SHA-256 (hex) of a secret: what the tables store. */
static void
chatacct_hash(const char *secret, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)secret, strlen(secret));
	sodium_bin2hex(out, 65, h, sizeof(h));
}

static long long
chatacct_ll(PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* Run q on params; NULL with *reply set to a failure on a database error. */
static PGresult *
chatacct_exec(struct db *db, const struct db_query *q, const char **params,
    json_t **reply)
{
	PGresult	*res;
	char		 err[128];

	if ((res = db_exec(db, q, params, err, sizeof(err))) == NULL)
		*reply = jsonx_failure(err);
	return res;
}

/* The session's id_hash, validated; NULL with *reply set otherwise. */
static const char *
chatacct_session(json_t *data, json_t **reply)
{
	const char	*id_hash;
	char		 err[128];

	if (fields_hex(data, "id_hash", 64, &id_hash, err, sizeof(err)) == -1) {
		*reply = jsonx_failure(err);
		return NULL;
	}
	return id_hash;
}

json_t *
action_chatname_get(struct db *db, json_t *data)
{
	const char	*params[1];
	PGresult	*res;
	json_t		*reply = NULL;

	if ((params[0] = chatacct_session(data, &reply)) == NULL ||
	    (res = chatacct_exec(db, &q_chatname_get, params, &reply)) == NULL)
		return reply;
	if (PQntuples(res) != 1)
		reply = chatacct_signed_out();
	else if (*PQgetvalue(res, 0, 0) == '\0')
		reply = json_pack("{sbsn}", "success", 1, "name");
	else
		reply = json_pack("{sbss}", "success", 1, "name",
		    PQgetvalue(res, 0, 0));
	PQclear(res);
	return reply;
}

/* The key of a name a person may pick, or NULL with *reply set. */
static const char *
chatacct_name_key(const char *name, char key[NAMEKEY_MAX + 1],
    json_t **reply)
{
	const char	*why = NULL;
	size_t		 chars;

	if (!utf8_valid(name, strlen(name), &chars) || chars == 0 ||
	    chars > CHATACCT_NAME_CHARS) {
		*reply = chatacct_fail("invalid", "a chat name has 1 to 32 "
		    "characters");
		return NULL;
	}
	if (namekey(name, strlen(name), key, &why) == -1) {
		*reply = chatacct_fail("invalid", why);
		return NULL;
	}
	if (namekey_reserved(key)) {
		*reply = chatacct_fail("reserved", "that name is reserved");
		return NULL;
	}
	return key;
}

json_t *
action_chatname_set(struct db *db, json_t *data)
{
	const char	*params[3], *name, *have, *why;
	char		 key[NAMEKEY_MAX + 1], havekey[NAMEKEY_MAX + 1], err[128];
	PGresult	*res;
	json_t		*reply = NULL;

	if ((params[0] = chatacct_session(data, &reply)) == NULL)
		return reply;
	if (jsonx_get_string(data, "name", CHATACCT_NAME_BYTES, &name, err,
	    sizeof(err)) == -1)
		return chatacct_fail("invalid", "a chat name has 1 to 32 "
		    "characters");
	if ((params[1] = chatacct_name_key(name, key, &reply)) == NULL)
		return reply;
	params[2] = name;
	if ((res = chatacct_exec(db, &q_chatname_set, params, &reply)) == NULL)
		return reply;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return chatacct_signed_out();
	}
	have = PQgetvalue(res, 0, 0);
	if (*have != '\0') {
		/* Asked again for the name it has (a redelivery): done. */
		if (namekey(have, strlen(have), havekey, &why) != -1 &&
		    strcmp(havekey, key) == 0)
			reply = json_pack("{sbss}", "success", 1, "name", have);
		else
			reply = chatacct_fail("has_name", "this account has a "
			    "chat name already");
	} else if (strcmp(PQgetvalue(res, 0, 1), "t") == 0) {
		log_info("chat name set");
		reply = json_pack("{sbss}", "success", 1, "name", name);
	} else if (strcmp(PQgetvalue(res, 0, 2), "") == 0)
		reply = chatacct_fail("reserved", "that name is no longer "
		    "available");
	else
		reply = chatacct_fail("taken", "that name is taken; choose "
		    "another");
	PQclear(res);
	return reply;
}

json_t *
action_ticket_create(struct db *db, json_t *data)
{
	const char	*params[3];
	char		 ticket[CHATACCT_SECRET_HEX + 1], hash[65], secs[8];
	PGresult	*res;
	json_t		*reply = NULL;

	if ((params[0] = chatacct_session(data, &reply)) == NULL)
		return reply;
	chatacct_secret(ticket);
	chatacct_hash(ticket, hash);
	snprintf(secs, sizeof(secs), "%d", CHATACCT_TICKET_S);
	params[1] = hash;
	params[2] = secs;
	if ((res = chatacct_exec(db, &q_ticket_create, params, &reply)) == NULL)
		return reply;
	if (PQntuples(res) != 1)
		reply = chatacct_signed_out();
	else if (*PQgetvalue(res, 0, 0) == '\0')
		reply = chatacct_fail("no_name", "pick a chat name first");
	else
		reply = json_pack("{sbsssiss}", "success", 1, "ticket", ticket,
		    "expires_in", CHATACCT_TICKET_S, "name",
		    PQgetvalue(res, 0, 0));
	PQclear(res);
	sodium_memzero(ticket, sizeof(ticket));
	return reply;
}

/* 1..64 characters without control characters. */
static int
chatacct_label_ok(const char *label)
{
	size_t chars, i;

	if (!utf8_valid(label, strlen(label), &chars) || chars == 0 ||
	    chars > CHATACCT_LABEL_CHARS)
		return 0;
	for (i = 0; label[i] != '\0'; i++)
		if ((unsigned char)label[i] < 0x20 || label[i] == 0x7f)
			return 0;
	return 1;
}

json_t *
action_token_create(struct db *db, json_t *data)
{
	const char	*params[3];
	char		 token[CHATACCT_SECRET_HEX + 1], hash[65], err[128];
	PGresult	*res;
	json_t		*reply = NULL;
	long long	 id;

	if ((params[0] = chatacct_session(data, &reply)) == NULL)
		return reply;
	if (jsonx_get_string(data, "label", 4 * CHATACCT_LABEL_CHARS,
	    &params[1], err, sizeof(err)) == -1 ||
	    !chatacct_label_ok(params[1]))
		return chatacct_fail("invalid", "a token's label has 1 to 64 "
		    "characters");
	chatacct_secret(token);
	chatacct_hash(token, hash);
	params[2] = hash;
	if ((res = chatacct_exec(db, &q_token_create, params, &reply)) == NULL)
		return reply;
	if (PQntuples(res) != 1)
		reply = chatacct_signed_out();
	else if ((id = chatacct_ll(res, 0, 0)) == 0)
		reply = chatacct_fail("too_many", "an account has at most "
		    CHATACCT_TOKENS_MAX " tokens; revoke one first");
	else {
		log_info("chat token created token_id=%lld", id);
		reply = json_pack("{sbsIss}", "success", 1, "id", (json_int_t)id,
		    "token", token);
	}
	PQclear(res);
	sodium_memzero(token, sizeof(token));
	return reply;
}

json_t *
action_token_list(struct db *db, json_t *data)
{
	const char	*params[1];
	PGresult	*res;
	json_t		*reply = NULL, *tokens, *t;
	int		 i;

	if ((params[0] = chatacct_session(data, &reply)) == NULL ||
	    (res = chatacct_exec(db, &q_token_list, params, &reply)) == NULL)
		return reply;
	tokens = json_array();
	for (i = 0; i < PQntuples(res); i++) {
		t = json_pack("{sIssss}", "id", (json_int_t)chatacct_ll(res, i,
		    0), "label", PQgetvalue(res, i, 1), "created",
		    PQgetvalue(res, i, 2));
		json_object_set_new(t, "last_used", PQgetisnull(res, i, 3) ?
		    json_null() : json_string(PQgetvalue(res, i, 3)));
		json_array_append_new(tokens, t);
	}
	PQclear(res);
	return json_pack("{sbso}", "success", 1, "tokens", tokens);
}

json_t *
action_token_revoke(struct db *db, json_t *data)
{
	const char	*params[2];
	char		 idbuf[24], err[128];
	PGresult	*res;
	json_t		*reply = NULL, *ev, *v = json_object_get(data, "id");
	long long	 id;
	int		 revoked;

	if ((params[0] = chatacct_session(data, &reply)) == NULL)
		return reply;
	/* A number, or its digits as a string (a form field). */
	if (json_is_string(v))
		id = strspn(json_string_value(v), "0123456789") ==
		    json_string_length(v) && json_string_length(v) > 0 &&
		    json_string_length(v) < 19 ?
		    strtoll(json_string_value(v), NULL, 10) : 0;
	else if (fields_int(data, "id", 1, INT64_MAX, &id, err,
	    sizeof(err)) == -1)
		id = 0;
	if (id <= 0)
		return jsonx_failure("field 'id' must be a token's id");
	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	params[1] = idbuf;
	if ((res = chatacct_exec(db, &q_token_revoke, params, &reply)) == NULL)
		return reply;
	revoked = PQntuples(res) == 1;
	if (revoked) {
		log_info("chat token revoked token_id=%lld", id);
		ev = json_pack("{sIsI}", "account_id",
		    (json_int_t)chatacct_ll(res, 0, 1), "token_id",
		    (json_int_t)id);
		events_publish("account.token_revoked", ev);
		json_decref(ev);
	}
	PQclear(res);
	return json_pack("{sbsb}", "success", 1, "revoked", revoked);
}

/*
 * Redeem data's 64-hex secret field key (a ticket or a token) with q,
 * which takes its hash: the one row, or NULL with *reply set.
 */
static PGresult *
chatacct_redeem(struct db *db, json_t *data, const char *key,
    const struct db_query *q, json_t **reply)
{
	const char	*secret, *params[1];
	char		 hash[65], err[160];
	PGresult	*res;

	if (fields_hex(data, key, CHATACCT_SECRET_HEX, &secret, err,
	    sizeof(err)) == -1) {
		snprintf(err, sizeof(err), "the %s is not valid", key);
		*reply = jsonx_failure(err);
		return NULL;
	}
	chatacct_hash(secret, hash);
	params[0] = hash;
	if ((res = chatacct_exec(db, q, params, reply)) == NULL)
		return NULL;
	if (PQntuples(res) == 1)
		return res;
	PQclear(res);
	log_info("chat %s refused", key);
	snprintf(err, sizeof(err), "the %s is not valid (%s)", key,
	    q == &q_ticket_redeem ? "used, expired, or its session ended; "
	    "reload the page" : "revoked or unknown");
	*reply = jsonx_failure(err);
	return NULL;
}

json_t *
action_chat_ticket_redeem(struct db *db, json_t *data)
{
	PGresult	*res;
	json_t		*reply = NULL;

	if ((res = chatacct_redeem(db, data, "ticket", &q_ticket_redeem,
	    &reply)) == NULL)
		return reply;
	reply = json_pack("{sbsIssss}", "success", 1, "account_id",
	    (json_int_t)chatacct_ll(res, 0, 0), "name", PQgetvalue(res, 0, 1),
	    "session", PQgetvalue(res, 0, 2));
	PQclear(res);
	return reply;
}

json_t *
action_chat_token_redeem(struct db *db, json_t *data)
{
	PGresult	*res;
	json_t		*reply = NULL;

	if ((res = chatacct_redeem(db, data, "token", &q_token_redeem,
	    &reply)) == NULL)
		return reply;
	if (*PQgetvalue(res, 0, 2) == '\0')
		reply = jsonx_failure("the account has no chat name yet; pick "
		    "one on the chat page");
	else
		reply = json_pack("{sbsIsssI}", "success", 1, "account_id",
		    (json_int_t)chatacct_ll(res, 0, 1), "name",
		    PQgetvalue(res, 0, 2), "token_id",
		    (json_int_t)chatacct_ll(res, 0, 0));
	PQclear(res);
	return reply;
}
