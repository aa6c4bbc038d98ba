/*
 * rules.c: the rules plan (rules.h): which files of the folder change, and
 * what that means group by group and rule by rule.
 *
 * The files' bytes decide what is written (a comment counts: the file on
 * disk is the repository's, byte for byte); the parsed documents decide
 * what is shown. Rules are matched inside a group by kind, name and
 * occurrence (two alerts may share a name with different labels), so a
 * changed expression is one "~ alert" line, not a removal and an addition.
 */
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

#include "desired.h"
#include "err.h"
#include "prom.h"
#include "rules-int.h"
#include "source.h"
#include "yamldoc.h"

/* ---- changes ---- */

static int str_is(const json_t *v, const char *want)
{
	return json_is_string(v) && !strcmp(json_string_value(v), want);
}

static void add_change(struct rules_plan *p, char sign, const char *kind,
                       char *name, char *detail)
{
	struct rules_change *c;

	p->changes =
	        xrealloc(p->changes, (p->nchanges + 1) * sizeof(*p->changes));
	c = &p->changes[p->nchanges++];
	c->sign = sign;
	c->kind = kind;
	c->name = name;
	c->detail = detail;
}

/* A value as one line: strings as they are unless they hold a newline. */
static char *shown(const json_t *v)
{
	const char *s = json_string_value(v);
	char *d;

	if (!v || json_is_null(v))
		return xstrdup("(none)");
	if (s && !strpbrk(s, "\n\r"))
		return xstrdup(s);
	d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	return d ? d : xstrdup("?");
}

static void field_change(struct rules_plan *p, const char *kind,
                         const char *name, const char *field, const json_t *old,
                         const json_t *new)
{
	char *o, *n;

	if (json_equal((json_t *)old, (json_t *)new) || (!old && !new))
		return;
	o = shown(old);
	n = shown(new);
	add_change(p, '~', kind, xstrdup(name),
	           xasprintf("%s: %s -> %s", field, o, n));
	free(o);
	free(n);
}

/* labels and annotations, key by key */
static void map_changes(struct rules_plan *p, const char *kind,
                        const char *name, const char *field, const json_t *old,
                        const json_t *new)
{
	const char *k;
	json_t *v;
	char *f;

	json_object_foreach ((json_t *)new, k, v) {
		f = xasprintf("%s.%s", field, k);
		field_change(p, kind, name, f, json_object_get(old, k), v);
		free(f);
	}
	json_object_foreach ((json_t *)old, k, v) {
		if (json_object_get(new, k))
			continue;
		f = xasprintf("%s.%s", field, k);
		field_change(p, kind, name, f, v, NULL);
		free(f);
	}
}

static const char *rule_kind(const json_t *r)
{
	return json_object_get(r, "alert") ? "alert" : "record";
}

static const char *rule_name(const json_t *r)
{
	const char *n = json_string_value(json_object_get(r, "alert"));

	return n ? n : json_string_value(json_object_get(r, "record"));
}

/* The index in rules of the occ-th rule of this kind and name, or -1. */
static long find_rule(const json_t *rules, const char *kind, const char *name,
                      size_t occ)
{
	const json_t *r;
	size_t i;

	json_array_foreach ((json_t *)rules, i, r) {
		const char *n = rule_name(r);

		if (n && !strcmp(rule_kind(r), kind) && !strcmp(n, name) &&
		    occ-- == 0)
			return (long)i;
	}
	return -1;
}

/* How many rules before index i have the same kind and name. */
static size_t occurrence(const json_t *rules, size_t i)
{
	const json_t *r = json_array_get(rules, i);
	size_t n = 0;

	for (size_t j = 0; j < i; j++) {
		const json_t *q = json_array_get(rules, j);

		if (!strcmp(rule_kind(q), rule_kind(r)) && rule_name(q) &&
		    rule_name(r) && !strcmp(rule_name(q), rule_name(r)))
			n++;
	}
	return n;
}

static char *rule_id(const char *file, const char *group, const json_t *r)
{
	return xasprintf("%s/%s/%s", file, group,
	                 rule_name(r) ? rule_name(r) : "?");
}

