/*
 * yamledit-int.h: what yamledit.c, yamledit-write.c (writing values) and
 * yamledit-pointer.c (pointers, the wanted document) share. Not for other
 * modules: yamledit.h is the interface.
 */
#ifndef RECONCILER_YAMLEDIT_INT_H
#define RECONCILER_YAMLEDIT_INT_H

#include <stddef.h>
#include <string.h>

#include "buf.h"
#include "yamldoc.h"
#include "util.h"

struct err;
struct json_t;

/* How new lines are laid out, learned from the file. */
struct ye_layout {
	const char *nl;    /* "\n", or "\r\n" in a CRLF file */
	unsigned step;     /* extra indent of a nested mapping's keys */
	unsigned seq_step; /* extra indent of a sequence's '-' under a key */
};

/* Where a value sits in its parent, which decides how it is written. */
enum ye_mode {
	YE_ROOT,     /* the document */
	YE_MEMBER,   /* after "key:" */
	YE_ITEM,     /* after a block sequence's "-" */
	YE_FLOW_ITEM /* in [ ] */
};

/* A JSON Pointer's reference tokens, unescaped. */
struct ye_tokens {
	char **v;
	size_t *off; /* where the '/' before each token is in the pointer */
	size_t n;
};

/* Appends to b, which has no cap (a failure is a bug). */
static inline void ye_put(struct buf *b, const char *s, size_t n)
{
	if (buf_add(b, s, n))
		BUG("an uncapped buffer refused %zu bytes", n);
}

static inline void ye_puts(struct buf *b, const char *s)
{
	ye_put(b, s, strlen(s));
}

static inline void ye_spaces(struct buf *b, unsigned n)
{
	while (n--)
		ye_put(b, " ", 1);
}

/* ---- yamledit-write.c ---- */

/* True when v is a collection with something in it (block style). */
int ye_is_block(const struct json_t *v);
/*
 * A scalar, or an empty collection ("{}", "[]"). A string keeps the
 * quoting keep when it can (YAMLDOC_PLAIN: none if YAML allows it);
 * flow: inside [ ] or { }, where ",[]{}" matter too.
 */
void ye_scalar(struct buf *b, const struct json_t *v, enum yamldoc_style keep,
               int flow);
/* A string; key: it is a mapping key (which never reads as a number). */
void ye_string(struct buf *b, const char *s, size_t n, enum yamldoc_style keep,
               int flow, int key);
void ye_key(struct buf *b, const char *key);
/* v in flow style: {a: 1, b: [x]}. */
void ye_flow(struct buf *b, const struct json_t *v);
/*
 * A non-empty collection in block style at column col, the cursor
 * already there (the caller writes the first line's indentation).
 */
void ye_block(struct buf *b, const struct json_t *v, unsigned col,
              const struct ye_layout *lay);
/*
 * A value after "key:" or "-" (mode) in block context, whose key or '-'
 * is at column col: " scalar", or the collection on the lines below.
 */
void ye_value(struct buf *b, const struct json_t *v, enum ye_mode mode,
              unsigned col, const struct ye_layout *lay);
/* True when s can be a literal block scalar ("|" or "|-"). */
int ye_literal_ok(const char *s, size_t n);
/* " |" and the lines of s at column in, without a final line break. */
void ye_literal(struct buf *b, const char *s, size_t n, unsigned in,
                const char *nl);

/* ---- yamledit-pointer.c ---- */

/* Splits p into t (free with ye_tokens_free); ERR_INVALID when bad. */
int ye_pointer_split(const char *p, struct ye_tokens *t,
                     struct err *err) MUST_CHECK;
void ye_tokens_free(struct ye_tokens *t);
/*
 * Sets the value at p (split as t) in *want to a copy of v, creating
 * missing or null members on the way as mappings; "-" appends. May
 * replace *want. ERR_NOTFOUND with a message quoting the pointer.
 */
int ye_want_set(struct json_t **want, const char *p, const struct ye_tokens *t,
                const struct json_t *v, struct err *err) MUST_CHECK;
/* Removes the value at p from want; ERR_NOTFOUND when it is not there. */
int ye_want_remove(struct json_t *want, const char *p,
                   const struct ye_tokens *t, struct err *err) MUST_CHECK;
/* The value at the first n tokens of t in want ("-": the last item). */
const struct json_t *ye_want_at(const struct json_t *want,
                                const struct ye_tokens *t, size_t n);

#endif
