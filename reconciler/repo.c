/*
 * repo.c: the libgit2 adapter declared in repo.h, with repo-remote.c and
 * repo-write.c.
 *
 * Owns: starting libgit2 once per process, opening a local repository,
 * ref resolution, and reading one commit's tree, with every size cap
 * checked against the object's header before the object is inflated.
 * Does not own: remotes and the cache (repo-remote.c), commits and pushes
 * (repo-write.c), URL syntax (url.c), path rules (source.c) or what the
 * files mean.
 */
#include <pthread.h>

#include <git2.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "repo-int.h"
#include "url.h"

const char *repo_lg_msg(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_up;

static void global_start(void)
{
	/* fails only when threads or memory cannot be set up, like xmalloc */
	if (git_libgit2_init() < 0)
		BUG("cannot initialise libgit2: %s", repo_lg_msg());
	global_up = 1;
}

void repo_global_init(void)
{
	if (pthread_once(&global_once, global_start))
		BUG("pthread_once failed");
}

void repo_global_shutdown(void)
{
	if (global_up)
		git_libgit2_shutdown();
	global_up = 0;
}

/* --- refs ---------------------------------------------------------------- */

static int count_ref(const char *name, void *data)
{
	(void)name;
	(*(int *)data)++;
	return 0;
}

static int has_commits(struct repo *r)
{
	int n = 0;

	if (!r->remote)
		return git_repository_is_empty(r->gr) == 0 &&
		       git_repository_head_unborn(r->gr) != 1;
	(void)git_reference_foreach_glob(r->gr, "refs/remotes/origin/*",
	                                 count_ref, &n);
	(void)git_reference_foreach_glob(r->gr, "refs/tags/*", count_ref, &n);
	return n > 0;
}

static int is_hex_id(const char *s)
{
	size_t n = strspn(s, "0123456789abcdefABCDEF");

	return n >= 4 && n <= GIT_OID_HEXSZ && !s[n];
}

/* Looks ref up; for a cache only among what was fetched from origin. */
static int lookup_ref(git_object **out, struct repo *r, const char *ref)
{
	char *cand[3] = {0};
	size_t n = 0, i;
	int rc = GIT_ENOTFOUND;

	if (!r->remote)
		return git_revparse_single(out, r->gr, ref ? ref : "HEAD");
	if (!ref) {
		cand[n++] = xstrdup("refs/remotes/origin/HEAD");
	} else if (starts_with(ref, "refs/heads/")) {
		cand[n++] = xasprintf("refs/remotes/origin/%s", ref + 11);
	} else {
		cand[n++] = xasprintf("refs/remotes/origin/%s", ref);
		cand[n++] = xasprintf("refs/tags/%s", ref);
		if (starts_with(ref, "refs/") || is_hex_id(ref))
			cand[n++] = xstrdup(ref);
	}
	for (i = 0; i < n && rc == GIT_ENOTFOUND; i++)
		rc = git_revparse_single(out, r->gr, cand[i]);
	for (i = 0; i < n; i++)
		free(cand[i]);
	return rc;
}

static int resolve(struct repo *r, const char *ref, struct err *err)
{
	git_object *obj = NULL, *peeled = NULL;
	int rc = 0;

	if (!has_commits(r))
		return err_set(err, ERR_NOTFOUND,
		               "repository '%s' has no commits", r->name);
	if (lookup_ref(&obj, r, ref) < 0) {
		if (!ref)
			rc = err_set(err, ERR_NOTFOUND,
			             "'%s' has no default "
			             "branch; name one with a ref",
			             r->name);
		else
			rc = err_set(err, ERR_NOTFOUND,
			             "ref '%s' not found "
			             "in %s",
			             ref, r->name);
		goto out;
	}
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) {
		rc = err_set(err, ERR_INVALID,
		             "ref '%s' in %s does not point "
		             "to a commit",
		             ref ? ref : "HEAD", r->name);
		goto out;
	}
	r->commit = (git_commit *)peeled;
	peeled = NULL;
	if (git_commit_tree(&r->tree, r->commit) < 0) {
		rc = err_set(err, ERR_IO, "cannot read the tree of %s: %s",
		             git_oid_tostr_s(git_commit_id(r->commit)),
		             repo_lg_msg());
		goto out;
	}
	git_oid_tostr(r->id, sizeof(r->id), git_commit_id(r->commit));
out:
	git_object_free(peeled);
	git_object_free(obj);
	return rc;
}

/* --- the repository ------------------------------------------------------ */

int repo_open(struct repo **out, const char *spec, const char *ref,
              const struct repo_opts *opts, struct err *err)
{
	static const struct repo_opts none;
	struct repo *r = xcalloc(1, sizeof(*r));
	int rc = 0;

	repo_global_init();
	r->name = url_redact(spec);
	r->spec = xstrdup(spec);
	r->remote = url_is_remote(spec);
	if (r->remote) {
		rc = repo_remote_open(&r->gr, spec, r->name,
		                      opts ? opts : &none, err);
	} else if (git_repository_open_ext(&r->gr, spec,
	                                   GIT_REPOSITORY_OPEN_NO_SEARCH,
	                                   NULL) < 0) {
		rc = err_set(err, ERR_NOTFOUND,
		             "'%s' is not a git "
		             "repository: %s",
		             spec, repo_lg_msg());
	}
	if (!rc)
		rc = resolve(r, ref, err);
	if (rc) {
		repo_free(r);
		return rc;
	}
	log_debug("repo", "opened repo=%s commit=%s", r->name, r->id);
	*out = r;
	return 0;
}

