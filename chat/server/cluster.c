/*
 * cluster.c — the replicas' shared chat over RabbitMQ (see cluster.h and
 * docs/chat.md).
 *
 * Threads: the mq thread owns the AMQP connection; it only copies
 * deliveries into the inbox and (re)binds the set of rooms wanted, which
 * the loop keeps under a mutex.  Everything else runs on the loop.
 *
 * Bus messages are JSON objects with "k" (kind) and "o" (origin replica):
 *   msg   room chat: r room, q seq, p previous seq in that room, f, c, ts
 *   join  / leave / nick   presence: q presence seq, r, n (name), ...
 *   hb    heartbeat every CLUSTER_HB_MS with the presence seq q
 *   sync  asks for snapshots (to "presence", or to one replica)
 *   snap  a snapshot of one replica's users, in parts: part, last, u
 *   bye   a replica stops (its users already left one by one): q
 *   pm    a private message: f, to, c, ts
 *
 * Everything that arrives is untrusted (SPEC §3.5, docs/threat-model.md):
 * anyone with the chat servers' RabbitMQ user can publish here.  A message
 * is dropped (chat_bus_malformed_total) unless RabbitMQ vouches that a chat
 * server's user sent it, its kind came on the routing key that kind uses,
 * every field passes untrusted.h, and its sequence numbers are sane for
 * its origin.  Snapshots are sent within a budget and taken only when asked
 * for.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "amqp_compat.h"
#include "bussign.h"
#include "clock.h"
#include "cluster.h"
#include "flood.h"
#include "inbox.h"
#include "jsonx.h"
#include "log.h"
#include "metrics.h"
#include "mq.h"
#include "strmap.h"
#include "untrusted.h"
#include "xmalloc.h"

#define CLUSTER_HB_MS		2000
#define CLUSTER_ORIGIN_DEAD_MS	10000	/* no word from a replica: gone */
#define CLUSTER_SNAP_CHUNK	500
#define CLUSTER_SYNC_EVERY_MS	1000	/* at most one sync per origin */
#define CLUSTER_BODY_MAX	(256 * 1024)
#define CLUSTER_PENDING_MAX	(32u << 20)	/* bytes waiting for the loop */
#define CLUSTER_SEQ_WINDOW	(1 << 20)	/* presence seq jump: forged */
#define CLUSTER_SNAP_WAIT_MS	10000	/* a snapshot answers a recent sync */
#define CLUSTER_SNAP_RATE	2	/* snapshots sent per second ... */
#define CLUSTER_SNAP_BURST	8	/* ... to all askers together */

struct origin {
	uint64_t	pseq;		/* last presence seq applied */
	uint64_t	heard_ms;
	uint64_t	sync_ms;	/* last sync we asked of it */
	uint64_t	snap_ms;	/* last snapshot we sent it */
	json_int_t	snap_part;	/* the part of its snapshot due next */
	int		want_snap;	/* asked, not answered yet */
	int		pinned;		/* pk is the origin's: all it sends
					 * must be signed with it */
	uint8_t		pk[BUSSIGN_PK_LEN];
};

struct cluster_delivery {
	char	key[256];	/* routing key */
	char	sig[256];	/* message_id: bussign.h; "" when absent */
	size_t	len;
	char	body[];
};

static struct mq	*cl_mq;
static char		 cl_id[64], cl_queue[96], cl_self_key[96];
static char		 cl_user[256];	/* our RabbitMQ user: senders' too */
static uint64_t		 cl_seq, cl_pseq;
static uint64_t		 cl_sync_all_ms;	/* our last sync to everyone */
static _Atomic size_t	 cl_pending;	/* delivery bytes in the inbox */
static struct flood	 cl_snap_budget;
static uint64_t		 cl_up_since_ms;	/* 0 while the link is down */
static struct strmap	*cl_origins;
static struct event	*cl_hb_ev;

static pthread_mutex_t	 cl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct strmap	*cl_rooms;	/* rooms to bind; under cl_lock */

static struct counter	*m_pub, *m_pub_fail, *m_recv, *m_dups, *m_gaps;
static struct counter	*m_bad, *m_pub_bytes, *m_sync_refused, *m_overrun;
static struct gauge	*m_peers;
static struct cluster_handlers cl_hub;	/* where events go (the hub) */

