/*
 * test-yamldoc.c: unit tests for yamldoc.c (YAML text to json_t).
 *
 * Each case asserts what a user sees: the values a compose file turns
 * into, the line:col a later error would point at, and the exact
 * position and wording of each refusal.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "srcmap.h"
#include "yamldoc.h"
#include "unit.h"

/* Parses text, which must succeed, and returns its compact JSON form. */
static char *dump(const char *text)
{
	struct err err;
	json_t *doc = NULL;
	char *s;
	int rc;

	err_clear(&err);
	rc = yamldoc_parse(&doc, NULL, text, strlen(text), "t.yml", NULL, &err);
	ck_assert_msg(rc == 0, "'%s' failed: %s", text, err.msg);
	s = json_dumps(doc, JSON_ENCODE_ANY | JSON_COMPACT);
	json_decref(doc);
	return s;
}

static void expect(const char *text, const char *json)
{
	char *got = dump(text);

	ck_assert_msg(!strcmp(got, json), "'%s' gave %s, want %s", text, got,
	              json);
	free(got);
}

START_TEST(test_scalar_resolution)
{
	static const char *const table[][2] = {
	        {"a: ~", "null"},
	        {"a: null", "null"},
	        {"a: Null", "null"},
	        {"a: NULL", "null"},
	        {"a:", "null"},
	        {"a: nULL", "\"nULL\""},
	        {"a: true", "true"},
	        {"a: True", "true"},
	        {"a: TRUE", "true"},
	        {"a: tRUE", "\"tRUE\""},
	        {"a: yes", "true"},
	        {"a: Yes", "true"},
	        {"a: on", "true"},
	        {"a: ON", "true"},
	        {"a: y", "true"},
	        {"a: Y", "true"},
	        {"a: false", "false"},
	        {"a: no", "false"},
	        {"a: NO", "false"},
	        {"a: off", "false"},
	        {"a: Off", "false"},
	        {"a: n", "false"},
	        {"a: 0", "0"},
	        {"a: 42", "42"},
	        {"a: -7", "-7"},
	        {"a: +3", "3"},
	        {"a: 1_000", "1000"},
	        {"a: 0x1F", "31"},
	        {"a: -0x10", "-16"},
	        {"a: 0o17", "15"},
	        {"a: 0440", "288"},
	        {"a: 0755", "493"},
	        {"a: 0b101", "5"},
	        {"a: 1.5", "1.5"},
	        {"a: 1e3", "1000.0"},
	        {"a: .5", "0.5"},
	        {"a: -2.5", "-2.5"},
	        {"a: 1.", "1.0"},
	        {"a: 12:30", "\"12:30\""},
	        {"a: 1.2.3", "\"1.2.3\""},
	        {"a: 0x", "\"0x\""},
	        {"a: 0b2", "\"0b2\""},
	        {"a: '0440'", "\"0440\""},
	        {"a: \"yes\"", "\"yes\""},
	        {"a: 'null'", "\"null\""},
	        {"a: ''", "\"\""},
	        {"a: !!str 12", "\"12\""},
	        {"a: !!str yes", "\"yes\""},
	        {"a: !!int \"12\"", "12"},
	        {"a: !!float 3", "3.0"},
	        {"a: !!bool 'on'", "true"},
	        {"a: !!null ''", "null"},
	        {"a: ! 12", "\"12\""},
	        {"a: |\n  12\n", "\"12\\n\""},
	        {"a: -9223372036854775808", "-9223372036854775808"},
	        {"a: 9223372036854775807", "9223372036854775807"},
	        {"a: nginx:1.25", "\"nginx:1.25\""},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		char *want = xasprintf("{\"a\":%s}", table[i][1]);

		expect(table[i][0], want);
		free(want);
	}
}
END_TEST

START_TEST(test_keys_are_strings)
{
	expect("80: a\ntrue: b\n~: c\n0x10: d\n1.5: e\n",
	       "{\"80\":\"a\",\"true\":\"b\",\"~\":\"c\",\"0x10\":\"d\","
	       "\"1.5\":\"e\"}");
	expect("a: &k name\n*k : 2\n", "{\"a\":\"name\",\"name\":2}");
}
END_TEST

