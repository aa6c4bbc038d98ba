/*
 * rules-apply.c: making the rules folder and Prometheus match a plan
 * (rules_apply in rules.h).
 *
 * The sequence, under an exclusive lock on the folder:
 *   1. find how to reload, before anything is written;
 *   2. stage the new files in DIR/.kedge-stage and promtool-check them;
 *   3. record the new files in the manifest (old and new names both, so a
 *      kill at any point leaves every file kedge wrote listed), rename the
 *      staged files in, unlink removed ones, record the final manifest;
 *   4. reload and verify: the reload succeeded, and /api/v1/rules holds
 *      exactly the expected (file, group) set, no rule in health "err";
 *   5. on failure after step 3 began, write the previous bytes back, put
 *      the old manifest back, reload and verify that.
 * Temporary names never end in ".yml", so Prometheus' DIR/<name>.yml never
 * sees a half-written file.
 */
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "prom.h"
#include "promtool.h"
#include "rules-int.h"

#define POLL_MS 100

enum manifest_when { MANIFEST_BEFORE, MANIFEST_DURING, MANIFEST_AFTER };

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* Writes data to dir/name through a temporary name and a rename. */
static int write_atomic(const char *dir, const char *name, const void *data,
                        size_t len, struct err *err)
{
	char *path = xasprintf("%s/%s", dir, name);
	char *tmp = xasprintf("%s/.%s.kedge-tmp", dir, name);
	int fd, error = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	          0644);
	if (fd < 0 || write_full(fd, data, len) || fsync(fd)) {
		error = err_set(err, ERR_IO, "cannot write '%s': %s", tmp,
		                strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path)) {
		error = err_set(err, ERR_IO, "cannot rename '%s' to '%s': %s",
		                tmp, path, strerror(errno));
		unlink(tmp);
	}
out:
	free(tmp);
	free(path);
	return error;
}

static const char *manifest_sha(const struct rules_file *f,
                                enum manifest_when when)
{
	switch (when) {
	case MANIFEST_BEFORE:
		return f->recorded_sha;
	case MANIFEST_DURING:
		if (f->source && f->write)
			return f->want_sha;
		return f->recorded_sha;
	case MANIFEST_AFTER:
		if (!f->source)
			return NULL;
		return f->write || !f->recorded_sha ? f->want_sha
		                                    : f->recorded_sha;
	}
	return NULL;
}

static int manifest_write(const struct rules_plan *p, enum manifest_when when,
                          struct err *err)
{
	json_t *files = json_object(), *j;
	char *text;
	int error;

	for (size_t i = 0; i < p->nfiles; i++) {
		const struct rules_file *f = &p->files[i];
		const char *sha = manifest_sha(f, when);

		if (sha)
			json_object_set_new(files, f->name,
			                    json_pack("{s:s, s:s?}", "sha256",
			                              sha, "source",
			                              f->source));
	}
	j = json_pack("{s:s, s:i, s:s, s:o}", "kind", "kedge-rules-manifest",
	              "format", 1, "revision", p->revision, "files", files);
	text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	error = write_atomic(p->dir, RULES_MANIFEST, text, strlen(text), err);
	free(text);
	json_decref(j);
	return error;
}

