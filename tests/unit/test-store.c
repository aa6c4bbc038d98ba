/*
 * test-store.c: the SQLite store keeps failed spec hashes and history
 * across opens, and refuses a database it does not understand.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "err.h"
#include "store.h"

static char dir[] = "/tmp/kedge-store-XXXXXX";
static char *path;

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	path = xasprintf("%s/sub/state.db", dir);
}

static void teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(path);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

START_TEST(failed_spec_survives_reopen)
{
	struct store *s = NULL;
	char *hash = NULL, *reason = NULL;
	struct err err;

	ck_assert_int_eq(store_open(&s, path, &err), 0);
	ck_assert_int_eq(store_failed_get(&hash, &reason, s, "web_web", &err),
	                 ERR_NOTFOUND);
	ck_assert_int_eq(
	        store_failed_set(s, "web_web", "abc", "rolled back", &err), 0);
	store_free(s);
	ck_assert_int_eq(store_open(&s, path, &err), 0);
	ck_assert_int_eq(store_failed_get(&hash, &reason, s, "web_web", &err),
	                 0);
	ck_assert_str_eq(hash, "abc");
	ck_assert_str_eq(reason, "rolled back");
	free(hash);
	free(reason);
	ck_assert_int_eq(store_failed_clear(s, "web_web", &err), 0);
	ck_assert_int_eq(store_failed_get(&hash, &reason, s, "web_web", &err),
	                 ERR_NOTFOUND);
	ck_assert_int_eq(
	        store_apply_record(s, "deadbeef", "ok", "1 update", &err), 0);
	store_free(s);
}
END_TEST

START_TEST(newer_database_is_refused)
{
	struct store *s = NULL;
	struct err err;
	char *cmd;

	ck_assert_int_eq(store_open(&s, path, &err), 0);
	store_free(s);
	cmd = xasprintf("sqlite3 '%s' 'PRAGMA user_version = 99'", path);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	ck_assert_int_eq(store_open(&s, path, &err), ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "version 99"));
}
END_TEST

START_TEST(unopenable_path_is_an_error)
{
	struct store *s = NULL;
	struct err err;

	ck_assert_int_eq(store_open(&s, "/proc/nope/state.db", &err), ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "/proc/nope/state.db"));
}
END_TEST

static char *slurp(const char *file, size_t *len)
{
	FILE *f = fopen(file, "rb");
	char *b = xmalloc(1 << 20);

	ck_assert_ptr_nonnull(f);
	*len = fread(b, 1, 1 << 20, f);
	fclose(f);
	return b;
}

START_TEST(reopening_a_current_store_writes_nothing)
{
	struct store *s = NULL;
	struct err err;
	size_t n1, n2;
	char *before, *after;

	ck_assert_int_eq(store_open(&s, path, &err), 0);
	store_free(s);
	before = slurp(path, &n1);
	ck_assert_int_eq(store_open(&s, path, &err), 0);
	store_free(s);
	ck_assert_int_eq(store_open_read(&s, path, &err), 0);
	store_free(s);
	after = slurp(path, &n2);
	/* the header's change counter moves with every write transaction */
	ck_assert_msg(n1 == n2 && !memcmp(before, after, n1),
	              "opening an up-to-date store wrote to it");
	free(before);
	free(after);
}
END_TEST

START_TEST(read_only_open_creates_nothing)
{
	struct store *s = NULL;
	struct err err;
	char *sub = xasprintf("%s/sub", dir);

	/* the folder of path does not exist: it could never be a store */
	ck_assert_int_eq(store_open_read(&s, path, &err), ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, path));
	ck_assert_int_eq(access(sub, F_OK), -1);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	ck_assert_int_eq(store_open_read(&s, path, &err), ERR_NOTFOUND);
	ck_assert_int_eq(access(path, F_OK), -1);
	free(sub);
}
END_TEST

START_TEST(read_only_open_reads_and_refuses_writes)
{
	struct store *s = NULL;
	char *hash = NULL, *reason = NULL;
	struct err err;

	ck_assert_int_eq(store_open(&s, path, &err), 0);
	ck_assert_int_eq(store_failed_set(s, "a_b", "h1", "paused", &err), 0);
	store_free(s);
	ck_assert_int_eq(store_open_read(&s, path, &err), 0);
	ck_assert_int_eq(store_failed_get(&hash, &reason, s, "a_b", &err), 0);
	ck_assert_str_eq(hash, "h1");
	ck_assert_int_eq(store_failed_clear(s, "a_b", &err), ERR_IO);
	store_free(s);
	free(hash);
	free(reason);
}
END_TEST

START_TEST(old_store_is_migrated_once)
{
	struct store *s = NULL;
	struct err err;
	char *cmd, line[64] = "";
	FILE *p;

	cmd = xasprintf("mkdir -p '%s/sub' && sqlite3 '%s' 'CREATE TABLE "
	                "failed_spec (service TEXT PRIMARY KEY, hash TEXT NOT "
	                "NULL, reason TEXT NOT NULL, at TEXT NOT NULL DEFAULT "
	                "x); INSERT INTO failed_spec VALUES "
	                "(\"w_w\", \"h\", \"r\", \"t\")'",
	                dir, path);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	ck_assert_int_eq(store_open(&s, path, &err), 0);
	ck_assert_int_eq(store_apply_record(s, "abc", "ok", "", &err), 0);
	store_free(s);
	cmd = xasprintf("sqlite3 '%s' 'PRAGMA user_version; SELECT count(*) "
	                "FROM failed_spec'",
	                path);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(fread(line, 1, sizeof(line) - 1, p) > 0, 1);
	pclose(p);
	free(cmd);
	ck_assert_str_eq(line, "1\n1\n");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, failed_spec_survives_reopen);
	tcase_add_test(tc, newer_database_is_refused);
	tcase_add_test(tc, unopenable_path_is_an_error);
	tcase_add_test(tc, reopening_a_current_store_writes_nothing);
	tcase_add_test(tc, read_only_open_creates_nothing);
	tcase_add_test(tc, read_only_open_reads_and_refuses_writes);
	tcase_add_test(tc, old_store_is_migrated_once);
	suite_add_tcase(s, tc);
	return s;
}