static void diff_rule(struct rules_plan *p, const char *id, const char *kind,
                      const json_t *old, const json_t *new)
{
	static const char *const fields[] = {"expr", "for", "keep_firing_for",
	                                     NULL};

	for (size_t i = 0; fields[i]; i++)
		field_change(p, kind, id, fields[i],
		             json_object_get(old, fields[i]),
		             json_object_get(new, fields[i]));
	map_changes(p, kind, id, "labels", json_object_get(old, "labels"),
	            json_object_get(new, "labels"));
	map_changes(p, kind, id, "annotations",
	            json_object_get(old, "annotations"),
	            json_object_get(new, "annotations"));
}

static void diff_group(struct rules_plan *p, const char *file,
                       const json_t *old, const json_t *new)
{
	const char *gname = json_string_value(json_object_get(new, "name"));
	const json_t *orules = json_object_get(old, "rules");
	const json_t *nrules = json_object_get(new, "rules");
	char *gid = xasprintf("%s/%s", file, gname);
	const json_t *r;
	size_t i;
	long prev = -1;
	int reordered = 0;

	field_change(p, "group", gid, "interval",
	             json_object_get(old, "interval"),
	             json_object_get(new, "interval"));
	field_change(p, "group", gid, "limit", json_object_get(old, "limit"),
	             json_object_get(new, "limit"));
	json_array_foreach ((json_t *)nrules, i, r) {
		long j = find_rule(orules, rule_kind(r), rule_name(r) ?: "",
		                   occurrence(nrules, i));
		char *id = rule_id(file, gname, r);

		if (j < 0) {
			add_change(p, '+', rule_kind(r), id, NULL);
			continue;
		}
		reordered |= j < prev;
		prev = j;
		diff_rule(p, id, rule_kind(r),
		          json_array_get(orules, (size_t)j), r);
		free(id);
	}
	json_array_foreach ((json_t *)orules, i, r) {
		if (find_rule(nrules, rule_kind(r), rule_name(r) ?: "",
		              occurrence(orules, i)) < 0)
			add_change(p, '-', rule_kind(r),
			           rule_id(file, gname, r), NULL);
	}
	if (reordered)
		add_change(p, '~', "group", xstrdup(gid),
		           xstrdup("the order of its rules"));
	free(gid);
}

static const json_t *find_group(const json_t *groups, const char *name)
{
	const json_t *g;
	size_t i;

	json_array_foreach ((json_t *)groups, i, g) {
		if (str_is(json_object_get(g, "name"), name))
			return g;
	}
	return NULL;
}

static void group_line(struct rules_plan *p, char sign, const char *file,
                       const json_t *g)
{
	size_t n = json_array_size(json_object_get(g, "rules"));

	add_change(p, sign, "group",
	           xasprintf("%s/%s", file,
	                     json_string_value(json_object_get(g, "name"))),
	           xasprintf("(%zu rule%s)", n, n == 1 ? "" : "s"));
}

/* Semantic differences between two rule documents (either may be NULL). */
static void diff_docs(struct rules_plan *p, const char *file, const json_t *old,
                      const json_t *new)
{
	const json_t *og = json_object_get(old, "groups");
	const json_t *ng = json_object_get(new, "groups");
	const json_t *g;
	size_t i, before = p->nchanges;

	json_array_foreach ((json_t *)ng, i, g) {
		const char *name =
		        json_string_value(json_object_get(g, "name"));
		const json_t *o = name ? find_group(og, name) : NULL;

		if (!name)
			continue;
		if (o)
			diff_group(p, file, o, g);
		else
			group_line(p, '+', file, g);
	}
	json_array_foreach ((json_t *)og, i, g) {
		const char *name =
		        json_string_value(json_object_get(g, "name"));

		if (name && !find_group(ng, name))
			group_line(p, '-', file, g);
	}
	if (p->nchanges == before)
		add_change(p, '~', "file", xstrdup(file),
		           xstrdup("comments or layout only"));
}

/* ---- the folder ---- */

static void file_release(struct rules_file *f)
{
	free(f->name);
	free(f->source);
	buf_release(&f->want);
	buf_release(&f->have);
	free(f->recorded_sha);
}

