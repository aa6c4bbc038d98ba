/*
 * test-repo-write.c: unit tests of the writing half of repo.h
 * (repo-write.c): repo_commit_create, repo_push, repo_diff_text.
 *
 * Owns: bare repositories seeded with the git CLI in a temporary folder,
 * a fresh one per case (cases may run in forked children, in any order),
 * and one case per behaviour, checked with `git -C ... log/show/cat-file`.
 * Remotes are file:// URLs to bare repositories, reached through the
 * cache clone as any remote is. Does not own: ssh and https remotes
 * (tests/integration).
 */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "unit.h"

#include "buf.h"
#include "err.h"
#include "repo.h"
#include "url.h"

static char tmp[PATH_MAX];
static pid_t owner;

static const struct repo_signature author = {"Kedge Bot", "bot@kedge.test"};

static void sh(const char *fmt, ...) PRINTF(1, 2);
static void sh(const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int rc;

	va_start(ap, fmt);
	cmd = xvasprintf(fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0) {
		fprintf(stderr, "test-repo-write: failed (%d): %s\n", rc, cmd);
		exit(1);
	}
	free(cmd);
}

/* The whole output of a shell command, without its final newline. */
static char *capture(const char *fmt, ...) PRINTF(1, 2);
static char *capture(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	char *cmd, chunk[4096];
	size_t n;
	FILE *p;

	va_start(ap, fmt);
	cmd = xvasprintf(fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	while (p && (n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		if (buf_add(&b, chunk, n))
			abort();
	if (p)
		pclose(p);
	free(cmd);
	if (b.len && b.ptr[b.len - 1] == '\n')
		b.ptr[--b.len] = '\0';
	return buf_detach(&b, NULL);
}

static void cleanup(void)
{
	if (getpid() == owner && *tmp)
		sh("rm -rf %s", tmp);
}

static void setup_env(void)
{
	snprintf(tmp, sizeof(tmp), "%s/kedge-repo-write-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp))
		abort();
	owner = getpid();
	atexit(cleanup);
	setenv("GIT_AUTHOR_NAME", "t", 1);
	setenv("GIT_AUTHOR_EMAIL", "t@example.com", 1);
	setenv("GIT_COMMITTER_NAME", "t", 1);
	setenv("GIT_COMMITTER_EMAIL", "t@example.com", 1);
	setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
}

/*
 * A bare repository tmp/<name>.git whose branch main has one commit:
 * README, nodes.yml, stacks/shop/compose.yml, stacks/shop/run.sh (mode
 * 755), link -> README, one/two/three/deep.yml. Returns its path.
 */
static char *seed_bare(const char *name)
{
	char *bare = xasprintf("%s/%s.git", tmp, name);

	sh("set -e; cd %s; git init -q --bare -b main %s.git; git init -q -b "
	   "main "
	   "%s.w; cd %s.w; mkdir -p stacks/shop one/two/three;"
	   "printf 'hello\\n' > README; printf 'nodes: []\\n' > nodes.yml;"
	   "printf 'services: {}\\n' > stacks/shop/compose.yml;"
	   "printf 'echo hi\\n' > stacks/shop/run.sh;"
	   "chmod 755 stacks/shop/run.sh; ln -s README link;"
	   "printf deep > one/two/three/deep.yml; git add -A;"
	   "git commit -q -m seed; git push -q %s main; cd ..; rm -rf %s.w",
	   tmp, name, name, name, bare, name);
	return bare;
}

static char *head_of(const char *repo, const char *ref)
{
	return capture("git -C %s rev-parse -q --verify %s", repo, ref);
}

static struct repo *open_ok(const char *spec, const char *ref,
                            const struct repo_opts *o)
{
	struct repo *r = NULL;
	struct err e = {0};
	int rc = repo_open(&r, spec, ref, o, &e);

	ck_assert_msg(rc == 0, "repo_open %s: %s", spec, e.msg);
	return r;
}

/* Commits changes on r's commit; returns the new id (static storage). */
static const char *commit_ok(struct repo *r, const struct repo_change *ch,
                             size_t n, const char *msg)
{
	static char id[41];
	struct err e = {0};
	int rc = repo_commit_create(id, r, ch, n, &author, msg, &e);

	ck_assert_msg(rc == 0, "repo_commit_create: %s", e.msg);
	ck_assert_uint_eq(strlen(id), 40);
	return id;
}

static void assert_show(const char *repo, const char *commit, const char *path,
                        const char *want)
{
	char *got = capture("git -C %s show %s:%s", repo, commit, path);

	ck_assert_str_eq(got, want);
	free(got);
}

static void assert_err(int rc, const struct err *e, int code, const char *msg)
{
	ck_assert_int_eq(rc, code);
	ck_assert_msg(strstr(e->msg, msg), "'%s' lacks '%s'", e->msg, msg);
}

#define CH(p, s)                        \
	{                               \
		(p), (s), sizeof(s) - 1 \
	}
#define DEL(p)               \
	{                    \
		(p), NULL, 0 \
	}

/* --- repo_commit_create --------------------------------------------------- */

START_TEST(commit_writes_objects_moves_no_ref)
{
	char *bare = seed_bare("commit"), *before = head_of(bare, "main");
	char *refs = capture("git -C %s for-each-ref", bare), *s;
	struct repo *r = open_ok(bare, NULL, NULL);
	struct repo_change ch[] = {
	        CH("stacks/shop/compose.yml", "services:\n  api: {}\n"),
	        CH("stacks/shop/run.sh", "echo bye\n"),
	        CH("new/dir/x.yml", "x: 1\n"),
	};
	char id[41];

	snprintf(id, sizeof(id), "%s", commit_ok(r, ch, 3, "Scale api\n\n"));
	ck_assert_str_eq(repo_commit(r), before);
	s = capture("git -C %s cat-file -t %s", bare, id);
	ck_assert_str_eq(s, "commit");
	free(s);
	assert_show(bare, id, "stacks/shop/compose.yml",
	            "services:\n  api: {}");
	assert_show(bare, id, "new/dir/x.yml", "x: 1");
	assert_show(bare, id, "README", "hello");
	s = capture(
	        "git -C %s log -1 --format='%%P|%%an <%%ae>|%%cn <%%ce>|%%B' "
	        "%s",
	        bare, id);
	ck_assert_msg(starts_with(s, before), "%s", s);
	ck_assert_str_eq(s + 40, "|Kedge Bot <bot@kedge.test>|Kedge Bot "
	                         "<bot@kedge.test>|Scale api\n");
	free(s);
	/* the message's bytes: cleaned up as git does, one final LF */
	s = capture("git -C %s cat-file commit %s | sed '1,/^$/d' | "
	            "od -An -tx1 | tr -d ' \\n'",
	            bare, id);
	ck_assert_str_eq(s, "5363616c65206170690a");
	free(s);
	s = capture("git -C %s ls-tree %s stacks/shop/run.sh | cut -c1-6", bare,
	            id);
	ck_assert_str_eq(s, "100755");
	free(s);
	s = capture("git -C %s ls-tree -r --name-only %s | tr '\\n' ' '", bare,
	            id);
	ck_assert_str_eq(s, "README link new/dir/x.yml nodes.yml "
	                    "one/two/three/deep.yml stacks/shop/compose.yml "
	                    "stacks/shop/run.sh ");
	free(s);
	/* no ref moved, none was created */
	s = capture("git -C %s for-each-ref", bare);
	ck_assert_str_eq(s, refs);
	free(s);
	repo_free(r);
	free(refs);
	free(before);
	free(bare);
}
END_TEST

START_TEST(commit_deletes_and_drops_emptied_folders)
{
	char *bare = seed_bare("delete"), *s;
	struct repo *r = open_ok(bare, "main", NULL);
	struct repo_change ch[] = {
	        DEL("one/two/three/deep.yml"),
	        DEL("README"),
	        DEL("link"),
	};
	struct repo_change missing[] = {DEL("stacks/nope.yml")};
	struct repo_change no_dir[] = {DEL("nope/x.yml")};
	struct err e = {0};
	char id[41];

	snprintf(id, sizeof(id), "%s", commit_ok(r, ch, 3, "clean up"));
	s = capture("git -C %s ls-tree -r -t --name-only %s | tr '\\n' ' '",
	            bare, id);
	ck_assert_str_eq(s, "nodes.yml stacks stacks/shop "
	                    "stacks/shop/compose.yml stacks/shop/run.sh ");
	free(s);
	assert_err(repo_commit_create(id, r, missing, 1, &author, "x", &e), &e,
	           ERR_NOTFOUND,
	           "cannot delete 'stacks/nope.yml': not found in ");
	assert_err(repo_commit_create(id, r, no_dir, 1, &author, "x", &e), &e,
	           ERR_NOTFOUND, "cannot delete 'nope/x.yml': not found in ");
	repo_free(r);
	free(bare);
}
END_TEST

START_TEST(commit_rejects_bad_paths)
{
	static const struct {
		const char *path, *msg;
	} bad[] = {
	        {"", "invalid path '': empty"},
	        {"/etc/passwd", "'/etc/passwd': it starts with '/'"},
	        {"a/../README", "'a/../README': it has a '.' or '..'"},
	        {"..", "'..': it has a '.' or '..'"},
	        {"./README", "'./README': it has a '.' or '..'"},
	        {"a//b", "'a//b': it has an empty component"},
	        {"a/", "'a/': it has an empty component"},
	        {".git/config", "'.git/config': it has a '.git' component"},
	        {"x/.GIT/hooks", "'x/.GIT/hooks': it has a '.git' component"},
	        {"stacks", "'stacks': a folder"},
	        {"stacks/shop", "'stacks/shop': a folder"},
	        {"README/x.yml", "'README/x.yml': 'README' is a file"},
	        {"stacks/shop/compose.yml/a/b",
	         "'stacks/shop/compose.yml/a/b': 'stacks/shop/compose.yml' is "
	         "a file"},
	        {"link", "'link': a symbolic link"},
	};
	char *bare = seed_bare("badpath"), *refs;
	struct repo *r = open_ok(bare, NULL, NULL);
	struct repo_change twice[] = {CH("a.yml", "1"), CH("a.yml", "2")};
	/* sorted, "d-x" comes between "d" and "d/e/f" */
	struct repo_change nested[] = {CH("d/e/f", "1"), CH("d-x", "3"),
	                               CH("d", "2")};
	struct repo_change ok[] = {CH("fine.yml", "1")};
	struct repo_change same[] = {CH("README", "hello\n")};
	struct repo_change nopath[] = {{NULL, "x", 1}};
	struct repo_signature nobody = {"", "x@y"};
	struct err e;
	char id[41], *s;
	size_t i;

	refs = capture("git -C %s for-each-ref", bare);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct repo_change c = {bad[i].path, "data", 4};

		err_clear(&e);
		assert_err(repo_commit_create(id, r, &c, 1, &author, "m", &e),
		           &e, ERR_INVALID, bad[i].msg);
	}
	err_clear(&e);
	assert_err(repo_commit_create(id, r, twice, 2, &author, "m", &e), &e,
	           ERR_INVALID, "'a.yml': it is changed twice");
	assert_err(repo_commit_create(id, r, nested, 3, &author, "m", &e), &e,
	           ERR_INVALID, "'d/e/f': it is under 'd', which is also");
	assert_err(repo_commit_create(id, r, ok, 1, &author, "", &e), &e,
	           ERR_INVALID, "the commit message is empty");
	assert_err(repo_commit_create(id, r, ok, 1, &author, " \n\n \n", &e),
	           &e, ERR_INVALID, "the commit message is empty");
	assert_err(repo_commit_create(id, r, ok, 1, &nobody, "m", &e), &e,
	           ERR_INVALID, "invalid author");
	assert_err(repo_commit_create(id, r, nopath, 1, &author, "m", &e), &e,
	           ERR_INVALID, "invalid path '': empty");
	/* no empty commits: none for no change, none for the same bytes */
	assert_err(repo_commit_create(id, r, NULL, 0, &author, "m", &e), &e,
	           ERR_INVALID,
	           "nothing to commit: the changes leave the "
	           "files of ");
	assert_err(repo_commit_create(id, r, same, 1, &author, "m", &e), &e,
	           ERR_INVALID, "nothing to commit");
	s = capture("git -C %s for-each-ref", bare);
	ck_assert_str_eq(s, refs);
	free(s);
	repo_free(r);
	free(refs);
	free(bare);
}
END_TEST

/* --- repo_push to a local repository ------------------------------------- */

START_TEST(push_local_compare_and_swap)
{
	char *bare = seed_bare("cas"), *seed = head_of(bare, "main"), *s;
	struct repo *r = open_ok(bare, NULL, NULL);
	struct repo_change one[] = {CH("nodes.yml", "nodes: [a]\n")};
	struct repo_change two[] = {CH("nodes.yml", "nodes: [b]\n")};
	struct err e = {0};
	char c1[41], c2[41];

	snprintf(c1, sizeof(c1), "%s", commit_ok(r, one, 1, "one"));
	snprintf(c2, sizeof(c2), "%s", commit_ok(r, two, 1, "two"));
	ck_assert_int_eq(repo_push(r, c1, "main", seed, NULL, &e), 0);
	s = head_of(bare, "main");
	ck_assert_str_eq(s, c1);
	free(s);
	/* stale expected: someone (we) moved it since */
	assert_err(repo_push(r, c2, "main", seed, NULL, &e), &e, ERR_CONFLICT,
	           "branch 'main' moved on ");
	ck_assert_msg(strstr(e.msg, bare), "%s", e.msg);
	s = head_of(bare, "main");
	ck_assert_str_eq(s, c1);
	free(s);
	/* expected NULL: only a new branch */
	assert_err(repo_push(r, c2, "main", NULL, NULL, &e), &e, ERR_CONFLICT,
	           "branch 'main' exists on ");
	ck_assert_int_eq(repo_push(r, c2, "kedge/scale-api", NULL, NULL, &e),
	                 0);
	s = head_of(bare, "refs/heads/kedge/scale-api");
	ck_assert_str_eq(s, c2);
	free(s);
	assert_err(repo_push(r, c2, "gone", seed, NULL, &e), &e, ERR_CONFLICT,
	           "branch 'gone' moved on ");
	s = head_of(bare, "refs/heads/gone");
	ck_assert_str_eq(s, "");
	free(s);
	/* bad arguments */
	assert_err(repo_push(r, c2, "bad..name", NULL, NULL, &e), &e,
	           ERR_INVALID, "invalid branch name 'bad..name'");
	assert_err(repo_push(r, c2, "refs/heads/x", NULL, NULL, &e), &e,
	           ERR_INVALID, "invalid branch name");
	assert_err(repo_push(r, "1234", "x", NULL, NULL, &e), &e, ERR_INVALID,
	           "invalid commit id '1234'");
	assert_err(repo_push(r, c2, "x", "zz", NULL, &e), &e, ERR_INVALID,
	           "invalid expected commit id 'zz'");
	assert_err(repo_push(r, "0123456789012345678901234567890123456789", "x",
	                     NULL, NULL, &e),
	           &e, ERR_NOTFOUND, "no commit 0123456789");
	/* never by force: c2 is a sibling of c1, not a fast-forward */
	assert_err(repo_push(r, c2, "main", c1, NULL, &e), &e, ERR_CONFLICT,
	           "branch 'main' moved on ");
	ck_assert_msg(strstr(e.msg, "does not descend from"), "%s", e.msg);
	s = head_of(bare, "main");
	ck_assert_str_eq(s, c1);
	free(s);
	/* the CAS succeeds with the right expected and a descendant */
	repo_free(r);
	r = open_ok(bare, c1, NULL);
	snprintf(c2, sizeof(c2), "%s", commit_ok(r, two, 1, "two on one"));
	ck_assert_int_eq(repo_push(r, c2, "main", c1, NULL, &e), 0);
	s = head_of(bare, "main");
	ck_assert_str_eq(s, c2);
	free(s);
	repo_free(r);
	free(seed);
	free(bare);
}
END_TEST

START_TEST(push_local_refuses_checked_out_branch)
{
	char *w = xasprintf("%s/worktree", tmp), *before, *s;
	struct repo *r;
	struct repo_change ch[] = {CH("f", "new")};
	struct err e = {0};
	char id[41];

	sh("set -e; git init -q -b main %s; cd %s; printf old > f; git add f;"
	   "git commit -q -m one",
	   w, w);
	before = head_of(w, "main");
	r = open_ok(w, NULL, NULL);
	snprintf(id, sizeof(id), "%s", commit_ok(r, ch, 1, "change f"));
	assert_err(repo_push(r, id, "main", before, NULL, &e), &e,
	           ERR_UNSUPPORTED, "branch 'main' is checked out in ");
	ck_assert_msg(strstr(e.msg, "kedge pushes to a bare repository or a "
	                            "remote"),
	              "%s", e.msg);
	s = head_of(w, "main");
	ck_assert_str_eq(s, before);
	free(s);
	/* another branch of a work tree is fine: nothing shows it */
	ck_assert_int_eq(repo_push(r, id, "proposal", NULL, NULL, &e), 0);
	s = head_of(w, "proposal");
	ck_assert_str_eq(s, id);
	free(s);
	repo_free(r);
	free(before);
	free(w);
}
END_TEST

/* --- repo_push to a remote, through the cache ------------------------------
 */

/* The one cache clone under cache (the folder, not its lock). */
static char *cache_clone(const char *cache)
{
	return capture("ls -d %s/*/ | head -1", cache);
}

START_TEST(push_remote_file_url)
{
	char *bare = seed_bare("remote"), *seed = head_of(bare, "main");
	char *url = xasprintf("file://%s", bare);
	char *cache = xasprintf("%s/cache-remote", tmp), *clone, *s;
	struct repo_opts o = {.cache_dir = cache, .git_timeout_ms = 20000};
	struct repo *r = open_ok(url, "main", &o), *again;
	struct repo_change ch[] = {CH("stacks/shop/compose.yml", "v2\n")};
	struct err e = {0};
	char id[41];

	ck_assert_str_eq(repo_commit(r), seed);
	snprintf(id, sizeof(id), "%s", commit_ok(r, ch, 1, "remote change"));
	ck_assert_int_eq(repo_push(r, id, "main", seed, &o, &e), 0);
	s = head_of(bare, "main");
	ck_assert_str_eq(s, id);
	free(s);
	assert_show(bare, "main", "stacks/shop/compose.yml", "v2");
	/* the cache's tracking ref followed; no temporary ref is left */
	clone = cache_clone(cache);
	s = head_of(clone, "refs/remotes/origin/main");
	ck_assert_str_eq(s, id);
	free(s);
	s = capture("git -C %s for-each-ref refs/kedge", clone);
	ck_assert_str_eq(s, "");
	free(s);
	o.offline = 1;
	again = open_ok(url, "main", &o);
	ck_assert_str_eq(repo_commit(again), id);
	repo_free(again);
	o.offline = 0;
	/* a new branch; then the same again, which now exists */
	ck_assert_int_eq(repo_push(r, id, "kedge/proposal", NULL, &o, &e), 0);
	s = head_of(bare, "refs/heads/kedge/proposal");
	ck_assert_str_eq(s, id);
	free(s);
	assert_err(repo_push(r, id, "kedge/proposal", NULL, &o, &e), &e,
	           ERR_CONFLICT, "branch 'kedge/proposal' exists on file://");
	s = capture("git -C %s for-each-ref refs/kedge", clone);
	ck_assert_str_eq(s, "");
	free(s);
	repo_free(r);
	free(clone);
	free(cache);
	free(url);
	free(seed);
	free(bare);
}
END_TEST

START_TEST(push_remote_race_is_a_conflict)
{
	char *bare = seed_bare("race"), *seed = head_of(bare, "main");
	char *url = xasprintf("file://%s", bare);
	char *cache = xasprintf("%s/cache-race", tmp), *theirs, *clone, *s;
	struct repo_opts o = {.cache_dir = cache};
	struct repo *r = open_ok(url, "main", &o);
	struct repo_change ch[] = {CH("nodes.yml", "ours\n")};
	struct err e = {0};
	char id[41];

	snprintf(id, sizeof(id), "%s", commit_ok(r, ch, 1, "ours"));
	/* someone else pushes first */
	sh("set -e; cd %s; git clone -q %s other; cd other;"
	   "printf theirs > nodes.yml; git commit -q -am theirs; git push -q",
	   tmp, bare);
	theirs = head_of(bare, "main");
	ck_assert_str_ne(theirs, seed);
	assert_err(repo_push(r, id, "main", seed, &o, &e), &e, ERR_CONFLICT,
	           "branch 'main' moved on file://");
	s = head_of(bare, "main");
	ck_assert_str_eq(s, theirs);
	free(s);
	repo_free(r);
	/*
	 * The caller claims the new head but pushes a commit that does not
	 * descend from it: git's fast-forward rule refuses it.
	 */
	r = open_ok(url, seed, &o); /* fetches theirs into the cache */
	snprintf(id, sizeof(id), "%s", commit_ok(r, ch, 1, "ours again"));
	assert_err(repo_push(r, id, "main", theirs, &o, &e), &e, ERR_CONFLICT,
	           "branch 'main' moved on file://");
	s = head_of(bare, "main");
	ck_assert_str_eq(s, theirs);
	free(s);
	clone = cache_clone(cache);
	s = head_of(clone, "refs/remotes/origin/main");
	ck_assert_str_eq(s, theirs);
	free(s);
	s = capture("git -C %s for-each-ref refs/kedge", clone);
	ck_assert_str_eq(s, "");
	free(s);
	repo_free(r);
	free(clone);
	free(theirs);
	free(cache);
	free(url);
	free(seed);
	free(bare);
}
END_TEST

START_TEST(push_remote_refused_is_quoted)
{
	char *w = xasprintf("%s/nonbare", tmp), *before, *s;
	char *url = xasprintf("file://%s", w);
	char *cache = xasprintf("%s/cache-refused", tmp);
	struct repo_opts o = {.cache_dir = cache};
	struct repo_change ch[] = {CH("f", "new")};
	struct repo *r;
	struct err e = {0};
	char id[41];

	sh("set -e; git init -q -b main %s; cd %s; printf old > f; git add f;"
	   "git commit -q -m one",
	   w, w);
	before = head_of(w, "main");
	r = open_ok(url, "main", &o);
	snprintf(id, sizeof(id), "%s", commit_ok(r, ch, 1, "change f"));
	/* libgit2's file:// transport pushes only to bare repositories */
	assert_err(repo_push(r, id, "side", NULL, &o, &e), &e, ERR_REMOTE,
	           "cannot push to 'file://");
	ck_assert_msg(strstr(e.msg, "non-bare"), "%s", e.msg);
	s = head_of(w, "main");
	ck_assert_str_eq(s, before);
	free(s);
	s = head_of(w, "refs/heads/side");
	ck_assert_str_eq(s, "");
	free(s);
	repo_free(r);
	free(before);
	free(cache);
	free(url);
	free(w);
}
END_TEST

/* A loopback TCP port that accepts connections and never answers. */
static int silent_listener(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Makes the cache clone of url (as a fetch would) from the bare repo. */
static void seed_cache(const char *cache, const char *url, const char *bare)
{
	char *red = url_redact(url), *key = url_cache_key(red);

	sh("set -e; mkdir -p %s; git clone -q --bare %s %s/%s;"
	   "git -C %s/%s update-ref refs/remotes/origin/main main",
	   cache, bare, cache, key, cache, key);
	free(key);
	free(red);
}

START_TEST(push_remote_deadline_and_unreachable)
{
	char *bare = seed_bare("deadline"), *seed = head_of(bare, "main");
	char *cache = xasprintf("%s/cache-deadline", tmp), *url;
	struct repo_opts o = {
	        .cache_dir = cache, .offline = 1, .git_timeout_ms = 700};
	struct repo_change ch[] = {CH("nodes.yml", "late\n")};
	struct repo *r;
	struct err e = {0};
	char id[41];
	int port, fd = silent_listener(&port);

	/* a server that accepts and then says nothing: killed at 700 ms */
	url = xasprintf("http://kedge:s3cr3t@127.0.0.1:%d/x.git", port);
	seed_cache(cache, url, bare);
	r = open_ok(url, "main", &o);
	snprintf(id, sizeof(id), "%s", commit_ok(r, ch, 1, "late"));
	assert_err(repo_push(r, id, "main", seed, &o, &e), &e, ERR_TIMEOUT,
	           "no answer within 700 ms");
	ck_assert_msg(strstr(e.msg, "http://kedge@127.0.0.1:"), "%s", e.msg);
	ck_assert_ptr_null(strstr(e.msg, "s3cr3t"));
	repo_free(r);
	free(url);
	close(fd);
	/* nobody listening */
	url = xasprintf("http://kedge:s3cr3t@127.0.0.1:1/x.git");
	seed_cache(cache, url, bare);
	r = open_ok(url, "main", &o);
	snprintf(id, sizeof(id), "%s", commit_ok(r, ch, 1, "late"));
	assert_err(repo_push(r, id, "main", seed, &o, &e), &e, ERR_REMOTE,
	           "cannot reach 'http://kedge@127.0.0.1:1/x.git'");
	ck_assert_ptr_null(strstr(e.msg, "s3cr3t"));
	repo_free(r);
	free(url);
	free(cache);
	free(seed);
	free(bare);
}
END_TEST

/* --- repo_diff_text ---------------------------------------------------------
 */

static char *diff_ok(const char *path, const char *old, const char *new_text)
{
	struct buf b = BUF_INIT;
	struct err e = {0};
	int rc = repo_diff_text(&b, path, old, old ? strlen(old) : 0, new_text,
	                        new_text ? strlen(new_text) : 0, &e);

	ck_assert_msg(rc == 0, "repo_diff_text: %s", e.msg);
	return buf_detach(&b, NULL);
}

START_TEST(diff_text_git_format)
{
	char *d;
	struct buf small;
	struct err e = {0};

	d = diff_ok("stacks/shop/compose.yml", "a\nb\nc\nd\ne\nf\ng\nh\n",
	            "a\nb\nc\nd\nE\nf\ng\nh\n");
	ck_assert_str_eq(d, "diff --git a/stacks/shop/compose.yml "
	                    "b/stacks/shop/compose.yml\n"
	                    "index 71ac1b5..1877275 100644\n"
	                    "--- a/stacks/shop/compose.yml\n"
	                    "+++ b/stacks/shop/compose.yml\n"
	                    "@@ -2,7 +2,7 @@ a\n"
	                    " b\n c\n d\n-e\n+E\n f\n g\n h\n");
	free(d);
	d = diff_ok("new.yml", NULL, "x\ny\n");
	ck_assert_str_eq(d, "diff --git a/new.yml b/new.yml\n"
	                    "new file mode 100644\n"
	                    "index 0000000..b77b4eb\n"
	                    "--- /dev/null\n"
	                    "+++ b/new.yml\n"
	                    "@@ -0,0 +1,2 @@\n"
	                    "+x\n+y\n");
	free(d);
	d = diff_ok("old.yml", "x\ny\n", NULL);
	ck_assert_str_eq(d, "diff --git a/old.yml b/old.yml\n"
	                    "deleted file mode 100644\n"
	                    "index b77b4eb..0000000\n"
	                    "--- a/old.yml\n"
	                    "+++ /dev/null\n"
	                    "@@ -1,2 +0,0 @@\n"
	                    "-x\n-y\n");
	free(d);
	d = diff_ok("same.yml", "x\n", "x\n");
	ck_assert_str_eq(d, "");
	free(d);
	d = diff_ok("none.yml", NULL, NULL);
	ck_assert_str_eq(d, "");
	free(d);
	/* appends, and respects the cap */
	buf_init(&small, 40);
	ck_assert_int_eq(buf_addstr(&small, "head\n"), 0);
	ck_assert_int_eq(repo_diff_text(&small, "a", "1\n", 2, "2\n", 2, &e),
	                 ERR_TOOBIG);
	ck_assert_msg(strstr(e.msg, "the diff of 'a' is larger than 40 bytes"),
	              "%s", e.msg);
	ck_assert_str_eq(buf_cstr(&small), "head\n");
	buf_release(&small);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("repo-write");
	TCase *tc;

	setup_env();
#define CASE(fn)                   \
	tc = tcase_create(#fn);    \
	tcase_set_timeout(tc, 60); \
	tcase_add_test(tc, fn);    \
	suite_add_tcase(s, tc)
	CASE(commit_writes_objects_moves_no_ref);
	CASE(commit_deletes_and_drops_emptied_folders);
	CASE(commit_rejects_bad_paths);
	CASE(push_local_compare_and_swap);
	CASE(push_local_refuses_checked_out_branch);
	CASE(push_remote_file_url);
	CASE(push_remote_race_is_a_conflict);
	CASE(push_remote_refused_is_quoted);
	CASE(push_remote_deadline_and_unreachable);
	CASE(diff_text_git_format);
#undef CASE
	return s;
}
