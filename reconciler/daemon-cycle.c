/*
 * daemon-cycle.c: one reconcile of the daemon (daemon_cycle), declared in
 * daemon-int.h.
 *
 * In order: check the remote ref (load and validate the commit only when
 * it moved), read the swarm, skip planning when nothing moved since a
 * cycle that had nothing to do, choose the stacks in scope (not
 * suspended, files valid, plus stacks gone from git whose objects are to
 * be pruned), plan, drop the stacks whose pre-apply checks fail and plan
 * again, tell drift from change by each stack's fingerprint, hold back
 * what waits for approval or is only to be reported, apply, record.
 */
#include <pthread.h>
#include <time.h>

#include <jansson.h>

#include "apply.h"
#include "buf.h"
#include "converge.h"
#include "daemon-int.h"
#include "desired.h"
#include "diag.h"
#include "docker.h"
#include "err.h"
#include "hash.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "plan.h"
#include "source.h"
#include "store.h"
#include "units.h"

/* ---- loading a commit ---------------------------------------------------- */

/* obj[key] = text; text that is not UTF-8 is replaced, never dropped. */
static void set_text(json_t *obj, const char *key, const char *text)
{
	json_t *v = json_string(text);

	json_object_set_new(
	        obj, key, v ? v : json_string("(a message that is not UTF-8)"));
}

/* The stack a repository path belongs to ("stacks/web/x.yml" -> web). */
static char *stack_of_path(const char *file)
{
	const char *p, *slash;

	if (!file || !starts_with(file, "stacks/"))
		return NULL;
	p = file + 7;
	slash = strchr(p, '/');
	if (slash == p || !*p)
		return NULL;
	return slash ? xstrndup(p, (size_t)(slash - p)) : xstrdup(p);
}

static char *located(const struct diag_item *it)
{
	if (it->line && it->col)
		return xasprintf("%s:%u:%u: %s", it->file, it->line, it->col,
		                 it->message);
	if (it->line)
		return xasprintf("%s:%u: %s", it->file, it->line, it->message);
	if (*it->file)
		return xasprintf("%s: %s", it->file, it->message);
	return xstrdup(it->message);
}

static void classify(struct loaded *l, struct diag *diag)
{
	diag_sort(diag);
	for (size_t i = 0; i < diag->nr; i++) {
		const struct diag_item *it = &diag->items[i];
		char *stack = stack_of_path(it->file);

		if (it->severity != DIAG_ERROR) {
			free(stack);
			continue;
		}
		if (stack) {
			json_object_set_new(l->stacks, stack, json_true());
			if (!json_object_get(l->errors, stack)) {
				char *why = located(it);

				set_text(l->errors, stack, why);
				free(why);
			}
		} else if (!l->repo_error) {
			l->repo_error = located(it);
		}
		free(stack);
	}
}

/* kedge.yml's drift: word or map; prune: confirm. */
static void settings_of(struct loaded *l)
{
	const json_t *set = l->desired->settings.doc;
	const json_t *drift = json_object_get(set, "drift");

	l->drift_mode = json_object();
	for (size_t i = 0; i < l->desired->nstacks; i++) {
		const char *name = l->desired->stacks[i].name;
		const char *mode = json_string_value(drift);

		if (json_is_object(drift))
			mode = json_string_value(json_object_get(drift, name));
		json_object_set_new(l->drift_mode, name,
		                    json_string(mode ? mode : "repair"));
	}
	l->confirm_prune =
	        json_is_string(json_object_get(set, "prune")) &&
	        !strcmp(json_string_value(json_object_get(set, "prune")),
	                "confirm");
	if (l->desired->nodes.doc) {
		char *t = json_dumps(l->desired->nodes.doc,
		                     JSON_SORT_KEYS | JSON_COMPACT);

		hash_sha256_hex(l->nodes_hash, t ? t : "", t ? strlen(t) : 0);
		free(t);
	}
}

static int load_commit(struct loaded **out, struct daemon *d,
                       const char *commit, struct err *err)
{
	struct source_opts so = d->o.src;
	struct loaded *l = xcalloc(1, sizeof(*l));
	struct diag diag = DIAG_INIT;
	int error;

	so.ref = commit;
	snprintf(l->revision, sizeof(l->revision), "%s", commit);
	l->stacks = json_object();
	l->errors = json_object();
	error = source_open(&l->src, &so, err);
	if (!error)
		error = desired_load(&l->desired, l->src, d->schemas, &diag,
		                     err);
	if (!error)
		error = plan_check_desired(l->desired, &diag, err);
	if (error) {
		diag_release(&diag);
		daemon_loaded_free(l);
		return error;
	}
	for (size_t i = 0; i < l->desired->nstacks; i++)
		json_object_set_new(l->stacks, l->desired->stacks[i].name,
		                    json_true());
	classify(l, &diag);
	settings_of(l);
	log_info("daemon",
	         "loaded revision=%.12s stacks=%zu invalid=%zu errors=%zu",
	         commit, json_object_size(l->stacks),
	         json_object_size(l->errors), diag.errors);
	diag_release(&diag);
	*out = l;
	return 0;
}

