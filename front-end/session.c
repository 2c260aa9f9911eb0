/* session.c — identifiers, keyed hashes and cookie formatting. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "session.h"
#include "xmalloc.h"

#define B64	sodium_base64_VARIANT_URLSAFE_NO_PADDING

static void
session_hmac(const unsigned char *key, const char *label, const char *msg,
    unsigned char out[32])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, 32);
	if (label != NULL)
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)label,
		    strlen(label) + 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg,
	    strlen(msg));
	crypto_auth_hmacsha256_final(&st, out);
}

void
session_keys_init(struct session_keys *k, const char *secret)
{
	unsigned char master[32];

	/* Subkeys, so one use of the secret can never stand in for another. */
	crypto_hash_sha256(master, (const unsigned char *)secret,
	    strlen(secret));
	session_hmac(master, NULL, "parley csrf v1", k->csrf);
	session_hmac(master, NULL, "parley account v1", k->account);
	sodium_memzero(master, sizeof(master));
}

static void
session_random(char *out, size_t nbytes, size_t outlen)
{
	unsigned char buf[32];

	randombytes_buf(buf, nbytes);
	sodium_bin2base64(out, outlen, buf, nbytes, B64);
	sodium_memzero(buf, sizeof(buf));
}

static int
session_b64_valid(const char *s, size_t len)
{
	size_t i;

	if (strlen(s) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

void
session_new_id(char *out)
{
	session_random(out, 32, SESSION_ID_LEN + 1);
}

int
session_id_valid(const char *id)
{
	return session_b64_valid(id, SESSION_ID_LEN);
}

void
session_id_hash(const char *id, char *out)
{
	unsigned char h[32];

	crypto_hash_sha256(h, (const unsigned char *)id, strlen(id));
	sodium_bin2hex(out, SESSION_HASH_HEX + 1, h, sizeof(h));
}

void
session_csrf_new(char *out)
{
	session_random(out, 16, SESSION_CSRF_LEN + 1);
}

int
session_csrf_valid(const char *cookie)
{
	return session_b64_valid(cookie, SESSION_CSRF_LEN);
}

void
session_csrf_token(const struct session_keys *k, const char *cookie,
    char *out)
{
	unsigned char mac[32];

	session_hmac(k->csrf, "csrf", cookie, mac);
	sodium_bin2base64(out, SESSION_TOKEN_LEN + 1, mac, sizeof(mac), B64);
}

int
session_csrf_check(const struct session_keys *k, const char *cookie,
    const char *token)
{
	char expect[SESSION_TOKEN_LEN + 1];

	if (cookie == NULL || token == NULL || !session_csrf_valid(cookie) ||
	    strlen(token) != SESSION_TOKEN_LEN)
		return 0;
	session_csrf_token(k, cookie, expect);
	return sodium_memcmp(expect, token, SESSION_TOKEN_LEN) == 0;
}

void
session_account_key(const struct session_keys *k, const char *email,
    char *out)
{
	unsigned char mac[32];

	session_hmac(k->account, "account", email, mac);
	sodium_bin2hex(out, SESSION_HASH_HEX + 1, mac, sizeof(mac));
}

const char *
session_cookie_name(int secure)
{
	return secure ? "__Host-parley_session" : "parley_session";
}

const char *
session_csrf_cookie_name(int secure)
{
	return secure ? "__Host-parley_csrf" : "parley_csrf";
}

char *
session_set_cookie(const char *name, const char *value, int secure)
{
	/* No Max-Age: a browser-session cookie; the server enforces the idle
	 * and absolute timeouts. */
	return xasprintf("%s=%s; Path=/; HttpOnly; SameSite=Lax%s%s", name,
	    value != NULL ? value : "", secure ? "; Secure" : "",
	    value == NULL ? "; Max-Age=0" : "");
}
