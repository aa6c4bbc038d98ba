/*
 * plan-services.c: services, networks, configs and secrets, and the
 * removals of what kedge owns and no longer wants: the body of plan_build
 * (plan.h). Also adoption (docs/adoption.md): taking over the objects that
 * `docker stack deploy` made in a stack's namespace.
 */
#include <jansson.h>

#include "convert.h"
#include "desired.h"
#include "buf.h"
#include "diag.h"
#include "err.h"
#include "hash.h"
#include "live.h"
#include "normalize.h"
#include "placement.h"
#include "plan-int.h"
#include "specdiff.h"
#include "srcmap.h"
#include "store.h"

struct ctx {
	struct plan *p;
	const struct desired *d;
	const struct live *l;
	const struct plan_opts *o;
	struct diag *diag;
	json_t *all;       /* plan_new_all(): what is desired, so far */
	json_t *prune;     /* {services, networks, configs, secrets: bool} */
	const char *owner; /* kedge.managed-by value of this instance */
	json_t *ns;        /* {stack: NS_* bits of its live services} */
	json_t *adopted;   /* {config or secret name: logical name} */
};

/* Who owns the live services of a stack's namespace (ctx.ns). */
enum { NS_MINE = 1, NS_OTHER = 2, NS_UNOWNED = 4 };

static void note_namespaces(struct ctx *c)
{
	const json_t *svc;
	size_t i;

	json_array_foreach (c->l->services, i, svc) {
		const char *ns = plan_label(svc, CONVERT_LABEL_NAMESPACE);
		const char *by = plan_label(svc, CONVERT_LABEL_MANAGED_BY);
		json_int_t bits;

		if (!ns)
			continue;
		bits = json_integer_value(json_object_get(c->ns, ns));
		bits |= !by                     ? NS_UNOWNED
		        : !strcmp(by, c->owner) ? NS_MINE
		                                : NS_OTHER;
		json_object_set_new(c->ns, ns, json_integer(bits));
	}
}

static int ns_bits(struct ctx *c, const char *stack)
{
	return stack ? (int)json_integer_value(json_object_get(c->ns, stack))
	             : 0;
}

/* Adoption asked for stack: --adopt, or kedge.yml `adopt: true | [..]`. */
static int adopting(struct ctx *c, const char *stack)
{
	const json_t *v = json_object_get(c->d->settings.doc, "adopt"), *x;
	size_t i;

	if (!stack)
		return 0;
	if (c->o->adopt || json_is_true(v))
		return 1;
	json_array_foreach (v, i, x)
		if (json_is_string(x) && !strcmp(json_string_value(x), stack))
			return 1;
	return 0;
}

/*
 * What docker stack deploy made for stack: no kedge.managed-by label (an
 * object of another kedge instance is never adopted) and stack's
 * namespace label.
 */
static int adoptable(const json_t *live, const char *stack)
{
	const char *ns = plan_label(live, CONVERT_LABEL_NAMESPACE);

	return stack && ns && !strcmp(ns, stack) &&
	       !plan_label(live, CONVERT_LABEL_MANAGED_BY);
}

/*
 * Network labels cannot change, so an adopted network keeps none of
 * kedge's: it is owned through its stack, when the stack's live services
 * are this instance's and none is another's.
 */
static int network_owned_by_stack(struct ctx *c, const json_t *live)
{
	const char *ns = plan_label(live, CONVERT_LABEL_NAMESPACE);
	int bits = ns_bits(c, ns);

	return !plan_label(live, CONVERT_LABEL_MANAGED_BY) &&
	       (bits & NS_MINE) && !(bits & NS_OTHER);
}

/* Who owns a live object that is not this instance's. Caller frees. */
static char *foreign(const json_t *live)
{
	const char *by = plan_label(live, "kedge.managed-by");

	if (by)
		return xasprintf("it belongs to kedge instance '%s'", by);
	return xstrdup("it has no kedge.managed-by label: made by docker "
	               "stack deploy or by hand?");
}

/* The stack a converted object came from, or NULL. Borrowed. */
static const char *stack_name_of(struct ctx *c, const char *name)
{
	return json_string_value(
	        json_object_get(json_object_get(c->all, "stack_of"), name));
}

/* Reports a problem at /services/<short>/<sub> of the stack's compose. */
static void service_problem(struct ctx *c, const char *name, const char *sub,
                            const char *fmt, ...) PRINTF(4, 5);

static void service_problem(struct ctx *c, const char *name, const char *sub,
                            const char *fmt, ...)
{
	const char *stack = stack_name_of(c, name);
	const struct desired_stack *st =
	        stack ? desired_stack_find(c->d, stack) : NULL;
	struct srcpos pos = {0, 0, 0, 0};
	va_list ap;

	if (st && st->compose.map) {
		size_t n = strlen(stack) + 1;
		char *ptr = xasprintf("/services/%s%s%s",
		                      strlen(name) > n ? name + n : name,
		                      sub ? "/" : "", sub ? sub : "");

		if (srcmap_get(st->compose.map, ptr, &pos) < 0)
			memset(&pos, 0, sizeof(pos));
		free(ptr);
	}
	va_start(ap, fmt);
	diag_vadd(c->diag, DIAG_ERROR, st ? st->compose.path : NULL, pos.line,
	          pos.col, fmt, ap);
	va_end(ap);
}

