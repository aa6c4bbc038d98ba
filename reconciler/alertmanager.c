/*
 * alertmanager.c: Alertmanager's configuration as desired state, declared
 * in alertmanager.h: reading alertmanager/ from the desired state,
 * comparing it with the file Alertmanager reads and the hash it has
 * loaded, checking it with amtool, and writing, reloading and verifying
 * it with a restore of the previous files on any failure.
 *
 * Files: the config (--alertmanager-config) and the *.tmpl files of the
 * templates/ folder next to it, which kedge owns: a .tmpl there that the
 * repository does not have is removed. Templates are copied verbatim;
 * only the config has ${NAME} references. A staged set lives in a
 * .kedge-am-XXXXXX folder next to the config, so every rename stays on
 * one file system and is atomic; Alertmanager reads files only on reload,
 * after the whole set is in place (alertmanager-apply.c writes it).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alertmanager-int.h"
#include "alertmanager.h"
#include "buf.h"
#include "desired.h"
#include "diag.h"
#include "dotenv.h"
#include "err.h"
#include "http.h"
#include "source.h"
#include "yamldoc.h"

const char *am_tool_path(const struct am_opts *o)
{
	const char *env = getenv("KEDGE_AMTOOL");

	if (o && o->amtool)
		return o->amtool;
	if (env)
		return *env && strcmp(env, "none") ? env : NULL;
	return access("/usr/bin/amtool", X_OK) == 0 ? "/usr/bin/amtool" : NULL;
}

int am_timeout(const struct am_opts *o)
{
	return o && o->timeout_ms > 0 ? (int)o->timeout_ms : AM_TIMEOUT_MS;
}

static struct am_file *file_add(struct am_file **v, size_t *n, const char *name)
{
	struct am_file *f;

	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	f = &(*v)[(*n)++];
	memset(f, 0, sizeof(*f));
	f->name = xstrdup(name);
	buf_init(&f->want, AM_MAX_BYTES);
	buf_init(&f->live, AM_MAX_BYTES);
	return f;
}

static void files_free(struct am_file *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].repo);
		buf_release(&v[i].want);
		buf_release(&v[i].live);
	}
	free(v);
}

static struct am_file *file_find(struct am_file *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

int am_file_differs(const struct am_file *f)
{
	return f->has_want != f->has_live ||
	       (f->has_want && (f->want.len != f->live.len ||
	                        memcmp(f->want.ptr, f->live.ptr, f->live.len)));
}

/* 1 when d has an alertmanager/ folder. */
static int has_am(const struct desired *d)
{
	enum source_type t;
	struct err e;

	return d && d->src &&
	       source_stat(&t, d->src, "alertmanager", &e) == 0 &&
	       t == SOURCE_DIR;
}

/*
 * Reads the repository's set into files: the config resolved with v,
 * then the .tmpl files of alertmanager/templates/ as they are. *parsed gets the
 * resolved config parsed (NULL when it does not parse). Problems go to
 * diag; returns the number of errors added.
 */
