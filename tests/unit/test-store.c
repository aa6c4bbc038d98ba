/*
 * test-store.c: the SQLite store keeps failed spec hashes and history
 * across opens, and refuses a database it does not understand.
 */
#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "err.h"
#include "store.h"

static char *sh_out(const char *cmd)
{
	static char line[256];
	FILE *p = popen(cmd, "r");
	size_t n;

	ck_assert_ptr_nonnull(p);
	n = fread(line, 1, sizeof(line) - 1, p);
	line[n] = '\0';
	pclose(p);
	return line;
}

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
	/* the ladder ran to the current version; the old row stayed */
	ck_assert_str_eq(line, "3\n1\n");
}
END_TEST

START_TEST(postgres_locations_are_refused_for_now)
{
	static const char *const pg[] = {
	        "postgres://kedge@db/kedge", "postgresql://db:5432/kedge",
	        "host=db dbname=kedge", " dbname = kedge user=k"};
	struct store *s = NULL;
	struct err err;
	char *odd = xasprintf("%s/sub/host=x.db", dir);

	for (size_t i = 0; i < ARRAY_SIZE(pg); i++) {
		ck_assert_int_eq(store_open(&s, pg[i], &err), ERR_INVALID);
		ck_assert_str_eq(err.msg,
		                 "PostgreSQL stores are not supported yet");
		ck_assert_int_eq(store_open_read(&s, pg[i], &err), ERR_INVALID);
	}
	/* a path with '=' in it is still a SQLite file */
	ck_assert_int_eq(store_open(&s, odd, &err), 0);
	store_free(s);
	ck_assert_int_eq(access(odd, F_OK), 0);
	free(odd);
}
END_TEST

START_TEST(store_is_in_wal_mode_with_the_daemon_tables)
{
	struct store *s = NULL;
	struct err err;
	char *cmd;

	ck_assert_int_eq(store_open(&s, path, &err), 0);
	store_free(s);
	cmd = xasprintf("sqlite3 '%s' 'PRAGMA journal_mode; SELECT name FROM "
	                "sqlite_master WHERE type = \"table\" AND name NOT "
	                "LIKE \"sqlite_%%\" ORDER BY name'",
	                path);
	ck_assert_str_eq(sh_out(cmd), "wal\napply_history\napproval\naudit\n"
	                              "drift\nfailed_spec\nreconcile\n"
	                              "reconcile_action\nstack_status\n"
	                              "token\n");
	free(cmd);
}
END_TEST

START_TEST(version_1_store_is_upgraded_in_place)
{
	struct store *s = NULL;
	char *hash = NULL, *reason = NULL, *cmd;
	int64_t id = 0;
	struct err err;

	/* a store as the kedge before the daemon left it */
	cmd = xasprintf(
	        "mkdir -p '%s/sub' && sqlite3 '%s' 'CREATE TABLE failed_spec ("
	        "service TEXT PRIMARY KEY, hash TEXT NOT NULL, reason TEXT NOT "
	        "NULL, at TEXT NOT NULL DEFAULT x); CREATE TABLE apply_history "
	        "(id INTEGER PRIMARY KEY AUTOINCREMENT, revision TEXT NOT NULL,"
	        " result TEXT NOT NULL, summary TEXT NOT NULL, at TEXT NOT "
	        "NULL "
	        "DEFAULT x); INSERT INTO failed_spec VALUES (\"w_w\", \"h\", "
	        "\"rolled back\", \"t\"); PRAGMA user_version = 1'",
	        dir, path);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	/* a read-only run does not upgrade it */
	ck_assert_int_eq(store_open_read(&s, path, &err), ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "has version 1"));
	ck_assert_int_eq(store_open(&s, path, &err), 0);
	ck_assert_int_eq(store_failed_get(&hash, &reason, s, "w_w", &err), 0);
	ck_assert_str_eq(reason, "rolled back");
	ck_assert_int_eq(store_reconcile_queue(s, &id, "start", &err), 0);
	ck_assert_int_eq(store_stack_suspend(s, "web", 1, &err), 0);
	store_free(s);
	free(hash);
	free(reason);
	cmd = xasprintf("sqlite3 '%s' 'PRAGMA user_version; SELECT count(*) "
	                "FROM reconcile'",
	                path);
	ck_assert_str_eq(sh_out(cmd), "3\n1\n");
	free(cmd);
}
END_TEST

