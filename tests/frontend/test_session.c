/* test_session.c — the client keys of the per-address limits (IPv6 per
 * prefix), and the signed csrf and device cookies of session.c. */
#include <string.h>

#include <sodium.h>

#include "../unit/check.h"
#include "session.h"

static int
keyed(const char *ip, unsigned prefix, const char *want)
{
	char out[SESSION_CLIENT_MAX];

	session_client_key(ip, prefix, out, sizeof(out));
	if (strcmp(out, want) != 0)
		fprintf(stderr, "client key: %s /%u -> '%s', want '%s'\n", ip,
		    prefix, out, want);
	return strcmp(out, want) == 0;
}

static void
check_client_keys(void)
{
	CHECK(keyed("192.0.2.7", 64, "192.0.2.7"));
	CHECK(keyed("2001:db8:1:2:a:b:c:d", 64, "2001:db8:1:2::/64"));
	CHECK(keyed("2001:db8:1:2:ffff:ffff:ffff:ffff", 64,
	    "2001:db8:1:2::/64"));
	CHECK(keyed("2001:db8:1:3::1", 64, "2001:db8:1:3::/64"));
	CHECK(keyed("2001:db8:1:2ff::1", 56, "2001:db8:1:200::/56"));
	CHECK(keyed("2001:db8:1:2f7::1", 60, "2001:db8:1:2f0::/60"));
	CHECK(keyed("2001:db8::1", 128, "2001:db8::1"));
	CHECK(keyed("::1", 64, "::/64"));
	CHECK(keyed("::ffff:192.0.2.7", 64, "192.0.2.7"));
	CHECK(keyed("unknown", 64, "unknown"));
}

static void
check_csrf(const struct session_keys *k, const struct session_keys *other)
{
	char	c[SESSION_CSRF_LEN + 1], t[SESSION_TOKEN_LEN + 1], bad[64];
	char	sid_a[SESSION_HASH_HEX + 1], sid_b[SESSION_HASH_HEX + 1];

	session_id_hash("session a", sid_a);
	session_id_hash("session b", sid_b);
	session_csrf_new(k, c);
	CHECK(strlen(c) == SESSION_CSRF_LEN);
	CHECK(session_csrf_valid(k, c));
	CHECK(!session_csrf_valid(other, c));
	memcpy(bad, c, sizeof(c));
	bad[0] = bad[0] == 'A' ? 'B' : 'A';
	CHECK(!session_csrf_valid(k, bad));
	CHECK(!session_csrf_valid(k, "AAAAAAAAAAAAAAAAAAAAAA"));
	session_csrf_token(k, c, sid_a, t);
	CHECK(session_csrf_check(k, c, sid_a, t));
	CHECK(!session_csrf_check(k, c, sid_b, t));
	CHECK(!session_csrf_check(k, c, "", t));
	CHECK(!session_csrf_check(k, bad, sid_a, t));
	session_csrf_token(k, c, "", t);
	CHECK(session_csrf_check(k, c, "", t));
	CHECK(!session_csrf_check(k, c, sid_a, t));
}

static void
check_device(const struct session_keys *k, const struct session_keys *other)
{
	char	d[SESSION_DEVICE_LEN + 1], id[SESSION_HASH_HEX + 1];
	char	id2[SESSION_HASH_HEX + 1], a[SESSION_HASH_HEX + 1];
	char	b[SESSION_HASH_HEX + 1];

	session_account_key(k, "a@example.com", a);
	session_account_key(k, "b@example.com", b);
	session_device_new(k, a, d);
	CHECK(strlen(d) == SESSION_DEVICE_LEN);
	CHECK(session_device_check(k, a, d, id));
	CHECK(strlen(id) == SESSION_HASH_HEX);
	CHECK(session_device_check(k, a, d, id2) && strcmp(id, id2) == 0);
	CHECK(!session_device_check(k, b, d, id2));
	CHECK(!session_device_check(other, a, d, id2));
	d[SESSION_DEVICE_LEN - 1] = d[SESSION_DEVICE_LEN - 1] == 'A' ? 'B' :
	    'A';
	CHECK(!session_device_check(k, a, d, id2));
	CHECK(!session_device_check(k, a, "", id2));
	CHECK(!session_device_check(k, a, NULL, id2));
}

int
main(void)
{
	struct session_keys k, other;

	if (sodium_init() < 0)
		return 1;
	session_keys_init(&k, "test secret test secret test secret 1");
	session_keys_init(&other, "test secret test secret test secret 2");
	check_client_keys();
	check_csrf(&k, &other);
	check_device(&k, &other);
	return check_report("test_session");
}
