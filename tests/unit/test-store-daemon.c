/*
 * test-store-daemon.c: the daemon's records in the store (reconciles and
 * their actions, stack status, drift, approvals, audit), through store.h
 * only, so that every backend runs the same suite.
 *
 * The store under test is chosen in one place, test_location(): a fresh
 * SQLite file in a temporary folder, or $KEDGE_TEST_STORE when set (a
 * location that must name an empty store for each test case; each case
 * runs in its own process, so a backend's harness can reset it there).
 */
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#include "err.h"
#include "store.h"

static char dir[] = "/tmp/kedge-store-daemon-XXXXXX";
static char *location;

static void setup(void)
{
	const char *env = getenv("KEDGE_TEST_STORE");

	ck_assert_ptr_nonnull(mkdtemp(dir));
	location = env && *env ? xstrdup(env)
	                       : xasprintf("%s/state/state.db", dir);
}

static void teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(location);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

static struct store *open_store(void)
{
	struct store *s = NULL;
	struct err err;

	err_clear(&err);
	ck_assert_msg(store_open(&s, location, &err) == 0, "%s", err.msg);
	return s;
}

/* Fails the test with the store's message when a call fails. */
#define OK(call)                                                       \
	do {                                                           \
		struct err ok_err_;                                    \
		int ok_rc_;                                            \
		err_clear(&ok_err_);                                   \
		ok_rc_ = (call);                                       \
		ck_assert_msg(ok_rc_ == 0, "%s: %d %s", #call, ok_rc_, \
		              ok_err_.msg);                            \
	} while (0)
/* The calls inside OK() name their err `&ok_err_`. */
#define E (&ok_err_)

static const char *str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_string(v), "'%s' is not a string", key);
	return json_string_value(v);
}

static void assert_time(const json_t *o, const char *key)
{
	const char *t = str(o, key);
	int y, mo, d, h, mi, sec;
	char z = 0;

	ck_assert_int_eq(strlen(t), 20);
	ck_assert_int_eq(sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h,
	                        &mi, &sec, &z),
	                 7);
	ck_assert_int_eq(z, 'Z');
	ck_assert_int_ge(y, 2024);
}

static void assert_null(const json_t *o, const char *key)
{
	ck_assert_msg(json_is_null(json_object_get(o, key)), "'%s' is not null",
	              key);
}

/* Queues, starts and finishes one reconcile with one action on stack. */
static int64_t one_reconcile(struct store *s, const char *stack,
                             const char *result)
{
	int64_t id = 0;

	OK(store_reconcile_queue(s, &id, "interval", E));
	OK(store_reconcile_start(s, id, "c0ffee", E));
	if (stack)
		OK(store_reconcile_action(s, id, stack, "update", "service",
		                          "web", "done", NULL, E));
	OK(store_reconcile_finish(s, id, result, 0, NULL, NULL, E));
	return id;
}

