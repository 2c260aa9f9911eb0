/*
 * throttle.h — a replica's memory of the back end's registration verdicts.
 *
 * The registration throttle's counts live in the database (every replica
 * sees them), so each verdict costs an RPC.  Once the back end has said
 * that a client, or everyone, must wait N seconds, this replica answers
 * 429 by itself until then: a flood of refused registrations costs neither
 * RPCs nor queries, and so cannot crowd out the log-ins' RPCs either.
 * Thread-safe; a fixed table, entries may be overwritten (then one more
 * request asks the back end).
 */
#ifndef PARLEY_THROTTLE_H
#define PARLEY_THROTTLE_H

#define THROTTLE_EVERYONE	"*"	/* the key of the overall limit */

/* Seconds key must still wait, 0 when nothing is known. */
unsigned	throttle_wait(const char *key);
/* Remember that key must wait seconds (0: forget nothing). */
void		throttle_note(const char *key, unsigned seconds);

#endif
