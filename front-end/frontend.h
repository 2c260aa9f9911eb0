/*
 * frontend.h — the process-wide context every request handler sees.
 */
#ifndef PARLEY_FRONTEND_H
#define PARLEY_FRONTEND_H

#include "fe_config.h"
#include "session.h"

struct frontend {
	struct fe_config	 cfg;
	struct session_keys	 keys;
	struct rpc_client	*rpc;
	struct hasher		*hasher;
	struct http		*http;
	struct admin_http	*admin;		/* /metrics, off the public port */
	struct counter		*logins_ok, *logins_failed, *logins_throttled;
	struct counter		*registrations, *registrations_throttled;
};

#endif
