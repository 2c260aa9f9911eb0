/*
 * client_tty.h — the interactive terminal: an input line (lineedit.h)
 * that stays at the bottom while messages are printed above it.
 */
#ifndef PARLEY_CLIENT_TTY_H
#define PARLEY_CLIENT_TTY_H

struct event_base;
struct client_tty;

struct client_tty_cb {
	void	(*line)(void *arg, char *line);	/* Enter; line is the callee's */
	void	(*quit)(void *arg);		/* Ctrl-C, Ctrl-D on empty line */
};

/* Raw mode on standard input; NULL when the terminal refuses. */
struct client_tty *client_tty_new(struct event_base *,
	    const struct client_tty_cb *, void *arg);
/* Clear the input row and give the terminal back. */
void	client_tty_free(struct client_tty *);

/* The prompt; history says whether accepted lines are remembered. */
void	client_tty_prompt(struct client_tty *, const char *prompt,
	    int history);
/* Print one line above the input line (line holds no newline). */
void	client_tty_print(struct client_tty *, const char *line);
/* Stop reading keys (while leaving); the input row is cleared. */
void	client_tty_hide(struct client_tty *);

#endif
