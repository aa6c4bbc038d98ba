/*
 * schema.h: a JSON Schema (draft 2020-12) validator for kedge's files.
 *
 * Owns: loading schema documents (the schema/ folder, read at run time),
 * resolving $ref within and across them by $id, and validating an instance,
 * reporting every problem with the JSON Pointer of the instance location. Does
 * not own: turning pointers into file positions (srcmap.h) or printing
 * (diag.h).
 *
 * Keywords: type, properties, required, additionalProperties,
 * patternProperties, propertyNames, items, prefixItems, minItems, maxItems,
 * uniqueItems, contains, enum, const, pattern (POSIX ERE after translating
 * the common ECMA-262 escapes), minimum, maximum, exclusiveMinimum,
 * exclusiveMaximum, multipleOf, minLength, maxLength, minProperties,
 * maxProperties, dependentRequired, dependentSchemas, minContains,
 * maxContains, allOf, anyOf, oneOf, not, if/then/else, $ref, $defs, $id,
 * $anchor, boolean schemas, and format (duration, bytesize, regex, uri,
 * date-time, checked as assertions; other formats are annotations).
 * Not implemented: $dynamicRef, unevaluated*, $vocabulary, content*.
 * kedge extensions: "x-kedge-warning": "<text>" on a schema makes a matching
 * instance a warning with that text instead of silently valid (compose keys
 * Swarm ignores); "x-kedge-deprecated" likewise.
 */
#ifndef RECONCILER_SCHEMA_H
#define RECONCILER_SCHEMA_H

#include "util.h"

struct json_t;
struct err;
struct schema;

enum schema_severity { SCHEMA_ERROR, SCHEMA_WARNING };

/*
 * Called once per problem. pointer is the JSON Pointer of the instance
 * location; key_problem is 1 when the problem is about a member's key (an
 * unknown key), so the caller can point at the key rather than the value.
 * message is complete ("unknown key 'imgae' (did you mean 'image'?)",
 * "'replicas' must be an integer, not a string"). Strings are borrowed.
 */
typedef void (*schema_report_fn)(void *ctx, enum schema_severity sev,
                                 const char *pointer, int key_problem,
                                 const char *message);

/* An empty set of schemas. Free with schema_free. */
struct schema *schema_new(void);
void schema_free(struct schema *s);
/*
 * Adds a schema document under uri (its $id wins when it has one). Takes a
 * new reference to doc. ERR_INVALID when the document is not a schema.
 */
int schema_add(struct schema *s, const char *uri, struct json_t *doc,
               struct err *err) MUST_CHECK;
/*
 * Adds every *.json file in dir (in name order), each under its file name
 * ("compose.json") and, when it has one, its $id.
 */
int schema_add_dir(struct schema *s, const char *dir,
                   struct err *err) MUST_CHECK;
/*
 * Validates instance against the schema at uri (an $id, optionally with a
 * #fragment). Returns the number of errors found (0: valid; warnings do not
 * count), or a negative ERR_* when the schema itself cannot be used
 * (ERR_NOTFOUND for an unknown uri, ERR_INVALID for a broken schema).
 */
int schema_validate(struct schema *s, const char *uri,
                    const struct json_t *instance, schema_report_fn report,
                    void *ctx, struct err *err) MUST_CHECK;

/*
 * Whether known formats are assertions (the default: 1) or, as the
 * specification's default says, only annotations (0). The official test
 * suite runs format.json with 0.
 */
void schema_set_format_assertion(struct schema *s, int on);

#endif
