/*
 * hash.h: digests: sha256 of bytes as lowercase hex, and HMAC-SHA1.
 *
 * Owns: the one place kedge computes digests (spec hashes, config and
 * secret content hashes, hashed known_hosts names). hash.c is the only
 * file that includes OpenSSL's headers. Does not own: what is hashed or
 * how it is serialised.
 */
#ifndef RECONCILER_HASH_H
#define RECONCILER_HASH_H

#include <stddef.h>

#define HASH_HEX_LEN  64
#define HASH_SHA1_LEN 20

/* Writes the 64 hex digits of sha256(data, len) and a NUL into out. */
void hash_sha256_hex(char out[HASH_HEX_LEN + 1], const void *data, size_t len);

/* Writes the 20 bytes of HMAC-SHA1(key, data) into out. */
void hash_hmac_sha1(unsigned char out[HASH_SHA1_LEN], const void *key,
                    size_t keylen, const void *data, size_t len);

#endif
