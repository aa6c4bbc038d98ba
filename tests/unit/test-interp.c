/*
 * test-interp.c: compose interpolation, string by string and over a whole
 * document (with the casts docker applies to typed fields).
 */
#include <jansson.h>

#include "unit.h"

#include "diag.h"
#include "err.h"
#include "interp.h"

static const char *vars(void *ctx, const char *name)
{
	(void)ctx;
	if (!strcmp(name, "TAG"))
		return "1.25";
	if (!strcmp(name, "EMPTY"))
		return "";
	if (!strcmp(name, "N"))
		return "3";
	if (!strcmp(name, "YES"))
		return "yes";
	return NULL;
}

static char *expand(const char *in, int *rc, char **unset, struct err *e)
{
	char *out = NULL;
	int changed;

	err_clear(e);
	*rc = interp_string(&out, &changed, unset, in, vars, NULL, e);
	return out;
}

START_TEST(forms)
{
	static const struct {
		const char *in, *out;
	} t[] = {
	        {"nginx:${TAG}", "nginx:1.25"},
	        {"nginx:$TAG", "nginx:1.25"},
	        {"$$TAG", "$TAG"},
	        {"${MISSING:-def}", "def"},
	        {"${EMPTY:-def}", "def"},
	        {"${EMPTY-def}", ""},
	        {"${TAG:+alt}", "alt"},
	        {"${MISSING+alt}", ""},
	        {"${MISSING:-${TAG}}", "1.25"},
	        {"a ${TAG} b $TAG c", "a 1.25 b 1.25 c"},
	        {"no dollars", "no dollars"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct err e;
		char *unset = NULL;
		int rc;
		char *out = expand(t[i].in, &rc, &unset, &e);

		ck_assert_msg(rc == 0, "%s: %s", t[i].in, e.msg);
		ck_assert_str_eq(out, t[i].out);
		free(out);
		free(unset);
	}
}
END_TEST

START_TEST(unset_is_reported)
{
	struct err e;
	char *unset = NULL;
	int rc;
	char *out = expand("x${MISSING}y", &rc, &unset, &e);

	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(out, "xy");
	ck_assert_str_eq(unset, "MISSING");
	free(out);
	free(unset);
}
END_TEST

START_TEST(errors)
{
	static const struct {
		const char *in, *msg;
	} t[] = {
	        {"${MISSING:?set it}", "required variable MISSING is missing "
	                               "a value: set it"},
	        {"${EMPTY:?}", "required variable EMPTY is missing a value"},
	        {"${TAG", "has no closing '}'"},
	        {"${}", "invalid interpolation format"},
	        {"${TAG!x}", "invalid interpolation format"},
	        {"cost $ 5", "write '$$' for a literal '$'"},
	        {"${A:-${B:-${C:-${D:-${E:-${F:-${G:-${H:-${I:-x}}}}}}}}}",
	         "nested more than"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct err e;
		char *unset = NULL;
		int rc;
		char *out = expand(t[i].in, &rc, &unset, &e);

		ck_assert_msg(rc == ERR_INVALID, "%s: rc %d", t[i].in, rc);
		ck_assert_ptr_null(out);
		ck_assert_msg(strstr(e.msg, t[i].msg), "%s: '%s'", t[i].in,
		              e.msg);
		free(unset);
	}
}
END_TEST

START_TEST(typed_fields_are_cast)
{
	json_t *doc =
	        json_loads("{\"services\": {\"web\": {\"image\": \"x:${TAG}\","
	                   " \"environment\": {\"V\": \"${TAG}\"},"
	                   " \"read_only\": \"${YES}\","
	                   " \"deploy\": {\"replicas\": \"${N}\"}}}}",
	                   0, NULL);
	struct diag d = DIAG_INIT;
	json_t *web;

	ck_assert_int_eq(interp_compose(doc, vars, NULL, NULL, &d), 0);
	web = json_object_get(json_object_get(doc, "services"), "web");
	ck_assert_str_eq(json_string_value(json_object_get(web, "image")),
	                 "x:1.25");
	/* not a typed field: a version stays a string, "1.25" not 1.25 */
	ck_assert(json_is_string(
	        json_object_get(json_object_get(web, "environment"), "V")));
	ck_assert(json_is_true(json_object_get(web, "read_only")));
	ck_assert_int_eq(json_integer_value(json_object_get(
	                         json_object_get(web, "deploy"), "replicas")),
	                 3);
	ck_assert_uint_eq(d.errors, 0);
	diag_release(&d);
	json_decref(doc);
}
END_TEST

START_TEST(document_problems_go_to_diag)
{
	json_t *doc = json_loads("{\"services\": {\"web\": {\"image\":"
	                         " \"${NOPE:?need NOPE}\", \"user\": \"$X\"}}}",
	                         0, NULL);
	struct diag d = DIAG_INIT;

	ck_assert_int_eq(interp_compose(doc, vars, NULL, NULL, &d), 1);
	ck_assert_uint_eq(d.errors, 1);
	ck_assert_uint_eq(d.warnings, 1);
	diag_release(&d);
	json_decref(doc);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("interp");
	TCase *tc = tcase_create("interp");

	tcase_add_test(tc, forms);
	tcase_add_test(tc, unset_is_reported);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, typed_fields_are_cast);
	tcase_add_test(tc, document_problems_go_to_diag);
	suite_add_tcase(s, tc);
	return s;
}
