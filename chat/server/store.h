/*
 * store.h — what outlives a chat-server: name leases (unique names across
 * replicas) and room history.  Two variants behind one struct store_ops
 * (libevent's struct eventop is the model): CHAT_STORE=backend sends both
 * to the back end over RPC (store.c; back-end/action_chat.c, PostgreSQL),
 * CHAT_STORE=memory keeps them in this process (store_memory.c: names
 * unique on this replica only, history lost on restart).
 *
 * The store knows nothing of connections: a call names an opaque owner,
 * which the store keeps alive with the hold/drop handlers handed to
 * store_start while a reply is outstanding.  Callbacks run on the event
 * loop, possibly before the call returns.  When the back end does not
 * answer, the store says so at once (STORE_UNAVAILABLE) until a probe gets
 * an answer again: nothing local waits for a store that is gone.
 */
#ifndef PARLEY_STORE_H
#define PARLEY_STORE_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

enum store_status {
	STORE_OK,
	STORE_TAKEN,		/* the name belongs to someone else */
	STORE_UNAVAILABLE,	/* the back end did not answer (or is down) */
	STORE_RESERVED,		/* the name belongs to an account */
	STORE_REFUSED,		/* a ticket or token the back end refused */
};

/* Who a redeemed ticket or token is (docs/chat.md "Accounts"). */
struct store_account {
	int64_t		 account_id;
	const char	*name;		/* the account's chat name */
	const char	*session;	/* ticket: the session's handle */
	int64_t		 token_id;	/* token: its id */
	const char	*message;	/* STORE_REFUSED: why */
};

struct store_line {
	char		*origin;
	uint64_t	 seq;
	char		*from;
	char		*content;
	int64_t		 ts;
};

typedef void	(*store_claim_fn)(void *owner, const char *name,
		    enum store_status);
/* a is NULL unless STORE_OK or STORE_REFUSED (then only a->message). */
typedef void	(*store_redeem_fn)(void *owner, const struct store_account *a,
		    enum store_status);
/* lines is NULL and n 0 unless STORE_OK; cookie is the caller's. */
typedef void	(*store_history_fn)(void *owner, uint64_t cookie,
		    struct store_line *lines, size_t n, enum store_status);

/* How the store reports to its user (the hub). */
struct store_handlers {
	void	(*hold)(void *owner);	/* a reply for owner is pending */
	void	(*drop)(void *owner);	/* ... and is done */
	void	(*link)(int up);	/* the back end stopped/started answering */
};

int	store_start(struct event_base *, const char *replica_id,
	    const struct store_handlers *, char *err, size_t errlen);
/* Flush pending history, give back every name we hold, stop. */
void	store_stop(void);
/* Ready to serve (the RPC link to RabbitMQ is up, or memory). */
int	store_ready(void);
/* The back end answers (always 1 in memory). */
int	store_up(void);

/* Lease name for owner; owner_id tells its leases apart. */
void	store_claim(void *owner, uint64_t owner_id, const char *name,
	    store_claim_fn);
void	store_release(const char *name, uint64_t owner_id);
/* Redeem a browser's ticket (is_ticket) or a terminal token; never
 * logged.  The memory store has no accounts: STORE_UNAVAILABLE. */
void	store_redeem(void *owner, int is_ticket, const char *secret,
	    store_redeem_fn);
/* Queued, never waited for: delivery does not depend on it. */
void	store_append(const char *room, const char *origin, uint64_t seq,
	    const char *from, const char *content, int64_t ts);
/* The last settings.history messages of room, oldest first. */
void	store_history(void *owner, uint64_t cookie, const char *room,
	    store_history_fn);

/* One variant of the store. */
struct store_ops {
	const char	*name;
	int		(*start)(struct event_base *, const char *replica_id,
			    char *err, size_t errlen);
	void		(*stop)(void);
	int		(*ready)(void);
	int		(*up)(void);
	void		(*claim)(void *, uint64_t, const char *,
			    store_claim_fn);
	void		(*release)(const char *, uint64_t);
	void		(*redeem)(void *, int, const char *, store_redeem_fn);
	void		(*append)(const char *, const char *, uint64_t,
			    const char *, const char *, int64_t);
	void		(*history)(void *, uint64_t, const char *,
			    store_history_fn);
};

extern const struct store_ops	store_backend_ops;	/* store.c */
extern const struct store_ops	store_memory_ops;	/* store_memory.c */

/* For the variants: the handlers given to store_start. */
void	store_hold(void *owner);
void	store_drop(void *owner);
void	store_link(int up);

#endif
