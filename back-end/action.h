/*
 * action.h — RPC actions of the back end.  Each handler validates its own
 * data, uses only parameterised SQL, is safe to run twice (requests are
 * redelivered when a replica dies), and returns a reply object.
 */
#ifndef PARLEY_ACTION_H
#define PARLEY_ACTION_H

#include <jansson.h>

struct db;
struct rpc_origin;

typedef json_t	*(*action_fn)(struct db *, json_t *data);

/*
 * The RabbitMQ users whose validated user_id is accepted on the front
 * end's queue and on the chat servers' (call once, before any dispatch).
 */
void	 action_set_callers(const char *front_user, const char *chat_user);
/*
 * Look up action in the table and run it when origin may call it
 * (docs/threat-model.md): each action names its one caller in the
 * table, the front end's queue or the chat servers'.
 * Unknown actions and refused callers get a failure.
 */
json_t	*action_dispatch(struct db *, const char *action, json_t *data,
	    const struct rpc_origin *origin);

/* action_user.c */
json_t	*action_register(struct db *, json_t *data);
json_t	*action_gethash(struct db *, json_t *data);

/* action_auth.c (front-end log-in support) */
json_t	*action_login_prepare(struct db *, json_t *data);
json_t	*action_login_failed(struct db *, json_t *data);
json_t	*action_sethash(struct db *, json_t *data);
json_t	*action_register_prepare(struct db *, json_t *data);

/* action_session.c (front-end sessions) */
json_t	*action_session_create(struct db *, json_t *data);
json_t	*action_session_get(struct db *, json_t *data);
json_t	*action_session_delete(struct db *, json_t *data);

/* action_account.c (front-end account pages and recovery) */
json_t	*action_account_get(struct db *, json_t *data);
json_t	*action_session_revoke(struct db *, json_t *data);
json_t	*action_session_revoke_others(struct db *, json_t *data);
json_t	*action_password_change(struct db *, json_t *data);
json_t	*action_account_delete(struct db *, json_t *data);
json_t	*action_recovery_check(struct db *, json_t *data);
json_t	*action_recovery_use(struct db *, json_t *data);

/* action_chat.c (chat-server name leases and history) */
json_t	*action_chat_claim(struct db *, json_t *data);
json_t	*action_chat_release(struct db *, json_t *data);
json_t	*action_chat_heartbeat(struct db *, json_t *data);
json_t	*action_chat_retire(struct db *, json_t *data);
json_t	*action_chat_append(struct db *, json_t *data);
json_t	*action_chat_history(struct db *, json_t *data);

/* action_chatacct.c (chat names of accounts, tickets, terminal tokens) */
json_t	*action_chatname_get(struct db *, json_t *data);
json_t	*action_chatname_set(struct db *, json_t *data);
json_t	*action_ticket_create(struct db *, json_t *data);
json_t	*action_token_create(struct db *, json_t *data);
json_t	*action_token_list(struct db *, json_t *data);
json_t	*action_token_revoke(struct db *, json_t *data);
json_t	*action_chat_ticket_redeem(struct db *, json_t *data);
json_t	*action_chat_token_redeem(struct db *, json_t *data);

#endif
