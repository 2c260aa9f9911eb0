/* strmap.c — separate chaining, FNV-1a, grows at load factor 1. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "xmalloc.h"

struct strmap_entry {
	struct strmap_entry	*next;
	void			*value;
	uint32_t		 hash;
	char			 key[];
};

struct strmap {
	struct strmap_entry	**buckets;
	size_t			  nbuckets, count;
};

static uint32_t
strmap_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

struct strmap *
strmap_new(void)
{
	struct strmap *m = xcalloc(1, sizeof(*m));

	m->nbuckets = 16;
	m->buckets = xcalloc(m->nbuckets, sizeof(*m->buckets));
	return m;
}

void
strmap_free(struct strmap *m)
{
	struct strmap_entry	*e, *next;
	size_t			 i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nbuckets; i++)
		for (e = m->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(m->buckets);
	free(m);
}

static struct strmap_entry **
strmap_slot(struct strmap *m, const char *key, uint32_t h)
{
	struct strmap_entry **pp;

	for (pp = &m->buckets[h & (m->nbuckets - 1)]; *pp != NULL;
	    pp = &(*pp)->next)
		if ((*pp)->hash == h && strcmp((*pp)->key, key) == 0)
			break;
	return pp;
}

void *
strmap_get(struct strmap *m, const char *key)
{
	struct strmap_entry *e = *strmap_slot(m, key, strmap_hash(key));

	return e != NULL ? e->value : NULL;
}

static void
strmap_grow(struct strmap *m)
{
	struct strmap_entry	**old = m->buckets, *e, *next;
	size_t			  i, n = m->nbuckets;

	m->nbuckets *= 2;
	m->buckets = xcalloc(m->nbuckets, sizeof(*m->buckets));
	for (i = 0; i < n; i++)
		for (e = old[i]; e != NULL; e = next) {
			next = e->next;
			e->next = m->buckets[e->hash & (m->nbuckets - 1)];
			m->buckets[e->hash & (m->nbuckets - 1)] = e;
		}
	free(old);
}

void *
strmap_put(struct strmap *m, const char *key, void *value)
{
	uint32_t		  h = strmap_hash(key);
	struct strmap_entry	**pp = strmap_slot(m, key, h), *e;
	size_t			  len;
	void			 *old;

	if ((e = *pp) != NULL) {
		old = e->value;
		e->value = value;
		return old;
	}
	len = strlen(key);
	e = xmalloc(sizeof(*e) + len + 1);
	memcpy(e->key, key, len + 1);
	e->hash = h;
	e->value = value;
	e->next = NULL;
	*pp = e;
	if (++m->count > m->nbuckets)
		strmap_grow(m);
	return NULL;
}

void *
strmap_del(struct strmap *m, const char *key)
{
	struct strmap_entry	**pp = strmap_slot(m, key, strmap_hash(key)), *e;
	void			 *value;

	if ((e = *pp) == NULL)
		return NULL;
	*pp = e->next;
	value = e->value;
	free(e);
	m->count--;
	return value;
}

size_t
strmap_count(struct strmap *m)
{
	return m->count;
}

int
strmap_foreach(struct strmap *m,
    int (*fn)(const char *key, void *value, void *arg), void *arg)
{
	struct strmap_entry	*e, *next;
	size_t			 i;
	int			 rc;

	for (i = 0; i < m->nbuckets; i++)
		for (e = m->buckets[i]; e != NULL; e = next) {
			next = e->next;
			if ((rc = fn(e->key, e->value, arg)) != 0)
				return rc;
		}
	return 0;
}
