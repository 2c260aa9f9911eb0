/*
 * lineedit.c — the editing core: a UTF-8 buffer with a cursor and a
 * history, changed by keys.  Pure: it neither reads nor writes anything.
 */
#include <stdlib.h>
#include <string.h>

#include "lineedit.h"
#include "utf8.h"
#include "xmalloc.h"

void
lineedit_init(struct lineedit *le, size_t max_bytes, size_t hist_max)
{
	memset(le, 0, sizeof(*le));
	le->max = max_bytes;
	le->buf = xmalloc(max_bytes + 1);
	le->buf[0] = '\0';
	le->hist_max = hist_max;
	le->hist = xcalloc(hist_max > 0 ? hist_max : 1, sizeof(char *));
}

void
lineedit_free(struct lineedit *le)
{
	size_t i;

	for (i = 0; i < le->hist_len; i++)
		free(le->hist[i]);
	free(le->hist);
	free(le->saved);
	free(le->buf);
	memset(le, 0, sizeof(*le));
}

const char *
lineedit_line(const struct lineedit *le)
{
	return le->buf;
}

static void
lineedit_stop_browsing(struct lineedit *le)
{
	free(le->saved);
	le->saved = NULL;
	le->hist_pos = le->hist_len;
}

void
lineedit_set(struct lineedit *le, const char *s)
{
	size_t n = strlen(s);

	if (n > le->max)	/* never cut a character in half */
		for (n = le->max; n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80;
		    n--)
			;
	memcpy(le->buf, s, n);
	le->buf[n] = '\0';
	le->len = le->pos = n;
	le->scroll = 0;
}

char *
lineedit_take(struct lineedit *le)
{
	char *line = xstrndup(le->buf, le->len);

	lineedit_stop_browsing(le);
	lineedit_set(le, "");
	return line;
}

void
lineedit_history_add(struct lineedit *le, const char *line)
{
	if (le->hist_max == 0 || *line == '\0')
		return;
	if (le->hist_len > 0 && strcmp(le->hist[le->hist_len - 1], line) == 0)
		return;
	if (le->hist_len == le->hist_max) {
		free(le->hist[0]);
		memmove(le->hist, le->hist + 1,
		    (le->hist_len - 1) * sizeof(char *));
		le->hist_len--;
	}
	le->hist[le->hist_len++] = xstrdup(line);
	le->hist_pos = le->hist_len;
}

static int
lineedit_zero_width_at(const struct lineedit *le, size_t pos)
{
	uint32_t cp;

	utf8_next(le->buf + pos, le->len - pos, &cp);
	return utf8_width(cp) == 0;
}

/* Start of the character before pos: a code point and its combining marks. */
static size_t
lineedit_prev_char(const struct lineedit *le, size_t pos)
{
	while (pos > 0) {
		pos = utf8_prev(le->buf, pos);
		if (!lineedit_zero_width_at(le, pos))
			break;
	}
	return pos;
}

static size_t
lineedit_next_char(const struct lineedit *le, size_t pos)
{
	uint32_t cp;

	if (pos < le->len)
		pos += utf8_next(le->buf + pos, le->len - pos, &cp);
	while (pos < le->len && lineedit_zero_width_at(le, pos))
		pos += utf8_next(le->buf + pos, le->len - pos, &cp);
	return pos;
}

static size_t
lineedit_word_left(const struct lineedit *le, size_t pos)
{
	while (pos > 0 && le->buf[pos - 1] == ' ')
		pos--;
	while (pos > 0 && le->buf[pos - 1] != ' ')
		pos = utf8_prev(le->buf, pos);
	return pos;
}

static size_t
lineedit_word_right(const struct lineedit *le, size_t pos)
{
	while (pos < le->len && le->buf[pos] == ' ')
		pos++;
	while (pos < le->len && le->buf[pos] != ' ')
		pos = lineedit_next_char(le, pos);
	return pos;
}

/* Remove buf[from..to) and leave the cursor at from. */
static enum lineedit_action
lineedit_cut(struct lineedit *le, size_t from, size_t to)
{
	if (from >= to)
		return LINEEDIT_NONE;
	memmove(le->buf + from, le->buf + to, le->len - to + 1);
	le->len -= to - from;
	le->pos = from;
	return LINEEDIT_REDRAW;
}

