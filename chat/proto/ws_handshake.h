/*
 * ws_handshake.h — the server side of the WebSocket opening handshake
 * (RFC 6455 §4.2): an incremental parser of the client's HTTP/1.1 Upgrade
 * request, its checks (Host, Upgrade, Connection, Sec-WebSocket-Key,
 * Sec-WebSocket-Version, Origin allow-list, path) and the answer to send
 * (101 with Sec-WebSocket-Accept, or the HTTP error).  Pure code, no I/O.
 */
#ifndef PARLEY_WS_HANDSHAKE_H
#define PARLEY_WS_HANDSHAKE_H

#include <stddef.h>
#include <stdint.h>

#define WS_HS_MAX_HEADER	8192	/* default limit of the request head */
#define WS_HS_MAX_FIELDS	64	/* header lines */
#define WS_ACCEPT_LEN		28	/* base64 of a SHA-1 digest */
#define WS_HS_RESPONSE_MAX	256	/* room for any ws_handshake_response */

struct ws_hs_config {
	/*
	 * Allowed Origin values, each "scheme://host[:port]" compared whole
	 * (ASCII case-insensitively).  A request without Origin (not a
	 * browser) is accepted; one whose Origin is not listed gets 403.  An
	 * empty list therefore admits no browser at all.
	 */
	const char *const	*origins;
	size_t			 norigins;
	const char		*path;		/* required path; NULL: any */
	size_t			 max_header;	/* 0: WS_HS_MAX_HEADER */
};

enum ws_hs_status {
	WS_HS_MORE,	/* the request head is not complete yet */
	WS_HS_DONE,	/* valid: send the 101 answer */
	WS_HS_FAIL,	/* invalid: send the error answer, then close */
};

struct ws_handshake {
	size_t		 scanned;	/* bytes already searched for the end */
	size_t		 consumed;	/* DONE/FAIL: the request head length */
	int		 status;	/* 101, or the HTTP error status */
	const char	*why;		/* FAIL: short text for logs */
	char		 accept[WS_ACCEPT_LEN + 1];	/* DONE */
};

void	ws_handshake_init(struct ws_handshake *);

/*
 * Look at buf[0..len), the bytes received so far (the same start each
 * call, more at the end).  WS_HS_MORE: call again with more.  WS_HS_DONE:
 * hs->accept is set and hs->consumed bytes are the request; any bytes after
 * them are already WebSocket frames.  WS_HS_FAIL: hs->status is 400 (bad
 * request), 403 (Origin not allowed), 404 (other path), 426 (version other
 * than 13) or 431 (request head above the limit).
 */
enum ws_hs_status ws_handshake_parse(struct ws_handshake *,
		    const struct ws_hs_config *, const uint8_t *buf,
		    size_t len);

/*
 * The answer for hs (after DONE or FAIL) into out[0..cap), NUL-terminated;
 * returns its length (without the NUL), or 0 when cap is too small
 * (WS_HS_RESPONSE_MAX always suffices).
 */
size_t	ws_handshake_response(const struct ws_handshake *, char *out,
	    size_t cap);

/* Sec-WebSocket-Accept for key: base64(SHA-1(key + GUID)). */
void	ws_accept_key(const char *key, size_t keylen,
	    char out[WS_ACCEPT_LEN + 1]);

#endif
