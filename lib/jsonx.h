/* jsonx.h — small helpers over jansson for validated field access. */
#ifndef PARLEY_JSONX_H
#define PARLEY_JSONX_H

#include <stddef.h>
#include <jansson.h>

/*
 * Parse exactly one JSON object from buf (which need not be NUL-terminated).
 * Invalid UTF-8, trailing garbage and non-objects are errors.
 * Returns a new reference, or NULL with a reason in err.
 */
json_t	*jsonx_parse_object(const void *buf, size_t len, char *err,
	    size_t errlen);

/*
 * The string field key of obj, 1..maxlen bytes, without NUL bytes.
 * Returns 0, or -1 with a reason ("missing field 'email'") in err.
 */
int	 jsonx_get_string(json_t *obj, const char *key, size_t maxlen,
	    const char **out, char *err, size_t errlen);

/* Compact serialisation; never NULL (allocation failure is fatal). */
char	*jsonx_dump(const json_t *);

/* {"success":false,"message":message} */
json_t	*jsonx_failure(const char *message);

#endif
