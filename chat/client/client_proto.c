/*
 * client_proto.c — frames the client sends and receives.
 *
 * The client announces the features it understands in HELLO ("error",
 * "meta", "ping"); a server that knows none of them (the lab's server.py)
 * simply ignores the field and only ever sends WELCOME, CHAT and BYE.
 * Unknown message types and unknown fields are ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_proto.h"
#include "frame.h"
#include "jsonx.h"
#include "utf8.h"
#include "vocab.h"
#include "xmalloc.h"

static const struct {
	const char		*name;
	enum client_msg_type	 type;
} client_proto_types[] = {
	{ VOCAB_WELCOME,	CLIENT_MSG_WELCOME },
	{ VOCAB_CHAT,	CLIENT_MSG_CHAT },
	{ VOCAB_BYE,	CLIENT_MSG_BYE },
	{ VOCAB_ERROR,	CLIENT_MSG_ERROR },
	{ VOCAB_PING,	CLIENT_MSG_PING },
};

static const char *
client_proto_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/*
 * The server's "ts" in ms since the epoch, or 0 (shown as now) when it is
 * absent or no clock could mean it: the number is untrusted, and casting a
 * double such as 1e300 to an integer is undefined behaviour.
 */
static int64_t
client_proto_ts(json_t *ts)
{
	double d;

	if (json_is_integer(ts))
		return json_integer_value(ts) > 0 &&
		    json_integer_value(ts) <= CLIENT_TS_MAX_MS ?
		    (int64_t)json_integer_value(ts) : 0;
	if (!json_is_real(ts))
		return 0;
	d = json_real_value(ts);
	return d >= 1 && d <= (double)CLIENT_TS_MAX_MS ? (int64_t)d : 0;
}

int
client_proto_decode(const uint8_t *payload, size_t len, struct client_msg *m,
    char *err, size_t errlen)
{
	json_t	*ts, *priv;
	size_t	 i;

	memset(m, 0, sizeof(*m));
	if ((m->obj = jsonx_parse_object(payload, len, err, errlen)) == NULL)
		return -1;
	if ((m->type_name = client_proto_str(m->obj, VOCAB_F_TYPE)) == NULL) {
		snprintf(err, errlen, "message without a string 'type'");
		json_decref(m->obj);
		m->obj = NULL;
		return -1;
	}
	for (i = 0; i < sizeof(client_proto_types) /
	    sizeof(client_proto_types[0]); i++)
		if (strcmp(m->type_name, client_proto_types[i].name) == 0)
			m->type = client_proto_types[i].type;
	if ((m->content = client_proto_str(m->obj, VOCAB_F_CONTENT)) == NULL)
		m->content = "";
	m->room = client_proto_str(m->obj, VOCAB_F_ROOM);
	m->from = client_proto_str(m->obj, VOCAB_F_FROM);
	m->to = client_proto_str(m->obj, VOCAB_F_TO);
	m->code = client_proto_str(m->obj, VOCAB_F_CODE);
	ts = json_object_get(m->obj, VOCAB_F_TS);
	m->ts_ms = client_proto_ts(ts);
	priv = json_object_get(m->obj, VOCAB_F_PRIVATE);
	m->private_msg = json_is_true(priv) || m->to != NULL;
	m->history = json_is_true(json_object_get(m->obj, VOCAB_F_HISTORY));
	return 0;
}

void
client_proto_msg_clear(struct client_msg *m)
{
	json_decref(m->obj);
	memset(m, 0, sizeof(*m));
}

char *
client_proto_utf8_fix(const char *s, size_t len)
{
	char		*out = xmalloc(len * 3 + 1);
	size_t		 i = 0, o = 0, n;
	uint32_t	 cp;

	while (i < len) {
		n = utf8_next(s + i, len - i, &cp);
		if (cp == 0)		/* jansson refuses NUL in strings */
			cp = UTF8_BAD;
		if (cp == UTF8_BAD)
			o += utf8_encode(cp, out + o);
		else {
			memcpy(out + o, s + i, n);
			o += n;
		}
		i += n;
	}
	out[o] = '\0';
	return out;
}

/* Serialise obj (stolen) behind a frame header. */
static uint8_t *
client_proto_frame(json_t *obj, size_t *len)
{
	char	*json = jsonx_dump(obj);
	size_t	 n = strlen(json);
	uint8_t	*frame = xmalloc(FRAME_HEADER_LEN + n);

	frame_header(frame, (uint32_t)n);
	memcpy(frame + FRAME_HEADER_LEN, json, n);
	*len = FRAME_HEADER_LEN + n;
	free(json);
	json_decref(obj);
	return frame;
}

/* A string value from possibly invalid UTF-8; never NULL. */
static json_t *
client_proto_text(const char *s)
{
	char	*fixed = client_proto_utf8_fix(s, strlen(s));
	json_t	*v = json_string(fixed);

	free(fixed);
	if (v == NULL)
		v = json_string("");
	return v;
}

uint8_t *
client_proto_hello(const char *name, const char *token, size_t *len)
{
	json_t *obj = json_object(), *features = json_array();

	json_array_append_new(features, json_string(VOCAB_FEAT_ERROR));
	json_array_append_new(features, json_string(VOCAB_FEAT_META));
	json_array_append_new(features, json_string(VOCAB_FEAT_PING));
	json_object_set_new(obj, VOCAB_F_TYPE, json_string(VOCAB_HELLO));
	if (name != NULL)
		json_object_set_new(obj, VOCAB_F_NAME, client_proto_text(name));
	/* Only with a token: without one the HELLO is the lab's. */
	if (token != NULL)
		json_object_set_new(obj, VOCAB_F_TOKEN, json_string(token));
	json_object_set_new(obj, VOCAB_F_FEATURES, features);
	return client_proto_frame(obj, len);
}

uint8_t *
client_proto_chat(const char *text, size_t *len)
{
	json_t *obj = json_object();

	json_object_set_new(obj, VOCAB_F_TYPE, json_string(VOCAB_CHAT));
	json_object_set_new(obj, VOCAB_F_CONTENT, client_proto_text(text));
	return client_proto_frame(obj, len);
}

uint8_t *
client_proto_quit(size_t *len)
{
	json_t *obj = json_object();

	json_object_set_new(obj, VOCAB_F_TYPE, json_string(VOCAB_QUIT));
	return client_proto_frame(obj, len);
}

uint8_t *
client_proto_pong(size_t *len)
{
	json_t *obj = json_object();

	json_object_set_new(obj, VOCAB_F_TYPE, json_string(VOCAB_PONG));
	return client_proto_frame(obj, len);
}
