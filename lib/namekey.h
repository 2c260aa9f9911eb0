/*
 * namekey.h — the uniqueness key of a chat name, shared by the chat server
 * (its local name map) and the back end (chat_names.name_key).
 */
#ifndef PARLEY_NAMEKEY_H
#define PARLEY_NAMEKEY_H

#include <stddef.h>

#define NAMEKEY_MAX	512	/* bytes of a key, NUL excluded */

/*
 * The uniqueness key of a chat name.  Returns the key's length, or -1 with
 * *why set (a short English sentence for the user) when the name may not
 * be used at all.
 */
int	namekey(const char *name, size_t len, char key[NAMEKEY_MAX + 1],
	    const char **why);
/* 1 when key is the key of a reserved name (SERVER). */
int	namekey_reserved(const char *key);

#endif