const char *
cluster_id(void)
{
	return cl_id;
}

int
cluster_ready(void)
{
	return cl_mq == NULL || mq_is_up(cl_mq);
}

uint64_t
cluster_next_seq(void)
{
	return ++cl_seq;
}

/* ---- the mq thread ---- */

static char *
cluster_room_key(const char *room)
{
	return xasprintf("room.%s", room);
}

static int
cluster_bind_one(const char *room, void *value, void *arg)
{
	struct mq	*mq = arg;
	char		*key = cluster_room_key(room);
	int		 rc;

	(void)value;
	rc = mq_bind(mq, cl_queue, CLUSTER_EXCHANGE, key);
	free(key);
	return rc == -1 ? -1 : 0;
}

static void	cluster_on_up(void *);

static int
cluster_on_connect(struct mq *mq, void *arg)
{
	const struct mq_queue_options	 q = { .exclusive = 1,
					    .auto_delete = 1 };
	char				*body, sig[BUSSIGN_ID_MAX];
	struct mq_publish		 pub;
	int				 rc;

	(void)arg;
	if (mq_declare_exchange(mq, CLUSTER_EXCHANGE, "topic", 1) == -1 ||
	    mq_declare_queue(mq, cl_queue, &q, NULL, 0) == -1 ||
	    mq_bind(mq, cl_queue, CLUSTER_EXCHANGE, "presence") == -1 ||
	    mq_bind(mq, cl_queue, CLUSTER_EXCHANGE, cl_self_key) == -1)
		return -1;
	pthread_mutex_lock(&cl_lock);
	rc = strmap_foreach(cl_rooms, cluster_bind_one, mq);
	pthread_mutex_unlock(&cl_lock);
	if (rc != 0 || mq_consume(mq, cl_queue, 1, 0) == -1)
		return -1;
	/* We may have missed anything: ask everyone for their users. */
	body = xasprintf("{\"k\":\"sync\",\"o\":\"%s\"}", cl_id);
	memset(&pub, 0, sizeof(pub));
	pub.exchange = CLUSTER_EXCHANGE;
	pub.routing_key = "presence";
	pub.body = body;
	pub.body_len = strlen(body);
	bussign_sign(pub.routing_key, body, pub.body_len, sig);
	pub.message_id = sig;
	rc = mq_publish_now(mq, &pub);
	free(body);
	inbox_post(cluster_on_up, NULL);
	return rc;
}

static void	cluster_deliver(void *);

static void
cluster_on_message(struct mq *mq, const struct mq_message *msg, void *arg)
{
	struct cluster_delivery *d;

	(void)mq;
	(void)arg;
	/* RabbitMQ checks user_id against the publisher's log-in: only
	 * holders of the chat servers' user get past this (not the others). */
	if (msg->body == NULL || msg->body_len > CLUSTER_BODY_MAX ||
	    msg->user_id == NULL || strcmp(msg->user_id, cl_user) != 0) {
		counter_add(m_bad, 1);
		return;
	}
	/* A flood faster than the loop is dropped, not queued without end. */
	if (atomic_load(&cl_pending) + msg->body_len > CLUSTER_PENDING_MAX) {
		counter_add(m_overrun, 1);
		return;
	}
	atomic_fetch_add(&cl_pending, msg->body_len);
	d = xmalloc(sizeof(*d) + msg->body_len);
	snprintf(d->key, sizeof(d->key), "%s", msg->routing_key);
	snprintf(d->sig, sizeof(d->sig), "%s", msg->message_id != NULL ?
	    msg->message_id : "");
	d->len = msg->body_len;
	memcpy(d->body, msg->body, msg->body_len);
	inbox_post(cluster_deliver, d);
}

static void	cluster_on_down_loop(void *);

static void
cluster_on_down(struct mq *mq, void *arg)
{
	(void)mq;
	(void)arg;
	inbox_post(cluster_on_down_loop, NULL);
}

static void
cluster_mq_bind(struct mq *mq, void *arg)
{
	char *key = cluster_room_key(arg);

	mq_bind(mq, cl_queue, CLUSTER_EXCHANGE, key);
	free(key);
	free(arg);
}

