/*
 * apply.h: performing a plan against the swarm.
 *
 * Owns: the writes, in the plan's order (node labels, networks, configs
 * and secrets, services, then removals: services first, waiting for their
 * tasks to go before the configs, secrets and networks they used); filling
 * config and secret IDs into service specs; retrying a service update that
 * lost a race ("update out of sequence") a bounded number of times; waiting
 * for convergence (converge.h); and remembering in the store which spec
 * failed. Does not own: deciding what to do (plan.h) or asking the user.
 */
#ifndef RECONCILER_APPLY_H
#define RECONCILER_APPLY_H

#include <stdio.h>

#include "util.h"

struct plan;
struct docker;
struct live;
struct store;
struct err;

struct apply_opts {
	long timeout_sec;    /* convergence wait; 0: do not wait */
	FILE *out;           /* one line per action; NULL: silent */
	int tty;             /* redraw progress in place */
	struct store *store; /* may be NULL */
};

struct apply_result {
	size_t done;          /* actions performed */
	size_t not_converged; /* services that failed to converge */
};

/*
 * Performs every action of p. Returns 0 when all writes succeeded (check
 * result->not_converged for the convergence outcome), or the error of the
 * first failed write, with err naming the action, after which nothing more
 * is written (result->done says how far it got).
 */
int apply_run(struct apply_result *result, struct plan *p, struct docker *d,
              const struct live *l, const struct apply_opts *o,
              struct err *err) MUST_CHECK;

#endif