/* Publishes what the HTTP side and the event filter read. */
static void publish(struct daemon *d)
{
	pthread_mutex_lock(&d->mu);
	json_object_clear(d->names);
	if (d->cur) {
		json_object_update(d->names, d->cur->drift_mode);
		snprintf(d->revision, sizeof(d->revision), "%s",
		         d->cur->revision);
		d->has_nodes = d->cur->desired->nodes.doc != NULL;
		snprintf(d->instance, sizeof(d->instance), "%s",
		         plan_owner(d->cur->desired));
	}
	pthread_mutex_unlock(&d->mu);
}

/*
 * One ls-remote; a fetch and a load only when the ref moved. On failure
 * the commit loaded before stays in force.
 */
static int refresh(struct daemon *d, struct err *err)
{
	double t0 = daemon_wall_seconds();
	char head[41];
	struct loaded *l = NULL;
	int error;

	error = source_remote_head(head, &d->o.src, err);
	if (!error && (!d->cur || strcmp(head, d->cur->revision)))
		error = load_commit(&l, d, head, err);
	metrics_observe(d->o.metrics, "kedge_git_fetch_duration_seconds", NULL,
	                daemon_wall_seconds() - t0);
	if (error) {
		metrics_add(d->o.metrics, "kedge_git_errors_total", NULL, 1);
		return error;
	}
	if (l) {
		daemon_loaded_free(d->cur);
		d->cur = l;
		/* a new commit: stacks that failed get a fresh try at once */
		json_object_clear(d->failures);
		publish(d);
	}
	return 0;
}

/* ---- one reconcile ------------------------------------------------------- */

struct cycle {
	struct daemon *d;
	int64_t id;
	const char *trigger;
	struct live *live;
	struct plan *plan;
	json_t *suspended;  /* stack -> 1 */
	json_t *stalled;    /* stack -> reason */
	json_t *held;       /* stack -> reason (approval) */
	json_t *scope;      /* stack -> 1 */
	json_t *stack_of;   /* object name -> stack, of the plan's actions */
	json_t *drift_seen; /* object name -> 1, drift recorded this cycle */
	size_t invalid;     /* stacks stalled by their files or checks */
	size_t not_converged, rolled_back;
	const char *failed_stack; /* of the action that failed, or NULL */
	char *error;              /* what failed, for the record */
	const char *result;
	int exit_code;
	json_t *prom;   /* the Prometheus part's summary, or NULL */
	int prom_error; /* c->error is the Prometheus part's (notified) */
};

static void stall(struct cycle *c, const char *stack, const char *reason)
{
	if (!json_object_get(c->stalled, stack))
		set_text(c->stalled, stack, reason);
	json_object_del(c->scope, stack);
}

/* Stacks kedge owns on the swarm that the commit no longer has. */
static void add_gone_stacks(struct cycle *c)
{
	const json_t *lists[] = {c->live->services, c->live->networks,
	                         c->live->configs, c->live->secrets};
	const char *owner = plan_owner(c->d->cur->desired);

	for (size_t k = 0; k < ARRAY_SIZE(lists); k++) {
		size_t i;
		json_t *obj;

		json_array_foreach (lists[k], i, obj) {
			const char *by = plan_label(obj, "kedge.managed-by");
			const char *ns =
			        plan_label(obj, "com.docker.stack.namespace");

			if (by && ns && !strcmp(by, owner) &&
			    !json_object_get(c->d->cur->stacks, ns) &&
			    !json_object_get(c->suspended, ns))
				json_object_set_new(c->scope, ns, json_true());
		}
	}
}

static void choose_scope(struct cycle *c)
{
	struct loaded *l = c->d->cur;
	const char *name;
	json_t *v;

	json_object_foreach (l->stacks, name, v) {
		const char *bad =
		        json_string_value(json_object_get(l->errors, name));

		if (json_object_get(c->suspended, name))
			continue;
		if (bad) {
			stall(c, name, bad);
			c->invalid++;
		} else
			json_object_set_new(c->scope, name, json_true());
	}
	add_gone_stacks(c);
}

/* The NULL-terminated filter of the stacks in scope; NULL for all. */
static const char **scope_filter(struct cycle *c, int *all)
{
	size_t n = json_object_size(c->scope), i = 0;
	const char **f;
	const char *name;
	json_t *v;

	*all = !json_object_size(c->suspended) && !json_object_size(c->stalled);
	if (*all)
		return NULL;
	f = xcalloc(n + 1, sizeof(*f));
	json_object_foreach (c->scope, name, v)
		f[i++] = name;
	return f;
}

/*
 * plan_build; the stacks whose pre-apply checks fail leave the scope and
 * the rest is planned again. An error that belongs to no stack stops it.
 */
