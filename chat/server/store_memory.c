/*
 * store_memory.c — CHAT_STORE=memory: names need no lease beyond this
 * replica (the hub's own map keeps them unique here) and each room keeps
 * its last settings.history messages in a ring in this process.
 */
#include <stdlib.h>
#include <string.h>

#include "settings.h"
#include "store.h"
#include "strmap.h"
#include "xmalloc.h"

struct store_ring {
	struct store_line	*lines;
	size_t			 head, n;
};

static struct strmap	*memory_rings;

static void
memory_line_free(struct store_line *l)
{
	free(l->origin);
	free(l->from);
	free(l->content);
	memset(l, 0, sizeof(*l));
}

static int
memory_start(struct event_base *base, const char *replica_id, char *err,
    size_t errlen)
{
	(void)base;
	(void)replica_id;
	(void)err;
	(void)errlen;
	memory_rings = strmap_new();
	return 0;
}

static int
memory_ring_free(const char *key, void *value, void *arg)
{
	struct store_ring	*ring = value;
	size_t			 i;

	(void)key;
	(void)arg;
	for (i = 0; i < ring->n; i++)
		memory_line_free(&ring->lines[(ring->head + i) %
		    settings.history]);
	free(ring->lines);
	free(ring);
	return 0;
}

static void
memory_stop(void)
{
	if (memory_rings == NULL)
		return;
	strmap_foreach(memory_rings, memory_ring_free, NULL);
	strmap_free(memory_rings);
	memory_rings = NULL;
}

static int
memory_ready(void)
{
	return 1;
}

static void
memory_claim(void *owner, uint64_t owner_id, const char *name,
    store_claim_fn fn)
{
	(void)owner_id;
	fn(owner, name, STORE_OK);
}

static void
memory_release(const char *name, uint64_t owner_id)
{
	(void)name;
	(void)owner_id;
}

static void
memory_append(const char *room, const char *origin, uint64_t seq,
    const char *from, const char *content, int64_t ts)
{
	struct store_ring	*ring;
	struct store_line	*l;

	if ((ring = strmap_get(memory_rings, room)) == NULL) {
		ring = xcalloc(1, sizeof(*ring));
		ring->lines = xcalloc(settings.history, sizeof(*ring->lines));
		strmap_put(memory_rings, room, ring);
	}
	l = &ring->lines[(ring->head + ring->n) % settings.history];
	if (ring->n == settings.history) {
		memory_line_free(l);
		ring->head = (ring->head + 1) % settings.history;
	} else
		ring->n++;
	l->origin = xstrdup(origin);
	l->seq = seq;
	l->from = xstrdup(from);
	l->content = xstrdup(content);
	l->ts = ts;
}

static void
memory_history(void *owner, uint64_t cookie, const char *room,
    store_history_fn fn)
{
	struct store_ring	*ring = strmap_get(memory_rings, room);
	struct store_line	*v = NULL;
	size_t			 i, n = ring != NULL ? ring->n : 0;

	if (n > 0)
		v = xcalloc(n, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = ring->lines[(ring->head + i) % settings.history];
	fn(owner, cookie, v, n, STORE_OK);
	free(v);	/* the strings stay in the ring */
}

/* No back end, no accounts. */
static void
memory_redeem(void *owner, int is_ticket, const char *secret,
    store_redeem_fn fn)
{
	(void)is_ticket;
	(void)secret;
	fn(owner, NULL, STORE_UNAVAILABLE);
}

const struct store_ops store_memory_ops = {
	.name = "memory",
	.start = memory_start,
	.stop = memory_stop,
	.ready = memory_ready,
	.up = memory_ready,
	.claim = memory_claim,
	.release = memory_release,
	.redeem = memory_redeem,
	.append = memory_append,
	.history = memory_history,
};
