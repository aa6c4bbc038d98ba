/*
 * test-webhook.c: what each provider's delivery means: signed pushes to
 * the tracked branch trigger; other branches, tags, deletions, pings and
 * other events are ignored; missing, malformed, forged or truncated
 * signatures and tokens are refused; unsigned requests are refused before
 * anything else; reasons never carry the secret, the signature or the body.
 *
 * Payloads have the shape the providers send (trimmed of fields kedge does
 * not read). Signatures come from hash_hmac_sha256, itself checked against
 * RFC 4231 and GitHub's documented example.
 */
#include "unit.h"

#include "err.h"
#include "hash.h"
#include "webhook.h"

#define SECRET "s3cret-for-hooks"
#define AFTER  "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"
#define ZEROS  "0000000000000000000000000000000000000000"

static const char github_push[] =
        "{\"ref\":\"refs/heads/main\","
        "\"before\":\"6113728f27ae82c7b1a177c8d03f9e96e0adf246\","
        "\"after\":\"" AFTER "\",\"created\":false,\"deleted\":false,"
        "\"forced\":false,\"repository\":{\"id\":1296269,\"name\":"
        "\"deploy\",\"full_name\":\"acme/deploy\",\"default_branch\":"
        "\"main\"},\"pusher\":{\"name\":\"dev\"},\"commits\":[]}";

static const char gitlab_push[] =
        "{\"object_kind\":\"push\",\"event_name\":\"push\","
        "\"before\":\"95790bf891e76fee5e1747ab589903a6a1f80f22\","
        "\"after\":\"" AFTER "\",\"ref\":\"refs/heads/main\","
        "\"ref_protected\":true,\"checkout_sha\":\"" AFTER "\","
        "\"user_name\":\"dev\",\"project_id\":15,\"project\":{\"id\":15,"
        "\"path_with_namespace\":\"acme/deploy\",\"default_branch\":"
        "\"main\"},\"commits\":[],\"total_commits_count\":0}";

/* A request's headers, looked up case-insensitively. */
struct hdrs {
	const char *name[4];
	const char *value[4];
};

static const char *lookup(void *ctx, const char *name)
{
	struct hdrs *h = ctx;
	int i;

	for (i = 0; i < 4 && h->name[i]; i++)
		if (!strcasecmp(h->name[i], name))
			return h->value[i];
	return NULL;
}

