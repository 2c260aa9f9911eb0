/*
 * store.h — what outlives a chat-server: name leases (unique names across
 * replicas) and room history.  With CHAT_STORE=backend both go to the back
 * end over RPC (back-end/action_chat.c, PostgreSQL); with CHAT_STORE=memory
 * names are unique on this replica only and history lives in memory.
 * Callbacks run on the event loop, possibly before the call returns.
 */
#ifndef PARLEY_STORE_H
#define PARLEY_STORE_H

#include <stddef.h>
#include <stdint.h>

struct conn;
struct event_base;

enum store_status {
	STORE_OK,
	STORE_TAKEN,		/* the name belongs to someone else */
	STORE_UNAVAILABLE,	/* the back end did not answer */
};

struct store_line {
	char		*origin;
	uint64_t	 seq;
	char		*from;
	char		*content;
	int64_t		 ts;
};

typedef void	(*store_claim_fn)(struct conn *, const char *name,
		    enum store_status);
typedef void	(*store_history_fn)(struct conn *, struct store_line *,
		    size_t n);

int	store_start(struct event_base *, const char *replica_id, char *err,
	    size_t errlen);
/* Flush pending history, give back every name we hold, stop. */
void	store_stop(void);
int	store_ready(void);

/* Lease name for c (the callback gets c with a reference held). */
void	store_claim(struct conn *, const char *name, store_claim_fn);
void	store_release(const char *name, uint64_t conn_id);
void	store_append(const char *room, const char *origin, uint64_t seq,
	    const char *from, const char *content, int64_t ts);
/* The last settings.history messages of room, oldest first. */
void	store_history(struct conn *, const char *room, store_history_fn);

#endif
