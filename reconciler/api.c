/*
 * api.c: the daemon's routes, declared in api.h.
 *
 * Every reply body is JSON ({"error": "..."} for a refusal) except
 * /healthz, /readyz and /metrics, which are text. A route exists for one
 * method; any other method answers 405 with Allow.
 */
#include <stdlib.h>

#include <jansson.h>

#include "api.h"
#include "buf.h"
#include "daemon.h"
#include "err.h"
#include "hash.h"
#include "httpd.h"
#include "log.h"
#include "mcp-http.h"
#include "metrics.h"
#include "store.h"
#include "webhook.h"

#define HISTORY_MAX 1000

static void reply_text(struct httpd_reply *rep, int status, const char *ct,
                       const char *text)
{
	rep->status = status;
	rep->content_type = ct;
	if (buf_addstr(&rep->body, text))
		BUG("uncapped buffer refused to grow");
}

/* Replies with j (stolen). */
static void reply_json(struct httpd_reply *rep, int status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(j);
	reply_text(rep, status, "application/json", s ? s : "{}");
	if (buf_addch(&rep->body, '\n'))
		BUG("uncapped buffer refused to grow");
	free(s);
}

static void reply_error(struct httpd_reply *rep, int status, const char *msg)
{
	reply_json(rep, status, json_pack("{s:s}", "error", msg));
}

static int status_of(int error)
{
	switch (error) {
	case ERR_NOTFOUND:
		return 404;
	case ERR_CONFLICT:
		return 409;
	case ERR_INVALID:
		return 400;
	case ERR_CANCELED:
		return 503;
	default:
		return 500;
	}
}

static void reply_err(struct httpd_reply *rep, int error, const struct err *e)
{
	reply_error(rep, status_of(error), e->msg[0] ? e->msg : err_str(error));
}

static void audit(struct api *a, const struct httpd_request *req,
                  const char *source, const char *what, int status)
{
	char code[16];
	struct err e;

	snprintf(code, sizeof(code), "%d", status);
	err_clear(&e);
	if (store_audit(a->store, source, req->remote ? req->remote : "", what,
	                code, &e))
		log_warn("api", "cannot record the audit entry: %s", e.msg);
}

/* Equal in time that does not depend on where they differ. */
static int secret_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	char ha[HASH_HEX_LEN + 1], hb[HASH_HEX_LEN + 1];
	unsigned diff = 0;

	hash_sha256_hex(ha, a, alen);
	hash_sha256_hex(hb, b, blen);
	for (size_t i = 0; i < HASH_HEX_LEN; i++)
		diff |= (unsigned)(ha[i] ^ hb[i]);
	return diff == 0;
}

/* The bearer token check of the write API; replies 401 when it fails. */
static int authorized(struct api *a, const struct httpd_request *req,
                      struct httpd_reply *rep)
{
	const char *h = httpd_header(req, "Authorization");

	if (!a->api_token) {
		rep->www_authenticate = "Bearer realm=\"kedge\"";
		reply_error(rep, 401,
		            "the write API is off: kedge run has no "
		            "--api-token-file");
		return 0;
	}
	if (!h || strncasecmp(h, "Bearer ", 7) ||
	    !secret_equal(h + 7, strlen(h + 7), a->api_token,
	                  strlen(a->api_token))) {
		rep->www_authenticate = "Bearer realm=\"kedge\"";
		reply_error(rep, 401,
		            h ? "the bearer token is not valid"
		              : "a bearer token is required (Authorization: "
		                "Bearer <token>)");
		return 0;
	}
	return 1;
}

static int method_is(const struct httpd_request *req, const char *m,
                     struct httpd_reply *rep)
{
	if (!strcmp(req->method, m) ||
	    (!strcmp(m, "GET") && !strcmp(req->method, "HEAD")))
		return 1;
	rep->allow = m;
	reply_error(rep, 405, "method not allowed");
	return 0;
}

static const char *header_of(void *ctx, const char *name)
{
	return httpd_header(ctx, name);
}

static void count_hook(struct api *a, const char *provider, const char *result)
{
	metrics_add(
	        a->metrics, "kedge_webhook_requests_total",
	        (const char *[]){"provider", provider, "result", result, NULL},
	        1);
}