static void hex(char *out, const unsigned char *b, size_t n, int upper)
{
	static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = (upper ? up : lo)[b[i] >> 4];
		out[2 * i + 1] = (upper ? up : lo)[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* "<prefix><hex HMAC-SHA256(secret, body)>" into out (>= 80 bytes). */
static void sign(char *out, const char *prefix, const char *secret,
                 const char *body, int upper)
{
	unsigned char mac[HASH_SHA256_LEN];

	hash_hmac_sha256(mac, secret, strlen(secret), body, strlen(body));
	snprintf(out, 8, "%s", prefix);
	hex(out + strlen(prefix), mac, sizeof(mac), upper);
}

/* One provider's way of signing and naming events. */
struct prov {
	enum webhook_provider p;
	const char *sig_header, *prefix; /* NULL sig_header: token */
	const char *token_header, *event_header;
	const char *push_event, *ping_event;
	const char *push; /* a push to main */
};

static const struct prov provs[] = {
        {WEBHOOK_GITHUB, "X-Hub-Signature-256", "sha256=", NULL,
         "X-GitHub-Event", "push", "ping", github_push},
        {WEBHOOK_GITLAB, NULL, NULL, "X-Gitlab-Token", "X-Gitlab-Event",
         "Push Hook", "Merge Request Hook", gitlab_push},
        {WEBHOOK_GITEA, "X-Gitea-Signature", "", NULL, "X-Gitea-Event", "push",
         "issues", github_push},
        {WEBHOOK_GENERIC, "X-Kedge-Signature", "sha256=", NULL, NULL, NULL,
         NULL, github_push},
};

/* Runs webhook_check for body signed (or carrying the token) correctly. */
static struct webhook_event deliver(const struct prov *pv, const char *event,
                                    const char *body, const char *branch)
{
	struct webhook_event ev;
	struct hdrs h = {{NULL}, {NULL}};
	char sig[80];
	int n = 0;

	if (pv->sig_header) {
		sign(sig, pv->prefix, SECRET, body, 0);
		h.name[n] = pv->sig_header;
		h.value[n++] = sig;
	} else {
		h.name[n] = pv->token_header;
		h.value[n++] = SECRET;
	}
	if (pv->event_header && event) {
		h.name[n] = pv->event_header;
		h.value[n++] = event;
	}
	webhook_check(&ev, pv->p, lookup, &h, body, strlen(body), SECRET,
	              strlen(SECRET), branch);
	return ev;
}

/* Replaces the first occurrence of from in s with to; the caller frees. */
static char *replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);

	ck_assert_ptr_nonnull(at);
	return xasprintf("%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
}

START_TEST(hmac_known_answers)
{
	unsigned char mac[HASH_SHA256_LEN];
	char out[80];

	/* RFC 4231, test case 2. */
	hash_hmac_sha256(mac, "Jefe", 4, "what do ya want for nothing?", 28);
	hex(out, mac, sizeof(mac), 0);
	ck_assert_str_eq(out, "5bdcc146bf60754e6a042426089575c75a003f089d273983"
	                      "9dec58b964ec3843");
	/* GitHub's documented example of X-Hub-Signature-256. */
	sign(out, "sha256=", "It's a Secret to Everybody", "Hello, World!", 0);
	ck_assert_str_eq(out, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d"
	                      "7586c22c46f4379c8b043e17");
	ck_assert_int_eq(hash_equal("abc", "abc", 3), 1);
	ck_assert_int_eq(hash_equal("abc", "abd", 3), 0);
}
END_TEST

START_TEST(provider_names)
{
	enum webhook_provider p = WEBHOOK_GENERIC;
	const char *names[] = {"github", "gitlab", "gitea", "generic"};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		ck_assert_int_eq(webhook_provider_parse(&p, names[i]), 0);
		ck_assert_int_eq(p, (enum webhook_provider)i);
		ck_assert_str_eq(webhook_provider_name(p), names[i]);
	}
	ck_assert_int_eq(webhook_provider_parse(&p, "GitHub"), ERR_NOTFOUND);
	ck_assert_int_eq(webhook_provider_parse(&p, "bitbucket"), ERR_NOTFOUND);
	ck_assert_int_eq(webhook_provider_parse(&p, NULL), ERR_NOTFOUND);
}
END_TEST

START_TEST(push_to_branch_triggers)
{
	const struct prov *pv = &provs[_i];
	struct webhook_event ev = deliver(pv, pv->push_event, pv->push, "main");

	ck_assert_msg(ev.verdict == WEBHOOK_TRIGGER, "%s: %s",
	              webhook_provider_name(pv->p), ev.reason);
	ck_assert_str_eq(ev.ref, "refs/heads/main");
	ck_assert_str_eq(ev.after, AFTER);
	ck_assert_str_eq(ev.event, pv->push_event ? pv->push_event : "");
	ck_assert_str_eq(ev.reason, "push to refs/heads/main");
	/* The branch may be given as a full ref, or left out. */
	ev = deliver(pv, pv->push_event, pv->push, "refs/heads/main");
	ck_assert_int_eq(ev.verdict, WEBHOOK_TRIGGER);
	ev = deliver(pv, pv->push_event, pv->push, NULL);
	ck_assert_int_eq(ev.verdict, WEBHOOK_TRIGGER);
	ev = deliver(pv, pv->push_event, pv->push, "");
	ck_assert_int_eq(ev.verdict, WEBHOOK_TRIGGER);
}
END_TEST

START_TEST(push_to_other_branch_ignored)
{
	const struct prov *pv = &provs[_i];
	char *body = replace(pv->push, "refs/heads/main", "refs/heads/dev");
	struct webhook_event ev = deliver(pv, pv->push_event, body, "main");

	ck_assert_int_eq(ev.verdict, WEBHOOK_IGNORE);
	ck_assert_str_eq(ev.ref, "refs/heads/dev");
	ck_assert_str_eq(ev.reason,
	                 "push to refs/heads/dev, not the tracked branch main");
	/* A branch whose name starts like the tracked one is another one. */
	free(body);
	body = replace(pv->push, "refs/heads/main", "refs/heads/main2");
	ev = deliver(pv, pv->push_event, body, "main");
	ck_assert_int_eq(ev.verdict, WEBHOOK_IGNORE);
	/* Any branch triggers when none is tracked. */
	ev = deliver(pv, pv->push_event, body, NULL);
	ck_assert_int_eq(ev.verdict, WEBHOOK_TRIGGER);
	free(body);
}
END_TEST

