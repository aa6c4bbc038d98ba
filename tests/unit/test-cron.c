/*
 * test-cron.c: cron expressions, next runs in time zones, zone names.
 *
 * Owns: the unit tests of cron.h, through its public API only. Times are
 * written as UTC "YYYY-MM-DD HH:MM" strings so a table row reads like a
 * calendar entry.
 */
#include <pthread.h>
#include <time.h>

#include "unit.h"

#include "cron.h"
#include "err.h"

/* "2024-03-31 01:00" (UTC) -> time_t */
static time_t at(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	ck_assert_msg(sscanf(s, "%d-%d-%d %d:%d", &tm.tm_year, &tm.tm_mon,
	                     &tm.tm_mday, &tm.tm_hour, &tm.tm_min) == 5,
	              "bad time in test: %s", s);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

static void show(char *out, size_t n, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
}

static const char *const good[] = {
        "30 2 * * *",    "  30\t2 * * *  ",
        "*/15 * * * *",  "*/1 * * * *",
        "5/15 * * * *",  "23 0-20/2 * * *",
        "0 22 * * 1-5",  "0 0 * jan-MAR sun,Sat",
        "0 0 * * 0-7",   "0 0 31 * *",
        "0 0 29 2 *",    "0 0 30 2 1",
        "59 23 31 12 7", "@yearly",
        "@annually",     "@monthly",
        "@weekly",       "@daily",
        "@midnight",     "@hourly",
        " @DAILY ",
};

START_TEST(parses_good_expressions)
{
	struct cron c;
	struct err e;

	err_clear(&e);
	ck_assert_msg(cron_parse(&c, good[_i], &e) == 0, "'%s': %s", good[_i],
	              e.msg);
}
END_TEST

static const struct {
	const char *expr, *msg;
} bad[] = {
        {"", "schedule is empty"},
        {"   ", "schedule is empty"},
        {"61 2 * * *", "minute field '61' is out of range 0-59"},
        {"1,61 2 * * *", "minute field '61' is out of range 0-59"},
        {"99999999999 2 * * *",
         "minute field '99999999999' is out of range 0-59"},
        {"0 24 * * *", "hour field '24' is out of range 0-23"},
        {"0 0 0 * *", "day-of-month field '0' is out of range 1-31"},
        {"0 0 32 * *", "day-of-month field '32' is out of range 1-31"},
        {"0 0 * 13 *", "month field '13' is out of range 1-12"},
        {"0 0 * 0 *", "month field '0' is out of range 1-12"},
        {"0 0 * * 8", "day-of-week field '8' is out of range 0-7"},
        {"0 0 * FOO *",
         "month field 'FOO' is not a number or a month name (JAN-DEC)"},
        {"0 0 * * MOND",
         "day-of-week field 'MOND' is not a number or a weekday name "
         "(SUN-SAT)"},
        {"x 0 * * *", "minute field 'x' is not a number"},
        {"MON 0 * * *", "minute field 'MON' is not a number"},
        {"0 0 ? * *", "day-of-month field '?' is not supported; use '*'"},
        {"0 0 * * ?", "day-of-week field '?' is not supported; use '*'"},
        {"*/0 * * * *",
         "minute field '*/0' has an invalid step (expected a number 1-60 "
         "after '/')"},
        {"0 */25 * * *",
         "hour field '*/25' has an invalid step (expected a number 1-24 "
         "after '/')"},
        {"0 1-5/ * * *",
         "hour field '1-5/' has an invalid step (expected a number 1-24 "
         "after '/')"},
        {"5-1 * * * *", "minute field '5-1' is a backwards range (5 > 1)"},
        {"0 0 * * FRI-SUN",
         "day-of-week field 'FRI-SUN' is a backwards range (5 > 0)"},
        {"1,,2 * * * *", "minute field '1,,2' has an empty list item"},
        {"1, * * * *", "minute field '1,' has an empty list item"},
        {"0 0 * *",
         "expected 5 fields (minute hour day-of-month month day-of-week), "
         "got 4"},
        {"0 0 0 * * *",
         "expected 5 fields (minute hour day-of-month month day-of-week), "
         "got 6; a seconds field is not supported"},
        {"@reboot",
         "unknown schedule '@reboot' (expected five fields or one of "
         "@yearly, @annually, @monthly, @weekly, @daily, @midnight, "
         "@hourly)"},
        {"@every 1h",
         "expected 5 fields (minute hour day-of-month month day-of-week), "
         "got 2"},
        {"0 0 30 2 *",
         "schedule never runs: day-of-month field '30' matches no day of "
         "month field '2'"},
        {"0 0 31 APR,JUN,SEP,NOV *",
         "schedule never runs: day-of-month field '31' matches no day of "
         "month field 'APR,JUN,SEP,NOV'"},
};

START_TEST(rejects_bad_expressions_naming_the_field)
{
	struct cron c;
	struct err e;

	err_clear(&e);
	ck_assert_int_eq(cron_parse(&c, bad[_i].expr, &e), ERR_INVALID);
	ck_assert_str_eq(e.msg, bad[_i].msg);
}
END_TEST

static const struct {
	const char *expr, *tz, *after, *want;
} runs[] = {
        /* plain fields, UTC */
        {"*/15 * * * *", NULL, "2024-01-01 00:00", "2024-01-01 00:15"},
        {"*/15 * * * *", "UTC", "2024-01-01 00:59", "2024-01-01 01:00"},
        {"5/20 * * * *", NULL, "2024-01-01 00:25", "2024-01-01 00:45"},
        {"30 2 * * *", NULL, "2024-01-01 02:29", "2024-01-01 02:30"},
        {"30 2 * * *", NULL, "2024-01-01 02:30", "2024-01-02 02:30"},
        {"23 0-20/2 * * *", NULL, "2024-01-01 20:23", "2024-01-02 00:23"},
        {"0 0 1 * *", NULL, "2024-12-31 12:00", "2025-01-01 00:00"},
        {"@yearly", NULL, "2024-06-01 00:00", "2025-01-01 00:00"},
        {"@hourly", NULL, "2024-06-01 23:00", "2024-06-02 00:00"},
        /* month ends and leap years */
        {"0 0 31 * *", NULL, "2024-04-01 00:00", "2024-05-31 00:00"},
        {"0 0 30 * *", NULL, "2024-02-01 00:00", "2024-03-30 00:00"},
        {"0 0 29 2 *", NULL, "2024-01-01 00:00", "2024-02-29 00:00"},
        {"0 0 29 2 *", NULL, "2024-03-01 00:00", "2028-02-29 00:00"},
        {"0 0 29 2 *", NULL, "2096-03-01 00:00", "2104-02-29 00:00"},
        /* weekdays: 2024-09-01 is a Sunday */
        {"@weekly", NULL, "2024-09-04 00:00", "2024-09-08 00:00"},
        {"0 9 * * MON-FRI", NULL, "2024-09-06 10:00", "2024-09-09 09:00"},
        {"0 0 * * 7", NULL, "2024-09-02 00:00", "2024-09-08 00:00"},
        {"0 0 * * 1/2", NULL, "2024-09-05 00:00", "2024-09-06 00:00"},
        {"0 0 * * 1/2", NULL, "2024-09-06 00:00", "2024-09-09 00:00"},
        /* day-of-month OR day-of-week when both are restricted */
        {"0 0 13 * 5", NULL, "2024-10-01 00:00", "2024-10-04 00:00"},
        {"0 0 13 * 5", NULL, "2024-10-11 00:00", "2024-10-13 00:00"},
        {"0 0 30 2 1", NULL, "2024-02-20 00:00", "2024-02-26 00:00"},
        {"0 0 */2 * 5", NULL, "2024-09-01 00:00", "2024-09-03 00:00"},
        /* AND when one of them is '*' */
        {"0 0 * * 5", NULL, "2024-09-01 00:00", "2024-09-06 00:00"},
        {"0 0 13 * *", NULL, "2024-10-01 00:00", "2024-10-13 00:00"},
        /* time zones */
        {"30 2 * * *", "Europe/Berlin", "2024-01-10 00:00", "2024-01-10 01:30"},
        {"30 2 * * *", "Europe/Berlin", "2024-07-10 00:00", "2024-07-10 00:30"},
        {"0 0 * * *", "Asia/Kolkata", "2024-01-01 00:00", "2024-01-01 18:30"},
        {"0 9 * * *", "America/New_York", "2024-01-10 00:00",
         "2024-01-10 14:00"},
        {"0 9 * * *", "America/New_York", "2024-07-10 00:00",
         "2024-07-10 13:00"},
        /* a day boundary that differs from UTC's */
        {"0 0 * * MON", "Pacific/Auckland", "2024-09-01 00:00",
         "2024-09-01 12:00"},
        /* spring forward: 02:30 does not exist; runs when the gap ends */
        {"30 2 * * *", "Europe/Berlin", "2024-03-30 12:00", "2024-03-31 01:00"},
        {"30 2 * * *", "Europe/Berlin", "2024-03-31 01:00", "2024-04-01 00:30"},
        /* fall back: 02:30 happens twice; runs once, the first time */
        {"30 2 * * *", "Europe/Berlin", "2024-10-26 12:00", "2024-10-27 00:30"},
        {"30 2 * * *", "Europe/Berlin", "2024-10-27 00:30", "2024-10-28 01:30"},
        {"0 * * * *", "Europe/Berlin", "2024-10-27 00:00", "2024-10-27 02:00"},
        /* New York: spring forward over 02:30, fall back through 01:30 */
        {"30 2 * * *", "America/New_York", "2024-03-09 12:00",
         "2024-03-10 07:00"},
        {"30 1 * * *", "America/New_York", "2024-11-02 12:00",
         "2024-11-03 05:30"},
        {"30 1 * * *", "America/New_York", "2024-11-03 05:30",
         "2024-11-04 06:30"},
        /* a half-hour offset, and UTC named explicitly */
        {"30 5 * * *", "Asia/Kolkata", "2024-06-01 01:00", "2024-06-02 00:00"},
        {"0 12 * * *", "UTC", "2024-06-01 12:00", "2024-06-02 12:00"},
        /* after the file's last transition: the footer's POSIX rule */
        {"30 2 * * *", "Europe/Berlin", "2045-03-20 00:00", "2045-03-20 01:30"},
        {"30 2 * * *", "Europe/Berlin", "2045-03-25 12:00", "2045-03-26 01:00"},
        {"30 2 * * *", "Europe/Berlin", "2045-07-01 00:00", "2045-07-01 00:30"},
        {"30 2 * * *", "Europe/Berlin", "2045-10-28 12:00", "2045-10-29 00:30"},
        /* the southern hemisphere's rule wraps the year */
        {"0 3 * * *", "Pacific/Auckland", "2045-01-10 00:00",
         "2045-01-10 14:00"},
        {"30 2 * * *", "Pacific/Auckland", "2045-09-23 00:00",
         "2045-09-23 14:00"},
        {"30 2 * * *", "Pacific/Auckland", "2045-04-01 00:00",
         "2045-04-01 13:30"},
};

START_TEST(computes_next_runs)
{
	char got[32], want[32];
	struct cron c;
	struct err e;
	time_t t = 0;

	err_clear(&e);
	ck_assert_msg(cron_parse(&c, runs[_i].expr, &e) == 0, "%s", e.msg);
	ck_assert_msg(cron_next(&t, &c, at(runs[_i].after), runs[_i].tz, &e) ==
	                      0,
	              "%s", e.msg);
	show(got, sizeof(got), t);
	show(want, sizeof(want), at(runs[_i].want));
	ck_assert_msg(!strcmp(got, want),
	              "'%s' in %s after %s: got %s, want %s", runs[_i].expr,
	              runs[_i].tz ? runs[_i].tz : "(UTC)", runs[_i].after, got,
	              want);
}
END_TEST

START_TEST(next_is_strictly_after_a_time_with_seconds)
{
	struct cron c;
	time_t t = 0;

	ck_assert_int_eq(cron_parse(&c, "30 2 * * *", NULL), 0);
	ck_assert_int_eq(
	        cron_next(&t, &c, at("2024-01-01 02:29") + 59, NULL, NULL), 0);
	ck_assert_int_eq(t, at("2024-01-01 02:30"));
	ck_assert_int_eq(
	        cron_next(&t, &c, at("2024-01-01 02:30") + 1, NULL, NULL), 0);
	ck_assert_int_eq(t, at("2024-01-02 02:30"));
}
END_TEST

START_TEST(next_keeps_the_callers_tz)
{
	struct cron c;
	time_t t = 0;

	ck_assert_int_eq(setenv("TZ", "Asia/Tokyo", 1), 0);
	ck_assert_int_eq(cron_parse(&c, "@daily", NULL), 0);
	ck_assert_int_eq(cron_next(&t, &c, at("2024-01-01 00:00"),
	                           "Europe/Berlin", NULL),
	                 0);
	ck_assert_str_eq(getenv("TZ"), "Asia/Tokyo");
	ck_assert_int_eq(unsetenv("TZ"), 0);
	ck_assert_int_eq(cron_next(&t, &c, at("2024-01-01 00:00"), "UTC", NULL),
	                 0);
	ck_assert_ptr_null(getenv("TZ"));
}
END_TEST

/* Reads TZ in a loop while the main thread computes runs in zones. */
static void *watch_tz(void *arg)
{
	int *stop = arg, changed = 0;

	while (!__atomic_load_n(stop, __ATOMIC_SEQ_CST)) {
		const char *tz = getenv("TZ");

		changed |= !tz || strcmp(tz, "Asia/Tokyo");
	}
	return changed ? (void *)1 : NULL;
}

START_TEST(next_never_touches_the_environment)
{
	static const char *const zones[] = {"Europe/Berlin", "America/New_York",
	                                    "UTC"};
	pthread_t th;
	struct cron c;
	void *changed = NULL;
	int stop = 0;
	time_t t = 0;

	ck_assert_int_eq(setenv("TZ", "Asia/Tokyo", 1), 0);
	ck_assert_int_eq(cron_parse(&c, "@daily", NULL), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, watch_tz, &stop), 0);
	for (int i = 0; i < 300; i++)
		ck_assert_int_eq(cron_next(&t, &c, at("2024-01-01 00:00"),
		                           zones[i % 3], NULL),
		                 0);
	__atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
	ck_assert_int_eq(pthread_join(th, &changed), 0);
	ck_assert_msg(!changed, "cron_next changed TZ while another thread "
	                        "read it");
	ck_assert_int_eq(unsetenv("TZ"), 0);
}
END_TEST

