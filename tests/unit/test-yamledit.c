/*
 * test-yamledit.c: unit tests for yamledit.c (editing YAML text in place).
 *
 * Each case gives a file, one edit, and the exact text that must come
 * out: only the changed value's bytes differ, the rest (comments, blank
 * lines, quoting, indentation, line endings) is as it was. Refusals are
 * checked for their code and wording, and for leaving the text alone.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "yamldoc.h"
#include "yamledit.h"
#include "unit.h"

static json_t *parse_json(const char *json)
{
	json_error_t jerr;
	json_t *v = json_loads(json, JSON_DECODE_ANY, &jerr);

	ck_assert_msg(v != NULL, "bad JSON in the test: %s", json);
	return v;
}

static struct yamledit *open_text(const char *text)
{
	struct yamledit *e = NULL;
	struct err err;
	int rc;

	err_clear(&err);
	rc = yamledit_open(&e, text, strlen(text), "t.yml", &err);
	ck_assert_msg(rc == 0, "open failed: %s", err.msg);
	return e;
}

/* The loaded document of the text must be the editor's document. */
static void check_reload(const struct yamledit *e)
{
	size_t len;
	const char *text = yamledit_text(e, &len);
	json_t *doc = NULL;
	int rc = yamldoc_parse(&doc, NULL, text, len, "t.yml", NULL, NULL);

	ck_assert_int_eq(rc, 0);
	ck_assert(json_equal(doc, (json_t *)yamledit_doc(e)));
	json_decref(doc);
}

/* Sets pointer to json (NULL: removes it) and expects want as the text. */
static void expect_edit(const char *text, const char *pointer, const char *json,
                        const char *want)
{
	struct yamledit *e = open_text(text);
	struct err err;
	json_t *v = json ? parse_json(json) : NULL;
	int rc;

	err_clear(&err);
	rc = v ? yamledit_set(e, pointer, v, &err)
	       : yamledit_remove(e, pointer, &err);
	ck_assert_msg(rc == 0, "%s '%s' failed: %s", json ? "set" : "remove",
	              pointer, err.msg);
	ck_assert_msg(!strcmp(yamledit_text(e, NULL), want),
	              "%s '%s' gave\n[%s]\nwant\n[%s]", json ? "set" : "remove",
	              pointer, yamledit_text(e, NULL), want);
	check_reload(e);
	json_decref(v);
	yamledit_free(e);
}

/* Expects the edit to fail with code and a message containing msg. */
static void expect_fail(const char *text, const char *pointer, const char *json,
                        int code, const char *msg)
{
	struct yamledit *e = open_text(text);
	struct err err;
	json_t *v = json ? parse_json(json) : NULL;
	int rc;

	err_clear(&err);
	rc = v ? yamledit_set(e, pointer, v, &err)
	       : yamledit_remove(e, pointer, &err);
	ck_assert_msg(rc == code, "'%s' gave %d (%s), want %d", pointer, rc,
	              err.msg, code);
	ck_assert_msg(strstr(err.msg, msg), "'%s': message '%s' lacks '%s'",
	              pointer, err.msg, msg);
	ck_assert_str_eq(yamledit_text(e, NULL), text);
	json_decref(v);
	yamledit_free(e);
}

static const char compose[] = "# the shop\n"
                              "services:\n"
                              "  api:\n"
                              "    image: \"nginx:1.25\" # pinned\n"
                              "    deploy:\n"
                              "      # how many\n"
                              "      replicas: 2 # was 1\n"
                              "      mode: replicated\n"
                              "\n"
                              "  # the database\n"
                              "  db:\n"
                              "    image: postgres:16\n"
                              "\n"
                              "  # the front\n"
                              "  web:\n"
                              "    image: 'caddy:2'\n";

