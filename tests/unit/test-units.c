/*
 * test-units.c: unit tests of the duration and byte-size parsers
 * (units.h), against the cases of Go's time.ParseDuration tests and of
 * docker/go-units v0.4.0's RAMInBytes tests, plus the bounds.
 */
#include <stdint.h>

#include "err.h"
#include "units.h"
#include "unit.h"

struct dur_case {
	const char *text;
	int64_t ns;
};

#define S  INT64_C(1000000000)
#define MN (60 * S)

START_TEST(duration_go_table)
{
	static const struct dur_case good[] = {
	        {"0", 0},
	        {"5s", 5 * S},
	        {"30s", 30 * S},
	        {"1478s", 1478 * S},
	        {"-5s", -5 * S},
	        {"+5s", 5 * S},
	        {"-0", 0},
	        {"+0", 0},
	        {"5.0s", 5 * S},
	        {"5.6s", 5 * S + 600000000},
	        {"5.s", 5 * S},
	        {".5s", 500000000},
	        {"1.004s", 1004000000},
	        {"100.00100s", 100 * S + 1000000},
	        {"10ns", 10},
	        {"11us", 11000},
	        {"12\xc2\xb5s", 12000},
	        {"12\xce\xbcs", 12000},
	        {"13ms", 13000000},
	        {"15m", 15 * MN},
	        {"16h", 16 * 60 * MN},
	        {"3h30m", 210 * MN},
	        {"10.5s4m", 4 * MN + 10 * S + 500000000},
	        {"-2m3.4s", -(2 * MN + 3 * S + 400000000)},
	        {"1h2m3s4ms5us6ns",
	         60 * MN + 2 * MN + 3 * S + 4000000 + 5000 + 6},
	        {"39h9m14.425s", 39 * 60 * MN + 9 * MN + 14 * S + 425000000},
	        {"52763797000ns", 52763797000},
	        {"0.3333333333333333333h", 20 * MN},
	        {"9007199254740993ns", INT64_C(9007199254740993)},
	        {"9223372036854775807ns", INT64_MAX},
	        {"9223372036854775.807us", INT64_MAX},
	        {"9223372036s854ms775us807ns", INT64_MAX},
	        {"-9223372036854775808ns", INT64_MIN},
	        {"-9223372036854775.808us", INT64_MIN},
	        {"0.100000000000000000000h", 6 * MN},
	        {"0.830103483285477580700h", 49 * MN + 48 * S + 372539827},
	};
	int64_t v;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		ck_assert_msg(units_parse_duration(&v, good[i].text) == 0,
		              "'%s' refused", good[i].text);
		ck_assert_msg(v == good[i].ns, "'%s' gave %lld", good[i].text,
		              (long long)v);
	}
}
END_TEST

START_TEST(duration_refused)
{
	static const char *const bad[] = {
	        "",
	        "3",
	        "-",
	        "s",
	        ".",
	        "-.",
	        ".s",
	        "+.s",
	        "1d",
	        "\x85\x85",
	        "\xff"
	        "ff",
	        "10S",
	        "1 s",
	        "1h ",
	        "--1s",
	        "1s-1s",
	        /* one past the int64 bounds, in each form Go tests */
	        "9223372036854775808ns",
	        "9223372036854775.808us",
	        "9223372036854ms775us808ns",
	        "-9223372036854775809ns",
	        /* C7: the fraction pushes the sum past 2^63 */
	        "9223372036.9999s",
	        "2562048h",
	        "99999999999999999999s",
	        "1ns9223372036854775807ns",
	        "9223372036854775808ns9223372036854775808ns",
	};
	int64_t v = 42;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		ck_assert_msg(units_parse_duration(&v, bad[i]) == ERR_INVALID,
		              "'%s' accepted", bad[i]);
		ck_assert_int_eq(v, 42);
	}
	ck_assert_int_eq(units_parse_duration(&v, NULL), ERR_INVALID);
}
END_TEST

START_TEST(duration_long_fraction)
{
	/* Digits past what fits are read and ignored, never overflow. */
	char s[4100];

	memcpy(s, "1.", 2);
	memset(s + 2, '9', 4000);
	memcpy(s + 4002, "s", 2);
	int64_t v;

	ck_assert_int_eq(units_parse_duration(&v, s), 0);
	ck_assert(v >= 1999999999 && v <= 2 * S);
}
END_TEST

#define KIB INT64_C(1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)
#define TIB (GIB * 1024)
#define PIB (TIB * 1024)

START_TEST(bytes_go_units_table)
{
	static const struct {
		const char *text;
		int64_t n;
	} good[] = {
	        {"32", 32},
	        {"32b", 32},
	        {"32B", 32},
	        {"32k", 32 * KIB},
	        {"32K", 32 * KIB},
	        {"32kb", 32 * KIB},
	        {"32Kb", 32 * KIB},
	        {"32Mb", 32 * MIB},
	        {"32Gb", 32 * GIB},
	        {"32Tb", 32 * TIB},
	        {"32Pb", 32 * PIB},
	        {"32PB", 32 * PIB},
	        {"32P", 32 * PIB},
	        {"32.3", 32},
	        {"0.3", 0},
	        {"0", 0},
	        {"1.5G", 3 * GIB / 2},
	        {"64 MiB", 64 * MIB},
	        {"2kib", 2 * KIB},
	        {"5i", 5},
	        {"32 ", 32},
	        {"0.5k", 512},
	        {"1.0000001k", 1024},
	        {"8191.99p", (int64_t)(8191.99 * 1125899906842624.0)},
	};
	int64_t v;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		ck_assert_msg(units_parse_bytes(&v, good[i].text) == 0,
		              "'%s' refused", good[i].text);
		ck_assert_msg(v == good[i].n, "'%s' gave %lld", good[i].text,
		              (long long)v);
	}
}
END_TEST

START_TEST(bytes_refused)
{
	static const char *const bad[] = {
	        "",
	        "hello",
	        "-32",
	        " 32 ",
	        "32m b",
	        "32bm",
	        "k",
	        "12x",
	        "1.5.5g",
	        "1..5g",
	        "1mbb",
	        "10kk",
	        "1e3",
	        "0x10",
	        "1.",
	        ".5k",
	        "32  ",
	        "32 k b",
	        "nan",
	        "inf",
	        "8192p",
	        "8e",
	        "1 2",
	        "32kib ",
	        "1ki b",
	        "9223372036854775807",
	        "99999999999t",
	};
	int64_t v = 42;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		ck_assert_msg(units_parse_bytes(&v, bad[i]) == ERR_INVALID,
		              "'%s' accepted", bad[i]);
		ck_assert_int_eq(v, 42);
	}
	ck_assert_int_eq(units_parse_bytes(&v, NULL), ERR_INVALID);
}
END_TEST

START_TEST(bytes_huge_number)
{
	/* 400 digits: strtod says infinity; an error, not a wrapped int. */
	char s[402];
	int64_t v;

	memset(s, '9', 400);
	s[400] = '\0';
	ck_assert_int_eq(units_parse_bytes(&v, s), ERR_INVALID);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("units");

	UNIT_TCASE(s, duration_go_table);
	UNIT_TCASE(s, duration_refused);
	UNIT_TCASE(s, duration_long_fraction);
	UNIT_TCASE(s, bytes_go_units_table);
	UNIT_TCASE(s, bytes_refused);
	UNIT_TCASE(s, bytes_huge_number);
	return s;
}