static void
cluster_mq_unbind(struct mq *mq, void *arg)
{
	char	*key = cluster_room_key(arg);
	int	 wanted;

	/* Someone may have re-joined the room since: check the set. */
	pthread_mutex_lock(&cl_lock);
	wanted = strmap_get(cl_rooms, arg) != NULL;
	pthread_mutex_unlock(&cl_lock);
	if (!wanted)
		mq_unbind(mq, cl_queue, CLUSTER_EXCHANGE, key);
	free(key);
	free(arg);
}

/* ---- the loop: publishing ---- */

static void
cluster_publish(const char *key, json_t *msg)
{
	struct mq_publish	 pub;
	char			*body, sig[BUSSIGN_ID_MAX];

	if (cl_mq == NULL || msg == NULL) {
		if (msg == NULL)
			log_warnx("chat bus message not built key=%s", key);
		json_decref(msg);
		return;
	}
	json_object_set_new(msg, "o", json_string(cl_id));
	body = jsonx_dump(msg);
	json_decref(msg);
	memset(&pub, 0, sizeof(pub));
	pub.exchange = CLUSTER_EXCHANGE;
	pub.routing_key = key;
	pub.body = body;
	pub.body_len = strlen(body);
	bussign_sign(key, body, pub.body_len, sig);
	pub.message_id = sig;
	if (mq_publish(cl_mq, &pub) == -1)
		counter_add(m_pub_fail, 1);
	else {
		counter_add(m_pub, 1);
		counter_add(m_pub_bytes, pub.body_len);
	}
	free(body);
}

void
cluster_bind(const char *room)
{
	if (cl_mq == NULL)
		return;
	pthread_mutex_lock(&cl_lock);
	strmap_put(cl_rooms, room, cl_rooms);
	pthread_mutex_unlock(&cl_lock);
	mq_run(cl_mq, cluster_mq_bind, xstrdup(room));
}

void
cluster_unbind(const char *room)
{
	if (cl_mq == NULL)
		return;
	pthread_mutex_lock(&cl_lock);
	strmap_del(cl_rooms, room);
	pthread_mutex_unlock(&cl_lock);
	mq_run(cl_mq, cluster_mq_unbind, xstrdup(room));
}

void
cluster_chat(const char *room, uint64_t seq, uint64_t prev, const char *from,
    const char *content, int64_t ts)
{
	char *key;

	if (cl_mq == NULL)
		return;
	key = cluster_room_key(room);
	cluster_publish(key, json_pack("{sssssIsIsssssI}", "k", "msg",
	    "r", room, "q", (json_int_t)seq, "p", (json_int_t)prev,
	    "f", from, "c", content, "ts", (json_int_t)ts));
	free(key);
}

static void
cluster_presence(json_t *msg)
{
	if (cl_mq == NULL) {
		json_decref(msg);
		return;
	}
	json_object_set_new(msg, "q", json_integer((json_int_t)++cl_pseq));
	cluster_publish("presence", msg);
}

void
cluster_join(const char *room, const char *name, int first)
{
	if (cl_mq != NULL)
		cluster_presence(json_pack("{sssssssb}", "k", "join", "r", room,
		    "n", name, "first", first));
}

void
cluster_leave(const char *room, const char *name, int quit)
{
	if (cl_mq != NULL)
		cluster_presence(json_pack("{sssssssb}", "k", "leave", "r",
		    room, "n", name, "quit", quit));
}

void
cluster_nick(const char *room, const char *old, const char *name)
{
	if (cl_mq != NULL)
		cluster_presence(json_pack("{ssssssss}", "k", "nick", "r", room,
		    "n", old, "nn", name));
}

void
cluster_private(const char *origin, const char *from, const char *to,
    const char *content, int64_t ts)
{
	char *key;

	if (cl_mq == NULL)
		return;
	key = xasprintf("replica.%s", origin);
	cluster_publish(key, json_pack("{sssssssssI}", "k", "pm", "f", from,
	    "to", to, "c", content, "ts", (json_int_t)ts));
	free(key);
}

void
cluster_bye(void)
{
	if (cl_mq != NULL)
		cluster_publish("presence", json_pack("{sssI}", "k", "bye",
		    "q", (json_int_t)cl_pseq));
}

