/*
 * hub.h — the chat itself: users, rooms, commands, delivery, and the
 * events of the other replicas.  Runs on the event loop only.
 */
#ifndef PARLEY_HUB_H
#define PARLEY_HUB_H

#include <stddef.h>
#include <stdint.h>

struct conn;
struct conn_handlers;
struct event_base;
struct room;
struct cluster_handlers;
struct store_handlers;

void	hub_init(struct event_base *, const char *replica_id);
/* After the connections are gone: free what is left. */
void	hub_stop(void);
/* How the store reports to the hub (store_start). */
const struct store_handlers *hub_store_handlers(void);
/* Shutdown: tell every user, announce the leaves, close the connections. */
void	hub_drain(void);

/*
 * An account signed out somewhere (docs/chat.md "Accounts"): close its
 * connections whose session handle or token id is listed, or all of them;
 * a session's connections that stay may take a new handle (moved_*).
 */
struct hub_revoke {
	int64_t		 account_id;
	int		 all;
	const char	**sessions;	/* handles (16 hex) */
	size_t		 nsessions;
	const int64_t	*tokens;
	size_t		 ntokens;
	const char	*reason;	/* for the log: the event's type */
	const char	*moved_from;	/* a session now known by ... */
	const char	*moved_to;	/* ... this handle, or NULL */
};
void	hub_revoke(const struct hub_revoke *);

/* How a connection reports to the hub (conn_init). */
const struct conn_handlers *hub_conn_handlers(void);

/* How the cluster reports other replicas' events to the hub. */
const struct cluster_handlers *hub_cluster_handlers(void);

#endif
