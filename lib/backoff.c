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
	return backoff_next_capped_ms(b, b->cap_ms);
}

unsigned
backoff_next_capped_ms(struct backoff *b, unsigned cap_ms)
{
	unsigned long	delay = b->base_ms;
	unsigned	i;

	if (cap_ms > b->cap_ms)
		cap_ms = b->cap_ms;
	for (i = 0; i < b->attempt && delay < cap_ms; i++)
		delay *= 2;
	if (delay > cap_ms)
		delay = cap_ms;
	if (b->attempt < 32)
		b->attempt++;
	return (unsigned)(delay / 2 + arc4random_uniform(delay / 2 + 1));
}

void
backoff_reset(struct backoff *b)
{
	b->attempt = 0;
}
