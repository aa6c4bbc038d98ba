/*
 * schema-int.h: what the files of the schema module share, and nothing else
 * includes.
 *
 * Owns: struct schema, the small hash table the module keys its indexes
 * with, and the prototypes that cross schema.c (loading, $id/$ref
 * resolution), schema-validate.c (keywords and messages) and
 * schema-format.c (formats and the ECMA-262 to POSIX regex translation).
 * Does not own: the public API (schema.h).
 */
#ifndef RECONCILER_SCHEMA_INT_H
#define RECONCILER_SCHEMA_INT_H

#include <jansson.h>

#include "schema.h"
#include "buf.h"

/* An open-addressing table from byte strings to pointers. */
struct stab_ent {
	char *key; /* NULL: empty slot */
	size_t klen;
	void *val;
};

struct stab {
	struct stab_ent *e;
	size_t cap, nr;
};

void *stab_get(const struct stab *t, const void *key, size_t klen);
/* Stores val under key (copied); returns the previous value or NULL. */
void *stab_put(struct stab *t, const void *key, size_t klen, void *val);
/* Frees the table; free_val (may be NULL) is called on each value. */
void stab_release(struct stab *t, void (*free_val)(void *));

/* A $ref of the documents, resolved against its base URI when indexed. */
struct schema_ref {
	char *uri;            /* absolute, with its fragment */
	const json_t *target; /* cache, valid while gen matches */
	unsigned gen;
};

struct schema {
	struct stab res;   /* "uri" and "uri#anchor" -> json_t * */
	struct stab refs;  /* json_t * (the object holding $ref) -> ref */
	struct stab rx;    /* pattern text -> regex_t * */
	struct stab masks; /* json_t * (a schema object) -> keyword groups */
	json_t **docs;     /* references held */
	size_t nr_docs, alloc_docs;
	unsigned gen; /* bumped by every schema_add */
	int format_assert;
};

/* Resolves ref against base (RFC 3986 section 5.2). Caller frees. */
char *schema_uri_resolve(const char *base, const char *ref);
/*
 * The subschema a $ref or a uri names, or NULL when nothing is there.
 * Borrowed from the documents of s.
 */
const json_t *schema_lookup(struct schema *s, const char *uri);
/* The $ref of the object sch, already resolved, or NULL. */
const json_t *schema_ref_target(struct schema *s, const json_t *sch,
                                const char **uri_out);

/*
 * Compiles (once, then from the cache) the ECMA-262 pattern into a POSIX
 * regex. ERR_INVALID naming the pattern when it cannot be translated or
 * compiled.
 */
int schema_regex_get(const void **out, struct schema *s, const char *pattern,
                     struct err *err) MUST_CHECK;
/* 1 when the compiled regex finds a match in str. */
int schema_regex_match(const void *rx, const char *str);
void schema_regex_free(void *rx);
/* Translates an ECMA-262 pattern into POSIX ERE. ERR_INVALID. */
int schema_regex_translate(char **out, const char *ecma,
                           struct err *err) MUST_CHECK;

/*
 * Checks str against a known format. Returns 1 when valid, 0 when not
 * (with a hint, a static string, in *hint), -1 for an unknown format.
 */
int schema_format_check(struct schema *s, const char *format, const char *str,
                        const char **hint);

/* ---- shared by schema-validate.c and schema-keywords.c ---- */

struct sink;

/* One validation run. */
struct vctx {
	struct schema *s;
	struct sink *sink;
	struct buf ptr; /* the instance location, a JSON Pointer */
	int last_index; /* the last pointer token is an array index */
	int key_mode;   /* validating a key (propertyNames) */
	unsigned depth, idepth;
	int fatal; /* a negative ERR_* once the schema is broken */
	struct err *err;
};

struct mark {
	size_t len;
	int last_index;
};

/* Applies sch to inst, reporting into v's current sink. */
void schema_eval(struct vctx *v, const json_t *sch, const json_t *inst);
/* 1 when inst is valid against sch; nothing is reported. */
int schema_probe(struct vctx *v, const json_t *sch, const json_t *inst);
/* 1 when the run should stop (broken schema, or a probe that failed). */
int schema_stopped(const struct vctx *v);
void schema_set_fatal(struct vctx *v, int rc);
/* Descends into a member or an element, and back. */
struct mark schema_push(struct vctx *v, const char *tok, int index);
void schema_pop(struct vctx *v, struct mark m);
/*
 * In a probe only the count of errors matters: returns 1 after counting one,
 * so a keyword can skip formatting its message.
 */
int schema_probing(struct vctx *v);
/* Reports "<subject> <fmt>" as an error. */
void schema_fail(struct vctx *v, const char *fmt, ...) PRINTF(2, 3);
/* Reports a whole message (key: about the member's key). */
void schema_fail_raw(struct vctx *v, int key, const char *fmt, ...)
        PRINTF(3, 4);
/* Reports "<subject> must be <expect>, not <actual type>". */
void schema_fail_type(struct vctx *v, const char *expect, const json_t *inst);
/* A value for a message: strings (quoted when quote), else JSON. Freed. */
char *schema_show(const json_t *j, int quote);
/* "a string", "an integer", "a mapping", "a list", ... */
const char *schema_type_name(const json_t *j);

/* The keywords of one instance type (schema-keywords.c). */
void schema_kw_type(struct vctx *v, const json_t *sch, const json_t *inst);
void schema_kw_enum_const(struct vctx *v, const json_t *sch,
                          const json_t *inst);
void schema_kw_number(struct vctx *v, const json_t *sch, const json_t *inst);
void schema_kw_string(struct vctx *v, const json_t *sch, const json_t *inst);
void schema_kw_object(struct vctx *v, const json_t *sch, const json_t *inst);
void schema_kw_array(struct vctx *v, const json_t *sch, const json_t *inst);

#endif
