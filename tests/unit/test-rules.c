/*
 * test-rules.c: the rules plan (rules.h) without a Prometheus: which files
 * of the folder change, the change lines a user reads, the refusals
 * (a foreign file in the way, a damaged manifest, two repository files
 * for one target), and the comparison with what a Prometheus reports as
 * loaded (rules_loaded_match), on /api/v1/rules replies built here.
 */
#include <jansson.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "desired.h"
#include "diag.h"
#include "err.h"
#include "hash.h"
#include "rules-int.h"
#include "schema.h"
#include "source.h"
#include "unit.h"
#include "util.h"

static const char node_v1[] = "groups:\n"
                              "  - name: node\n"
                              "    rules:\n"
                              "      - alert: DiskFull\n"
                              "        expr: disk > 90\n"
                              "        for: 5m\n"
                              "        labels: {severity: page}\n"
                              "      - alert: DiskFull\n"
                              "        expr: disk > 95\n"
                              "        labels: {severity: ticket}\n"
                              "      - record: job:up:sum\n"
                              "        expr: sum by (job) (up)\n";

struct fixture {
	char dir[64];   /* the repository */
	char rules[80]; /* the rules folder */
	struct schema *schemas;
	struct source *src;
	struct desired *d;
	struct rules_plan *p;
};

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void put_in(const char *dir, const char *rel, const char *text)
{
	char *p = xasprintf("%s/%s", dir, rel);

	put(p, text);
	free(p);
}

static void setup(struct fixture *fx)
{
	char *p;

	memset(fx, 0, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/kedge-rules-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx->dir));
	p = xasprintf("%s/alerts", fx->dir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	free(p);
	snprintf(fx->rules, sizeof(fx->rules), "%s/live", fx->dir);
	ck_assert_int_eq(mkdir(fx->rules, 0700), 0);
	setenv("KEDGE_PROMTOOL", "none", 1);
}

static void load(struct fixture *fx)
{
	struct source_opts so = {0};
	struct diag diag = DIAG_INIT;
	struct err e = {0};

	fx->schemas = schema_new();
	ck_assert_msg(!schema_add_dir(fx->schemas, "schema", &e), "%s", e.msg);
	so.worktree = fx->dir;
	ck_assert_msg(!source_open(&fx->src, &so, &e), "%s", e.msg);
	ck_assert_msg(!desired_load(&fx->d, fx->src, fx->schemas, &diag, &e),
	              "%s", e.msg);
	ck_assert_msg(!diag.errors, "%s",
	              diag.nr ? diag.items[0].message : "?");
	diag_release(&diag);
}

/* Plans without a Prometheus; returns the error (0 with fx->p). */
static int plan(struct fixture *fx, struct err *e)
{
	struct rules_opts o = {0};

	o.dir = fx->rules;
	err_clear(e);
	return rules_plan_build(&fx->p, fx->d, &o, e);
}

/* The change lines as the text view prints them. */
static char *lines(const struct rules_plan *p)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	rules_plan_print(p, f);
	fclose(f);
	return buf;
}

/* Writes the manifest listing name with the sha256 of text. */
static void manifest(struct fixture *fx, const char *name, const char *text)
{
	char sha[HASH_HEX_LEN + 1], *m;

	hash_sha256_hex(sha, text, strlen(text));
	m = xasprintf("{\"kind\":\"kedge-rules-manifest\",\"format\":1,"
	              "\"files\":{\"%s\":{\"sha256\":\"%s\"}}}",
	              name, sha);
	put_in(fx->rules, RULES_MANIFEST, m);
	free(m);
}