START_TEST(test_scale)
{
	expect_edit(compose, "/services/api/deploy/replicas", "5",
	            "# the shop\n"
	            "services:\n"
	            "  api:\n"
	            "    image: \"nginx:1.25\" # pinned\n"
	            "    deploy:\n"
	            "      # how many\n"
	            "      replicas: 5 # was 1\n"
	            "      mode: replicated\n"
	            "\n"
	            "  # the database\n"
	            "  db:\n"
	            "    image: postgres:16\n"
	            "\n"
	            "  # the front\n"
	            "  web:\n"
	            "    image: 'caddy:2'\n");
}
END_TEST

START_TEST(test_image_keeps_quotes)
{
	expect_edit("a:\n  image: \"nginx:1.25\" # x\n", "/a/image",
	            "\"nginx:1.27\"", "a:\n  image: \"nginx:1.27\" # x\n");
	expect_edit("a:\n  image: 'caddy:2'\n", "/a/image", "\"caddy:2.8\"",
	            "a:\n  image: 'caddy:2.8'\n");
	expect_edit("a:\n  image: postgres:16\n", "/a/image", "\"postgres:17\"",
	            "a:\n  image: postgres:17\n");
	/* The same value again changes nothing, not even the layout. */
	expect_edit("a: {b: [1,2]}  # c\n", "/a", "{\"b\": [1, 2]}",
	            "a: {b: [1,2]}  # c\n");
	/* A number where a quoted string was is written plain. */
	expect_edit("a: \"2\"\n", "/a", "3", "a: 3\n");
}
END_TEST

START_TEST(test_new_member)
{
	expect_edit(compose, "/services/db/deploy/replicas", "3",
	            "# the shop\n"
	            "services:\n"
	            "  api:\n"
	            "    image: \"nginx:1.25\" # pinned\n"
	            "    deploy:\n"
	            "      # how many\n"
	            "      replicas: 2 # was 1\n"
	            "      mode: replicated\n"
	            "\n"
	            "  # the database\n"
	            "  db:\n"
	            "    image: postgres:16\n"
	            "    deploy:\n"
	            "      replicas: 3\n"
	            "\n"
	            "  # the front\n"
	            "  web:\n"
	            "    image: 'caddy:2'\n");
	expect_edit("a: 1\n", "/b", "\"x\"", "a: 1\nb: x\n");
	expect_edit("a: 1", "/b", "2", "a: 1\nb: 2");
}
END_TEST

START_TEST(test_nested_creation)
{
	expect_edit("services:\n"
	            "  api:\n"
	            "    deploy:\n"
	            "      replicas: 2\n"
	            "  web:\n"
	            "    image: x\n",
	            "/services/api/deploy/placement/constraints",
	            "[\"node.role == manager\", \"node.labels.zone==a\"]",
	            "services:\n"
	            "  api:\n"
	            "    deploy:\n"
	            "      replicas: 2\n"
	            "      placement:\n"
	            "        constraints:\n"
	            "          - node.role == manager\n"
	            "          - node.labels.zone==a\n"
	            "  web:\n"
	            "    image: x\n");
	/* Replacing a list keeps its indentation, even when not indented. */
	expect_edit("deploy:\n"
	            "  placement:\n"
	            "    constraints:\n"
	            "    - a==b # old\n"
	            "  replicas: 1\n",
	            "/deploy/placement/constraints", "[\"c==d\", \"e==f\"]",
	            "deploy:\n"
	            "  placement:\n"
	            "    constraints:\n"
	            "    - c==d\n"
	            "    - e==f # old\n"
	            "  replicas: 1\n");
	/* A null member becomes the mapping. */
	expect_edit("a:\nb: 1\n", "/a/c", "true", "a:\n  c: true\nb: 1\n");
}
END_TEST

