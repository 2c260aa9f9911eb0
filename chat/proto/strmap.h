/*
 * strmap.h — a string-keyed hash map (chained, doubling) for rooms, names
 * and origins.  Keys are copied; values are the caller's.
 */
#ifndef PARLEY_STRMAP_H
#define PARLEY_STRMAP_H

#include <stddef.h>

struct strmap;

struct strmap	*strmap_new(void);
void		 strmap_free(struct strmap *);
void		*strmap_get(struct strmap *, const char *key);
/* Insert or replace; returns the previous value or NULL. */
void		*strmap_put(struct strmap *, const char *key, void *value);
/* Remove; returns the value or NULL. */
void		*strmap_del(struct strmap *, const char *key);
size_t		 strmap_count(struct strmap *);
/* Visit every entry; fn may not change the map.  Stops when fn != 0. */
int		 strmap_foreach(struct strmap *,
		    int (*fn)(const char *key, void *value, void *arg),
		    void *arg);

#endif
