/*
 * interp.h: compose variable interpolation, as docker stack deploy does it.
 *
 * Owns: expanding ${VAR}, $VAR, ${VAR:-default}, ${VAR-default},
 * ${VAR:?message}, ${VAR?message}, ${VAR:+alt}, ${VAR+alt} and $$ in every
 * string value of a compose document, and casting the few fields that must
 * be numbers or booleans back from the strings interpolation produces
 * (`replicas: ${N}`). Does not own: where variables come from (the caller's
 * lookup, stackenv.h) or .env parsing (dotenv.h).
 */
#ifndef RECONCILER_INTERP_H
#define RECONCILER_INTERP_H

#include "util.h"

struct json_t;
struct diag;
struct srcmap;
struct err;

/* Returns the value of name, or NULL when it is not set. Borrowed. */
typedef const char *(*interp_lookup_fn)(void *ctx, const char *name);

/*
 * Expands one string. On success *out is a new string (caller frees) and
 * *changed tells whether anything was substituted. Unset variables without
 * a default expand to "" and are reported through *unset_out (the first
 * one's name, caller frees; may be NULL). ERR_INVALID with a message for a
 * malformed reference or a ${VAR:?message} whose variable is unset.
 */
int interp_string(char **out, int *changed, char **unset_out, const char *in,
                  interp_lookup_fn lookup, void *ctx,
                  struct err *err) MUST_CHECK;

/*
 * Expands every string value (not keys) of doc in place. Problems go to
 * diag at the position map gives for them: errors for malformed references
 * and required variables, a warning per unset variable (docker's
 * "variable is not set. Defaulting to a blank string"). Then casts the
 * interpolated values of typed compose fields (deploy.replicas, ports,
 * booleans such as read_only) to numbers or booleans. What interpolation
 * adds to the document is budgeted as a whole (4 MiB): past it, one error
 * and nothing more is expanded. Returns the number of errors added.
 */
int interp_compose(struct json_t *doc, interp_lookup_fn lookup, void *ctx,
                   const struct srcmap *map, struct diag *diag);

#endif
