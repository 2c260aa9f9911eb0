/* fe_config.c — environment variables of the front end. */
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fe_config.h"
#include "log.h"
#include "pbkdf2.h"

static unsigned
fe_config_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

static const char *
fe_config_secret(void)
{
	const char *s = config_str("SESSION_SECRET", NULL);

	if (s == NULL)
		fatalx("config missing: SESSION_SECRET must be set to at least "
		    "%d random characters, the same on every front-end "
		    "replica (e.g. openssl rand -hex 32)", FE_SECRET_MIN);
	if (strlen(s) < FE_SECRET_MIN)
		fatalx("config invalid: SESSION_SECRET must be at least %d "
		    "characters long", FE_SECRET_MIN);
	return s;
}

static void
fe_config_rpc_queue(struct rpc_queue_config *q)
{
	char err[128];

	q->name = config_str("RPC_QUEUE", RPC_QUEUE_DEFAULT);
	q->type = config_str("RPC_QUEUE_TYPE", "classic");
	if (rpc_queue_config_check(q, err, sizeof(err)) == -1)
		fatalx("config invalid: %s", err);
}

void
fe_config_load(struct fe_config *c)
{
	unsigned cores = fe_config_cores();

	memset(c, 0, sizeof(*c));
	c->port = (unsigned)config_long_or_die("PORT", 8080, 1, 65535);
	if ((c->amqp_url = config_str("AMQP_URL", NULL)) == NULL)
		fatalx("config missing: AMQP_URL must be set (see --help)");
	fe_config_rpc_queue(&c->rpc_queue);
	c->session_secret = fe_config_secret();
	c->cookie_secure = config_bool_or_die("COOKIE_SECURE", 0);
	c->rpc_timeout_ms = (unsigned)config_long_or_die("RPC_TIMEOUT_MS",
	    3000, 100, 60000);
	c->http_threads = (unsigned)config_long_or_die("HTTP_THREADS", cores,
	    1, 64);
	c->http_max_conn = (unsigned)config_long_or_die("HTTP_MAX_CONN", 1000,
	    1, 100000);
	c->http_max_conn_per_ip = (unsigned)config_long_or_die(
	    "HTTP_MAX_CONN_PER_IP", 64, 0, 100000);
	c->http_timeout_s = (unsigned)config_long_or_die("HTTP_TIMEOUT_S", 30,
	    1, 3600);
	c->hash_threads = (unsigned)config_long_or_die("HASH_THREADS", cores,
	    1, 64);
	c->hash_queue_max = (unsigned)config_long_or_die("HASH_QUEUE_MAX",
	    256, 1, 100000);
	c->argon2_iterations = (unsigned long long)config_long_or_die(
	    "ARGON2_ITERATIONS", 2, 2, 100);
	c->argon2_memory = (size_t)config_long_or_die("ARGON2_MEMORY_KIB",
	    19456, 19456, 4194304) * 1024;
	c->legacy_pbkdf2_iterations = (unsigned long)config_long_or_die(
	    "LEGACY_PBKDF2_ITERATIONS", (long)PBKDF2_REF_ITERATIONS, 0,
	    (long)PBKDF2_MAX_ITERATIONS);
	c->session_idle_s = config_long_or_die("SESSION_IDLE_TIMEOUT_S", 1800,
	    1, 30L * 86400);
	c->session_absolute_s = config_long_or_die(
	    "SESSION_ABSOLUTE_TIMEOUT_S", 43200, 1, 365L * 86400);
	c->login_account_max = config_long_or_die("LOGIN_ACCOUNT_MAX_FAILURES",
	    5, 0, 1000000);
	c->login_account_window_s = config_long_or_die(
	    "LOGIN_ACCOUNT_WINDOW_S", 900, 1, 86400);
	c->login_ip_max = config_long_or_die("LOGIN_IP_MAX_FAILURES", 100, 0,
	    1000000);
	c->login_ip_window_s = config_long_or_die("LOGIN_IP_WINDOW_S", 3600, 1,
	    86400);
}