/* ---- the loop: snapshots and origins ---- */

struct cluster_snap {
	const char	*to;
	json_t		*users;
	int		 part;
};

static void
cluster_snap_send(struct cluster_snap *s, int last)
{
	char *key = xasprintf("replica.%s", s->to);

	cluster_publish(key, json_pack("{sssIsisbso}", "k", "snap",
	    "q", (json_int_t)cl_pseq, "part", s->part++, "last", last,
	    "u", s->users));
	free(key);
	s->users = json_array();
}

static void
cluster_snap_add(const char *name, const char *room, void *arg)
{
	struct cluster_snap *s = arg;

	json_array_append_new(s->users, json_pack("[ss]", name, room));
	if (json_array_size(s->users) >= CLUSTER_SNAP_CHUNK)
		cluster_snap_send(s, 0);
}

static void
cluster_send_snapshot(const char *to)
{
	struct cluster_snap s = { to, json_array(), 0 };

	cl_hub.foreach_local(cluster_snap_add, &s);
	cluster_snap_send(&s, 1);
	json_decref(s.users);
}

/*
 * Whether a snapshot may go to a replica asking for one (org when we know
 * it): one per asker per CLUSTER_SYNC_EVERY_MS, and a budget for all askers
 * together, since a forger can invent any number of askers.  A refused
 * replica asks again at our next heartbeat.
 */
static int
cluster_snap_allowed(struct origin *org)
{
	uint64_t now = clock_now_ms();

	if (org != NULL && org->snap_ms != 0 &&
	    now - org->snap_ms < CLUSTER_SYNC_EVERY_MS)
		return 0;
	if (flood_take(&cl_snap_budget, CLUSTER_SNAP_RATE, CLUSTER_SNAP_BURST,
	    now) == -1)
		return 0;
	if (org != NULL)
		org->snap_ms = now;
	return 1;
}

static void
cluster_ask_sync(const char *o, struct origin *org)
{
	uint64_t	 now = clock_now_ms();
	char		*key;

	org->want_snap = 1;
	if (now - org->sync_ms < CLUSTER_SYNC_EVERY_MS)
		return;
	org->sync_ms = now;
	key = xasprintf("replica.%s", o);
	cluster_publish(key, json_pack("{ss}", "k", "sync"));
	free(key);
}

static struct origin *
cluster_origin(const char *o, int *fresh)
{
	struct origin *org = strmap_get(cl_origins, o);

	*fresh = org == NULL;
	if (org == NULL) {
		org = xcalloc(1, sizeof(*org));
		strmap_put(cl_origins, o, org);
		gauge_set(m_peers, (int64_t)strmap_count(cl_origins));
	}
	org->heard_ms = clock_now_ms();
	return org;
}

static void
cluster_forget(const char *o, int announce)
{
	free(strmap_del(cl_origins, o));
	gauge_set(m_peers, (int64_t)strmap_count(cl_origins));
	cl_hub.gone(o, announce);
}

/* 1 when presence event q from org is next in line (and accounted). */
static int
cluster_presence_seq(const char *o, struct origin *org, int fresh,
    uint64_t q)
{
	if (!fresh && q <= org->pseq) {
		counter_add(m_dups, 1);
		return 0;
	}
	if (!fresh && q - org->pseq > CLUSTER_SEQ_WINDOW) {
		/* No replica makes that many between two heartbeats: a
		 * forgery that would make o's real events look old. */
		counter_add(m_bad, 1);
		cluster_ask_sync(o, org);
		return 0;
	}
	if (fresh || q != org->pseq + 1) {
		/* Apply it, but our picture of o may be stale: resync. */
		if (!fresh)
			counter_add(m_gaps, 1);
		cluster_ask_sync(o, org);
	}
	org->pseq = q;
	return 1;
}

/* One bus message being applied: its kind's handler reads what it needs. */
struct cluster_in {
	const char	*key;		/* routing key */
	const char	*o;		/* origin */
	struct origin	*org;		/* NULL: not heard of (kinds that
					 * do not create origins) */
	int		 fresh;		/* first word from o */
	json_t		*m;
	char		 r[ROOM_MAX_CHARS + 1];	/* "" when absent */
	const char	*n, *nn, *f, *c, *to;
	json_int_t	 q, p, ts;	/* q: -1 when absent */
	int		 signed_;	/* by pk (checked) */
	uint8_t		 pk[BUSSIGN_PK_LEN];
};

