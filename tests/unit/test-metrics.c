/*
 * test-metrics.c: the metrics registry through its API: each type, label
 * escaping, cumulative histogram buckets, reset, the series bound, and
 * that promtool accepts the output as Prometheus text.
 */
#include <pthread.h>
#include <sys/wait.h>

#include "unit.h"

#include "buf.h"
#include "metrics.h"

static struct metrics *m;
static struct buf out;

static void setup(void)
{
	m = metrics_new();
	buf_init(&out, 0);
}

static void teardown(void)
{
	metrics_free(m);
	buf_release(&out);
}

/* The rendered text, without the registry's own drop-counter family. */
static const char *render(void)
{
	const char *p;

	buf_reset(&out);
	metrics_render(m, &out);
	p = strstr(out.ptr, "# TYPE " METRICS_DROPPED " counter\n");
	ck_assert_ptr_nonnull(p);
	p += strlen("# TYPE " METRICS_DROPPED " counter\n");
	while (starts_with(p, METRICS_DROPPED))
		p = strchr(p, '\n') + 1;
	return p;
}

START_TEST(counter_adds_per_label_set)
{
	metrics_declare(m, "kedge_reconcile_total", METRIC_COUNTER,
	                "Reconciles by result.", NULL, 0);
	metrics_add(m, "kedge_reconcile_total",
	            (const char *[]){"result", "ok", NULL}, 1);
	metrics_add(m, "kedge_reconcile_total",
	            (const char *[]){"result", "ok", NULL}, 2);
	metrics_add(m, "kedge_reconcile_total",
	            (const char *[]){"result", "error", NULL}, 0.5);
	ck_assert_str_eq(render(),
	                 "# HELP kedge_reconcile_total Reconciles by result.\n"
	                 "# TYPE kedge_reconcile_total counter\n"
	                 "kedge_reconcile_total{result=\"error\"} 0.5\n"
	                 "kedge_reconcile_total{result=\"ok\"} 3\n");
}
END_TEST

START_TEST(gauge_is_set_and_unlabelled_has_no_braces)
{
	metrics_declare(m, "kedge_up", METRIC_GAUGE, "Up.", NULL, 0);
	metrics_set(m, "kedge_up", NULL, 7);
	metrics_set(m, "kedge_up", NULL, -0.25);
	ck_assert_str_eq(render(), "# HELP kedge_up Up.\n"
	                           "# TYPE kedge_up gauge\n"
	                           "kedge_up -0.25\n");
}
END_TEST

START_TEST(numbers_print_shortest_exact_form)
{
	metrics_declare(m, "g", METRIC_GAUGE, "g", NULL, 0);
	metrics_set(m, "g", (const char *[]){"k", "a", NULL}, 0.1);
	metrics_set(m, "g", (const char *[]){"k", "b", NULL}, 1e21);
	metrics_set(m, "g", (const char *[]){"k", "c", NULL}, 1.0 / 0.0);
	metrics_set(m, "g", (const char *[]){"k", "d", NULL}, 0.0 / 0.0);
	metrics_set(m, "g", (const char *[]){"k", "e", NULL}, 1764633600);
	metrics_set(m, "g", (const char *[]){"k", "f", NULL},
	            0.30000000000000004);
	metrics_set(m, "g", (const char *[]){"k", "g", NULL}, 80000);
	metrics_set(m, "g", (const char *[]){"k", "h", NULL}, 1e6);
	metrics_set(m, "g", (const char *[]){"k", "i", NULL}, 0.00001);
	metrics_set(m, "g", (const char *[]){"k", "j", NULL}, 0);
	ck_assert_str_eq(render(), "# HELP g g\n# TYPE g gauge\n"
	                           "g{k=\"a\"} 0.1\n"
	                           "g{k=\"b\"} 1e+21\n"
	                           "g{k=\"c\"} +Inf\n"
	                           "g{k=\"d\"} NaN\n"
	                           "g{k=\"e\"} 1.7646336e+09\n"
	                           "g{k=\"f\"} 0.30000000000000004\n"
	                           "g{k=\"g\"} 80000\n"
	                           "g{k=\"h\"} 1e+06\n"
	                           "g{k=\"i\"} 1e-05\n"
	                           "g{k=\"j\"} 0\n");
}
END_TEST

START_TEST(label_values_and_help_are_escaped)
{
	metrics_declare(m, "kedge_stack_status", METRIC_GAUGE,
	                "Line one\\two\nthree \"q\"", NULL, 0);
	metrics_set(
	        m, "kedge_stack_status",
	        (const char *[]){"stack", "a\"b\\c\nd", "state", "ok", NULL},
	        1);
	ck_assert_str_eq(render(),
	                 "# HELP kedge_stack_status Line one\\\\two\\nthree "
	                 "\"q\"\n"
	                 "# TYPE kedge_stack_status gauge\n"
	                 "kedge_stack_status{stack=\"a\\\"b\\\\c\\nd\","
	                 "state=\"ok\"} 1\n");
}
END_TEST

