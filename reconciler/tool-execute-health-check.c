/*
 * tool-execute-health-check.c: execute_health_check: one look at whether
 * the deployment is healthy, as a list of named checks.
 *
 * Each check is ok true, false, or null when it could not be checked
 * (the swarm cannot be reached, the store has no record): healthy is
 * true when no check failed and services, nodes and the plan could be
 * checked; last_reconcile and backups_fresh may be unknown (no daemon,
 * no backup runs recorded) without making it false. Services are converged when
 * the Engine's ServiceStatus (services are listed with ?status=true) counts as
 * many running tasks as desired ones and no update is paused or rolled back;
 * tasks themselves are not read. Backups cannot be checked for freshness
 * yet: kedge records no backup runs (issue 12).
 */
#include <stdarg.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "desired.h"
#include "err.h"
#include "live.h"
#include "mcpctx.h"
#include "plan.h"
#include "store.h"
#include "tool.h"

extern const struct tool_entry tool_execute_health_check;

#define MAX_LISTED 10 /* problems named in one detail */

static void check(json_t *checks, const char *name, int ok, const char *fmt,
                  ...) PRINTF(4, 5);
static void check(json_t *checks, const char *name, int ok, const char *fmt,
                  ...)
{
	va_list ap;
	char *detail;

	va_start(ap, fmt);
	detail = xvasprintf(fmt, ap);
	va_end(ap);
	json_array_append_new(checks,
	                      json_pack("{s:s, s:o, s:s}", "name", name, "ok",
	                                ok < 0 ? json_null() : json_boolean(ok),
	                                "detail", detail));
	free(detail);
}

/* Appends "; item" to b when fewer than MAX_LISTED are there. */
static void list_add(struct buf *b, size_t *n, const char *fmt, ...)
        PRINTF(3, 4);
static void list_add(struct buf *b, size_t *n, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if ((*n)++ >= MAX_LISTED)
		return;
	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	if (buf_addf(b, "%s%s", b->len ? "; " : "", s))
		BUG("an uncapped buf refused text");
	free(s);
}

static const char *str_at(const json_t *o, const char *a, const char *b)
{
	return json_string_value(json_object_get(json_object_get(o, a), b));
}

/* A service's problem, or NULL when converged; *unchecked when unknown. */
static char *service_problem(const json_t *s, int *unchecked)
{
	const json_t *mode =
	        json_object_get(json_object_get(s, "Spec"), "Mode");
	const json_t *st = json_object_get(s, "ServiceStatus");
	const char *upd = str_at(s, "UpdateStatus", "State");
	json_int_t run, want;

	*unchecked = 0;
	if (upd && (!strcmp(upd, "paused") || !strcmp(upd, "updating") ||
	            starts_with(upd, "rollback_")))
		return xasprintf("update %s", upd);
	if (json_object_get(mode, "ReplicatedJob") ||
	    json_object_get(mode, "GlobalJob"))
		return NULL; /* a job's tasks end: nothing to count */
	if (!json_is_integer(json_object_get(st, "RunningTasks"))) {
		*unchecked = 1;
		return xstrdup("no ServiceStatus from the Engine");
	}
	run = json_integer_value(json_object_get(st, "RunningTasks"));
	want = json_integer_value(json_object_get(st, "DesiredTasks"));
	if (run != want)
		return xasprintf("%lld of %lld tasks running", (long long)run,
		                 (long long)want);
	return NULL;
}

/* Why v has no live state. */
static const char *unread(const struct mcpview *v)
{
	if (v->swarm_error)
		return v->swarm_error;
	if (v->diag.errors)
		return "the desired state is not valid (in_sync says why), so "
		       "the swarm was not read";
	return "the swarm was not read";
}

static void check_services(json_t *checks, const struct mcpview *v)
{
	struct buf bad = BUF_INIT;
	size_t n = 0, nbad = 0, nunk = 0;
	const char *k;
	json_t *svc;

	if (!v->r.live) {
		check(checks, "services_converged", -1, "not checked: %s",
		      unread(v));
		return;
	}
	for (size_t i = 0; v->r.desired && i < v->r.desired->nstacks; i++) {
		const struct desired_stack *st = &v->r.desired->stacks[i];

		json_object_foreach (
		        json_object_get(st->compose.doc, "services"), k, svc) {
			char *name = xasprintf("%s_%s", st->name, k), *why;
			json_t *s = live_service_by_name(v->r.live, name);
			int unk = 0;

			n++;
			why = s ? service_problem(s, &unk)
			        : xstrdup("not in the swarm");
			if (why && unk)
				nunk++;
			else if (why)
				list_add(&bad, &nbad, "%s: %s", name, why);
			free(why);
			free(name);
		}
	}
	if (nbad)
		check(checks, "services_converged", 0,
		      "%zu of %zu services not converged: %s%s", nbad, n,
		      buf_cstr(&bad), nbad > MAX_LISTED ? "; ..." : "");
	else if (nunk)
		check(checks, "services_converged", -1,
		      "not checked for %zu of %zu services: the Engine gave "
		      "no ServiceStatus (running tasks)",
		      nunk, n);
	else
		check(checks, "services_converged", 1,
		      "%zu services, each with its desired tasks running", n);
	buf_release(&bad);
}

