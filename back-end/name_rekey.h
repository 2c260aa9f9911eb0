/*
 * name_rekey.h — chat_names rows written before lib/namekey (docs/chat.md,
 * Names: "Upgrading") get the key namekey() gives their name.
 */
#ifndef PARLEY_NAME_REKEY_H
#define PARLEY_NAME_REKEY_H

struct db;

/* From every worker's timer: the first with a database does it, once. */
void	name_rekey_tick(struct db *);

#endif
