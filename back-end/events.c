/* events.c — the account-event publisher (see events.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "events.h"
#include "jsonx.h"
#include "log.h"
#include "metrics.h"
#include "mq.h"
#include "xmalloc.h"

#define EVENTS_BACKLOG_MAX	1024

struct event {
	struct event	*next;
	char		*key;
	char		*body;
	char		 id[33];
};

static struct {
	pthread_mutex_t	 lock;
	struct mq	*mq;
	struct event	*head, *tail;	/* backlog, oldest first */
	size_t		 n;
} events = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void
events_count(const char *result)
{
	char labels[48];

	snprintf(labels, sizeof(labels), "result=\"%s\"", result);
	counter_add(metrics_counter("parley_events_published_total", labels,
	    "Account events by result (sent, queued while RabbitMQ was "
	    "down, dropped)"), 1);
}

static void
events_fill(struct mq_publish *pub, const struct event *ev)
{
	memset(pub, 0, sizeof(*pub));
	pub->exchange = EVENTS_EXCHANGE;
	pub->routing_key = ev->key;
	pub->body = ev->body;
	pub->body_len = strlen(ev->body);
	pub->message_id = ev->id;
	pub->persistent = 1;
}

static void
events_free(struct event *ev)
{
	free(ev->key);
	free(ev->body);
	free(ev);
}

/* On the mq thread: send the backlog in order while the link takes it. */
static void
events_flush(struct mq *mq)
{
	struct mq_publish	 pub;
	struct event		*ev;

	pthread_mutex_lock(&events.lock);
	while ((ev = events.head) != NULL) {
		events_fill(&pub, ev);
		if (mq_publish_now(mq, &pub) == -1)
			break;
		events.head = ev->next;
		if (events.head == NULL)
			events.tail = NULL;
		events.n--;
		log_info("event sent type=%s event_id=%s from=backlog", ev->key,
		    ev->id);
		events_count("sent");
		events_free(ev);
	}
	pthread_mutex_unlock(&events.lock);
}

static int
events_on_connect(struct mq *mq, void *arg)
{
	(void)arg;
	if (mq_declare_exchange(mq, EVENTS_EXCHANGE, "topic", 1) == -1)
		return -1;
	events_flush(mq);
	return 0;
}

static void
events_on_tick(struct mq *mq, void *arg)
{
	(void)arg;
	if (mq_is_up(mq))
		events_flush(mq);
}

int
events_start(const char *amqp_url, char *err, size_t errlen)
{
	static const struct mq_handlers h = {
		.on_connect = events_on_connect,
		.on_tick = events_on_tick,
	};

	if (amqp_url == NULL)
		return 0;
	if ((events.mq = mq_start("events", amqp_url, &h, NULL, err,
	    errlen)) == NULL)
		return -1;
	return 0;
}

void
events_stop(void)
{
	struct event *ev;

	if (events.mq != NULL)
		mq_stop(events.mq);
	events.mq = NULL;
	if (events.n > 0)
		log_warnx("events not sent count=%zu", events.n);
	while ((ev = events.head) != NULL) {
		events.head = ev->next;
		events_free(ev);
	}
	events.tail = NULL;
	events.n = 0;
}

void
events_publish(const char *routing_key, json_t *event)
{
	struct mq_publish	 pub;
	struct event		*ev = xcalloc(1, sizeof(*ev));
	unsigned char		 raw[16];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(ev->id, sizeof(ev->id), raw, sizeof(raw));
	json_object_set_new(event, "event_id", json_string(ev->id));
	json_object_set_new(event, "type", json_string(routing_key));
	json_object_set_new(event, "at", json_integer((json_int_t)time(NULL)));
	ev->key = xstrdup(routing_key);
	ev->body = jsonx_dump(event);
	events_fill(&pub, ev);
	pthread_mutex_lock(&events.lock);
	/* Behind a backlog, wait in line so the order holds. */
	if (events.mq != NULL && events.n == 0 &&
	    mq_publish(events.mq, &pub) == 0) {
		pthread_mutex_unlock(&events.lock);
		log_info("event sent type=%s event_id=%s", routing_key, ev->id);
		events_count("sent");
		events_free(ev);
		return;
	}
	if (events.mq == NULL || events.n == EVENTS_BACKLOG_MAX) {
		pthread_mutex_unlock(&events.lock);
		log_warnx("event dropped type=%s event_id=%s reason=%s",
		    routing_key, ev->id, events.mq == NULL ? "no-publisher" :
		    "backlog-full");
		events_count("dropped");
		events_free(ev);
		return;
	}
	if (events.tail != NULL)
		events.tail->next = ev;
	else
		events.head = ev;
	events.tail = ev;
	events.n++;
	pthread_mutex_unlock(&events.lock);
	log_warnx("event queued type=%s event_id=%s reason=amqp-down",
	    routing_key, ev->id);
	events_count("queued");
}
