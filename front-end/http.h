/*
 * http.h — the libmicrohttpd server: one struct req per request, a route
 * table, and suspension while a request waits for RabbitMQ or the hasher.
 *
 * A handler runs on an HTTP thread and returns STEP_RESPOND (req->resp is
 * filled) or STEP_WAIT after http_rpc()/http_hash(): the connection is
 * suspended, the other connections go on, and when the answer arrives the
 * connection is resumed and the handler is called again with req->step
 * telling it where it left off.
 */
#ifndef PARLEY_HTTP_H
#define PARLEY_HTTP_H

#include <netinet/in.h>
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "form.h"
#include "hasher.h"
#include "rpc_client.h"
#include "session.h"

#define HTTP_BODY_MAX	8192	/* bytes of a form body */
#define HTTP_COOKIES	4

struct req;
struct frontend;
struct http;
struct http_conn;

enum step { STEP_RESPOND, STEP_WAIT };

enum route_flags {
	ROUTE_SESSION	= 1 << 0,	/* look up the signed-in user first */
	ROUTE_FORM	= 1 << 1,	/* urlencoded body with csrf_token */
	ROUTE_PAGE	= 1 << 2,	/* HTML with forms: needs a csrf cookie */
};

struct route {
	const char	*method;
	const char	*path;
	enum step	(*fn)(struct req *);
	unsigned	 flags;
};

/* The error page for status (400, 403, 404, 405, 413, 415, 500, 503). */
typedef enum step	(*http_error_fn)(struct req *, unsigned status);

/* What the HTTP layer serves, handed in by main (no handler is known here). */
struct http_site {
	const struct route	*routes;
	size_t			 nroutes;
	http_error_fn		 error;
};

enum req_state {
	REQ_NEW,	/* headers read, route chosen */
	REQ_BODY,	/* reading the body */
	REQ_RUNNING,	/* a handler runs on the HTTP thread */
	REQ_SUSPENDED,	/* waiting for the back end or the hasher */
	REQ_RESPONDED,	/* response queued */
};

enum req_phase { PHASE_START, PHASE_SESSION, PHASE_HANDLER };

struct resp {
	unsigned	 status;
	char		*body;		/* owned unless static_body */
	size_t		 len;
	int		 static_body;
	const char	*type;
	const char	*location;	/* static string */
	char		*cookies[HTTP_COOKIES];
	size_t		 ncookies;
	unsigned	 retry_after;	/* seconds, 0: none */
	int		 cacheable;	/* static asset: may be cached */
	int		 close;		/* close the connection after */
	const char	*allow;		/* 405 */
	const char	*csp;		/* NULL: the site's policy */
};

struct req {
	struct frontend		*fe;
	struct http		*http;
	struct MHD_Connection	*conn;
	struct http_conn	*budget;	/* its connection's place */
	const struct route	*route;
	const char		*route_label;	/* for metrics */
	enum req_state		 state;
	enum req_phase		 phase;
	int			 step;		/* the handler's own progress */
	int			 head;		/* HEAD: no body sent */
	uint64_t		 start_us;
	char			 ip[INET6_ADDRSTRLEN];

	char			*body;
	size_t			 body_len;
	int			 body_too_large;
	struct form		 form;

	/* Session and CSRF, set before the handler runs. */
	char			 sid_hash[SESSION_HASH_HEX + 1];	/* "" */
	char			*user;		/* signed-in email or NULL */
	char			 csrf_cookie[SESSION_CSRF_LEN + 1];
	char			 csrf_token[SESSION_TOKEN_LEN + 1];

	/* The last asynchronous result. */
	const char		*rpc_action;
	uint64_t		 rpc_start_us;
	enum rpc_status		 rpc_status;
	json_t			*reply;
	struct hasher_job	 job;

	/* The handler's own working state (http_state), freed with req. */
	void			*hstate;
	void			(*hstate_free)(void *);

	struct resp		 resp;
};

struct http	*http_start(struct frontend *, const struct http_site *,
		    char *err, size_t errlen);
/* Stop accepting, wait for requests in flight (bounded), stop. */
void		 http_stop(struct http *, unsigned wait_ms);

/*
 * Call the back end; data is stolen.  Returns STEP_WAIT; the handler runs
 * again with req->rpc_status and req->reply (RPC_OK: the reply object).
 * action must live as long as the process (a literal): its metric handles
 * are kept under it.
 */
enum step	 http_rpc(struct req *, const char *action, json_t *data);
/* The reply when the call succeeded at the RPC level, else NULL. */
json_t		*http_reply(struct req *);
/* Run req->job (filled by the caller) on the hasher; STEP_WAIT, or
 * STEP_RESPOND with a 503 when the hasher queue is full. */
enum step	 http_hash(struct req *);

/*
 * The handler's working state: size zeroed bytes on the first call, the
 * same pointer afterwards; free_fn(state) runs when the request ends.
 */
void		*http_state(struct req *, size_t size, void (*free_fn)(void *));

/* Responses. */
enum step	 http_error(struct req *, unsigned status);
enum step	 http_html(struct req *, unsigned status, char *body);
enum step	 http_redirect(struct req *, const char *location);
void		 http_cookie(struct req *, char *set_cookie);

#endif
