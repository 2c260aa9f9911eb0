/*
 * store.c — the store's front (store.h: one struct store_ops picked at
 * start) and its back-end variant, CHAT_STORE=backend.
 *
 * Back end: every call is an RPC (lib/rpc_client.h) whose reply arrives on
 * the RPC thread and is handed to the loop through the inbox.  History
 * appends are batched (at most STORE_FLUSH_MS late, one batch in flight,
 * so the back end inserts them in our order) and keyed by (origin, seq),
 * so a redelivered batch inserts nothing twice.  A lease heartbeat keeps
 * our names; a replica that dies loses them after CHAT_NAME_TTL seconds.
 *
 * The link to the back end is UP or DOWN.  A call that times out (or finds
 * RabbitMQ gone) makes it DOWN: from then on claims and history answer
 * STORE_UNAVAILABLE at once, appends wait in the backlog, and a heartbeat
 * goes out every STORE_PROBE_MS as a probe.  Any answer makes it UP again
 * and sends the backlog.  So the first caller after the back end dies waits
 * at most CHAT_RPC_TIMEOUT_MS; nobody after it waits at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "clock.h"
#include "inbox.h"
#include "jsonx.h"
#include "log.h"
#include "metrics.h"
#include "rpc_client.h"
#include "settings.h"
#include "store.h"
#include "text.h"
#include "untrusted.h"
#include "xmalloc.h"

#define STORE_FLUSH_MS		20
#define STORE_BATCH_BYTES	40000	/* well under RPC_MAX_BODY */
#define STORE_BACKLOG_MAX	20000	/* messages waiting for the back end */
#define STORE_STOP_TIMEOUT_MS	3000
#define STORE_PROBE_MS		1000	/* heartbeat period while DOWN */

struct store_job {
	void			*owner;		/* held, or NULL */
	uint64_t		 cookie;
	char			*name;
	store_claim_fn		 claim_fn;
	store_history_fn	 history_fn;
	store_redeem_fn		 redeem_fn;
	enum rpc_status		 status;
	json_t			*reply;
};

static const struct store_ops	*store_ops;
static struct store_handlers	 store_handlers;

static char		 store_owner[64];
static struct rpc_client *store_rpc;
static struct event	*store_flush_ev, *store_beat_ev;
static json_t		*store_backlog;		/* messages not yet sent */
static json_t		*store_inflight;	/* the batch being sent */
static struct counter	*m_append_fail, *m_history_fail, *m_dropped;
static struct counter	*m_bad_rows;
static struct gauge	*m_up;
static int		 store_stopping;
static int		 store_is_up = 1;	/* the back end answers */
static int		 store_beating;		/* a heartbeat in flight */
static int		 store_appending;	/* a batch in flight */
static uint64_t		 store_next_beat_ms;

/* ---- the front ---- */

void
store_hold(void *owner)
{
	if (owner != NULL && store_handlers.hold != NULL)
		store_handlers.hold(owner);
}

void
store_drop(void *owner)
{
	if (owner != NULL && store_handlers.drop != NULL)
		store_handlers.drop(owner);
}

void
store_link(int up)
{
	gauge_set(m_up, up);
	if (store_handlers.link != NULL)
		store_handlers.link(up);
}

int
store_start(struct event_base *base, const char *replica_id,
    const struct store_handlers *h, char *err, size_t errlen)
{
	store_handlers = *h;
	store_ops = settings.store_backend ? &store_backend_ops :
	    &store_memory_ops;
	m_append_fail = metrics_counter("chat_history_append_failures_total",
	    "", "History batches the back end did not take (retried)");
	m_history_fail = metrics_counter("chat_history_fetch_failures_total",
	    "", "Joins whose history could not be fetched");
	m_dropped = metrics_counter("chat_history_dropped_total", "",
	    "Messages dropped from history because the back end was away");
	m_bad_rows = metrics_counter("chat_history_rows_refused_total", "",
	    "History rows from the store refused (malformed or out of bounds)");
	m_up = metrics_gauge("chat_store_up", "",
	    "1 while the name and history store answers");
	gauge_set(m_up, 1);
	return store_ops->start(base, replica_id, err, errlen);
}

