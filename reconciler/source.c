/*
 * source.c: the read-only view of desired-state files declared in source.h.
 *
 * Owns: the root (the --path subfolder of a commit or of a folder on disk)
 * and the rule that no read leaves it: every path is resolved one
 * component at a time, "." and ".." are applied, and symlinks are followed
 * (at most 16 hops) only while they stay inside the root; nothing under
 * .git is ever read. The same resolver runs over two backends: a git
 * commit (repo.h) and a folder (POSIX), where each read then opens the
 * resolved path one component at a time without following links.
 * Does not own: git itself (repo.c) or what the files mean (desired.h).
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <strings.h>
#include <sys/stat.h>

#include "buf.h"
#include "err.h"
#include "repo.h"
#include "source.h"

#define MAX_HOPS     16
#define LINK_MAX_LEN 4096

struct source {
	struct repo *repo; /* NULL for a folder */
	char *top;         /* folder mode: realpath of the folder */
	char *prefix;      /* the root below the top: "" or "a/b" */
	char *name;
	char *rev;
};

/* Flags of walk(). */
enum { FOLLOW_LAST = 1, ALLOW_MISSING = 2 };

/* --- backends: paths here are below the root, already resolved --------- */

static char *full_path(const struct source *s, const char *rel)
{
	const char *sep = *s->prefix && *rel ? "/" : "";

	if (s->repo)
		return xasprintf("%s%s%s", s->prefix, sep, rel);
	return xasprintf("%s%s%s%s%s", s->top, *s->prefix ? "/" : "", s->prefix,
	                 *rel ? "/" : "", rel);
}

static enum source_type type_of_kind(enum repo_kind k)
{
	return k == REPO_BLOB   ? SOURCE_FILE
	       : k == REPO_TREE ? SOURCE_DIR
	       : k == REPO_LINK ? SOURCE_SYMLINK
	                        : SOURCE_OTHER;
}

static enum source_type type_of_mode(mode_t m)
{
	return S_ISREG(m)   ? SOURCE_FILE
	       : S_ISDIR(m) ? SOURCE_DIR
	       : S_ISLNK(m) ? SOURCE_SYMLINK
	                    : SOURCE_OTHER;
}

/* ERR_NOTFOUND (err untouched) when rel does not exist. */
static int be_stat(enum source_type *out, struct source *s, const char *rel,
                   struct err *err)
{
	char *p = full_path(s, rel);
	enum repo_kind k;
	struct stat st;
	int rc = 0;

	if (s->repo) {
		rc = repo_stat(&k, s->repo, p, err);
		if (!rc)
			*out = type_of_kind(k);
	} else if (lstat(p, &st)) {
		rc = errno == ENOENT || errno == ENOTDIR
		             ? ERR_NOTFOUND
		             : err_set(err, ERR_IO, "cannot stat '%s': %s", p,
		                       strerror(errno));
	} else {
		*out = type_of_mode(st.st_mode);
	}
	free(p);
	return rc;
}

static int be_readlink(char **out, struct source *s, const char *rel,
                       struct err *err)
{
	char *p = full_path(s, rel);
	struct buf b;
	int rc = 0;

	buf_init(&b, LINK_MAX_LEN);
	if (s->repo) {
		rc = repo_read(&b, s->repo, p, err);
	} else {
		char tmp[LINK_MAX_LEN];
		ssize_t n = readlink(p, tmp, sizeof(tmp));
		if (n < 0 || (size_t)n >= sizeof(tmp))
			rc = err_set(err, ERR_IO, "cannot read the link '%s'",
			             rel);
		else
			rc = buf_add(&b, tmp, (size_t)n);
	}
	if (!rc)
		*out = buf_detach(&b, NULL);
	buf_release(&b);
	free(p);
	return rc;
}

