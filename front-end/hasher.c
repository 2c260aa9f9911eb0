/* hasher.c — the Argon2id worker pool. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "hasher.h"
#include "log.h"
#include "metrics.h"
#include "pbkdf2.h"
#include "xmalloc.h"

/* OWASP Password Storage Cheat Sheet: m=19 MiB, t=2, p=1 at least. */
#define HASHER_MIN_MEMLIMIT	(19456ULL * 1024)
#define HASHER_MIN_OPSLIMIT	2

struct hasher {
	unsigned long long	 opslimit;
	size_t			 memlimit;
	unsigned long		 legacy_iterations;	/* 0: werkzeug off */
	size_t			 queue_max;
	pthread_t		*threads;
	unsigned		 nthreads;
	pthread_mutex_t		 lock;		/* guards the queues */
	pthread_cond_t		 cond;
	struct hasher_queue {
		struct hasher_job	*head, **tail;
		size_t			 queued, max;
		unsigned		 running, threads;
	}			 q[HASHER_NCLASSES];
	int			 stopping;
	char			 dummy[crypto_pwhash_STRBYTES];
	struct gauge		*g_queue;
	struct histogram	*h_hash, *h_verify;
	struct counter		*c_failed;
};

static int
hasher_is_argon2(const char *hash)
{
	return strncmp(hash, "$argon2id$", 10) == 0 ||
	    strncmp(hash, "$argon2i$", 9) == 0;
}

/*
 * One verification.  Every failure costs the same whatever was stored —
 * an Argon2id hash, a werkzeug PBKDF2 hash, an unknown format, or the dummy
 * of an unknown account: one Argon2id verify plus PBKDF2 with
 * legacy_iterations rounds, the work a failed legacy check does.  So the
 * time of a failed log-in does not tell which kind of account (if any) is
 * behind an address.  Successes need not hide anything.
 */
static void
hasher_verify(struct hasher *h, struct hasher_job *job)
{
	enum pbkdf2_verdict	 legacy = PBKDF2_NOT_WERKZEUG;
	unsigned long		 done = 0;
	size_t			 pwlen = strlen(job->password);

	if (h->legacy_iterations > 0)
		legacy = pbkdf2_werkzeug_verify(job->hash, job->password,
		    &done);
	if (legacy == PBKDF2_MATCH) {
		job->ok = 1;
		job->needs_rehash = 1;	/* upgraded to Argon2id now */
		return;
	}
	if (legacy == PBKDF2_NOT_WERKZEUG && hasher_is_argon2(job->hash)) {
		job->ok = crypto_pwhash_str_verify(job->hash, job->password,
		    pwlen) == 0;
		if (job->ok) {
			job->needs_rehash = crypto_pwhash_str_needs_rehash(
			    job->hash, h->opslimit, h->memlimit) != 0;
			return;
		}
	} else {
		/* Unknown format or failed legacy check: as if Argon2id. */
		if (crypto_pwhash_str_verify(h->dummy, job->password,
		    pwlen) == 0)
			log_warnx("%s: dummy hash matched", __func__);
		job->ok = 0;
	}
	if (done < h->legacy_iterations)
		pbkdf2_burn(h->legacy_iterations - done);
}

static void
hasher_run(struct hasher *h, struct hasher_job *job)
{
	uint64_t start = clock_now_us();

	if (job->op == HASHER_HASH) {
		job->ok = crypto_pwhash_str_alg(job->out, job->password,
		    strlen(job->password), h->opslimit, h->memlimit,
		    crypto_pwhash_ALG_ARGON2ID13) == 0;
		if (!job->ok) {
			log_warnx("argon2 hash failed (out of memory?)");
			counter_add(h->c_failed, 1);
		}
	} else
		hasher_verify(h, job);
	job->seconds = (double)(clock_now_us() - start) / 1e6;
	histogram_observe(job->op == HASHER_HASH ? h->h_hash : h->h_verify,
	    job->seconds);
}

static size_t
hasher_queued(const struct hasher *h)
{
	return h->q[HASHER_LOGIN].queued + h->q[HASHER_BULK].queued;
}

/* The next job a worker may run, LOGIN first; NULL: none may run now. */
static struct hasher_job *
hasher_take(struct hasher *h)
{
	struct hasher_queue	*q;
	struct hasher_job	*job;
	int			 c;

	for (c = 0; c < HASHER_NCLASSES; c++) {
		q = &h->q[c];
		if ((job = q->head) == NULL || q->running >= q->threads)
			continue;
		if ((q->head = job->next) == NULL)
			q->tail = &q->head;
		q->queued--;
		q->running++;
		gauge_set(h->g_queue, (int64_t)hasher_queued(h));
		return job;
	}
	return NULL;
}

