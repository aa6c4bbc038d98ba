/*
 * plan.c: building a plan, declared in plan.h. Rendering and saved-plan
 * comparison are in plan-output.c; node labels in plan-nodes.c.
 *
 * Ownership is proven by labels on the live objects (kedge.managed-by),
 * never by a local record: a plan made on another machine, or after the
 * store was lost, prunes exactly the same objects.
 */
#include <jansson.h>

#include "buf.h"
#include "convert.h"
#include "desired.h"
#include "diag.h"
#include "err.h"
#include "hash.h"
#include "plan.h"
#include "plan-int.h"
#include "srcmap.h"
#include "stackenv.h"

const char *plan_op_name(enum plan_op op)
{
	static const char *const names[] = {"create", "update", "remove",
	                                    "adopt"};

	return names[op];
}

const char *plan_kind_name(enum plan_kind k)
{
	static const char *const names[] = {"node", "network", "config",
	                                    "secret", "service"};

	return names[k];
}

struct plan_action *plan_add(struct plan *p, enum plan_op op,
                             enum plan_kind kind, const char *name,
                             const char *stack)
{
	struct plan_action *a;

	ALLOC_GROW(p->actions, p->nr + 1, p->alloc);
	a = &p->actions[p->nr++];
	memset(a, 0, sizeof(*a));
	a->op = op;
	a->kind = kind;
	a->name = xstrdup(name);
	a->stack = stack ? xstrdup(stack) : NULL;
	if (op == PLAN_CREATE)
		p->ncreate++;
	else if (op == PLAN_UPDATE)
		p->nupdate++;
	else if (op == PLAN_ADOPT)
		p->nadopt++;
	else
		p->nremove++;
	return a;
}

void plan_set_live(struct plan_action *a, const json_t *live)
{
	const char *id = json_string_value(json_object_get(live, "ID"));

	/* Networks say "Id"; everything else "ID". */
	if (!id)
		id = json_string_value(json_object_get(live, "Id"));
	a->id = xstrdup(id ? id : "");
	a->version = (uint64_t)json_integer_value(
	        json_object_get(json_object_get(live, "Version"), "Index"));
}

static void action_release(struct plan_action *a)
{
	free(a->name);
	free(a->stack);
	free(a->id);
	free(a->spec_hash);
	json_decref(a->spec);
	json_decref(a->changes);
}

void plan_retain(struct plan *p,
                 int (*keep)(void *ctx, const struct plan_action *a), void *ctx)
{
	size_t n = 0;

	p->ncreate = p->nupdate = p->nremove = p->nadopt = 0;
	p->destructive = 0;
	for (size_t i = 0; i < p->nr; i++) {
		struct plan_action *a = &p->actions[i];

		if (!keep(ctx, a)) {
			action_release(a);
			continue;
		}
		p->actions[n++] = *a;
		if (a->op == PLAN_CREATE)
			p->ncreate++;
		else if (a->op == PLAN_UPDATE)
			p->nupdate++;
		else if (a->op == PLAN_ADOPT)
			p->nadopt++;
		else
			p->nremove++;
		p->destructive |= a->destructive;
	}
	p->nr = n;
}

void plan_free(struct plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nr; i++)
		action_release(&p->actions[i]);
	free(p->actions);
	json_decref(p->skipped);
	json_decref(p->fingerprints);
	free(p->revision);
	free(p->source);
	free(p);
}

int plan_empty(const struct plan *p)
{
	return p->nr == 0;
}

const char *plan_label(const json_t *obj, const char *key)
{
	const json_t *labels =
	        json_object_get(json_object_get(obj, "Spec"), "Labels");

	/* Networks keep their labels at the top, not under Spec. */
	if (!labels)
		labels = json_object_get(obj, "Labels");
	return json_string_value(json_object_get(labels, key));
}

const char *plan_owner(const struct desired *d)
{
	const char *inst =
	        json_string_value(json_object_get(d->settings.doc, "instance"));

	return inst && *inst ? inst : "kedge";
}

int plan_owned(const json_t *obj, const char *owner)
{
	const char *by = plan_label(obj, "kedge.managed-by");

	return by && !strcmp(by, owner);
}

int plan_in_scope(const struct plan_opts *o, const char *stack)
{
	if (!o->stacks)
		return 1;
	for (size_t i = 0; o->stacks[i]; i++)
		if (stack && !strcmp(o->stacks[i], stack))
			return 1;
	return 0;
}