START_TEST(histogram_buckets_are_cumulative)
{
	static const double b[] = {0.1, 1, 10};

	metrics_declare(m, "kedge_apply_seconds", METRIC_HISTOGRAM,
	                "Apply time.", b, ARRAY_SIZE(b));
	metrics_observe(m, "kedge_apply_seconds", NULL, 0.05);
	metrics_observe(m, "kedge_apply_seconds", NULL, 0.1); /* le is <= */
	metrics_observe(m, "kedge_apply_seconds", NULL, 5);
	metrics_observe(m, "kedge_apply_seconds", NULL, 100);
	metrics_observe(m, "kedge_apply_seconds",
	                (const char *[]){"stack", "web", NULL}, 2);
	ck_assert_str_eq(
	        render(),
	        "# HELP kedge_apply_seconds Apply time.\n"
	        "# TYPE kedge_apply_seconds histogram\n"
	        "kedge_apply_seconds_bucket{le=\"0.1\"} 2\n"
	        "kedge_apply_seconds_bucket{le=\"1\"} 2\n"
	        "kedge_apply_seconds_bucket{le=\"10\"} 3\n"
	        "kedge_apply_seconds_bucket{le=\"+Inf\"} 4\n"
	        "kedge_apply_seconds_sum 105.15\n"
	        "kedge_apply_seconds_count 4\n"
	        "kedge_apply_seconds_bucket{stack=\"web\",le=\"0.1\"} 0\n"
	        "kedge_apply_seconds_bucket{stack=\"web\",le=\"1\"} 0\n"
	        "kedge_apply_seconds_bucket{stack=\"web\",le=\"10\"} 1\n"
	        "kedge_apply_seconds_bucket{stack=\"web\",le=\"+Inf\"} 1\n"
	        "kedge_apply_seconds_sum{stack=\"web\"} 2\n"
	        "kedge_apply_seconds_count{stack=\"web\"} 1\n");
}
END_TEST

START_TEST(reset_drops_every_series_of_one_family)
{
	metrics_declare(m, "kedge_applied_revision_info", METRIC_GAUGE, "Rev.",
	                NULL, 0);
	metrics_declare(m, "kedge_other", METRIC_GAUGE, "Other.", NULL, 0);
	metrics_set(m, "kedge_applied_revision_info",
	            (const char *[]){"revision", "aaa", NULL}, 1);
	metrics_set(m, "kedge_other", NULL, 3);
	metrics_reset(m, "kedge_applied_revision_info");
	metrics_set(m, "kedge_applied_revision_info",
	            (const char *[]){"revision", "bbb", NULL}, 1);
	ck_assert_str_eq(render(),
	                 "# HELP kedge_applied_revision_info Rev.\n"
	                 "# TYPE kedge_applied_revision_info gauge\n"
	                 "kedge_applied_revision_info{revision=\"bbb\"} 1\n"
	                 "# HELP kedge_other Other.\n"
	                 "# TYPE kedge_other gauge\n"
	                 "kedge_other 3\n");
}
END_TEST

START_TEST(families_keep_declaration_order)
{
	metrics_declare(m, "zz", METRIC_GAUGE, "z", NULL, 0);
	metrics_declare(m, "aa", METRIC_COUNTER, "a", NULL, 0);
	ck_assert_str_eq(render(), "# HELP zz z\n# TYPE zz gauge\n"
	                           "# HELP aa a\n# TYPE aa counter\n");
}
END_TEST

START_TEST(series_beyond_the_bound_are_dropped_and_counted)
{
	char v[32];
	int i;

	metrics_declare(m, "kedge_many", METRIC_GAUGE, "Many.", NULL, 0);
	for (i = 0; i < METRICS_MAX_SERIES + 3; i++) {
		snprintf(v, sizeof(v), "%06d", i);
		metrics_set(m, "kedge_many", (const char *[]){"s", v, NULL}, i);
	}
	/* An existing series still updates when the family is full. */
	metrics_set(m, "kedge_many", (const char *[]){"s", "000000", NULL}, 42);
	buf_reset(&out);
	metrics_render(m, &out);
	ck_assert_ptr_nonnull(
	        strstr(out.ptr, METRICS_DROPPED "{family=\"kedge_many\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(out.ptr, "kedge_many{s=\"000000\"} 42\n"));
	ck_assert_ptr_nonnull(
	        strstr(out.ptr, "kedge_many{s=\"009999\"} 9999\n"));
	ck_assert_ptr_null(strstr(out.ptr, "kedge_many{s=\"010000\"}"));
}
END_TEST

struct hammer {
	struct metrics *m;
	int n;
};

static void *hammer_run(void *arg)
{
	struct hammer *h = arg;
	int i;

	for (i = 0; i < h->n; i++)
		metrics_add(h->m, "c", (const char *[]){"k", "v", NULL}, 1);
	return NULL;
}

START_TEST(updates_from_threads_are_not_lost)
{
	struct hammer h = {m, 20000};
	pthread_t t[4];
	int i;

	metrics_declare(m, "c", METRIC_COUNTER, "c", NULL, 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer_run, &h),
		                 0);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert_str_eq(render(), "# HELP c c\n# TYPE c counter\n"
	                           "c{k=\"v\"} 80000\n");
}
END_TEST