static int build_plan(struct cycle *c, struct err *err)
{
	for (int round = 0; round < MAX_PLAN_ROUNDS; round++) {
		struct plan_opts po = {0};
		struct diag pd = DIAG_INIT;
		const char **filter;
		int all, moved = 0, error;

		filter = scope_filter(c, &all);
		po.stacks = filter;
		po.nodes = 1;
		po.store = c->d->o.store;
		error = plan_build(&c->plan, c->d->cur->desired, c->live, &po,
		                   &pd, err);
		if (!error && pd.errors) {
			diag_sort(&pd);
			for (size_t i = 0; i < pd.nr; i++) {
				const struct diag_item *it = &pd.items[i];
				char *stack = stack_of_path(it->file);

				if (it->severity == DIAG_ERROR && stack &&
				    json_object_get(c->scope, stack)) {
					char *why = located(it);

					stall(c, stack, why);
					free(why);
					c->invalid++;
					moved = 1;
				} else if (it->severity == DIAG_ERROR &&
				           !moved && !c->error) {
					c->error = located(it);
				}
				free(stack);
			}
			plan_free(c->plan);
			c->plan = NULL;
			if (!moved)
				error = err_set(
				        err, ERR_INVALID, "%s",
				        c->error ? c->error
				                 : "the plan has problems");
		}
		free(filter);
		diag_release(&pd);
		if (error || c->plan)
			return error;
	}
	return err_set(err, ERR_INTERNAL, "the plan did not settle");
}

/* A drift: the stack's files did not change since it was applied. */
static int is_drift(struct cycle *c, const struct plan_action *a)
{
	const char *fp, *was;

	if (a->kind == PLAN_NODE)
		return *c->d->applied_nodes &&
		       !strcmp(c->d->applied_nodes, c->d->cur->nodes_hash);
	if (!a->stack)
		return 0;
	fp = json_string_value(
	        json_object_get(c->plan->fingerprints, a->stack));
	was = json_string_value(json_object_get(c->d->applied, a->stack));
	return fp && was && !strcmp(fp, was);
}

static json_t *changed_fields(const struct plan_action *a)
{
	json_t *fields = json_array();
	size_t i;
	json_t *ch;

	if (a->op == PLAN_CREATE)
		json_array_append_new(fields, json_string("(removed by hand)"));
	json_array_foreach (a->changes, i, ch) {
		const char *path =
		        json_string_value(json_object_get(ch, "path"));

		if (path && json_array_size(fields) < 64)
			json_array_append_new(fields, json_string(path));
	}
	return fields;
}

static const char *drift_mode(struct cycle *c, const char *stack)
{
	const char *m = json_string_value(
	        json_object_get(c->d->cur->drift_mode, stack ? stack : ""));

	return m ? m : "repair";
}

/* Drift under `drift: warn` is reported, not repaired. */
static int keep_unless_warned(void *ctx, const struct plan_action *a)
{
	struct cycle *c = ctx;
	json_t *fields;
	int drift = is_drift(c, a), warn;
	const char *stack = a->stack ? a->stack : "nodes";
	struct err e;

	if (!drift)
		return 1;
	warn = !strcmp(drift_mode(c, a->stack), "warn");
	/* a stack that failed a write makes the cycle plan again: record
	 * each drift once */
	if (json_object_get(c->drift_seen, a->name))
		return !warn;
	json_object_set_new(c->drift_seen, a->name, json_true());
	fields = changed_fields(a);
	err_clear(&e);
	if (store_drift_record(c->d->o.store, c->id, stack,
	                       plan_kind_name(a->kind), a->name, fields,
	                       warn ? "reported" : "repaired", &e))
		log_warn("daemon", "%s", e.msg);
	metrics_add(c->d->o.metrics, "kedge_drift_events_total",
	            (const char *[]){"stack", stack, NULL}, 1);
	log_info("daemon", "drift stack=%s kind=%s object=%s action=%s", stack,
	         plan_kind_name(a->kind), a->name,
	         warn ? "reported" : "repaired");
	if (c->d->o.notify) {
		char *text = xasprintf("%s %s was changed on the swarm by "
		                       "hand; %s",
		                       plan_kind_name(a->kind), a->name,
		                       warn ? "reported only (drift: warn)"
		                            : "repaired");

		c->d->o.notify(c->d->o.notify_ctx, "drift", stack, text);
		free(text);
	}
	json_decref(fields);
	return !warn;
}

static int keep_constructive(void *ctx, const struct plan_action *a)
{
	(void)ctx;
	return !a->destructive;
}

/* The id of the destructive part of a plan: what a person approves. */
static void approval_id(char out[HASH_HEX_LEN + 1], const struct plan *p,
                        json_t **list)
{
	struct buf b = BUF_INIT;

	*list = json_array();
	if (buf_addstr(&b, p->revision))
		BUG("uncapped buffer refused to grow");
	for (size_t i = 0; i < p->nr; i++) {
		const struct plan_action *a = &p->actions[i];

		if (!a->destructive)
			continue;
		if (buf_addf(&b, "\n%s %s %s", plan_op_name(a->op),
		             plan_kind_name(a->kind), a->name))
			BUG("uncapped buffer refused to grow");
		json_array_append_new(*list,
		                      json_pack("{s:s, s:s, s:s, s:s?}", "op",
		                                plan_op_name(a->op), "kind",
		                                plan_kind_name(a->kind), "name",
		                                a->name, "stack", a->stack));
	}
	hash_sha256_hex(out, b.ptr, b.len);
	out[12] = '\0';
	buf_release(&b);
}