void
store_stop(void)
{
	store_ops->stop();
}

int
store_ready(void)
{
	return store_ops->ready();
}

int
store_up(void)
{
	return store_ops->up();
}

void
store_claim(void *owner, uint64_t owner_id, const char *name,
    store_claim_fn fn)
{
	store_ops->claim(owner, owner_id, name, fn);
}

void
store_release(const char *name, uint64_t owner_id)
{
	store_ops->release(name, owner_id);
}

void
store_redeem(void *owner, int is_ticket, const char *secret,
    store_redeem_fn fn)
{
	store_ops->redeem(owner, is_ticket, secret, fn);
}

void
store_append(const char *room, const char *origin, uint64_t seq,
    const char *from, const char *content, int64_t ts)
{
	if (settings.history == 0)
		return;
	store_ops->append(room, origin, seq, from, content, ts);
}

void
store_history(void *owner, uint64_t cookie, const char *room,
    store_history_fn fn)
{
	if (settings.history == 0) {
		fn(owner, cookie, NULL, 0, STORE_OK);
		return;
	}
	store_ops->history(owner, cookie, room, fn);
}

/* ---- back end: replies come back on the RPC thread ---- */

static void	backend_flush(void);

/* Every reply tells whether the back end is there. */
static void
backend_seen(enum rpc_status status)
{
	if (status == RPC_OK && !store_is_up) {
		store_is_up = 1;
		log_info("chat store answers again");
		store_link(1);
		if (store_inflight != NULL || json_array_size(store_backlog) > 0)
			backend_flush();
	} else if (status != RPC_OK && store_is_up && !store_stopping) {
		store_is_up = 0;
		log_warnx("chat store not answering status=%s, local chat goes "
		    "on without name leases and history",
		    rpc_status_name(status));
		store_link(0);
	}
}

static void
backend_rpc_done(enum rpc_status status, json_t *reply, void *arg)
{
	struct store_job *job = arg;

	job->status = status;
	job->reply = reply != NULL ? json_incref(reply) : NULL;
	return;
}

static int
backend_success(struct store_job *job)
{
	return job->status == RPC_OK &&
	    json_is_true(json_object_get(job->reply, "success"));
}

static struct store_job *
backend_job(void *owner)
{
	struct store_job *job = xcalloc(1, sizeof(*job));

	store_hold(owner);
	job->owner = owner;
	return job;
}

static void
backend_job_free(struct store_job *job)
{
	store_drop(job->owner);
	if (job->reply != NULL)
		json_decref(job->reply);
	free(job->name);
	free(job);
}

/* Call action; fn runs on the loop with the job when the reply is in. */
static void	backend_call(const char *, json_t *, struct store_job *,
		    void (*)(void *));

struct store_pending {
	struct store_job	*job;
	void			(*fn)(void *);
};

static void
backend_rpc_relay(enum rpc_status status, json_t *reply, void *arg)
{
	struct store_pending *p = arg;

	backend_rpc_done(status, reply, p->job);
	inbox_post(p->fn, p->job);
	free(p);
}

static void
backend_call(const char *action, json_t *data, struct store_job *job,
    void (*fn)(void *))
{
	struct store_pending *p = xmalloc(sizeof(*p));

	p->job = job;
	p->fn = fn;
	if (store_stopping || rpc_call(store_rpc, action, data,
	    settings.rpc_timeout_ms,
	    backend_rpc_relay, p) == -1) {
		free(p);
		job->status = RPC_UNAVAILABLE;
		fn(job);
	}
	json_decref(data);
}

static void
backend_ignore_done(void *arg)
{
	struct store_job *job = arg;

	backend_seen(job->status);
	backend_job_free(job);
}

/* ---- leases ---- */

static void
backend_claim_done(void *arg)
{
	struct store_job	*job = arg;
	enum store_status	 st = STORE_OK;

	backend_seen(job->status);
	if (job->status != RPC_OK)
		st = STORE_UNAVAILABLE;
	else if (json_is_string(json_object_get(job->reply, "code")) &&
	    strcmp(json_string_value(json_object_get(job->reply, "code")),
	    "reserved") == 0)
		st = STORE_RESERVED;
	else if (json_is_true(json_object_get(job->reply, "taken")))
		st = STORE_TAKEN;
	else if (!backend_success(job)) {
		log_warnx("chat name lease refused reason=\"%s\"",
		    json_string_value(json_object_get(job->reply, "message")));
		st = STORE_UNAVAILABLE;
	}
	job->claim_fn(job->owner, job->name, st);
	backend_job_free(job);
}

