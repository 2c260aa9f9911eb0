/*
 * lineedit_render.c — draw the prompt and the line on a single row.  A line
 * wider than the row scrolls horizontally around the cursor (the first
 * byte shown is kept in le->scroll so the view does not jump).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lineedit.h"
#include "utf8.h"
#include "xmalloc.h"

struct lineedit_render_out {
	char	*buf;
	size_t	 len;
	size_t	 cap;
};

static void
lineedit_render_put(struct lineedit_render_out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		while (o->len + n + 1 > o->cap)
			o->cap = o->cap ? o->cap * 2 : 256;
		o->buf = xrealloc(o->buf, o->cap);
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

/* Start of the code point before pos that is not a combining mark. */
static size_t
lineedit_render_prev(const char *s, size_t pos)
{
	uint32_t cp;

	while (pos > 0) {
		pos = utf8_prev(s, pos);
		utf8_next(s + pos, 4, &cp);
		if (utf8_width(cp) != 0)
			break;
	}
	return pos;
}

/* Choose le->scroll so that the cursor is inside width avail. */
static void
lineedit_render_scroll(struct lineedit *le, size_t avail)
{
	uint32_t	cp;
	size_t		prev;

	if (le->scroll > le->pos || le->scroll > le->len)
		le->scroll = lineedit_render_prev(le->buf, le->pos);
	/* The cursor needs one column after the text before it. */
	while (le->scroll < le->pos &&
	    utf8_strwidth(le->buf + le->scroll,
	    le->pos - le->scroll) + 1 > avail)
		le->scroll += utf8_next(le->buf + le->scroll,
		    le->len - le->scroll, &cp);
	/* Show as much of the start as fits (after deletions). */
	while (le->scroll > 0) {
		prev = lineedit_render_prev(le->buf, le->scroll);
		if (utf8_strwidth(le->buf + prev, le->len - prev) + 1 >
		    avail)
			break;
		le->scroll = prev;
	}
}

char *
lineedit_render(struct lineedit *le, const char *prompt, unsigned cols,
    size_t *len)
{
	struct lineedit_render_out	 o = { NULL, 0, 0 };
	size_t				 pw, avail, i, w = 0, col;
	uint32_t			 cp;
	int				 cw;
	char				 move[32];

	if (cols < 2)
		cols = 2;
	pw = utf8_strwidth(prompt, strlen(prompt));
	if (pw + 4 > cols - 1)		/* a tiny window: drop the prompt */
		pw = 0;
	avail = cols - 1 - pw;
	lineedit_render_scroll(le, avail);

	lineedit_render_put(&o, "\r", 1);
	if (pw > 0)
		lineedit_render_put(&o, prompt, strlen(prompt));
	for (i = le->scroll; i < le->len; ) {
		size_t n = utf8_next(le->buf + i, le->len - i, &cp);

		cw = utf8_width(cp);
		if (cw < 0)
			cw = 1;
		if (w + (size_t)cw > avail)
			break;
		lineedit_render_put(&o, le->buf + i, n);
		w += (size_t)cw;
		i += n;
	}
	lineedit_render_put(&o, "\x1b[K\r", 4);
	col = pw + utf8_strwidth(le->buf + le->scroll,
	    le->pos - le->scroll);
	le->col = col;
	if (col > 0) {
		snprintf(move, sizeof(move), "\x1b[%zuC", col);
		lineedit_render_put(&o, move, strlen(move));
	}
	*len = o.len;
	return o.buf;
}