/* 0 when every field the message has passes untrusted.h. */
static int
cluster_fields(struct cluster_in *in)
{
	const char	*r = NULL, *names[4];
	size_t		 i;

	if (json_unpack(in->m, "{s?s, s?s, s?s, s?s, s?s, s?s, s?I, s?I, s?I}",
	    "r", &r, "n", &in->n, "nn", &in->nn, "f", &in->f, "c", &in->c,
	    "to", &in->to, "q", &in->q, "p", &in->p, "ts", &in->ts) == -1)
		return -1;
	if (r != NULL && untrusted_room(r, in->r) == -1)
		return -1;
	names[0] = in->n;
	names[1] = in->nn;
	names[2] = in->f;
	names[3] = in->to;
	for (i = 0; i < 4; i++)
		if (names[i] != NULL && untrusted_name(names[i]) == -1)
			return -1;
	if ((in->c != NULL && untrusted_content(in->c) == -1) ||
	    untrusted_ts(in->ts) == -1 || in->q < -1 || in->p < 0)
		return -1;
	return 0;
}

/* Where each kind is published (a kind on another key is forged). */
enum cluster_route {
	ROUTE_PRESENCE,		/* "presence" */
	ROUTE_SELF,		/* "replica.<our id>" */
	ROUTE_ASK,		/* either */
	ROUTE_ROOM		/* "room.<r>" */
};

static int
cluster_route_ok(const struct cluster_in *in, enum cluster_route route)
{
	int presence = strcmp(in->key, "presence") == 0;
	int self = strcmp(in->key, cl_self_key) == 0;

	switch (route) {
	case ROUTE_PRESENCE:
		return presence;
	case ROUTE_SELF:
		return self;
	case ROUTE_ASK:
		return presence || self;
	case ROUTE_ROOM:
		return in->r[0] != '\0' && strncmp(in->key, "room.", 5) == 0 &&
		    strcmp(in->key + 5, in->r) == 0;
	}
	return 0;
}

/*
 * A known origin that signed before must sign with the same key; the first
 * signed word from an origin pins its key (trust on first use: replica ids
 * are random per start, so a forger cannot claim one before it exists).
 * Unsigned origins are older replicas (or invented ones).
 */
static int
cluster_pin(struct origin *org, int signed_, const uint8_t *pk)
{
	if (org->pinned)
		return signed_ && memcmp(org->pk, pk, BUSSIGN_PK_LEN) == 0 ?
		    0 : -1;
	if (signed_) {
		memcpy(org->pk, pk, BUSSIGN_PK_LEN);
		org->pinned = 1;
	}
	return 0;
}

static int
cluster_signer_ok(struct cluster_in *in)
{
	return in->org == NULL ? 0 : cluster_pin(in->org, in->signed_, in->pk);
}

/* Each returns -1 when the message lacks what its kind needs. */
static int
cluster_on_msg(struct cluster_in *in)
{
	if (in->f == NULL || in->c == NULL || in->q <= 0)
		return -1;
	cl_hub.chat(in->o, (uint64_t)in->q, (uint64_t)in->p, in->r, in->f,
	    in->c, in->ts);
	return 0;
}

static int
cluster_on_pm(struct cluster_in *in)
{
	if (in->f == NULL || in->to == NULL || in->c == NULL)
		return -1;
	cl_hub.private_msg(in->o, in->f, in->to, in->c, in->ts);
	return 0;
}

static int
cluster_flag(struct cluster_in *in, const char *key)
{
	return json_is_true(json_object_get(in->m, key));
}

static int
cluster_on_join(struct cluster_in *in)
{
	if (in->r[0] == '\0' || in->n == NULL || in->q <= 0)
		return -1;
	if (cluster_presence_seq(in->o, in->org, in->fresh, (uint64_t)in->q))
		cl_hub.join(in->o, in->r, in->n, cluster_flag(in, "first"));
	return 0;
}

