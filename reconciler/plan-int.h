/*
 * plan-int.h: what plan.c, plan-nodes.c, plan-services.c and plan-output.c
 * share. Not for other modules.
 */
#ifndef RECONCILER_PLAN_INT_H
#define RECONCILER_PLAN_INT_H

#include "plan.h"

struct json_t;
struct desired_stack;

/* Appends an action; counts it. Strings are copied. */
struct plan_action *plan_add(struct plan *p, enum plan_op op,
                             enum plan_kind kind, const char *name,
                             const char *stack);
/* Copies ID and Version.Index of a live object into the action. */
void plan_set_live(struct plan_action *a, const struct json_t *live);
/* Whether a live object carries kedge.managed-by=<owner> (plan_owner);
 * objects of another instance are never changed or pruned. */
int plan_owned(const struct json_t *obj, const char *owner);
int plan_in_scope(const struct plan_opts *o, const char *stack);
/*
 * Sets kedge.spec-hash on out (a service spec about to be sent) from the
 * spec as converted (before live values of ignored fields were copied in).
 */
void plan_label_spec_hash(struct json_t *out, const struct json_t *converted);
/* sha256 hex of a spec's canonical JSON. Caller frees. */
char *plan_spec_hash(const struct json_t *spec);
/*
 * The set of desired objects a plan is built from:
 * {"services", "networks", "configs", "secrets": {name: spec},
 *  "external": {"networks", "configs", "secrets": [names]},
 *  "stack_of": {name: stack}, "labels": {labels kedge adds to services}}.
 * Stacks are converted one at a time (plan_convert_stack, which merges the
 * stack's objects in and returns them, a new reference) and, once planned,
 * reduced to what the later passes read (plan_slim), so a plan of a
 * thousand services never holds a thousand full specs at once.
 */
struct json_t *plan_new_all(const struct desired *d);
int plan_convert_stack(struct json_t **out, struct json_t *all,
                       const struct desired *d, const struct desired_stack *st,
                       struct diag *diag, struct err *err) MUST_CHECK;
void plan_slim(struct json_t *all, const struct json_t *objs);
/* nodes.yml: label and availability updates, checked against the swarm. */
void plan_nodes(struct plan *p, const struct desired *d, const struct live *l,
                struct diag *diag);
/* The labels a node will have once the plan is applied (or NULL). */
const struct json_t *plan_node_future_labels(const struct plan *p,
                                             const struct json_t *node);

#endif
