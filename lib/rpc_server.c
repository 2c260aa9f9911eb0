/* rpc_server.c — the consuming side of the RPC protocol. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "log.h"
#include "mq.h"
#include "rpc.h"
#include "rpc_server.h"
#include "xmalloc.h"

#define RPC_SERVER_QUEUES_MAX	4

struct rpc_server {
	struct mq			*mq;
	struct rpc_server_queue		 queues[RPC_SERVER_QUEUES_MAX];
	size_t				 nqueues;
	struct rpc_server_handlers	 h;
	void				*arg;
	unsigned			 prefetch;
	struct mq_queue_options		 queue;
	char				*queue_name;
};

static int
rpc_server_on_connect(struct mq *mq, void *arg)
{
	struct rpc_server		*srv = arg;
	const struct rpc_server_queue	*q;
	size_t				 i;

	for (i = 0; i < srv->nqueues; i++) {
		q = &srv->queues[i];
		if (mq_declare_queue(mq, q->queue, &srv->queue, NULL, 0) == -1)
			return -1;
		if (q->exchange != NULL &&
		    (mq_declare_exchange(mq, q->exchange, "direct", 1) == -1 ||
		    mq_bind(mq, q->queue, q->exchange, q->queue) == -1))
			return -1;
	}
	/* The prefetch is per consumer: each queue gets its own. */
	for (i = 0; i < srv->nqueues; i++)
		if (mq_consume(mq, srv->queues[i].queue, 0, srv->prefetch) == -1)
			return -1;
	return 0;
}

static json_t *
rpc_server_dispatch(struct rpc_server *srv, const struct mq_message *msg)
{
	struct rpc_origin	 origin;
	json_t			*root, *data, *reply;
	const char		*action;
	char			 err[256];

	if (rpc_request_parse(msg->body, msg->body_len, &root, &action, &data,
	    err, sizeof(err)) == -1) {
		log_ratelimited(LOG_LEVEL_INFO, 20, 10,
		    "rpc bad request reason=\"%s\"", err);
		return jsonx_failure(err);
	}
	origin.queue = msg->consumer_tag;
	origin.exchange = msg->exchange;
	origin.user_id = msg->user_id;
	reply = srv->h.handle(action, data, &origin, srv->arg);
	json_decref(root);
	return reply;
}

static void
rpc_server_on_message(struct mq *mq, const struct mq_message *msg, void *arg)
{
	struct rpc_server	*srv = arg;
	struct mq_publish	 pub;
	json_t			*reply;
	char			*body;

	if (msg->reply_to == NULL) {
		/* Nowhere to answer: drop it rather than loop on it. */
		log_ratelimited(LOG_LEVEL_WARN, 20, 10,
		    "rpc request without reply_to dropped tag=%llu",
		    (unsigned long long)msg->delivery_tag);
		mq_ack(mq, msg->delivery_tag);
		return;
	}
	if (msg->redelivered)
		log_info("rpc request redelivered tag=%llu",
		    (unsigned long long)msg->delivery_tag);
	reply = rpc_server_dispatch(srv, msg);
	body = jsonx_dump(reply);
	json_decref(reply);
	memset(&pub, 0, sizeof(pub));
	pub.exchange = "";
	pub.routing_key = msg->reply_to;
	pub.correlation_id = msg->correlation_id;
	pub.body = body;
	pub.body_len = strlen(body);
	/* Ack only once the reply is out; if publishing fails, redelivery. */
	if (mq_publish_now(mq, &pub) == 0)
		mq_ack(mq, msg->delivery_tag);
	free(body);
}

static void
rpc_server_on_tick(struct mq *mq, void *arg)
{
	struct rpc_server *srv = arg;

	(void)mq;
	if (srv->h.tick != NULL)
		srv->h.tick(srv->arg);
}

struct rpc_server *
rpc_server_start(const char *name, const char *amqp_url,
    const struct rpc_queue_config *qc, unsigned prefetch,
    const struct rpc_server_queue *queues, size_t nqueues,
    const struct rpc_server_handlers *h, void *arg, char *err, size_t errlen)
{
	static const struct mq_handlers handlers = {
		.on_connect = rpc_server_on_connect,
		.on_message = rpc_server_on_message,
		.on_tick = rpc_server_on_tick,
		.body_max = RPC_MAX_BODY,	/* bigger: refused unread */
	};
	struct rpc_server *srv;

	if (rpc_queue_config_check(qc, err, errlen) == -1)
		return NULL;
	if (queues != NULL && (nqueues == 0 || nqueues > RPC_SERVER_QUEUES_MAX))
		fatalx("%s: %zu queues", __func__, nqueues);
	srv = xcalloc(1, sizeof(*srv));
	srv->queue_name = xstrdup(rpc_queue_options(qc, &srv->queue));
	if (queues == NULL) {
		srv->queues[0].queue = srv->queue_name;
		srv->nqueues = 1;
	} else {
		memcpy(srv->queues, queues, nqueues * sizeof(*queues));
		srv->nqueues = nqueues;
	}
	srv->h = *h;
	srv->arg = arg;
	srv->prefetch = prefetch;
	srv->mq = mq_start(name, amqp_url, &handlers, srv, err, errlen);
	if (srv->mq == NULL) {
		free(srv->queue_name);
		free(srv);
		return NULL;
	}
	return srv;
}

int
rpc_server_ready(struct rpc_server *srv)
{
	return mq_is_up(srv->mq);
}

void
rpc_server_stop(struct rpc_server *srv)
{
	if (srv == NULL)
		return;
	mq_stop(srv->mq);
	free(srv->queue_name);
	free(srv);
}
