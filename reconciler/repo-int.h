/*
 * repo-int.h: what the files of the libgit2 adapter share (repo.c:
 * opening, refs and reading a commit; repo-remote.c: remotes, the cache,
 * credentials and the deadline; repo-write.c: commits and pushes). Not for
 * use outside them.
 */
#ifndef RECONCILER_REPO_INT_H
#define RECONCILER_REPO_INT_H

#include <git2.h>

#include "err.h"
#include "repo.h"
#include "url.h"

struct repo {
	git_repository *gr;
	git_commit *commit;
	git_tree *tree;
	char id[GIT_OID_HEXSZ + 1];
	char *name; /* spec redacted, for messages */
	char *spec; /* as given: may hold a secret, never printed */
	int remote; /* gr is the cache clone of the remote spec */
};

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

/* --- what one network operation on a remote needs (repo-remote.c) ---- */

#define REPO_HEAD_MAX 256

/*
 * The payload of the libgit2 callbacks of one clone, fetch, ls or push,
 * and what a callback found wrong. Set up with repo_remote_ctx_init.
 */
struct repo_remote_ctx {
	const struct repo_opts *opts;
	const char *url; /* redacted */
	struct url u; /* the unredacted spec's parts; u.secret never printed */
	int tried_key, tried_user, tried_pass;
	int code; /* ERR_* set by a callback, 0 when none */
	char msg[ERR_MSG_MAX];
};

/*
 * Fills c for the remote spec (name: spec redacted, borrowed, as is opts).
 * ERR_INVALID when spec is not a usable URL. Release with
 * repo_remote_ctx_release, also after a failure.
 */
int repo_remote_ctx_init(struct repo_remote_ctx *c, const char *spec,
                         const char *name, const struct repo_opts *opts,
                         struct err *err) MUST_CHECK;
void repo_remote_ctx_release(struct repo_remote_ctx *c);

/* libgit2 callbacks; payload is a struct repo_remote_ctx. */
int repo_cred_cb(git_credential **out, const char *url, const char *url_user,
                 unsigned int allowed, void *payload);
int repo_cert_cb(git_cert *cert, int valid, const char *host, void *payload);

/* Turns a failed libgit2 network call (rc) into an ERR_* with a message. */
int repo_remote_error(struct repo_remote_ctx *c, int rc, struct err *err);

/* What a child process sends back to the parent through its pipe. */
struct repo_child_result {
	int code; /* 0 or ERR_* */
	char msg[ERR_MSG_MAX];
	char head[REPO_HEAD_MAX]; /* a branch name or commit id; "" if none */
};

typedef void (*repo_child_fn)(struct repo_child_result *res, const void *arg,
                              struct repo_remote_ctx *c);

/*
 * Runs job(res, arg, c) in a forked child process killed when
 * c->opts->git_timeout_ms (0: 60 s) passes, and turns what it reported
 * (or its death, or the deadline: ERR_TIMEOUT) into the return value and
 * err. verb names the work in messages ("fetch", "push").
 */
int repo_run_bounded(struct repo_child_result *res, repo_child_fn job,
                     const void *arg, struct repo_remote_ctx *c,
                     const char *verb, struct err *err) MUST_CHECK;

/*
 * Takes the lock of the cache clone cache (the one fetches publish
 * under), waiting at most opts->lock_wait_ms (0: 60 s): ERR_TIMEOUT.
 * *out is a file descriptor to close to release it.
 */
int repo_cache_lock(int *out, git_repository *cache,
                    const struct repo_opts *opts, struct err *err) MUST_CHECK;

#endif
