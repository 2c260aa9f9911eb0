/*
 * events.h — account events for the chat servers, published by the back end
 * to the topic exchange parley.events (docs/backend.md "Events").
 *
 * One RabbitMQ connection of its own (lib/mq).  An event that cannot be
 * handed to the link (it is down, or its outbox is full) waits in a bounded
 * backlog and goes out after the reconnect, in order.
 */
#ifndef PARLEY_EVENTS_H
#define PARLEY_EVENTS_H

#include <jansson.h>

#define EVENTS_EXCHANGE	"parley.events"

/* Start the publisher; NULL url: events are only logged (tests of actions
 * without RabbitMQ).  Returns -1 with a reason when the URL is malformed. */
int	events_start(const char *amqp_url, char *err, size_t errlen);
void	events_stop(void);

/*
 * Thread-safe.  Publish event (borrowed) under routing_key, adding
 * "event_id", "type" (the routing key) and "at" (Unix seconds).
 */
void	events_publish(const char *routing_key, json_t *event);

#endif
