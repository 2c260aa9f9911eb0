/* rpc.c — encoding and validation of RPC requests, shared by both ends. */
#include <stdio.h>
#include <string.h>

#include "jsonx.h"
#include "log.h"
#include "mq.h"
#include "rpc.h"

#define RPC_ACTION_MAX	64

int
rpc_queue_config_check(const struct rpc_queue_config *cfg, char *err,
    size_t errlen)
{
	const char	*name = cfg->name, *type = cfg->type;
	size_t		 i, n;

	if (name != NULL) {
		n = strlen(name);
		if (n == 0 || n > RPC_QUEUE_NAME_MAX) {
			snprintf(err, errlen, "RPC_QUEUE must be 1 to %d "
			    "characters", RPC_QUEUE_NAME_MAX);
			return -1;
		}
		/* Server-named and amq.* queues are the broker's own. */
		if (strncmp(name, "amq.", 4) == 0) {
			snprintf(err, errlen, "RPC_QUEUE must not start with "
			    "'amq.'");
			return -1;
		}
		for (i = 0; i < n; i++)
			if ((unsigned char)name[i] <= ' ' ||
			    (unsigned char)name[i] == 0x7f) {
				snprintf(err, errlen, "RPC_QUEUE must not "
				    "contain spaces or control characters");
				return -1;
			}
	}
	if (type != NULL && strcmp(type, "classic") != 0 &&
	    strcmp(type, "quorum") != 0) {
		snprintf(err, errlen, "RPC_QUEUE_TYPE must be classic or quorum");
		return -1;
	}
	return 0;
}

const char *
rpc_queue_options(const struct rpc_queue_config *cfg,
    struct mq_queue_options *o)
{
	memset(o, 0, sizeof(*o));
	if (cfg->type != NULL && strcmp(cfg->type, "quorum") == 0) {
		o->durable = 1;		/* RabbitMQ requires it of quorum */
		o->queue_type = "quorum";
	}
	/* classic: no arguments, non-durable, exactly like the book. */
	return cfg->name != NULL ? cfg->name : RPC_QUEUE_DEFAULT;
}

int
rpc_request_parse(const void *body, size_t len, json_t **root,
    const char **action, json_t **data, char *err, size_t errlen)
{
	if (len > RPC_MAX_BODY) {
		snprintf(err, errlen, "request larger than %d bytes",
		    RPC_MAX_BODY);
		return -1;
	}
	if ((*root = jsonx_parse_object(body, len, err, errlen)) == NULL)
		return -1;
	if (jsonx_get_string(*root, "action", RPC_ACTION_MAX, action, err,
	    errlen) == -1)
		goto fail;
	*data = json_object_get(*root, "data");
	if (*data == NULL) {
		snprintf(err, errlen, "missing field 'data'");
		goto fail;
	}
	if (!json_is_object(*data)) {
		snprintf(err, errlen, "field 'data' must be an object");
		goto fail;
	}
	return 0;
fail:
	json_decref(*root);
	*root = NULL;
	return -1;
}

char *
rpc_request_encode(const char *action, json_t *data)
{
	json_t	*req;
	char	*body;

	req = json_pack("{ssso}", "action", action, "data",
	    data != NULL ? json_incref(data) : json_object());
	body = jsonx_dump(req);
	json_decref(req);
	return body;
}