START_TEST(tag_push_ignored)
{
	const struct prov *pv = &provs[_i];
	char *body = replace(pv->push, "refs/heads/main", "refs/tags/v1.2.0");
	struct webhook_event ev = deliver(pv, pv->push_event, body, "main");

	ck_assert_int_eq(ev.verdict, WEBHOOK_IGNORE);
	ck_assert_str_eq(ev.ref, "refs/tags/v1.2.0");
	ck_assert_str_eq(ev.reason,
	                 "push of tag refs/tags/v1.2.0, not a branch");
	ev = deliver(pv, pv->push_event, body, NULL);
	ck_assert_int_eq(ev.verdict, WEBHOOK_IGNORE);
	free(body);
}
END_TEST

START_TEST(branch_deletion_ignored)
{
	const struct prov *pv = &provs[_i];
	char *body =
	        replace(pv->push, "\"after\":\"" AFTER, "\"after\":\"" ZEROS);
	struct webhook_event ev = deliver(pv, pv->push_event, body, "main");

	ck_assert_int_eq(ev.verdict, WEBHOOK_IGNORE);
	ck_assert_str_eq(ev.reason, "push deletes refs/heads/main");
	free(body);
	if (pv->push == github_push) {
		body = replace(pv->push, "\"deleted\":false",
		               "\"deleted\":true");
		ev = deliver(pv, pv->push_event, body, "main");
		ck_assert_int_eq(ev.verdict, WEBHOOK_IGNORE);
		free(body);
	}
}
END_TEST

START_TEST(ping_and_other_events_ignored)
{
	const struct prov *pv = &provs[_i];
	struct webhook_event ev;

	if (!pv->event_header)
		return; /* generic: no event header, every request is a push */
	ev = deliver(pv, pv->ping_event,
	             "{\"zen\":\"Keep it logically awesome.\",\"hook_id\":1}",
	             "main");
	ck_assert_msg(ev.verdict == WEBHOOK_IGNORE, "%s", ev.reason);
	ck_assert_str_eq(ev.event, pv->ping_event);
	/* Even a push payload under another event name triggers nothing. */
	ev = deliver(pv, "release", pv->push, "main");
	ck_assert_int_eq(ev.verdict, WEBHOOK_IGNORE);
	ck_assert_str_eq(ev.reason, "event 'release' is not a push");
}
END_TEST

START_TEST(github_ping_reason)
{
	struct webhook_event ev = deliver(&provs[WEBHOOK_GITHUB], "ping",
	                                  "{\"zen\":\"x\"}", "main");

	ck_assert_int_eq(ev.verdict, WEBHOOK_IGNORE);
	ck_assert_str_eq(ev.reason, "ping: the hook is set up");
}
END_TEST

/* Delivers pv->push with the given auth header value (NULL: none). */
static struct webhook_event with_auth(const struct prov *pv, const char *value)
{
	struct webhook_event ev;
	struct hdrs h = {{NULL}, {NULL}};
	int n = 0;

	if (value) {
		h.name[n] = pv->sig_header ? pv->sig_header : pv->token_header;
		h.value[n++] = value;
	}
	if (pv->event_header) {
		h.name[n] = pv->event_header;
		h.value[n++] = pv->push_event;
	}
	webhook_check(&ev, pv->p, lookup, &h, pv->push, strlen(pv->push),
	              SECRET, strlen(SECRET), "main");
	ck_assert_ptr_null(strstr(ev.reason, SECRET));
	if (value && *value)
		ck_assert_ptr_null(strstr(ev.reason, value));
	ck_assert_ptr_null(strstr(ev.reason, "acme/deploy"));
	return ev;
}

