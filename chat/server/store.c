/*
 * store.c — name leases and room history, through the back end
 * (CHAT_STORE=backend) or in this process (CHAT_STORE=memory).
 *
 * Back end: every call is an RPC (lib/rpc_client.h) whose reply arrives on
 * the RPC thread and is handed to the loop through the inbox.  History
 * appends are batched (at most STORE_FLUSH_MS late, one batch in flight,
 * so the back end inserts them in our order) and keyed by (origin, seq),
 * so a redelivered batch inserts nothing twice.  A lease heartbeat keeps
 * our names; a replica that dies loses them after CHAT_NAME_TTL seconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "conn.h"
#include "inbox.h"
#include "jsonx.h"
#include "log.h"
#include "metrics.h"
#include "rpc_client.h"
#include "settings.h"
#include "store.h"
#include "strmap.h"
#include "xmalloc.h"

#define STORE_FLUSH_MS		20
#define STORE_BATCH_BYTES	40000	/* well under RPC_MAX_BODY */
#define STORE_BACKLOG_MAX	20000	/* messages waiting for the back end */
#define STORE_STOP_TIMEOUT_MS	3000

struct store_job {
	struct conn		*conn;
	char			*name;
	store_claim_fn		 claim_fn;
	store_history_fn	 history_fn;
	enum rpc_status		 status;
	json_t			*reply;
};

struct store_ring {
	struct store_line	*lines;
	size_t			 head, n;
};

static char		 store_owner[64];
static struct rpc_client *store_rpc;
static struct event	*store_flush_ev, *store_beat_ev;
static json_t		*store_backlog;		/* messages not yet sent */
static json_t		*store_inflight;	/* the batch being sent */
static struct strmap	*store_rings;		/* memory mode */
static struct counter	*m_append_fail, *m_history_fail, *m_dropped;
static int		 store_stopping;

/* ---- memory mode ---- */

static void
store_line_free(struct store_line *l)
{
	free(l->origin);
	free(l->from);
	free(l->content);
	memset(l, 0, sizeof(*l));
}

static void
store_ring_append(const char *room, const char *origin, uint64_t seq,
    const char *from, const char *content, int64_t ts)
{
	struct store_ring	*ring;
	struct store_line	*l;

	if ((ring = strmap_get(store_rings, room)) == NULL) {
		ring = xcalloc(1, sizeof(*ring));
		ring->lines = xcalloc(settings.history, sizeof(*ring->lines));
		strmap_put(store_rings, room, ring);
	}
	l = &ring->lines[(ring->head + ring->n) % settings.history];
	if (ring->n == settings.history) {
		store_line_free(l);
		ring->head = (ring->head + 1) % settings.history;
	} else
		ring->n++;
	l->origin = xstrdup(origin);
	l->seq = seq;
	l->from = xstrdup(from);
	l->content = xstrdup(content);
	l->ts = ts;
}

