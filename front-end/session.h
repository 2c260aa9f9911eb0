/*
 * session.h — session ids, CSRF tokens and the cookies that carry them.
 *
 * A session id is 256 random bits (base64url, 43 characters) held only by
 * the browser; the database stores its SHA-256, so a leaked table cannot be
 * replayed.  CSRF uses the signed double-submit pattern: a random csrf
 * cookie, and in every form HMAC-SHA256(key derived from SESSION_SECRET,
 * cookie) — any replica sharing the secret can check it without state.
 */
#ifndef PARLEY_SESSION_H
#define PARLEY_SESSION_H

#include <stddef.h>

#define SESSION_ID_LEN		43	/* base64url of 32 bytes */
#define SESSION_CSRF_LEN	22	/* base64url of 16 bytes */
#define SESSION_TOKEN_LEN	43	/* base64url of an HMAC-SHA256 */
#define SESSION_HASH_HEX	64

struct session_keys {
	unsigned char	csrf[32];
	unsigned char	account[32];
};

void	session_keys_init(struct session_keys *, const char *secret);

/* out: SESSION_ID_LEN + 1 bytes. */
void	session_new_id(char *out);
/* The shape of an id we issued (length and alphabet). */
int	session_id_valid(const char *id);
/* out: SESSION_HASH_HEX + 1 bytes, lower-case hex SHA-256 of id. */
void	session_id_hash(const char *id, char *out);

/* out: SESSION_CSRF_LEN + 1 bytes. */
void	session_csrf_new(char *out);
int	session_csrf_valid(const char *cookie);
/* out: SESSION_TOKEN_LEN + 1 bytes. */
void	session_csrf_token(const struct session_keys *, const char *cookie,
	    char *out);
/* Constant time; 1 when token belongs to cookie. */
int	session_csrf_check(const struct session_keys *, const char *cookie,
	    const char *token);

/* Keyed hash of a normalised email for throttling and logs (out: 65). */
void	session_account_key(const struct session_keys *, const char *email,
	    char *out);

/* Cookie names: __Host- prefixed when secure. */
const char *session_cookie_name(int secure);
const char *session_csrf_cookie_name(int secure);
/* A Set-Cookie value; value NULL deletes the cookie.  Caller frees. */
char	*session_set_cookie(const char *name, const char *value, int secure);

#endif
