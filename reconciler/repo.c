/*
 * repo.c: the libgit2 adapter declared in repo.h.
 *
 * Owns: every call into libgit2 (and the one HMAC-SHA1 call into OpenSSL
 * that hashed known_hosts entries need): opening, cloning and fetching,
 * the cache folder and its lock, credentials, the host key check, ref
 * resolution, and reading one commit's tree. Does not own: path rules
 * (source.c) or what the files mean.
 */
#include <ctype.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include <git2.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "repo.h"

#define KNOWN_HOSTS_MAX (4u << 20)

struct repo {
	git_repository *gr;
	git_commit *commit;
	git_tree *tree;
	char id[GIT_OID_HEXSZ + 1];
	char *name;
	int remote;
};

/* What the libgit2 callbacks of one clone or fetch need, and what failed. */
struct remote_ctx {
	const struct repo_opts *opts;
	const char *url; /* redacted */
	char *host;
	int port;
	char *user;   /* from the URL, may be NULL */
	char *secret; /* password from the URL, may be NULL; never printed */
	int tried_key, tried_user, tried_pass;
	int code; /* ERR_* set by a callback, 0 when none */
	char msg[ERR_MSG_MAX];
};

static const char *lg_msg(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

static int global_refs;

void repo_global_init(void)
{
	/* fails only when threads or memory cannot be set up, like xmalloc */
	if (git_libgit2_init() < 0)
		BUG("cannot initialise libgit2: %s", lg_msg());
	global_refs++;
}

void repo_global_shutdown(void)
{
	if (global_refs <= 0)
		BUG("repo_global_shutdown without repo_global_init");
	global_refs--;
	git_libgit2_shutdown();
}

/* --- URLs ------------------------------------------------------------ */

int repo_is_remote(const char *spec)
{
	const char *colon = strchr(spec, ':');
	const char *slash = strchr(spec, '/');

	if (strstr(spec, "://"))
		return 1;
	/* scp-style user@host:path: a ':' before any '/' and an '@' before it
	 */
	if (colon && (!slash || colon < slash)) {
		const char *at = strchr(spec, '@');
		return at && at < colon;
	}
	return 0;
}

/* The authority of a URL: [start, end) between "://" and the next '/'. */
static const char *authority(const char *spec, const char **end)
{
	const char *p = strstr(spec, "://");

	if (!p)
		return NULL;
	p += 3;
	*end = p + strcspn(p, "/");
	return p;
}

char *repo_redact(const char *spec)
{
	const char *end, *a = authority(spec, &end);
	const char *at, *colon;

	if (!a)
		return xstrdup(spec);
	at = memrchr(a, '@', (size_t)(end - a));
	if (!at)
		return xstrdup(spec);
	colon = memchr(a, ':', (size_t)(at - a));
	if (colon) /* user:secret@ -> user@ */
		return xasprintf("%.*s%s", (int)(colon - spec), spec, at);
	if (starts_with(spec, "http")) /* https://token@host: drop it all */
		return xasprintf("%.*s%s", (int)(a - spec), spec, at + 1);
	return xstrdup(spec);
}

/* Fills host, port, user and secret of ctx from the (unredacted) spec. */
static void parse_url(struct remote_ctx *c, const char *spec)
{
	const char *end, *a = authority(spec, &end), *at, *hp, *colon;

	c->port = starts_with(spec, "https://")  ? 443
	          : starts_with(spec, "http://") ? 80
	                                         : 22;
	if (!a) { /* scp-style user@host:path */
		at = strchr(spec, '@');
		colon = strchr(at, ':');
		c->user = xstrndup(spec, (size_t)(at - spec));
		c->host = xstrndup(at + 1, (size_t)(colon - at - 1));
		return;
	}
	at = memrchr(a, '@', (size_t)(end - a));
	hp = at ? at + 1 : a;
	if (at) {
		colon = memchr(a, ':', (size_t)(at - a));
		c->user = xstrndup(a, (size_t)((colon ? colon : at) - a));
		if (colon)
			c->secret =
			        xstrndup(colon + 1, (size_t)(at - colon - 1));
	}
	if (*hp == '[') { /* [v6]:port */
		colon = memchr(hp, ']', (size_t)(end - hp));
		c->host = xstrndup(hp + 1,
		                   (size_t)((colon ? colon : end) - hp - 1));
		colon = colon ? memchr(colon, ':', (size_t)(end - colon))
		              : NULL;
	} else {
		colon = memchr(hp, ':', (size_t)(end - hp));
		c->host = xstrndup(hp, (size_t)((colon ? colon : end) - hp));
	}
	if (colon && colon + 1 < end)
		c->port = (int)strtol(colon + 1, NULL, 10);
}

static void ctx_release(struct remote_ctx *c)
{
	free(c->host);
	free(c->user);
	if (c->secret)
		explicit_bzero(c->secret, strlen(c->secret));
	free(c->secret);
}

static int cb_fail(struct remote_ctx *c, int code, const char *fmt, ...)
        PRINTF(3, 4);
static int cb_fail(struct remote_ctx *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	c->code = code;
	return GIT_EUSER;
}

/* --- known_hosts ----------------------------------------------------- */

static const char b64chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode(const unsigned char *p, size_t n)
{
	char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		*o++ = b64chars[(v >> 18) & 63];
		*o++ = b64chars[(v >> 12) & 63];
		*o++ = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? b64chars[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* Decodes up to max bytes of s[0..n) into out; returns the length or -1. */
static long b64_decode(unsigned char *out, size_t max, const char *s, size_t n)
{
	unsigned v = 0, bits = 0;
	size_t len = 0, i;

	for (i = 0; i < n && s[i] != '='; i++) {
		const char *c = strchr(b64chars, s[i]);
		if (!c || !s[i])
			return -1;
		v = (v << 6) | (unsigned)(c - b64chars);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (len == max)
				return -1;
			out[len++] = (unsigned char)(v >> bits);
		}
	}
	return (long)len;
}

/* Does "|1|salt|hash" hash name? (OpenSSH's HashKnownHosts format) */
static int hashed_match(const char *pat, size_t n, const char *name)
{
	unsigned char salt[64], want[64], got[EVP_MAX_MD_SIZE];
	unsigned got_len = 0;
	const char *bar = memchr(pat + 3, '|', n - 3);
	long salt_len, want_len;

	if (!bar)
		return 0;
	salt_len = b64_decode(salt, sizeof(salt), pat + 3,
	                      (size_t)(bar - pat - 3));
	want_len = b64_decode(want, sizeof(want), bar + 1,
	                      (size_t)(pat + n - bar - 1));
	if (salt_len <= 0 || want_len != 20)
		return 0;
	if (!HMAC(EVP_sha1(), salt, (int)salt_len, (const unsigned char *)name,
	          strlen(name), got, &got_len))
		return 0;
	return got_len == 20 && !memcmp(got, want, 20);
}

/* OpenSSH's patterns: only '*' and '?' are special ("[host]:port" is not). */
static int wild_match(const char *pat, size_t n, const char *s)
{
	for (; n; pat++, n--, s++) {
		if (*pat == '*') {
			do {
				if (wild_match(pat + 1, n - 1, s))
					return 1;
			} while (*s++);
			return 0;
		}
		if (!*s || (*pat != '?' && tolower((unsigned char)*pat) !=
		                                   tolower((unsigned char)*s)))
			return 0;
	}
	return !*s;
}

/* 1: a pattern of the comma-separated list matches, -1: negated, 0: no. */
static int hosts_match(const char *list, const char *name)
{
	int found = 0;

	while (*list) {
		size_t n = strcspn(list, ",");
		int neg = *list == '!', hit;
		const char *p = list + neg;
		size_t pn = n - (size_t)neg;

		if (pn > 3 && !strncmp(p, "|1|", 3)) {
			hit = hashed_match(p, pn, name);
		} else {
			hit = wild_match(p, pn, name);
		}
		if (hit && neg)
			return -1;
		found |= hit;
		list += n + (list[n] == ',');
	}
	return found;
}

/* Scans the known_hosts text for name: 1 key matches, 0 none, -1 differs. */
static int known_hosts_scan(char *text, const char *name, const char *b64,
                            int *revoked)
{
	int seen = 0;
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[4] = {0}, *fs = NULL, *tok;
		int nf = 0, marker;

		for (tok = strtok_r(line, " \t\r", &fs); tok && nf < 4;
		     tok = strtok_r(NULL, " \t\r", &fs))
			f[nf++] = tok;
		if (nf < 3 || f[0][0] == '#')
			continue;
		marker = f[0][0] == '@';
		/* @cert-authority lines: host certificates are unsupported */
		if (marker && (nf < 4 || strcmp(f[0], "@revoked")))
			continue;
		if (hosts_match(f[marker], name) != 1)
			continue;
		if (strcmp(f[marker + 2], b64)) {
			seen = 1;
			continue;
		}
		if (marker) {
			*revoked = 1;
			return -1;
		}
		return 1;
	}
	return seen ? -1 : 0;
}

static const char *known_hosts_path(const struct repo_opts *o, char **tofree)
{
	const char *home = getenv("HOME");

	*tofree = NULL;
	if (o->known_hosts)
		return o->known_hosts;
	*tofree = xasprintf("%s/.ssh/known_hosts", home ? home : "");
	return *tofree;
}

static int check_host_key(struct remote_ctx *c, const git_cert_hostkey *hk)
{
	char *tofree, *b64 = NULL, *name;
	const char *file = known_hosts_path(c->opts, &tofree);
	struct buf kh;
	int rc, revoked = 0;

	name = c->port == 22 ? xstrdup(c->host)
	                     : xasprintf("[%s]:%d", c->host, c->port);
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
	b64 = b64_encode((const unsigned char *)hk->hostkey, hk->hostkey_len);
	/* an empty file leaves kh.ptr NULL: nothing is known */
	rc = kh.len ? known_hosts_scan(kh.ptr, name, b64, &revoked) : 0;
	if (rc == 1)
		rc = 0;
	else if (rc == 0)
		rc = cb_fail(c, ERR_AUTH, "host key for '%s' is not in %s",
		             name, file);
	else
		rc = cb_fail(c, ERR_AUTH,
		             "host key for '%s' %s known_hosts (possible "
		             "man-in-the-middle)",
		             name,
		             revoked ? "is revoked in" : "does not match");
out:
	buf_release(&kh);
	free(b64);
	free(name);
	free(tofree);
	return rc;
}

/* --- callbacks --------------------------------------------------------- */

static int cert_cb(git_cert *cert, int valid, const char *host, void *payload)
{
	struct remote_ctx *c = payload;

	if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2)
		return check_host_key(c, (const git_cert_hostkey *)cert);
	if (valid)
		return 0;
	return cb_fail(c, ERR_AUTH,
	               "the TLS certificate of '%s' is not "
	               "trusted",
	               host);
}

