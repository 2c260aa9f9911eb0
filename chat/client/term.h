/*
 * term.h — the terminal: raw input mode (restored at exit, on signals and
 * around suspension), its width, and writes that cannot be short.
 */
#ifndef PARLEY_TERM_H
#define PARLEY_TERM_H

#include <stddef.h>

/*
 * Put fd (a terminal) in raw input mode: no echo, no line buffering, no
 * signal keys, no flow control; output processing stays on so "\n" still
 * starts a new line.  The previous mode is restored by term_restore(),
 * which is also registered with atexit().  0 or -1.
 */
int	 term_raw(int fd);
void	 term_restore(void);
int	 term_is_raw(void);

/* Columns of the terminal on fd, 80 when unknown. */
unsigned term_cols(int fd);

/* Write all of buf (retrying on EINTR and EAGAIN).  0 or -1. */
int	 term_write(int fd, const void *buf, size_t len);

#endif
