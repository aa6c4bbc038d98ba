/*
 * plan.h: what an apply would change, worked out before anything is written.
 *
 * Owns: comparing the desired state (converted to Engine API specs) with one
 * snapshot of the live swarm, and the resulting ordered list of actions:
 * node label and availability updates, network/config/secret creations,
 * service creations and updates (only where the normalised diff is not
 * empty), and removals of what kedge owns and no longer wants. Also the
 * checks that must pass before the first write (placement satisfiable,
 * external objects present, no name taken by an object kedge does not own,
 * nodes of nodes.yml present), the human and JSON renderings, and the
 * fingerprint that makes a saved plan refusable when it goes stale.
 * Does not own: performing the actions (apply.h).
 */
#ifndef RECONCILER_PLAN_H
#define RECONCILER_PLAN_H

#include <stdint.h>
#include <stdio.h>

#include "util.h"

struct json_t;
struct desired;
struct live;
struct store;
struct diag;
struct err;

#define PLAN_FORMAT 2

/*
 * PLAN_ADOPT takes over an object of a stack's namespace that `docker stack
 * deploy` made (no kedge.managed-by label): it adds kedge's labels, and
 * for a service whose spec differs also updates it (docs/adoption.md).
 */
enum plan_op { PLAN_CREATE, PLAN_UPDATE, PLAN_REMOVE, PLAN_ADOPT };
enum plan_kind {
	PLAN_NODE,
	PLAN_NETWORK,
	PLAN_CONFIG,
	PLAN_SECRET,
	PLAN_SERVICE,
};

struct plan_action {
	enum plan_op op;
	enum plan_kind kind;
	char *name;
	char *stack;            /* NULL for nodes */
	char *id;               /* live ID for updates and removals */
	uint64_t version;       /* live Version.Index for updates/removals */
	struct json_t *spec;    /* what to send (create/update); owned */
	struct json_t *changes; /* [{path, old, new}] for updates; owned */
	char *spec_hash;        /* sha256 of the canonical spec */
	int rollout;            /* service update restarts tasks */
	int job;                /* a job-mode service */
	int destructive;        /* a removal, or a service scaled to zero */
};

struct plan {
	char *revision;
	char *source;
	struct plan_action *actions; /* in the order apply performs them */
	size_t nr, alloc;
	size_t ncreate, nupdate, nremove, nadopt;
	int destructive;        /* removals, or a service scaled to zero */
	struct json_t *skipped; /* [{name, reason}]: services not updated */
	/*
	 * stack -> sha256 of everything the stack's files ask for (converted,
	 * the commit id left out): equal across commits that did not change
	 * the stack, so a daemon can tell drift from a change in git.
	 */
	struct json_t *fingerprints;
};

struct plan_opts {
	const char *const *stacks; /* NULL-terminated filter; NULL: all */
	int allow_empty;           /* allow pruning everything */
	struct store *store;       /* failed spec hashes; may be NULL */
	/*
	 * --adopt: take over the unowned objects of every stack in scope.
	 * Without it, kedge.yml's `adopt:` (true, or a list of stacks)
	 * decides; objects of another kedge instance are never adopted.
	 */
	int adopt;
	/* with a stacks filter: plan node labels too (a daemon that leaves
	 * out only the stacks that failed) */
	int nodes;
};

/*
 * Converts every stack as plan_build() does, with no swarm: what validate
 * runs so that it refuses exactly what diff and apply refuse. Each refusal
 * of the conversion (every refused service of every stack) goes to
 * diag as an error at the file, line and column of the offending key.
 * Returns 0, or a negative code when kedge itself failed (a file could not
 * be read for a reason other than the user's input).
 */
int plan_check_desired(const struct desired *d, struct diag *diag,
                       struct err *err) MUST_CHECK;

/*
 * Builds the plan. Problems that forbid applying (a service no node can
 * run, a missing external network, a name taken by an object kedge does
 * not own, a node of nodes.yml not in the swarm, pruning everything without
 * allow_empty) go to diag as errors; the plan is still returned so diff can
 * show it. Returns a negative code only when kedge itself failed (a file
 * could not be read). The caller owns *out (plan_free).
 */
int plan_build(struct plan **out, const struct desired *d, const struct live *l,
               const struct plan_opts *o, struct diag *diag,
               struct err *err) MUST_CHECK;
void plan_free(struct plan *p);

/*
 * Keeps the actions for which keep(ctx, action) returns 1 and frees the
 * rest, in order; the counts and p->destructive follow. A daemon uses it
 * to hold back what waits for approval or is only to be reported.
 */
void plan_retain(struct plan *p,
                 int (*keep)(void *ctx, const struct plan_action *a),
                 void *ctx);

/* A label of a live object's Spec.Labels (a network's Labels), or NULL.
 * Borrowed. */
const char *plan_label(const struct json_t *obj, const char *key);
/*
 * The kedge instance the desired state acts for (kedge.yml `instance:`,
 * default "kedge"): the kedge.managed-by value of what it owns. Borrowed.
 */
const char *plan_owner(const struct desired *d);

/* True when the plan changes nothing. */
int plan_empty(const struct plan *p);
/* For plan_print() and plan_to_json(): Env values in clear (--show-env). */
#define PLAN_SHOW_ENV 1u

/*
 * Prints "+ create ...", "~ update ..." with changed fields, "- remove",
 * "~ adopt ...". Env values are shown as a hash unless flags has PLAN_SHOW_ENV,
 * URL passwords never (specdiff_shown).
 */
void plan_print(const struct plan *p, FILE *fp, unsigned flags);
/*
 * The documented JSON form (format PLAN_FORMAT), its changes masked as
 * plan_print's. Secret and config data never appear in it. New reference;
 * the caller owns it.
 */
struct json_t *plan_to_json(const struct plan *p, unsigned flags);
/*
 * Compares a saved plan (plan_to_json output read back) with a fresh one:
 * 0 when they would do exactly the same thing to the same object versions,
 * ERR_CONFLICT with what differs otherwise (a stale plan), ERR_INVALID when
 * saved is not a plan of this format.
 */
int plan_matches(const struct json_t *saved, const struct plan *fresh,
                 struct err *err) MUST_CHECK;

/* "create", "update", "remove", "adopt" and "node", "network", ... Static. */
const char *plan_op_name(enum plan_op op);
const char *plan_kind_name(enum plan_kind k);

#endif