static const json_t *labels_for(void *ctx, const json_t *node)
{
	return plan_node_future_labels(ctx, node);
}

static void check_placement(struct ctx *c, const char *name, const json_t *spec)
{
	const json_t *cons = json_object_get(
	        json_object_get(json_object_get(spec, "TaskTemplate"),
	                        "Placement"),
	        "Constraints");
	char *list;

	if (placement_any(c->l->nodes, cons, labels_for, c->p))
		return;
	list = json_dumps(cons ? cons : json_array(), JSON_COMPACT);
	service_problem(c, name, "deploy/placement/constraints",
	                "service '%s': no node of the swarm satisfies its "
	                "placement constraints %s",
	                name, list ? list : "[]");
	free(list);
}

static const char *short_name(struct ctx *c, const char *name)
{
	const char *stack = stack_name_of(c, name);
	size_t n = stack ? strlen(stack) : 0;

	return stack && !strncmp(name, stack, n) && name[n] == '_'
	               ? name + n + 1
	               : name;
}

/* The compose service (for x-kedge) of a converted service name. */
static const json_t *compose_service(struct ctx *c, const char *name)
{
	const char *stack = stack_name_of(c, name);
	const struct desired_stack *st =
	        stack ? desired_stack_find(c->d, stack) : NULL;

	if (!st)
		return NULL;
	return json_object_get(json_object_get(st->compose.doc, "services"),
	                       short_name(c, name));
}

/* Ignore paths for a service: its x-kedge.ignore and kedge.yml's. */
static size_t ignores(const char **out, size_t max, struct ctx *c,
                      const char *name)
{
	const json_t *xk = json_object_get(compose_service(c, name), "x-kedge");
	const json_t *list = json_object_get(xk, "ignore"), *v;
	const char *stack = stack_name_of(c, name);
	size_t i, n = 0;

	json_array_foreach (list, i, v)
		if (json_is_string(v) && n < max)
			out[n++] = json_string_value(v);
	list = json_object_get(c->d->settings.doc, "ignore");
	json_array_foreach (list, i, v) {
		const json_t *stacks = json_object_get(v, "stacks");
		const json_t *svcs = json_object_get(v, "services"), *x;
		int match = 1;
		size_t k;

		if (json_is_string(v)) {
			if (n < max)
				out[n++] = json_string_value(v);
			continue;
		}
		if (stacks) {
			match = 0;
			json_array_foreach (stacks, k, x)
				match |= stack && json_is_string(x) &&
				         !strcmp(json_string_value(x), stack);
		}
		if (svcs && match) {
			match = 0;
			json_array_foreach (svcs, k, x)
				match |= json_is_string(x) &&
				         (!strcmp(json_string_value(x), name) ||
				          !strcmp(json_string_value(x),
				                  short_name(c, name)));
		}
		if (match && n < max &&
		    json_is_string(json_object_get(v, "path")))
			out[n++] =
			        json_string_value(json_object_get(v, "path"));
	}
	return n;
}

static const char *net_name_cb(void *ctx, const char *id)
{
	const struct live *l = ctx;
	const char *n = live_network_name(l, id);

	return n ? n : id;
}

static long replicas_of(const json_t *spec)
{
	const json_t *r = json_object_get(
	        json_object_get(json_object_get(spec, "Mode"), "Replicated"),
	        "Replicas");

	return r ? (long)json_integer_value(r) : -1;
}

/* Is the failing spec the one we would apply again? */
static int failed_before(struct ctx *c, const char *name, const char *hash)
{
	char *h = NULL, *why = NULL;
	struct err e;
	int same = 0;

	if (!c->o->store || !hash)
		return 0;
	if (store_failed_get(&h, &why, c->o->store, name, &e) == 0) {
		same = !strcmp(h, hash);
		if (same)
			json_array_append_new(c->p->skipped,
			                      json_pack("{s:s, s:s}", "name",
			                                name, "reason", why));
	}
	free(h);
	free(why);
	return same;
}

/* Paths that restart tasks when they change (swarmkit's DeepEqual). */
static int restarts_tasks(const json_t *changes)
{
	const json_t *ch;
	size_t i;

	json_array_foreach (changes, i, ch) {
		const char *path =
		        json_string_value(json_object_get(ch, "path"));

		if (path && (starts_with(path, "TaskTemplate") ||
		             starts_with(path, "EndpointSpec")))
			return 1;
	}
	return 0;
}

/* Normalised diff of a live service against the desired spec. */
static int service_changes(json_t **out, struct ctx *c, const json_t *live,
                           const json_t *want, struct err *err)
{
	struct normalize_ctx nc = {net_name_cb, (void *)c->l, 0, 0};
	struct specdiff_list list = SPECDIFF_LIST_INIT;
	json_t *a = NULL, *b = NULL;
	int error;

	normalize_ctx_pins(&nc, want);
	error = normalize_service(&a, json_object_get(live, "Spec"), &nc, err);
	if (!error)
		error = normalize_service(&b, want, &nc, err);
	if (!error)
		error = specdiff(&list, a, b);
	if (!error) {
		*out = json_array();
		for (size_t i = 0; i < list.nr; i++)
			json_array_append_new(
			        *out, json_pack("{s:s, s:s?, s:s?}", "path",
			                        list.items[i].path, "old",
			                        list.items[i].old_val, "new",
			                        list.items[i].new_val));
	}
	specdiff_list_free(&list);
	json_decref(a);
	json_decref(b);
	return error;
}

