/*
 * desired.h: the desired state of one revision, loaded and validated.
 *
 * Owns: finding the files of a desired-state repository (kedge.yml,
 * stacks/<stack>/compose.yml and .env, nodes.yml, alerts/<name>.yml and
 * the rule tests alerts/<name>.test.yml, backups/<name>.yml), parsing them,
 * interpolating compose files, validating each against its JSON Schema and then
 * across files (verify.h), and keeping the result as JSON with source
 * positions. Every problem goes to the caller's diag with its file, line and
 * column; loading goes on after a bad file so one run reports them all. Does
 * not own: where the files come from (source.h), what Swarm objects they
 * become (convert.h), alertmanager/ (read and checked by alertmanager.c
 * through the same source) or where rules are written (rules.h).
 */
#ifndef RECONCILER_DESIRED_H
#define RECONCILER_DESIRED_H

#include <stddef.h>

#include "util.h"

struct json_t;
struct srcmap;
struct source;
struct schema;
struct diag;
struct buf;
struct err;

/* One parsed file. doc is NULL when the file is absent or did not parse. */
struct desired_doc {
	char *path; /* repository-relative */
	struct json_t *doc;
	struct srcmap *map;
};

struct desired_stack {
	char *name;                 /* the folder name under stacks/ */
	char *dir;                  /* "stacks/<name>" */
	struct desired_doc compose; /* interpolated and validated */
	struct json_t *env;         /* the stack's .env variables (an object) */
};

struct desired {
	char *revision;              /* commit id, or "worktree" */
	char *source_name;           /* for messages */
	struct desired_doc settings; /* kedge.yml */
	struct desired_doc nodes;    /* nodes.yml */
	struct desired_stack *stacks;
	size_t nstacks;
	struct desired_doc *alerts; /* rule files: alerts/<name>.yml */
	size_t nalerts;
	struct desired_doc *alert_tests; /* alerts/<name>.test.yml: rule
	                                  * unit tests, not rule files */
	size_t nalert_tests;
	struct desired_doc *backups;
	size_t nbackups;
	int has_stacks_dir; /* stacks/ exists (an empty desired set is
	                     * refused for pruning unless it does) */
	struct source *src; /* borrowed from the caller */
};

/* Maximum sizes of a config and a secret: swarmkit's own limits
 * (MaxConfigSize, MaxSecretSize). env_file files share the secret's. */
#define DESIRED_MAX_CONFIG_BYTES (1000u * 1024)
#define DESIRED_MAX_SECRET_BYTES (500u * 1024)

/*
 * Loads and validates everything under the source's root. Problems in the
 * files go to diag (check diag->errors); the return value is 0 unless
 * kedge itself could not do its job: ERR_IO or ERR_NOTFOUND from the
 * source, ERR_INVALID for a broken schema. On success the caller owns *out
 * (desired_free), which borrows src: keep src open while using it.
 */
int desired_load(struct desired **out, struct source *src,
                 struct schema *schemas, struct diag *diag,
                 struct err *err) MUST_CHECK;
void desired_free(struct desired *d);

/*
 * Validates a parsed document (doc->doc, with doc->map and doc->path)
 * against the schema of kind ("kedge", "compose", "run", ...); every
 * problem goes to diag with its line. Returns 0 when valid, 1 when not,
 * or the error of the validator itself. Other file kinds (the daemon's
 * configuration) use it too.
 */
int desired_validate_doc(struct desired_doc *doc, struct schema *schemas,
                         const char *kind, struct diag *diag,
                         struct err *err) MUST_CHECK;

/*
 * Reads a file a stack references (a config, secret or env_file) by the
 * path written in its compose file, relative to the stack's folder. Applies
 * the same rules as validation: inside the repository, a regular file, at
 * most DESIRED_MAX_CONFIG_BYTES (out's cap is set by the caller).
 */
int desired_read_stack_file(struct buf *out, const struct desired *d,
                            const struct desired_stack *st, const char *rel,
                            struct err *err) MUST_CHECK;

/* The names a stack's compose file may have, in the order they are
 * looked for; NULL-terminated. */
extern const char *const desired_compose_names[];

/* The number of services in all stacks. */
size_t desired_service_count(const struct desired *d);

/* Looks a stack up by name; NULL when there is none. Borrowed. */
const struct desired_stack *desired_stack_find(const struct desired *d,
                                               const char *name);

#endif
