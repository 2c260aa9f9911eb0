/* flood.h — per-client flood control: a token bucket (pure). */
#ifndef PARLEY_FLOOD_H
#define PARLEY_FLOOD_H

#include <stdint.h>

struct flood {
	uint32_t	tokens_milli;	/* thousandths of a message */
	uint32_t	last_ms;	/* low 32 bits of the clock */
};

/* rate messages per second, burst at most; a rate or burst of 0 means
 * unlimited. */
void	flood_init(struct flood *, unsigned burst, uint64_t now_ms);
/* 0 when one more message may pass now (and takes a token), else -1. */
int	flood_take(struct flood *, unsigned rate, unsigned burst,
	    uint64_t now_ms);

#endif
