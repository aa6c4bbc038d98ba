/*
 * alertmanager.h: Alertmanager's configuration as desired state.
 *
 * Owns: alertmanager/alertmanager.yml and alertmanager/templates/<name>.tmpl of
 * a desired state, with ${VAR} references resolved from an env file on the
 * kedge host (--alertmanager-env-file); comparing the result with the file
 * Alertmanager reads (--alertmanager-config) and with what Alertmanager has
 * loaded (its alertmanager_config_hash metric); writing it atomically
 * (stage, amtool check-config, rename), reloading (POST /-/reload) and
 * proving by hash which content is loaded, restoring the previous files on
 * any failure. Resolved values are secrets: they never appear in a plan,
 * a message or a log. Does not own: Prometheus' rules (rules.h), the
 * order of Swarm, rules and Alertmanager in an apply (promplan.h).
 */
#ifndef RECONCILER_ALERTMANAGER_H
#define RECONCILER_ALERTMANAGER_H

#include <stdio.h>

#include "util.h"

struct desired;
struct diag;
struct err;
struct json_t;

struct am_opts {
	const char *url;         /* --alertmanager-url; NULL: not managed */
	const char *config_file; /* --alertmanager-config */
	const char *env_file;    /* --alertmanager-env-file; NULL: none */
	const char *amtool;      /* NULL: $KEDGE_AMTOOL, else /usr/bin/amtool */
	long timeout_ms;         /* each request and tool run; 0: 30 s */
};

struct am_plan;

/*
 * Checks the alertmanager/ files of d alone (what `kedge validate` can
 * tell without a server: YAML, amtool check-config with every ${VAR}
 * replaced by a placeholder, templates that parse), every problem located
 * in diag. Does nothing when the repository has no alertmanager/ folder.
 */
void am_verify(const struct desired *d, struct diag *diag);

/*
 * Compares d's Alertmanager configuration with the live one. *out is NULL
 * when d has no alertmanager/ folder or o->url is NULL (nothing managed).
 * Problems of the repository's files (an unresolved ${VAR}) go to diag
 * with their location; ERR_REMOTE when Alertmanager cannot be read,
 * ERR_IO for the env file or config file.
 */
int am_plan_build(struct am_plan **out, const struct desired *d,
                  const struct am_opts *o, struct diag *diag,
                  struct err *err) MUST_CHECK;
/* 1 when the live configuration matches (NULL-safe: 1). */
int am_plan_empty(const struct am_plan *p);
/* Lines such as "~ alertmanager route: receiver: a -> b", never a value
 * that came from the env file. */
void am_plan_print(const struct am_plan *p, FILE *fp);
/* The plan's "alertmanager" JSON section (same masking). */
struct json_t *am_plan_to_json(const struct am_plan *p);
/*
 * Makes the live configuration match p: returns 0 when Alertmanager has
 * loaded exactly the new content (hash verified); otherwise restores the
 * previous files, reloads and verifies that, and returns the error with
 * Alertmanager's own message (ERR_INVALID for a config it refused,
 * ERR_REMOTE when it cannot be reached).
 */
int am_apply(const struct am_plan *p, const struct am_opts *o,
             struct err *err) MUST_CHECK;
void am_plan_free(struct am_plan *p);

#endif