START_TEST(test_empty_document)
{
	struct srcmap *map = NULL;
	struct err err;
	json_t *doc = NULL;

	expect("", "null");
	expect("# only a comment\n", "null");
	expect("---\n...\n", "null");
	expect("--- 42\n", "42");
	ck_assert_int_eq(
	        yamldoc_parse(&doc, &map, NULL, 0, "e.yml", NULL, &err), 0);
	ck_assert(json_is_null(doc));
	ck_assert_ptr_nonnull(map);
	ck_assert_str_eq(srcmap_path(map), "e.yml");
	json_decref(doc);
	srcmap_free(map);
}
END_TEST

static const char compose[] = "services:\n"                 /* 1 */
                              "  web:\n"                    /* 2 */
                              "    image: nginx\n"          /* 3 */
                              "    ports:\n"                /* 4 */
                              "      - \"80:80\"\n"         /* 5 */
                              "      - target: 443\n"       /* 6 */
                              "    deploy: {replicas: 3}\n" /* 7 */
                              "  \"a/b~c\": [x, {y: 1}]\n"; /* 8 */

static void pos_is(const struct srcmap *m, const char *ptr, int want_rc,
                   unsigned line, unsigned col, unsigned kline, unsigned kcol)
{
	struct srcpos p;
	int rc = srcmap_get(m, ptr, &p);

	ck_assert_msg(rc == want_rc && p.line == line && p.col == col &&
	                      p.key_line == kline && p.key_col == kcol,
	              "%s: got rc %d %u:%u key %u:%u, want %d %u:%u key %u:%u",
	              ptr, rc, p.line, p.col, p.key_line, p.key_col, want_rc,
	              line, col, kline, kcol);
}

START_TEST(test_positions)
{
	struct srcmap *m = NULL;
	struct err err;
	json_t *doc = NULL;

	ck_assert_int_eq(yamldoc_parse(&doc, &m, compose, strlen(compose),
	                               "stacks/shop/compose.yml", NULL, &err),
	                 0);
	ck_assert_str_eq(srcmap_path(m), "stacks/shop/compose.yml");
	pos_is(m, "", 0, 1, 1, 0, 0);
	pos_is(m, "/services", 0, 2, 3, 1, 1);
	pos_is(m, "/services/web", 0, 3, 5, 2, 3);
	pos_is(m, "/services/web/image", 0, 3, 12, 3, 5);
	pos_is(m, "/services/web/ports", 0, 5, 7, 4, 5);
	pos_is(m, "/services/web/ports/0", 0, 5, 9, 0, 0);
	pos_is(m, "/services/web/ports/1", 0, 6, 9, 0, 0);
	pos_is(m, "/services/web/ports/1/target", 0, 6, 17, 6, 9);
	pos_is(m, "/services/web/deploy", 0, 7, 13, 7, 5);
	pos_is(m, "/services/web/deploy/replicas", 0, 7, 24, 7, 14);
	pos_is(m, "/services/a~1b~0c", 0, 8, 12, 8, 3);
	pos_is(m, "/services/a~1b~0c/1/y", 0, 8, 20, 8, 17);
	/* Missing members fall back to the closest recorded ancestor. */
	pos_is(m, "/services/web/deploy/mode", 1, 7, 13, 7, 5);
	pos_is(m, "/volumes", 1, 1, 1, 0, 0);
	json_decref(doc);
	srcmap_free(m);
}
END_TEST

START_TEST(test_positions_aliases_and_merges)
{
	static const char text[] = "x-d: &d\n"           /* 1 */
	                           "  restart: always\n" /* 2 */
	                           "web:\n"              /* 3 */
	                           "  <<: *d\n"          /* 4 */
	                           "  image: nginx\n"    /* 5 */
	                           "  log: *d\n";        /* 6 */
	struct srcmap *m = NULL;
	struct err err;
	json_t *doc = NULL;

	ck_assert_int_eq(yamldoc_parse(&doc, &m, text, strlen(text), "m.yml",
	                               NULL, &err),
	                 0);
	/* A merged member points at its definition in the anchor. */
	pos_is(m, "/web/restart", 0, 2, 12, 2, 3);
	pos_is(m, "/web/image", 0, 5, 10, 5, 3);
	/* An alias value points at the alias; its insides at the anchor. */
	pos_is(m, "/web/log", 0, 6, 8, 6, 3);
	pos_is(m, "/web/log/restart", 0, 2, 12, 2, 3);
	json_decref(doc);
	srcmap_free(m);
}
END_TEST

