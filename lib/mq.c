/*
 * mq.c — a RabbitMQ connection with its own thread and reconnect state
 * machine (DISCONNECTED -> CONNECTED -> DISCONNECTED ...).
 *
 * Why the care with waiting: Debian 12's librabbitmq 0.11.0 turns a zero
 * timeout into an infinite one inside amqp_try_recv() (rabbitmq-c issues 780
 * and 788), and amqp_basic_publish() calls it once the receive heartbeat is
 * overdue.  So this file never hands the library an unbounded wait: it polls
 * the socket itself, reads only when poll says so (with a 1 ms library
 * timeout), sends heartbeats itself, and declares the peer dead before the
 * library's own heartbeat deadline could make publish block.
 */
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "amqp_compat.h"
#include "backoff.h"
#include "clock.h"
#include "log.h"
#include "mq.h"
#include "mq_body.h"
#include "xmalloc.h"

#define MQ_CHANNEL		1
#define MQ_OUTBOX_MAX		65536	/* queued jobs before mq_publish refuses */
#define MQ_READ_BATCH		256	/* deliveries per wake-up, then timers */
#define MQ_IO_TIMEOUT_S		5	/* connect, handshake and broker RPCs */
#define MQ_FRAME_MAX		131072
#define MQ_BACKOFF_BASE_MS	250
#define MQ_BACKOFF_CAP_MS	10000
/*
 * A link that was up until recently most likely lost a broker that is
 * restarting (a restart, an upgrade, a failover): retry at least every
 * second for that long, so every daemon serves within ~1 s of its return
 * instead of up to 10 s later.  Brokers that were never reached, or gone
 * for longer, get the ordinary schedule.
 */
#define MQ_RECENT_MS		120000
#define MQ_RECENT_CAP_MS	1000

enum mq_state { MQ_DISCONNECTED, MQ_CONNECTED };

struct mq_job {
	struct mq_job	*next;
	void		(*fn)(struct mq *, void *);	/* NULL: a publish */
	void		*arg;
	struct mq_publish pub;				/* owned copies */
};

struct mq {
	char			 name[64];
	char			*url_buf;	/* amqp_parse_url writes into it */
	struct amqp_connection_info info;
	struct mq_handlers	 h;
	void			*arg;

	pthread_t		 thread;
	pthread_mutex_t		 lock;		/* guards jobs */
	struct mq_job		*jobs, **jobs_tail;
	size_t			 njobs;
	int			 wake_fd;
	atomic_int		 up;
	atomic_int		 stopping;

	/* Owned by the mq thread. */
	enum mq_state		 state;
	int			 broken;	/* a write failed: drop soon */
	amqp_connection_state_t	 conn;
	struct backoff		 backoff;
	unsigned		 attempts;
	unsigned		 heartbeat_s;
	uint64_t		 next_attempt_ms, next_tick_ms;
	uint64_t		 last_rx_ms, last_tx_ms;
	uint64_t		 lost_ms;	/* when the link was last lost; 0 never */
};

static void	*mq_main(void *);

/* Tools that do not set it get the servers' default. */
static unsigned mq_heartbeat_s = 10;

void
mq_set_heartbeat(unsigned seconds)
{
	mq_heartbeat_s = seconds;
}