static const char *want_hash(const json_t *spec)
{
	return json_string_value(json_object_get(
	        json_object_get(spec, "Labels"), "kedge.spec-hash"));
}

/* Are all changes in the service's own labels (no task restarts)? */
static int labels_only(const json_t *changes)
{
	const json_t *ch;
	size_t i;

	json_array_foreach (changes, i, ch) {
		const char *path =
		        json_string_value(json_object_get(ch, "path"));

		if (!path || !starts_with(path, "Labels"))
			return 0;
	}
	return 1;
}

/*
 * What an adoption sends when only labels differ: the live spec as the
 * daemon holds it, with the desired service labels, so the task template
 * is byte for byte the same and swarmkit restarts nothing.
 */
static json_t *relabelled(const json_t *live, const json_t *want)
{
	json_t *spec = json_deep_copy(json_object_get(live, "Spec"));

	json_object_set_new(spec, "Labels",
	                    json_deep_copy(json_object_get(want, "Labels")));
	return spec;
}

static int plan_update(struct ctx *c, const char *name, const json_t *spec,
                       const json_t *live, int adopt, struct err *err)
{
	const char *paths[32];
	size_t n = ignores(paths, ARRAY_SIZE(paths), c, name);
	json_t *want = json_deep_copy(spec), *changes = NULL;
	const json_t *force;
	struct plan_action *a;
	int error;

	error = normalize_apply_ignores(want, json_object_get(live, "Spec"),
	                                paths, n, err);
	if (!error)
		error = service_changes(&changes, c, live, want, err);
	if (!error && (adopt || json_array_size(changes)))
		plan_label_spec_hash(want, spec);
	if (error || (!adopt && !json_array_size(changes)) ||
	    failed_before(c, name, want_hash(want))) {
		json_decref(want);
		json_decref(changes);
		return error;
	}
	/* Swarm bumps ForceUpdate on `docker service update --force`; keep
	 * whatever is live so kedge never forces a restart by accident. */
	force = json_object_get(
	        json_object_get(json_object_get(live, "Spec"), "TaskTemplate"),
	        "ForceUpdate");
	if (force)
		json_object_set(json_object_get(want, "TaskTemplate"),
		                "ForceUpdate", (json_t *)force);
	a = plan_add(c->p, adopt ? PLAN_ADOPT : PLAN_UPDATE, PLAN_SERVICE, name,
	             stack_name_of(c, name));
	plan_set_live(a, live);
	a->changes = changes;
	a->rollout = restarts_tasks(changes);
	a->job = json_object_get(json_object_get(want, "Mode"),
	                         "ReplicatedJob") ||
	         json_object_get(json_object_get(want, "Mode"), "GlobalJob");
	if (replicas_of(want) == 0 &&
	    replicas_of(json_object_get(live, "Spec")) > 0)
		c->p->destructive = a->destructive = 1;
	if (adopt && labels_only(changes)) {
		a->spec = relabelled(live, want);
		json_decref(want);
	} else {
		a->spec = want;
	}
	a->spec_hash = plan_spec_hash(a->spec);
	return 0;
}

static void refuse_service(struct ctx *c, const char *name, const json_t *live,
                           int adoptable_here)
{
	char *why = foreign(live);

	if (adoptable_here)
		service_problem(c, name, NULL,
		                "service '%s' already exists and is not "
		                "managed by this kedge (%s); pass --adopt "
		                "(or set `adopt:` in kedge.yml) to take "
		                "over stack '%s', or remove it",
		                name, why, stack_name_of(c, name));
	else
		service_problem(c, name, NULL,
		                "service '%s' already exists and is not "
		                "managed by this kedge (%s); remove it, "
		                "or label it kedge.managed-by=%s to "
		                "adopt it",
		                name, why, c->owner);
	free(why);
}

static void mark_prune_protection(struct ctx *c, const char *name, json_t *spec)
{
	const json_t *xk = json_object_get(compose_service(c, name), "x-kedge");

	if (json_is_false(json_object_get(xk, "prune")))
		json_object_set_new(json_object_get(spec, "Labels"),
		                    "kedge.prune", json_string("false"));
}

/* The services of one converted stack. */
static int plan_services(struct ctx *c, json_t *svcs, struct err *err)
{
	json_t *spec;
	const char *name;
	int error = 0;

	json_object_foreach (svcs, name, spec) {
		const json_t *live = live_service_by_name(c->l, name);
		struct plan_action *a;

		const char *stack = stack_name_of(c, name);
		int adopt = 0;

		mark_prune_protection(c, name, spec);
		if (live && !plan_owned(live, c->owner)) {
			adopt = adoptable(live, stack) &&
			        !(ns_bits(c, stack) & NS_OTHER);
			if (!adopt || !adopting(c, stack)) {
				refuse_service(c, name, live, adopt);
				continue;
			}
		}
		/* Every service, changed or not: a node label change in this
		 * plan can leave an unchanged service nowhere to run. */
		check_placement(c, name, spec);
		if (live) {
			error = plan_update(c, name, spec, live, adopt, err);
			if (error)
				return error;
			continue;
		}
		a = plan_add(c->p, PLAN_CREATE, PLAN_SERVICE, name,
		             stack_name_of(c, name));
		a->spec = json_deep_copy(spec);
		plan_label_spec_hash(a->spec, spec);
		a->spec_hash = plan_spec_hash(a->spec);
		a->rollout = 1;
		a->job = json_object_get(json_object_get(spec, "Mode"),
		                         "ReplicatedJob") ||
		         json_object_get(json_object_get(spec, "Mode"),
		                         "GlobalJob");
	}
	return 0;
}

