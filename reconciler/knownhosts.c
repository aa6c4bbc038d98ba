/*
 * knownhosts.c: the known_hosts parser declared in knownhosts.h.
 *
 * Owns: splitting the file into lines and fields, matching host patterns
 * and hashed names. Does not own: HMAC-SHA1 (hash.c) or the file itself.
 * Every loop is bounded by the text's length; wild_match is greedy with
 * one backtrack point, so a pattern of many '*' stays O(pattern * name).
 */
#include <ctype.h>

#include "hash.h"
#include "knownhosts.h"
#include "util.h"

struct span {
	const char *p;
	size_t n;
};

char *knownhosts_name(const char *host, int port)
{
	return port == 22 ? xstrdup(host) : xasprintf("[%s]:%d", host, port);
}

static const char b64chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Decodes up to max bytes of s[0..n) into out; returns the length or -1. */
static long b64_decode(unsigned char *out, size_t max, const char *s, size_t n)
{
	unsigned v = 0, bits = 0;
	size_t len = 0, i;

	for (i = 0; i < n && s[i] != '='; i++) {
		const char *c = s[i] ? strchr(b64chars, s[i]) : NULL;
		if (!c)
			return -1;
		v = (v << 6) | (unsigned)(c - b64chars);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (len == max)
				return -1;
			out[len++] = (unsigned char)(v >> bits);
		}
	}
	return (long)len;
}

/* Does "|1|salt|hash" hash name? (OpenSSH's HashKnownHosts format) */
static int hashed_match(struct span pat, const char *name)
{
	unsigned char salt[64], want[64], got[HASH_SHA1_LEN];
	const char *bar = memchr(pat.p + 3, '|', pat.n - 3);
	long salt_len, want_len;

	if (!bar)
		return 0;
	salt_len = b64_decode(salt, sizeof(salt), pat.p + 3,
	                      (size_t)(bar - pat.p - 3));
	want_len = b64_decode(want, sizeof(want), bar + 1,
	                      (size_t)(pat.p + pat.n - bar - 1));
	if (salt_len <= 0 || want_len != HASH_SHA1_LEN)
		return 0;
	hash_hmac_sha1(got, salt, (size_t)salt_len, name, strlen(name));
	return !memcmp(got, want, HASH_SHA1_LEN);
}

static int same_char(char p, char s)
{
	return p == '?' ||
	       tolower((unsigned char)p) == tolower((unsigned char)s);
}

/*
 * OpenSSH's patterns: only '*' and '?' are special ("[host]:port" is not).
 * On a mismatch after a '*', that '*' takes one more character and the
 * rest is tried again; an earlier '*' never needs to be revisited, since
 * the later one can absorb whatever it would have.
 */
static int wild_match(struct span pat, const char *s)
{
	size_t i = 0, star = 0;
	const char *retry = NULL;

	while (*s) {
		if (i < pat.n && pat.p[i] == '*') {
			star = ++i;
			retry = s;
		} else if (i < pat.n && same_char(pat.p[i], *s)) {
			i++;
			s++;
		} else if (retry) {
			i = star;
			s = ++retry;
		} else {
			return 0;
		}
	}
	while (i < pat.n && pat.p[i] == '*')
		i++;
	return i == pat.n;
}

/* 1: a pattern of the comma-separated list matches, -1: negated, 0: no. */
static int hosts_match(struct span list, const char *name)
{
	const char *p = list.p, *end = list.p + list.n;
	int found = 0;

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		struct span pat = {p, (size_t)((comma ? comma : end) - p)};
		int neg = pat.n && *pat.p == '!', hit;

		pat.p += neg;
		pat.n -= (size_t)neg;
		if (pat.n > 3 && !memcmp(pat.p, "|1|", 3))
			hit = hashed_match(pat, name);
		else
			hit = wild_match(pat, name);
		if (hit && neg)
			return -1;
		found |= hit;
		p = comma ? comma + 1 : end;
	}
	return found;
}

/* Splits [p, end) into up to max blank-separated fields; returns how many */
static size_t fields(struct span *f, size_t max, const char *p, const char *end)
{
	size_t nf = 0;

	while (nf < max) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p == end)
			break;
		f[nf].p = p;
		while (p < end && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		f[nf].n = (size_t)(p - f[nf].p);
		nf++;
	}
	return nf;
}

static int span_is(struct span s, const char *str)
{
	return s.n == strlen(str) && !memcmp(s.p, str, s.n);
}

enum knownhosts_result knownhosts_check(const char *text, size_t len,
                                        const char *name, const void *key,
                                        size_t keylen)
{
	char *b64 = base64_encode(key, keylen);
	const char *p = text, *end = text + len;
	int seen = 0, ok = 0, revoked = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		struct span f[4];
		size_t nf = fields(f, 4, p, eol);
		int marker;

		p = nl ? nl + 1 : end;
		if (nf < 3 || *f[0].p == '#')
			continue;
		marker = *f[0].p == '@';
		/* @cert-authority lines: host certificates are unsupported */
		if (marker && (nf < 4 || !span_is(f[0], "@revoked")))
			continue;
		if (hosts_match(f[marker], name) != 1)
			continue;
		if (!span_is(f[marker + 2], b64)) {
			seen |= !marker;
			continue;
		}
		if (marker)
			revoked = 1;
		else
			ok = 1;
	}
	free(b64);
	if (revoked)
		return KNOWNHOSTS_REVOKED;
	if (ok)
		return KNOWNHOSTS_OK;
	return seen ? KNOWNHOSTS_MISMATCH : KNOWNHOSTS_UNKNOWN;
}