/*
 * Opens rel below the folder one component at a time with O_NOFOLLOW, so
 * no component can be swapped for a symlink between the resolver's check
 * and the open (the resolver has already replaced every link inside the
 * root by its target). The last one is opened O_NONBLOCK so a FIFO or a
 * device never blocks, and fstat then requires a regular file with one
 * link: a hard link may reach a file outside the tree (/etc/shadow).
 */
static int dir_open(int *out, struct source *s, const char *rel,
                    struct err *err)
{
	char *path = xasprintf("%s%s%s", s->prefix, *s->prefix ? "/" : "", rel);
	char *comp = path, *slash;
	int dfd = open(s->top, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd = -1;
	int rc = 0;
	struct stat st;

	while (dfd >= 0 && (slash = strchr(comp, '/'))) {
		*slash = '\0';
		fd = openat(dfd, comp,
		            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(dfd);
		dfd = fd;
		comp = slash + 1;
	}
	fd = dfd < 0 ? -1
	             : openat(dfd, comp,
	                      O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (dfd >= 0)
		close(dfd);
	if (fd < 0) {
		rc = err_set(err,
		             errno == ELOOP || errno == ENOTDIR ? ERR_INVALID
		                                                : ERR_IO,
		             "cannot open '%s': %s", rel,
		             errno == ELOOP || errno == ENOTDIR
		                     ? "a folder on the way was replaced by a "
		                       "symlink"
		                     : strerror(errno));
	} else if (fstat(fd, &st)) {
		rc = err_set(err, ERR_IO, "cannot stat '%s': %s", rel,
		             strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		rc = err_set(err, ERR_INVALID, "'%s' is not a regular file",
		             rel);
	} else if (st.st_nlink > 1) {
		rc = err_set(
		        err, ERR_INVALID,
		        "'%s' has %lu hard links; kedge reads only files "
		        "with one, since a hard link can reach outside the "
		        "repository",
		        rel, (unsigned long)st.st_nlink);
	}
	free(path);
	if (rc) {
		if (fd >= 0)
			close(fd);
		return rc;
	}
	*out = fd;
	return 0;
}

static int dir_read(struct buf *out, struct source *s, const char *rel,
                    struct err *err)
{
	int fd = -1, rc = dir_open(&fd, s, rel, err);

	if (rc)
		return rc;
	rc = buf_read_fd(out, fd);
	if (rc == ERR_TOOBIG)
		err_set(err, rc, "'%s' is larger than %zu bytes", rel,
		        out->max);
	else if (rc)
		err_set(err, rc, "cannot read '%s': %s", rel, strerror(errno));
	close(fd);
	return rc;
}

static int be_read(struct buf *out, struct source *s, const char *rel,
                   struct err *err)
{
	char *p = full_path(s, rel);
	int rc;

	if (s->repo)
		rc = repo_read(out, s->repo, p, err);
	else
		rc = dir_read(out, s, rel, err);
	free(p);
	return rc;
}

struct entries {
	struct source_entry *v;
	size_t nr, alloc;
};

static int add_entry(const char *name, enum repo_kind kind, void *data)
{
	struct entries *e = data;

	ALLOC_GROW(e->v, e->nr + 1, e->alloc);
	e->v[e->nr].name = xstrdup(name);
	e->v[e->nr++].type = type_of_kind(kind);
	return 0;
}

static int dir_list(struct entries *e, const char *p, struct err *err)
{
	DIR *d = opendir(p);
	struct dirent *de;
	struct stat st;

	if (!d)
		return err_set(err, ERR_IO, "cannot list '%s': %s", p,
		               strerror(errno));
	while ((de = readdir(d))) {
		/* a checkout's .git is not part of any commit's tree */
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, ".git"))
			continue;
		/* an entry that cannot be seen is an error, not skipped */
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
			int rc = err_set(err, ERR_IO, "cannot stat '%s/%s': %s",
			                 p, de->d_name, strerror(errno));
			closedir(d);
			return rc;
		}
		ALLOC_GROW(e->v, e->nr + 1, e->alloc);
		e->v[e->nr].name = xstrdup(de->d_name);
		e->v[e->nr++].type = type_of_mode(st.st_mode);
	}
	closedir(d);
	return 0;
}

/* --- the resolver -------------------------------------------------------- */

struct item {
	char *name;
	int origin; /* index of the link it came from; -1: the caller's */
};

struct walk {
	struct item *todo; /* a stack: the next component is last */
	size_t todo_nr, todo_alloc;
	char **done; /* resolved components */
	size_t done_nr, done_alloc;
	char **links; /* paths of the links followed, for messages */
	size_t links_nr, links_alloc;
};

/* Pushes the components of path so that the first is popped first. */
static void push_path(struct walk *w, const char *path, int origin)
{
	const char *end = path + strlen(path), *p;

	while (end > path) {
		p = end;
		while (p > path && p[-1] != '/')
			p--;
		if (p < end) {
			ALLOC_GROW(w->todo, w->todo_nr + 1, w->todo_alloc);
			w->todo[w->todo_nr].name =
			        xstrndup(p, (size_t)(end - p));
			w->todo[w->todo_nr++].origin = origin;
		}
		end = p > path ? p - 1 : path;
	}
}

static char *done_path(const struct walk *w)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < w->done_nr; i++)
		if (buf_addf(&b, "%s%s", i ? "/" : "", w->done[i]))
			BUG("uncapped buffer refused an append");
	return buf_detach(&b, NULL);
}

