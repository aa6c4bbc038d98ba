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
};

struct diag {
	struct diag_item *items;
	size_t nr, alloc;
	size_t errors, warnings;
	size_t max_items; /* stop recording after this many (0: 1000) */
	size_t dropped;   /* problems not recorded because of max_items */
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
/* Sorts by file, line, column, keeping the order of equal positions. */
void diag_sort(struct diag *d);
/* Prints every item, one per line, as git-style messages. */
void diag_print(const struct diag *d, FILE *fp);
/*
 * Returns a new JSON array of {file, line, column, severity, message}.
 * The caller owns the reference.
 */
struct json_t *diag_to_json(const struct diag *d);

#endif
