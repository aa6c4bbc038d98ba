/*
 * runcfg.h: the settings of `kedge run`, from its flags, KEDGE_*
 * variables and YAML configuration file.
 *
 * Owns: the one table of settings (flag, variable, file key, default),
 * precedence (a flag beats a variable, which beats the file, which beats
 * the default), and reading the file (validated against
 * schema/run.schema.json, errors with file:line). Values stay text here;
 * cmd-run.c turns them into durations, paths and secrets. Does not own:
 * what a setting does (cmd-run.c, daemon.c).
 */
#ifndef RECONCILER_RUNCFG_H
#define RECONCILER_RUNCFG_H

#include "util.h"

struct diag;
struct err;
struct json_t;
struct schema;

enum runcfg_key {
	RC_REPO,
	RC_REF,
	RC_PATH,
	RC_INTERVAL,
	RC_LISTEN,
	RC_STATE_DIR,
	RC_WEBHOOK_SECRET_FILE,
	RC_API_TOKEN_FILE,
	RC_DOCKER_HOST,
	RC_LOG_FORMAT,
	RC_LOG_LEVEL,
	RC_SSH_KEY,
	RC_KNOWN_HOSTS,
	RC_TOKEN_FILE,
	RC_CACHE_DIR,
	RC_GIT_TIMEOUT,
	RC_SCHEMA_DIR,
	RC_KEEP_RECONCILES,
	RC_DRIFT_DEBOUNCE,
	RC_NOTIFY_DEDUP,
	RC_PROM_URL,
	RC_PROM_RULES_DIR,
	RC_PROM_RELOAD,
	RC_PROMTOOL,
	RC_PROM_TIMEOUT,
	RC_AM_URL,
	RC_AM_CONFIG,
	RC_AM_ENV_FILE,
	RC_NR
};

struct runcfg_def {
	const char *flag; /* "repo" for --repo */
	const char *env;  /* "KEDGE_REPO" */
	const char *key;  /* "repo" in the file */
	const char *arg;  /* "SRC", for --help */
	const char *help;
};

extern const struct runcfg_def runcfg_defs[RC_NR];

struct runcfg {
	char *v[RC_NR];        /* each setting as text, or NULL; owned */
	char *from[RC_NR];     /* where it came from, for messages; owned */
	char *flag[RC_NR];     /* what the command line said; owned */
	char *config;          /* --config / KEDGE_CONFIG, or NULL */
	struct json_t *notify; /* the file's notify: list, or NULL */
	struct json_t *mcp;    /* the file's mcp: object, or NULL */
};

/*
 * Fills c from the file (c->config), the environment and c->flag, in
 * that order of precedence. Problems of the file go to diag (located);
 * returns 0 (check diag->errors), or ERR_IO when the file cannot be
 * read, or the validator's error.
 */
int runcfg_resolve(struct runcfg *c, struct schema *schemas, struct diag *diag,
                   struct err *err) MUST_CHECK;
/* Frees the values; keeps the flags and c->config for a reload. */
void runcfg_clear_values(struct runcfg *c);
void runcfg_release(struct runcfg *c);

#endif
