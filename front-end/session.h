/*
 * session.h — session ids, CSRF tokens and the cookies that carry them.
 *
 * A session id is 256 random bits (base64url, 43 characters) held only by
 * the browser; the database stores its SHA-256, so a leaked table cannot be
 * replayed.  CSRF uses the signed double-submit pattern: a csrf cookie
 * the server signed (random part "." MAC, so a value an attacker chose is
 * refused, never given a token), and in every form HMAC-SHA256(key derived
 * from SESSION_SECRET, cookie, SHA-256 of the session id or "" signed out),
 * so a token works only with the cookie and the session it was made for.
 * Any replica sharing the secret checks both without state.
 *
 * A device cookie (OWASP "device cookies") marks a browser that logged in
 * to an account: random part "." HMAC(key, account key, random part).  Only
 * its keyed hash goes to the back end, as the device's throttling id.
 */
#ifndef PARLEY_SESSION_H
#define PARLEY_SESSION_H

#include <stddef.h>

#define SESSION_ID_LEN		43	/* base64url of 32 bytes */
#define SESSION_CSRF_LEN	45	/* 16 random bytes "." 16-byte MAC */
#define SESSION_TOKEN_LEN	43	/* base64url of an HMAC-SHA256 */
#define SESSION_HASH_HEX	64
#define SESSION_DEVICE_LEN	66	/* 16 random bytes "." HMAC-SHA256 */
#define SESSION_CLIENT_MAX	64	/* a client key, with its NUL */

struct session_keys {
	unsigned char	csrf[32];
	unsigned char	account[32];
	unsigned char	csrf_cookie[32];
	unsigned char	device[32];
};

void	session_keys_init(struct session_keys *, const char *secret);

/* out: SESSION_ID_LEN + 1 bytes. */
void	session_new_id(char *out);
/* The shape of an id we issued (length and alphabet). */
int	session_id_valid(const char *id);
/* out: SESSION_HASH_HEX + 1 bytes, lower-case hex SHA-256 of id. */
void	session_id_hash(const char *id, char *out);

/* A new signed csrf cookie value; out: SESSION_CSRF_LEN + 1 bytes. */
void	session_csrf_new(const struct session_keys *, char *out);
/* 1 when cookie is a value session_csrf_new made (with this secret). */
int	session_csrf_valid(const struct session_keys *, const char *cookie);
/* sid_hash: session_id_hash of the session cookie sent, "" signed out.
 * out: SESSION_TOKEN_LEN + 1 bytes. */
void	session_csrf_token(const struct session_keys *, const char *cookie,
	    const char *sid_hash, char *out);
/* Constant time; 1 when token belongs to cookie and session. */
int	session_csrf_check(const struct session_keys *, const char *cookie,
	    const char *sid_hash, const char *token);

/* A device cookie for account (a session_account_key); out:
 * SESSION_DEVICE_LEN + 1 bytes. */
void	session_device_new(const struct session_keys *, const char *account,
	    char *out);
/* 1 when cookie is a device cookie of account; then id (SESSION_HASH_HEX
 * + 1 bytes) is its keyed hash, the device's id for throttling. */
int	session_device_check(const struct session_keys *, const char *account,
	    const char *cookie, char *id);

/*
 * The key per-address limits count a client under: an IPv4 address as is,
 * an IPv6 address cut to its first v6_prefix bits ("2001:db8:1:2::/64"),
 * an IPv4-mapped IPv6 address as IPv4.  Anything else is copied.
 */
void	session_client_key(const char *ip, unsigned v6_prefix, char *out,
	    size_t outlen);

/* Keyed hash of a normalised email for throttling and logs (out: 65). */
void	session_account_key(const struct session_keys *, const char *email,
	    char *out);

/* Cookie names: __Host- prefixed when secure. */
const char *session_cookie_name(int secure);
const char *session_csrf_cookie_name(int secure);
const char *session_device_cookie_name(int secure);
/* A Set-Cookie value; value NULL deletes the cookie.  Caller frees. */
char	*session_set_cookie(const char *name, const char *value, int secure);
/* The same with Max-Age=max_age_s: kept across browser restarts. */
char	*session_set_lasting_cookie(const char *name, const char *value,
	    int secure, long max_age_s);

#endif
