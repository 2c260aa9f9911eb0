/*
 * acctevents.h — the back end's account events close the matching chat
 * connections (acctevents.c; docs/chat.md "Accounts").
 */
#ifndef PARLEY_ACCTEVENTS_H
#define PARLEY_ACCTEVENTS_H

#include <stddef.h>

/* Consume parley.events into hub_revoke; -1 with a reason on a bad URL. */
int	acctevents_start(const char *amqp_url, const char *replica, char *err,
	    size_t errlen);
void	acctevents_stop(void);

#endif
