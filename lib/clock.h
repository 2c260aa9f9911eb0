/* clock.h — monotonic milliseconds for deadlines and latency. */
#ifndef PARLEY_CLOCK_H
#define PARLEY_CLOCK_H

#include <stdint.h>

uint64_t clock_now_ms(void);
uint64_t clock_now_us(void);

#endif
