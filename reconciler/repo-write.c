/*
 * repo-write.c: the writing half of the libgit2 adapter (repo.h): commits
 * made without a work tree, pushes, and the text diff of one file.
 *
 * Owns: checking the paths of a change set against each other and against
 * the parent commit's tree, writing blobs, trees and a commit object (no
 * ref moves), the compare-and-swap update of a local repository's branch,
 * the push of a commit from a remote's cache clone (in a child process,
 * under the deadline of repo-remote.c, with its credentials and host key
 * check) and the update of the cache's remote-tracking ref afterwards,
 * and unified diffs. Does not own: what is written (the callers), opening
 * and reading (repo.c), fetching, the cache, credentials (repo-remote.c).
 *
 * Why a push checks the remote's branch itself: git's push without force
 * only refuses what is not a fast-forward, so a branch that does not exist
 * yet, or one that moved forward to a commit that happens to be an
 * ancestor of ours, would be accepted. The child connects once, reads the
 * advertised head of the branch, compares it with what the caller expects,
 * and pushes over the same connection, whose advertised heads are what
 * libgit2's own fast-forward check uses.
 */
#include <git2.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "repo-int.h"

#define MAX_CHANGES 100000

/* --- paths ---------------------------------------------------------------- */

static int bad_path(const char *path, const char *why, struct err *err)
{
	return err_set(err, ERR_INVALID, "invalid path '%s': %s", path, why);
}

