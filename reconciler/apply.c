/*
 * apply.c: performing a plan, declared in apply.h.
 *
 * Every write is one that a rerun would also make or skip: objects are
 * created under names fixed by content (configs, secrets) or by the stack,
 * and updates carry the full desired spec. That is what makes an apply
 * killed halfway converge when it is simply run again.
 */
#include <jansson.h>

#include "apply.h"
#include "converge.h"
#include "docker.h"
#include "err.h"
#include "live.h"
#include "log.h"
#include "normalize.h"
#include "plan.h"
#include "specdiff.h"
#include "store.h"

#define UPDATE_RETRIES 3
#define TASKS_GONE_MS  60000
#define TASKS_POLL_MS  500

struct run {
	struct plan *p;
	struct docker *d;
	const struct live *l;
	const struct apply_opts *o;
	json_t *ids;           /* created objects: name -> ID */
	json_t *removed_tasks; /* tasks of removed services, by ID */
};

static const char *net_name(void *ctx, const char *id)
{
	const char *n = live_network_name(ctx, id);

	return n ? n : id;
}

static const char *object_id(struct run *r, enum plan_kind kind,
                             const char *name)
{
	const char *id = json_string_value(json_object_get(r->ids, name));

	if (id)
		return id;
	if (kind == PLAN_CONFIG)
		return live_config_id(r->l, name);
	return live_secret_id(r->l, name);
}

/* Puts ConfigID / SecretID next to each name kedge wrote. */
static int fill_ids(struct run *r, json_t *spec, struct err *err)
{
	json_t *cs = json_object_get(json_object_get(spec, "TaskTemplate"),
	                             "ContainerSpec");
	static const struct {
		const char *list, *name, *id;
		enum plan_kind kind;
	} refs[] = {{"Configs", "ConfigName", "ConfigID", PLAN_CONFIG},
	            {"Secrets", "SecretName", "SecretID", PLAN_SECRET}};

	for (size_t k = 0; k < ARRAY_SIZE(refs); k++) {
		json_t *list = json_object_get(cs, refs[k].list), *ref;
		size_t i;

		json_array_foreach (list, i, ref) {
			const char *name = json_string_value(
			        json_object_get(ref, refs[k].name));
			const char *id =
			        name ? object_id(r, refs[k].kind, name) : NULL;

			if (!id)
				return err_set(err, ERR_NOTFOUND,
				               "%s '%s' does not exist",
				               refs[k].kind == PLAN_CONFIG
				                       ? "config"
				                       : "secret",
				               name ? name : "?");
			json_object_set_new(ref, refs[k].id, json_string(id));
		}
	}
	return 0;
}

/* Does the live service already have the spec we want to send? */
static int already_there(struct run *r, const json_t *live, const json_t *want)
{
	struct normalize_ctx nc = {net_name, (void *)r->l, 0, 0};
	struct specdiff_list diff = SPECDIFF_LIST_INIT;
	json_t *a = NULL, *b = NULL;
	struct err e;
	int same = 0;

	normalize_ctx_pins(&nc, want);

	if (!normalize_service(&a, json_object_get(live, "Spec"), &nc, &e) &&
	    !normalize_service(&b, want, &nc, &e) && !specdiff(&diff, a, b))
		same = diff.nr == 0;
	specdiff_list_free(&diff);
	json_decref(a);
	json_decref(b);
	return same;
}

/*
 * Retries an update that lost a race with another writer ("update out of
 * sequence"): reads the service again, and diffs again: when the other
 * writer already made it what we want, there is nothing left to do;
 * otherwise the update is sent again on the new version, keeping the
 * ForceUpdate the other writer set.
 */
static int update_service(struct run *r, struct plan_action *a, struct err *err)
{
	uint64_t version = a->version;
	int error = 0;

	for (int attempt = 0; attempt < UPDATE_RETRIES; attempt++) {
		json_t *live = NULL, *force;

		error = docker_service_update(r->d, a->id, version, a->spec,
		                              err);
		if (error != ERR_CONFLICT)
			return error;
		log_info("apply",
		         "update out of sequence; reading again "
		         "service=%s attempt=%d",
		         a->name, attempt + 1);
		error = docker_service_inspect(&live, r->d, a->id, err);
		if (error)
			return error;
		if (already_there(r, live, a->spec)) {
			json_decref(live);
			return 0;
		}
		version = (uint64_t)json_integer_value(json_object_get(
		        json_object_get(live, "Version"), "Index"));
		force = json_object_get(
		        json_object_get(json_object_get(live, "Spec"),
		                        "TaskTemplate"),
		        "ForceUpdate");
		if (force)
			json_object_set(
			        json_object_get(a->spec, "TaskTemplate"),
			        "ForceUpdate", force);
		json_decref(live);
	}
	return err_set(err, ERR_CONFLICT,
	               "service '%s' kept changing while kedge updated it "
	               "(%d attempts); run again",
	               a->name, UPDATE_RETRIES);
}

