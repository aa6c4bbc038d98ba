/*
 * test-ruletest.c: what a person sees when a rule unit test fails.
 *
 * Owns: ruletest_report() on the output of the real promtool 2.42,
 * captured in tests/unit/data/ruletest/ (<case>.out is `promtool test
 * rules` run on <case>.test.yml laid out in /tmp/kedge-ruletests-FIXTURE
 * as kedge lays it out): each failure at the line of its item, naming the
 * test and the alert or expression with what was expected and what came;
 * and promtool_test_rules()' refusal of a path leaving its folder. Does
 * not own: running promtool on a repository (tests/integration/
 * t-validate.sh does, with the real /usr/bin/promtool).
 */
#include <dirent.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "buf.h"
#include "desired.h"
#include "diag.h"
#include "err.h"
#include "promtool.h"
#include "ruletest.h"
#include "srcmap.h"
#include "yamldoc.h"

#define DATA        "tests/unit/data/ruletest/"
#define FIXTURE_DIR "/tmp/kedge-ruletests-FIXTURE"

/* Loads DATA<name>.test.yml as alerts/<name>.test.yml. */
static void load_test(struct desired_doc *doc, const char *name)
{
	char *file = xasprintf(DATA "%s.test.yml", name);
	struct buf b = BUF_INIT;
	struct err e;

	err_clear(&e);
	ck_assert_int_eq(buf_read_file(&b, file), 0);
	doc->path = xasprintf("alerts/%s.test.yml", name);
	ck_assert_msg(!yamldoc_parse(&doc->doc, &doc->map, buf_cstr(&b), b.len,
	                             doc->path, NULL, &e),
	              "%s: %s", file, e.msg);
	buf_release(&b);
	free(file);
}

static void release_test(struct desired_doc *doc)
{
	free(doc->path);
	json_decref(doc->doc);
	srcmap_free(doc->map);
}

/* Reports DATA<name>.out against DATA<name>.test.yml into diag. */
static size_t report(struct diag *diag, const char *name, const char *output)
{
	char *file = xasprintf(DATA "%s.out", name);
	struct desired_doc doc = {NULL, NULL, NULL};
	struct buf b = BUF_INIT;
	size_t n;

	load_test(&doc, name);
	if (!output) {
		ck_assert_int_eq(buf_read_file(&b, file), 0);
		output = buf_cstr(&b);
	}
	n = ruletest_report(&doc, output, FIXTURE_DIR, diag);
	buf_release(&b);
	release_test(&doc);
	free(file);
	return n;
}

static void expect(const struct diag *d, size_t i, const char *file,
                   unsigned line, unsigned col, const char *message)
{
	ck_assert_msg(i < d->nr, "only %zu problems", d->nr);
	ck_assert_int_eq(d->items[i].severity, DIAG_ERROR);
	ck_assert_str_eq(d->items[i].file, file);
	ck_assert_msg(d->items[i].line == line && d->items[i].col == col,
	              "problem %zu at %u:%u, want %u:%u: %s", i,
	              d->items[i].line, d->items[i].col, line, col,
	              d->items[i].message);
	ck_assert_str_eq(d->items[i].message, message);
}

START_TEST(alert_failure_names_test_alert_and_difference)
{
	struct diag d = DIAG_INIT;

	ck_assert_uint_eq(report(&d, "node", NULL), 5);
	expect(&d, 0, "alerts/node.test.yml", 9, 9,
	       "rule test 'instance down' failed: alert 'InstanceDown' at "
	       "6m: expected 1 alert {alertname=\"InstanceDown\", "
	       "instance=\"h1\", job=\"node\", severity=\"critical\"} "
	       "annotations {summary=\"h2 is down\"}, got 1 alert "
	       "{alertname=\"InstanceDown\", instance=\"h1\", job=\"node\", "
	       "severity=\"critical\"} annotations {summary=\"h1 is down\"}");
	diag_release(&d);
}
END_TEST

