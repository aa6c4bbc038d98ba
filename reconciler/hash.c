/*
 * hash.c: sha256, md5, HMAC-SHA1/-SHA256 and a constant-time compare through
 * OpenSSL, declared in hash.h.
 *
 * Owns: the only include of OpenSSL headers in kedge. Does not own: any
 * other use of OpenSSL (TLS goes through libcurl).
 */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "hash.h"
#include "util.h"

void hash_sha256_hex(char out[HASH_HEX_LEN + 1], const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned int i;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != 32)
		BUG("EVP_Digest(sha256) failed");
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * mdlen] = '\0';
}

void hash_md5(unsigned char out[HASH_MD5_LEN], const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_md5(), NULL) ||
	    mdlen != HASH_MD5_LEN)
		BUG("EVP_Digest(md5) failed");
	memcpy(out, md, HASH_MD5_LEN);
}

void hash_hmac_sha1(unsigned char out[HASH_SHA1_LEN], const void *key,
                    size_t keylen, const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (keylen > INT_MAX ||
	    !HMAC(EVP_sha1(), key, (int)keylen, data, len, md, &mdlen) ||
	    mdlen != HASH_SHA1_LEN)
		BUG("HMAC(sha1) failed");
	memcpy(out, md, HASH_SHA1_LEN);
}

void hash_hmac_sha256(unsigned char out[HASH_SHA256_LEN], const void *key,
                      size_t keylen, const void *data, size_t len)
{
	static const unsigned char none;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	/* OpenSSL wants a non-NULL key even when it is empty. */
	if (keylen > INT_MAX ||
	    !HMAC(EVP_sha256(), key ? key : &none, (int)keylen,
	          data ? data : &none, len, md, &mdlen) ||
	    mdlen != HASH_SHA256_LEN)
		BUG("HMAC(sha256) failed");
	memcpy(out, md, HASH_SHA256_LEN);
}

int hash_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

void hash_random(void *out, size_t n)
{
	if (n > INT_MAX || RAND_bytes(out, (int)n) != 1)
		BUG("the random generator failed");
}

void hash_random_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char *b = xmalloc(n ? n : 1);

	hash_random(b, n);
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
	free(b);
}