static void hook(struct api *a, const struct httpd_request *req,
                 const char *name, struct httpd_reply *rep)
{
	enum webhook_provider p;
	struct webhook_event ev;
	char source[64], trigger[64], *branch;
	int64_t id = 0;
	struct err e;
	int error;

	if (webhook_provider_parse(&p, name)) {
		reply_error(rep, 404,
		            "no such webhook provider (github, "
		            "gitlab, gitea, generic)");
		return;
	}
	snprintf(source, sizeof(source), "webhook:%s", name);
	if (strcmp(req->method, "POST")) {
		count_hook(a, name, "method_not_allowed");
		rep->allow = "POST";
		reply_error(rep, 405, "webhooks are POST requests");
		audit(a, req, source, req->method, 405);
		return;
	}
	if (req->too_big) {
		count_hook(a, name, "too_large");
		reply_error(rep, 413, "the body is larger than 1 MiB");
		audit(a, req, source, "body too large", 413);
		return;
	}
	if (!a->webhook_secret) {
		count_hook(a, name, "unauthorized");
		reply_error(rep, 401,
		            "webhooks are off: kedge run has no "
		            "--webhook-secret-file");
		audit(a, req, source, "no secret configured", 401);
		return;
	}
	branch = daemon_branch(a->daemon);
	webhook_check(&ev, p, header_of, (void *)req, req->body, req->body_len,
	              a->webhook_secret, a->webhook_secret_len, branch);
	free(branch);
	switch (ev.verdict) {
	case WEBHOOK_TRIGGER:
		snprintf(trigger, sizeof(trigger), "webhook:%s", name);
		err_clear(&e);
		error = daemon_trigger(a->daemon, trigger, &id, &e);
		if (error) {
			count_hook(a, name, "error");
			reply_err(rep, error, &e);
			audit(a, req, source, ev.ref, rep->status);
			return;
		}
		count_hook(a, name, "accepted");
		log_info("api", "push accepted provider=%s ref=%s", name,
		         ev.ref);
		reply_json(rep, 202,
		           json_pack("{s:I, s:s}", "id", (json_int_t)id,
		                     "state", "queued"));
		break;
	case WEBHOOK_IGNORE:
		count_hook(a, name, "ignored");
		log_info("api", "webhook ignored provider=%s reason=\"%s\"",
		         name, ev.reason);
		reply_json(rep, 200, json_pack("{s:s}", "ignored", ev.reason));
		break;
	case WEBHOOK_UNAUTHORIZED:
		count_hook(a, name, "unauthorized");
		log_warn("api",
		         "webhook refused provider=%s remote=%s reason=\"%s\"",
		         name, req->remote ? req->remote : "?", ev.reason);
		reply_error(rep, 401, ev.reason);
		break;
	default:
		count_hook(a, name, "bad_request");
		reply_error(rep, 400, ev.reason);
		break;
	}
	audit(a, req, source,
	      *ev.ref     ? ev.ref
	      : *ev.event ? ev.event
	                  : "(no event)",
	      rep->status);
}

static size_t limit_of(const struct httpd_request *req, size_t dflt)
{
	const char *l = httpd_query(req, "limit");
	char *end;
	unsigned long v;

	if (!l)
		return dflt;
	v = strtoul(l, &end, 10);
	if (*end || !v)
		return dflt;
	return v > HISTORY_MAX ? HISTORY_MAX : v;
}

static void history(struct api *a, const struct httpd_request *req,
                    struct httpd_reply *rep)
{
	const char *stack = httpd_query(req, "stack");
	size_t limit = limit_of(req, 20);
	json_t *recs = NULL, *drift = NULL;
	struct err e;
	int error;

	err_clear(&e);
	error = store_reconcile_list(&recs, a->store, stack, limit, &e);
	if (!error)
		error = store_drift_list(&drift, a->store, stack, limit, &e);
	if (error) {
		json_decref(recs);
		reply_err(rep, error, &e);
		return;
	}
	reply_json(rep, 200,
	           json_pack("{s:o, s:o}", "reconciles", recs, "drift", drift));
}

static void reconcile_get(struct api *a, const char *idtext,
                          struct httpd_reply *rep)
{
	char *end;
	long long id = strtoll(idtext, &end, 10);
	json_t *r = NULL;
	struct err e;
	int error;

	if (*end || id <= 0) {
		reply_error(rep, 404, "no such reconcile");
		return;
	}
	err_clear(&e);
	error = store_reconcile_get(&r, a->store, id, &e);
	if (error)
		reply_err(rep, error, &e);
	else
		reply_json(rep, 200, r);
}

static void reconcile_post(struct api *a, const struct httpd_request *req,
                           struct httpd_reply *rep)
{
	int64_t id = 0;
	struct err e;
	int error;

	err_clear(&e);
	error = daemon_trigger(a->daemon, "api", &id, &e);
	if (error)
		reply_err(rep, error, &e);
	else
		reply_json(rep, 202,
		           json_pack("{s:I, s:s}", "id", (json_int_t)id,
		                     "state", "queued"));
	audit(a, req, "api", "POST /api/v1/reconcile", rep->status);
}

