/* rpc_client.c — correlation, deadlines and direct reply-to. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "jsonx.h"
#include "log.h"
#include "mq.h"
#include "rpc.h"
#include "rpc_client.h"
#include "xmalloc.h"

#define RPC_REPLY_TO	"amq.rabbitmq.reply-to"
#define RPC_BUCKETS	1024

struct rpc_pending {
	struct rpc_pending	*next;
	uint64_t		 seq;
	uint64_t		 deadline_ms;
	rpc_done_fn		 done;
	void			*arg;
};

struct rpc_client {
	struct mq		*mq;
	char			 instance[24];	/* correlation id prefix */
	char			*exchange;	/* "" is the default exchange */
	char			*routing_key;
	struct mq_queue_options	 queue;		/* declared when exchange is "" */
	pthread_mutex_t		 lock;		/* guards the fields below */
	uint64_t		 next_seq;
	struct rpc_pending	*buckets[RPC_BUCKETS];
};

const char *
rpc_status_name(enum rpc_status status)
{
	switch (status) {
	case RPC_OK:
		return "ok";
	case RPC_TIMEOUT:
		return "timeout";
	case RPC_UNAVAILABLE:
		return "unavailable";
	}
	return "unknown";
}

/*
 * Returns the sequence assigned under the lock: once p is in the table the
 * mq thread may complete and free it at any moment (deadline, link loss),
 * so the caller must not read p again.
 */
static uint64_t
rpc_client_add(struct rpc_client *c, struct rpc_pending *p)
{
	struct rpc_pending	**b;
	uint64_t		  seq;

	pthread_mutex_lock(&c->lock);
	seq = p->seq = c->next_seq++;
	b = &c->buckets[seq % RPC_BUCKETS];
	p->next = *b;
	*b = p;
	pthread_mutex_unlock(&c->lock);
	return seq;
}

static struct rpc_pending *
rpc_client_take(struct rpc_client *c, uint64_t seq)
{
	struct rpc_pending **pp, *p;

	pthread_mutex_lock(&c->lock);
	for (pp = &c->buckets[seq % RPC_BUCKETS]; (p = *pp) != NULL;
	    pp = &p->next)
		if (p->seq == seq) {
			*pp = p->next;
			break;
		}
	pthread_mutex_unlock(&c->lock);
	return p;
}

/* Unlink every pending call that matches (all when now == 0). */
static struct rpc_pending *
rpc_client_take_expired(struct rpc_client *c, uint64_t now)
{
	struct rpc_pending	*expired = NULL, **pp, *p;
	size_t			 i;

	pthread_mutex_lock(&c->lock);
	for (i = 0; i < RPC_BUCKETS; i++)
		for (pp = &c->buckets[i]; (p = *pp) != NULL;) {
			if (now != 0 && p->deadline_ms > now) {
				pp = &p->next;
				continue;
			}
			*pp = p->next;
			p->next = expired;
			expired = p;
		}
	pthread_mutex_unlock(&c->lock);
	return expired;
}

static void
rpc_client_fail_all(struct rpc_pending *list, enum rpc_status status)
{
	struct rpc_pending *next;

	for (; list != NULL; list = next) {
		next = list->next;
		list->done(status, NULL, list->arg);
		free(list);
	}
}

static int
rpc_client_on_connect(struct mq *mq, void *arg)
{
	struct rpc_client *c = arg;

	/* Declared here too so requests wait for a back end that is starting;
	 * another exchange's queue is the back end's to declare. */
	if (c->exchange[0] != '\0') {
		if (mq_exchange_exists(mq, c->exchange) == -1)
			return -1;
	} else if (mq_declare_queue(mq, c->routing_key, &c->queue, NULL,
	    0) == -1)
		return -1;
	return mq_consume(mq, RPC_REPLY_TO, 1, 0);
}

/* Accept only ids this client made: "<instance>-<seq>", seq in canonical
 * form (so "x-01" or "x-1 " can never match call 1). */
static int
rpc_client_parse_seq(struct rpc_client *c, const char *id, uint64_t *seq)
{
	size_t	 n = strlen(c->instance);
	char	 canonical[64], *end;

	if (id == NULL || strncmp(id, c->instance, n) != 0 || id[n] != '-')
		return -1;
	*seq = strtoull(id + n + 1, &end, 10);
	if (*end != '\0')
		return -1;
	snprintf(canonical, sizeof(canonical), "%s-%" PRIu64, c->instance,
	    *seq);
	return strcmp(canonical, id) == 0 ? 0 : -1;
}

static void
rpc_client_on_message(struct mq *mq, const struct mq_message *msg, void *arg)
{
	struct rpc_client	*c = arg;
	struct rpc_pending	*p;
	json_t			*reply;
	uint64_t		 seq;
	char			 err[128];

	(void)mq;
	if (rpc_client_parse_seq(c, msg->correlation_id, &seq) == -1 ||
	    (p = rpc_client_take(c, seq)) == NULL) {
		log_debug("rpc late or foreign reply ignored");
		return;
	}
	reply = jsonx_parse_object(msg->body, msg->body_len, err, sizeof(err));
	if (reply == NULL) {
		log_warnx("rpc malformed reply reason=\"%s\"", err);
		reply = jsonx_failure("malformed reply from back end");
	}
	p->done(RPC_OK, reply, p->arg);
	json_decref(reply);
	free(p);
}

