/*
 * hash.c: sha256 through OpenSSL's EVP interface, declared in hash.h.
 *
 * Owns: the only include of OpenSSL headers in kedge. Does not own: any
 * other use of OpenSSL (TLS goes through libcurl).
 */
#include <openssl/evp.h>

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
