/*
 * hub.c — users, rooms and messages: the lab's texts (docs/chat.md, Protocol) for
 * logins, chat, leaves; rooms and commands; events of other replicas.
 * Direct replies use conn_send/conn_notice; room traffic goes through
 * hub_broadcast so that a joining user's copy waits behind the history.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "clock.h"
#include "cluster.h"
#include "command.h"
#include "conn.h"
#include "hub.h"
#include "log.h"
#include "metrics.h"
#include "namekey.h"
#include "room.h"
#include "settings.h"
#include "store.h"
#include "strmap.h"
#include "text.h"
#include "user.h"
#include "vocab.h"
#include "wire.h"
#include "xmalloc.h"

#define HUB_LIST_MAX	100	/* names shown by CONNECTED USERS and /who */
#define HUB_ROOMS_MAX	100
#define HUB_JOIN_WAIT_MS 300	/* history wait before the room goes on */
#define HUB_RESERVED	"That name belongs to an account"

struct remote {
	char		*name;
	char		*origin;
	struct room	*room;
};

static char		 hub_replica[64];
static struct strmap	*hub_local;	/* name key -> conn (also claims) */
static struct strmap	*hub_remote;	/* name key -> struct remote */
static struct counter	*m_messages, *m_private, *m_flood, *m_commands;

/* Joins waiting for their history, oldest first (one wait for all). */
struct hub_wait {
	struct hub_wait	*next;
	struct user	*user;		/* referenced */
	uint64_t	 gen;		/* its join */
	uint64_t	 deadline_ms;
};
static struct hub_wait	*hub_waits, **hub_waits_tail = &hub_waits;
static struct event	*hub_wait_ev;

static void	hub_enter(struct user *, struct room *, int first);

static int64_t
hub_now_ts(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The name's key (lib/namekey.h); a name without one (only a peer could
 * send it) keys by its lower case, which no valid name's key equals. */
static void
hub_keyof(const char *name, char key[NAMEKEY_MAX + 1])
{
	const char *why;

	if (namekey(name, strlen(name), key, &why) == -1)
		text_key(name, strlen(name), key, NAMEKEY_MAX + 1);
}

static void	hub_wait_cb(evutil_socket_t, short, void *);

void
hub_init(struct event_base *base, const char *replica_id)
{
	static const struct room_handlers bus = { cluster_bind,
	    cluster_unbind };

	room_init(&bus);
	hub_wait_ev = evtimer_new(base, hub_wait_cb, NULL);
	snprintf(hub_replica, sizeof(hub_replica), "%s", replica_id);
	hub_local = strmap_new();
	hub_remote = strmap_new();
	m_messages = metrics_counter("chat_messages_total", "",
	    "Chat messages received from local clients");
	m_private = metrics_counter("chat_private_messages_total", "",
	    "Private messages sent by local clients");
	m_flood = metrics_counter("chat_flood_dropped_total", "",
	    "Messages refused by flood control");
	m_commands = metrics_counter("chat_commands_total", "",
	    "Commands run");
}

/* Every local member of r except one gets o (held while they join). */
static void
hub_broadcast(struct room *r, struct user *except, struct out *o)
{
	struct user *m;

	TAILQ_FOREACH(m, &r->members, member)
		if (m != except)
			user_deliver(m, o);
}

static void	hub_announce(struct room *, struct user *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* A SERVER notice to the room's local members except one. */
static void
hub_announce(struct room *r, struct user *except, const char *fmt, ...)
{
	struct out	 o = { .type = VOCAB_CHAT, .room = r->name,
			    .from = "SERVER" };
	va_list		 ap;
	char		*line;

	if (r->nlocal == 0)
		return;
	/* Big rooms stay readable: no join/leave chatter (docs/chat.md). */
	if (settings.presence_max != 0 &&
	    r->nlocal + r->nremote > settings.presence_max)
		return;
	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) == -1)
		fatalx("%s: vasprintf", __func__);
	va_end(ap);
	o.content = line;
	o.ts = hub_now_ts();
	hub_broadcast(r, except, &o);
	out_free(&o);
	free(line);
}

/* ---- names ---- */

/* ---- accounts (docs/chat.md "Accounts") ----
 *
 * The users of one account share its name: hub_local maps the key to the
 * first, u->twin links the others.  Nobody leases an account's name: its
 * row in chat_names is the account's for good.
 */

static void
hub_twin_add(const char *key, struct user *u)
{
	struct user *head = strmap_get(hub_local, key);

	if (head == NULL)
		strmap_put(hub_local, key, u);
	else {
		u->twin = head->twin;
		head->twin = u;
	}
}

static void
hub_twin_del(const char *key, struct user *u)
{
	struct user *t = strmap_get(hub_local, key);

	if (t == u) {
		if (u->twin != NULL)
			strmap_put(hub_local, key, u->twin);
		else
			strmap_del(hub_local, key);
	} else {
		while (t != NULL && t->twin != u)
			t = t->twin;
		if (t != NULL)
			t->twin = u->twin;
	}
	u->twin = NULL;
}

/* A user of key other than u in room r (until stop, when given). */
static struct user *
hub_key_in_room(const char *key, struct room *r, struct user *u,
    struct user *stop)
{
	struct user *t;

	for (t = strmap_get(hub_local, key); t != NULL && t != stop;
	    t = t->twin)
		if (t != u && t->room == r && t->name != NULL && user_alive(t))
			return t;
	return NULL;
}

/* Another connection of u's account is in r: presence is shown once. */
static int
hub_twin_in_room(struct user *u, struct room *r)
{
	char key[NAMEKEY_MAX + 1];

	if (u->account_id == 0 || u->name == NULL)
		return 0;
	hub_keyof(u->name, key);
	return hub_key_in_room(key, r, u, NULL) != NULL;
}