START_TEST(reconcile_goes_queued_running_done)
{
	struct store *s = open_store();
	json_t *r = NULL,
	       *summary = json_pack("{s:i,s:i}", "update", 1, "create", 0);
	const json_t *a;
	int64_t id = 0;
	struct err err;

	OK(store_reconcile_queue(s, &id, "webhook:github", E));
	ck_assert_int_gt(id, 0);
	OK(store_reconcile_get(&r, s, id, E));
	ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), id);
	ck_assert_str_eq(str(r, "trigger"), "webhook:github");
	ck_assert_str_eq(str(r, "state"), "queued");
	assert_time(r, "queued");
	assert_null(r, "started");
	assert_null(r, "finished");
	assert_null(r, "revision");
	assert_null(r, "result");
	assert_null(r, "exit_code");
	assert_null(r, "error");
	assert_null(r, "summary");
	ck_assert_int_eq(json_array_size(json_object_get(r, "actions")), 0);
	json_decref(r);

	/* an action or a finish may not skip ahead of the state machine */
	ck_assert_int_eq(store_reconcile_start(s, id + 100, "abc", &err),
	                 ERR_NOTFOUND);
	ck_assert_str_eq(err.msg, "no reconcile 101");

	OK(store_reconcile_start(s, id, "0123abcd", E));
	ck_assert_int_eq(store_reconcile_start(s, id, "0123abcd", &err),
	                 ERR_CONFLICT);
	ck_assert_str_eq(err.msg, "reconcile 1 is running, not queued");
	OK(store_reconcile_action(s, id, "web", "update", "service", "web_web",
	                          "done", NULL, E));
	OK(store_reconcile_action(s, id, "db", "create", "config", "db_conf",
	                          "failed", "config name taken", E));
	OK(store_reconcile_finish(s, id, "failed", 3, "1 action failed",
	                          summary, E));

	OK(store_reconcile_get(&r, s, id, E));
	ck_assert_str_eq(str(r, "state"), "done");
	ck_assert_str_eq(str(r, "revision"), "0123abcd");
	assert_time(r, "started");
	assert_time(r, "finished");
	ck_assert_str_eq(str(r, "result"), "failed");
	ck_assert_int_eq(json_integer_value(json_object_get(r, "exit_code")),
	                 3);
	ck_assert_str_eq(str(r, "error"), "1 action failed");
	ck_assert(json_equal(json_object_get(r, "summary"), summary));
	ck_assert_int_eq(json_array_size(json_object_get(r, "actions")), 2);
	a = json_array_get(json_object_get(r, "actions"), 0);
	ck_assert_str_eq(str(a, "stack"), "web");
	ck_assert_str_eq(str(a, "op"), "update");
	ck_assert_str_eq(str(a, "kind"), "service");
	ck_assert_str_eq(str(a, "name"), "web_web");
	ck_assert_str_eq(str(a, "outcome"), "done");
	assert_null(a, "error");
	a = json_array_get(json_object_get(r, "actions"), 1);
	ck_assert_str_eq(str(a, "outcome"), "failed");
	ck_assert_str_eq(str(a, "error"), "config name taken");
	json_decref(r);

	ck_assert_int_eq(
	        store_reconcile_finish(s, id, "ok", 0, NULL, NULL, &err),
	        ERR_CONFLICT);
	ck_assert_str_eq(err.msg, "reconcile 1 is done already");
	ck_assert_int_eq(store_reconcile_action(s, id, "web", "update",
	                                        "service", "x", "done", NULL,
	                                        &err),
	                 ERR_CONFLICT);
	ck_assert_int_eq(store_reconcile_get(&r, s, 77, &err), ERR_NOTFOUND);
	ck_assert_str_eq(err.msg, "no reconcile 77");
	json_decref(summary);
	store_free(s);
}
END_TEST

