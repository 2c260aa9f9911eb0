/*
 * bussign.h — Ed25519 signatures on the chat bus (libsodium).  Every
 * replica process makes a key pair at start and signs what it publishes
 * (routing key and body); the signature and the public key travel in the
 * AMQP message_id as "<key>.<signature>" (URL-safe base64).  Receivers pin
 * the first key they see for an origin (cluster.c), so with one RabbitMQ
 * user shared by all chat servers a message in a known replica's name
 * still needs that replica's secret key.
 */
#ifndef PARLEY_BUSSIGN_H
#define PARLEY_BUSSIGN_H

#include <stddef.h>
#include <stdint.h>

#define BUSSIGN_PK_LEN	32
#define BUSSIGN_ID_MAX	160	/* 43 + 1 + 86 characters and a NUL */

/* A fresh key pair for this process (fatal when libsodium cannot start). */
void	bussign_init(void);
/* The message_id for a message published on key with body. */
void	bussign_sign(const char *key, const void *body, size_t len,
	    char id[BUSSIGN_ID_MAX]);
/* 0 when id signs key and body; the signer's key goes to pk.  Else -1. */
int	bussign_verify(const char *id, const char *key, const void *body,
	    size_t len, uint8_t pk[BUSSIGN_PK_LEN]);

#endif