START_TEST(next_refuses_an_unknown_zone)
{
	struct cron c;
	struct err e;
	time_t t = 0;

	err_clear(&e);
	ck_assert_int_eq(cron_parse(&c, "@daily", NULL), 0);
	ck_assert_int_eq(cron_next(&t, &c, 0, "Mars/Olympus_Mons", &e),
	                 ERR_INVALID);
	ck_assert_str_eq(e.msg, "unknown time zone 'Mars/Olympus_Mons' (no "
	                        "such zone in /usr/share/zoneinfo)");
}
END_TEST

static const char *const good_zones[] = {
        "UTC",           "Etc/UTC",
        "Europe/Berlin", "America/Argentina/Salta",
        "Etc/GMT+5",     "America/Port-au-Prince",
};

START_TEST(accepts_iana_zones)
{
	struct err e;

	err_clear(&e);
	ck_assert_msg(cron_check_timezone(good_zones[_i], &e) == 0, "%s: %s",
	              good_zones[_i], e.msg);
}
END_TEST

static const struct {
	const char *tz, *msg;
} bad_zones[] = {
        {"", "time zone is empty"},
        {"/etc/localtime", "time zone '/etc/localtime' is not an IANA time "
                           "zone name (such as UTC or Europe/Berlin)"},
        {"../../etc/passwd", "time zone '../../etc/passwd' is not an IANA "
                             "time zone name (such as UTC or Europe/Berlin)"},
        {"Europe/../../../etc/passwd",
         "time zone 'Europe/../../../etc/passwd' is not an IANA time zone "
         "name (such as UTC or Europe/Berlin)"},
        {"Europe/Berlin ", "time zone 'Europe/Berlin ' is not an IANA time "
                           "zone name (such as UTC or Europe/Berlin)"},
        {"zone.tab", "time zone 'zone.tab' is not an IANA time zone name "
                     "(such as UTC or Europe/Berlin)"},
        {"Europe/Berln", "unknown time zone 'Europe/Berln' (no such zone in "
                         "/usr/share/zoneinfo)"},
        {"Europe", "unknown time zone 'Europe' (no such zone in "
                   "/usr/share/zoneinfo)"},
        {"europe/berlin",
         "unknown time zone 'europe/berlin' (did you mean 'Europe/Berlin'?)"},
        {"utc", "unknown time zone 'utc' (did you mean 'UTC'?)"},
};

