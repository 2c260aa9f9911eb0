/*
 * text.h — UTF-8 handling for chat text: escaping of control characters and
 * invalid bytes before display, and the rules for user and room names
 * (docs/chat.md, Rules and limits).  Pure functions, no I/O.
 */
#ifndef PARLEY_TEXT_H
#define PARLEY_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "vocab.h"	/* NAME_MAX_CHARS, ROOM_MAX_CHARS, ROOM_DEFAULT */

/*
 * A display-safe copy of src: valid UTF-8 where C0/C1 control characters,
 * DEL and bidirectional overrides become "\xNN" / "\uNNNN" and every invalid
 * byte becomes "\xNN".  NUL-terminated; *outlen (if not NULL) gets its
 * length.  Never fails (allocation failure is fatal).
 */
char	*text_escape(const void *src, size_t len, size_t *outlen);

/*
 * 0 when name is a valid user name: 1..32 code points of valid UTF-8, no
 * whitespace, control or invisible formatting characters, not "SERVER".
 * Otherwise -1 with a reason fit for the user in err.
 */
int	 text_name_check(const char *name, size_t len, char *err,
	    size_t errlen);

/*
 * 0 when room is a valid room name: 1..32 of A-Z a-z 0-9 '-' '_'.  Room
 * names are case-insensitive and shown in lower case.
 */
int	 text_room_check(const char *room, size_t len, char *err,
	    size_t errlen);

/* ASCII lower-case copy into out (outlen >= len + 1): the unique key. */
void	 text_key(const char *s, size_t len, char *out, size_t outlen);

#endif