/* prune: confirm: destructive actions wait for `kedge approve`. */
static void hold_destructive(struct cycle *c, int *approved_out)
{
	struct daemon *d = c->d;
	char id[HASH_HEX_LEN + 1];
	json_t *list, *plan, *have = NULL;
	struct err e;
	int approved;

	*approved_out = 0;
	if (!d->cur->confirm_prune || !c->plan->destructive)
		return;
	approval_id(id, c->plan, &list);
	err_clear(&e);
	approved = !store_approval_get(&have, d->o.store, id, &e) &&
	           !strcmp(json_string_value(json_object_get(have, "state")),
	                   "approved");
	if (approved) {
		*approved_out = 1;
		snprintf(d->approved, sizeof(d->approved), "%s", id);
		json_decref(have);
		json_decref(list);
		return;
	}
	if (!have) {
		plan = json_pack("{s:s, s:o}", "revision", c->plan->revision,
		                 "actions", json_incref(list));
		err_clear(&e);
		if (store_approval_add(d->o.store, id, c->plan->revision, plan,
		                       &e))
			log_warn("daemon", "%s", e.msg);
		json_decref(plan);
		log_info("daemon",
		         "plan waits for approval plan=%s removals=%zu", id,
		         json_array_size(list));
		if (d->o.notify) {
			char *text = xasprintf(
			        "%zu destructive change%s wait%s for `kedge "
			        "approve %s`",
			        json_array_size(list),
			        json_array_size(list) == 1 ? "" : "s",
			        json_array_size(list) == 1 ? "s" : "", id);

			d->o.notify(d->o.notify_ctx, "approval", "", text);
			free(text);
		}
	}
	for (size_t i = 0; i < c->plan->nr; i++) {
		const struct plan_action *a = &c->plan->actions[i];

		if (a->destructive && a->stack) {
			char *why =
			        xasprintf("%s %s %s waits for approval: "
			                  "kedge approve %s",
			                  plan_op_name(a->op),
			                  plan_kind_name(a->kind), a->name, id);

			if (!json_object_get(c->held, a->stack))
				set_text(c->held, a->stack, why);
			free(why);
		}
	}
	json_decref(have);
	json_decref(list);
	plan_retain(c->plan, keep_constructive, NULL);
}

static void on_apply_event(void *ctx, const struct apply_event *ev)
{
	struct cycle *c = ctx;
	const struct plan_action *a = ev->action;
	struct err e;

	err_clear(&e);
	switch (ev->kind) {
	case APPLY_ACTION_DONE:
	case APPLY_ACTION_FAILED:
		log_info("daemon", "%s %s %s%s%s", plan_op_name(a->op),
		         plan_kind_name(a->kind), a->name,
		         ev->kind == APPLY_ACTION_FAILED ? ": " : "",
		         ev->kind == APPLY_ACTION_FAILED && ev->err
		                 ? ev->err->msg
		                 : "");
		if (store_reconcile_action(
		            c->d->o.store, c->id, a->stack ? a->stack : "",
		            plan_op_name(a->op), plan_kind_name(a->kind),
		            a->name,
		            ev->kind == APPLY_ACTION_DONE ? "done" : "failed",
		            ev->kind == APPLY_ACTION_FAILED && ev->err
		                    ? ev->err->msg
		                    : NULL,
		            &e))
			log_warn("daemon", "%s", e.msg);
		if (ev->kind == APPLY_ACTION_FAILED && a->stack) {
			char *why = xasprintf("%s %s %s failed: %s",
			                      plan_op_name(a->op),
			                      plan_kind_name(a->kind), a->name,
			                      ev->err ? ev->err->msg : "error");

			stall(c, a->stack, why);
			free(why);
			c->failed_stack = a->stack;
		}
		break;
	case APPLY_CONVERGE:
		if (!ev->final || !ev->converge)
			break;
		for (size_t i = 0; i < ev->converge->nr; i++) {
			const struct converge_item *it =
			        &ev->converge->items[i];
			const char *stack;
			char *why;

			if (it->state == CONVERGE_DONE)
				continue;
			c->not_converged++;
			if (it->state == CONVERGE_ROLLED_BACK)
				c->rolled_back++;
			stack = json_string_value(
			        json_object_get(c->stack_of, it->name));
			why = xasprintf("service %s did not converge: %s%s%s",
			                it->name,
			                converge_state_name(it->state),
			                it->detail ? ": " : "",
			                it->detail ? it->detail : "");
			if (stack)
				stall(c, stack, why);
			if (store_reconcile_action(
			            c->d->o.store, c->id, stack ? stack : "",
			            "converge", "service", it->name,
			            it->state == CONVERGE_ROLLED_BACK
			                    ? "rolled-back"
			                    : "not-converged",
			            why, &e))
				log_warn("daemon", "%s", e.msg);
			/* a failure is sent with the stack's status */
			if (c->d->o.notify && it->state == CONVERGE_ROLLED_BACK)
				c->d->o.notify(c->d->o.notify_ctx, "rollback",
				               stack ? stack : "", why);
			free(why);
		}
		break;
	case APPLY_WAIT_STARTED:
		/*
		 * Every write is made: from here an event for one of the
		 * objects may be a change by hand, so it is no longer ignored
		 * but checked after the grace (daemon_event).
		 */
		pthread_mutex_lock(&c->d->mu);
		c->d->own_until_ms = daemon_now_ms() + OWN_WRITE_GRACE_MS;
		pthread_mutex_unlock(&c->d->mu);
		break;
	case APPLY_WARNING:
		log_warn("daemon", "%s", ev->message);
		break;
	default:
		break;
	}
}

