/*
 * db.c — libpq connections with capped exponential backoff.
 *
 * Each connection is DOWN or UP.  A DOWN connection is retried when its
 * backoff expires, either by db_maintain() (on the RPC thread's timer) or
 * by the next query; meanwhile queries fail fast with "database
 * unavailable" instead of queueing behind a dead server.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "clock.h"
#include "db.h"
#include "log.h"
#include "xmalloc.h"

#define DB_MAX_PREPARED		64
#define DB_BACKOFF_BASE_MS	100
#define DB_BACKOFF_CAP_MS	10000

enum db_state { DB_DOWN, DB_UP };

struct db_conn {
	const char	*role;		/* "rw" or "read", for logs */
	char		*url;
	PGconn		*pg;
	enum db_state	 state;
	struct backoff	 backoff;
	unsigned	 attempts;
	uint64_t	 next_attempt_ms;
	const char	*prepared[DB_MAX_PREPARED];
	size_t		 nprepared;
};

struct db {
	char		 name[64];
	struct db_conn	 rw, read;
	atomic_int	 rw_up;
};

static void
db_conn_init(struct db_conn *c, const char *role, const char *url)
{
	memset(c, 0, sizeof(*c));
	c->role = role;
	c->url = xstrdup(url);
	backoff_init(&c->backoff, DB_BACKOFF_BASE_MS, DB_BACKOFF_CAP_MS);
}

struct db *
db_open(const char *name, const char *rw_url, const char *read_url)
{
	struct db *db = xcalloc(1, sizeof(*db));

	snprintf(db->name, sizeof(db->name), "%s", name);
	db_conn_init(&db->rw, "rw", rw_url);
	db_conn_init(&db->read, "read", read_url);
	return db;
}

static void
db_conn_down(struct db *db, struct db_conn *c)
{
	if (c->pg != NULL)
		PQfinish(c->pg);
	c->pg = NULL;
	c->state = DB_DOWN;
	c->nprepared = 0;
	if (c == &db->rw)
		atomic_store(&db->rw_up, 0);
}

/* One attempt; the URL's own settings win except these safety limits. */
static void
db_conn_connect(struct db *db, struct db_conn *c)
{
	const char *const keys[] = { "dbname", "connect_timeout",
	    "application_name", "keepalives", "keepalives_idle",
	    "keepalives_interval", "keepalives_count", "tcp_user_timeout",
	    "options", NULL };
	const char *const values[] = { c->url, "3", "parley-back-end", "1",
	    "5", "2", "3", "10000", "-c statement_timeout=5000", NULL };
	unsigned delay;

	c->attempts++;
	c->pg = PQconnectdbParams(keys, values, 1);
	if (PQstatus(c->pg) == CONNECTION_OK) {
		log_info("db connected name=%s role=%s attempt=%u", db->name,
		    c->role, c->attempts);
		c->state = DB_UP;
		c->attempts = 0;
		backoff_reset(&c->backoff);
		if (c == &db->rw)
			atomic_store(&db->rw_up, 1);
		return;
	}
	delay = backoff_next_ms(&c->backoff);
	c->next_attempt_ms = clock_now_ms() + delay;
	/* PQerrorMessage never contains the password. */
	log_warnx("db connect failed name=%s role=%s attempt=%u "
	    "reason=\"%.*s\" retry_in_ms=%u", db->name, c->role, c->attempts,
	    (int)strcspn(PQerrorMessage(c->pg), "\n"), PQerrorMessage(c->pg),
	    delay);
	db_conn_down(db, c);
}

static int
db_conn_usable(struct db *db, struct db_conn *c)
{
	/*
	 * PQconsumeInput reads whatever is pending without blocking, so an
	 * idle connection that the server closed (restart, shutdown) is seen
	 * as bad now rather than at the next query, and /readyz is truthful.
	 */
	if (c->state == DB_UP && PQconsumeInput(c->pg) == 0)
		log_debug("db idle check failed role=%s", c->role);
	if (c->state == DB_UP && PQstatus(c->pg) != CONNECTION_OK) {
		log_warnx("db connection lost name=%s role=%s", db->name,
		    c->role);
		db_conn_down(db, c);
		c->next_attempt_ms = 0;	/* back off only after failed attempts */
	}
	if (c->state == DB_DOWN && clock_now_ms() >= c->next_attempt_ms)
		db_conn_connect(db, c);
	return c->state == DB_UP;
}

static int
db_prepare(struct db_conn *c, const struct db_query *q)
{
	PGresult	*res;
	size_t		 i;
	int		 ok;

	for (i = 0; i < c->nprepared; i++)
		if (c->prepared[i] == q->name)
			return 0;
	res = PQprepare(c->pg, q->name, q->sql, q->nparams, NULL);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		log_warnx("db prepare failed statement=%s reason=\"%.*s\"",
		    q->name, (int)strcspn(PQresultErrorMessage(res), "\n"),
		    PQresultErrorMessage(res));
	PQclear(res);
	if (!ok)
		return -1;
	if (c->nprepared < DB_MAX_PREPARED)
		c->prepared[c->nprepared++] = q->name;
	return 0;
}

static PGresult *
db_try(struct db *db, struct db_conn *c, const struct db_query *q,
    const char *const *params)
{
	PGresult		*res;
	ExecStatusType		 st;

	if (!db_conn_usable(db, c) || db_prepare(c, q) == -1)
		return NULL;
	res = PQexecPrepared(c->pg, q->name, q->nparams, params, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return res;
	log_warnx("db query failed name=%s statement=%s reason=\"%.*s\"",
	    db->name, q->name, (int)strcspn(PQresultErrorMessage(res), "\n"),
	    PQresultErrorMessage(res));
	PQclear(res);
	return NULL;
}

PGresult *
db_exec(struct db *db, const struct db_query *q, const char *const *params,
    char *err, size_t errlen)
{
	struct db_conn	*c = q->target == DB_WRITE ? &db->rw : &db->read;
	PGresult	*res;

	if ((res = db_try(db, c, q, params)) != NULL)
		return res;
	/* A server restart shows up as a failed query on a stale socket. */
	if (c->state == DB_UP && PQstatus(c->pg) != CONNECTION_OK) {
		db_conn_down(db, c);
		c->next_attempt_ms = 0;
		if ((res = db_try(db, c, q, params)) != NULL)
			return res;
	}
	snprintf(err, errlen, "%s", c->state == DB_UP ?
	    "database error" : "database unavailable");
	return NULL;
}

void
db_maintain(struct db *db)
{
	db_conn_usable(db, &db->rw);
	db_conn_usable(db, &db->read);
}

int
db_ready(struct db *db)
{
	return atomic_load(&db->rw_up);
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	db_conn_down(db, &db->rw);
	db_conn_down(db, &db->read);
	free(db->rw.url);
	free(db->read.url);
	free(db);
}
