/*
 * namekey.c — the key of a chat name (docs/chat.md, Names).  Each code point
 * of the name is checked against the refused classes, then replaced by its
 * key string from the generated table (NFKD, the confusable prototype, full
 * case folding, settled: every character of a key string is its own key;
 * scripts/gen-namekey.py); Hangul syllables are decomposed here.  The concatenation is put
 * in canonical order (combining marks sorted by class) and encoded as UTF-8.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "namekey.h"
#include "namekey_table.h"
#include "utf8.h"

/* In step with scripts/gen-namekey.py's CLS_*. */
enum nk_class {
	NK_BASE, NK_MARK, NK_SPACE, NK_CONTROL, NK_BIDI, NK_INVISIBLE,
	NK_UNASSIGNED
};

#define NK_SBASE	0xAC00u		/* Hangul syllables (Unicode 3.12) */
#define NK_LBASE	0x1100u
#define NK_VBASE	0x1161u
#define NK_TBASE	0x11A7u
#define NK_VCOUNT	21u
#define NK_TCOUNT	28u
#define NK_SCOUNT	(19u * NK_VCOUNT * NK_TCOUNT)

struct nk_out {
	uint32_t	cp[NAMEKEY_MAX];
	uint8_t		ccc[NAMEKEY_MAX];
	size_t		n, bytes;
	int		full;
};

static int
nk_range_cmp(const void *key, const void *elem)
{
	uint32_t		 cp = *(const uint32_t *)key;
	const struct nk_range	*r = elem;

	return cp < r->lo ? -1 : cp > r->hi ? 1 : 0;
}

static int
nk_map_cmp(const void *key, const void *elem)
{
	uint32_t		 cp = *(const uint32_t *)key;
	const struct nk_map	*m = elem;

	return cp < m->cp ? -1 : cp > m->cp ? 1 : 0;
}

static unsigned
nk_range_val(const struct nk_range *t, size_t n, uint32_t cp)
{
	const struct nk_range *r = bsearch(&cp, t, n, sizeof(*t), nk_range_cmp);

	return r != NULL ? r->val : 0;
}

static void
nk_put(struct nk_out *o, uint32_t cp)
{
	size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;

	if (o->full || o->bytes + n > NAMEKEY_MAX) {
		o->full = 1;
		return;
	}
	o->cp[o->n] = cp;
	o->ccc[o->n] = cp < 0x300 ? 0 : nk_range_val(nk_ccc, nk_nccc, cp);
	o->n++;
	o->bytes += n;
}

/* cp's key string (cp is neither ASCII nor of a refused class). */
static void
nk_put_key(struct nk_out *o, uint32_t cp)
{
	const struct nk_map	*m;
	const char		*s;
	size_t			 len, k;
	uint32_t		 c;

	if ((m = bsearch(&cp, nk_map, nk_nmap, sizeof(*m), nk_map_cmp)) ==
	    NULL) {
		nk_put(o, cp);
		return;
	}
	s = nk_pool + (m->ref >> 8);
	len = m->ref & 0xff;
	while (len > 0 && (k = utf8_decode(s, len, &c)) != 0) {
		nk_put(o, c);
		s += k;
		len -= k;
	}
}

static void
nk_put_hangul(struct nk_out *o, uint32_t cp)
{
	uint32_t s = cp - NK_SBASE;

	nk_put_key(o, NK_LBASE + s / (NK_VCOUNT * NK_TCOUNT));
	nk_put_key(o, NK_VBASE + s % (NK_VCOUNT * NK_TCOUNT) / NK_TCOUNT);
	if (s % NK_TCOUNT != 0)
		nk_put_key(o, NK_TBASE + s % NK_TCOUNT);
}

/* Canonical ordering: a stable sort of each run of non-zero classes. */
static void
nk_reorder(struct nk_out *o)
{
	size_t		i, j;
	uint32_t	c;
	uint8_t		k;

	for (i = 1; i < o->n; i++)
		for (j = i; j > 0 && o->ccc[j] != 0 &&
		    o->ccc[j - 1] > o->ccc[j]; j--) {
			c = o->cp[j], o->cp[j] = o->cp[j - 1], o->cp[j - 1] = c;
			k = o->ccc[j], o->ccc[j] = o->ccc[j - 1], o->ccc[j - 1] = k;
		}
}

static const char *
nk_refusal(unsigned cls)
{
	switch (cls) {
	case NK_SPACE:
		return "A name must not contain spaces.";
	case NK_CONTROL:
		return "A name must not contain control characters.";
	case NK_BIDI:
		return "A name must not contain text-direction controls.";
	case NK_INVISIBLE:
		return "A name must not contain invisible or formatting "
		    "characters.";
	default:
		return "A name must not contain unassigned or private-use "
		    "characters.";
	}
}

int
namekey(const char *name, size_t len, char key[NAMEKEY_MAX + 1],
    const char **why)
{
	struct nk_out	 o;
	const char	*s = name;
	size_t		 i, k, marks = 0, p = 0;
	uint32_t	 cp;
	unsigned	 cls;

	if (len == 0) {
		*why = "A name must not be empty.";
		return -1;
	}
	if (len > NAMEKEY_MAX) {
		*why = "The name is too long.";
		return -1;
	}
	o.n = o.bytes = 0;
	o.full = 0;
	for (i = 0; i < len; i += k) {
		if ((k = utf8_decode(s + i, len - i, &cp)) == 0) {
			*why = "The name is not valid UTF-8.";
			return -1;
		}
		if (cp < 0x80)
			cls = cp < 0x20 || cp == 0x7f ? NK_CONTROL :
			    cp == ' ' ? NK_SPACE : NK_BASE;
		else
			cls = nk_range_val(nk_classes, nk_nclasses, cp);
		if (cls == NK_MARK) {
			if (i == 0) {
				*why = "A name must not start with a combining "
				    "mark.";
				return -1;
			}
			if (++marks > NAMEKEY_MARKS_MAX) {
				*why = "A name must not stack more than 4 "
				    "combining marks on one letter.";
				return -1;
			}
		} else if (cls != NK_BASE) {
			*why = nk_refusal(cls);
			return -1;
		} else
			marks = 0;
		if (cp < 0x80)
			nk_put(&o, cp >= 'A' && cp <= 'Z' ? cp - 'A' + 'a' : cp);
		else if (cp >= NK_SBASE && cp < NK_SBASE + NK_SCOUNT)
			nk_put_hangul(&o, cp);
		else
			nk_put_key(&o, cp);
	}
	if (o.full) {
		*why = "The name is too long.";
		return -1;
	}
	nk_reorder(&o);
	for (i = 0; i < o.n; i++) {
		char buf[4];

		k = utf8_encode(o.cp[i], buf);
		memcpy(key + p, buf, k);
		p += k;
	}
	key[p] = '\0';
	return (int)p;
}

int
namekey_reserved(const char *key)
{
	return strcmp(key, "server") == 0;
}
