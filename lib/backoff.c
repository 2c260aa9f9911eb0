/*
 * backoff.c — "equal jitter" backoff: half the delay is fixed so retries
 * never hammer, half is random so replicas restarted together spread out.
 */
#include <stdlib.h>

#include "backoff.h"

void
backoff_init(struct backoff *b, unsigned base_ms, unsigned cap_ms)
{
	b->base_ms = base_ms;
	b->cap_ms = cap_ms;
	b->attempt = 0;
}

unsigned
backoff_next_ms(struct backoff *b)
{
	unsigned long	delay = b->base_ms;
	unsigned	i;

	for (i = 0; i < b->attempt && delay < b->cap_ms; i++)
		delay *= 2;
	if (delay > b->cap_ms)
		delay = b->cap_ms;
	if (b->attempt < 32)
		b->attempt++;
	return (unsigned)(delay / 2 + arc4random_uniform(delay / 2 + 1));
}

void
backoff_reset(struct backoff *b)
{
	b->attempt = 0;
}
