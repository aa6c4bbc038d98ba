/*
 * repo-int.h: what the two files of the libgit2 adapter share (repo.c:
 * opening, refs and reading a commit; repo-remote.c: remotes, the cache,
 * credentials and the deadline). Not for use outside them.
 */
#ifndef RECONCILER_REPO_INT_H
#define RECONCILER_REPO_INT_H

#include <git2.h>

#include "repo.h"

/* libgit2's last error message, or a placeholder. Borrowed. */
const char *repo_lg_msg(void);

/*
 * Brings the cache of the remote spec up to date (clone or fetch, unless
 * opts->offline) and opens it into *out. name is spec redacted. The
 * network part runs in a child process killed at opts->git_timeout_ms.
 * Errors as repo_open's.
 */
int repo_remote_open(git_repository **out, const char *spec, const char *name,
                     const struct repo_opts *opts, struct err *err) MUST_CHECK;

#endif
