/* action.c — the dispatch table: one line per RPC action. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "action.h"
#include "clock.h"
#include "jsonx.h"
#include "log.h"
#include "metrics.h"
#include "rpc.h"
#include "rpc_server.h"

/*
 * Who may call an action is a column of the table: the front end (its
 * queue, its identity) or the chat servers (their exchange and queue).
 */
enum action_caller {
	CALLER_NONE,		/* neither: refuse everything */
	CALLER_FRONT,		/* front end (and the book's front end) */
	CALLER_CHAT,		/* chat servers */
};

static const struct {
	const char		*name;
	action_fn		 handler;
	enum action_caller	 caller;
} action_table[] = {
	{ "REGISTER",		action_register,	CALLER_FRONT },
	{ "GETHASH",		action_gethash,		CALLER_FRONT },
	{ "LOGIN_PREPARE",	action_login_prepare,	CALLER_FRONT },
	{ "LOGIN_FAILED",	action_login_failed,	CALLER_FRONT },
	{ "SETHASH",		action_sethash,		CALLER_FRONT },
	{ "REGISTER_PREPARE",	action_register_prepare, CALLER_FRONT },
	{ "SESSION_CREATE",	action_session_create,	CALLER_FRONT },
	{ "SESSION_GET",	action_session_get,	CALLER_FRONT },
	{ "SESSION_DELETE",	action_session_delete,	CALLER_FRONT },
	{ "ACCOUNT_GET",	action_account_get,	CALLER_FRONT },
	{ "SESSION_REVOKE",	action_session_revoke,	CALLER_FRONT },
	{ "SESSION_REVOKE_OTHERS", action_session_revoke_others, CALLER_FRONT },
	{ "PASSWORD_CHANGE",	action_password_change,	CALLER_FRONT },
	{ "ACCOUNT_DELETE",	action_account_delete,	CALLER_FRONT },
	{ "RECOVERY_CHECK",	action_recovery_check,	CALLER_FRONT },
	{ "RECOVERY_USE",	action_recovery_use,	CALLER_FRONT },
	{ "CHATNAME_GET",	action_chatname_get,	CALLER_FRONT },
	{ "CHATNAME_SET",	action_chatname_set,	CALLER_FRONT },
	{ "TICKET_CREATE",	action_ticket_create,	CALLER_FRONT },
	{ "TOKEN_CREATE",	action_token_create,	CALLER_FRONT },
	{ "TOKEN_LIST",		action_token_list,	CALLER_FRONT },
	{ "TOKEN_REVOKE",	action_token_revoke,	CALLER_FRONT },
	{ "CHAT_CLAIM",		action_chat_claim,	CALLER_CHAT },
	{ "CHAT_RELEASE",	action_chat_release,	CALLER_CHAT },
	{ "CHAT_HEARTBEAT",	action_chat_heartbeat,	CALLER_CHAT },
	{ "CHAT_RETIRE",	action_chat_retire,	CALLER_CHAT },
	{ "CHAT_APPEND",	action_chat_append,	CALLER_CHAT },
	{ "CHAT_HISTORY",	action_chat_history,	CALLER_CHAT },
	{ "CHAT_TICKET_REDEEM",	action_chat_ticket_redeem, CALLER_CHAT },
	{ "CHAT_TOKEN_REDEEM",	action_chat_token_redeem, CALLER_CHAT },
};

#define ACTION_N	(sizeof(action_table) / sizeof(action_table[0]))

/* Metric handles per action (the last slot: "unknown"), made once. */
static struct {
	struct counter		*ok, *failed;
	struct histogram	*duration;
} action_metrics[ACTION_N + 1];
static pthread_once_t action_metrics_once = PTHREAD_ONCE_INIT;

static const char	*action_front_user = "parley-front";
static const char	*action_chat_user = "parley-chat";

void
action_set_callers(const char *front_user, const char *chat_user)
{
	action_front_user = front_user;
	action_chat_user = chat_user;
}

