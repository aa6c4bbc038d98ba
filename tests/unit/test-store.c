/*
 * test-store.c: the SQLite store keeps failed spec hashes and history
 * across opens, and refuses a database it does not understand.
 */
#include <stdlib.h>

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

Suite *unit_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, failed_spec_survives_reopen);
	tcase_add_test(tc, newer_database_is_refused);
	tcase_add_test(tc, unopenable_path_is_an_error);
	suite_add_tcase(s, tc);
	return s;
}
