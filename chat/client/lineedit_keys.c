/*
 * lineedit_keys.c — terminal bytes to keys: control characters, ANSI/VT
 * escape sequences (CSI and SS3, as xterm, tmux and the Linux console send
 * them) and UTF-8 sequences, each possibly split across reads.
 */
#include <stddef.h>
#include <string.h>

#include "lineedit.h"
#include "utf8.h"

#define ESC	0x1b

struct lineedit_keys_ctl {
	unsigned char		byte;
	enum lineedit_keykind	kind;
};

/* Emacs-style control keys, as readline binds them. */
static const struct lineedit_keys_ctl lineedit_keys_ctls[] = {
	{ 0x01, LINEEDIT_K_HOME },	{ 0x02, LINEEDIT_K_LEFT },
	{ 0x03, LINEEDIT_K_INTERRUPT },	{ 0x04, LINEEDIT_K_EOF },
	{ 0x05, LINEEDIT_K_END },	{ 0x06, LINEEDIT_K_RIGHT },
	{ 0x08, LINEEDIT_K_BACKSPACE },	{ 0x0a, LINEEDIT_K_ENTER },
	{ 0x0b, LINEEDIT_K_KILL_END },	{ 0x0c, LINEEDIT_K_CLEAR },
	{ 0x0d, LINEEDIT_K_ENTER },	{ 0x0e, LINEEDIT_K_DOWN },
	{ 0x10, LINEEDIT_K_UP },	{ 0x15, LINEEDIT_K_KILL_START },
	{ 0x17, LINEEDIT_K_KILL_WORD },	{ 0x1a, LINEEDIT_K_SUSPEND },
	{ 0x7f, LINEEDIT_K_BACKSPACE },
};

/* Final byte of "ESC [ ..." or "ESC O ..." without a numeric parameter. */
struct lineedit_keys_fin {
	unsigned char		final;
	enum lineedit_keykind	kind;
};

static const struct lineedit_keys_fin lineedit_keys_fins[] = {
	{ 'A', LINEEDIT_K_UP },		{ 'B', LINEEDIT_K_DOWN },
	{ 'C', LINEEDIT_K_RIGHT },	{ 'D', LINEEDIT_K_LEFT },
	{ 'H', LINEEDIT_K_HOME },	{ 'F', LINEEDIT_K_END },
};

/* "ESC [ N ~" */
struct lineedit_keys_tilde {
	int			n;
	enum lineedit_keykind	kind;
};

