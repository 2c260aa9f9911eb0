/*
 * client.c — the session state machine of chat-client.
 *
 *   CONNECTING -> NAMING -> JOINING -> CHATTING -> QUITTING -> DONE
 *        ^   (no name yet)  (HELLO sent)  |
 *        |                                | connection lost
 *        +-------------- BACKOFF <--------+
 *
 * Lines from the user (typed, or read in pipe mode) wait in a queue until
 * the session can take them: the first is the name, the others are sent as
 * CHAT once WELCOME has arrived.  Nothing typed during a reconnect is lost.
 * After an unexpected drop the client reconnects with capped exponential
 * backoff and jitter, says HELLO with the same name and re-joins the room
 * it was in; it gives up after opts.reconnect_max attempts.
 *
 * Queued lines are paced by a token bucket (opts.send_rate/send_burst,
 * below the server's default flood limits) and held back while the socket's
 * send queue is full, so a file piped in is neither dropped by the server's
 * flood control nor buffered without bound.
 */
#include <sys/queue.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "backoff.h"
#include "client.h"
#include "client_net.h"
#include "client_proto.h"
#include "client_ui.h"
#include "clock.h"
#include "flood.h"
#include "log.h"
#include "xmalloc.h"

/* Lines waiting before pipe mode stops reading its input. */
#define CLIENT_QUEUE_HIGH	256

enum client_state {
	CLIENT_CONNECTING,	/* resolving or connecting */
	CLIENT_NAMING,		/* connected, waiting for the user's name */
	CLIENT_JOINING,		/* HELLO sent, waiting for WELCOME */
	CLIENT_CHATTING,
	CLIENT_QUITTING,	/* QUIT sent, waiting for BYE or the close */
	CLIENT_BACKOFF,		/* connection lost, waiting to reconnect */
	CLIENT_DONE,
};

struct client_line {
	TAILQ_ENTRY(client_line)	 entry;
	char				*text;
};

struct client {
	struct event_base		*base;
	struct client_opts		 opts;
	struct client_net		*net;
	struct client_ui		*ui;
	struct client_net_cb		 net_cb;
	struct client_ui_cb		 ui_cb;
	enum client_state		 state;

	char				*name;		/* for HELLO */
	char				*room;		/* NULL: lobby/unknown */
	int				 ever_connected;
	int				 reconnecting;
	int				 input_eof;
	unsigned			 attempts;
	struct backoff			 backoff;
	struct event			*timer;		/* backoff, quit */
	struct flood			 pace;		/* lines sent */
	struct event			*pace_ev;	/* next token */

	TAILQ_HEAD(, client_line)	 queue;
	size_t				 queued;
	int				 exit_code;
};

static void	client_drain(struct client *);
static void	client_leave(struct client *);

static void
client_set(char **field, const char *value)
{
	free(*field);
	*field = value != NULL ? xstrdup(value) : NULL;
}

static void
client_done(struct client *c, int code)
{
	if (c->state == CLIENT_DONE)
		return;
	c->state = CLIENT_DONE;
	c->exit_code = code;
	client_ui_leave(c->ui);
	client_net_close(c->net);
	evtimer_del(c->timer);
	evtimer_del(c->pace_ev);
	event_base_loopexit(c->base, NULL);
}

static void
client_send(struct client *c, uint8_t *frame, size_t len)
{
	if (client_net_send(c->net, frame, len) == -1)
		log_debug("send_failed state=%d", c->state);
	free(frame);
}

static void
client_send_chat(struct client *c, const char *text)
{
	uint8_t	*frame;
	size_t	 len;

	frame = client_proto_chat(text, &len);
	client_send(c, frame, len);
}

static void
client_hello(struct client *c)
{
	uint8_t	*frame;
	size_t	 len;

	c->state = CLIENT_JOINING;
	frame = client_proto_hello(c->name, c->opts.token, &len);
	client_send(c, frame, len);
}

static void
client_timer_ms(struct client *c, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(c->timer, &tv);
}

