/*
 * reconcile.h: the engine as a library: load the desired state, plan
 * against the live swarm, and apply, returning errors and results.
 *
 * Owns: the sequence every front end shares (schemas -> source -> desired
 * state -> swarm connection -> live snapshot -> store -> plan), and the
 * policy around an apply: a destructive plan needs allow_destructive or a
 * yes from the caller's confirm hook, a spec skipped because it failed
 * before is a result (not success), the convergence timeout comes from the
 * options or kedge.yml, and every apply is written to the store's history.
 * Nothing here prints, prompts, exits or keeps process-global state;
 * progress and warnings go to the caller's event hook, and the cancel hook
 * is checked between actions and in every wait.
 * Does not own: the terminal (cmd-apply.c, cmd-diff.c, progress.c), option
 * parsing or finding the schema folder (cli.c).
 */
#ifndef RECONCILER_RECONCILE_H
#define RECONCILER_RECONCILE_H

#include "apply.h"
#include "util.h"

struct desired;
struct diag;
struct docker;
struct err;
struct live;
struct plan;
struct schema;
struct source;
struct source_opts;
struct store;

struct reconcile_opts {
	const struct source_opts *src;
	const char *schema_dir;    /* where the JSON Schemas are */
	struct schema *schemas;    /* loaded already (borrowed); NULL: load
	                            * them from schema_dir */
	const char *const *stacks; /* NULL-terminated filter; NULL: all */
	int allow_empty;           /* allow pruning every service */
	int adopt;                 /* take over docker stack deploy's objects */
	const char *docker_host;   /* NULL: $DOCKER_HOST */
	const char *store;         /* NULL: the default path */
	/* diff: go on without the store when it cannot be opened */
	int read_only;
	/* progress, warnings, cancellation; every member may be NULL */
	struct apply_hooks hooks;
};

/* Everything one reconcile holds while it works. */
struct reconcile {
	struct desired *desired;
	struct source *src;
	struct schema *schemas;
	struct docker *docker;
	struct live *live;
	struct store *store; /* NULL for a read-only run without one */
	struct plan *plan;
	size_t problems; /* diag errors when the plan was built */
	int own_schemas; /* schemas were loaded here, not borrowed */
	const struct reconcile_opts *o; /* borrowed */
};

/*
 * Loads the schemas from o->schema_dir, opens the source and loads and
 * verifies the desired state into r (zeroed first). Problems in the files
 * go to diag. Returns 0 (check diag->errors), or the error of kedge
 * itself (the source cannot be read, the schemas are missing).
 */
int reconcile_load(struct reconcile *r, const struct reconcile_opts *o,
                   struct diag *diag, struct err *err) MUST_CHECK;

/*
 * reconcile_load, then connects to the swarm manager, reads the live
 * state, opens the store and builds r->plan. Problems in the files and
 * pre-apply checks go to diag. Returns ERR_INVALID when the desired state
 * is invalid (nothing was compared), ERR_NOTFOUND for a --stack that does
 * not exist, or the error of the daemon or store. A read-only run without
 * a store reports a warning event and goes on. Release r with
 * reconcile_release whatever the result.
 */
int reconcile_plan(struct reconcile *r, const struct reconcile_opts *o,
                   struct diag *diag, struct err *err) MUST_CHECK;
/* The second half of reconcile_plan, on an r that reconcile_load filled. */
int reconcile_compare(struct reconcile *r, const struct reconcile_opts *o,
                      struct diag *diag, struct err *err) MUST_CHECK;

enum reconcile_outcome {
	RECONCILE_APPLIED,       /* applied and converged (or nothing to do) */
	RECONCILE_NOT_CONVERGED, /* applied; some services did not converge */
	RECONCILE_SKIPPED,       /* nothing applied, but specs that failed
	                          * before were skipped: not in sync */
	RECONCILE_REFUSED,       /* destructive, and no confirm hook */
	RECONCILE_DECLINED,      /* destructive, and confirm said no */
	RECONCILE_FAILED,        /* a write or the wait failed (see err) */
};

struct reconcile_apply_opts {
	long timeout_sec;      /* -1: kedge.yml's timeout, else 5 minutes */
	int no_wait;           /* do not wait for convergence */
	int allow_destructive; /* removals and scale-to-zero need no confirm */
	/* asked for a destructive plan; returns 1 to go on. NULL: refuse */
	int (*confirm)(void *ctx, const struct plan *p);
	void *confirm_ctx;
};

struct reconcile_result {
	enum reconcile_outcome outcome;
	struct apply_result apply; /* how far the writes got */
	size_t skipped;            /* specs not re-applied (failed before) */
};

/*
 * Applies r->plan (after reconcile_plan succeeded with no diag errors)
 * with the policy above, and records the outcome in the store's history
 * (a failure to record is a warning event). Returns 0 with the outcome in
 * *out, or the error of the first failed write or of the convergence wait
 * (outcome RECONCILE_FAILED, out->apply.done says how far it got),
 * ERR_INVALID when the plan was built with problems.
 */
int reconcile_apply(struct reconcile_result *out, struct reconcile *r,
                    const struct reconcile_apply_opts *ao,
                    struct err *err) MUST_CHECK;

/* Frees everything r holds; r may be partly filled. */
void reconcile_release(struct reconcile *r);

#endif
