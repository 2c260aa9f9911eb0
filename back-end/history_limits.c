/*
 * history_limits.c — keeps the chat history table bounded.
 *
 * chat_rooms (db/050-chat-rooms.sql) has one row per room with history:
 * the id of its newest message and when it was last written.  Appends keep
 * it current (action_chat.c).  Two sweeps delete a room's row and all its
 * messages in one statement:
 *   - the cap: when an append created a room, every room whose newest
 *     message is older than the CHAT_HISTORY_ROOMS-th newest room's goes;
 *   - idleness: from the workers' timer, rooms not written for
 *     CHAT_HISTORY_IDLE_S go.
 * Both re-check their condition on the row a concurrent append just
 * updated (READ COMMITTED re-evaluates the WHERE on the new row version),
 * so a room written meanwhile stays with its messages.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "clock.h"
#include "db.h"
#include "history_limits.h"
#include "log.h"

#define IDLE_SWEEP_MAX_MS	60000

static struct history_limits limits;	/* set once at start-up */
static _Atomic uint64_t next_sweep_ms;

static const struct db_query q_evict = {
	"history_evict",
	"WITH gone AS (DELETE FROM chat_rooms WHERE last_id < (SELECT last_id "
	"FROM chat_rooms ORDER BY last_id DESC OFFSET $1::int - 1 LIMIT 1) "
	"RETURNING room) DELETE FROM chat_messages WHERE room IN "
	"(SELECT room FROM gone)",
	1, DB_WRITE
};

static const struct db_query q_expire = {
	"history_expire",
	"WITH gone AS (DELETE FROM chat_rooms WHERE last_active < now() - "
	"make_interval(secs => $1::int) RETURNING room) DELETE FROM "
	"chat_messages WHERE room IN (SELECT room FROM gone)",
	1, DB_WRITE
};

void
history_limits_init(const struct history_limits *l)
{
	limits = *l;
}

const struct history_limits *
history_limits(void)
{
	return &limits;
}

static void
history_sweep(struct db *db, const struct db_query *q, long arg)
{
	const char	*params[1];
	char		 buf[24], err[128];
	PGresult	*res;

	snprintf(buf, sizeof(buf), "%ld", arg);
	params[0] = buf;
	if ((res = db_exec(db, q, params, err, sizeof(err))) == NULL) {
		log_warnx("%s: %s failed: %s", __func__, q->name, err);
		return;
	}
	if (*PQcmdTuples(res) != '0')
		log_debug("history sweep=%s messages=%s", q->name,
		    PQcmdTuples(res));
	PQclear(res);
}

void
history_limits_evict(struct db *db)
{
	if (limits.rooms > 0)
		history_sweep(db, &q_evict, limits.rooms);
}

/* One worker per period; often enough that expiry is at most 25% late. */
void
history_limits_tick(struct db *db)
{
	uint64_t	now = clock_now_ms(), due = atomic_load(&next_sweep_ms);
	uint64_t	period;

	if (limits.idle_s == 0 || now < due)
		return;
	period = (uint64_t)limits.idle_s * 250;
	if (period > IDLE_SWEEP_MAX_MS)
		period = IDLE_SWEEP_MAX_MS;
	if (!atomic_compare_exchange_strong(&next_sweep_ms, &due, now + period))
		return;
	history_sweep(db, &q_expire, limits.idle_s);
}