/* The connection is gone (or never came back): wait, then try again. */
static void
client_retry(struct client *c, const char *reason)
{
	unsigned	delay;
	char		of[16];

	client_net_close(c->net);
	if (c->opts.reconnect_max > 0 &&
	    c->attempts >= c->opts.reconnect_max) {
		client_ui_notice(c->ui, "Could not reconnect to %s port %s "
		    "after %u attempts (%s); giving up.", c->opts.host,
		    c->opts.port, c->attempts, reason);
		client_done(c, CLIENT_EXIT_CONNECT);
		return;
	}
	c->attempts++;
	delay = backoff_next_ms(&c->backoff);
	if (c->opts.reconnect_max > 0)
		snprintf(of, sizeof(of), "%u", c->opts.reconnect_max);
	else
		snprintf(of, sizeof(of), "unlimited");
	client_ui_notice(c->ui, "%s (%s). Reconnecting in %.1f s "
	    "(attempt %u of %s)...", c->reconnecting ? "Reconnect failed" :
	    "Connection lost", reason, delay / 1000.0, c->attempts, of);
	c->reconnecting = 1;
	c->state = CLIENT_BACKOFF;
	client_timer_ms(c, delay);
}

static void
client_timer(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;

	(void)fd;
	(void)what;
	switch (c->state) {
	case CLIENT_BACKOFF:
		c->state = CLIENT_CONNECTING;
		client_net_connect(c->net);
		break;
	case CLIENT_QUITTING:
		client_ui_notice(c->ui, "No goodbye from the server; "
		    "leaving anyway.");
		client_done(c, CLIENT_EXIT_CONNECT);
		break;
	default:
		break;
	}
}

/* ---- connection events ---- */

static void
client_connected(void *arg)
{
	struct client *c = arg;

	c->ever_connected = 1;
	if (c->reconnecting)
		client_ui_notice(c->ui, "Connected again to %s port %s.",
		    c->opts.host, c->opts.port);
	/* With a token the account's name is used: nothing to ask. */
	if (c->name != NULL || c->opts.token != NULL) {
		client_hello(c);
		return;
	}
	c->state = CLIENT_NAMING;
	client_ui_prompt_name(c->ui);
	client_drain(c);
}

static void
client_failed(void *arg, const char *reason)
{
	struct client *c = arg;

	if (c->state == CLIENT_DONE)
		return;
	if (!c->ever_connected) {
		client_ui_notice(c->ui, "Could not connect to the chat at %s "
		    "port %s: %s", c->opts.host, c->opts.port, reason);
		client_done(c, CLIENT_EXIT_CONNECT);
		return;
	}
	client_retry(c, reason);
}

static void
client_closed(void *arg, const char *reason)
{
	struct client *c = arg;

	switch (c->state) {
	case CLIENT_QUITTING:
		client_done(c, CLIENT_EXIT_OK);
		break;
	case CLIENT_DONE:
		break;
	default:
		client_retry(c, reason);
		break;
	}
}

/* ---- messages from the server, dispatched by type ---- */

/* Signed in with a token: the name is the account's, as WELCOME says
 * ("Welcome NAME! You can now start to chat!"). */
static void
client_welcome_name(struct client *c, const char *content)
{
	static const char	 pre[] = "Welcome ";
	static const char	 post[] = "! You can now start to chat!";
	size_t			 n = strlen(content);

	if (strncmp(content, pre, sizeof(pre) - 1) != 0 ||
	    n <= sizeof(pre) - 1 + sizeof(post) - 1 ||
	    strcmp(content + n - (sizeof(post) - 1), post) != 0)
		return;
	free(c->name);
	c->name = xstrndup(content + sizeof(pre) - 1,
	    n - (sizeof(pre) - 1) - (sizeof(post) - 1));
	client_ui_set_name(c->ui, c->name);
}

static void
client_on_welcome(struct client *c, const struct client_msg *m)
{
	char *join;

	client_ui_show(c->ui, CLIENT_RENDER_INFO, m->content, m->ts_ms);
	if (c->state != CLIENT_JOINING)
		return;
	if (c->name == NULL)
		client_welcome_name(c, m->content);
	c->state = CLIENT_CHATTING;
	client_ui_prompt_chat(c->ui);
	if (c->reconnecting) {
		c->reconnecting = 0;
		if (c->room != NULL && strcasecmp(c->room, "lobby") != 0) {
			client_ui_notice(c->ui, "Rejoining %s.", c->room);
			join = xasprintf("/join %s", c->room);
			client_send_chat(c, join);
			free(join);
		}
	}
	c->attempts = 0;
	backoff_reset(&c->backoff);
	client_drain(c);
}

