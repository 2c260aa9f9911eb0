/* fe_config.c — the front end's settings table (parsing and --help). */
#include <string.h>

#include "config.h"
#include "fe_config.h"
#include "log.h"
#include "pbkdf2.h"

#define FE(field)	struct fe_config, field

const struct config_setting fe_settings[] = {
	{ "PORT", CONFIG_UINT(FE(port)), 8080, 1, 65535, NULL, 0,
	    "HTTP port; also serves /healthz, /readyz" },
	{ "ADMIN_PORT", CONFIG_UINT(FE(admin_port)), 8083, 1, 65535, NULL, 0,
	    "/healthz, /readyz, /metrics (not for the public network)" },
	{ "AMQP_URL", CONFIG_STR(FE(amqp_url)), 0, 0, 0, NULL, CONFIG_REQUIRED,
	    "RabbitMQ URI amqp://user:pass@host:5672[/vhost]" },
	CONFIG_ROW_RPC_QUEUE(FE(rpc_queue.name)),
	CONFIG_ROW_RPC_QUEUE_TYPE(FE(rpc_queue.type)),
	{ "SESSION_SECRET", CONFIG_STR(FE(session_secret)), 0, 0, 0, NULL,
	    CONFIG_REQUIRED, ">= 32 random characters, the same on every "
	    "replica (openssl rand -hex 32)" },
	{ "COOKIE_SECURE", CONFIG_BOOL(FE(cookie_secure)), 0, 0, 1, NULL, 0,
	    "1: Secure + __Host- cookies and HSTS (behind HTTPS)" },
	{ "RPC_TIMEOUT_MS", CONFIG_UINT(FE(rpc_timeout_ms)), 3000, 100, 60000,
	    NULL, 0, "back end silent this long: a 503 page" },
	{ "HTTP_THREADS", CONFIG_UINT(FE(http_threads)), 0, 1, 64, NULL,
	    CONFIG_CORES, "libmicrohttpd event threads" },
	{ "HTTP_MAX_CONN", CONFIG_UINT(FE(http_max_conn)), 1000, 1, 100000,
	    NULL, 0, "open connections; a new one past it closes the one "
	    "that has waited longest for its client" },
	{ "HTTP_MAX_CONN_PER_IP", CONFIG_UINT(FE(http_max_conn_per_ip)), 64, 0,
	    100000, NULL, 0, "connections per client (IPv4 address, IPv6 prefix), 0 = unlimited" },
	{ "HTTP_TIMEOUT_S", CONFIG_UINT(FE(http_timeout_s)), 30, 1, 3600, NULL,
	    0, "idle connection timeout" },
	{ "HTTP_REQUEST_TIMEOUT_S", CONFIG_UINT(FE(http_request_timeout_s)), 10,
	    1, 3600, NULL, 0, "a request's whole header and body must arrive "
	    "within this, however slowly it trickles" },
	{ "HASH_THREADS", CONFIG_UINT(FE(hash_threads)), 0, 1, 64, NULL,
	    CONFIG_CORES, "concurrent Argon2id hashes" },
	{ "HASH_QUEUE_MAX", CONFIG_UINT(FE(hash_queue_max)), 256, 1, 100000,
	    NULL, 0, "hashes waiting before a 503" },
	{ "ARGON2_MEMORY_KIB", CONFIG_UINT(FE(argon2_memory_kib)), 19456,
	    19456, 4194304, NULL, 0, "Argon2id memory per hash" },
	{ "ARGON2_ITERATIONS", CONFIG_UINT(FE(argon2_iterations)), 2, 2, 100,
	    NULL, 0, "Argon2id passes" },
	{ "LEGACY_PBKDF2_ITERATIONS", CONFIG_UINT(FE(legacy_pbkdf2_iterations)),
	    (long)PBKDF2_REF_ITERATIONS, 0, (long)PBKDF2_MAX_ITERATIONS, NULL, 0,
	    "rounds of the textbook's werkzeug hashes every failed log-in "
	    "costs, 0 = off" },
	{ "SESSION_IDLE_TIMEOUT_S", CONFIG_LONG(FE(session_idle_s)), 1800, 1,
	    30L * 86400, NULL, 0, "a session ends this long without a request" },
	{ "SESSION_ABSOLUTE_TIMEOUT_S", CONFIG_LONG(FE(session_absolute_s)),
	    43200, 1, 365L * 86400, NULL, 0,
	    "a session ends this long after log-in" },
	{ "LOGIN_ACCOUNT_MAX_FAILURES", CONFIG_LONG(FE(login_account_max)), 5,
	    0, 1000000, NULL, 0, "failed log-ins per account per window, 0 = off" },
	{ "LOGIN_ACCOUNT_WINDOW_S", CONFIG_LONG(FE(login_account_window_s)),
	    900, 1, 86400, NULL, 0, "the per-account window" },
	{ "DEVICE_COOKIE_MAX_AGE_S", CONFIG_LONG(FE(device_cookie_max_age_s)),
	    31536000, 60, 2L * 31536000, NULL, 0, "lifetime of the device cookie "
	    "a log-in leaves (its own allowance of failed log-ins)" },
	{ "REGISTER_IP_MAX_ATTEMPTS", CONFIG_LONG(FE(register_ip_max)), 20, 0,
	    1000000, NULL, 0, "registrations per client address per window, "
	    "0 = off" },
	{ "REGISTER_IP_WINDOW_S", CONFIG_LONG(FE(register_ip_window_s)), 3600,
	    1, 86400, NULL, 0, "the per-address registration window" },
	{ "REGISTER_MAX_ATTEMPTS", CONFIG_LONG(FE(register_max)), 300, 0,
	    1000000, NULL, 0, "registrations on all replicas per window, "
	    "0 = off" },
	{ "REGISTER_WINDOW_S", CONFIG_LONG(FE(register_window_s)), 60, 1, 86400,
	    NULL, 0, "the overall registration window" },
	{ "HTTP_IPV6_PREFIX", CONFIG_UINT(FE(http_ipv6_prefix)), 64, 1, 128,
	    NULL, 0, "IPv6 clients count per prefix of this many bits" },
	{ "LOGIN_IP_MAX_FAILURES", CONFIG_LONG(FE(login_ip_max)), 100, 0,
	    1000000, NULL, 0, "failed log-ins per client address per window, 0 = off" },
	{ "LOGIN_IP_WINDOW_S", CONFIG_LONG(FE(login_ip_window_s)), 3600, 1,
	    86400, NULL, 0, "the per-address window" },
	{ "CHAT_WS_URL", CONFIG_STR(FE(chat_ws_url)), 0, 0, 0,
	    "ws://localhost:60877/ws", 0, "the chat servers' WebSocket as the "
	    "browser reaches it (ws:// or wss://); /chat's CSP allows its "
	    "origin" },
	CONFIG_ROW_AMQP_HEARTBEAT(FE(amqp_heartbeat)),
	CONFIG_ROW_LOG_LEVEL("info", FE(log_level)),
};
const size_t fe_nsettings = CONFIG_NSETTINGS(fe_settings);

