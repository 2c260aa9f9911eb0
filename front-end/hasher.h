/*
 * hasher.h — Argon2id (libsodium) on a fixed pool of worker threads; VERIFY
 * also accepts the textbook's werkzeug "pbkdf2:sha256:N$salt$hex" hashes
 * (needs_rehash is then set: the caller upgrades the row to Argon2id).
 *
 * Hashing costs tens of milliseconds and ARGON2_MEMORY_KIB of memory, so it
 * never runs on an HTTP thread, and at most `threads` hashes run at once:
 * memory stays bounded by threads x memory.  Jobs wait in a bounded FIFO;
 * each job's done callback runs on the worker thread that ran it.
 *
 * Two classes share the pool so a flood of one cannot starve the other:
 * HASHER_LOGIN jobs (log-ins and password checks of signed-in users) are
 * always taken first; HASHER_BULK jobs (registrations) may fill at most
 * half of the queue and run on at most half of the threads (at least one).
 */
#ifndef PARLEY_HASHER_H
#define PARLEY_HASHER_H

#include <stddef.h>

#include <sodium.h>

enum hasher_op { HASHER_HASH, HASHER_VERIFY };
enum hasher_class { HASHER_LOGIN, HASHER_BULK, HASHER_NCLASSES };

struct hasher_job {
	enum hasher_op		 op;
	enum hasher_class	 cls;		/* 0 (HASHER_LOGIN) by default */
	const char		*password;	/* borrowed until done */
	const char		*hash;		/* VERIFY: borrowed until done */
	/* Results, valid in done. */
	int			 ok;		/* HASH made out; VERIFY matched */
	int			 needs_rehash;	/* VERIFY: other parameters */
	char			 out[crypto_pwhash_STRBYTES];
	double			 seconds;
	void			(*done)(struct hasher_job *, void *arg);
	void			*arg;
	struct hasher_job	*next;		/* private */
};

struct hasher;

/*
 * memlimit in bytes; fails (NULL, reason in err) below OWASP's minimum.
 * legacy_iterations: PBKDF2 rounds every failed VERIFY spends, so that
 * failures cost what a failed werkzeug check costs; 0 turns werkzeug
 * hashes off (they then fail like an unknown format).
 */
struct hasher	*hasher_start(unsigned threads, unsigned long long opslimit,
		    size_t memlimit, unsigned long legacy_iterations,
		    size_t queue_max, char *err, size_t errlen);
/* Queue a job; -1 (done never runs) when its class's share of the queue
 * is full or the pool is stopping. */
int		 hasher_submit(struct hasher *, struct hasher_job *);
/* A hash of a random password with the current parameters: unknown
 * accounts are verified against it so they cost the same time. */
const char	*hasher_dummy(struct hasher *);
/* Finish queued jobs, join the threads, free. */
void		 hasher_stop(struct hasher *);

#endif
