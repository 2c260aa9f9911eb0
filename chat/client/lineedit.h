/*
 * lineedit.h — a single-line editor as a pure module: bytes from the
 * terminal become keys (lineedit_keys_feed), keys edit a buffer with
 * history (lineedit_key), and the buffer is drawn into a string
 * (lineedit_render).  No I/O here, so all of it is unit-tested without a
 * terminal; chat/client/client_ui.c does the reading and writing.
 *
 * The buffer is UTF-8.  The cursor moves by character (a base character
 * with its combining marks) and the line scrolls horizontally when it is
 * wider than the terminal, so it always occupies exactly one row: the
 * client can clear it, print a message and draw it again.
 */
#ifndef PARLEY_LINEEDIT_H
#define PARLEY_LINEEDIT_H

#include <stddef.h>
#include <stdint.h>

enum lineedit_keykind {
	LINEEDIT_K_CHAR,	/* cp holds a printable code point */
	LINEEDIT_K_ENTER,
	LINEEDIT_K_LEFT,
	LINEEDIT_K_RIGHT,
	LINEEDIT_K_UP,
	LINEEDIT_K_DOWN,
	LINEEDIT_K_HOME,	/* Home, Ctrl-A */
	LINEEDIT_K_END,		/* End, Ctrl-E */
	LINEEDIT_K_WORD_LEFT,	/* Alt-b, Ctrl-Left */
	LINEEDIT_K_WORD_RIGHT,	/* Alt-f, Ctrl-Right */
	LINEEDIT_K_BACKSPACE,	/* Backspace, Ctrl-H */
	LINEEDIT_K_DELETE,	/* Delete */
	LINEEDIT_K_KILL_START,	/* Ctrl-U */
	LINEEDIT_K_KILL_END,	/* Ctrl-K */
	LINEEDIT_K_KILL_WORD,	/* Ctrl-W */
	LINEEDIT_K_INTERRUPT,	/* Ctrl-C */
	LINEEDIT_K_EOF,		/* Ctrl-D */
	LINEEDIT_K_CLEAR,	/* Ctrl-L */
	LINEEDIT_K_SUSPEND,	/* Ctrl-Z */
};

struct lineedit_key {
	enum lineedit_keykind	kind;
	uint32_t		cp;
};

/* Decoder state for escape sequences and UTF-8 split across reads. */
struct lineedit_keys {
	unsigned char	seq[16];
	size_t		len;
};

enum lineedit_action {
	LINEEDIT_NONE,		/* nothing changed */
	LINEEDIT_REDRAW,	/* the line changed: draw it again */
	LINEEDIT_BELL,		/* refused (line full, no more history) */
	LINEEDIT_ACCEPT,	/* Enter: take the line with lineedit_take */
	LINEEDIT_QUIT,		/* Ctrl-C, or Ctrl-D on an empty line */
	LINEEDIT_CLEAR_SCREEN,
	LINEEDIT_SUSPEND,
};

struct lineedit {
	char	*buf;
	size_t	 len;		/* bytes in buf, always valid UTF-8 */
	size_t	 pos;		/* cursor, a byte offset on a boundary */
	size_t	 max;		/* longest line in bytes */
	size_t	 scroll;	/* first byte shown when the line is wide */
	size_t	 col;		/* cursor column after the last render */
	char	**hist;		/* oldest first */
	size_t	 hist_len;
	size_t	 hist_max;
	size_t	 hist_pos;	/* == hist_len when not browsing */
	char	*saved;		/* the unsent line while browsing */
};

void	lineedit_init(struct lineedit *, size_t max_bytes, size_t hist_max);
void	lineedit_free(struct lineedit *);

/* Feed one input byte; returns 1 and fills *key when a key is complete. */
void	lineedit_keys_init(struct lineedit_keys *);
int	lineedit_keys_feed(struct lineedit_keys *, unsigned char,
	    struct lineedit_key *);

enum lineedit_action lineedit_key(struct lineedit *,
	    const struct lineedit_key *);

/* The line so far (NUL-terminated, owned by the editor). */
const char *lineedit_line(const struct lineedit *);
/* Hand over the line and start an empty one. */
char	*lineedit_take(struct lineedit *);
/* Replace the line (cursor at its end). */
void	 lineedit_set(struct lineedit *, const char *);
/* Append to history (empty lines and repeats of the last are skipped). */
void	 lineedit_history_add(struct lineedit *, const char *);

/*
 * Draw prompt and line on one row of cols columns: return to column 0,
 * write, clear to the end of the row, put the cursor in place.  The last
 * column stays free so the terminal never wraps.  Returns a new string
 * (its length in *len); the prompt must be plain text.
 */
char	*lineedit_render(struct lineedit *, const char *prompt, unsigned cols,
	    size_t *len);

#endif
