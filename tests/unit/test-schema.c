/*
 * test-schema.c: unit tests of the JSON Schema validator (schema.h).
 *
 * Owns: what a person editing YAML sees from the validator (messages,
 * pointers, warnings), $ref across documents, regex translation, and the
 * recursion bounds (durations and sizes: test-units.c). Does not own: the
 * official suite (tests/jsonschema/suite.c).
 */
#include <sys/stat.h>

#include <jansson.h>

#include "unit.h"
#include "schema.h"
#include "err.h"

#define URI "https://kedge.test/t.json"

struct got {
	char lines[64][1024];
	int nr, warnings;
};

/* Records "E /ptr k message" (W for warnings, k: key_problem). */
static void record(void *ctx, enum schema_severity sev, const char *pointer,
                   int key_problem, const char *message)
{
	struct got *g = ctx;

	if (sev == SCHEMA_WARNING)
		g->warnings++;
	if (g->nr < 64)
		snprintf(g->lines[g->nr++], sizeof(g->lines[0]), "%c %s %d %s",
		         sev == SCHEMA_ERROR ? 'E' : 'W', pointer, key_problem,
		         message);
}

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);

	ck_assert_msg(j != NULL, "bad test JSON: %s", jerr.text);
	return j;
}

/* Validates instance against schema; returns schema_validate's result. */
static int check(struct got *g, const char *schema, const char *instance)
{
	struct schema *s = schema_new();
	json_t *sch = parse(schema), *inst = parse(instance);
	struct err err;
	int rc;

	memset(g, 0, sizeof(*g));
	err_clear(&err);
	rc = schema_add(s, URI, sch, &err);
	ck_assert_msg(rc == 0, "schema_add: %s", err.msg);
	rc = schema_validate(s, URI, inst, record, g, &err);
	json_decref(sch);
	json_decref(inst);
	schema_free(s);
	return rc;
}

static void has(const struct got *g, const char *line)
{
	int i;

	for (i = 0; i < g->nr; i++)
		if (!strcmp(g->lines[i], line))
			return;
	ck_abort_msg("no report '%s' (first: '%s', %d in all)", line,
	             g->nr ? g->lines[0] : "", g->nr);
}

static const char *compose =
        "{\"type\":\"object\",\"properties\":{\"services\":{"
        "\"type\":\"object\",\"additionalProperties\":{\"$ref\":"
        "\"#/$defs/service\"}}},\"$defs\":{\"service\":{\"type\":\"object\","
        "\"required\":[\"image\"],\"additionalProperties\":false,"
        "\"properties\":{\"image\":{\"type\":\"string\"},"
        "\"build\":{\"x-kedge-warning\":\"'build' is ignored by docker stack "
        "deploy; build the image in CI\"},"
        "\"links\":{\"x-kedge-deprecated\":true},"
        "\"replicas\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":100},"
        "\"mode\":{\"enum\":[\"replicated\",\"global\",\"replicated-job\","
        "\"global-job\"]},"
        "\"name\":{\"type\":\"string\",\"pattern\":\"^[a-z][a-z0-9_-]*$\","
        "\"minLength\":2},"
        "\"interval\":{\"type\":\"string\",\"format\":\"duration\"},"
        "\"memory\":{\"type\":\"string\",\"format\":\"bytesize\"}}}}}";

START_TEST(unknown_key_did_you_mean)
{
	struct got g;

	ck_assert_int_eq(check(&g, compose,
	                       "{\"services\":{\"web\":{"
	                       "\"image\":\"nginx\","
	                       "\"imgae\":\"x\",\"zzz\":1}}}"),
	                 2);
	has(&g, "E /services/web/imgae 1 unknown key 'imgae' "
	        "(did you mean 'image'?)");
	has(&g, "E /services/web/zzz 1 unknown key 'zzz'");
}
END_TEST

START_TEST(type_message_names_the_key)
{
	struct got g;

	ck_assert_int_eq(check(&g, compose,
	                       "{\"services\":{\"web\":{"
	                       "\"image\":\"x\","
	                       "\"replicas\":\"3\"}}}"),
	                 1);
	has(&g, "E /services/web/replicas 0 'replicas' must be an integer, "
	        "not a string");
	ck_assert_int_eq(check(&g, compose, "{\"services\":[]}"), 1);
	has(&g, "E /services 0 'services' must be a mapping, not a list");
	ck_assert_int_eq(check(&g, compose, "3"), 1);
	has(&g, "E  0 the document must be a mapping, not an integer");
}
END_TEST

