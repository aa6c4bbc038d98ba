/*
 * webhook.c: the provider rules declared in webhook.h.
 *
 * Owns: the table of providers (signature header, its prefix, event
 * header) and the order of the checks: secret, signature, event header,
 * JSON body, push payload. Does not own: digests (hash.c) or anything of
 * the HTTP exchange.
 */
#include <jansson.h>

#include "err.h"
#include "hash.h"
#include "webhook.h"

struct provider {
	const char *name;
	/* The header with "<prefix><hex HMAC-SHA256>"; NULL: a token. */
	const char *sig_header;
	const char *sig_prefix;
	const char *token_header; /* the header with the secret itself */
	const char *event_header; /* NULL: no event header (generic) */
};

static const struct provider providers[] = {
        [WEBHOOK_GITHUB] = {"github", "X-Hub-Signature-256", "sha256=", NULL,
                            "X-GitHub-Event"},
        [WEBHOOK_GITLAB] = {"gitlab", NULL, NULL, "X-Gitlab-Token",
                            "X-Gitlab-Event"},
        [WEBHOOK_GITEA] = {"gitea", "X-Gitea-Signature", "", NULL,
                           "X-Gitea-Event"},
        [WEBHOOK_GENERIC] = {"generic", "X-Kedge-Signature", "sha256=", NULL,
                             NULL},
};

int webhook_provider_parse(enum webhook_provider *out, const char *name)
{
	size_t i;

	for (i = 0; name && i < ARRAY_SIZE(providers); i++)
		if (!strcmp(name, providers[i].name)) {
			*out = (enum webhook_provider)i;
			return 0;
		}
	return ERR_NOTFOUND;
}

const char *webhook_provider_name(enum webhook_provider p)
{
	if ((size_t)p >= ARRAY_SIZE(providers))
		BUG("webhook: provider %d", (int)p);
	return providers[p].name;
}

static void verdict(struct webhook_event *out, enum webhook_verdict v,
                    const char *fmt, ...) PRINTF(3, 4);
static void verdict(struct webhook_event *out, enum webhook_verdict v,
                    const char *fmt, ...)
{
	va_list ap;

	out->verdict = v;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

/* 1 when s (len bytes) is printable ASCII without quotes or backslashes. */
static int plain(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '\'' || s[i] == '"' ||
		    s[i] == '\\')
			return 0;
	return 1;
}

/* Copies s into dst (n bytes), cut to fit, other bytes turned into '?'. */
static void copy_plain(char *dst, size_t n, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < n; i++)
		dst[i] = plain(s + i, 1) ? s[i] : '?';
	dst[i] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes exactly 2 * n hex digits (either case); -1 for anything else. */