static enum lineedit_action
lineedit_move(struct lineedit *le, size_t pos)
{
	if (pos == le->pos)
		return LINEEDIT_NONE;
	le->pos = pos;
	return LINEEDIT_REDRAW;
}

static enum lineedit_action
lineedit_insert(struct lineedit *le, uint32_t cp)
{
	char	 enc[4];
	size_t	 n;

	if (utf8_width(cp) < 0)
		return LINEEDIT_NONE;
	n = utf8_encode(cp, enc);
	if (le->len + n > le->max)
		return LINEEDIT_BELL;
	memmove(le->buf + le->pos + n, le->buf + le->pos,
	    le->len - le->pos + 1);
	memcpy(le->buf + le->pos, enc, n);
	le->len += n;
	le->pos += n;
	return LINEEDIT_REDRAW;
}

static enum lineedit_action
lineedit_history_up(struct lineedit *le)
{
	if (le->hist_pos == 0)
		return LINEEDIT_BELL;
	if (le->hist_pos == le->hist_len)
		le->saved = xstrndup(le->buf, le->len);
	le->hist_pos--;
	lineedit_set(le, le->hist[le->hist_pos]);
	return LINEEDIT_REDRAW;
}

static enum lineedit_action
lineedit_history_down(struct lineedit *le)
{
	if (le->hist_pos >= le->hist_len)
		return LINEEDIT_BELL;
	le->hist_pos++;
	if (le->hist_pos == le->hist_len) {
		lineedit_set(le, le->saved != NULL ? le->saved : "");
		free(le->saved);
		le->saved = NULL;
	} else
		lineedit_set(le, le->hist[le->hist_pos]);
	return LINEEDIT_REDRAW;
}

enum lineedit_action
lineedit_key(struct lineedit *le, const struct lineedit_key *key)
{
	switch (key->kind) {
	case LINEEDIT_K_CHAR:
		return lineedit_insert(le, key->cp);
	case LINEEDIT_K_ENTER:
		return LINEEDIT_ACCEPT;
	case LINEEDIT_K_LEFT:
		return lineedit_move(le, lineedit_prev_char(le, le->pos));
	case LINEEDIT_K_RIGHT:
		return lineedit_move(le, lineedit_next_char(le, le->pos));
	case LINEEDIT_K_HOME:
		return lineedit_move(le, 0);
	case LINEEDIT_K_END:
		return lineedit_move(le, le->len);
	case LINEEDIT_K_WORD_LEFT:
		return lineedit_move(le, lineedit_word_left(le, le->pos));
	case LINEEDIT_K_WORD_RIGHT:
		return lineedit_move(le, lineedit_word_right(le, le->pos));
	case LINEEDIT_K_UP:
		return lineedit_history_up(le);
	case LINEEDIT_K_DOWN:
		return lineedit_history_down(le);
	case LINEEDIT_K_BACKSPACE:
		return lineedit_cut(le, lineedit_prev_char(le, le->pos),
		    le->pos);
	case LINEEDIT_K_DELETE:
		return lineedit_cut(le, le->pos,
		    lineedit_next_char(le, le->pos));
	case LINEEDIT_K_KILL_START:
		return lineedit_cut(le, 0, le->pos);
	case LINEEDIT_K_KILL_END:
		return lineedit_cut(le, le->pos, le->len);
	case LINEEDIT_K_KILL_WORD:
		return lineedit_cut(le, lineedit_word_left(le, le->pos),
		    le->pos);
	case LINEEDIT_K_EOF:
		if (le->len == 0)
			return LINEEDIT_QUIT;
		return lineedit_cut(le, le->pos,
		    lineedit_next_char(le, le->pos));
	case LINEEDIT_K_INTERRUPT:
		return LINEEDIT_QUIT;
	case LINEEDIT_K_CLEAR:
		return LINEEDIT_CLEAR_SCREEN;
	case LINEEDIT_K_SUSPEND:
		return LINEEDIT_SUSPEND;
	}
	return LINEEDIT_NONE;
}
