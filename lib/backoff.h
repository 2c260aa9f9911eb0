/* backoff.h — capped exponential backoff with jitter for reconnects. */
#ifndef PARLEY_BACKOFF_H
#define PARLEY_BACKOFF_H

struct backoff {
	unsigned	base_ms;	/* first delay */
	unsigned	cap_ms;		/* no delay exceeds this */
	unsigned	attempt;	/* failures since the last success */
};

void	 backoff_init(struct backoff *, unsigned base_ms, unsigned cap_ms);
/* Delay before the next attempt: uniform in [d/2, d], d = min(cap, base*2^n). */
unsigned backoff_next_ms(struct backoff *);
/* The same with d capped at cap_ms too (a faster schedule for a while). */
unsigned backoff_next_capped_ms(struct backoff *, unsigned cap_ms);
void	 backoff_reset(struct backoff *);

#endif
