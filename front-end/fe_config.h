/* fe_config.h — the front end's settings, from the environment through one
 * table (fe_settings: parsing, --help, the README's front-end table). */
#ifndef PARLEY_FE_CONFIG_H
#define PARLEY_FE_CONFIG_H

#include <stddef.h>

#include "config.h"
#include "rpc.h"

#define FE_SECRET_MIN	32	/* characters of SESSION_SECRET */

struct fe_config {
	unsigned		 port;
	unsigned		 admin_port;
	const char		*amqp_url;
	struct rpc_queue_config	 rpc_queue;
	const char		*session_secret;
	int			 cookie_secure;
	unsigned		 rpc_timeout_ms;
	unsigned		 http_threads;
	unsigned		 http_max_conn;
	unsigned		 http_max_conn_per_ip;	/* 0: unlimited */
	unsigned		 http_timeout_s;
	unsigned		 http_request_timeout_s;
	unsigned		 hash_threads;
	unsigned		 hash_queue_max;
	unsigned		 argon2_iterations;
	unsigned		 argon2_memory_kib;
	unsigned		 legacy_pbkdf2_iterations; /* 0: off */
	long			 session_idle_s;
	long			 session_absolute_s;
	long			 login_account_max;	/* 0: unlimited */
	long			 login_account_window_s;
	long			 login_ip_max;		/* 0: unlimited */
	long			 login_ip_window_s;
	long			 device_cookie_max_age_s;
	long			 register_ip_max;	/* 0: unlimited */
	long			 register_ip_window_s;
	long			 register_max;		/* 0: unlimited */
	long			 register_window_s;
	unsigned		 http_ipv6_prefix;	/* bits of a client */
	unsigned		 amqp_heartbeat;
	const char		*log_level;
	const char		*chat_ws_url;	/* the page's WebSocket */
	char			 chat_csp[320];	/* /chat's policy (derived) */
};

extern const struct config_setting	fe_settings[];
extern const size_t			fe_nsettings;

/* /chat's Content-Security-Policy for the WebSocket URL; -1: bad URL. */
int	fe_chat_csp(const char *url, char *out, size_t outlen);

/* Read and validate everything; a missing or bad setting is fatal. */
void	fe_config_load(struct fe_config *);

#endif
