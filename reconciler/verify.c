/*
 * verify.c: cross-reference checks of desired state, declared in verify.h.
 *
 * Only documents that passed their schema reach these functions, so types
 * are as the schema says; still, every lookup tolerates a missing member.
 */
#include <ctype.h>
#include <jansson.h>

#include "buf.h"
#include "normalize.h"
#include "verify.h"
#include "cron.h"
#include "desired.h"
#include "diag.h"
#include "err.h"
#include "source.h"
#include "srcmap.h"

/* Swarm's limit on an object name (swarmkit: a DNS label). */
#define MAX_NAME 63

static void problem(struct diag *diag, enum diag_severity sev,
                    const struct desired_doc *doc, const char *pointer,
                    int at_key, const char *fmt, ...) PRINTF(6, 7);

static void problem(struct diag *diag, enum diag_severity sev,
                    const struct desired_doc *doc, const char *pointer,
                    int at_key, const char *fmt, ...)
{
	struct srcpos pos = {0, 0, 0, 0};
	va_list ap;

	if (!doc->map || srcmap_get(doc->map, pointer, &pos) < 0)
		memset(&pos, 0, sizeof(pos));
	if (at_key && pos.key_line) {
		pos.line = pos.key_line;
		pos.col = pos.key_col;
	}
	va_start(ap, fmt);
	diag_vadd(diag, sev, doc->path, pos.line, pos.col, fmt, ap);
	va_end(ap);
}

/* Swarm names: letters and digits, with '-' or '_' inside. */
static int valid_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

void verify_stack_name(const struct desired_stack *st, struct diag *diag)
{
	if (!valid_name(st->name))
		diag_add(diag, DIAG_ERROR, st->dir, 0, 0,
		         "stack name '%s' is not valid: use letters, digits, "
		         "'-' and '_', starting and ending with a letter or "
		         "digit",
		         st->name);
	else if (strlen(st->name) > MAX_NAME - 2)
		diag_add(diag, DIAG_ERROR, st->dir, 0, 0,
		         "stack name '%s' is too long for Swarm names",
		         st->name);
}

/* Is v (up to trailing blanks) "manager" or "worker", in any case? */
static int role_value(const char *v)
{
	size_t n = strlen(v);

	while (n && isspace((unsigned char)v[n - 1]))
		n--;
	return (n == 7 && !strncasecmp(v, "manager", 7)) ||
	       (n == 6 && !strncasecmp(v, "worker", 6));
}

const char *verify_constraint(const char *expr)
{
	static const char *const keys[] = {"node.id", "node.hostname",
	                                   "node.role", "node.platform.os",
	                                   "node.platform.arch"};
	const char *op = strstr(expr, "==");
	const char *ne = strstr(expr, "!=");
	size_t klen;
	const char *v;
	char key[256];

	if (!op || (ne && ne < op))
		op = ne;
	if (!op)
		return "expected '<key> == <value>' or '<key> != <value>'";
	klen = (size_t)(op - expr);
	while (klen && isspace((unsigned char)expr[klen - 1]))
		klen--;
	while (klen && isspace((unsigned char)*expr)) {
		expr++;
		klen--;
	}
	if (!klen || klen >= sizeof(key))
		return "the constraint has no key before the operator";
	memcpy(key, expr, klen);
	key[klen] = '\0';
	for (v = op + 2; isspace((unsigned char)*v); v++)
		;
	if (!*v)
		return "the constraint has no value after the operator";
	if (starts_with(key, "node.labels.") && key[12])
		return NULL;
	if (starts_with(key, "engine.labels.") && key[14])
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (strcmp(key, keys[i]))
			continue;
		/* swarmkit trims the value and matches roles ignoring case;
		 * anything else never matches a node (C6) */
		if (!strcmp(key, "node.role") && !role_value(v))
			return "node.role can only be 'manager' or 'worker'";
		return NULL;
	}
	return "unknown key: use node.id, node.hostname, node.role, "
	       "node.platform.os, node.platform.arch, node.labels.<label> "
	       "or engine.labels.<label>";
}

/* Calls fn for each name a service lists under key (list or map form). */
static void each_ref(json_t *svc, const char *key,
                     void (*fn)(void *, const char *, const char *), void *ctx)
{
	json_t *v = json_object_get(svc, key), *item;
	const char *k;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach (v, k, item) {
			char *p = xasprintf("%s/%s", key, k);

			fn(ctx, k, p);
			free(p);
		}
	} else if (json_is_array(v)) {
		json_array_foreach (v, i, item) {
			const char *name =
			        json_is_string(item)
			                ? json_string_value(item)
			                : json_string_value(json_object_get(
			                          item, "source"));
			char *p = xasprintf("%s/%zu", key, i);

			if (name)
				fn(ctx, name, p);
			free(p);
		}
	}
}

