/*
 * apply.h: performing a plan against the swarm.
 *
 * Owns: the writes, in the plan's order (node labels, networks, configs
 * and secrets, services, then removals: services first, waiting for their
 * tasks to go before the configs, secrets and networks they used); filling
 * config and secret IDs into service specs; retrying a service update that
 * lost a race ("update out of sequence") a bounded number of times; waiting
 * for convergence (converge.h); remembering in the store which spec
 * failed; and reporting each step as an event. Does not own: deciding what
 * to do (plan.h), the policy around an apply (reconcile.h), or drawing
 * progress (progress.h).
 */
#ifndef RECONCILER_APPLY_H
#define RECONCILER_APPLY_H

#include <stddef.h>

#include "util.h"

struct converge;
struct docker;
struct err;
struct live;
struct plan;
struct plan_action;
struct store;

enum apply_event_kind {
	APPLY_ACTION_STARTED, /* action, index */
	APPLY_ACTION_DONE,    /* action, index */
	APPLY_ACTION_FAILED,  /* action, index, err */
	APPLY_WAIT_STARTED,   /* converge (every item), timeout_sec */
	APPLY_CONVERGE,       /* converge after a poll; items whose state
	                       * changed have .changed set; final when the
	                       * wait is over */
	APPLY_WARNING,        /* message: something went wrong that does not
	                       * stop the run (a store write, ...) */
};

struct apply_event {
	enum apply_event_kind kind;
	size_t index;
	const struct plan_action *action;
	const struct err *err;
	const struct converge *converge;
	int final;
	long timeout_sec;
	const char *message;
};

/*
 * What a caller hooks into a run. event gets every event (borrowed for the
 * call only); cancel is checked before each action and in every wait, and
 * a nonzero return stops the run with ERR_CANCELED. Either may be NULL.
 */
struct apply_hooks {
	void (*event)(void *ctx, const struct apply_event *ev);
	int (*cancel)(void *ctx);
	void *ctx;
};

struct apply_opts {
	long timeout_sec;    /* convergence wait; 0: do not wait */
	struct store *store; /* may be NULL */
	struct apply_hooks hooks;
};

struct apply_result {
	size_t done;          /* actions performed */
	size_t not_converged; /* services that failed to converge */
};

/*
 * Performs every action of p. Returns 0 when all writes succeeded (check
 * result->not_converged for the convergence outcome), or the error of the
 * first failed write, with err naming the action, after which nothing more
 * is written (result->done says how far it got), or the error of the
 * convergence wait (result->done is every action), or ERR_CANCELED.
 */
int apply_run(struct apply_result *result, struct plan *p, struct docker *d,
              const struct live *l, const struct apply_opts *o,
              struct err *err) MUST_CHECK;

/* Emits ev to hooks (NULL-safe); for apply's callers (reconcile.c). */
void apply_emit(const struct apply_hooks *h, const struct apply_event *ev);
/* True when the hooks ask to stop (NULL-safe). */
int apply_canceled(const struct apply_hooks *h);

#endif