/* The sha256 of a spec in canonical form (sorted keys, compact). */
void plan_label_spec_hash(json_t *out, const json_t *converted)
{
	char hash[HASH_HEX_LEN + 1];

	convert_spec_hash(hash, converted);
	json_object_set_new(json_object_get(out, "Labels"),
	                    CONVERT_LABEL_SPEC_HASH, json_string(hash));
}

char *plan_spec_hash(const json_t *spec)
{
	char *s = json_dumps(spec, JSON_SORT_KEYS | JSON_COMPACT);
	char h[HASH_HEX_LEN + 1];

	hash_sha256_hex(h, s, strlen(s));
	free(s);
	return xstrdup(h);
}

/* read_file callback for convert: files of one stack, checked as in
 * validation. */
struct stack_files {
	const struct desired *d;
	const struct desired_stack *st;
};

static int read_stack_file(void *ctx, const char *rel, struct buf *out,
                           struct err *err)
{
	struct stack_files *sf = ctx;

	return desired_read_stack_file(out, sf->d, sf->st, rel, err);
}

/* `environment: [KEY]` sees what interpolation sees (stackenv.h). */
static const char *stack_env(void *ctx, const char *name)
{
	struct stack_files *sf = ctx;

	return stackenv_lookup(sf->st->env, sf->d->settings.doc, name);
}

json_t *plan_new_all(const struct desired *d)
{
	json_t *all = json_pack("{s:{}, s:{}, s:{}, s:{}, s:{s:[], s:[], "
	                        "s:[]}, s:{}}",
	                        "services", "networks", "configs", "secrets",
	                        "external", "networks", "configs", "secrets",
	                        "stack_of");
	json_t *labels = json_object_get(d->settings.doc, "labels");

	if (!all)
		BUG("cannot build the desired object set");
	labels =
	        json_is_object(labels) ? json_deep_copy(labels) : json_object();
	/* The commit that last changed a service; normalisation ignores it,
	 * so a new commit alone is not a difference and restarts nothing. */
	json_object_set_new(labels, "kedge.revision", json_string(d->revision));
	json_object_set_new(all, "labels", labels);
	return all;
}

/* plan_check_desired's: every refused service of a stack goes to diag. */
struct refusals {
	const struct desired_stack *st;
	struct diag *diag;
};

static void on_refused(void *ctx, const struct err *e);

static int convert_one(json_t **out, json_t *all, const struct desired *d,
                       const struct desired_stack *st, struct diag *diag,
                       struct refusals *every, struct err *err)
{
	static const char *const kinds[] = {"services", "networks", "configs",
	                                    "secrets"};
	struct stack_files sf = {d, st};
	struct convert_opts co = {0};
	json_t *objs = NULL;
	int error;

	co.read_file = read_stack_file;
	co.read_ctx = &sf;
	co.env = stack_env;
	co.env_ctx = &sf;
	co.labels = json_object_get(all, "labels");
	co.owner = plan_owner(d);
	co.lazy_spec_hash = 1;
	if (every) {
		co.refused = on_refused;
		co.refused_ctx = every;
	}
	error = convert_stack(&objs, st->name, st->compose.doc, &co, err);
	if (error) {
		err_prefix(err, "stack '%s'", st->name);
		return error;
	}
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		json_t *dst = json_object_get(all, kinds[k]), *v;
		const char *name;

		json_object_foreach (json_object_get(objs, kinds[k]), name, v) {
			if (json_object_get(dst, name) &&
			    strcmp(kinds[k], "networks"))
				diag_add(diag, DIAG_ERROR, st->compose.path, 0,
				         0,
				         "%s name '%s' is also used by another "
				         "stack",
				         kinds[k], name);
			json_object_set(dst, name, v);
			json_object_set_new(json_object_get(all, "stack_of"),
			                    name, json_string(st->name));
		}
	}
	for (size_t k = 1; k < ARRAY_SIZE(kinds); k++) {
		json_t *ext = json_object_get(json_object_get(objs, "external"),
		                              kinds[k]);

		if (ext)
			json_array_extend(
			        json_object_get(
			                json_object_get(all, "external"),
			                kinds[k]),
			        ext);
	}
	*out = objs;
	return 0;
}

