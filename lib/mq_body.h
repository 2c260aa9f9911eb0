/*
 * mq_body.h — read a delivery with a limit on its body (used by mq.c).
 *
 * amqp_consume_message() allocates a delivery's whole body (the size the
 * content header announces) before reading it, so a 32 MiB message costs
 * 32 MiB whatever the consumer's limit.  mq_body_consume() reads the
 * deliver, header and body frames itself: a body over body_max is read and
 * dropped frame by frame (memory stays flat) and returned unread, with
 * body.bytes NULL and body.len its announced size.
 */
#ifndef PARLEY_MQ_BODY_H
#define PARLEY_MQ_BODY_H

#include <stddef.h>
#include <sys/time.h>

#include "amqp_compat.h"

/*
 * Like amqp_consume_message(conn, env, tv, 0).  A first frame that is not
 * basic.deliver is returned in *other with AMQP_STATUS_UNEXPECTED_STATE
 * (the caller handles it: it cannot be put back).  The envelope is freed
 * with amqp_destroy_envelope().
 */
amqp_rpc_reply_t mq_body_consume(amqp_connection_state_t conn,
		    amqp_envelope_t *env, struct timeval *tv, size_t body_max,
		    amqp_frame_t *other);

#endif
