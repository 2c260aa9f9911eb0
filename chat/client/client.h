/*
 * client.h — the chat client's session: connect, name, chat, quit, and
 * reconnect with backoff after an unexpected drop (docs/chat-client.md).
 */
#ifndef PARLEY_CLIENT_H
#define PARLEY_CLIENT_H

struct event_base;
struct evdns_base;
struct client;

struct client_opts {
	const char	*host;
	const char	*port;
	const char	*name;		/* --name, or NULL to ask */
	const char	*token;		/* CHAT_TOKEN(_FILE): an account's */
	int		 interactive;	/* terminal UI, else pipe mode */
	int		 decorate;	/* timestamps and colours */
	unsigned	 reconnect_max;	/* attempts after a drop; 0: no limit */
	unsigned	 backoff_base_ms;
	unsigned	 backoff_cap_ms;
	unsigned	 connect_timeout_ms;
	unsigned	 quit_timeout_ms; /* wait for BYE after QUIT */
	unsigned	 send_rate;	/* lines per second; 0: no pacing */
	unsigned	 send_burst;
};

/* Exit statuses. */
#define CLIENT_EXIT_OK		0
#define CLIENT_EXIT_CONNECT	1	/* cannot connect, or gave up */
#define CLIENT_EXIT_USAGE	2
#define CLIENT_EXIT_NAME	3	/* pipe mode: name refused or missing */

/* NULL when the terminal cannot be set up. */
struct client	*client_new(struct event_base *, struct evdns_base *,
		    const struct client_opts *);
void		 client_free(struct client *);

/* Print the lab's greeting and start connecting. */
void		 client_start(struct client *);
/* Leave politely (QUIT, wait for BYE); a second call leaves at once. */
void		 client_quit(struct client *);
/* Valid once the event loop has ended. */
int		 client_exit_code(const struct client *);

#endif