struct mq *
mq_start(const char *name, const char *url, const struct mq_handlers *h,
    void *arg, char *err, size_t errlen)
{
	struct mq	*mq = xcalloc(1, sizeof(*mq));
	int		 rc;

	snprintf(mq->name, sizeof(mq->name), "%s", name);
	mq->url_buf = xstrdup(url);
	amqp_default_connection_info(&mq->info);
	if (amqp_parse_url(mq->url_buf, &mq->info) != AMQP_STATUS_OK) {
		snprintf(err, errlen, "AMQP_URL is not a valid amqp:// URI");
		free(mq->url_buf);
		free(mq);
		return NULL;
	}
	mq->h = *h;
	mq->arg = arg;
	mq->heartbeat_s = mq_heartbeat_s;
	backoff_init(&mq->backoff, MQ_BACKOFF_BASE_MS, MQ_BACKOFF_CAP_MS);
	mq->jobs_tail = &mq->jobs;
	if ((mq->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		fatal("%s: eventfd", __func__);
	pthread_mutex_init(&mq->lock, NULL);
	if ((rc = pthread_create(&mq->thread, NULL, mq_main, mq)) != 0) {
		errno = rc;
		fatal("%s: pthread_create", __func__);
	}
	return mq;
}

static void
mq_wake(struct mq *mq)
{
	uint64_t one = 1;

	if (write(mq->wake_fd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		log_warn("%s: write", __func__);
}

int
mq_is_up(struct mq *mq)
{
	return atomic_load(&mq->up);
}

static char *
mq_dup_opt(const char *s)
{
	return s == NULL ? NULL : xstrdup(s);
}

static void
mq_job_free(struct mq_job *job)
{
	free((char *)job->pub.exchange);
	free((char *)job->pub.routing_key);
	free((char *)job->pub.reply_to);
	free((char *)job->pub.correlation_id);
	free((char *)job->pub.message_id);
	free((void *)job->pub.body);
	free(job);
}

static int
mq_enqueue(struct mq *mq, struct mq_job *job, int bounded)
{
	pthread_mutex_lock(&mq->lock);
	if (bounded && mq->njobs >= MQ_OUTBOX_MAX) {
		pthread_mutex_unlock(&mq->lock);
		return -1;
	}
	*mq->jobs_tail = job;
	mq->jobs_tail = &job->next;
	mq->njobs++;
	pthread_mutex_unlock(&mq->lock);
	mq_wake(mq);
	return 0;
}

int
mq_publish(struct mq *mq, const struct mq_publish *pub)
{
	struct mq_job	*job;
	void		*body;

	if (!mq_is_up(mq))
		return -1;
	job = xcalloc(1, sizeof(*job));
	job->pub = *pub;
	job->pub.exchange = xstrdup(pub->exchange ? pub->exchange : "");
	job->pub.routing_key = xstrdup(pub->routing_key);
	job->pub.reply_to = mq_dup_opt(pub->reply_to);
	job->pub.correlation_id = mq_dup_opt(pub->correlation_id);
	job->pub.message_id = mq_dup_opt(pub->message_id);
	body = xmalloc(pub->body_len);
	memcpy(body, pub->body, pub->body_len);
	job->pub.body = body;
	if (mq_enqueue(mq, job, 1) == -1) {
		log_warnx("amqp outbox full name=%s", mq->name);
		mq_job_free(job);
		return -1;
	}
	return 0;
}

void
mq_run(struct mq *mq, void (*fn)(struct mq *, void *), void *arg)
{
	struct mq_job *job = xcalloc(1, sizeof(*job));

	job->fn = fn;
	job->arg = arg;
	mq_enqueue(mq, job, 0);
}

/* ---- Everything below runs on the mq thread. ---- */

static void
mq_describe_reply(amqp_rpc_reply_t r, char *buf, size_t len)
{
	switch (r.reply_type) {
	case AMQP_RESPONSE_NORMAL:
		snprintf(buf, len, "ok");
		break;
	case AMQP_RESPONSE_NONE:
		snprintf(buf, len, "no reply from broker");
		break;
	case AMQP_RESPONSE_LIBRARY_EXCEPTION:
		snprintf(buf, len, "%s", amqp_error_string2(r.library_error));
		break;
	case AMQP_RESPONSE_SERVER_EXCEPTION:
		if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
			amqp_connection_close_t *c = r.reply.decoded;
			snprintf(buf, len, "connection closed %u %.*s",
			    c->reply_code, (int)c->reply_text.len,
			    (char *)c->reply_text.bytes);
		} else if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
			amqp_channel_close_t *c = r.reply.decoded;
			snprintf(buf, len, "channel closed %u %.*s",
			    c->reply_code, (int)c->reply_text.len,
			    (char *)c->reply_text.bytes);
		} else
			snprintf(buf, len, "server method 0x%08x", r.reply.id);
		break;
	}
}

/* Check the reply of the last synchronous broker call; -1 marks broken. */
static int
mq_check(struct mq *mq, const char *what)
{
	char			 buf[256];
	amqp_rpc_reply_t	 r = amqp_get_rpc_reply(mq->conn);

	if (r.reply_type == AMQP_RESPONSE_NORMAL) {
		mq->last_rx_ms = mq->last_tx_ms = clock_now_ms();
		return 0;
	}
	mq_describe_reply(r, buf, sizeof(buf));
	log_warnx("amqp %s failed name=%s reason=\"%s\"", what, mq->name, buf);
	mq->broken = 1;
	return -1;
}

static int
mq_usable(struct mq *mq)
{
	return mq->state == MQ_CONNECTED && !mq->broken;
}

static void
mq_set_keepalive(int fd)
{
	int on = 1, idle = 5, intvl = 2, cnt = 3, user_ms = 15000;

	/* A vanished host is noticed even mid-frame, where heartbeats can't. */
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl,
	    sizeof(intvl)) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_ms,
	    sizeof(user_ms)) == -1)
		log_warn("%s: setsockopt", __func__);
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
		log_warn("%s: TCP_NODELAY", __func__);
}

