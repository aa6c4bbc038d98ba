/*
 * yamledit.h: changing a YAML file's text in place, keeping the rest.
 *
 * Owns: edits to one YAML document addressed by JSON Pointer (RFC 6901,
 * the pointers yamldoc's srcmap uses: "/services/api/deploy/replicas"),
 * made on the text so that only the bytes of the changed values change:
 * comments, key order, blank lines, anchors, quoting and the formatting of
 * everything else stay as the person wrote them. A scale is a one-line
 * diff; a new key lands after the last member of its mapping with that
 * mapping's indentation (block style) or inside its braces (flow style).
 * Positions come from yamldoc.c (the only libyaml user); every edit
 * re-parses the new text and refuses to leave a document that does not
 * parse, or that does not load to what the edit meant.
 *
 * Aliases: an edit never changes what another alias of the same anchor
 * sees. Setting a member inside an aliased mapping (deploy: *defaults)
 * turns the alias into a mapping that merges it ("<<: *defaults") with
 * the new member beside it; a member that comes from a merge key is
 * overridden by an explicit member. Setting a member inside the anchored
 * mapping itself (deploy: &defaults ...) moves it, as written, under a
 * merge key ("deploy: {<<: &defaults ..., replicas: 5}" in block style),
 * so that its aliases still see the old one. An edit that would have to
 * change an aliased sequence or scalar in place, remove from or replace
 * an anchored node that aliases use, or that is inside two such anchors
 * is ERR_UNSUPPORTED with a message naming the anchor.
 *
 * Does not own: what the document means (schemas, the tools), files.
 */
#ifndef RECONCILER_YAMLEDIT_H
#define RECONCILER_YAMLEDIT_H

#include <stddef.h>

#include "util.h"

struct err;
struct json_t;
struct yamledit;

/*
 * Parses text (len bytes) of the file path (for messages). An empty
 * text is an empty document (the first set creates the top mapping).
 * ERR_INVALID / ERR_TOOBIG with yamldoc's located message; a file of
 * several documents is ERR_INVALID as yamldoc refuses it. Free with
 * yamledit_free.
 */
int yamledit_open(struct yamledit **out, const char *text, size_t len,
                  const char *path, struct err *err) MUST_CHECK;
void yamledit_free(struct yamledit *e);

/*
 * The current text (NUL-terminated, *len its length when len is not
 * NULL). Borrowed, valid until the next edit or yamledit_free.
 */
const char *yamledit_text(const struct yamledit *e, size_t *len);
/* The current document as yamldoc loads it. Borrowed, as above. */
const struct json_t *yamledit_doc(const struct yamledit *e);

/*
 * Sets the value at pointer to v (any JSON value; objects and arrays
 * are written in block style at the right indentation, scalars quoted
 * only when YAML needs it, strings that would read as another type
 * quoted). A scalar that is replaced keeps its quoting style when the new
 * value allows it. Missing members on the way are created as mappings;
 * an array index must exist ("-" appends, as in RFC 6902). ERR_NOTFOUND
 * when a parent is missing and cannot be created (an index out of range,
 * a scalar in the way: "'/services/api/deploy' is a string, not a
 * mapping"), ERR_UNSUPPORTED as above. A null on the way ("deploy:")
 * is replaced by the mapping. New lines use the file's line endings
 * (CRLF stays CRLF) and its indentation step. Setting the value that is
 * already there changes nothing.
 *
 * Every edit, here and in yamledit_remove, fails with nothing changed:
 * ERR_INVALID for a pointer that is not one, ERR_UNSUPPORTED in a
 * mapping with explicit keys ("? key"), ERR_INTERNAL (or ERR_TOOBIG)
 * when the new text would not load to what the edit meant (e.g. a line
 * added after a block scalar that ends the file without a line break).
 */
int yamledit_set(struct yamledit *e, const char *pointer,
                 const struct json_t *v, struct err *err) MUST_CHECK;
/*
 * Removes the member or the sequence item at pointer with its line(s)
 * and any comment lines directly above it that belong to it; removing the
 * last member of a block mapping leaves "{}" (and of a sequence "[]").
 * ERR_NOTFOUND when there is nothing at pointer; ERR_UNSUPPORTED for ""
 * (delete the file instead), for a member that only a merge key gives or
 * that a merge key would bring back, and, as above, inside an alias or an
 * anchor that aliases use.
 */
int yamledit_remove(struct yamledit *e, const char *pointer,
                    struct err *err) MUST_CHECK;

#endif