static void
backend_claim(void *owner, uint64_t owner_id, const char *name,
    store_claim_fn fn)
{
	struct store_job	*job;
	char			 token[96];

	if (!store_is_up) {
		fn(owner, name, STORE_UNAVAILABLE);
		return;
	}
	job = backend_job(owner);
	job->name = xstrdup(name);
	job->claim_fn = fn;
	snprintf(token, sizeof(token), "%s-%llu", store_owner,
	    (unsigned long long)owner_id);
	backend_call("CHAT_CLAIM", json_pack("{sssssssi}", "owner",
	    store_owner, "token", token, "name", name, "ttl_s",
	    (int)settings.name_ttl_s), job, backend_claim_done);
}

/* Sent even while DOWN: the heartbeat renews every name we hold. */
static void
backend_release(const char *name, uint64_t owner_id)
{
	char token[96];

	snprintf(token, sizeof(token), "%s-%llu", store_owner,
	    (unsigned long long)owner_id);
	backend_call("CHAT_RELEASE", json_pack("{ssss}", "name", name, "token",
	    token), backend_job(NULL), backend_ignore_done);
}

static void
backend_beat_done(void *arg)
{
	struct store_job *job = arg;

	store_beating = 0;
	if (!backend_success(job) && store_is_up)
		log_warnx("chat name lease heartbeat failed status=%s",
		    rpc_status_name(job->status));
	backend_seen(job->status);
	backend_job_free(job);
}

/* Every second: the heartbeat when due, or as a probe while DOWN. */
static void
backend_beat_cb(evutil_socket_t fd, short what, void *arg)
{
	uint64_t now = clock_now_ms();

	(void)fd;
	(void)what;
	(void)arg;
	if (store_beating || (store_is_up && now < store_next_beat_ms))
		return;
	store_beating = 1;
	store_next_beat_ms = now + settings.name_ttl_s * 1000ull / 3;
	backend_call("CHAT_HEARTBEAT", json_pack("{sssi}", "owner",
	    store_owner, "ttl_s", (int)settings.name_ttl_s),
	    backend_job(NULL), backend_beat_done);
}

/* ---- accounts: tickets and tokens ---- */

static void
backend_redeem_done(void *arg)
{
	struct store_job	*job = arg;
	struct store_account	 a = { 0 };
	const char		*session = NULL;
	json_int_t		 id = 0, tid = 0;

	backend_seen(job->status);
	if (job->status != RPC_OK) {
		job->redeem_fn(job->owner, NULL, STORE_UNAVAILABLE);
	} else if (!backend_success(job)) {
		a.message = json_string_value(json_object_get(job->reply,
		    "message"));
		if (a.message == NULL)
			a.message = "not accepted";
		job->redeem_fn(job->owner, &a, STORE_REFUSED);
	} else if (json_unpack(job->reply, "{s:I, s:s, s?s, s?I}",
	    "account_id", &id, "name", &a.name, "session", &session,
	    "token_id", &tid) == -1 || id <= 0) {
		log_warnx("chat account redeem: malformed reply");
		job->redeem_fn(job->owner, NULL, STORE_UNAVAILABLE);
	} else {
		a.account_id = id;
		a.session = session;
		a.token_id = tid;
		job->redeem_fn(job->owner, &a, STORE_OK);
	}
	backend_job_free(job);
}

static void
backend_redeem(void *owner, int is_ticket, const char *secret,
    store_redeem_fn fn)
{
	struct store_job *job;

	if (!store_is_up) {
		fn(owner, NULL, STORE_UNAVAILABLE);
		return;
	}
	job = backend_job(owner);
	job->redeem_fn = fn;
	backend_call(is_ticket ? "CHAT_TICKET_REDEEM" : "CHAT_TOKEN_REDEEM",
	    json_pack("{ss}", is_ticket ? "ticket" : "token", secret), job,
	    backend_redeem_done);
}