/* Skip m in r's list: self's account is listed as self, others once. */
static int
hub_list_skip(struct user *m, struct room *r, struct user *self)
{
	char key[NAMEKEY_MAX + 1];

	if (m->account_id == 0)
		return 0;
	if (self != NULL && self->account_id == m->account_id)
		return 1;
	hub_keyof(m->name, key);
	return hub_key_in_room(key, r, m, m) != NULL;
}

static int
hub_name_taken(const char *key)
{
	return strmap_get(hub_local, key) != NULL ||
	    strmap_get(hub_remote, key) != NULL;
}

static void
hub_forget_name(struct user *u)
{
	char key[NAMEKEY_MAX + 1];

	if (u->pending_name != NULL) {
		hub_keyof(u->pending_name, key);
		if (strmap_get(hub_local, key) == u)
			strmap_del(hub_local, key);
		store_release(u->pending_name, u->id);
		free(u->pending_name);
		u->pending_name = NULL;
	}
	if (u->name != NULL && u->account_id != 0) {
		hub_keyof(u->name, key);
		hub_twin_del(key, u);
		free(u->name);
		u->name = NULL;
	}
	if (u->name != NULL) {
		hub_keyof(u->name, key);
		if (strmap_get(hub_local, key) == u)
			strmap_del(hub_local, key);
		store_release(u->name, u->id);
		free(u->name);
		u->name = NULL;
	}
}

static int
hub_check_new_name(struct user *u, const char *name, size_t len)
{
	struct user	*other;
	char		 key[NAMEKEY_MAX + 1], err[128];
	const char	*why;

	/* namekey's reasons first: they name invisible characters. */
	if (namekey(name, len, key, &why) == -1) {
		conn_error(u->conn, "name_invalid", why);
		return -1;
	}
	if (text_name_check(name, len, err, sizeof(err)) == -1) {
		conn_error(u->conn, "name_invalid", err);
		return -1;
	}
	if (namekey_reserved(key)) {
		conn_error(u->conn, "name_invalid", "the name looks like "
		    "SERVER, which is reserved");
		return -1;
	}
	if ((other = strmap_get(hub_local, key)) != NULL &&
	    other->account_id != 0) {
		conn_error(u->conn, "reserved", HUB_RESERVED);
		return -1;
	}
	if (hub_name_taken(key)) {
		conn_errorf(u->conn, "name_taken", "the name %.*s is taken, choose "
		    "another", (int)len, name);
		return -1;
	}
	return 0;
}

static void	hub_welcome(struct user *);

static void
hub_claimed(void *owner, const char *name, enum store_status st)
{
	struct user	*u = owner;
	char		 key[NAMEKEY_MAX + 1];

	if (!user_alive(u) || u->name == NULL || strcmp(u->name, name) != 0) {
		if (st == STORE_OK)
			store_release(name, u->id);
		return;
	}
	if (st == STORE_TAKEN || st == STORE_RESERVED) {
		hub_keyof(name, key);
		strmap_del(hub_local, key);
		free(u->name);
		u->name = NULL;
		user_set_state(u, USER_LOGIN);
		if (st == STORE_RESERVED)
			conn_error(u->conn, "reserved", HUB_RESERVED);
		else
			conn_errorf(u->conn, "name_taken", "the name %s is "
			    "taken, choose another", name);
		conn_resume(u->conn);
		return;
	}
	/* No answer: unique among the users we know; leased on recovery. */
	u->unleased = st == STORE_UNAVAILABLE;
	if (u->unleased)
		log_debug("chat name lease unavailable, unique on this "
		    "replica only conn=%llu", (unsigned long long)u->id);
	hub_welcome(u);
}

/* Logged in as u->name: WELCOME, then the default room. */
static void
hub_welcome(struct user *u)
{
	struct out	 o = { .type = VOCAB_WELCOME };
	const char	*features[8];
	char		*line;

	line = xasprintf("Welcome %s! You can now start to chat!", u->name);
	o.content = line;
	if (u->conn->features != 0)
		o.nfeatures = wire_feature_names(WIRE_FEAT_ALL, features, 8);
	o.features = features;
	conn_send(u->conn, &o);
	conn_logged_in(u->conn);
	out_free(&o);
	free(line);
	hub_enter(u, room_get(ROOM_DEFAULT), 1);
}

static void
hub_login(struct user *u, const char *name, size_t len)
{
	char key[NAMEKEY_MAX + 1];

	if (hub_check_new_name(u, name, len) == -1)
		return;
	u->name = xstrndup(name, len);
	hub_keyof(u->name, key);
	strmap_put(hub_local, key, u);
	user_set_state(u, USER_CLAIMING);
	store_claim(u, u->id, u->name, hub_claimed);
}

/* ---- rooms ---- */

static size_t
hub_list_names(struct room *r, struct user *self, const char **v, size_t max,
    size_t *total)
{
	struct user	*m;
	size_t		 n = 0;

	*total = 0;
	TAILQ_FOREACH(m, &r->members, member) {
		if (m == self || m->name == NULL || !user_alive(m) ||
		    hub_list_skip(m, r, self))
			continue;
		if (n < max)
			v[n++] = m->name;
		(*total)++;
	}
	return n;
}

struct hub_collect {
	struct room	*room;
	const char	**v;
	size_t		 n, max, total;
};

