/*
 * ruletest.h: Prometheus rule unit tests (alerts/<name>.test.yml), run with
 * `promtool test rules` and reported on the test file's lines.
 *
 * Owns: which rule files a test reads (its rule_files:, kept inside
 * alerts/), handing promtool (promtool.c) the test and those files as they
 * are in the repository, and reading promtool's report back into located
 * problems that name the test (its name:, else its number), the alert or
 * expression, and what was expected and what came. Does not own: loading
 * the files (desired.c) or checking the rule files themselves
 * (verify-files.c, which calls this after its checks).
 */
#ifndef RECONCILER_RULETEST_H
#define RECONCILER_RULETEST_H

#include <stddef.h>

struct desired;
struct desired_doc;
struct diag;

/*
 * Checks the rule_files: of every loaded test file of d and runs it with
 * promtool at tool. A test whose rule files are not all good
 * (rule_failed[i] is non-zero when d->alerts[i] has an error) is not run,
 * with a warning saying so. tool NULL (no promtool) is one warning when
 * there are tests to run: they are not run. Every problem goes to diag.
 */
void ruletest_verify(const struct desired *d, const unsigned char *rule_failed,
                     const char *tool, struct diag *diag);

/*
 * Turns the output of a failed `promtool test rules` of the test file doc
 * (laid out in the folder dir, which promtool's messages quote) into
 * errors at doc's lines: a failing alert_rule_test or promql_expr_test
 * item at its own line, anything else at the file. Returns the number of
 * errors added.
 */
size_t ruletest_report(const struct desired_doc *doc, const char *output,
                       const char *dir, struct diag *diag);

#endif
