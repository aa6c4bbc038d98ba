/*
 * child.c: the bounded child process declared in child.h.
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "child.h"
#include "err.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In the child: wire the pipes, drop every other descriptor, exec. */
static void child_exec(const char *const *argv, int out_fd, int err_fd)
{
	int null = open("/dev/null", O_RDONLY);
	int e;

	setpgid(0, 0);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out_fd, 1) < 0 ||
	    dup2(out_fd, 2) < 0)
		_exit(127);
	for (int fd = 3; fd < err_fd; fd++)
		close(fd);
	close_range((unsigned)err_fd + 1, ~0U, 0);
	/* execv's prototype predates const; it does not write argv */
	execv(argv[0], (char *const *)argv);
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

static int pipes(int outp[2], int errp[2], struct err *err)
{
	if (pipe2(outp, O_CLOEXEC)) {
		err_set(err, ERR_IO, "cannot make a pipe: %s", strerror(errno));
		return ERR_IO;
	}
	if (pipe2(errp, O_CLOEXEC)) {
		err_set(err, ERR_IO, "cannot make a pipe: %s", strerror(errno));
		close(outp[0]);
		close(outp[1]);
		return ERR_IO;
	}
	return 0;
}

int child_run(int *status, struct buf *out, const char *const *argv,
              int timeout_ms, struct err *err)
{
	const char *tool = argv[0];
	int outp[2] = {-1, -1}, errp[2] = {-1, -1}, exec_errno = 0, rc;
	pid_t pid;

	*status = 0;
	if ((rc = pipes(outp, errp, err)))
		return rc;
	pid = fork();
	if (pid == 0)
		child_exec(argv, outp[1], errp[1]);
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