/* ---- history ---- */

static void
backend_append_done(void *arg)
{
	struct store_job	*job = arg;
	enum rpc_status		 status = job->status;

	store_appending = 0;
	if (backend_success(job)) {
		json_decref(store_inflight);
		store_inflight = NULL;
	} else {
		/* Kept and sent again: (origin, seq) makes retries safe. */
		counter_add(m_append_fail, 1);
		if (store_is_up)
			log_warnx("chat history append failed status=%s "
			    "messages=%zu", rpc_status_name(status),
			    json_array_size(store_inflight));
	}
	backend_job_free(job);
	backend_seen(status);
	/* Back from DOWN, backend_seen has sent the next batch already. */
	if (store_stopping || !store_is_up || store_appending)
		return;
	if (store_inflight == NULL && json_array_size(store_backlog) > 0)
		backend_flush();
	else if (store_inflight != NULL) {
		struct timeval tv = { 0, 500 * 1000 };

		evtimer_add(store_flush_ev, &tv);
	}
}

/* The first n messages of the backlog become the batch in flight. */
static void
backend_take(size_t n)
{
	json_t	*rest = json_array();
	size_t	 i, size = json_array_size(store_backlog);

	store_inflight = json_array();
	for (i = 0; i < size; i++)
		json_array_append(i < n ? store_inflight : rest,
		    json_array_get(store_backlog, i));
	json_decref(store_backlog);
	store_backlog = rest;
}

static void
backend_flush(void)
{
	size_t	bytes = 0, n = 0, i;
	json_t	*m;

	if (store_appending)
		return;
	if (store_inflight == NULL) {
		json_array_foreach(store_backlog, i, m) {
			bytes += 128 + json_string_length(
			    json_object_get(m, "content")) * 6;
			if (n > 0 && bytes > STORE_BATCH_BYTES)
				break;
			n++;
		}
		backend_take(n);
	}
	if (json_array_size(store_inflight) == 0) {
		json_decref(store_inflight);
		store_inflight = NULL;
		return;
	}
	store_appending = 1;
	backend_call("CHAT_APPEND", json_pack("{sO}", "messages",
	    store_inflight), backend_job(NULL), backend_append_done);
}

static void
backend_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (store_is_up)
		backend_flush();
}

/* A full backlog loses its oldest tenth at once (not one per append). */
static void
backend_trim(void)
{
	json_t	*rest = json_array();
	size_t	 i, size = json_array_size(store_backlog), drop = size / 10;

	for (i = drop; i < size; i++)
		json_array_append(rest, json_array_get(store_backlog, i));
	json_decref(store_backlog);
	store_backlog = rest;
	counter_add(m_dropped, drop);
}

static void
backend_append(const char *room, const char *origin, uint64_t seq,
    const char *from, const char *content, int64_t ts)
{
	struct timeval tv = { 0, STORE_FLUSH_MS * 1000 };

	if (json_array_size(store_backlog) >= STORE_BACKLOG_MAX)
		backend_trim();
	json_array_append_new(store_backlog, json_pack("{sssssIsssssI}",
	    "room", room, "origin", origin, "seq", (json_int_t)seq,
	    "from", from, "content", content, "ts", (json_int_t)ts));
	if (store_is_up && store_inflight == NULL &&
	    !evtimer_pending(store_flush_ev, NULL))
		evtimer_add(store_flush_ev, &tv);
}

/*
 * One stored row, untrusted like bus input (SPEC §3.5): fields within the
 * bounds of untrusted.h, the text escaped again (in m, which owns it).
 * -1 (counted) when the row does not pass.
 */
static int
backend_history_row(json_t *m, const char **o, json_int_t *seq,
    const char **f, const char **t, json_int_t *ts)
{
	char *safe;

	if (json_unpack(m, "{s:s, s:I, s:s, s:s, s:I}", "origin", o, "seq",
	    seq, "from", f, "content", t, "ts", ts) == -1 ||
	    untrusted_origin(*o) == -1 || *seq < 0 ||
	    untrusted_name(*f) == -1 || untrusted_content(*t) == -1 ||
	    untrusted_ts(*ts) == -1) {
		counter_add(m_bad_rows, 1);
		return -1;
	}
	safe = text_escape(*t, strlen(*t), NULL);
	json_object_set_new(m, "content", json_string(safe));
	free(safe);
	*t = json_string_value(json_object_get(m, "content"));
	return 0;
}

