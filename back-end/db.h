/*
 * db.h — PostgreSQL for the back end: a read-write and a read connection,
 * each with its own reconnect state machine, and lazily prepared statements.
 * A db is used by one thread only.
 */
#ifndef PARLEY_DB_H
#define PARLEY_DB_H

#include <stddef.h>
#include <libpq-fe.h>

enum db_target { DB_WRITE, DB_READ };

/* A statement, prepared on first use on each connection. */
struct db_query {
	const char	*name;
	const char	*sql;
	int		 nparams;
	enum db_target	 target;
};

struct db;

struct db	*db_open(const char *name, const char *rw_url,
		    const char *read_url);
void		 db_close(struct db *);
/*
 * Run q with text parameters.  Returns the result (PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK; the caller PQclear()s it), or NULL with a reason that
 * is safe to show users in err.  A query that fails because the connection
 * dropped is retried once on a fresh connection: every action is idempotent.
 */
PGresult	*db_exec(struct db *, const struct db_query *q,
		    const char *const *params, char *err, size_t errlen);
/* Reconnect whatever is down and due (call periodically). */
void		 db_maintain(struct db *);
/* Thread-safe: the read-write connection is up. */
int		 db_ready(struct db *);

#endif
