/*
 * hash.h: sha256 of bytes, as lowercase hex.
 *
 * Owns: the one place kedge computes digests (spec hashes, config and
 * secret content hashes). hash.c is the only file that includes OpenSSL's
 * headers. Does not own: what is hashed or how it is serialised.
 */
#ifndef RECONCILER_HASH_H
#define RECONCILER_HASH_H

#include <stddef.h>

#define HASH_HEX_LEN 64

/* Writes the 64 hex digits of sha256(data, len) and a NUL into out. */
void hash_sha256_hex(char out[HASH_HEX_LEN + 1], const void *data, size_t len);

#endif