static int
action_user_is(const struct rpc_origin *o, const char *user)
{
	/* The book's clients send no user_id; when present RabbitMQ checked it. */
	return o->user_id == NULL || strcmp(o->user_id, user) == 0;
}

/*
 * The broker's permissions are what make this sound: only chat servers
 * may write RPC_CHAT_EXCHANGE, and chat servers may not write the default
 * exchange, the only way into the front end's queue.  Anything that
 * reached the chat queue another way (default exchange, dead-lettering)
 * carries another exchange name and is refused.
 */
static enum action_caller
action_caller(const struct rpc_origin *o)
{
	if (o->queue == NULL || o->exchange == NULL)
		return CALLER_NONE;
	if (strcmp(o->queue, RPC_CHAT_QUEUE) == 0)
		return strcmp(o->exchange, RPC_CHAT_EXCHANGE) == 0 &&
		    action_user_is(o, action_chat_user) ?
		    CALLER_CHAT : CALLER_NONE;
	/* The other queue the back end consumes: the front end's. */
	return o->exchange[0] == '\0' && action_user_is(o, action_front_user) ?
	    CALLER_FRONT : CALLER_NONE;
}

static json_t *
action_refuse(const char *action, const struct rpc_origin *o)
{
	char labels[128];

	log_info("rpc refused action=%s queue=%.64s exchange=%.64s "
	    "user_id=%.64s", action, o->queue ? o->queue : "-",
	    o->exchange ? o->exchange : "-", o->user_id ? o->user_id : "-");
	snprintf(labels, sizeof(labels), "action=\"%s\"", action);
	counter_add(metrics_counter("parley_rpc_refused_total", labels,
	    "RPC requests refused: caller not authorised for the action"), 1);
	return jsonx_failure("not authorised");
}

/* Labels use the table's names only, so clients cannot grow the series. */
static void
action_metrics_init(void)
{
	const char	*name;
	char		 labels[128];
	size_t		 i;

	for (i = 0; i <= ACTION_N; i++) {
		name = i < ACTION_N ? action_table[i].name : "unknown";
		snprintf(labels, sizeof(labels),
		    "action=\"%s\",success=\"true\"", name);
		action_metrics[i].ok = metrics_counter(
		    "parley_rpc_requests_total", labels,
		    "RPC requests answered, by action and success");
		snprintf(labels, sizeof(labels),
		    "action=\"%s\",success=\"false\"", name);
		action_metrics[i].failed = metrics_counter(
		    "parley_rpc_requests_total", labels,
		    "RPC requests answered, by action and success");
		snprintf(labels, sizeof(labels), "action=\"%s\"", name);
		action_metrics[i].duration = metrics_histogram(
		    "parley_rpc_duration_seconds", labels,
		    "Time to handle an RPC request", metrics_latency_bounds,
		    metrics_latency_nbounds);
	}
}

static void
action_count(size_t i, json_t *reply, uint64_t start_us)
{
	int ok = json_is_true(json_object_get(reply, "success"));

	counter_add(ok ? action_metrics[i].ok : action_metrics[i].failed, 1);
	histogram_observe(action_metrics[i].duration,
	    (clock_now_us() - start_us) / 1e6);
}

json_t *
action_dispatch(struct db *db, const char *action, json_t *data,
    const struct rpc_origin *origin)
{
	uint64_t	 start = clock_now_us();
	json_t		*reply;
	char		 msg[128];
	size_t		 i;

	pthread_once(&action_metrics_once, action_metrics_init);
	for (i = 0; i < ACTION_N; i++)
		if (strcmp(action_table[i].name, action) == 0) {
			if (action_caller(origin) != action_table[i].caller)
				reply = action_refuse(action_table[i].name,
				    origin);
			else
				reply = action_table[i].handler(db, data);
			action_count(i, reply, start);
			return reply;
		}
	log_info("rpc unknown action");
	snprintf(msg, sizeof(msg), "unknown action '%.64s'", action);
	reply = jsonx_failure(msg);
	action_count(ACTION_N, reply, start);
	return reply;
}