static size_t load_want(struct am_file **files, size_t *n, json_t **parsed,
                        const struct desired *d, const char *base,
                        const struct am_vars *v, struct diag *diag)
{
	struct buf raw;
	struct source_entry *ents = NULL;
	size_t nents = 0, before = diag->errors;
	struct am_file *f = file_add(files, n, base);
	struct am_vars ph = {NULL, NULL, 1};
	struct buf check = BUF_INIT;
	struct err e;

	*parsed = NULL;
	f->repo = xstrdup(AM_CONFIG);
	buf_init(&raw, AM_MAX_BYTES);
	err_clear(&e);
	if (source_read(&raw, d->src, AM_CONFIG, &e)) {
		diag_add(diag, DIAG_ERROR, AM_CONFIG, 0, 0, "%s",
		         e.code == ERR_NOTFOUND
		                 ? "missing: alertmanager/ needs an "
		                   "alertmanager.yml"
		                 : e.msg);
		goto templates;
	}
	/* first with placeholders: YAML errors located, no value in them */
	if (!am_resolve(&check, raw.ptr, raw.len, &ph, AM_CONFIG, diag) &&
	    yamldoc_parse(parsed, NULL, check.ptr, check.len, AM_CONFIG, NULL,
	                  &e)) {
		diag_add(diag, DIAG_ERROR, AM_CONFIG, e.line, e.col, "%s",
		         e.msg);
	} else if (diag->errors == before && !v->placeholders) {
		json_decref(*parsed);
		*parsed = NULL;
		if (!am_resolve(&f->want, raw.ptr, raw.len, v, AM_CONFIG,
		                diag) &&
		    yamldoc_parse(parsed, NULL, f->want.ptr, f->want.len,
		                  AM_CONFIG, NULL, &e))
			/* e.msg could quote a value: not shown */
			diag_add(diag, DIAG_ERROR, AM_CONFIG, 0, 0,
			         "does not parse once its ${NAME} references "
			         "are resolved: a value from the env file "
			         "breaks the YAML (quote the reference)");
	} else if (diag->errors == before) {
		if (buf_add(&f->want, check.ptr, check.len))
			BUG("the placeholder text outgrew its own cap");
	}
	f->has_want = diag->errors == before;
templates:
	buf_release(&raw);
	buf_release(&check);
	if (source_list(&ents, &nents, d->src, AM_TEMPLATES, &e) &&
	    e.code != ERR_NOTFOUND)
		diag_add(diag, DIAG_ERROR, AM_TEMPLATES, 0, 0, "%s", e.msg);
	for (size_t i = 0; i < nents; i++) {
		char *repo = xasprintf("%s/%s", AM_TEMPLATES, ents[i].name);

		if (ends_with(ents[i].name, ".tmpl") &&
		    ents[i].name[0] != '.' && ents[i].type != SOURCE_DIR) {
			char *name = xasprintf("templates/%s", ents[i].name);

			f = file_add(files, n, name);
			free(name);
			f->repo = repo;
			repo = NULL;
			if (source_read(&f->want, d->src, f->repo, &e))
				diag_add(diag, DIAG_ERROR, f->repo, 0, 0, "%s",
				         e.msg);
			else
				f->has_want = 1;
		} else {
			diag_add(diag, DIAG_WARNING, repo, 0, 0,
			         "not a NAME.tmpl file: kedge does not install "
			         "it");
		}
		free(repo);
	}
	source_entries_free(ents, nents);
	if (diag->errors != before) {
		json_decref(*parsed);
		*parsed = NULL;
	}
	return diag->errors - before;
}

static int read_live(struct am_file *f, const char *dir, struct err *err)
{
	char *path = xasprintf("%s/%s", dir, f->name);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), rc = 0;

	if (fd < 0) {
		if (errno != ENOENT)
			rc = err_set(err, ERR_IO, "cannot read '%s': %s", path,
			             strerror(errno));
	} else if (fstat(fd, &f->st) || !S_ISREG(f->st.st_mode)) {
		rc = err_set(err, ERR_IO, "'%s' is not a regular file", path);
	} else if ((rc = buf_read_fd(&f->live, fd))) {
		rc = err_set(err, rc, "cannot read '%s': %s", path,
		             rc == ERR_TOOBIG ? "larger than 1 MiB"
		                              : strerror(errno));
	} else {
		f->has_live = 1;
	}
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

/* Adds the *.tmpl files of dir/templates that the set lacks. */
static int list_live_templates(struct am_file **files, size_t *n,
                               const char *dir, struct err *err)
{
	char *path = xasprintf("%s/templates", dir);
	DIR *dh = opendir(path);
	struct dirent *de;
	int rc = 0;

	if (!dh) {
		if (errno != ENOENT)
			rc = err_set(err, ERR_IO, "cannot list '%s': %s", path,
			             strerror(errno));
		free(path);
		return rc;
	}
	while ((de = readdir(dh))) {
		char *name;

		if (de->d_name[0] == '.' || !ends_with(de->d_name, ".tmpl"))
			continue;
		name = xasprintf("templates/%s", de->d_name);
		if (!file_find(*files, *n, name))
			file_add(files, n, name);
		free(name);
	}
	closedir(dh);
	free(path);
	return 0;
}

int am_http_open(struct http **out, const struct am_opts *o, struct err *err)
{
	struct http_opts ho = {0};
	char *name = xasprintf("Alertmanager at %s", o->url);
	int rc;

	ho.base_url = o->url;
	ho.timeout_ms = am_timeout(o);
	ho.max_body = 16u << 20;
	ho.name = name;
	rc = http_open(out, &ho, err);
	free(name);
	return rc;
}

