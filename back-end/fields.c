/* fields.c — validation of request fields (fields.h). */
#include <stdio.h>
#include <string.h>

#include "fields.h"
#include "jsonx.h"

int
fields_email(json_t *obj, const char **out, char *err, size_t errlen)
{
	if (jsonx_get_string(obj, "email", FIELDS_EMAIL_MAX, out, err,
	    errlen) == -1)
		return -1;
	if (strlen(*out) < FIELDS_EMAIL_MIN) {
		snprintf(err, errlen, "email must be %d to %d characters long",
		    FIELDS_EMAIL_MIN, FIELDS_EMAIL_MAX);
		return -1;
	}
	return 0;
}

int
fields_hex(json_t *obj, const char *key, size_t len, const char **out,
    char *err, size_t errlen)
{
	size_t i;

	if (jsonx_get_string(obj, key, len, out, err, errlen) == -1)
		return -1;
	for (i = 0; (*out)[i] != '\0'; i++)
		if (!(((*out)[i] >= '0' && (*out)[i] <= '9') ||
		    ((*out)[i] >= 'a' && (*out)[i] <= 'f')))
			break;
	if (i != len || (*out)[i] != '\0') {
		snprintf(err, errlen, "field '%s' must be %zu hex digits", key,
		    len);
		return -1;
	}
	return 0;
}

int
fields_int(json_t *obj, const char *key, long long min, long long max,
    long long *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		snprintf(err, errlen, "field '%s' must be an integer from %lld "
		    "to %lld", key, min, max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}
