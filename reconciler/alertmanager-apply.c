/*
 * alertmanager-apply.c: writing a plan of alertmanager.h: staging the set
 * next to the config, amtool check-config on the stage, renames into
 * place, POST /-/reload, proof by the config hash, and the restore of the
 * previous files when any step fails. Also the staging and amtool runs
 * that am_verify() shares (alertmanager-int.h).
 *
 * Modes: a replaced file keeps its mode (and its owner when kedge may
 * set it); a new config is 0640, since the resolved file holds the env
 * file's secrets, a new template 0644.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alertmanager-int.h"
#include "alertmanager.h"
#include "buf.h"
#include "child.h"
#include "err.h"
#include "http.h"
#include "log.h"

static const struct buf *content(const struct am_file *f, enum am_side s)
{
	return s == AM_WANT ? &f->want : &f->live;
}

static int present(const struct am_file *f, enum am_side s)
{
	return s == AM_WANT ? f->has_want : f->has_live;
}

static int write_file(const char *path, const struct buf *b, mode_t mode,
                      const struct stat *like, struct err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	const char *p = b->ptr;
	size_t n = b->len;
	int e = 0;

	if (fd < 0)
		return err_set(err, ERR_IO, "cannot create '%s': %s", path,
		               strerror(errno));
	while (n && !e) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			e = w < 0 ? errno : EIO;
		} else {
			p += w;
			n -= (size_t)w;
		}
	}
	if (like) {
		/* keep the replaced file's owner when kedge may (root);
		 * otherwise the file is kedge's, as a new one is */
		int ignored = fchown(fd, like->st_uid, like->st_gid);

		(void)ignored;
	}
	if (!e && (fchmod(fd, mode) || fsync(fd)))
		e = errno;
	if (close(fd) && !e)
		e = errno;
	if (e)
		return err_set(err, ERR_IO, "cannot write '%s': %s", path,
		               strerror(e));
	return 0;
}

void am_stage_remove(const char *stage, const struct am_plan *p)
{
	char *t;

	for (size_t i = 0; i < p->nfiles; i++) {
		char *path = xasprintf("%s/%s", stage, p->files[i].name);

		unlink(path);
		free(path);
	}
	t = xasprintf("%s/templates", stage);
	rmdir(t);
	rmdir(stage);
	free(t);
}

/* Writes side s of the whole set into a new folder next to the config. */
int am_stage_write(char **out, const struct am_plan *p, enum am_side s,
                   const char *parent, struct err *err)
{
	char *stage = xasprintf("%s/.kedge-am-XXXXXX", parent);
	char *t;
	int rc = 0;

	*out = NULL;
	if (!mkdtemp(stage)) {
		rc = err_set(err, ERR_IO, "cannot create a folder in '%s': %s",
		             parent, strerror(errno));
		free(stage);
		return rc;
	}
	t = xasprintf("%s/templates", stage);
	if (mkdir(t, 0755))
		rc = err_set(err, ERR_IO, "cannot create '%s': %s", t,
		             strerror(errno));
	free(t);
	for (size_t i = 0; i < p->nfiles && !rc; i++) {
		const struct am_file *f = &p->files[i];
		mode_t mode = f->has_live ? f->st.st_mode & 07777
		              : i == 0    ? AM_NEW_CONFIG_MODE
		                          : AM_NEW_TMPL_MODE;
		char *path;

		if (!present(f, s))
			continue;
		path = xasprintf("%s/%s", stage, f->name);
		rc = write_file(path, content(f, s), mode,
		                f->has_live ? &f->st : NULL, err);
		free(path);
	}
	if (rc) {
		am_stage_remove(stage, p);
		free(stage);
		return rc;
	}
	*out = stage;
	return 0;
}

/*
 * Puts side s of the set in place from stage: templates first, the config
 * last, each by rename; a template absent on side s is removed.
 */
static int install_one(const struct am_plan *p, const struct am_file *f,
                       enum am_side s, const char *stage, struct err *err)
{
	char *from = xasprintf("%s/%s", stage, f->name);
	char *to = xasprintf("%s/%s", p->dir, f->name);
	char *tdir = xasprintf("%s/templates", p->dir);
	int rc = 0;

	if (f != p->files && present(f, s) && mkdir(tdir, 0755) &&
	    errno != EEXIST)
		rc = err_set(err, ERR_IO, "cannot create '%s': %s", tdir,
		             strerror(errno));
	else if (present(f, s) && rename(from, to))
		rc = err_set(err, ERR_IO, "cannot rename '%s' to '%s': %s",
		             from, to, strerror(errno));
	else if (!present(f, s) && unlink(to) && errno != ENOENT)
		rc = err_set(err, ERR_IO, "cannot remove '%s': %s", to,
		             strerror(errno));
	free(from);
	free(to);
	free(tdir);
	return rc;
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		if (fsync(fd))
			log_warn("alertmanager", "cannot sync '%s': %s", dir,
			         strerror(errno));
		close(fd);
	}
}

