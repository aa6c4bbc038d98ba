/*
 * convert-int.h: what the convert*.c files share; not for other modules.
 *
 * Owns: the conversion context, typed getters that turn a wrong JSON shape
 * into ERR_INVALID with the value's JSON pointer, and the parsers of
 * compose's little languages (durations, sizes, CPUs, ports, volume short
 * syntax, shell words, env files). Does not own: the public API
 * (convert.h).
 */
#ifndef RECONCILER_CONVERT_INT_H
#define RECONCILER_CONVERT_INT_H

#include <jansson.h>

#include "convert.h"
#include "util.h"

struct err;

struct cv {
	const char *stack;
	const json_t *compose;
	const struct convert_opts *opts;
	struct err *err;
	json_t *used_nets; /* compose network key → true */
	json_t *names[2];  /* configs, secrets: compose key → Swarm name */
};

/* A child pointer: base + "/" + key with ~ and / escaped. Caller frees. */
char *convert_ptr(const char *base, const char *key);
char *convert_ptr_idx(const char *base, size_t i);

/* err_set(ERR_INVALID, "<ptr>: <message>"); returns ERR_INVALID. */
int convert_bad(struct cv *c, const char *ptr, const char *fmt, ...)
        PRINTF(3, 4);
void convert_warn(struct cv *c, const char *ptr, const char *msg);

/*
 * Typed member getters. Absent or null members give *out = NULL (or leave
 * *out unchanged for scalars) and return 0; *present says whether the
 * member was there. A member of another type is ERR_INVALID.
 */
int convert_get_str(const char **out, struct cv *c, const json_t *obj,
                    const char *key, const char *ptr) MUST_CHECK;
int convert_get_obj(const json_t **out, struct cv *c, const json_t *obj,
                    const char *key, const char *ptr) MUST_CHECK;
int convert_get_arr(const json_t **out, struct cv *c, const json_t *obj,
                    const char *key, const char *ptr) MUST_CHECK;
int convert_get_bool(int *out, int *present, struct cv *c, const json_t *obj,
                     const char *key, const char *ptr) MUST_CHECK;
int convert_get_uint(json_int_t *out, int *present, struct cv *c,
                     const json_t *obj, const char *key,
                     const char *ptr) MUST_CHECK;
/* A duration string → ns. *present = 0 when absent. */
int convert_get_dur(json_int_t *out, int *present, struct cv *c,
                    const json_t *obj, const char *key,
                    const char *ptr) MUST_CHECK;
/* A size (integer bytes or "512M") → bytes. */
int convert_get_size(json_int_t *out, int *present, struct cv *c,
                     const json_t *obj, const char *key,
                     const char *ptr) MUST_CHECK;
/* A string or a list of strings (numbers allowed) → new array of strings. */
int convert_get_strlist(json_t **out, struct cv *c, const json_t *obj,
                        const char *key, const char *ptr) MUST_CHECK;

/*
 * A mapping-or-list value ({"a": "b"} or ["a=b"]) → new object of strings.
 * Numbers and booleans are turned into text as Go's fmt.Sprint would. A
 * list entry without sep, and a null mapping value, becomes null when
 * allow_nil, else "". *out is NULL when v is absent.
 */
int convert_mapping(json_t **out, struct cv *c, const json_t *v, char sep,
                    int allow_nil, const char *ptr) MUST_CHECK;
/* A scalar → new string as fmt.Sprint; NULL for other types. */
char *convert_scalar_text(const json_t *v);

/* Labels: user labels of key in obj (may be absent), with the namespace. */
int convert_labels(json_t **out, struct cv *c, const json_t *obj,
                   const char *key, const char *ptr) MUST_CHECK;

/* Parsers: 0 on success, -1 on a malformed input. */
int convert_parse_cpus(json_int_t *out, const char *s);
/* Shell words as github.com/google/shlex splits them → new array. */
int convert_shell_split(json_t **out, const char *s);
/*
 * Short port syntax → appends PortConfig objects to ports. Returns 0, or
 * -1 with a static reason in *why.
 */
int convert_parse_port(json_t *ports, const char *spec, const char **why);
/*
 * Short volume syntax → new long-syntax object {type, source, target,
 * read_only, bind{propagation}, volume{nocopy}}; -1 with *why.
 */
int convert_parse_volume(json_t **out, const char *spec, const char **why);
/*
 * An env file's lines → sets keys of env (an object of strings). Lines
 * without '=' take their value from the env callback or are dropped.
 * Returns 0, or -1 with a message in why (size n) that names no value.
 */
int convert_parse_env_file(json_t *env, struct cv *c, const char *text,
                           size_t len, char *why, size_t n);

/* Service conversion (convert-service.c). */
int convert_service(json_t **out, struct cv *c, const char *name,
                    const json_t *svc, const char *ptr) MUST_CHECK;
/* The deploy section and ports (convert-deploy.c). */
int convert_resources(json_t *tt, struct cv *c, const json_t *deploy,
                      const char *ptr) MUST_CHECK;
int convert_restart_policy(json_t *tt, struct cv *c, const json_t *svc,
                           const json_t *deploy, const char *ptr) MUST_CHECK;
int convert_placement(json_t *tt, struct cv *c, const json_t *deploy,
                      const char *ptr) MUST_CHECK;
int convert_mode(json_t *spec, struct cv *c, const json_t *deploy,
                 const char *ptr) MUST_CHECK;
int convert_update_config(json_t *spec, struct cv *c, const json_t *deploy,
                          const char *key, const char *field,
                          const char *ptr) MUST_CHECK;
int convert_endpoint(json_t *spec, struct cv *c, const json_t *svc,
                     const json_t *deploy, const char *ptr,
                     const char *dptr) MUST_CHECK;
/* Part of the task template (convert-task.c). */
int convert_container_extras(json_t *cs, struct cv *c, const json_t *svc,
                             const char *ptr) MUST_CHECK;
int convert_mounts(json_t *cs, struct cv *c, const json_t *svc,
                   const char *ptr) MUST_CHECK;
int convert_file_refs(json_t *cs, struct cv *c, const json_t *svc, int secrets,
                      const char *ptr) MUST_CHECK;
/* The final name of config or secret key (with its content hash). */
int convert_object_name(char **out, struct cv *c, int secrets, const char *key,
                        const char *ptr) MUST_CHECK;

#endif
