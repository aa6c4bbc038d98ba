/*
 * desired.c: loading a desired-state repository, declared in desired.h.
 *
 * The order matters for messages: each file is parsed, then (for compose
 * files) interpolated, then validated against its schema, and only a file
 * that passed its schema goes on to the cross-file checks in verify.c, so a
 * person sees the syntax error first and not a cascade of consequences.
 */
#include <jansson.h>

#include "buf.h"
#include "verify.h"
#include "desired.h"
#include "diag.h"
#include "dotenv.h"
#include "err.h"
#include "interp.h"
#include "log.h"
#include "schema.h"
#include "source.h"
#include "srcmap.h"
#include "stackenv.h"
#include "yamldoc.h"

#define SCHEMA_BASE "https://kedge.dev/schema/"

const char *const desired_compose_names[] = {
        "compose.yml",
        "compose.yaml",
        "docker-compose.yml",
        "docker-compose.yaml",
        "stack.yml",
        "stack.yaml",
        NULL,
};

struct report_ctx {
	struct diag *diag;
	const struct srcmap *map;
	const char *path;
	int errors;
};

static void report_schema(void *ctx, enum schema_severity sev,
                          const char *pointer, int key_problem,
                          const char *message)
{
	struct report_ctx *rc = ctx;
	struct srcpos pos = {0, 0, 0, 0};
	unsigned line, col;

	if (srcmap_get(rc->map, pointer, &pos) < 0)
		pos.line = pos.col = 0;
	/* Warnings are about a key being there at all (build:, restart:). */
	if (sev == SCHEMA_WARNING)
		key_problem = 1;
	line = key_problem && pos.key_line ? pos.key_line : pos.line;
	col = key_problem && pos.key_line ? pos.key_col : pos.col;
	diag_add(rc->diag, sev == SCHEMA_WARNING ? DIAG_WARNING : DIAG_ERROR,
	         rc->path, line, col, "%s", message);
	if (sev != SCHEMA_WARNING)
		rc->errors++;
}

static void diag_from_err(struct diag *diag, const char *path,
                          const struct err *e)
{
	diag_add(diag, DIAG_ERROR, e->file[0] ? e->file : path, e->line, e->col,
	         "%s", e->msg[0] ? e->msg : err_str(e->code));
}

/*
 * Reads and parses path into doc. Returns 0 when parsed, 1 when the file
 * had a problem (recorded in diag), or a negative error when the source
 * failed.
 */
static int parse_file(struct desired_doc *doc, struct source *src,
                      const char *path, struct diag *diag, struct err *err)
{
	struct buf data;
	struct err perr;
	int error;

	doc->path = xstrdup(path);
	buf_init(&data, YAMLDOC_MAX_BYTES);
	err_clear(&perr);
	error = source_read(&data, src, path, &perr);
	if (error == ERR_TOOBIG) {
		diag_add(diag, DIAG_ERROR, path, 0, 0,
		         "file is larger than the %u byte limit",
		         YAMLDOC_MAX_BYTES);
		error = 1;
	} else if (error == ERR_INVALID || error == ERR_NOTFOUND) {
		diag_from_err(diag, path, &perr);
		error = 1;
	} else if (error) {
		*err = perr;
	} else if (yamldoc_parse(&doc->doc, &doc->map, buf_cstr(&data),
	                         data.len, path, NULL, &perr)) {
		diag_from_err(diag, path, &perr);
		error = 1;
	}
	buf_release(&data);
	return error;
}

int desired_validate_doc(struct desired_doc *doc, struct schema *schemas,
                         const char *kind, struct diag *diag, struct err *err)
{
	struct report_ctx rc = {diag, doc->map, doc->path, 0};
	char uri[128];
	int n;

	snprintf(uri, sizeof(uri), SCHEMA_BASE "%s.json", kind);
	n = schema_validate(schemas, uri, doc->doc, report_schema, &rc, err);
	if (n < 0) {
		err_prefix(err, "cannot validate '%s'", doc->path);
		return n;
	}
	return n ? 1 : 0;
}

/*
 * Loads one YAML file of a kind that needs no interpolation. An empty
 * file is a document of its own (null) and gets the schema's error.
 */
