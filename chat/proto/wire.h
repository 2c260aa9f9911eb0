/*
 * wire.h — the lab's JSON messages inside frames (docs/chat.md, Protocol): decoding what
 * a client sends, and encoding what the server sends exactly as the lab's
 * Python server does (json.dumps: ", " and ": " separators, non-ASCII as
 * \uXXXX), so old clients see the very same bytes.  Pure, no I/O.
 */
#ifndef PARLEY_WIRE_H
#define PARLEY_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

enum wire_type {
	WIRE_HELLO,
	WIRE_CHAT,
	WIRE_QUIT,
	WIRE_PONG,
	WIRE_PING,
};

/* Features a client may announce in HELLO ("features": [...]). */
#define WIRE_FEAT_ERROR	0x01	/* {"type":"ERROR","code":C,"content":T} */
#define WIRE_FEAT_META	0x02	/* CHAT frames carry room, from, ts */
#define WIRE_FEAT_PING	0x04	/* {"type":"PING"} / {"type":"PONG"} */
#define WIRE_FEAT_ALL	0x07

struct wire_msg {
	enum wire_type	 type;
	json_t		*root;		/* owns the strings below */
	const char	*name;		/* HELLO; NULL: none (with a secret) */
	size_t		 name_len;
	const char	*ticket;	/* HELLO: a browser's ticket, or NULL */
	const char	*token;		/* HELLO: a terminal token, or NULL */
	const char	*content;	/* CHAT */
	size_t		 content_len;
	unsigned	 features;	/* HELLO */
};

/*
 * Decode one frame payload.  Returns 0 (free with wire_msg_free), or -1
 * with a reason fit for the client in err and an error code ("bad_json",
 * "bad_type", "bad_field") in *code.
 */
int	wire_decode(const uint8_t *buf, size_t len, struct wire_msg *,
	    const char **code, char *err, size_t errlen);
void	wire_msg_free(struct wire_msg *);

/* The names of the features in mask, for WELCOME. */
size_t	wire_feature_names(unsigned mask, const char **names, size_t max);

/* A growable byte buffer that holds one or more encoded frames. */
struct wbuf {
	uint8_t	*p;
	size_t	 len, cap;
	size_t	 start;		/* where the open frame's header is */
	int	 fields;	/* fields written in the open object */
};

void	wbuf_reset(struct wbuf *);
void	wbuf_free(struct wbuf *);

/* Frame building: begin, then fields in order, then end. */
void	wire_begin(struct wbuf *, const char *type);
void	wire_str(struct wbuf *, const char *key, const char *value);
void	wire_int(struct wbuf *, const char *key, long long value);
void	wire_bool(struct wbuf *, const char *key, int value);
void	wire_strv(struct wbuf *, const char *key, const char **v, size_t n);
void	wire_end(struct wbuf *);

/* Append the JSON string literal of s (valid UTF-8) in Python's style. */
void	wire_json_string(struct wbuf *, const char *s, size_t len);

#endif
