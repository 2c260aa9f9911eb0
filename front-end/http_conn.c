/*
 * http_conn.c — waiting connections in arrival order, a reaper thread for
 * the ones past their request deadline, and eviction at the cap
 * (http_conn.h).  One mutex guards the list; libmicrohttpd calls back from
 * its pool threads, the reaper runs on its own.
 */
#include <sys/socket.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "http_conn.h"
#include "log.h"
#include "metrics.h"
#include "xmalloc.h"

#define HTTP_CONNS_TICK_MS	100	/* reaper period */

struct http_conns {
	pthread_mutex_t		 lock;
	struct http_conn	*head, *tail;	/* waiting, oldest first */
	unsigned		 open;		/* connections known */
	unsigned		 cap;
	uint64_t		 timeout_ms;
	pthread_t		 reaper;
	atomic_int		 stopping;
	struct counter		*evicted_cap, *evicted_deadline;
	struct gauge		*open_gauge;
};

static void
http_conns_unlink(struct http_conns *hc, struct http_conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else if (hc->head == c)
		hc->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else if (hc->tail == c)
		hc->tail = c->prev;
	c->prev = c->next = NULL;
}

static void
http_conns_append(struct http_conns *hc, struct http_conn *c)
{
	c->state = CONN_WAITING;
	c->since_ms = clock_now_ms();
	c->prev = hc->tail;
	c->next = NULL;
	if (hc->tail != NULL)
		hc->tail->next = c;
	else
		hc->head = c;
	hc->tail = c;
}

/* Under the lock: end the connection; libmicrohttpd closes it.  The fd is
 * still the connection's: it is closed only after http_conns_closed. */
static void
http_conns_evict(struct http_conns *hc, struct http_conn *c, int deadline)
{
	http_conns_unlink(hc, c);
	c->state = CONN_EVICTED;
	shutdown(c->fd, SHUT_RDWR);
	counter_add(deadline ? hc->evicted_deadline : hc->evicted_cap, 1);
	log_ratelimited(LOG_LEVEL_INFO, 5, 10,
	    "http connection closed reason=%s waited_ms=%llu",
	    deadline ? "request-timeout" : "connection-cap",
	    (unsigned long long)(clock_now_ms() - c->since_ms));
}

static void *
http_conns_reap(void *arg)
{
	struct http_conns	*hc = arg;
	struct timespec		 tick = { 0, HTTP_CONNS_TICK_MS * 1000000L };
	uint64_t		 now;

	while (!atomic_load(&hc->stopping)) {
		nanosleep(&tick, NULL);
		now = clock_now_ms();
		pthread_mutex_lock(&hc->lock);
		while (hc->head != NULL &&
		    now - hc->head->since_ms >= hc->timeout_ms)
			http_conns_evict(hc, hc->head, 1);
		pthread_mutex_unlock(&hc->lock);
	}
	return NULL;
}

struct http_conns *
http_conns_start(unsigned cap, unsigned timeout_ms)
{
	struct http_conns	*hc = xcalloc(1, sizeof(*hc));
	const char		*help = "Connections closed while waiting "
				    "for their client";

	pthread_mutex_init(&hc->lock, NULL);
	hc->cap = cap;
	hc->timeout_ms = timeout_ms;
	hc->evicted_cap = metrics_counter("parley_http_connections_closed_total",
	    "reason=\"connection-cap\"", help);
	hc->evicted_deadline = metrics_counter(
	    "parley_http_connections_closed_total",
	    "reason=\"request-timeout\"", help);
	hc->open_gauge = metrics_gauge("parley_http_connections", "",
	    "Open HTTP connections");
	if (pthread_create(&hc->reaper, NULL, http_conns_reap, hc) != 0)
		fatalx("%s: cannot start the connection reaper", __func__);
	return hc;
}

void
http_conns_stop(struct http_conns *hc)
{
	if (hc == NULL)
		return;
	atomic_store(&hc->stopping, 1);
	pthread_join(hc->reaper, NULL);
	pthread_mutex_destroy(&hc->lock);
	free(hc);
}

void
http_conns_opened(struct http_conns *hc, struct http_conn *c, int fd)
{
	c->fd = fd;
	pthread_mutex_lock(&hc->lock);
	hc->open++;
	http_conns_append(hc, c);
	/* Past the cap: the longest-waiting connection makes room. */
	if (hc->open > hc->cap && hc->head != c)
		http_conns_evict(hc, hc->head, 0);
	gauge_set(hc->open_gauge, (int64_t)hc->open);
	pthread_mutex_unlock(&hc->lock);
}

void
http_conns_closed(struct http_conns *hc, struct http_conn *c)
{
	pthread_mutex_lock(&hc->lock);
	if (c->state == CONN_WAITING)
		http_conns_unlink(hc, c);
	hc->open--;
	gauge_set(hc->open_gauge, (int64_t)hc->open);
	pthread_mutex_unlock(&hc->lock);
}

void
http_conns_busy(struct http_conns *hc, struct http_conn *c)
{
	pthread_mutex_lock(&hc->lock);
	if (c->state == CONN_WAITING) {
		http_conns_unlink(hc, c);
		c->state = CONN_BUSY;
	}
	pthread_mutex_unlock(&hc->lock);
}

void
http_conns_waiting(struct http_conns *hc, struct http_conn *c)
{
	pthread_mutex_lock(&hc->lock);
	if (c->state == CONN_BUSY)
		http_conns_append(hc, c);
	pthread_mutex_unlock(&hc->lock);
}