/* The position of a stack's top-level object for messages. */
static void object_problem(struct ctx *c, enum diag_severity sev,
                           const char *kind, const char *name, const char *fmt,
                           ...) PRINTF(5, 6);

static void object_problem(struct ctx *c, enum diag_severity sev,
                           const char *kind, const char *name, const char *fmt,
                           ...)
{
	const char *stack = stack_name_of(c, name);
	const struct desired_stack *st =
	        stack ? desired_stack_find(c->d, stack) : NULL;
	struct srcpos pos = {0, 0, 0, 0};
	va_list ap;

	if (st && st->compose.map) {
		char *ptr = xasprintf("/%s", kind);

		if (srcmap_get(st->compose.map, ptr, &pos) < 0)
			memset(&pos, 0, sizeof(pos));
		free(ptr);
	}
	va_start(ap, fmt);
	diag_vadd(c->diag, sev, st ? st->compose.path : NULL, pos.key_line,
	          pos.key_col, fmt, ap);
	va_end(ap);
}

static json_t *(*const by_name[])(const struct live *, const char *) = {
        live_network_by_name, live_config_by_name, live_secret_by_name};
static const char *const kind_keys[] = {"networks", "configs", "secrets"};
static const enum plan_kind kinds[] = {PLAN_NETWORK, PLAN_CONFIG, PLAN_SECRET};

/* Network fields Swarm cannot change in place, compared as sent. */
static void compare_network(struct ctx *c, const char *name, const json_t *want,
                            const json_t *live)
{
	static const char *const fields[] = {"Driver", "Internal",
	                                     "Attachable"};

	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		const json_t *w = json_object_get(want, fields[i]);
		const json_t *v = json_object_get(live, fields[i]);

		if (!w || json_equal(w, v) || (json_is_false(w) && !v))
			continue;
		object_problem(c, DIAG_WARNING, "networks", name,
		               "network '%s' differs from the desired state "
		               "(%s); Swarm cannot change a network in place: "
		               "remove the stack's services and the network "
		               "to recreate it",
		               name, fields[i]);
		return;
	}
}

/* "it has no ...", with why an unlabelled network is not adopted. */
static void refuse_object(struct ctx *c, size_t k, const char *name,
                          const json_t *live, int hint)
{
	char *why = foreign(live);

	object_problem(c, DIAG_ERROR, kind_keys[k], name,
	               "%.*s '%s' already exists and is not managed by this "
	               "kedge (%s)%s",
	               (int)strlen(kind_keys[k]) - 1, kind_keys[k], name, why,
	               hint ? "; pass --adopt (or set `adopt:` in kedge.yml) "
	                      "to take over its stack"
	                    : "");
	free(why);
}

/* kedge's labels for an adopted config or secret: owner, logical name. */
static void adopt_object(struct ctx *c, size_t k, const json_t *live,
                         const json_t *want, int equal)
{
	const json_t *wl = json_object_get(want, "Labels");
	const char *name = json_string_value(
	        json_object_get(json_object_get(live, "Spec"), "Name"));
	const char *logical = json_string_value(
	        json_object_get(wl, CONVERT_LABEL_LOGICAL_NAME));
	struct plan_action *a;
	json_t *labels;

	a = plan_add(c->p, PLAN_ADOPT, kinds[k], name,
	             plan_label(live, CONVERT_LABEL_NAMESPACE));
	plan_set_live(a, live);
	a->spec = json_deep_copy(json_object_get(live, "Spec"));
	/* The daemon keeps Data; an update must leave it out or equal. */
	json_object_del(a->spec, "Data");
	labels = json_object_get(a->spec, "Labels");
	if (!json_is_object(labels)) {
		labels = json_object();
		json_object_set_new(a->spec, "Labels", labels);
	}
	json_object_set_new(labels, CONVERT_LABEL_MANAGED_BY,
	                    json_string(c->owner));
	if (logical)
		json_object_set_new(labels, CONVERT_LABEL_LOGICAL_NAME,
		                    json_string(logical));
	/* Only content kedge compared gets its hash: a secret cannot be
	 * read back, so an adopted secret is replaced once. */
	if (equal)
		json_object_set(
		        labels, CONVERT_LABEL_CONTENT_HASH,
		        json_object_get(wl, CONVERT_LABEL_CONTENT_HASH));
	a->spec_hash = plan_spec_hash(a->spec);
	if (!equal)
		json_object_set_new(c->adopted, name,
		                    json_string(logical ? logical : ""));
}

/*
 * docker stack deploy names a config or secret <stack>_<key> (or its
 * `name:`); kedge adds _<first 8 digits of the content hash>. The name
 * without that suffix, or NULL. Caller frees.
 */
