/* ipcap.h — connections per client address (CHAT_MAX_CONN_PER_IP). */
#ifndef PARLEY_IPCAP_H
#define PARLEY_IPCAP_H

#include <sys/socket.h>

struct ipcap_slot;

/* Count one more connection from sa; NULL when max (0: no cap) is reached. */
struct ipcap_slot	*ipcap_take(const struct sockaddr *, unsigned max);
void			 ipcap_put(struct ipcap_slot *);
/* The address as text (for logs). */
const char		*ipcap_addr(const struct ipcap_slot *);

#endif
