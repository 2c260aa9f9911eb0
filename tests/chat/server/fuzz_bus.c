/*
 * fuzz_bus.c — fuzz target for bus messages into a chat server (issue 11
 * item 9): cluster_receive() with the real hub, rooms and memory store
 * behind it, and two local users on loopback TCP in plain-text mode (one in
 * room "fuzz", one in the lobby), no broker.  Input: the routing key, a
 * newline, the body (no newline: all body, key "presence"); signed with
 * the process's own bus key, or unsigned when the body starts with '!'.  Checks an
 * invariant beyond crashes: what the users receive holds no control byte
 * but the line ends (bus text is escaped before display).
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "bussign.h"
#include "cluster.h"
#include "conn.h"
#include "hub.h"
#include "inbox.h"
#include "log.h"
#include "settings.h"
#include "store.h"

#define FUZZ_REPLICA	"f0220000f0220000"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct event_base	*fuzz_base;
static int			 fuzz_users[2] = { -1, -1 };

static void
fuzz_loop(void)
{
	int i;

	for (i = 0; i < 4; i++)
		event_base_loop(fuzz_base, EVLOOP_NONBLOCK);
}

/* Read what a user got; abort on a control byte other than CR/LF. */
static void
fuzz_drain(int fd)
{
	unsigned char	buf[8192];
	ssize_t		n, i;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			if ((buf[i] < 0x20 && buf[i] != '\n' && buf[i] != '\r') ||
			    buf[i] == 0x7f)
				abort();
	if (n == -1 && errno != EAGAIN)
		abort();
}

/* Set-up went as planned: what fd got so far mentions text. */
static void
fuzz_expect(int fd, const char *text)
{
	char	buf[8192];
	ssize_t	n = read(fd, buf, sizeof(buf) - 1);

	if (n <= 0)
		abort();
	buf[n] = '\0';
	if (strstr(buf, text) == NULL) {
		fprintf(stderr, "fuzz_bus: set-up: no \"%s\" in \"%s\"\n",
		    text, buf);
		abort();
	}
}

/* A local user: a loopback connection the server accepted, logged in. */
static int
fuzz_user(int lfd, const char *lines)
{
	struct sockaddr_in	sa;
	socklen_t		len = sizeof(sa);
	int			fd, sfd;

	if (getsockname(lfd, (struct sockaddr *)&sa, &len) == -1 ||
	    (fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sa, len) == -1 ||
	    (sfd = accept4(lfd, (struct sockaddr *)&sa, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1)
		abort();
	if (conn_accept(sfd, (struct sockaddr *)&sa, (int)len) == -1 ||
	    write(fd, lines, strlen(lines)) != (ssize_t)strlen(lines))
		abort();
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_in	sa;
	char			err[256];
	int			lfd, i;

	(void)argc;
	(void)argv;
	log_init("fuzz_bus", "warn");
	log_set_level(LOG_LEVEL_FATAL);	/* gaps and bad input are normal */
	setenv("CHAT_STORE", "memory", 1);
	setenv("CHAT_FLOOD_RATE", "0", 1);
	setenv("CHAT_SENDQ_MAX", "0", 1);
	settings_load(0);
	if ((fuzz_base = event_base_new()) == NULL ||
	    event_base_priority_init(fuzz_base, 3) == -1)
		abort();
	inbox_init(fuzz_base);
	conn_init(fuzz_base, hub_conn_handlers());
	hub_init(fuzz_base, FUZZ_REPLICA);
	if (store_start(fuzz_base, FUZZ_REPLICA, hub_store_handlers(), err,
	    sizeof(err)) == -1 || cluster_start(fuzz_base, NULL, FUZZ_REPLICA,
	    hub_cluster_handlers(), err, sizeof(err)) == -1)
		abort();
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(lfd, 4) == -1)
		abort();
	fuzz_users[0] = fuzz_user(lfd, "alice\n/join fuzz\n");
	fuzz_users[1] = fuzz_user(lfd, "bob\n");
	close(lfd);
	for (i = 0; i < 50; i++) {
		fuzz_loop();
		usleep(1000);
	}
	fuzz_expect(fuzz_users[0], "in fuzz");
	fuzz_expect(fuzz_users[1], "bob");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*nl = memchr(data, '\n', size < 256 ? size : 256);
	char		 key[256] = "presence", sig[BUSSIGN_ID_MAX];
	size_t		 klen;

	if (fuzz_base == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	if (nl != NULL) {
		klen = (size_t)(nl - data);
		memcpy(key, data, klen);
		key[klen] = '\0';
		size -= klen + 1;
		data = nl + 1;
	}
	/* Signed by one key (pinned for every origin), or unsigned. */
	if (size > 0 && data[0] == '!')
		cluster_receive(key, data + 1, size - 1, NULL);
	else {
		bussign_sign(key, data, size, sig);
		cluster_receive(key, data, size, sig);
	}
	fuzz_loop();
	fuzz_drain(fuzz_users[0]);
	fuzz_drain(fuzz_users[1]);
	return 0;
}
