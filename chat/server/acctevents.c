/*
 * acctevents.c — account events from the back end (docs/backend.md
 * "Events"): sign-outs, password changes, token revocations and deletions
 * close the matching chat connections of this replica (hub_revoke).
 *
 * Its own RabbitMQ connection: an exclusive, auto-delete queue
 * parley.chat.events.<replica> bound to parley.events with account.#.  The
 * exchange is the back end's (the chat user may not declare it): until it
 * exists the link retries with back-off.  Events are small; larger bodies
 * are dropped unread.  An event lost while the link is down leaves a
 * connection open that should have closed: tickets are single-use and
 * the next HELLO asks the back end again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "acctevents.h"
#include "hub.h"
#include "inbox.h"
#include "log.h"
#include "metrics.h"
#include "mq.h"
#include "xmalloc.h"

#define ACCTEV_EXCHANGE		"parley.events"	/* back-end/events.h */
#define ACCTEV_BODY_MAX		(64 * 1024)
#define ACCTEV_LIST_MAX		1000

struct acctev {
	struct hub_revoke	 rv;
	char			 reason[48];
	char			 moved_from[17], moved_to[17];
	char			(*sessions)[17];
	const char		**session_ptrs;
	int64_t			*tokens;
};

static struct mq	*acctev_mq;
static char		 acctev_queue[96];
static struct counter	*m_events;

static int
acctev_on_connect(struct mq *mq, void *arg)
{
	const struct mq_queue_options q = { .exclusive = 1, .auto_delete = 1 };

	(void)arg;
	if (mq_exchange_exists(mq, ACCTEV_EXCHANGE) == -1)
		return -1;
	if (mq_declare_queue(mq, acctev_queue, &q, NULL, 0) == -1 ||
	    mq_bind(mq, acctev_queue, ACCTEV_EXCHANGE, "account.#") == -1 ||
	    mq_consume(mq, acctev_queue, 1, 0) == -1)
		return -1;
	log_info("chat account events consumed queue=%s", acctev_queue);
	return 0;
}

static void
acctev_free(struct acctev *ev)
{
	free(ev->sessions);
	free(ev->session_ptrs);
	free(ev->tokens);
	free(ev);
}

/* On the loop. */
static void
acctev_apply(void *arg)
{
	struct acctev *ev = arg;

	hub_revoke(&ev->rv);
	acctev_free(ev);
}

static size_t
acctev_len(json_t *list)
{
	size_t n = json_array_size(list);

	return n > ACCTEV_LIST_MAX ? ACCTEV_LIST_MAX : n;
}

/* The handles of list (16 hex digits each) into ev. */
static void
acctev_sessions(struct acctev *ev, json_t *list)
{
	size_t	 i, n = acctev_len(list);
	json_t	*v;

	ev->sessions = xcalloc(n + 1, sizeof(*ev->sessions));
	ev->session_ptrs = xcalloc(n + 1, sizeof(*ev->session_ptrs));
	for (i = 0; i < n; i++) {
		v = json_array_get(list, i);
		if (!json_is_string(v) || json_string_length(v) != 16)
			continue;
		memcpy(ev->sessions[ev->rv.nsessions], json_string_value(v), 17);
		ev->session_ptrs[ev->rv.nsessions] =
		    ev->sessions[ev->rv.nsessions];
		ev->rv.nsessions++;
	}
	ev->rv.sessions = ev->session_ptrs;
}

static void
acctev_tokens(struct acctev *ev, json_t *list)
{
	size_t	 i, n = acctev_len(list);
	json_t	*v;

	ev->tokens = xcalloc(n + 1, sizeof(*ev->tokens));
	for (i = 0; i < n; i++)
		if (json_is_integer(v = json_array_get(list, i)) &&
		    json_integer_value(v) > 0)
			ev->tokens[ev->rv.ntokens++] = json_integer_value(v);
	ev->rv.tokens = ev->tokens;
}

/* {"from": handle, "to": handle}: a session's new handle. */
static void
acctev_moved(struct acctev *ev, json_t *moved)
{
	json_t *from = json_object_get(moved, "from");
	json_t *to = json_object_get(moved, "to");

	if (!json_is_string(from) || json_string_length(from) != 16 ||
	    !json_is_string(to) || json_string_length(to) != 16)
		return;
	memcpy(ev->moved_from, json_string_value(from), 17);
	memcpy(ev->moved_to, json_string_value(to), 17);
	ev->rv.moved_from = ev->moved_from;
	ev->rv.moved_to = ev->moved_to;
}

/* The revocation an event asks for, or NULL (not ours, malformed). */
static struct acctev *
acctev_parse(const char *key, json_t *root)
{
	struct acctev	*ev;
	json_t		*id = json_object_get(root, "account_id"), *tok;

	if (!json_is_integer(id) || json_integer_value(id) <= 0)
		return NULL;
	ev = xcalloc(1, sizeof(*ev));
	ev->rv.account_id = json_integer_value(id);
	snprintf(ev->reason, sizeof(ev->reason), "%s", key);
	ev->rv.reason = ev->reason;
	acctev_sessions(ev, json_object_get(root, "sessions"));
	if (strcmp(key, "account.token_revoked") == 0) {
		tok = json_array();
		json_array_append(tok, json_object_get(root, "token_id"));
		acctev_tokens(ev, tok);
		json_decref(tok);
	} else
		acctev_tokens(ev, json_object_get(root, "tokens"));
	acctev_moved(ev, json_object_get(root, "session_moved"));
	ev->rv.all = strcmp(key, "account.deleted") == 0 ||
	    json_is_true(json_object_get(root, "all_sessions"));
	if (strcmp(key, "account.sessions_revoked") != 0 &&
	    strcmp(key, "account.password_changed") != 0 &&
	    strcmp(key, "account.token_revoked") != 0 &&
	    strcmp(key, "account.deleted") != 0) {
		acctev_free(ev);
		return NULL;
	}
	return ev;
}

static void
acctev_on_message(struct mq *mq, const struct mq_message *msg, void *arg)
{
	struct acctev	*ev = NULL;
	json_error_t	 jerr;
	json_t		*root;

	(void)mq;
	(void)arg;
	counter_add(m_events, 1);
	if (msg->body != NULL && msg->routing_key != NULL &&
	    (root = json_loadb(msg->body, msg->body_len, 0, &jerr)) != NULL) {
		ev = acctev_parse(msg->routing_key, root);
		json_decref(root);
	}
	if (ev == NULL) {
		log_debug("chat account event ignored");
		return;
	}
	inbox_post(acctev_apply, ev);
}

int
acctevents_start(const char *amqp_url, const char *replica, char *err,
    size_t errlen)
{
	static const struct mq_handlers h = {
		.on_connect = acctev_on_connect,
		.on_message = acctev_on_message,
		.body_max = ACCTEV_BODY_MAX,
	};

	snprintf(acctev_queue, sizeof(acctev_queue), "parley.chat.events.%s",
	    replica);
	m_events = metrics_counter("chat_account_events_total", "",
	    "Account events received from the back end");
	if ((acctev_mq = mq_start("chat-events", amqp_url, &h, NULL, err,
	    errlen)) == NULL)
		return -1;
	return 0;
}

void
acctevents_stop(void)
{
	if (acctev_mq != NULL)
		mq_stop(acctev_mq);
	acctev_mq = NULL;
}
