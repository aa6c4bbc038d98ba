/*
 * promtool.c: the promtool subprocess declared in promtool.h: the files
 * promtool reads, laid out in a temporary folder, and the tool run by
 * child.c (its own process group, killed as a group at the deadline,
 * output capped).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "child.h"
#include "err.h"
#include "promtool.h"

const char *promtool_path(void)
{
	const char *env = getenv("KEDGE_PROMTOOL");

	if (env)
		return *env && strcmp(env, "none") ? env : NULL;
	return access("/usr/bin/promtool", X_OK) == 0 ? "/usr/bin/promtool"
	                                              : NULL;
}

static const char *tmp_dir(void)
{
	const char *dir = getenv("TMPDIR");

	return dir && *dir ? dir : "/tmp";
}

/* Writes data to fd, which it closes; path is for the message. */
static int write_close(int fd, const char *path, const void *data, size_t len,
                       struct err *err)
{
	int bad = write_full(fd, data, len);

	if (close(fd))
		bad = 1;
	if (bad)
		return err_set(err, ERR_IO, "cannot write '%s': %s", path,
		               strerror(errno));
	return 0;
}

int promtool_check_files(int *status, struct buf *out, const char *tool,
                         const char *const *paths, size_t n, int timeout_ms,
                         struct err *err)
{
	const char **argv = xcalloc(n + 4, sizeof(*argv));
	int rc;

	argv[0] = tool;
	argv[1] = "check";
	argv[2] = "rules";
	for (size_t i = 0; i < n; i++)
		argv[3 + i] = paths[i];
	*status = 0;
	rc = child_run(status, out, argv, timeout_ms, err);
	free(argv);
	return rc;
}

int promtool_check_rules(int *status, char **tmp_out, struct buf *out,
                         const char *tool, const void *data, size_t len,
                         int timeout_ms, struct err *err)
{
	char *tmp;
	int fd, rc;

	*tmp_out = NULL;
	*status = 0;
	tmp = xasprintf("%s/kedge-rules-XXXXXX", tmp_dir());
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = err_set(err, ERR_IO, "cannot create a file in %s: %s",
		             tmp_dir(), strerror(errno));
		free(tmp);
		return rc;
	}
	rc = write_close(fd, tmp, data, len, err);
	if (!rc) {
		char *argv[] = {(char *)tool, (char *)"check", (char *)"rules",
		                tmp, NULL};

		rc = child_run(status, out, (const char *const *)argv,
		               timeout_ms, err);
	}
	unlink(tmp);
	if (rc)
		free(tmp);
	else
		*tmp_out = tmp;
	return rc;
}

/* A path that stays inside the folder: relative, no empty or ".." part. */
static int path_inside(const char *p)
{
	for (;;) {
		size_t n = strcspn(p, "/");

		if (!n || (n == 2 && !strncmp(p, "..", 2)))
			return 0;
		if (!p[n])
			return 1;
		p += n + 1;
	}
}

/* Creates dir/f->path, and the folders on the way, with f's bytes. */
static int put_file(const char *dir, const struct promtool_file *f,
                    struct err *err)
{
	char *path = xasprintf("%s/%s", dir, f->path);
	char *slash = path + strlen(dir) + 1;
	int fd, rc = 0;

	while (!rc && (slash = strchr(slash, '/'))) {
		*slash = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			rc = err_set(err, ERR_IO, "cannot create '%s': %s",
			             path, strerror(errno));
		*slash++ = '/';
	}
	if (!rc) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		rc = fd < 0 ? err_set(err, ERR_IO, "cannot create '%s': %s",
		                      path, strerror(errno))
		            : write_close(fd, path, f->data, f->len, err);
	}
	free(path);
	return rc;
}

/* Removes what put_file made (folders once empty), then dir itself. */
static void remove_files(const char *dir, const struct promtool_file *files,
                         size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, files[i].path);
		char *slash;

		unlink(path);
		while ((slash = strrchr(path, '/')) &&
		       slash > path + strlen(dir)) {
			*slash = '\0';
			rmdir(path); /* fails while another file is in it */
		}
		free(path);
	}
	rmdir(dir);
}

int promtool_test_rules(int *status, char **dir_out, struct buf *out,
                        const char *tool, const struct promtool_file *files,
                        size_t nfiles, const char *test, int timeout_ms,
                        struct err *err)
{
	char *dir, *path = NULL;
	size_t made = 0;
	int rc = 0;

	*dir_out = NULL;
	*status = 0;
	for (size_t i = 0; i < nfiles; i++)
		if (!path_inside(files[i].path))
			return err_set(err, ERR_INVALID,
			               "'%s' is not a path inside a folder",
			               files[i].path);
	if (!path_inside(test))
		return err_set(err, ERR_INVALID,
		               "'%s' is not a path inside a folder", test);
	dir = xasprintf("%s/kedge-ruletests-XXXXXX", tmp_dir());
	if (!mkdtemp(dir)) {
		rc = err_set(err, ERR_IO, "cannot create a folder in %s: %s",
		             tmp_dir(), strerror(errno));
		free(dir);
		return rc;
	}
	while (!rc && made < nfiles)
		rc = put_file(dir, &files[made++], err);
	if (!rc) {
		char *argv[] = {(char *)tool, (char *)"test", (char *)"rules",
		                NULL, NULL};

		path = xasprintf("%s/%s", dir, test);
		argv[3] = path;
		rc = child_run(status, out, (const char *const *)argv,
		               timeout_ms, err);
	}
	remove_files(dir, files, made);
	free(path);
	if (rc)
		free(dir);
	else
		*dir_out = dir;
	return rc;
}
