/*
 * rpc-call — make RPC calls through lib/rpc_client.c, one after another,
 * and print one line per call: "ok <reply JSON>", "timeout" or
 * "unavailable".  Used by test_rpc_client.py; handy for poking a live
 * system too:  AMQP_URL=... rpc-call 3000 GETHASH '{"email":"a@b.c"}'
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "jsonx.h"
#include "log.h"
#include "rpc.h"
#include "mq.h"
#include "rpc_client.h"

int	main(int, char **);
int	__real_mq_publish(struct mq *, const struct mq_publish *);
int	__wrap_mq_publish(struct mq *, const struct mq_publish *);

int
__wrap_mq_publish(struct mq *mq, const struct mq_publish *pub)
{
	static long	delay_ms = -1;
	struct timespec	ts;

	if (delay_ms == -1)
		delay_ms = config_long_or_die("RPC_CALL_PUBLISH_DELAY_MS", 0, 0,
		    10000);
	if (delay_ms > 0) {
		ts.tv_sec = delay_ms / 1000;
		ts.tv_nsec = (delay_ms % 1000) * 1000 * 1000;
		nanosleep(&ts, NULL);
	}
	return __real_mq_publish(mq, pub);
}

/* Wait up to ms for the link, so a call means something. */
static void
wait_ready(struct rpc_client *c, unsigned ms)
{
	uint64_t deadline = clock_now_ms() + ms;

	while (!rpc_client_ready(c) && clock_now_ms() < deadline) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

int
main(int argc, char **argv)
{
	struct rpc_client	*c;
	struct rpc_queue_config	 queue;
	enum rpc_status		 status;
	json_t			*data, *reply;
	unsigned		 timeout;
	char			 err[256], *s;
	int			 i;

	if (argc < 4 || argc % 2 != 0) {
		fprintf(stderr, "usage: rpc-call TIMEOUT_MS ACTION DATA_JSON "
		    "[ACTION DATA_JSON ...]\n");
		return 2;
	}
	log_init("rpc-call", getenv("LOG_LEVEL"));
	timeout = (unsigned)strtoul(argv[1], NULL, 10);
	queue.name = config_str("RPC_QUEUE", RPC_QUEUE_DEFAULT);
	queue.type = config_str("RPC_QUEUE_TYPE", "classic");
	if ((c = rpc_client_start("rpc-call", config_str("AMQP_URL", ""),
	    &queue, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	wait_ready(c, (unsigned)config_long_or_die("RPC_CALL_CONNECT_MS",
	    5000, 0, 60000));
	for (i = 2; i + 1 < argc; i += 2) {
		if ((data = jsonx_parse_object(argv[i + 1], strlen(argv[i + 1]),
		    err, sizeof(err))) == NULL)
			fatalx("bad DATA_JSON: %s", err);
		reply = rpc_call_wait(c, argv[i], data, timeout, &status);
		if (status == RPC_OK) {
			s = jsonx_dump(reply);
			printf("ok %s\n", s);
			free(s);
		} else
			printf("%s\n", rpc_status_name(status));
		fflush(stdout);
		json_decref(reply);
		json_decref(data);
	}
	rpc_client_stop(c);
	return 0;
}
