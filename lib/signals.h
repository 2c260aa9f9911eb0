/*
 * signals.h — shutdown signals for the threaded daemons (back-end,
 * front-end): every thread blocks them and main collects them synchronously,
 * so no handler ever runs in the middle of library code.  (chat-server is a
 * libevent program: its event loop owns its signals instead.)
 */
#ifndef PARLEY_SIGNALS_H
#define PARLEY_SIGNALS_H

/* Block SIGTERM, SIGINT and SIGHUP in this thread and every thread created
 * after it; ignore SIGPIPE.  Call before starting any thread. */
void	signals_block(void);
/* Wait for SIGTERM or SIGINT and return it; SIGHUP is logged and ignored
 * (settings are read at start). */
int	signals_wait(void);

#endif
