/*
 * repo-remote.c: remotes for the libgit2 adapter (repo.h, repo-int.h).
 *
 * Owns: the cache folder of each remote and its lock, cloning and
 * fetching into it under a deadline, asking a remote where a ref points
 * (repo_remote_head, ls-remote style, under the same deadline),
 * credentials, and the SSH host key check (the known_hosts format itself is
 * knownhosts.c). Does not own: URL syntax (url.c), refs and reading a commit
 * (repo.c), commits and pushes (repo-write.c, whose push uses the
 * callbacks, the bounded child and the cache lock declared in repo-int.h).
 *
 * The deadline. libgit2 1.5 has no timeout, and a server that accepts a
 * connection and then never answers gives libgit2 no chance to call back,
 * so a callback cannot give up either. Every clone and fetch therefore
 * runs in a forked child process that the parent kills when the deadline
 * (--git-timeout) passes; the child reports its result (an ERR_* and a
 * message) over a pipe.
 *
 * The lock. No lock is held while waiting on the network, since a second
 * kedge would then wait as long as the slowest server. The child writes
 * objects into the cache's object database, which any number of writers
 * may share (objects are named by their content and renamed into place),
 * and refs only below refs/kedge/fetch-<pid>/, a namespace that nobody
 * else writes. Only then does the parent take the cache lock, to move
 * those refs to refs/remotes/origin/ and refs/tags/ (deleting what the
 * remote deleted) and record the remote's default branch: quick local
 * work. A first clone goes to a private folder that is renamed into place
 * under the lock. A killed child leaves at most objects that nothing
 * refers to, and its namespace, which the parent removes.
 */
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <git2.h>

#include "buf.h"
#include "err.h"
#include "knownhosts.h"
#include "log.h"
#include "repo-int.h"
#include "url.h"

#define KNOWN_HOSTS_MAX    (4u << 20)
#define DEFAULT_TIMEOUT_MS 60000u
#define HEAD_MAX           REPO_HEAD_MAX

static int cb_fail(struct repo_remote_ctx *c, int code, const char *fmt, ...)
        PRINTF(3, 4);
static int cb_fail(struct repo_remote_ctx *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	c->code = code;
	return GIT_EUSER;
}

int repo_remote_ctx_init(struct repo_remote_ctx *c, const char *spec,
                         const char *name, const struct repo_opts *opts,
                         struct err *err)
{
	memset(c, 0, sizeof(*c));
	c->opts = opts;
	c->url = name;
	if (url_parse(&c->u, spec))
		return err_set(err, ERR_INVALID,
		               "'%s' is not a usable URL (a host and a port in "
		               "1-65535)",
		               name);
	return 0;
}

void repo_remote_ctx_release(struct repo_remote_ctx *c)
{
	url_release(&c->u);
}

/* --- known_hosts ----------------------------------------------------- */

static const char *known_hosts_path(const struct repo_opts *o, char **tofree)
{
	const char *home = getenv("HOME");

	*tofree = NULL;
	if (o->known_hosts)
		return o->known_hosts;
	*tofree = xasprintf("%s/.ssh/known_hosts", home ? home : "");
	return *tofree;
}

static int check_host_key(struct repo_remote_ctx *c, const git_cert_hostkey *hk)
{
	char *tofree, *name = knownhosts_name(c->u.host, c->u.port);
	const char *file = known_hosts_path(c->opts, &tofree);
	enum knownhosts_result kr;
	struct buf kh;
	int rc;

	buf_init(&kh, KNOWN_HOSTS_MAX);
	if (!(hk->type & GIT_CERT_SSH_RAW)) {
		rc = cb_fail(c, ERR_AUTH, "cannot check the host key for '%s'",
		             name);
		goto out;
	}
	if (buf_read_file(&kh, file) < 0) {
		rc = cb_fail(c, ERR_AUTH,
		             "host key for '%s' cannot be checked: cannot "
		             "read '%s'",
		             name, file);
		goto out;
	}
	kr = knownhosts_check(kh.len ? kh.ptr : "", kh.len, name, hk->hostkey,
	                      hk->hostkey_len);
	if (kr == KNOWNHOSTS_OK)
		rc = 0;
	else if (kr == KNOWNHOSTS_UNKNOWN)
		rc = cb_fail(c, ERR_AUTH, "host key for '%s' is not in %s",
		             name, file);
	else
		rc = cb_fail(c, ERR_AUTH,
		             "host key for '%s' %s known_hosts (possible "
		             "man-in-the-middle)",
		             name,
		             kr == KNOWNHOSTS_REVOKED ? "is revoked in"
		                                      : "does not match");
out:
	buf_release(&kh);
	free(name);
	free(tofree);
	return rc;
}