static int
hub_collect_remote(const char *key, void *value, void *arg)
{
	struct hub_collect	*hc = arg;
	struct remote		*rm = value;

	/* An account here and on another replica: listed once. */
	if (rm->room != hc->room || hub_key_in_room(key, hc->room, NULL,
	    NULL) != NULL)
		return 0;
	if (hc->n < hc->max)
		hc->v[hc->n++] = rm->name;
	hc->total++;
	return 0;
}

/* "a, b, c" of the room's users (self last when given), capped. */
static char *
hub_user_list(struct room *r, struct user *self)
{
	const char		*v[HUB_LIST_MAX + 1];
	struct hub_collect	 hc = { r, v, 0, HUB_LIST_MAX, 0 };
	size_t			 i, len = 1, total;
	char			*s, *p;

	hc.n = hub_list_names(r, self, v, HUB_LIST_MAX, &total);
	hc.total = total;
	if (r->nremote > 0)
		strmap_foreach(hub_remote, hub_collect_remote, &hc);
	if (self != NULL && self->name != NULL) {
		v[hc.n++] = self->name;
		hc.total++;
	}
	for (i = 0; i < hc.n; i++)
		len += strlen(v[i]) + 2;
	p = s = xmalloc(len + 32);
	for (i = 0; i < hc.n; i++)
		p += sprintf(p, "%s%s", i ? ", " : "", v[i]);
	if (hc.total > hc.n)
		sprintf(p, " and %zu more", hc.total - hc.n);
	return s;
}

static void
hub_history_line(struct user *u, struct store_line *l)
{
	struct out	 o = { .type = VOCAB_CHAT, .from = l->from, .ts = l->ts,
			    .history = 1, .origin = l->origin, .seq = l->seq };
	char		*line = xasprintf("%s: %s", l->from, l->content);

	o.room = u->room->name;
	o.content = line;
	conn_send(u->conn, &o);
	out_free(&o);
	free(line);
}

struct hub_hist {
	struct store_line	*lines;
	size_t			 n;
};

static int
hub_in_history(const char *origin, uint64_t seq, void *arg)
{
	struct hub_hist	*h = arg;
	size_t		 i;

	for (i = 0; i < h->n; i++)
		if (h->lines[i].seq == seq &&
		    strcmp(h->lines[i].origin, origin) == 0)
			return 1;
	return 0;
}

/* The room goes on for u: what was held meanwhile, then input. */
static void
hub_joined(struct user *u, struct hub_hist *h)
{
	user_release_held(u, h != NULL ? hub_in_history : NULL, h);
	user_set_state(u, USER_CHAT);
	conn_resume(u->conn);
}

static void
hub_history_unavailable(struct user *u)
{
	char *line = xasprintf("SERVER: the history of %s is not available "
	    "right now", u->room->name);

	conn_notice(u->conn, line);
	free(line);
}

/*
 * History for join gen of u.  In time (still JOINING): the replay, then
 * the messages held meanwhile minus those replayed.  Late (the room went
 * on after HUB_JOIN_WAIT_MS): only what was said before the join.
 */
static void
hub_history(void *owner, uint64_t gen, struct store_line *lines, size_t n,
    enum store_status st)
{
	struct user	*u = owner;
	struct hub_hist	 h = { lines, n };
	size_t		 i;
	int		 late;

	if (!user_alive(u) || u->room == NULL || u->join_gen != gen)
		return;
	late = u->state != USER_JOINING;
	if (st != STORE_OK)
		hub_history_unavailable(u);
	for (i = 0; i < n; i++)
		if (!late || lines[i].ts < u->join_ts)
			hub_history_line(u, &lines[i]);
	if (!late)
		hub_joined(u, &h);
}

static void
hub_wait_arm(void)
{
	uint64_t	now = clock_now_ms(), ms;
	struct timeval	tv;

	if (hub_waits == NULL || evtimer_pending(hub_wait_ev, NULL))
		return;
	ms = hub_waits->deadline_ms > now ? hub_waits->deadline_ms - now : 0;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(hub_wait_ev, &tv);
}

static void
hub_wait_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hub_wait	*w;
	uint64_t	 now = clock_now_ms();

	(void)fd;
	(void)what;
	(void)arg;
	while ((w = hub_waits) != NULL && w->deadline_ms <= now) {
		if ((hub_waits = w->next) == NULL)
			hub_waits_tail = &hub_waits;
		if (user_alive(w->user) && w->user->state == USER_JOINING &&
		    w->user->join_gen == w->gen)
			hub_joined(w->user, NULL);
		user_unref(w->user);
		free(w);
	}
	hub_wait_arm();
}

/* Nobody waits long for a store: the join ends in HUB_JOIN_WAIT_MS. */
static void
hub_wait_add(struct user *u)
{
	struct hub_wait *w = xcalloc(1, sizeof(*w));

	user_ref(u);
	w->user = u;
	w->gen = u->join_gen;
	w->deadline_ms = clock_now_ms() + HUB_JOIN_WAIT_MS;
	*hub_waits_tail = w;
	hub_waits_tail = &w->next;
	hub_wait_arm();
}

static void
hub_enter(struct user *u, struct room *r, int first)
{
	char *users;

	u->room = r;
	u->join_gen++;
	u->join_ts = hub_now_ts();
	user_set_state(u, USER_JOINING);
	room_add(r, u);
	users = hub_user_list(r, u);
	if (first) {
		char *line = xasprintf("CONNECTED USERS: %s", users);
		conn_notice(u->conn, line);
		free(line);
	} else {
		char *line = xasprintf("SERVER: you are now in %s with: %s",
		    r->name, users);
		conn_notice(u->conn, line);
		free(line);
	}
	free(users);
	if (!hub_twin_in_room(u, r)) {
		hub_announce(r, u, first ? "SERVER: %s is now online" :
		    "SERVER: %s joined the room", u->name);
		cluster_join(r->name, u->name, first);
	}
	store_history(u, u->join_gen, r->name, hub_history);
	if (u->state == USER_JOINING)
		hub_wait_add(u);
}