START_TEST(test_flow)
{
	expect_edit("labels: {a: \"1\", b: x} # keep\n", "/labels/c", "\"z\"",
	            "labels: {a: \"1\", b: x, c: z} # keep\n");
	/* "y" is a boolean in YAML 1.1. */
	expect_edit("labels: {a: \"1\"}\n", "/labels/c", "\"y\"",
	            "labels: {a: \"1\", c: \"y\"}\n");
	expect_edit("labels: {a: \"1\", b: x}\n", "/labels/a", "\"2\"",
	            "labels: {a: \"2\", b: x}\n");
	expect_edit("labels: {}\n", "/labels/a", "\"b,c\"",
	            "labels: {a: \"b,c\"}\n");
	expect_edit("ports: [80, 443]\n", "/ports/-", "8080",
	            "ports: [80, 443, 8080]\n");
	expect_edit("ports: []\n", "/ports/-", "{\"a\": [1]}",
	            "ports: [{a: [1]}]\n");
	expect_edit("labels: {a: 1, b: 2, c: 3}\n", "/labels/b", NULL,
	            "labels: {a: 1, c: 3}\n");
	expect_edit("labels: {a: 1, b: 2, c: 3}\n", "/labels/c", NULL,
	            "labels: {a: 1, b: 2}\n");
	expect_edit("p: [1, 2]\n", "/p/0", NULL, "p: [2]\n");
	expect_edit("p: [1]\n", "/p/0", NULL, "p: []\n");
}
END_TEST

static const char rules[] = "groups:\n"
                            "  - name: node\n"
                            "    rules:\n"
                            "      # load\n"
                            "      - alert: HighLoad\n"
                            "        expr: node_load1 > 4\n"
                            "        for: 5m\n"
                            "      # disk\n"
                            "      - alert: DiskFull\n"
                            "        expr: disk > 0.9\n"
                            "        annotations:\n"
                            "          summary: |\n"
                            "            The disk is full.\n"
                            "\n"
                            "  - name: other\n"
                            "    rules: []\n";

START_TEST(test_append_rule)
{
	expect_edit(rules, "/groups/0/rules/-",
	            "{\"alert\": \"Down\", \"expr\": \"up == 0\", "
	            "\"for\": \"1m\", \"labels\": {\"severity\": \"page\"}, "
	            "\"annotations\": {}}",
	            "groups:\n"
	            "  - name: node\n"
	            "    rules:\n"
	            "      # load\n"
	            "      - alert: HighLoad\n"
	            "        expr: node_load1 > 4\n"
	            "        for: 5m\n"
	            "      # disk\n"
	            "      - alert: DiskFull\n"
	            "        expr: disk > 0.9\n"
	            "        annotations:\n"
	            "          summary: |\n"
	            "            The disk is full.\n"
	            "      - alert: Down\n"
	            "        expr: up == 0\n"
	            "        for: 1m\n"
	            "        labels:\n"
	            "          severity: page\n"
	            "        annotations: {}\n"
	            "\n"
	            "  - name: other\n"
	            "    rules: []\n");
}
END_TEST

START_TEST(test_remove_item)
{
	expect_edit(rules, "/groups/0/rules/0", NULL,
	            "groups:\n"
	            "  - name: node\n"
	            "    rules:\n"
	            "      # disk\n"
	            "      - alert: DiskFull\n"
	            "        expr: disk > 0.9\n"
	            "        annotations:\n"
	            "          summary: |\n"
	            "            The disk is full.\n"
	            "\n"
	            "  - name: other\n"
	            "    rules: []\n");
	expect_edit(rules, "/groups/0/rules/1", NULL,
	            "groups:\n"
	            "  - name: node\n"
	            "    rules:\n"
	            "      # load\n"
	            "      - alert: HighLoad\n"
	            "        expr: node_load1 > 4\n"
	            "        for: 5m\n"
	            "\n"
	            "  - name: other\n"
	            "    rules: []\n");
	/* The first member of an item goes, the '-' stays. */
	expect_edit("- a: 1\n  b: 2\n", "/0/a", NULL, "- b: 2\n");
	expect_edit("x:\n  - 1\n", "/x/0", NULL, "x: []\n");
	/* A '-' alone on its line, or with a comment after it. */
	expect_edit("r:\n  - a # b\n  - #alert: B\n    expr: y\n  - c\n",
	            "/r/1", NULL, "r:\n  - a # b\n  - c\n");
	expect_edit("r:\n  -\n    x: 1\n", "/r/-", "2",
	            "r:\n  -\n    x: 1\n  - 2\n");
}
END_TEST

