/* fields.h — the back end's validators for request fields, shared by every
 * action (plain strings come from jsonx_get_string). */
#ifndef PARLEY_FIELDS_H
#define PARLEY_FIELDS_H

#include <stddef.h>
#include <jansson.h>

#define FIELDS_EMAIL_MIN	3	/* db/001-users.sql */
#define FIELDS_EMAIL_MAX	254	/* RFC 5321 path limit */
#define FIELDS_HASH_MAX		512	/* Argon2id PHC strings: ~100 */

/* An e-mail address within the schema's bounds, checked here so a client
 * hears why, not "database error" (the textbook's front end sends whatever
 * was typed). */
int	fields_email(json_t *obj, const char **out, char *err, size_t errlen);
/* A string of exactly len lower-case hex digits. */
int	fields_hex(json_t *obj, const char *key, size_t len, const char **out,
	    char *err, size_t errlen);
/* An integer in [min, max]. */
int	fields_int(json_t *obj, const char *key, long long min, long long max,
	    long long *out, char *err, size_t errlen);

#endif
