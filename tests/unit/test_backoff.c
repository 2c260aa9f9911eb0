/* Unit tests for lib/backoff.c: growth, cap, jitter range, reset, and the
 * temporary lower cap. */
#include "backoff.h"
#include "check.h"

int	main(void);

int
main(void)
{
	struct backoff	b;
	unsigned	d, i, expected;

	backoff_init(&b, 100, 1000);
	for (i = 0, expected = 100; i < 10; i++) {
		d = backoff_next_ms(&b);
		CHECK(d >= expected / 2 && d <= expected);
		if (expected < 1000)
			expected = expected * 2 > 1000 ? 1000 : expected * 2;
	}
	/* Jitter spreads retries: many draws at the cap are not all equal. */
	for (i = 0, d = backoff_next_ms(&b); i < 50; i++)
		if (backoff_next_ms(&b) != d)
			break;
	CHECK(i < 50);
	backoff_reset(&b);
	d = backoff_next_ms(&b);
	CHECK(d >= 50 && d <= 100);
	/* A lower cap for a while; the growth goes on underneath it. */
	for (i = 0; i < 10; i++) {
		d = backoff_next_capped_ms(&b, 300);
		CHECK(d <= 300);
	}
	CHECK(d >= 150);
	d = backoff_next_ms(&b);
	CHECK(d >= 500 && d <= 1000);
	CHECK(backoff_next_capped_ms(&b, 5000) >= 500);	/* never above cap */
	return check_report("test_backoff");
}
