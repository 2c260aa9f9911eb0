/* settings.c — the chat-server's environment variables and defaults. */
#include <string.h>

#include "config.h"
#include "log.h"
#include "settings.h"

struct settings settings;

static unsigned
settings_uint(const char *name, long def, long min, long max)
{
	return (unsigned)config_long_or_die(name, def, min, max);
}

void
settings_load(unsigned port)
{
	const char	*store;
	char		 err[128];

	memset(&settings, 0, sizeof(settings));
	settings.port = port;
	settings.admin_port = settings_uint("ADMIN_PORT", 8082, 1, 65535);
	settings.amqp_url = config_str("AMQP_URL", NULL);
	store = config_str("CHAT_STORE", settings.amqp_url ? "backend" :
	    "memory");
	if (strcmp(store, "backend") == 0)
		settings.store_backend = 1;
	else if (strcmp(store, "memory") != 0)
		fatalx("config invalid: CHAT_STORE must be backend or memory");
	if (settings.store_backend && settings.amqp_url == NULL)
		fatalx("config invalid: CHAT_STORE=backend needs AMQP_URL");
	settings.rpc_queue.name = config_str("RPC_QUEUE", RPC_QUEUE_DEFAULT);
	settings.rpc_queue.type = config_str("RPC_QUEUE_TYPE", "classic");
	if (rpc_queue_config_check(&settings.rpc_queue, err, sizeof(err)) == -1)
		fatalx("config invalid: %s", err);
	settings.max_conn = settings_uint("CHAT_MAX_CONN", 100000, 0, 10000000);
	settings.max_conn_per_ip = settings_uint("CHAT_MAX_CONN_PER_IP", 32, 0,
	    10000000);
	settings.flood_rate = settings_uint("CHAT_FLOOD_RATE", 5, 0, 1000000);
	settings.flood_burst = settings_uint("CHAT_FLOOD_BURST", 20, 0,
	    1000000);
	settings.sendq_max = settings_uint("CHAT_SENDQ_MAX", 262144, 0,
	    1L << 30);
	settings.frame_max = settings_uint("CHAT_FRAME_MAX", 65536, 256,
	    16 << 20);
	settings.content_max = settings_uint("CHAT_CONTENT_MAX", 4096, 16,
	    (long)settings.frame_max);
	settings.login_timeout_s = settings_uint("CHAT_LOGIN_TIMEOUT", 60, 0,
	    86400);
	settings.idle_timeout_s = settings_uint("CHAT_IDLE_TIMEOUT", 3600, 0,
	    604800);
	settings.ping_interval_s = settings_uint("CHAT_PING_INTERVAL", 30, 0,
	    86400);
	settings.ping_timeout_s = settings_uint("CHAT_PING_TIMEOUT", 30, 1,
	    86400);
	settings.history = settings_uint("CHAT_HISTORY", 50, 0, 1000);
	settings.presence_max = settings_uint("CHAT_PRESENCE_MAX", 500, 0,
	    10000000);
	settings.drain_timeout_s = settings_uint("CHAT_DRAIN_TIMEOUT", 10, 0,
	    25);
	settings.rpc_timeout_ms = settings_uint("CHAT_RPC_TIMEOUT_MS", 2000,
	    100, 60000);
	settings.name_ttl_s = settings_uint("CHAT_NAME_TTL", 30, 5, 3600);
}