START_TEST(rejects_bad_zones)
{
	struct err e;

	err_clear(&e);
	ck_assert_int_eq(cron_check_timezone(bad_zones[_i].tz, &e),
	                 ERR_INVALID);
	ck_assert_str_eq(e.msg, bad_zones[_i].msg);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("cron");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, parses_good_expressions, 0, ARRAY_SIZE(good));
	tcase_add_loop_test(tc, rejects_bad_expressions_naming_the_field, 0,
	                    ARRAY_SIZE(bad));
	suite_add_tcase(s, tc);
	tc = tcase_create("next");
	tcase_add_loop_test(tc, computes_next_runs, 0, ARRAY_SIZE(runs));
	tcase_add_test(tc, next_is_strictly_after_a_time_with_seconds);
	tcase_add_test(tc, next_keeps_the_callers_tz);
	tcase_add_test(tc, next_never_touches_the_environment);
	tcase_add_test(tc, next_refuses_an_unknown_zone);
	suite_add_tcase(s, tc);
	tc = tcase_create("timezone");
	tcase_add_loop_test(tc, accepts_iana_zones, 0, ARRAY_SIZE(good_zones));
	tcase_add_loop_test(tc, rejects_bad_zones, 0, ARRAY_SIZE(bad_zones));
	suite_add_tcase(s, tc);
	return s;
}