static int unhex(unsigned char *out, size_t n, const char *hex)
{
	size_t i;

	if (strlen(hex) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* 0 when the request is signed or carries the token; else fills out. */
static int authenticate(struct webhook_event *out, const struct provider *p,
                        webhook_header_fn header, void *hctx, const char *body,
                        size_t len, const char *secret, size_t secret_len)
{
	unsigned char want[HASH_SHA256_LEN], got[HASH_SHA256_LEN];
	char want_hex[HASH_HEX_LEN + 1], got_hex[HASH_HEX_LEN + 1];
	const char *name = p->sig_header ? p->sig_header : p->token_header;
	const char *v = header(hctx, name);
	const char *prefix = p->sig_prefix ? p->sig_prefix : "";
	size_t plen = strlen(prefix);

	if (!secret || !secret_len) {
		verdict(out, WEBHOOK_UNAUTHORIZED,
		        "no webhook secret is configured");
		return -1;
	}
	if (!v) {
		verdict(out, WEBHOOK_UNAUTHORIZED, "missing %s header", name);
		return -1;
	}
	if (!p->sig_header) {
		/*
		 * Digests of both sides compare in a time that depends on
		 * neither the token's length nor its bytes.
		 */
		hash_sha256_hex(want_hex, secret, secret_len);
		hash_sha256_hex(got_hex, v, strlen(v));
		if (hash_equal(want_hex, got_hex, HASH_HEX_LEN))
			return 0;
		verdict(out, WEBHOOK_UNAUTHORIZED, "wrong %s", name);
		return -1;
	}
	if (strncasecmp(v, prefix, plen) != 0 ||
	    unhex(got, sizeof(got), v + plen) < 0) {
		verdict(out, WEBHOOK_UNAUTHORIZED,
		        "bad signature: %s is not %s<64 hex digits>", name,
		        prefix);
		return -1;
	}
	hash_hmac_sha256(want, secret, secret_len, body, len);
	if (hash_equal(want, got, sizeof(got)))
		return 0;
	verdict(out, WEBHOOK_UNAUTHORIZED, "bad signature");
	return -1;
}

/* 1 when s is a run of '0's (a zero object id: the ref was deleted). */
static int zero_id(const char *s)
{
	return *s && strspn(s, "0") == strlen(s);
}

/* Reads the commit a push moved the ref to, when it is a plain id. */
static void read_after(struct webhook_event *out, json_t *root)
{
	const char *keys[] = {"after", "checkout_sha"};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *a =
		        json_string_value(json_object_get(root, keys[i]));
		unsigned char tmp[32];

		/* SHA-1 (40) or SHA-256 (64) hex ids only. */
		if (a && (strlen(a) == 40 || strlen(a) == 64) &&
		    unhex(tmp, strlen(a) / 2, a) == 0) {
			copy_plain(out->after, sizeof(out->after), a);
			return;
		}
	}
}

/* Judges a push payload against the tracked branch. */
static void judge_push(struct webhook_event *out, json_t *root,
                       const char *branch, int ref_required)
{
	json_t *jref = json_object_get(root, "ref");
	const char *ref = json_string_value(jref);
	size_t rlen = json_string_length(jref);
	const char *after;

	if (!ref) {
		if (ref_required)
			verdict(out, WEBHOOK_BAD_REQUEST,
			        "a push without a \"ref\" string");
		else
			verdict(out, WEBHOOK_TRIGGER,
			        "a signed request without a ref");
		return;
	}
	if (!rlen || rlen >= sizeof(out->ref) || !plain(ref, rlen)) {
		verdict(out, WEBHOOK_BAD_REQUEST,
		        "a push whose \"ref\" is not a plain ref name");
		return;
	}
	memcpy(out->ref, ref, rlen + 1);
	read_after(out, root);
	after = json_string_value(json_object_get(root, "after"));
	if (json_is_true(json_object_get(root, "deleted")) ||
	    (after && zero_id(after))) {
		verdict(out, WEBHOOK_IGNORE, "push deletes %.200s", out->ref);
		return;
	}
	if (starts_with(ref, "refs/tags/")) {
		verdict(out, WEBHOOK_IGNORE, "push of tag %.140s, not a branch",
		        out->ref);
		return;
	}
	if (!starts_with(ref, "refs/heads/")) {
		verdict(out, WEBHOOK_IGNORE, "push to %.140s, not a branch",
		        out->ref);
		return;
	}
	if (branch && starts_with(branch, "refs/heads/"))
		branch += strlen("refs/heads/");
	if (branch && *branch && strcmp(ref + strlen("refs/heads/"), branch)) {
		verdict(out, WEBHOOK_IGNORE,
		        "push to %.80s, not the tracked branch %.40s", out->ref,
		        branch);
		return;
	}
	verdict(out, WEBHOOK_TRIGGER, "push to %.140s", out->ref);
}

/* What kind of delivery an authenticated event is. */
enum kind { KIND_PUSH, KIND_PING, KIND_OTHER };

static enum kind event_kind(enum webhook_provider p, const char *ev,
                            json_t *root)
{
	switch (p) {
	case WEBHOOK_GITHUB:
		if (!strcmp(ev, "ping"))
			return KIND_PING;
		return !strcmp(ev, "push") ? KIND_PUSH : KIND_OTHER;
	case WEBHOOK_GITEA:
		return !strcmp(ev, "push") ? KIND_PUSH : KIND_OTHER;
	case WEBHOOK_GITLAB:
		if (!strcmp(ev, "Push Hook"))
			return KIND_PUSH;
		/* A system hook names the event in the payload. */
		if (!strcmp(ev, "System Hook")) {
			const char *name = json_string_value(
			        json_object_get(root, "event_name"));

			if (name && !strcmp(name, "push"))
				return KIND_PUSH;
		}
		return KIND_OTHER;
	case WEBHOOK_GENERIC:
		return KIND_PUSH;
	}
	BUG("webhook: provider %d", (int)p);
}

void webhook_check(struct webhook_event *out, enum webhook_provider p,
                   webhook_header_fn header, void *hctx, const char *body,
                   size_t len, const char *secret, size_t secret_len,
                   const char *branch)
{
	const struct provider *pv;
	const char *ev = NULL;
	json_error_t jerr = {0};
	json_t *root = NULL;

	memset(out, 0, sizeof(*out));
	if (!body)
		body = "";
	if ((size_t)p >= ARRAY_SIZE(providers))
		BUG("webhook: provider %d", (int)p);
	pv = &providers[p];
	if (pv->event_header && (ev = header(hctx, pv->event_header)))
		copy_plain(out->event, sizeof(out->event), ev);
	if (authenticate(out, pv, header, hctx, body, len, secret, secret_len) <
	    0)
		return;
	if (pv->event_header && !ev) {
		verdict(out, WEBHOOK_BAD_REQUEST, "missing %s header",
		        pv->event_header);
		return;
	}
	/* The generic hook may be a bare signed POST: an empty object. */
	if (p == WEBHOOK_GENERIC && strspn(body, " \t\r\n") == len)
		root = json_object();
	else
		root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		/* jansson's text may quote the body: only the position. */
		verdict(out, WEBHOOK_BAD_REQUEST,
		        "the body is not JSON (line %d, column %d); the hook's "
		        "content type must be application/json",
		        jerr.line, jerr.column);
		return;
	}
	if (!json_is_object(root)) {
		verdict(out, WEBHOOK_BAD_REQUEST,
		        "the body is not a JSON object");
		goto out;
	}
	switch (event_kind(p, ev ? ev : "", root)) {
	case KIND_PING:
		verdict(out, WEBHOOK_IGNORE, "ping: the hook is set up");
		break;
	case KIND_OTHER:
		verdict(out, WEBHOOK_IGNORE, "event '%.60s' is not a push",
		        out->event);
		break;
	case KIND_PUSH:
		judge_push(out, root, branch, p != WEBHOOK_GENERIC);
		break;
	}
out:
	json_decref(root);
}