static void check_nodes(json_t *checks, const struct mcpview *v)
{
	struct buf bad = BUF_INIT, note = BUF_INIT;
	size_t i, nbad = 0, nnote = 0;
	json_t *n;

	if (!v->r.live) {
		check(checks, "nodes_ready", -1, "not checked: %s", unread(v));
		return;
	}
	json_array_foreach (v->r.live->nodes, i, n) {
		const char *host = str_at(n, "Description", "Hostname");
		const char *state = str_at(n, "Status", "State");
		const char *avail = str_at(n, "Spec", "Availability");

		if (!host)
			host = json_string_value(json_object_get(n, "ID"));
		if (!state || strcmp(state, "ready"))
			list_add(&bad, &nbad, "%s is %s", host ? host : "?",
			         state ? state : "in no known state");
		else if (avail && strcmp(avail, "active"))
			list_add(&note, &nnote, "%s is %s", host ? host : "?",
			         avail);
	}
	if (nbad)
		check(checks, "nodes_ready", 0,
		      "%zu of %zu nodes not ready: %s", nbad,
		      json_array_size(v->r.live->nodes), buf_cstr(&bad));
	else
		check(checks, "nodes_ready", 1, "%zu nodes ready%s%s%s",
		      json_array_size(v->r.live->nodes),
		      nnote ? " (availability: " : "",
		      nnote ? buf_cstr(&note) : "", nnote ? ")" : "");
	buf_release(&bad);
	buf_release(&note);
}

static void check_reconcile(json_t *checks, struct mcpctx *ctx)
{
	struct store *store = mcpctx_store(ctx);
	json_t *list = NULL, *last;
	const char *state, *result, *error;
	struct err e;

	err_clear(&e);
	if (!store) {
		check(checks, "last_reconcile", -1,
		      "not checked: the store could not be opened");
		return;
	}
	if (store_reconcile_list(&list, store, NULL, 1, &e)) {
		check(checks, "last_reconcile", -1,
		      "not checked: cannot read the store: %s", e.msg);
		return;
	}
	if (!(last = json_array_get(list, 0))) {
		check(checks, "last_reconcile", -1,
		      "no reconcile is recorded in the store (no kedge "
		      "daemon shares it)");
		goto out;
	}
	state = json_string_value(json_object_get(last, "state"));
	result = json_string_value(json_object_get(last, "result"));
	error = json_string_value(json_object_get(last, "error"));
	if (!state || strcmp(state, "done") || !result)
		check(checks, "last_reconcile", -1,
		      "reconcile %lld is %s (trigger %s)",
		      (long long)json_integer_value(
		              json_object_get(last, "id")),
		      state ? state : "?",
		      json_string_value(json_object_get(last, "trigger")));
	else
		check(checks, "last_reconcile",
		      !strcmp(result, "ok") || !strcmp(result, "noop"),
		      "reconcile %lld at %.12s finished %s: %s%s%s",
		      (long long)json_integer_value(
		              json_object_get(last, "id")),
		      json_string_value(json_object_get(last, "revision"))
		              ? json_string_value(
		                        json_object_get(last, "revision"))
		              : "?",
		      json_string_value(json_object_get(last, "finished"))
		              ? json_string_value(
		                        json_object_get(last, "finished"))
		              : "?",
		      result, error ? ": " : "", error ? error : "");
out:
	json_decref(list);
}