START_TEST(bad_arguments_are_refused_and_write_nothing)
{
	struct store *s = open_store();
	json_t *list = NULL, *arr = json_array();
	char *big = xmalloc(70 * 1024);
	int64_t id = 0;
	struct err err;

	ck_assert_int_eq(store_reconcile_queue(s, &id, "cron", &err),
	                 ERR_INVALID);
	ck_assert_str_eq(err.msg, "store: trigger 'cron' is not one kedge "
	                          "knows");
	ck_assert_int_eq(store_reconcile_queue(s, &id, "webhook:", &err),
	                 ERR_INVALID);
	ck_assert_int_eq(store_reconcile_queue(s, &id, NULL, &err),
	                 ERR_INVALID);
	OK(store_reconcile_list(&list, s, NULL, 0, E));
	ck_assert_int_eq(json_array_size(list), 0);
	json_decref(list);

	OK(store_reconcile_queue(s, &id, "api", E));
	OK(store_reconcile_start(s, id, NULL, E));
	ck_assert_int_eq(
	        store_reconcile_finish(s, id, "great", 0, NULL, NULL, &err),
	        ERR_INVALID);
	ck_assert_int_eq(
	        store_reconcile_finish(s, id, "ok", -1, NULL, NULL, &err),
	        ERR_INVALID);
	/* a summary is an object */
	ck_assert_int_eq(
	        store_reconcile_finish(s, id, "ok", 0, NULL, arr, &err),
	        ERR_INVALID);
	ck_assert_int_eq(store_reconcile_action(s, id, "web", "update",
	                                        "service", "w", "maybe", NULL,
	                                        &err),
	                 ERR_INVALID);
	ck_assert_int_eq(store_reconcile_action(s, id, "", "update", "service",
	                                        "w", "done", NULL, &err),
	                 ERR_INVALID);
	ck_assert_int_eq(store_stack_set(s, "web", "Happy", NULL, NULL, &err),
	                 ERR_INVALID);
	ck_assert_int_eq(store_drift_record(s, id, "web", "service", "w", NULL,
	                                    "ignored", &err),
	                 ERR_INVALID);
	ck_assert_int_eq(store_approval_set(s, "ab12", "maybe", &err),
	                 ERR_INVALID);
	memset(big, 'x', 70 * 1024 - 1);
	big[70 * 1024 - 1] = '\0';
	ck_assert_int_eq(
	        store_reconcile_finish(s, id, "failed", 2, big, NULL, &err),
	        ERR_TOOBIG);
	ck_assert_int_eq(store_audit(s, "api", big, "GET /", "200", &err),
	                 ERR_TOOBIG);
	OK(store_reconcile_get(&list, s, id, E));
	ck_assert_str_eq(str(list, "state"), "running");
	json_decref(list);
	json_decref(arr);
	free(big);
	store_free(s);
}
END_TEST

START_TEST(list_is_newest_first_and_filters_by_stack)
{
	struct store *s = open_store();
	json_t *list = NULL;
	int64_t ids[25];

	for (int i = 0; i < 25; i++)
		ids[i] = one_reconcile(s, i % 5 == 0 ? "web" : "db", "ok");
	OK(store_reconcile_list(&list, s, NULL, 0, E));
	/* 0 means 20 */
	ck_assert_int_eq(json_array_size(list), 20);
	ck_assert_int_eq(json_integer_value(json_object_get(
	                         json_array_get(list, 0), "id")),
	                 ids[24]);
	ck_assert_int_eq(json_integer_value(json_object_get(
	                         json_array_get(list, 19), "id")),
	                 ids[5]);
	ck_assert_int_eq(json_array_size(json_object_get(
	                         json_array_get(list, 0), "actions")),
	                 1);
	json_decref(list);
	OK(store_reconcile_list(&list, s, "web", 3, E));
	ck_assert_int_eq(json_array_size(list), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(
	                         json_array_get(list, 0), "id")),
	                 ids[20]);
	ck_assert_int_eq(json_integer_value(json_object_get(
	                         json_array_get(list, 2), "id")),
	                 ids[10]);
	json_decref(list);
	OK(store_reconcile_list(&list, s, "nothing-here", 0, E));
	ck_assert_int_eq(json_array_size(list), 0);
	json_decref(list);
	/* a limit over the cap is the cap, not an error */
	OK(store_reconcile_list(&list, s, NULL, 1000000, E));
	ck_assert_int_eq(json_array_size(list), 25);
	json_decref(list);
	store_free(s);
}
END_TEST

