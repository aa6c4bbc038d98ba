/*
 * source.h: a read-only view of the desired-state files at one revision.
 *
 * Owns: where the files come from: the tree of a git commit (a local
 * repository or a remote cloned/fetched into a cache), or a folder on disk
 * (--worktree, for checking edits before they are committed); the --path
 * subfolder that is the root of the desired state; and the rule that nothing
 * is read from outside that root (no "..", no symlink that leaves it).
 * Does not own: what the files mean (desired.h).
 *
 * Paths given to and returned by this module are relative to the root,
 * with '/' separators and no leading "./".
 */
#ifndef RECONCILER_SOURCE_H
#define RECONCILER_SOURCE_H

#include <stddef.h>

#include "util.h"

struct buf;
struct err;
struct repo_opts;
struct source;

struct source_opts {
	const char *repo;        /* path or URL; NULL with worktree */
	const char *ref;         /* branch, tag or commit; NULL: default */
	const char *path;        /* subfolder; NULL: the top */
	const char *worktree;    /* read a folder instead of a commit */
	const char *cache_dir;   /* NULL: $XDG_CACHE_HOME/kedge */
	const char *ssh_key;     /* private key file for ssh:// remotes */
	const char *ssh_pubkey;  /* NULL: ssh_key + ".pub" */
	const char *known_hosts; /* NULL: ~/.ssh/known_hosts */
	const char *token;       /* HTTPS token; never printed */
	int offline;             /* do not fetch; use the cache as it is */
	unsigned git_timeout_ms; /* bound on one clone or fetch; 0: 60 s */
};

enum source_type { SOURCE_FILE, SOURCE_DIR, SOURCE_SYMLINK, SOURCE_OTHER };

struct source_entry {
	char *name; /* entry name, not a path */
	enum source_type type;
};

/*
 * Opens the source. For a remote, clones or fetches into the cache first.
 * Errors: ERR_NOTFOUND (no such repository, ref or path; an empty
 * repository), ERR_REMOTE (cannot reach the remote), ERR_AUTH (key or token
 * refused, host key unknown or changed), ERR_IO. Messages quote the repo or
 * ref and never contain a token or key. Free with source_free.
 */
int source_open(struct source **out, const struct source_opts *opts,
                struct err *err) MUST_CHECK;
void source_free(struct source *s);
/* The repository settings of o (credentials, cache, deadline). */
void source_repo_opts(struct repo_opts *out, const struct source_opts *o);
/* The full commit id, or "worktree" for a folder. Borrowed. */
const char *source_revision(const struct source *s);
/* A short name for messages: the URL without credentials, or the folder. */
const char *source_name(const struct source *s);

/*
 * Reads a file into out (appending; out's cap applies: ERR_TOOBIG).
 * Symlinks inside the root are followed (bounded); ERR_INVALID with a
 * message when path or a link target leaves the root or goes into .git,
 * ERR_NOTFOUND when it does not exist, ERR_INVALID when it is a folder or
 * (in a folder) not a regular file or a file with more than one hard link.
 * A FIFO or device never blocks the read.
 */
int source_read(struct buf *out, struct source *s, const char *path,
                struct err *err) MUST_CHECK;
/* Returns the type of path without following a final symlink. */
int source_stat(enum source_type *out, struct source *s, const char *path,
                struct err *err) MUST_CHECK;
/*
 * Lists a folder's entries sorted by name: *out is an array of *nr entries
 * that the caller frees with source_entries_free. ERR_NOTFOUND when there is
 * no such folder, ERR_INVALID when path is something else (a file, a
 * submodule) or leaves the root.
 */
int source_list(struct source_entry **out, size_t *nr, struct source *s,
                const char *dir, struct err *err) MUST_CHECK;
void source_entries_free(struct source_entry *e, size_t nr);

/*
 * Checks that a relative path taken from a file (a compose `file:`) stays
 * inside the root: resolves "." and "..", and symlinks on the way, against
 * base_dir. On success *out is the normalised root-relative path (caller
 * frees). ERR_INVALID with "'<path>' leaves the repository" otherwise.
 */
int source_resolve(char **out, struct source *s, const char *base_dir,
                   const char *rel, struct err *err) MUST_CHECK;

/*
 * The commit id (40 hex digits and a NUL) that o->ref (NULL: the default
 * branch) points to on o->repo now, asked without fetching (see
 * repo_remote_head()): what a daemon polls to learn whether to fetch.
 * ERR_INVALID for a worktree source or no repository; otherwise the
 * errors of repo_remote_head().
 */
int source_remote_head(char out[41], const struct source_opts *o,
                       struct err *err) MUST_CHECK;

#endif
