/*
 * front-end — the register / log-in web site (SPEC §3.1).
 *
 * Threads: libmicrohttpd's pool answers HTTP and never blocks; one RPC
 * client thread owns the RabbitMQ connection; HASH_THREADS workers run
 * Argon2id.  A request that needs either suspends its connection and is
 * resumed by the callback (docs/frontend.md).  The main thread only waits
 * for a signal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "denylist.h"
#include "frontend.h"
#include "hasher.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "rpc_client.h"
#include "signals.h"

static const char usage[] =
"usage: front-end [--help | --version | --healthcheck]\n"
"\n"
"The Parley web site: register, log in, log out, a members' page; also\n"
"/healthz, /readyz (RabbitMQ reachable) and /metrics on the same port.\n"
"Settings (environment; docs/frontend.md has the details):\n"
"  PORT                        HTTP port (default 8080)\n"
"  AMQP_URL                    RabbitMQ URI (required)\n"
"  SESSION_SECRET              >= 32 characters, same on every replica\n"
"                              (required)\n"
"  COOKIE_SECURE               1: Secure + __Host- cookies, HSTS (default 0)\n"
"  RPC_TIMEOUT_MS              back-end answer deadline (default 3000)\n"
"  RPC_QUEUE                   back end's queue (default request)\n"
"  RPC_QUEUE_TYPE              classic (default, non-durable) | quorum\n"
"  HTTP_THREADS                event threads (default: cores)\n"
"  HTTP_MAX_CONN               connections (default 1000)\n"
"  HTTP_MAX_CONN_PER_IP        per client address, 0 = unlimited (default 64)\n"
"  HTTP_TIMEOUT_S              idle connection timeout (default 30)\n"
"  HASH_THREADS                concurrent Argon2id hashes (default: cores)\n"
"  HASH_QUEUE_MAX              waiting hashes before 503 (default 256)\n"
"  ARGON2_MEMORY_KIB           Argon2id memory (default 19456, minimum)\n"
"  ARGON2_ITERATIONS           Argon2id passes (default 2, minimum)\n"
"  LEGACY_PBKDF2_ITERATIONS    rounds of the textbook's werkzeug hashes every\n"
"                              failed log-in costs (default 260000, 0 = off)\n"
"  SESSION_IDLE_TIMEOUT_S      (default 1800)\n"
"  SESSION_ABSOLUTE_TIMEOUT_S  (default 43200)\n"
"  LOGIN_ACCOUNT_MAX_FAILURES  per account per window, 0 = off (default 5)\n"
"  LOGIN_ACCOUNT_WINDOW_S      (default 900)\n"
"  LOGIN_IP_MAX_FAILURES       per client address, 0 = off (default 100)\n"
"  LOGIN_IP_WINDOW_S           (default 3600)\n"
"  AMQP_HEARTBEAT              seconds (default 10)   LOG_LEVEL debug|info|warn\n";

static void
frontend_metrics(struct frontend *fe)
{
	const char *help = "Log-in attempts by result";

	fe->logins_ok = metrics_counter("parley_logins_total",
	    "result=\"ok\"", help);
	fe->logins_failed = metrics_counter("parley_logins_total",
	    "result=\"failed\"", help);
	fe->logins_throttled = metrics_counter("parley_logins_total",
	    "result=\"throttled\"", help);
	fe->registrations = metrics_counter("parley_registrations_total", "",
	    "Accounts created");
}

static void
frontend_start(struct frontend *fe)
{
	struct fe_config	*cfg = &fe->cfg;
	char			 err[256];

	fe_config_load(cfg);
	session_keys_init(&fe->keys, cfg->session_secret);
	denylist_init();
	frontend_metrics(fe);
	if ((fe->hasher = hasher_start(cfg->hash_threads,
	    cfg->argon2_iterations, cfg->argon2_memory,
	    cfg->legacy_pbkdf2_iterations, cfg->hash_queue_max,
	    err, sizeof(err))) == NULL)
		fatalx("config invalid: %s", err);
	if ((fe->rpc = rpc_client_start("rpc", cfg->amqp_url, &cfg->rpc_queue,
	    err,
	    sizeof(err))) == NULL)
		fatalx("config invalid: %s", err);
	if ((fe->http = http_start(fe, err, sizeof(err))) == NULL)
		fatalx("%s", err);
}

int
main(int argc, char **argv)
{
	struct frontend	fe;
	int		sig;

	cli_common(argc, argv, usage, "PORT", 8080);
	if (argc > 1) {
		fputs(usage, stderr);
		return 2;
	}
	log_init("front-end");
	if (sodium_init() == -1)
		fatalx("libsodium initialisation failed");

	signals_block();

	memset(&fe, 0, sizeof(fe));
	frontend_start(&fe);
	log_info("started version=%s port=%u http_threads=%u hash_threads=%u "
	    "argon2_memory_kib=%zu argon2_iterations=%llu cookie_secure=%d "
	    "common_passwords=%zu", PARLEY_VERSION, fe.cfg.port,
	    fe.cfg.http_threads, fe.cfg.hash_threads,
	    fe.cfg.argon2_memory / 1024, fe.cfg.argon2_iterations,
	    fe.cfg.cookie_secure, denylist_size());

	sig = signals_wait();
	log_info("stopping signal=%d", sig);
	/* Requests in flight finish first: they need the RPC client. */
	http_stop(fe.http, fe.cfg.rpc_timeout_ms + 5000);
	rpc_client_stop(fe.rpc);
	hasher_stop(fe.hasher);
	log_info("stopped");
	return 0;
}
