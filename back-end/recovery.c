/*
 * recovery.c — `back-end --recovery-link EMAIL`.  Talks to PostgreSQL
 * directly (DATABASE_URL, like the daemon), so it runs wherever the back
 * end's environment is: docker-compose exec back-end, kubectl exec.
 *
 * The token is 256 random bits (base64url), printed once inside the link
 * and stored only as its SHA-256.  A new link replaces the account's unused
 * ones; a link expires after an hour.  The log line names the account and
 * the expiry, never the token.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "fields.h"
#include "log.h"
#include "recovery.h"

#define RECOVERY_TTL_S		3600

static const char q_recovery_create[] =
    "WITH account AS (SELECT email FROM users WHERE email = $1), "
    "replaced AS (DELETE FROM recovery_tokens WHERE used_at IS NULL AND "
    "email = (SELECT email FROM account)), "
    "swept AS (DELETE FROM recovery_tokens "
    "WHERE expires_at < now() - interval '7 days') "
    "INSERT INTO recovery_tokens (token_hash, email, expires_at) "
    "SELECT $2, email, now() + make_interval(secs => $3::int) FROM account "
    "RETURNING to_char(expires_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD HH24:MI:SS \"UTC\"')";

/* The front end's normalisation: trimmed, ASCII lower case. */
static int
recovery_email(const char *in, char *out, size_t outlen)
{
	size_t len;

	while (isspace((unsigned char)*in))
		in++;
	len = strlen(in);
	while (len > 0 && isspace((unsigned char)in[len - 1]))
		len--;
	if (len == 0 || len >= outlen || len > FIELDS_EMAIL_MAX ||
	    memchr(in, '@', len) == NULL)
		return -1;
	memcpy(out, in, len);
	out[len] = '\0';
	for (; *out != '\0'; out++)
		if (*out >= 'A' && *out <= 'Z')
			*out = (char)(*out - 'A' + 'a');
	return 0;
}

/* token: base64url of 32 random bytes; hash_hex: 65 bytes. */
static void
recovery_token(char *token, size_t toklen, char *hash_hex)
{
	unsigned char raw[32], digest[crypto_hash_sha256_BYTES];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(token, toklen, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	crypto_hash_sha256(digest, (const unsigned char *)token,
	    strlen(token));
	sodium_bin2hex(hash_hex, 65, digest, sizeof(digest));
	sodium_memzero(raw, sizeof(raw));
}

static int
recovery_store(PGconn *pg, const char *email, const char *hash)
{
	const char	*params[3];
	char		 ttl[16];
	PGresult	*res;
	int		 status = 1;

	snprintf(ttl, sizeof(ttl), "%d", RECOVERY_TTL_S);
	params[0] = email;
	params[1] = hash;
	params[2] = ttl;
	res = PQexecParams(pg, q_recovery_create, 3, NULL, params, NULL, NULL,
	    0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warnx("recovery link failed reason=\"%.200s\"",
		    PQresultErrorMessage(res));
		fprintf(stderr, "back-end: the database refused the link\n");
	} else if (PQntuples(res) != 1) {
		log_info("recovery link refused reason=no-account");
		fprintf(stderr, "back-end: no account with that email "
		    "address\n");
	} else {
		log_info("recovery link created user=%s expires=\"%s\"", email,
		    PQgetvalue(res, 0, 0));
		fprintf(stderr, "One-time link for %s, valid until %s. "
		    "Opening it lets the holder set a new password once; that "
		    "ends every session of the account.\n", email,
		    PQgetvalue(res, 0, 0));
		status = 0;
	}
	PQclear(res);
	return status;
}

int
recovery_link_main(const char *url, const char *base, const char *email_arg)
{
	char		 email[FIELDS_EMAIL_MAX + 1], token[48], hash[65];
	PGconn		*pg;
	int		 status = 1;

	if (url == NULL)
		fatalx("config missing: DATABASE_URL must be set (see --help)");
	if (recovery_email(email_arg, email, sizeof(email)) == -1) {
		fprintf(stderr, "back-end: not an email address\n");
		return 2;
	}
	if (sodium_init() == -1)
		fatalx("libsodium cannot start");
	recovery_token(token, sizeof(token), hash);
	pg = PQconnectdb(url);
	if (PQstatus(pg) != CONNECTION_OK) {
		log_warnx("recovery link failed reason=\"database "
		    "unavailable\"");
		fprintf(stderr, "back-end: cannot reach the database\n");
	} else if ((status = recovery_store(pg, email, hash)) == 0) {
		size_t blen = strlen(base);

		while (blen > 0 && base[blen - 1] == '/')
			blen--;
		printf("%.*s/recover?token=%s\n", (int)blen, base, token);
		fflush(stdout);
	}
	PQfinish(pg);
	sodium_memzero(token, sizeof(token));
	return status;
}