static int create_object(struct run *r, struct plan_action *a, struct err *err)
{
	char *id = NULL;
	int error;

	switch (a->kind) {
	case PLAN_NETWORK:
		error = docker_network_create(&id, r->d, a->spec, err);
		break;
	case PLAN_CONFIG:
		error = docker_config_create(&id, r->d, a->spec, err);
		break;
	case PLAN_SECRET:
		error = docker_secret_create(&id, r->d, a->spec, err);
		break;
	case PLAN_SERVICE:
		error = fill_ids(r, a->spec, err);
		if (!error)
			error = docker_service_create(&id, r->d, a->spec, err);
		break;
	default:
		BUG("cannot create a %s", plan_kind_name(a->kind));
	}
	if (!error && id)
		json_object_set_new(r->ids, a->name, json_string(id));
	free(id);
	return error;
}

static int any_left(const json_t *tasks, const json_t *ids)
{
	const json_t *t, *id;
	size_t i, k;

	json_array_foreach (tasks, i, t)
		json_array_foreach (ids, k, id)
			if (json_equal(json_object_get(t, "ID"), id))
				return 1;
	return 0;
}

/*
 * Waits (bounded) until the tasks of removed services are gone, so that the
 * networks, configs and secrets they used can go. The task IDs were taken
 * before the removal: once a service is gone the daemon no longer filters
 * tasks by it, and swarmkit deletes a task only after its container stopped.
 */
static int wait_tasks_gone(struct run *r, struct err *err)
{
	long long deadline = converge_now_ms() + TASKS_GONE_MS;
	const struct apply_hooks *h = &r->o->hooks;

	while (json_array_size(r->removed_tasks)) {
		json_t *tasks = NULL;
		struct err e;
		int left;

		if (docker_tasks_list(&tasks, r->d, NULL, NULL, &e))
			break;
		left = any_left(tasks, r->removed_tasks);
		json_decref(tasks);
		if (!left || converge_now_ms() >= deadline)
			break;
		if (converge_sleep(TASKS_POLL_MS, h->cancel, h->ctx))
			return err_set(
			        err, ERR_CANCELED,
			        "canceled while waiting for the tasks of "
			        "removed services to stop");
	}
	json_array_clear(r->removed_tasks);
	return 0;
}

/* Notes the tasks of a service about to be removed. */
static void note_tasks(struct run *r, const char *service_id)
{
	json_t *tasks = NULL, *t;
	struct err e;
	size_t i;

	if (docker_tasks_list(&tasks, r->d, service_id, NULL, &e))
		return;
	json_array_foreach (tasks, i, t)
		json_array_append(r->removed_tasks, json_object_get(t, "ID"));
	json_decref(tasks);
}

static int remove_object(struct run *r, struct plan_action *a, struct err *err)
{
	int error;

	if (a->kind != PLAN_SERVICE && json_array_size(r->removed_tasks) &&
	    (error = wait_tasks_gone(r, err)))
		return error;
	switch (a->kind) {
	case PLAN_SERVICE:
		note_tasks(r, a->id);
		error = docker_service_remove(r->d, a->id, err);
		break;
	case PLAN_NETWORK:
		error = docker_network_remove(r->d, a->id, err);
		break;
	case PLAN_CONFIG:
		error = docker_config_remove(r->d, a->id, err);
		break;
	case PLAN_SECRET:
		error = docker_secret_remove(r->d, a->id, err);
		break;
	default:
		BUG("cannot remove a %s", plan_kind_name(a->kind));
	}
	/*
	 * Someone else removed it first: the goal is reached. The daemon
	 * says so with a 500 for a network that only lingers on this node.
	 */
	if (error == ERR_REMOTE && err && strstr(err->msg, "not found"))
		error = ERR_NOTFOUND;
	return error == ERR_NOTFOUND ? 0 : error;
}

/*
 * Adoption writes kedge's labels: a service gets its planned spec (the
 * live one relabelled when nothing else differs), a config or secret its
 * label update. A network's labels cannot change: nothing is written.
 */
static int adopt_object(struct run *r, struct plan_action *a, struct err *err)
{
	switch (a->kind) {
	case PLAN_SERVICE: {
		int error = fill_ids(r, a->spec, err);

		return error ? error : update_service(r, a, err);
	}
	case PLAN_CONFIG:
		return docker_config_update(r->d, a->id, a->version, a->spec,
		                            err);
	case PLAN_SECRET:
		return docker_secret_update(r->d, a->id, a->version, a->spec,
		                            err);
	case PLAN_NETWORK:
		return 0;
	default:
		BUG("cannot adopt a %s", plan_kind_name(a->kind));
	}
}

static int one_action(struct run *r, struct plan_action *a, struct err *err)
{
	switch (a->op) {
	case PLAN_CREATE:
		return create_object(r, a, err);
	case PLAN_UPDATE:
		if (a->kind == PLAN_NODE)
			return docker_node_update(r->d, a->id, a->version,
			                          a->spec, err);
		{
			int error = fill_ids(r, a->spec, err);

			return error ? error : update_service(r, a, err);
		}
	case PLAN_REMOVE:
		return remove_object(r, a, err);
	case PLAN_ADOPT:
		return adopt_object(r, a, err);
	}
	BUG("unknown action %d", (int)a->op);
}