static int
cluster_on_leave(struct cluster_in *in)
{
	if (in->r[0] == '\0' || in->n == NULL || in->q <= 0)
		return -1;
	if (cluster_presence_seq(in->o, in->org, in->fresh, (uint64_t)in->q))
		cl_hub.leave(in->o, in->r, in->n, cluster_flag(in, "quit"));
	return 0;
}

static int
cluster_on_nick(struct cluster_in *in)
{
	if (in->r[0] == '\0' || in->n == NULL || in->nn == NULL || in->q <= 0)
		return -1;
	if (cluster_presence_seq(in->o, in->org, in->fresh, (uint64_t)in->q))
		cl_hub.nick(in->o, in->r, in->n, in->nn);
	return 0;
}

static int
cluster_on_hb(struct cluster_in *in)
{
	if (in->q < 0)
		return -1;
	/* Again while unanswered: o may have refused us (its budget). */
	if (in->fresh || (uint64_t)in->q > in->org->pseq ||
	    in->org->want_snap)
		cluster_ask_sync(in->o, in->org);
	return 0;
}

static int
cluster_on_sync(struct cluster_in *in)
{
	if (cluster_snap_allowed(in->org))
		cluster_send_snapshot(in->o);
	else
		counter_add(m_sync_refused, 1);
	return 0;
}

/* A snapshot answers a sync we sent: to everyone, or to o. */
static int
cluster_snap_asked(const struct origin *org, uint64_t now)
{
	return (cl_sync_all_ms != 0 &&
	    now - cl_sync_all_ms < CLUSTER_SNAP_WAIT_MS) ||
	    (org != NULL && org->sync_ms != 0 &&
	    now - org->sync_ms < CLUSTER_SNAP_WAIT_MS);
}

static int
cluster_on_snap(struct cluster_in *in)
{
	json_t		*users, *u;
	json_int_t	 part;
	int		 last = 0, bad = 0;
	size_t		 i;

	if (json_unpack(in->m, "{s:I, s?b, s:o}", "part", &part, "last",
	    &last, "u", &users) == -1 || !json_is_array(users) || in->q < 0 ||
	    !cluster_snap_asked(in->org, clock_now_ms()))
		return -1;
	/* A part 0 starts a snapshot over. */
	if (in->org == NULL) {
		in->org = cluster_origin(in->o, &in->fresh);
		if (cluster_signer_ok(in) == -1)
			return -1;
	}
	/* Parts in order; not older than what we have (a replayed one). */
	if ((part != 0 && part != in->org->snap_part) ||
	    (!in->fresh && (uint64_t)in->q < in->org->pseq))
		return -1;
	in->org->snap_part = last ? 0 : part + 1;
	if (last)
		in->org->want_snap = 0;
	if (part == 0)
		cl_hub.reset(in->o);
	json_array_foreach(users, i, u) {
		const char	*name, *room;
		char		 r[ROOM_MAX_CHARS + 1];

		if (json_unpack(u, "[ss]", &name, &room) == 0 &&
		    untrusted_name(name) == 0 && untrusted_room(room, r) == 0)
			cl_hub.user(in->o, name, r);
		else
			bad = 1;
	}
	in->org->pseq = (uint64_t)in->q;
	return bad ? -1 : 0;
}

static int
cluster_on_bye(struct cluster_in *in)
{
	/* Only from a replica we know, at the presence seq we have of it. */
	if (in->org == NULL || in->q < 0 || (uint64_t)in->q != in->org->pseq)
		return -1;
	cluster_forget(in->o, 0);
	return 0;
}

/* The bus message kinds (the list at the top of this file). */
static const struct {
	const char		*kind;
	int			(*fn)(struct cluster_in *);
	enum cluster_route	 route;
	int			 creates;	/* a new origin is heard of */
} cluster_kinds[] = {
	{ "msg",	cluster_on_msg,		ROUTE_ROOM,	0 },
	{ "pm",		cluster_on_pm,		ROUTE_SELF,	0 },
	{ "join",	cluster_on_join,	ROUTE_PRESENCE,	1 },
	{ "leave",	cluster_on_leave,	ROUTE_PRESENCE,	1 },
	{ "nick",	cluster_on_nick,	ROUTE_PRESENCE,	1 },
	{ "hb",		cluster_on_hb,		ROUTE_PRESENCE,	1 },
	{ "sync",	cluster_on_sync,	ROUTE_ASK,	0 },
	{ "snap",	cluster_on_snap,	ROUTE_SELF,	0 },
	{ "bye",	cluster_on_bye,		ROUTE_PRESENCE,	0 },
};