static char *cli_object_name(const char *name, const json_t *want)
{
	const char *hash = json_string_value(json_object_get(
	        json_object_get(want, "Labels"), CONVERT_LABEL_CONTENT_HASH));
	size_t n = strlen(name);

	if (!hash || strlen(hash) < 8 || n < 10 || name[n - 9] != '_' ||
	    strncmp(name + n - 8, hash, 8))
		return NULL;
	return xstrndup(name, n - 9);
}

/* A live config's content equals the desired one (base64 both). */
static int same_data(const json_t *live, const json_t *want)
{
	const json_t *a =
	        json_object_get(json_object_get(live, "Spec"), "Data");
	const json_t *b = json_object_get(want, "Data");

	return json_is_string(a) && json_is_string(b) && json_equal(a, b);
}

/*
 * A desired config or secret that no live object has the name of: is it
 * already live under docker stack deploy's name? The live name when that
 * object is kept in its place (an equal config), NULL otherwise (kedge
 * creates its own, and an adopted predecessor is pruned once unused).
 * The caller frees the name.
 */
static char *predecessor(struct ctx *c, size_t k, const char *name,
                         const json_t *want)
{
	char *cli = cli_object_name(name, want), *kept = NULL;
	const char *stack = stack_name_of(c, name), *hash;
	const json_t *live = cli ? by_name[k](c->l, cli) : NULL;

	hash = json_string_value(json_object_get(
	        json_object_get(want, "Labels"), CONVERT_LABEL_CONTENT_HASH));
	if (live && plan_owned(live, c->owner)) {
		/* Adopted before: kept while its content is the same. */
		const char *h = plan_label(live, CONVERT_LABEL_CONTENT_HASH);
		const char *ns = plan_label(live, CONVERT_LABEL_NAMESPACE);

		if (h && hash && !strcmp(h, hash) && ns && stack &&
		    !strcmp(ns, stack))
			kept = cli;
	} else if (live && adoptable(live, stack) &&
	           !(ns_bits(c, stack) & NS_OTHER) && adopting(c, stack)) {
		int equal = kinds[k] == PLAN_CONFIG && same_data(live, want);

		adopt_object(c, k, live, want, equal);
		if (equal)
			kept = cli;
	}
	if (!kept)
		free(cli);
	return kept;
}

/*
 * Makes the desired object `from` the live `to`: renamed in the stack's
 * objects and the desired set, and in the references of its services.
 */
static void rename_object(struct ctx *c, json_t *stack_objs, size_t k,
                          const char *from, const char *to)
{
	const char *list = kinds[k] == PLAN_CONFIG ? "Configs" : "Secrets";
	const char *key = kinds[k] == PLAN_CONFIG ? "ConfigName" : "SecretName";
	json_t *dicts[] = {json_object_get(stack_objs, kind_keys[k]),
	                   json_object_get(c->all, kind_keys[k])};
	json_t *spec = json_incref(json_object_get(dicts[0], from)), *svc, *r;
	const char *sname;
	size_t i;

	json_object_set_new(spec, "Name", json_string(to));
	for (size_t d = 0; d < ARRAY_SIZE(dicts); d++) {
		json_object_del(dicts[d], from);
		json_object_set(dicts[d], to, spec);
	}
	json_object_set(
	        json_object_get(c->all, "stack_of"), to,
	        json_object_get(json_object_get(c->all, "stack_of"), from));
	json_object_del(json_object_get(c->all, "stack_of"), from);
	json_object_foreach (json_object_get(stack_objs, "services"), sname,
	                     svc)
		json_array_foreach (
		        json_object_get(
		                json_object_get(
		                        json_object_get(svc, "TaskTemplate"),
		                        "ContainerSpec"),
		                list),
		        i, r) {
			const char *n =
			        json_string_value(json_object_get(r, key));

			if (n && !strcmp(n, from))
				json_object_set_new(r, key, json_string(to));
		}
	json_decref(spec);
}

/* One desired network, config or secret whose name is live. */
static void plan_live_object(struct ctx *c, size_t k, const char *name,
                             const json_t *spec, const json_t *live)
{
	const char *stack = stack_name_of(c, name);
	int adopt;

	if (plan_owned(live, c->owner) ||
	    (kinds[k] == PLAN_NETWORK && network_owned_by_stack(c, live))) {
		if (kinds[k] == PLAN_NETWORK)
			compare_network(c, name, spec, live);
		return;
	}
	adopt = adoptable(live, stack) && !(ns_bits(c, stack) & NS_OTHER);
	if (!adopt || !adopting(c, stack)) {
		refuse_object(c, k, name, live, adopt);
		return;
	}
	if (kinds[k] == PLAN_NETWORK) {
		/* Nothing to write: labels of a network are fixed, and it
		 * belongs to kedge through its stack's services from now. */
		struct plan_action *a =
		        plan_add(c->p, PLAN_ADOPT, kinds[k], name, stack);

		plan_set_live(a, live);
		compare_network(c, name, spec, live);
		return;
	}
	adopt_object(c, k, live, spec,
	             kinds[k] == PLAN_CONFIG && same_data(live, spec));
}