static void walk_release(struct walk *w)
{
	size_t i;

	for (i = 0; i < w->todo_nr; i++)
		free(w->todo[i].name);
	for (i = 0; i < w->done_nr; i++)
		free(w->done[i]);
	for (i = 0; i < w->links_nr; i++)
		free(w->links[i]);
	free(w->todo);
	free(w->done);
	free(w->links);
}

static int leaves(struct walk *w, int origin, const char *shown,
                  struct err *err)
{
	if (origin >= 0)
		return err_set(err, ERR_INVALID,
		               "'%s' is a symlink that "
		               "leaves the repository",
		               w->links[origin]);
	return err_set(err, ERR_INVALID, "'%s' leaves the repository", shown);
}

/* Replaces the link cur (the last done component) by its target. */
static int follow(struct walk *w, struct source *s, char *cur, struct err *err)
{
	char *target = NULL;
	int rc;

	if (w->links_nr >= MAX_HOPS)
		return err_set(err, ERR_INVALID,
		               "'%s': more than %d levels "
		               "of symlinks",
		               cur, MAX_HOPS);
	if ((rc = be_readlink(&target, s, cur, err)))
		return rc;
	ALLOC_GROW(w->links, w->links_nr + 1, w->links_alloc);
	w->links[w->links_nr++] = xstrdup(cur);
	if (*target == '/') {
		free(target);
		return leaves(w, (int)w->links_nr - 1, NULL, err);
	}
	free(w->done[--w->done_nr]);
	push_path(w, target, (int)w->links_nr - 1);
	free(target);
	return 0;
}

