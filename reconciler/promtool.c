/*
 * promtool.c: the promtool subprocess declared in promtool.h.
 *
 * The child gets its own process group, so a deadline kills whatever it
 * started too; output is read with poll() against the deadline, so a
 * grandchild that keeps the pipe open cannot hold kedge; exec failure is
 * reported over a close-on-exec pipe, so "cannot run" is told apart from
 * a tool that ran and failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
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

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* In the child: wire the pipes, drop every other descriptor, exec. */
static void child(char *const argv[], int out_fd, int err_fd)
{
	int null = open("/dev/null", O_RDONLY);
	int e;

	setpgid(0, 0);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out_fd, 1) < 0 ||
	    dup2(out_fd, 2) < 0)
		_exit(127);
	/* keep only 0-2 and the exec-error pipe (close-on-exec already) */
	for (int fd = 3; fd < err_fd; fd++)
		close(fd);
	close_range((unsigned)err_fd + 1, ~0U, 0);
	execv(argv[0], argv);
	e = errno;
	if (write(err_fd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/* Reads the child's output until it exits or the deadline passes. */
static int collect(struct buf *out, int fd, pid_t pid, int *status,
                   long long deadline)
{
	struct pollfd pfd = {fd, POLLIN, 0};
	char chunk[4096];
	int open_pipe = 1;
	ssize_t r;

	while (waitpid(pid, status, WNOHANG) != pid) {
		long long left = deadline - now_ms();
		int wait = left < 50 ? (int)left : 50, n;

		if (left <= 0)
			return ERR_TIMEOUT;
		n = poll(open_pipe ? &pfd : NULL, open_pipe ? 1 : 0, wait);
		if (n < 0 && errno != EINTR)
			return ERR_IO;
		if (n <= 0 || !open_pipe)
			continue;
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			open_pipe = 0;
		else if (buf_add(out, chunk, (size_t)r))
			return ERR_TOOBIG;
	}
	/* The child is gone: take what is buffered, never wait for EOF,
	 * which a grandchild holding the pipe could put off forever. */
	while (open_pipe && poll(&pfd, 1, 0) > 0 &&
	       (r = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_add(out, chunk, (size_t)r))
			return ERR_TOOBIG;
	return 0;
}

/* Runs argv (argv[0] is the tool's path) with the discipline above. */
static int run(int *status, struct buf *out, char *const argv[], int timeout_ms,
               struct err *err)
{
	const char *tool = argv[0];
	int outp[2], errp[2], exec_errno = 0, rc;
	pid_t pid;

	if (pipe2(outp, O_CLOEXEC))
		return err_set(err, ERR_IO, "cannot make a pipe: %s",
		               strerror(errno));
	if (pipe2(errp, O_CLOEXEC)) {
		close(outp[0]);
		close(outp[1]);
		return err_set(err, ERR_IO, "cannot make a pipe: %s",
		               strerror(errno));
	}
	pid = fork();
	if (pid == 0)
		child(argv, outp[1], errp[1]);
	close(outp[1]);
	close(errp[1]);
	if (pid < 0) {
		close(outp[0]);
		close(errp[0]);
		return err_set(err, ERR_IO, "cannot start %s: %s", tool,
		               strerror(errno));
	}
	setpgid(pid, pid); /* also here: no race with the child's own */
	rc = collect(out, outp[0], pid, status, now_ms() + timeout_ms);
	kill(-pid, SIGKILL); /* the group: whatever the tool left behind */
	if (rc)
		waitpid(pid, status, 0);
	if (read(errp[0], &exec_errno, sizeof(exec_errno)) ==
	    (ssize_t)sizeof(exec_errno))
		rc = err_set(err, ERR_IO, "cannot run %s: %s", tool,
		             strerror(exec_errno));
	else if (rc == ERR_TIMEOUT)
		err_set(err, rc, "%s did not finish within %d s", tool,
		        timeout_ms / 1000);
	else if (rc == ERR_TOOBIG)
		err_set(err, rc, "%s wrote more than %zu bytes", tool,
		        out->max);
	else if (rc)
		err_set(err, rc, "cannot read the output of %s", tool);
	else if (!WIFEXITED(*status))
		rc = err_set(err, ERR_IO, "%s was killed by signal %d", tool,
		             WIFSIGNALED(*status) ? WTERMSIG(*status) : 0);
	else
		*status = WEXITSTATUS(*status);
	close(outp[0]);
	close(errp[0]);
	return rc;
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
	int bad = write_all(fd, data, len);

	if (close(fd))
		bad = 1;
	if (bad)
		return err_set(err, ERR_IO, "cannot write '%s': %s", path,
		               strerror(errno));
	return 0;
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

		rc = run(status, out, argv, timeout_ms, err);
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
		rc = run(status, out, argv, timeout_ms, err);
	}
	remove_files(dir, files, made);
	free(path);
	if (rc)
		free(dir);
	else
		*dir_out = dir;
	return rc;
}