START_TEST(enum_lists_values_and_suggests)
{
	struct got g;

	ck_assert_int_eq(check(&g, compose,
	                       "{\"services\":{\"web\":{"
	                       "\"image\":\"x\","
	                       "\"mode\":\"replcated\"}}}"),
	                 1);
	has(&g, "E /services/web/mode 0 'mode' must be one of: replicated, "
	        "global, replicated-job, global-job (got 'replcated'; did you "
	        "mean 'replicated'?)");
	ck_assert_int_eq(check(&g, compose,
	                       "{\"services\":{\"web\":{"
	                       "\"image\":\"x\","
	                       "\"mode\":7}}}"),
	                 1);
	has(&g, "E /services/web/mode 0 'mode' must be one of: replicated, "
	        "global, replicated-job, global-job (got 7)");
}
END_TEST

START_TEST(required_and_bounds)
{
	struct got g;

	ck_assert_int_eq(check(&g, compose,
	                       "{\"services\":{\"web\":{"
	                       "\"replicas\":-1},"
	                       "\"db\":{\"image\":\"pg\","
	                       "\"replicas\":101}}}"),
	                 3);
	has(&g, "E /services/web 0 missing required key 'image'");
	has(&g, "E /services/web/replicas 0 'replicas' must be at least 0 "
	        "(got -1)");
	has(&g, "E /services/db/replicas 0 'replicas' must be at most 100 "
	        "(got 101)");
	ck_assert_int_eq(
	        check(&g, "{\"exclusiveMinimum\":0,\"multipleOf\":2}", "0"), 1);
	has(&g, "E  0 the document must be greater than 0 (got 0)");
	ck_assert_int_eq(check(&g, "{\"multipleOf\":0.5}", "1.25"), 1);
	has(&g, "E  0 the document must be a multiple of 0.5 (got 1.25)");
}
END_TEST

START_TEST(pattern_and_length)
{
	struct got g;

	ck_assert_int_eq(check(&g, compose,
	                       "{\"services\":{\"web\":{"
	                       "\"image\":\"x\","
	                       "\"name\":\"Web\"}}}"),
	                 1);
	has(&g, "E /services/web/name 0 'name' does not match pattern "
	        "'^[a-z][a-z0-9_-]*$' (got 'Web')");
	ck_assert_int_eq(check(&g, compose,
	                       "{\"services\":{\"web\":{"
	                       "\"image\":\"x\","
	                       "\"name\":\"w\"}}}"),
	                 1);
	has(&g, "E /services/web/name 0 'name' must be at least 2 characters "
	        "long (got 1)");
	/* Length counts characters, not bytes. */
	ck_assert_int_eq(check(&g, "{\"maxLength\":2}", "\"\\u00e9\\u00e9\""),
	                 0);
}
END_TEST

START_TEST(pointers_escape_and_index)
{
	struct got g;

	ck_assert_int_eq(check(&g,
	                       "{\"additionalProperties\":{\"type\":\"array\","
	                       "\"items\":{\"type\":\"string\"}}}",
	                       "{\"a/b~c\":[\"x\",1]}"),
	                 1);
	has(&g, "E /a~1b~0c/1 0 'a/b~c[1]' must be a string, not an integer");
	ck_assert_int_eq(check(&g, "{\"propertyNames\":{\"pattern\":\"^x\"}}",
	                       "{\"yz\":1}"),
	                 1);
	has(&g, "E /yz 1 key 'yz' does not match pattern '^x' (got 'yz')");
}
END_TEST

START_TEST(warnings_do_not_count)
{
	struct got g;

	ck_assert_int_eq(check(&g, compose,
	                       "{\"services\":{\"web\":{"
	                       "\"image\":\"x\","
	                       "\"build\":\".\",\"links\":[]}}}"),
	                 0);
	ck_assert_int_eq(g.warnings, 2);
	has(&g, "W /services/web/build 0 'build' is ignored by docker stack "
	        "deploy; build the image in CI");
	has(&g, "W /services/web/links 0 'links' is deprecated");
	/* A failed anyOf branch's warning is not reported. */
	ck_assert_int_eq(check(&g,
	                       "{\"anyOf\":[{\"x-kedge-warning\":\"no\","
	                       "\"type\":\"string\"},{}]}",
	                       "1"),
	                 0);
	ck_assert_int_eq(g.warnings, 0);
}
END_TEST