/* --- callbacks --------------------------------------------------------- */

int repo_cert_cb(git_cert *cert, int valid, const char *host, void *payload)
{
	struct repo_remote_ctx *c = payload;

	if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2)
		return check_host_key(c, (const git_cert_hostkey *)cert);
	if (valid)
		return 0;
	return cb_fail(c, ERR_AUTH,
	               "the TLS certificate of '%s' is not "
	               "trusted",
	               host);
}

static int ssh_key_cred(git_credential **out, struct repo_remote_ctx *c,
                        const char *user)
{
	const char *key = c->opts->ssh_key;
	char *pub = NULL;
	int rc;

	if (c->tried_key++)
		return cb_fail(c, ERR_AUTH, "ssh key '%s' was refused by '%s'",
		               key, c->url);
	if (c->opts->ssh_pubkey)
		pub = xstrdup(c->opts->ssh_pubkey);
	else
		pub = xasprintf("%s.pub", key);
	if (access(pub, R_OK)) { /* libssh2 derives it from the key */
		free(pub);
		pub = NULL;
	}
	if (access(key, R_OK)) {
		rc = cb_fail(c, ERR_AUTH, "cannot read ssh key '%s'", key);
		goto out;
	}
	rc = git_credential_ssh_key_new(out, user, pub, key, NULL);
out:
	free(pub);
	return rc;
}

int repo_cred_cb(git_credential **out, const char *url, const char *url_user,
                 unsigned int allowed, void *payload)
{
	struct repo_remote_ctx *c = payload;
	const char *user = url_user ? url_user : c->u.user;
	const char *secret = c->opts->token ? c->opts->token : c->u.secret;

	(void)url;
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && c->opts->ssh_key)
		return ssh_key_cred(out, c, user ? user : "git");
	if ((allowed & GIT_CREDENTIAL_USERNAME) && !c->tried_user++)
		return git_credential_username_new(out, user ? user : "git");
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && secret) {
		if (c->tried_pass++)
			return cb_fail(c, ERR_AUTH, "'%s' refused the token",
			               c->url);
		return git_credential_userpass_plaintext_new(
		        out, user ? user : "x-access-token", secret);
	}
	if (allowed & GIT_CREDENTIAL_SSH_KEY)
		return cb_fail(c, ERR_AUTH,
		               "'%s' needs an ssh key "
		               "(--ssh-key)",
		               c->url);
	return cb_fail(c, ERR_AUTH, "'%s' needs credentials (a token)", c->url);
}

/* Turns a failed libgit2 network call into an ERR_* with a message. */
int repo_remote_error(struct repo_remote_ctx *c, int rc, struct err *err)
{
	if (c->code)
		return err_set(err, c->code, "%s", c->msg);
	if (rc == GIT_EAUTH)
		return err_set(err, ERR_AUTH,
		               "'%s' refused the credentials: "
		               "%s",
		               c->url, repo_lg_msg());
	if (rc == GIT_ECERTIFICATE)
		return err_set(err, ERR_AUTH, "'%s': %s", c->url,
		               repo_lg_msg());
	return err_set(err, ERR_REMOTE, "cannot reach '%s': %s", c->url,
	               repo_lg_msg());
}

/* --- the cache folder ------------------------------------------------ */

