/*
 * webhook.h: deciding what a git host's webhook delivery means.
 *
 * Owns: the rules of each provider (GitHub, GitLab, Gitea and kedge's
 * generic hook): which header carries the signature or token and how it is
 * checked (HMAC-SHA256 of the raw body, compared in constant time), which
 * header names the event, and which payloads are a push to the tracked
 * branch. Pure logic: no I/O, no logging, no state. Does not own: reading
 * the request (httpd.h), the secret file, the HTTP answer, or triggering
 * the reconcile (the daemon maps the verdict to 202/200/400/401).
 *
 *	struct webhook_event ev;
 *
 *	webhook_check(&ev, WEBHOOK_GITHUB, header_fn, req, body, len,
 *		      secret, secret_len, "main");
 *	switch (ev.verdict) { case WEBHOOK_TRIGGER: ... }
 *
 * The signature is always checked first: nothing of an unsigned request is
 * looked at beyond the header that carries the signature (its event name
 * is copied into ev.event for the log only). An empty secret makes every
 * request WEBHOOK_UNAUTHORIZED: the daemon must refuse to serve hooks
 * without one. ev.reason never holds the secret, the signature, a token or
 * raw body bytes; it may quote the event name and the pushed ref, both
 * made printable.
 */
#ifndef RECONCILER_WEBHOOK_H
#define RECONCILER_WEBHOOK_H

#include <stddef.h>

#include "util.h"

enum webhook_provider {
	WEBHOOK_GITHUB,
	WEBHOOK_GITLAB,
	WEBHOOK_GITEA,
	WEBHOOK_GENERIC
};

/* "github", "gitlab", "gitea", "generic"; ERR_NOTFOUND otherwise. */
int webhook_provider_parse(enum webhook_provider *out,
                           const char *name) MUST_CHECK;
/* The name webhook_provider_parse() reads. A static string. */
const char *webhook_provider_name(enum webhook_provider p);

enum webhook_verdict {
	WEBHOOK_TRIGGER,      /* 202: a push to the tracked branch */
	WEBHOOK_IGNORE,       /* 200: a ping, another event or branch, a tag */
	WEBHOOK_UNAUTHORIZED, /* 401: missing or wrong signature/token */
	WEBHOOK_BAD_REQUEST,  /* 400: signed, but not JSON / a push with no ref
	                       */
};

struct webhook_event {
	enum webhook_verdict verdict;
	/* The event header's value ("push", "ping", "Push Hook"), "" none. */
	char event[64];
	char ref[256];    /* "refs/heads/main" from the payload, "" none */
	char after[65];   /* the pushed commit id when the payload has one */
	char reason[160]; /* why, for the log and the reply; see above */
};

/* Returns the value of a request header (case-insensitive), or NULL. */
typedef const char *(*webhook_header_fn)(void *ctx, const char *name);

/*
 * Judges one delivery: the provider's signature or token against secret
 * (secret_len raw bytes, trailing newline already stripped), then the
 * event and the payload (body, len bytes) against branch, the tracked
 * branch as a short name ("main") or "refs/heads/main"; NULL or "" lets a
 * push to any branch trigger. Fills every field of *out. A push that
 * deletes the branch is ignored.
 */
void webhook_check(struct webhook_event *out, enum webhook_provider p,
                   webhook_header_fn header, void *hctx, const char *body,
                   size_t len, const char *secret, size_t secret_len,
                   const char *branch);

#endif
