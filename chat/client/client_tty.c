/*
 * client_tty.c — interactive input on a raw terminal.
 *
 * The editor's line always occupies the last row alone, so printing a
 * message is: carriage return, clear the row, the message and a newline,
 * then draw the line again with the cursor where it was.  Incoming
 * messages therefore never break what the user is typing.  SIGWINCH
 * redraws for the new width; Ctrl-Z gives the terminal back, stops, and
 * SIGCONT takes it again.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "client_tty.h"
#include "lineedit.h"
#include "log.h"
#include "term.h"
#include "xmalloc.h"

#define CLIENT_TTY_MAX_LINE	4096	/* bytes; the server's content limit */
#define CLIENT_TTY_HISTORY	200

struct client_tty {
	struct event_base		*base;
	const struct client_tty_cb	*cb;
	void				*arg;
	struct lineedit			 le;
	struct lineedit_keys		 keys;
	char				*prompt;
	int				 history;
	int				 hidden;
	unsigned			 cols;
	struct event			*input_ev;
	struct event			*winch_ev;
	struct event			*cont_ev;
};

static void
client_tty_out(const char *s, size_t len)
{
	/* A vanished terminal (EIO after a hangup) is not worth dying for. */
	(void)term_write(STDOUT_FILENO, s, len);
}

static void
client_tty_redraw(struct client_tty *t)
{
	char	*s;
	size_t	 len;

	if (t->hidden)
		return;
	s = lineedit_render(&t->le, t->prompt, t->cols, &len);
	client_tty_out(s, len);
	free(s);
}

static void
client_tty_clear_row(void)
{
	client_tty_out("\r\x1b[K", 4);
}

void
client_tty_print(struct client_tty *t, const char *line)
{
	client_tty_clear_row();
	client_tty_out(line, strlen(line));
	client_tty_out("\n", 1);
	client_tty_redraw(t);
}

void
client_tty_prompt(struct client_tty *t, const char *prompt, int history)
{
	free(t->prompt);
	t->prompt = xstrdup(prompt);
	t->history = history;
	client_tty_redraw(t);
}

void
client_tty_hide(struct client_tty *t)
{
	if (!t->hidden)
		client_tty_clear_row();
	t->hidden = 1;
	event_del(t->input_ev);
}

static void
client_tty_accept(struct client_tty *t)
{
	char *line = lineedit_take(&t->le);

	if (t->history)
		lineedit_history_add(&t->le, line);
	client_tty_redraw(t);
	t->cb->line(t->arg, line);
}

static void
client_tty_suspend(struct client_tty *t)
{
	(void)t;
	client_tty_clear_row();
	term_restore();
	/* The default action of SIGTSTP stops us; SIGCONT resumes below. */
	(void)kill(getpid(), SIGTSTP);
}

static void
client_tty_cont(evutil_socket_t sig, short what, void *arg)
{
	struct client_tty *t = arg;

	(void)sig;
	(void)what;
	if (term_raw(STDIN_FILENO) == -1)
		log_warn("tty_raw_failed");
	t->cols = term_cols(STDOUT_FILENO);
	client_tty_redraw(t);
}

/*
 * A narrower window: terminals that reflow (tmux, VTE, Konsole, kitty,
 * iTerm2, Windows Terminal) wrap the old input row over several rows and
 * leave the cursor on the last of them, so go up to where the row starts
 * and clear to the end of the screen before drawing it again.  (On one
 * that truncates instead, such as xterm, this clears a few message rows
 * above it from the screen; nothing is lost from the scrollback.)
 */
static void
client_tty_winch(evutil_socket_t sig, short what, void *arg)
{
	struct client_tty	*t = arg;
	unsigned		 cols = term_cols(STDOUT_FILENO);
	char			 up[32];
	size_t			 rows;

	(void)sig;
	(void)what;
	if (!t->hidden && cols < t->cols && t->le.col >= cols) {
		rows = t->le.col / cols;
		snprintf(up, sizeof(up), "\x1b[%zuA", rows);
		client_tty_out(up, strlen(up));
	}
	if (!t->hidden)
		client_tty_out("\r\x1b[J", 4);
	t->cols = cols;
	client_tty_redraw(t);
}

/* One key; returns 0 to go on, -1 when the callbacks took over. */
static int
client_tty_key(struct client_tty *t, const struct lineedit_key *key)
{
	switch (lineedit_key(&t->le, key)) {
	case LINEEDIT_NONE:
		break;
	case LINEEDIT_REDRAW:
		client_tty_redraw(t);
		break;
	case LINEEDIT_BELL:
		client_tty_out("\a", 1);
		break;
	case LINEEDIT_ACCEPT:
		client_tty_accept(t);
		return t->hidden ? -1 : 0;
	case LINEEDIT_QUIT:
		t->cb->quit(t->arg);
		return -1;
	case LINEEDIT_CLEAR_SCREEN:
		client_tty_out("\x1b[H\x1b[2J", 7);
		client_tty_redraw(t);
		break;
	case LINEEDIT_SUSPEND:
		client_tty_suspend(t);
		break;
	}
	return 0;
}

static void
client_tty_input(evutil_socket_t fd, short what, void *arg)
{
	struct client_tty	*t = arg;
	struct lineedit_key	 key;
	unsigned char		 buf[1024];
	ssize_t			 n, i;

	(void)what;
	n = read(fd, buf, sizeof(buf));
	if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN)) {
		/* The terminal went away: leave as after Ctrl-D. */
		event_del(t->input_ev);
		t->cb->quit(t->arg);
		return;
	}
	for (i = 0; i < n; i++)
		if (lineedit_keys_feed(&t->keys, buf[i], &key) &&
		    client_tty_key(t, &key) == -1)
			return;
}

struct client_tty *
client_tty_new(struct event_base *base, const struct client_tty_cb *cb,
    void *arg)
{
	struct client_tty *t;

	if (term_raw(STDIN_FILENO) == -1)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->base = base;
	t->cb = cb;
	t->arg = arg;
	t->prompt = xstrdup("");
	t->cols = term_cols(STDOUT_FILENO);
	lineedit_init(&t->le, CLIENT_TTY_MAX_LINE, CLIENT_TTY_HISTORY);
	lineedit_keys_init(&t->keys);
	t->input_ev = event_new(base, STDIN_FILENO, EV_READ | EV_PERSIST,
	    client_tty_input, t);
	t->winch_ev = evsignal_new(base, SIGWINCH, client_tty_winch, t);
	t->cont_ev = evsignal_new(base, SIGCONT, client_tty_cont, t);
	event_add(t->input_ev, NULL);
	event_add(t->winch_ev, NULL);
	event_add(t->cont_ev, NULL);
	return t;
}

void
client_tty_free(struct client_tty *t)
{
	if (t == NULL)
		return;
	client_tty_hide(t);
	event_free(t->cont_ev);
	event_free(t->winch_ev);
	event_free(t->input_ev);
	lineedit_free(&t->le);
	free(t->prompt);
	free(t);
	term_restore();
}