START_TEST(read_only_store_refuses_daemon_writes)
{
	struct store *s = NULL;
	struct err err;
	json_t *list = NULL;
	int64_t id = 0;

	ck_assert_int_eq(store_open(&s, path, &err), 0);
	ck_assert_int_eq(store_reconcile_queue(s, &id, "api", &err), 0);
	store_free(s);
	ck_assert_int_eq(store_open_read(&s, path, &err), 0);
	ck_assert_int_eq(store_reconcile_list(&list, s, NULL, 0, &err), 0);
	ck_assert_int_eq(json_array_size(list), 1);
	json_decref(list);
	ck_assert_int_eq(store_reconcile_queue(s, &id, "api", &err), ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, path));
	ck_assert_int_eq(store_stack_set(s, "web", "Ready", NULL, NULL, &err),
	                 ERR_IO);
	store_free(s);
}
END_TEST

static const char *stack_field(struct store *s, const char *stack,
                               const char *key)
{
	static char buf[64];
	json_t *st = NULL;
	struct err err;

	ck_assert_int_eq(store_stack_get(&st, s, stack, &err), 0);
	snprintf(buf, sizeof(buf), "%s",
	         json_string_value(json_object_get(st, key)));
	json_decref(st);
	return buf;
}

START_TEST(tokens_are_found_by_hash_until_revoked)
{
	struct store *s = NULL;
	struct err err;
	json_t *t = NULL, *list = NULL;

	ck_assert_int_eq(store_open(&s, path, &err), 0);
	ck_assert_int_eq(store_token_add(s, "ann", "h1", "write", &err), 0);
	ck_assert_int_eq(store_token_add(s, "ann", "h2", "read", &err),
	                 ERR_CONFLICT);
	ck_assert_str_eq(err.msg,
	                 "a token named 'ann' exists; revoke it first");
	ck_assert_int_eq(store_token_find(&t, s, "h1", &err), 0);
	ck_assert_str_eq(json_string_value(json_object_get(t, "name")), "ann");
	ck_assert_str_eq(json_string_value(json_object_get(t, "scope")),
	                 "write");
	json_decref(t);
	ck_assert_int_eq(store_token_find(&t, s, "nope", &err), ERR_NOTFOUND);
	ck_assert_int_eq(store_token_revoke(s, "ann", &err), 0);
	ck_assert_int_eq(store_token_find(&t, s, "h1", &err), ERR_NOTFOUND);
	ck_assert_int_eq(store_token_revoke(s, "ann", &err), ERR_NOTFOUND);
	ck_assert_str_eq(err.msg, "no token named 'ann'");
	/* the name is free again once revoked */
	ck_assert_int_eq(store_token_add(s, "ann", "h3", "read", &err), 0);
	ck_assert_int_eq(store_token_list(&list, s, &err), 0);
	ck_assert_int_eq(json_array_size(list), 2);
	ck_assert(json_is_string(
	        json_object_get(json_array_get(list, 0), "revoked")));
	ck_assert(json_is_string(
	        json_object_get(json_array_get(list, 0), "last_used")));
	ck_assert(json_is_null(
	        json_object_get(json_array_get(list, 1), "revoked")));
	json_decref(list);
	store_free(s);
}
END_TEST

START_TEST(since_moves_only_when_the_status_changes)
{
	struct store *s = NULL;
	struct err err;
	char *cmd;

	ck_assert_int_eq(store_open(&s, path, &err), 0);
	ck_assert_int_eq(store_stack_set(s, "web", "Ready", NULL, "a", &err),
	                 0);
	/* age the row, as if it was written long ago */
	cmd = xasprintf("sqlite3 '%s' 'UPDATE stack_status SET since = 1, "
	                "updated = 1'",
	                path);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	ck_assert_int_eq(store_stack_set(s, "web", "Ready", NULL, NULL, &err),
	                 0);
	ck_assert_str_eq(stack_field(s, "web", "since"),
	                 "1970-01-01T00:00:01Z");
	ck_assert_str_ne(stack_field(s, "web", "updated"),
	                 "1970-01-01T00:00:01Z");
	ck_assert_int_eq(store_stack_set(s, "web", "Stalled", "x", NULL, &err),
	                 0);
	ck_assert_str_ne(stack_field(s, "web", "since"),
	                 "1970-01-01T00:00:01Z");
	ck_assert_str_eq(stack_field(s, "web", "revision"), "a");
	store_free(s);
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
	tcase_add_test(tc, postgres_locations_are_refused_for_now);
	tcase_add_test(tc, store_is_in_wal_mode_with_the_daemon_tables);
	tcase_add_test(tc, version_1_store_is_upgraded_in_place);
	tcase_add_test(tc, tokens_are_found_by_hash_until_revoked);
	tcase_add_test(tc, read_only_store_refuses_daemon_writes);
	tcase_add_test(tc, since_moves_only_when_the_status_changes);
	suite_add_tcase(s, tc);
	return s;
}