static void
hub_leave(struct user *u, int quit)
{
	struct room *r = u->room;

	if (r == NULL || u->name == NULL)
		return;
	u->room = NULL;
	user_release_held(u, NULL, NULL);
	if (!hub_twin_in_room(u, r)) {
		hub_announce(r, u, quit ? "SERVER: %s left the chat" :
		    "SERVER: %s left the room", u->name);
		cluster_leave(r->name, u->name, quit);
	}
	room_del(r, u);		/* may free r */
}

/* ---- input ---- */

static void
hub_say(struct user *u, const char *text)
{
	struct room	*r = u->room;
	struct out	 o = { .type = VOCAB_CHAT };
	char		*line;
	uint64_t	 seq = cluster_next_seq(), prev = r->last_seq;

	r->last_seq = seq;
	line = xasprintf("%s: %s", u->name, text);
	o.content = line;
	o.room = r->name;
	o.from = u->name;
	o.ts = hub_now_ts();
	o.origin = hub_replica;
	o.seq = seq;
	counter_add(m_messages, 1);
	hub_broadcast(r, u, &o);
	out_free(&o);
	free(line);
	cluster_chat(r->name, seq, prev, u->name, text, o.ts);
	store_append(r->name, hub_replica, seq, u->name, text, o.ts);
}

static int
hub_flood_ok(struct user *u)
{
	uint64_t now = clock_now_ms();

	if (flood_take(&u->flood, settings.flood_rate, settings.flood_burst,
	    now) == 0)
		return 1;
	counter_add(m_flood, 1);
	/* One warning per second at most: a flood must not amplify. */
	if ((uint32_t)now - u->flood_note_ms >= 1000) {
		u->flood_note_ms = (uint32_t)now;
		conn_error(u->conn, "flood", "you are sending too fast; message "
		    "dropped");
	}
	return 0;
}

static void	hub_command(struct user *, const char *, size_t);
static void	hub_quit(struct user *);

static void
hub_input(struct user *u, const char *content, size_t len)
{
	char	*text;
	size_t	 tlen;

	if (!hub_flood_ok(u))
		return;
	if (len > settings.content_max) {
		conn_errorf(u->conn, "too_long", "message over %zu bytes dropped",
		    settings.content_max);
		return;
	}
	text = text_escape(content, len, &tlen);
	if (strcmp(text, "#quit") == 0)
		hub_quit(u);
	else if (text[0] == '/')
		hub_command(u, text, tlen);
	else
		hub_say(u, text);
	free(text);
}

static void
hub_quit(struct user *u)
{
	struct out	 o = { .type = VOCAB_BYE };
	char		*line;

	if (!user_alive(u))
		return;
	if (u->name != NULL && u->state != USER_LOGIN) {
		line = xasprintf("You now left the chat. See you soon %s!",
		    u->name);
		o.content = line;
		conn_send(u->conn, &o);
		out_free(&o);
		free(line);
	}
	hub_leave(u, 1);
	hub_forget_name(u);
	conn_finish(u->conn);
}


/* ---- commands ---- */

static void
cmd_join(struct user *u, struct command *cmd)
{
	char	key[ROOM_MAX_CHARS + 1], err[128], *line;

	if (text_room_check(cmd->arg, strlen(cmd->arg), err,
	    sizeof(err)) == -1) {
		conn_error(u->conn, "bad_room", err);
		return;
	}
	text_key(cmd->arg, strlen(cmd->arg), key, sizeof(key));
	if (strcmp(key, u->room->name) == 0) {
		line = xasprintf("SERVER: you are already in %s", key);
		conn_notice(u->conn, line);
		free(line);
		return;
	}
	hub_leave(u, 0);
	hub_enter(u, room_get(key), 0);
}

struct hub_rooms {
	const char	*name[HUB_ROOMS_MAX];
	unsigned	 count[HUB_ROOMS_MAX];
	size_t		 n, total;
};

static void
hub_collect_room(struct room *r, void *arg)
{
	struct hub_rooms *hr = arg;

	if (r->nlocal + r->nremote == 0)
		return;
	hr->total++;
	if (hr->n < HUB_ROOMS_MAX) {
		hr->name[hr->n] = r->name;
		hr->count[hr->n++] = r->nlocal + r->nremote;
	}
}

static void
cmd_rooms(struct user *u, struct command *cmd)
{
	struct hub_rooms	 hr;
	size_t			 i, j, len;
	char			*s, *p;

	(void)cmd;
	memset(&hr, 0, sizeof(hr));
	room_foreach(hub_collect_room, &hr);
	for (i = 1; i < hr.n; i++)	/* insertion sort by name */
		for (j = i; j > 0 && strcmp(hr.name[j - 1], hr.name[j]) > 0;
		    j--) {
			const char *tn = hr.name[j];
			unsigned tc = hr.count[j];

			hr.name[j] = hr.name[j - 1];
			hr.count[j] = hr.count[j - 1];
			hr.name[j - 1] = tn;
			hr.count[j - 1] = tc;
		}
	len = 64 + hr.n * (ROOM_MAX_CHARS + 16);
	p = s = xmalloc(len);
	p += sprintf(p, "SERVER: rooms:");
	for (i = 0; i < hr.n; i++)
		p += sprintf(p, "%s %s (%u)", i ? "," : "", hr.name[i],
		    hr.count[i]);
	if (hr.total > hr.n)
		sprintf(p, " and %zu more", hr.total - hr.n);
	conn_notice(u->conn, s);
	free(s);
}

