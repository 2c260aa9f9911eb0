/* ws_handshake.c — the WebSocket opening handshake, server side. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <nettle/sha1.h>
#include <sodium.h>

#include "ws_handshake.h"

#define WS_GUID	"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* One header field of interest: its last value and how often it came. */
struct hs_span {
	const char	*p;
	size_t		 n;
	int		 count;
};

struct hs_fields {
	struct hs_span	host, upgrade, connection, key, version, origin, body;
	int		upgrade_ok, connection_ok;
};

void
ws_handshake_init(struct ws_handshake *hs)
{
	memset(hs, 0, sizeof(*hs));
}

static enum ws_hs_status
hs_fail(struct ws_handshake *hs, int status, const char *why)
{
	hs->status = status;
	hs->why = why;
	return WS_HS_FAIL;
}

void
ws_accept_key(const char *key, size_t keylen, char out[WS_ACCEPT_LEN + 1])
{
	struct sha1_ctx	ctx;
	uint8_t		digest[SHA1_DIGEST_SIZE];

	sha1_init(&ctx);
	sha1_update(&ctx, keylen, (const uint8_t *)key);
	sha1_update(&ctx, sizeof(WS_GUID) - 1, (const uint8_t *)WS_GUID);
	sha1_digest(&ctx, sizeof(digest), digest);
	sodium_bin2base64(out, WS_ACCEPT_LEN + 1, digest, sizeof(digest),
	    sodium_base64_VARIANT_ORIGINAL);
}

static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c)
	    != NULL);
}

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* 1 when the comma-separated list v[0..n) holds tok (case-insensitive). */
static int
has_token(const char *v, size_t n, const char *tok)
{
	size_t	 tl = strlen(tok), i = 0, s, e;

	while (i <= n) {
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i++;
		while (s < e && is_ows(v[s]))
			s++;
		while (e > s && is_ows(v[e - 1]))
			e--;
		if (e - s == tl && strncasecmp(v + s, tok, tl) == 0)
			return 1;
	}
	return 0;
}

static int
name_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

static void
hs_keep(struct hs_span *s, const char *v, size_t n)
{
	s->p = v;
	s->n = n;
	s->count++;
}

/* One "name: value" line (without its CRLF); -1 when malformed. */
static int
hs_field(struct hs_fields *f, const char *line, size_t n)
{
	const char	*colon = memchr(line, ':', n), *v;
	size_t		 nl, vl, i;

	if (colon == NULL || colon == line)
		return -1;
	nl = (size_t)(colon - line);
	for (i = 0; i < nl; i++)
		if (!is_tchar((unsigned char)line[i]))
			return -1;	/* also "Name :" and folded lines */
	v = colon + 1;
	vl = n - nl - 1;
	for (i = 0; i < vl; i++)
		if (((unsigned char)v[i] < 0x20 && v[i] != '\t') ||
		    v[i] == 0x7f)
			return -1;
	while (vl > 0 && is_ows(*v))
		v++, vl--;
	while (vl > 0 && is_ows(v[vl - 1]))
		vl--;
	if (name_is(line, nl, "host"))
		hs_keep(&f->host, v, vl);
	else if (name_is(line, nl, "upgrade")) {
		hs_keep(&f->upgrade, v, vl);
		f->upgrade_ok |= has_token(v, vl, "websocket");
	} else if (name_is(line, nl, "connection")) {
		hs_keep(&f->connection, v, vl);
		f->connection_ok |= has_token(v, vl, "upgrade");
	} else if (name_is(line, nl, "sec-websocket-key"))
		hs_keep(&f->key, v, vl);
	else if (name_is(line, nl, "sec-websocket-version"))
		hs_keep(&f->version, v, vl);
	else if (name_is(line, nl, "origin"))
		hs_keep(&f->origin, v, vl);
	else if (name_is(line, nl, "content-length") ||
	    name_is(line, nl, "transfer-encoding"))
		hs_keep(&f->body, v, vl);
	return 0;
}

