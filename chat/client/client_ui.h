/*
 * client_ui.h — where the user meets the client: on a terminal the line
 * editor with timestamps and colours (client_tty.c), otherwise pipe mode
 * (client_pipe.c: lines in, one line out per message received).
 */
#ifndef PARLEY_CLIENT_UI_H
#define PARLEY_CLIENT_UI_H

#include <stdint.h>

#include "client_render.h"

struct event_base;
struct client_ui;

struct client_ui_cb {
	void	(*line)(void *arg, char *line);	/* line is the callee's */
	void	(*quit)(void *arg);		/* Ctrl-C/D, end of input */
};

/*
 * interactive: standard input and output are terminals; decorate: add
 * timestamps and colours (a terminal and NO_COLOR unset).  NULL when the
 * terminal cannot be set up.
 */
struct client_ui *client_ui_new(struct event_base *, int interactive,
	    int decorate, const struct client_ui_cb *, void *arg);
void	client_ui_free(struct client_ui *);
int	client_ui_interactive(const struct client_ui *);

void	client_ui_set_name(struct client_ui *, const char *);
void	client_ui_prompt_name(struct client_ui *);
void	client_ui_prompt_chat(struct client_ui *);
/* Stop taking input (leaving); output still works. */
void	client_ui_leave(struct client_ui *);
/* Pipe mode flow control: stop reading input while lines wait. */
void	client_ui_pause(struct client_ui *, int);

/* Something received or part of the conversation: standard output. */
void	client_ui_show(struct client_ui *, enum client_render_kind,
	    const char *text, int64_t ts_ms);
/* The client's own status: the terminal, or standard error in pipe mode. */
void	client_ui_notice(struct client_ui *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
