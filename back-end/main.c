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

#include <sodium.h>

#include "action.h"
#include "admin_http.h"
#include "cli.h"
#include "config.h"
#include "db.h"
#include "events.h"
#include "history_limits.h"
#include "name_rekey.h"
#include "log.h"
#include "mq.h"
#include "recovery.h"
#include "rpc.h"
#include "rpc_server.h"
#include "signals.h"
#include "xmalloc.h"

#define MAX_WORKERS	16

static const char usage[] =
"usage: back-end [--help | --version | --healthcheck]\n"
"       back-end --recovery-link EMAIL\n"
"\n"
"Consumes account requests from a RabbitMQ queue (RPC_QUEUE) and chat\n"
"servers' requests from 'chat-request', and answers them from PostgreSQL\n"
"(docs/backend.md has the details).\n"
"\n"
"--recovery-link EMAIL prints a one-time link (valid 1 hour) that lets its\n"
"holder set a new password for the account; it needs only DATABASE_URL,\n"
"and PUBLIC_URL starts the link.\n";

struct be_settings {
	const char	*amqp_url;
	struct rpc_queue_config rpc_queue;
	const char	*rw_url;
	const char	*read_url;
	long		 workers;
	long		 prefetch;
	unsigned	 admin_port;
	const char	*front_user;
	const char	*chat_user;
	const char	*public_url;
	struct history_limits history;
	unsigned	 amqp_heartbeat;
	const char	*log_level;
};

#define BE(field)	struct be_settings, field

static const struct config_setting be_table[] = {
	{ "AMQP_URL", CONFIG_STR(BE(amqp_url)), 0, 0, 0, NULL, CONFIG_REQUIRED,
	    "RabbitMQ URI amqp://user:pass@host:5672[/vhost]" },
	CONFIG_ROW_RPC_QUEUE(BE(rpc_queue.name)),
	CONFIG_ROW_RPC_QUEUE_TYPE(BE(rpc_queue.type)),
	{ "DATABASE_URL", CONFIG_STR(BE(rw_url)), 0, 0, 0, NULL,
	    CONFIG_REQUIRED, "libpq URI or conninfo of the read-write database" },
	{ "DATABASE_READ_URL", CONFIG_STR(BE(read_url)), 0, 0, 0,
	    "DATABASE_URL", CONFIG_DERIVED, "read replicas (pure reads)" },
	{ "BACKEND_WORKERS", CONFIG_LONG(BE(workers)), 2, 1, MAX_WORKERS, NULL,
	    0, "RabbitMQ consumers, each with its own database connections" },
	{ "BACKEND_PREFETCH", CONFIG_LONG(BE(prefetch)), 16, 1, 1000, NULL, 0,
	    "unacknowledged requests per worker" },
	{ "ADMIN_PORT", CONFIG_UINT(BE(admin_port)), 8081, 1, 65535, NULL, 0,
	    "/healthz, /readyz, /metrics" },
	{ "AMQP_FRONT_USER", CONFIG_STR(BE(front_user)), 0, 0, 0,
	    "parley-front", 0, "RabbitMQ user of the front end (and the "
	    "textbook's): the only one answered on RPC_QUEUE" },
	{ "AMQP_CHAT_USER", CONFIG_STR(BE(chat_user)), 0, 0, 0, "parley-chat",
	    0, "RabbitMQ user of chat servers: the only one answered on "
	    "chat-request" },
	{ "PUBLIC_URL", CONFIG_STR(BE(public_url)), 0, 0, 0,
	    "http://localhost:8080", 0,
	    "the web site's address, at the start of recovery links" },
	{ "CHAT_HISTORY_KEEP", CONFIG_LONG(BE(history.keep)), 1000, 1, 1000000,
	    NULL, 0, "chat messages kept per room" },
	{ "CHAT_HISTORY_ROOMS", CONFIG_LONG(BE(history.rooms)), 1000, 0,
	    10000000, NULL, 0, "rooms whose history is kept, 0 = no cap" },
	{ "CHAT_HISTORY_IDLE_S", CONFIG_LONG(BE(history.idle_s)), 30L * 86400,
	    0, 10L * 366 * 86400, NULL, 0,
	    "an idle room's history expires after this long, 0 = never" },
	CONFIG_ROW_AMQP_HEARTBEAT(BE(amqp_heartbeat)),
	CONFIG_ROW_LOG_LEVEL("info", BE(log_level)),
};

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
	history_limits_tick(w->db);
	name_rekey_tick(w->db);
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

static void
backend_start(struct backend *be, const struct be_settings *set)
{
	const struct rpc_server_handlers h = { backend_handle, backend_tick };
	/* Account actions on the RPC queue, chat actions on the chat queue. */
	const struct rpc_server_queue queues[] = {
		{ set->rpc_queue.name, NULL },
		{ RPC_CHAT_QUEUE, RPC_CHAT_EXCHANGE },
	};
	const char	*read_url = set->read_url != NULL ? set->read_url :
	    set->rw_url;
	long		 i;
	char		 name[32], err[256];

	be->nworkers = set->workers;
	history_limits_init(&set->history);
	action_set_callers(set->front_user, set->chat_user);
	for (i = 0; i < be->nworkers; i++) {
		struct worker *w = &be->workers[i];

		snprintf(name, sizeof(name), "worker%ld", i);
		w->db = db_open(name, set->rw_url, read_url);
		w->rpc = rpc_server_start(name, set->amqp_url, &set->rpc_queue,
		    (unsigned)set->prefetch, queues,
		    sizeof(queues) / sizeof(queues[0]), &h, w, err, sizeof(err));
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
	struct be_settings	 set;
	struct admin_http	*admin;
	int			 sig;
	char			 err[256];

	cli_common(argc, argv, usage, be_table, CONFIG_NSETTINGS(be_table),
	    "ADMIN_PORT");
	if (argc == 3 && strcmp(argv[1], "--recovery-link") == 0) {
		log_init("back-end", NULL);
		return recovery_link_main(config_str("DATABASE_URL", NULL),
		    config_str("PUBLIC_URL", config_find(be_table,
		    CONFIG_NSETTINGS(be_table), "PUBLIC_URL")->def_str), argv[2]);
	}
	if (argc > 1) {
		fputs(usage, stderr);
		return 2;
	}
	log_init("back-end", NULL);

	signals_block();

	memset(&be, 0, sizeof(be));
	memset(&set, 0, sizeof(set));
	config_load(be_table, CONFIG_NSETTINGS(be_table), &set);
	if (rpc_queue_config_check(&set.rpc_queue, err, sizeof(err)) == -1)
		fatalx("config invalid: %s", err);
	log_init("back-end", set.log_level);
	mq_set_heartbeat(set.amqp_heartbeat);
	if (sodium_init() == -1)
		fatalx("libsodium cannot start");
	if (events_start(set.amqp_url, err, sizeof(err)) == -1)
		fatalx("config invalid: %s", err);
	backend_start(&be, &set);
	if ((admin = admin_http_start(set.admin_port, backend_ready, &be,
	    err, sizeof(err))) == NULL)
		fatalx("%s", err);
	log_info("started version=%s workers=%ld admin_port=%u",
	    PARLEY_VERSION, be.nworkers, set.admin_port);

	sig = signals_wait();
	log_info("stopping signal=%d", sig);
	admin_http_stop(admin);
	backend_stop(&be);
	events_stop();
	log_info("stopped");
	return 0;
}
