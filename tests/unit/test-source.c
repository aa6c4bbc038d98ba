/*
 * test-source.c: unit tests of source.h (and, through it, repo.c).
 *
 * Owns: small git repositories built with the git CLI in a temporary
 * folder once per run (before check forks), and one case per behaviour of
 * source.h. Does not own: remotes over ssh (tests/integration).
 */
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>

#include "unit.h"

#include "buf.h"
#include "err.h"
#include "source.h"

static char tmp[PATH_MAX];
static pid_t owner;

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
		fprintf(stderr, "test-source: failed (%d): %s\n", rc, cmd);
		exit(1);
	}
	free(cmd);
}

static char *capture(const char *fmt, ...) PRINTF(1, 2);
static char *capture(const char *fmt, ...)
{
	va_list ap;
	char *cmd, line[256] = "";
	FILE *p;

	va_start(ap, fmt);
	cmd = xvasprintf(fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p || !fgets(line, sizeof(line), p))
		line[0] = '\0';
	if (p)
		pclose(p);
	free(cmd);
	line[strcspn(line, "\n")] = '\0';
	return xstrdup(line);
}

/*
 * r: stacks/shop/{compose.yml (v1 then v2), link.yml -> compose.yml,
 * out -> ../../../etc/passwd, abs -> /etc/passwd, up -> ../../nodes.yml,
 * dirlink -> ../other, loop1 <-> loop2}, stacks/other/a.yml, nodes.yml,
 * sub (a submodule entry); tag v1 and branch dev at the first commit plus
 * dev.yml; an uncommitted edit of compose.yml. empty: no commits.
 */
static void build_fixture(void)
{
	sh("set -e; cd %s; git init -q -b main r; cd r;"
	   "mkdir -p stacks/shop stacks/other;"
	   "printf v1 > stacks/shop/compose.yml; printf a > stacks/other/a.yml;"
	   "printf nodes > nodes.yml; cd stacks/shop;"
	   "ln -s compose.yml link.yml; ln -s ../../../etc/passwd out;"
	   "ln -s /etc/passwd abs; ln -s ../../nodes.yml up;"
	   "ln -s ../other dirlink; ln -s loop2 loop1; ln -s loop1 loop2;"
	   "cd ../..; git add -A; git commit -q -m first; git tag v1;"
	   "git update-index --add --cacheinfo 160000,$(git rev-parse "
	   "HEAD),sub;"
	   "git commit -q -m sub; git checkout -q -b dev;"
	   "printf dev > dev.yml; git add dev.yml; git commit -q -m dev;"
	   "git checkout -q main; printf v2 > stacks/shop/compose.yml;"
	   "git add stacks/shop/compose.yml; git commit -q -m second; printf "
	   "dirty > stacks/shop/compose.yml;"
	   "git init -q %s/empty",
	   tmp, tmp);
}

static void cleanup(void)
{
	if (getpid() == owner && *tmp)
		sh("rm -rf %s", tmp);
}

