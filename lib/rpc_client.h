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

/* reply is borrowed (NULL unless RPC_OK); runs on the client's thread. */
typedef void	(*rpc_done_fn)(enum rpc_status, json_t *reply, void *arg);

/* Requests go to the queue RPC_QUEUE (the front end's). */
struct rpc_client *rpc_client_start(const char *name, const char *amqp_url,
		    char *err, size_t errlen);
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
 * Send action with data (borrowed) and call done exactly once, later, from
 * the client's thread.  Returns -1 without calling done when RabbitMQ is
 * unreachable right now.
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
