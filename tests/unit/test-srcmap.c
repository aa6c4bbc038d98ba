/*
 * test-srcmap.c: unit tests for srcmap.c (pointer -> position map).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "srcmap.h"
#include "unit.h"

static struct srcpos at(unsigned line, unsigned col)
{
	struct srcpos p = {line, col, line, col > 2 ? col - 2 : 1};

	return p;
}

START_TEST(test_exact_and_replace)
{
	struct srcmap *m = srcmap_new("stacks/shop/compose.yml");
	struct srcpos p = at(3, 7), got;

	ck_assert_str_eq(srcmap_path(m), "stacks/shop/compose.yml");
	srcmap_set(m, "/services/web", &p);
	ck_assert_int_eq(srcmap_get(m, "/services/web", &got), 0);
	ck_assert_uint_eq(got.line, 3);
	ck_assert_uint_eq(got.col, 7);
	ck_assert_uint_eq(got.key_line, 3);
	ck_assert_uint_eq(got.key_col, 5);
	p = at(9, 4);
	srcmap_set(m, "/services/web", &p);
	ck_assert_int_eq(srcmap_get(m, "/services/web", &got), 0);
	ck_assert_uint_eq(got.line, 9);
	srcmap_free(m);
}
END_TEST

START_TEST(test_ancestor_fallback)
{
	struct srcmap *m = srcmap_new("c.yml");
	struct srcpos root = {1, 1, 0, 0}, web = at(5, 5), got;

	srcmap_set(m, "", &root);
	srcmap_set(m, "/services/web", &web);
	/* A missing member points at the object that lacks it. */
	ck_assert_int_eq(srcmap_get(m, "/services/web/deploy/replicas", &got),
	                 1);
	ck_assert_uint_eq(got.line, 5);
	ck_assert_uint_eq(got.col, 5);
	/* "/services/webx" is not a descendant of "/services/web". */
	ck_assert_int_eq(srcmap_get(m, "/services/webx", &got), 1);
	ck_assert_uint_eq(got.line, 1);
	ck_assert_uint_eq(got.key_line, 0);
	ck_assert_int_eq(srcmap_get(m, "", &got), 0);
	srcmap_free(m);
}
END_TEST

START_TEST(test_not_found)
{
	struct srcmap *m = srcmap_new(NULL);
	struct srcpos p = at(2, 3), got = at(7, 7);

	ck_assert_str_eq(srcmap_path(m), "");
	ck_assert_int_eq(srcmap_get(m, "/a", &got), ERR_NOTFOUND);
	ck_assert_uint_eq(got.line, 0);
	srcmap_set(m, "/a/b", &p);
	ck_assert_int_eq(srcmap_get(m, "/c/d", &got), ERR_NOTFOUND);
	ck_assert_uint_eq(got.line, 0);
	ck_assert_uint_eq(got.key_col, 0);
	ck_assert_int_eq(srcmap_get(m, "/a/b/0", &got), 1);
	ck_assert_uint_eq(got.line, 2);
	srcmap_free(m);
	srcmap_free(NULL);
}
END_TEST

START_TEST(test_escaping)
{
	char *a = srcmap_child("", "a/b~c");
	char *b = srcmap_child(a, "~/");
	char *c = srcmap_index(b, 12);
	char *d = srcmap_child("/x", "");
	struct srcmap *m = srcmap_new("f");
	struct srcpos p = at(4, 4), got;

	ck_assert_str_eq(a, "/a~1b~0c");
	ck_assert_str_eq(b, "/a~1b~0c/~0~1");
	ck_assert_str_eq(c, "/a~1b~0c/~0~1/12");
	ck_assert_str_eq(d, "/x/");
	/* The fallback trims whole escaped tokens, never inside "~1". */
	srcmap_set(m, a, &p);
	ck_assert_int_eq(srcmap_get(m, c, &got), 1);
	ck_assert_uint_eq(got.line, 4);
	ck_assert_int_eq(srcmap_get(m, "/a", &got), ERR_NOTFOUND);
	srcmap_free(m);
	free(a);
	free(b);
	free(c);
	free(d);
}
END_TEST

START_TEST(test_many_entries)
{
	struct srcmap *m = srcmap_new("big.yml");
	char key[64];
	struct srcpos got;

	for (unsigned i = 0; i < 100000; i++) {
		struct srcpos p = {i + 1, i % 80 + 1, i + 1, 1};

		snprintf(key, sizeof(key), "/items/%u/name", i);
		srcmap_set(m, key, &p);
	}
	for (unsigned i = 0; i < 100000; i += 7) {
		snprintf(key, sizeof(key), "/items/%u/name", i);
		ck_assert_int_eq(srcmap_get(m, key, &got), 0);
		ck_assert_uint_eq(got.line, i + 1);
		ck_assert_uint_eq(got.col, i % 80 + 1);
	}
	ck_assert_int_eq(srcmap_get(m, "/items/100000/name", &got),
	                 ERR_NOTFOUND);
	srcmap_free(m);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("srcmap");
	struct {
		const char *name;
		const TTest *test;
	} cases[] = {
	        {"exact_and_replace", test_exact_and_replace},
	        {"ancestor_fallback", test_ancestor_fallback},
	        {"not_found", test_not_found},
	        {"escaping", test_escaping},
	        {"many_entries", test_many_entries},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_test(tc, cases[i].test);
		suite_add_tcase(s, tc);
	}
	return s;
}