START_TEST(test_remove_member)
{
	expect_edit(compose, "/services/db", NULL,
	            "# the shop\n"
	            "services:\n"
	            "  api:\n"
	            "    image: \"nginx:1.25\" # pinned\n"
	            "    deploy:\n"
	            "      # how many\n"
	            "      replicas: 2 # was 1\n"
	            "      mode: replicated\n"
	            "\n"
	            "  # the front\n"
	            "  web:\n"
	            "    image: 'caddy:2'\n");
	expect_edit(compose, "/services/api/deploy/replicas", NULL,
	            "# the shop\n"
	            "services:\n"
	            "  api:\n"
	            "    image: \"nginx:1.25\" # pinned\n"
	            "    deploy:\n"
	            "      mode: replicated\n"
	            "\n"
	            "  # the database\n"
	            "  db:\n"
	            "    image: postgres:16\n"
	            "\n"
	            "  # the front\n"
	            "  web:\n"
	            "    image: 'caddy:2'\n");
	expect_edit("a:\n  b: 1 # c\nd: 2\n", "/a/b", NULL, "a: {}\nd: 2\n");
	expect_edit("a: 1\n", "/a", NULL, "{}\n");
}
END_TEST

START_TEST(test_alias_to_merge)
{
	expect_edit("x-defaults: &defaults\n"
	            "  replicas: 2\n"
	            "  mode: replicated\n"
	            "services:\n"
	            "  api:\n"
	            "    deploy: *defaults\n"
	            "  web:\n"
	            "    deploy: *defaults\n",
	            "/services/api/deploy/replicas", "5",
	            "x-defaults: &defaults\n"
	            "  replicas: 2\n"
	            "  mode: replicated\n"
	            "services:\n"
	            "  api:\n"
	            "    deploy:\n"
	            "      <<: *defaults\n"
	            "      replicas: 5\n"
	            "  web:\n"
	            "    deploy: *defaults\n");
	/* A member that comes from a merge key gets an explicit one. */
	expect_edit("base: &b {replicas: 2, mode: global}\n"
	            "api:\n"
	            "  <<: *b\n"
	            "  image: x\n",
	            "/api/replicas", "4",
	            "base: &b {replicas: 2, mode: global}\n"
	            "api:\n"
	            "  <<: *b\n"
	            "  image: x\n"
	            "  replicas: 4\n");
	/* Inside the anchor, the anchored mapping moves under a merge key. */
	expect_edit("services:\n"
	            "  api:\n"
	            "    deploy: &d\n"
	            "      replicas: 2 # two\n"
	            "      mode: replicated\n"
	            "  web:\n"
	            "    deploy: *d\n",
	            "/services/api/deploy/replicas", "5",
	            "services:\n"
	            "  api:\n"
	            "    deploy:\n"
	            "      <<: &d\n"
	            "        replicas: 2 # two\n"
	            "        mode: replicated\n"
	            "      replicas: 5\n"
	            "  web:\n"
	            "    deploy: *d\n");
	expect_edit("l:\n  - &d\n    a: 1\n  - *d\n", "/l/0/b", "2",
	            "l:\n  - <<: &d\n      a: 1\n    b: 2\n  - *d\n");
	expect_edit("x: {d: &d {a: 1}}\ny: *d\n", "/x/d/a", "3",
	            "x: {d: {<<: &d {a: 1}, a: 3}}\ny: *d\n");
	/* Replacing the alias itself leaves the anchor alone. */
	expect_edit("a: &v 1\nb: *v\n", "/b", "2", "a: &v 1\nb: 2\n");
}
END_TEST