START_TEST(interrupt_all_finishes_what_was_in_flight)
{
	struct store *s = open_store();
	int64_t queued = 0, running = 0, done;
	json_t *r = NULL;
	size_t n = 99;

	done = one_reconcile(s, "web", "noop");
	OK(store_reconcile_queue(s, &queued, "start", E));
	OK(store_reconcile_queue(s, &running, "drift", E));
	OK(store_reconcile_start(s, running, "beef", E));
	OK(store_reconcile_interrupt_all(s, &n, E));
	ck_assert_uint_eq(n, 2);
	for (int i = 0; i < 2; i++) {
		OK(store_reconcile_get(&r, s, i ? running : queued, E));
		ck_assert_str_eq(str(r, "state"), "done");
		ck_assert_str_eq(str(r, "result"), "interrupted");
		ck_assert_int_eq(
		        json_integer_value(json_object_get(r, "exit_code")), 2);
		ck_assert_str_eq(str(r, "error"),
		                 "kedge stopped before it finished");
		assert_time(r, "finished");
		json_decref(r);
	}
	OK(store_reconcile_get(&r, s, done, E));
	ck_assert_str_eq(str(r, "result"), "noop");
	json_decref(r);
	OK(store_reconcile_interrupt_all(s, &n, E));
	ck_assert_uint_eq(n, 0);
	store_free(s);
}
END_TEST

START_TEST(prune_keeps_exactly_the_newest)
{
	struct store *s = open_store();
	int64_t ids[30], running = 0;
	json_t *list = NULL, *r = NULL;
	struct err err;

	for (int i = 0; i < 30; i++) {
		ids[i] = one_reconcile(s, "web", "ok");
		OK(store_drift_record(s, ids[i], "web", "service", "web_web",
		                      NULL, "repaired", E));
	}
	OK(store_reconcile_queue(s, &running, "interval", E));
	OK(store_reconcile_start(s, running, "abc", E));
	OK(store_reconcile_prune(s, 10, E));
	OK(store_reconcile_list(&list, s, NULL, 100, E));
	/* ten done ones, and the running one is never pruned */
	ck_assert_int_eq(json_array_size(list), 11);
	ck_assert_int_eq(json_integer_value(json_object_get(
	                         json_array_get(list, 10), "id")),
	                 ids[20]);
	json_decref(list);
	ck_assert_int_eq(store_reconcile_get(&r, s, ids[19], &err),
	                 ERR_NOTFOUND);
	OK(store_reconcile_get(&r, s, ids[20], E));
	ck_assert_int_eq(json_array_size(json_object_get(r, "actions")), 1);
	json_decref(r);
	/* drift events go with their reconcile */
	OK(store_drift_list(&list, s, NULL, 100, E));
	ck_assert_int_eq(json_array_size(list), 10);
	json_decref(list);
	OK(store_reconcile_prune(s, 10, E));
	OK(store_reconcile_list(&list, s, NULL, 100, E));
	ck_assert_int_eq(json_array_size(list), 11);
	json_decref(list);
	/* 0 keeps the default of 1000 */
	OK(store_reconcile_prune(s, 0, E));
	OK(store_reconcile_list(&list, s, NULL, 100, E));
	ck_assert_int_eq(json_array_size(list), 11);
	json_decref(list);
	OK(store_reconcile_prune(s, 1, E));
	OK(store_reconcile_list(&list, s, NULL, 100, E));
	ck_assert_int_eq(json_array_size(list), 2);
	json_decref(list);
	store_free(s);
}
END_TEST

static const json_t *find_stack(const json_t *list, const char *name)
{
	size_t i;
	const json_t *v;

	json_array_foreach (list, i, v)
		if (!strcmp(str(v, "stack"), name))
			return v;
	return NULL;
}

