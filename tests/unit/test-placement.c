/*
 * test-placement.c: constraints evaluated against Engine API node objects.
 */
#include <jansson.h>

#include "unit.h"

#include "placement.h"

static json_t *node(const char *host, const char *role, const char *labels)
{
	return json_pack("{s:s, s:{s:s, s:s, s:o}, s:{s:s, s:{s:s, s:s}, "
	                 "s:{s:{s:s}}}, s:{s:s}}",
	                 "ID", "n1", "Spec", "Role", role, "Availability",
	                 "active", "Labels", json_loads(labels, 0, NULL),
	                 "Description", "Hostname", host, "Platform", "OS",
	                 "linux", "Architecture", "x86_64", "Engine", "Labels",
	                 "disk", "ssd", "Status", "State", "ready");
}

static int matches(const json_t *n, const char *c)
{
	json_t *arr = json_loads(c, 0, NULL);
	int r = placement_node_matches(n, NULL, arr);

	json_decref(arr);
	return r;
}

START_TEST(fields_and_operators)
{
	json_t *n = node("kedge-w1", "worker", "{\"zone\": \"a\"}");

	ck_assert_int_eq(matches(n, "[\"node.hostname == kedge-w1\"]"), 1);
	ck_assert_int_eq(matches(n, "[\"node.hostname==KEDGE-W1\"]"), 1);
	ck_assert_int_eq(matches(n, "[\"node.role == manager\"]"), 0);
	ck_assert_int_eq(matches(n, "[\"node.role != manager\"]"), 1);
	ck_assert_int_eq(matches(n, "[\"node.labels.zone == a\"]"), 1);
	ck_assert_int_eq(matches(n, "[\"node.labels.zone == A\"]"), 0);
	ck_assert_int_eq(matches(n, "[\"node.labels.rack != 3\"]"), 1);
	ck_assert_int_eq(matches(n, "[\"node.labels.rack == 3\"]"), 0);
	ck_assert_int_eq(matches(n, "[\"engine.labels.disk == ssd\"]"), 1);
	ck_assert_int_eq(matches(n, "[\"node.platform.os == linux\", "
	                            "\"node.platform.arch == x86_64\"]"),
	                 1);
	ck_assert_int_eq(matches(n, "[\"node.labels.zone == a\", "
	                            "\"node.role == manager\"]"),
	                 0);
	ck_assert_int_eq(matches(n, "[\"garbage\"]"), 0);
	json_decref(n);
}
END_TEST

static const json_t *future_labels(void *ctx, const json_t *n)
{
	(void)n;
	return ctx;
}

START_TEST(any_node_with_future_labels)
{
	json_t *nodes = json_array(), *c, *future;

	json_array_append_new(nodes, node("m1", "manager", "{}"));
	c = json_loads("[\"node.labels.db == yes\"]", 0, NULL);
	ck_assert_int_eq(placement_any(nodes, c, NULL, NULL), 0);
	future = json_pack("{s:s}", "db", "yes");
	ck_assert_int_eq(placement_any(nodes, c, future_labels, future), 1);
	json_decref(future);
	json_decref(c);
	json_decref(nodes);
}
END_TEST

START_TEST(drained_node_does_not_count)
{
	json_t *nodes = json_array(), *n = node("m1", "manager", "{}"), *c;

	json_object_set_new(json_object_get(n, "Spec"), "Availability",
	                    json_string("drain"));
	json_array_append_new(nodes, n);
	c = json_loads("[]", 0, NULL);
	ck_assert_int_eq(placement_any(nodes, c, NULL, NULL), 0);
	json_decref(c);
	json_decref(nodes);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("placement");
	TCase *tc = tcase_create("placement");

	tcase_add_test(tc, fields_and_operators);
	tcase_add_test(tc, any_node_with_future_labels);
	tcase_add_test(tc, drained_node_does_not_count);
	suite_add_tcase(s, tc);
	return s;
}
