/* rpc.c — encoding and validation of RPC requests, shared by both ends. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "jsonx.h"
#include "log.h"
#include "mq.h"
#include "rpc.h"

#define RPC_ACTION_MAX	64

void
rpc_queue_options(struct mq_queue_options *o)
{
	const char *type = config_str("RPC_QUEUE_TYPE", "classic");

	memset(o, 0, sizeof(*o));
	o->durable = 1;
	if (strcmp(type, "quorum") == 0)
		o->queue_type = "quorum";
	else if (strcmp(type, "classic") != 0)
		fatalx("config invalid: RPC_QUEUE_TYPE must be classic or quorum");
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
