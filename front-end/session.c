/* session.c — identifiers, keyed hashes and cookie formatting. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
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
	session_hmac(master, NULL, "parley csrf cookie v1", k->csrf_cookie);
	session_hmac(master, NULL, "parley device v1", k->device);
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

/*
 * A signed value: base64url(nonce) "." base64url(first maclen bytes of
 * HMAC(key, label, context "." nonce)).  out: outlen bytes.
 */
static void
session_signed(const unsigned char *key, const char *label,
    const char *context, const char *nonce, size_t maclen, char *out,
    size_t outlen)
{
	unsigned char	 mac[32];
	char		*msg;
	size_t		 n;

	msg = xasprintf("%s.%s", context, nonce);
	session_hmac(key, label, msg, mac);
	free(msg);
	n = (size_t)snprintf(out, outlen, "%s.", nonce);
	if (n < outlen)
		sodium_bin2base64(out + n, outlen - n, mac, maclen, B64);
	sodium_memzero(mac, sizeof(mac));
}

/* 1 when value is nonce "." MAC as session_signed makes it (len long). */
static int
session_signed_check(const unsigned char *key, const char *label,
    const char *context, const char *value, size_t noncelen, size_t maclen,
    size_t len)
{
	char	nonce[SESSION_ID_LEN + 1], expect[SESSION_DEVICE_LEN + 1];

	if (value == NULL || strlen(value) != len || noncelen >= sizeof(nonce) ||
	    len >= sizeof(expect) || value[noncelen] != '.')
		return 0;
	memcpy(nonce, value, noncelen);
	nonce[noncelen] = '\0';
	if (!session_b64_valid(nonce, noncelen))
		return 0;
	session_signed(key, label, context, nonce, maclen, expect,
	    sizeof(expect));
	return sodium_memcmp(expect, value, len) == 0;
}

#define SESSION_NONCE_LEN	22	/* base64url of 16 bytes */

void
session_csrf_new(const struct session_keys *k, char *out)
{
	char nonce[SESSION_NONCE_LEN + 1];

	session_random(nonce, 16, sizeof(nonce));
	session_signed(k->csrf_cookie, "csrf cookie", "", nonce, 16, out,
	    SESSION_CSRF_LEN + 1);
}

int
session_csrf_valid(const struct session_keys *k, const char *cookie)
{
	return session_signed_check(k->csrf_cookie, "csrf cookie", "", cookie,
	    SESSION_NONCE_LEN, 16, SESSION_CSRF_LEN);
}

void
session_csrf_token(const struct session_keys *k, const char *cookie,
    const char *sid_hash, char *out)
{
	unsigned char	 mac[32];
	char		*msg;

	msg = xasprintf("%s.%s", cookie, sid_hash != NULL ? sid_hash : "");
	session_hmac(k->csrf, "csrf", msg, mac);
	free(msg);
	sodium_bin2base64(out, SESSION_TOKEN_LEN + 1, mac, sizeof(mac), B64);
}

int
session_csrf_check(const struct session_keys *k, const char *cookie,
    const char *sid_hash, const char *token)
{
	char expect[SESSION_TOKEN_LEN + 1];

	if (cookie == NULL || token == NULL || !session_csrf_valid(k, cookie) ||
	    strlen(token) != SESSION_TOKEN_LEN)
		return 0;
	session_csrf_token(k, cookie, sid_hash, expect);
	return sodium_memcmp(expect, token, SESSION_TOKEN_LEN) == 0;
}

void
session_device_new(const struct session_keys *k, const char *account,
    char *out)
{
	char nonce[SESSION_NONCE_LEN + 1];

	session_random(nonce, 16, sizeof(nonce));
	session_signed(k->device, "device", account, nonce, 32, out,
	    SESSION_DEVICE_LEN + 1);
}

int
session_device_check(const struct session_keys *k, const char *account,
    const char *cookie, char *id)
{
	unsigned char mac[32];

	if (!session_signed_check(k->device, "device", account, cookie,
	    SESSION_NONCE_LEN, 32, SESSION_DEVICE_LEN))
		return 0;
	session_hmac(k->device, "device id", cookie, mac);
	sodium_bin2hex(id, SESSION_HASH_HEX + 1, mac, sizeof(mac));
	return 1;
}

void
session_client_key(const char *ip, unsigned v6_prefix, char *out,
    size_t outlen)
{
	struct in6_addr	a;
	char		buf[INET6_ADDRSTRLEN];
	unsigned	i;

	if (inet_pton(AF_INET6, ip, &a) != 1 || v6_prefix >= 128) {
		snprintf(out, outlen, "%s", ip);
		return;
	}
	if (IN6_IS_ADDR_V4MAPPED(&a)) {
		inet_ntop(AF_INET, &a.s6_addr[12], buf, sizeof(buf));
		snprintf(out, outlen, "%s", buf);
		return;
	}
	for (i = 0; i < 16; i++) {
		if (i * 8 >= v6_prefix)
			a.s6_addr[i] = 0;
		else if (i * 8 + 8 > v6_prefix)
			a.s6_addr[i] &= (unsigned char)(0xff << (8 - (v6_prefix -
			    i * 8)));
	}
	inet_ntop(AF_INET6, &a, buf, sizeof(buf));
	snprintf(out, outlen, "%s/%u", buf, v6_prefix);
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

const char *
session_device_cookie_name(int secure)
{
	return secure ? "__Host-parley_device" : "parley_device";
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

char *
session_set_lasting_cookie(const char *name, const char *value, int secure,
    long max_age_s)
{
	return xasprintf("%s=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Lax%s",
	    name, value, max_age_s, secure ? "; Secure" : "");
}