static int
mq_open(struct mq *mq, char *why, size_t whylen)
{
	struct timeval		 tv = { MQ_IO_TIMEOUT_S, 0 };
	amqp_socket_t		*sock;
	amqp_rpc_reply_t	 r;
	int			 status;

	mq->conn = amqp_new_connection();
	if ((sock = amqp_tcp_socket_new(mq->conn)) == NULL) {
		snprintf(why, whylen, "cannot create socket");
		return -1;
	}
	status = amqp_socket_open_noblock(sock, mq->info.host, mq->info.port,
	    &tv);
	if (status != AMQP_STATUS_OK) {
		snprintf(why, whylen, "%s", amqp_error_string2(status));
		return -1;
	}
	amqp_set_handshake_timeout(mq->conn, &tv);
	amqp_set_rpc_timeout(mq->conn, &tv);
	r = amqp_login(mq->conn, mq->info.vhost, 0, MQ_FRAME_MAX,
	    (int)mq->heartbeat_s, AMQP_SASL_METHOD_PLAIN, mq->info.user,
	    mq->info.password);
	if (r.reply_type != AMQP_RESPONSE_NORMAL) {
		mq_describe_reply(r, why, whylen);
		return -1;
	}
	amqp_channel_open(mq->conn, MQ_CHANNEL);
	r = amqp_get_rpc_reply(mq->conn);
	if (r.reply_type != AMQP_RESPONSE_NORMAL) {
		mq_describe_reply(r, why, whylen);
		return -1;
	}
	mq_set_keepalive(amqp_get_sockfd(mq->conn));
	mq->heartbeat_s = (unsigned)amqp_get_heartbeat(mq->conn);
	return 0;
}

static void
mq_discard_connection(struct mq *mq)
{
	if (mq->conn != NULL)
		amqp_destroy_connection(mq->conn);
	mq->conn = NULL;
	mq->state = MQ_DISCONNECTED;
	mq->broken = 0;
}

/* Delay before the next connect attempt; see MQ_RECENT_MS. */
static unsigned
mq_retry_delay(struct mq *mq)
{
	uint64_t now = clock_now_ms();

	if (mq->lost_ms != 0 && now - mq->lost_ms < MQ_RECENT_MS)
		return backoff_next_capped_ms(&mq->backoff, MQ_RECENT_CAP_MS);
	return backoff_next_ms(&mq->backoff);
}