/* One component: applies it to w->done; *type is what it now names. */
static int step(struct walk *w, struct source *s, struct item *it,
                unsigned flags, int *missing, enum source_type *type,
                const char *shown, struct err *err)
{
	char *cur;
	int rc = 0;

	if (!strcmp(it->name, "..")) {
		if (!w->done_nr)
			return leaves(w, it->origin, shown, err);
		free(w->done[--w->done_nr]);
		*type = SOURCE_DIR;
		return 0;
	}
	/*
	 * Nothing under .git is desired state: a file: there would ship the
	 * repository's own config (and its credentials) to the swarm. Only a
	 * worktree has one; a commit's tree cannot hold a ".git" entry.
	 */
	if (!strcasecmp(it->name, ".git"))
		return err_set(err, ERR_INVALID,
		               "'%s' leaves the repository (nothing under .git "
		               "is desired state)",
		               shown);
	ALLOC_GROW(w->done, w->done_nr + 1, w->done_alloc);
	w->done[w->done_nr++] = xstrdup(it->name);
	if (*missing)
		return 0;
	cur = done_path(w);
	rc = be_stat(type, s, cur, err);
	if (rc == ERR_NOTFOUND && (flags & ALLOW_MISSING)) {
		*missing = 1;
		rc = 0;
	} else if (rc == ERR_NOTFOUND) {
		rc = err_set(err, ERR_NOTFOUND, "'%s' not found in %s", shown,
		             s->name);
	} else if (!rc && *type == SOURCE_SYMLINK &&
	           (w->todo_nr || (flags & FOLLOW_LAST))) {
		rc = follow(w, s, cur, err);
	} else if (!rc && w->todo_nr && *type != SOURCE_DIR) {
		rc = err_set(err, ERR_NOTFOUND,
		             "'%s' not found in %s: '%s' "
		             "is not a folder",
		             shown, s->name, cur);
	}
	free(cur);
	return rc;
}

/*
 * Resolves path (relative to the root) to a path without links, "." or
 * "..". shown is what messages quote for the path itself.
 */
static int walk(char **out, enum source_type *type, struct source *s,
                const char *path, unsigned flags, const char *shown,
                struct err *err)
{
	struct walk w = {0};
	enum source_type t = SOURCE_DIR;
	int rc = 0, missing = 0;

	if (*path == '/')
		return leaves(&w, -1, shown, err);
	push_path(&w, path, -1);
	while (w.todo_nr && !rc) {
		struct item it = w.todo[--w.todo_nr];
		if (strcmp(it.name, ".") && *it.name)
			rc = step(&w, s, &it, flags, &missing, &t, shown, err);
		free(it.name);
	}
	if (!rc) {
		*out = done_path(&w);
		if (type)
			*type = w.done_nr ? t : SOURCE_DIR;
	}
	walk_release(&w);
	return rc;
}

/* --- the API ------------------------------------------------------------- */

static int open_folder(struct source *s, const char *dir, struct err *err)
{
	struct stat st;

	s->top = realpath(dir, NULL);
	if (!s->top || stat(s->top, &st))
		return err_set(err, ERR_NOTFOUND, "folder '%s' not found: %s",
		               dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(err, ERR_NOTFOUND, "'%s' is not a folder", dir);
	s->name = xstrdup(dir);
	s->rev = xstrdup("worktree");
	return 0;
}

void source_repo_opts(struct repo_opts *out, const struct source_opts *o)
{
	memset(out, 0, sizeof(*out));
	out->cache_dir = o->cache_dir;
	out->ssh_key = o->ssh_key;
	out->ssh_pubkey = o->ssh_pubkey;
	out->known_hosts = o->known_hosts;
	out->token = o->token;
	out->offline = o->offline;
	out->git_timeout_ms = o->git_timeout_ms;
}

int source_open(struct source **out, const struct source_opts *opts,
                struct err *err)
{
	struct source *s = xcalloc(1, sizeof(*s));
	struct repo_opts ro;
	enum source_type t;
	char *root = NULL;
	int rc;

	source_repo_opts(&ro, opts);
	s->prefix = xstrdup("");
	if (opts->worktree) {
		rc = open_folder(s, opts->worktree, err);
	} else if (!opts->repo) {
		rc = err_set(err, ERR_INVALID, "no repository or folder given");
	} else if (!(rc = repo_open(&s->repo, opts->repo, opts->ref, &ro,
	                            err))) {
		s->name = xstrdup(repo_name(s->repo));
		s->rev = xstrdup(repo_commit(s->repo));
	}
	if (!rc && opts->path && *opts->path) {
		rc = walk(&root, &t, s, opts->path, FOLLOW_LAST, opts->path,
		          err);
		if (!rc && t != SOURCE_DIR)
			rc = err_set(err, ERR_NOTFOUND,
			             "path '%s' in %s is "
			             "not a folder",
			             opts->path, s->name);
		if (!rc) {
			free(s->prefix);
			s->prefix = root;
			root = NULL;
		}
	}
	free(root);
	if (rc) {
		source_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void source_free(struct source *s)
{
	if (!s)
		return;
	repo_free(s->repo);
	free(s->top);
	free(s->prefix);
	free(s->name);
	free(s->rev);
	free(s);
}

const char *source_revision(const struct source *s)
{
	return s->rev;
}

const char *source_name(const struct source *s)
{
	return s->name;
}

int source_read(struct buf *out, struct source *s, const char *path,
                struct err *err)
{
	enum source_type t;
	char *real = NULL;
	int rc = walk(&real, &t, s, path, FOLLOW_LAST, path, err);

	if (rc)
		return rc;
	if (t == SOURCE_DIR)
		rc = err_set(err, ERR_INVALID, "'%s' is a folder", path);
	else if (t != SOURCE_FILE)
		rc = err_set(err, ERR_INVALID, "'%s' is not a regular file",
		             path);
	else
		rc = be_read(out, s, real, err);
	free(real);
	return rc;
}

int source_stat(enum source_type *out, struct source *s, const char *path,
                struct err *err)
{
	char *real = NULL;
	int rc = walk(&real, out, s, path, 0, path, err);

	free(real);
	return rc;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct source_entry *)a)->name,
	              ((const struct source_entry *)b)->name);
}

