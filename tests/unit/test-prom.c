/*
 * test-prom.c: the time and duration forms prom.h reads (what
 * analyze_metrics passes on to Prometheus' HTTP API). The HTTP calls
 * themselves run against a real Prometheus in t-mcp-prometheus.sh.
 */
#include <check.h>
#include <string.h>

#include "err.h"
#include "prom.h"
#include "unit.h"

#define NOW 1764637323.0 /* 2025-12-02T01:02:03Z */

START_TEST(time_forms)
{
	struct err e;
	double t;

	err_clear(&e);
	ck_assert_int_eq(prom_time_parse(&t, "now", NOW, &e), 0);
	ck_assert(t == NOW);
	ck_assert_int_eq(prom_time_parse(&t, "1764637000.5", NOW, &e), 0);
	ck_assert(t == 1764637000.5);
	ck_assert_int_eq(prom_time_parse(&t, "1h", NOW, &e), 0);
	ck_assert(t == NOW - 3600);
	ck_assert_int_eq(prom_time_parse(&t, "1h30m", NOW, &e), 0);
	ck_assert(t == NOW - 5400);
	ck_assert_int_eq(prom_time_parse(&t, "2025-12-02T01:02:03Z", NOW, &e),
	                 0);
	ck_assert(t == NOW);
	ck_assert_int_eq(
	        prom_time_parse(&t, "2025-12-02T02:02:03.25+01:00", NOW, &e),
	        0);
	ck_assert(t == NOW + 0.25);
}
END_TEST

START_TEST(time_refused)
{
	static const char *const bad[] = {"",    "yesterday",  "1x", "-5",
	                                  "1h-", "2025-12-02", "h"};
	struct err e;
	double t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		ck_assert_int_eq(prom_time_parse(&t, bad[i], NOW, &e),
		                 ERR_INVALID);
		ck_assert_ptr_nonnull(strstr(e.msg, "is not a time"));
	}
}
END_TEST

START_TEST(durations)
{
	struct err e;
	double d;

	err_clear(&e);
	ck_assert_int_eq(prom_duration_parse(&d, "15s", &e), 0);
	ck_assert(d == 15);
	ck_assert_int_eq(prom_duration_parse(&d, "15", &e), 0);
	ck_assert(d == 15);
	ck_assert_int_eq(prom_duration_parse(&d, "0.5", &e), 0);
	ck_assert(d == 0.5);
	ck_assert_int_eq(prom_duration_parse(&d, "250ms", &e), 0);
	ck_assert(d == 0.25);
	ck_assert_int_eq(prom_duration_parse(&d, "1m30s", &e), 0);
	ck_assert(d == 90);
	ck_assert_int_eq(prom_duration_parse(&d, "1d", &e), 0);
	ck_assert(d == 86400);
	ck_assert_int_eq(prom_duration_parse(&d, "0s", &e), ERR_INVALID);
	ck_assert_int_eq(prom_duration_parse(&d, "1.5m", &e), ERR_INVALID);
	ck_assert_int_eq(prom_duration_parse(&d, "s", &e), ERR_INVALID);
	ck_assert_int_eq(prom_duration_parse(&d, "", &e), ERR_INVALID);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("prom");

	UNIT_TCASE(s, time_forms);
	UNIT_TCASE(s, time_refused);
	UNIT_TCASE(s, durations);
	return s;
}