START_TEST(stack_status_is_kept_per_stack)
{
	struct store *s = open_store();
	json_t *list = NULL, *st = NULL;
	const json_t *v;
	struct err err;

	ck_assert_int_eq(store_stack_get(&st, s, "web", &err), ERR_NOTFOUND);
	ck_assert_str_eq(err.msg, "no stack 'web' is recorded");
	OK(store_stack_set(s, "web", "Reconciling", NULL, NULL, E));
	OK(store_stack_set(s, "web", "Ready", NULL, "aaaa", E));
	OK(store_stack_set(s, "db", "Stalled",
	                   "stacks/db/compose.yml:3:5: bad port", NULL, E));
	/* NULL keeps the last applied revision */
	OK(store_stack_set(s, "web", "Stalled", "no convergence", NULL, E));
	OK(store_stack_get(&st, s, "web", E));
	ck_assert_str_eq(str(st, "status"), "Stalled");
	ck_assert_str_eq(str(st, "reason"), "no convergence");
	ck_assert_str_eq(str(st, "revision"), "aaaa");
	ck_assert(json_is_false(json_object_get(st, "suspended")));
	assert_time(st, "since");
	assert_time(st, "updated");
	ck_assert(strcmp(str(st, "since"), str(st, "updated")) <= 0);
	json_decref(st);
	OK(store_stack_set(s, "web", "Ready", NULL, "bbbb", E));

	/* suspend creates a row for a stack never reconciled */
	OK(store_stack_suspend(s, "cache", 1, E));
	OK(store_stack_suspend(s, "web", 1, E));
	OK(store_stack_list(&list, s, E));
	ck_assert_int_eq(json_array_size(list), 3);
	ck_assert_str_eq(str(json_array_get(list, 0), "stack"), "cache");
	ck_assert_str_eq(str(json_array_get(list, 1), "stack"), "db");
	ck_assert_str_eq(str(json_array_get(list, 2), "stack"), "web");
	v = find_stack(list, "cache");
	ck_assert_str_eq(str(v, "status"), "Suspended");
	ck_assert(json_is_true(json_object_get(v, "suspended")));
	assert_null(v, "revision");
	assert_null(v, "reason");
	v = find_stack(list, "web");
	ck_assert_str_eq(str(v, "status"), "Suspended");
	ck_assert_str_eq(str(v, "revision"), "bbbb");
	v = find_stack(list, "db");
	ck_assert_str_eq(str(v, "reason"),
	                 "stacks/db/compose.yml:3:5: bad port");
	assert_null(v, "revision");
	json_decref(list);

	OK(store_stack_suspend(s, "web", 0, E));
	OK(store_stack_get(&st, s, "web", E));
	ck_assert_str_eq(str(st, "status"), "Reconciling");
	ck_assert(json_is_false(json_object_get(st, "suspended")));
	json_decref(st);
	/* resuming a stack that is not suspended keeps its status */
	OK(store_stack_suspend(s, "db", 0, E));
	OK(store_stack_get(&st, s, "db", E));
	ck_assert_str_eq(str(st, "status"), "Stalled");
	json_decref(st);

	OK(store_stack_forget(s, "db", E));
	OK(store_stack_forget(s, "db", E));
	ck_assert_int_eq(store_stack_get(&st, s, "db", &err), ERR_NOTFOUND);
	OK(store_stack_list(&list, s, E));
	ck_assert_int_eq(json_array_size(list), 2);
	json_decref(list);
	store_free(s);
}
END_TEST

START_TEST(drift_is_recorded_per_reconcile)
{
	struct store *s = open_store();
	json_t *fields = json_pack("[s,s]", "Spec.Mode.Replicated.Replicas",
	                           "Spec.Labels");
	json_t *list = NULL;
	const json_t *d;
	int64_t id = one_reconcile(s, NULL, "ok"), id2;
	struct err err;

	OK(store_drift_record(s, id, "web", "service", "web_web", fields,
	                      "repaired", E));
	id2 = one_reconcile(s, NULL, "ok");
	OK(store_drift_record(s, id2, "db", "node", "node-1", NULL, "reported",
	                      E));
	ck_assert_int_eq(store_drift_record(s, id2 + 5, "db", "service", "x",
	                                    NULL, "reported", &err),
	                 ERR_NOTFOUND);
	ck_assert_int_eq(strncmp(err.msg, "no reconcile ", 13), 0);

	OK(store_drift_list(&list, s, NULL, 0, E));
	ck_assert_int_eq(json_array_size(list), 2);
	d = json_array_get(list, 0);
	ck_assert_str_eq(str(d, "stack"), "db");
	ck_assert_int_eq(json_integer_value(json_object_get(d, "reconcile")),
	                 id2);
	ck_assert_str_eq(str(d, "kind"), "node");
	ck_assert_str_eq(str(d, "action"), "reported");
	assert_null(d, "fields");
	assert_time(d, "time");
	d = json_array_get(list, 1);
	ck_assert_str_eq(str(d, "object"), "web_web");
	ck_assert(json_equal(json_object_get(d, "fields"), fields));
	ck_assert(json_is_integer(json_object_get(d, "id")));
	json_decref(list);
	OK(store_drift_list(&list, s, "web", 0, E));
	ck_assert_int_eq(json_array_size(list), 1);
	json_decref(list);
	OK(store_drift_list(&list, s, NULL, 1, E));
	ck_assert_int_eq(json_array_size(list), 1);
	json_decref(list);
	json_decref(fields);
	store_free(s);
}
END_TEST

