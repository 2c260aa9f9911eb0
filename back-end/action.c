/* action.c — the dispatch table: one line per RPC action. */
#include <stdio.h>
#include <string.h>

#include "action.h"
#include "jsonx.h"
#include "log.h"

static const struct {
	const char	*name;
	action_fn	 handler;
} action_table[] = {
	{ "REGISTER",	action_register },
	{ "GETHASH",	action_gethash },
	{ "LOGIN_PREPARE",	action_login_prepare },
	{ "LOGIN_FAILED",	action_login_failed },
	{ "SETHASH",		action_sethash },
	{ "SESSION_CREATE",	action_session_create },
	{ "SESSION_GET",	action_session_get },
	{ "SESSION_DELETE",	action_session_delete },
};

json_t *
action_dispatch(struct db *db, const char *action, json_t *data)
{
	char	msg[128];
	size_t	i;

	for (i = 0; i < sizeof(action_table) / sizeof(action_table[0]); i++)
		if (strcmp(action_table[i].name, action) == 0)
			return action_table[i].handler(db, data);
	log_info("rpc unknown action");
	snprintf(msg, sizeof(msg), "unknown action '%.64s'", action);
	return jsonx_failure(msg);
}