START_TEST(test_alias_refused)
{
	expect_fail("a: &v 1\nb: *v\n", "/a", "2", ERR_UNSUPPORTED, "&v");
	expect_fail("a: &l [1, 2]\nb: *l\n", "/b/-", "3", ERR_UNSUPPORTED,
	            "*l");
	expect_fail("a: &m\n  x: &n 1\nb: *m\nc: *n\n", "/a/x", "2",
	            ERR_UNSUPPORTED, "&n");
	expect_fail("a: &m\n  x: 1\nb: *m\n", "/a/x", NULL, ERR_UNSUPPORTED,
	            "&m");
	expect_fail("a: &m\n  x: 1\nb: *m\n", "/a", "{}", ERR_UNSUPPORTED,
	            "&m");
	expect_fail("d: &d\n  r: 1\nx:\n  <<: *d\n  r: 3\n", "/x/r", NULL,
	            ERR_UNSUPPORTED,
	            "'/x/r' is also in &d, which '<<: *d' merges in");
	expect_fail("d: &d\n  r: 1\nx:\n  <<: *d\n", "/x/r", NULL,
	            ERR_UNSUPPORTED, "comes from a merge key");
	expect_fail("a: &m\n  x: 1\nb: *m\n", "/b/x", NULL, ERR_UNSUPPORTED,
	            "*m");
}
END_TEST