START_TEST(test_merge_keys)
{
	/* Explicit keys win, even when written before the merge key. */
	expect("b: &b {x: 1, y: 2}\nd:\n  y: 0\n  <<: *b\n",
	       "{\"b\":{\"x\":1,\"y\":2},\"d\":{\"y\":0,\"x\":1}}");
	/* In a list, earlier mappings win. */
	expect("b: &b {x: 1, y: 2}\nc: &c {x: 9, z: 3}\n"
	       "d: {<<: [*b, *c], y: 0}\n",
	       "{\"b\":{\"x\":1,\"y\":2},\"c\":{\"x\":9,\"z\":3},"
	       "\"d\":{\"y\":0,\"x\":1,\"z\":3}}");
	/* Merges nest, and an inline mapping can be merged. */
	expect("a: &a {p: 1}\nb: &b {<<: *a, q: 2}\nc: {<<: [*b, {r: 3}]}\n",
	       "{\"a\":{\"p\":1},\"b\":{\"q\":2,\"p\":1},"
	       "\"c\":{\"q\":2,\"p\":1,\"r\":3}}");
	/* A quoted "<<" is an ordinary key. */
	expect("\"<<\": 1\n", "{\"<<\":1}");
	/* A redefined anchor: aliases see the latest definition. */
	expect("- &a 1\n- &a 2\n- *a\n", "[1,2,2]");
}
END_TEST

struct bad {
	const char *text;
	int code;
	unsigned line, col;
	const char *msg; /* must appear in the message */
};

static void expect_error(const struct bad *b,
                         const struct yamldoc_limits *limits, size_t len)
{
	struct srcmap *map = (struct srcmap *)1;
	struct err err;
	json_t *doc = (json_t *)1;
	int rc;

	err_clear(&err);
	rc = yamldoc_parse(&doc, &map, b->text, len ? len : strlen(b->text),
	                   "bad.yml", limits, &err);
	ck_assert_msg(rc == b->code && err.code == b->code &&
	                      err.line == b->line && err.col == b->col &&
	                      strstr(err.msg, b->msg),
	              "%.60s: got %s %u:%u '%s', want %s %u:%u '%s'", b->text,
	              err_name(rc), err.line, err.col, err.msg,
	              err_name(b->code), b->line, b->col, b->msg);
	ck_assert_str_eq(err.file, "bad.yml");
	ck_assert_ptr_null(doc);
	ck_assert_ptr_null(map);
}

