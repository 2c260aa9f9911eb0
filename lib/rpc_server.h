/*
 * rpc_server.h — consume the RPC queue and answer each request.
 *
 * The handler runs on the server's mq thread, one request at a time.  The
 * reply is published before the request is acknowledged, so a server that
 * dies mid-request leaves it to another replica (handlers are idempotent).
 */
#ifndef PARLEY_RPC_SERVER_H
#define PARLEY_RPC_SERVER_H

#include <jansson.h>

struct rpc_server;
struct rpc_queue_config;

/* Where a request came from, as far as RabbitMQ vouches for it. */
struct rpc_origin {
	const char	*queue;		/* the queue it was consumed from */
	const char	*exchange;	/* it was published to; "" the default */
	const char	*user_id;	/* validated by RabbitMQ; NULL: absent */
};

/* Returns the reply object (a new reference); never NULL. */
typedef json_t	*(*rpc_handler_fn)(const char *action, json_t *data,
		    const struct rpc_origin *, void *arg);

/*
 * A queue to consume.  With an exchange, the server declares it (direct,
 * durable) and binds the queue to it under the queue's name.
 */
struct rpc_server_queue {
	const char	*queue;
	const char	*exchange;	/* NULL: the default exchange only */
};

struct rpc_server_handlers {
	rpc_handler_fn	 handle;
	/* Optional, run on the mq thread every MQ_TICK_MS (housekeeping). */
	void		 (*tick)(void *arg);
};

/*
 * qc: the RPC queue's name and type (rpc.h); queues: nqueues of them (at
 * most 4), all declared like that queue; NULL: the RPC queue alone.
 * Returns NULL with a reason in err for a bad URL or queue config.
 */
struct rpc_server *rpc_server_start(const char *name, const char *amqp_url,
		    const struct rpc_queue_config *qc, unsigned prefetch,
		    const struct rpc_server_queue *queues, size_t nqueues,
		    const struct rpc_server_handlers *,
		    void *arg, char *err, size_t errlen);
int		   rpc_server_ready(struct rpc_server *);
/* Finish the request in hand, close the connection, free. */
void		   rpc_server_stop(struct rpc_server *);

#endif
