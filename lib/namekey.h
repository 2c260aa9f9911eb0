/*
 * namekey.h — the uniqueness key of a chat name (docs/chat.md, Names): two
 * names that look alike have one key, and names with invisible, formatting
 * or control characters have none.  Used by the chat server (its name
 * table) and the back end (chat_names.name_key).  Pure functions, no I/O,
 * no allocation; the data is lib/namekey_table.c (scripts/gen-namekey.py).
 */
#ifndef PARLEY_NAMEKEY_H
#define PARLEY_NAMEKEY_H

#include <stddef.h>

#define NAMEKEY_MAX	512	/* bytes of a key, NUL excluded */
#define NAMEKEY_MARKS_MAX 4	/* combining marks in a row after one base */

/*
 * The uniqueness key of a chat name (normalised, case-folded beyond ASCII,
 * confusables mapped).  Returns the key's length, or -1 with *why set (a
 * short English sentence for the user) when the name may not be used at
 * all (invisible / format / control characters, bad UTF-8, too long).
 * A name of ASCII characters only has its lower case as key.
 */
int	namekey(const char *name, size_t len, char key[NAMEKEY_MAX + 1],
	    const char **why);

/* 1 when key is the key of a reserved name (SERVER and whatever maps to
 * its key). */
int	namekey_reserved(const char *key);

#endif