static long timeout_of(const struct desired *des)
{
	const char *t = json_string_value(
	        json_object_get(des->settings.doc, "timeout"));
	int64_t ns;

	if (t && !units_parse_duration(&ns, t) && ns > 0)
		return (long)(ns / 1000000000LL);
	return APPLY_TIMEOUT_SEC;
}

static void mark_own_writes(struct daemon *d, const struct plan *p, int on)
{
	pthread_mutex_lock(&d->mu);
	if (on) {
		json_object_clear(d->own_writes);
		for (size_t i = 0; i < p->nr; i++)
			json_object_set_new(d->own_writes, p->actions[i].name,
			                    json_true());
		d->own_until_ms = INT64_MAX;
	} else {
		d->own_until_ms = daemon_now_ms() + OWN_WRITE_GRACE_MS;
	}
	pthread_mutex_unlock(&d->mu);
}

static int cycle_canceled(void *ctx)
{
	const struct cycle *c = ctx;

	return daemon_stopping(c->d);
}

static int apply_plan(struct cycle *c, struct err *err)
{
	struct apply_opts ao = {0};
	struct apply_result res;
	int error;

	if (!c->stack_of)
		c->stack_of = json_object();
	for (size_t i = 0; i < c->plan->nr; i++)
		if (c->plan->actions[i].stack)
			json_object_set_new(
			        c->stack_of, c->plan->actions[i].name,
			        json_string(c->plan->actions[i].stack));
	{
		const char *name;
		json_t *v, *seen = json_object();
		struct err e;

		/* the stacks being changed show Reconciling meanwhile */
		json_object_foreach (c->stack_of, name, v) {
			const char *st = json_string_value(v);

			if (json_object_get(seen, st))
				continue;
			json_object_set_new(seen, st, json_true());
			err_clear(&e);
			if (store_stack_set(c->d->o.store, st, "Reconciling",
			                    NULL, NULL, &e))
				log_warn("daemon", "%s", e.msg);
		}
		json_decref(seen);
	}
	ao.timeout_sec = timeout_of(c->d->cur->desired);
	ao.store = c->d->o.store;
	ao.hooks.event = on_apply_event;
	ao.hooks.cancel = cycle_canceled;
	ao.hooks.ctx = c;
	mark_own_writes(c->d, c->plan, 1);
	error = apply_run(&res, c->plan, c->d->docker, c->live, &ao, err);
	mark_own_writes(c->d, c->plan, 0);
	return error;
}

/* Per-stack status and backoff after the reconcile. */
static void record_stacks(struct cycle *c)
{
	struct daemon *d = c->d;
	struct store *s = d->o.store;
	const char *name;
	json_t *v;
	struct err e;

	err_clear(&e);
	metrics_reset(d->o.metrics, "kedge_stack_status");
	json_object_foreach (d->cur->stacks, name, v) {
		const char *why =
		        json_string_value(json_object_get(c->stalled, name));
		const char *held =
		        json_string_value(json_object_get(c->held, name));
		const char *status = "Ready";
		int error = 0;

		if (json_object_get(c->suspended, name)) {
			status = "Suspended";
			error = store_stack_set(s, name, status,
			                        "suspended by request", NULL,
			                        &e);
		} else if (why || held) {
			status = "Stalled";
			error = store_stack_set(s, name, status,
			                        why ? why : held, NULL, &e);
		} else if (json_object_get(c->scope, name)) {
			error = store_stack_set(s, name, status, NULL,
			                        d->cur->revision, &e);
			json_object_set(
			        d->applied, name,
			        json_object_get(c->plan->fingerprints, name));
		}
		if (error)
			log_warn("daemon", "%s", e.msg);
		metrics_set(
		        d->o.metrics, "kedge_stack_status",
		        (const char *[]){"stack", name, "status", status, NULL},
		        1);
		if (why) {
			json_int_t n = json_integer_value(
			        json_object_get(d->failures, name));

			json_object_set_new(d->failures, name,
			                    json_integer(n + 1));
		} else {
			json_object_del(d->failures, name);
		}
		if (why && d->o.notify) {
			char *text = xasprintf("the stack is Stalled: %s", why);

			/* the notifier sends the same text once per window */
			d->o.notify(d->o.notify_ctx, "failure", name, text);
			free(text);
		}
		if (why || held) {
			json_object_set_new(d->was_stalled, name, json_true());
		} else if (!strcmp(status, "Ready") &&
		           json_object_get(d->was_stalled, name)) {
			json_object_del(d->was_stalled, name);
			if (d->o.notify)
				d->o.notify(d->o.notify_ctx, "recovery", name,
				            "the stack is Ready again");
		}
	}
	/* stacks gone from git whose objects were pruned */
	json_object_foreach (c->scope, name, v)
		if (!json_object_get(d->cur->stacks, name) &&
		    !json_object_get(c->stalled, name) &&
		    !json_object_get(c->held, name) &&
		    store_stack_forget(s, name, &e))
			log_warn("daemon", "%s", e.msg);
	if (!json_object_size(c->stalled) && !json_object_size(c->held))
		snprintf(d->applied_nodes, sizeof(d->applied_nodes), "%s",
		         d->cur->nodes_hash);
}