/* Runs promtool check metrics on text; returns its exit status. */
static int promtool_check(const char *text, char *msg, size_t n)
{
	char path[] = "/tmp/kedge-metrics-XXXXXX";
	char *cmd;
	FILE *p;
	size_t got = 0;
	int fd = mkstemp(path), status;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	cmd = xasprintf("promtool check metrics < %s 2>&1", path);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	got = fread(msg, 1, n - 1, p);
	msg[got] = '\0';
	status = pclose(p);
	unlink(path);
	free(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(promtool_accepts_the_output)
{
	static const double b[] = {0.005, 0.5, 30};
	char msg[4096];

	ck_assert_msg(access("/usr/bin/promtool", X_OK) == 0 ||
	                      system("command -v promtool >/dev/null") == 0,
	              "promtool is missing: install Debian's prometheus "
	              "package (make deps)");
	metrics_declare(m, "kedge_reconcile_total", METRIC_COUNTER,
	                "Reconciles by result.", NULL, 0);
	metrics_declare(m, "kedge_stack_status", METRIC_GAUGE,
	                "1 for the state each stack is in.", NULL, 0);
	metrics_declare(m, "kedge_reconcile_duration_seconds", METRIC_HISTOGRAM,
	                "Time of one reconcile.", b, ARRAY_SIZE(b));
	metrics_add(m, "kedge_reconcile_total",
	            (const char *[]){"result", "ok", NULL}, 3);
	metrics_set(m, "kedge_stack_status",
	            (const char *[]){"stack", "we\"ird\\name\n", "state",
	                             "synced", NULL},
	            1);
	metrics_observe(m, "kedge_reconcile_duration_seconds", NULL, 0.25);
	metrics_observe(m, "kedge_reconcile_duration_seconds", NULL, 99);
	buf_reset(&out);
	metrics_render(m, &out);
	ck_assert_msg(promtool_check(out.ptr, msg, sizeof(msg)) == 0,
	              "promtool check metrics refused:\n%s\n--- input:\n%s",
	              msg, out.ptr);
}
END_TEST

static void declare_twice(void)
{
	metrics_declare(m, "x", METRIC_GAUGE, "x", NULL, 0);
	metrics_declare(m, "x", METRIC_COUNTER, "x", NULL, 0);
}

START_TEST(declaring_twice_is_a_bug)
{
	declare_twice();
}
END_TEST

START_TEST(undeclared_name_is_a_bug)
{
	metrics_set(m, "nope", NULL, 1);
}
END_TEST

START_TEST(wrong_type_is_a_bug)
{
	metrics_declare(m, "c", METRIC_COUNTER, "c", NULL, 0);
	metrics_set(m, "c", NULL, 1);
}
END_TEST

START_TEST(counter_decrease_is_a_bug)
{
	metrics_declare(m, "c", METRIC_COUNTER, "c", NULL, 0);
	metrics_add(m, "c", NULL, -1);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("registry");
	TCase *bugs = tcase_create("bugs");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, counter_adds_per_label_set);
	tcase_add_test(tc, gauge_is_set_and_unlabelled_has_no_braces);
	tcase_add_test(tc, numbers_print_shortest_exact_form);
	tcase_add_test(tc, label_values_and_help_are_escaped);
	tcase_add_test(tc, histogram_buckets_are_cumulative);
	tcase_add_test(tc, reset_drops_every_series_of_one_family);
	tcase_add_test(tc, families_keep_declaration_order);
	tcase_add_test(tc, series_beyond_the_bound_are_dropped_and_counted);
	tcase_add_test(tc, updates_from_threads_are_not_lost);
	tcase_add_test(tc, promtool_accepts_the_output);
	suite_add_tcase(s, tc);
	/* BUG() aborts: these need check's fork mode (make unit sets it). */
	tcase_add_checked_fixture(bugs, setup, teardown);
	tcase_add_test_raise_signal(bugs, declaring_twice_is_a_bug, SIGABRT);
	tcase_add_test_raise_signal(bugs, undeclared_name_is_a_bug, SIGABRT);
	tcase_add_test_raise_signal(bugs, wrong_type_is_a_bug, SIGABRT);
	tcase_add_test_raise_signal(bugs, counter_decrease_is_a_bug, SIGABRT);
	suite_add_tcase(s, bugs);
	return s;
}