static int load_plain(struct desired_doc *doc, struct source *src,
                      const char *path, struct schema *schemas,
                      const char *kind, struct diag *diag, struct err *err)
{
	int error = parse_file(doc, src, path, diag, err);

	if (error)
		return error < 0 ? error : 0;
	error = desired_validate_doc(doc, schemas, kind, diag, err);
	if (error > 0) {
		json_decref(doc->doc);
		doc->doc = NULL;
		return 0;
	}
	return error;
}

static void doc_release(struct desired_doc *doc)
{
	free(doc->path);
	json_decref(doc->doc);
	srcmap_free(doc->map);
	memset(doc, 0, sizeof(*doc));
}

/* Returns 1 when path exists (any type), 0 when not, <0 on failure. */
static int exists(struct source *src, const char *path, enum source_type *type,
                  struct err *err)
{
	enum source_type t;
	struct err e;
	int error;

	err_clear(&e);
	error = source_stat(&t, src, path, &e);
	if (error == ERR_NOTFOUND)
		return 0;
	if (error) {
		*err = e;
		return error;
	}
	if (type)
		*type = t;
	return 1;
}

struct var_ctx {
	const struct desired *d;
	const struct desired_stack *st;
};

static const char *lookup_var(void *ctx, const char *name)
{
	const struct var_ctx *vc = ctx;

	return stackenv_lookup(vc->st->env, vc->d->settings.doc, name);
}

/* Finds the stack's compose file; returns 1 with *out set, 0 when none. */
static int find_compose(char **out, struct source *src, const char *dir,
                        struct diag *diag, struct err *err)
{
	char *found = NULL;
	int error = 0;

	for (size_t i = 0; desired_compose_names[i]; i++) {
		char *p = xasprintf("%s/%s", dir, desired_compose_names[i]);
		enum source_type t;
		int e = exists(src, p, &t, err);

		if (e < 0) {
			free(p);
			error = e;
			break;
		}
		if (e == 1 && !found) {
			found = p;
		} else if (e == 1) {
			diag_add(diag, DIAG_ERROR, p, 0, 0,
			         "a second compose file in '%s' (already "
			         "using '%s'); keep one per stack",
			         dir, found);
			free(p);
		} else {
			free(p);
		}
	}
	if (error) {
		free(found);
		return error;
	}
	*out = found;
	return found ? 1 : 0;
}

static int load_env(struct desired_stack *st, struct source *src,
                    struct diag *diag, struct err *err)
{
	char *path = xasprintf("%s/.env", st->dir);
	struct buf data;
	struct err e;
	int error;

	buf_init(&data, 1u << 20);
	err_clear(&e);
	error = source_read(&data, src, path, &e);
	if (error == ERR_NOTFOUND) {
		error = 0;
	} else if (error == ERR_INVALID || error == ERR_TOOBIG) {
		diag_from_err(diag, path, &e);
		error = 0;
	} else if (error) {
		*err = e;
	} else if (dotenv_parse(&st->env, buf_cstr(&data), data.len, path,
	                        &e)) {
		diag_from_err(diag, path, &e);
	}
	buf_release(&data);
	free(path);
	return error;
}

static int load_stack(struct desired *d, const char *name,
                      struct schema *schemas, struct diag *diag,
                      struct err *err)
{
	struct desired_stack *st;
	struct var_ctx vc;
	char *compose = NULL;
	int error, nerr;

	d->stacks = xrealloc(d->stacks, (d->nstacks + 1) * sizeof(*d->stacks));
	st = &d->stacks[d->nstacks++];
	memset(st, 0, sizeof(*st));
	st->name = xstrdup(name);
	st->dir = xasprintf("stacks/%s", name);
	verify_stack_name(st, diag);
	error = find_compose(&compose, d->src, st->dir, diag, err);
	if (error < 0)
		return error;
	if (!error) {
		diag_add(diag, DIAG_ERROR, st->dir, 0, 0,
		         "no compose file in stack folder (expected %s)",
		         "compose.yml, compose.yaml, docker-compose.yml or "
		         "stack.yml");
		return 0;
	}
	error = load_env(st, d->src, diag, err);
	if (!error)
		error = parse_file(&st->compose, d->src, compose, diag, err);
	free(compose);
	if (error)
		return error < 0 ? error : 0;
	vc.d = d;
	vc.st = st;
	nerr = interp_compose(st->compose.doc, lookup_var, &vc, st->compose.map,
	                      diag);
	error = desired_validate_doc(&st->compose, schemas, "compose", diag,
	                             err);
	if (error < 0)
		return error;
	if (error || nerr) {
		json_decref(st->compose.doc);
		st->compose.doc = NULL;
		return 0;
	}
	return verify_stack(d, st, diag, err);
}