static int ssh_key_cred(git_credential **out, struct remote_ctx *c,
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

static int cred_cb(git_credential **out, const char *url, const char *url_user,
                   unsigned int allowed, void *payload)
{
	struct remote_ctx *c = payload;
	const char *user = url_user ? url_user : c->user;
	const char *secret = c->opts->token ? c->opts->token : c->secret;

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
static int remote_error(struct remote_ctx *c, int rc, struct err *err)
{
	if (c->code)
		return err_set(err, c->code, "%s", c->msg);
	if (rc == GIT_EAUTH)
		return err_set(err, ERR_AUTH,
		               "'%s' refused the credentials: "
		               "%s",
		               c->url, lg_msg());
	if (rc == GIT_ECERTIFICATE)
		return err_set(err, ERR_AUTH, "'%s': %s", c->url, lg_msg());
	return err_set(err, ERR_REMOTE, "cannot reach '%s': %s", c->url,
	               lg_msg());
}

/* --- the cache --------------------------------------------------------- */

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

/* "<host-and-path, sanitised>-<FNV-1a of the redacted URL>" */
static char *cache_key(const char *url)
{
	const char *p = strstr(url, "://");
	uint64_t h = 0xcbf29ce484222325ull;
	char san[49];
	size_t n = 0;

	for (const char *q = url; *q; q++)
		h = (h ^ (unsigned char)*q) * 0x100000001b3ull;
	for (p = p ? p + 3 : url; *p && n < sizeof(san) - 1; p++) {
		int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		         (*p >= '0' && *p <= '9') || *p == '.';
		if (ok || (n && san[n - 1] != '-'))
			san[n++] = ok ? *p : '-';
	}
	san[n] = '\0';
	return xasprintf("%s-%016llx", san, (unsigned long long)h);
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

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Points refs/remotes/origin/HEAD at the remote's default branch. */
static void update_remote_head(git_repository *gr, git_remote *remote)
{
	git_buf def = {0};
	git_reference *ref = NULL;
	char *target;

	if (git_remote_default_branch(&def, remote) < 0 ||
	    !starts_with(def.ptr, "refs/heads/")) {
		if (!git_reference_lookup(&ref, gr, "refs/remotes/origin/HEAD"))
			(void)git_reference_delete(ref);
		goto out;
	}
	target = xasprintf("refs/remotes/origin/%s", def.ptr + 11);
	if (git_reference_symbolic_create(&ref, gr, "refs/remotes/origin/HEAD",
	                                  target, 1, "kedge: remote HEAD") < 0)
		log_warn("repo", "cannot record the default branch: %s",
		         lg_msg());
	free(target);
out:
	git_reference_free(ref);
	git_buf_dispose(&def);
}

/*
 * Fetches with an in-memory remote and explicit refspecs: a named remote
 * would make libgit2 match config keys with regexes, which leak in
 * Debian's libgit2 1.5 build, and nothing needs the remote in the config.
 */
static int fetch(git_repository *gr, struct remote_ctx *c, struct err *err)
{
	static char heads[] = "+refs/heads/*:refs/remotes/origin/*";
	static char tags[] = "+refs/tags/*:refs/tags/*";
	static char *specs[] = {heads, tags};
	const git_strarray refspecs = {specs, ARRAY_SIZE(specs)};
	git_remote_create_options ro;
	git_fetch_options fo;
	git_remote *remote = NULL;
	int rc;

	(void)git_remote_create_options_init(&ro,
	                                     GIT_REMOTE_CREATE_OPTIONS_VERSION);
	ro.repository = gr;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
	           GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	(void)git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.callbacks.credentials = cred_cb;
	fo.callbacks.certificate_check = cert_cb;
	fo.callbacks.payload = c;
	fo.prune = GIT_FETCH_PRUNE;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	if (git_remote_create_with_opts(&remote, c->url, &ro) < 0) {
		rc = err_set(err, ERR_INVALID, "'%s' is not a usable URL: %s",
		             c->url, lg_msg());
		goto out;
	}
	log_debug("repo", "fetching url=%s", c->url);
	rc = git_remote_fetch(remote, &refspecs, &fo, "kedge: fetch");
	if (rc < 0) {
		rc = remote_error(c, rc, err);
		goto out;
	}
	update_remote_head(gr, remote);
out:
	git_remote_free(remote);
	return rc;
}

/* Clones into a temporary folder and renames it, so no half cache stays. */
static int clone_cache(const char *dir, struct remote_ctx *c, struct err *err)
{
	char *tmp = xasprintf("%s.tmp.%ld", dir, (long)getpid());
	git_repository *gr = NULL;
	int rc;

	(void)nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (git_repository_init(&gr, tmp, 1) < 0) {
		rc = err_set(err, ERR_IO, "cannot create a cache in '%s': %s",
		             tmp, lg_msg());
		goto out;
	}
	rc = fetch(gr, c, err);
	if (!rc && rename(tmp, dir))
		rc = err_set(err, ERR_IO, "cannot rename '%s': %s", tmp,
		             strerror(errno));
out:
	git_repository_free(gr);
	if (rc)
		(void)nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(tmp);
	return rc;
}

static int open_remote(struct repo *r, const char *spec,
                       const struct repo_opts *o, struct err *err)
{
	struct remote_ctx c = {.opts = o, .url = r->name};
	char *root = cache_root(o), *key = cache_key(r->name);
	char *dir = xasprintf("%s/%s", root, key);
	char *lock = xasprintf("%s.lock", dir);
	int fd = -1, rc, have;

	parse_url(&c, spec);
	if ((rc = mkdirs(root, err)))
		goto out;
	have = !access(dir, F_OK);
	if (o->offline && !have) {
		rc = err_set(err, ERR_NOTFOUND,
		             "no cached copy of '%s' in %s "
		             "(offline)",
		             r->name, root);
		goto out;
	}
	if (!o->offline) {
		if ((rc = lock_cache(&fd, lock,
		                     o->lock_wait_ms ? o->lock_wait_ms : 60000,
		                     err)))
			goto out;
		have = !access(dir, F_OK); /* another kedge may have cloned */
	}
	if (!have && (rc = clone_cache(dir, &c, err)))
		goto out;
	if (git_repository_open_bare(&r->gr, dir) < 0) {
		rc = err_set(err, ERR_IO, "cannot open the cache '%s': %s", dir,
		             lg_msg());
		goto out;
	}
	if (have && !o->offline)
		rc = fetch(r->gr, &c, err);
out:
	if (fd >= 0)
		close(fd);
	ctx_release(&c);
	free(lock);
	free(dir);
	free(key);
	free(root);
	return rc;
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
		             lg_msg());
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
	r->name = repo_redact(spec);
	r->remote = repo_is_remote(spec);
	if (r->remote) {
		rc = open_remote(r, spec, opts ? opts : &none, err);
	} else if (git_repository_open_ext(&r->gr, spec,
	                                   GIT_REPOSITORY_OPEN_NO_SEARCH,
	                                   NULL) < 0) {
		rc = err_set(err, ERR_NOTFOUND,
		             "'%s' is not a git "
		             "repository: %s",
		             spec, lg_msg());
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
	free(r);
	repo_global_shutdown();
}

const char *repo_commit(const struct repo *r)
{
	return r->id;
}

const char *repo_name(const struct repo *r)
{
	return r->name;
}

static int entry_at(git_tree_entry **out, struct repo *r, const char *path,
                    struct err *err)
{
	int rc = git_tree_entry_bypath(out, r->tree, path);

	if (rc == GIT_ENOTFOUND)
		return err_set(err, ERR_NOTFOUND, "'%s' not found in %s", path,
		               r->name);
	if (rc < 0)
		return err_set(err, ERR_IO, "cannot read '%s' in %s: %s", path,
		               r->name, lg_msg());
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
	if ((rc = entry_at(&e, r, path, err)))
		return rc;
	*out = kind_of(e);
	git_tree_entry_free(e);
	return 0;
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
	if ((rc = entry_at(&e, r, path, err)))
		return rc;
	if (kind_of(e) == REPO_TREE || kind_of(e) == REPO_SUBMODULE) {
		rc = err_set(err, ERR_INVALID, "'%s' is a %s", path,
		             kind_of(e) == REPO_TREE ? "folder" : "submodule");
		goto out;
	}
	if (git_blob_lookup(&blob, r->gr, git_tree_entry_id(e)) < 0) {
		rc = err_set(err, ERR_IO, "cannot read '%s' in %s: %s", path,
		             r->name, lg_msg());
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
		if ((rc = entry_at(&e, r, path, err)))
			return rc;
		if (kind_of(e) != REPO_TREE) {
			rc = err_set(err, ERR_NOTFOUND, "'%s' is not a folder",
			             path);
			goto out;
		}
		if (git_tree_lookup(&t, r->gr, git_tree_entry_id(e)) < 0) {
			rc = err_set(err, ERR_IO, "cannot read '%s' in %s: %s",
			             path, r->name, lg_msg());
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