START_TEST(test_errors)
{
	static const struct bad table[] = {
	        {"services:\n  web:\n\timage: x\n", ERR_INVALID, 3, 1,
	         "tab character used for indentation; YAML allows only "
	         "spaces"},
	        {"a:\n  b: 1\n  \tc: 2\n", ERR_INVALID, 3, 3,
	         "tab character used for indentation"},
	        {"a: 1\nb: 2\nimage: x\nc: 3\nimage: y\n", ERR_INVALID, 5, 1,
	         "duplicate key 'image' (first at line 3)"},
	        {"a: {x: 1, x: 2}\n", ERR_INVALID, 1, 11,
	         "duplicate key 'x' (first at line 1)"},
	        {"? [a]\n: 1\n", ERR_INVALID, 1, 3, "complex keys"},
	        {"a: &m {k: v}\n*m : 2\n", ERR_INVALID, 2, 1, "complex keys"},
	        {"a: 1\nb: caf\xe9\n", ERR_INVALID, 2, 7, "invalid UTF-8"},
	        {"a: \xc3\xa9\xc3\xa9\xc0\xaf\n", ERR_INVALID, 1, 6,
	         "invalid UTF-8"},
	        {"a: 1\n---\nb: 2\n", ERR_INVALID, 2, 1,
	         "only one YAML document per file"},
	        {"a: *nope\n", ERR_INVALID, 1, 4, "unknown anchor 'nope'"},
	        {"a: &a [1, *a]\n", ERR_INVALID, 1, 11, "recursive alias"},
	        {"a: 99999999999999999999\n", ERR_INVALID, 1, 4,
	         "does not fit in 64 bits"},
	        {"a:\n  - 0x10000000000000000\n", ERR_INVALID, 2, 5,
	         "does not fit in 64 bits"},
	        {"a: .inf\n", ERR_INVALID, 1, 4, "not a finite number"},
	        {"a: !foo x\n", ERR_INVALID, 1, 4, "unknown tag '!foo'"},
	        {"a: !!binary aGk=\n", ERR_INVALID, 1, 4,
	         "unknown tag '!!binary'"},
	        {"a: !!int abc\n", ERR_INVALID, 1, 4,
	         "'abc' is not an integer"},
	        {"a: !!str {x: 1}\n", ERR_INVALID, 1, 4,
	         "'!!str' cannot be used on a mapping"},
	        {"a: {<<: 1}\n", ERR_INVALID, 1, 9,
	         "merge key '<<' needs a mapping"},
	        {"a: {<<: [{x: 1}, 2]}\n", ERR_INVALID, 1, 18,
	         "list items must be mappings"},
	        {"a: b: c\n", ERR_INVALID, 1, 5, "unexpected ':'"},
	        {"a: \"abc\n", ERR_INVALID, 2, 1, "is a quote missing?"},
	        {"a: [1, 2\n", ERR_INVALID, 2, 1, "is a bracket missing?"},
	        {"a: @x\n", ERR_INVALID, 1, 4, "cannot start a value"},
	        {"a:\n  - 1\n - 2\n", ERR_INVALID, 3, 2,
	         "(in a block mapping that starts at line 1)"},
	        {"a: 1\x01\n", ERR_INVALID, 1, 5, "control character"},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		expect_error(&table[i], NULL, 0);
}
END_TEST

START_TEST(test_nul_byte)
{
	static const struct bad b = {"a: 1\nbb: x\0y\n", ERR_INVALID, 2, 6,
	                             "NUL byte"};

	expect_error(&b, NULL, 13);
}
END_TEST

START_TEST(test_max_bytes)
{
	struct yamldoc_limits lim = {.max_bytes = 10};
	static const struct bad b = {"a: 1234567\n", ERR_TOOBIG, 0, 0,
	                             "file is 11 bytes; the limit is 10"};
	json_t *doc = NULL;
	struct err err;

	expect_error(&b, &lim, 0);
	lim.max_bytes = 11;
	ck_assert_int_eq(
	        yamldoc_parse(&doc, NULL, b.text, 11, "ok.yml", &lim, &err), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "a")),
	                 1234567);
	json_decref(doc);
}
END_TEST

static char *nested(unsigned levels)
{
	char *s = xmalloc(2 * levels + 2);

	memset(s, '[', levels);
	memset(s + levels, ']', levels);
	s[2 * levels] = '\n';
	s[2 * levels + 1] = '\0';
	return s;
}

START_TEST(test_deep_nesting)
{
	struct yamldoc_limits lim = {.max_depth = 3};
	char *ok = nested(YAMLDOC_MAX_DEPTH), *deep = nested(65);
	struct bad b = {deep, ERR_TOOBIG, 1, 65,
	                "nesting deeper than 64 levels"};
	static const struct bad viaalias = {
	        "a: &a [[1]]\nb: [[*a]]\n", ERR_TOOBIG, 2, 6,
	        "alias *a nests deeper than 3 levels"};
	static const struct bad block = {"a:\n  b:\n    c:\n      d: 1\n",
	                                 ERR_TOOBIG, 4, 7,
	                                 "nesting deeper than 3 levels"};
	char *dumped = dump(ok);

	ck_assert_int_eq(strlen(dumped), 2 * YAMLDOC_MAX_DEPTH);
	expect_error(&b, NULL, 0);
	expect_error(&viaalias, &lim, 0);
	expect_error(&block, &lim, 0);
	lim.max_depth = 4;
	expect_error(&(struct bad){"a: &a [[1]]\nb: [[*a]]\n", ERR_TOOBIG, 2, 6,
	                           "nests deeper than 4 levels"},
	             &lim, 0);
	free(dumped);
	free(ok);
	free(deep);
}
END_TEST

