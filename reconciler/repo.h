/*
 * repo.h: the libgit2 adapter: one git commit's tree, and commits on it.
 *
 * Owns: the only use of libgit2 in kedge: opening a local repository,
 * cloning or fetching a remote into a cache folder (under a deadline, with
 * a lock so two kedge processes never update one cache at once), resolving a
 * ref to a commit, asking a remote where a ref points without fetching
 * (repo_remote_head), reading tree entries and blobs of that commit, SSH key
 * and HTTPS token credentials, the known_hosts check of an SSH server's
 * host key, writing a commit on top of the opened one without a work tree,
 * pushing it (a compare-and-swap of a branch), and unified diffs of one
 * file. Does not own: which paths may be read (source.c confines reads to
 * the desired-state root and follows symlinks); what the files mean.
 *
 * Paths given to this module are relative to the top of the repository,
 * '/'-separated, already normalised; "" is the top tree.
 */
#ifndef RECONCILER_REPO_H
#define RECONCILER_REPO_H

#include <stddef.h>

#include "util.h"

struct buf;
struct err;
struct repo;

struct repo_opts {
	const char *cache_dir;   /* NULL: $XDG_CACHE_HOME/kedge */
	const char *ssh_key;     /* private key file; NULL: none */
	const char *ssh_pubkey;  /* NULL: ssh_key + ".pub" if it exists */
	const char *known_hosts; /* NULL: ~/.ssh/known_hosts */
	const char *token;       /* HTTPS token; never printed */
	int offline;             /* use the cache as it is, do not fetch */
	unsigned lock_wait_ms;   /* wait for the cache lock; 0: 60 s */
	unsigned git_timeout_ms; /* bound on one clone or fetch; 0: 60 s */
};

enum repo_kind { REPO_BLOB, REPO_TREE, REPO_LINK, REPO_SUBMODULE };

/*
 * Starts libgit2 once per process (any thread may call it, any number of
 * times; repo_open calls it itself). repo_global_shutdown releases it at
 * the end of the process, after the last repo_free. libgit2 fails to
 * start only when memory or threads cannot be set up; that aborts, as
 * xmalloc does.
 */
void repo_global_init(void);
void repo_global_shutdown(void);

/*
 * Opens spec (a local repository, bare or not, or a URL) and resolves ref
 * (a branch, tag, full or abbreviated commit id; NULL: the remote's default
 * branch or a local HEAD) to a commit. A URL is cloned into the cache the
 * first time and fetched (pruning) every later time unless opts->offline.
 * Errors: ERR_NOTFOUND (no repository, no such ref, no commits), ERR_REMOTE
 * (cannot reach or read the remote; a failed fetch even with a cache),
 * ERR_AUTH (credentials refused, host key unknown or changed), ERR_TIMEOUT
 * (the remote did not answer within opts->git_timeout_ms, or the cache is
 * locked by another process for too long), ERR_IO (also a corrupt or
 * missing object, named in the message).
 * Messages never contain a token. Free with repo_free.
 */
int repo_open(struct repo **out, const char *spec, const char *ref,
              const struct repo_opts *opts, struct err *err) MUST_CHECK;
void repo_free(struct repo *r);
/* The full commit id (40 hex digits). Borrowed. */
const char *repo_commit(const struct repo *r);
/* spec without credentials, for messages. Borrowed. */
const char *repo_name(const struct repo *r);

/*
 * The kind of the entry at path in the commit's tree; "" is REPO_TREE.
 * ERR_NOTFOUND when there is none (no message is set for that code, so
 * callers can word it themselves).
 */
int repo_stat(enum repo_kind *out, struct repo *r, const char *path,
              struct err *err) MUST_CHECK;
/*
 * Appends the contents of the blob (or a symlink's target) at path to out,
 * respecting out's cap (ERR_TOOBIG, checked before the blob is inflated).
 * ERR_NOTFOUND, ERR_INVALID for a tree, ERR_IO when the object cannot be
 * read.
 */
int repo_read(struct buf *out, struct repo *r, const char *path,
              struct err *err) MUST_CHECK;

typedef int (*repo_list_fn)(const char *name, enum repo_kind kind, void *data);
/*
 * Calls fn for each entry of the tree at path, in git's tree order; a
 * non-zero return from fn stops the walk and is returned.
 * ERR_NOTFOUND when path is not a tree.
 */
int repo_list(struct repo *r, const char *path, repo_list_fn fn, void *data,
              struct err *err) MUST_CHECK;