void rules_plan_free(struct rules_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nfiles; i++)
		file_release(&p->files[i]);
	free(p->files);
	for (size_t i = 0; i < p->nchanges; i++) {
		free(p->changes[i].name);
		free(p->changes[i].detail);
	}
	free(p->changes);
	for (size_t i = 0; i < p->nexpect; i++) {
		free(p->expect[i].file);
		free(p->expect[i].group);
		for (size_t j = 0; j < p->expect[i].nrules; j++)
			free(p->expect[i].rules[j]);
		free(p->expect[i].rules);
	}
	free(p->expect);
	free(p->dir);
	free(p->revision);
	free(p);
}

static struct rules_file *file_get(struct rules_plan *p, const char *name)
{
	struct rules_file *f;

	for (size_t i = 0; i < p->nfiles; i++)
		if (!strcmp(p->files[i].name, name))
			return &p->files[i];
	p->files = xrealloc(p->files, (p->nfiles + 1) * sizeof(*p->files));
	f = &p->files[p->nfiles++];
	memset(f, 0, sizeof(*f));
	f->name = xstrdup(name);
	buf_init(&f->want, RULES_FILE_MAX);
	buf_init(&f->have, RULES_FILE_MAX);
	return f;
}

/* "alerts/node.yaml" -> "node.yml" */
static char *target_name(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (ends_with(base, ".yaml"))
		n -= 5;
	else if (ends_with(base, ".yml"))
		n -= 4;
	return xasprintf("%.*s.yml", (int)n, base);
}

static int read_manifest(struct rules_plan *p, struct err *err)
{
	char *path = xasprintf("%s/%s", p->dir, RULES_MANIFEST);
	json_t *j = NULL, *files, *v;
	struct buf b;
	const char *k;
	int error;

	buf_init(&b, RULES_FILE_MAX);
	error = buf_read_file(&b, path);
	if (error && errno == ENOENT && error != ERR_TOOBIG) {
		error = 0;
		goto out;
	}
	if (error) {
		error = err_set(err, ERR_IO, "cannot read '%s': %s", path,
		                error == ERR_TOOBIG ? "too large"
		                                    : strerror(errno));
		goto out;
	}
	j = json_loadb(b.ptr ? b.ptr : "", b.len, 0, NULL);
	files = json_object_get(j, "files");
	if (!json_is_object(files)) {
		error = err_set(err, ERR_INVALID,
		                "'%s' is damaged (not a kedge manifest); move "
		                "it away to start over: kedge will then treat "
		                "every file in the folder as not its own",
		                path);
		goto out;
	}
	json_object_foreach (files, k, v) {
		const char *sha =
		        json_string_value(json_object_get(v, "sha256"));
		struct rules_file *f;

		if (!sha || strlen(sha) != HASH_HEX_LEN || strchr(k, '/') ||
		    !ends_with(k, ".yml") || k[0] == '.') {
			error = err_set(err, ERR_INVALID,
			                "'%s' is damaged (entry '%s')", path,
			                k);
			goto out;
		}
		f = file_get(p, k);
		f->recorded_sha = xstrdup(sha);
	}
out:
	json_decref(j);
	buf_release(&b);
	free(path);
	return error;
}

static int rules_read_file(struct buf *b, const char *path)
{
	struct stat st;
	int fd, error = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT  ? ERR_NOTFOUND
		       : errno == ELOOP ? ERR_CONFLICT
		                        : ERR_IO;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		error = ERR_CONFLICT;
	else if ((error = buf_read_fd(b, fd)) == ERR_TOOBIG)
		errno = EFBIG;
	if (error && error != ERR_CONFLICT)
		error = ERR_IO;
	close(fd);
	return error;
}

/* Reads DIR/name into f->have when it is there. */
static int read_live(struct rules_plan *p, struct rules_file *f,
                     struct err *err)
{
	char *path = xasprintf("%s/%s", p->dir, f->name);
	int error = rules_read_file(&f->have, path);

	if (error == ERR_NOTFOUND) {
		error = 0;
	} else if (error == ERR_CONFLICT) {
		error = err_set(err, ERR_CONFLICT,
		                "'%s' is not a regular file; kedge will not "
		                "replace it",
		                path);
	} else if (error) {
		error = err_set(err, ERR_IO, "cannot read '%s': %s", path,
		                strerror(errno));
	} else {
		f->exists = 1;
		hash_sha256_hex(f->have_sha, f->have.ptr ? f->have.ptr : "",
		                f->have.len);
	}
	free(path);
	return error;
}

