/*
 * conn.h — one client connection: the explicit state machine, framed or
 * plain-text transport, the bounded send queue and the timers.  conn.c turns
 * bytes into calls of the struct conn_handlers handed to conn_init (the
 * hub's) and renders struct out for each kind of client.
 *
 *   DETECT --first byte--> LOGIN --HELLO/name--> CLAIMING --lease-->
 *   JOINING --history--> CHAT;  /join and /nick go back through JOINING and
 *   CLAIMING;  QUIT --> CLOSING (flush the goodbye) --> DEAD;  errors,
 *   EOF, timeouts and slow consumers --> DEAD.  A DEAD conn leaves every
 *   list in the reaper (after the current callback) and is freed when its
 *   last reference (pending RPCs) goes.
 */
#ifndef PARLEY_CONN_H
#define PARLEY_CONN_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include <event2/event_struct.h>

#include "flood.h"
#include "wire.h"

struct event_base;
struct evbuffer;
struct room;
struct ipcap_slot;

enum conn_state {
	CONN_DETECT,	/* nothing read yet: framed or plain text? */
	CONN_LOGIN,	/* waiting for HELLO or the name line */
	CONN_CLAIMING,	/* name lease in flight: input paused */
	CONN_JOINING,	/* history in flight: input paused, room msgs held */
	CONN_CHAT,
	CONN_CLOSING,	/* flushing the goodbye; input ignored */
	CONN_DEAD,
};

enum conn_mode { CONN_FRAMED, CONN_TEXT };

struct held;

struct conn {
	TAILQ_ENTRY(conn)	 all;		/* every live conn */
	TAILQ_ENTRY(conn)	 member;	/* room->members */
	TAILQ_ENTRY(conn)	 reap;
	TAILQ_ENTRY(conn)	 dirty;		/* output waiting for the flush */
	int			 fd;
	struct evbuffer		*in, *out;	/* NULL once reaped */
	struct event		 rev, wev;
	struct ipcap_slot	*ip;
	char			*name;		/* set from CLAIMING on */
	char			*pending_name;	/* /nick being claimed */
	struct room		*room;
	struct held		*held, **held_tail;
	uint64_t		 join_gen;	/* counts joins: matches history */
	int64_t			 join_ts;	/* ms since the epoch */
	uint64_t		 id;
	uint64_t		 since_ms;	/* accepted */
	uint64_t		 last_rx_ms;
	uint64_t		 ping_sent_ms;	/* 0: none outstanding */
	uint64_t		 closing_ms;
	struct flood		 flood;
	uint32_t		 flood_note_ms;
	uint32_t		 refs;
	uint8_t			 state;		/* enum conn_state */
	uint8_t			 mode;		/* enum conn_mode */
	uint8_t			 features;	/* WIRE_FEAT_* */
	uint8_t			 in_process;
	uint8_t			 skipping;	/* dropping an over-long line */
	uint8_t			 is_dirty;
	uint8_t			 reading;	/* rev is added */
	uint8_t			 unleased;	/* name given without a lease */
};

TAILQ_HEAD(conn_list, conn);

/* A message for one or many clients, rendered once per kind of client. */
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
	char		*line;
	size_t		 linelen;
};

/* How a connection reports to its user, the hub. */
struct conn_handlers {
	void	(*login)(struct conn *, const char *name, size_t len,
		    unsigned features);		/* HELLO or the name line */
	void	(*input)(struct conn *, const char *content, size_t len);
	void	(*quit)(struct conn *);	/* QUIT */
	void	(*gone)(struct conn *);	/* closed: leave every list */
};

void	 conn_init(struct event_base *, const struct conn_handlers *);
void	 conn_shutdown(void);
/* Take over an accepted socket; -1 (socket closed) when over a limit. */
int	 conn_accept(int fd, const struct sockaddr *, int socklen);
size_t	 conn_count(void);

/* Deliver now (direct replies). */
void	 conn_send(struct conn *, struct out *);
/* Deliver a room message: held while JOINING, written otherwise. */
void	 conn_deliver(struct conn *, struct out *);
/* Shorthands for a direct CHAT line and an error. */
void	 conn_notice(struct conn *, const char *content);
void	 conn_error(struct conn *, const char *code, const char *text);
void	 conn_errorf(struct conn *, const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	 out_free(struct out *);

/* True when a history entry (origin, seq) was held and must be skipped. */
void	 conn_release_held(struct conn *, int (*seen)(const char *origin,
	    uint64_t seq, void *arg), void *arg);

/* The one way to change state; a transition not in the picture is refused
 * (and logged).  CLAIMING, JOINING, CLOSING and DEAD stop reading. */
void	 conn_set_state(struct conn *, enum conn_state);
/* Re-enable input after CLAIMING/JOINING and process what is buffered. */
void	 conn_resume(struct conn *);
/* Flush what is queued, then close (after QUIT). */
void	 conn_finish(struct conn *);
/* Close now; the hub hears of it from the reaper. */
void	 conn_close(struct conn *, const char *reason);
int	 conn_alive(struct conn *);

void	 conn_ref(struct conn *);
void	 conn_unref(struct conn *);

/* Every live conn (for shutdown); fn may close conns. */
void	 conn_foreach(void (*fn)(struct conn *, void *), void *arg);

#endif
