/* bussign.c — signing and checking bus messages (bussign.h). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bussign.h"
#include "log.h"
#include "xmalloc.h"

#define BUSSIGN_B64	sodium_base64_VARIANT_URLSAFE_NO_PADDING

static uint8_t	bussign_pk[crypto_sign_PUBLICKEYBYTES];
static uint8_t	bussign_sk[crypto_sign_SECRETKEYBYTES];

void
bussign_init(void)
{
	if (sodium_init() == -1)
		fatalx("%s: sodium_init failed", __func__);
	crypto_sign_keypair(bussign_pk, bussign_sk);
}

/* What is signed: the routing key, a NUL, the body. */
static uint8_t *
bussign_message(const char *key, const void *body, size_t len, size_t *n)
{
	size_t	 klen = strlen(key) + 1;
	uint8_t	*m = xmalloc(klen + len + 1);

	memcpy(m, key, klen);
	if (len > 0)
		memcpy(m + klen, body, len);
	*n = klen + len;
	return m;
}

void
bussign_sign(const char *key, const void *body, size_t len,
    char id[BUSSIGN_ID_MAX])
{
	uint8_t	 sig[crypto_sign_BYTES], *m;
	size_t	 n, plen;

	m = bussign_message(key, body, len, &n);
	crypto_sign_detached(sig, NULL, m, n, bussign_sk);
	free(m);
	sodium_bin2base64(id, BUSSIGN_ID_MAX, bussign_pk, sizeof(bussign_pk),
	    BUSSIGN_B64);
	plen = strlen(id);
	id[plen++] = '.';
	sodium_bin2base64(id + plen, BUSSIGN_ID_MAX - plen, sig, sizeof(sig),
	    BUSSIGN_B64);
}

int
bussign_verify(const char *id, const char *key, const void *body,
    size_t len, uint8_t pk[BUSSIGN_PK_LEN])
{
	uint8_t		 sig[crypto_sign_BYTES], *m;
	const char	*dot = strchr(id, '.'), *end;
	size_t		 got, n;
	int		 rc;

	if (dot == NULL ||
	    sodium_base642bin(pk, BUSSIGN_PK_LEN, id, (size_t)(dot - id), NULL,
	    &got, &end, BUSSIGN_B64) != 0 || got != BUSSIGN_PK_LEN ||
	    end != dot ||
	    sodium_base642bin(sig, sizeof(sig), dot + 1, strlen(dot + 1), NULL,
	    &got, &end, BUSSIGN_B64) != 0 || got != sizeof(sig) || *end != '\0')
		return -1;
	m = bussign_message(key, body, len, &n);
	rc = crypto_sign_verify_detached(sig, m, n, pk);
	free(m);
	return rc == 0 ? 0 : -1;
}
