/*
 * srcmap.h: where each value of a loaded document came from.
 *
 * Owns: a map from a JSON Pointer (RFC 6901, "" for the root,
 * "/services/web/deploy/replicas") to the line and column, in the source
 * file, of the value at that pointer and, for object members, of its key.
 * Lookups fall back to the closest ancestor, so a problem with a missing
 * member points at the object that lacks it. Does not own: the document.
 */
#ifndef RECONCILER_SRCMAP_H
#define RECONCILER_SRCMAP_H

#include "util.h"

struct srcmap;

struct srcpos {
	unsigned line, col;         /* of the value; 1-based */
	unsigned key_line, key_col; /* of the key; 0 when not a member */
};

/* Allocates an empty map for the file at path (copied). Free: srcmap_free. */
struct srcmap *srcmap_new(const char *path);
void srcmap_free(struct srcmap *m);
/* The file path given to srcmap_new. Borrowed. */
const char *srcmap_path(const struct srcmap *m);
/* Records (or replaces) the position of the value at pointer. */
void srcmap_set(struct srcmap *m, const char *pointer,
                const struct srcpos *pos);
/*
 * Finds the position for pointer, or for its closest recorded ancestor.
 * Returns 0 when pointer itself was found, 1 when an ancestor was used, and
 * ERR_NOTFOUND (with *out zeroed) when nothing was recorded at all.
 */
int srcmap_get(const struct srcmap *m, const char *pointer,
               struct srcpos *out) MUST_CHECK;

/*
 * Appends the escaped form of one reference token (~ becomes ~0, / becomes
 * ~1) to a pointer: returns a new string "<parent>/<token>". Caller frees.
 */
char *srcmap_child(const char *parent, const char *token);
char *srcmap_index(const char *parent, size_t index);

#endif
