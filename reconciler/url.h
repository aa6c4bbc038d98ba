/*
 * url.h: git remote specs: telling a URL from a path, taking one apart,
 * removing its credentials, and naming its cache folder.
 *
 * Owns: the syntax of the remote specs kedge accepts (RFC 3986 URLs
 * "scheme://[user[:secret]@]host[:port]/path", with a case-insensitive
 * scheme, and scp-style "user@host:path"). Pure: no I/O, no libgit2.
 * Does not own: reaching the remote (repo.c).
 */
#ifndef RECONCILER_URL_H
#define RECONCILER_URL_H

#include "util.h"

struct url {
	char *scheme; /* lower case ("ssh", "https"); "ssh" for scp style */
	char *user;   /* NULL when the URL names none */
	char *secret; /* the password of "user:secret@"; NULL when none */
	char *host;   /* without the brackets of "[v6]" */
	int port;     /* the URL's, or the scheme's default (22, 80, 443) */
};

/* True when spec is a URL (scheme://...) or scp-style user@host:path. */
int url_is_remote(const char *spec);

/*
 * Returns spec without its secret: "user:secret@" keeps the user, and an
 * http(s) "token@" (a token in the user's place) is dropped whole. The
 * scheme is matched in any case (HTTPS:// is https://). A path, or a URL
 * without credentials, is returned as it is. The caller frees the result.
 */
char *url_redact(const char *spec);

/*
 * Takes the remote spec apart into *out (the caller releases it with
 * url_release, which also wipes the secret). Returns 0, or -1 when spec is
 * not a remote or its port is not a number in 1..65535.
 */
int url_parse(struct url *out, const char *spec) MUST_CHECK;
void url_release(struct url *u);

/*
 * The cache folder name of a redacted URL: its host and path with every
 * run of other characters turned into one '-' (at most 48 bytes), then
 * '-' and a 64-bit FNV-1a hash of the whole URL in hex. Never contains a
 * '/'. The caller frees the result.
 */
char *url_cache_key(const char *redacted);

#endif
