/*
 * verify.h: the checks of desired state that a schema cannot express.
 *
 * Owns: names valid for Swarm, references between parts of a compose file
 * (every network, config, secret and volume a service uses is declared),
 * files a compose file points at (inside the repository, present at that
 * revision, within Swarm's size limit), placement constraint syntax, port
 * clashes across stacks, cron schedules and time zones of backups, unique
 * names, and promtool's check of rule files where promtool is installed.
 * Does not own: checks against the live cluster (those run before apply).
 */
#ifndef RECONCILER_VERIFY_H
#define RECONCILER_VERIFY_H

#include "util.h"

struct desired;
struct desired_stack;
struct diag;
struct err;

/* Reports a stack folder name that cannot name Swarm objects. */
void verify_stack_name(const struct desired_stack *st, struct diag *diag);
/*
 * Checks one stack whose compose file passed its schema. Problems go to
 * diag; returns 0, or a negative error when the source itself failed.
 */
int verify_stack(struct desired *d, struct desired_stack *st, struct diag *diag,
                 struct err *err) MUST_CHECK;
/* Checks kedge.yml beyond its schema (ignore paths). */
void verify_settings(struct desired *d, struct diag *diag);
/* Checks across files, once everything is loaded. */
int verify_desired(struct desired *d, struct diag *diag,
                   struct err *err) MUST_CHECK;
/*
 * Checks one placement constraint ("node.labels.zone == a"); returns NULL
 * when valid, or a static description of what is wrong.
 */
const char *verify_constraint(const char *expr);

#endif
