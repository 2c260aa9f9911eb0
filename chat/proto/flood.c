/* flood.c — token bucket, 8 bytes per client. */
#include "flood.h"

void
flood_init(struct flood *f, unsigned burst, uint64_t now_ms)
{
	f->tokens_milli = burst * 1000u;
	f->last_ms = (uint32_t)now_ms;
}

int
flood_take(struct flood *f, unsigned rate, unsigned burst, uint64_t now_ms)
{
	uint64_t	cap = (uint64_t)burst * 1000u, tokens;
	uint32_t	elapsed = (uint32_t)now_ms - f->last_ms;

	if (rate == 0 || burst == 0)	/* 0 is unlimited (README) */
		return 0;
	/* Wrap-safe: elapsed is computed modulo 2^32 ms (49 days). */
	tokens = f->tokens_milli + (uint64_t)elapsed * rate;
	if (tokens > cap)
		tokens = cap;
	f->last_ms = (uint32_t)now_ms;
	if (tokens < 1000) {
		f->tokens_milli = (uint32_t)tokens;
		return -1;
	}
	f->tokens_milli = (uint32_t)(tokens - 1000);
	return 0;
}
