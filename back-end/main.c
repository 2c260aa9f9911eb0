/*
 * back-end — answers account RPCs from RabbitMQ with PostgreSQL.
 *
 * Each worker is one RabbitMQ connection (rpc_server, with its own thread)
 * and one pair of database connections used only from that thread.  The
 * main thread just waits for a signal, then stops the workers: each
 * finishes the request in hand and unacknowledged prefetched requests go
 * back to the queue for another replica.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "admin_http.h"
#include "cli.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "rpc.h"
#include "rpc_server.h"
#include "signals.h"
#include "xmalloc.h"

#define MAX_WORKERS	16

static const char usage[] =
"usage: back-end [--help | --version | --healthcheck]\n"
"\n"
"Consumes account requests from the RabbitMQ queue 'requests' and chat\n"
"servers' requests from 'chat-request', and answers them from PostgreSQL.\n"
"Settings (environment):\n"
"  AMQP_URL           RabbitMQ URI (required)\n"
"  DATABASE_URL       libpq URI of the read-write database (required)\n"
"  DATABASE_READ_URL  read replicas (default: DATABASE_URL)\n"
"  BACKEND_WORKERS    connections consuming in parallel (default 2)\n"
"  BACKEND_PREFETCH   unacknowledged requests per worker (default 16)\n"
"  ADMIN_PORT         /healthz /readyz /metrics port (default 8081)\n"
"  AMQP_FRONT_USER    RabbitMQ user of the front end (default parley-front)\n"
"  AMQP_CHAT_USER     RabbitMQ user of chat servers (default parley-chat)\n"
"  AMQP_HEARTBEAT     seconds (default 10)   LOG_LEVEL  debug|info|warn\n";

struct worker {
	struct db		*db;
	struct rpc_server	*rpc;
};

struct backend {
	struct worker	workers[MAX_WORKERS];
	long		nworkers;
};

static json_t *
backend_handle(const char *action, json_t *data, const struct rpc_origin *o,
    void *arg)
{
	struct worker *w = arg;

	return action_dispatch(w->db, action, data, o);
}

static void
backend_tick(void *arg)
{
	struct worker *w = arg;

	db_maintain(w->db);
}

/* Ready when every worker has both RabbitMQ and the read-write database. */
static int
backend_ready(void *arg)
{
	struct backend	*be = arg;
	long		 i;

	for (i = 0; i < be->nworkers; i++)
		if (!rpc_server_ready(be->workers[i].rpc) ||
		    !db_ready(be->workers[i].db))
			return 0;
	return 1;
}

static const char *
require(const char *name)
{
	const char *value = config_str(name, NULL);

	if (value == NULL)
		fatalx("config missing: %s must be set (see --help)", name);
	return value;
}

static void
backend_start(struct backend *be)
{
	const struct rpc_server_handlers h = { backend_handle, backend_tick };
	/* Account actions on the first queue, chat actions on the second. */
	static const struct rpc_server_queue queues[] = {
		{ RPC_QUEUE, NULL },
		{ RPC_CHAT_QUEUE, RPC_CHAT_EXCHANGE },
	};
	const char	*amqp_url = require("AMQP_URL");
	const char	*rw_url = require("DATABASE_URL");
	const char	*read_url = config_str("DATABASE_READ_URL", rw_url);
	long		 prefetch, i;
	char		 name[32], err[256];

	be->nworkers = config_long_or_die("BACKEND_WORKERS", 2, 1, MAX_WORKERS);
	prefetch = config_long_or_die("BACKEND_PREFETCH", 16, 1, 1000);
	action_set_callers(config_str("AMQP_FRONT_USER", "parley-front"),
	    config_str("AMQP_CHAT_USER", "parley-chat"));
	for (i = 0; i < be->nworkers; i++) {
		struct worker *w = &be->workers[i];

		snprintf(name, sizeof(name), "worker%ld", i);
		w->db = db_open(name, rw_url, read_url);
		w->rpc = rpc_server_start(name, amqp_url, (unsigned)prefetch,
		    queues, sizeof(queues) / sizeof(queues[0]), &h, w, err,
		    sizeof(err));
		if (w->rpc == NULL)
			fatalx("config invalid: %s", err);
	}
}

static void
backend_stop(struct backend *be)
{
	long i;

	for (i = be->nworkers - 1; i >= 0; i--) {
		rpc_server_stop(be->workers[i].rpc);
		db_close(be->workers[i].db);
	}
}

int
main(int argc, char **argv)
{
	struct backend		 be;
	struct admin_http	*admin;
	long			 admin_port;
	int			 sig;
	char			 err[256];

	cli_common(argc, argv, usage, "ADMIN_PORT", 8081);
	if (argc > 1) {
		fputs(usage, stderr);
		return 2;
	}
	log_init("back-end");

	signals_block();

	memset(&be, 0, sizeof(be));
	admin_port = config_long_or_die("ADMIN_PORT", 8081, 1, 65535);
	backend_start(&be);
	if ((admin = admin_http_start((unsigned)admin_port, backend_ready, &be,
	    err, sizeof(err))) == NULL)
		fatalx("%s", err);
	log_info("started version=%s workers=%ld admin_port=%ld",
	    PARLEY_VERSION, be.nworkers, admin_port);

	sig = signals_wait();
	log_info("stopping signal=%d", sig);
	admin_http_stop(admin);
	backend_stop(&be);
	log_info("stopped");
	return 0;
}
