/*
 * unit.h: what every unit test program shares.
 *
 * Each tests/unit/test-<module>.c defines `Suite *unit_suite(void)` and
 * includes this file, which provides main(): it runs the suite with
 * check's defaults (CK_FORK, CK_VERBOSITY) and exits non-zero on failure.
 */
#ifndef KEDGE_TESTS_UNIT_H
#define KEDGE_TESTS_UNIT_H

#include <check.h>
#include <stdlib.h>

Suite *unit_suite(void);

/* Adds test fn to suite s in a TCase of its own, named after it. */
#define UNIT_TCASE(s, fn)                       \
	do {                                    \
		TCase *tc_ = tcase_create(#fn); \
		tcase_add_test(tc_, fn);        \
		suite_add_tcase((s), tc_);      \
	} while (0)

int main(void)
{
	SRunner *sr = srunner_create(unit_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
