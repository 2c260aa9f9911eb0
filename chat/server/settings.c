/* settings.c — the chat-server's settings table (parsing and --help). */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "settings.h"
#include "xmalloc.h"

struct settings settings;
static char	*origins_buf;	/* CHAT_WS_ORIGINS, split in place */

#define S(field)	struct settings, field

const struct config_setting settings_table[] = {
	{ "AMQP_URL", CONFIG_STR(S(amqp_url)), 0, 0, 0, NULL, 0,
	    "RabbitMQ URI; unset: a standalone replica" },
	{ "CHAT_STORE", CONFIG_STR(S(store)), 0, 0, 0,
	    "backend with AMQP_URL, else memory", CONFIG_DERIVED,
	    "backend (names and history in PostgreSQL) or memory" },
	{ "ADMIN_PORT", CONFIG_UINT(S(admin_port)), 8082, 1, 65535, NULL, 0,
	    "/healthz, /readyz, /metrics" },
	{ "CHAT_WS_PORT", CONFIG_UINT(S(ws_port)), 0, 0, 65535, NULL, 0,
	    "WebSocket listener (path /ws), 0 = off" },
	{ "CHAT_WS_ORIGINS", CONFIG_STR(S(ws_origins_list)), 0, 0, 0, NULL, 0,
	    "allowed browser Origins, comma-separated; unset: none" },
	{ "CHAT_MAX_CONN", CONFIG_UINT(S(max_conn)), 100000, 0, 10000000,
	    NULL, 0, "connections in all, 0 = unlimited" },
	{ "CHAT_MAX_CONN_PER_IP", CONFIG_UINT(S(max_conn_per_ip)), 32, 0,
	    10000000, NULL, 0, "connections per address, 0 = unlimited" },
	{ "CHAT_FLOOD_RATE", CONFIG_UINT(S(flood_rate)), 5, 0, 1000000, NULL,
	    0, "messages per second per client, 0 = unlimited" },
	{ "CHAT_FLOOD_BURST", CONFIG_UINT(S(flood_burst)), 20, 0, 1000000,
	    NULL, 0, "messages at once, 0 = unlimited" },
	{ "CHAT_SENDQ_MAX", CONFIG_SIZE(S(sendq_max)), 262144, 0, 1L << 30,
	    NULL, 0, "bytes queued per client, 0 = unlimited" },
	{ "CHAT_FRAME_MAX", CONFIG_SIZE(S(frame_max)), 65536, 256, 16 << 20,
	    NULL, 0, "bytes per frame or text line" },
	{ "CHAT_CONTENT_MAX", CONFIG_SIZE(S(content_max)), 4096, 16, 16 << 20,
	    NULL, 0, "bytes per message, at most CHAT_FRAME_MAX" },
	{ "CHAT_LOGIN_TIMEOUT", CONFIG_UINT(S(login_timeout_s)), 60, 0, 86400,
	    NULL, 0, "seconds to give a name, 0 = none" },
	{ "CHAT_IDLE_TIMEOUT", CONFIG_UINT(S(idle_timeout_s)), 3600, 0, 604800,
	    NULL, 0, "seconds of silence for clients without ping, 0 = none" },
	{ "CHAT_PING_INTERVAL", CONFIG_UINT(S(ping_interval_s)), 30, 0, 86400,
	    NULL, 0, "seconds of silence before PING, 0 = never" },
	{ "CHAT_PING_TIMEOUT", CONFIG_UINT(S(ping_timeout_s)), 30, 1, 86400,
	    NULL, 0, "seconds to answer PING" },
	{ "CHAT_HISTORY", CONFIG_UINT(S(history)), 50, 0, 1000, NULL, 0,
	    "messages replayed on join, 0 = off" },
	{ "CHAT_PRESENCE_MAX", CONFIG_UINT(S(presence_max)), 500, 0, 10000000,
	    NULL, 0, "no join/leave notices in bigger rooms, 0 = always" },
	{ "CHAT_DRAIN_TIMEOUT", CONFIG_UINT(S(drain_timeout_s)), 10, 0, 25,
	    NULL, 0, "seconds to drain on SIGTERM" },
	{ "CHAT_RPC_TIMEOUT_MS", CONFIG_UINT(S(rpc_timeout_ms)), 2000, 100,
	    60000, NULL, 0, "back-end calls" },
	{ "CHAT_NAME_TTL", CONFIG_UINT(S(name_ttl_s)), 30, 5, 3600, NULL, 0,
	    "seconds a dead replica keeps its names" },
	CONFIG_ROW_AMQP_HEARTBEAT(S(amqp_heartbeat)),
	CONFIG_ROW_LOG_LEVEL("info", S(log_level)),
};
const size_t settings_ntable = CONFIG_NSETTINGS(settings_table);

/* CHAT_WS_ORIGINS: "a, b" -> {"a", "b"}; blanks around entries dropped. */
static void
settings_split_origins(void)
{
	char	*list, *tok, *save, *end;

	if (settings.ws_origins_list == NULL)
		return;
	list = xstrdup(settings.ws_origins_list);
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		end = tok + strlen(tok);
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*tok == '\0')
			continue;
		settings.ws_origins = xrealloc(settings.ws_origins,
		    (settings.ws_norigins + 1) * sizeof(*settings.ws_origins));
		settings.ws_origins[settings.ws_norigins++] = tok;
	}
	/* The entries point into list, kept for the process's life. */
	origins_buf = list;
}

void
settings_load(unsigned port)
{
	memset(&settings, 0, sizeof(settings));
	config_load(settings_table, settings_ntable, &settings);
	settings.port = port;
	if (settings.store == NULL)
		settings.store = settings.amqp_url ? "backend" : "memory";
	if (strcmp(settings.store, "backend") == 0)
		settings.store_backend = 1;
	else if (strcmp(settings.store, "memory") != 0)
		fatalx("config invalid: CHAT_STORE must be backend or memory");
	if (settings.store_backend && settings.amqp_url == NULL)
		fatalx("config invalid: CHAT_STORE=backend needs AMQP_URL");
	settings_split_origins();
	/* Only a value given is held to the frame size (as before the table). */
	if (config_str("CHAT_CONTENT_MAX", NULL) != NULL &&
	    settings.content_max > settings.frame_max)
		fatalx("config invalid: CHAT_CONTENT_MAX must be between 16 and "
		    "%zu", settings.frame_max);
}