/*
 * A symlink in stacks/ is a stack when it leads to a folder inside the
 * root; anything else (a link out, a submodule, a FIFO) is an error.
 * Returns 1 when the stack can be loaded.
 */
static int stack_readable(struct desired *d, const char *name,
                          enum source_type type, struct diag *diag)
{
	char *dir = xasprintf("stacks/%s", name);
	struct source_entry *ents = NULL;
	size_t n = 0;
	struct err e;
	int ok = 0;

	err_clear(&e);
	if (type != SOURCE_SYMLINK)
		diag_add(diag, DIAG_ERROR, dir, 0, 0,
		         "'%s' is a submodule or a special file, not a folder; "
		         "kedge cannot read it as a stack",
		         dir);
	else if (source_list(&ents, &n, d->src, dir, &e))
		diag_add(diag, DIAG_ERROR, dir, 0, 0,
		         "the stack cannot be read: %s", e.msg);
	else
		ok = 1;
	source_entries_free(ents, n);
	free(dir);
	return ok;
}

static int load_stacks(struct desired *d, struct schema *schemas,
                       struct diag *diag, struct err *err)
{
	struct source_entry *ents = NULL;
	size_t n = 0;
	struct err e;
	int error;

	err_clear(&e);
	error = source_list(&ents, &n, d->src, "stacks", &e);
	if (error == ERR_NOTFOUND)
		return 0;
	if (error) {
		*err = e;
		return error;
	}
	d->has_stacks_dir = 1;
	for (size_t i = 0; i < n && !error; i++) {
		if (ents[i].name[0] == '.')
			continue;
		if (ents[i].type == SOURCE_FILE) {
			diag_add(diag, DIAG_WARNING, "stacks", 0, 0,
			         "'stacks/%s' is not a folder and is ignored; "
			         "a stack is a folder stacks/<name>/ with a "
			         "compose.yml",
			         ents[i].name);
			continue;
		}
		/*
		 * A stack that cannot be read is an error, never skipped:
		 * pruning would delete its services.
		 */
		if (ents[i].type != SOURCE_DIR &&
		    !stack_readable(d, ents[i].name, ents[i].type, diag))
			continue;
		error = load_stack(d, ents[i].name, schemas, diag, err);
	}
	source_entries_free(ents, n);
	return error;
}

static int is_yaml_name(const char *name)
{
	return name[0] != '.' &&
	       (ends_with(name, ".yml") || ends_with(name, ".yaml"));
}

/* promtool's rule unit tests live beside the rules as <name>.test.yml. */
static int is_test_name(const char *name)
{
	return ends_with(name, ".test.yml") || ends_with(name, ".test.yaml");
}

/* Which of a folder's YAML files load_dir() takes. */
enum pick { PICK_ALL, PICK_NOT_TESTS, PICK_TESTS };

/* Loads the *.yml / *.yaml files of a folder (alerts/, backups/). */
static int load_dir(struct desired_doc **docs, size_t *ndocs, struct desired *d,
                    const char *dir, enum pick pick, const char *kind,
                    struct schema *schemas, struct diag *diag, struct err *err)
{
	struct source_entry *ents = NULL;
	size_t n = 0;
	struct err e;
	int error;

	err_clear(&e);
	error = source_list(&ents, &n, d->src, dir, &e);
	if (error == ERR_NOTFOUND)
		return 0;
	if (error) {
		*err = e;
		return error;
	}
	for (size_t i = 0; i < n && !error; i++) {
		char *path;

		if (!is_yaml_name(ents[i].name) || ents[i].type == SOURCE_DIR ||
		    (pick == PICK_TESTS && !is_test_name(ents[i].name)) ||
		    (pick == PICK_NOT_TESTS && is_test_name(ents[i].name)))
			continue;
		path = xasprintf("%s/%s", dir, ents[i].name);
		*docs = xrealloc(*docs, (*ndocs + 1) * sizeof(**docs));
		memset(&(*docs)[*ndocs], 0, sizeof(**docs));
		error = load_plain(&(*docs)[(*ndocs)++], d->src, path, schemas,
		                   kind, diag, err);
		free(path);
	}
	source_entries_free(ents, n);
	return error;
}

