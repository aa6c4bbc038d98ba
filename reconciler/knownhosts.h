/*
 * knownhosts.h: checking an SSH host key against OpenSSH's known_hosts.
 *
 * Owns: the known_hosts format (host patterns with '*', '?' and '!',
 * "[host]:port" names, hashed "|1|salt|hash" entries, "@revoked" lines;
 * "@cert-authority" lines are skipped, host certificates being
 * unsupported). Pure: the caller reads the file. Does not own: where the
 * file is or what a refusal means for a fetch (repo.c).
 */
#ifndef RECONCILER_KNOWNHOSTS_H
#define RECONCILER_KNOWNHOSTS_H

#include <stddef.h>

enum knownhosts_result {
	KNOWNHOSTS_OK,       /* a line for the host has this key */
	KNOWNHOSTS_UNKNOWN,  /* no line names the host */
	KNOWNHOSTS_MISMATCH, /* lines name the host, none with this key */
	KNOWNHOSTS_REVOKED,  /* an @revoked line for the host has this key */
};

/*
 * The name known_hosts uses for host at port: "host" for port 22,
 * "[host]:port" otherwise. The caller frees it.
 */
char *knownhosts_name(const char *host, int port);

/*
 * Looks name (from knownhosts_name) up in the len bytes of text (a
 * known_hosts file, not NUL-terminated) for the raw host key blob key.
 * A revoked key is refused even when another line accepts it.
 */
enum knownhosts_result knownhosts_check(const char *text, size_t len,
                                        const char *name, const void *key,
                                        size_t keylen);

#endif