static int install(const struct am_plan *p, enum am_side s, const char *stage,
                   struct err *err)
{
	int rc = 0;

	for (size_t i = 1; i < p->nfiles && !rc; i++)
		if (am_file_differs(&p->files[i]))
			rc = install_one(p, &p->files[i], s, stage, err);
	if (!rc && am_file_differs(&p->files[0]))
		rc = install_one(p, &p->files[0], s, stage, err);
	if (!rc) {
		/* the renames survive a crash of the host, not only of kedge */
		char *tdir = xasprintf("%s/templates", p->dir);

		sync_dir(tdir);
		sync_dir(p->dir);
		free(tdir);
	}
	return rc;
}

/*
 * The message of amtool's output: the text after "FAILED:" and the lines
 * after it, without amtool's own summary, stage replaced by shown.
 */
static char *tool_message(const char *output, const char *stage,
                          const char *shown)
{
	const char *p = strstr(output, "FAILED:");
	size_t n = stage ? strlen(stage) : 0;
	struct buf b = BUF_INIT;
	char *line, *save = NULL, *text;

	text = xstrdup(p ? p + strlen("FAILED:") : output);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *s = line;

		while (*s == ' ')
			s++;
		if (!*s || starts_with(s, "amtool: error:"))
			continue;
		while (*s) {
			if (n && !strncmp(s, stage, n)) {
				if (buf_addstr(&b, shown))
					BUG("uncapped buffer");
				s += n;
				s += *s == '/';
			} else if (buf_addch(&b, *s++)) {
				BUG("uncapped buffer");
			}
		}
		if (buf_addstr(&b, "; "))
			BUG("uncapped buffer");
	}
	free(text);
	if (b.len >= 2)
		b.ptr[b.len -= 2] = '\0';
	return buf_detach(&b, NULL);
}

/* Where token first stands in text as a YAML value or list item. */
static void token_pos(const char *text, const char *token, unsigned *line,
                      unsigned *col)
{
	size_t n = strlen(token);
	const char *ls = text;
	unsigned l = 1;

	*line = *col = 0;
	if (!n)
		return;
	for (const char *p = text; *p; p++) {
		if (*p == '\n') {
			l++;
			ls = p + 1;
		} else if (!strncmp(p, token, n) && p > text &&
		           strchr(" \"'", p[-1]) &&
		           strchr(" \"'\n,]", p[n] ? p[n] : '\n')) {
			*line = l;
			*col = (unsigned)(p - ls) + 1;
			return;
		}
	}
}

/*
 * Where an amtool message is about: *repo (static) is the template it
 * names or the config; the position comes from "template: x.tmpl:N:",
 * "line N:" or the first quoted name in the message found in text.
 */
void am_locate(const char **repo, char **tofree, unsigned *line, unsigned *col,
               const char *msg, const char *text)
{
	const char *p, *q;

	*repo = AM_CONFIG;
	*tofree = NULL;
	*line = *col = 0;
	if ((p = strstr(msg, "template: ")) && (q = strstr(p, ".tmpl:")) &&
	    sscanf(q + 6, "%u", line) == 1) {
		char *name = xstrndup(p + 10, (size_t)(q + 5 - (p + 10)));

		*repo = *tofree = xasprintf("%s/%s", AM_TEMPLATES, name);
		free(name);
	} else if ((p = strstr(msg, "line ")) &&
	           sscanf(p + 5, "%u:", line) == 1) {
		return;
	} else if ((p = strchr(msg, '"')) && (q = strchr(p + 1, '"'))) {
		char *tok = xstrndup(p + 1, (size_t)(q - p - 1));

		token_pos(text, tok, line, col);
		free(tok);
	}
}

/* Runs amtool check-config on stage/<config>: *msg is set (caller frees)
 * when amtool refused it. */
int am_check_stage(char **msg, const char *tool, const char *stage,
                   const char *config, int timeout_ms, struct err *err)
{
	char *file = xasprintf("%s/%s", stage, config);
	const char *argv[] = {tool, "check-config", file, NULL};
	struct buf out;
	int status, rc;

	*msg = NULL;
	buf_init(&out, AM_OUTPUT_MAX);
	rc = child_run(&status, &out, argv, timeout_ms, err);
	if (!rc && status)
		*msg = tool_message(buf_cstr(&out), stage, "");
	buf_release(&out);
	free(file);
	return rc;
}

