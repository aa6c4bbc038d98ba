/*
 * yamldoc.h: YAML text to jansson values (the libyaml adapter).
 *
 * Owns: parsing one YAML document into a json_t tree, recording each node's
 * position in a srcmap, and refusing input that could hurt kedge: files
 * over a size cap, nesting deeper than a cap, alias expansion past a node
 * budget (a "billion laughs" file), invalid UTF-8, duplicate keys, several
 * documents in one file. This is the only file that includes <yaml.h>.
 * Does not own: validation against a schema (schema.h) or interpolation.
 *
 * Scalars are resolved the way docker stack deploy's YAML library (YAML
 * 1.1) does for compose files: ~, null and empty are null; true/false,
 * yes/no, on/off (any case form the spec allows) are booleans; decimal,
 * 0x hex, 0o and leading-zero octal (mode: 0440) are integers; floats
 * include .inf and .nan; quoted scalars and !!str are always strings.
 * JSON cannot hold .inf, .nan or integers beyond 64 bits: those are errors
 * (with the advice to quote them). Keys are always strings ("80", "true").
 * Merge keys (<<: *anchor, <<: [*a, *b]) are expanded; explicit keys win.
 */
#ifndef RECONCILER_YAMLDOC_H
#define RECONCILER_YAMLDOC_H

#include <stddef.h>

#include "util.h"

struct json_t;
struct srcmap;
struct err;

struct yamldoc_limits {
	size_t max_bytes;   /* input size cap; 0: YAMLDOC_MAX_BYTES */
	unsigned max_depth; /* nesting cap; 0: YAMLDOC_MAX_DEPTH */
	size_t max_nodes;   /* nodes after alias expansion; 0: default */
};

#define YAMLDOC_MAX_BYTES (4u << 20)
#define YAMLDOC_MAX_DEPTH 64
#define YAMLDOC_MAX_NODES 200000

/*
 * Parses data (len bytes, need not be NUL-terminated) read from the file
 * named path (used in messages and copied into the srcmap).
 *
 * On success returns 0, and *out is the document (an empty file gives
 * json_null()) and *map_out its positions; the caller owns both (json_decref,
 * srcmap_free). map_out may be NULL when positions are not wanted.
 * On failure returns ERR_INVALID or ERR_TOOBIG and fills err with the path,
 * line and column of the problem and a message a person can act on, e.g.
 * "duplicate key 'image' (first at line 4)" or "tab character used
 * for indentation; YAML allows only spaces". limits may be NULL.
 */
int yamldoc_parse(struct json_t **out, struct srcmap **map_out,
                  const char *data, size_t len, const char *path,
                  const struct yamldoc_limits *limits,
                  struct err *err) MUST_CHECK;

/*
 * The nodes of a document as they are written, for editing the text
 * (yamledit.h). Aliases are not expanded and merge keys not merged: an
 * alias is one node of kind YAMLDOC_ALIAS, and a merge key's value is one
 * node with merge set whose insides are not listed.
 */
enum yamldoc_kind {
	YAMLDOC_SCALAR,
	YAMLDOC_SEQUENCE,
	YAMLDOC_MAPPING,
	YAMLDOC_ALIAS
};

enum yamldoc_style {
	YAMLDOC_PLAIN, /* scalars */
	YAMLDOC_SINGLE,
	YAMLDOC_DOUBLE,
	YAMLDOC_LITERAL,
	YAMLDOC_FOLDED,
	YAMLDOC_BLOCK, /* collections */
	YAMLDOC_FLOW
};

struct yamldoc_span {
	char *pointer; /* as in the srcmap ("" for the root); "/<<" for merges
	                */
	enum yamldoc_kind kind;
	enum yamldoc_style style;
	/*
	 * Byte offsets: pstart is where the node's anchor or tag starts (or
	 * start), start where the value starts, end one past its last byte
	 * (block scalars end at their last non-blank character, block
	 * collections at the end of their last item). An empty plain scalar
	 * ("key:") sits just after its ':' or '-', with start == end.
	 */
	size_t pstart, start, end;
	size_t key_start, key_end; /* of a member's key; SIZE_MAX for others */
	size_t parent;             /* index of the parent; SIZE_MAX: root */
	char *anchor;              /* &name defined here, or an alias's name */
	int merge;                 /* the value of a merge key '<<' */
};

/*
 * Parses data like yamldoc_parse (default limits) and returns its nodes in
 * document order, each parent before its children, in *out (*n of them).
 * An empty document has none. Free with yamldoc_spans_free. Errors as
 * yamldoc_parse.
 */
int yamldoc_spans(struct yamldoc_span **out, size_t *n, const char *data,
                  size_t len, const char *path, struct err *err) MUST_CHECK;
void yamldoc_spans_free(struct yamldoc_span *spans, size_t n);

#endif
