/*
 * rpc-bench — closed-loop RPC load: CALLERS threads each call GETHASH
 * (through lib/rpc_client, one shared connection, as the front end does)
 * for SECONDS and record every round trip.  Prints one table row:
 * callers, calls, calls/s, p50 and p99 in milliseconds, failures.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "rpc.h"
#include "rpc_client.h"
#include "xmalloc.h"

#define MAX_SAMPLES	2000000
#define WARM_CALLS	200
#define WARM_LIMIT_MS	30000

int	main(int, char **);

struct bench {
	struct rpc_client	*client;
	struct rpc_queue_config	 queue;
	const char		*email;
	uint64_t		 stop_us;
	pthread_mutex_t		 lock;
	uint32_t		*samples;	/* microseconds */
	size_t			 nsamples;
	unsigned long		 failures;
};

static void *
caller(void *arg)
{
	struct bench	*b = arg;
	json_t		*data = json_pack("{ss}", "email", b->email), *reply;
	enum rpc_status	 status;
	uint64_t	 t0, dt;
	int		 ok;

	while ((t0 = clock_now_us()) < b->stop_us) {
		reply = rpc_call_wait(b->client, "GETHASH", data, 5000,
		    &status);
		dt = clock_now_us() - t0;
		ok = status == RPC_OK &&
		    json_is_true(json_object_get(reply, "success"));
		json_decref(reply);
		pthread_mutex_lock(&b->lock);
		if (!ok)
			b->failures++;
		else if (b->nsamples < MAX_SAMPLES)
			b->samples[b->nsamples++] = (uint32_t)dt;
		pthread_mutex_unlock(&b->lock);
	}
	json_decref(data);
	return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
percentile_ms(struct bench *b, double p)
{
	size_t i;

	if (b->nsamples == 0)
		return 0;
	i = (size_t)(p * (double)(b->nsamples - 1));
	return b->samples[i] / 1000.0;
}

int
main(int argc, char **argv)
{
	struct bench	 b;
	pthread_t	 threads[256];
	enum rpc_status	 status;
	json_t		*warm, *data;
	long		 callers, seconds, i;
	uint64_t	 start, deadline;
	struct timespec	 pause = { 0, 10 * 1000 * 1000 };
	char		 err[128];
	int		 answered;

	if (argc != 4) {
		fprintf(stderr, "usage: rpc-bench LABEL CALLERS SECONDS "
		    "(AMQP_URL, BENCH_EMAIL in the environment)\n");
		return 2;
	}
	log_init("rpc-bench", getenv("LOG_LEVEL"));
	log_set_level(LOG_LEVEL_WARN);
	callers = strtol(argv[2], NULL, 10);
	seconds = strtol(argv[3], NULL, 10);
	if (callers < 1 || callers > 256 || seconds < 1)
		fatalx("bad CALLERS or SECONDS");
	memset(&b, 0, sizeof(b));
	b.email = config_str("BENCH_EMAIL", "bench@example.com");
	b.samples = xcalloc(MAX_SAMPLES, sizeof(*b.samples));
	pthread_mutex_init(&b.lock, NULL);
	b.queue.name = config_str("RPC_QUEUE", RPC_QUEUE_DEFAULT);
	b.queue.type = config_str("RPC_QUEUE_TYPE", "classic");
	if ((b.client = rpc_client_start("bench", config_str("AMQP_URL", ""),
	    &b.queue, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	/*
	 * Warm up: connection, prepared statements, caches.  Nothing is
	 * published before the link is up, and the link is up only once
	 * on_connect has declared the queue; then WARM_CALLS answers are
	 * needed, within a time limit rather than a count of attempts (an
	 * attempt while connecting fails in microseconds).
	 */
	deadline = clock_now_ms() + WARM_LIMIT_MS;
	while (!rpc_client_ready(b.client)) {
		if (clock_now_ms() > deadline)
			fatalx("not connected to RabbitMQ after %d ms",
			    WARM_LIMIT_MS);
		nanosleep(&pause, NULL);
	}
	data = json_pack("{ss}", "email", b.email);
	for (answered = 0; answered < WARM_CALLS;) {
		warm = rpc_call_wait(b.client, "GETHASH", data, 2000, &status);
		json_decref(warm);
		if (status == RPC_OK)
			answered++;
		else if (clock_now_ms() > deadline)
			fatalx("no answers during warm-up status=%s answered=%d",
			    rpc_status_name(status), answered);
		else
			nanosleep(&pause, NULL);
	}
	json_decref(data);
	start = clock_now_us();
	b.stop_us = start + (uint64_t)seconds * 1000000u;
	for (i = 0; i < callers; i++)
		pthread_create(&threads[i], NULL, caller, &b);
	for (i = 0; i < callers; i++)
		pthread_join(threads[i], NULL);
	qsort(b.samples, b.nsamples, sizeof(*b.samples), cmp_u32);
	printf("| %-24s | %7ld | %8zu | %9.0f | %7.3f | %7.3f | %8lu |\n",
	    argv[1], callers, b.nsamples,
	    b.nsamples / ((clock_now_us() - start) / 1e6),
	    percentile_ms(&b, 0.50), percentile_ms(&b, 0.99), b.failures);
	rpc_client_stop(b.client);
	free(b.samples);
	return 0;
}