static void
cmd_who(struct user *u, struct command *cmd)
{
	char *users, *line;

	(void)cmd;
	users = hub_user_list(u->room, u);
	line = xasprintf("SERVER: users in %s: %s", u->room->name, users);
	conn_notice(u->conn, line);
	free(line);
	free(users);
}

/* u->pending_name becomes u->name; release_old gives back the old lease. */
static void
hub_rename(struct user *u, int release_old)
{
	char	key[NAMEKEY_MAX + 1], *old, *line;

	old = u->name;
	hub_keyof(old, key);
	if (strmap_get(hub_local, key) == u)
		strmap_del(hub_local, key);
	if (release_old)
		store_release(old, u->id);
	u->name = u->pending_name;
	u->pending_name = NULL;
	hub_keyof(u->name, key);
	strmap_put(hub_local, key, u);
	hub_announce(u->room, u, "SERVER: %s is now known as %s", old,
	    u->name);
	cluster_nick(u->room->name, old, u->name);
	line = xasprintf("SERVER: you are now known as %s", u->name);
	conn_notice(u->conn, line);
	free(line);
	free(old);
}

static void
hub_renamed(void *owner, const char *name, enum store_status st)
{
	struct user	*u = owner;
	char		 key[NAMEKEY_MAX + 1];

	if (!user_alive(u) || u->pending_name == NULL ||
	    strcmp(u->pending_name, name) != 0) {
		if (st == STORE_OK)
			store_release(name, u->id);
		return;
	}
	user_set_state(u, USER_CHAT);
	if (st == STORE_TAKEN || st == STORE_RESERVED) {
		hub_keyof(name, key);
		strmap_del(hub_local, key);
		free(u->pending_name);
		u->pending_name = NULL;
		if (st == STORE_RESERVED)
			conn_error(u->conn, "reserved", HUB_RESERVED);
		else
			conn_errorf(u->conn, "name_taken", "the name %s is "
			    "taken, choose another", name);
		conn_resume(u->conn);
		return;
	}
	hub_rename(u, 1);
	u->unleased = st == STORE_UNAVAILABLE;
	conn_resume(u->conn);
}

static void
cmd_nick(struct user *u, struct command *cmd)
{
	char	key[NAMEKEY_MAX + 1], oldkey[NAMEKEY_MAX + 1];
	size_t	len = strlen(cmd->arg);

	if (u->account_id != 0) {
		conn_error(u->conn, "account_name", "your name is your "
		    "account's; it cannot change here");
		return;
	}
	hub_keyof(cmd->arg, key);
	hub_keyof(u->name, oldkey);
	if (strcmp(key, oldkey) == 0) {
		/* Only the looks change: the lease (by key) stays. */
		if (text_name_check(cmd->arg, len, key, sizeof(key)) == -1) {
			conn_error(u->conn, "name_invalid", key);
			return;
		}
		u->pending_name = xstrdup(cmd->arg);
		hub_rename(u, 0);
		return;
	}
	if (hub_check_new_name(u, cmd->arg, len) == -1)
		return;
	u->pending_name = xstrdup(cmd->arg);
	strmap_put(hub_local, key, u);
	user_set_state(u, USER_CLAIMING);
	store_claim(u, u->id, u->pending_name, hub_renamed);
}

/* A private message to to and its account's other connections here;
 * returns how many got it. */
static int
hub_private(struct user *to, const char *from, const char *content,
    int64_t ts)
{
	struct out	 o = { .type = VOCAB_CHAT, .private_msg = 1 };
	char		*line = xasprintf("%s (private): %s", from, content);
	int		 n = 0;

	o.content = line;
	o.from = from;
	o.ts = ts;
	for (; to != NULL; to = to->twin)
		if (to->name != NULL && user_alive(to) && to->room != NULL) {
			user_deliver(to, &o);
			n++;
		}
	out_free(&o);
	free(line);
	return n;
}

static void
cmd_msg(struct user *u, struct command *cmd)
{
	struct user	*to;
	struct remote	*rm;
	char		 key[NAMEKEY_MAX + 1];
	int64_t		 ts = hub_now_ts();
	int		 n;

	hub_keyof(cmd->arg, key);
	counter_add(m_private, 1);
	/* An account may be here and elsewhere: both get it. */
	n = (to = strmap_get(hub_local, key)) != NULL ?
	    hub_private(to, u->name, cmd->text, ts) : 0;
	if ((rm = strmap_get(hub_remote, key)) != NULL) {
		cluster_private(rm->origin, u->name, rm->name, cmd->text, ts);
		return;
	}
	if (n > 0)
		return;
	conn_errorf(u->conn, "no_such_user", "no user named %s", cmd->arg);
}

static void
cmd_help(struct user *u, struct command *cmd)
{
	const char	*h;
	char		*line;
	size_t		 i;

	(void)cmd;
	for (i = 0; (h = command_help(i)) != NULL; i++) {
		line = xasprintf("SERVER: %s", h);
		conn_notice(u->conn, line);
		free(line);
	}
}

static void
cmd_quit(struct user *u, struct command *cmd)
{
	(void)cmd;
	hub_quit(u);
}

static void (*const hub_commands[CMD_COUNT])(struct user *,
    struct command *) = {
	[CMD_JOIN] = cmd_join,
	[CMD_ROOMS] = cmd_rooms,
	[CMD_WHO] = cmd_who,
	[CMD_NICK] = cmd_nick,
	[CMD_MSG] = cmd_msg,
	[CMD_HELP] = cmd_help,
	[CMD_QUIT] = cmd_quit,
};