void repo_free(struct repo *r)
{
	if (!r)
		return;
	git_tree_free(r->tree);
	git_commit_free(r->commit);
	git_repository_free(r->gr);
	free(r->name);
	free(r->spec);
	free(r);
}

const char *repo_commit(const struct repo *r)
{
	return r->id;
}

const char *repo_name(const struct repo *r)
{
	return r->name;
}

/* ERR_NOTFOUND leaves err untouched when quiet is set. */
static int entry_at(git_tree_entry **out, struct repo *r, const char *path,
                    int quiet, struct err *err)
{
	int rc = git_tree_entry_bypath(out, r->tree, path);

	if (rc == GIT_ENOTFOUND && quiet)
		return ERR_NOTFOUND;
	if (rc == GIT_ENOTFOUND)
		return err_set(err, ERR_NOTFOUND, "'%s' not found in %s", path,
		               r->name);
	if (rc < 0)
		return err_set(err, ERR_IO, "cannot read '%s' in %s: %s", path,
		               r->name, repo_lg_msg());
	return 0;
}

static enum repo_kind kind_of(const git_tree_entry *e)
{
	switch (git_tree_entry_filemode(e)) {
	case GIT_FILEMODE_TREE:
		return REPO_TREE;
	case GIT_FILEMODE_LINK:
		return REPO_LINK;
	case GIT_FILEMODE_COMMIT:
		return REPO_SUBMODULE;
	default:
		return REPO_BLOB;
	}
}

int repo_stat(enum repo_kind *out, struct repo *r, const char *path,
              struct err *err)
{
	git_tree_entry *e = NULL;
	int rc;

	if (!*path) {
		*out = REPO_TREE;
		return 0;
	}
	if ((rc = entry_at(&e, r, path, 1, err)))
		return rc;
	*out = kind_of(e);
	git_tree_entry_free(e);
	return 0;
}

/*
 * Refuses a blob that would not fit out's cap before it is inflated: the
 * object's header (a few bytes of a loose object, or a pack entry's
 * header) gives its size, so a small, highly compressible blob cannot make
 * kedge allocate its whole size.
 */
static int check_size(struct repo *r, const git_tree_entry *e,
                      const struct buf *out, const char *path, struct err *err)
{
	git_odb *odb = NULL;
	git_object_t type;
	size_t size = 0;
	int rc = 0;

	if (git_repository_odb(&odb, r->gr) < 0 ||
	    git_odb_read_header(&size, &type, odb, git_tree_entry_id(e)) < 0) {
		rc = err_set(err, ERR_IO,
		             "cannot read '%s' (object %s) in %s: %s", path,
		             git_oid_tostr_s(git_tree_entry_id(e)), r->name,
		             repo_lg_msg());
		goto out;
	}
	if (type != GIT_OBJECT_BLOB)
		rc = err_set(err, ERR_IO,
		             "'%s' (object %s) in %s is not a blob", path,
		             git_oid_tostr_s(git_tree_entry_id(e)), r->name);
	else if (out->max && size > out->max - out->len)
		rc = err_set(err, ERR_TOOBIG, "'%s' is larger than %zu bytes",
		             path, out->max);
out:
	git_odb_free(odb);
	return rc;
}

int repo_read(struct buf *out, struct repo *r, const char *path,
              struct err *err)
{
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	int rc;

	if (!*path)
		return err_set(err, ERR_INVALID, "the top of %s is a folder",
		               r->name);
	if ((rc = entry_at(&e, r, path, 0, err)))
		return rc;
	if (kind_of(e) == REPO_TREE || kind_of(e) == REPO_SUBMODULE) {
		rc = err_set(err, ERR_INVALID, "'%s' is a %s", path,
		             kind_of(e) == REPO_TREE ? "folder" : "submodule");
		goto out;
	}
	if ((rc = check_size(r, e, out, path, err)))
		goto out;
	if (git_blob_lookup(&blob, r->gr, git_tree_entry_id(e)) < 0) {
		rc = err_set(err, ERR_IO, "cannot read '%s' in %s: %s", path,
		             r->name, repo_lg_msg());
		goto out;
	}
	rc = buf_add(out, git_blob_rawcontent(blob),
	             (size_t)git_blob_rawsize(blob));
	if (rc)
		rc = err_set(err, rc, "'%s' is larger than %zu bytes", path,
		             out->max);
out:
	git_blob_free(blob);
	git_tree_entry_free(e);
	return rc;
}

int repo_list(struct repo *r, const char *path, repo_list_fn fn, void *data,
              struct err *err)
{
	git_tree_entry *e = NULL;
	git_tree *t = NULL;
	size_t i, n;
	int rc = 0;

	if (*path) {
		if ((rc = entry_at(&e, r, path, 0, err)))
			return rc;
		if (kind_of(e) != REPO_TREE) {
			rc = err_set(err, ERR_NOTFOUND, "'%s' is not a folder",
			             path);
			goto out;
		}
		if (git_tree_lookup(&t, r->gr, git_tree_entry_id(e)) < 0) {
			rc = err_set(err, ERR_IO, "cannot read '%s' in %s: %s",
			             path, r->name, repo_lg_msg());
			goto out;
		}
	}
	n = git_tree_entrycount(t ? t : r->tree);
	for (i = 0; i < n && !rc; i++) {
		const git_tree_entry *te =
		        git_tree_entry_byindex(t ? t : r->tree, i);
		rc = fn(git_tree_entry_name(te), kind_of(te), data);
	}
out:
	git_tree_free(t);
	git_tree_entry_free(e);
	return rc;
}