static int mkdirs(const char *path, struct err *err)
{
	char *p = xstrdup(path), *s;
	int rc = 0;

	for (s = p + 1;; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0700) && errno != EEXIST) {
			rc = err_set(err, ERR_IO, "cannot create '%s': %s", p,
			             strerror(errno));
			goto out;
		}
		if (!c)
			break;
		*s = c;
	}
out:
	free(p);
	return rc;
}

static char *cache_root(const struct repo_opts *o)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (o->cache_dir)
		return xstrdup(o->cache_dir);
	if (xdg && *xdg == '/')
		return xasprintf("%s/kedge", xdg);
	return xasprintf("%s/.cache/kedge", home && *home ? home : "/tmp");
}

static int lock_cache(int *out, const char *path, unsigned wait_ms,
                      struct err *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	unsigned waited = 0;

	if (fd < 0)
		return err_set(err, ERR_IO, "cannot open '%s': %s", path,
		               strerror(errno));
	while (flock(fd, LOCK_EX | LOCK_NB)) {
		struct timespec ts = {0, 100 * 1000 * 1000};
		if (errno != EWOULDBLOCK || waited >= wait_ms) {
			close(fd);
			return err_set(err, ERR_TIMEOUT,
			               "the cache lock '%s' "
			               "is held by another kedge (waited %u "
			               "ms)",
			               path, waited);
		}
		nanosleep(&ts, NULL);
		waited += 100;
	}
	*out = fd;
	return 0;
}