static void
hub_command(struct user *u, const char *text, size_t len)
{
	struct command	cmd;
	char		err[160];

	if (command_parse(text, len, &cmd, err, sizeof(err)) == -1) {
		conn_error(u->conn, "bad_command", err);
		return;
	}
	counter_add(m_commands, 1);
	hub_commands[cmd.id](u, &cmd);
}

/* ---- other replicas ---- */

/*
 * Whether origin may speak as name: not when name is one of our guests or
 * another replica's (a forger on the bus posing as them).  A name we do not
 * know yet passes: our picture of origin's users may lag.  An account's
 * name may be in use here and on other replicas at once (its owner's
 * connections; only the back end hands it out).
 */
static int
hub_remote_speaker_ok(const char *origin, const char *name)
{
	struct remote	*rm;
	struct user	*u;
	char		 key[NAMEKEY_MAX + 1];

	hub_keyof(name, key);
	if ((u = strmap_get(hub_local, key)) != NULL)
		return u->account_id != 0;
	rm = strmap_get(hub_remote, key);
	return rm == NULL || strcmp(rm->origin, origin) == 0;
}

static void
hub_remote_chat(const char *origin, uint64_t seq, uint64_t prev,
    const char *room, const char *from, const char *content, int64_t ts)
{
	struct room	*r = room_find(room);
	struct out	 o = { .type = VOCAB_CHAT };
	char		*line, *safe, *safe_from;
	int		 gap;

	if (r == NULL || r->nlocal == 0 || !hub_remote_speaker_ok(origin, from))
		return;
	if (!room_accept(r, origin, seq, prev, &gap))
		return;
	if (gap)
		log_warnx("chat messages lost room=%s origin=%s", room, origin);
	/* Replicas escape what they send; escaping again costs little and
	 * keeps a rogue publisher on the broker from reaching terminals. */
	safe_from = text_escape(from, strlen(from), NULL);
	safe = text_escape(content, strlen(content), NULL);
	from = safe_from;
	content = safe;
	line = xasprintf("%s: %s", from, content);
	o.content = line;
	o.room = r->name;
	o.from = from;
	o.ts = ts;
	o.origin = origin;
	o.seq = seq;
	hub_broadcast(r, NULL, &o);
	out_free(&o);
	free(line);
	free(safe);
	free(safe_from);
}

static void
hub_remote_free(struct remote *rm)
{
	free(rm->name);
	free(rm->origin);
	free(rm);
}

static void
hub_remote_add(const char *origin, const char *name, const char *room)
{
	struct remote	*rm;
	struct user	*u;
	char		 key[NAMEKEY_MAX + 1];

	hub_keyof(name, key);
	/* A guest of ours is not theirs too; an account may be on both. */
	if ((u = strmap_get(hub_local, key)) != NULL && u->account_id == 0)
		return;
	if ((rm = strmap_get(hub_remote, key)) != NULL) {
		room_remote_del(rm->room);
		free(rm->origin);
		free(rm->name);
	} else {
		rm = xcalloc(1, sizeof(*rm));
		strmap_put(hub_remote, key, rm);
	}
	rm->name = xstrdup(name);
	rm->origin = xstrdup(origin);
	rm->room = room_get(room);
	room_remote_add(rm->room);
}

static void
hub_remote_del(const char *key)
{
	struct remote *rm = strmap_del(hub_remote, key);

	if (rm == NULL)
		return;
	room_remote_del(rm->room);
	hub_remote_free(rm);
}

static void
hub_remote_join(const char *origin, const char *room, const char *name,
    int first)
{
	char key[NAMEKEY_MAX + 1];

	hub_remote_add(origin, name, room);
	hub_keyof(name, key);
	if (hub_key_in_room(key, room_get(room), NULL, NULL) == NULL)
		hub_announce(room_get(room), NULL, first ?
		    "SERVER: %s is now online" : "SERVER: %s joined the room",
		    name);
}

static void
hub_remote_leave(const char *origin, const char *room, const char *name,
    int quit)
{
	struct remote	*rm;
	char		 key[NAMEKEY_MAX + 1];

	hub_keyof(name, key);
	if ((rm = strmap_get(hub_remote, key)) == NULL ||
	    strcmp(rm->origin, origin) != 0)
		return;
	hub_remote_del(key);
	if (room_find(room) != NULL &&
	    hub_key_in_room(key, room_find(room), NULL, NULL) == NULL)
		hub_announce(room_find(room), NULL, quit ?
		    "SERVER: %s left the chat" : "SERVER: %s left the room",
		    name);
}

static void
hub_remote_nick(const char *origin, const char *room, const char *old,
    const char *name)
{
	struct remote	*rm;
	char		 key[NAMEKEY_MAX + 1];

	hub_keyof(old, key);
	if ((rm = strmap_get(hub_remote, key)) == NULL ||
	    strcmp(rm->origin, origin) != 0)
		return;
	hub_remote_del(key);
	hub_remote_add(origin, name, room);
	hub_announce(room_get(room), NULL, "SERVER: %s is now known as %s",
	    old, name);
}

static void
hub_remote_private(const char *origin, const char *from, const char *to,
    const char *content, int64_t ts)
{
	char	 key[NAMEKEY_MAX + 1], *safe;

	if (!hub_remote_speaker_ok(origin, from))
		return;
	hub_keyof(to, key);
	safe = text_escape(content, strlen(content), NULL);
	hub_private(strmap_get(hub_local, key), from, safe, ts);
	free(safe);
}