/* The networks, configs and secrets of one converted stack (stack_objs). */
static void plan_objects(struct ctx *c, json_t *stack_objs)
{
	for (size_t k = 0; k < ARRAY_SIZE(kind_keys); k++) {
		json_t *objs = json_object_get(stack_objs, kind_keys[k]), *spec;
		json_t *ext = json_object_get(
		               json_object_get(stack_objs, "external"),
		               kind_keys[k]),
		       *e, *renames = json_object(), *to;
		const char *name;
		size_t i;

		json_object_foreach (objs, name, spec) {
			const json_t *live = by_name[k](c->l, name);
			char *kept;
			struct plan_action *a;

			if (live) {
				plan_live_object(c, k, name, spec, live);
				continue;
			}
			kept = kinds[k] == PLAN_NETWORK
			               ? NULL
			               : predecessor(c, k, name, spec);
			if (kept) {
				json_object_set_new(renames, name,
				                    json_string(kept));
				free(kept);
				continue;
			}
			a = plan_add(c->p, PLAN_CREATE, kinds[k], name,
			             stack_name_of(c, name));
			a->spec = json_deep_copy(spec);
			a->spec_hash = plan_spec_hash(spec);
		}
		json_object_foreach (renames, name, to)
			rename_object(c, stack_objs, k, name,
			              json_string_value(to));
		json_decref(renames);
		json_array_foreach (ext, i, e)
			if (json_is_string(e) &&
			    !by_name[k](c->l, json_string_value(e)))
				diag_add(c->diag, DIAG_ERROR, NULL, 0, 0,
				         "external %.*s '%s' does not exist in "
				         "the swarm; create it first",
				         (int)strlen(kind_keys[k]) - 1,
				         kind_keys[k], json_string_value(e));
	}
}

static int prune_enabled(struct ctx *c, const char *kind)
{
	const json_t *v = json_object_get(c->d->settings.doc, "prune");

	if (json_is_boolean(v))
		return json_is_true(v);
	v = json_object_get(v, kind);
	return !v || json_is_true(v);
}

/* The Spec.Name (or a network's Name) of a live object. Borrowed. */
static const char *live_name(const json_t *live)
{
	const char *n = json_string_value(
	        json_object_get(json_object_get(live, "Spec"), "Name"));

	return n ? n : json_string_value(json_object_get(live, "Name"));
}

/*
 * Owned: by label, by adoption in this plan (a config or secret about to
 * be replaced), or, for a network, through its stack.
 */
static int removable(struct ctx *c, enum plan_kind kind, const json_t *live)
{
	const char *stack = plan_label(live, "com.docker.stack.namespace");
	const char *keep = plan_label(live, "kedge.prune");
	const char *name = live_name(live);
	int owned = plan_owned(live, c->owner) ||
	            (kind == PLAN_NETWORK && network_owned_by_stack(c, live)) ||
	            (name && json_object_get(c->adopted, name));

	return owned && plan_in_scope(c->o, stack) &&
	       !(keep && !strcmp(keep, "false"));
}

/*
 * A config or secret replaced by a new version of itself (same stack and
 * logical name, new content hash) is part of an update, not a removal the
 * user has to confirm.
 */
static int superseded(struct ctx *c, enum plan_kind kind, const json_t *live)
{
	const char *stack = plan_label(live, "com.docker.stack.namespace");
	const char *logical = plan_label(live, "kedge.logical-name");
	const char *self = live_name(live);
	json_t *objs, *spec;
	const char *name;

	/* Adopted in this plan: the label is not on the live object yet. */
	if (!logical && self)
		logical = json_string_value(json_object_get(c->adopted, self));
	if ((kind != PLAN_CONFIG && kind != PLAN_SECRET) || !stack || !logical)
		return 0;
	objs = json_object_get(c->all,
	                       kind == PLAN_CONFIG ? "configs" : "secrets");
	json_object_foreach (objs, name, spec) {
		const json_t *labels = json_object_get(spec, "Labels");
		const char *s = json_string_value(
		        json_object_get(labels, "com.docker.stack.namespace"));
		const char *l = json_string_value(
		        json_object_get(labels, "kedge.logical-name"));

		if (s && l && !strcmp(s, stack) && !strcmp(l, logical))
			return 1;
	}
	return 0;
}

static void add_removal(struct ctx *c, enum plan_kind kind, const json_t *live)
{
	const char *name = json_string_value(
	        json_object_get(json_object_get(live, "Spec"), "Name"));
	struct plan_action *a;

	if (!name)
		name = json_string_value(json_object_get(live, "Name"));
	a = plan_add(c->p, PLAN_REMOVE, kind, name ? name : "?",
	             plan_label(live, "com.docker.stack.namespace"));
	plan_set_live(a, live);
	if (!superseded(c, kind, live))
		c->p->destructive = a->destructive = 1;
}

/* Does a service spec refer to a network, config or secret? */
static int refers_to(const json_t *spec, const char *kind, const char *id,
                     const char *name)
{
	const json_t *tt = json_object_get(spec, "TaskTemplate"), *list, *r;
	const char *idk, *namek;
	size_t i;

	if (!strcmp(kind, "networks")) {
		list = json_object_get(tt, "Networks");
		idk = namek = "Target";
	} else {
		int cfg = !strcmp(kind, "configs");

		list = json_object_get(json_object_get(tt, "ContainerSpec"),
		                       cfg ? "Configs" : "Secrets");
		idk = cfg ? "ConfigID" : "SecretID";
		namek = cfg ? "ConfigName" : "SecretName";
	}
	json_array_foreach (list, i, r) {
		const char *a = json_string_value(json_object_get(r, idk));
		const char *b = json_string_value(json_object_get(r, namek));

		if ((a && id && !strcmp(a, id)) ||
		    (b && name && !strcmp(b, name)))
			return 1;
	}
	return 0;
}