static int load_desired(struct rules_plan *p, const struct desired *d,
                        struct err *err)
{
	for (size_t i = 0; i < d->nalerts; i++) {
		char *name = target_name(d->alerts[i].path);
		struct rules_file *f = file_get(p, name);
		int error;

		free(name);
		if (f->source)
			return err_set(err, ERR_INVALID,
			               "%s and %s both become '%s/%s'; rename "
			               "one of them",
			               f->source, d->alerts[i].path, p->dir,
			               f->name);
		f->source = xstrdup(d->alerts[i].path);
		error = source_read(&f->want, d->src, f->source, err);
		if (error)
			return error;
		hash_sha256_hex(f->want_sha, f->want.ptr ? f->want.ptr : "",
		                f->want.len);
	}
	return 0;
}

static json_t *parse_rules(const struct buf *b, const char *path)
{
	json_t *doc = NULL;
	struct err e;

	err_clear(&e);
	if (yamldoc_parse(&doc, NULL, b->ptr ? b->ptr : "", b->len, path, NULL,
	                  &e))
		return NULL;
	return doc;
}

static void add_expect(struct rules_plan *p, const char *file,
                       const json_t *doc)
{
	const json_t *g, *r;
	size_t i, j;

	json_array_foreach (json_object_get(doc, "groups"), i, g) {
		struct rules_expect *e;
		const json_t *rules = json_object_get(g, "rules");

		p->expect = xrealloc(p->expect,
		                     (p->nexpect + 1) * sizeof(*p->expect));
		e = &p->expect[p->nexpect++];
		e->file = xstrdup(file);
		e->group = xstrdup(json_string_value(json_object_get(g, "name"))
		                           ?: "");
		e->nrules = json_array_size(rules);
		e->rules = xcalloc(e->nrules + 1, sizeof(*e->rules));
		json_array_foreach (rules, j, r)
			e->rules[j] = xasprintf("%s:%s", rule_kind(r),
			                        rule_name(r) ?: "");
	}
}

/* What one file's difference is, as changes. */
static int plan_file(struct rules_plan *p, struct rules_file *f,
                     struct err *err)
{
	json_t *want = NULL, *have = NULL;
	char *path = xasprintf("%s/%s", p->dir, f->name);
	int error = 0;

	if (f->source && f->exists && !f->recorded_sha &&
	    strcmp(f->have_sha, f->want_sha)) {
		error = err_set(err, ERR_CONFLICT,
		                "'%s' was not written by kedge; refusing to "
		                "replace it with %s (move it away, or rename "
		                "the repository's file)",
		                path, f->source);
		goto out;
	}
	if (f->source) {
		want = parse_rules(&f->want, f->source);
		add_expect(p, f->name, want);
	}
	if (f->exists && (f->source || f->recorded_sha))
		have = parse_rules(&f->have, path);
	if (!f->source && !f->exists) {
		f->write = 1; /* only the manifest changes */
		add_change(p, '~', "file", xstrdup(f->name),
		           xstrdup("gone from the folder and the repository; "
		                   "forgotten"));
		goto out;
	}
	if (!f->source) {
		/* listed in the manifest, gone from the repository */
		if (f->exists &&
		    strcmp(f->have_sha, f->recorded_sha ? f->recorded_sha : ""))
			add_change(p, '~', "file", xstrdup(f->name),
			           xstrdup("changed outside kedge"));
		if (f->exists) {
			f->remove = 1;
			diff_docs(p, f->name, have, NULL);
		}
		goto out;
	}
	if (!f->exists) {
		if (f->recorded_sha)
			add_change(p, '~', "file", xstrdup(f->name),
			           xstrdup("deleted outside kedge"));
		f->write = 1;
		diff_docs(p, f->name, NULL, want);
		goto out;
	}
	if (!f->recorded_sha) {
		/* same bytes, not yet listed: an interrupted apply's */
		f->write = 1;
		add_change(p, '~', "file", xstrdup(f->name),
		           xstrdup("taken over (it already holds the "
		                   "repository's content)"));
		goto out;
	}
	if (!strcmp(f->have_sha, f->want_sha)) {
		if (strcmp(f->recorded_sha, f->want_sha)) {
			f->write = 1; /* the manifest is behind */
			add_change(p, '~', "file", xstrdup(f->name),
			           xstrdup("recorded again"));
		}
		goto out;
	}
	f->write = 1;
	if (strcmp(f->have_sha, f->recorded_sha))
		add_change(p, '~', "file", xstrdup(f->name),
		           xstrdup(have ? "changed outside kedge"
		                        : "changed outside kedge, and it "
		                          "does not parse"));
	diff_docs(p, f->name, have, want);
out:
	json_decref(want);
	json_decref(have);
	free(path);
	return error;
}

