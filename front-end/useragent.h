/* useragent.h — a short, human description of a User-Agent header for the
 * sessions list ("Firefox on Linux"); the header itself is not stored. */
#ifndef PARLEY_USERAGENT_H
#define PARLEY_USERAGENT_H

#include <stddef.h>

#define USERAGENT_DESC_MAX	64

/* ua may be NULL; out gets at most USERAGENT_DESC_MAX bytes + NUL. */
void	useragent_describe(const char *ua, char *out, size_t outlen);

#endif
