/* Unit tests for lib/log.c's rate limiter: a flood from one call site
 * writes at most n lines per interval, then says how many it dropped;
 * another call site has its own allowance. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "log.h"

int	main(void);

static uint64_t test_now_ms = 1000000;

static uint64_t
test_clock(void)
{
	return test_now_ms;
}

static void
flood(unsigned times)
{
	unsigned i;

	for (i = 0; i < times; i++)
		log_ratelimited(LOG_LEVEL_WARN, 5, 10, "queue full id=%u", i);
}

/* Lines of the captured stderr that contain needle. */
static int
count(FILE *f, const char *needle)
{
	char	line[512];
	int	n = 0;

	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, needle) != NULL;
	return n;
}

int
main(void)
{
	FILE	*f = tmpfile();
	int	 saved = dup(2);

	CHECK(f != NULL && saved != -1);
	if (f == NULL || saved == -1)
		return check_report("test_log");
	fflush(stderr);
	dup2(fileno(f), 2);
	log_limit_clock(test_clock);

	flood(1000);
	CHECK(count(f, "queue full id=") == 5);
	CHECK(count(f, "suppressed") == 0);
	/* Within the interval: still nothing. */
	test_now_ms += 9999;
	flood(10);
	CHECK(count(f, "queue full id=") == 5);
	/* The next interval: the count of dropped lines, then 5 more. */
	test_now_ms += 1;
	flood(100);
	CHECK(count(f, "queue full id=") == 10);
	CHECK(count(f, "log suppressed lines=1005 event=\"queue full id\"")
	    == 1);
	/* Another call site is not silenced by the first one. */
	log_ratelimited(LOG_LEVEL_WARN, 1, 10, "other event");
	CHECK(count(f, "other event") == 1);
	/* Below the level: neither written nor counted. */
	log_ratelimited(LOG_LEVEL_DEBUG, 1, 10, "debug event");
	CHECK(count(f, "debug event") == 0);

	fflush(stderr);
	dup2(saved, 2);
	log_limit_clock(NULL);
	fclose(f);
	return check_report("test_log");
}
