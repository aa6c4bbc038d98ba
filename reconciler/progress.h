/*
 * progress.h: drawing an apply's events on a terminal or in a log.
 *
 * Owns: the lines `kedge apply` prints while it works: one per action
 * done, the start of the convergence wait, and a line per watched service,
 * redrawn in place on a terminal (ANSI cursor movement) or printed as a
 * plain line when it changes otherwise; warnings as "warning: ..." on
 * stderr. Does not own: the events themselves (apply.h) or the plan and
 * the result (cmd-apply.c).
 */
#ifndef RECONCILER_PROGRESS_H
#define RECONCILER_PROGRESS_H

#include <stdio.h>

struct apply_event;

struct progress {
	FILE *out; /* actions and convergence; NULL: only warnings */
	int tty;   /* redraw the convergence lines in place */
	int drawn; /* the convergence lines are on the screen */
};

/* An apply_hooks.event for ctx = struct progress *. */
void progress_event(void *ctx, const struct apply_event *ev);

#endif
