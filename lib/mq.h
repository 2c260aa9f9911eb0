/*
 * mq.h — one RabbitMQ connection owned by a dedicated thread.
 *
 * librabbitmq-c connections are not thread-safe and some of its calls can
 * block, so each struct mq runs its own thread: it connects (capped
 * exponential backoff + jitter), sends and checks heartbeats itself, waits
 * only with its own poll deadlines, and after every reconnect calls
 * on_connect so the owner re-declares its topology and consumers.
 * Other threads talk to it through mq_publish() and mq_run(), which queue
 * work and wake the thread through an eventfd.  docs/architecture.md
 * ("RabbitMQ and the event loops") explains the design.
 */
#ifndef PARLEY_MQ_H
#define PARLEY_MQ_H

#include <stddef.h>
#include <stdint.h>

struct mq;

struct mq_message {
	const void	*body;
	size_t		 body_len;
	const char	*exchange;
	const char	*routing_key;
	const char	*reply_to;		/* NULL when absent */
	const char	*correlation_id;	/* NULL when absent */
	const char	*message_id;		/* NULL when absent */
	const char	*user_id;		/* checked by RabbitMQ; NULL: absent */
	const char	*consumer_tag;		/* the queue's name (mq_consume) */
	uint64_t	 delivery_tag;
	int		 redelivered;
};

struct mq_publish {
	const char	*exchange;		/* "" is the default exchange */
	const char	*routing_key;
	const void	*body;
	size_t		 body_len;
	const char	*reply_to;		/* optional */
	const char	*correlation_id;	/* optional */
	const char	*message_id;		/* optional */
	unsigned	 expiration_ms;		/* 0: never expires */
	int		 persistent;
};

/* All handlers run on the mq thread. */
struct mq_handlers {
	/* After each (re)connect: declare, bind, consume.  -1 reconnects. */
	int	(*on_connect)(struct mq *, void *arg);
	/* Every delivery; body and strings live until the handler returns. */
	void	(*on_message)(struct mq *, const struct mq_message *, void *arg);
	/* The link was lost; work that depended on it should fail now. */
	void	(*on_down)(struct mq *, void *arg);
	/* At least every MQ_TICK_MS, connected or not. */
	void	(*on_tick)(struct mq *, void *arg);
	/*
	 * 0: no limit.  Otherwise a delivery whose body is larger is read
	 * and dropped frame by frame, never held whole: on_message gets it
	 * with body NULL and body_len its size (lib/mq_body.h).
	 */
	size_t	body_max;
};

#define MQ_TICK_MS	100

struct mq_queue_options {
	int		durable;
	int		exclusive;
	int		auto_delete;
	long		message_ttl_ms;	/* 0: none */
	long		expires_ms;	/* 0: none; delete when unused that long */
	const char	*queue_type;	/* NULL: broker default; "quorum" ... */
};

/*
 * Start the thread.  url is an AMQP URI (amqp://user:pass@host:port/vhost).
 * Returns NULL with a reason in err when the URL is malformed.
 */
struct mq	*mq_start(const char *name, const char *url,
		    const struct mq_handlers *, void *arg, char *err,
		    size_t errlen);
/* Close the connection politely, join the thread, free everything. */
void		 mq_stop(struct mq *);
int		 mq_is_up(struct mq *);

/* Thread-safe.  Queue a copy for publishing; -1 when the link is down. */
int		 mq_publish(struct mq *, const struct mq_publish *);
/* Thread-safe.  Run fn(mq, arg) on the mq thread soon, in call order. */
void		 mq_run(struct mq *, void (*fn)(struct mq *, void *), void *arg);

/* Only on the mq thread (inside handlers or mq_run functions). */
int	mq_publish_now(struct mq *, const struct mq_publish *);
int	mq_declare_exchange(struct mq *, const char *name, const char *type,
	    int durable);
/* Passive declare (needs no permission): -1, and a reconnect, if absent. */
int	mq_exchange_exists(struct mq *, const char *name);
/* name "" asks the broker for a name, copied to out when out != NULL. */
int	mq_declare_queue(struct mq *, const char *name,
	    const struct mq_queue_options *, char *out, size_t outlen);
int	mq_bind(struct mq *, const char *queue, const char *exchange,
	    const char *key);
int	mq_unbind(struct mq *, const char *queue, const char *exchange,
	    const char *key);
/* The consumer tag is the queue's name, so deliveries tell their queue. */
int	mq_consume(struct mq *, const char *queue, int no_ack,
	    unsigned prefetch);
int	mq_ack(struct mq *, uint64_t delivery_tag);
int	mq_reject(struct mq *, uint64_t delivery_tag, int requeue);

/* The AMQP heartbeat of connections started from now on, in seconds (0:
 * off; the programs pass their AMQP_HEARTBEAT setting). */
void	mq_set_heartbeat(unsigned seconds);

#endif