static int check_dir(const char *dir, struct err *err)
{
	struct stat st;

	if (!dir || !*dir)
		return err_set(err, ERR_INVALID,
		               "--prometheus-url needs --prometheus-rules-dir, "
		               "the folder Prometheus reads rule files from");
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return err_set(err, ERR_IO, "the rules folder '%s' %s", dir,
		               errno == ENOENT || !S_ISDIR(st.st_mode)
		                       ? "does not exist or is not a folder"
		                       : strerror(errno));
	return 0;
}

/* Prometheus' view: has it loaded exactly what is on disk? */
static int plan_loaded(struct rules_plan *p, const struct rules_opts *o,
                       struct err *err)
{
	struct prom *pr = NULL;
	json_t *groups = NULL;
	char *why = NULL;
	int error;

	if ((error = prom_open(&pr, o->url, o->timeout_ms, err)) ||
	    (error = prom_rules(&groups, pr, err)))
		goto out;
	if (rules_loaded_match(p, groups, &why)) {
		p->reload = 1;
		add_change(
		        p, '~', "prometheus", xstrdup(prom_url(pr)),
		        xasprintf("has not loaded the rules on disk: %s", why));
	}
out:
	free(why);
	json_decref(groups);
	prom_free(pr);
	return error;
}

int rules_plan_build(struct rules_plan **out, const struct desired *d,
                     const struct rules_opts *o, struct err *err)
{
	struct rules_plan *p;
	int error, writes = 0;

	if ((error = check_dir(o->dir, err)))
		return error;
	p = xcalloc(1, sizeof(*p));
	p->dir = xstrdup(o->dir);
	if (ends_with(p->dir, "/") && strlen(p->dir) > 1)
		p->dir[strlen(p->dir) - 1] = '\0';
	p->revision = xstrdup(d->revision);
	if ((error = read_manifest(p, err)) ||
	    (error = load_desired(p, d, err)))
		goto out;
	for (size_t i = 0; i < p->nfiles; i++)
		if ((error = read_live(p, &p->files[i], err)))
			goto out;
	for (size_t i = 0; i < p->nfiles; i++) {
		if ((error = plan_file(p, &p->files[i], err)))
			goto out;
		writes |= p->files[i].write || p->files[i].remove;
	}
	/* when files change, the apply reloads anyway: no need to ask */
	if (!writes && o->url && (error = plan_loaded(p, o, err)))
		goto out;
	*out = p;
	return 0;
out:
	rules_plan_free(p);
	return error;
}

/* ---- loaded groups ---- */

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Is a group's file one of the folder's? Prometheus names it as the glob
 * expanded it: absolute, or relative to its config file's folder. */
static int in_dir(const char *file, const char *dir)
{
	const char *slash = strrchr(file, '/'), *d = base_name(dir);
	size_t n, dl = strlen(d);

	if (!slash)
		return 0;
	n = (size_t)(slash - file); /* the length of the folder part */
	if (n < dl || strncmp(slash - dl, d, dl))
		return 0;
	return n == dl || slash[-(long)dl - 1] == '/';
}

