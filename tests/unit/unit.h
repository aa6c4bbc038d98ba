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
