/*
 * converge.h: waiting until the services an apply touched have converged.
 *
 * Owns: polling the swarm (one list call per second, with task counts
 * from ServiceStatus, not one call per service) until every watched
 * service has its update completed and as many running tasks as desired,
 * or until a deadline; recognising Swarm's automatic rollback and paused
 * updates as failures; retrying a failed poll until the deadline; and
 * reporting each poll to a progress hook, with a cancel hook checked in
 * every wait. Does not own: deciding what to change (plan.h) or drawing
 * progress (progress.h).
 */
#ifndef RECONCILER_CONVERGE_H
#define RECONCILER_CONVERGE_H

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
	int changed; /* state, counts or detail changed in the last poll */
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
 * What the wait reports to and asks its caller. progress gets c after
 * every poll (items that changed have .changed set) and once more with
 * final set when the wait is over; cancel is checked between polls and
 * while sleeping, a nonzero return stops the wait. Any member may be NULL.
 */
struct converge_hooks {
	void (*progress)(void *ctx, const struct converge *c, int final);
	int (*cancel)(void *ctx);
	void *ctx;
};

/*
 * Polls until every item is no longer pending or timeout_sec passes (the
 * rest become CONVERGE_TIMEOUT). A failed poll is retried until the
 * deadline: only when the last poll before it failed too is its Engine API
 * error returned. Returns 0 when the wait ended (inspect the items for the
 * outcome), that error, or ERR_CANCELED.
 */
int converge_wait(struct converge *c, struct docker *d, long timeout_sec,
                  const struct converge_hooks *h, struct err *err) MUST_CHECK;

/* The monotonic clock, in milliseconds. */
long long converge_now_ms(void);
/*
 * Sleeps ms milliseconds in short slices, asking cancel(ctx) (may be NULL)
 * between them. Returns ERR_CANCELED when it said stop, 0 otherwise.
 */
int converge_sleep(long ms, int (*cancel)(void *ctx), void *ctx) MUST_CHECK;

/* The number of items that did not converge. */
size_t converge_failures(const struct converge *c);
/* A word for a state ("converged", "rolled back", ...). Static. */
const char *converge_state_name(enum converge_state s);

#endif