/*
 * Learn the room and the name from the server's own confirmations
 * (docs/chat.md): "SERVER: you are now in ROOM with: ..." after /join and
 * "SERVER: you are now known as NEW" after /nick.  No user can produce
 * these lines: every user line starts with the sender's name, and no one
 * may be called SERVER.  Against the lab's server they never come, so the
 * client never sends /join there.
 */
static void
client_track(struct client *c, const struct client_msg *m)
{
	static const char	 in[] = "SERVER: you are now in ";
	static const char	 known[] = "SERVER: you are now known as ";
	const char		*p, *end;

	if (m->private_msg || (m->from != NULL && strcmp(m->from, "SERVER")))
		return;
	if (strncmp(m->content, in, sizeof(in) - 1) == 0) {
		p = m->content + sizeof(in) - 1;
		end = p + strcspn(p, " ");
		if (end > p) {
			free(c->room);
			c->room = xstrndup(p, (size_t)(end - p));
		}
	} else if (strncmp(m->content, known, sizeof(known) - 1) == 0) {
		p = m->content + sizeof(known) - 1;
		if (*p != '\0' && strchr(p, ' ') == NULL) {
			client_set(&c->name, p);
			client_ui_set_name(c->ui, c->name);
		}
	}
}

static void
client_on_chat(struct client *c, const struct client_msg *m)
{
	enum client_render_kind kind = CLIENT_RENDER_CHAT;

	if (m->private_msg)
		kind = CLIENT_RENDER_PRIVATE;
	else if (m->history)
		kind = CLIENT_RENDER_HISTORY;
	client_ui_show(c->ui, kind, m->content, m->ts_ms);
	if (!m->history)
		client_track(c, m);
}

static void
client_on_bye(struct client *c, const struct client_msg *m)
{
	client_ui_show(c->ui, CLIENT_RENDER_INFO, m->content, m->ts_ms);
	client_done(c, CLIENT_EXIT_OK);
}

/* HELLO refused: ask again on a terminal; in pipe mode there is no one. */
static void
client_name_refused(struct client *c, const struct client_msg *m)
{
	if (c->opts.token != NULL) {
		/* The back end was away: later.  Refused: no name helps. */
		if (strcmp(m->content, "accounts unavailable, try again") == 0) {
			client_retry(c, m->content);
			return;
		}
		client_ui_notice(c->ui, "The server refused the token: %s",
		    m->content);
		client_done(c, CLIENT_EXIT_NAME);
		return;
	}
	if (c->reconnecting && m->code != NULL &&
	    strcmp(m->code, "name_taken") == 0) {
		/* Our old session may not have timed out yet. */
		client_retry(c, m->content);
		return;
	}
	if (!client_ui_interactive(c->ui)) {
		client_ui_notice(c->ui, "The server refused the name: %s",
		    m->content);
		client_done(c, CLIENT_EXIT_NAME);
		return;
	}
	client_ui_show(c->ui, CLIENT_RENDER_ERROR, m->content, m->ts_ms);
	client_set(&c->name, NULL);
	client_ui_set_name(c->ui, NULL);
	c->reconnecting = 0;
	c->state = CLIENT_NAMING;
	client_ui_prompt_name(c->ui);
	client_drain(c);
}

static void
client_on_error(struct client *c, const struct client_msg *m)
{
	char *text;

	if (c->state == CLIENT_JOINING) {
		client_name_refused(c, m);
		return;
	}
	if (m->code != NULL)
		text = xasprintf("ERROR %s: %s", m->code, m->content);
	else
		text = xasprintf("ERROR: %s", m->content);
	client_ui_show(c->ui, CLIENT_RENDER_ERROR, text, m->ts_ms);
	free(text);
}

static void
client_on_ping(struct client *c, const struct client_msg *m)
{
	uint8_t	*frame;
	size_t	 len;

	(void)m;
	frame = client_proto_pong(&len);
	client_send(c, frame, len);
}

static const struct {
	enum client_msg_type	 type;
	void			(*fn)(struct client *, const struct client_msg *);
} client_handlers[] = {
	{ CLIENT_MSG_WELCOME,	client_on_welcome },
	{ CLIENT_MSG_CHAT,	client_on_chat },
	{ CLIENT_MSG_BYE,	client_on_bye },
	{ CLIENT_MSG_ERROR,	client_on_error },
	{ CLIENT_MSG_PING,	client_on_ping },
};

