/* form.c — urlencoded form and Cookie header parsing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "form.h"
#include "utf8.h"
#include "xmalloc.h"

static int
form_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode in..in+len into out (which has room); returns the length or -1. */
static long
form_decode(const char *in, size_t len, char *out)
{
	size_t	i, o = 0;
	int	hi, lo;

	for (i = 0; i < len; i++) {
		if (in[i] == '+')
			out[o++] = ' ';
		else if (in[i] == '%') {
			if (len - i < 3 || (hi = form_hex(in[i + 1])) == -1 ||
			    (lo = form_hex(in[i + 2])) == -1)
				return -1;
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			out[o++] = in[i];
	}
	out[o] = '\0';
	if (!utf8_valid(out, o, NULL))
		return -1;
	return (long)o;
}

static int
form_add(struct form *form, const char *pair, size_t len, size_t *used)
{
	const char	*eq = memchr(pair, '=', len);
	size_t		 nlen = eq != NULL ? (size_t)(eq - pair) : len, i;
	char		*name = form->buf + *used, *value;
	long		 n;

	if (form->n == FORM_MAX_FIELDS)
		return -1;
	if ((n = form_decode(pair, nlen, name)) == -1)
		return -1;
	*used += (size_t)n + 1;
	value = form->buf + *used;
	if (eq != NULL)
		n = form_decode(eq + 1, len - nlen - 1, value);
	else
		n = form_decode("", 0, value);
	if (n == -1)
		return -1;
	*used += (size_t)n + 1;
	for (i = 0; i < form->n; i++)
		if (strcmp(form->f[i].name, name) == 0)
			return -1;
	form->f[form->n].name = name;
	form->f[form->n].value = value;
	form->f[form->n].len = (size_t)n;
	form->n++;
	return 0;
}

int
form_parse(struct form *form, const char *body, size_t len)
{
	const char	*p = body, *end = body + len, *amp;
	size_t		 used = 0;

	memset(form, 0, sizeof(*form));
	/* Decoding never grows; +2 NULs per pair at most doubles it. */
	form->buflen = 2 * len + 2;
	form->buf = xmalloc(form->buflen);
	while (p < end) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp > p && form_add(form, p, (size_t)(amp - p), &used) == -1) {
			form_free(form);
			return -1;
		}
		p = amp + 1;
	}
	return 0;
}

const char *
form_get(const struct form *form, const char *name)
{
	size_t i;

	for (i = 0; i < form->n; i++)
		if (strcmp(form->f[i].name, name) == 0)
			return form->f[i].value;
	return NULL;
}

void
form_free(struct form *form)
{
	if (form->buf != NULL) {
		sodium_memzero(form->buf, form->buflen);
		free(form->buf);
	}
	memset(form, 0, sizeof(*form));
}

/* RFC 6265 §5.2: pairs split on ';', whitespace trimmed, no unquoting rules
 * beyond dropping one pair of surrounding DQUOTEs. */
int
form_cookie(const char *header, const char *name, char *out, size_t outlen)
{
	const char	*p = header, *end, *eq, *v, *ve;
	size_t		 nlen = strlen(name), vlen;

	if (header == NULL)
		return -1;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if ((end = strchr(p, ';')) == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq != NULL && (size_t)(eq - p) == nlen &&
		    memcmp(p, name, nlen) == 0) {
			v = eq + 1;
			ve = end;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			if (ve - v >= 2 && *v == '"' && ve[-1] == '"')
				v++, ve--;
			vlen = (size_t)(ve - v);
			if (vlen == 0 || vlen >= outlen)
				return -1;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return 0;
		}
		p = end;
	}
	return -1;
}
