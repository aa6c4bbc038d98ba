/*
 * rules.h: Prometheus alert and recording rules as desired state.
 *
 * Owns: the rules folder (--prometheus-rules-dir) that Prometheus reads as
 * DIR/<name>.yml and kedge alone writes: alerts/<name>.yml of the repository
 * becomes DIR/<name>.yml, byte for byte, so file paths and group names stay
 * stable and pending alerts keep their state across reloads. A manifest
 * (DIR/.kedge-manifest.json) records each file kedge wrote with its
 * sha256; a file kedge did not write is never touched, and one that would
 * be overwritten is a refusal before any write. The plan compares the
 * repository's files with kedge's files on disk (a hand edit or deletion
 * is drift) and with what Prometheus has loaded (/api/v1/rules), group by
 * group and rule by rule. Apply is atomic: stage, promtool check, rename,
 * reload, verify; on any failure the previous files are put back and
 * Prometheus reloaded onto them. Does not own: the HTTP API (prom.h),
 * promtool (promtool.h), Alertmanager (alertmanager.h).
 */
#ifndef RECONCILER_RULES_H
#define RECONCILER_RULES_H

#include <stdio.h>

#include "util.h"

struct desired;
struct err;
struct json_t;

struct rules_opts {
	const char *url;    /* --prometheus-url; NULL: rules are not applied */
	const char *dir;    /* --prometheus-rules-dir */
	const char *reload; /* --prometheus-reload; NULL: detect */
	long timeout_ms;    /* each request, and the reload's check; 0: 30 s */
};

struct rules_change {
	char sign;        /* '+', '~' or '-' */
	const char *kind; /* "file", "group", "alert", "record", "prometheus" */
	char *name;       /* "node.yml/node/DiskFull" */
	char *detail;     /* "expr: a -> b", "(3 rules)"; NULL when none */
};

struct rules_plan;

/* What a plan changes, in order. Borrowed from p. */
const struct rules_change *rules_plan_changes(const struct rules_plan *p,
                                              size_t *nr);

/*
 * Compares d's alerts/ files with kedge's files in o->dir and with what
 * Prometheus at o->url has loaded. Returns 0 with *out (rules_plan_free),
 * ERR_CONFLICT when a file kedge did not write stands where one of d's
 * files goes, ERR_INVALID for bad settings or a damaged manifest,
 * ERR_IO for the folder, ERR_REMOTE/ERR_TIMEOUT for Prometheus.
 */
int rules_plan_build(struct rules_plan **out, const struct desired *d,
                     const struct rules_opts *o, struct err *err) MUST_CHECK;
void rules_plan_free(struct rules_plan *p);

/* 1 when nothing differs (NULL-safe: 1). */
int rules_plan_empty(const struct rules_plan *p);
/* One line per change: "+ group node.yml/node (3 rules)". */
void rules_plan_print(const struct rules_plan *p, FILE *fp);
/* The plan's "rules" JSON section: dir, files, changes, reload. */
struct json_t *rules_plan_to_json(const struct rules_plan *p);

/*
 * Makes the folder and Prometheus match p (built from the same options).
 * Returns 0 when Prometheus has loaded exactly the expected groups, else
 * the error, after putting the previous files back (err says whether that
 * restore was verified): ERR_INVALID when promtool or Prometheus refused
 * the rules (err is located at the repository file when promtool said
 * where), ERR_UNSUPPORTED when Prometheus cannot be reloaded the way it
 * is set up, ERR_CONFLICT when another kedge is applying to the folder,
 * ERR_REMOTE/ERR_TIMEOUT when Prometheus did not answer or confirm.
 */
int rules_apply(const struct rules_plan *p, const struct rules_opts *o,
                struct err *err) MUST_CHECK;

#endif