static void check_plan(json_t *checks, const struct mcpview *v)
{
	struct buf b = BUF_INIT;
	json_t *plan, *sum, *n;
	const char *k;
	int rc = 0;

	if (v->diag.errors) {
		char *text = mcpctx_diag_text(&v->diag);

		check(checks, "in_sync", 0,
		      "the desired state at %.12s is not valid: %s",
		      v->r.desired ? v->r.desired->revision : "?", text);
		free(text);
		return;
	}
	if (!v->r.plan) {
		check(checks, "in_sync", -1, "not checked: %s",
		      v->swarm_error ? v->swarm_error : "no plan was computed");
		return;
	}
	if (plan_empty(v->r.plan)) {
		check(checks, "in_sync", 1, "the swarm matches %.12s",
		      v->r.desired->revision);
		return;
	}
	plan = plan_to_json(v->r.plan, 0);
	sum = json_object_get(plan, "summary");
	json_object_foreach (sum, k, n)
		if (json_integer_value(n))
			rc |= buf_addf(&b, "%s%s %lld", b.len ? ", " : "", k,
			               (long long)json_integer_value(n));
	(void)rc; /* uncapped */
	check(checks, "in_sync", 0,
	      "applying %.12s would change the swarm (%s): show_plan "
	      "lists the changes",
	      v->r.desired->revision, b.len ? buf_cstr(&b) : "see show_plan");
	json_decref(plan);
	buf_release(&b);
}

static void check_backups(json_t *checks, const struct mcpview *v)
{
	size_t n = 0, suspended = 0, i;
	json_t *b;

	if (!v->r.desired)
		return;
	for (size_t f = 0; f < v->r.desired->nbackups; f++)
		json_array_foreach (
		        json_object_get(v->r.desired->backups[f].doc,
		                        "backups"),
		        i, b) {
			n++;
			suspended +=
			        json_is_true(json_object_get(b, "suspend"));
		}
	if (!n)
		check(checks, "backups_fresh", 1,
		      "no backup schedules in backups/");
	else
		check(checks, "backups_fresh", -1,
		      "unknown: %zu backup schedules (%zu suspended), but "
		      "kedge records no backup runs yet, so their last runs "
		      "cannot be compared with their schedules",
		      n, suspended);
}

static int run(struct tool_result *r, struct tool_call *c, struct err *err)
{
	struct mcpview v;
	json_t *checks = json_array(), *e;
	int healthy = 1;
	size_t i;
	int rc = mcpctx_view(&v, c->ctx, NULL, MCPVIEW_SWARM, err);

	if (rc)
		goto out;
	check_services(checks, &v);
	check_nodes(checks, &v);
	check_reconcile(checks, c->ctx);
	check_plan(checks, &v);
	check_backups(checks, &v);
	json_array_foreach (checks, i, e) {
		json_t *ok = json_object_get(e, "ok");
		const char *name =
		        json_string_value(json_object_get(e, "name"));

		if (json_is_false(ok) ||
		    (json_is_null(ok) && strcmp(name, "last_reconcile") &&
		     strcmp(name, "backups_fresh")))
			healthy = 0;
	}
	rc = tool_ok(r, json_pack("{s:s?, s:b, s:O}", "revision",
	                          v.r.desired ? v.r.desired->revision : NULL,
	                          "healthy", healthy, "checks", checks));
out:
	json_decref(checks);
	mcpview_release(&v);
	return rc;
}

// clang-format off
const struct tool_entry tool_execute_health_check = {
        .name = "execute_health_check",
        .title = "Check health",
        .description =
                "Checks the deployment and says what is wrong: "
                "services_converged (each desired service runs as many "
                "tasks as it wants and no update is paused or rolled "
                "back, from the Engine's ServiceStatus; tasks are not "
                "read one by one), nodes_ready (every swarm node's state "
                "is ready; drained or paused nodes are named), "
                "last_reconcile (the newest reconcile in the store "
                "finished ok or noop), in_sync (the swarm matches the "
                "head of the tracked branch: the plan is empty) and "
                "backups_fresh (unknown while kedge records no backup "
                "runs). A check is ok true, false, or null when it "
                "could not be checked (with why in detail); healthy is "
                "true when no check failed and the services, nodes and "
                "plan were checked (an unknown last_reconcile or "
                "backups_fresh does not count against it).",
        .input_schema = TOOL_JSON({
	        "type" : "object",
	        "properties" : {},
	        "additionalProperties" : false
        }),
        .output_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : [ "healthy", "checks" ],
	        "properties" : {
		        "revision" : {"type" : [ "string", "null" ]},
		        "healthy" : {"type" : "boolean"},
		        "checks" : {
			        "type" : "array",
			        "items" : {
				        "type" : "object",
				        "required" : [ "name", "ok", "detail" ],
				        "properties" : {
					        "name" : {"type" : "string"},
					        "ok" : {"type" : [ "boolean", "null" ]},
					        "detail" : {"type" : "string"}
				        }
			        }
		        }
	        }
        }),
        .flags = TOOL_READ_ONLY,
        .run = run,
};
// clang-format on