static void
mq_schedule_retry(struct mq *mq, const char *why)
{
	unsigned delay = mq_retry_delay(mq);

	mq->next_attempt_ms = clock_now_ms() + delay;
	log_warnx("amqp connect failed name=%s host=%s port=%d attempt=%u "
	    "reason=\"%s\" retry_in_ms=%u", mq->name, mq->info.host,
	    mq->info.port, mq->attempts, why, delay);
}

static void
mq_connect(struct mq *mq)
{
	char why[256];

	mq->attempts++;
	log_info("amqp connecting name=%s host=%s port=%d vhost=%s attempt=%u",
	    mq->name, mq->info.host, mq->info.port, mq->info.vhost,
	    mq->attempts);
	if (mq_open(mq, why, sizeof(why)) == -1) {
		mq_discard_connection(mq);
		mq_schedule_retry(mq, why);
		return;
	}
	mq->state = MQ_CONNECTED;
	mq->last_rx_ms = mq->last_tx_ms = clock_now_ms();
	if (mq->h.on_connect != NULL && (mq->h.on_connect(mq, mq->arg) == -1 ||
	    mq->broken)) {
		mq_discard_connection(mq);
		mq_schedule_retry(mq, "topology set-up failed");
		return;
	}
	log_info("amqp connected name=%s host=%s port=%d heartbeat_s=%u",
	    mq->name, mq->info.host, mq->info.port, mq->heartbeat_s);
	backoff_reset(&mq->backoff);
	mq->attempts = 0;
	atomic_store(&mq->up, 1);
}

/* Lose the link: no polite close, the peer may be gone. */
static void
mq_drop(struct mq *mq, const char *why)
{
	unsigned delay;

	log_warnx("amqp connection lost name=%s reason=\"%s\"", mq->name, why);
	atomic_store(&mq->up, 0);
	mq_discard_connection(mq);
	mq->lost_ms = clock_now_ms();
	delay = mq_retry_delay(mq);
	mq->next_attempt_ms = clock_now_ms() + delay;
	if (mq->h.on_down != NULL)
		mq->h.on_down(mq, mq->arg);
}

/*
 * True when nothing has arrived for 1.5 heartbeats and nothing is waiting
 * in the socket: the broker is gone.  The library's own limit is 2
 * heartbeats, so this always trips first (see the comment at the top).
 */
static int
mq_rx_overdue(struct mq *mq)
{
	struct pollfd pfd;

	if (mq->heartbeat_s == 0 ||
	    clock_now_ms() - mq->last_rx_ms <= mq->heartbeat_s * 1500u)
		return 0;
	pfd.fd = amqp_get_sockfd(mq->conn);
	pfd.events = POLLIN;
	return poll(&pfd, 1, 0) == 0;
}

static int
mq_status_ok(struct mq *mq, int status, const char *what)
{
	if (status == AMQP_STATUS_OK) {
		mq->last_tx_ms = clock_now_ms();
		return 0;
	}
	log_warnx("amqp %s failed name=%s reason=\"%s\"", what, mq->name,
	    amqp_error_string2(status));
	mq->broken = 1;
	return -1;
}

