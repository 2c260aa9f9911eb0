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

#include "clock.h"
#include "log.h"

static const char *log_progname = "parley";
static enum log_level log_min = LOG_LEVEL_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static pthread_mutex_t log_limit_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t (*log_limit_now)(void) = clock_now_ms;

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

void
log_limit_clock(uint64_t (*now_ms)(void))
{
	log_limit_now = now_ms != NULL ? now_ms : clock_now_ms;
}

/* The literal part of fmt before its first conversion: names the event. */
static void
log_limit_event(const char *fmt, char *buf, size_t len)
{
	size_t i;

	for (i = 0; fmt[i] != '\0' && fmt[i] != '%' && i < len - 1; i++)
		buf[i] = fmt[i] == '"' ? '\'' : fmt[i];
	while (i > 0 && (buf[i - 1] == ' ' || buf[i - 1] == '='))
		i--;
	buf[i] = '\0';
}

void
log_limited(struct log_limit *ll, enum log_level level, unsigned n,
    unsigned interval_s, const char *fmt, ...)
{
	unsigned long	suppressed = 0;
	uint64_t	now;
	char		event[64];
	va_list		ap;

	if (!log_level_enabled(level))
		return;
	pthread_mutex_lock(&log_limit_lock);
	now = log_limit_now();
	if (ll->lines == 0 || now - ll->window_start_ms >=
	    (uint64_t)interval_s * 1000) {
		ll->window_start_ms = now;
		ll->lines = 0;
	}
	if (ll->lines >= n) {
		ll->suppressed++;
		pthread_mutex_unlock(&log_limit_lock);
		return;
	}
	ll->lines++;
	suppressed = ll->suppressed;
	ll->suppressed = 0;
	pthread_mutex_unlock(&log_limit_lock);
	if (suppressed > 0) {
		log_limit_event(fmt, event, sizeof(event));
		log_warnx("log suppressed lines=%lu event=\"%s\"", suppressed,
		    event);
	}
	va_start(ap, fmt);
	log_vwrite(level, NULL, fmt, ap);
	va_end(ap);
}
