/*
 * client_proto.h — the client's side of the chat protocol (docs/chat.md,
 * Protocol): building frames to send and reading frames received.
 * Pure: framing comes from frame.h, no I/O here.
 */
#ifndef PARLEY_CLIENT_PROTO_H
#define PARLEY_CLIENT_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Largest frame the client accepts (a long CONNECTED USERS list fits). */
#define CLIENT_PROTO_MAX_FRAME	(1024 * 1024)
/* Longest line the client sends, in bytes of UTF-8. */
#define CLIENT_PROTO_MAX_LINE	(60 * 1024)
/* Latest "ts" taken from a server (9999-12-31T23:59:59.999Z); later is 0. */
#define CLIENT_TS_MAX_MS	253402300799999LL

enum client_msg_type {
	CLIENT_MSG_UNKNOWN,	/* ignored */
	CLIENT_MSG_WELCOME,
	CLIENT_MSG_CHAT,
	CLIENT_MSG_BYE,
	CLIENT_MSG_ERROR,
	CLIENT_MSG_PING,
};

/* A received message; the strings live as long as obj. */
struct client_msg {
	enum client_msg_type	 type;
	json_t			*obj;
	const char		*type_name;
	const char		*content;	/* "" when absent */
	const char		*room;		/* NULL unless "meta" */
	const char		*from;
	const char		*to;		/* private message recipient */
	const char		*code;		/* ERROR code */
	int64_t			 ts_ms;		/* 0 when absent or invalid */
	int			 private_msg;
	int			 history;	/* replayed on join */
};

/* Parse one frame payload.  0, or -1 with a reason in err. */
int	 client_proto_decode(const uint8_t *payload, size_t len,
	    struct client_msg *, char *err, size_t errlen);
void	 client_proto_msg_clear(struct client_msg *);

/*
 * Frames to send: a new buffer holding header and JSON, its length in
 * *len.  Text that is not valid UTF-8 has each bad byte replaced by
 * U+FFFD (JSON needs UTF-8; nothing the user typed is silently dropped).
 */
/* name may be NULL with a token (the account's name is used). */
uint8_t	*client_proto_hello(const char *name, const char *token, size_t *len);
uint8_t	*client_proto_chat(const char *text, size_t *len);
uint8_t	*client_proto_quit(size_t *len);
uint8_t	*client_proto_pong(size_t *len);

/* s with invalid UTF-8 replaced by U+FFFD; a new string. */
char	*client_proto_utf8_fix(const char *s, size_t len);

#endif