START_TEST(missing_or_bad_signature_refused)
{
	const struct prov *pv = &provs[_i];
	const char *name = pv->sig_header ? pv->sig_header : pv->token_header;
	struct webhook_event ev = with_auth(pv, NULL);
	char want[128], sig[80], *bad;

	snprintf(want, sizeof(want), "missing %s header", name);
	ck_assert_int_eq(ev.verdict, WEBHOOK_UNAUTHORIZED);
	ck_assert_str_eq(ev.reason, want);
	ck_assert_int_eq(with_auth(pv, "").verdict, WEBHOOK_UNAUTHORIZED);
	if (!pv->sig_header) {
		/* GitLab: the token itself, compared whole. */
		ev = with_auth(pv, "not-the-token");
		ck_assert_int_eq(ev.verdict, WEBHOOK_UNAUTHORIZED);
		ck_assert_str_eq(ev.reason, "wrong X-Gitlab-Token");
		ck_assert_int_eq(with_auth(pv, "s3cret-for-hook").verdict,
		                 WEBHOOK_UNAUTHORIZED);
		ck_assert_int_eq(with_auth(pv, SECRET "s").verdict,
		                 WEBHOOK_UNAUTHORIZED);
		ck_assert_int_eq(with_auth(pv, "S3CRET-FOR-HOOKS").verdict,
		                 WEBHOOK_UNAUTHORIZED);
		ck_assert_int_eq(with_auth(pv, SECRET).verdict,
		                 WEBHOOK_TRIGGER);
		return;
	}
	/* Signed with another secret. */
	sign(sig, pv->prefix, "another-secret", pv->push, 0);
	ev = with_auth(pv, sig);
	ck_assert_int_eq(ev.verdict, WEBHOOK_UNAUTHORIZED);
	ck_assert_str_eq(ev.reason, "bad signature");
	/* The signature of another body. */
	sign(sig, pv->prefix, SECRET, "{\"ref\":\"refs/heads/main\"}", 0);
	ck_assert_int_eq(with_auth(pv, sig).verdict, WEBHOOK_UNAUTHORIZED);
	/* Truncated, extended, not hex, wrong prefix. */
	sign(sig, pv->prefix, SECRET, pv->push, 0);
	bad = xstrndup(sig, strlen(sig) - 2);
	ck_assert_int_eq(with_auth(pv, bad).verdict, WEBHOOK_UNAUTHORIZED);
	free(bad);
	bad = xasprintf("%s00", sig);
	ck_assert_int_eq(with_auth(pv, bad).verdict, WEBHOOK_UNAUTHORIZED);
	free(bad);
	bad = xstrdup(sig);
	bad[strlen(bad) - 1] = 'g';
	ck_assert_int_eq(with_auth(pv, bad).verdict, WEBHOOK_UNAUTHORIZED);
	free(bad);
	bad = xasprintf("sha1=%s", sig + strlen(pv->prefix));
	ev = with_auth(pv, bad);
	ck_assert_int_eq(ev.verdict, WEBHOOK_UNAUTHORIZED);
	free(bad);
	/* The right one, for contrast. */
	ck_assert_int_eq(with_auth(pv, sig).verdict, WEBHOOK_TRIGGER);
}
END_TEST

START_TEST(uppercase_hex_accepted)
{
	const struct prov *pv = &provs[_i];
	char sig[80];

	if (!pv->sig_header)
		return; /* GitLab sends the token, not a digest */
	sign(sig, pv->prefix, SECRET, pv->push, 1);
	ck_assert_int_eq(with_auth(pv, sig).verdict, WEBHOOK_TRIGGER);
}
END_TEST

START_TEST(unsigned_ping_refused)
{
	const struct prov *pv = &provs[_i];
	struct hdrs h = {{pv->event_header ? pv->event_header : "X-Other"},
	                 {pv->ping_event ? pv->ping_event : "x"}};
	struct webhook_event ev;
	const char *body = "not json at all";

	/* Refused before the body is looked at (not a 400). */
	webhook_check(&ev, pv->p, lookup, &h, body, strlen(body), SECRET,
	              strlen(SECRET), "main");
	ck_assert_int_eq(ev.verdict, WEBHOOK_UNAUTHORIZED);
	ck_assert_str_eq(ev.event, pv->event_header ? pv->ping_event : "");
}
END_TEST

