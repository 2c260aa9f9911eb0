/*
 * vocab.h — the words of the chat wire protocol (docs/chat.md),
 * written once for the server (wire.c, conn.c, hub.c) and the client
 * (client_proto.c): message types, the feature names a client announces in
 * HELLO, field names, and the limits on user and room names.  The limits
 * are also in db/020-chat.sql's CHECKs; the chat_vocab_sql test compares
 * the two.
 */
#ifndef PARLEY_VOCAB_H
#define PARLEY_VOCAB_H

/* Message types (the "type" field). */
#define VOCAB_HELLO	"HELLO"		/* client: log in */
#define VOCAB_CHAT	"CHAT"		/* both: a message or a notice */
#define VOCAB_QUIT	"QUIT"		/* client: leave */
#define VOCAB_WELCOME	"WELCOME"	/* server: logged in */
#define VOCAB_BYE	"BYE"		/* server: goodbye before the close */
#define VOCAB_ERROR	"ERROR"		/* server, feature "error" only */
#define VOCAB_PING	"PING"		/* both, feature "ping" only */
#define VOCAB_PONG	"PONG"

/* Features (HELLO "features": [...]; WELCOME lists the server's). */
#define VOCAB_FEAT_ERROR	"error"
#define VOCAB_FEAT_META		"meta"
#define VOCAB_FEAT_PING		"ping"

/* Field names. */
#define VOCAB_F_TYPE		"type"
#define VOCAB_F_NAME		"name"
#define VOCAB_F_CONTENT		"content"
#define VOCAB_F_FEATURES	"features"
#define VOCAB_F_ROOM		"room"
#define VOCAB_F_FROM		"from"
#define VOCAB_F_TO		"to"
#define VOCAB_F_TS		"ts"
#define VOCAB_F_PRIVATE		"private"
#define VOCAB_F_HISTORY		"history"
#define VOCAB_F_ID		"id"	/* meta: a chat message's identity */
#define VOCAB_F_CODE		"code"
#define VOCAB_F_TICKET		"ticket"	/* HELLO: a browser's ticket */
#define VOCAB_F_TOKEN		"token"		/* HELLO: a terminal token */

/* Names and rooms (docs/chat.md; db/020-chat.sql checks the same). */
#define NAME_MAX_CHARS	32	/* code points */
#define NAME_MAX_BYTES	(NAME_MAX_CHARS * 4)
#define ROOM_MAX_CHARS	32
#define ROOM_DEFAULT	"lobby"

#endif