static void
backend_history_done(void *arg)
{
	struct store_job	*job = arg;
	struct store_line	*v = NULL;
	json_t			*msgs = NULL, *m;
	size_t			 i, n = 0;

	backend_seen(job->status);
	if (backend_success(job))
		msgs = json_object_get(job->reply, "messages");
	else
		counter_add(m_history_fail, 1);
	if (json_is_array(msgs) && json_array_size(msgs) > 0) {
		v = xcalloc(json_array_size(msgs), sizeof(*v));
		json_array_foreach(msgs, i, m) {
			const char *o, *f, *t;
			json_int_t seq, ts;

			if (backend_history_row(m, &o, &seq, &f, &t, &ts) == -1)
				continue;
			v[n].origin = (char *)o;
			v[n].seq = (uint64_t)seq;
			v[n].from = (char *)f;
			v[n].content = (char *)t;
			v[n++].ts = ts;
		}
	}
	job->history_fn(job->owner, job->cookie, v, n, msgs != NULL ?
	    STORE_OK : STORE_UNAVAILABLE);
	free(v);
	backend_job_free(job);
}

static void
backend_history(void *owner, uint64_t cookie, const char *room,
    store_history_fn fn)
{
	struct store_job *job;

	if (!store_is_up) {
		counter_add(m_history_fail, 1);
		fn(owner, cookie, NULL, 0, STORE_UNAVAILABLE);
		return;
	}
	job = backend_job(owner);
	job->cookie = cookie;
	job->history_fn = fn;
	backend_call("CHAT_HISTORY", json_pack("{sssi}", "room", room, "limit",
	    (int)settings.history), job, backend_history_done);
}

/* ---- life cycle ---- */

static int
backend_ready(void)
{
	return rpc_client_ready(store_rpc);
}

static int
backend_up(void)
{
	return store_is_up;
}

static int
backend_start(struct event_base *base, const char *replica_id, char *err,
    size_t errlen)
{
	struct timeval beat = { STORE_PROBE_MS / 1000, 0 };

	snprintf(store_owner, sizeof(store_owner), "%s", replica_id);
	if ((store_rpc = rpc_client_start_to("chat-store", settings.amqp_url,
	    RPC_CHAT_EXCHANGE, RPC_CHAT_QUEUE, err, errlen)) == NULL)
		return -1;
	store_backlog = json_array();
	store_flush_ev = evtimer_new(base, backend_flush_cb, NULL);
	store_beat_ev = event_new(base, -1, EV_PERSIST, backend_beat_cb, NULL);
	store_next_beat_ms = clock_now_ms() + settings.name_ttl_s * 1000ull / 3;
	event_add(store_beat_ev, &beat);
	return 0;
}

static void
backend_wait(const char *action, json_t *data)
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

static void
backend_stop(void)
{
	event_free(store_beat_ev);
	event_free(store_flush_ev);
	/* What is still unsent goes now, in order, then our names. */
	if (store_inflight != NULL)
		json_array_extend(store_inflight, store_backlog);
	else
		store_inflight = json_incref(store_backlog);
	if (json_array_size(store_inflight) > 0)
		backend_wait("CHAT_APPEND", json_pack("{sO}", "messages",
		    store_inflight));
	backend_wait("CHAT_RETIRE", json_pack("{ss}", "owner", store_owner));
	store_stopping = 1;
	rpc_client_stop(store_rpc);
	/* Replies still in the inbox refer to jobs: run them now. */
	inbox_run();
	json_decref(store_inflight);
	json_decref(store_backlog);
}

const struct store_ops store_backend_ops = {
	.name = "backend",
	.start = backend_start,
	.stop = backend_stop,
	.ready = backend_ready,
	.up = backend_up,
	.claim = backend_claim,
	.release = backend_release,
	.redeem = backend_redeem,
	.append = backend_append,
	.history = backend_history,
};
