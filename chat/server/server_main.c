/*
 * chat-server — the lab's chat room (docs/chat.md), on libevent, with rooms,
 * commands and limits; replicas form one chat through RabbitMQ, and names
 * and history live in the back end.  See docs/chat.md.
 *
 * Threads: the event loop (everything about clients), the AMQP thread of
 * the cluster link, the RPC thread of the store, and libmicrohttpd's admin
 * thread.  The loop owns the signals.
 */
#include <sys/resource.h>

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "admin_http.h"
#include "cli.h"
#include "clock.h"
#include "acctevents.h"
#include "cluster.h"
#include "conn.h"
#include "hub.h"
#include "inbox.h"
#include "listener.h"
#include "log.h"
#include "mq.h"
#include "room.h"
#include "settings.h"
#include "store.h"

static const char usage[] =
"usage: chat-server PORT | --help | --version | --healthcheck\n"
"\n"
"The Parley chat room on PORT (all IPv4 and IPv6 addresses); the lab's\n"
"framed JSON protocol, or plain text lines (telnet, nc), and WebSocket on\n"
"CHAT_WS_PORT; 0 = unlimited\n"
"or off for the settings below.\n";

struct server {
	struct event_base	*base;
	struct event		*sig_term, *sig_int, *sig_hup, *drain_ev;
	struct admin_http	*admin;
	uint64_t		 drain_deadline_ms;
};

static atomic_int	 server_draining;

/* Runs on the admin HTTP thread: only atomics behind these. */
static int
server_ready(void *arg)
{
	(void)arg;
	return !atomic_load(&server_draining) && cluster_ready() &&
	    store_ready();
}

static void
server_drain_check(evutil_socket_t fd, short what, void *arg)
{
	struct server *sv = arg;

	(void)fd;
	(void)what;
	if (conn_count() == 0 || clock_now_ms() >= sv->drain_deadline_ms) {
		log_info("chat drained connections_left=%zu", conn_count());
		event_base_loopbreak(sv->base);
	}
}

static void
server_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server	*sv = arg;
	struct timeval	 tick = { 0, 100 * 1000 };

	(void)what;
	if (sig == SIGHUP) {
		log_info("SIGHUP ignored: settings are read at start");
		return;
	}
	if (atomic_exchange(&server_draining, 1)) {
		log_info("chat second signal, stopping now");
		event_base_loopbreak(sv->base);
		return;
	}
	log_info("chat draining signal=%d connections=%zu timeout_s=%u",
	    (int)sig, conn_count(), settings.drain_timeout_s);
	listener_stop();
	conn_draining();
	hub_drain();
	cluster_bye();
	sv->drain_deadline_ms = clock_now_ms() +
	    settings.drain_timeout_s * 1000ull;
	sv->drain_ev = event_new(sv->base, -1, EV_PERSIST, server_drain_check,
	    sv);
	event_add(sv->drain_ev, &tick);
}

/* One descriptor per client: take all the hard limit allows. */
static void
server_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit NOFILE");
	}
}

static unsigned
server_port(const char *arg)
{
	char	*end;
	long	 port = strtol(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || port < 1 || port > 65535) {
		fputs(usage, stderr);
		exit(2);
	}
	return (unsigned)port;
}

static void
server_start(struct server *sv, const char *replica)
{
	char err[256];

	if ((sv->base = event_base_new()) == NULL ||
	    event_base_priority_init(sv->base, 3) == -1)
		fatalx("event_base_new failed");
	inbox_init(sv->base);
	conn_init(sv->base, hub_conn_handlers());
	hub_init(sv->base, replica);
	if (store_start(sv->base, replica, hub_store_handlers(), err,
	    sizeof(err)) == -1 ||
	    cluster_start(sv->base, settings.amqp_url, replica,
	    hub_cluster_handlers(), err, sizeof(err)) == -1 ||
	    (settings.store_backend && acctevents_start(settings.amqp_url,
	    replica, err, sizeof(err)) == -1))
		fatalx("config invalid: %s", err);
	if (listener_start(sv->base, settings.port, 0) == -1)
		fatal("cannot listen on port %u", settings.port);
	if (settings.ws_port != 0 &&
	    listener_start(sv->base, settings.ws_port, 1) == -1)
		fatal("cannot listen on CHAT_WS_PORT %u", settings.ws_port);
	if ((sv->admin = admin_http_start(settings.admin_port, server_ready,
	    NULL, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	sv->sig_term = evsignal_new(sv->base, SIGTERM, server_signal, sv);
	sv->sig_int = evsignal_new(sv->base, SIGINT, server_signal, sv);
	sv->sig_hup = evsignal_new(sv->base, SIGHUP, server_signal, sv);
	event_add(sv->sig_term, NULL);
	event_add(sv->sig_int, NULL);
	event_add(sv->sig_hup, NULL);
}

static void
server_stop(struct server *sv)
{
	listener_stop();
	/* Events still queued for the loop close their connections now. */
	acctevents_stop();
	inbox_run();
	conn_shutdown();
	hub_stop();
	cluster_stop();
	store_stop();
	admin_http_stop(sv->admin);
	if (sv->drain_ev != NULL)
		event_free(sv->drain_ev);
	event_free(sv->sig_hup);
	event_free(sv->sig_int);
	event_free(sv->sig_term);
	inbox_fini();
	room_free_all();
	event_base_free(sv->base);
}

int
main(int argc, char **argv)
{
	struct server	sv;
	char		replica[32];

	cli_common(argc, argv, usage, settings_table, settings_ntable,
	    "ADMIN_PORT");
	if (argc != 2) {
		fputs(usage, stderr);
		return 2;
	}
	log_init("chat-server", NULL);
	signal(SIGPIPE, SIG_IGN);
	server_raise_nofile();
	settings_load(server_port(argv[1]));
	log_init("chat-server", settings.log_level);
	mq_set_heartbeat(settings.amqp_heartbeat);
	snprintf(replica, sizeof(replica), "%08x%08x", arc4random(),
	    arc4random());
	memset(&sv, 0, sizeof(sv));
	server_start(&sv, replica);
	log_info("started version=%s port=%u ws_port=%u admin_port=%u "
	    "replica=%s cluster=%s store=%s", PARLEY_VERSION, settings.port,
	    settings.ws_port, settings.admin_port, replica, settings.amqp_url ? "rabbitmq" :
	    "standalone", settings.store_backend ? "backend" : "memory");
	event_base_dispatch(sv.base);
	log_info("stopping");
	server_stop(&sv);
	log_info("stopped");
	return 0;
}