int
mq_publish_now(struct mq *mq, const struct mq_publish *pub)
{
	amqp_basic_properties_t	props;
	amqp_bytes_t		body;
	char			expiration[24];

	if (!mq_usable(mq))
		return -1;
	if (mq_rx_overdue(mq)) {
		mq->broken = 1;
		return -1;
	}
	memset(&props, 0, sizeof(props));
	props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG |
	    AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_USER_ID_FLAG;
	props.content_type = amqp_cstring_bytes("application/json");
	/* RabbitMQ refuses any other value, so receivers can trust it. */
	props.user_id = amqp_cstring_bytes(mq->info.user);
	props.delivery_mode = pub->persistent ? 2 : 1;
	if (pub->reply_to != NULL) {
		props._flags |= AMQP_BASIC_REPLY_TO_FLAG;
		props.reply_to = amqp_cstring_bytes(pub->reply_to);
	}
	if (pub->correlation_id != NULL) {
		props._flags |= AMQP_BASIC_CORRELATION_ID_FLAG;
		props.correlation_id = amqp_cstring_bytes(pub->correlation_id);
	}
	if (pub->message_id != NULL) {
		props._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
		props.message_id = amqp_cstring_bytes(pub->message_id);
	}
	if (pub->expiration_ms > 0) {
		snprintf(expiration, sizeof(expiration), "%u",
		    pub->expiration_ms);
		props._flags |= AMQP_BASIC_EXPIRATION_FLAG;
		props.expiration = amqp_cstring_bytes(expiration);
	}
	body.bytes = (void *)pub->body;
	body.len = pub->body_len;
	return mq_status_ok(mq, amqp_basic_publish(mq->conn, MQ_CHANNEL,
	    amqp_cstring_bytes(pub->exchange ? pub->exchange : ""),
	    amqp_cstring_bytes(pub->routing_key), 0, 0, &props, body),
	    "publish");
}

int
mq_declare_exchange(struct mq *mq, const char *name, const char *type,
    int durable)
{
	if (!mq_usable(mq))
		return -1;
	amqp_exchange_declare(mq->conn, MQ_CHANNEL, amqp_cstring_bytes(name),
	    amqp_cstring_bytes(type), 0, durable, 0, 0, amqp_empty_table);
	return mq_check(mq, "exchange.declare");
}

int
mq_exchange_exists(struct mq *mq, const char *name)
{
	if (!mq_usable(mq))
		return -1;
	amqp_exchange_declare(mq->conn, MQ_CHANNEL, amqp_cstring_bytes(name),
	    amqp_cstring_bytes("direct"), 1, 0, 0, 0, amqp_empty_table);
	return mq_check(mq, "exchange.declare passive");
}

int
mq_declare_queue(struct mq *mq, const char *name,
    const struct mq_queue_options *o, char *out, size_t outlen)
{
	amqp_table_entry_t	 entries[3];
	amqp_table_t		 args = { 0, entries };
	amqp_queue_declare_ok_t	*ok;

	if (!mq_usable(mq))
		return -1;
	if (o->message_ttl_ms > 0) {
		entries[args.num_entries].key =
		    amqp_cstring_bytes("x-message-ttl");
		entries[args.num_entries].value.kind = AMQP_FIELD_KIND_I64;
		entries[args.num_entries++].value.value.i64 = o->message_ttl_ms;
	}
	if (o->expires_ms > 0) {
		entries[args.num_entries].key = amqp_cstring_bytes("x-expires");
		entries[args.num_entries].value.kind = AMQP_FIELD_KIND_I64;
		entries[args.num_entries++].value.value.i64 = o->expires_ms;
	}
	if (o->queue_type != NULL) {
		entries[args.num_entries].key = amqp_cstring_bytes("x-queue-type");
		entries[args.num_entries].value.kind = AMQP_FIELD_KIND_UTF8;
		entries[args.num_entries++].value.value.bytes =
		    amqp_cstring_bytes(o->queue_type);
	}
	ok = amqp_queue_declare(mq->conn, MQ_CHANNEL, amqp_cstring_bytes(name),
	    0, o->durable, o->exclusive, o->auto_delete, args);
	if (mq_check(mq, "queue.declare") == -1)
		return -1;
	if (out != NULL)
		snprintf(out, outlen, "%.*s", (int)ok->queue.len,
		    (char *)ok->queue.bytes);
	return 0;
}

int
mq_bind(struct mq *mq, const char *queue, const char *exchange,
    const char *key)
{
	if (!mq_usable(mq))
		return -1;
	amqp_queue_bind(mq->conn, MQ_CHANNEL, amqp_cstring_bytes(queue),
	    amqp_cstring_bytes(exchange), amqp_cstring_bytes(key),
	    amqp_empty_table);
	return mq_check(mq, "queue.bind");
}