/* "GET /path HTTP/1.1": 0, or an HTTP status. */
static int
hs_request_line(const struct ws_hs_config *cfg, const char *l, size_t n)
{
	const char	*t, *sp, *q;
	size_t		 tl, pl, i;

	if (n < 4 || memcmp(l, "GET ", 4) != 0)
		return 400;
	t = l + 4;
	if ((sp = memchr(t, ' ', n - 4)) == NULL)
		return 400;
	tl = (size_t)(sp - t);
	if (tl == 0 || t[0] != '/')
		return 400;
	for (i = 0; i < tl; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return 400;
	if (n - 4 - tl != sizeof(" HTTP/1.1") - 1 ||
	    memcmp(sp, " HTTP/1.1", sizeof(" HTTP/1.1") - 1) != 0)
		return 400;
	if (cfg->path == NULL)
		return 0;
	q = memchr(t, '?', tl);
	pl = q != NULL ? (size_t)(q - t) : tl;
	if (pl != strlen(cfg->path) || memcmp(t, cfg->path, pl) != 0)
		return 404;
	return 0;
}

static int
hs_origin_allowed(const struct ws_hs_config *cfg, const struct hs_span *o)
{
	size_t	i;

	if (o->count == 0)
		return 1;	/* not a browser: Origin guards browsers only */
	for (i = 0; i < cfg->norigins; i++)
		if (strlen(cfg->origins[i]) == o->n &&
		    strncasecmp(cfg->origins[i], o->p, o->n) == 0)
			return 1;
	return 0;
}

/* The checks of RFC 6455 §4.2.1 once every field is known. */
static enum ws_hs_status
hs_check(struct ws_handshake *hs, const struct ws_hs_config *cfg,
    const struct hs_fields *f)
{
	uint8_t	key[16];
	size_t	keylen;

	if (f->host.count != 1 || f->host.n == 0)
		return hs_fail(hs, 400, "Host missing or repeated");
	if (f->body.count != 0)
		return hs_fail(hs, 400, "request with a body");
	if (!f->upgrade_ok)
		return hs_fail(hs, 400, "no Upgrade: websocket");
	if (!f->connection_ok)
		return hs_fail(hs, 400, "no Connection: Upgrade");
	if (f->key.count != 1 || f->key.n != 24 ||
	    sodium_base642bin(key, sizeof(key), f->key.p, f->key.n, NULL,
	    &keylen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    keylen != sizeof(key))
		return hs_fail(hs, 400, "bad Sec-WebSocket-Key");
	if (f->version.count == 0)
		return hs_fail(hs, 400, "no Sec-WebSocket-Version");
	if (f->version.count != 1 || f->version.n != 2 ||
	    memcmp(f->version.p, "13", 2) != 0)
		return hs_fail(hs, 426, "Sec-WebSocket-Version not 13");
	if (f->origin.count > 1)
		return hs_fail(hs, 400, "Origin repeated");
	if (!hs_origin_allowed(cfg, &f->origin))
		return hs_fail(hs, 403, "Origin not allowed");
	ws_accept_key(f->key.p, f->key.n, hs->accept);
	hs->status = 101;
	return WS_HS_DONE;
}

/* Find the blank line ending the head; 0 while it is not there. */
static size_t
hs_find_end(struct ws_handshake *hs, const uint8_t *buf, size_t len,
    size_t max, int *err)
{
	size_t	i;

	*err = 0;
	for (i = hs->scanned; i < len; i++) {
		if (i >= max) {
			*err = 431;
			return 0;
		}
		if (buf[i] != '\n')
			continue;
		if (i == 0 || buf[i - 1] != '\r') {
			*err = 400;	/* bare LF */
			return 0;
		}
		if (i >= 3 && buf[i - 2] == '\n' && buf[i - 3] == '\r') {
			hs->scanned = i + 1;
			return i + 1;
		}
	}
	hs->scanned = len;
	return 0;
}

enum ws_hs_status
ws_handshake_parse(struct ws_handshake *hs, const struct ws_hs_config *cfg,
    const uint8_t *buf, size_t len)
{
	const char		*p = (const char *)buf, *eol;
	struct hs_fields	 f;
	size_t			 end, off, n, max, nfields = 0;
	int			 err, st;

	max = cfg->max_header ? cfg->max_header : WS_HS_MAX_HEADER;
	if ((end = hs_find_end(hs, buf, len, max, &err)) == 0)
		return err == 0 ? WS_HS_MORE : hs_fail(hs, err,
		    err == 431 ? "request head too large" : "bare LF");
	hs->consumed = end;
	end -= 2;			/* the last CRLF, of the blank line */
	memset(&f, 0, sizeof(f));
	for (off = 0; off < end; off += n + 2) {
		/* never NULL: the head ends with CRLF at end - 2 */
		eol = memchr(p + off, '\r', end - off);
		n = (size_t)(eol - (p + off));
		if (eol[1] != '\n')
			return hs_fail(hs, 400, "stray CR");
		if (off == 0) {
			if ((st = hs_request_line(cfg, p, n)) != 0)
				return hs_fail(hs, st, st == 404 ?
				    "unknown path" : "bad request line");
			continue;
		}
		if (++nfields > WS_HS_MAX_FIELDS)
			return hs_fail(hs, 431, "too many header fields");
		if (hs_field(&f, p + off, n) == -1)
			return hs_fail(hs, 400, "bad header field");
	}
	return hs_check(hs, cfg, &f);
}

static const char *
hs_reason(int status)
{
	switch (status) {
	case 400:	return "Bad Request";
	case 403:	return "Forbidden";
	case 404:	return "Not Found";
	case 426:	return "Upgrade Required";
	case 431:	return "Request Header Fields Too Large";
	}
	return "Error";
}

size_t
ws_handshake_response(const struct ws_handshake *hs, char *out, size_t cap)
{
	int	n;

	if (hs->status == 101)
		n = snprintf(out, cap, "HTTP/1.1 101 Switching Protocols\r\n"
		    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		    "Sec-WebSocket-Accept: %s\r\n\r\n", hs->accept);
	else
		n = snprintf(out, cap, "HTTP/1.1 %d %s\r\n%s"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n",
		    hs->status, hs_reason(hs->status), hs->status == 426 ?
		    "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" :
		    "");
	if (n < 0 || (size_t)n >= cap)
		return 0;
	return (size_t)n;
}
