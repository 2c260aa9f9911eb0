/*
 * mq_body.c — a delivery read frame by frame, its body bounded (mq_body.h).
 *
 * The library decodes every frame into the channel's memory pool and frees
 * the pool only when asked, so what outlives a frame is copied first (the
 * deliver fields to malloc'd bytes, the properties into the envelope's own
 * pool, as amqp_consume_message does) and the pool is released after each
 * frame.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "mq_body.h"

#define MQ_BODY_FRAME_TIMEOUT_S	10	/* between frames of one message */

static amqp_rpc_reply_t
mq_body_error(int status)
{
	amqp_rpc_reply_t r;

	memset(&r, 0, sizeof(r));
	r.reply_type = AMQP_RESPONSE_LIBRARY_EXCEPTION;
	r.library_error = status;
	return r;
}

static int
mq_body_copy(amqp_pool_t *pool, amqp_bytes_t *b)
{
	amqp_bytes_t copy;

	if (b->len == 0) {
		*b = amqp_empty_bytes;
		return 0;
	}
	amqp_pool_alloc_bytes(pool, b->len, &copy);
	if (copy.bytes == NULL)
		return -1;
	memcpy(copy.bytes, b->bytes, b->len);
	*b = copy;
	return 0;
}

/* A deep copy of p in pool: every field that p's flags say is present. */
static int
mq_body_properties(const amqp_basic_properties_t *p,
    amqp_basic_properties_t *out, amqp_pool_t *pool)
{
	static const struct {
		amqp_flags_t	flag;
		size_t		off;
	} fields[] = {
#define F(flag, field) { flag, offsetof(amqp_basic_properties_t, field) }
		F(AMQP_BASIC_CONTENT_TYPE_FLAG, content_type),
		F(AMQP_BASIC_CONTENT_ENCODING_FLAG, content_encoding),
		F(AMQP_BASIC_CORRELATION_ID_FLAG, correlation_id),
		F(AMQP_BASIC_REPLY_TO_FLAG, reply_to),
		F(AMQP_BASIC_EXPIRATION_FLAG, expiration),
		F(AMQP_BASIC_MESSAGE_ID_FLAG, message_id),
		F(AMQP_BASIC_TYPE_FLAG, type),
		F(AMQP_BASIC_USER_ID_FLAG, user_id),
		F(AMQP_BASIC_APP_ID_FLAG, app_id),
		F(AMQP_BASIC_CLUSTER_ID_FLAG, cluster_id),
#undef F
	};
	size_t i;

	memset(out, 0, sizeof(*out));
	out->_flags = p->_flags;
	out->delivery_mode = p->delivery_mode;
	out->priority = p->priority;
	out->timestamp = p->timestamp;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		amqp_bytes_t *dst = (amqp_bytes_t *)((char *)out +
		    fields[i].off);

		if (!(p->_flags & fields[i].flag))
			continue;
		*dst = *(const amqp_bytes_t *)((const char *)p + fields[i].off);
		if (mq_body_copy(pool, dst) == -1)
			return -1;
	}
	if ((p->_flags & AMQP_BASIC_HEADERS_FLAG) &&
	    amqp_table_clone(&p->headers, &out->headers, pool) !=
	    AMQP_STATUS_OK)
		return -1;
	return 0;
}

static int
mq_body_next(amqp_connection_state_t conn, int channel, amqp_frame_t *f,
    int type)
{
	struct timeval	tv = { MQ_BODY_FRAME_TIMEOUT_S, 0 };
	int		status;

	amqp_maybe_release_buffers_on_channel(conn, (amqp_channel_t)channel);
	if ((status = amqp_simple_wait_frame_noblock(conn, f, &tv)) !=
	    AMQP_STATUS_OK)
		return status;
	if (f->frame_type != type || f->channel != channel)
		return AMQP_STATUS_BAD_AMQP_DATA;
	return AMQP_STATUS_OK;
}

/* Header and body frames after the deliver frame, into env->message. */
static int
mq_body_message(amqp_connection_state_t conn, amqp_envelope_t *env,
    size_t body_max)
{
	amqp_message_t	*m = &env->message;
	amqp_frame_t	 f;
	uint64_t	 size, got = 0;
	int		 status, keep;

	init_amqp_pool(&m->pool, 4096);
	if ((status = mq_body_next(conn, env->channel, &f,
	    AMQP_FRAME_HEADER)) != AMQP_STATUS_OK)
		return status;
	if (f.payload.properties.class_id != AMQP_BASIC_CLASS)
		return AMQP_STATUS_BAD_AMQP_DATA;
	if (mq_body_properties(f.payload.properties.decoded, &m->properties,
	    &m->pool) == -1)
		return AMQP_STATUS_NO_MEMORY;
	size = f.payload.properties.body_size;
	if ((keep = size <= body_max)) {
		m->body = amqp_bytes_malloc(size ? (size_t)size : 1);
		if (m->body.bytes == NULL)
			return AMQP_STATUS_NO_MEMORY;
	} else
		log_warnx("amqp delivery over the limit, not read size=%llu "
		    "limit=%zu", (unsigned long long)size, body_max);
	m->body.len = (size_t)size;
	while (got < size) {
		if ((status = mq_body_next(conn, env->channel, &f,
		    AMQP_FRAME_BODY)) != AMQP_STATUS_OK)
			return status;
		if (f.payload.body_fragment.len > size - got)
			return AMQP_STATUS_BAD_AMQP_DATA;
		if (keep)
			memcpy((char *)m->body.bytes + got,
			    f.payload.body_fragment.bytes,
			    f.payload.body_fragment.len);
		got += f.payload.body_fragment.len;
	}
	amqp_maybe_release_buffers_on_channel(conn, env->channel);
	return AMQP_STATUS_OK;
}

amqp_rpc_reply_t
mq_body_consume(amqp_connection_state_t conn, amqp_envelope_t *env,
    struct timeval *tv, size_t body_max, amqp_frame_t *other)
{
	amqp_basic_deliver_t	*d;
	amqp_rpc_reply_t	 r;
	int			 status;

	memset(env, 0, sizeof(*env));
	if ((status = amqp_simple_wait_frame_noblock(conn, other, tv)) !=
	    AMQP_STATUS_OK)
		return mq_body_error(status);
	if (other->frame_type != AMQP_FRAME_METHOD ||
	    other->payload.method.id != AMQP_BASIC_DELIVER_METHOD)
		return mq_body_error(AMQP_STATUS_UNEXPECTED_STATE);
	d = other->payload.method.decoded;
	env->channel = other->channel;
	env->consumer_tag = amqp_bytes_malloc_dup(d->consumer_tag);
	env->delivery_tag = d->delivery_tag;
	env->redelivered = d->redelivered;
	env->exchange = amqp_bytes_malloc_dup(d->exchange);
	env->routing_key = amqp_bytes_malloc_dup(d->routing_key);
	if ((d->consumer_tag.len && env->consumer_tag.bytes == NULL) ||
	    (d->exchange.len && env->exchange.bytes == NULL) ||
	    (d->routing_key.len && env->routing_key.bytes == NULL))
		status = AMQP_STATUS_NO_MEMORY;
	else
		status = mq_body_message(conn, env, body_max);
	if (status != AMQP_STATUS_OK) {
		amqp_destroy_envelope(env);
		return mq_body_error(status);
	}
	memset(&r, 0, sizeof(r));
	r.reply_type = AMQP_RESPONSE_NORMAL;
	return r;
}