START_TEST(unnamed_tests_are_numbered_and_matched_in_order)
{
	struct diag d = DIAG_INIT;

	ck_assert_uint_eq(report(&d, "node", NULL), 5);
	/* the same alert at the same time fails in tests 2 and 3: each
	 * failure goes to its own test, 360s being promtool's 6m */
	expect(&d, 1, "alerts/node.test.yml", 19, 9,
	       "rule test 2 failed: alert 'InstanceDown' at 6m: expected 1 "
	       "alert {alertname=\"InstanceDown\", instance=\"h1\", "
	       "job=\"node\", severity=\"critical\"}, got no alert");
	expect(&d, 4, "alerts/node.test.yml", 33, 9,
	       "rule test 3 failed: alert 'InstanceDown' at 6m: expected 1 "
	       "alert {alertname=\"InstanceDown\", instance=\"h1\", "
	       "job=\"node\", severity=\"critical\"}, got no alert");
	diag_release(&d);
}
END_TEST

START_TEST(expression_failure_and_error_at_their_items)
{
	struct diag d = DIAG_INIT;

	ck_assert_uint_eq(report(&d, "node", NULL), 5);
	expect(&d, 2, "alerts/node.test.yml", 23, 9,
	       "rule test 2 failed: expression 'job:up:sum' at 1m: expected "
	       "{__name__=\"job:up:sum\", job=\"node\"} 2E+00, got "
	       "{__name__=\"job:up:sum\", job=\"node\"} 1E+00");
	expect(&d, 3, "alerts/node.test.yml", 26, 9,
	       "rule test 2 failed: expression 'rate(up[x])' at 1m: 1:9: "
	       "parse error: bad duration syntax: \"\"");
	diag_release(&d);
}
END_TEST

START_TEST(rule_evaluation_error_names_the_rule)
{
	struct diag d = DIAG_INIT;

	ck_assert_uint_eq(report(&d, "clash", NULL), 1);
	ck_assert_uint_eq(d.items[0].line, 3);
	ck_assert_msg(starts_with(d.items[0].message,
	                          "rule tests failed: rule 'Clash' at 0s: "
	                          "found duplicate series for the match group"),
	              "%s", d.items[0].message);
	diag_release(&d);
}
END_TEST

START_TEST(yaml_error_gets_its_line)
{
	struct diag d = DIAG_INIT;

	ck_assert_uint_eq(report(&d, "strict", NULL), 1);
	expect(&d, 0, "alerts/strict.test.yml", 7, 1,
	       "promtool: field tets not found in type main.testGroup");
	diag_release(&d);
}
END_TEST

START_TEST(other_text_is_reported_without_the_folder)
{
	struct diag d = DIAG_INIT;

	ck_assert_uint_eq(
	        report(&d, "strict",
	               "Unit Testing:  " FIXTURE_DIR "/alerts/strict.test.yml\n"
	               "  FAILED:\n" FIXTURE_DIR "/alerts/node.yml: 5:15: "
	               "group \"g\", rule 1, \"X\": could not parse\n\n"),
	        1);
	expect(&d, 0, "alerts/strict.test.yml", 0, 0,
	       "promtool: alerts/node.yml: 5:15: group \"g\", rule 1, \"X\": "
	       "could not parse");
	diag_release(&d);
}
END_TEST

START_TEST(unknown_alert_is_still_an_error_on_the_tests)
{
	struct diag d = DIAG_INIT;

	ck_assert_uint_eq(report(&d, "node",
	                         "  FAILED:\n"
	                         "    alertname: Nope, time: 1m, \n"
	                         "        exp:[], \n"
	                         "        got:[]\n\n"),
	                  1);
	expect(&d, 0, "alerts/node.test.yml", 3, 3,
	       "a rule test failed: alert 'Nope' at 1m: expected no alert, "
	       "got no alert");
	diag_release(&d);
}
END_TEST

START_TEST(long_results_are_cut)
{
	struct diag d = DIAG_INIT;
	struct buf out = BUF_INIT;

	ck_assert_int_eq(buf_addstr(&out,
	                            "  FAILED:\n"
	                            "    expr: \"job:up:sum\", time: 1m,\n"
	                            "        exp: nil\n"
	                            "        got: "),
	                 0);
	for (int i = 0; i < 200; i++)
		ck_assert_int_eq(buf_addf(&out, "{job=\"j%d\"} 1E+00, ", i), 0);
	ck_assert_int_eq(buf_addstr(&out, "\n\n"), 0);
	ck_assert_uint_eq(report(&d, "node", buf_cstr(&out)), 1);
	ck_assert_msg(strstr(d.items[0].message, "expected nothing, got {job="),
	              "%s", d.items[0].message);
	ck_assert_msg(ends_with(d.items[0].message, "..."), "%s",
	              d.items[0].message);
	ck_assert_uint_lt(strlen(d.items[0].message), 600);
	buf_release(&out);
	diag_release(&d);
}
END_TEST