START_TEST(test_type_looking_strings)
{
	static const char *const table[][2] = {
	        {"\"5\"", "a: \"5\"\n"},       {"\"true\"", "a: \"true\"\n"},
	        {"\"null\"", "a: \"null\"\n"}, {"\"yes\"", "a: \"yes\"\n"},
	        {"\"1.0\"", "a: \"1.0\"\n"},   {"\"\"", "a: \"\"\n"},
	        {"\"a: b\"", "a: \"a: b\"\n"}, {"\"x #y\"", "a: \"x #y\"\n"},
	        {"\"- x\"", "a: \"- x\"\n"},   {"\"*x\"", "a: \"*x\"\n"},
	        {"\" x\"", "a: \" x\"\n"},     {"\"a\\nb\"", "a: \"a\\nb\"\n"},
	        {"\"0x1F\"", "a: \"0x1F\"\n"}, {"\"~\"", "a: \"~\"\n"},
	        {"\"x#y\"", "a: x#y\n"},       {"1.5", "a: 1.5\n"},
	        {"null", "a: null\n"},         {"false", "a: false\n"},
	        {"2.0", "a: 2.0\n"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		expect_edit("a: old\n", "/a", table[i][0], table[i][1]);
	expect_edit("a: 1\n", "/<<", "2", "a: 1\n\"<<\": 2\n");
}
END_TEST

START_TEST(test_not_found)
{
	expect_fail(compose, "/services/api/image/tag", "1", ERR_NOTFOUND,
	            "'/services/api/image' is a string, not a mapping");
	expect_fail("p: [1]\n", "/p/3", "1", ERR_NOTFOUND,
	            "'/p' has no item '3'");
	expect_fail("p: [1]\n", "/p/x/y", "1", ERR_NOTFOUND,
	            "'/p' has no item 'x'");
	expect_fail(compose, "/services/nope", NULL, ERR_NOTFOUND,
	            "there is nothing at '/services/nope'");
	expect_fail(compose, "services", "1", ERR_INVALID, "JSON Pointer");
	expect_fail(compose, "", NULL, ERR_UNSUPPORTED, "whole document");
	expect_fail("? a\n: 1\n", "/b", "2", ERR_UNSUPPORTED, "explicit keys");
	/* Known limit: a line after "|" at the end of the file would add a
	 * line break to its value; refused, nothing changed. */
	expect_fail("c: |\n  e", "/d", "1", ERR_INTERNAL,
	            "would change more than that value");
	/* A '?' at the end of a value is not an explicit key. */
	expect_edit("a: why?\nb: 1\n", "/c", "2", "a: why?\nb: 1\nc: 2\n");
}
END_TEST

START_TEST(test_crlf)
{
	expect_edit("a:\r\n  b: 1\r\n  c: 2\r\nd: 3\r\n", "/a/e", "{\"f\": 1}",
	            "a:\r\n  b: 1\r\n  c: 2\r\n  e:\r\n    f: 1\r\nd: 3\r\n");
	expect_edit("a:\r\n  # c\r\n  b: 1\r\n  c: 2\r\n", "/a/b", NULL,
	            "a:\r\n  c: 2\r\n");
}
END_TEST

START_TEST(test_four_spaces)
{
	expect_edit("services:\n"
	            "    api:\n"
	            "        image: x\n",
	            "/services/api/deploy", "{\"replicas\": 2}",
	            "services:\n"
	            "    api:\n"
	            "        image: x\n"
	            "        deploy:\n"
	            "            replicas: 2\n");
	/* Three spaces, and lists not indented under their key. */
	expect_edit("a:\n   l:\n   - x\n   b: 1\n", "/a/m",
	            "[\"z\", {\"k\": 1}]",
	            "a:\n   l:\n   - x\n   b: 1\n   m:\n   - z\n   - k: 1\n");
	expect_edit("a:\n   b: 1\n", "/a/c/d/e", "1",
	            "a:\n   b: 1\n   c:\n      d:\n         e: 1\n");
	/* Tabs inside values are not indentation. */
	expect_edit("a:\n  b: \"x\ty\"\t# t\n", "/a/c", "\"p\\tq\"",
	            "a:\n  b: \"x\ty\"\t# t\n  c: \"p\\tq\"\n");
}
END_TEST

START_TEST(test_empty_document)
{
	expect_edit("", "/services/api/image", "\"x\"",
	            "services:\n  api:\n    image: x\n");
	expect_edit("# nothing yet", "/a", "1", "# nothing yet\na: 1\n");
	expect_edit("---\n", "/a", "1", "---\na: 1\n");
	expect_edit("---\n...\n", "/a", "1", "---\na: 1\n...\n");
	expect_edit("!!str\n", "", "{\"a\": 1}", "a: 1\n");
	expect_edit("--- x\n", "", "{\"a\": 1}", "---\na: 1\n");
}
END_TEST

START_TEST(test_bom)
{
	expect_edit("\xef\xbb\xbf# c\na: 1\n", "/b/c", "1",
	            "\xef\xbb\xbf# c\na: 1\nb:\n  c: 1\n");
	expect_edit("\xef\xbb\xbf"
	            "a: 1\nb: 2\n",
	            "/a", NULL,
	            "\xef\xbb\xbf"
	            "b: 2\n");
}
END_TEST

START_TEST(test_alias_of_null)
{
	expect_edit("x: &d\ny: *d\n", "/y/a", "1", "x: &d\ny:\n  a: 1\n");
}
END_TEST

START_TEST(test_several_edits)
{
	struct yamledit *e = open_text(compose);
	json_t *v = json_integer(7);
	struct err err;

	err_clear(&err);
	ck_assert_int_eq(
	        yamledit_set(e, "/services/web/deploy/replicas", v, &err), 0);
	ck_assert_int_eq(
	        yamledit_set(e, "/services/web/deploy/replicas", v, &err), 0);
	ck_assert_int_eq(yamledit_remove(e, "/services/api", &err), 0);
	ck_assert_str_eq(yamledit_text(e, NULL), "# the shop\n"
	                                         "services:\n"
	                                         "\n"
	                                         "  # the database\n"
	                                         "  db:\n"
	                                         "    image: postgres:16\n"
	                                         "\n"
	                                         "  # the front\n"
	                                         "  web:\n"
	                                         "    image: 'caddy:2'\n"
	                                         "    deploy:\n"
	                                         "      replicas: 7\n");
	check_reload(e);
	json_decref(v);
	yamledit_free(e);
}
END_TEST

START_TEST(test_nested_values)
{
	expect_edit("l:\n  - x\n", "/l/-",
	            "[[1, 2], {\"a\": [3], \"b\": {\"c\": {}}}, [], \"\"]",
	            "l:\n"
	            "  - x\n"
	            "  - - - 1\n"
	            "      - 2\n"
	            "    - a:\n"
	            "        - 3\n"
	            "      b:\n"
	            "        c: {}\n"
	            "    - []\n"
	            "    - \"\"\n");
	expect_edit("a: 1\n", "/m",
	            "{\"k\": [{\"a\": 1, \"b\": [true, null, 1.5, -0.0, "
	            "1e300]}]}",
	            "a: 1\n"
	            "m:\n"
	            "  k:\n"
	            "    - a: 1\n"
	            "      b:\n"
	            "        - true\n"
	            "        - null\n"
	            "        - 1.5\n"
	            "        - -0.0\n"
	            "        - 1e+300\n");
}
END_TEST

START_TEST(test_blank_lines)
{
	/* A removed entry between blank lines takes one of them along. */
	expect_edit("a:\n  x: 1\n\n  y: 2\n\nb: 1\n", "/a/y", NULL,
	            "a:\n  x: 1\n\nb: 1\n");
	expect_edit("a: 1\n\nb: 2\nc: 3\n", "/b", NULL, "a: 1\n\nc: 3\n");
	/* A flow mapping over several lines. */
	expect_edit("l: {\n  a: 1,\n  b: 2\n}\n", "/l/c", "3",
	            "l: {\n  a: 1,\n  b: 2, c: 3\n}\n");
}
END_TEST

START_TEST(test_environment)
{
	static const char env[] = "services:\n"
	                          "  api:\n"
	                          "    environment:\n"
	                          "      LOG: debug # for now\n"
	                          "      PORT: \"8080\"\n";

	expect_edit(env, "/services/api/environment/PORT", "\"9090\"",
	            "services:\n"
	            "  api:\n"
	            "    environment:\n"
	            "      LOG: debug # for now\n"
	            "      PORT: \"9090\"\n");
	expect_edit(env, "/services/api/environment/LOG", "\"on\"",
	            "services:\n"
	            "  api:\n"
	            "    environment:\n"
	            "      LOG: \"on\" # for now\n"
	            "      PORT: \"8080\"\n");
	expect_edit(env, "/services/api/environment/LOG", NULL,
	            "services:\n"
	            "  api:\n"
	            "    environment:\n"
	            "      PORT: \"8080\"\n");
	expect_edit(env, "/services/api/environment/NEW_ONE", "\"a b\"",
	            "services:\n"
	            "  api:\n"
	            "    environment:\n"
	            "      LOG: debug # for now\n"
	            "      PORT: \"8080\"\n"
	            "      NEW_ONE: a b\n");
}
END_TEST

START_TEST(test_block_scalar)
{
	expect_edit("a:\n  s: |\n    line1\n    line2\n  t: 1\n", "/a/s",
	            "\"new\\n\\nvalue\\n\"",
	            "a:\n  s: |\n    new\n\n    value\n  t: 1\n");
	expect_edit("a:\n  - >-\n    line1\n    line2\n  - 1\n", "/a/0",
	            "\"new\\nvalue\"",
	            "a:\n  - |-\n    new\n    value\n  - 1\n");
	/* Not a block any more when it is one line. */
	expect_edit("a: |\n  x\nb: 1\n", "/a", "\"z\"", "a: z\nb: 1\n");
	/* New multi-line strings are double-quoted. */
	expect_edit("a: 1\n", "/b", "\"x\\ny\"", "a: 1\nb: \"x\\ny\"\n");
	/* A member goes after the block scalar, not after its blank lines. */
	expect_edit("a:\n  s: |\n    x\n\n# next\nb: 1\n", "/a/t", "2",
	            "a:\n  s: |\n    x\n  t: 2\n\n# next\nb: 1\n");
}
END_TEST

START_TEST(test_sequence_items)
{
	expect_edit("env:\n  - FOO=1 # one\n  - BAR=2\n", "/env/1", "\"BAR=3\"",
	            "env:\n  - FOO=1 # one\n  - BAR=3\n");
	expect_edit("env:\n  - FOO=1 # one\n  - BAR=2\n", "/env/-",
	            "\"X=a: b\"",
	            "env:\n  - FOO=1 # one\n  - BAR=2\n  - \"X=a: b\"\n");
	expect_edit("env:\n- FOO=1\nx: 1\n", "/env/-", "\"B=2\"",
	            "env:\n- FOO=1\n- B=2\nx: 1\n");
	expect_edit("d: &d {a: 1}\nl:\n  - *d\n  - b\n", "/l/0/c", "2",
	            "d: &d {a: 1}\nl:\n  - <<: *d\n    c: 2\n  - b\n");
	expect_edit("d: &d {a: 1}\nl: [*d, b]\n", "/l/0/c", "2",
	            "d: &d {a: 1}\nl: [{<<: *d, c: 2}, b]\n");
	expect_edit("l:\n  - a\n  # about b\n  - b\n  - c\n", "/l/1", NULL,
	            "l:\n  - a\n  - c\n");
	expect_edit("l:\n  - - a\n    - b\n", "/l/0/0", NULL, "l:\n  - - b\n");
	expect_edit("l:\n  - [a]\n", "/l/0/-", "{\"k\": \"v\"}",
	            "l:\n  - [a, {k: v}]\n");
}
END_TEST

START_TEST(test_open_errors)
{
	struct yamledit *e = NULL;
	struct err err;

	err_clear(&err);
	ck_assert_int_eq(yamledit_open(&e, "a: [", 4, "t.yml", &err),
	                 ERR_INVALID);
	ck_assert_ptr_null(e);
	ck_assert_int_eq(
	        yamledit_open(&e, "a: 1\n---\nb: 2\n", 14, "t.yml", &err),
	        ERR_INVALID);
	ck_assert(strstr(err.msg, "only one YAML document"));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("yamledit");

	UNIT_TCASE(s, test_scale);
	UNIT_TCASE(s, test_image_keeps_quotes);
	UNIT_TCASE(s, test_new_member);
	UNIT_TCASE(s, test_nested_creation);
	UNIT_TCASE(s, test_flow);
	UNIT_TCASE(s, test_append_rule);
	UNIT_TCASE(s, test_remove_item);
	UNIT_TCASE(s, test_remove_member);
	UNIT_TCASE(s, test_alias_to_merge);
	UNIT_TCASE(s, test_alias_refused);
	UNIT_TCASE(s, test_type_looking_strings);
	UNIT_TCASE(s, test_not_found);
	UNIT_TCASE(s, test_crlf);
	UNIT_TCASE(s, test_four_spaces);
	UNIT_TCASE(s, test_empty_document);
	UNIT_TCASE(s, test_bom);
	UNIT_TCASE(s, test_alias_of_null);
	UNIT_TCASE(s, test_several_edits);
	UNIT_TCASE(s, test_nested_values);
	UNIT_TCASE(s, test_blank_lines);
	UNIT_TCASE(s, test_environment);
	UNIT_TCASE(s, test_block_scalar);
	UNIT_TCASE(s, test_sequence_items);
	UNIT_TCASE(s, test_open_errors);
	return s;
}
