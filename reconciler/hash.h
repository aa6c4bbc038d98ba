/*
 * hash.h: digests: sha256 of bytes as lowercase hex, md5 (only to match
 * what another program publishes), HMAC-SHA1 and HMAC-SHA256, and a
 * constant-time comparison.
 *
 * Owns: the one place kedge computes digests (spec hashes, config and
 * secret content hashes, hashed known_hosts names, webhook signatures).
 * hash.c is the only file that includes OpenSSL's headers. Does not own:
 * what is hashed or how it is serialised.
 */
#ifndef RECONCILER_HASH_H
#define RECONCILER_HASH_H

#include <stddef.h>

#define HASH_HEX_LEN    64
#define HASH_SHA1_LEN   20
#define HASH_SHA256_LEN 32
#define HASH_MD5_LEN    16

/* Writes the 64 hex digits of sha256(data, len) and a NUL into out. */
void hash_sha256_hex(char out[HASH_HEX_LEN + 1], const void *data, size_t len);

/*
 * Writes the 16 bytes of md5(data, len) into out. Not for security: only
 * to compare with a digest another program computes (Alertmanager's
 * alertmanager_config_hash metric).
 */
void hash_md5(unsigned char out[HASH_MD5_LEN], const void *data, size_t len);

/* Writes the 20 bytes of HMAC-SHA1(key, data) into out. */
void hash_hmac_sha1(unsigned char out[HASH_SHA1_LEN], const void *key,
                    size_t keylen, const void *data, size_t len);

/* Writes the 32 bytes of HMAC-SHA256(key, data) into out. */
void hash_hmac_sha256(unsigned char out[HASH_SHA256_LEN], const void *key,
                      size_t keylen, const void *data, size_t len);

/*
 * 1 when the n bytes at a and b are equal, else 0, in a time that depends
 * on n only (for comparing signatures and tokens).
 */
int hash_equal(const void *a, const void *b, size_t n);

/*
 * Fills out with n bytes from a cryptographically secure generator
 * (tokens, session ids). Aborts when the generator fails: nothing may go
 * on with a guessable secret.
 */
void hash_random(void *out, size_t n);
/* n random bytes as 2n hex digits and a NUL into out (2n + 1 bytes). */
void hash_random_hex(char *out, size_t n);

#endif