int repo_cache_lock(int *out, git_repository *cache,
                    const struct repo_opts *opts, struct err *err)
{
	/* the cache is "<root>/<key>/", its lock "<root>/<key>.lock" */
	const char *dir = git_repository_path(cache);
	size_t n = strlen(dir);
	unsigned wait = opts->lock_wait_ms ? opts->lock_wait_ms : 60000;
	char *lock;
	int rc;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	lock = xasprintf("%.*s.lock", (int)n, dir);
	rc = lock_cache(out, lock, wait, err);
	free(lock);
	return rc;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* --- the child: the network part ------------------------------------- */

/* The remote's default branch ("main") into head, "" when unknown. */
static void default_branch(char head[HEAD_MAX], git_remote *remote)
{
	git_buf def = {0};

	head[0] = '\0';
	if (!git_remote_default_branch(&def, remote) &&
	    starts_with(def.ptr, "refs/heads/") &&
	    strlen(def.ptr + 11) < HEAD_MAX)
		snprintf(head, HEAD_MAX, "%s", def.ptr + 11);
	git_buf_dispose(&def);
}

/* Where child_fetch fetches to: the repository dir, below ns. */
struct fetch_args {
	const char *dir, *ns;
};

/*
 * Fetches every branch and tag of the remote into dir's namespace ns,
 * with an in-memory remote and explicit refspecs: a named remote would
 * make libgit2 match config keys with regexes, which leak in Debian's
 * libgit2 1.5 build, and nothing needs the remote in the config.
 */
static void child_fetch(struct repo_child_result *res, const void *arg,
                        struct repo_remote_ctx *c)
{
	const struct fetch_args *fa = arg;
	const char *dir = fa->dir, *ns = fa->ns;
	char *heads = xasprintf("+refs/heads/*:%s/heads/*", ns);
	char *tags = xasprintf("+refs/tags/*:%s/tags/*", ns);
	char *specs[] = {heads, tags};
	const git_strarray refspecs = {specs, ARRAY_SIZE(specs)};
	git_remote_create_options ro;
	git_fetch_options fo;
	git_repository *gr = NULL;
	git_remote *remote = NULL;
	struct err err;
	int rc;

	err_clear(&err);
	if (git_repository_open_bare(&gr, dir) < 0) {
		rc = err_set(&err, ERR_IO, "cannot open the cache '%s': %s",
		             dir, repo_lg_msg());
		goto out;
	}
	(void)git_remote_create_options_init(&ro,
	                                     GIT_REMOTE_CREATE_OPTIONS_VERSION);
	ro.repository = gr;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
	           GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	(void)git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.callbacks.credentials = repo_cred_cb;
	fo.callbacks.certificate_check = repo_cert_cb;
	fo.callbacks.payload = c;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	if (git_remote_create_with_opts(&remote, c->url, &ro) < 0) {
		rc = err_set(&err, ERR_INVALID, "'%s' is not a usable URL: %s",
		             c->url, repo_lg_msg());
		goto out;
	}
	rc = git_remote_fetch(remote, &refspecs, &fo, "kedge: fetch");
	if (rc < 0) {
		rc = repo_remote_error(c, rc, &err);
		goto out;
	}
	default_branch(res->head, remote);
out:
	res->code = rc;
	snprintf(res->msg, sizeof(res->msg), "%s", err.msg);
	git_remote_free(remote);
	git_repository_free(gr);
	free(heads);
	free(tags);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Reads the child's result until it exits or the deadline passes; then it
 * is killed. Returns 0 when *res was read whole, ERR_TIMEOUT, or ERR_REMOTE
 * when the child died without answering.
 */
static int wait_child(struct repo_child_result *res, pid_t pid, int fd,
                      unsigned timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	size_t got = 0;
	int rc = 0, status;

	while (got < sizeof(*res)) {
		struct pollfd pfd = {fd, POLLIN, 0};
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (left <= 0) {
			rc = ERR_TIMEOUT;
			break;
		}
		n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			continue; /* the next turn sees the deadline */
		n = n < 0 ? -1
		          : read(fd, (char *)res + got, sizeof(*res) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = ERR_REMOTE;
			break;
		}
		got += (size_t)n;
	}
	if (rc)
		(void)kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return rc;
}

static void write_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
}

static char *timeout_text(unsigned ms)
{
	return ms % 1000 ? xasprintf("%u ms", ms)
	                 : xasprintf("%u s", ms / 1000);
}

int repo_run_bounded(struct repo_child_result *res, repo_child_fn job,
                     const void *arg, struct repo_remote_ctx *c,
                     const char *verb, struct err *err)
{
	unsigned ms = c->opts->git_timeout_ms ? c->opts->git_timeout_ms
	                                      : DEFAULT_TIMEOUT_MS;
	int fds[2], rc;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (pipe2(fds, O_CLOEXEC))
		return err_set(err, ERR_IO, "cannot %s '%s': pipe: %s", verb,
		               c->url, strerror(errno));
	log_debug("repo", "%s url=%s timeout_ms=%u", verb, c->url, ms);
	pid = fork();
	if (pid < 0) {
		rc = err_set(err, ERR_IO, "cannot %s '%s': fork: %s", verb,
		             c->url, strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return rc;
	}
	if (pid == 0) {
		close(fds[0]);
		job(res, arg, c);
		write_all(fds[1], res, sizeof(*res));
		_exit(0);
	}
	close(fds[1]);
	rc = wait_child(res, pid, fds[0], ms);
	close(fds[0]);
	if (rc == ERR_TIMEOUT) {
		char *t = timeout_text(ms);

		rc = err_set(err, ERR_TIMEOUT,
		             "cannot reach '%s': no answer within %s "
		             "(--git-timeout)",
		             c->url, t);
		free(t);
	} else if (rc) {
		rc = err_set(err, ERR_REMOTE,
		             "cannot %s '%s': the child process died", verb,
		             c->url);
	} else if (res->code) {
		res->msg[sizeof(res->msg) - 1] = '\0';
		rc = err_set(err, res->code, "%s", res->msg);
	}
	res->head[HEAD_MAX - 1] = '\0';
	return rc;
}

/* Runs child_fetch in a child process, bounded by the deadline. */
static int fetch_bounded(char head[HEAD_MAX], const char *dir, const char *ns,
                         struct repo_remote_ctx *c, struct err *err)
{
	struct repo_child_result res;
	struct fetch_args fa = {dir, ns};
	int rc = repo_run_bounded(&res, child_fetch, &fa, c, "fetch", err);

	if (!rc)
		memcpy(head, res.head, HEAD_MAX);
	return rc;
}

/* --- the parent: publishing what was fetched -------------------------- */

struct move_ctx {
	git_repository *gr;
	const char *from; /* "refs/kedge/fetch-1/heads/" */
	const char *to;   /* "refs/remotes/origin/" */
	int rc;
};

/* Sets to<name> to the id of the fetched from<name>. */
static int move_one(const char *name, void *data)
{
	struct move_ctx *m = data;
	char *dst = xasprintf("%s%s", m->to, name + strlen(m->from));
	git_reference *ref = NULL;
	git_oid id;

	if (git_reference_name_to_id(&id, m->gr, name) < 0 ||
	    git_reference_create(&ref, m->gr, dst, &id, 1, "kedge: fetch") < 0)
		m->rc = -1;
	git_reference_free(ref);
	free(dst);
	return m->rc;
}

/* Deletes to<name> when the fetch brought no from<name> (pruning). */
static int prune_one(const char *name, void *data)
{
	struct move_ctx *m = data;
	char *src;
	git_reference *ref = NULL;
	git_oid id;

	if (!strcmp(name, "refs/remotes/origin/HEAD"))
		return 0;
	src = xasprintf("%s%s", m->from, name + strlen(m->to));
	if (git_reference_name_to_id(&id, m->gr, src) == GIT_ENOTFOUND &&
	    (git_reference_lookup(&ref, m->gr, name) < 0 ||
	     git_reference_delete(ref) < 0))
		m->rc = -1;
	git_reference_free(ref);
	free(src);
	return m->rc;
}

static int move_refs(git_repository *gr, const char *ns, const char *kind,
                     const char *to)
{
	char *from = xasprintf("%s/%s/", ns, kind);
	char *from_glob = xasprintf("%s*", from),
	     *to_glob = xasprintf("%s*", to);
	struct move_ctx m = {gr, from, to, 0};

	(void)git_reference_foreach_glob(gr, from_glob, move_one, &m);
	if (!m.rc)
		(void)git_reference_foreach_glob(gr, to_glob, prune_one, &m);
	free(from);
	free(from_glob);
	free(to_glob);
	return m.rc;
}

/* Points refs/remotes/origin/HEAD at the remote's default branch. */
static void update_remote_head(git_repository *gr, const char *head)
{
	git_reference *ref = NULL;
	char *target = xasprintf("refs/remotes/origin/%s", head);
	git_oid id;

	if (!*head || git_reference_name_to_id(&id, gr, target) < 0) {
		if (!git_reference_lookup(&ref, gr, "refs/remotes/origin/HEAD"))
			(void)git_reference_delete(ref);
	} else if (git_reference_symbolic_create(
	                   &ref, gr, "refs/remotes/origin/HEAD", target, 1,
	                   "kedge: remote HEAD") < 0) {
		log_warn("repo", "cannot record the default branch: %s",
		         repo_lg_msg());
	}
	git_reference_free(ref);
	free(target);
}

/* Removes the namespace ns (and any lock file a killed child left). */
static void drop_namespace(const char *dir, const char *ns)
{
	char *p = xasprintf("%s/%s", dir, ns);

	(void)nftw(p, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(p);
}

/* Moves the fetched refs of ns into place; the caller holds the lock. */
static int publish(const char *dir, const char *ns, const char *head,
                   const char *url, struct err *err)
{
	git_repository *gr = NULL;
	int rc = 0;

	if (git_repository_open_bare(&gr, dir) < 0)
		return err_set(err, ERR_IO, "cannot open the cache '%s': %s",
		               dir, repo_lg_msg());
	if (move_refs(gr, ns, "heads", "refs/remotes/origin/") ||
	    move_refs(gr, ns, "tags", "refs/tags/"))
		rc = err_set(err, ERR_IO,
		             "cannot update the refs of '%s' in '%s': %s", url,
		             dir, repo_lg_msg());
	else
		update_remote_head(gr, head);
	git_repository_free(gr);
	return rc;
}

/* --- the cache, from the top ------------------------------------------- */

/*
 * Fetches into dir's namespace without the lock, then publishes under it.
 * dir is the cache itself, or a fresh clone that only this process sees
 * (then the lock is not needed to publish: lock is NULL).
 */
static int fetch_into(const char *dir, const char *lock,
                      struct repo_remote_ctx *c, struct err *err)
{
	char *ns = xasprintf("refs/kedge/fetch-%ld", (long)getpid());
	char head[HEAD_MAX] = "";
	unsigned wait = c->opts->lock_wait_ms ? c->opts->lock_wait_ms : 60000;
	int fd = -1, rc;

	rc = fetch_bounded(head, dir, ns, c, err);
	if (!rc && lock)
		rc = lock_cache(&fd, lock, wait, err);
	if (!rc)
		rc = publish(dir, ns, head, c->url, err);
	drop_namespace(dir, ns);
	if (fd >= 0)
		close(fd);
	free(ns);
	return rc;
}

/*
 * Clones into a private folder, then renames it into place under the lock,
 * so no half cache stays and two first runs do not collide: the second
 * keeps the first one's cache.
 */
static int clone_cache(const char *dir, const char *lock,
                       struct repo_remote_ctx *c, struct err *err)
{
	char *tmp = xasprintf("%s.tmp.%ld", dir, (long)getpid());
	unsigned wait = c->opts->lock_wait_ms ? c->opts->lock_wait_ms : 60000;
	git_repository *gr = NULL;
	int fd = -1, rc;

	(void)nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (git_repository_init(&gr, tmp, 1) < 0) {
		rc = err_set(err, ERR_IO, "cannot create a cache in '%s': %s",
		             tmp, repo_lg_msg());
		goto out;
	}
	git_repository_free(gr);
	rc = fetch_into(tmp, NULL, c, err);
	if (!rc)
		rc = lock_cache(&fd, lock, wait, err);
	if (!rc && access(dir, F_OK) && rename(tmp, dir))
		rc = err_set(err, ERR_IO, "cannot rename '%s': %s", tmp,
		             strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	(void)nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(tmp);
	return rc;
}

int repo_remote_open(git_repository **out, const char *spec, const char *name,
                     const struct repo_opts *o, struct err *err)
{
	struct repo_remote_ctx c;
	char *root = cache_root(o), *key = url_cache_key(name);
	char *dir = xasprintf("%s/%s", root, key);
	char *lock = xasprintf("%s.lock", dir);
	int rc, have;

	if ((rc = repo_remote_ctx_init(&c, spec, name, o, err)))
		goto out;
	if ((rc = mkdirs(root, err)))
		goto out;
	have = !access(dir, F_OK);
	if (o->offline && !have) {
		rc = err_set(err, ERR_NOTFOUND,
		             "no cached copy of '%s' in %s (offline)", name,
		             root);
		goto out;
	}
	if (!o->offline)
		rc = have ? fetch_into(dir, lock, &c, err)
		          : clone_cache(dir, lock, &c, err);
	if (!rc && git_repository_open_bare(out, dir) < 0)
		rc = err_set(err, ERR_IO, "cannot open the cache '%s': %s", dir,
		             repo_lg_msg());
out:
	repo_remote_ctx_release(&c);
	free(lock);
	free(dir);
	free(key);
	free(root);
	return rc;
}

/* --- ls-remote: where a ref points on the remote ------------------------ */

/*
 * The id of the advertised ref name; for an annotated tag the peeled
 * "name^{}" entry, which names the commit. NULL when not advertised.
 */
static const git_oid *advertised(const git_remote_head **heads, size_t n,
                                 const char *name)
{
	size_t len = strlen(name), i;
	const git_oid *id = NULL;

	for (i = 0; i < n; i++) {
		const char *h = heads[i]->name;

		if (!strcmp(h, name))
			id = id ? id : &heads[i]->oid;
		else if (!strncmp(h, name, len) && !strcmp(h + len, "^{}"))
			return &heads[i]->oid;
	}
	return id;
}

/* What repo_open's lookup would try on the remote, in order. */
static const git_oid *find_head(const git_remote_head **heads, size_t n,
                                const char *ref)
{
	const git_oid *id = NULL;
	char *name;

	if (!ref)
		return advertised(heads, n, "HEAD");
	if (starts_with(ref, "refs/"))
		return advertised(heads, n, ref);
	name = xasprintf("refs/heads/%s", ref);
	id = advertised(heads, n, name);
	free(name);
	if (id)
		return id;
	name = xasprintf("refs/tags/%s", ref);
	id = advertised(heads, n, name);
	free(name);
	return id;
}

/* The child's part: connect, list the refs, pick ref (arg; may be NULL). */
static void child_ls(struct repo_child_result *res, const void *arg,
                     struct repo_remote_ctx *c)
{
	const char *ref = arg;
	git_remote_callbacks cb;
	git_remote *remote = NULL;
	const git_remote_head **heads = NULL;
	const git_oid *id;
	struct err err;
	size_t n = 0;
	int rc;

	err_clear(&err);
	(void)git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb.credentials = repo_cred_cb;
	cb.certificate_check = repo_cert_cb;
	cb.payload = c;
	/* Detached: no repository, no config, nothing written. */
	if (git_remote_create_detached(&remote, c->url) < 0) {
		rc = err_set(&err, ERR_INVALID, "'%s' is not a usable URL: %s",
		             c->url, repo_lg_msg());
		goto out;
	}
	rc = git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL, NULL);
	if (rc < 0) {
		rc = repo_remote_error(c, rc, &err);
		goto out;
	}
	if (git_remote_ls(&heads, &n, remote) < 0) {
		rc = repo_remote_error(c, -1, &err);
		goto out;
	}
	id = find_head(heads, n, ref);
	if (!id && ref)
		rc = err_set(&err, ERR_NOTFOUND, "no ref '%s' on %s", ref,
		             c->url);
	else if (!id)
		rc = err_set(&err, ERR_NOTFOUND,
		             "no default branch (HEAD) on %s; name one with a "
		             "ref",
		             c->url);
	else
		git_oid_tostr(res->head, GIT_OID_HEXSZ + 1, id);
out:
	res->code = rc;
	snprintf(res->msg, sizeof(res->msg), "%s", err.msg);
	git_remote_free(remote);
}

/* Runs child_ls in a child process, bounded by the deadline. */
static int ls_bounded(char out[GIT_OID_HEXSZ + 1], const char *ref,
                      struct repo_remote_ctx *c, struct err *err)
{
	struct repo_child_result res;
	int rc = repo_run_bounded(&res, child_ls, ref, c, "ask", err);

	if (!rc && strlen(res.head) != GIT_OID_HEXSZ)
		rc = err_set(err, ERR_INTERNAL,
		             "no commit id came back from asking '%s'", c->url);
	else if (!rc)
		memcpy(out, res.head, GIT_OID_HEXSZ + 1);
	return rc;
}

static int is_full_id(const char *s)
{
	return s && strspn(s, "0123456789abcdefABCDEF") == GIT_OID_HEXSZ &&
	       !s[GIT_OID_HEXSZ];
}

int repo_remote_head(char out[41], const char *spec, const char *ref,
                     const struct repo_opts *opts, struct err *err)
{
	static const struct repo_opts none;
	struct repo_remote_ctx c;
	struct repo *r = NULL;
	char *name;
	size_t i;
	int rc;

	if (is_full_id(ref)) {
		for (i = 0; i <= GIT_OID_HEXSZ; i++)
			out[i] = (char)(ref[i] >= 'A' && ref[i] <= 'F'
			                        ? ref[i] - 'A' + 'a'
			                        : ref[i]);
		return 0;
	}
	if (!url_is_remote(spec)) {
		rc = repo_open(&r, spec, ref, opts, err);
		if (!rc)
			memcpy(out, repo_commit(r), GIT_OID_HEXSZ + 1);
		repo_free(r);
		return rc;
	}
	repo_global_init();
	name = url_redact(spec);
	rc = repo_remote_ctx_init(&c, spec, name, opts ? opts : &none, err);
	if (!rc)
		rc = ls_bounded(out, ref, &c, err);
	repo_remote_ctx_release(&c);
	free(name);
	return rc;
}