int rules_loaded_match(const struct rules_plan *p, const json_t *groups,
                       char **why)
{
	const json_t *g, *r;
	size_t i, j, seen = 0;

	json_array_foreach ((json_t *)groups, i, g) {
		const char *file =
		        json_string_value(json_object_get(g, "file"));
		const char *name =
		        json_string_value(json_object_get(g, "name"));
		const json_t *rules = json_object_get(g, "rules");
		const struct rules_expect *e = NULL;

		if (!file || !name || !in_dir(file, p->dir))
			continue;
		for (j = 0; j < p->nexpect && !e; j++)
			if (!strcmp(p->expect[j].file, base_name(file)) &&
			    !strcmp(p->expect[j].group, name))
				e = &p->expect[j];
		if (!e) {
			/* a foreign file's group is not ours to judge */
			int ours = 0;

			for (j = 0; j < p->nfiles; j++)
				ours |= !strcmp(p->files[j].name,
				                base_name(file)) &&
				        (p->files[j].source ||
				         p->files[j].recorded_sha);
			if (!ours)
				continue;
			*why = xasprintf("it still runs group %s/%s",
			                 base_name(file), name);
			return 1;
		}
		seen++;
		if (json_array_size(rules) != e->nrules) {
			*why = xasprintf("group %s/%s has %zu rules, not %zu",
			                 e->file, e->group,
			                 json_array_size(rules), e->nrules);
			return 1;
		}
		json_array_foreach ((json_t *)rules, j, r) {
			const char *type =
			        json_string_value(json_object_get(r, "type"));
			const char *rn =
			        json_string_value(json_object_get(r, "name"));
			char *key = xasprintf("%s:%s",
			                      type && !strcmp(type, "alerting")
			                              ? "alert"
			                              : "record",
			                      rn ? rn : "");
			int same = !strcmp(key, e->rules[j]);

			free(key);
			if (!same) {
				*why = xasprintf("group %s/%s has other rules "
				                 "(rule %zu is not %s)",
				                 e->file, e->group, j + 1,
				                 e->rules[j]);
				return 1;
			}
			if (str_is(json_object_get(r, "health"), "err")) {
				*why = xasprintf(
				        "rule %s/%s/%s fails: %s", e->file,
				        e->group, rn ? rn : "?",
				        json_string_value(
				                json_object_get(r, "lastError"))
				                ?: "error");
				return 1;
			}
		}
	}
	if (seen != p->nexpect) {
		for (j = 0; j < p->nexpect; j++) {
			int found = 0;

			json_array_foreach ((json_t *)groups, i, g) {
				const char *file = json_string_value(
				        json_object_get(g, "file"));

				found |= file && in_dir(file, p->dir) &&
				         !strcmp(base_name(file),
				                 p->expect[j].file) &&
				         str_is(json_object_get(g, "name"),
				                p->expect[j].group);
			}
			if (!found) {
				*why = xasprintf("group %s/%s is not loaded",
				                 p->expect[j].file,
				                 p->expect[j].group);
				return 1;
			}
		}
	}
	return 0;
}

/* ---- views ---- */

const struct rules_change *rules_plan_changes(const struct rules_plan *p,
                                              size_t *nr)
{
	*nr = p ? p->nchanges : 0;
	return p ? p->changes : NULL;
}

int rules_plan_empty(const struct rules_plan *p)
{
	return !p || !p->nchanges;
}

void rules_plan_print(const struct rules_plan *p, FILE *fp)
{
	for (size_t i = 0; p && i < p->nchanges; i++) {
		const struct rules_change *c = &p->changes[i];

		/* "(3 rules)" follows the name; anything else after ": " */
		fprintf(fp, "%c %s %s%s%s\n", c->sign, c->kind, c->name,
		        !c->detail          ? ""
		        : *c->detail == '(' ? " "
		                            : ": ",
		        c->detail ? c->detail : "");
	}
}

json_t *rules_plan_to_json(const struct rules_plan *p)
{
	json_t *changes = json_array(), *files = json_array();

	for (size_t i = 0; i < p->nchanges; i++) {
		const struct rules_change *c = &p->changes[i];
		char op[2] = {c->sign, '\0'};

		json_array_append_new(changes,
		                      json_pack("{s:s, s:s, s:s, s:s?}", "op",
		                                op, "kind", c->kind, "name",
		                                c->name, "detail", c->detail));
	}
	for (size_t i = 0; i < p->nfiles; i++) {
		const struct rules_file *f = &p->files[i];
		const char *action = f->remove  ? "remove"
		                     : f->write ? "write"
		                                : "keep";

		if (!f->source && !f->exists)
			continue;
		json_array_append_new(
		        files, json_pack("{s:s, s:s?, s:s?, s:s}", "name",
		                         f->name, "source", f->source, "sha256",
		                         f->source ? f->want_sha : NULL,
		                         "action", action));
	}
	return json_pack("{s:s, s:o, s:o, s:b}", "dir", p->dir, "files", files,
	                 "changes", changes, "reload", p->reload);
}