int
mq_unbind(struct mq *mq, const char *queue, const char *exchange,
    const char *key)
{
	if (!mq_usable(mq))
		return -1;
	amqp_queue_unbind(mq->conn, MQ_CHANNEL, amqp_cstring_bytes(queue),
	    amqp_cstring_bytes(exchange), amqp_cstring_bytes(key),
	    amqp_empty_table);
	return mq_check(mq, "queue.unbind");
}

int
mq_consume(struct mq *mq, const char *queue, int no_ack, unsigned prefetch)
{
	if (!mq_usable(mq))
		return -1;
	if (prefetch > 0) {
		amqp_basic_qos(mq->conn, MQ_CHANNEL, 0, (uint16_t)prefetch, 0);
		if (mq_check(mq, "basic.qos") == -1)
			return -1;
	}
	amqp_basic_consume(mq->conn, MQ_CHANNEL, amqp_cstring_bytes(queue),
	    amqp_cstring_bytes(queue), 0, no_ack, 0, amqp_empty_table);
	return mq_check(mq, "basic.consume");
}

int
mq_ack(struct mq *mq, uint64_t tag)
{
	if (!mq_usable(mq))
		return -1;
	return mq_status_ok(mq, amqp_basic_ack(mq->conn, MQ_CHANNEL, tag, 0),
	    "basic.ack");
}

int
mq_reject(struct mq *mq, uint64_t tag, int requeue)
{
	if (!mq_usable(mq))
		return -1;
	return mq_status_ok(mq, amqp_basic_reject(mq->conn, MQ_CHANNEL, tag,
	    requeue), "basic.reject");
}

/* Short strings are at most 255 bytes; the handler wants C strings. */
static const char *
mq_cstr(amqp_bytes_t b, char *buf, size_t len, int present)
{
	if (!present)
		return NULL;
	snprintf(buf, len, "%.*s", (int)b.len, (char *)b.bytes);
	return buf;
}

static void
mq_deliver(struct mq *mq, amqp_envelope_t *env)
{
	amqp_basic_properties_t	*p = &env->message.properties;
	struct mq_message	 msg;
	char			 exchange[256], key[256], reply_to[256];
	char			 correlation_id[256], message_id[256];
	char			 user_id[256], consumer_tag[256];

	msg.body = env->message.body.bytes;
	msg.body_len = env->message.body.len;
	msg.exchange = mq_cstr(env->exchange, exchange, sizeof(exchange), 1);
	msg.routing_key = mq_cstr(env->routing_key, key, sizeof(key), 1);
	msg.reply_to = mq_cstr(p->reply_to, reply_to, sizeof(reply_to),
	    p->_flags & AMQP_BASIC_REPLY_TO_FLAG);
	msg.correlation_id = mq_cstr(p->correlation_id, correlation_id,
	    sizeof(correlation_id), p->_flags & AMQP_BASIC_CORRELATION_ID_FLAG);
	msg.message_id = mq_cstr(p->message_id, message_id, sizeof(message_id),
	    p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG);
	msg.user_id = mq_cstr(p->user_id, user_id, sizeof(user_id),
	    p->_flags & AMQP_BASIC_USER_ID_FLAG);
	msg.consumer_tag = mq_cstr(env->consumer_tag, consumer_tag,
	    sizeof(consumer_tag), 1);
	msg.delivery_tag = env->delivery_tag;
	msg.redelivered = env->redelivered;
	if (mq->h.on_message != NULL)
		mq->h.on_message(mq, &msg, mq->arg);
}