static void
store_ring_history(struct conn *c, const char *room, store_history_fn fn)
{
	struct store_ring	*ring = strmap_get(store_rings, room);
	struct store_line	*v = NULL;
	size_t			 i, n = ring != NULL ? ring->n : 0;

	if (n > 0)
		v = xcalloc(n, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = ring->lines[(ring->head + i) % settings.history];
	fn(c, v, n);
	free(v);	/* the strings stay in the ring */
}

static int
store_ring_free(const char *key, void *value, void *arg)
{
	struct store_ring	*ring = value;
	size_t			 i;

	(void)key;
	(void)arg;
	for (i = 0; i < ring->n; i++)
		store_line_free(&ring->lines[(ring->head + i) %
		    settings.history]);
	free(ring->lines);
	free(ring);
	return 0;
}

/* ---- back end: replies come back on the RPC thread ---- */

static void
store_rpc_done(enum rpc_status status, json_t *reply, void *arg)
{
	struct store_job *job = arg;

	job->status = status;
	job->reply = reply != NULL ? json_incref(reply) : NULL;
	return;
}

static int
store_success(struct store_job *job)
{
	return job->status == RPC_OK &&
	    json_is_true(json_object_get(job->reply, "success"));
}

static void
store_job_free(struct store_job *job)
{
	if (job->conn != NULL)
		conn_unref(job->conn);
	if (job->reply != NULL)
		json_decref(job->reply);
	free(job->name);
	free(job);
}

/* Call action; fn runs on the loop with the job when the reply is in. */
static void	store_call(const char *, json_t *, struct store_job *,
		    void (*)(void *));

struct store_pending {
	struct store_job	*job;
	void			(*fn)(void *);
};

static void
store_rpc_relay(enum rpc_status status, json_t *reply, void *arg)
{
	struct store_pending *p = arg;

	store_rpc_done(status, reply, p->job);
	inbox_post(p->fn, p->job);
	free(p);
}

static void
store_call(const char *action, json_t *data, struct store_job *job,
    void (*fn)(void *))
{
	struct store_pending *p = xmalloc(sizeof(*p));

	p->job = job;
	p->fn = fn;
	if (store_stopping || rpc_call(store_rpc, action, data,
	    settings.rpc_timeout_ms,
	    store_rpc_relay, p) == -1) {
		free(p);
		job->status = RPC_UNAVAILABLE;
		fn(job);
	}
	json_decref(data);
}

static void
store_ignore_done(void *arg)
{
	store_job_free(arg);
}

/* ---- leases ---- */

static void
store_claim_done(void *arg)
{
	struct store_job	*job = arg;
	enum store_status	 st = STORE_OK;

	if (job->status != RPC_OK)
		st = STORE_UNAVAILABLE;
	else if (json_is_true(json_object_get(job->reply, "taken")))
		st = STORE_TAKEN;
	else if (!store_success(job)) {
		log_warnx("chat name lease refused reason=\"%s\"",
		    json_string_value(json_object_get(job->reply, "message")));
		st = STORE_UNAVAILABLE;
	}
	job->claim_fn(job->conn, job->name, st);
	store_job_free(job);
}

void
store_claim(struct conn *c, const char *name, store_claim_fn fn)
{
	struct store_job	*job = xcalloc(1, sizeof(*job));
	char			 token[96];

	conn_ref(c);
	job->conn = c;
	job->name = xstrdup(name);
	job->claim_fn = fn;
	if (!settings.store_backend) {
		job->status = RPC_OK;
		job->reply = json_pack("{sb}", "success", 1);
		store_claim_done(job);
		return;
	}
	snprintf(token, sizeof(token), "%s-%llu", store_owner,
	    (unsigned long long)c->id);
	store_call("CHAT_CLAIM", json_pack("{sssssssi}", "owner", store_owner,
	    "token", token, "name", name, "ttl_s", (int)settings.name_ttl_s),
	    job, store_claim_done);
}

void
store_release(const char *name, uint64_t conn_id)
{
	char token[96];

	if (!settings.store_backend)
		return;
	snprintf(token, sizeof(token), "%s-%llu", store_owner,
	    (unsigned long long)conn_id);
	store_call("CHAT_RELEASE", json_pack("{ssss}", "name", name, "token",
	    token), xcalloc(1, sizeof(struct store_job)), store_ignore_done);
}

static void
store_beat_done(void *arg)
{
	struct store_job *job = arg;

	if (!store_success(job))
		log_warnx("chat name lease heartbeat failed status=%s",
		    rpc_status_name(job->status));
	store_job_free(job);
}

static void
store_beat_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	store_call("CHAT_HEARTBEAT", json_pack("{sssi}", "owner", store_owner,
	    "ttl_s", (int)settings.name_ttl_s),
	    xcalloc(1, sizeof(struct store_job)), store_beat_done);
}

/* ---- history ---- */

static void	store_flush(void);

static void
store_append_done(void *arg)
{
	struct store_job *job = arg;

	if (store_success(job)) {
		json_decref(store_inflight);
		store_inflight = NULL;
	} else {
		/* Kept and sent again: (origin, seq) makes retries safe. */
		counter_add(m_append_fail, 1);
		log_warnx("chat history append failed status=%s messages=%zu",
		    rpc_status_name(job->status),
		    json_array_size(store_inflight));
	}
	store_job_free(job);
	if (store_stopping)
		return;
	if (store_inflight == NULL && json_array_size(store_backlog) > 0)
		store_flush();
	else if (store_inflight != NULL) {
		struct timeval tv = { 0, 500 * 1000 };

		evtimer_add(store_flush_ev, &tv);
	}
}

static void
store_flush(void)
{
	size_t	bytes = 0, n = 0, i;
	json_t	*m;

	if (store_inflight == NULL) {
		store_inflight = json_array();
		json_array_foreach(store_backlog, i, m) {
			bytes += 128 + json_string_length(
			    json_object_get(m, "content")) * 6;
			if (n > 0 && bytes > STORE_BATCH_BYTES)
				break;
			n++;
		}
		for (i = 0; i < n; i++)
			json_array_append(store_inflight,
			    json_array_get(store_backlog, i));
		for (i = 0; i < n; i++)
			json_array_remove(store_backlog, 0);
	}
	if (json_array_size(store_inflight) == 0) {
		json_decref(store_inflight);
		store_inflight = NULL;
		return;
	}
	store_call("CHAT_APPEND", json_pack("{sO}", "messages",
	    store_inflight), xcalloc(1, sizeof(struct store_job)),
	    store_append_done);
}

static void
store_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	store_flush();
}

void
store_append(const char *room, const char *origin, uint64_t seq,
    const char *from, const char *content, int64_t ts)
{
	struct timeval tv = { 0, STORE_FLUSH_MS * 1000 };

	if (settings.history == 0)
		return;
	if (!settings.store_backend) {
		store_ring_append(room, origin, seq, from, content, ts);
		return;
	}
	if (json_array_size(store_backlog) >= STORE_BACKLOG_MAX) {
		counter_add(m_dropped, 1);
		json_array_remove(store_backlog, 0);
	}
	json_array_append_new(store_backlog, json_pack("{sssssIsssssI}",
	    "room", room, "origin", origin, "seq", (json_int_t)seq,
	    "from", from, "content", content, "ts", (json_int_t)ts));
	if (store_inflight == NULL && !evtimer_pending(store_flush_ev, NULL))
		evtimer_add(store_flush_ev, &tv);
}

