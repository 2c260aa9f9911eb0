/* pbkdf2.c — PBKDF2-HMAC-SHA256 and werkzeug's pbkdf2:sha256 hashes. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "pbkdf2.h"

#define PBKDF2_HLEN	crypto_auth_hmacsha256_BYTES	/* 32 */
#define PBKDF2_SALT_MAX	256

/*
 * T_i = U_1 ^ ... ^ U_c, U_1 = HMAC(P, S || INT(i)), U_j = HMAC(P, U_j-1).
 * The keyed state is made once and copied per iteration, so each HMAC costs
 * two SHA-256 compressions instead of four.
 */
static void
pbkdf2_block(const crypto_auth_hmacsha256_state *keyed, const void *salt,
    size_t saltlen, uint32_t index, unsigned long iterations,
    unsigned char t[PBKDF2_HLEN])
{
	crypto_auth_hmacsha256_state	st;
	unsigned char			u[PBKDF2_HLEN], be[4];
	unsigned long			j;
	size_t				k;

	be[0] = (unsigned char)(index >> 24);
	be[1] = (unsigned char)(index >> 16);
	be[2] = (unsigned char)(index >> 8);
	be[3] = (unsigned char)index;
	st = *keyed;
	crypto_auth_hmacsha256_update(&st, salt, saltlen);
	crypto_auth_hmacsha256_update(&st, be, sizeof(be));
	crypto_auth_hmacsha256_final(&st, u);
	memcpy(t, u, sizeof(u));
	for (j = 1; j < iterations; j++) {
		st = *keyed;
		crypto_auth_hmacsha256_update(&st, u, sizeof(u));
		crypto_auth_hmacsha256_final(&st, u);
		for (k = 0; k < sizeof(u); k++)
			t[k] ^= u[k];
	}
	sodium_memzero(u, sizeof(u));
	sodium_memzero(&st, sizeof(st));
}

void
pbkdf2_sha256(const void *password, size_t passwordlen, const void *salt,
    size_t saltlen, unsigned long iterations, unsigned char *out,
    size_t outlen)
{
	crypto_auth_hmacsha256_state	keyed;
	unsigned char			t[PBKDF2_HLEN];
	uint32_t			index;
	size_t				n;

	crypto_auth_hmacsha256_init(&keyed, password, passwordlen);
	for (index = 1; outlen > 0; index++) {
		pbkdf2_block(&keyed, salt, saltlen, index,
		    iterations > 0 ? iterations : 1, t);
		n = outlen < sizeof(t) ? outlen : sizeof(t);
		memcpy(out, t, n);
		out += n;
		outlen -= n;
	}
	sodium_memzero(t, sizeof(t));
	sodium_memzero(&keyed, sizeof(keyed));
}

/* "N$" with N a canonical decimal in [1, PBKDF2_MAX_ITERATIONS]. */
static const char *
pbkdf2_parse_iterations(const char *s, unsigned long *out)
{
	unsigned long n = 0;

	if (*s < '1' || *s > '9')
		return NULL;
	for (; *s >= '0' && *s <= '9'; s++) {
		n = n * 10 + (unsigned long)(*s - '0');
		if (n > PBKDF2_MAX_ITERATIONS)
			return NULL;
	}
	if (*s != '$')
		return NULL;
	*out = n;
	return s + 1;
}

enum pbkdf2_verdict
pbkdf2_werkzeug_verify(const char *stored, const char *password,
    unsigned long *iterations)
{
	const char	*salt, *hex, *end;
	unsigned char	 want[PBKDF2_HLEN], got[PBKDF2_HLEN];
	size_t		 saltlen, binlen, i;
	unsigned long	 n;
	int		 same;

	*iterations = 0;
	if (stored == NULL || strncmp(stored, PBKDF2_WERKZEUG_PREFIX,
	    sizeof(PBKDF2_WERKZEUG_PREFIX) - 1) != 0)
		return PBKDF2_NOT_WERKZEUG;
	if ((salt = pbkdf2_parse_iterations(stored +
	    sizeof(PBKDF2_WERKZEUG_PREFIX) - 1, &n)) == NULL)
		return PBKDF2_NOT_WERKZEUG;
	if ((hex = strchr(salt, '$')) == NULL)
		return PBKDF2_NOT_WERKZEUG;
	saltlen = (size_t)(hex - salt);
	hex++;
	if (saltlen == 0 || saltlen > PBKDF2_SALT_MAX ||
	    strlen(hex) != 2 * PBKDF2_HLEN)
		return PBKDF2_NOT_WERKZEUG;
	/* werkzeug writes lower-case hex; accept nothing else. */
	for (i = 0; i < 2 * PBKDF2_HLEN; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') ||
		    (hex[i] >= 'a' && hex[i] <= 'f')))
			return PBKDF2_NOT_WERKZEUG;
	if (sodium_hex2bin(want, sizeof(want), hex, 2 * PBKDF2_HLEN, NULL,
	    &binlen, &end) != 0 || binlen != sizeof(want))
		return PBKDF2_NOT_WERKZEUG;
	*iterations = n;
	pbkdf2_sha256(password, strlen(password), salt, saltlen, n, got,
	    sizeof(got));
	same = sodium_memcmp(got, want, sizeof(got)) == 0;
	sodium_memzero(got, sizeof(got));
	return same ? PBKDF2_MATCH : PBKDF2_MISMATCH;
}

void
pbkdf2_burn(unsigned long iterations)
{
	unsigned char pw[16], salt[16], out[PBKDF2_HLEN];

	if (iterations == 0)
		return;
	randombytes_buf(pw, sizeof(pw));
	randombytes_buf(salt, sizeof(salt));
	pbkdf2_sha256(pw, sizeof(pw), salt, sizeof(salt), iterations, out,
	    sizeof(out));
	sodium_memzero(out, sizeof(out));
}