/*
 * The commit id (40 hex digits and a NUL, into out) that ref points to on
 * the remote spec right now, without fetching any object: one ls-remote
 * style connection (the remote's list of refs), with the credentials, the
 * known_hosts check and the deadline (a child process killed at
 * opts->git_timeout_ms) of a fetch. ref is looked up as repo_open() does:
 * NULL is the remote's default branch (its HEAD), "main" is refs/heads/main
 * then refs/tags/main, "refs/..." is taken as it is; an annotated tag gives
 * the commit it points to. A full 40-digit commit id is returned as it is,
 * without a connection (it cannot move). The cache is neither read nor
 * written; opts->offline is ignored. For a local path, the ref is read
 * from the repository there (repo_open()'s errors and messages).
 * Errors: ERR_NOTFOUND "no ref 'x' on <url>" (or "no default branch
 * (HEAD) on <url>"), ERR_TIMEOUT, ERR_REMOTE, ERR_AUTH and ERR_INVALID as
 * repo_open() gives them; messages never contain a token.
 */
int repo_remote_head(char out[41], const char *spec, const char *ref,
                     const struct repo_opts *opts, struct err *err) MUST_CHECK;

/*
 * Writing (repo-write.c): commits made without a work tree, and pushes.
 */
struct repo_change {
	const char *path; /* relative to the top of the repository */
	const char *data; /* the new contents; NULL deletes the file */
	size_t len;
};

struct repo_signature {
	const char *name;
	const char *email;
};

/*
 * Writes a commit into r's object database (the local repository, or the
 * cache clone of a remote) whose parent is r's commit (repo_commit(r)) and
 * whose tree is that commit's tree with changes applied (files created,
 * replaced or deleted; folders created and emptied ones dropped; a file
 * keeps its executable bit). author is also the committer, the time is
 * now; message is cleaned up as git does (trailing spaces and blank lines
 * dropped, one final newline). No ref moves, and r still names its old
 * commit: reopen with the new id to build on it. *out is the new commit
 * id (40 hex digits and a NUL).
 * Errors: ERR_INVALID "invalid path 'p': ..." for a path that is empty,
 * starts with '/', has an empty, ".", ".." or ".git" component, is a
 * folder, a submodule or (when written) a symbolic link, is under a file,
 * is changed twice or is under another changed path; ERR_INVALID
 * "nothing to commit: ..." when the new tree is the parent's (no changes,
 * or only the same bytes again: no empty commits); ERR_INVALID for an
 * empty message or an author libgit2 refuses (empty, or with '<' '>');
 * ERR_NOTFOUND "cannot delete 'p': not found in <name>"; ERR_IO when
 * objects cannot be written. Nothing but unreferenced objects is left
 * behind by a failure.
 */
int repo_commit_create(char out[41], struct repo *r,
                       const struct repo_change *changes, size_t nchanges,
                       const struct repo_signature *author, const char *message,
                       struct err *err) MUST_CHECK;

/*
 * Makes branch (a short name, "main" or "kedge/scale-api") on r's origin
 * point to commit, which must be in r's object database, never by force:
 * with expected (40 hex digits) only when the branch points there now and
 * commit is expected or descends from it (a fast-forward); with expected
 * NULL only when the branch does not exist. A local
 * repository gets a compare-and-swap ref update, and only when it is bare
 * or the branch is not checked out (its work tree would go stale). A
 * remote gets a push (no "+" refspec, in a child process killed at
 * opts->git_timeout_ms, with opts' credentials and host key check; opts
 * may be NULL) over one connection that first checks the branch's head
 * there; then the cache's refs/remotes/origin/<branch> follows. r itself
 * does not change.
 * Errors: ERR_CONFLICT "branch 'x' moved on <name>" (or "branch 'x'
 * exists on <name>") when the branch is not what was expected or the
 * remote refuses the push as not a fast-forward; ERR_UNSUPPORTED "branch
 * 'x' is checked out in <path>; ..."; ERR_INVALID for a bad branch name
 * or id; ERR_NOTFOUND "no commit <id> in <name>"; ERR_AUTH, ERR_REMOTE,
 * ERR_TIMEOUT as for a fetch (ERR_REMOTE also when the remote refuses the
 * push for another reason, quoted). After ERR_TIMEOUT the remote may or
 * may not have taken the push: the next fetch tells. Messages never
 * contain a token.
 */
int repo_push(struct repo *r, const char *commit, const char *branch,
              const char *expected, const struct repo_opts *opts,
              struct err *err) MUST_CHECK;

/*
 * Appends to out a unified diff (git's format: "diff --git a/path
 * b/path", an "index" line, "--- a/path" or "--- /dev/null", "+++ b/path"
 * or "+++ /dev/null", "@@ -l,n +l,n @@" hunks with three lines of context,
 * "\ No newline at end of file") of one file from old to new; old or new
 * NULL for a file created or deleted. Binary contents give git's "Binary
 * files ... differ". Nothing is appended when they are equal. ERR_TOOBIG
 * (nothing appended) when the diff does not fit out's cap.
 */
int repo_diff_text(struct buf *out, const char *path, const char *old,
                   size_t oldlen, const char *new_text, size_t newlen,
                   struct err *err) MUST_CHECK;

#endif