static void teardown(struct fixture *fx)
{
	char *cmd = xasprintf("rm -rf '%s'", fx->dir);

	rules_plan_free(fx->p);
	desired_free(fx->d);
	source_free(fx->src);
	schema_free(fx->schemas);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

START_TEST(new_files_are_groups_to_add)
{
	struct fixture fx;
	struct err e;
	char *out;

	setup(&fx);
	put_in(fx.dir, "alerts/node.yml", node_v1);
	put_in(fx.dir, "alerts/web.yaml",
	       "groups: [{name: web, rules: [{record: a:b, expr: up}]}]\n");
	load(&fx);
	ck_assert_int_eq(plan(&fx, &e), 0);
	out = lines(fx.p);
	ck_assert_str_eq(out, "+ group node.yml/node (3 rules)\n"
	                      "+ group web.yml/web (1 rule)\n");
	ck_assert_int_eq(fx.p->nexpect, 2);
	ck_assert_str_eq(fx.p->expect[0].rules[1], "alert:DiskFull");
	ck_assert_str_eq(fx.p->expect[0].rules[2], "record:job:up:sum");
	free(out);
	teardown(&fx);
}
END_TEST

START_TEST(changes_are_rule_by_rule)
{
	struct fixture fx;
	struct err e;
	char *out;

	setup(&fx);
	put_in(fx.dir, "alerts/node.yml",
	       "groups:\n"
	       "  - name: node\n"
	       "    interval: 1m\n"
	       "    rules:\n"
	       "      - alert: DiskFull\n"
	       "        expr: disk > 90\n"
	       "        for: 10m\n"
	       "        labels: {severity: page}\n"
	       "      - alert: DiskFull\n"
	       "        expr: disk > 99\n"
	       "        labels: {severity: ticket, team: ops}\n"
	       "      - alert: NodeDown\n"
	       "        expr: up == 0\n");
	load(&fx);
	put_in(fx.rules, "node.yml", node_v1);
	manifest(&fx, "node.yml", node_v1);
	ck_assert_int_eq(plan(&fx, &e), 0);
	out = lines(fx.p);
	/* the second DiskFull is matched to the second, not the first */
	ck_assert_str_eq(out,
	                 "~ group node.yml/node: interval: (none) -> 1m\n"
	                 "~ alert node.yml/node/DiskFull: for: 5m -> 10m\n"
	                 "~ alert node.yml/node/DiskFull: expr: disk > 95 -> "
	                 "disk > 99\n"
	                 "~ alert node.yml/node/DiskFull: labels.team: (none) "
	                 "-> ops\n"
	                 "+ alert node.yml/node/NodeDown\n"
	                 "- record node.yml/node/job:up:sum\n");
	ck_assert(fx.p->files[0].write);
	free(out);
	teardown(&fx);
}
END_TEST

START_TEST(same_bytes_is_no_change_and_a_comment_is_one)
{
	struct fixture fx;
	struct err e;
	char *out, *commented = xasprintf("# who pages\n%s", node_v1);

	setup(&fx);
	put_in(fx.dir, "alerts/node.yml", node_v1);
	load(&fx);
	put_in(fx.rules, "node.yml", node_v1);
	manifest(&fx, "node.yml", node_v1);
	ck_assert_int_eq(plan(&fx, &e), 0);
	ck_assert(rules_plan_empty(fx.p));
	rules_plan_free(fx.p);
	fx.p = NULL;
	put_in(fx.rules, "node.yml", commented);
	manifest(&fx, "node.yml", commented);
	ck_assert_int_eq(plan(&fx, &e), 0);
	out = lines(fx.p);
	ck_assert_str_eq(out, "~ file node.yml: comments or layout only\n");
	free(out);
	free(commented);
	teardown(&fx);
}
END_TEST

START_TEST(hand_edits_and_deletions_are_drift)
{
	struct fixture fx;
	struct err e;
	char *out;

	setup(&fx);
	put_in(fx.dir, "alerts/node.yml", node_v1);
	load(&fx);
	manifest(&fx, "node.yml", node_v1);
	/* deleted by hand */
	ck_assert_int_eq(plan(&fx, &e), 0);
	out = lines(fx.p);
	ck_assert_str_eq(out, "~ file node.yml: deleted outside kedge\n"
	                      "+ group node.yml/node (3 rules)\n");
	free(out);
	rules_plan_free(fx.p);
	fx.p = NULL;
	/* edited by hand into something that does not parse */
	put_in(fx.rules, "node.yml", "groups: [\n");
	ck_assert_int_eq(plan(&fx, &e), 0);
	out = lines(fx.p);
	ck_assert_str_eq(out, "~ file node.yml: changed outside kedge, and it "
	                      "does not parse\n"
	                      "+ group node.yml/node (3 rules)\n");
	free(out);
	teardown(&fx);
}
END_TEST

START_TEST(a_foreign_file_in_the_way_is_refused)
{
	struct fixture fx;
	struct err e;

	setup(&fx);
	put_in(fx.dir, "alerts/node.yml", node_v1);
	load(&fx);
	put_in(fx.rules, "node.yml", "groups: []\n");
	ck_assert_int_eq(plan(&fx, &e), ERR_CONFLICT);
	ck_assert_ptr_nonnull(strstr(e.msg, "node.yml' was not written by "
	                                    "kedge; refusing to replace it "
	                                    "with alerts/node.yml"));
	ck_assert_ptr_null(fx.p);
	teardown(&fx);
}
END_TEST

START_TEST(a_foreign_file_with_the_same_bytes_is_taken_over)
{
	struct fixture fx;
	struct err e;
	char *out;

	setup(&fx);
	put_in(fx.dir, "alerts/node.yml", node_v1);
	load(&fx);
	put_in(fx.rules, "node.yml", node_v1);
	put_in(fx.rules, "other.yml", "groups: []\n");
	ck_assert_int_eq(plan(&fx, &e), 0);
	out = lines(fx.p);
	ck_assert_str_eq(out, "~ file node.yml: taken over (it already holds "
	                      "the repository's content)\n");
	free(out);
	teardown(&fx);
}
END_TEST

START_TEST(a_file_gone_from_the_repository_is_removed)
{
	struct fixture fx;
	struct err e;
	char *out;

	setup(&fx);
	put_in(fx.dir, "kedge.yml", "instance: t\n");
	load(&fx);
	put_in(fx.rules, "node.yml", node_v1);
	manifest(&fx, "node.yml", node_v1);
	ck_assert_int_eq(plan(&fx, &e), 0);
	out = lines(fx.p);
	ck_assert_str_eq(out, "- group node.yml/node (3 rules)\n");
	ck_assert(fx.p->files[0].remove);
	free(out);
	teardown(&fx);
}
END_TEST

START_TEST(a_damaged_manifest_is_an_error)
{
	struct fixture fx;
	struct err e;

	setup(&fx);
	put_in(fx.dir, "alerts/node.yml", node_v1);
	load(&fx);
	put_in(fx.rules, RULES_MANIFEST, "{\"files\": {\"../x.yml\": {}}}");
	ck_assert_int_eq(plan(&fx, &e), ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(e.msg, "is damaged"));
	teardown(&fx);
}
END_TEST

START_TEST(two_repository_files_for_one_target_are_refused)
{
	struct fixture fx;
	struct err e;

	setup(&fx);
	put_in(fx.dir, "alerts/node.yml", node_v1);
	put_in(fx.dir, "alerts/node.yaml", node_v1);
	load(&fx);
	ck_assert_int_eq(plan(&fx, &e), ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(e.msg, "both become"));
	teardown(&fx);
}
END_TEST

/* /api/v1/rules' data.groups as Prometheus 2.42 sends it. */
static json_t *loaded(const char *dir, const char *rules_of_node,
                      const char *health)
{
	char *file = xasprintf("%s/node.yml", dir);
	json_t *rules = json_array(), *g;
	char *names = xstrdup(rules_of_node), *save = NULL, *tok;

	for (tok = strtok_r(names, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int alert = starts_with(tok, "alert:");

		json_array_append_new(
		        rules, json_pack("{s:s, s:s, s:s}", "name",
		                         strchr(tok, ':') + 1, "type",
		                         alert ? "alerting" : "recording",
		                         "health", health));
	}
	g = json_pack("[{s:s, s:s, s:o}, {s:s, s:s, s:[]}]", "name", "node",
	              "file", file, "rules", rules, "name", "other", "file",
	              "/elsewhere/node.yml", "rules");
	free(names);
	free(file);
	return g;
}

START_TEST(loaded_groups_are_compared_with_the_expected_ones)
{
	struct fixture fx;
	struct err e;
	json_t *g;
	char *why = NULL;

	setup(&fx);
	put_in(fx.dir, "alerts/node.yml", node_v1);
	load(&fx);
	put_in(fx.rules, "node.yml", node_v1);
	manifest(&fx, "node.yml", node_v1);
	ck_assert_int_eq(plan(&fx, &e), 0);
	g = loaded(fx.rules, "alert:DiskFull,alert:DiskFull,record:job:up:sum",
	           "ok");
	ck_assert_msg(rules_loaded_match(fx.p, g, &why) == 0, "%s", why);
	json_decref(g);
	g = loaded(fx.rules, "alert:DiskFull,record:job:up:sum", "unknown");
	ck_assert_int_eq(rules_loaded_match(fx.p, g, &why), 1);
	ck_assert_str_eq(why, "group node.yml/node has 2 rules, not 3");
	free(why);
	json_decref(g);
	g = loaded(fx.rules, "alert:DiskFull,alert:DiskFull,record:job:up:sum",
	           "err");
	ck_assert_int_eq(rules_loaded_match(fx.p, g, &why), 1);
	ck_assert_ptr_nonnull(strstr(why, "fails"));
	free(why);
	json_decref(g);
	g = json_array();
	ck_assert_int_eq(rules_loaded_match(fx.p, g, &why), 1);
	ck_assert_str_eq(why, "group node.yml/node is not loaded");
	free(why);
	json_decref(g);
	teardown(&fx);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("rules");

	UNIT_TCASE(s, new_files_are_groups_to_add);
	UNIT_TCASE(s, changes_are_rule_by_rule);
	UNIT_TCASE(s, same_bytes_is_no_change_and_a_comment_is_one);
	UNIT_TCASE(s, hand_edits_and_deletions_are_drift);
	UNIT_TCASE(s, a_foreign_file_in_the_way_is_refused);
	UNIT_TCASE(s, a_foreign_file_with_the_same_bytes_is_taken_over);
	UNIT_TCASE(s, a_file_gone_from_the_repository_is_removed);
	UNIT_TCASE(s, a_damaged_manifest_is_an_error);
	UNIT_TCASE(s, two_repository_files_for_one_target_are_refused);
	UNIT_TCASE(s, loaded_groups_are_compared_with_the_expected_ones);
	return s;
}