/* The syntax of one path: relative, '/'-separated, normalised, not .git. */
static int check_syntax(const char *path, struct err *err)
{
	const char *p = path;

	if (!path || !*path)
		return err_set(err, ERR_INVALID, "invalid path '': empty");
	if (*path == '/')
		return bad_path(path, "it starts with '/'", err);
	for (;;) {
		size_t n = strcspn(p, "/");

		if (n == 0)
			return bad_path(path, "it has an empty component", err);
		if ((n == 1 && p[0] == '.') || (n == 2 && !strncmp(p, "..", 2)))
			return bad_path(path, "it has a '.' or '..' component",
			                err);
		if (n == 4 && !strncasecmp(p, ".git", 4))
			return bad_path(path, "it has a '.git' component", err);
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * No path twice, none under another one of the set ("d" and "d/e/f"):
 * sorted, a twin is a neighbour, and each folder above a path is looked
 * up, so a large set costs n log n.
 */
static int check_set(const struct repo_change *ch, size_t n, struct err *err)
{
	const char **sorted = xcalloc(n ? n : 1, sizeof(*sorted));
	char *dir = NULL, *s;
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++)
		sorted[i] = ch[i].path;
	qsort(sorted, n, sizeof(*sorted), cmp_str);
	for (i = 0; i + 1 < n && !rc; i++)
		if (!strcmp(sorted[i], sorted[i + 1]))
			rc = bad_path(sorted[i], "it is changed twice", err);
	for (i = 0; i < n && !rc; i++) {
		dir = xstrdup(ch[i].path);
		for (s = strchr(dir, '/'); s && !rc; s = strchr(s + 1, '/')) {
			const char *key = dir;

			*s = '\0';
			if (bsearch(&key, sorted, n, sizeof(*sorted), cmp_str))
				rc = err_set(err, ERR_INVALID,
				             "invalid path '%s': it is under "
				             "'%s', which is also changed",
				             ch[i].path, dir);
			*s = '/';
		}
		free(dir);
	}
	free(sorted);
	return rc;
}

/*
 * Checks one change against the parent tree and says which file mode the
 * new entry keeps (an executable stays executable).
 */
static int check_against_tree(git_filemode_t *mode, struct repo *r,
                              const struct repo_change *c, struct err *err)
{
	char *prefix = xstrdup(c->path), *s;
	git_tree_entry *e = NULL;
	git_filemode_t m;
	int rc = 0, got;

	*mode = GIT_FILEMODE_BLOB;
	/* every folder above the path is a folder, or does not exist yet */
	for (s = strchr(prefix, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		got = git_tree_entry_bypath(&e, r->tree, prefix);
		m = got ? GIT_FILEMODE_TREE : git_tree_entry_filemode(e);
		if (m != GIT_FILEMODE_TREE)
			rc = err_set(err, ERR_INVALID,
			             "invalid path '%s': '%s' is a %s in %s",
			             c->path, prefix,
			             m == GIT_FILEMODE_COMMIT ? "submodule"
			                                      : "file",
			             r->name);
		else if (got == GIT_ENOTFOUND && !c->data)
			rc = err_set(err, ERR_NOTFOUND,
			             "cannot delete '%s': not found in %s",
			             c->path, r->name);
		git_tree_entry_free(e);
		e = NULL;
		*s = '/';
		if (got == GIT_ENOTFOUND || rc)
			goto out;
	}
	got = git_tree_entry_bypath(&e, r->tree, c->path);
	if (got == GIT_ENOTFOUND) {
		if (!c->data)
			rc = err_set(err, ERR_NOTFOUND,
			             "cannot delete '%s': not found in %s",
			             c->path, r->name);
		goto out;
	}
	if (got < 0) {
		rc = err_set(err, ERR_IO, "cannot read '%s' in %s: %s", c->path,
		             r->name, repo_lg_msg());
		goto out;
	}
	m = git_tree_entry_filemode(e);
	if (m == GIT_FILEMODE_TREE)
		rc = err_set(err, ERR_INVALID, "invalid path '%s': a folder",
		             c->path);
	else if (m == GIT_FILEMODE_COMMIT)
		rc = err_set(err, ERR_INVALID, "invalid path '%s': a submodule",
		             c->path);
	else if (m == GIT_FILEMODE_LINK && c->data)
		rc = err_set(err, ERR_INVALID,
		             "invalid path '%s': a symbolic link (change the "
		             "file it points to)",
		             c->path);
	else if (m == GIT_FILEMODE_BLOB_EXECUTABLE)
		*mode = m;
out:
	git_tree_entry_free(e);
	free(prefix);
	return rc;
}

/* --- commits -------------------------------------------------------------- */

/* Writes the blobs and the trees: *out is the new top tree. */
static int write_tree(git_oid *out, struct repo *r,
                      const struct repo_change *ch, size_t n, struct err *err)
{
	git_tree_update *up = xcalloc(n ? n : 1, sizeof(*up));
	size_t i;
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		git_filemode_t mode;

		if ((rc = check_against_tree(&mode, r, &ch[i], err)))
			break;
		up[i].path = ch[i].path;
		up[i].filemode = mode;
		up[i].action = ch[i].data ? GIT_TREE_UPDATE_UPSERT
		                          : GIT_TREE_UPDATE_REMOVE;
		if (ch[i].data &&
		    git_blob_create_from_buffer(&up[i].id, r->gr, ch[i].data,
		                                ch[i].len) < 0)
			rc = err_set(err, ERR_IO, "cannot write '%s' to %s: %s",
			             ch[i].path, r->name, repo_lg_msg());
	}
	/* libgit2 creates the folders above and drops the emptied ones */
	if (!rc && git_tree_create_updated(out, r->gr, r->tree, n, up) < 0)
		rc = err_set(err, ERR_IO, "cannot write the tree to %s: %s",
		             r->name, repo_lg_msg());
	free(up);
	return rc;
}

int repo_commit_create(char out[41], struct repo *r,
                       const struct repo_change *changes, size_t nchanges,
                       const struct repo_signature *author, const char *message,
                       struct err *err)
{
	git_buf msg = {0};
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_oid tree_id, id;
	const git_commit *parents[1];
	size_t i;
	int rc;

	if (nchanges > MAX_CHANGES)
		return err_set(err, ERR_TOOBIG,
		               "more than %d changes in one commit",
		               MAX_CHANGES);
	for (i = 0; i < nchanges; i++)
		if ((rc = check_syntax(changes[i].path, err)))
			return rc;
	if ((rc = check_set(changes, nchanges, err)))
		return rc;
	/* git's clean-up: no trailing spaces or blank lines, one final LF */
	if (!message || git_message_prettify(&msg, message, 0, '#') < 0 ||
	    !msg.size) {
		rc = err_set(err, ERR_INVALID, "the commit message is empty");
		goto out;
	}
	if (!author || !author->name || !author->email ||
	    git_signature_now(&sig, author->name, author->email) < 0) {
		rc = err_set(err, ERR_INVALID, "invalid author '%s <%s>': %s",
		             author && author->name ? author->name : "",
		             author && author->email ? author->email : "",
		             repo_lg_msg());
		goto out;
	}
	if ((rc = write_tree(&tree_id, r, changes, nchanges, err)))
		goto out;
	if (git_oid_equal(&tree_id, git_tree_id(r->tree))) {
		rc = err_set(
		        err, ERR_INVALID,
		        "nothing to commit: the changes leave the files of "
		        "%.12s in %s as they are",
		        r->id, r->name);
		goto out;
	}
	if (git_tree_lookup(&tree, r->gr, &tree_id) < 0) {
		rc = err_set(err, ERR_IO, "cannot read the new tree in %s: %s",
		             r->name, repo_lg_msg());
		goto out;
	}
	parents[0] = r->commit;
	if (git_commit_create(&id, r->gr, NULL, sig, sig, NULL, msg.ptr, tree,
	                      1, parents) < 0) {
		rc = err_set(err, ERR_IO, "cannot write a commit to %s: %s",
		             r->name, repo_lg_msg());
		goto out;
	}
	git_oid_tostr(out, GIT_OID_HEXSZ + 1, &id);
	log_debug("repo", "committed repo=%s parent=%s commit=%s changes=%zu",
	          r->name, r->id, out, nchanges);
out:
	git_tree_free(tree);
	git_signature_free(sig);
	git_buf_dispose(&msg);
	return rc;
}

/* --- pushes: what both kinds check ---------------------------------------- */

static int is_full_id(const char *s)
{
	return s && strspn(s, "0123456789abcdefABCDEF") == GIT_OID_HEXSZ &&
	       !s[GIT_OID_HEXSZ];
}

/* Parses commit and expected, and checks branch and that commit exists. */
static int check_push(git_oid *id, git_oid *old, struct repo *r,
                      const char *commit, const char *branch,
                      const char *expected, struct err *err)
{
	git_commit *c = NULL;
	int valid = 0;

	if (!branch || !*branch || starts_with(branch, "refs/") ||
	    git_branch_name_is_valid(&valid, branch) < 0 || !valid)
		return err_set(err, ERR_INVALID, "invalid branch name '%s'",
		               branch ? branch : "");
	if (!is_full_id(commit))
		return err_set(err, ERR_INVALID,
		               "invalid commit id '%s' (40 hex digits)",
		               commit ? commit : "");
	if (expected && !is_full_id(expected))
		return err_set(
		        err, ERR_INVALID,
		        "invalid expected commit id '%s' (40 hex digits)",
		        expected);
	if (git_oid_fromstr(id, commit) < 0 ||
	    (expected && git_oid_fromstr(old, expected) < 0))
		return err_set(err, ERR_INVALID, "invalid commit id");
	if (git_commit_lookup(&c, r->gr, id) < 0)
		return err_set(err, ERR_NOTFOUND, "no commit %s in %s", commit,
		               r->name);
	git_commit_free(c);
	return 0;
}

/* --- pushes: a local repository ------------------------------------------- */

/*
 * Moving the branch a non-bare repository has checked out would leave its
 * work tree and index describing the old commit: the next commit made
 * there would silently revert ours.
 */
static int check_not_checked_out(struct repo *r, const char *refname,
                                 const char *branch, struct err *err)
{
	git_reference *head = NULL, *ref = NULL;
	int out = 0;

	if (git_repository_is_bare(r->gr))
		return 0;
	if (!git_reference_lookup(&head, r->gr, "HEAD") &&
	    git_reference_type(head) == GIT_REFERENCE_SYMBOLIC &&
	    !strcmp(git_reference_symbolic_target(head), refname))
		out = 1;
	else if (!git_reference_lookup(&ref, r->gr, refname) &&
	         git_branch_is_checked_out(ref) == 1)
		out = 1;
	git_reference_free(head);
	git_reference_free(ref);
	if (out)
		return err_set(err, ERR_UNSUPPORTED,
		               "branch '%s' is checked out in %s; kedge pushes "
		               "to a bare repository or a remote",
		               branch, r->name);
	return 0;
}

static int push_local(struct repo *r, const git_oid *id, const char *branch,
                      const git_oid *old, struct err *err)
{
	char *refname = xasprintf("refs/heads/%s", branch);
	git_reference *ref = NULL;
	int rc, got;

	if ((rc = check_not_checked_out(r, refname, branch, err)))
		goto out;
	/* never by force: what a remote's fast-forward rule would refuse */
	if (old && !git_oid_equal(id, old) &&
	    git_graph_descendant_of(r->gr, id, old) != 1) {
		rc = err_set(err, ERR_CONFLICT,
		             "branch '%s' moved on %s: %.12s does not descend "
		             "from %.12s",
		             branch, r->name, git_oid_tostr_s(id),
		             git_oid_tostr_s(old));
		goto out;
	}
	if (old)
		got = git_reference_create_matching(&ref, r->gr, refname, id, 1,
		                                    old, "kedge: push");
	else
		got = git_reference_create(&ref, r->gr, refname, id, 0,
		                           "kedge: push");
	if (got == GIT_EEXISTS)
		rc = err_set(err, ERR_CONFLICT, "branch '%s' exists on %s",
		             branch, r->name);
	else if (got == GIT_EMODIFIED || (got == GIT_ENOTFOUND && old))
		rc = err_set(err, ERR_CONFLICT, "branch '%s' moved on %s",
		             branch, r->name);
	else if (got == GIT_ELOCKED)
		rc = err_set(err, ERR_CONFLICT,
		             "branch '%s' moved on %s: it is being updated",
		             branch, r->name);
	else if (got < 0)
		rc = err_set(err, ERR_IO, "cannot update branch '%s' on %s: %s",
		             branch, r->name, repo_lg_msg());
out:
	git_reference_free(ref);
	free(refname);
	return rc;
}

/* --- pushes: a remote ----------------------------------------------------- */

/* What child_push needs; every string is borrowed. */
struct push_args {
	const char *dir;      /* the cache clone */
	const char *src;      /* the temporary ref naming the commit */
	const char *dst;      /* "refs/heads/<branch>" */
	const char *branch;   /* for messages */
	const char *expected; /* NULL: the branch must not exist */
};

/*
 * A refusal the remote reports per ref: "non-fast-forward", "fetch
 * first", "stale info", or a ref it could not lock or update because it
 * changed under receive-pack (a race: ERR_CONFLICT); anything else, such
 * as a hook's "pre-receive hook declined", is quoted as ERR_REMOTE.
 */
static int is_race(const char *status)
{
	static const char *const words[] = {"fast-forward", "fetch first",
	                                    "stale", "lock",
	                                    "failed to update"};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(words); i++)
		if (strstr(status, words[i]))
			return 1;
	return 0;
}