/* The next retry after failures: 5 s doubling to 15 min. */
static void schedule_retry(struct daemon *d)
{
	json_int_t worst = 0;
	const char *name;
	json_t *v;
	int64_t delay = BACKOFF_MIN_MS;

	json_object_foreach (d->failures, name, v)
		if (json_integer_value(v) > worst)
			worst = json_integer_value(v);
	if (d->prom_failures > worst)
		worst = d->prom_failures;
	pthread_mutex_lock(&d->mu);
	if (!worst) {
		d->retry_at_ms = 0;
	} else {
		for (json_int_t i = 1; i < worst && delay < BACKOFF_MAX_MS; i++)
			delay *= 2;
		if (delay > BACKOFF_MAX_MS)
			delay = BACKOFF_MAX_MS;
		d->retry_at_ms = daemon_now_ms() + delay;
		log_info("daemon", "retry in %llds failures=%lld",
		         (long long)(delay / 1000), (long long)worst);
	}
	pthread_mutex_unlock(&d->mu);
}

static json_t *summary_of(const struct cycle *c)
{
	json_t *s = json_object();

	if (c->plan)
		json_object_update_new(
		        s, json_pack("{s:I, s:I, s:I, s:I}", "create",
		                     (json_int_t)c->plan->ncreate, "update",
		                     (json_int_t)c->plan->nupdate, "remove",
		                     (json_int_t)c->plan->nremove, "adopt",
		                     (json_int_t)c->plan->nadopt));
	json_object_set_new(s, "stalled", json_deep_copy(c->stalled));
	json_object_set_new(
	        s, "suspended",
	        json_integer((json_int_t)json_object_size(c->suspended)));
	if (json_object_size(c->held))
		json_object_set_new(s, "waiting", json_deep_copy(c->held));
	if (c->prom)
		json_object_set(s, "prometheus", c->prom);
	return s;
}

static void read_suspended(struct cycle *c)
{
	json_t *rows = NULL;
	size_t i;
	json_t *row;
	struct err e;

	err_clear(&e);
	if (store_stack_list(&rows, c->d->o.store, &e)) {
		log_warn("daemon", "%s", e.msg);
		return;
	}
	json_array_foreach (rows, i, row)
		if (json_is_true(json_object_get(row, "suspended")))
			json_object_set_new(c->suspended,
			                    json_string_value(json_object_get(
			                            row, "stack")),
			                    json_true());
	json_decref(rows);
}

static int connect_swarm(struct daemon *d, struct live **live, struct err *err)
{
	int error = 0;

	if (!d->docker)
		error = docker_open(&d->docker, d->o.docker_host, err);
	if (!error)
		error = docker_check_manager(d->docker, err);
	if (!error)
		error = live_read(live, d->docker, err);
	if (error) {
		docker_free(d->docker);
		d->docker = NULL;
	}
	return error;
}

static void finish(struct cycle *c, double t0)
{
	struct daemon *d = c->d;
	json_t *summary = summary_of(c);
	const char *labels[] = {"result", c->result, NULL};
	struct err e;

	err_clear(&e);
	if (store_reconcile_finish(d->o.store, c->id, c->result, c->exit_code,
	                           c->error, summary, &e))
		log_warn("daemon", "%s", e.msg);
	json_decref(summary);
	metrics_add(d->o.metrics, "kedge_reconcile_total", labels, 1);
	metrics_observe(d->o.metrics, "kedge_reconcile_duration_seconds", NULL,
	                daemon_wall_seconds() - t0);
	metrics_set(d->o.metrics, "kedge_last_reconcile_timestamp_seconds",
	            NULL, (double)time(NULL));
	if (d->cur && !strcmp(c->result, "ok")) {
		metrics_reset(d->o.metrics, "kedge_applied_revision_info");
		metrics_set(
		        d->o.metrics, "kedge_applied_revision_info",
		        (const char *[]){"revision", d->cur->revision, NULL},
		        1);
	}
	log_info("daemon", "reconcile finished result=%s exit=%d%s%s",
	         c->result, c->exit_code, c->error ? " error=" : "",
	         c->error ? c->error : "");
	if (store_reconcile_prune(d->o.store, d->o.keep_reconciles, &e))
		log_warn("daemon", "%s", e.msg);
	pthread_mutex_lock(&d->mu);
	d->ready = 1;
	d->last_id = c->id;
	pthread_mutex_unlock(&d->mu);
}

