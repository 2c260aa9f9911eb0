/*
 * client_ui.c — output routing and the two input modes.
 *
 * Pipe mode keeps standard output machine-friendly: exactly one line per
 * message received (plus the lab's "Attempting to connect" line), flushed
 * at once; the client's own status lines go to standard error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client_pipe.h"
#include "client_tty.h"
#include "client_ui.h"
#include "xmalloc.h"

#define CLIENT_UI_NAME_PROMPT	"Write your name and start to chat: "
#define CLIENT_UI_CHAT_PROMPT	">> "

struct client_ui {
	const struct client_ui_cb	*cb;
	void				*arg;
	struct client_tty		*tty;
	struct client_pipe		*pipe;
	struct client_render_opts	 style;
	char				*name;
	int				 stdout_gone;
	struct client_tty_cb		 tty_cb;
	struct client_pipe_cb		 pipe_cb;
};

static void
client_ui_line_cb(void *arg, char *line)
{
	struct client_ui *ui = arg;

	ui->cb->line(ui->arg, line);
}

static void
client_ui_quit_cb(void *arg)
{
	struct client_ui *ui = arg;

	ui->cb->quit(ui->arg);
}

struct client_ui *
client_ui_new(struct event_base *base, int interactive, int decorate,
    const struct client_ui_cb *cb, void *arg)
{
	struct client_ui *ui = xcalloc(1, sizeof(*ui));

	ui->cb = cb;
	ui->arg = arg;
	ui->style.colour = decorate;
	ui->style.timestamps = decorate;
	ui->tty_cb.line = ui->pipe_cb.line = client_ui_line_cb;
	ui->tty_cb.quit = ui->pipe_cb.eof = client_ui_quit_cb;
	if (interactive) {
		if ((ui->tty = client_tty_new(base, &ui->tty_cb, ui)) == NULL) {
			free(ui);
			return NULL;
		}
	} else
		ui->pipe = client_pipe_new(base, STDIN_FILENO, &ui->pipe_cb,
		    ui);
	return ui;
}

void
client_ui_free(struct client_ui *ui)
{
	if (ui == NULL)
		return;
	client_tty_free(ui->tty);
	client_pipe_free(ui->pipe);
	free(ui->name);
	free(ui);
}

int
client_ui_interactive(const struct client_ui *ui)
{
	return ui->tty != NULL;
}

void
client_ui_set_name(struct client_ui *ui, const char *name)
{
	free(ui->name);
	ui->name = name != NULL ? xstrdup(name) : NULL;
	ui->style.own_name = ui->name;
}

void
client_ui_prompt_name(struct client_ui *ui)
{
	if (ui->tty != NULL)
		client_tty_prompt(ui->tty, CLIENT_UI_NAME_PROMPT, 0);
	else if (isatty(STDIN_FILENO)) {
		/* Pipe mode on a cooked terminal: still say what to type. */
		fputs(CLIENT_UI_NAME_PROMPT, stderr);
		fflush(stderr);
	}
}

void
client_ui_prompt_chat(struct client_ui *ui)
{
	if (ui->tty != NULL)
		client_tty_prompt(ui->tty, CLIENT_UI_CHAT_PROMPT, 1);
}

void
client_ui_leave(struct client_ui *ui)
{
	if (ui->tty != NULL)
		client_tty_hide(ui->tty);
	if (ui->pipe != NULL)
		client_pipe_pause(ui->pipe, 1);
}

void
client_ui_pause(struct client_ui *ui, int paused)
{
	if (ui->pipe != NULL)
		client_pipe_pause(ui->pipe, paused);
}

void
client_ui_show(struct client_ui *ui, enum client_render_kind kind,
    const char *text, int64_t ts_ms)
{
	time_t	 when = ts_ms > 0 ? (time_t)(ts_ms / 1000) : time(NULL);
	char	*line = client_render_line(&ui->style, kind, text, when);

	if (ui->tty != NULL)
		client_tty_print(ui->tty, line);
	else if (!ui->stdout_gone) {
		fputs(line, stdout);
		fputc('\n', stdout);
		if (fflush(stdout) == EOF && errno == EPIPE) {
			/* Nobody reads us any more (say "| head -3"): leave
			 * as at the end of input. */
			ui->stdout_gone = 1;
			ui->cb->quit(ui->arg);
		}
	}
	free(line);
}

void
client_ui_notice(struct client_ui *ui, const char *fmt, ...)
{
	va_list	 ap;
	char	*text, *line;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		text = NULL;
	va_end(ap);
	if (text == NULL)
		return;
	if (ui->tty != NULL) {
		line = client_render_line(&ui->style, CLIENT_RENDER_NOTICE,
		    text, time(NULL));
		client_tty_print(ui->tty, line);
		free(line);
	} else {
		fprintf(stderr, "chat-client: %s\n", text);
		fflush(stderr);
	}
	free(text);
}
