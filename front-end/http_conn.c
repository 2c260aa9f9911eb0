/*
 * http_conn.c — waiting connections in arrival order, a reaper thread for
 * the ones past their request deadline, and eviction at the cap
 * (http_conn.h).  One mutex guards the list; libmicrohttpd calls back from
 * its pool threads, the reaper runs on its own.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "http_conn.h"
#include "log.h"
#include "metrics.h"
#include "session.h"
#include "xmalloc.h"

#define HTTP_CONNS_TICK_MS	100	/* reaper period */

/* The open connections of one client (a list: few clients hold many). */
struct http_client {
	struct http_client	*next;
	unsigned		 n;
	char			 key[64];	/* session_client_key() */
};

struct http_conns {
	pthread_mutex_t		 lock;
	struct http_conn	*head, *tail;	/* waiting, oldest first */
	struct http_client	*clients;
	unsigned		 open;		/* connections known */
	unsigned		 cap, per_client, v6_prefix;
	uint64_t		 timeout_ms;
	pthread_t		 reaper;
	atomic_int		 stopping;	/* the reaper's */
	atomic_int		 door_closed;	/* no new connections */
	struct counter		*evicted_cap, *evicted_deadline, *refused;
	struct gauge		*open_gauge;
};

static void
http_client_key(const struct http_conns *hc, const struct sockaddr *sa,
    char key[64])
{
	char ip[INET6_ADDRSTRLEN] = "";

	if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr, ip, sizeof(ip));
	else if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr, ip, sizeof(ip));
	session_client_key(ip, hc->v6_prefix, key, 64);
}

/* Under the lock: the client's entry, made when make is set. */
static struct http_client *
http_client_find(struct http_conns *hc, const char *key, int make)
{
	struct http_client *cl;

	for (cl = hc->clients; cl != NULL; cl = cl->next)
		if (strcmp(cl->key, key) == 0)
			return cl;
	if (!make)
		return NULL;
	cl = xcalloc(1, sizeof(*cl));
	snprintf(cl->key, sizeof(cl->key), "%s", key);
	cl->next = hc->clients;
	hc->clients = cl;
	return cl;
}

/* Under the lock: one connection of cl fewer; the entry goes at 0. */
static void
http_client_release(struct http_conns *hc, struct http_client *cl)
{
	struct http_client **pp;

	if (cl == NULL || --cl->n > 0)
		return;
	for (pp = &hc->clients; *pp != cl; pp = &(*pp)->next)
		;
	*pp = cl->next;
	free(cl);
}

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
http_conns_start(const struct http_conns_config *cfg)
{
	struct http_conns	*hc = xcalloc(1, sizeof(*hc));
	const char		*help = "Connections closed while waiting "
				    "for their client";

	pthread_mutex_init(&hc->lock, NULL);
	hc->cap = cfg->cap;
	hc->timeout_ms = cfg->timeout_ms;
	hc->per_client = cfg->per_client;
	hc->v6_prefix = cfg->v6_prefix;
	hc->refused = metrics_counter("parley_http_connections_refused_total",
	    "reason=\"per-client\"", "Connections refused at accept: the "
	    "client (address or IPv6 prefix) had HTTP_MAX_CONN_PER_IP open");
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
	while (hc->clients != NULL) {
		hc->clients->n = 1;
		http_client_release(hc, hc->clients);
	}
	pthread_mutex_destroy(&hc->lock);
	free(hc);
}

int
http_conns_admit(struct http_conns *hc, const struct sockaddr *sa)
{
	struct http_client	*cl;
	char			 key[64];
	int			 ok;

	if (atomic_load(&hc->door_closed))
		return 0;
	if (hc->per_client == 0)
		return 1;
	http_client_key(hc, sa, key);
	pthread_mutex_lock(&hc->lock);
	cl = http_client_find(hc, key, 0);
	ok = cl == NULL || cl->n < hc->per_client;
	pthread_mutex_unlock(&hc->lock);
	if (!ok) {
		counter_add(hc->refused, 1);
		log_ratelimited(LOG_LEVEL_INFO, 5, 10, "http connection "
		    "refused reason=per-client client=%s", key);
	}
	return ok;
}

void
http_conns_close_door(struct http_conns *hc)
{
	atomic_store(&hc->door_closed, 1);
}

void
http_conns_opened(struct http_conns *hc, struct http_conn *c, int fd,
    const struct sockaddr *sa)
{
	char key[64];

	c->fd = fd;
	http_client_key(hc, sa, key);
	pthread_mutex_lock(&hc->lock);
	c->client = http_client_find(hc, key, 1);
	c->client->n++;
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
	http_client_release(hc, c->client);
	c->client = NULL;
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