static void setup_env(void)
{
	char *cache;

	snprintf(tmp, sizeof(tmp), "%s/kedge-source-XXXXXX",
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
	cache = xasprintf("%s/xdg", tmp);
	setenv("XDG_CACHE_HOME", cache, 1);
	free(cache);
	build_fixture();
}

/* Opens r (or a folder, or a URL) with the given ref and path. */
static struct source *open_ok(const struct source_opts *o)
{
	struct source *s = NULL;
	struct err e = {0};
	int rc = source_open(&s, o, &e);

	ck_assert_msg(rc == 0, "source_open: %s", e.msg);
	return s;
}

static int open_fails(struct err *e, const struct source_opts *o)
{
	struct source *s = NULL;
	int rc = source_open(&s, o, e);

	ck_assert_int_ne(rc, 0);
	ck_assert_ptr_null(s);
	return rc;
}

static char *repo_path(const char *name)
{
	return xasprintf("%s/%s", tmp, name);
}

static void assert_reads(struct source *s, const char *path, const char *want)
{
	struct buf b;
	struct err e = {0};
	int rc;

	buf_init(&b, 1 << 20);
	rc = source_read(&b, s, path, &e);
	ck_assert_msg(rc == 0, "read %s: %s", path, e.msg);
	ck_assert_str_eq(buf_cstr(&b), want);
	buf_release(&b);
}

static void assert_read_fails(struct source *s, const char *path, int code,
                              const char *msg)
{
	struct buf b;
	struct err e = {0};

	buf_init(&b, 1 << 20);
	ck_assert_int_eq(source_read(&b, s, path, &e), code);
	ck_assert_msg(strstr(e.msg, msg), "'%s' lacks '%s'", e.msg, msg);
	ck_assert_uint_eq(b.len, 0);
	buf_release(&b);
}

START_TEST(reads_head_not_worktree)
{
	char *r = repo_path("r"),
	     *head = capture("git -C %s rev-parse HEAD", r);
	struct source_opts o = {.repo = r};
	struct source *s = open_ok(&o);

	assert_reads(s, "stacks/shop/compose.yml", "v2");
	assert_reads(s, "./stacks//shop/compose.yml", "v2");
	ck_assert_str_eq(source_revision(s), head);
	ck_assert_str_eq(source_name(s), r);
	source_free(s);
	free(head);
	free(r);
}
END_TEST

START_TEST(reads_branch_tag_commit)
{
	char *r = repo_path("r");
	char *first = capture("git -C %s rev-parse v1", r);
	char shortid[9];
	struct source_opts o = {.repo = r, .ref = "v1"};
	struct source *s = open_ok(&o);

	assert_reads(s, "stacks/shop/compose.yml", "v1");
	ck_assert_str_eq(source_revision(s), first);
	source_free(s);
	o.ref = "dev";
	s = open_ok(&o);
	assert_reads(s, "dev.yml", "dev");
	source_free(s);
	snprintf(shortid, sizeof(shortid), "%.8s", first);
	o.ref = shortid;
	s = open_ok(&o);
	assert_reads(s, "stacks/shop/compose.yml", "v1");
	ck_assert_str_eq(source_revision(s), first);
	source_free(s);
	free(first);
	free(r);
}
END_TEST

START_TEST(missing_ref_empty_repo_not_repo)
{
	char *r = repo_path("r"), *empty = repo_path("empty");
	char *none = repo_path("none");
	struct source_opts o = {.repo = r, .ref = "nope"};
	struct err e = {0};

	ck_assert_int_eq(open_fails(&e, &o), ERR_NOTFOUND);
	ck_assert_msg(strstr(e.msg, "ref 'nope' not found in "), "%s", e.msg);
	o.repo = empty;
	o.ref = NULL;
	ck_assert_int_eq(open_fails(&e, &o), ERR_NOTFOUND);
	ck_assert_msg(strstr(e.msg, "has no commits"), "%s", e.msg);
	o.repo = none;
	ck_assert_int_eq(open_fails(&e, &o), ERR_NOTFOUND);
	free(r);
	free(empty);
	free(none);
}
END_TEST

START_TEST(path_selects_root)
{
	char *r = repo_path("r");
	struct source_opts o = {.repo = r, .path = "stacks"};
	struct source *s = open_ok(&o);
	struct err e = {0};

	assert_reads(s, "shop/compose.yml", "v2");
	assert_read_fails(s, "nodes.yml", ERR_NOTFOUND,
	                  "'nodes.yml' not found");
	assert_read_fails(s, "../nodes.yml", ERR_INVALID,
	                  "'../nodes.yml' leaves the repository");
	/* up -> ../../nodes.yml stays in the repository, not in the root */
	assert_read_fails(s, "shop/up", ERR_INVALID,
	                  "'shop/up' is a symlink that leaves the repository");
	source_free(s);
	o.path = "nope";
	ck_assert_int_eq(open_fails(&e, &o), ERR_NOTFOUND);
	o.path = "nodes.yml";
	ck_assert_int_eq(open_fails(&e, &o), ERR_NOTFOUND);
	free(r);
}
END_TEST

static void check_links(struct source *s)
{
	enum source_type t;
	struct err e = {0};

	assert_reads(s, "stacks/shop/link.yml",
	             strcmp(source_revision(s), "worktree") ? "v2" : "dirty");
	assert_reads(s, "stacks/shop/dirlink/a.yml", "a");
	assert_reads(s, "stacks/shop/up", "nodes");
	assert_read_fails(s, "stacks/shop/out", ERR_INVALID,
	                  "'stacks/shop/out' is a symlink that leaves the "
	                  "repository");
	assert_read_fails(s, "stacks/shop/abs", ERR_INVALID,
	                  "'stacks/shop/abs' is a symlink that leaves");
	assert_read_fails(s, "stacks/shop/loop1", ERR_INVALID,
	                  "levels of symlinks");
	assert_read_fails(s, "/etc/passwd", ERR_INVALID, "leaves");
	assert_read_fails(s, "stacks/../../x", ERR_INVALID,
	                  "'stacks/../../x' leaves the repository");
	assert_read_fails(s, "stacks", ERR_INVALID, "is a folder");
	ck_assert_int_eq(source_stat(&t, s, "stacks/shop/link.yml", &e), 0);
	ck_assert_int_eq(t, SOURCE_SYMLINK);
	ck_assert_int_eq(source_stat(&t, s, "stacks/shop/dirlink", &e), 0);
	ck_assert_int_eq(t, SOURCE_SYMLINK);
	ck_assert_int_eq(source_stat(&t, s, "stacks", &e), 0);
	ck_assert_int_eq(t, SOURCE_DIR);
}

START_TEST(symlinks_in_commit)
{
	char *r = repo_path("r");
	struct source_opts o = {.repo = r};
	struct source *s = open_ok(&o);
	enum source_type t;
	struct err e = {0};

	check_links(s);
	ck_assert_int_eq(source_stat(&t, s, "sub", &e), 0);
	ck_assert_int_eq(t, SOURCE_OTHER);
	assert_read_fails(s, "sub", ERR_INVALID, "'sub' is not a regular");
	source_free(s);
	free(r);
}
END_TEST

START_TEST(worktree_mode)
{
	char *r = repo_path("r");
	struct source_opts o = {.worktree = r};
	struct source *s = open_ok(&o);
	struct source_entry *v = NULL;
	struct err e = {0};
	size_t nr = 0, i;

	ck_assert_str_eq(source_revision(s), "worktree");
	assert_reads(s, "stacks/shop/compose.yml", "dirty");
	check_links(s);
	ck_assert_int_eq(source_list(&v, &nr, s, "", &e), 0);
	for (i = 0; i < nr; i++)
		ck_assert_str_ne(v[i].name, ".git");
	source_entries_free(v, nr);
	source_free(s);
	o.path = "stacks";
	s = open_ok(&o);
	assert_read_fails(s, "shop/up", ERR_INVALID,
	                  "'shop/up' is a symlink that leaves");
	assert_reads(s, "shop/dirlink/a.yml", "a");
	source_free(s);
	free(r);
}
END_TEST

/*
 * A worktree's FIFO (never blocks), hard link (may reach outside), .git
 * (the repository's own config), and a folder swapped for a symlink.
 */
START_TEST(worktree_hazards)
{
	char *w = repo_path("hazards");
	struct source_opts o = {.worktree = w};
	struct source *s;
	char *res = NULL;
	struct err e = {0};

	sh("set -e; rm -rf %s; mkdir -p %s/a %s/outside; cd %s;"
	   "mkfifo a/fifo; printf x > outside/secret; ln outside/secret "
	   "a/hard; git init -q .; printf ok > a/ok",
	   w, w, w, w);
	s = open_ok(&o);
	assert_reads(s, "a/ok", "ok");
	assert_read_fails(s, "a/fifo", ERR_INVALID, "is not a regular file");
	assert_read_fails(s, "a/hard", ERR_INVALID, "has 2 hard links");
	assert_read_fails(s, ".git/config", ERR_INVALID,
	                  "'.git/config' leaves the repository");
	assert_read_fails(s, "a/../.GIT/config", ERR_INVALID,
	                  "leaves the repository");
	ck_assert_int_eq(source_resolve(&res, s, "a", "../.git/config", &e),
	                 ERR_INVALID);
	ck_assert_ptr_null(res);
	source_free(s);
	free(w);
}
END_TEST

START_TEST(list_sorted_with_types)
{
	static const char *names[] = {"abs",      "compose.yml", "dirlink",
	                              "link.yml", "loop1",       "loop2",
	                              "out",      "up"};
	char *r = repo_path("r");
	struct source_opts o = {.repo = r};
	struct source *s = open_ok(&o);
	struct source_entry *v = NULL;
	struct err e = {0};
	size_t nr = 0, i;

	ck_assert_int_eq(source_list(&v, &nr, s, "stacks/shop", &e), 0);
	ck_assert_uint_eq(nr, ARRAY_SIZE(names));
	for (i = 0; i < nr; i++) {
		ck_assert_str_eq(v[i].name, names[i]);
		ck_assert_int_eq(v[i].type,
		                 i == 1 ? SOURCE_FILE : SOURCE_SYMLINK);
	}
	source_entries_free(v, nr);
	ck_assert_int_eq(source_list(&v, &nr, s, "", &e), 0);
	ck_assert_uint_eq(nr, 3);
	ck_assert_str_eq(v[0].name, "nodes.yml");
	ck_assert_int_eq(v[1].type, SOURCE_DIR);
	ck_assert_int_eq(v[2].type, SOURCE_OTHER);
	source_entries_free(v, nr);
	ck_assert_int_eq(source_list(&v, &nr, s, "nodes.yml", &e), ERR_INVALID);
	ck_assert_int_eq(source_list(&v, &nr, s, "nope", &e), ERR_NOTFOUND);
	source_free(s);
	free(r);
}
END_TEST

START_TEST(resolve_normalises)
{
	char *r = repo_path("r"), *out = NULL;
	struct source_opts o = {.repo = r, .path = "stacks"};
	struct source *s = open_ok(&o);
	struct err e = {0};

	ck_assert_int_eq(source_resolve(&out, s, "shop", "../other/a.yml", &e),
	                 0);
	ck_assert_str_eq(out, "other/a.yml");
	free(out);
	ck_assert_int_eq(
	        source_resolve(&out, s, "shop", "./dirlink/new.yml", &e), 0);
	ck_assert_str_eq(out, "other/new.yml");
	free(out);
	ck_assert_int_eq(source_resolve(&out, s, "shop", "../../x", &e),
	                 ERR_INVALID);
	ck_assert_str_eq(e.msg, "'../../x' leaves the repository");
	ck_assert_int_eq(source_resolve(&out, s, "shop", "/etc/passwd", &e),
	                 ERR_INVALID);
	ck_assert_int_eq(source_resolve(&out, s, "shop", "up", &e),
	                 ERR_INVALID);
	ck_assert_str_eq(e.msg, "'shop/up' is a symlink that leaves the "
	                        "repository");
	source_free(s);
	free(r);
}
END_TEST

START_TEST(read_respects_cap)
{
	char *r = repo_path("r");
	struct source_opts o = {.repo = r};
	struct source *s = open_ok(&o);
	struct buf b;
	struct err e = {0};

	buf_init(&b, 1);
	ck_assert_int_eq(source_read(&b, s, "nodes.yml", &e), ERR_TOOBIG);
	ck_assert_msg(strstr(e.msg, "'nodes.yml' is larger than 1 bytes"), "%s",
	              e.msg);
	buf_release(&b);
	source_free(s);
	free(r);
}
END_TEST

START_TEST(file_url_clone_then_fetch)
{
	char *r = repo_path("r"), *url = xasprintf("file://%s", r);
	char *cache = repo_path("cache"), *head;
	struct source_opts o = {.repo = url, .cache_dir = cache};
	struct source *s = open_ok(&o);
	struct err e = {0};

	head = capture("git -C %s rev-parse HEAD", r);
	ck_assert_str_eq(source_revision(s), head);
	ck_assert_str_eq(source_name(s), url);
	assert_reads(s, "stacks/shop/compose.yml", "v2");
	source_free(s);
	free(head);
	sh("cd %s && git checkout -q -b side && printf v3 > nodes.yml && "
	   "git add nodes.yml && git commit -q -m third && git checkout -q "
	   "main && "
	   "git merge -q --ff-only side && git branch -q -D side",
	   r);
	o.offline = 1; /* the cache as it is: the old commit */
	s = open_ok(&o);
	assert_reads(s, "nodes.yml", "nodes");
	source_free(s);
	o.offline = 0;
	s = open_ok(&o);
	assert_reads(s, "nodes.yml", "v3");
	source_free(s);
	o.ref = "dev";
	s = open_ok(&o);
	assert_reads(s, "dev.yml", "dev");
	source_free(s);
	o.ref = "v1";
	s = open_ok(&o);
	assert_reads(s, "stacks/shop/compose.yml", "v1");
	source_free(s);
	o.ref = "side"; /* deleted upstream: pruned */
	ck_assert_int_eq(open_fails(&e, &o), ERR_NOTFOUND);
	ck_assert_msg(strstr(e.msg, "ref 'side' not found in file://"), "%s",
	              e.msg);
	free(url);
	free(cache);
	free(r);
}
END_TEST

START_TEST(remote_errors)
{
	char *cache = repo_path("cache2"), *empty = repo_path("empty");
	char *url = xasprintf("file://%s", empty);
	struct source_opts o = {.repo = url, .cache_dir = cache};
	struct err e = {0};

	ck_assert_int_eq(open_fails(&e, &o), ERR_NOTFOUND);
	ck_assert_msg(strstr(e.msg, "has no commits"), "%s", e.msg);
	o.repo = "https://kedge:s3cr3t-token@127.0.0.1:1/x.git";
	ck_assert_int_eq(open_fails(&e, &o), ERR_REMOTE);
	ck_assert_msg(strstr(e.msg, "cannot reach 'https://kedge@127.0.0.1:1"),
	              "%s", e.msg);
	ck_assert_ptr_null(strstr(e.msg, "s3cr3t"));
	o.repo = "ssh://git@127.0.0.1:1/x.git";
	o.token = "s3cr3t";
	ck_assert_int_eq(open_fails(&e, &o), ERR_REMOTE);
	ck_assert_msg(strstr(e.msg, "cannot reach 'ssh://git@127.0.0.1:1/"),
	              "%s", e.msg);
	o.repo = "file:///nonexistent/repo.git";
	ck_assert_int_lt(open_fails(&e, &o), 0);
	ck_assert_msg(strstr(e.msg, "file:///nonexistent/repo.git"), "%s",
	              e.msg);
	o.offline = 1;
	o.repo = "ssh://git@127.0.0.1:1/never.git";
	ck_assert_int_eq(open_fails(&e, &o), ERR_NOTFOUND);
	ck_assert_msg(strstr(e.msg, "no cached copy"), "%s", e.msg);
	free(url);
	free(empty);
	free(cache);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("source");
	TCase *tc;

	setup_env();
#define CASE(fn)                   \
	tc = tcase_create(#fn);    \
	tcase_set_timeout(tc, 60); \
	tcase_add_test(tc, fn);    \
	suite_add_tcase(s, tc)
	CASE(reads_head_not_worktree);
	CASE(reads_branch_tag_commit);
	CASE(missing_ref_empty_repo_not_repo);
	CASE(path_selects_root);
	CASE(symlinks_in_commit);
	CASE(worktree_mode);
	CASE(worktree_hazards);
	CASE(list_sorted_with_types);
	CASE(resolve_normalises);
	CASE(read_respects_cap);
	CASE(file_url_clone_then_fetch);
	CASE(remote_errors);
#undef CASE
	return s;
}