/* POST /-/reload, then proves by its hash that want_hash is loaded. */
static int reload_verify(struct http *h, const struct am_opts *o,
                         uint64_t want_hash, const json_t *env, struct err *err)
{
	struct http_response r;
	uint64_t got = 0;
	int rc;

	if ((rc = http_request(&r, h, "POST", "/-/reload", NULL, "", 0, err)))
		return rc;
	if (r.status != 200) {
		char *body = am_scrub(buf_cstr(&r.body), env);
		size_t n = strlen(body);

		while (n && (body[n - 1] == '\n' || body[n - 1] == ' '))
			body[--n] = '\0';
		rc = err_set(err, r.status == 500 ? ERR_INVALID : ERR_REMOTE,
		             "Alertmanager at %s refused the reload (HTTP "
		             "%ld): %.600s",
		             o->url, r.status, body);
		free(body);
	}
	http_response_release(&r);
	if (rc || (rc = am_loaded_hash(&got, h, o->url, err)))
		return rc;
	if (got != want_hash)
		return err_set(err, ERR_REMOTE,
		               "Alertmanager at %s did not load the file "
		               "written: its config hash is %llu, the file's "
		               "%llu",
		               o->url, (unsigned long long)got,
		               (unsigned long long)want_hash);
	return 0;
}

static int files_differ(const struct am_plan *p)
{
	for (size_t i = 0; i < p->nfiles; i++)
		if (am_file_differs(&p->files[i]))
			return 1;
	return 0;
}

/* Appends "; what[: why]" to err's message, keeping its code. */
static void add_reason(struct err *err, const char *what, const char *why)
{
	char *msg;

	if (!err)
		return;
	msg = xstrdup(err->msg);
	err_set(err, err->code, "%s; %s%s%s", msg, what, why ? ": " : "",
	        why ? why : "");
	free(msg);
}

/* After a failed apply: the previous files back, reloaded, verified. */
static void restore(const struct am_plan *p, struct http *h,
                    const struct am_opts *o, struct err *err)
{
	const struct am_file *cfg = &p->files[0];
	char *stage = NULL;
	struct err e;
	int rc;

	err_clear(&e);
	rc = am_stage_write(&stage, p, AM_LIVE, p->dir, &e);
	if (!rc) {
		rc = install(p, AM_LIVE, stage, &e);
		am_stage_remove(stage, p);
		free(stage);
	}
	if (rc)
		add_reason(err, "restoring the previous files failed too",
		           e.msg);
	else if (!cfg->has_live)
		add_reason(err, "the new files are removed again", NULL);
	else if (reload_verify(h, o,
	                       am_config_hash(cfg->live.ptr, cfg->live.len),
	                       p->env, &e))
		add_reason(err, "the previous files are back, but not loaded",
		           e.msg);
	else
		add_reason(err, "the previous files are back and loaded", NULL);
}

int am_apply(const struct am_plan *p, const struct am_opts *o, struct err *err)
{
	const struct am_file *cfg;
	const char *tool = am_tool_path(o);
	char *stage = NULL, *msg = NULL;
	struct http *h = NULL;
	int rc, wrote = 0;

	if (am_plan_empty(p))
		return 0;
	cfg = &p->files[0];
	if ((rc = am_http_open(&h, o, err)))
		return rc;
	if (files_differ(p)) {
		if (!tool) {
			rc = err_set(err, ERR_UNSUPPORTED,
			             "amtool is needed to check %s before it "
			             "is written (install prometheus-"
			             "alertmanager, or set KEDGE_AMTOOL)",
			             AM_CONFIG);
			goto out;
		}
		if ((rc = am_stage_write(&stage, p, AM_WANT, p->dir, err)))
			goto out;
		if ((rc = am_check_stage(&msg, tool, stage, cfg->name,
		                         am_timeout(o), err)))
			goto out;
		if (msg) {
			char *clean = am_scrub(msg, p->env), *tofree;
			const char *repo;
			unsigned line, col;

			am_locate(&repo, &tofree, &line, &col, msg,
			          buf_cstr(&cfg->want));
			rc = err_set_at(err, ERR_INVALID, repo, line, col,
			                "amtool check-config refused it: %s",
			                clean);
			free(clean);
			free(tofree);
			goto out;
		}
		wrote = 1;
		if ((rc = install(p, AM_WANT, stage, err)))
			goto failed;
	}
	rc = reload_verify(h, o, am_config_hash(cfg->want.ptr, cfg->want.len),
	                   p->env, err);
failed:
	if (rc && wrote)
		restore(p, h, o, err);
out:
	if (stage) {
		am_stage_remove(stage, p);
		free(stage);
	}
	free(msg);
	http_free(h);
	return rc;
}