int plan_convert_stack(json_t **out, json_t *all, const struct desired *d,
                       const struct desired_stack *st, struct diag *diag,
                       struct err *err)
{
	return convert_one(out, all, d, st, diag, NULL, err);
}

/* Keeps only the parts of a member of src that later passes read. */
static void keep(json_t *dst, const char *name, const json_t *src,
                 const char *const *paths, size_t n)
{
	json_t *slim = json_object();

	for (size_t i = 0; i < n; i++) {
		char *copy = xstrdup(paths[i]), *save = NULL, *tok;
		const json_t *from = src;
		json_t *to = slim;

		for (tok = strtok_r(copy, "/", &save); tok && from;
		     tok = strtok_r(NULL, "/", &save)) {
			const json_t *next = json_object_get(from, tok);

			if (!next)
				break;
			if (!save || !*save) {
				json_object_set(to, tok, (json_t *)next);
				break;
			}
			if (!json_object_get(to, tok))
				json_object_set_new(to, tok, json_object());
			to = json_object_get(to, tok);
			from = next;
		}
		free(copy);
	}
	json_object_set_new(dst, name, slim);
}

void plan_slim(json_t *all, const json_t *objs)
{
	static const char *const svc[] = {
	        "TaskTemplate/Networks", "TaskTemplate/ContainerSpec/Configs",
	        "TaskTemplate/ContainerSpec/Secrets", "EndpointSpec/Ports"};
	static const char *const obj[] = {"Labels"};
	static const char *const kinds[] = {"configs", "secrets", "networks"};
	const char *name;
	json_t *v;

	json_object_foreach (json_object_get(objs, "services"), name, v)
		keep(json_object_get(all, "services"), name, v, svc,
		     ARRAY_SIZE(svc));
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++)
		json_object_foreach (json_object_get(objs, kinds[k]), name, v)
			keep(json_object_get(all, kinds[k]), name, v, obj,
			     ARRAY_SIZE(obj));
}

/*
 * A conversion error reads "stack 'x': /json/pointer: message": the
 * pointer gives the line, the rest is the message.
 */
static void report_refusal(const struct desired_stack *st, const char *msg,
                           struct diag *diag)
{
	const char *p = strstr(msg, ": /"), *end;
	struct srcpos pos = {0, 0, 0, 0};
	char *ptr;

	if (!p) {
		diag_add(diag, DIAG_ERROR, st->compose.path, 0, 0, "%s", msg);
		return;
	}
	p += 2;
	end = strstr(p, ": ");
	ptr = xstrndup(p, end ? (size_t)(end - p) : strlen(p));
	/* the longest prefix of the pointer that the file has */
	while (st->compose.map && srcmap_get(st->compose.map, ptr, &pos) < 0) {
		char *slash = strrchr(ptr, '/');

		if (!slash || slash == ptr)
			break;
		*slash = '\0';
	}
	/* validate's own checks may have said it already, at that key */
	if (!diag_has_error_at(diag, st->compose.path, pos.line, pos.col))
		diag_add(diag, DIAG_ERROR, st->compose.path, pos.line, pos.col,
		         "%s", end ? end + 2 : msg);
	free(ptr);
}

static void on_refused(void *ctx, const struct err *e)
{
	struct refusals *r = ctx;
	char *msg = xasprintf("stack '%s': %s", r->st->name, e->msg);

	report_refusal(r->st, msg, r->diag);
	free(msg);
}

int plan_check_desired(const struct desired *d, struct diag *diag,
                       struct err *err)
{
	json_t *all = plan_new_all(d);
	int error = 0;

	for (size_t i = 0; i < d->nstacks && !error; i++) {
		const struct desired_stack *st = &d->stacks[i];
		json_t *objs = NULL;
		struct err e;

		if (!st->compose.doc)
			continue;
		struct refusals every = {st, diag};

		err_clear(&e);
		error = convert_one(&objs, all, d, st, diag, &every, &e);
		if (error == ERR_INVALID || error == ERR_UNSUPPORTED ||
		    error == ERR_NOTFOUND || error == ERR_TOOBIG) {
			report_refusal(st, e.msg, diag);
			error = 0;
		} else if (error) {
			*err = e;
		}
		if (objs)
			plan_slim(all, objs);
		json_decref(objs);
	}
	json_decref(all);
	return error;
}