START_TEST(combinators_blame_the_closest_branch)
{
	struct got g;
	const char *ports =
	        "{\"type\":\"array\",\"items\":{\"oneOf\":[{\"type\":"
	        "\"string\"},{\"type\":\"object\",\"required\":[\"target\"],"
	        "\"properties\":{\"target\":{\"type\":\"integer\"}}}]}}";

	ck_assert_int_eq(check(&g, ports, "[{\"target\":\"80\"}]"), 1);
	has(&g, "E /0/target 0 'target' must be an integer, not a string");
	ck_assert_int_eq(check(&g, ports, "[true]"), 1);
	has(&g, "E /0 0 '0' must be a string or a mapping, not a boolean");
	ck_assert_int_eq(check(&g,
	                       "{\"oneOf\":[{\"minimum\":0},"
	                       "{\"maximum\":10}]}",
	                       "5"),
	                 1);
	has(&g, "E  0 the document must match exactly one of the allowed "
	        "forms, but matches forms 1 and 2");
	/* allOf with the same constraint twice: one message, not two. */
	ck_assert_int_eq(check(&g,
	                       "{\"allOf\":[{\"type\":\"string\"},"
	                       "{\"type\":\"string\"}]}",
	                       "1"),
	                 1);
	ck_assert_int_eq(g.nr, 1);
}
END_TEST

static int add_text(struct schema *s, const char *uri, const char *text)
{
	json_t *j = parse(text);
	struct err err;
	int rc = schema_add(s, uri, j, &err);

	json_decref(j);
	return rc;
}

START_TEST(ref_across_documents)
{
	struct schema *s = schema_new();
	json_t *inst = parse("{\"a\":\"x\",\"b\":5,\"c\":\"y\"}");
	struct got g;
	struct err err;

	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(
	        add_text(s, "file:///lib.json",
	                 "{\"$id\":\"https://kedge.test/lib/defs.json\","
	                 "\"$defs\":{\"a/b\":{\"type\":\"integer\"},"
	                 "\"p%q\":{\"type\":\"string\"},"
	                 "\"n\":{\"$id\":\"nested/\",\"$defs\":{\"s\":{"
	                 "\"$anchor\":\"str\",\"type\":\"string\"}}}}}"),
	        0);
	ck_assert_int_eq(
	        add_text(s, URI,
	                 "{\"$id\":\"https://kedge.test/main/m.json\","
	                 "\"properties\":{"
	                 "\"a\":{\"$ref\":\"../lib/defs.json#/$defs/a~1b\"},"
	                 "\"b\":{\"$ref\":\"https://kedge.test/lib/"
	                 "defs.json#/$defs/p%25q\"},"
	                 "\"c\":{\"$ref\":\"../lib/nested/#str\"}}}"),
	        0);
	ck_assert_int_eq(schema_validate(s, "https://kedge.test/main/m.json",
	                                 inst, record, &g, &err),
	                 2);
	has(&g, "E /a 0 'a' must be an integer, not a string");
	has(&g, "E /b 0 'b' must be a string, not an integer");
	ck_assert_int_eq(schema_validate(s, "https://kedge.test/nope.json",
	                                 inst, record, &g, &err),
	                 ERR_NOTFOUND);
	/* A $ref nobody defines: the schema is broken. */
	ck_assert_int_eq(add_text(s, "https://kedge.test/bad.json",
	                          "{\"$ref\":\"missing.json\"}"),
	                 0);
	ck_assert_int_eq(schema_validate(s, "https://kedge.test/bad.json", inst,
	                                 record, &g, &err),
	                 ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err.msg, "missing.json"));
	json_decref(inst);
	schema_free(s);
}
END_TEST