struct hub_drop {
	const char	*origin;
	char		**keys;
	size_t		 n, cap;
};

static int
hub_collect_origin(const char *key, void *value, void *arg)
{
	struct hub_drop	*d = arg;
	struct remote	*rm = value;

	if (strcmp(rm->origin, d->origin) != 0)
		return 0;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->keys = xrealloc(d->keys, d->cap * sizeof(*d->keys));
	}
	d->keys[d->n++] = xstrdup(key);
	return 0;
}

static void
hub_drop_origin(const char *origin, int announce)
{
	struct hub_drop	 d = { origin, NULL, 0, 0 };
	struct remote	*rm;
	size_t		 i;

	strmap_foreach(hub_remote, hub_collect_origin, &d);
	for (i = 0; i < d.n; i++) {
		rm = strmap_get(hub_remote, d.keys[i]);
		if (announce)
			hub_announce(rm->room, NULL,
			    "SERVER: %s left the chat", rm->name);
		hub_remote_del(d.keys[i]);
		free(d.keys[i]);
	}
	free(d.keys);
}

static void
hub_remote_reset(const char *origin)
{
	hub_drop_origin(origin, 0);
}

static void
hub_remote_user(const char *origin, const char *name, const char *room)
{
	hub_remote_add(origin, name, room);
}

static void
hub_remote_gone(const char *origin, int announce)
{
	hub_drop_origin(origin, announce);
}

struct hub_each {
	void	(*fn)(const char *, const char *, void *);
	void	*arg;
};

static int
hub_each_local(const char *key, void *value, void *arg)
{
	struct hub_each	*e = arg;
	struct user	*u = value;

	(void)key;
	/* Claims in flight and pending renames are not users yet. */
	if (u->room != NULL && u->name != NULL && user_alive(u)) {
		char k[NAMEKEY_MAX + 1];

		hub_keyof(u->name, k);
		if (strcmp(k, key) == 0)
			e->fn(u->name, u->room->name, e->arg);
	}
	return 0;
}

static void
hub_foreach_local(void (*fn)(const char *, const char *, void *), void *arg)
{
	struct hub_each e = { fn, arg };

	strmap_foreach(hub_local, hub_each_local, &e);
}

/* ---- what connections report ---- */

static void
hub_conn_hello(struct conn *c, const char *name, size_t len,
    unsigned features)
{
	struct user *u = c->owner;

	if (u != NULL && u->state != USER_LOGIN) {
		conn_error(c, "bad_state", "you are already in the chat; use "
		    "/nick to change your name");
		return;
	}
	if (c->mode != CONN_TEXT)	/* framed or WebSocket */
		c->features = (uint8_t)features;
	if (u == NULL)
		c->owner = u = user_new(c, c->id, clock_now_ms());
	hub_login(u, name, len);
}

/* The back end said who the secret of a HELLO is (store_redeem). */
static void
hub_redeemed(void *owner, const struct store_account *a,
    enum store_status st)
{
	struct user	*u = owner, *other;
	const char	*why = "accounts unavailable, try again";
	char		 key[NAMEKEY_MAX + 1], want[NAMEKEY_MAX + 1];

	if (!user_alive(u) || u->state != USER_CLAIMING || u->name != NULL)
		return;
	if (st == STORE_REFUSED)
		why = a->message;
	if (st == STORE_OK) {
		hub_keyof(a->name, key);
		if (u->want != NULL)
			hub_keyof(u->want, want);
		other = strmap_get(hub_local, key);
		if (u->want != NULL && strcmp(want, key) != 0) {
			st = STORE_REFUSED;
			why = "that is not your account's name; leave the "
			    "name out";
		} else if (other != NULL && other->account_id != a->account_id) {
			st = STORE_REFUSED;
			why = "a guest holds your name on this server right "
			    "now; try again in a minute";
		}
	}
	if (st != STORE_OK) {
		user_set_state(u, USER_LOGIN);
		conn_error(u->conn, "auth", why);
		conn_resume(u->conn);
		return;
	}
	u->account_id = a->account_id;
	u->token_id = a->token_id;
	if (a->session != NULL)
		snprintf(u->session, sizeof(u->session), "%s", a->session);
	u->name = xstrdup(a->name);
	hub_twin_add(key, u);
	log_info("chat account login conn=%llu account_id=%lld by=%s",
	    (unsigned long long)u->id, (long long)u->account_id,
	    a->session != NULL ? "ticket" : "token");
	hub_welcome(u);
}

/* HELLO with a ticket (WebSocket only) or a token (any framed client). */
static void
hub_conn_auth(struct conn *c, const struct wire_msg *m)
{
	struct user *u = c->owner;

	if (u != NULL && u->state != USER_LOGIN) {
		conn_error(c, "bad_state", "you are already in the chat");
		return;
	}
	c->features = (uint8_t)m->features;
	if (m->ticket != NULL && (c->mode != CONN_WS || m->token != NULL)) {
		conn_error(c, "auth", "a ticket is for the browser's "
		    "WebSocket; a terminal sends its token");
		return;
	}
	if (m->name != NULL && m->name_len > NAME_MAX_BYTES) {
		conn_error(c, "name_invalid", "the name is too long");
		return;
	}
	if (u == NULL)
		c->owner = u = user_new(c, c->id, clock_now_ms());
	free(u->want);
	u->want = m->name != NULL ? xstrndup(m->name, m->name_len) : NULL;
	user_set_state(u, USER_CLAIMING);
	store_redeem(u, m->ticket != NULL, m->ticket != NULL ? m->ticket :
	    m->token, hub_redeemed);
}

