/*
 * room.h — rooms: local members in join order, a count of remote members,
 * and per-origin sequence tracking for the cluster's messages.  A room
 * exists while anyone, here or on another replica, is in it.
 */
#ifndef PARLEY_ROOM_H
#define PARLEY_ROOM_H

#include <stdint.h>

#include "user.h"
#include "text.h"

struct strmap;

struct room {
	char		 name[ROOM_MAX_CHARS + 1];	/* lower case */
	struct user_list members;
	unsigned	 nlocal, nremote;
	uint64_t	 last_seq;	/* our last message here (bus "p") */
	struct strmap	*seen;		/* origin -> last seq delivered */
};

/* Told when a room gets its first local member and loses its last. */
struct room_handlers {
	void	(*bind)(const char *room);
	void	(*unbind)(const char *room);
};

void		 room_init(const struct room_handlers *);
struct room	*room_get(const char *name);	/* find or create */
struct room	*room_find(const char *name);
/* The first local member binds the room (room_handlers), the last unbinds. */
void		 room_add(struct room *, struct user *);
void		 room_del(struct room *, struct user *);
void		 room_remote_add(struct room *);
void		 room_remote_del(struct room *);
/*
 * Whether origin's message seq (its previous one here was prev, 0 when
 * unknown) is new here: 1 to deliver, 0 for a duplicate.  Sets *gap when
 * messages in between were lost.
 */
int		 room_accept(struct room *, const char *origin, uint64_t seq,
		    uint64_t prev, int *gap);
void		 room_foreach(void (*fn)(struct room *, void *), void *arg);
size_t		 room_count(void);
void		 room_free_all(void);

#endif