static int push_status_cb(const char *refname, const char *status, void *data)
{
	struct repo_remote_ctx *c = data;

	(void)refname;
	if (status && !c->code) {
		c->code = is_race(status) ? ERR_CONFLICT : ERR_REMOTE;
		snprintf(c->msg, sizeof(c->msg), "%s", status);
	}
	return 0;
}

/* The advertised id of name, NULL when the remote has no such ref. */
static const git_oid *advertised(git_remote *remote, const char *name)
{
	const git_remote_head **heads = NULL;
	size_t n = 0, i;

	if (git_remote_ls(&heads, &n, remote) < 0)
		return NULL;
	for (i = 0; i < n; i++)
		if (!strcmp(heads[i]->name, name))
			return &heads[i]->oid;
	return NULL;
}

/* The branch on the remote as the caller expects it, or ERR_CONFLICT. */
static int check_remote_head(git_remote *remote, const struct push_args *a,
                             struct repo_remote_ctx *c, struct err *err)
{
	const git_oid *now = advertised(remote, a->dst);
	git_oid want;

	if (!a->expected && now)
		return err_set(err, ERR_CONFLICT, "branch '%s' exists on %s",
		               a->branch, c->url);
	if (a->expected && (!now || git_oid_fromstr(&want, a->expected) < 0 ||
	                    !git_oid_equal(now, &want)))
		return err_set(err, ERR_CONFLICT, "branch '%s' moved on %s",
		               a->branch, c->url);
	return 0;
}

