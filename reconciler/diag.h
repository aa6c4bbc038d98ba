/*
 * diag.h: the list of problems found while validating desired state.
 *
 * Owns: every error and warning of one validation run, each with the
 * repository path, line and column it is about, and printing them as
 * "path:line:col: message" (warnings as "path:line:col: warning: message")
 * or as JSON. Does not own: the failure of a call (err.h); a problem in the
 * user's files is not a failure of kedge.
 */
#ifndef RECONCILER_DIAG_H
#define RECONCILER_DIAG_H

#include <stdio.h>

#include "util.h"

struct json_t;

enum diag_severity { DIAG_ERROR, DIAG_WARNING };

struct diag_item {
	enum diag_severity severity;
	char *file;         /* repository-relative path, "" when none */
	unsigned line, col; /* 1-based; 0 when unknown */
	char *message;
	size_t seq; /* the order it was found in */
};

struct diag {
	struct diag_item *items;
	size_t nr, alloc;
	size_t errors, warnings;
	size_t max_items; /* record warnings up to this many items (0: 1000);
	                   * errors are always recorded */
	size_t dropped;   /* warnings not recorded because of max_items */
};

#define DIAG_INIT                      \
	{                              \
		NULL, 0, 0, 0, 0, 0, 0 \
	}

void diag_release(struct diag *d);
/* Records a problem. file may be NULL. The strings are copied. */
void diag_add(struct diag *d, enum diag_severity sev, const char *file,
              unsigned line, unsigned col, const char *fmt, ...) PRINTF(6, 7);
void diag_vadd(struct diag *d, enum diag_severity sev, const char *file,
               unsigned line, unsigned col, const char *fmt, va_list ap)
        PRINTF(6, 0);
/*
 * Sorts errors before warnings, each by file, line, column, keeping the
 * order of equal positions. O(n log n).
 */
void diag_sort(struct diag *d);
/* Is there an error at file:line:col already? */
int diag_has_error_at(const struct diag *d, const char *file, unsigned line,
                      unsigned col);
/* Prints every item, one per line, as git-style messages. */
void diag_print(const struct diag *d, FILE *fp);
/*
 * Returns a new JSON array of {file, line, column, severity, message}.
 * The caller owns the reference.
 */
struct json_t *diag_to_json(const struct diag *d);

#endif
