/*
 * history_limits.h — bounds on the chat history the back end stores
 * (docs/chat.md "History limits"): messages kept per room, rooms kept, and
 * expiry of idle rooms.  Settings come from the environment once, at start.
 */
#ifndef PARLEY_HISTORY_LIMITS_H
#define PARLEY_HISTORY_LIMITS_H

struct db;

struct history_limits {
	long	keep;		/* CHAT_HISTORY_KEEP: messages per room */
	long	rooms;		/* CHAT_HISTORY_ROOMS: rooms kept, 0 = no cap */
	long	idle_s;		/* CHAT_HISTORY_IDLE_S: 0 = never expire */
};

/* The limits from the settings table (back-end/main.c), once at start. */
void	history_limits_init(const struct history_limits *);
const struct history_limits *history_limits(void);
/* After an append created new rooms: drop the least recently written. */
void	history_limits_evict(struct db *);
/* From every worker's timer: expire idle rooms now and then. */
void	history_limits_tick(struct db *);

#endif
