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
#include "room.h"
#include "settings.h"
#include "store.h"
#include "strmap.h"
#include "text.h"
#include "user.h"
#include "vocab.h"
#include "xmalloc.h"

#define HUB_LIST_MAX	100	/* names shown by CONNECTED USERS and /who */
#define HUB_ROOMS_MAX	100
#define HUB_JOIN_WAIT_MS 300	/* history wait before the room goes on */

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

static void
hub_keyof(const char *name, char key[NAME_MAX_BYTES + 1])
{
	text_key(name, strlen(name), key, NAME_MAX_BYTES + 1);
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

static int
hub_name_taken(const char *key)
{
	return strmap_get(hub_local, key) != NULL ||
	    strmap_get(hub_remote, key) != NULL;
}

static void
hub_forget_name(struct user *u)
{
	char key[NAME_MAX_BYTES + 1];

	if (u->pending_name != NULL) {
		hub_keyof(u->pending_name, key);
		if (strmap_get(hub_local, key) == u)
			strmap_del(hub_local, key);
		store_release(u->pending_name, u->id);
		free(u->pending_name);
		u->pending_name = NULL;
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
	char	key[NAME_MAX_BYTES + 1], err[128];

	if (text_name_check(name, len, err, sizeof(err)) == -1) {
		conn_error(u->conn, "name_invalid", err);
		return -1;
	}
	text_key(name, len, key, sizeof(key));
	if (hub_name_taken(key)) {
		conn_errorf(u->conn, "name_taken", "the name %.*s is taken, choose "
		    "another", (int)len, name);
		return -1;
	}
	return 0;
}

static void
hub_claimed(void *owner, const char *name, enum store_status st)
{
	struct user	*u = owner;
	struct out	 o = { .type = VOCAB_WELCOME };
	const char	*features[8];
	char		*line, key[NAME_MAX_BYTES + 1];

	if (!user_alive(u) || u->name == NULL || strcmp(u->name, name) != 0) {
		if (st == STORE_OK)
			store_release(name, u->id);
		return;
	}
	if (st == STORE_TAKEN) {
		hub_keyof(name, key);
		strmap_del(hub_local, key);
		free(u->name);
		u->name = NULL;
		user_set_state(u, USER_LOGIN);
		conn_errorf(u->conn, "name_taken", "the name %s is taken, choose "
		    "another", name);
		conn_resume(u->conn);
		return;
	}
	/* No answer: unique among the users we know; leased on recovery. */
	u->unleased = st == STORE_UNAVAILABLE;
	if (u->unleased)
		log_debug("chat name lease unavailable, unique on this "
		    "replica only conn=%llu", (unsigned long long)u->id);
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
	char key[NAME_MAX_BYTES + 1];

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
		if (m == self || m->name == NULL || !user_alive(m))
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

	(void)key;
	if (rm->room != hc->room)
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
			    .history = 1 };
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
	hub_announce(r, u, first ? "SERVER: %s is now online" :
	    "SERVER: %s joined the room", u->name);
	cluster_join(r->name, u->name, first);
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
	hub_announce(r, u, quit ? "SERVER: %s left the chat" :
	    "SERVER: %s left the room", u->name);
	cluster_leave(r->name, u->name, quit);
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
	char	key[NAME_MAX_BYTES + 1], *old, *line;

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
	char		 key[NAME_MAX_BYTES + 1];

	if (!user_alive(u) || u->pending_name == NULL ||
	    strcmp(u->pending_name, name) != 0) {
		if (st == STORE_OK)
			store_release(name, u->id);
		return;
	}
	user_set_state(u, USER_CHAT);
	if (st == STORE_TAKEN) {
		hub_keyof(name, key);
		strmap_del(hub_local, key);
		free(u->pending_name);
		u->pending_name = NULL;
		conn_errorf(u->conn, "name_taken", "the name %s is taken, choose "
		    "another", name);
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
	char	key[NAME_MAX_BYTES + 1], oldkey[NAME_MAX_BYTES + 1];
	size_t	len = strlen(cmd->arg);

	text_key(cmd->arg, len, key, sizeof(key));
	hub_keyof(u->name, oldkey);
	if (strcmp(key, oldkey) == 0) {
		/* Only the case changes: the lease (by key) stays. */
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

static void
cmd_msg(struct user *u, struct command *cmd)
{
	struct out	 o = { .type = VOCAB_CHAT, .private_msg = 1 };
	struct user	*to;
	struct remote	*rm;
	char		 key[NAME_MAX_BYTES + 1], *line;

	text_key(cmd->arg, strlen(cmd->arg), key, sizeof(key));
	counter_add(m_private, 1);
	o.ts = hub_now_ts();
	if ((to = strmap_get(hub_local, key)) != NULL && to->name != NULL &&
	    user_alive(to) && to->room != NULL) {
		line = xasprintf("%s (private): %s", u->name, cmd->text);
		o.content = line;
		o.from = u->name;
		user_deliver(to, &o);
		out_free(&o);
		free(line);
		return;
	}
	if ((rm = strmap_get(hub_remote, key)) != NULL) {
		cluster_private(rm->origin, u->name, rm->name, cmd->text, o.ts);
		return;
	}
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
 * Whether origin may speak as name: not when name is one of our users or
 * another replica's (a forger on the bus posing as them).  A name we do not
 * know yet passes: our picture of origin's users may lag.
 */
static int
hub_remote_speaker_ok(const char *origin, const char *name)
{
	struct remote	*rm;
	char		 key[NAME_MAX_BYTES + 1];

	hub_keyof(name, key);
	if (strmap_get(hub_local, key) != NULL)
		return 0;
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
	char		 key[NAME_MAX_BYTES + 1];

	hub_keyof(name, key);
	if (strmap_get(hub_local, key) != NULL)	/* ours: not theirs too */
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
	hub_remote_add(origin, name, room);
	hub_announce(room_get(room), NULL, first ?
	    "SERVER: %s is now online" : "SERVER: %s joined the room", name);
}

static void
hub_remote_leave(const char *origin, const char *room, const char *name,
    int quit)
{
	struct remote	*rm;
	char		 key[NAME_MAX_BYTES + 1];

	hub_keyof(name, key);
	if ((rm = strmap_get(hub_remote, key)) == NULL ||
	    strcmp(rm->origin, origin) != 0)
		return;
	hub_remote_del(key);
	if (room_find(room) != NULL)
		hub_announce(room_find(room), NULL, quit ?
		    "SERVER: %s left the chat" : "SERVER: %s left the room",
		    name);
}

static void
hub_remote_nick(const char *origin, const char *room, const char *old,
    const char *name)
{
	struct remote	*rm;
	char		 key[NAME_MAX_BYTES + 1];

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
	struct out	 o = { .type = VOCAB_CHAT, .private_msg = 1 };
	struct user	*u;
	char		 key[NAME_MAX_BYTES + 1], *line, *safe;

	hub_keyof(to, key);
	if ((u = strmap_get(hub_local, key)) == NULL || u->room == NULL ||
	    u->name == NULL || !user_alive(u) ||
	    !hub_remote_speaker_ok(origin, from))
		return;
	safe = text_escape(content, strlen(content), NULL);
	line = xasprintf("%s (private): %s", from, safe);
	o.content = line;
	o.from = from;
	o.ts = ts;
	user_deliver(u, &o);
	out_free(&o);
	free(line);
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
		char k[NAME_MAX_BYTES + 1];

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
	char		 k[NAME_MAX_BYTES + 1];

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