START_TEST(empty_secret_refuses_everything)
{
	const struct prov *pv = &provs[_i];
	struct hdrs h = {{NULL}, {NULL}};
	struct webhook_event ev;
	char sig[80];

	/* Even a request signed with the empty key. */
	if (pv->sig_header) {
		sign(sig, pv->prefix, "", pv->push, 0);
		h.name[0] = pv->sig_header;
		h.value[0] = sig;
	} else {
		h.name[0] = pv->token_header;
		h.value[0] = "";
	}
	h.name[1] = pv->event_header;
	h.value[1] = pv->push_event;
	webhook_check(&ev, pv->p, lookup, &h, pv->push, strlen(pv->push), "", 0,
	              "main");
	ck_assert_int_eq(ev.verdict, WEBHOOK_UNAUTHORIZED);
	ck_assert_str_eq(ev.reason, "no webhook secret is configured");
	webhook_check(&ev, pv->p, lookup, &h, pv->push, strlen(pv->push), NULL,
	              0, "main");
	ck_assert_int_eq(ev.verdict, WEBHOOK_UNAUTHORIZED);
}
END_TEST

START_TEST(signed_non_json_is_bad_request)
{
	const struct prov *pv = &provs[_i];
	const char *body = "payload=%7B%22ref%22%3A%22BODYBYTES%22%7D";
	struct webhook_event ev = deliver(pv, pv->push_event, body, "main");

	ck_assert_int_eq(ev.verdict, WEBHOOK_BAD_REQUEST);
	ck_assert_msg(starts_with(ev.reason, "the body is not JSON (line 1, "),
	              "%s", ev.reason);
	ck_assert_ptr_null(strstr(ev.reason, "BODYBYTES"));
	ck_assert_ptr_null(strstr(ev.reason, "payload"));
	ev = deliver(pv, pv->push_event, "[\"refs/heads/main\"]", "main");
	ck_assert_int_eq(ev.verdict, WEBHOOK_BAD_REQUEST);
	ck_assert_str_eq(ev.reason, "the body is not a JSON object");
}
END_TEST

START_TEST(push_without_ref_is_bad_request)
{
	const struct prov *pv = &provs[_i];
	char *body = replace(pv->push, "\"ref\":", "\"reff\":");
	struct webhook_event ev = deliver(pv, pv->push_event, body, "main");

	if (pv->p == WEBHOOK_GENERIC) {
		/* The generic hook triggers without a ref. */
		ck_assert_int_eq(ev.verdict, WEBHOOK_TRIGGER);
	} else {
		ck_assert_int_eq(ev.verdict, WEBHOOK_BAD_REQUEST);
		ck_assert_str_eq(ev.reason, "a push without a \"ref\" string");
	}
	free(body);
	/* A ref with a control character or a quote is not taken. */
	body = replace(pv->push, "refs/heads/main", "refs/heads/ma\\nin");
	ev = deliver(pv, pv->push_event, body, NULL);
	ck_assert_int_eq(ev.verdict, WEBHOOK_BAD_REQUEST);
	ck_assert_str_eq(ev.ref, "");
	free(body);
}
END_TEST

START_TEST(missing_event_header_is_bad_request)
{
	const struct prov *pv = &provs[_i];
	struct webhook_event ev;
	char want[96];

	if (!pv->event_header)
		return;
	ev = deliver(pv, NULL, pv->push, "main");
	snprintf(want, sizeof(want), "missing %s header", pv->event_header);
	ck_assert_int_eq(ev.verdict, WEBHOOK_BAD_REQUEST);
	ck_assert_str_eq(ev.reason, want);
}
END_TEST

START_TEST(gitlab_hooks)
{
	const struct prov *pv = &provs[WEBHOOK_GITLAB];
	char *body = replace(gitlab_push, "refs/heads/main", "refs/tags/v1");
	struct webhook_event ev = deliver(pv, "Tag Push Hook", body, "main");

	ck_assert_int_eq(ev.verdict, WEBHOOK_IGNORE);
	ck_assert_str_eq(ev.reason, "event 'Tag Push Hook' is not a push");
	free(body);
	/* A system hook's push names itself in the payload. */
	ev = deliver(pv, "System Hook", gitlab_push, "main");
	ck_assert_int_eq(ev.verdict, WEBHOOK_TRIGGER);
	ck_assert_str_eq(ev.after, AFTER);
	body = replace(gitlab_push, "\"event_name\":\"push\"",
	               "\"event_name\":\"tag_push\"");
	ev = deliver(pv, "System Hook", body, "main");
	ck_assert_int_eq(ev.verdict, WEBHOOK_IGNORE);
	free(body);
	/* "after" missing: checkout_sha names the commit. */
	body = replace(gitlab_push, "\"after\":", "\"afterwards\":");
	ev = deliver(pv, "Push Hook", body, "main");
	ck_assert_int_eq(ev.verdict, WEBHOOK_TRIGGER);
	ck_assert_str_eq(ev.after, AFTER);
	free(body);
}
END_TEST

