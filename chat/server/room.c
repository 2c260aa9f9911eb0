/* room.c — the room registry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "room.h"
#include "strmap.h"
#include "xmalloc.h"

struct room_seen {
	uint64_t	seq;
};

static struct strmap		*room_map;
static struct room_handlers	 room_bus;

void
room_init(const struct room_handlers *h)
{
	room_bus = *h;
}

struct room *
room_find(const char *name)
{
	return room_map != NULL ? strmap_get(room_map, name) : NULL;
}

struct room *
room_get(const char *name)
{
	struct room	*r;
	char		 key[ROOM_MAX_CHARS + 1];

	/* Look up what the room would be called: a name over the limit must
	 * not make a second room under the same key (and lose the first). */
	snprintf(key, sizeof(key), "%s", name);
	if (room_map == NULL)
		room_map = strmap_new();
	if ((r = strmap_get(room_map, key)) != NULL)
		return r;
	r = xcalloc(1, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", key);
	TAILQ_INIT(&r->members);
	strmap_put(room_map, r->name, r);
	return r;
}

static int
room_free_seen(const char *key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	free(value);
	return 0;
}

static void
room_reset_seen(struct room *r)
{
	if (r->seen == NULL)
		return;
	strmap_foreach(r->seen, room_free_seen, NULL);
	strmap_free(r->seen);
	r->seen = NULL;
}

static void
room_gc(struct room *r)
{
	if (r->nlocal > 0 || r->nremote > 0)
		return;
	strmap_del(room_map, r->name);
	room_reset_seen(r);
	free(r);
}

void
room_add(struct room *r, struct user *u)
{
	TAILQ_INSERT_TAIL(&r->members, u, member);
	if (r->nlocal++ == 0) {
		room_reset_seen(r);
		room_bus.bind(r->name);
	}
}

void
room_del(struct room *r, struct user *u)
{
	TAILQ_REMOVE(&r->members, u, member);
	if (--r->nlocal == 0) {
		room_bus.unbind(r->name);
		room_gc(r);
	}
}

void
room_remote_add(struct room *r)
{
	r->nremote++;
}

void
room_remote_del(struct room *r)
{
	if (r->nremote > 0)
		r->nremote--;
	room_gc(r);
}

int
room_accept(struct room *r, const char *origin, uint64_t seq, uint64_t prev,
    int *gap)
{
	struct room_seen *s;

	*gap = 0;
	if (r->seen == NULL)
		r->seen = strmap_new();
	if ((s = strmap_get(r->seen, origin)) == NULL) {
		s = xcalloc(1, sizeof(*s));
		strmap_put(r->seen, origin, s);
	} else if (seq <= s->seq)
		return 0;
	else if (prev != 0 && prev != s->seq)
		*gap = 1;
	s->seq = seq;
	return 1;
}

struct room_iter {
	void	(*fn)(struct room *, void *);
	void	*arg;
};

static int
room_visit(const char *key, void *value, void *arg)
{
	struct room_iter *it = arg;

	(void)key;
	it->fn(value, it->arg);
	return 0;
}

void
room_foreach(void (*fn)(struct room *, void *), void *arg)
{
	struct room_iter it = { fn, arg };

	if (room_map != NULL)
		strmap_foreach(room_map, room_visit, &it);
}

size_t
room_count(void)
{
	return room_map != NULL ? strmap_count(room_map) : 0;
}

static int
room_free_one(const char *key, void *value, void *arg)
{
	struct room *r = value;

	(void)key;
	(void)arg;
	room_reset_seen(r);
	free(r);
	return 0;
}

void
room_free_all(void)
{
	if (room_map == NULL)
		return;
	strmap_foreach(room_map, room_free_one, NULL);
	strmap_free(room_map);
	room_map = NULL;
}
