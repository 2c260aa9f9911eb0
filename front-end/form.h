/*
 * form.h — parsing what browsers send: application/x-www-form-urlencoded
 * bodies and the Cookie header.  Pure functions (fuzzed in tests/frontend).
 */
#ifndef PARLEY_FORM_H
#define PARLEY_FORM_H

#include <stddef.h>

#define FORM_MAX_FIELDS	16

struct form_field {
	const char	*name;
	const char	*value;
	size_t		 len;		/* of value, in bytes */
};

struct form {
	char			*buf;	/* decoded names and values */
	size_t			 buflen;
	struct form_field	 f[FORM_MAX_FIELDS];
	size_t			 n;
};

/*
 * Decode body into form.  Fails (-1, form left empty) on a malformed
 * %-escape, a NUL byte, invalid UTF-8, more than FORM_MAX_FIELDS fields
 * or a field name given twice.
 */
int		 form_parse(struct form *, const char *body, size_t len);
/* The value of name, or NULL when absent. */
const char	*form_get(const struct form *, const char *name);
/* Wipe (values can be passwords) and free. */
void		 form_free(struct form *);

/*
 * Copy the value of the first cookie called name in a Cookie header into
 * out.  Returns 0, or -1 when absent, empty or longer than outlen - 1.
 */
int		 form_cookie(const char *header, const char *name, char *out,
		    size_t outlen);

#endif