static void fail(struct cycle *c, const char *result, const struct err *e)
{
	char msg[ERR_MSG_MAX + 300];

	c->result = result;
	c->exit_code = 2;
	if (!c->error)
		c->error = xstrdup(err_format(e, msg, sizeof(msg)));
}

/* Decides the result from what happened. */
static void conclude(struct cycle *c, int error, const struct err *e)
{
	if (error == ERR_CANCELED || daemon_stopping(c->d)) {
		c->result = "interrupted";
		c->exit_code = 2;
		free(c->error);
		c->error = xstrdup("kedge stopped before it finished");
	} else if (error) {
		fail(c, "failed", e);
	} else if (c->invalid ||
	           (json_object_size(c->stalled) && !c->not_converged)) {
		c->result = "stalled";
		c->exit_code = 2;
	} else if (c->not_converged || json_object_size(c->stalled)) {
		c->result = "not-converged";
		c->exit_code = 3;
	} else if (!c->plan || plan_empty(c->plan)) {
		c->result = json_object_size(c->held) ? "ok" : "noop";
		c->exit_code = 0;
	} else {
		c->result = "ok";
		c->exit_code = 0;
	}
	if (json_object_size(c->stalled) && !c->error) {
		const char *name;
		json_t *v;

		json_object_foreach (c->stalled, name, v) {
			c->error = xasprintf("stack %s: %s", name,
			                     json_string_value(v));
			break;
		}
	}
}

/* The stack of a service name of the current commit, or NULL. */
static const char *stack_of_service(const struct loaded *l, const char *svc)
{
	for (size_t i = 0; i < l->desired->nstacks; i++) {
		const char *st = l->desired->stacks[i].name;
		size_t n = strlen(st);

		if (!strncmp(svc, st, n) && svc[n] == '_')
			return st;
	}
	return NULL;
}

/* Specs that failed before are not re-applied: their stacks stay Stalled. */
static void stall_skipped(struct cycle *c)
{
	size_t i;
	json_t *sk;

	json_array_foreach (c->plan->skipped, i, sk) {
		const char *name =
		        json_string_value(json_object_get(sk, "name"));
		const char *reason =
		        json_string_value(json_object_get(sk, "reason"));
		const char *stack =
		        name ? stack_of_service(c->d->cur, name) : NULL;
		char *why;

		if (!stack)
			continue;
		why = xasprintf("service %s: %s; kedge applies it again when "
		                "its spec changes",
		                name, reason ? reason : "failed before");
		stall(c, stack, why);
		c->not_converged++;
		free(why);
	}
}

/*
 * Plans and applies; when a write of one stack fails, that stack is
 * Stalled and the others are planned and applied again, a few times.
 */
static int plan_and_apply(struct cycle *c, int *approved, struct err *err)
{
	int error = 0;

	for (int round = 0; round < 4; round++) {
		c->failed_stack = NULL;
		error = build_plan(c, err);
		if (error)
			return error;
		stall_skipped(c);
		plan_retain(c->plan, keep_unless_warned, c);
		hold_destructive(c, approved);
		if (plan_empty(c->plan) || daemon_stopping(c->d))
			return 0;
		error = apply_plan(c, err);
		if (!error || !c->failed_stack || error == ERR_CANCELED ||
		    daemon_stopping(c->d))
			return error;
		log_warn("daemon", "stack %s failed; applying the others",
		         c->failed_stack);
		c->invalid++;
		plan_free(c->plan);
		c->plan = NULL;
		live_free(c->live);
		c->live = NULL;
		err_clear(err);
		error = connect_swarm(c->d, &c->live, err);
		if (error)
			return error;
	}
	return error;
}

/*
 * What a plan depends on, as one hash: the commit, the suspended stacks,
 * and the identity and version of every live object (an update by anyone
 * bumps Version.Index; networks cannot be updated, only replaced). Equal
 * to the key of a cycle that found nothing to do, the plan would be empty
 * again, and the cycle skips planning.
 */
static void quiet_key_of(char out[HASH_HEX_LEN + 1], const struct cycle *c)
{
	const json_t *lists[] = {c->live->services, c->live->networks,
	                         c->live->configs, c->live->secrets,
	                         c->live->nodes};
	struct buf b = BUF_INIT;
	const char *name;
	json_t *v;

	if (buf_addstr(&b, c->d->cur->revision))
		BUG("uncapped buffer refused to grow");
	json_object_foreach (c->suspended, name, v)
		if (buf_addf(&b, "\ns:%s", name))
			BUG("uncapped buffer refused to grow");
	for (size_t k = 0; k < ARRAY_SIZE(lists); k++) {
		size_t i;
		json_t *obj;

		json_array_foreach (lists[k], i, obj) {
			const char *id =
			        json_string_value(json_object_get(obj, "ID"));
			json_int_t ver = json_integer_value(json_object_get(
			        json_object_get(obj, "Version"), "Index"));

			if (!id)
				id = json_string_value(
				        json_object_get(obj, "Id"));
			if (buf_addf(&b, "\n%zu:%s:%lld", k, id ? id : "?",
			             (long long)ver))
				BUG("uncapped buffer refused to grow");
		}
	}
	hash_sha256_hex(out, b.ptr, b.len);
	buf_release(&b);
}

