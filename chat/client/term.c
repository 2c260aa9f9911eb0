/*
 * term.c — termios raw mode and terminal writes.
 *
 * Only the input side goes raw (ICANON, ECHO, ISIG, IEXTEN, IXON, ICRNL
 * off); OPOST stays on so every writer can keep using "\n".  ISIG is off,
 * so Ctrl-C and Ctrl-Z reach the line editor as keys and the client quits
 * or suspends cleanly instead of dying with the terminal in raw mode.
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "term.h"

static struct termios	term_saved;
static int		term_fd = -1;
static int		term_atexit_done;

void
term_restore(void)
{
	if (term_fd == -1)
		return;
	(void)tcsetattr(term_fd, TCSAFLUSH, &term_saved);
	term_fd = -1;
}

int
term_is_raw(void)
{
	return term_fd != -1;
}

int
term_raw(int fd)
{
	struct termios t;

	if (term_fd != -1)
		return 0;
	if (tcgetattr(fd, &term_saved) == -1)
		return -1;
	t = term_saved;
	t.c_iflag &= ~(unsigned)(BRKINT | ICRNL | INLCR | IGNCR | INPCK |
	    ISTRIP | IXON);
	t.c_lflag &= ~(unsigned)(ECHO | ICANON | IEXTEN | ISIG);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSAFLUSH, &t) == -1)
		return -1;
	term_fd = fd;
	if (!term_atexit_done) {
		atexit(term_restore);
		term_atexit_done = 1;
	}
	return 0;
}

unsigned
term_cols(int fd)
{
	struct winsize ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) == -1 || ws.ws_col == 0)
		return 80;
	return ws.ws_col;
}

int
term_write(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;
	struct pollfd	 pfd;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -1;
			pfd.fd = fd;
			pfd.events = POLLOUT;
			(void)poll(&pfd, 1, 1000);
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