static void
rpc_client_on_tick(struct mq *mq, void *arg)
{
	struct rpc_client *c = arg;

	(void)mq;
	rpc_client_fail_all(rpc_client_take_expired(c, clock_now_ms()),
	    RPC_TIMEOUT);
}

static void
rpc_client_on_down(struct mq *mq, void *arg)
{
	struct rpc_client *c = arg;

	(void)mq;
	/* Replies to the old connection's reply-to can never arrive. */
	rpc_client_fail_all(rpc_client_take_expired(c, 0), RPC_UNAVAILABLE);
}

/* exchange "" (the default): routing_key is the queue, declared as o says. */
static struct rpc_client *
rpc_client_new(const char *name, const char *amqp_url, const char *exchange,
    const char *routing_key, const struct mq_queue_options *o, char *err,
    size_t errlen)
{
	static const struct mq_handlers handlers = {
		.on_connect = rpc_client_on_connect,
		.on_message = rpc_client_on_message,
		.on_down = rpc_client_on_down,
		.on_tick = rpc_client_on_tick,
	};
	struct rpc_client *c = xcalloc(1, sizeof(*c));

	snprintf(c->instance, sizeof(c->instance), "%08x%08x",
	    arc4random(), arc4random());
	c->exchange = xstrdup(exchange);
	c->routing_key = xstrdup(routing_key);
	if (o != NULL)
		c->queue = *o;
	pthread_mutex_init(&c->lock, NULL);
	c->mq = mq_start(name, amqp_url, &handlers, c, err, errlen);
	if (c->mq == NULL) {
		pthread_mutex_destroy(&c->lock);
		free(c->exchange);
		free(c->routing_key);
		free(c);
		return NULL;
	}
	return c;
}

struct rpc_client *
rpc_client_start(const char *name, const char *amqp_url,
    const struct rpc_queue_config *qc, char *err, size_t errlen)
{
	struct mq_queue_options	 o;
	const char		*queue;

	if (rpc_queue_config_check(qc, err, errlen) == -1)
		return NULL;
	queue = rpc_queue_options(qc, &o);
	return rpc_client_new(name, amqp_url, "", queue, &o, err, errlen);
}

struct rpc_client *
rpc_client_start_to(const char *name, const char *amqp_url,
    const char *exchange, const char *routing_key, char *err, size_t errlen)
{
	return rpc_client_new(name, amqp_url, exchange, routing_key, NULL, err,
	    errlen);
}

int
rpc_client_ready(struct rpc_client *c)
{
	return mq_is_up(c->mq);
}

int
rpc_call(struct rpc_client *c, const char *action, json_t *data,
    unsigned timeout_ms, rpc_done_fn done, void *arg)
{
	struct rpc_pending	*p = xcalloc(1, sizeof(*p));
	struct mq_publish	 pub;
	char			 id[64], *body;
	uint64_t		 seq;
	int			 rc;

	p->deadline_ms = clock_now_ms() + timeout_ms;
	p->done = done;
	p->arg = arg;
	seq = rpc_client_add(c, p);	/* p is the mq thread's from here on */
	snprintf(id, sizeof(id), "%s-%" PRIu64, c->instance, seq);

	body = rpc_request_encode(action, data);
	memset(&pub, 0, sizeof(pub));
	pub.exchange = c->exchange;
	pub.routing_key = c->routing_key;
	pub.body = body;
	pub.body_len = strlen(body);
	pub.reply_to = RPC_REPLY_TO;
	pub.correlation_id = id;
	/* The broker drops requests nobody is waiting for any more. */
	pub.expiration_ms = timeout_ms;
	rc = mq_publish(c->mq, &pub);
	free(body);
	if (rc == 0)
		return 0;
	/* Not sent: unless a timer already completed it, it never ran. */
	if ((p = rpc_client_take(c, seq)) == NULL)
		return 0;
	free(p);
	return -1;
}

struct rpc_waiter {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 finished;
	enum rpc_status	 status;
	json_t		*reply;
};

static void
rpc_waiter_done(enum rpc_status status, json_t *reply, void *arg)
{
	struct rpc_waiter *w = arg;

	pthread_mutex_lock(&w->lock);
	w->status = status;
	w->reply = reply != NULL ? json_incref(reply) : NULL;
	w->finished = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

json_t *
rpc_call_wait(struct rpc_client *c, const char *action, json_t *data,
    unsigned timeout_ms, enum rpc_status *status)
{
	struct rpc_waiter w = { .finished = 0 };

	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	if (rpc_call(c, action, data, timeout_ms, rpc_waiter_done, &w) == -1) {
		w.status = RPC_UNAVAILABLE;
		w.finished = 1;
	}
	pthread_mutex_lock(&w.lock);
	while (!w.finished)
		pthread_cond_wait(&w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	pthread_cond_destroy(&w.cond);
	pthread_mutex_destroy(&w.lock);
	*status = w.status;
	return w.reply;
}

void
rpc_client_stop(struct rpc_client *c)
{
	if (c == NULL)
		return;
	mq_stop(c->mq);	/* its on_down fails whatever is still pending */
	pthread_mutex_destroy(&c->lock);
	free(c->exchange);
	free(c->routing_key);
	free(c);
}