/* /api/v1/stacks/<stack>/suspend|resume */
static void stack_post(struct api *a, const struct httpd_request *req,
                       const char *rest, struct httpd_reply *rep)
{
	const char *slash = strchr(rest, '/');
	char stack[128], what[200];
	int suspend;
	struct err e;
	int error;

	if (!slash || (size_t)(slash - rest) >= sizeof(stack) ||
	    slash == rest ||
	    (strcmp(slash, "/suspend") && strcmp(slash, "/resume"))) {
		reply_error(rep, 404, "not found");
		return;
	}
	if (!method_is(req, "POST", rep) || !authorized(a, req, rep)) {
		audit(a, req, "api", req->path, rep->status);
		return;
	}
	memcpy(stack, rest, (size_t)(slash - rest));
	stack[slash - rest] = '\0';
	suspend = !strcmp(slash, "/suspend");
	err_clear(&e);
	error = daemon_suspend(a->daemon, stack, suspend, &e);
	if (error)
		reply_err(rep, error, &e);
	else
		reply_json(rep, 200,
		           json_pack("{s:s, s:b}", "stack", stack, "suspended",
		                     suspend));
	snprintf(what, sizeof(what), "POST /api/v1/stacks/%s%s", stack, slash);
	audit(a, req, "api", what, rep->status);
}

/* /api/v1/plans/<id>/approve */
static void plan_post(struct api *a, const struct httpd_request *req,
                      const char *rest, struct httpd_reply *rep)
{
	const char *slash = strchr(rest, '/');
	char id[80], what[160];
	int64_t rid = 0;
	struct err e;
	int error;

	if (!slash || slash == rest || (size_t)(slash - rest) >= sizeof(id) ||
	    strcmp(slash, "/approve")) {
		reply_error(rep, 404, "not found");
		return;
	}
	if (!method_is(req, "POST", rep) || !authorized(a, req, rep)) {
		audit(a, req, "api", req->path, rep->status);
		return;
	}
	memcpy(id, rest, (size_t)(slash - rest));
	id[slash - rest] = '\0';
	err_clear(&e);
	error = daemon_approve(a->daemon, id, &rid, &e);
	if (error)
		reply_err(rep, error, &e);
	else
		reply_json(rep, 202,
		           json_pack("{s:s, s:s, s:I}", "id", id, "state",
		                     "approved", "reconcile", (json_int_t)rid));
	snprintf(what, sizeof(what), "POST /api/v1/plans/%s/approve", id);
	audit(a, req, "api", what, rep->status);
}

void api_handle(void *ctx, const struct httpd_request *req,
                struct httpd_reply *rep)
{
	struct api *a = ctx;
	const char *p = req->path;

	if (starts_with(p, "/hooks/")) {
		hook(a, req, p + 7, rep);
	} else if (!strcmp(p, "/mcp") && a->mcp) {
		mcp_http_handle(a->mcp, req, rep);
	} else if (req->too_big) {
		reply_error(rep, 413, "the body is larger than 1 MiB");
	} else if (!strcmp(p, "/healthz")) {
		if (method_is(req, "GET", rep))
			reply_text(rep, 200, "text/plain", "ok\n");
	} else if (!strcmp(p, "/readyz")) {
		if (!method_is(req, "GET", rep))
			return;
		if (daemon_ready(a->daemon))
			reply_text(rep, 200, "text/plain", "ready\n");
		else
			reply_text(rep, 503, "text/plain",
			           "not ready: the first reconcile has not "
			           "finished\n");
	} else if (!strcmp(p, "/metrics")) {
		if (!method_is(req, "GET", rep))
			return;
		rep->status = 200;
		rep->content_type = "text/plain; version=0.0.4; charset=utf-8";
		metrics_render(a->metrics, &rep->body);
	} else if (!strcmp(p, "/api/v1/status")) {
		if (method_is(req, "GET", rep))
			reply_json(rep, 200, daemon_status(a->daemon));
	} else if (!strcmp(p, "/api/v1/history")) {
		if (method_is(req, "GET", rep))
			history(a, req, rep);
	} else if (!strcmp(p, "/api/v1/reconcile")) {
		if (!method_is(req, "POST", rep) || !authorized(a, req, rep))
			audit(a, req, "api", "POST /api/v1/reconcile",
			      rep->status);
		else
			reconcile_post(a, req, rep);
	} else if (starts_with(p, "/api/v1/reconciles/")) {
		if (method_is(req, "GET", rep))
			reconcile_get(a, p + 19, rep);
	} else if (starts_with(p, "/api/v1/stacks/")) {
		stack_post(a, req, p + 15, rep);
	} else if (starts_with(p, "/api/v1/plans/")) {
		plan_post(a, req, p + 14, rep);
	} else {
		reply_error(rep, 404, "not found");
	}
}
