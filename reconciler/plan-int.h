/*
 * plan-int.h: what plan.c, plan-nodes.c, plan-services.c and plan-output.c
 * share. Not for other modules.
 */
#ifndef RECONCILER_PLAN_INT_H
#define RECONCILER_PLAN_INT_H

#include "plan.h"

struct json_t;

/* Appends an action; counts it. Strings are copied. */
struct plan_action *plan_add(struct plan *p, enum plan_op op,
                             enum plan_kind kind, const char *name,
                             const char *stack);
/* Copies ID and Version.Index of a live object into the action. */
void plan_set_live(struct plan_action *a, const struct json_t *live);
/* A label of a live object's Spec.Labels, or NULL. Borrowed. */
const char *plan_label(const struct json_t *obj, const char *key);
/* True when a live object carries kedge.managed-by=kedge. */
int plan_owned(const struct json_t *obj);
int plan_in_scope(const struct plan_opts *o, const char *stack);
/* sha256 hex of a spec's canonical JSON. Caller frees. */
char *plan_spec_hash(const struct json_t *spec);
int plan_convert_all(struct json_t **out, const struct desired *d,
                     const struct plan_opts *o, struct diag *diag,
                     struct err *err) MUST_CHECK;
/* nodes.yml: label and availability updates, checked against the swarm. */
void plan_nodes(struct plan *p, const struct desired *d, const struct live *l,
                struct diag *diag);
/* The labels a node will have once the plan is applied (or NULL). */
const struct json_t *plan_node_future_labels(const struct plan *p,
                                             const struct json_t *node);

#endif