/* The child's part: connect, check the branch, push over one connection. */
static void child_push(struct repo_child_result *res, const void *arg,
                       struct repo_remote_ctx *c)
{
	const struct push_args *a = arg;
	char *spec = xasprintf("%s:%s", a->src, a->dst);
	char *specs[] = {spec};
	const git_strarray refspecs = {specs, 1};
	git_remote_create_options ro;
	git_remote_callbacks cb;
	git_push_options po;
	git_repository *gr = NULL;
	git_remote *remote = NULL;
	struct err err;
	int rc;

	err_clear(&err);
	if (git_repository_open_bare(&gr, a->dir) < 0) {
		rc = err_set(&err, ERR_IO, "cannot open the cache '%s': %s",
		             a->dir, repo_lg_msg());
		goto out;
	}
	(void)git_remote_create_options_init(&ro,
	                                     GIT_REMOTE_CREATE_OPTIONS_VERSION);
	ro.repository = gr;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
	           GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	(void)git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb.credentials = repo_cred_cb;
	cb.certificate_check = repo_cert_cb;
	cb.push_update_reference = push_status_cb;
	cb.payload = c;
	(void)git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	po.callbacks = cb;
	po.pb_parallelism = 1;
	/* in memory, like the fetch: nothing in the cache's config */
	if (git_remote_create_with_opts(&remote, c->url, &ro) < 0) {
		rc = err_set(&err, ERR_INVALID, "'%s' is not a usable URL: %s",
		             c->url, repo_lg_msg());
		goto out;
	}
	rc = git_remote_connect(remote, GIT_DIRECTION_PUSH, &cb, NULL, NULL);
	if (rc < 0) {
		rc = repo_remote_error(c, rc, &err);
		goto out;
	}
	if ((rc = check_remote_head(remote, a, c, &err)))
		goto out;
	rc = git_remote_upload(remote, &refspecs, &po);
	if (rc == GIT_ENONFASTFORWARD)
		rc = err_set(&err, ERR_CONFLICT, "branch '%s' moved on %s",
		             a->branch, c->url);
	else if (c->code == ERR_CONFLICT)
		rc = err_set(&err, ERR_CONFLICT,
		             "branch '%s' moved on %s (the remote said: %s)",
		             a->branch, c->url, c->msg);
	else if (c->code == ERR_REMOTE)
		rc = err_set(&err, ERR_REMOTE,
		             "%s refused the push of branch '%s': %s", c->url,
		             a->branch, c->msg);
	else if (rc < 0 &&
	         (c->code || rc == GIT_EAUTH || rc == GIT_ECERTIFICATE))
		rc = repo_remote_error(c, rc, &err);
	else if (rc < 0)
		rc = err_set(&err, ERR_REMOTE, "cannot push to '%s': %s",
		             c->url, repo_lg_msg());
	git_remote_disconnect(remote);
out:
	res->code = rc;
	snprintf(res->msg, sizeof(res->msg), "%s", err.msg);
	git_remote_free(remote);
	git_repository_free(gr);
	free(spec);
}