/* Nine levels of nine aliases: 9^9 nodes once expanded. */
static char *laughs(void)
{
	char *s = xstrdup("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, "
	                  "lol]\n");

	for (char c = 'b'; c <= 'i'; c++) {
		char *line =
		        xasprintf("%s%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, "
		                  "*%c, *%c, *%c]\n",
		                  s, c, c, c - 1, c - 1, c - 1, c - 1, c - 1,
		                  c - 1, c - 1, c - 1, c - 1);
		free(s);
		s = line;
	}
	return s;
}

START_TEST(test_billion_laughs)
{
	char *text = laughs();
	/*
	 * a..e and the keys make 74745 nodes; each *e adds 66430, so the
	 * second *e on line 6 crosses 200000 and nothing past it is read.
	 */
	struct bad b = {text, ERR_TOOBIG, 6, 12,
	                "aliases expand to more than 200000 nodes (a "
	                "billion-laughs document?)"};
	struct yamldoc_limits lim = {.max_nodes = 100};
	static const struct bad small = {
	        "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\n"
	        "b: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n",
	        ERR_TOOBIG, 2, 37, "more than 100 nodes"};

	expect_error(&b, NULL, 0);
	expect_error(&small, &lim, 0);
	lim.max_nodes = 200;
	expect("a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\nb: [*a, *a]\n",
	       "{\"a\":[1,2,3,4,5,6,7,8,9],\"b\":[[1,2,3,4,5,6,7,8,9],"
	       "[1,2,3,4,5,6,7,8,9]]}");
	free(text);
}
END_TEST

START_TEST(test_expansion_bytes)
{
	struct yamldoc_limits lim = {.max_bytes = 64 << 10};
	struct buf b = BUF_INIT;
	struct bad bad = {NULL, ERR_TOOBIG, 2, 2097,
	                  "aliases expand to more than 1048576 bytes"};

	/* Few nodes, but a 2000-byte string copied 524 times. */
	ck_assert_int_eq(buf_addstr(&b, "a: &a "), 0);
	for (int i = 0; i < 2000; i++)
		ck_assert_int_eq(buf_addch(&b, 'x'), 0);
	ck_assert_int_eq(buf_addstr(&b, "\nb: ["), 0);
	for (int i = 0; i < 600; i++)
		ck_assert_int_eq(buf_addstr(&b, "*a, "), 0);
	ck_assert_int_eq(buf_addstr(&b, "]\n"), 0);
	bad.text = buf_cstr(&b);
	expect_error(&bad, &lim, 0);
	buf_release(&b);

	/*
	 * No alias, but a 40000-byte key repeated in every child's path
	 * (an explicit "? " key: libyaml caps implicit keys at 1024).
	 */
	ck_assert_int_eq(buf_addstr(&b, "? "), 0);
	for (int i = 0; i < 40000; i++)
		ck_assert_int_eq(buf_addch(&b, 'k'), 0);
	ck_assert_int_eq(buf_addstr(&b, "\n:\n"), 0);
	for (int i = 0; i < 30; i++)
		ck_assert_int_eq(buf_addf(&b, "  k%d: 1\n", i), 0);
	bad = (struct bad){buf_cstr(&b), ERR_TOOBIG, 28, 3,
	                   "the paths to values are over 1048576 bytes"};
	expect_error(&bad, &lim, 0);
	buf_release(&b);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("yamldoc");
	struct {
		const char *name;
		const TTest *test;
	} cases[] = {
	        {"scalar_resolution", test_scalar_resolution},
	        {"keys_are_strings", test_keys_are_strings},
	        {"empty_document", test_empty_document},
	        {"positions", test_positions},
	        {"positions_aliases_and_merges",
	         test_positions_aliases_and_merges},
	        {"merge_keys", test_merge_keys},
	        {"errors", test_errors},
	        {"nul_byte", test_nul_byte},
	        {"max_bytes", test_max_bytes},
	        {"deep_nesting", test_deep_nesting},
	        {"billion_laughs", test_billion_laughs},
	        {"expansion_bytes", test_expansion_bytes},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_test(tc, cases[i].test);
		suite_add_tcase(s, tc);
	}
	return s;
}