/* Removes DIR/.kedge-stage and what a killed apply left in it. */
static void stage_clear(const char *stage)
{
	DIR *dh = opendir(stage);
	struct dirent *de;

	if (!dh)
		return;
	while ((de = readdir(dh))) {
		if (de->d_name[0] == '.' &&
		    (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		unlinkat(dirfd(dh), de->d_name, 0);
	}
	closedir(dh);
	rmdir(stage);
}

/*
 * The first line of promtool's output about the file staged (as promtool
 * names it), put on source: "alerts/x.yml:4:17: ..."; out stays "" when no
 * line is about it.
 */
static void promtool_reason(char *out, size_t n, const char *text,
                            const char *staged, const char *source)
{
	const char *line = text, *end;
	size_t sl = strlen(staged);

	for (; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		while (line < end && (*line == ' ' || *line == '\t'))
			line++;
		if (starts_with(line, "FAILED: "))
			line += 8;
		if (strncmp(line, staged, sl) || line[sl] != ':')
			continue;
		line += sl + 1;
		while (line < end && *line == ' ')
			line++;
		snprintf(out, n, "%s:%s%.*s", source,
		         *line >= '0' && *line <= '9' ? "" : " ",
		         (int)(end - line), line);
		return;
	}
}

/* The staged files, checked by one promtool run. */
static int stage_files(const struct rules_plan *p, const char *stage,
                       struct err *err)
{
	const char *tool = promtool_path();
	const char **paths = xcalloc(p->nfiles + 1, sizeof(*paths));
	const char **sources = xcalloc(p->nfiles + 1, sizeof(*sources));
	struct buf out;
	size_t n = 0, i;
	int error = 0, status = 0;

	stage_clear(stage);
	if (mkdir(stage, 0755)) {
		error = err_set(err, ERR_IO, "cannot create '%s': %s", stage,
		                strerror(errno));
		goto out;
	}
	for (i = 0; i < p->nfiles && !error; i++) {
		const struct rules_file *f = &p->files[i];

		if (!f->source || !f->write)
			continue;
		error = write_atomic(stage, f->name,
		                     f->want.ptr ? f->want.ptr : "",
		                     f->want.len, err);
		paths[n] = xasprintf("%s/%s", stage, f->name);
		sources[n++] = f->source;
	}
	if (error || !tool || !n)
		goto out;
	buf_init(&out, PROMTOOL_OUTPUT_MAX);
	error = promtool_check_files(&status, &out, tool, paths, n,
	                             PROMTOOL_TIMEOUT_MS, err);
	if (!error && status) {
		char reason[ERR_MSG_MAX - 64] = "";

		for (i = 0; i < n && !reason[0]; i++)
			promtool_reason(reason, sizeof(reason), buf_cstr(&out),
			                paths[i], sources[i]);
		if (!reason[0])
			snprintf(reason, sizeof(reason),
			         "promtool exited with status %d", status);
		error = err_set(err, ERR_INVALID,
		                "promtool refused the rules: %s", reason);
	}
	buf_release(&out);
out:
	for (i = 0; i < n; i++)
		free((char *)paths[i]);
	free(paths);
	free(sources);
	return error;
}

/*
 * After a refused reload: Prometheus tells why only in its log, so find
 * the file of the folder (kedge's or not) that promtool refuses.
 */
static void name_broken(const struct rules_plan *p, struct err *err)
{
	const char *tool = promtool_path();
	char reason[ERR_MSG_MAX / 2] = "", was[ERR_MSG_MAX];
	struct dirent **names = NULL;
	const char **paths;
	struct buf out;
	size_t k = 0;
	int n, i, status = 0;

	if (!tool || (n = scandir(p->dir, &names, NULL, alphasort)) < 0)
		return;
	paths = xcalloc((size_t)n + 1, sizeof(*paths));
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char *path = xasprintf("%s/%s", p->dir, name);
		struct stat st;

		/* regular files only: promtool must not block on a FIFO */
		if (name[0] != '.' && ends_with(name, ".yml") &&
		    !lstat(path, &st) && S_ISREG(st.st_mode))
			paths[k++] = path;
		else
			free(path);
		free(names[i]);
	}
	free(names);
	buf_init(&out, PROMTOOL_OUTPUT_MAX);
	if (k &&
	    !promtool_check_files(&status, &out, tool, paths, k,
	                          PROMTOOL_TIMEOUT_MS, &(struct err){0}) &&
	    status)
		for (size_t j = 0; j < k && !reason[0]; j++)
			promtool_reason(reason, sizeof(reason), buf_cstr(&out),
			                paths[j], paths[j]);
	for (size_t j = 0; j < k; j++)
		free((char *)paths[j]);
	free(paths);
	buf_release(&out);
	if (!reason[0])
		return;
	snprintf(was, sizeof(was), "%s", err->msg);
	err_set(err, err->code, "%s: %s", was, reason);
}

/* Step 3: the staged files replace the live ones. */
static int swap_in(const struct rules_plan *p, const char *stage,
                   struct err *err)
{
	int error;

	if ((error = manifest_write(p, MANIFEST_DURING, err)))
		return error;
	for (size_t i = 0; i < p->nfiles; i++) {
		const struct rules_file *f = &p->files[i];
		char *from, *to;

		if (!(f->source && f->write) && !f->remove)
			continue;
		from = xasprintf("%s/%s", stage, f->name);
		to = xasprintf("%s/%s", p->dir, f->name);
		if (f->remove ? unlink(to) && errno != ENOENT
		              : rename(from, to) != 0)
			error = err_set(err, ERR_IO, "cannot %s '%s': %s",
			                f->remove ? "remove" : "replace", to,
			                strerror(errno));
		free(from);
		free(to);
		if (error)
			return error;
	}
	sync_dir(p->dir);
	return manifest_write(p, MANIFEST_AFTER, err);
}

/* Step 5: the bytes that were there before. */
static int put_back(const struct rules_plan *p, struct err *err)
{
	int error = 0;

	for (size_t i = 0; i < p->nfiles && !error; i++) {
		const struct rules_file *f = &p->files[i];

		if (!(f->source && f->write) && !f->remove)
			continue;
		if (f->exists) {
			error = write_atomic(p->dir, f->name,
			                     f->have.ptr ? f->have.ptr : "",
			                     f->have.len, err);
		} else {
			char *path = xasprintf("%s/%s", p->dir, f->name);

			if (unlink(path) && errno != ENOENT)
				error = err_set(err, ERR_IO,
				                "cannot remove '%s': %s", path,
				                strerror(errno));
			free(path);
		}
	}
	return error ? error : manifest_write(p, MANIFEST_BEFORE, err);
}

struct reloader {
	struct prom *prom;
	enum prom_reload how;
	const char *pidfile;
	long timeout_ms;
};

static int reloader_open(struct reloader *r, const struct rules_opts *o,
                         struct err *err)
{
	struct prom_runtime rt;
	int error, on = 0;

	memset(r, 0, sizeof(*r));
	r->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 30000;
	if ((error = prom_reload_parse(&r->how, &r->pidfile, o->reload, err)) ||
	    (error = prom_open(&r->prom, o->url, o->timeout_ms, err)) ||
	    (error = prom_runtime(&rt, r->prom, err)))
		return error;
	if (r->how != PROM_RELOAD_DETECT)
		return 0;
	if ((error = prom_lifecycle(&on, r->prom, err)))
		return error;
	if (!on)
		return err_set(err, ERR_UNSUPPORTED,
		               "cannot reload Prometheus at %s: its lifecycle "
		               "API is off (start it with "
		               "--web.enable-lifecycle), and no "
		               "--prometheus-reload signal:PIDFILE was given",
		               prom_url(r->prom));
	r->how = PROM_RELOAD_HTTP;
	return 0;
}

/*
 * Reloads and waits until Prometheus confirms. lastConfigTime has whole
 * seconds and moves only on success, so the reload starts in a later
 * second than the last one.
 */
static int reload_confirmed(struct reloader *r, struct err *err)
{
	struct prom_runtime before, now;
	long long deadline;
	int error;

	if ((error = prom_runtime(&before, r->prom, err)))
		return error;
	while ((long long)time(NULL) <= before.last_config)
		sleep_ms(POLL_MS);
	if ((error = prom_reload(r->prom, r->how, r->pidfile, err)))
		return error;
	deadline = now_ms() + r->timeout_ms;
	for (;;) {
		if ((error = prom_runtime(&now, r->prom, err)))
			return error;
		if (now.reload_success && now.last_config > before.last_config)
			return 0;
		if (!now.reload_success &&
		    (before.reload_success || r->how == PROM_RELOAD_HTTP))
			return err_set(
			        err, ERR_INVALID,
			        "Prometheus at %s refused the new rules; "
			        "it keeps the previous rule set, and its "
			        "log has the reason",
			        prom_url(r->prom));
		if (now_ms() >= deadline)
			return err_set(err, ERR_TIMEOUT,
			               "Prometheus at %s did not confirm a "
			               "reload within %ld ms",
			               prom_url(r->prom), r->timeout_ms);
		sleep_ms(POLL_MS);
	}
}

/* Step 4's second half: the loaded groups are the expected ones. */
static int verify_loaded(const struct rules_plan *p, struct reloader *r,
                         struct err *err)
{
	long long deadline = now_ms() + r->timeout_ms;
	json_t *groups = NULL;
	char *why = NULL;
	int error;

	for (;;) {
		if ((error = prom_rules(&groups, r->prom, err)))
			return error;
		free(why);
		why = NULL;
		error = rules_loaded_match(p, groups, &why);
		json_decref(groups);
		if (!error)
			return 0;
		if (now_ms() >= deadline)
			break;
		sleep_ms(POLL_MS);
	}
	error = err_set(err, ERR_INVALID,
	                "Prometheus at %s reloaded, but not onto the new "
	                "rules: %s",
	                prom_url(r->prom), why);
	free(why);
	return error;
}

static int restore(const struct rules_plan *p, struct reloader *r,
                   struct err *err)
{
	struct err e;
	char was[ERR_MSG_MAX];

	err_clear(&e);
	snprintf(was, sizeof(was), "%s", err->msg);
	if (put_back(p, &e)) {
		err_set(err, err->code,
		        "%s; putting the previous rules back failed too: %s",
		        was, e.msg);
		return -1;
	}
	if (reload_confirmed(r, &e)) {
		err_set(err, err->code,
		        "%s; the previous rules are back on disk, but "
		        "Prometheus did not reload them either%s%s",
		        was, e.code == ERR_INVALID ? "" : ": ",
		        e.code == ERR_INVALID ? "" : e.msg);
		return -1;
	}
	err_set(err, err->code,
	        "%s; the previous rules were put back and Prometheus "
	        "reloaded them",
	        was);
	return 0;
}

static int lock_dir(int *fd_out, const char *dir, struct err *err)
{
	char *path = xasprintf("%s/%s", dir, RULES_LOCK);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	int error = 0;

	if (fd < 0)
		error = err_set(err, ERR_IO, "cannot open '%s': %s", path,
		                strerror(errno));
	else if (flock(fd, LOCK_EX | LOCK_NB)) {
		error = err_set(err, ERR_CONFLICT,
		                "another kedge is applying rules to '%s'", dir);
		close(fd);
		fd = -1;
	}
	*fd_out = fd;
	free(path);
	return error;
}

int rules_apply(const struct rules_plan *p, const struct rules_opts *o,
                struct err *err)
{
	struct reloader r = {0};
	char *stage = NULL;
	int error, lock = -1, swapped = 0;

	if (rules_plan_empty(p))
		return 0;
	if ((error = lock_dir(&lock, p->dir, err)) ||
	    (error = reloader_open(&r, o, err)))
		goto out;
	stage = xasprintf("%s/%s", p->dir, RULES_STAGE);
	if ((error = stage_files(p, stage, err)))
		goto out;
	swapped = 1;
	if ((error = swap_in(p, stage, err)))
		goto out;
	if ((error = reload_confirmed(&r, err))) {
		if (error == ERR_INVALID)
			name_broken(p, err);
		goto out;
	}
	error = verify_loaded(p, &r, err);
out:
	if (stage)
		stage_clear(stage);
	if (error && swapped)
		(void)restore(p, &r, err);
	else if (error) {
		char was[ERR_MSG_MAX];

		snprintf(was, sizeof(was), "%s", err->msg);
		err_set(err, error, "%s; nothing was changed", was);
	}
	prom_free(r.prom);
	free(stage);
	if (lock >= 0)
		close(lock);
	return error;
}
