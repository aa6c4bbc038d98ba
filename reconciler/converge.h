/*
 * converge.h: waiting until the services an apply touched have converged.
 *
 * Owns: polling the swarm (one list call per second, with task counts
 * from ServiceStatus, not one call per service) until every watched
 * service has its update completed and as many running tasks as desired,
 * or until a deadline; recognising Swarm's automatic rollback and paused
 * updates as failures; and the progress display (a line per service,
 * redrawn in place on a terminal, printed as plain lines when a state
 * changes otherwise). Does not own: deciding what to change (plan.h).
 */
#ifndef RECONCILER_CONVERGE_H
#define RECONCILER_CONVERGE_H

#include <stdio.h>

#include "util.h"

struct docker;
struct err;

enum converge_state {
	CONVERGE_PENDING,
	CONVERGE_DONE,
	CONVERGE_ROLLED_BACK, /* Swarm put the previous spec back */
	CONVERGE_PAUSED,      /* the update stopped on failures */
	CONVERGE_TIMEOUT,
	CONVERGE_GONE, /* the service disappeared while waiting */
};

struct converge_item {
	char *name;  /* service name; the caller's, copied */
	int job;     /* job services are not waited for beyond creation */
	int rollout; /* the task template changed: expect an UpdateStatus */
	unsigned polls;
	int shown; /* printed since it last changed (plain output) */
	enum converge_state state;
	long running, desired;
	char *detail; /* update state or the last task error, or NULL */
};

struct converge {
	struct converge_item *items;
	size_t nr;
};

/*
 * Adds a service to watch. rollout says the apply changed its task
 * template, so Swarm will start a rolling update: swarmkit clears the
 * update status first and sets it a moment later, and until then the old
 * tasks must not be mistaken for converged ones.
 */
void converge_add(struct converge *c, const char *name, int job, int rollout);
void converge_release(struct converge *c);

/*
 * Polls until every item is no longer pending or timeout_sec passes (the
 * rest become CONVERGE_TIMEOUT). progress (may be NULL) gets the display;
 * tty selects in-place redraw. Returns 0 when the polling itself worked
 * (inspect the items for the outcome), or the Engine API error.
 */
int converge_wait(struct converge *c, struct docker *d, long timeout_sec,
                  FILE *progress, int tty, struct err *err) MUST_CHECK;

/* The number of items that did not converge. */
size_t converge_failures(const struct converge *c);
/* A word for a state ("converged", "rolled back", ...). Static. */
const char *converge_state_name(enum converge_state s);

#endif
