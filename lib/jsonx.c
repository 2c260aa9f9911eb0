/* jsonx.c — validated JSON access shared by RPC, chat framing and tests. */
#include <stdio.h>
#include <string.h>

#include "jsonx.h"
#include "log.h"

json_t *
jsonx_parse_object(const void *buf, size_t len, char *err, size_t errlen)
{
	json_error_t	 jerr;
	json_t		*root;

	/* jansson validates UTF-8 and rejects \u0000 unless asked not to. */
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &jerr);
	if (root == NULL) {
		snprintf(err, errlen, "malformed JSON: %s", jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "JSON value is not an object");
		json_decref(root);
		return NULL;
	}
	return root;
}

int
jsonx_get_string(json_t *obj, const char *key, size_t maxlen,
    const char **out, char *err, size_t errlen)
{
	json_t	*value = json_object_get(obj, key);
	size_t	 len;

	if (value == NULL) {
		snprintf(err, errlen, "missing field '%s'", key);
		return -1;
	}
	if (!json_is_string(value)) {
		snprintf(err, errlen, "field '%s' must be a string", key);
		return -1;
	}
	len = json_string_length(value);
	if (len == 0) {
		snprintf(err, errlen, "field '%s' must not be empty", key);
		return -1;
	}
	if (len > maxlen) {
		snprintf(err, errlen, "field '%s' is longer than %zu bytes",
		    key, maxlen);
		return -1;
	}
	if (strlen(json_string_value(value)) != len) {
		snprintf(err, errlen, "field '%s' contains a NUL byte", key);
		return -1;
	}
	*out = json_string_value(value);
	return 0;
}

char *
jsonx_dump(const json_t *json)
{
	char *s = json_dumps(json, JSON_COMPACT);

	if (s == NULL)
		fatalx("%s: json_dumps failed", __func__);
	return s;
}

json_t *
jsonx_failure(const char *message)
{
	return json_pack("{sbss}", "success", 0, "message", message);
}
