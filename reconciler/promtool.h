/*
 * promtool.h: Prometheus' promtool as a subprocess, the adapter for
 * checking alert rule files.
 *
 * Owns: where promtool is (KEDGE_PROMTOOL, else /usr/bin/promtool), a
 * temporary copy of the rules (or of a rule test and the rule files it
 * reads) under $TMPDIR, and running the child in its
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

/* The deadline and output cap kedge gives each promtool run. */
#define PROMTOOL_TIMEOUT_MS 30000
#define PROMTOOL_OUTPUT_MAX (1u << 20)

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

/* One file of the folder promtool_test_rules() lays out. */
struct promtool_file {
	const char *path; /* relative: no leading '/', no ".." part */
	const void *data;
	size_t len;
};

/*
 * Makes a temporary folder, writes each of files[0..nfiles) into it at its
 * path (creating the folders on the way), runs `tool test rules
 * <folder>/<test>` (test is one of the paths) with stdout and stderr into
 * out (whose cap the caller sets), waits at most timeout_ms, and removes
 * the folder. Rule files named in the test resolve as they would next to
 * it in the repository when the paths are the repository's. *dir_out gets
 * the folder's name, as promtool's messages quote it (the caller frees
 * it). *status is the child's exit status. Returns 0; ERR_INVALID for a
 * path that would leave the folder; otherwise the errors of
 * promtool_check_rules().
 */
int promtool_test_rules(int *status, char **dir_out, struct buf *out,
                        const char *tool, const struct promtool_file *files,
                        size_t nfiles, const char *test, int timeout_ms,
                        struct err *err) MUST_CHECK;

/*
 * Runs `tool check rules <paths...>` (files already on disk) once, output
 * into out, waiting at most timeout_ms. *status is the exit status; the
 * messages name each file by the path given. Errors as for
 * promtool_check_rules.
 */
int promtool_check_files(int *status, struct buf *out, const char *tool,
                         const char *const *paths, size_t n, int timeout_ms,
                         struct err *err) MUST_CHECK;

#endif