START_TEST(a_huge_result_is_one_error)
{
	struct diag d = DIAG_INIT;
	struct buf out = BUF_INIT;

	ck_assert_int_eq(buf_addstr(&out, "  FAILED:\n"
	                                  "    alertname: InstanceDown, time: "
	                                  "6m, \n        exp:[], \n"
	                                  "        got:[\n"),
	                 0);
	for (int i = 0; i < 40000; i++)
		ck_assert_int_eq(buf_addf(&out,
		                          "            %d:\n"
		                          "              Labels:{i=\"%d\"}\n"
		                          "              Annotations:{}\n",
		                          i, i),
		                 0);
	ck_assert_int_eq(buf_addstr(&out, "            ]\n\n"), 0);
	ck_assert_uint_eq(report(&d, "node", buf_cstr(&out)), 1);
	ck_assert_msg(strstr(d.items[0].message, "expected no alert, got "),
	              "%s", d.items[0].message);
	buf_release(&out);
	diag_release(&d);
}
END_TEST

START_TEST(a_path_leaving_the_folder_is_refused)
{
	struct promtool_file f = {"../x.yml", "x", 1};
	struct buf out = BUF_INIT;
	char *dir = NULL;
	struct err e;
	int status = -1;

	err_clear(&e);
	ck_assert_int_eq(promtool_test_rules(&status, &dir, &out, "/bin/true",
	                                     &f, 1, "../x.yml", 1000, &e),
	                 ERR_INVALID);
	ck_assert_str_eq(e.msg, "'../x.yml' is not a path inside a folder");
	ck_assert_ptr_null(dir);
	f.path = "/etc/x.yml";
	ck_assert_int_eq(promtool_test_rules(&status, &dir, &out, "/bin/true",
	                                     &f, 1, "/etc/x.yml", 1000, &e),
	                 ERR_INVALID);
	buf_release(&out);
}
END_TEST

START_TEST(files_are_laid_out_and_removed)
{
	struct promtool_file f[] = {{"alerts/a.test.yml", "tests: []\n", 10},
	                            {"alerts/a.yml", "groups: []\n", 11}};
	char tool[] = "/tmp/kedge-unit-tool-XXXXXX";
	const char *script = "#!/bin/sh\necho \"$1 $2\"\n"
	                     "cat \"$3\" \"$(dirname \"$3\")/a.yml\"\nexit 1\n";
	struct buf out;
	char *dir = NULL;
	struct err e;
	int status = -1, fd = mkstemp(tool);
	DIR *gone;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, script, strlen(script)),
	                 (ssize_t)strlen(script));
	ck_assert_int_eq(fchmod(fd, 0700), 0);
	close(fd);
	buf_init(&out, 4096);
	err_clear(&e);
	ck_assert_int_eq(promtool_test_rules(&status, &dir, &out, tool, f, 2,
	                                     "alerts/a.test.yml", 5000, &e),
	                 0);
	unlink(tool);
	ck_assert_int_eq(status, 1);
	ck_assert_str_eq(buf_cstr(&out), "test rules\ntests: []\ngroups: []\n");
	ck_assert_ptr_nonnull(dir);
	gone = opendir(dir);
	ck_assert_msg(!gone, "'%s' is left behind", dir);
	free(dir);
	buf_release(&out);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("ruletest");

	UNIT_TCASE(s, alert_failure_names_test_alert_and_difference);
	UNIT_TCASE(s, unnamed_tests_are_numbered_and_matched_in_order);
	UNIT_TCASE(s, expression_failure_and_error_at_their_items);
	UNIT_TCASE(s, rule_evaluation_error_names_the_rule);
	UNIT_TCASE(s, yaml_error_gets_its_line);
	UNIT_TCASE(s, other_text_is_reported_without_the_folder);
	UNIT_TCASE(s, unknown_alert_is_still_an_error_on_the_tests);
	UNIT_TCASE(s, long_results_are_cut);
	UNIT_TCASE(s, a_huge_result_is_one_error);
	UNIT_TCASE(s, a_path_leaving_the_folder_is_refused);
	UNIT_TCASE(s, files_are_laid_out_and_removed);
	return s;
}
