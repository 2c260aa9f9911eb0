/* wire.c — decoding client messages and encoding server messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "text.h"
#include "utf8.h"
#include "vocab.h"
#include "wire.h"
#include "xmalloc.h"

static const struct {
	const char	*name;
	enum wire_type	 type;
} wire_types[] = {
	{ VOCAB_HELLO,	WIRE_HELLO },
	{ VOCAB_CHAT,	WIRE_CHAT },
	{ VOCAB_QUIT,	WIRE_QUIT },
	{ VOCAB_PONG,	WIRE_PONG },
	{ VOCAB_PING,	WIRE_PING },
};

static const struct {
	const char	*name;
	unsigned	 bit;
} wire_features[] = {
	{ VOCAB_FEAT_ERROR,	WIRE_FEAT_ERROR },
	{ VOCAB_FEAT_META,	WIRE_FEAT_META },
	{ VOCAB_FEAT_PING,	WIRE_FEAT_PING },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static int
wire_fail(const char **code, const char *c, char *err, size_t errlen,
    const char *msg)
{
	*code = c;
	snprintf(err, errlen, "%s", msg);
	return -1;
}

static int
wire_get_features(json_t *root, unsigned *mask)
{
	json_t	*v = json_object_get(root, VOCAB_F_FEATURES), *f;
	size_t	 i, j;

	*mask = 0;
	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return -1;
	json_array_foreach(v, i, f) {
		if (!json_is_string(f))
			continue;	/* unknown kinds of feature: ignored */
		for (j = 0; j < NELEM(wire_features); j++)
			if (strcmp(json_string_value(f),
			    wire_features[j].name) == 0)
				*mask |= wire_features[j].bit;
	}
	return 0;
}

static int
wire_get_string(json_t *root, const char *key, const char **s, size_t *len)
{
	json_t *v = json_object_get(root, key);

	if (v == NULL || !json_is_string(v))
		return -1;
	*s = json_string_value(v);
	*len = json_string_length(v);
	return 0;
}

/* An optional string field: absent is fine, anything else but a string
 * is not. */
static int
wire_get_optional(json_t *root, const char *key, const char **s)
{
	json_t *v = json_object_get(root, key);

	*s = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return -1;
	*s = json_string_value(v);
	return 0;
}

/* HELLO: name, features, and a ticket or a token (docs/chat.md
 * "Accounts"); with a secret the name may be left out. */
static int
wire_hello(json_t *root, struct wire_msg *m)
{
	if (wire_get_optional(root, VOCAB_F_TICKET, &m->ticket) == -1 ||
	    wire_get_optional(root, VOCAB_F_TOKEN, &m->token) == -1 ||
	    wire_get_features(root, &m->features) == -1)
		return -1;
	if (wire_get_string(root, VOCAB_F_NAME, &m->name, &m->name_len) == 0)
		return 0;
	m->name = NULL;
	if (json_object_get(root, VOCAB_F_NAME) != NULL)
		return -1;
	return m->ticket != NULL || m->token != NULL ? 0 : -1;
}

int
wire_decode(const uint8_t *buf, size_t len, struct wire_msg *m,
    const char **code, char *err, size_t errlen)
{
	json_error_t	 jerr;
	json_t		*root, *type;
	size_t		 i;

	memset(m, 0, sizeof(*m));
	/* jansson rejects invalid UTF-8 and \u0000 in strings. */
	if ((root = json_loadb((const char *)buf, len, 0, &jerr)) == NULL)
		return wire_fail(code, "bad_json", err, errlen,
		    "the message is not valid JSON");
	if (!json_is_object(root)) {
		json_decref(root);
		return wire_fail(code, "bad_json", err, errlen,
		    "the message is not a JSON object");
	}
	m->root = root;
	type = json_object_get(root, VOCAB_F_TYPE);
	if (type == NULL || !json_is_string(type)) {
		wire_msg_free(m);
		return wire_fail(code, "bad_type", err, errlen,
		    "the message has no string field 'type'");
	}
	for (i = 0; i < NELEM(wire_types); i++)
		if (strcmp(json_string_value(type), wire_types[i].name) == 0)
			break;
	if (i == NELEM(wire_types)) {
		wire_msg_free(m);
		return wire_fail(code, "bad_type", err, errlen,
		    "unknown message type");
	}
	m->type = wire_types[i].type;
	if (m->type == WIRE_HELLO && wire_hello(root, m) == -1) {
		wire_msg_free(m);
		return wire_fail(code, "bad_field", err, errlen,
		    "HELLO needs a string 'name' (and 'features' is a list)");
	}
	if (m->type == WIRE_CHAT && wire_get_string(root, VOCAB_F_CONTENT,
	    &m->content, &m->content_len) == -1) {
		wire_msg_free(m);
		return wire_fail(code, "bad_field", err, errlen,
		    "CHAT needs a string 'content'");
	}
	return 0;
}