static void
cluster_dispatch(const char *key, const char *k, const char *o, json_t *m,
    const uint8_t *pk)
{
	struct cluster_in	in = { .key = key, .o = o, .m = m, .q = -1,
				    .signed_ = pk != NULL };
	size_t			i;

	if (pk != NULL)
		memcpy(in.pk, pk, BUSSIGN_PK_LEN);
	for (i = 0; i < sizeof(cluster_kinds) / sizeof(cluster_kinds[0]); i++)
		if (strcmp(k, cluster_kinds[i].kind) == 0)
			break;
	if (i == sizeof(cluster_kinds) / sizeof(cluster_kinds[0]) ||
	    cluster_fields(&in) == -1 ||
	    !cluster_route_ok(&in, cluster_kinds[i].route)) {
		counter_add(m_bad, 1);
		return;
	}
	if (cluster_kinds[i].creates)
		in.org = cluster_origin(o, &in.fresh);
	else if ((in.org = strmap_get(cl_origins, o)) != NULL)
		in.org->heard_ms = clock_now_ms();
	if (cluster_signer_ok(&in) == -1 || cluster_kinds[i].fn(&in) == -1)
		counter_add(m_bad, 1);
}

void
cluster_receive(const char *key, const void *body, size_t len,
    const char *sig)
{
	json_t		*m;
	const char	*k, *o;
	char		 err[128];
	uint8_t		 pk[BUSSIGN_PK_LEN];

	counter_add(m_recv, 1);
	/* A signature that does not verify is a forgery, not an old peer. */
	if ((sig != NULL && bussign_verify(sig, key, body, len, pk) == -1) ||
	    (m = jsonx_parse_object(body, len, err, sizeof(err))) == NULL) {
		counter_add(m_bad, 1);
		return;
	}
	if (json_unpack(m, "{s:s, s:s}", "k", &k, "o", &o) == -1 ||
	    untrusted_origin(o) == -1)
		counter_add(m_bad, 1);
	else if (strcmp(o, cl_id) != 0)		/* not our own echo */
		cluster_dispatch(key, k, o, m, sig != NULL ? pk : NULL);
	json_decref(m);
}

static void
cluster_deliver(void *arg)
{
	struct cluster_delivery *d = arg;

	cluster_receive(d->key, d->body, d->len, d->sig[0] != '\0' ?
	    d->sig : NULL);
	atomic_fetch_sub(&cl_pending, d->len);
	free(d);
}

static void
cluster_on_up(void *arg)
{
	(void)arg;
	cl_up_since_ms = cl_sync_all_ms = clock_now_ms();
	log_info("chat cluster link up replica=%s", cl_id);
}

static void
cluster_on_down_loop(void *arg)
{
	(void)arg;
	if (cl_up_since_ms != 0)
		log_warnx("chat cluster link down replica=%s, local chat "
		    "goes on", cl_id);
	cl_up_since_ms = 0;
}

struct cluster_expiry {
	uint64_t	now;
	char		**dead;
	size_t		 n;
};

static int
cluster_find_dead(const char *o, void *value, void *arg)
{
	struct cluster_expiry	*e = arg;
	struct origin		*org = value;

	if (e->now - org->heard_ms > CLUSTER_ORIGIN_DEAD_MS) {
		e->dead = xrealloc(e->dead, (e->n + 1) * sizeof(*e->dead));
		e->dead[e->n++] = xstrdup(o);
	}
	return 0;
}

static void
cluster_hb_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cluster_expiry	 e = { clock_now_ms(), NULL, 0 };
	size_t			 i;

	(void)fd;
	(void)what;
	(void)arg;
	cluster_publish("presence", json_pack("{sssI}", "k", "hb", "q",
	    (json_int_t)cl_pseq));
	/* Only while our own link has been up long enough to hear them. */
	if (cl_up_since_ms == 0 ||
	    e.now - cl_up_since_ms < CLUSTER_ORIGIN_DEAD_MS)
		return;
	strmap_foreach(cl_origins, cluster_find_dead, &e);
	for (i = 0; i < e.n; i++) {
		log_warnx("chat replica silent, its users leave origin=%s",
		    e.dead[i]);
		cluster_forget(e.dead[i], 1);
		free(e.dead[i]);
	}
	free(e.dead);
}

