/*
 * settings.h — chat-server configuration from the environment through one
 * table (settings_table: parsing, --help, the README's chat-server table),
 * read once at start-up; 0 means unlimited/disabled where noted.
 */
#ifndef PARLEY_SETTINGS_H
#define PARLEY_SETTINGS_H

#include <stddef.h>

#include "config.h"

struct settings {
	unsigned	 port;
	unsigned	 admin_port;
	unsigned	 ws_port;		/* WebSocket listener; 0: off */
	const char	*ws_origins_list;	/* CHAT_WS_ORIGINS as given */
	char		**ws_origins;		/* split at commas */
	size_t		 ws_norigins;
	const char	*amqp_url;		/* NULL: standalone */
	const char	*store;			/* CHAT_STORE */
	int		 store_backend;		/* names and history via back end */
	unsigned	 max_conn;		/* 0: unlimited */
	unsigned	 max_conn_per_ip;	/* 0: unlimited */
	unsigned	 flood_rate;		/* messages/s; 0: unlimited */
	unsigned	 flood_burst;
	size_t		 sendq_max;		/* bytes; 0: unlimited */
	size_t		 frame_max;
	size_t		 content_max;
	unsigned	 login_timeout_s;	/* 0: none */
	unsigned	 idle_timeout_s;	/* clients without "ping"; 0: none */
	unsigned	 ping_interval_s;	/* 0: never ping */
	unsigned	 ping_timeout_s;
	unsigned	 history;		/* messages replayed; 0: off */
	unsigned	 presence_max;		/* quiet rooms above; 0: never */
	unsigned	 drain_timeout_s;
	unsigned	 rpc_timeout_ms;
	unsigned	 name_ttl_s;		/* name lease without heartbeat */
	unsigned	 amqp_heartbeat;
	const char	*log_level;
};

extern struct settings			settings;
extern const struct config_setting	settings_table[];
extern const size_t			settings_ntable;

/* Fill settings from the environment; bad values are fatal. */
void	settings_load(unsigned port);

#endif
