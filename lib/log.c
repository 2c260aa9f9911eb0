/*
 * log.c — stderr logging shared by all daemons.
 *
 * Every line: "<UTC time> <level> <program>: <message>", where the message
 * is written as "event key=value ...". Containers collect stderr, so there is
 * no syslog and no file handling here. Never pass secrets or message bodies.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"

static const char *log_progname = "parley";
static enum log_level log_min = LOG_LEVEL_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const log_names[] = { "debug", "info", "warn", "fatal" };

void
log_init(const char *progname, const char *level)
{
	log_progname = progname;
	if (level == NULL || *level == '\0')
		return;
	if (strcasecmp(level, "debug") == 0)
		log_min = LOG_LEVEL_DEBUG;
	else if (strcasecmp(level, "warn") == 0)
		log_min = LOG_LEVEL_WARN;
	else if (strcasecmp(level, "info") != 0)
		log_warnx("config invalid LOG_LEVEL=%s, using info", level);
}

void
log_set_level(enum log_level level)
{
	log_min = level;
}

int
log_level_enabled(enum log_level level)
{
	return level >= log_min;
}

/* The attribute tells clang that fmt is checked at the callers (its
 * -Wformat-nonliteral, part of -Wformat=2, rejects vsnprintf otherwise). */
static void log_vwrite(enum log_level, const char *, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void
log_vwrite(enum log_level level, const char *errstr, const char *fmt,
    va_list ap)
{
	char		 stamp[32], msg[2048];
	struct timespec	 ts;
	struct tm	 tm;

	if (!log_level_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	vsnprintf(msg, sizeof(msg), fmt, ap);

	pthread_mutex_lock(&log_lock);
	if (errstr != NULL)
		fprintf(stderr, "%s.%03ldZ %s %s: %s err=\"%s\"\n", stamp,
		    ts.tv_nsec / 1000000, log_names[level], log_progname, msg,
		    errstr);
	else
		fprintf(stderr, "%s.%03ldZ %s %s: %s\n", stamp,
		    ts.tv_nsec / 1000000, log_names[level], log_progname, msg);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

/*
 * The build defines _GNU_SOURCE, which selects glibc's strerror_r: it
 * returns the message and may leave buf untouched, so buf alone is not it.
 */
static const char *
log_strerror(int err, char *buf, size_t len)
{
#if defined(_GNU_SOURCE) && defined(__GLIBC__)
	return strerror_r(err, buf, len);
#else
	if (strerror_r(err, buf, len) != 0)
		snprintf(buf, len, "error %d", err);
	return buf;
#endif
}

#define LOG_FUNC(name, level)					\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
	va_start(ap, fmt);					\
	log_vwrite(level, NULL, fmt, ap);			\
	va_end(ap);						\
}

LOG_FUNC(log_debug, LOG_LEVEL_DEBUG)
LOG_FUNC(log_info, LOG_LEVEL_INFO)
LOG_FUNC(log_warnx, LOG_LEVEL_WARN)

void
log_warn(const char *fmt, ...)
{
	char	errbuf[128];
	int	saved = errno;
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_WARN, log_strerror(saved, errbuf, sizeof(errbuf)),
	    fmt, ap);
	va_end(ap);
	errno = saved;
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_FATAL, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatal(const char *fmt, ...)
{
	char	errbuf[128];
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_FATAL, log_strerror(saved, errbuf, sizeof(errbuf)),
	    fmt, ap);
	va_end(ap);
	exit(1);
}
