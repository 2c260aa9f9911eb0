/* throttle.c — the table behind throttle.h. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "session.h"
#include "throttle.h"

#define THROTTLE_SLOTS	4096

static struct {
	char		key[SESSION_CLIENT_MAX];
	uint64_t	until_ms;
} throttle_table[THROTTLE_SLOTS];
static pthread_mutex_t throttle_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t
throttle_slot(const char *key)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h % THROTTLE_SLOTS;
}

unsigned
throttle_wait(const char *key)
{
	size_t		i = throttle_slot(key);
	uint64_t	now = clock_now_ms(), left = 0;

	pthread_mutex_lock(&throttle_lock);
	if (strcmp(throttle_table[i].key, key) == 0 &&
	    throttle_table[i].until_ms > now)
		left = (throttle_table[i].until_ms - now + 999) / 1000;
	pthread_mutex_unlock(&throttle_lock);
	return (unsigned)left;
}

void
throttle_note(const char *key, unsigned seconds)
{
	size_t i = throttle_slot(key);

	if (seconds == 0)
		return;
	pthread_mutex_lock(&throttle_lock);
	snprintf(throttle_table[i].key, sizeof(throttle_table[i].key), "%s",
	    key);
	throttle_table[i].until_ms = clock_now_ms() + (uint64_t)seconds * 1000;
	pthread_mutex_unlock(&throttle_lock);
}
