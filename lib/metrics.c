/* metrics.c — a tiny Prometheus registry: a list under a mutex for
 * registration, atomics for updates. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "xmalloc.h"

enum metric_kind { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

#define HISTOGRAM_MAX_BOUNDS	16

struct metric {
	struct metric		*next;
	enum metric_kind	 kind;
	char			*name, *labels, *help;
	_Atomic uint64_t	 value;		/* counter */
	_Atomic int64_t		 gvalue;	/* gauge */
	double			 bounds[HISTOGRAM_MAX_BOUNDS];
	size_t			 nbounds;
	_Atomic uint64_t	 buckets[HISTOGRAM_MAX_BOUNDS + 1];
	_Atomic uint64_t	 sum_us;
};

struct counter { struct metric m; };
struct gauge { struct metric m; };
struct histogram { struct metric m; };

const double metrics_latency_bounds[] = { 0.0005, 0.001, 0.0025, 0.005,
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
const size_t metrics_latency_nbounds =
    sizeof(metrics_latency_bounds) / sizeof(metrics_latency_bounds[0]);

static pthread_mutex_t	 metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static struct metric	*metrics_head, **metrics_tail = &metrics_head;

static struct metric *
metrics_find_or_add(enum metric_kind kind, const char *name,
    const char *labels, const char *help)
{
	struct metric *m;

	pthread_mutex_lock(&metrics_lock);
	for (m = metrics_head; m != NULL; m = m->next)
		if (strcmp(m->name, name) == 0 && strcmp(m->labels, labels) == 0)
			goto out;
	/* struct counter etc. wrap struct metric, so one allocation fits all. */
	m = xcalloc(1, sizeof(struct histogram));
	m->kind = kind;
	m->name = xstrdup(name);
	m->labels = xstrdup(labels);
	m->help = xstrdup(help);
	*metrics_tail = m;
	metrics_tail = &m->next;
out:
	pthread_mutex_unlock(&metrics_lock);
	return m;
}

struct counter *
metrics_counter(const char *name, const char *labels, const char *help)
{
	return (struct counter *)metrics_find_or_add(METRIC_COUNTER, name,
	    labels, help);
}

void
counter_add(struct counter *c, uint64_t n)
{
	atomic_fetch_add(&c->m.value, n);
}

uint64_t
counter_value(struct counter *c)
{
	return atomic_load(&c->m.value);
}

struct gauge *
metrics_gauge(const char *name, const char *labels, const char *help)
{
	return (struct gauge *)metrics_find_or_add(METRIC_GAUGE, name, labels,
	    help);
}

void
gauge_set(struct gauge *g, int64_t v)
{
	atomic_store(&g->m.gvalue, v);
}

void
gauge_add(struct gauge *g, int64_t v)
{
	atomic_fetch_add(&g->m.gvalue, v);
}

struct histogram *
metrics_histogram(const char *name, const char *labels, const char *help,
    const double *bounds, size_t nbounds)
{
	struct metric *m = metrics_find_or_add(METRIC_HISTOGRAM, name, labels,
	    help);

	if (nbounds > HISTOGRAM_MAX_BOUNDS)
		nbounds = HISTOGRAM_MAX_BOUNDS;
	pthread_mutex_lock(&metrics_lock);
	if (m->nbounds == 0) {
		memcpy(m->bounds, bounds, nbounds * sizeof(*bounds));
		m->nbounds = nbounds;
	}
	pthread_mutex_unlock(&metrics_lock);
	return (struct histogram *)m;
}

void
histogram_observe(struct histogram *h, double seconds)
{
	size_t i;

	for (i = 0; i < h->m.nbounds && seconds > h->m.bounds[i]; i++)
		;
	atomic_fetch_add(&h->m.buckets[i], 1);
	atomic_fetch_add(&h->m.sum_us, (uint64_t)(seconds * 1e6));
}

static void
metrics_render_histogram(FILE *f, struct metric *m)
{
	const char	*sep = m->labels[0] != '\0' ? "," : "";
	uint64_t	 cumulative = 0;
	size_t		 i;

	for (i = 0; i <= m->nbounds; i++) {
		cumulative += atomic_load(&m->buckets[i]);
		if (i < m->nbounds)
			fprintf(f, "%s_bucket{%s%sle=\"%g\"} %llu\n", m->name,
			    m->labels, sep, m->bounds[i],
			    (unsigned long long)cumulative);
		else
			fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %llu\n",
			    m->name, m->labels, sep,
			    (unsigned long long)cumulative);
	}
	fprintf(f, "%s_sum{%s} %.6f\n", m->name, m->labels,
	    atomic_load(&m->sum_us) / 1e6);
	fprintf(f, "%s_count{%s} %llu\n", m->name, m->labels,
	    (unsigned long long)cumulative);
}

static const char *
metrics_type_name(enum metric_kind kind)
{
	return kind == METRIC_COUNTER ? "counter" :
	    kind == METRIC_GAUGE ? "gauge" : "histogram";
}

static int
metrics_seen_before(struct metric *m)
{
	struct metric *p;

	for (p = metrics_head; p != m; p = p->next)
		if (strcmp(p->name, m->name) == 0)
			return 1;
	return 0;
}

static void
metrics_render_series(FILE *f, struct metric *m)
{
	if (m->kind == METRIC_COUNTER)
		fprintf(f, "%s{%s} %llu\n", m->name, m->labels,
		    (unsigned long long)atomic_load(&m->value));
	else if (m->kind == METRIC_GAUGE)
		fprintf(f, "%s{%s} %lld\n", m->name, m->labels,
		    (long long)atomic_load(&m->gvalue));
	else
		metrics_render_histogram(f, m);
}

char *
metrics_render(size_t *len)
{
	struct metric	*m, *same;
	char		*buf = NULL;
	FILE		*f;

	if ((f = open_memstream(&buf, len)) == NULL)
		return NULL;
	pthread_mutex_lock(&metrics_lock);
	/* Prometheus wants each family once, with all its series together. */
	for (m = metrics_head; m != NULL; m = m->next) {
		if (metrics_seen_before(m))
			continue;
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help,
		    m->name, metrics_type_name(m->kind));
		for (same = m; same != NULL; same = same->next)
			if (strcmp(same->name, m->name) == 0)
				metrics_render_series(f, same);
	}
	pthread_mutex_unlock(&metrics_lock);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