/* Is an object (by ID or name) still used by a service that stays? */
static int in_use(struct ctx *c, const char *kind, const json_t *obj)
{
	const char *id = json_string_value(json_object_get(obj, "ID"));
	const char *name = json_string_value(
	        json_object_get(json_object_get(obj, "Spec"), "Name"));
	json_t *svc;

	if (!id)
		id = json_string_value(json_object_get(obj, "Id"));
	if (!name)
		name = json_string_value(json_object_get(obj, "Name"));
	size_t i;
	const char *sname;

	/* Desired services refer to names; live ones to IDs and names. */
	json_object_foreach (json_object_get(c->all, "services"), sname, svc)
		if (refers_to(svc, kind, id, name))
			return 1;
	json_array_foreach (c->l->services, i, svc) {
		const char *n = json_string_value(
		        json_object_get(json_object_get(svc, "Spec"), "Name"));
		int leaving = 0;

		/* A service that leaves, or that will be updated to its
		 * desired spec (checked above), no longer holds what it uses
		 * now. */
		if (n &&
		    json_object_get(json_object_get(c->all, "services"), n))
			continue;
		for (size_t k = 0; k < c->p->nr; k++)
			leaving |= c->p->actions[k].op == PLAN_REMOVE &&
			           c->p->actions[k].kind == PLAN_SERVICE && n &&
			           !strcmp(c->p->actions[k].name, n);
		if (!leaving &&
		    refers_to(json_object_get(svc, "Spec"), kind, id, name))
			return 1;
	}
	return 0;
}

static size_t desired_services_in_scope(struct ctx *c)
{
	return json_object_size(json_object_get(c->all, "services"));
}

static void plan_prune(struct ctx *c)
{
	json_t *live_lists[] = {c->l->networks, c->l->configs, c->l->secrets};
	size_t owned = 0, i;
	json_t *o;

	json_array_foreach (c->l->services, i, o)
		owned += removable(c, PLAN_SERVICE, o);
	if (owned && !desired_services_in_scope(c) && !c->o->allow_empty) {
		diag_add(c->diag, DIAG_ERROR, NULL, 0, 0,
		         "refusing to remove all %zu services kedge manages: "
		         "the desired state has no services%s (pass "
		         "--allow-empty if that is what you want)",
		         owned,
		         c->d->has_stacks_dir ? "" : " and no stacks/ folder");
		return;
	}
	if (prune_enabled(c, "services"))
		json_array_foreach (c->l->services, i, o) {
			const char *n = json_string_value(json_object_get(
			        json_object_get(o, "Spec"), "Name"));

			if (removable(c, PLAN_SERVICE, o) && n &&
			    !json_object_get(
			            json_object_get(c->all, "services"), n))
				add_removal(c, PLAN_SERVICE, o);
		}
	/* Configs and secrets before networks, as docker stack rm does. */
	for (size_t k = 1; k <= ARRAY_SIZE(live_lists); k++) {
		size_t kk = k % ARRAY_SIZE(live_lists);

		if (!prune_enabled(c, kind_keys[kk]))
			continue;
		json_array_foreach (live_lists[kk], i, o) {
			const char *n = json_string_value(json_object_get(
			        json_object_get(o, "Spec"), "Name"));

			if (!n)
				n = json_string_value(
				        json_object_get(o, "Name"));
			if (removable(c, kinds[kk], o) && n &&
			    !json_object_get(
			            json_object_get(c->all, kind_keys[kk]),
			            n) &&
			    !in_use(c, kind_keys[kk], o))
				add_removal(c, kinds[kk], o);
		}
	}
}

/* Is a live service removed by this plan? */
static int removed_by_plan(const struct plan *p, const char *name)
{
	for (size_t i = 0; i < p->nr; i++)
		if (p->actions[i].op == PLAN_REMOVE &&
		    p->actions[i].kind == PLAN_SERVICE &&
		    !strcmp(p->actions[i].name, name))
			return 1;
	return 0;
}

/* The live service (other than self) publishing port/proto on ingress. */
static const char *ingress_user(struct ctx *c, const char *self,
                                json_int_t port, const char *proto)
{
	const json_t *svc, *pt;
	size_t i, k;

	json_array_foreach (c->l->services, i, svc) {
		const char *n = json_string_value(
		        json_object_get(json_object_get(svc, "Spec"), "Name"));

		if (!n || !strcmp(n, self) || removed_by_plan(c->p, n) ||
		    json_object_get(json_object_get(c->all, "services"), n))
			continue;
		json_array_foreach (
		        json_object_get(json_object_get(svc, "Endpoint"),
		                        "Ports"),
		        k, pt) {
			const char *mode = json_string_value(
			        json_object_get(pt, "PublishMode"));
			const char *pr = json_string_value(
			        json_object_get(pt, "Protocol"));

			if (json_integer_value(json_object_get(
			            pt, "PublishedPort")) == port &&
			    !strcmp(pr ? pr : "tcp", proto) &&
			    (!mode || strcmp(mode, "host")))
				return n;
		}
	}
	return NULL;
}