static void
store_history_done(void *arg)
{
	struct store_job	*job = arg;
	struct store_line	*v = NULL;
	json_t			*msgs = NULL, *m;
	size_t			 i, n = 0;

	if (store_success(job))
		msgs = json_object_get(job->reply, "messages");
	else {
		counter_add(m_history_fail, 1);
		log_warnx("chat history unavailable status=%s",
		    rpc_status_name(job->status));
	}
	if (json_is_array(msgs) && json_array_size(msgs) > 0) {
		v = xcalloc(json_array_size(msgs), sizeof(*v));
		json_array_foreach(msgs, i, m) {
			const char *o, *f, *t;
			json_int_t seq, ts;

			if (json_unpack(m, "{s:s, s:I, s:s, s:s, s:I}",
			    "origin", &o, "seq", &seq, "from", &f,
			    "content", &t, "ts", &ts) == -1)
				continue;
			v[n].origin = (char *)o;
			v[n].seq = (uint64_t)seq;
			v[n].from = (char *)f;
			v[n].content = (char *)t;
			v[n++].ts = ts;
		}
	}
	job->history_fn(job->conn, v, n);
	free(v);
	store_job_free(job);
}

void
store_history(struct conn *c, const char *room, store_history_fn fn)
{
	struct store_job *job;

	if (settings.history == 0 || !settings.store_backend) {
		if (settings.history == 0)
			fn(c, NULL, 0);
		else
			store_ring_history(c, room, fn);
		return;
	}
	job = xcalloc(1, sizeof(*job));
	conn_ref(c);
	job->conn = c;
	job->history_fn = fn;
	store_call("CHAT_HISTORY", json_pack("{sssi}", "room", room, "limit",
	    (int)settings.history), job, store_history_done);
}

/* ---- life cycle ---- */

int
store_ready(void)
{
	return !settings.store_backend || rpc_client_ready(store_rpc);
}

int
store_start(struct event_base *base, const char *replica_id, char *err,
    size_t errlen)
{
	struct timeval beat;

	snprintf(store_owner, sizeof(store_owner), "%s", replica_id);
	m_append_fail = metrics_counter("chat_history_append_failures_total",
	    "", "History batches the back end did not take (retried)");
	m_history_fail = metrics_counter("chat_history_fetch_failures_total",
	    "", "Joins whose history could not be fetched");
	m_dropped = metrics_counter("chat_history_dropped_total", "",
	    "Messages dropped from history because the back end was away");
	if (!settings.store_backend) {
		store_rings = strmap_new();
		return 0;
	}
	if ((store_rpc = rpc_client_start_to("chat-store", settings.amqp_url,
	    RPC_CHAT_EXCHANGE, RPC_CHAT_QUEUE, err, errlen)) == NULL)
		return -1;
	store_backlog = json_array();
	store_flush_ev = evtimer_new(base, store_flush_cb, NULL);
	store_beat_ev = event_new(base, -1, EV_PERSIST, store_beat_cb, NULL);
	beat.tv_sec = settings.name_ttl_s / 3;
	beat.tv_usec = 0;
	event_add(store_beat_ev, &beat);
	return 0;
}

static void
store_wait(const char *action, json_t *data)
{
	enum rpc_status	 st;
	json_t		*reply;

	reply = rpc_call_wait(store_rpc, action, data, STORE_STOP_TIMEOUT_MS,
	    &st);
	if (reply == NULL || !json_is_true(json_object_get(reply, "success")))
		log_warnx("chat %s at shutdown failed status=%s", action,
		    rpc_status_name(st));
	if (reply != NULL)
		json_decref(reply);
	json_decref(data);
}

void
store_stop(void)
{
	if (!settings.store_backend) {
		if (store_rings != NULL) {
			strmap_foreach(store_rings, store_ring_free, NULL);
			strmap_free(store_rings);
		}
		return;
	}
	event_free(store_beat_ev);
	event_free(store_flush_ev);
	/* What is still unsent goes now, in order, then our names. */
	if (store_inflight != NULL)
		json_array_extend(store_inflight, store_backlog);
	else
		store_inflight = json_incref(store_backlog);
	if (json_array_size(store_inflight) > 0)
		store_wait("CHAT_APPEND", json_pack("{sO}", "messages",
		    store_inflight));
	store_wait("CHAT_RETIRE", json_pack("{ss}", "owner", store_owner));
	store_stopping = 1;
	rpc_client_stop(store_rpc);
	/* Replies still in the inbox refer to jobs: run them now. */
	inbox_run();
	json_decref(store_inflight);
	json_decref(store_backlog);
}