static void
client_frame(void *arg, const uint8_t *payload, size_t len)
{
	struct client		*c = arg;
	struct client_msg	 m;
	char			 err[160];
	size_t			 i;

	if (client_proto_decode(payload, len, &m, err, sizeof(err)) == -1) {
		log_debug("frame_ignored reason=\"%s\"", err);
		return;
	}
	for (i = 0; i < sizeof(client_handlers) / sizeof(client_handlers[0]);
	    i++)
		if (client_handlers[i].type == m.type) {
			client_handlers[i].fn(c, &m);
			break;
		}
	if (m.type == CLIENT_MSG_UNKNOWN)
		log_debug("frame_ignored type=\"%.32s\"", m.type_name);
	client_proto_msg_clear(&m);
}

/* ---- lines from the user ---- */

static int
client_is_quit(const char *line)
{
	return strcmp(line, "#quit") == 0 || strcmp(line, "/quit") == 0;
}

static void
client_take_name(struct client *c, char *line)
{
	if (*line == '\0' || client_is_quit(line)) {
		if (client_is_quit(line))
			client_done(c, CLIENT_EXIT_OK);
		else if (client_ui_interactive(c->ui))
			client_ui_notice(c->ui, "Please write a name.");
		else {
			client_ui_notice(c->ui, "The first input line must "
			    "be a name (or use --name NAME).");
			client_done(c, CLIENT_EXIT_NAME);
		}
		free(line);
		return;
	}
	free(c->name);
	c->name = line;
	client_ui_set_name(c->ui, c->name);
	client_hello(c);
}

static void
client_say(struct client *c, char *line)
{
	char *echo;

	if (*line == '\0') {
		free(line);
		return;
	}
	if (client_is_quit(line)) {
		free(line);
		client_leave(c);
		return;
	}
	client_send_chat(c, line);
	if (client_ui_interactive(c->ui)) {
		if (line[0] == '/')
			client_ui_show(c->ui, CLIENT_RENDER_NOTICE, line, 0);
		else {
			echo = xasprintf("%s: %s", c->name != NULL ?
			    c->name : "you", line);
			client_ui_show(c->ui, CLIENT_RENDER_OWN, echo, 0);
			free(echo);
		}
	}
	free(line);
}

/*
 * May the next queued line be sent now?  Lines that leave need no token;
 * otherwise wait for the bucket or for the socket to drain.
 */
static int
client_may_send(struct client *c, const char *line)
{
	unsigned	rate = c->opts.send_rate, wait_ms;
	struct timeval	tv;

	if (client_is_quit(line) || *line == '\0')
		return 1;
	if (client_net_pending(c->net) > CLIENT_NET_SENDQ_HIGH)
		return 0;		/* client_net_cb.writable resumes */
	if (flood_take(&c->pace, rate, c->opts.send_burst, clock_now_ms()) == 0)
		return 1;
	wait_ms = (1000 - c->pace.tokens_milli + rate - 1) / rate + 1;
	tv.tv_sec = wait_ms / 1000;
	tv.tv_usec = (wait_ms % 1000) * 1000;
	evtimer_add(c->pace_ev, &tv);
	return 0;
}

/* Give queued lines to the session as far as its state allows. */
static void
client_drain(struct client *c)
{
	struct client_line *l;

	while ((l = TAILQ_FIRST(&c->queue)) != NULL &&
	    (c->state == CLIENT_NAMING || (c->state == CLIENT_CHATTING &&
	    !evtimer_pending(c->pace_ev, NULL) &&
	    client_may_send(c, l->text)))) {
		TAILQ_REMOVE(&c->queue, l, entry);
		c->queued--;
		if (c->state == CLIENT_NAMING)
			client_take_name(c, l->text);
		else
			client_say(c, l->text);
		free(l);
	}
	if (c->state == CLIENT_DONE || c->state == CLIENT_QUITTING)
		return;
	client_ui_pause(c->ui, c->queued >= CLIENT_QUEUE_HIGH);
	if (c->input_eof && c->queued == 0) {
		if (c->state == CLIENT_CHATTING)
			client_leave(c);
		else if (c->state == CLIENT_NAMING) {
			client_ui_notice(c->ui, "No name: standard input "
			    "ended before the first line.");
			client_done(c, CLIENT_EXIT_NAME);
		}
	}
}

