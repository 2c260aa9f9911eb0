/*
 * hub.h — the chat itself: users, rooms, commands, delivery, and the
 * events of the other replicas.  Runs on the event loop only.
 */
#ifndef PARLEY_HUB_H
#define PARLEY_HUB_H

#include <stddef.h>
#include <stdint.h>

struct conn;
struct event_base;
struct room;
struct store_handlers;

void	hub_init(struct event_base *, const char *replica_id);
/* After the connections are gone: free what is left. */
void	hub_stop(void);
/* How the store reports to the hub (store_start). */
const struct store_handlers *hub_store_handlers(void);
/* Shutdown: tell every user, announce the leaves, close the connections. */
void	hub_drain(void);

/* From conn.c. */
void	hub_login(struct conn *, const char *name, size_t len,
	    unsigned features);
void	hub_input(struct conn *, const char *content, size_t len);
void	hub_quit(struct conn *);
void	hub_gone(struct conn *);

/* From cluster.c: events of other replicas, already de-duplicated. */
void	hub_remote_chat(const char *origin, uint64_t seq, uint64_t prev,
	    const char *room,
	    const char *from, const char *content, int64_t ts);
void	hub_remote_join(const char *origin, const char *room,
	    const char *name, int first);
void	hub_remote_leave(const char *origin, const char *room,
	    const char *name, int quit);
void	hub_remote_nick(const char *origin, const char *room,
	    const char *old, const char *name);
void	hub_remote_private(const char *from, const char *to,
	    const char *content, int64_t ts);
/* A snapshot replaces what we know of origin's users (no notices). */
void	hub_remote_reset(const char *origin);
void	hub_remote_user(const char *origin, const char *name,
	    const char *room);
/* origin is gone: its users leave (with notices when announce). */
void	hub_remote_gone(const char *origin, int announce);

/* For snapshots: every local user in a room. */
void	hub_foreach_local(void (*fn)(const char *name, const char *room,
	    void *arg), void *arg);

#endif
