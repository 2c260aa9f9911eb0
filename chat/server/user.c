/* user.c — chat users (user.h): state, held messages, life time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "log.h"
#include "settings.h"
#include "user.h"
#include "xmalloc.h"

struct held {
	struct held	*next;
	uint64_t	 seq;
	char		 origin[40];
	size_t		 len;
	uint8_t		 data[];
};

#define USER_TO(s)	(1u << (s))

/* Where each state may go (user.h has the picture). */
static const uint8_t user_next[] = {
	[USER_LOGIN] = USER_TO(USER_CLAIMING),
	[USER_CLAIMING] = USER_TO(USER_LOGIN) | USER_TO(USER_JOINING) |
	    USER_TO(USER_CHAT),
	[USER_JOINING] = USER_TO(USER_CHAT),
	[USER_CHAT] = USER_TO(USER_CLAIMING) | USER_TO(USER_JOINING),
};

static const char *const user_state_names[] = {
	"LOGIN", "CLAIMING", "JOINING", "CHAT",
};

struct user *
user_new(struct conn *c, uint64_t id, uint64_t now_ms)
{
	struct user *u = xcalloc(1, sizeof(*u));

	u->conn = c;
	u->id = id;
	u->refs = 1;
	u->state = USER_LOGIN;
	flood_init(&u->flood, settings.flood_burst, now_ms);
	return u;
}

void
user_ref(struct user *u)
{
	u->refs++;
}

void
user_unref(struct user *u)
{
	if (--u->refs > 0)
		return;
	user_release_held(u, NULL, NULL);
	free(u->name);
	free(u->pending_name);
	free(u->want);
	free(u);
}

int
user_alive(struct user *u)
{
	return u->conn != NULL && conn_alive(u->conn);
}

void
user_set_state(struct user *u, enum user_state state)
{
	if ((user_next[u->state] & USER_TO(state)) == 0) {
		log_warnx("%s: refused id=%llu from=%s to=%s", __func__,
		    (unsigned long long)u->id, user_state_names[u->state],
		    user_state_names[state]);
		return;
	}
	u->state = state;
	if (state == USER_CLAIMING || state == USER_JOINING)
		conn_pause(u->conn);
}

static void
user_hold(struct user *u, struct out *o)
{
	struct held	*h;
	const uint8_t	*p;
	size_t		 len;

	p = conn_render(u->conn, o, &len);
	h = xmalloc(sizeof(*h) + len);
	h->next = NULL;
	h->seq = o->seq;
	snprintf(h->origin, sizeof(h->origin), "%s",
	    o->origin != NULL ? o->origin : "");
	h->len = len;
	memcpy(h->data, p, len);
	if (u->held == NULL)
		u->held_tail = &u->held;
	*u->held_tail = h;
	u->held_tail = &h->next;
}

void
user_deliver(struct user *u, struct out *o)
{
	if (!user_alive(u))
		return;
	if (u->state == USER_JOINING)
		user_hold(u, o);
	else
		conn_send(u->conn, o);
}

void
user_release_held(struct user *u, int (*seen)(const char *, uint64_t,
    void *), void *arg)
{
	struct held *h, *next;

	for (h = u->held; h != NULL; h = next) {
		next = h->next;
		if (h->origin[0] == '\0' || seen == NULL ||
		    !seen(h->origin, h->seq, arg))
			conn_write(u->conn, h->data, h->len);
		free(h);
	}
	u->held = NULL;
}