/* A frame other than basic.deliver arrived: close, cancel or return. */
static void
mq_frame(struct mq *mq, const amqp_frame_t *f)
{
	amqp_message_t	returned;

	if (f->frame_type != AMQP_FRAME_METHOD)
		return;
	switch (f->payload.method.id) {
	case AMQP_BASIC_RETURN_METHOD:
		if (amqp_read_message(mq->conn, f->channel, &returned,
		    0).reply_type == AMQP_RESPONSE_NORMAL)
			amqp_destroy_message(&returned);
		break;
	case AMQP_CHANNEL_CLOSE_METHOD:
	case AMQP_CONNECTION_CLOSE_METHOD:
	case AMQP_BASIC_CANCEL_METHOD:
		log_warnx("amqp broker closed or cancelled name=%s method=0x%08x",
		    mq->name, f->payload.method.id);
		mq->broken = 1;
		break;
	default:
		break;
	}
}

/* amqp_consume_message() put back a frame other than basic.deliver. */
static void
mq_other_frame(struct mq *mq)
{
	struct timeval	tv = { 0, 1000 };
	amqp_frame_t	frame;
	int		status;

	status = amqp_simple_wait_frame_noblock(mq->conn, &frame, &tv);
	if (status == AMQP_STATUS_TIMEOUT)
		return;
	if (status != AMQP_STATUS_OK) {
		mq_status_ok(mq, status, "read");
		return;
	}
	mq_frame(mq, &frame);
}

static void
mq_read(struct mq *mq)
{
	struct timeval		tv = { 0, 1000 };
	amqp_envelope_t		env;
	amqp_frame_t		other;
	amqp_rpc_reply_t	r;
	int			i;

	for (i = 0; i < MQ_READ_BATCH && mq_usable(mq); i++) {
		amqp_maybe_release_buffers(mq->conn);
		if (mq->h.body_max > 0) {
			r = mq_body_consume(mq->conn, &env, &tv,
			    mq->h.body_max, &other);
			if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
			    r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
				mq_frame(mq, &other);
				continue;
			}
		} else
			r = amqp_consume_message(mq->conn, &env, &tv, 0);
		if (r.reply_type == AMQP_RESPONSE_NORMAL) {
			mq_deliver(mq, &env);
			amqp_destroy_envelope(&env);
		} else if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
		    r.library_error == AMQP_STATUS_TIMEOUT)
			return;
		else if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
		    r.library_error == AMQP_STATUS_UNEXPECTED_STATE)
			mq_other_frame(mq);
		else {
			char why[256];
			mq_describe_reply(r, why, sizeof(why));
			log_warnx("amqp read failed name=%s reason=\"%s\"",
			    mq->name, why);
			mq->broken = 1;
		}
		if (!amqp_data_in_buffer(mq->conn) &&
		    !amqp_frames_enqueued(mq->conn))
			return;
	}
}

static void
mq_send_heartbeat(struct mq *mq)
{
	amqp_frame_t hb;

	memset(&hb, 0, sizeof(hb));
	hb.frame_type = AMQP_FRAME_HEARTBEAT;
	hb.channel = 0;
	mq_status_ok(mq, amqp_send_frame(mq->conn, &hb), "heartbeat");
}

static void
mq_service_heartbeat(struct mq *mq)
{
	uint64_t now = clock_now_ms();

	if (mq->heartbeat_s == 0 || !mq_usable(mq))
		return;
	if (mq_rx_overdue(mq)) {
		mq->broken = 1;
		log_warnx("amqp heartbeat missed name=%s silent_ms=%llu",
		    mq->name, (unsigned long long)(now - mq->last_rx_ms));
		return;
	}
	if (now - mq->last_tx_ms >= mq->heartbeat_s * 500u)
		mq_send_heartbeat(mq);
}

static struct mq_job *
mq_take_jobs(struct mq *mq)
{
	struct mq_job *jobs;

	pthread_mutex_lock(&mq->lock);
	jobs = mq->jobs;
	mq->jobs = NULL;
	mq->jobs_tail = &mq->jobs;
	mq->njobs = 0;
	pthread_mutex_unlock(&mq->lock);
	return jobs;
}

