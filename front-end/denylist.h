/*
 * denylist.h — passwords too common to accept: the embedded list
 * (common-passwords.txt, John the Ripper's public-domain password.lst)
 * plus trivial constructions of its words (repetitions, one character
 * repeated, runs like 123456789012 or abcdefghijkl).
 */
#ifndef PARLEY_DENYLIST_H
#define PARLEY_DENYLIST_H

#include <stddef.h>

/* Build the lookup table once (thread-safe, idempotent). */
void	denylist_init(void);
size_t	denylist_size(void);
/* Compared case-insensitively (ASCII). */
int	denylist_contains(const char *password);

#endif