/*
 * The Content-Security-Policy of /chat: the site's policy plus its script
 * and connect-src 'self' (the ticket) and the WebSocket's origin, exactly.
 */
int
fe_chat_csp(const char *url, char *out, size_t outlen)
{
	const char	*host, *end;
	size_t		 i;
	int		 n;

	if (strncmp(url, "ws://", 5) == 0)
		host = url + 5;
	else if (strncmp(url, "wss://", 6) == 0)
		host = url + 6;
	else
		return -1;
	for (i = 0; url[i] != '\0'; i++)
		if (url[i] <= ' ' || url[i] >= 0x7f || url[i] == '"' ||
		    url[i] == '\'' || url[i] == ';' || url[i] == ',' ||
		    url[i] == '\\')
			return -1;
	end = host + strcspn(host, "/?#");
	if (end == host || *end != '/')
		return -1;
	n = snprintf(out, outlen, "default-src 'none'; script-src 'self'; "
	    "style-src 'self'; img-src 'self'; connect-src 'self' %.*s; "
	    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	    (int)(end - url), url);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

void
fe_config_load(struct fe_config *c)
{
	char err[128];

	memset(c, 0, sizeof(*c));
	config_load(fe_settings, fe_nsettings, c);
	if (rpc_queue_config_check(&c->rpc_queue, err, sizeof(err)) == -1)
		fatalx("config invalid: %s", err);
	if (fe_chat_csp(c->chat_ws_url, c->chat_csp, sizeof(c->chat_csp)) == -1)
		fatalx("config invalid: CHAT_WS_URL must be ws://host[:port]/path "
		    "or wss://... (printable ASCII, no quotes or blanks)");
	if (strlen(c->session_secret) < FE_SECRET_MIN)
		fatalx("config invalid: SESSION_SECRET must be at least %d "
		    "characters long", FE_SECRET_MIN);
}
