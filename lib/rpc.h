/*
 * rpc.h — the request/reply protocol over RabbitMQ (docs/architecture.md, RPC).
 *
 * Request: {"action": A, "data": {...}} on the queue "request" (the
 * textbook's name and declaration by default), with reply_to and
 * correlation_id.  Reply: {"success": bool, ...}.
 */
#ifndef PARLEY_RPC_H
#define PARLEY_RPC_H

#include <stddef.h>
#include <jansson.h>

#define RPC_QUEUE_DEFAULT	"request"	/* the textbook's queue */
#define RPC_QUEUE_NAME_MAX	255		/* AMQP short string */
#define RPC_MAX_BODY		65536	/* larger requests are refused */

/*
 * Chat servers' RPCs: published to an exchange only their RabbitMQ user may
 * write, which routes to a queue of their own, so the back end can tell them
 * from the front end's (docs/threat-model.md).  Declared like the RPC queue.
 */
#define RPC_CHAT_EXCHANGE	"parley.chat-rpc"
#define RPC_CHAT_QUEUE		"chat-request"

/*
 * The RPC queue, as every daemon of one broker must declare it (each reads
 * RPC_QUEUE and RPC_QUEUE_TYPE in its own configuration code).  type
 * "classic" is the textbook's queue_declare(queue='request'): classic,
 * non-durable, no arguments; "quorum" is a durable, replicated quorum
 * queue (Kubernetes), which the textbook's clients cannot share.  NULL
 * fields mean the defaults ("request", "classic").
 */
struct rpc_queue_config {
	const char	*name;
	const char	*type;		/* "classic" | "quorum" */
};

/* 0 when usable; -1 with a reason fit for a start-up error otherwise. */
int	rpc_queue_config_check(const struct rpc_queue_config *, char *err,
	    size_t errlen);

/* The declaration for a checked config; name points into cfg or a literal. */
struct mq_queue_options;
const char *rpc_queue_options(const struct rpc_queue_config *,
	    struct mq_queue_options *);

/*
 * Split a request body into its action and data object.  On success returns
 * 0 with *root owning both; on failure -1 with a message fit for the reply.
 */
int	rpc_request_parse(const void *body, size_t len, json_t **root,
	    const char **action, json_t **data, char *err, size_t errlen);

/* The request body for action and data (data may be NULL: {}). */
char	*rpc_request_encode(const char *action, json_t *data);

#endif
