/*
 * ipcap.c — a count per source address.  IPv4-mapped IPv6 addresses count
 * as their IPv4 address, so one client cannot double its share through the
 * dual-stack socket.
 */
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipcap.h"
#include "strmap.h"
#include "xmalloc.h"

struct ipcap_slot {
	unsigned	count;
	char		addr[INET6_ADDRSTRLEN];
};

static struct strmap *ipcap_map;

static void
ipcap_format(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    buf, (socklen_t)len);
	else if (sa->sa_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], buf,
		    (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &sin6->sin6_addr, buf, (socklen_t)len);
	else
		snprintf(buf, len, "unknown");
}

struct ipcap_slot *
ipcap_take(const struct sockaddr *sa, unsigned max)
{
	struct ipcap_slot	*slot;
	char			 addr[INET6_ADDRSTRLEN];

	if (ipcap_map == NULL)
		ipcap_map = strmap_new();
	ipcap_format(sa, addr, sizeof(addr));
	if ((slot = strmap_get(ipcap_map, addr)) == NULL) {
		slot = xcalloc(1, sizeof(*slot));
		snprintf(slot->addr, sizeof(slot->addr), "%s", addr);
		strmap_put(ipcap_map, addr, slot);
	}
	if (max != 0 && slot->count >= max)
		return NULL;
	slot->count++;
	return slot;
}

void
ipcap_put(struct ipcap_slot *slot)
{
	if (slot == NULL || --slot->count > 0)
		return;
	strmap_del(ipcap_map, slot->addr);
	free(slot);
}

const char *
ipcap_addr(const struct ipcap_slot *slot)
{
	return slot->addr;
}
