/*
 * test-interp.c: compose interpolation, string by string and over a whole
 * document (with the casts docker applies to typed fields).
 */
#include <jansson.h>

#include "unit.h"

#include "diag.h"
#include "err.h"
#include "interp.h"

/*
 * The mapping of docker/cli's template_test.go (FOO set, BAR empty), plus
 * the names the document tests use.
 */
static const char *vars(void *ctx, const char *name)
{
	(void)ctx;
	if (!strcmp(name, "FOO"))
		return "first";
	if (!strcmp(name, "BAR"))
		return "";
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

/*
 * docker/cli v20.10.24 cli/compose/template: the cases of its
 * template_test.go, and the corners of its regular expression (an
 * unbraced reference takes an operator, a default ends at the first '}'
 * and is not interpolated again, no :+), each output taken from
 * `docker stack config` (CLI 28.2.2, the same template code) with FOO=first
 * and BAR= in its environment.
 */
START_TEST(docker_table)
{
	static const struct {
		const char *in, *out;
	} t[] = {
	        {"$${foo}", "${foo}"},
	        {"foo", "foo"},
	        {"This ${missing} var", "This  var"},
	        {"This ${BAR} var", "This  var"},
	        {"This $FOO var", "This first var"},
	        {"This ${FOO} var", "This first var"},
	        {"ok ${missing:-def}", "ok def"},
	        {"ok ${missing-def}", "ok def"},
	        {"ok ${BAR:-def}", "ok def"},
	        {"ok ${FOO:-def}", "ok first"},
	        {"ok ${BAR-def}", "ok "},
	        {"ok ${BAR:-/non:-alphanumeric}", "ok /non:-alphanumeric"},
	        {"ok ${FOO:?err}", "ok first"},
	        {"ok ${FOO?err}", "ok first"},
	        {"ok ${BAR?err}", "ok "},
	        {"${A:-${FOO}}", "${FOO}"},
	        {"${FOO:-${A}}", "first}"},
	        {"$FOO-bar baz", "first"},
	        {"$missing-bar baz", "bar baz"},
	        {"$FOO:bar", "first:bar"},
	        {"$FOO:-x}y", "first}y"},
	        {"${UNSET_X:-$$2y$$10}", "$$2y$$10"},
	        {"$$2y$$10$$abc", "$2y$10$abc"},
	        {"${X:-a}b}", "ab}"},
	        {"${UNSET?err-msg}", "msg"},
	        {"${FOO:?a:-b}", "b"},
	        {"$foo_9x.y", ".y"},
	        {"${FOO}${FOO}", "firstfirst"},
	        {"${_u:-d}", "d"},
	        {"$Foo", ""},
	        {"${foo:-}", ""},
	        {"${FOO?}", "first"},
	        {"$FOO?x}", "first}"},
	        {"\xc5\xbf"
	         "${FOO}",
	         "\xc5\xbf"
	         "first"},
	        {"$\xc5\xbf"
	         "",
	         ""},
	        {"${FOO-}", "first"},
	        {"${missing:-a$b}", "a$b"},
	        {"${FOO:?}", "first"},
	        {"nginx:${TAG}", "nginx:1.25"},
	        {"a ${TAG} b $TAG c", "a 1.25 b 1.25 c"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct err e;
		char *unset = NULL;
		int rc;
		char *out = expand(t[i].in, &rc, &unset, &e);

		ck_assert_msg(rc == 0, "%s: %s", t[i].in, e.msg);
		ck_assert_msg(!strcmp(out, t[i].out), "%s: got '%s', want '%s'",
		              t[i].in, out, t[i].out);
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

/*
 * Every form docker's CLI refuses (same source as docker_table), with the
 * words kedge says; docker's own text is in the comment when it differs.
 */
START_TEST(docker_refusals)
{
	static const struct {
		const char *in, *msg;
	} t[] = {
	        {"${", "invalid interpolation format: \"${\": a '$' must be "
	               "followed by a name"},
	        {"$}", "invalid interpolation format: \"$}\": a '$' must be "
	               "followed by a name"},
	        {"${}", "invalid interpolation format: \"${}\": a '$' must be "
	                "followed by a name"},
	        {"${ }", "invalid interpolation format: \"${ }\": a '$' must "
	                 "be followed by a name"},
	        {"${ foo}", "invalid interpolation format: \"${ foo}\": a '$' "
	                    "must be followed by a name"},
	        {"${foo }", "invalid interpolation format: \"${foo }\": a '$' "
	                    "must be followed by a name"},
	        {"${foo!}", "invalid interpolation format: \"${foo!}\": a '$' "
	                    "must be followed by a name"},
	        {"not ok ${UNSET_VAR:?Mandatory Variable Unset}",
	         "required variable UNSET_VAR is missing a value: Mandatory "
	         "Variable Unset"},
	        {"not ok ${BAR:?Mandatory Variable Empty}",
	         "required variable BAR is missing a value: Mandatory Variable "
	         "Empty"},
	        {"not ok ${UNSET_VAR:?}",
	         "required variable UNSET_VAR is missing a value"},
	        {"not ok ${UNSET_VAR?Mandatory Variable Unset}",
	         "required variable UNSET_VAR is missing a value: Mandatory "
	         "Variable Unset"},
	        {"not ok ${UNSET_VAR?}",
	         "required variable UNSET_VAR is missing a value"},
	        {"${FOO:+alt}",
	         "invalid interpolation format: \"${FOO:+alt}\": a '$' must be "
	         "followed by a name"},
	        {"${FOO+alt}", "invalid interpolation format: \"${FOO+alt}\": "
	                       "a '$' must be followed by a name"},
	        {"$", "invalid interpolation format: \"$\": a '$' must be "
	              "followed by a name"},
	        {"a $", "invalid interpolation format: \"a $\": a '$' must be "
	                "followed by a name"},
	        {"$1", "invalid interpolation format: \"$1\": a '$' must be "
	               "followed by a name"},
	        {"$-", "invalid interpolation format: \"$-\": a '$' must be "
	               "followed by a name"},
	        {"${1}", "invalid interpolation format: \"${1}\": a '$' must "
	                 "be followed by a name"},
	        {"${BAR:?}", "required variable BAR is missing a value"},
	        /* docker loses these errors because a later reference in
	         * the string succeeds ("${} $FOO" gives "{} first"); kedge
	         * refuses them. */
	        {"${} $FOO", "invalid interpolation format: \"${} $FOO\""},
	        {"${UNSET:?set it} $FOO",
	         "required variable UNSET is missing a value: set it"},
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

static const char *big_var(void *ctx, const char *name)
{
	return strcmp(name, "BIG") ? NULL : ctx;
}

/* 2000 references to a 1 MiB value would be 2 GiB; the budget stops it. */
START_TEST(expansion_is_budgeted_per_document)
{
	char *big = xmalloc((1u << 20) + 1);
	json_t *labels = json_object(), *doc;
	struct diag d = DIAG_INIT;
	size_t expanded = 0;
	const char *k;
	json_t *v;

	memset(big, 'y', 1u << 20);
	big[1u << 20] = '\0';
	for (int i = 0; i < 2000; i++) {
		char key[16];

		snprintf(key, sizeof(key), "L%d", i);
		json_object_set_new(labels, key, json_string("${BIG}"));
	}
	doc = json_pack("{s:{s:{s:o}}}", "services", "web", "labels", labels);
	ck_assert_int_eq(interp_compose(doc, big_var, big, NULL, &d), 1);
	ck_assert_uint_eq(d.errors, 1);
	ck_assert_ptr_nonnull(strstr(d.items[0].message,
	                             "interpolation makes this file more than "
	                             "4 MiB larger"));
	json_object_foreach (labels, k, v)
		expanded += json_string_length(v) == 1u << 20;
	ck_assert_uint_eq(expanded, 4);
	diag_release(&d);
	json_decref(doc);
	free(big);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("interp");
	TCase *tc = tcase_create("interp");

	tcase_add_test(tc, docker_table);
	tcase_add_test(tc, unset_is_reported);
	tcase_add_test(tc, docker_refusals);
	tcase_add_test(tc, typed_fields_are_cast);
	tcase_add_test(tc, document_problems_go_to_diag);
	tcase_add_test(tc, expansion_is_budgeted_per_document);
	suite_add_tcase(s, tc);
	return s;
}
