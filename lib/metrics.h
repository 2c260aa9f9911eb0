/*
 * metrics.h — process-wide counters and histograms, rendered in the
 * Prometheus text format by /metrics.  Handles are created once (or looked
 * up by name and labels) and updated lock-free.
 */
#ifndef PARLEY_METRICS_H
#define PARLEY_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct counter;
struct histogram;
struct gauge;

/*
 * labels is the inside of the braces, e.g. "route=\"/login\",status=\"200\"",
 * or "" for none.  The same name and labels return the same handle.
 */
struct counter	 *metrics_counter(const char *name, const char *labels,
		    const char *help);
void		  counter_add(struct counter *, uint64_t);
uint64_t	  counter_value(struct counter *);

struct gauge	 *metrics_gauge(const char *name, const char *labels,
		    const char *help);
void		  gauge_set(struct gauge *, int64_t);
void		  gauge_add(struct gauge *, int64_t);

/* Bucket upper bounds in seconds, ascending; +Inf is implicit. */
struct histogram *metrics_histogram(const char *name, const char *labels,
		    const char *help, const double *bounds, size_t nbounds);
void		  histogram_observe(struct histogram *, double seconds);

/* Default latency buckets: 0.5 ms .. 10 s. */
extern const double metrics_latency_bounds[];
extern const size_t metrics_latency_nbounds;

/* The whole registry as Prometheus text; the caller frees it. */
char		 *metrics_render(size_t *len);

#endif
