/* inbox.c — cross-thread job queue into the libevent loop. */
#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "inbox.h"
#include "log.h"
#include "xmalloc.h"

struct inbox_job {
	struct inbox_job	*next;
	void			(*fn)(void *);
	void			*arg;
};

static pthread_mutex_t	 inbox_lock = PTHREAD_MUTEX_INITIALIZER;
static struct inbox_job	*inbox_head, **inbox_tail = &inbox_head;
static int		 inbox_fd = -1;
static int		 inbox_signalled;
static struct event	*inbox_ev;

void
inbox_run(void)
{
	struct inbox_job	*job, *next;
	uint64_t		 n;

	if (read(inbox_fd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		log_warn("%s: read", __func__);
	pthread_mutex_lock(&inbox_lock);
	job = inbox_head;
	inbox_head = NULL;
	inbox_tail = &inbox_head;
	inbox_signalled = 0;
	pthread_mutex_unlock(&inbox_lock);
	for (; job != NULL; job = next) {
		next = job->next;
		job->fn(job->arg);
		free(job);
	}
}

static void
inbox_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	inbox_run();
}

void
inbox_init(struct event_base *base)
{
	if ((inbox_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		fatal("%s: eventfd", __func__);
	inbox_ev = event_new(base, inbox_fd, EV_READ | EV_PERSIST, inbox_cb,
	    NULL);
	event_add(inbox_ev, NULL);
}

void
inbox_post(void (*fn)(void *), void *arg)
{
	struct inbox_job	*job = xmalloc(sizeof(*job));
	uint64_t		 one = 1;
	int			 wake;

	job->next = NULL;
	job->fn = fn;
	job->arg = arg;
	pthread_mutex_lock(&inbox_lock);
	*inbox_tail = job;
	inbox_tail = &job->next;
	/* One wake-up per batch: the loop takes the whole list at once. */
	wake = !inbox_signalled;
	inbox_signalled = 1;
	pthread_mutex_unlock(&inbox_lock);
	if (wake && write(inbox_fd, &one, sizeof(one)) == -1 &&
	    errno != EAGAIN)
		log_warn("%s: write", __func__);
}

void
inbox_fini(void)
{
	if (inbox_ev != NULL)
		event_free(inbox_ev);
	if (inbox_fd != -1)
		close(inbox_fd);
	inbox_ev = NULL;
	inbox_fd = -1;
}
