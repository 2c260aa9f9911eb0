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
 *   bye   a replica stops (its users already left one by one)
 *   pm    a private message: f, to, c, ts
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "clock.h"
#include "cluster.h"
#include "inbox.h"
#include "jsonx.h"
#include "log.h"
#include "metrics.h"
#include "mq.h"
#include "strmap.h"
#include "xmalloc.h"

#define CLUSTER_HB_MS		2000
#define CLUSTER_ORIGIN_DEAD_MS	10000	/* no word from a replica: gone */
#define CLUSTER_SNAP_CHUNK	500
#define CLUSTER_SYNC_EVERY_MS	1000	/* at most one sync per origin */
#define CLUSTER_BODY_MAX	(256 * 1024)

struct origin {
	uint64_t	pseq;		/* last presence seq applied */
	uint64_t	heard_ms;
	uint64_t	sync_ms;	/* last sync we asked of it */
};

struct cluster_delivery {
	size_t	len;
	char	body[];
};

static struct mq	*cl_mq;
static char		 cl_id[64], cl_queue[96], cl_self_key[96];
static uint64_t		 cl_seq, cl_pseq;
static uint64_t		 cl_up_since_ms;	/* 0 while the link is down */
static struct strmap	*cl_origins;
static struct event	*cl_hb_ev;

static pthread_mutex_t	 cl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct strmap	*cl_rooms;	/* rooms to bind; under cl_lock */

static struct counter	*m_pub, *m_pub_fail, *m_recv, *m_dups, *m_gaps;
static struct counter	*m_bad;
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
	char				*body;
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
	if (msg->body_len > CLUSTER_BODY_MAX)
		return;
	d = xmalloc(sizeof(*d) + msg->body_len);
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
	char			*body;

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
	if (mq_publish(cl_mq, &pub) == -1)
		counter_add(m_pub_fail, 1);
	else
		counter_add(m_pub, 1);
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
		cluster_publish("presence", json_pack("{ss}", "k", "bye"));
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

static void
cluster_ask_sync(const char *o, struct origin *org)
{
	uint64_t	 now = clock_now_ms();
	char		*key;

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
	if (fresh || q != org->pseq + 1) {
		/* Apply it, but our picture of o may be stale: resync. */
		if (!fresh)
			counter_add(m_gaps, 1);
		cluster_ask_sync(o, org);
	}
	org->pseq = q;
	return 1;
}

static void
cluster_apply_snap(const char *o, struct origin *org, json_t *m)
{
	json_t		*users = json_object_get(m, "u"), *u;
	json_int_t	 part = json_integer_value(json_object_get(m, "part"));
	size_t		 i;

	if (part == 0)
		cl_hub.reset(o);
	json_array_foreach(users, i, u) {
		const char *name, *room;

		if (json_unpack(u, "[ss]", &name, &room) == 0)
			cl_hub.user(o, name, room);
	}
	org->pseq = (uint64_t)json_integer_value(json_object_get(m, "q"));
}

/* One bus message being applied: its kind's handler reads what it needs. */
struct cluster_in {
	const char	*o;		/* origin */
	struct origin	*org;
	int		 fresh;		/* first word from o */
	json_t		*m;
	const char	*r, *n, *nn, *f, *c, *to;
	json_int_t	 q, p, ts;
};

/* Each returns -1 when the message lacks what its kind needs. */
static int
cluster_on_msg(struct cluster_in *in)
{
	if (in->r == NULL || in->f == NULL || in->c == NULL || in->q <= 0)
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
	cl_hub.private_msg(in->f, in->to, in->c, in->ts);
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
	if (in->r == NULL || in->n == NULL)
		return -1;
	if (cluster_presence_seq(in->o, in->org, in->fresh, (uint64_t)in->q))
		cl_hub.join(in->o, in->r, in->n, cluster_flag(in, "first"));
	return 0;
}

static int
cluster_on_leave(struct cluster_in *in)
{
	if (in->r == NULL || in->n == NULL)
		return -1;
	if (cluster_presence_seq(in->o, in->org, in->fresh, (uint64_t)in->q))
		cl_hub.leave(in->o, in->r, in->n, cluster_flag(in, "quit"));
	return 0;
}

static int
cluster_on_nick(struct cluster_in *in)
{
	if (in->r == NULL || in->n == NULL || in->nn == NULL)
		return -1;
	if (cluster_presence_seq(in->o, in->org, in->fresh, (uint64_t)in->q))
		cl_hub.nick(in->o, in->r, in->n, in->nn);
	return 0;
}

static int
cluster_on_hb(struct cluster_in *in)
{
	if (in->fresh || (uint64_t)in->q > in->org->pseq)
		cluster_ask_sync(in->o, in->org);
	return 0;
}