START_TEST(approvals_supersede_older_pending_plans)
{
	struct store *s = open_store();
	json_t *p1 = json_pack("{s:[s]}", "remove", "web_old");
	json_t *p2 = json_pack("{s:[s,s]}", "remove", "web_old", "db_old");
	json_t *a = NULL, *list = NULL;
	struct err err;

	ck_assert_int_eq(store_approval_get(&a, s, "ab12", &err), ERR_NOTFOUND);
	ck_assert_str_eq(err.msg, "no plan 'ab12' waits for approval");
	OK(store_approval_add(s, "ab12", "rev1", p1, E));
	OK(store_approval_get(&a, s, "ab12", E));
	ck_assert_str_eq(str(a, "state"), "pending");
	ck_assert_str_eq(str(a, "revision"), "rev1");
	assert_time(a, "created");
	assert_null(a, "decided");
	ck_assert(json_equal(json_object_get(a, "plan"), p1));
	json_decref(a);

	OK(store_approval_add(s, "cd34", "rev2", p2, E));
	ck_assert_int_eq(store_approval_add(s, "cd34", "rev3", p2, &err),
	                 ERR_CONFLICT);
	OK(store_approval_get(&a, s, "ab12", E));
	ck_assert_str_eq(str(a, "state"), "superseded");
	assert_time(a, "decided");
	json_decref(a);
	OK(store_approval_pending(&list, s, E));
	ck_assert_int_eq(json_array_size(list), 1);
	ck_assert_str_eq(str(json_array_get(list, 0), "id"), "cd34");
	ck_assert_ptr_null(json_object_get(json_array_get(list, 0), "plan"));
	json_decref(list);

	ck_assert_int_eq(store_approval_set(s, "ab12", "approved", &err),
	                 ERR_CONFLICT);
	ck_assert_str_eq(err.msg, "plan 'ab12' is superseded, not pending");
	ck_assert_int_eq(store_approval_set(s, "ffff", "approved", &err),
	                 ERR_NOTFOUND);
	OK(store_approval_set(s, "cd34", "approved", E));
	OK(store_approval_pending(&list, s, E));
	ck_assert_int_eq(json_array_size(list), 0);
	json_decref(list);
	OK(store_approval_set(s, "cd34", "applied", E));
	OK(store_approval_get(&a, s, "cd34", E));
	ck_assert_str_eq(str(a, "state"), "applied");
	assert_time(a, "decided");
	json_decref(a);
	json_decref(p1);
	json_decref(p2);
	store_free(s);
}
END_TEST

