/*
 * reconcile.c: the engine's load -> plan -> apply sequence, declared in
 * reconcile.h.
 *
 * Every outcome is a return value or a result field, so the commands and a
 * daemon are views over the same calls: a command decides how to show a
 * refusal or a skipped spec and which exit code it means; this file
 * decides that they happen.
 */
#include <jansson.h>

#include "desired.h"
#include "diag.h"
#include "docker.h"
#include "err.h"
#include "live.h"
#include "log.h"
#include "plan.h"
#include "reconcile.h"
#include "schema.h"
#include "source.h"
#include "store.h"
#include "units.h"

#define DEFAULT_TIMEOUT_SEC 300

static void warn(const struct reconcile_opts *o, const char *fmt, ...)
        PRINTF(2, 3);

static void warn(const struct reconcile_opts *o, const char *fmt, ...)
{
	struct apply_event ev = {.kind = APPLY_WARNING};
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	log_warn("reconcile", "%s", msg);
	ev.message = msg;
	apply_emit(&o->hooks, &ev);
	free(msg);
}

int reconcile_load(struct reconcile *r, const struct reconcile_opts *o,
                   struct diag *diag, struct err *err)
{
	int error;

	memset(r, 0, sizeof(*r));
	r->o = o;
	if (o->schemas) {
		r->schemas = o->schemas;
		error = 0;
	} else {
		r->schemas = schema_new();
		r->own_schemas = 1;
		error = schema_add_dir(r->schemas, o->schema_dir, err);
	}
	if (error) {
		err_prefix(err,
		           "cannot load the schemas from '%s' (set "
		           "--schema-dir or KEDGE_SCHEMA_DIR)",
		           o->schema_dir);
		return error;
	}
	error = source_open(&r->src, o->src, err);
	if (error)
		return error;
	log_info("reconcile", "loading desired state source=%s revision=%s",
	         source_name(r->src), source_revision(r->src));
	return desired_load(&r->desired, r->src, r->schemas, diag, err);
}

int reconcile_plan(struct reconcile *r, const struct reconcile_opts *o,
                   struct diag *diag, struct err *err)
{
	int error;

	error = reconcile_load(r, o, diag, err);
	if (error)
		return error;
	return reconcile_compare(r, o, diag, err);
}

int reconcile_compare(struct reconcile *r, const struct reconcile_opts *o,
                      struct diag *diag, struct err *err)
{
	struct plan_opts po = {0};
	int error;

	if (diag->errors)
		return err_set(err, ERR_INVALID,
		               "the desired state at %.12s is not valid; "
		               "nothing was compared or changed",
		               r->desired->revision);
	for (size_t i = 0; o->stacks && o->stacks[i]; i++)
		if (!desired_stack_find(r->desired, o->stacks[i]))
			return err_set(err, ERR_NOTFOUND,
			               "no stack '%s' in the desired state",
			               o->stacks[i]);
	if ((error = docker_open(&r->docker, o->docker_host, err)) ||
	    (error = docker_check_manager(r->docker, err)) ||
	    (error = live_read(&r->live, r->docker, err)))
		return error;
	error = o->read_only ? store_open_read(&r->store, o->store, err)
	                     : store_open(&r->store, o->store, err);
	if (error == ERR_NOTFOUND) {
		/* no store yet: no spec has failed before */
		log_info("reconcile", "%s", err ? err->msg : "no store");
		err_clear(err);
		error = 0;
	}
	if (error) {
		/* A read-only run only reads the store: without it, it still
		 * shows what would change, just not which specs failed. */
		if (!o->read_only)
			return error;
		warn(o, "%s; specs that failed before are not marked",
		     err ? err->msg : err_str(error));
		err_clear(err);
		r->store = NULL;
	}
	po.stacks = o->stacks;
	po.allow_empty = o->allow_empty;
	po.adopt = o->adopt;
	po.store = r->store;
	error = plan_build(&r->plan, r->desired, r->live, &po, diag, err);
	r->problems = diag->errors;
	return error;
}

/* The option, else kedge.yml's timeout, else five minutes. */
static long timeout_of(const struct reconcile_apply_opts *ao,
                       const struct desired *d)
{
	const char *t =
	        json_string_value(json_object_get(d->settings.doc, "timeout"));
	int64_t ns;

	if (ao->no_wait)
		return 0;
	if (ao->timeout_sec >= 0)
		return ao->timeout_sec;
	if (t && !units_parse_duration(&ns, t) && ns > 0)
		return (long)(ns / 1000000000LL);
	return DEFAULT_TIMEOUT_SEC;
}

static const char *outcome_word(enum reconcile_outcome oc)
{
	switch (oc) {
	case RECONCILE_APPLIED:
		return "ok";
	case RECONCILE_NOT_CONVERGED:
		return "not-converged";
	default:
		return "error";
	}
}

int reconcile_apply(struct reconcile_result *out, struct reconcile *r,
                    const struct reconcile_apply_opts *ao, struct err *err)
{
	struct apply_opts opts = {0};
	struct plan *p = r->plan;
	struct err e;
	int error;

	memset(out, 0, sizeof(*out));
	out->outcome = RECONCILE_FAILED;
	if (!p || r->problems)
		return err_set(err, ERR_INVALID,
		               "the plan has problems; nothing was changed");
	out->skipped = json_array_size(p->skipped);
	if (plan_empty(p)) {
		/* A spec that failed before is not retried, and the swarm
		 * does not match it: that is not success. */
		out->outcome =
		        out->skipped ? RECONCILE_SKIPPED : RECONCILE_APPLIED;
		return 0;
	}
	if (p->destructive && !ao->allow_destructive) {
		if (!ao->confirm) {
			out->outcome = RECONCILE_REFUSED;
			return 0;
		}
		if (!ao->confirm(ao->confirm_ctx, p)) {
			out->outcome = RECONCILE_DECLINED;
			return 0;
		}
	}
	opts.timeout_sec = timeout_of(ao, r->desired);
	opts.store = r->store;
	opts.hooks = r->o->hooks;
	error = apply_run(&out->apply, p, r->docker, r->live, &opts, err);
	if (!error)
		out->outcome = out->apply.not_converged
		                       ? RECONCILE_NOT_CONVERGED
		                       : RECONCILE_APPLIED;
	err_clear(&e);
	if (r->store && store_apply_record(r->store, p->revision,
	                                   outcome_word(out->outcome),
	                                   error && err ? err->msg : "", &e))
		warn(r->o, "%s", e.msg);
	return error;
}

void reconcile_release(struct reconcile *r)
{
	if (r->docker)
		log_info("docker", "engine api requests=%lu",
		         docker_requests_made(r->docker));
	plan_free(r->plan);
	store_free(r->store);
	live_free(r->live);
	docker_free(r->docker);
	desired_free(r->desired);
	source_free(r->src);
	if (r->own_schemas)
		schema_free(r->schemas);
	memset(r, 0, sizeof(*r));
}