/* ---- life cycle ---- */

static void
cluster_metrics(void)
{
	m_pub = metrics_counter("chat_bus_published_total", "",
	    "Messages published to the other replicas");
	m_pub_bytes = metrics_counter("chat_bus_published_bytes_total", "",
	    "Bytes of the messages published to the other replicas");
	m_pub_fail = metrics_counter("chat_bus_publish_failures_total", "",
	    "Messages not published because RabbitMQ was away");
	m_recv = metrics_counter("chat_bus_received_total", "",
	    "Messages received from RabbitMQ (own echo included)");
	m_dups = metrics_counter("chat_bus_duplicates_total", "",
	    "Duplicate presence events dropped");
	m_gaps = metrics_counter("chat_bus_gaps_total", "",
	    "Presence gaps detected (followed by a resync)");
	m_bad = metrics_counter("chat_bus_malformed_total", "",
	    "Bus messages refused: malformed, out of bounds or inconsistent");
	m_sync_refused = metrics_counter("chat_bus_syncs_refused_total", "",
	    "Snapshot requests not answered (over the snapshot budget)");
	m_overrun = metrics_counter("chat_bus_overrun_total", "",
	    "Bus messages dropped: over 32 MiB waiting for the event loop");
	m_peers = metrics_gauge("chat_bus_peers", "",
	    "Other replicas heard from recently");
}

/* The user in our AMQP URL: RabbitMQ stamps it on what we publish. */
static int
cluster_url_user(const char *url, char *err, size_t errlen)
{
	struct amqp_connection_info	 info;
	char				*buf = xstrdup(url);

	if (amqp_parse_url(buf, &info) != AMQP_STATUS_OK) {
		snprintf(err, errlen, "AMQP_URL is not an AMQP URI");
		free(buf);
		return -1;
	}
	snprintf(cl_user, sizeof(cl_user), "%s", info.user);
	free(buf);
	return 0;
}

int
cluster_start(struct event_base *base, const char *amqp_url,
    const char *replica_id, const struct cluster_handlers *hub, char *err,
    size_t errlen)
{
	static const struct mq_handlers h = {
		.on_connect = cluster_on_connect,
		.on_message = cluster_on_message,
		.on_down = cluster_on_down,
		.body_max = CLUSTER_BODY_MAX,	/* larger: dropped unread */
	};
	struct timeval hb = { CLUSTER_HB_MS / 1000, 0 };

	snprintf(cl_id, sizeof(cl_id), "%s", replica_id);
	snprintf(cl_queue, sizeof(cl_queue), "parley.chat.%s", cl_id);
	snprintf(cl_self_key, sizeof(cl_self_key), "replica.%s", cl_id);
	cl_hub = *hub;
	cl_rooms = strmap_new();
	cl_origins = strmap_new();
	flood_init(&cl_snap_budget, CLUSTER_SNAP_BURST, clock_now_ms());
	bussign_init();
	cluster_metrics();
	if (amqp_url == NULL)
		return 0;
	if (cluster_url_user(amqp_url, err, errlen) == -1)
		return -1;
	if ((cl_mq = mq_start("chat-cluster", amqp_url, &h, NULL, err,
	    errlen)) == NULL)
		return -1;
	cl_hb_ev = event_new(base, -1, EV_PERSIST, cluster_hb_cb, NULL);
	event_add(cl_hb_ev, &hb);
	return 0;
}

static int
cluster_free_origin(const char *key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	free(value);
	return 0;
}

void
cluster_stop(void)
{
	if (cl_mq != NULL) {
		event_free(cl_hb_ev);
		mq_stop(cl_mq);	/* sends what mq_publish queued first */
		cl_mq = NULL;
	}
	if (cl_origins == NULL)
		return;
	strmap_foreach(cl_origins, cluster_free_origin, NULL);
	strmap_free(cl_origins);
	strmap_free(cl_rooms);
	cl_origins = cl_rooms = NULL;
}
