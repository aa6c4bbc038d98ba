/*
 * child.h: running a tool as a bounded child process.
 *
 * Owns: starting a program with an argument vector in its own process
 * group, with /dev/null as stdin, stdout and stderr into one capped
 * buffer, no descriptor of kedge's but that pipe, and killing the whole
 * group at its deadline. Does not own: what the tool is or what its
 * output means (amtool in alertmanager.c, promtool in promtool.c).
 */
#ifndef RECONCILER_CHILD_H
#define RECONCILER_CHILD_H

#include "util.h"

struct buf;
struct err;

/*
 * Runs argv[0] with argv (NULL-terminated), waits at most timeout_ms and
 * appends what it wrote to out (whose cap the caller sets). *status is the
 * exit status. Returns 0 when the tool ran to its end (whatever its
 * status), ERR_IO when it cannot be started or was killed by a signal,
 * ERR_TIMEOUT past the deadline, ERR_TOOBIG when it wrote more than out's
 * cap; err names the tool.
 */
int child_run(int *status, struct buf *out, const char *const *argv,
              int timeout_ms, struct err *err) MUST_CHECK;

#endif
