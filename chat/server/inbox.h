/*
 * inbox.h — work handed to the event loop from other threads (the AMQP
 * and RPC threads): a locked list and an eventfd watched by libevent.
 */
#ifndef PARLEY_INBOX_H
#define PARLEY_INBOX_H

struct event_base;

void	inbox_init(struct event_base *);
/* Any thread: run fn(arg) on the loop soon, in call order. */
void	inbox_post(void (*fn)(void *), void *arg);
/* Loop thread: run whatever is queued now (shutdown). */
void	inbox_run(void);
void	inbox_fini(void);

#endif