void
wire_msg_free(struct wire_msg *m)
{
	if (m->root != NULL)
		json_decref(m->root);
	m->root = NULL;
}

size_t
wire_feature_names(unsigned mask, const char **names, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < NELEM(wire_features) && n < max; i++)
		if (mask & wire_features[i].bit)
			names[n++] = wire_features[i].name;
	return n;
}

/* ---- encoding ---- */

static void
wbuf_reserve(struct wbuf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return;
	b->cap = b->cap ? b->cap : 256;
	while (b->len + more > b->cap)
		b->cap *= 2;
	b->p = xrealloc(b->p, b->cap);
}

static void
wbuf_put(struct wbuf *b, const void *s, size_t n)
{
	wbuf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void
wbuf_reset(struct wbuf *b)
{
	b->len = 0;
}

void
wbuf_free(struct wbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void
wire_json_string(struct wbuf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t	*u = (const uint8_t *)s;
	uint32_t	 cp, hi, lo;
	size_t		 i = 0, n, run;
	char		 esc[12];

	wbuf_reserve(b, len + 2);
	b->p[b->len++] = '"';
	while (i < len) {
		/* Copy runs of plain ASCII at once: the common case. */
		for (run = i; run < len && u[run] >= 0x20 && u[run] < 0x80 &&
		    u[run] != '"' && u[run] != '\\'; run++)
			;
		if (run > i) {
			wbuf_put(b, s + i, run - i);
			i = run;
			continue;
		}
		if ((n = utf8_decode(u + i, len - i, &cp)) == 0) {
			cp = 0xfffd;	/* callers pass valid UTF-8 */
			n = 1;
		}
		i += n;
		switch (cp) {
		case '"':  wbuf_put(b, "\\\"", 2); continue;
		case '\\': wbuf_put(b, "\\\\", 2); continue;
		case '\n': wbuf_put(b, "\\n", 2); continue;
		case '\r': wbuf_put(b, "\\r", 2); continue;
		case '\t': wbuf_put(b, "\\t", 2); continue;
		case '\b': wbuf_put(b, "\\b", 2); continue;
		case '\f': wbuf_put(b, "\\f", 2); continue;
		}
		if (cp >= 0x10000) {
			hi = 0xd800 + ((cp - 0x10000) >> 10);
			lo = 0xdc00 + ((cp - 0x10000) & 0x3ff);
			snprintf(esc, sizeof(esc), "\\u%c%c%c%c",
			    hex[hi >> 12], hex[(hi >> 8) & 15],
			    hex[(hi >> 4) & 15], hex[hi & 15]);
			wbuf_put(b, esc, 6);
			cp = lo;
		}
		snprintf(esc, sizeof(esc), "\\u%c%c%c%c", hex[cp >> 12],
		    hex[(cp >> 8) & 15], hex[(cp >> 4) & 15], hex[cp & 15]);
		wbuf_put(b, esc, 6);
	}
	wbuf_reserve(b, 1);
	b->p[b->len++] = '"';
}

static void
wire_key(struct wbuf *b, const char *key)
{
	if (b->fields++ > 0)
		wbuf_put(b, ", ", 2);
	wire_json_string(b, key, strlen(key));
	wbuf_put(b, ": ", 2);
}

void
wire_begin(struct wbuf *b, const char *type)
{
	b->start = b->len;
	b->fields = 0;
	wbuf_reserve(b, FRAME_HEADER_LEN + 1);
	b->len += FRAME_HEADER_LEN;
	b->p[b->len++] = '{';
	wire_str(b, VOCAB_F_TYPE, type);
}

void
wire_str(struct wbuf *b, const char *key, const char *value)
{
	wire_key(b, key);
	wire_json_string(b, value, strlen(value));
}

void
wire_int(struct wbuf *b, const char *key, long long value)
{
	char num[32];

	wire_key(b, key);
	wbuf_put(b, num, (size_t)snprintf(num, sizeof(num), "%lld", value));
}

void
wire_bool(struct wbuf *b, const char *key, int value)
{
	wire_key(b, key);
	if (value)
		wbuf_put(b, "true", 4);
	else
		wbuf_put(b, "false", 5);
}

void
wire_strv(struct wbuf *b, const char *key, const char **v, size_t n)
{
	size_t i;

	wire_key(b, key);
	wbuf_put(b, "[", 1);
	for (i = 0; i < n; i++) {
		if (i > 0)
			wbuf_put(b, ", ", 2);
		wire_json_string(b, v[i], strlen(v[i]));
	}
	wbuf_put(b, "]", 1);
}

void
wire_end(struct wbuf *b)
{
	wbuf_put(b, "}", 1);
	frame_header(b->p + b->start,
	    (uint32_t)(b->len - b->start - FRAME_HEADER_LEN));
}