/* The alertmanager_config_hash Alertmanager publishes now. */
int am_loaded_hash(uint64_t *out, struct http *h, const char *url,
                   struct err *err)
{
	struct http_response r;
	const char *p;
	int rc;

	if ((rc = http_request(&r, h, "GET", "/metrics", NULL, NULL, 0, err)))
		return rc;
	rc = 0;
	if (r.status != 200) {
		rc = err_set(err, ERR_REMOTE,
		             "Alertmanager at %s answered GET /metrics with "
		             "HTTP %ld",
		             url, r.status);
		goto out;
	}
	for (p = buf_cstr(&r.body); p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (starts_with(p, "alertmanager_config_hash "))
			break;
	if (!p) {
		rc = err_set(err, ERR_REMOTE,
		             "Alertmanager at %s publishes no "
		             "alertmanager_config_hash metric",
		             url);
		goto out;
	}
	*out = (uint64_t)strtod(p + strlen("alertmanager_config_hash "), NULL);
out:
	http_response_release(&r);
	return rc;
}

static void plan_lines(struct am_plan *p, const json_t *want)
{
	struct am_file *cfg = &p->files[0];
	json_t *live = NULL;
	size_t before = p->changes.nr;
	struct err e;

	if (!cfg->has_live) {
		am_changes_add(&p->changes, '+', "config %s", p->config_file);
		am_diff(&p->changes, NULL, want, p->env);
	} else if (am_file_differs(cfg)) {
		if (yamldoc_parse(&live, NULL, cfg->live.ptr, cfg->live.len,
		                  p->config_file, NULL, &e))
			am_changes_add(&p->changes, '~',
			               "config: replaced (%s does not parse as "
			               "YAML)",
			               p->config_file);
		else
			am_diff(&p->changes, live, want, p->env);
		if (p->changes.nr == before)
			am_changes_add(&p->changes, '~',
			               "config: text changed (comments or "
			               "layout)");
		json_decref(live);
	}
	for (size_t i = 1; i < p->nfiles; i++) {
		struct am_file *f = &p->files[i];
		const char *t = f->name + strlen("templates/");

		if (!am_file_differs(f))
			continue;
		am_changes_add(&p->changes,
		               !f->has_live   ? '+'
		               : !f->has_want ? '-'
		                              : '~',
		               "template %s", t);
	}
}

int am_plan_build(struct am_plan **out, const struct desired *d,
                  const struct am_opts *o, struct diag *diag, struct err *err)
{
	struct am_vars v = {NULL, NULL, 0};
	struct am_plan *p = NULL;
	json_t *want = NULL, *env = NULL;
	struct buf envtext;
	const char *slash;
	struct http *h = NULL;
	uint64_t loaded = 0;
	int rc = 0;

	*out = NULL;
	if (!o || !o->url || !has_am(d))
		return 0;
	if (!o->config_file || !*o->config_file)
		return err_set(err, ERR_INVALID,
		               "--alertmanager-config is needed with "
		               "--alertmanager-url");
	buf_init(&envtext, AM_MAX_BYTES);
	if (o->env_file) {
		if ((rc = buf_read_file(&envtext, o->env_file))) {
			rc = err_set(err, ERR_IO, "cannot read '%s': %s",
			             o->env_file,
			             rc == ERR_TOOBIG ? "larger than 1 MiB"
			                              : strerror(errno));
			goto out;
		}
		if ((rc = dotenv_parse(&env, envtext.ptr, envtext.len,
		                       o->env_file, err)))
			goto out;
	}
	v.env = env;
	v.env_path = o->env_file;
	p = xcalloc(1, sizeof(*p));
	p->env = env ? json_incref(env) : json_object();
	p->config_file = xstrdup(o->config_file);
	slash = strrchr(o->config_file, '/');
	p->dir = slash ? xstrndup(o->config_file,
	                          (size_t)(slash - o->config_file))
	               : xstrdup(".");
	if (!*p->dir) {
		free(p->dir);
		p->dir = xstrdup("/");
	}
	if (load_want(&p->files, &p->nfiles, &want, d,
	              slash ? slash + 1 : o->config_file, &v, diag))
		goto out; /* the repository's problem: diag says it */
	for (size_t i = 0; i < p->nfiles && !rc; i++)
		rc = read_live(&p->files[i], p->dir, err);
	if (!rc &&
	    !(rc = list_live_templates(&p->files, &p->nfiles, p->dir, err)))
		for (size_t i = 0; i < p->nfiles && !rc; i++)
			if (!p->files[i].repo)
				rc = read_live(&p->files[i], p->dir, err);
	if (rc)
		goto out;
	if ((rc = am_http_open(&h, o, err)) ||
	    (rc = am_loaded_hash(&loaded, h, o->url, err))) {
		err_prefix(err, "cannot read the configuration Alertmanager "
		                "has loaded");
		goto out;
	}
	plan_lines(p, want);
	if (p->files[0].has_live &&
	    loaded != am_config_hash(p->files[0].live.ptr,
	                             p->files[0].live.len)) {
		p->drift = 1;
		am_changes_add(&p->changes, '~',
		               ": loaded config differs from the file "
		               "(drift)");
	}
	*out = p;
	p = NULL;
out:
	http_free(h);
	json_decref(want);
	json_decref(env);
	buf_release(&envtext);
	am_plan_free(p);
	return rc;
}

int am_plan_empty(const struct am_plan *p)
{
	return !p || !p->changes.nr;
}

void am_plan_print(const struct am_plan *p, FILE *fp)
{
	for (size_t i = 0; p && i < p->changes.nr; i++) {
		const char *w = p->changes.v[i].what;

		fprintf(fp, "%c alertmanager%s%s\n", p->changes.v[i].op,
		        *w == ':' ? "" : " ", w);
	}
}

json_t *am_plan_to_json(const struct am_plan *p)
{
	json_t *changes = json_array();

	for (size_t i = 0; p && i < p->changes.nr; i++) {
		const char *w = p->changes.v[i].what;
		char op[2] = {p->changes.v[i].op, 0};

		json_array_append_new(
		        changes, json_pack("{s:s, s:s}", "op", op, "change",
		                           *w == ':' ? w + 2 : w));
	}
	return json_pack("{s:s?, s:b, s:o}", "config_file",
	                 p ? p->config_file : NULL, "drift", p && p->drift,
	                 "changes", changes);
}

void am_plan_free(struct am_plan *p)
{
	if (!p)
		return;
	free(p->config_file);
	free(p->dir);
	files_free(p->files, p->nfiles);
	am_changes_release(&p->changes);
	json_decref(p->env);
	free(p);
}

void am_verify(const struct desired *d, struct diag *diag)
{
	struct am_vars ph = {NULL, NULL, 1};
	struct am_plan p = {0};
	const char *tool, *tmp = getenv("TMPDIR");
	char *stage = NULL, *msg = NULL;
	json_t *parsed = NULL;
	struct err e;

	if (!has_am(d))
		return;
	err_clear(&e);
	if (load_want(&p.files, &p.nfiles, &parsed, d, "alertmanager.yml", &ph,
	              diag))
		goto out;
	tool = am_tool_path(NULL);
	if (!tool) {
		diag_add(diag, DIAG_WARNING, AM_CONFIG, 0, 0,
		         "amtool is not installed: checked as YAML only");
		goto out;
	}
	if (am_stage_write(&stage, &p, AM_WANT, tmp && *tmp ? tmp : "/tmp",
	                   &e) ||
	    am_check_stage(&msg, tool, stage, "alertmanager.yml", AM_TIMEOUT_MS,
	                   &e))
		diag_add(diag, DIAG_ERROR, AM_CONFIG, 0, 0,
		         "cannot check it with amtool: %s", e.msg);
	else if (msg) {
		const char *repo;
		char *tofree;
		unsigned line, col;

		am_locate(&repo, &tofree, &line, &col, msg,
		          buf_cstr(&p.files[0].want));
		diag_add(diag, DIAG_ERROR, repo, line, col, "amtool: %s", msg);
		free(tofree);
	}
out:
	if (stage) {
		am_stage_remove(stage, &p);
		free(stage);
	}
	free(msg);
	json_decref(parsed);
	files_free(p.files, p.nfiles);
}
