/*
 * promtool.h: Prometheus' promtool as a subprocess, the adapter for
 * checking alert rule files.
 *
 * Owns: where promtool is (KEDGE_PROMTOOL, else /usr/bin/promtool), a
 * temporary copy of the rules under $TMPDIR, and running the child in its
 * own process group with no descriptor of kedge's but its output pipe,
 * killed as a group at its deadline. Does not own: what the output means
 * (verify-files.c turns it into located problems).
 */
#ifndef RECONCILER_PROMTOOL_H
#define RECONCILER_PROMTOOL_H

#include <stddef.h>

#include "util.h"

struct buf;
struct err;

/* The promtool to run, or NULL when none is configured or installed
 * (KEDGE_PROMTOOL="" or "none" turns it off). Borrowed. */
const char *promtool_path(void);

/*
 * Writes data to a temporary file, runs `tool check rules <file>` with
 * stdout and stderr into out (whose cap the caller sets), waits at most
 * timeout_ms, and removes the file. *tmp_out gets the file's name, as
 * promtool's messages quote it (the caller frees it). *status is the
 * child's exit status. Returns 0, ERR_IO when the file cannot be written
 * or the tool cannot be started (err says why), ERR_TIMEOUT when it ran
 * past its deadline, ERR_TOOBIG when it wrote more than out's cap.
 */
int promtool_check_rules(int *status, char **tmp_out, struct buf *out,
                         const char *tool, const void *data, size_t len,
                         int timeout_ms, struct err *err) MUST_CHECK;

#endif
