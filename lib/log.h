/* log.h — one logging module for every daemon: stderr, one event per line. */
#ifndef PARLEY_LOG_H
#define PARLEY_LOG_H

#include <stdarg.h>
#include <stdint.h>

/* fatal is never filtered: it is the line that explains an exit(1). */
enum log_level {
	LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_FATAL
};

/*
 * Name shown on every line; level is the program's LOG_LEVEL setting
 * (debug|info|warn; NULL or "" leaves it as it is, info at first).
 */
void log_init(const char *progname, const char *level);
void log_set_level(enum log_level);
int  log_level_enabled(enum log_level);

void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Like log_warnx, with strerror(errno) appended as err="...". */
void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Log at level fatal and exit(1); only main and set-up code call these. */
void fatalx(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));
/* Like fatalx, with strerror(errno) appended as err="...". */
void fatal(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Lines an attacker can repeat at will (a full queue, a refused connection)
 * go through log_ratelimited: at most n lines per interval_s seconds from
 * that call site; the rest are counted, and the next line written after the
 * interval is preceded by "log suppressed lines=K event=\"...\"".
 */
struct log_limit {
	uint64_t	window_start_ms;
	unsigned	lines;		/* written in this window */
	unsigned long	suppressed;	/* dropped since the last line */
};

#define log_ratelimited(level, n, interval_s, ...) do {			\
	static struct log_limit log_limit_site_;			\
	log_limited(&log_limit_site_, (level), (n), (interval_s),	\
	    __VA_ARGS__);						\
} while (0)

void log_limited(struct log_limit *, enum log_level, unsigned n,
    unsigned interval_s, const char *, ...)
    __attribute__((format(printf, 5, 6)));
/* Tests only: the clock the limiter reads (NULL: the monotonic clock). */
void log_limit_clock(uint64_t (*now_ms)(void));

#endif
