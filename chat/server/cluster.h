/*
 * cluster.h — several chat-server replicas as one chat, through RabbitMQ
 * (design in docs/chat.md, Several replicas).  One topic exchange; each replica
 * has one exclusive queue bound to "presence" (everyone's joins, leaves,
 * renames, heartbeats and snapshots), "replica.<id>" (private messages and
 * snapshot replies) and "room.<name>" for each room with local members.
 * Every message carries its origin and a sequence number: a replica drops
 * its own echo and duplicates, and notices gaps.  What arrives is untrusted
 * (SPEC §3.5): the handlers below get only messages whose every field
 * passed untrusted.h (names, rooms in lower case, bounded text, sane
 * numbers); free text still needs escaping before display.
 *
 * The AMQP connection lives on its own thread (lib/mq.h); deliveries come
 * to the event loop through an inbox.  Everything here is called on the
 * loop; without AMQP_URL every function is a no-op (standalone).
 */
#ifndef PARLEY_CLUSTER_H
#define PARLEY_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

#define CLUSTER_EXCHANGE	"parley.chat"

/*
 * How the cluster reports the other replicas' events (already checked for
 * duplicates) to its user, the hub, and asks it for our users.
 */
struct cluster_handlers {
	void	(*chat)(const char *origin, uint64_t seq, uint64_t prev,
		    const char *room, const char *from, const char *content,
		    int64_t ts);
	void	(*private_msg)(const char *origin, const char *from,
		    const char *to, const char *content, int64_t ts);
	void	(*join)(const char *origin, const char *room,
		    const char *name, int first);
	void	(*leave)(const char *origin, const char *room,
		    const char *name, int quit);
	void	(*nick)(const char *origin, const char *room,
		    const char *old, const char *name);
	/* A snapshot replaces what we know of origin's users (no notices). */
	void	(*reset)(const char *origin);
	void	(*user)(const char *origin, const char *name,
		    const char *room);
	/* origin is gone: its users leave (with notices when announce). */
	void	(*gone)(const char *origin, int announce);
	/* For snapshots: every local user and its room. */
	void	(*foreach_local)(void (*fn)(const char *name,
		    const char *room, void *arg), void *arg);
};

int		 cluster_start(struct event_base *, const char *amqp_url,
		    const char *replica_id, const struct cluster_handlers *,
		    char *err, size_t errlen);
void		 cluster_stop(void);
/* Standalone, or the broker link is up. */
int		 cluster_ready(void);
const char	*cluster_id(void);

void		 cluster_bind(const char *room);
void		 cluster_unbind(const char *room);

/* A new sequence number for one of our chat messages. */
uint64_t	 cluster_next_seq(void);
void		 cluster_chat(const char *room, uint64_t seq, uint64_t prev,
		    const char *from, const char *content, int64_t ts);
void		 cluster_join(const char *room, const char *name, int first);
void		 cluster_leave(const char *room, const char *name, int quit);
void		 cluster_nick(const char *room, const char *old,
		    const char *name);
void		 cluster_private(const char *origin, const char *from,
		    const char *to, const char *content, int64_t ts);
/* Graceful shutdown: others forget our users without notices. */
void		 cluster_bye(void);
/*
 * One delivery from the bus (its routing key, body and signature, the
 * message_id: bussign.h; NULL when unsigned), on the loop: what the mq
 * thread copied, or tests/chat/server/fuzz_bus.c.  Works standalone too
 * (nothing is published then).
 */
void		 cluster_receive(const char *key, const void *body,
		    size_t len, const char *sig);

#endif