static const struct lineedit_keys_tilde lineedit_keys_tildes[] = {
	{ 1, LINEEDIT_K_HOME },		{ 3, LINEEDIT_K_DELETE },
	{ 4, LINEEDIT_K_END },		{ 7, LINEEDIT_K_HOME },
	{ 8, LINEEDIT_K_END },
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

void
lineedit_keys_init(struct lineedit_keys *k)
{
	memset(k, 0, sizeof(*k));
}

static int
lineedit_keys_ctl(unsigned char c, struct lineedit_key *key)
{
	size_t i;

	for (i = 0; i < NITEMS(lineedit_keys_ctls); i++) {
		if (lineedit_keys_ctls[i].byte == c) {
			key->kind = lineedit_keys_ctls[i].kind;
			key->cp = 0;
			return 1;
		}
	}
	return 0;	/* other control characters are ignored */
}

static int
lineedit_keys_final(unsigned char fin, struct lineedit_key *key)
{
	size_t i;

	for (i = 0; i < NITEMS(lineedit_keys_fins); i++) {
		if (lineedit_keys_fins[i].final == fin) {
			key->kind = lineedit_keys_fins[i].kind;
			key->cp = 0;
			return 1;
		}
	}
	return 0;
}

/* A complete CSI sequence is in k->seq ("ESC [ params final"). */
static int
lineedit_keys_csi(const struct lineedit_keys *k, struct lineedit_key *key)
{
	unsigned char	fin = k->seq[k->len - 1];
	int		n = 0, mod = 0, *cur = &n;
	size_t		i;

	for (i = 2; i < k->len - 1; i++) {
		if (k->seq[i] >= '0' && k->seq[i] <= '9')
			*cur = *cur * 10 + (k->seq[i] - '0');
		else if (k->seq[i] == ';')
			cur = &mod;
		else
			return 0;	/* private or intermediate bytes */
		if (*cur > 1000)
			return 0;
	}
	if (fin == '~') {
		for (i = 0; i < NITEMS(lineedit_keys_tildes); i++) {
			if (lineedit_keys_tildes[i].n == n) {
				key->kind = lineedit_keys_tildes[i].kind;
				key->cp = 0;
				return 1;
			}
		}
		return 0;
	}
	if (!lineedit_keys_final(fin, key))
		return 0;
	/* Ctrl (5) or Alt (3) with Left/Right moves by word. */
	if (mod == 3 || mod == 5) {
		if (key->kind == LINEEDIT_K_LEFT)
			key->kind = LINEEDIT_K_WORD_LEFT;
		else if (key->kind == LINEEDIT_K_RIGHT)
			key->kind = LINEEDIT_K_WORD_RIGHT;
	}
	return 1;
}

/* "ESC x" for a byte x that starts no sequence: Alt-x. */
static int
lineedit_keys_meta(unsigned char c, struct lineedit_key *key)
{
	key->cp = 0;
	switch (c) {
	case 'b':
		key->kind = LINEEDIT_K_WORD_LEFT;
		return 1;
	case 'f':
		key->kind = LINEEDIT_K_WORD_RIGHT;
		return 1;
	case 0x7f:
	case 0x08:
		key->kind = LINEEDIT_K_KILL_WORD;
		return 1;
	}
	return 0;
}

static int
lineedit_keys_escape(struct lineedit_keys *k, unsigned char c,
    struct lineedit_key *key)
{
	int done;

	if (k->len == 1) {
		if (c == '[' || c == 'O') {
			k->seq[k->len++] = c;
			return 0;
		}
		k->len = 0;
		if (c == ESC) {		/* a lone ESC, then a new one */
			k->seq[k->len++] = c;
			return 0;
		}
		return lineedit_keys_meta(c, key);
	}
	if (k->seq[1] == 'O') {		/* SS3: one final byte */
		k->len = 0;
		return lineedit_keys_final(c, key);
	}
	if (c < 0x20 || c > 0x7e || k->len == sizeof(k->seq)) {
		k->len = 0;		/* malformed: drop it */
		return 0;
	}
	k->seq[k->len++] = c;
	if (c < 0x40)
		return 0;		/* parameter or intermediate byte */
	done = lineedit_keys_csi(k, key);
	k->len = 0;
	return done;
}

static int
lineedit_keys_utf8(struct lineedit_keys *k, unsigned char c,
    struct lineedit_key *key)
{
	size_t		need = utf8_seqlen(k->seq[0]);
	uint32_t	cp;

	if ((c & 0xC0) != 0x80) {
		/* Broken sequence: drop it and read c afresh. */
		k->len = 0;
		return lineedit_keys_feed(k, c, key);
	}
	k->seq[k->len++] = c;
	if (k->len < need)
		return 0;
	k->len = 0;
	if (utf8_next((const char *)k->seq, need, &cp) != need ||
	    utf8_width(cp) < 0)
		return 0;
	key->kind = LINEEDIT_K_CHAR;
	key->cp = cp;
	return 1;
}

int
lineedit_keys_feed(struct lineedit_keys *k, unsigned char c,
    struct lineedit_key *key)
{
	if (k->len > 0 && k->seq[0] == ESC)
		return lineedit_keys_escape(k, c, key);
	if (k->len > 0)
		return lineedit_keys_utf8(k, c, key);
	if (c == ESC) {
		k->seq[k->len++] = c;
		return 0;
	}
	if (c < 0x20 || c == 0x7f)
		return lineedit_keys_ctl(c, key);
	if (c < 0x80) {
		key->kind = LINEEDIT_K_CHAR;
		key->cp = c;
		return 1;
	}
	if (utf8_seqlen(c) == 0)
		return 0;		/* stray continuation or invalid byte */
	k->seq[k->len++] = c;
	return 0;
}
