/*
 * rpc-echo — the reference for the RPC benchmark: consumes RPC_QUEUE like
 * the back end and answers GETHASH at once, without PostgreSQL, so the
 * difference to the real back end is the database's share of a call.
 */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"
#include "rpc.h"
#include "rpc_server.h"
#include "signals.h"

int	main(void);

static json_t *
echo_handle(const char *action, json_t *data, const struct rpc_origin *o,
    void *arg)
{
	(void)action;
	(void)data;
	(void)o;
	(void)arg;
	return json_pack("{sbss}", "success", 1, "hash",
	    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo");
}

int
main(void)
{
	const struct rpc_server_handlers h = { echo_handle, NULL };
	struct rpc_queue_config	 queue;
	struct rpc_server	*srv[16];
	const char		*url;
	long			 workers, i;
	char			 err[128];

	log_init("rpc-echo", getenv("LOG_LEVEL"));
	if ((url = config_str("AMQP_URL", NULL)) == NULL)
		fatalx("AMQP_URL must be set");
	workers = config_long_or_die("BACKEND_WORKERS", 2, 1, 16);
	queue.name = config_str("RPC_QUEUE", RPC_QUEUE_DEFAULT);
	queue.type = config_str("RPC_QUEUE_TYPE", "classic");
	signals_block();
	for (i = 0; i < workers; i++)
		if ((srv[i] = rpc_server_start("echo", url, &queue, 16, NULL,
		    0, &h, NULL, err, sizeof(err))) == NULL)
			fatalx("%s", err);
	signals_wait();
	for (i = 0; i < workers; i++)
		rpc_server_stop(srv[i]);
	return 0;
}