START_TEST(audit_is_newest_first)
{
	struct store *s = open_store();
	json_t *list = NULL;
	const json_t *e;

	OK(store_audit(s, "webhook:github", "10.0.0.7", "push refs/heads/main",
	               "202", E));
	OK(store_audit(s, "webhook:github", "10.0.0.8", "push refs/heads/dev",
	               "401", E));
	OK(store_audit(s, "api", "127.0.0.1", "POST /api/v1/reconcile", "202",
	               E));
	OK(store_audit_list(&list, s, 2, E));
	ck_assert_int_eq(json_array_size(list), 2);
	e = json_array_get(list, 0);
	ck_assert_str_eq(str(e, "source"), "api");
	ck_assert_str_eq(str(e, "who"), "127.0.0.1");
	ck_assert_str_eq(str(e, "what"), "POST /api/v1/reconcile");
	ck_assert_str_eq(str(e, "result"), "202");
	assert_time(e, "time");
	ck_assert_str_eq(str(json_array_get(list, 1), "result"), "401");
	json_decref(list);
	store_free(s);
}
END_TEST

START_TEST(reopen_keeps_everything)
{
	struct store *s = open_store();
	json_t *v = NULL, *plan = json_pack("{s:i}", "remove", 1);
	int64_t id = one_reconcile(s, "web", "ok");

	OK(store_stack_set(s, "web", "Ready", NULL, "abc", E));
	OK(store_drift_record(s, id, "web", "service", "web_web", NULL,
	                      "reported", E));
	OK(store_approval_add(s, "ab", "abc", plan, E));
	OK(store_audit(s, "api", "127.0.0.1", "GET /api/v1/status", "200", E));
	store_free(s);

	s = open_store();
	OK(store_reconcile_get(&v, s, id, E));
	ck_assert_int_eq(json_array_size(json_object_get(v, "actions")), 1);
	json_decref(v);
	OK(store_stack_get(&v, s, "web", E));
	ck_assert_str_eq(str(v, "revision"), "abc");
	json_decref(v);
	OK(store_drift_list(&v, s, NULL, 0, E));
	ck_assert_int_eq(json_array_size(v), 1);
	json_decref(v);
	OK(store_approval_get(&v, s, "ab", E));
	ck_assert(json_equal(json_object_get(v, "plan"), plan));
	json_decref(v);
	OK(store_audit_list(&v, s, 0, E));
	ck_assert_int_eq(json_array_size(v), 1);
	json_decref(v);
	/* the next id does not reuse one already handed out */
	ck_assert_int_gt(one_reconcile(s, NULL, "ok"), id);
	json_decref(plan);
	store_free(s);
}
END_TEST

enum { THREADS = 4, PER_THREAD = 50 };

static void *worker(void *arg)
{
	struct store *s = arg;
	struct err err;
	long failures = 0;

	for (int i = 0; i < PER_THREAD; i++) {
		int64_t id = 0;
		json_t *r = NULL;

		failures += store_reconcile_queue(s, &id, "api", &err) != 0;
		failures += store_reconcile_start(s, id, "abc", &err) != 0;
		failures += store_reconcile_action(s, id, "web", "update",
		                                   "service", "web_web", "done",
		                                   NULL, &err) != 0;
		failures += store_reconcile_finish(s, id, "ok", 0, NULL, NULL,
		                                   &err) != 0;
		failures += store_audit(s, "api", "127.0.0.1", "POST /x", "202",
		                        &err) != 0;
		failures += store_stack_set(s, "web", "Ready", NULL, "abc",
		                            &err) != 0;
		failures += store_reconcile_get(&r, s, id, &err) != 0;
		if (r && json_array_size(json_object_get(r, "actions")) != 1)
			failures++;
		json_decref(r);
	}
	return (void *)failures;
}

START_TEST(four_threads_share_one_store)
{
	struct store *s = open_store();
	pthread_t t[THREADS];
	json_t *list = NULL;

	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker, s), 0);
	for (int i = 0; i < THREADS; i++) {
		void *failures;

		ck_assert_int_eq(pthread_join(t[i], &failures), 0);
		ck_assert_int_eq((long)failures, 0);
	}
	OK(store_reconcile_list(&list, s, "web", 1000, E));
	ck_assert_int_eq(json_array_size(list), THREADS * PER_THREAD);
	json_decref(list);
	OK(store_audit_list(&list, s, 1000, E));
	ck_assert_int_eq(json_array_size(list), THREADS * PER_THREAD);
	json_decref(list);
	store_free(s);
}
END_TEST