int source_list(struct source_entry **out, size_t *nr, struct source *s,
                const char *dir, struct err *err)
{
	struct entries e = {0};
	enum source_type t = SOURCE_OTHER;
	char *real = NULL, *p = NULL;
	int rc = walk(&real, &t, s, dir, FOLLOW_LAST, dir, err);

	if (rc)
		goto out;
	if (t != SOURCE_DIR) {
		/* not ERR_NOTFOUND: a caller must not take it for "absent" */
		rc = err_set(err, ERR_INVALID, "'%s' is not a folder", dir);
		goto out;
	}
	p = full_path(s, real);
	if (s->repo)
		rc = repo_list(s->repo, p, add_entry, &e, err);
	else
		rc = dir_list(&e, p, err);
	if (rc) {
		source_entries_free(e.v, e.nr);
		goto out;
	}
	if (e.nr)
		qsort(e.v, e.nr, sizeof(*e.v), cmp_entry);
	*out = e.v;
	*nr = e.nr;
out:
	free(p);
	free(real);
	return rc;
}

void source_entries_free(struct source_entry *e, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		free(e[i].name);
	free(e);
}

int source_resolve(char **out, struct source *s, const char *base_dir,
                   const char *rel, struct err *err)
{
	char *path;
	int rc;

	if (*rel == '/')
		return err_set(err, ERR_INVALID, "'%s' leaves the repository",
		               rel);
	path = xasprintf("%s%s%s", base_dir ? base_dir : "",
	                 base_dir && *base_dir ? "/" : "", rel);
	rc = walk(out, NULL, s, path, FOLLOW_LAST | ALLOW_MISSING, rel, err);
	free(path);
	return rc;
}

int source_remote_head(char out[41], const struct source_opts *o,
                       struct err *err)
{
	struct repo_opts ro = {
	        .cache_dir = o->cache_dir,
	        .ssh_key = o->ssh_key,
	        .ssh_pubkey = o->ssh_pubkey,
	        .known_hosts = o->known_hosts,
	        .token = o->token,
	        .git_timeout_ms = o->git_timeout_ms,
	};

	if (o->worktree)
		return err_set(err, ERR_INVALID,
		               "a worktree ('%s') has no remote head",
		               o->worktree);
	if (!o->repo)
		return err_set(err, ERR_INVALID, "no repository given");
	return repo_remote_head(out, o->repo, o->ref, &ro, err);
}
