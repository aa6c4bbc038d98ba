/*
 * alertmanager-int.h: what alertmanager.c and alertmanager-text.c share,
 * and what the unit tests reach: ${NAME} resolution, the config hash,
 * masking secrets in messages, and the structural comparison that makes
 * plan lines (alertmanager-text.c); the plan's file set, and staging and
 * checking it (alertmanager-apply.c). Not for other modules
 * (alertmanager.h is the interface).
 */
#ifndef RECONCILER_ALERTMANAGER_INT_H
#define RECONCILER_ALERTMANAGER_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "buf.h"
#include "util.h"

struct am_opts;
struct diag;
struct err;
struct http;
struct json_t;

#define AM_MAX_BYTES       (1u << 20) /* a config, template or env file */
#define AM_OUTPUT_MAX      (1u << 20) /* amtool's output */
#define AM_TIMEOUT_MS      30000
#define AM_CONFIG          "alertmanager/alertmanager.yml"
#define AM_TEMPLATES       "alertmanager/templates"
#define AM_NEW_CONFIG_MODE 0640 /* the resolved file holds secrets */
#define AM_NEW_TMPL_MODE   0644

/* Where ${NAME} values come from. */
struct am_vars {
	const struct json_t *env; /* object of strings; NULL: none */
	const char *env_path;     /* for messages; NULL: no env file given */
	int placeholders;         /* 1: every ${NAME} becomes a placeholder that
	                           * fits its key (am_verify, no env file) */
};

/*
 * Appends text with ${NAME} replaced by its value and $$ by $ to out
 * (another '$' stays as it is). A malformed reference or a NAME that is
 * not set is an error in diag at path:line:col of its '$'. Returns the
 * number of errors added (0: out holds the whole text).
 */
size_t am_resolve(struct buf *out, const char *text, size_t len,
                  const struct am_vars *v, const char *path, struct diag *diag);

/* Alertmanager's alertmanager_config_hash of a config text: the first 6
 * bytes of md5(text) read little-endian. */
uint64_t am_config_hash(const void *text, size_t len);

/* A copy of msg (caller frees) with every non-empty value of env
 * replaced by "<secret>". env may be NULL. */
char *am_scrub(const char *msg, const struct json_t *env);

/* One plan line: op is '+', '-' or '~'; what follows "alertmanager". */
struct am_change {
	char op;
	char *what;
};

struct am_changes {
	struct am_change *v;
	size_t nr, alloc;
};

void am_changes_add(struct am_changes *c, char op, const char *fmt, ...)
        PRINTF(3, 4);
void am_changes_release(struct am_changes *c);

/*
 * Adds the lines that turn live into want (both parsed configurations,
 * live NULL when there is none): the route tree node by node, receivers
 * by name, other top-level keys by key path. Values are shown only for
 * route keys that never hold secrets and only when no value of env
 * appears in them; everything else is named by key path alone.
 */
void am_diff(struct am_changes *c, const struct json_t *live,
             const struct json_t *want, const struct json_t *env);

/* One file of the set: files[0] is the config, the rest templates. */
struct am_file {
	char *name; /* relative to the config's folder */
	char *repo; /* repository path; NULL for a template only on disk */
	struct buf want, live;
	int has_want, has_live;
	struct stat st; /* of the live file */
};

struct am_plan {
	char *config_file, *dir;
	struct am_file *files;
	size_t nfiles;
	struct am_changes changes;
	int drift;
	struct json_t *env; /* values to mask in messages */
};

enum am_side { AM_WANT, AM_LIVE };

/* o->amtool, else $KEDGE_AMTOOL ("" or "none": none), else
 * /usr/bin/amtool when it exists; NULL when there is none. */
const char *am_tool_path(const struct am_opts *o);
/* o->timeout_ms, or AM_TIMEOUT_MS. */
int am_timeout(const struct am_opts *o);
/* 1 when the file on disk is not what the repository wants. */
int am_file_differs(const struct am_file *f);
/* A client for o->url, named "Alertmanager at <url>" in messages. */
int am_http_open(struct http **out, const struct am_opts *o,
                 struct err *err) MUST_CHECK;
/* The alertmanager_config_hash that Alertmanager publishes now. */
int am_loaded_hash(uint64_t *out, struct http *h, const char *url,
                   struct err *err) MUST_CHECK;

/*
 * Writes side s of p's set into a new folder .kedge-am-XXXXXX under
 * parent (*out, caller frees after am_stage_remove). Only p->files and
 * their modes are used.
 */
int am_stage_write(char **out, const struct am_plan *p, enum am_side s,
                   const char *parent, struct err *err) MUST_CHECK;
void am_stage_remove(const char *stage, const struct am_plan *p);
/* Runs `tool check-config stage/config`; *msg (caller frees) is amtool's
 * complaint when it refused the file, else NULL. */
int am_check_stage(char **msg, const char *tool, const char *stage,
                   const char *config, int timeout_ms,
                   struct err *err) MUST_CHECK;
/*
 * Where an amtool message is about: *repo is the template it names or
 * AM_CONFIG (*tofree, when set, is what to free), the line and column
 * from the message or from where its first quoted name stands in text.
 */
void am_locate(const char **repo, char **tofree, unsigned *line, unsigned *col,
               const char *msg, const char *text);

#endif