/*
 * Ingress ports are cluster-wide: one a service outside this plan already
 * publishes would fail the create halfway through an apply.
 */
static void check_ports(struct ctx *c)
{
	json_t *spec;
	const char *name;

	json_object_foreach (json_object_get(c->all, "services"), name, spec) {
		const json_t *pt;
		size_t i;

		json_array_foreach (
		        json_object_get(json_object_get(spec, "EndpointSpec"),
		                        "Ports"),
		        i, pt) {
			json_int_t port = json_integer_value(
			        json_object_get(pt, "PublishedPort"));
			const char *mode = json_string_value(
			        json_object_get(pt, "PublishMode"));
			const char *pr = json_string_value(
			        json_object_get(pt, "Protocol"));
			const char *user;

			if (!port || (mode && !strcmp(mode, "host")))
				continue;
			user = ingress_user(c, name, port, pr ? pr : "tcp");
			if (user)
				service_problem(
				        c, name, "ports",
				        "service '%s': published port "
				        "%" JSON_INTEGER_FORMAT "/%s is "
				        "already used by service '%s'",
				        name, port, pr ? pr : "tcp", user);
		}
	}
}

/* plan.h's fingerprint of one stack's converted objects. */
static void fingerprint(struct ctx *c, const char *stack, const json_t *objs)
{
	char *text = json_dumps(objs, JSON_SORT_KEYS | JSON_COMPACT);
	const char *rev = c->d->revision, *p, *hit;
	size_t rlen = strlen(rev);
	char hex[HASH_HEX_LEN + 1];
	struct buf b = BUF_INIT;

	if (!text)
		BUG("cannot serialise the objects of stack '%s'", stack);
	/* the commit id is in every object's labels; leave it out */
	for (p = text; rlen && (hit = strstr(p, rev)); p = hit + rlen)
		if (buf_add(&b, p, (size_t)(hit - p)))
			BUG("uncapped buffer refused to grow");
	if (buf_addstr(&b, p))
		BUG("uncapped buffer refused to grow");
	hash_sha256_hex(hex, b.ptr ? b.ptr : "", b.len);
	json_object_set_new(c->p->fingerprints, stack, json_string(hex));
	buf_release(&b);
	free(text);
}

/*
 * One stack at a time: convert, plan its objects and services, then keep
 * only what the prune and port checks need.
 */
static int plan_stacks(struct ctx *c, struct err *err)
{
	int error = 0;

	for (size_t i = 0; i < c->d->nstacks && !error; i++) {
		const struct desired_stack *st = &c->d->stacks[i];
		json_t *objs = NULL;

		if (!st->compose.doc || !plan_in_scope(c->o, st->name))
			continue;
		error = plan_convert_stack(&objs, c->all, c->d, st, c->diag,
		                           err);
		if (error)
			break;
		fingerprint(c, st->name, objs);
		plan_objects(c, objs);
		error = plan_services(c, json_object_get(objs, "services"),
		                      err);
		plan_slim(c->all, objs);
		/* The stack's live services were read whole for the diff. */
		live_services_forget((struct live *)c->l);
		json_decref(objs);
	}
	return error;
}

/* Where an action goes in the order apply performs them. */
static int rank(const struct plan_action *a)
{
	if (a->kind == PLAN_NODE)
		return 0;
	if (a->op == PLAN_REMOVE)
		return a->kind == PLAN_SERVICE   ? 3
		       : a->kind == PLAN_NETWORK ? 5
		                                 : 4;
	return a->kind == PLAN_SERVICE ? 2 : 1;
}

/*
 * Stacks are planned one at a time; apply wants every network, config and
 * secret before any service, so the actions are put in that order (stable,
 * so each group keeps the stacks' order).
 */
static void order_actions(struct plan *p)
{
	struct plan_action *sorted =
	        xmalloc((p->nr ? p->nr : 1) * sizeof(*sorted));
	size_t n = 0;

	for (int r = 0; r <= 5; r++)
		for (size_t i = 0; i < p->nr; i++)
			if (rank(&p->actions[i]) == r)
				sorted[n++] = p->actions[i];
	free(p->actions);
	p->actions = sorted;
	p->alloc = p->nr;
}

int plan_build(struct plan **out, const struct desired *d, const struct live *l,
               const struct plan_opts *o, struct diag *diag, struct err *err)
{
	struct plan *p = xcalloc(1, sizeof(*p));
	struct ctx c = {p,    d,   l, o, diag, NULL, NULL, plan_owner(d),
	                NULL, NULL};
	int error;

	p->revision = xstrdup(d->revision);
	p->source = xstrdup(d->source_name);
	p->skipped = json_array();
	p->fingerprints = json_object();
	c.all = plan_new_all(d);
	c.ns = json_object();
	c.adopted = json_object();
	note_namespaces(&c);
	if (!o->stacks || o->nodes)
		plan_nodes(p, d, l, diag);
	error = plan_stacks(&c, err);
	if (!error) {
		plan_prune(&c);
		check_ports(&c);
		order_actions(p);
	}
	json_decref(c.all);
	json_decref(c.ns);
	json_decref(c.adopted);
	if (error) {
		plan_free(p);
		return error;
	}
	*out = p;
	return 0;
}
