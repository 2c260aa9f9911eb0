/*
 * front-end — the register / log-in web site (docs/frontend.md).
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

#include "admin_http.h"
#include "auth.h"
#include "cli.h"
#include "denylist.h"
#include "frontend.h"
#include "hasher.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "mq.h"
#include "page_account.h"
#include "page_chat.h"
#include "rpc_client.h"
#include "signals.h"
#include "site.h"

/* What the site serves: one line per route (http.h has the flags). */
static const struct route frontend_routes[] = {
	{ "GET",  "/",			site_home,	ROUTE_SESSION | ROUTE_PAGE },
	{ "GET",  "/secret",		site_secret,	ROUTE_SESSION | ROUTE_PAGE },
	{ "GET",  "/login",		site_login_form, ROUTE_SESSION | ROUTE_PAGE },
	{ "POST", "/login",		auth_login,	ROUTE_SESSION | ROUTE_FORM | ROUTE_PAGE },
	{ "GET",  "/register",		site_register_form, ROUTE_SESSION | ROUTE_PAGE },
	{ "POST", "/register",		auth_register,	ROUTE_SESSION | ROUTE_FORM | ROUTE_PAGE },
	{ "POST", "/logout",		auth_logout,	ROUTE_SESSION | ROUTE_FORM | ROUTE_PAGE },
	{ "GET",  "/account",		page_account,	ROUTE_SESSION | ROUTE_PAGE },
	{ "POST", "/account/password",	page_account_password, ROUTE_SESSION | ROUTE_FORM | ROUTE_PAGE },
	{ "POST", "/account/sessions/revoke", page_account_revoke, ROUTE_SESSION | ROUTE_FORM | ROUTE_PAGE },
	{ "POST", "/account/sessions/revoke-others", page_account_revoke_others, ROUTE_SESSION | ROUTE_FORM | ROUTE_PAGE },
	{ "POST", "/account/tokens",	page_account_token_create, ROUTE_SESSION | ROUTE_FORM | ROUTE_PAGE },
	{ "POST", "/account/tokens/revoke", page_account_token_revoke, ROUTE_SESSION | ROUTE_FORM | ROUTE_PAGE },
	{ "GET",  "/account/delete",	page_account_delete_form, ROUTE_SESSION | ROUTE_PAGE },
	{ "POST", "/account/delete",	page_account_delete, ROUTE_SESSION | ROUTE_FORM | ROUTE_PAGE },
	{ "GET",  "/recover",		page_recover_form, ROUTE_SESSION | ROUTE_PAGE },
	{ "POST", "/recover",		page_recover,	ROUTE_SESSION | ROUTE_FORM | ROUTE_PAGE },
	{ "GET",  "/chat",		page_chat,	ROUTE_SESSION | ROUTE_PAGE },
	{ "POST", "/chat/name",		page_chat_name,	ROUTE_SESSION | ROUTE_FORM | ROUTE_PAGE },
	{ "POST", "/chat/ticket",	page_chat_ticket, ROUTE_SESSION | ROUTE_FORM },
	{ "GET",  "/static/chat.js",	page_chat_js,	0 },
	{ "GET",  "/static/chat.css",	page_chat_css,	0 },
	{ "GET",  "/static/style.css",	site_style,	0 },
	{ "GET",  "/favicon.svg",	site_icon,	0 },
	{ "GET",  "/favicon.ico",	site_icon,	0 },
	{ "GET",  "/healthz",		site_healthz,	0 },
	{ "GET",  "/readyz",		site_readyz,	0 },
};

static const struct http_site frontend_site = {
	frontend_routes, sizeof(frontend_routes) / sizeof(frontend_routes[0]),
	site_error
};

static const char usage[] =
"usage: front-end [--help | --version | --healthcheck]\n"
"\n"
"The Parley web site: register, log in, log out, a members' page; also\n"
"/healthz and /readyz (RabbitMQ reachable) on the same port; /metrics only\n"
"on ADMIN_PORT (docs/frontend.md has the details).\n";

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
	fe->registrations_throttled = metrics_counter(
	    "parley_registrations_throttled_total", "",
	    "Registrations refused by the registration throttle (429)");
}

static int
frontend_ready(void *arg)
{
	struct frontend *fe = arg;

	return rpc_client_ready(fe->rpc);
}

static void
frontend_start(struct frontend *fe)
{
	struct fe_config	*cfg = &fe->cfg;
	char			 err[256];

	session_keys_init(&fe->keys, cfg->session_secret);
	denylist_init();
	frontend_metrics(fe);
	if ((fe->hasher = hasher_start(cfg->hash_threads,
	    cfg->argon2_iterations, (size_t)cfg->argon2_memory_kib * 1024,
	    cfg->legacy_pbkdf2_iterations,
	    cfg->hash_queue_max, err, sizeof(err))) == NULL)
		fatalx("config invalid: %s", err);
	if ((fe->rpc = rpc_client_start("rpc", cfg->amqp_url, &cfg->rpc_queue,
	    err, sizeof(err))) == NULL)
		fatalx("config invalid: %s", err);
	if ((fe->admin = admin_http_start(cfg->admin_port, frontend_ready, fe,
	    err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if ((fe->http = http_start(fe, &frontend_site, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
}

int
main(int argc, char **argv)
{
	struct frontend	fe;
	int		sig;

	cli_common(argc, argv, usage, fe_settings, fe_nsettings, "PORT");
	if (argc > 1) {
		fputs(usage, stderr);
		return 2;
	}
	log_init("front-end", NULL);
	if (sodium_init() == -1)
		fatalx("libsodium initialisation failed");

	signals_block();

	memset(&fe, 0, sizeof(fe));
	fe_config_load(&fe.cfg);
	log_init("front-end", fe.cfg.log_level);
	mq_set_heartbeat(fe.cfg.amqp_heartbeat);
	frontend_start(&fe);
	log_info("started version=%s port=%u admin_port=%u http_threads=%u hash_threads=%u "
	    "argon2_memory_kib=%u argon2_iterations=%u cookie_secure=%d "
	    "common_passwords=%zu", PARLEY_VERSION, fe.cfg.port, fe.cfg.admin_port,
	    fe.cfg.http_threads, fe.cfg.hash_threads,
	    fe.cfg.argon2_memory_kib, fe.cfg.argon2_iterations,
	    fe.cfg.cookie_secure, denylist_size());

	sig = signals_wait();
	log_info("stopping signal=%d", sig);
	/* Requests in flight finish first: they need the RPC client. */
	http_stop(fe.http, fe.cfg.rpc_timeout_ms + 5000);
	admin_http_stop(fe.admin);
	rpc_client_stop(fe.rpc);
	hasher_stop(fe.hasher);
	log_info("stopped");
	return 0;
}