START_TEST(add_dir_uses_ids_and_file_names)
{
	char dir[] = "/tmp/kedge-schema-XXXXXX";
	struct schema *s = schema_new();
	json_t *inst = parse("{\"port\":\"x\"}");
	struct got g;
	struct err err;
	FILE *fp;
	char path[128];

	memset(&g, 0, sizeof(g));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.json", dir);
	fp = fopen(path, "w");
	fputs("{\"properties\":{\"port\":{\"$ref\":\"b.json\"}}}", fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/b.json", dir);
	fp = fopen(path, "w");
	fputs("{\"type\":\"integer\"}", fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/c.json", dir);
	fp = fopen(path, "w");
	fputs("{\"$id\":\"https://kedge.test/c\",\"type\":\"string\"}", fp);
	fclose(fp);
	ck_assert_int_eq(schema_add_dir(s, dir, &err), 0);
	ck_assert_int_eq(schema_validate(s, "a.json", inst, record, &g, &err),
	                 1);
	has(&g, "E /port 0 'port' must be an integer, not a string");
	ck_assert_int_eq(schema_validate(s, "https://kedge.test/c", inst,
	                                 record, &g, &err),
	                 1);
	remove(path);
	snprintf(path, sizeof(path), "%s/b.json", dir);
	remove(path);
	snprintf(path, sizeof(path), "%s/a.json", dir);
	remove(path);
	rmdir(dir);
	json_decref(inst);
	schema_free(s);
}
END_TEST

START_TEST(self_reference_is_bounded)
{
	json_t *deep = json_array(), *cur = deep, *next;
	struct schema *s = schema_new();
	struct got g;
	struct err err;
	int i, rc;

	memset(&g, 0, sizeof(g));
	for (i = 0; i < 5000; i++) {
		next = json_array();
		json_array_append_new(cur, next);
		cur = next;
	}
	ck_assert_int_eq(add_text(s, URI,
	                          "{\"type\":\"array\","
	                          "\"items\":{\"$ref\":\"#\"}}"),
	                 0);
	rc = schema_validate(s, URI, deep, record, &g, &err);
	ck_assert_int_eq(rc, 1);
	ck_assert_msg(strstr(g.lines[0], "is nested too deeply "
	                                 "(more than 256 levels)"),
	              "%s", g.lines[0]);
	/* A $ref loop that never looks at the instance. */
	ck_assert_int_eq(
	        add_text(s, "https://kedge.test/loop.json", "{\"$ref\":\"#\"}"),
	        0);
	rc = schema_validate(s, "https://kedge.test/loop.json", deep, record,
	                     &g, &err);
	ck_assert_int_eq(rc, ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err.msg, "recursion"));
	json_decref(deep);
	schema_free(s);
}
END_TEST

START_TEST(unique_items)
{
	static const char *sch = "{\"uniqueItems\":true}";
	struct got g;
	json_t *big;
	char *text;
	int rc;

	ck_assert_int_eq(check(&g, sch, "[1, \"1\", [1], {\"a\":1}, null]"), 0);
	ck_assert_int_eq(check(&g, sch, "[3, 2, 1.0, 2, 1]"), 1);
	has(&g, "E  0 the document must not contain duplicates (items 1 and 3 "
	        "are equal)");
	ck_assert_int_eq(check(&g, sch,
	                       "[{\"a\":1,\"b\":[true]}, 0, "
	                       "{\"b\":[true],\"a\":1.0}]"),
	                 1);
	has(&g, "E  0 the document must not contain duplicates (items 0 and 2 "
	        "are equal)");
	ck_assert_int_eq(check(&g, sch, "[\"ab\", \"a\", \"b\", \"a \"]"), 0);
	/* 60 000 distinct strings, then one repeat at the end: sorting
	 * finds it; the pairwise scan this replaced took half a minute. */
	big = json_array();
	for (int i = 0; i < 60000; i++)
		json_array_append_new(big, json_sprintf("CAP_%d", i));
	json_array_append_new(big, json_string("CAP_59999"));
	text = json_dumps(big, JSON_COMPACT);
	rc = check(&g, sch, text);
	ck_assert_int_eq(rc, 1);
	has(&g, "E  0 the document must not contain duplicates (items 59999 "
	        "and 60000 are "
	        "equal)");
	free(text);
	json_decref(big);
}
END_TEST

START_TEST(format_messages)
{
	struct got g;

	ck_assert_int_eq(check(&g, compose,
	                       "{\"services\":{\"web\":{"
	                       "\"image\":\"x\","
	                       "\"interval\":\"10\","
	                       "\"memory\":\"1.5G\"}}}"),
	                 1);
	has(&g, "E /services/web/interval 0 'interval' is not a valid "
	        "duration: expected a number with a unit ns, us, ms, s, m or "
	        "h, such as 10s, 1m30s or 500ms (got '10')");
	/* The formats are units.h's parsers: what docker accepts passes. */
	ck_assert_int_eq(check(&g, compose,
	                       "{\"services\":{\"web\":{"
	                       "\"image\":\"x\","
	                       "\"interval\":\".5s\","
	                       "\"memory\":\"2p\"}}}"),
	                 0);
	ck_assert_int_eq(check(&g, "{\"format\":\"date-time\"}",
	                       "\"2024-02-30T10:00:00Z\""),
	                 1);
	ck_assert_int_eq(check(&g, "{\"format\":\"date-time\"}",
	                       "\"2024-02-29T10:00:00.5+01:00\""),
	                 0);
	ck_assert_int_eq(check(&g, "{\"format\":\"uri\"}", "\"a b\""), 1);
	/* Unknown formats are annotations. */
	ck_assert_int_eq(check(&g, "{\"format\":\"x-made-up\"}", "\"?\""), 0);
}
END_TEST

/* Pattern p must match every string in yes and none in no. */
static void pattern_case(const char *p, const char *const *yes,
                         const char *const *no)
{
	char *sch = xasprintf("{\"pattern\":\"%s\"}", p), *inst;
	struct got g;

	for (; *yes; yes++) {
		inst = xasprintf("\"%s\"", *yes);
		ck_assert_msg(check(&g, sch, inst) == 0, "%s !~ %s", *yes, p);
		free(inst);
	}
	for (; *no; no++) {
		inst = xasprintf("\"%s\"", *no);
		ck_assert_msg(check(&g, sch, inst) == 1, "%s =~ %s", *no, p);
		free(inst);
	}
	free(sch);
}

START_TEST(regex_translation)
{
	static const char *const y1[] = {"a12", NULL}, *const n1[] = {"ab",
	                                                              NULL};
	static const char *const y2[] = {"1.5", "7", NULL}, *const n2[] = {
	                                                            "1,5", "",
	                                                            NULL};
	static const char *const y3[] = {"a_b c", NULL}, *const n3[] = {"a-b c",
	                                                                NULL};
	static const char *const y4[] = {"ab", "cd", NULL}, *const n4[] = {
	                                                            "ad", NULL};
	static const char *const y5[] = {"]x", "-x", NULL}, *const n5[] = {
	                                                            "x", NULL};
	static const char *const y6[] = {"a{b", NULL}, *const n6[] = {"ab",
	                                                              NULL};
	struct schema *s = schema_new();
	struct err err;
	json_t *j;

	pattern_case("^a\\\\d+$", y1, n1);
	pattern_case("^[\\\\d.]+$", y2, n2);
	pattern_case("^\\\\w+\\\\s\\\\S$", y3, n3);
	pattern_case("^(?:ab|cd)$", y4, n4);
	pattern_case("^[\\\\]\\\\-]x+?$", y5, n5);
	pattern_case("^a\\\\{b", y6, n6);
	j = parse("{\"pattern\":\"^(?=a)\"}");
	ck_assert_int_eq(schema_add(s, URI, j, &err), ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err.msg, "pattern '^(?=a)'"));
	json_decref(j);
	j = parse("{\"patternProperties\":{\"a(\":{}}}");
	ck_assert_int_eq(schema_add(s, URI, j, &err), ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err.msg, "pattern 'a('"));
	json_decref(j);
	schema_free(s);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("schema");
	TCase *tc;

#define ADD(fn)                         \
	do {                            \
		tc = tcase_create(#fn); \
		tcase_add_test(tc, fn); \
		suite_add_tcase(s, tc); \
	} while (0)
	ADD(unknown_key_did_you_mean);
	ADD(type_message_names_the_key);
	ADD(enum_lists_values_and_suggests);
	ADD(required_and_bounds);
	ADD(pattern_and_length);
	ADD(pointers_escape_and_index);
	ADD(warnings_do_not_count);
	ADD(combinators_blame_the_closest_branch);
	ADD(ref_across_documents);
	ADD(add_dir_uses_ids_and_file_names);
	ADD(self_reference_is_bounded);
	ADD(unique_items);
	ADD(format_messages);
	ADD(regex_translation);
#undef ADD
	return s;
}
