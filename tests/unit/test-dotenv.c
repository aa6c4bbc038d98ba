/*
 * test-dotenv.c: the .env format: assignments, comments, quotes, and the
 * line of the first bad line.
 */
#include <jansson.h>

#include "unit.h"

#include "dotenv.h"
#include "err.h"

static const char *get(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

START_TEST(assignments)
{
	const char *text = "# comment\n"
	                   "\n"
	                   "A=1\n"
	                   "export B=two words # trailing comment\n"
	                   "C='single $literal # not a comment'\n"
	                   "D=\"double\\nline \\\"q\\\"\"\n"
	                   "E=\n"
	                   "  F = spaced\n"
	                   "G=a#b\n";
	json_t *o = NULL;
	struct err e;

	ck_assert_int_eq(dotenv_parse(&o, text, strlen(text), ".env", &e), 0);
	ck_assert_str_eq(get(o, "A"), "1");
	ck_assert_str_eq(get(o, "B"), "two words");
	ck_assert_str_eq(get(o, "C"), "single $literal # not a comment");
	ck_assert_str_eq(get(o, "D"), "double\nline \"q\"");
	ck_assert_str_eq(get(o, "E"), "");
	ck_assert_str_eq(get(o, "F"), "spaced");
	ck_assert_str_eq(get(o, "G"), "a#b");
	json_decref(o);
}
END_TEST

START_TEST(bad_lines_have_a_location)
{
	static const struct {
		const char *text;
		unsigned line;
		const char *msg;
	} t[] = {
	        {"A=1\nnot an assignment\n", 2, "expected KEY=VALUE"},
	        {"A=1\nB=2\n3C=x\n", 3, "expected KEY=VALUE"},
	        {"A='open\n", 1, "unterminated quoted value"},
	        {"A=\xff\xfe\n", 1, "not valid UTF-8"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		json_t *o = NULL;
		struct err e;

		ck_assert_int_eq(dotenv_parse(&o, t[i].text, strlen(t[i].text),
		                              "stacks/web/.env", &e),
		                 ERR_INVALID);
		ck_assert_ptr_null(o);
		ck_assert_str_eq(e.file, "stacks/web/.env");
		ck_assert_uint_eq(e.line, t[i].line);
		ck_assert_msg(strstr(e.msg, t[i].msg), "'%s'", e.msg);
	}
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("dotenv");
	TCase *tc = tcase_create("dotenv");

	tcase_add_test(tc, assignments);
	tcase_add_test(tc, bad_lines_have_a_location);
	suite_add_tcase(s, tc);
	return s;
}
