/*
 * conn.h — one client connection: its transport state machine, framed or
 * plain-text input, the bounded send queue and the timers.  conn.c turns
 * bytes into calls of the struct conn_handlers handed to conn_init (the
 * hub's) and renders struct out for each kind of client.  Who the client
 * is (name, room, chat state: user.h) is the owner's business; the
 * connection keeps only an owner pointer.
 *
 *   DETECT --first byte--> OPEN --conn_finish--> CLOSING (flush the
 *   goodbye) --> DEAD;  errors, EOF, timeouts and slow consumers --> DEAD.
 *   The owner pauses input (conn_pause) while a claim or a join is in
 *   flight and resumes it.  A DEAD conn leaves every list in the reaper
 *   (after the current callback; the owner hears gone()) and is freed then.
 */
#ifndef PARLEY_CONN_H
#define PARLEY_CONN_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include <event2/event_struct.h>

#include "wire.h"

struct event_base;
struct evbuffer;
struct ipcap_slot;

enum conn_state {
	CONN_DETECT,	/* nothing read yet: framed or plain text? */
	CONN_OPEN,
	CONN_CLOSING,	/* flushing the goodbye; input ignored */
	CONN_DEAD,
};

/* CONN_WS: a WebSocket (RFC 6455); each text message is one lab JSON
 * object, as a framed payload (docs/websocket.md). */
enum conn_mode { CONN_FRAMED, CONN_TEXT, CONN_WS };

struct conn_ws;

struct conn {
	TAILQ_ENTRY(conn)	 all;		/* every live conn */
	TAILQ_ENTRY(conn)	 reap;
	TAILQ_ENTRY(conn)	 dirty;		/* output waiting for the flush */
	int			 fd;
	struct evbuffer		*in, *out;	/* NULL once reaped */
	struct event		 rev, wev;
	struct ipcap_slot	*ip;
	struct conn_ws		*ws;		/* CONN_WS only */
	void			*owner;		/* the hub's user, or NULL */
	uint64_t		 id;
	uint64_t		 since_ms;	/* accepted */
	uint64_t		 last_rx_ms;
	uint64_t		 ping_sent_ms;	/* 0: none outstanding */
	uint64_t		 closing_ms;
	uint8_t			 state;		/* enum conn_state */
	uint8_t			 mode;		/* enum conn_mode */
	uint8_t			 features;	/* WIRE_FEAT_* */
	uint8_t			 in_process;
	uint8_t			 skipping;	/* dropping an over-long line */
	uint8_t			 is_dirty;
	uint8_t			 reading;	/* rev is added */
	uint8_t			 paused;	/* by the owner: no input */
	uint8_t			 logged_in;	/* idle/ping timers, not login's */
};

TAILQ_HEAD(conn_list, conn);

/* A message for one or many clients, rendered once per kind of client. */
/* A rendering as one WebSocket text frame (conn.c). */
struct ws_text {
	uint8_t		*p;
	size_t		 len;
};

struct out {
	const char	*type;		/* "CHAT", "WELCOME", "BYE" */
	const char	*content;	/* the display line */
	const char	*room;		/* meta fields: NULL for none */
	const char	*from;
	int64_t		 ts;
	int		 private_msg;
	int		 history;
	const char	*origin;	/* identity of a chat message, for */
	uint64_t	 seq;		/* de-duplication against history */
	const char	**features;	/* WELCOME to feature-aware clients */
	size_t		 nfeatures;
	struct wbuf	 lab, meta;	/* renderings, made on first use */
	struct ws_text	 ws[2];		/* lab, meta as WebSocket frames */
	char		*line;
	size_t		 linelen;
};

/* How a connection reports to its owner, the hub. */
struct conn_handlers {
	void	(*hello)(struct conn *, const char *name, size_t len,
		    unsigned features);
	/* HELLO with a ticket or a token (m->name may be NULL). */
	void	(*auth)(struct conn *, const struct wire_msg *m);
	void	(*chat)(struct conn *, const char *content, size_t len);
	void	(*line)(struct conn *, const char *line, size_t len);
	void	(*quit)(struct conn *);	/* QUIT */
	void	(*gone)(struct conn *);	/* closed: forget it */
};

void	 conn_init(struct event_base *, const struct conn_handlers *);
void	 conn_shutdown(void);
/* Take over an accepted socket; -1 (socket closed) when over a limit. */
int	 conn_accept(int fd, const struct sockaddr *, int socklen);
/* The same for the WebSocket listener (CONN_WS from the start). */
int	 conn_accept_ws(int fd, const struct sockaddr *, int socklen);
/* Draining (SIGTERM): from now on a WebSocket's close says 1001. */
void	 conn_draining(void);
size_t	 conn_count(void);

/* Deliver now.  These and the others below accept NULL (a gone conn). */
void	 conn_send(struct conn *, struct out *);
/* o as this client gets it (valid until out_free). */
const uint8_t *conn_render(struct conn *, struct out *, size_t *len);
/* Bytes conn_render made earlier. */
void	 conn_write(struct conn *, const void *, size_t);
/* Shorthands for a direct CHAT line and an error. */
void	 conn_notice(struct conn *, const char *content);
void	 conn_error(struct conn *, const char *code, const char *text);
void	 conn_errorf(struct conn *, const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	 out_free(struct out *);

/* Input off (a claim or join in flight) and on again (with what is
 * buffered processed now). */
void	 conn_pause(struct conn *);
void	 conn_resume(struct conn *);
/* Logged in: the idle and ping timers replace the log-in timeout. */
void	 conn_logged_in(struct conn *);
/* Flush what is queued, then close (after QUIT). */
void	 conn_finish(struct conn *);
/* Like conn_finish for a connection whose account signed out: an error
 * (code "auth") and, on a WebSocket, close 1008 with reason. */
void	 conn_revoke(struct conn *, const char *reason);
/* Close now; the hub hears of it from the reaper. */
void	 conn_close(struct conn *, const char *reason);
int	 conn_alive(struct conn *);

/* Every live conn (for shutdown); fn may close conns. */
void	 conn_foreach(void (*fn)(struct conn *, void *), void *arg);

#endif