/* kedge.yml or kedge.yaml, nodes.yml or nodes.yaml: at most one of each. */
static int load_optional(struct desired_doc *doc, struct desired *d,
                         const char *base, const char *kind,
                         struct schema *schemas, struct diag *diag,
                         struct err *err)
{
	char *yml = xasprintf("%s.yml", base),
	     *yaml = xasprintf("%s.yaml", base);
	int a = exists(d->src, yml, NULL, err), b = 0, error = 0;

	if (a >= 0)
		b = exists(d->src, yaml, NULL, err);
	if (a < 0 || b < 0)
		error = a < 0 ? a : b;
	else if (a && b)
		diag_add(diag, DIAG_ERROR, yaml, 0, 0,
		         "both '%s' and '%s' exist; keep one", yml, yaml);
	else if (a || b)
		error = load_plain(doc, d->src, a ? yml : yaml, schemas, kind,
		                   diag, err);
	free(yml);
	free(yaml);
	return error;
}

int desired_load(struct desired **out, struct source *src,
                 struct schema *schemas, struct diag *diag, struct err *err)
{
	struct desired *d = xcalloc(1, sizeof(*d));
	int error;

	d->src = src;
	d->revision = xstrdup(source_revision(src));
	d->source_name = xstrdup(source_name(src));
	error = load_optional(&d->settings, d, "kedge", "kedge", schemas, diag,
	                      err);
	if (!error)
		error = load_stacks(d, schemas, diag, err);
	if (!error)
		error = load_optional(&d->nodes, d, "nodes", "nodes", schemas,
		                      diag, err);
	if (!error)
		error = load_dir(&d->alerts, &d->nalerts, d, "alerts",
		                 PICK_NOT_TESTS, "rules", schemas, diag, err);
	if (!error)
		error = load_dir(&d->alert_tests, &d->nalert_tests, d, "alerts",
		                 PICK_TESTS, "rule-tests", schemas, diag, err);
	if (!error)
		error = load_dir(&d->backups, &d->nbackups, d, "backups",
		                 PICK_ALL, "backups", schemas, diag, err);
	if (!error)
		error = verify_desired(d, diag, err);
	if (error) {
		desired_free(d);
		return error;
	}
	diag_sort(diag);
	*out = d;
	return 0;
}

void desired_free(struct desired *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nstacks; i++) {
		free(d->stacks[i].name);
		free(d->stacks[i].dir);
		doc_release(&d->stacks[i].compose);
		json_decref(d->stacks[i].env);
	}
	free(d->stacks);
	for (size_t i = 0; i < d->nalerts; i++)
		doc_release(&d->alerts[i]);
	free(d->alerts);
	for (size_t i = 0; i < d->nalert_tests; i++)
		doc_release(&d->alert_tests[i]);
	free(d->alert_tests);
	for (size_t i = 0; i < d->nbackups; i++)
		doc_release(&d->backups[i]);
	free(d->backups);
	doc_release(&d->settings);
	doc_release(&d->nodes);
	free(d->revision);
	free(d->source_name);
	free(d);
}

int desired_read_stack_file(struct buf *out, const struct desired *d,
                            const struct desired_stack *st, const char *rel,
                            struct err *err)
{
	char *path = NULL;
	enum source_type t;
	int error;

	error = source_resolve(&path, d->src, st->dir, rel, err);
	if (!error)
		error = source_stat(&t, d->src, path, err);
	if (!error && t == SOURCE_DIR)
		error = err_set(err, ERR_INVALID,
		                "'%s' is a folder, not a file", path);
	if (!error) {
		error = source_read(out, d->src, path, err);
		if (error == ERR_TOOBIG)
			error = err_set(err, ERR_TOOBIG,
			                "'%s' is larger than Swarm's %zu KiB "
			                "limit",
			                path, out->max / 1024);
	}
	free(path);
	return error;
}

size_t desired_service_count(const struct desired *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->nstacks; i++) {
		json_t *svcs =
		        d->stacks[i].compose.doc
		                ? json_object_get(d->stacks[i].compose.doc,
		                                  "services")
		                : NULL;

		n += json_object_size(svcs);
	}
	return n;
}

const struct desired_stack *desired_stack_find(const struct desired *d,
                                               const char *name)
{
	for (size_t i = 0; i < d->nstacks; i++)
		if (!strcmp(d->stacks[i].name, name))
			return &d->stacks[i];
	return NULL;
}
