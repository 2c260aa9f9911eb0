/*
 * untrusted.h — checks for text that comes from the chat bus or the history
 * store (SPEC §3.5: validated and escaped like text from a client).  A
 * forged field makes the whole message or row count as malformed; what
 * passes is bounded and, for free text, escaped again before display.
 */
#ifndef PARLEY_UNTRUSTED_H
#define PARLEY_UNTRUSTED_H

#include <stdint.h>

#include "vocab.h"	/* ROOM_MAX_CHARS */

#define UNTRUSTED_ORIGIN_MAX	32	/* replica ids: 16 hex digits today */

/* 0 when name passes the client rules (text_name_check), else -1. */
int	 untrusted_name(const char *name);
/* 0 when room is a valid room name; its lower-case form goes to out. */
int	 untrusted_room(const char *room, char out[ROOM_MAX_CHARS + 1]);
/* 0 when a replica id: 1..UNTRUSTED_ORIGIN_MAX of [0-9A-Za-z_-]. */
int	 untrusted_origin(const char *origin);
/*
 * 0 when chat text is no longer than a client's longest message once
 * escaped (4 x CHAT_CONTENT_MAX: text_escape writes at most 4 bytes per
 * byte).
 */
int	 untrusted_content(const char *content);
/* 0 when a time stamp (ms since 1970) is in 0 .. year 9999. */
int	 untrusted_ts(int64_t ts);

#endif
