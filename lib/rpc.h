/*
 * rpc.h — the request/reply protocol over RabbitMQ (SPEC §3.2).
 *
 * Request: {"action": A, "data": {...}} on the durable queue "requests",
 * with reply_to and correlation_id.  Reply: {"success": bool, ...}.
 */
#ifndef PARLEY_RPC_H
#define PARLEY_RPC_H

#include <stddef.h>
#include <jansson.h>

#define RPC_QUEUE		"requests"
#define RPC_MAX_BODY		65536	/* larger requests are refused */

/*
 * Chat servers' RPCs (SPEC §3.5): published to an exchange only their
 * RabbitMQ user may write, which routes to a queue of their own, so the
 * back end can tell them from the front end's (docs/threat-model.md).
 */
#define RPC_CHAT_EXCHANGE	"parley.chat-rpc"
#define RPC_CHAT_QUEUE		"chat-request"

/*
 * How both ends declare the requests queue: durable, and of the type in
 * RPC_QUEUE_TYPE ("classic", the original example's, or "quorum", which
 * survives the loss of a RabbitMQ node).  All clients of one broker must
 * agree.  Reads the environment; a bad value is fatal (call at start-up).
 */
struct mq_queue_options;
void	rpc_queue_options(struct mq_queue_options *);

/*
 * Split a request body into its action and data object.  On success returns
 * 0 with *root owning both; on failure -1 with a message fit for the reply.
 */
int	rpc_request_parse(const void *body, size_t len, json_t **root,
	    const char **action, json_t **data, char *err, size_t errlen);

/* The request body for action and data (data may be NULL: {}). */
char	*rpc_request_encode(const char *action, json_t *data);

#endif
