/* log.h — one logging module for every daemon: stderr, one event per line. */
#ifndef PARLEY_LOG_H
#define PARLEY_LOG_H

#include <stdarg.h>

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

#endif