static int
cluster_on_sync(struct cluster_in *in)
{
	cluster_send_snapshot(in->o);
	return 0;
}

static int
cluster_on_snap(struct cluster_in *in)
{
	cluster_apply_snap(in->o, in->org, in->m);
	return 0;
}

static int
cluster_on_bye(struct cluster_in *in)
{
	cluster_forget(in->o, 0);
	return 0;
}

/* The bus message kinds (the list at the top of this file). */
static const struct {
	const char	*kind;
	int		(*fn)(struct cluster_in *);
} cluster_kinds[] = {
	{ "msg",	cluster_on_msg },
	{ "pm",		cluster_on_pm },
	{ "join",	cluster_on_join },
	{ "leave",	cluster_on_leave },
	{ "nick",	cluster_on_nick },
	{ "hb",		cluster_on_hb },
	{ "sync",	cluster_on_sync },
	{ "snap",	cluster_on_snap },
	{ "bye",	cluster_on_bye },
};

static void
cluster_dispatch(const char *k, const char *o, json_t *m)
{
	struct cluster_in	in = { .o = o, .m = m };
	size_t			i;

	json_unpack(m, "{s?s, s?s, s?s, s?s, s?s, s?s, s?I, s?I, s?I}",
	    "r", &in.r, "n", &in.n, "nn", &in.nn, "f", &in.f, "c", &in.c,
	    "to", &in.to, "q", &in.q, "p", &in.p, "ts", &in.ts);
	in.org = cluster_origin(o, &in.fresh);
	for (i = 0; i < sizeof(cluster_kinds) / sizeof(cluster_kinds[0]); i++)
		if (strcmp(k, cluster_kinds[i].kind) == 0) {
			if (cluster_kinds[i].fn(&in) == -1)
				counter_add(m_bad, 1);
			return;
		}
	counter_add(m_bad, 1);
}

static void
cluster_deliver(void *arg)
{
	struct cluster_delivery	*d = arg;
	json_t			*m;
	const char		*k, *o;
	char			 err[128];

	counter_add(m_recv, 1);
	if ((m = jsonx_parse_object(d->body, d->len, err, sizeof(err))) ==
	    NULL) {
		counter_add(m_bad, 1);
		free(d);
		return;
	}
	if (json_unpack(m, "{s:s, s:s}", "k", &k, "o", &o) == -1)
		counter_add(m_bad, 1);
	else if (strcmp(o, cl_id) != 0)		/* not our own echo */
		cluster_dispatch(k, o, m);
	json_decref(m);
	free(d);
}

static void
cluster_on_up(void *arg)
{
	(void)arg;
	cl_up_since_ms = clock_now_ms();
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

int
cluster_start(struct event_base *base, const char *amqp_url,
    const char *replica_id, const struct cluster_handlers *hub, char *err,
    size_t errlen)
{
	static const struct mq_handlers h = {
		.on_connect = cluster_on_connect,
		.on_message = cluster_on_message,
		.on_down = cluster_on_down,
	};
	struct timeval hb = { CLUSTER_HB_MS / 1000, 0 };

	snprintf(cl_id, sizeof(cl_id), "%s", replica_id);
	cl_hub = *hub;
	if (amqp_url == NULL)
		return 0;
	snprintf(cl_queue, sizeof(cl_queue), "parley.chat.%s", cl_id);
	snprintf(cl_self_key, sizeof(cl_self_key), "replica.%s", cl_id);
	cl_rooms = strmap_new();
	cl_origins = strmap_new();
	m_pub = metrics_counter("chat_bus_published_total", "",
	    "Messages published to the other replicas");
	m_pub_fail = metrics_counter("chat_bus_publish_failures_total", "",
	    "Messages not published because RabbitMQ was away");
	m_recv = metrics_counter("chat_bus_received_total", "",
	    "Messages received from RabbitMQ (own echo included)");
	m_dups = metrics_counter("chat_bus_duplicates_total", "",
	    "Duplicate presence events dropped");
	m_gaps = metrics_counter("chat_bus_gaps_total", "",
	    "Presence gaps detected (followed by a resync)");
	m_bad = metrics_counter("chat_bus_malformed_total", "",
	    "Bus messages that could not be understood");
	m_peers = metrics_gauge("chat_bus_peers", "",
	    "Other replicas heard from recently");
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
	if (cl_mq == NULL)
		return;
	event_free(cl_hb_ev);
	mq_stop(cl_mq);		/* sends what mq_publish queued first */
	cl_mq = NULL;
	strmap_foreach(cl_origins, cluster_free_origin, NULL);
	strmap_free(cl_origins);
	strmap_free(cl_rooms);
}
