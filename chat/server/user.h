/*
 * user.h — a chat user: its name (and the one being claimed by /nick), its
 * room, its flood bucket, the room messages held while it joins, and its
 * state.  The hub owns users; a user speaks through its connection
 * (conn.h), which knows nothing of it beyond an owner pointer.
 *
 *   LOGIN --name--> CLAIMING --lease--> JOINING --history--> CHAT;
 *   CLAIMING --taken--> LOGIN;  CHAT --/nick--> CLAIMING --> CHAT;
 *   CHAT --/join--> JOINING.  A HELLO with a ticket or token waits for the
 *   back end in CLAIMING too (refused: LOGIN).  CLAIMING and JOINING pause the connection's
 *   input; JOINING holds room messages (user_deliver).
 *
 * A user lives while its connection does or a store call or join wait
 * holds a reference; after its connection is gone user_alive() is 0.
 */
#ifndef PARLEY_USER_H
#define PARLEY_USER_H

#include <sys/queue.h>

#include <stdint.h>

#include "flood.h"

struct conn;
struct out;
struct room;
struct held;

enum user_state {
	USER_LOGIN,	/* no valid name yet */
	USER_CLAIMING,	/* name lease in flight: input paused */
	USER_JOINING,	/* history in flight: input paused, room msgs held */
	USER_CHAT,
};

struct user {
	TAILQ_ENTRY(user)	 member;	/* room->members */
	struct conn		*conn;		/* NULL once it is gone */
	char			*name;		/* set from CLAIMING on */
	char			*pending_name;	/* /nick being claimed */
	struct room		*room;
	struct user		*twin;		/* same account, same name key */
	char			*want;		/* name in a HELLO with a secret */
	int64_t			 account_id;	/* 0: a guest */
	int64_t			 token_id;	/* signed in with a token */
	char			 session[17];	/* ... with a ticket: its session */
	struct held		*held, **held_tail;
	struct flood		 flood;
	uint64_t		 id;		/* its connection's: lease tokens */
	uint64_t		 join_gen;	/* counts joins: matches history */
	int64_t			 join_ts;	/* ms since the epoch */
	uint32_t		 flood_note_ms;
	uint32_t		 refs;
	uint8_t			 state;		/* enum user_state */
	uint8_t			 unleased;	/* name given without a lease */
};

TAILQ_HEAD(user_list, user);

/* A user for conn, in LOGIN, with one reference (the connection's). */
struct user	*user_new(struct conn *, uint64_t id, uint64_t now_ms);
void		 user_ref(struct user *);
void		 user_unref(struct user *);
/* Its connection is there and not closing. */
int		 user_alive(struct user *);
/* The one way to change state; a transition not in the picture is
 * refused (and logged).  CLAIMING and JOINING pause input. */
void		 user_set_state(struct user *, enum user_state);
/* A room message: held while JOINING, written otherwise. */
void		 user_deliver(struct user *, struct out *);
/* Write what was held, except entries seen(origin, seq) says to skip. */
void		 user_release_held(struct user *, int (*seen)(const char *origin,
		    uint64_t seq, void *arg), void *arg);

#endif