/*
 * After the Swarm part (also when it had nothing to do), unless it
 * failed, was interrupted or the commit is invalid: rules and
 * Alertmanager. A failure there fails a cycle that was otherwise fine.
 */
static void prom_part(struct cycle *c)
{
	static const char *const after[] = {"ok", "noop", "not-converged",
	                                    "stalled", NULL};
	char *error = NULL;
	int go = 0;

	for (size_t i = 0; after[i]; i++)
		go |= !strcmp(c->result, after[i]);
	if (!go || !c->d->cur || c->d->cur->repo_error || daemon_stopping(c->d))
		return;
	c->prom = daemon_prom_cycle(c->d, c->id, &error);
	if (!error) {
		if (c->prom && !strcmp(c->result, "noop") &&
		    json_integer_value(json_object_get(c->prom, "changes")))
			c->result = "ok";
		return;
	}
	if (!strcmp(c->result, "ok") || !strcmp(c->result, "noop")) {
		c->result = "failed";
		c->exit_code = 2;
		free(c->error);
		c->error = error;
		c->prom_error = 1;
		return;
	}
	free(error);
}

void daemon_cycle(struct daemon *d, int64_t id, const char *trigger)
{
	struct cycle c = {0};
	double t0 = daemon_wall_seconds();
	char key[HASH_HEX_LEN + 1] = "";
	struct err e, gerr;
	int error, approved = 0, git_failed;

	log_set_reconcile(id);
	c.d = d;
	c.id = id;
	c.trigger = trigger;
	c.suspended = json_object();
	c.stalled = json_object();
	c.held = json_object();
	c.scope = json_object();
	c.drift_seen = json_object();
	log_info("daemon", "reconcile started trigger=%s", trigger);
	err_clear(&e);
	err_clear(&gerr);
	git_failed = refresh(d, &gerr) != 0;
	if (git_failed)
		log_warn("daemon", "cannot check the remote: %s", gerr.msg);
	if (!d->cur) {
		fail(&c, "failed", &gerr);
		goto done;
	}
	if (store_reconcile_start(d->o.store, id, d->cur->revision, &e))
		log_warn("daemon", "%s", e.msg);
	err_clear(&e);
	if (d->cur->repo_error) {
		c.result = "invalid";
		c.exit_code = 2;
		c.error = xasprintf("%s (every stack waits for a valid commit; "
		                    "the last applied state stays)",
		                    d->cur->repo_error);
		goto done;
	}
	read_suspended(&c);
	error = connect_swarm(d, &c.live, &e);
	if (!error)
		quiet_key_of(key, &c);
	if (!error && !git_failed && *d->quiet_key &&
	    !strcmp(key, d->quiet_key) && strcmp(trigger, "approve")) {
		/* nothing moved since a cycle that had nothing to do */
		log_debug("daemon", "%s", "nothing changed; not planned");
		c.result = "noop";
		c.exit_code = 0;
		goto done;
	}
	d->quiet_key[0] = '\0';
	if (!error) {
		choose_scope(&c);
		error = plan_and_apply(&c, &approved, &e);
	}
	conclude(&c, error, &e);
	if (!error && c.plan)
		record_stacks(&c);
	if (!error && !strcmp(c.result, "noop") && !git_failed &&
	    !json_object_size(c.held))
		memcpy(d->quiet_key, key, sizeof(key));
	if (!error && approved) {
		err_clear(&e);
		if (store_approval_set(d->o.store, d->approved, "applied", &e))
			log_warn("daemon", "%s", e.msg);
		d->approved[0] = '\0';
	}
	if (git_failed && !strcmp(c.result, "noop")) {
		/* the swarm matches the commit kedge has; git is unreachable */
		c.result = "failed";
		c.exit_code = 2;
		free(c.error);
		c.error = xasprintf("cannot check the remote: %s; the swarm "
		                    "matches %.12s",
		                    gerr.msg, d->cur->revision);
	}
done:
	if (!c.result)
		fail(&c, "failed", &e);
	prom_part(&c);
	finish(&c, t0);
	schedule_retry(d);
	if (d->o.notify && c.exit_code && strcmp(c.result, "interrupted") &&
	    !json_object_size(c.stalled) && !c.prom_error)
		d->o.notify(d->o.notify_ctx, "failure", "", c.error);
	plan_free(c.plan);
	live_free(c.live);
	json_decref(c.suspended);
	json_decref(c.stalled);
	json_decref(c.held);
	json_decref(c.scope);
	json_decref(c.stack_of);
	json_decref(c.drift_seen);
	json_decref(c.prom);
	free(c.error);
	log_set_reconcile(0);
}