START_TEST(generic_hook_bodies)
{
	const struct prov *pv = &provs[WEBHOOK_GENERIC];
	struct webhook_event ev = deliver(pv, NULL, "", "main");

	/* A bare signed POST, or any object without a ref, triggers. */
	ck_assert_int_eq(ev.verdict, WEBHOOK_TRIGGER);
	ck_assert_str_eq(ev.ref, "");
	ev = deliver(pv, NULL, "{\"reason\":\"ci\"}", "main");
	ck_assert_int_eq(ev.verdict, WEBHOOK_TRIGGER);
	ev = deliver(pv, NULL, "{\"ref\":\"refs/heads/dev\"}", "main");
	ck_assert_int_eq(ev.verdict, WEBHOOK_IGNORE);
	ev = deliver(pv, NULL, "{\"ref\":\"refs/heads/main\"}", "main");
	ck_assert_int_eq(ev.verdict, WEBHOOK_TRIGGER);
	ck_assert_str_eq(ev.after, "");
}
END_TEST

START_TEST(reasons_never_leak)
{
	const struct prov *pv = &provs[_i];
	const char *bodies[] = {pv->push, "not json SECRETBODY", "[1]", "{}"};
	const char *events[] = {pv->push_event, pv->ping_event, "other"};
	char sig[80];
	size_t b, e;

	sign(sig, pv->prefix ? pv->prefix : "", SECRET, pv->push, 0);
	for (b = 0; b < ARRAY_SIZE(bodies); b++)
		for (e = 0; e < ARRAY_SIZE(events); e++) {
			struct webhook_event ev =
			        deliver(pv, events[e], bodies[b], "main");

			ck_assert_ptr_null(strstr(ev.reason, SECRET));
			ck_assert_ptr_null(strstr(
			        ev.reason,
			        sig + strlen(pv->prefix ? pv->prefix : "")));
			ck_assert_ptr_null(strstr(ev.reason, "SECRETBODY"));
			ck_assert_ptr_null(strstr(ev.reason, "acme"));
		}
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("webhook");
	int n = (int)ARRAY_SIZE(provs);
	TCase *tc = tcase_create("providers");

	UNIT_TCASE(s, hmac_known_answers);
	UNIT_TCASE(s, provider_names);
	UNIT_TCASE(s, github_ping_reason);
	UNIT_TCASE(s, gitlab_hooks);
	UNIT_TCASE(s, generic_hook_bodies);
	/* Each of these runs once per provider (_i indexes provs). */
	tcase_add_loop_test(tc, push_to_branch_triggers, 0, n);
	tcase_add_loop_test(tc, push_to_other_branch_ignored, 0, n);
	tcase_add_loop_test(tc, tag_push_ignored, 0, n);
	tcase_add_loop_test(tc, branch_deletion_ignored, 0, n);
	tcase_add_loop_test(tc, ping_and_other_events_ignored, 0, n);
	tcase_add_loop_test(tc, missing_or_bad_signature_refused, 0, n);
	tcase_add_loop_test(tc, uppercase_hex_accepted, 0, n);
	tcase_add_loop_test(tc, unsigned_ping_refused, 0, n);
	tcase_add_loop_test(tc, empty_secret_refuses_everything, 0, n);
	tcase_add_loop_test(tc, signed_non_json_is_bad_request, 0, n);
	tcase_add_loop_test(tc, push_without_ref_is_bad_request, 0, n);
	tcase_add_loop_test(tc, missing_event_header_is_bad_request, 0, n);
	tcase_add_loop_test(tc, reasons_never_leak, 0, n);
	suite_add_tcase(s, tc);
	return s;
}
