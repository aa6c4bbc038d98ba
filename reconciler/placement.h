/*
 * placement.h: checking placement constraints against the real nodes.
 *
 * Owns: evaluating Swarm placement constraints (node.id, node.hostname,
 * node.role, node.platform.os, node.platform.arch, node.labels.<k>,
 * engine.labels.<k>, with == and !=) against nodes as the Engine API
 * returns them (GET /nodes), so that an apply can refuse, before writing
 * anything, a service that no node can run. Does not own: the syntax check
 * of constraints in files (verify.h) or node label changes (plan.h).
 */
#ifndef RECONCILER_PLACEMENT_H
#define RECONCILER_PLACEMENT_H

#include "util.h"

struct json_t;

/*
 * Returns 1 when node (an Engine API node object) satisfies every
 * constraint of the JSON array constraints (strings), 0 otherwise.
 * labels, when not NULL, replaces the node's Spec.Labels (the labels it
 * will have once nodes.yml is applied).
 */
int placement_node_matches(const struct json_t *node,
                           const struct json_t *labels,
                           const struct json_t *constraints);

/*
 * Returns 1 when at least one schedulable node (availability active,
 * state ready) satisfies the constraints. label_for(ctx, node) gives the
 * labels a node will have after this apply (NULL: its current ones).
 */
int placement_any(const struct json_t *nodes, const struct json_t *constraints,
                  const struct json_t *(*labels_for)(void *ctx,
                                                     const struct json_t *node),
                  void *ctx);

#endif
