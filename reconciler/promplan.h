/*
 * promplan.h: the Prometheus part of a plan: rules (rules.h) and
 * Alertmanager (alertmanager.h) together, as diff, apply and the daemon
 * use them after the Swarm part.
 *
 * Owns: which of the two parts are managed (a URL is set), building and
 * releasing both, one view of them (text and the plan's "prometheus" JSON
 * section), and the order of an apply: rules first, then Alertmanager.
 * Does not own: the Swarm part or the exit codes (the front ends decide
 * that Prometheus' failure is exit 2 with the Swarm part applied).
 */
#ifndef RECONCILER_PROMPLAN_H
#define RECONCILER_PROMPLAN_H

#include <stdio.h>

#include "alertmanager.h"
#include "rules.h"
#include "util.h"

struct desired;
struct diag;
struct err;
struct json_t;

struct promplan_opts {
	struct rules_opts rules;
	struct am_opts am;
};

struct promplan {
	struct rules_plan *rules; /* NULL: rules not managed */
	struct am_plan *am;       /* NULL: Alertmanager not managed */
};

/* 1 when either part has a URL (something to compare with). */
int promplan_managed(const struct promplan_opts *o);

/*
 * Builds both parts for d. On error, *out holds what was built (release
 * it): the rules part fails first. Problems in the repository's files go
 * to diag.
 */
int promplan_build(struct promplan *out, const struct desired *d,
                   const struct promplan_opts *o, struct diag *diag,
                   struct err *err) MUST_CHECK;
void promplan_release(struct promplan *p);

int promplan_empty(const struct promplan *p);
/* How many changes: each rules change, and Alertmanager as one. */
size_t promplan_count(const struct promplan *p);
void promplan_print(const struct promplan *p, FILE *fp);
/* {"rules": ..., "alertmanager": ...}, each null when not managed. */
struct json_t *promplan_to_json(const struct promplan *p);

/* Rules, then Alertmanager; stops at the first failure. */
int promplan_apply(const struct promplan *p, const struct promplan_opts *o,
                   struct err *err) MUST_CHECK;

#endif
