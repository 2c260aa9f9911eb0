/* signals.c — synchronous signal handling with sigwait(). */
#include <pthread.h>
#include <signal.h>

#include "log.h"
#include "signals.h"

static void
signals_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

void
signals_block(void)
{
	sigset_t set;

	signals_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int
signals_wait(void)
{
	sigset_t	set;
	int		sig;

	signals_set(&set);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			fatalx("sigwait failed");
		if (sig != SIGHUP)
			return sig;
		log_info("SIGHUP ignored: settings are read at start");
	}
}