START_TEST(two_connections_share_one_store)
{
	struct store *a = open_store(), *b = open_store();
	json_t *list = NULL;
	int64_t id = 0;

	/* like a second process: its own connection, one database */
	OK(store_reconcile_queue(a, &id, "api", E));
	OK(store_reconcile_start(b, id, "abc", E));
	OK(store_reconcile_finish(a, id, "ok", 0, NULL, NULL, E));
	OK(store_reconcile_list(&list, b, NULL, 0, E));
	ck_assert_int_eq(json_array_size(list), 1);
	ck_assert_str_eq(str(json_array_get(list, 0), "state"), "done");
	json_decref(list);
	store_free(a);
	store_free(b);
}
END_TEST

/* Writes reconciles until it is killed. */
static void NORETURN write_forever(void)
{
	struct store *s = NULL;
	struct err err;

	if (store_open(&s, location, &err))
		_exit(2);
	for (;;) {
		int64_t id = 0;

		if (store_reconcile_queue(s, &id, "interval", &err) ||
		    store_reconcile_start(s, id, "abc", &err) ||
		    store_reconcile_action(s, id, "web", "update", "service",
		                           "web_web", "done", NULL, &err) ||
		    store_reconcile_finish(s, id, "ok", 0, NULL, NULL, &err) ||
		    store_stack_set(s, "web", "Ready", NULL, "abc", &err))
			_exit(3);
	}
}

START_TEST(sigkill_mid_write_leaves_a_consistent_store)
{
	struct store *s;
	json_t *list = NULL;
	size_t i, n = 0, in_flight = 0;
	const json_t *r;
	int status;
	pid_t pid;

	/* create it first, so the child only writes reconciles */
	s = open_store();
	store_free(s);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid)
		write_forever();
	usleep(300 * 1000);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status), "the writer stopped by itself: %d",
	              status);

	s = open_store();
	OK(store_reconcile_list(&list, s, NULL, 1000, E));
	ck_assert_int_gt(json_array_size(list), 0);
	json_array_foreach (list, i, r) {
		const char *state = str(r, "state");
		size_t actions = json_array_size(json_object_get(r, "actions"));

		if (!strcmp(state, "done")) {
			/* a whole finish, after its one action */
			ck_assert_str_eq(str(r, "result"), "ok");
			assert_time(r, "finished");
			ck_assert_uint_eq(actions, 1);
		} else {
			in_flight++;
			ck_assert_uint_le(actions, 1);
			if (!strcmp(state, "running"))
				assert_time(r, "started");
		}
	}
	/* only the reconcile in flight is lost, and marked so */
	ck_assert_uint_le(in_flight, 1);
	OK(store_reconcile_interrupt_all(s, &n, E));
	ck_assert_uint_eq(n, in_flight);
	json_decref(list);
	store_free(s);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("store-daemon");
	TCase *tc = tcase_create("store-daemon");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, reconcile_goes_queued_running_done);
	tcase_add_test(tc, bad_arguments_are_refused_and_write_nothing);
	tcase_add_test(tc, list_is_newest_first_and_filters_by_stack);
	tcase_add_test(tc, interrupt_all_finishes_what_was_in_flight);
	tcase_add_test(tc, prune_keeps_exactly_the_newest);
	tcase_add_test(tc, stack_status_is_kept_per_stack);
	tcase_add_test(tc, drift_is_recorded_per_reconcile);
	tcase_add_test(tc, approvals_supersede_older_pending_plans);
	tcase_add_test(tc, audit_is_newest_first);
	tcase_add_test(tc, reopen_keeps_everything);
	tcase_add_test(tc, four_threads_share_one_store);
	tcase_add_test(tc, two_connections_share_one_store);
	tcase_add_test(tc, sigkill_mid_write_leaves_a_consistent_store);
	suite_add_tcase(s, tc);
	return s;
}