static void
hub_conn_chat(struct conn *c, const char *content, size_t len)
{
	struct user *u = c->owner;

	if (u == NULL || u->state != USER_CHAT) {
		conn_error(c, "bad_state", "say HELLO first");
		return;
	}
	hub_input(u, content, len);
}

/* Plain text: the first line is the name, then messages. */
static void
hub_conn_line(struct conn *c, const char *line, size_t len)
{
	struct user *u = c->owner;

	if (len == 0)
		return;
	if (u == NULL || u->state == USER_LOGIN)
		hub_conn_hello(c, line, len, 0);
	else if (u->state == USER_CHAT)
		hub_input(u, line, len);
}

static void
hub_conn_quit(struct conn *c)
{
	if (c->owner != NULL)
		hub_quit(c->owner);
	else
		conn_finish(c);
}

/* The connection is closed: its user leaves and lets go of it. */
static void
hub_conn_gone(struct conn *c)
{
	struct user *u = c->owner;

	if (u == NULL)
		return;
	hub_leave(u, 1);
	hub_forget_name(u);
	u->conn = NULL;
	c->owner = NULL;
	user_unref(u);
}

const struct conn_handlers *
hub_conn_handlers(void)
{
	static const struct conn_handlers h = {
		.hello = hub_conn_hello,
		.auth = hub_conn_auth,
		.chat = hub_conn_chat,
		.line = hub_conn_line,
		.quit = hub_conn_quit,
		.gone = hub_conn_gone,
	};

	return &h;
}

const struct cluster_handlers *
hub_cluster_handlers(void)
{
	static const struct cluster_handlers h = {
		.chat = hub_remote_chat,
		.private_msg = hub_remote_private,
		.join = hub_remote_join,
		.leave = hub_remote_leave,
		.nick = hub_remote_nick,
		.reset = hub_remote_reset,
		.user = hub_remote_user,
		.gone = hub_remote_gone,
		.foreach_local = hub_foreach_local,
	};

	return &h;
}

/* ---- shutdown ---- */

static void
hub_drain_one(struct conn *c, void *arg)
{
	struct user *u = c->owner;

	(void)arg;
	if (!conn_alive(c))
		return;
	conn_notice(c, "SERVER: the server is shutting down, please "
	    "reconnect");
	if (u != NULL) {
		hub_leave(u, 1);
		hub_forget_name(u);
	}
	conn_finish(c);
}

void
hub_drain(void)
{
	conn_foreach(hub_drain_one, NULL);
}

static int
hub_revoke_listed(const struct hub_revoke *rv, const char *session,
    int64_t token_id)
{
	size_t i;

	for (i = 0; i < rv->nsessions; i++)
		if (session[0] != '\0' && strcmp(rv->sessions[i], session) == 0)
			return 1;
	for (i = 0; i < rv->ntokens; i++)
		if (token_id != 0 && rv->tokens[i] == token_id)
			return 1;
	return 0;
}

static void
hub_revoke_one(struct conn *c, void *arg)
{
	const struct hub_revoke	*rv = arg;
	struct user		*u = c->owner;

	if (!conn_alive(c) || u == NULL || u->account_id != rv->account_id)
		return;
	if (!rv->all && !hub_revoke_listed(rv, u->session, u->token_id)) {
		/* A password change: the session goes on under a new handle. */
		if (rv->moved_from != NULL && u->session[0] != '\0' &&
		    strcmp(u->session, rv->moved_from) == 0)
			snprintf(u->session, sizeof(u->session), "%s",
			    rv->moved_to);
		return;
	}
	log_info("chat account connection closed conn=%llu account_id=%lld "
	    "reason=%s", (unsigned long long)u->id, (long long)u->account_id,
	    rv->reason);
	hub_leave(u, 1);
	hub_forget_name(u);
	conn_revoke(c, "signed out");
}

void
hub_revoke(const struct hub_revoke *rv)
{
	conn_foreach(hub_revoke_one, (void *)rv);
}

static void
hub_reclaimed(void *owner, const char *name, enum store_status st)
{
	struct user *u = owner;

	if (!user_alive(u) || u->name == NULL || strcmp(u->name, name) != 0) {
		if (st == STORE_OK)
			store_release(name, u->id);
		return;
	}
	if (st == STORE_UNAVAILABLE)
		u->unleased = 1;
	else if (st == STORE_TAKEN)
		log_warnx("chat name given out while the store was away is "
		    "leased elsewhere conn=%llu", (unsigned long long)u->id);
}

static int
hub_reclaim_one(const char *key, void *value, void *arg)
{
	struct user	*u = value;
	char		 k[NAMEKEY_MAX + 1];

	(void)arg;
	if (!u->unleased || u->name == NULL || !user_alive(u))
		return 0;
	hub_keyof(u->name, k);
	if (strcmp(k, key) != 0)
		return 0;
	u->unleased = 0;
	store_claim(u, u->id, u->name, hub_reclaimed);
	return 0;
}

/* The store is back: lease the names given out while it was away. */
static void
hub_link(int up)
{
	if (up)
		strmap_foreach(hub_local, hub_reclaim_one, NULL);
}

static void
hub_hold(void *owner)
{
	user_ref(owner);
}

static void
hub_drop(void *owner)
{
	user_unref(owner);
}

const struct store_handlers *
hub_store_handlers(void)
{
	static const struct store_handlers h = { hub_hold, hub_drop,
	    hub_link };

	return &h;
}

void
hub_stop(void)
{
	struct hub_wait *w;

	while ((w = hub_waits) != NULL) {
		hub_waits = w->next;
		user_unref(w->user);
		free(w);
	}
	hub_waits_tail = &hub_waits;
	event_free(hub_wait_ev);
}