static void
mq_run_jobs(struct mq *mq)
{
	struct mq_job *job, *next;

	for (job = mq_take_jobs(mq); job != NULL; job = next) {
		next = job->next;
		if (job->fn != NULL)
			job->fn(mq, job->arg);
		else if (mq_publish_now(mq, &job->pub) == -1)
			log_debug("amqp publish dropped name=%s link down",
			    mq->name);
		mq_job_free(job);
	}
}

static int
mq_poll_timeout(struct mq *mq, uint64_t now)
{
	uint64_t deadline = mq->next_tick_ms;

	if (mq->state == MQ_DISCONNECTED && mq->next_attempt_ms < deadline)
		deadline = mq->next_attempt_ms;
	if (mq->state == MQ_CONNECTED && (amqp_data_in_buffer(mq->conn) ||
	    amqp_frames_enqueued(mq->conn)))
		return 0;
	return deadline > now ? (int)(deadline - now) : 0;
}

static void
mq_wait(struct mq *mq)
{
	struct pollfd	pfd[2];
	uint64_t	drain;
	int		n = 1, buffered;

	pfd[0].fd = mq->wake_fd;
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	if (mq->state == MQ_CONNECTED) {
		pfd[1].fd = amqp_get_sockfd(mq->conn);
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		n = 2;
	}
	if (poll(pfd, n, mq_poll_timeout(mq, clock_now_ms())) == -1 &&
	    errno != EINTR)
		log_warn("%s: poll", __func__);
	if (pfd[0].revents & POLLIN)
		if (read(mq->wake_fd, &drain, sizeof(drain)) == -1 &&
		    errno != EAGAIN)
			log_warn("%s: read", __func__);
	if (n < 2)
		return;
	buffered = amqp_data_in_buffer(mq->conn) ||
	    amqp_frames_enqueued(mq->conn);
	if (pfd[1].revents & (POLLIN | POLLERR | POLLHUP))
		mq->last_rx_ms = clock_now_ms();
	if (buffered || (pfd[1].revents & (POLLIN | POLLERR | POLLHUP)))
		mq_read(mq);
}

static void
mq_close_politely(struct mq *mq)
{
	if (mq->state != MQ_CONNECTED)
		return;
	atomic_store(&mq->up, 0);
	if (!mq->broken) {
		amqp_channel_close(mq->conn, MQ_CHANNEL, AMQP_REPLY_SUCCESS);
		amqp_connection_close(mq->conn, AMQP_REPLY_SUCCESS);
	}
	mq_discard_connection(mq);
	log_info("amqp closed name=%s", mq->name);
}

static void *
mq_main(void *arg)
{
	struct mq	*mq = arg;
	uint64_t	 now;

	while (!atomic_load(&mq->stopping)) {
		now = clock_now_ms();
		if (mq->state == MQ_DISCONNECTED && now >= mq->next_attempt_ms)
			mq_connect(mq);
		mq_wait(mq);
		mq_run_jobs(mq);
		mq_service_heartbeat(mq);
		if (mq->broken)
			mq_drop(mq, "broker unreachable or closed the channel");
		now = clock_now_ms();
		if (now >= mq->next_tick_ms) {
			mq->next_tick_ms = now + MQ_TICK_MS;
			if (mq->h.on_tick != NULL)
				mq->h.on_tick(mq, mq->arg);
		}
	}
	mq_run_jobs(mq);
	mq_close_politely(mq);
	if (mq->h.on_down != NULL)
		mq->h.on_down(mq, mq->arg);
	mq_run_jobs(mq);
	return NULL;
}

void
mq_stop(struct mq *mq)
{
	if (mq == NULL)
		return;
	atomic_store(&mq->stopping, 1);
	mq_wake(mq);
	pthread_join(mq->thread, NULL);
	close(mq->wake_fd);
	pthread_mutex_destroy(&mq->lock);
	free(mq->url_buf);
	free(mq);
}