static void *
hasher_main(void *arg)
{
	struct hasher		*h = arg;
	struct hasher_job	*job;
	enum hasher_class	 cls;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		while ((job = hasher_take(h)) == NULL && !(h->stopping &&
		    hasher_queued(h) == 0))
			pthread_cond_wait(&h->cond, &h->lock);
		if (job == NULL) {
			pthread_mutex_unlock(&h->lock);
			return NULL;
		}
		pthread_mutex_unlock(&h->lock);
		cls = job->cls;
		hasher_run(h, job);
		job->done(job, job->arg);	/* job may be gone after this */
		pthread_mutex_lock(&h->lock);
		h->q[cls].running--;
		/* A BULK job may have waited for this worker's share. */
		pthread_cond_broadcast(&h->cond);
	}
}

static void
hasher_metrics(struct hasher *h)
{
	h->g_queue = metrics_gauge("parley_password_hash_queue", "",
	    "Argon2id jobs waiting for a worker");
	h->h_hash = metrics_histogram("parley_password_hash_seconds",
	    "op=\"hash\"", "Argon2id time per operation",
	    metrics_latency_bounds, metrics_latency_nbounds);
	h->h_verify = metrics_histogram("parley_password_hash_seconds",
	    "op=\"verify\"", "Argon2id time per operation",
	    metrics_latency_bounds, metrics_latency_nbounds);
	h->c_failed = metrics_counter("parley_password_hash_failures_total",
	    "", "Argon2id hashes that failed (memory)");
}

struct hasher *
hasher_start(unsigned threads, unsigned long long opslimit, size_t memlimit,
    unsigned long legacy_iterations, size_t queue_max, char *err,
    size_t errlen)
{
	struct hasher	*h;
	unsigned char	 pw[32];
	unsigned	 i;
	int		 rc;

	if (memlimit < HASHER_MIN_MEMLIMIT || opslimit < HASHER_MIN_OPSLIMIT) {
		snprintf(err, errlen, "Argon2id parameters below OWASP's "
		    "minimum (19456 KiB, 2 iterations)");
		return NULL;
	}
	h = xcalloc(1, sizeof(*h));
	h->opslimit = opslimit;
	h->memlimit = memlimit;
	h->legacy_iterations = legacy_iterations;
	h->queue_max = queue_max;
	for (i = 0; i < HASHER_NCLASSES; i++)
		h->q[i].tail = &h->q[i].head;
	h->q[HASHER_LOGIN].max = queue_max;
	h->q[HASHER_LOGIN].threads = threads;
	h->q[HASHER_BULK].max = queue_max > 1 ? queue_max / 2 : 1;
	h->q[HASHER_BULK].threads = threads > 1 ? threads / 2 : 1;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	hasher_metrics(h);

	randombytes_buf(pw, sizeof(pw));
	if (crypto_pwhash_str_alg(h->dummy, (const char *)pw, sizeof(pw),
	    opslimit, memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		snprintf(err, errlen, "Argon2id with %zu KiB failed: not "
		    "enough memory", memlimit / 1024);
		free(h);
		return NULL;
	}
	sodium_memzero(pw, sizeof(pw));

	h->nthreads = threads;
	h->threads = xcalloc(threads, sizeof(*h->threads));
	for (i = 0; i < threads; i++)
		if ((rc = pthread_create(&h->threads[i], NULL, hasher_main,
		    h)) != 0) {
			errno = rc;
			fatal("%s: pthread_create", __func__);
		}
	return h;
}

int
hasher_submit(struct hasher *h, struct hasher_job *job)
{
	struct hasher_queue *q;

	if ((unsigned)job->cls >= HASHER_NCLASSES)
		return -1;
	q = &h->q[job->cls];
	pthread_mutex_lock(&h->lock);
	if (h->stopping || q->queued >= q->max ||
	    hasher_queued(h) >= h->queue_max) {
		pthread_mutex_unlock(&h->lock);
		return -1;
	}
	job->next = NULL;
	*q->tail = job;
	q->tail = &job->next;
	q->queued++;
	gauge_set(h->g_queue, (int64_t)hasher_queued(h));
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	return 0;
}

const char *
hasher_dummy(struct hasher *h)
{
	return h->dummy;
}

void
hasher_stop(struct hasher *h)
{
	unsigned i;

	if (h == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	h->stopping = 1;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	for (i = 0; i < h->nthreads; i++)
		pthread_join(h->threads[i], NULL);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	free(h->threads);
	free(h);
}
