/* sql.h — SQL fragments shared by the account actions' statements. */
#ifndef PARLEY_SQL_H
#define PARLEY_SQL_H

/* A session row (columns unqualified) that has not ended. */
#define LIVE_SESSION \
	"expires_at > now() AND last_seen + idle_timeout > now()"
/* A timestamp as the account pages show it. */
#define UTC_TIME(col) \
	"to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"')"

#endif