struct ref_ctx {
	struct diag *diag;
	const struct desired_doc *doc;
	const char *svc_name;
	const char *kind; /* "network", "config", ... */
	json_t *declared; /* the top-level object of that kind */
};

static void check_ref(void *ctx, const char *name, const char *rel)
{
	struct ref_ctx *rc = ctx;
	char *ptr;

	if (json_object_get(rc->declared, name))
		return;
	if (!strcmp(rc->kind, "network") && !strcmp(name, "default"))
		return;
	ptr = xasprintf("/services/%s/%s", rc->svc_name, rel);
	problem(rc->diag, DIAG_ERROR, rc->doc, ptr, 0,
	        "service '%s' uses %s '%s', which is not declared under "
	        "top-level '%ss:'",
	        rc->svc_name, rc->kind, name, rc->kind);
	free(ptr);
}

/* A volume source that names a volume rather than a host path. */
static int is_named_volume(const char *src)
{
	return *src && !strchr("/.~$", src[0]) && !strchr(src, '/') &&
	       !strchr(src, '\\');
}

static void check_volumes(struct ref_ctx *rc, json_t *svc)
{
	json_t *vols = json_object_get(svc, "volumes"), *v;
	size_t i;

	json_array_foreach (vols, i, v) {
		char *src = NULL;

		if (json_is_string(v)) {
			const char *s = json_string_value(v), *colon;

			colon = strchr(s, ':');
			if (colon)
				src = xstrndup(s, (size_t)(colon - s));
		} else if (json_is_object(v)) {
			const char *type =
			        json_string_value(json_object_get(v, "type"));
			const char *s =
			        json_string_value(json_object_get(v, "source"));

			if (s && (!type || !strcmp(type, "volume")))
				src = xstrdup(s);
		}
		if (src && is_named_volume(src)) {
			char *rel = xasprintf("volumes/%zu", i);

			check_ref(rc, src, rel);
			free(rel);
		}
		free(src);
	}
}

static void check_constraints(struct ref_ctx *rc, json_t *svc)
{
	json_t *list = json_object_get(
	        json_object_get(json_object_get(svc, "deploy"), "placement"),
	        "constraints");
	json_t *c;
	size_t i;

	json_array_foreach (list, i, c) {
		const char *why =
		        json_is_string(c)
		                ? verify_constraint(json_string_value(c))
		                : NULL;
		char *ptr;

		if (!why)
			continue;
		ptr = xasprintf("/services/%s/deploy/placement/constraints/%zu",
		                rc->svc_name, i);
		problem(rc->diag, DIAG_ERROR, rc->doc, ptr, 0,
		        "placement constraint '%s': %s", json_string_value(c),
		        why);
		free(ptr);
	}
}

static int check_file_ref(struct desired *d, struct desired_stack *st,
                          const char *rel, const char *ptr, size_t cap,
                          struct diag *diag, struct err *err)
{
	struct buf data;
	struct err e;
	int error;

	buf_init(&data, cap);
	err_clear(&e);
	error = desired_read_stack_file(&data, d, st, rel, &e);
	buf_release(&data);
	if (error == ERR_INVALID || error == ERR_NOTFOUND ||
	    error == ERR_TOOBIG) {
		if (error == ERR_NOTFOUND)
			problem(diag, DIAG_ERROR, &st->compose, ptr, 0,
			        "file '%s' does not exist at this revision",
			        rel);
		else
			problem(diag, DIAG_ERROR, &st->compose, ptr, 0, "%s",
			        e.msg);
		return 0;
	}
	if (error)
		*err = e;
	return error;
}

/* env_file: a string, or a list of strings or {path, required}. */
static int check_env_files(struct desired *d, struct desired_stack *st,
                           const char *svc_name, json_t *svc, struct diag *diag,
                           struct err *err)
{
	json_t *ef = json_object_get(svc, "env_file"), *item;
	size_t i;
	int error = 0;

	if (json_is_string(ef)) {
		char *ptr = xasprintf("/services/%s/env_file", svc_name);

		error = check_file_ref(d, st, json_string_value(ef), ptr,
		                       DESIRED_MAX_SECRET_BYTES, diag, err);
		free(ptr);
		return error;
	}
	json_array_foreach (ef, i, item) {
		const char *p = json_is_string(item)
		                        ? json_string_value(item)
		                        : json_string_value(json_object_get(
		                                  item, "path"));
		json_t *req = json_object_get(item, "required");
		char *ptr;

		if (!p || json_is_false(req))
			continue;
		ptr = xasprintf("/services/%s/env_file/%zu", svc_name, i);
		error = check_file_ref(d, st, p, ptr, DESIRED_MAX_SECRET_BYTES,
		                       diag, err);
		free(ptr);
		if (error)
			break;
	}
	return error;
}