/*
 * refs/remotes/origin/<branch> follows a push, under the cache lock. The
 * push has happened: a failure here is only logged (the next fetch sets
 * the ref), since an error would tell the caller it had not.
 */
static void track(struct repo *r, const char *branch, const git_oid *id,
                  const struct repo_opts *opts)
{
	char *name = xasprintf("refs/remotes/origin/%s", branch);
	git_reference *ref = NULL;
	struct err err;
	int fd = -1;

	err_clear(&err);
	if (repo_cache_lock(&fd, r->gr, opts, &err))
		log_warn("repo", "pushed, but cannot update ref=%s repo=%s: %s",
		         name, r->name, err.msg);
	else if (git_reference_create(&ref, r->gr, name, id, 1, "kedge: push") <
	         0)
		log_warn("repo", "pushed, but cannot update ref=%s repo=%s: %s",
		         name, r->name, repo_lg_msg());
	if (fd >= 0)
		close(fd);
	git_reference_free(ref);
	free(name);
}

static int push_remote(struct repo *r, const git_oid *id, const char *branch,
                       const char *expected, const struct repo_opts *opts,
                       struct err *err)
{
	static unsigned seq;
	unsigned n = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
	char *src = xasprintf("refs/kedge/push-%ld-%u", (long)getpid(), n);
	char *dst = xasprintf("refs/heads/%s", branch);
	struct push_args a = {git_repository_path(r->gr), src, dst, branch,
	                      expected};
	struct repo_child_result res;
	struct repo_remote_ctx c;
	git_reference *tmp = NULL;
	int rc;