static void
client_pace_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	client_drain(arg);
}

static void
client_writable(void *arg)
{
	client_drain(arg);
}

static void
client_ui_line(void *arg, char *line)
{
	struct client		*c = arg;
	struct client_line	*l;

	if (c->state == CLIENT_DONE || c->state == CLIENT_QUITTING) {
		free(line);
		return;
	}
	if (client_ui_interactive(c->ui) && client_is_quit(line) &&
	    c->state != CLIENT_CHATTING) {
		free(line);
		client_leave(c);
		return;
	}
	l = xmalloc(sizeof(*l));
	l->text = line;
	TAILQ_INSERT_TAIL(&c->queue, l, entry);
	c->queued++;
	if (client_ui_interactive(c->ui) && c->state != CLIENT_NAMING &&
	    c->state != CLIENT_CHATTING)
		client_ui_notice(c->ui, "Not connected: the line will be sent "
		    "once the connection is back.");
	client_drain(c);
}

/* Pipe mode: end of input.  Interactive: Ctrl-C, Ctrl-D, hangup. */
static void
client_ui_quit(void *arg)
{
	struct client *c = arg;

	if (client_ui_interactive(c->ui)) {
		client_quit(c);
		return;
	}
	c->input_eof = 1;
	client_drain(c);
}

/* Leave politely: QUIT, then wait for BYE or the close. */
static void
client_leave(struct client *c)
{
	uint8_t	*frame;
	size_t	 len;

	if (c->state != CLIENT_CHATTING) {
		client_done(c, CLIENT_EXIT_OK);
		return;
	}
	frame = client_proto_quit(&len);
	client_send(c, frame, len);
	c->state = CLIENT_QUITTING;
	client_ui_leave(c->ui);
	client_timer_ms(c, c->opts.quit_timeout_ms);
}

/* ---- public ---- */

void
client_quit(struct client *c)
{
	if (c->state == CLIENT_QUITTING)
		client_done(c, CLIENT_EXIT_OK);
	else
		client_leave(c);
}

struct client *
client_new(struct event_base *base, struct evdns_base *dns,
    const struct client_opts *opts)
{
	struct client *c = xcalloc(1, sizeof(*c));

	c->base = base;
	c->opts = *opts;
	c->state = CLIENT_CONNECTING;
	TAILQ_INIT(&c->queue);
	backoff_init(&c->backoff, opts->backoff_base_ms, opts->backoff_cap_ms);
	c->timer = evtimer_new(base, client_timer, c);
	c->pace_ev = evtimer_new(base, client_pace_cb, c);
	flood_init(&c->pace, opts->send_burst, clock_now_ms());
	c->net_cb.connected = client_connected;
	c->net_cb.failed = client_failed;
	c->net_cb.frame = client_frame;
	c->net_cb.closed = client_closed;
	c->net_cb.writable = client_writable;
	c->net = client_net_new(base, dns, opts->host, opts->port,
	    opts->connect_timeout_ms, &c->net_cb, c);
	c->ui_cb.line = client_ui_line;
	c->ui_cb.quit = client_ui_quit;
	c->ui = client_ui_new(base, opts->interactive, opts->decorate,
	    &c->ui_cb, c);
	if (c->ui == NULL) {
		client_free(c);
		return NULL;
	}
	if (opts->name != NULL) {
		c->name = xstrdup(opts->name);
		client_ui_set_name(c->ui, c->name);
	}
	return c;
}

void
client_start(struct client *c)
{
	char *hello;

	hello = xasprintf("Attempting to connect to %s at %s", c->opts.host,
	    c->opts.port);
	client_ui_show(c->ui, CLIENT_RENDER_NOTICE, hello, 0);
	free(hello);
	client_net_connect(c->net);
}

int
client_exit_code(const struct client *c)
{
	return c->exit_code;
}

void
client_free(struct client *c)
{
	struct client_line *l;

	if (c == NULL)
		return;
	while ((l = TAILQ_FIRST(&c->queue)) != NULL) {
		TAILQ_REMOVE(&c->queue, l, entry);
		free(l->text);
		free(l);
	}
	client_ui_free(c->ui);
	client_net_free(c->net);
	event_free(c->timer);
	event_free(c->pace_ev);
	free(c->name);
	free(c->room);
	free(c);
}