static void remember(const struct apply_opts *o, const struct plan *p,
                     const struct converge *c)
{
	struct err e;

	if (!o->store)
		return;
	for (size_t i = 0; i < c->nr; i++) {
		const struct converge_item *it = &c->items[i];
		const char *hash = NULL;

		for (size_t k = 0; k < p->nr; k++)
			if (p->actions[k].kind == PLAN_SERVICE &&
			    !strcmp(p->actions[k].name, it->name))
				hash = json_string_value(json_object_get(
				        json_object_get(p->actions[k].spec,
				                        "Labels"),
				        "kedge.spec-hash"));
		if (it->state == CONVERGE_DONE) {
			if (store_failed_clear(o->store, it->name, &e))
				log_warn("apply", "%s", e.msg);
		} else if (hash && it->state != CONVERGE_GONE) {
			char *why = xasprintf("%s%s%s",
			                      converge_state_name(it->state),
			                      it->detail ? ": " : "",
			                      it->detail ? it->detail : "");

			if (store_failed_set(o->store, it->name, hash, why, &e))
				log_warn("apply", "%s", e.msg);
			free(why);
		}
	}
}

void apply_emit(const struct apply_hooks *h, const struct apply_event *ev)
{
	if (h && h->event)
		h->event(h->ctx, ev);
}

int apply_canceled(const struct apply_hooks *h)
{
	return h && h->cancel && h->cancel(h->ctx);
}

static void converge_progress(void *ctx, const struct converge *c, int final)
{
	const struct apply_hooks *h = ctx;
	struct apply_event ev = {.kind = APPLY_CONVERGE};

	ev.converge = c;
	ev.final = final;
	apply_emit(h, &ev);
}

static int converge_cancel(void *ctx)
{
	return apply_canceled(ctx);
}

static int wait_converged(struct apply_result *res, struct run *r,
                          struct err *err)
{
	struct converge c = {NULL, 0};
	struct apply_event ev = {.kind = APPLY_WAIT_STARTED};
	struct converge_hooks ch = {converge_progress, converge_cancel,
	                            (void *)&r->o->hooks};
	int error;

	for (size_t i = 0; i < r->p->nr; i++) {
		const struct plan_action *a = &r->p->actions[i];

		if (a->kind == PLAN_SERVICE && a->op != PLAN_REMOVE)
			converge_add(&c, a->name, a->job,
			             a->op != PLAN_CREATE && a->rollout);
	}
	if (!c.nr)
		return 0;
	ev.converge = &c;
	ev.timeout_sec = r->o->timeout_sec;
	apply_emit(&r->o->hooks, &ev);
	error = converge_wait(&c, r->d, r->o->timeout_sec, &ch, err);
	if (!error) {
		res->not_converged = converge_failures(&c);
		remember(r->o, r->p, &c);
	}
	converge_release(&c);
	return error;
}

static void emit_action(const struct apply_opts *o, enum apply_event_kind kind,
                        size_t i, const struct plan_action *a,
                        const struct err *err)
{
	struct apply_event ev = {.kind = kind};

	ev.index = i;
	ev.action = a;
	ev.err = err;
	apply_emit(&o->hooks, &ev);
}

int apply_run(struct apply_result *res, struct plan *p, struct docker *d,
              const struct live *l, const struct apply_opts *o, struct err *err)
{
	struct run r = {p, d, l, o, json_object(), json_array()};
	int error = 0;

	memset(res, 0, sizeof(*res));
	for (size_t i = 0; i < p->nr; i++) {
		struct plan_action *a = &p->actions[i];

		if (apply_canceled(&o->hooks)) {
			error = err_set(err, ERR_CANCELED,
			                "canceled before %s %s '%s'",
			                plan_op_name(a->op),
			                plan_kind_name(a->kind), a->name);
			break;
		}
		emit_action(o, APPLY_ACTION_STARTED, i, a, NULL);
		error = one_action(&r, a, err);
		if (error) {
			err_prefix(err, "%s %s '%s'", plan_op_name(a->op),
			           plan_kind_name(a->kind), a->name);
			emit_action(o, APPLY_ACTION_FAILED, i, a, err);
			break;
		}
		res->done++;
		emit_action(o, APPLY_ACTION_DONE, i, a, NULL);
		log_info("apply", "%s %s name=%s", plan_op_name(a->op),
		         plan_kind_name(a->kind), a->name);
	}
	if (!error && json_array_size(r.removed_tasks))
		error = wait_tasks_gone(&r, err);
	if (!error && o->timeout_sec > 0)
		error = wait_converged(res, &r, err);
	json_decref(r.ids);
	json_decref(r.removed_tasks);
	return error;
}
