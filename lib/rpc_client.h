/*
 * rpc_client.h — calling the back end over RabbitMQ from any thread.
 *
 * One persistent connection per client; replies come back through RabbitMQ
 * direct reply-to and are matched by correlation id.  Each call has its own
 * deadline; late replies and replies to other clients are ignored.
 */
#ifndef PARLEY_RPC_CLIENT_H
#define PARLEY_RPC_CLIENT_H

#include <jansson.h>

#include "rpc.h"	/* RPC_QUEUE, RPC_CHAT_EXCHANGE, RPC_CHAT_QUEUE */

enum rpc_status {
	RPC_OK,			/* reply holds the back end's answer */
	RPC_TIMEOUT,		/* no answer before the deadline */
	RPC_UNAVAILABLE,	/* RabbitMQ is unreachable */
};

struct rpc_client;
struct rpc_queue_config;

/* reply is borrowed (NULL unless RPC_OK); runs on the client's mq thread. */
typedef void	(*rpc_done_fn)(enum rpc_status, json_t *reply, void *arg);

/*
 * Requests go to the RPC queue of qc (rpc.h) through the default exchange,
 * declared as the back end declares it (the front end's way in).  Returns
 * NULL with a reason in err for a bad URL or queue config.
 */
struct rpc_client *rpc_client_start(const char *name, const char *amqp_url,
		    const struct rpc_queue_config *qc, char *err, size_t errlen);
/*
 * Requests go to exchange with routing_key (both copied): the chat
 * servers' RPC_CHAT_EXCHANGE, RPC_CHAT_QUEUE.  The client waits (not ready)
 * until the back end has declared the exchange.
 */
struct rpc_client *rpc_client_start_to(const char *name, const char *amqp_url,
		    const char *exchange, const char *routing_key, char *err,
		    size_t errlen);
int		   rpc_client_ready(struct rpc_client *);
/*
 * Send action with data (borrowed) and call done exactly once from the
 * client's mq thread.  done may run before rpc_call returns (a deadline
 * or a lost link while the request is being queued), so arg must be ready
 * for it before the call and the caller must not touch it afterwards
 * unless done's own synchronisation says it may.  Returns -1 without
 * calling done when RabbitMQ is unreachable right now; returns 0 when done
 * has run or will run.
 */
int		   rpc_call(struct rpc_client *, const char *action,
		    json_t *data, unsigned timeout_ms, rpc_done_fn, void *arg);
/* rpc_call that blocks the calling thread; returns a new reference or NULL. */
json_t		  *rpc_call_wait(struct rpc_client *, const char *action,
		    json_t *data, unsigned timeout_ms, enum rpc_status *);
/* Fails pending calls with RPC_UNAVAILABLE, closes, frees. */
void		   rpc_client_stop(struct rpc_client *);

const char	  *rpc_status_name(enum rpc_status);

#endif