/*
 * Reports ignore paths kedge cannot map to a spec field, at validation time
 * rather than in the middle of a diff. list holds strings or {path: ...}.
 */
static void check_ignores(struct diag *diag, const struct desired_doc *doc,
                          const char *base, const json_t *list)
{
	const json_t *item;
	size_t i;

	json_array_foreach ((json_t *)list, i, item) {
		const char *path = json_is_string(item)
		                           ? json_string_value(item)
		                           : json_string_value(json_object_get(
		                                     item, "path"));
		json_t *a = json_object(), *b = json_object();
		struct err e;
		char *ptr;

		err_clear(&e);
		if (path && normalize_apply_ignores(a, b, &path, 1, &e)) {
			ptr = xasprintf("%s/%zu", base, i);
			problem(diag, DIAG_ERROR, doc, ptr, 0, "%s", e.msg);
			free(ptr);
		}
		json_decref(a);
		json_decref(b);
	}
}

static void check_service(struct desired_stack *st, const char *name,
                          json_t *svc, struct diag *diag)
{
	json_t *doc = st->compose.doc;
	struct ref_ctx rc = {diag, &st->compose, name, NULL, NULL};
	json_t *deploy = json_object_get(svc, "deploy");
	const char *mode = json_string_value(json_object_get(deploy, "mode"));
	char *ptr = xasprintf("/services/%s", name);

	if (!valid_name(name))
		problem(diag, DIAG_ERROR, &st->compose, ptr, 1,
		        "service name '%s' is not valid: use letters, digits, "
		        "'-' and '_', starting and ending with a letter or "
		        "digit",
		        name);
	else if (strlen(st->name) + 1 + strlen(name) > MAX_NAME)
		problem(diag, DIAG_ERROR, &st->compose, ptr, 1,
		        "service name '%s_%s' is longer than Swarm's %d "
		        "characters",
		        st->name, name, MAX_NAME);
	if (mode && starts_with(mode, "global") &&
	    json_object_get(deploy, "replicas"))
		problem(diag, DIAG_ERROR, &st->compose, ptr, 1,
		        "service '%s': 'deploy.replicas' can only be used "
		        "with a replicated mode, not '%s'",
		        name, mode);
	free(ptr);
	ptr = xasprintf("/services/%s/x-kedge/ignore", name);
	check_ignores(
	        diag, &st->compose, ptr,
	        json_object_get(json_object_get(svc, "x-kedge"), "ignore"));
	free(ptr);
	rc.kind = "network";
	rc.declared = json_object_get(doc, "networks");
	each_ref(svc, "networks", check_ref, &rc);
	rc.kind = "config";
	rc.declared = json_object_get(doc, "configs");
	each_ref(svc, "configs", check_ref, &rc);
	rc.kind = "secret";
	rc.declared = json_object_get(doc, "secrets");
	each_ref(svc, "secrets", check_ref, &rc);
	rc.kind = "volume";
	rc.declared = json_object_get(doc, "volumes");
	check_volumes(&rc, svc);
	check_constraints(&rc, svc);
}

/* Top-level configs and secrets backed by a file in the repository. */
static int check_objects(struct desired *d, struct desired_stack *st,
                         const char *kind, struct diag *diag, struct err *err)
{
	json_t *objs = json_object_get(st->compose.doc, kind), *o;
	const char *name;
	int error = 0;

	json_object_foreach (objs, name, o) {
		const char *file =
		        json_string_value(json_object_get(o, "file"));
		char *ptr;

		if (!file)
			continue;
		ptr = xasprintf("/%s/%s/file", kind, name);
		/* swarmkit: a config may be 1000 KiB, a secret 500 KiB */
		error = check_file_ref(d, st, file, ptr,
		                       strcmp(kind, "configs")
		                               ? DESIRED_MAX_SECRET_BYTES
		                               : DESIRED_MAX_CONFIG_BYTES,
		                       diag, err);
		free(ptr);
		if (error)
			break;
	}
	return error;
}

int verify_stack(struct desired *d, struct desired_stack *st, struct diag *diag,
                 struct err *err)
{
	json_t *svcs = json_object_get(st->compose.doc, "services"), *svc;
	const char *name;
	int error = 0;

	json_object_foreach (svcs, name, svc) {
		check_service(st, name, svc, diag);
		error = check_env_files(d, st, name, svc, diag, err);
		if (error)
			return error;
	}
	error = check_objects(d, st, "configs", diag, err);
	if (!error)
		error = check_objects(d, st, "secrets", diag, err);
	return error;
}

void verify_settings(struct desired *d, struct diag *diag)
{
	if (d->settings.doc)
		check_ignores(diag, &d->settings, "/ignore",
		              json_object_get(d->settings.doc, "ignore"));
}