	if ((rc = repo_remote_ctx_init(&c, r->spec, r->name, opts, err)))
		goto out;
	/* libgit2 pushes refs, not ids: a private one names the commit */
	if (git_reference_create(&tmp, r->gr, src, id, 1, "kedge: push") < 0) {
		rc = err_set(err, ERR_IO,
		             "cannot create '%s' in the cache of "
		             "%s: %s",
		             src, r->name, repo_lg_msg());
		goto out;
	}
	rc = repo_run_bounded(&res, child_push, &a, &c, "push", err);
	if (!rc)
		track(r, branch, id, opts);
out:
	if (tmp && git_reference_delete(tmp) < 0)
		log_warn("repo", "cannot delete ref=%s repo=%s: %s", src,
		         r->name, repo_lg_msg());
	git_reference_free(tmp);
	repo_remote_ctx_release(&c);
	free(dst);
	free(src);
	return rc;
}

int repo_push(struct repo *r, const char *commit, const char *branch,
              const char *expected, const struct repo_opts *opts,
              struct err *err)
{
	static const struct repo_opts none;
	git_oid id, old;
	int rc;

	if ((rc = check_push(&id, &old, r, commit, branch, expected, err)))
		return rc;
	if (r->remote)
		rc = push_remote(r, &id, branch, expected, opts ? opts : &none,
		                 err);
	else
		rc = push_local(r, &id, branch, expected ? &old : NULL, err);
	if (!rc)
		log_info("repo", "pushed repo=%s branch=%s commit=%s", r->name,
		         branch, commit);
	return rc;
}

/* --- diffs ---------------------------------------------------------------- */

int repo_diff_text(struct buf *out, const char *path, const char *old,
                   size_t oldlen, const char *new_text, size_t newlen,
                   struct err *err)
{
	git_diff_options o;
	git_patch *patch = NULL;
	git_buf text = {0};
	int rc = 0;

	if ((!old && !new_text) || (old && new_text && oldlen == newlen &&
	                            !memcmp(old, new_text, oldlen)))
		return 0;
	repo_global_init();
	(void)git_diff_options_init(&o, GIT_DIFF_OPTIONS_VERSION);
	o.context_lines = 3;
	if (git_patch_from_buffers(&patch, old, old ? oldlen : 0, path,
	                           new_text, new_text ? newlen : 0, path,
	                           &o) < 0 ||
	    git_patch_to_buf(&text, patch) < 0) {
		rc = err_set(err, ERR_INTERNAL, "cannot diff '%s': %s", path,
		             repo_lg_msg());
		goto out;
	}
	if (buf_add(out, text.ptr, text.size))
		rc = err_set(err, ERR_TOOBIG,
		             "the diff of '%s' is larger than %zu bytes", path,
		             out->max);
out:
	git_buf_dispose(&text);
	git_patch_free(patch);
	return rc;
}
