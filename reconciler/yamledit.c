/*
 * yamledit.c: changing a YAML file's text in place (yamledit.h).
 *
 * Owns: turning a set or a remove at a JSON Pointer into one replacement
 * of a byte range of the text, using the node positions yamldoc_spans()
 * reports (where a member ends, which lines an item takes, the comments
 * above it, where the braces are), the alias rules, and checking the
 * result: the new text must load (yamldoc) to exactly the old document
 * with the change applied, else the edit is refused and the text stays as
 * it was. Does not own: how values are written (yamledit-write.c), the
 * pointer and the wanted document (yamledit-pointer.c), parsing
 * (yamldoc.c is the only libyaml user), files.
 */
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "srcmap.h"
#include "yamldoc.h"
#include "yamledit-int.h"
#include "yamledit.h"
#include "util.h"

#define NONE SIZE_MAX

struct yamledit {
	char *text;
	size_t len;
	char *path;
	json_t *doc;
	struct yamldoc_span *sp;
	size_t nsp;
};

/* One replacement of the bytes [a, b) by text. */
struct edit {
	size_t a, b;
	struct buf text;
};

/* ---- the text ---- */

static int is_break(char ch)
{
	return ch == '\n' || ch == '\r';
}

/* A byte order mark is not part of the first line (nor its columns). */
static size_t bom_len(const struct yamledit *e)
{
	return e->len >= 3 && !memcmp(e->text, "\xef\xbb\xbf", 3) ? 3 : 0;
}

static size_t line_start(const struct yamledit *e, size_t off)
{
	size_t top = bom_len(e);

	while (off > top && !is_break(e->text[off - 1]))
		off--;
	return off;
}

static size_t line_end(const struct yamledit *e, size_t off)
{
	while (off < e->len && !is_break(e->text[off]))
		off++;
	return off;
}

/* The start of the line after the one at off (or the end of the text). */
static size_t next_line(const struct yamledit *e, size_t off)
{
	off = line_end(e, off);
	if (off < e->len && e->text[off] == '\r')
		off++;
	if (off < e->len && e->text[off] == '\n')
		off++;
	return off;
}

/* The start of the line before the one that starts at a (a > 0). */
static size_t prev_line(const struct yamledit *e, size_t a)
{
	size_t q = a - 1;

	if (q > 0 && e->text[q] == '\n' && e->text[q - 1] == '\r')
		q--;
	return line_start(e, q);
}

static unsigned col_of(const struct yamledit *e, size_t off)
{
	return (unsigned)(off - line_start(e, off));
}

/* True when only spaces stand between the start of the line and off. */
static int first_on_line(const struct yamledit *e, size_t off)
{
	for (size_t i = line_start(e, off); i < off; i++)
		if (e->text[i] != ' ')
			return 0;
	return 1;
}

/* True when the line at off has nothing but spaces. */
static int blank_line(const struct yamledit *e, size_t off)
{
	for (size_t i = line_start(e, off); i < e->len && !is_break(e->text[i]);
	     i++)
		if (e->text[i] != ' ')
			return 0;
	return 1;
}

/* True when the line at off holds only a comment. */
static int comment_line(const struct yamledit *e, size_t off)
{
	size_t i = line_start(e, off);

	while (i < e->len && e->text[i] == ' ')
		i++;
	return i < e->len && e->text[i] == '#';
}

/* ---- the spans ---- */

static size_t find(const struct yamledit *e, const char *ptr)
{
	for (size_t i = 0; i < e->nsp; i++)
		if (!e->sp[i].merge && !strcmp(e->sp[i].pointer, ptr))
			return i;
	return NONE;
}

static int is_inside(const struct yamledit *e, size_t i, size_t top)
{
	for (; i != NONE; i = e->sp[i].parent)
		if (i == top)
			return 1;
	return 0;
}

/*
 * The children of p in order; merge values too, as they take up lines.
 * Spans are in document order, a parent before its children, so the
 * first child is right after p and a sibling after prev's descendants.
 */
static size_t kid_after(const struct yamledit *e, size_t p, size_t prev)
{
	if (prev == NONE)
		return p + 1 < e->nsp && e->sp[p + 1].parent == p ? p + 1
		                                                  : NONE;
	for (size_t i = prev + 1; i < e->nsp; i++) {
		if (e->sp[i].parent == p)
			return i;
		if (!is_inside(e, i, prev))
			return NONE;
	}
	return NONE;
}

static size_t last_kid(const struct yamledit *e, size_t p)
{
	size_t last = NONE;

	for (size_t i = kid_after(e, p, NONE); i != NONE;
	     i = kid_after(e, p, i))
		last = i;
	return last;
}

static size_t count_kids(const struct yamledit *e, size_t p)
{
	size_t n = 0;

	for (size_t i = kid_after(e, p, NONE); i != NONE;
	     i = kid_after(e, p, i))
		n++;
	return n;
}

static int in_flow(const struct yamledit *e, size_t i)
{
	size_t p = e->sp[i].parent;

	return p != NONE && e->sp[p].style == YAMLDOC_FLOW;
}

/* After the ':' that follows a member's key, or NONE. */
static size_t after_colon(const struct yamledit *e, size_t i)
{
	size_t k = e->sp[i].key_end;

	while (k < e->len && (e->text[k] == ' ' || e->text[k] == '\t'))
		k++;
	return k < e->len && e->text[k] == ':' ? k + 1 : NONE;
}

/*
 * The '-' in front of a block sequence item, or NONE: before the item on
 * its line, or alone (but for a comment) on a line above it.
 */
static size_t dash_of(const struct yamledit *e, size_t i)
{
	size_t k = e->sp[i].pstart, ls;

	while (k > 0 && (e->text[k - 1] == ' ' || e->text[k - 1] == '\t'))
		k--;
	if (k > 0 && e->text[k - 1] == '-')
		return k - 1;
	for (ls = line_start(e, k); k == ls && ls > bom_len(e);) {
		size_t d;

		ls = prev_line(e, ls);
		for (d = ls; e->text[d] == ' '; d++)
			;
		if (e->text[d] == '-' &&
		    (d + 1 == e->len || strchr(" \t\r\n", e->text[d + 1]))) {
			size_t after = d + 1;

			while (after < e->len && (e->text[after] == ' ' ||
			                          e->text[after] == '\t'))
				after++;
			if (after == e->len || is_break(e->text[after]) ||
			    e->text[after] == '#')
				return d;
			return NONE;
		}
		if (!comment_line(e, ls) && !blank_line(e, ls))
			return NONE;
		k = ls;
	}
	return NONE;
}

/* Where the entry for i (its key or its '-') starts. */
static size_t entry_start(const struct yamledit *e, size_t i)
{
	size_t p = e->sp[i].parent;

	if (e->sp[i].key_start != NONE)
		return e->sp[i].key_start;
	if (e->sp[p].style == YAMLDOC_FLOW)
		return e->sp[i].pstart;
	return dash_of(e, i);
}

/* The names that aliases use, as the keys of a json object. */
static json_t *aliased_names(const struct yamledit *e)
{
	json_t *names = json_object();

	for (size_t i = 0; i < e->nsp; i++)
		if (e->sp[i].kind == YAMLDOC_ALIAS)
			json_object_set_new(names, e->sp[i].anchor,
			                    json_true());
	return names;
}

static int used_anchor(const struct yamledit *e, size_t j, const json_t *names)
{
	return e->sp[j].kind != YAMLDOC_ALIAS && e->sp[j].anchor &&
	       json_object_get(names, e->sp[j].anchor);
}

/*
 * Refuses an edit at i when i or a node around it (or, with inner, inside
 * it) has an anchor that an alias uses: the alias would change too.
 */
static int check_anchors(const struct yamledit *e, const char *pointer,
                         size_t i, int inner, struct err *err)
{
	json_t *names = aliased_names(e);
	size_t bad = NONE;
	int rc = 0;

	for (size_t j = i; j != NONE && bad == NONE; j = e->sp[j].parent)
		if (used_anchor(e, j, names))
			bad = j;
	for (size_t j = i + 1;
	     inner && bad == NONE && j < e->nsp && is_inside(e, j, i); j++)
		if (used_anchor(e, j, names))
			bad = j;
	if (bad != NONE)
		rc = err_set(err, ERR_UNSUPPORTED,
		             "'%s' is inside the anchor &%s that aliases (*%s) "
		             "use; changing it would change them too",
		             pointer, e->sp[bad].anchor, e->sp[bad].anchor);
	json_decref(names);
	return rc;
}

/* True when mapping m has a member with an explicit key ("? key"). */
static int explicit_key(const struct yamledit *e, size_t m)
{
	if (m == NONE || e->sp[m].kind != YAMLDOC_MAPPING)
		return 0;
	for (size_t k = kid_after(e, m, NONE); k != NONE;
	     k = kid_after(e, m, k)) {
		size_t at = e->sp[k].key_start;

		while (at > 0 &&
		       (e->text[at - 1] == ' ' || e->text[at - 1] == '\t'))
			at--;
		if (at > 0 && e->text[at - 1] == '?')
			return 1;
	}
	return 0;
}

/*
 * Refuses an edit at i, and in the mapping around it, when keys there
 * are explicit ("? key"): the editor does not write that form.
 */
static int check_keys(const struct yamledit *e, const char *pointer, size_t i,
                      struct err *err)
{
	if (!explicit_key(e, i) && !explicit_key(e, e->sp[i].parent))
		return 0;
	return err_set(err, ERR_UNSUPPORTED,
	               "'%s' is in a mapping with explicit keys ('? key'); "
	               "edit it by hand",
	               pointer);
}

/* How many tokens lead to the node i (the root: none). */
static size_t depth_of(const struct yamledit *e, size_t i)
{
	size_t d = 0;

	for (; e->sp[i].parent != NONE; i = e->sp[i].parent)
		d++;
	return d;
}

/*
 * The anchored mapping at or above cur that aliases use, when it is the
 * only such node there and an edit of n tokens goes inside it: then the
 * anchor can move into a merge key (op_lift_anchor). Else NONE.
 */
static size_t lift_point(const struct yamledit *e, size_t cur, size_t n)
{
	json_t *names = aliased_names(e);
	size_t found = NONE, count = 0;

	for (size_t j = cur; j != NONE; j = e->sp[j].parent)
		if (used_anchor(e, j, names))
			found = j, count++;
	json_decref(names);
	if (count != 1 || e->sp[found].kind != YAMLDOC_MAPPING ||
	    e->sp[found].parent == NONE || depth_of(e, found) >= n)
		return NONE;
	return found;
}

static void learn_layout(const struct yamledit *e, struct ye_layout *lay)
{
	int step = 0, seq = -1;

	lay->nl = memmem(e->text, e->len, "\r\n", 2) ? "\r\n" : "\n";
	for (size_t i = 0; i < e->nsp && (!step || seq < 0); i++) {
		const struct yamldoc_span *s = &e->sp[i];
		size_t first = kid_after(e, i, NONE);
		int d;

		if (s->key_start == NONE || s->style != YAMLDOC_BLOCK ||
		    first == NONE || in_flow(e, i))
			continue;
		if (s->kind == YAMLDOC_MAPPING && !step) {
			d = (int)col_of(e, e->sp[first].key_start) -
			    (int)col_of(e, s->key_start);
			if (d > 0)
				step = d;
		} else if (s->kind == YAMLDOC_SEQUENCE && seq < 0) {
			d = (int)col_of(e, s->start) -
			    (int)col_of(e, s->key_start);
			if (d >= 0 && first_on_line(e, s->start))
				seq = d;
		}
	}
	lay->step = step ? (unsigned)step : 2;
	lay->seq_step = seq >= 0 ? (unsigned)seq : lay->step;
}

/* ---- planning the replacement ---- */

/* Where the value of i is written (from a to its end) and how. */
static int region(const struct yamledit *e, size_t i, size_t *a,
                  enum ye_mode *mode, unsigned *col, struct err *err)
{
	const struct yamldoc_span *s = &e->sp[i];
	size_t p = s->parent, at;

	*col = 0;
	if (p == NONE) {
		*mode = YE_ROOT;
		*a = s->pstart;
		*col = col_of(e, *a);
		return 0;
	}
	if (s->key_start != NONE) {
		*mode = YE_MEMBER;
		*col = col_of(e, s->key_start);
		at = after_colon(e, i);
	} else if (e->sp[p].style == YAMLDOC_FLOW) {
		*mode = YE_FLOW_ITEM;
		at = s->pstart;
	} else {
		*mode = YE_ITEM;
		at = dash_of(e, i);
		if (at != NONE)
			*col = col_of(e, at), at++;
	}
	if (at == NONE || at > s->end)
		return err_set(err, ERR_UNSUPPORTED,
		               "cannot tell where the value of '%s' is written",
		               s->pointer);
	*a = at;
	return 0;
}

static int op_replace(const struct yamledit *e, size_t i, const json_t *v,
                      const struct ye_layout *lay, struct edit *ed,
                      struct err *err)
{
	const struct yamldoc_span *s = &e->sp[i];
	enum ye_mode mode;
	unsigned col;
	int rc;

	if (!ye_is_block(v) && s->kind == YAMLDOC_SCALAR && s->start < s->end &&
	    s->style <= YAMLDOC_DOUBLE &&
	    !memchr(e->text + s->pstart, '!', s->start - s->pstart)) {
		/* In place, after any anchor, in the same quoting if it can. */
		ed->a = s->start, ed->b = s->end;
		ye_scalar(&ed->text, v, s->style, in_flow(e, i));
		return 0;
	}
	if ((rc = region(e, i, &ed->a, &mode, &col, err)))
		return rc;
	ed->b = s->end;
	if (mode == YE_ROOT && s->pstart == s->end) {
		/* An empty document ("---"): the value goes on lines of its
		 * own. */
		if (ed->a > 0 && !is_break(e->text[ed->a - 1]))
			ye_puts(&ed->text, lay->nl);
		ye_value(&ed->text, v, YE_ROOT, 0, lay);
		ye_puts(&ed->text, lay->nl);
	} else if ((s->style == YAMLDOC_LITERAL ||
	            s->style == YAMLDOC_FOLDED) &&
	           json_is_string(v) && mode != YE_ROOT &&
	           ye_literal_ok(json_string_value(v), json_string_length(v))) {
		ye_literal(
		        &ed->text, json_string_value(v), json_string_length(v),
		        mode == YE_ITEM ? col + 2 : col + lay->step, lay->nl);
	} else if (in_flow(e, i)) {
		ye_puts(&ed->text, mode == YE_MEMBER ? " " : "");
		ye_flow(&ed->text, v);
	} else if (mode == YE_ROOT && ye_is_block(v) &&
	           !first_on_line(e, ed->a)) {
		/* "--- x": a block collection cannot start after the "---". */
		while (ed->a > 0 && e->text[ed->a - 1] == ' ')
			ed->a--;
		ye_puts(&ed->text, lay->nl);
		ye_value(&ed->text, v, YE_ROOT, 0, lay);
	} else if (mode == YE_MEMBER && ye_is_block(v) &&
	           s->style == YAMLDOC_BLOCK &&
	           (s->kind == YAMLDOC_MAPPING) == json_is_object(v)) {
		/* A new collection where the old one was: its indentation. */
		col = col_of(e, s->start);
		ye_puts(&ed->text, lay->nl);
		ye_spaces(&ed->text, col);
		ye_block(&ed->text, v, col, lay);
	} else {
		ye_value(&ed->text, v, mode, col, lay);
	}
	return 0;
}

/* Writes the whole document into an empty (or comment-only) file. */
static int op_first(const struct yamledit *e, const json_t *want,
                    const struct ye_layout *lay, struct edit *ed)
{
	ed->a = ed->b = e->len;
	if (e->len && !is_break(e->text[e->len - 1]))
		ye_puts(&ed->text, lay->nl);
	ye_value(&ed->text, want, YE_ROOT, 0, lay);
	ye_puts(&ed->text, lay->nl);
	return 0;
}

static int op_add_member(const struct yamledit *e, size_t m, const char *key,
                         const json_t *v, const struct ye_layout *lay,
                         struct edit *ed)
{
	const struct yamldoc_span *s = &e->sp[m];
	size_t first = kid_after(e, m, NONE), last = last_kid(e, m);
	unsigned col;

	if (s->style == YAMLDOC_FLOW) {
		ed->a = ed->b = last == NONE ? s->end - 1 : e->sp[last].end;
		ye_puts(&ed->text, last == NONE ? "" : ", ");
		ye_string(&ed->text, key, strlen(key), YAMLDOC_PLAIN, 1, 1);
		ye_puts(&ed->text, ": ");
		ye_flow(&ed->text, v);
		return 0;
	}
	/* After the line where the last member ends, before what follows. */
	col = col_of(e, e->sp[first].key_start);
	ed->a = ed->b = line_end(e, e->sp[last].end);
	ye_puts(&ed->text, lay->nl);
	ye_spaces(&ed->text, col);
	ye_key(&ed->text, key);
	ye_puts(&ed->text, ":");
	ye_value(&ed->text, v, YE_MEMBER, col, lay);
	return 0;
}

static int op_append(const struct yamledit *e, size_t q, const json_t *v,
                     const struct ye_layout *lay, struct edit *ed,
                     struct err *err)
{
	const struct yamldoc_span *s = &e->sp[q];
	size_t first = kid_after(e, q, NONE), last = last_kid(e, q), dash;
	unsigned col;

	if (s->style == YAMLDOC_FLOW) {
		ed->a = ed->b = last == NONE ? s->end - 1 : e->sp[last].end;
		ye_puts(&ed->text, last == NONE ? "" : ", ");
		ye_flow(&ed->text, v);
		return 0;
	}
	if ((dash = dash_of(e, first)) == NONE)
		return err_set(
		        err, ERR_UNSUPPORTED,
		        "cannot tell where the items of '%s' are written",
		        s->pointer);
	col = col_of(e, dash);
	ed->a = ed->b = line_end(e, e->sp[last].end);
	ye_puts(&ed->text, lay->nl);
	ye_spaces(&ed->text, col);
	ye_puts(&ed->text, "-");
	ye_value(&ed->text, v, YE_ITEM, col, lay);
	return 0;
}

/* Copies s (n bytes), indenting each line after the first by shift. */
static void put_shifted(struct buf *b, const char *s, size_t n, unsigned shift)
{
	for (size_t i = 0; i < n; i++) {
		ye_put(b, s + i, 1);
		if ((s[i] == '\n' ||
		     (s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n'))) &&
		    i + 1 < n && s[i + 1] != '\n' && s[i + 1] != '\r')
			ye_spaces(b, shift);
	}
}

/*
 * Replaces the node at i by a mapping that merges what was written from
 * offset from ("<<: *d", or "<<: &d ..." moved down a level when lift is
 * set) and sets key beside it.
 */
static int merge_under(const struct yamledit *e, size_t i, const char *key,
                       const json_t *v, const struct ye_layout *lay,
                       struct edit *ed, size_t from, int lift, struct err *err)
{
	const struct yamldoc_span *s = &e->sp[i];
	struct buf *b = &ed->text;
	enum ye_mode mode;
	unsigned col, in;
	int rc;

	if ((rc = region(e, i, &ed->a, &mode, &col, err)))
		return rc;
	ed->b = s->end;
	if (in_flow(e, i)) {
		ye_puts(b, mode == YE_MEMBER ? " {<<: " : "{<<: ");
		ye_put(b, e->text + from, s->end - from);
		ye_puts(b, ", ");
		ye_string(b, key, strlen(key), YAMLDOC_PLAIN, 1, 1);
		ye_puts(b, ": ");
		ye_flow(b, v);
		ye_puts(b, "}");
		return 0;
	}
	in = mode == YE_ITEM ? col + 2 : col + lay->step;
	if (mode == YE_ITEM) {
		ye_puts(b, " ");
	} else {
		ye_puts(b, lay->nl);
		ye_spaces(b, in);
	}
	ye_puts(b, "<<: ");
	put_shifted(b, e->text + from, s->end - from, lift ? lay->step : 0);
	ye_puts(b, lay->nl);
	ye_spaces(b, in);
	ye_key(b, key);
	ye_puts(b, ":");
	ye_value(b, v, YE_MEMBER, in, lay);
	return 0;
}

/*
 * Turns the alias at i into a mapping that merges it and sets key beside
 * it, so that the anchor and its other aliases stay as they are.
 */
static int op_merge_alias(const struct yamledit *e, size_t i, const char *key,
                          const json_t *v, const struct ye_layout *lay,
                          struct edit *ed, struct err *err)
{
	return merge_under(e, i, key, v, lay, ed, e->sp[i].start, 0, err);
}

/*
 * Sets key in the anchored mapping at i without changing what its aliases
 * see: the anchored mapping moves, as it was written, under a merge key
 * ("<<: &d ...") and the new member goes beside it.
 */
static int op_lift_anchor(const struct yamledit *e, size_t i, const char *key,
                          const json_t *v, const struct ye_layout *lay,
                          struct edit *ed, struct err *err)
{
	return merge_under(e, i, key, v, lay, ed, e->sp[i].pstart, 1, err);
}

/* The start of the comment lines directly above the line at off. */
static size_t comments_above(const struct yamledit *e, size_t off)
{
	size_t a = line_start(e, off);

	while (a > 0 && comment_line(e, prev_line(e, a)))
		a = prev_line(e, a);
	return a;
}

static int op_remove(const struct yamledit *e, size_t i,
                     const struct ye_layout *lay, struct edit *ed,
                     struct err *err)
{
	size_t p = e->sp[i].parent, next = kid_after(e, p, i), prev = NONE;
	size_t es;

	if (count_kids(e, p) == 1) {
		json_t *empty = e->sp[p].kind == YAMLDOC_MAPPING ? json_object()
		                                                 : json_array();
		int rc = op_replace(e, p, empty, lay, ed, err);

		/* The member's lines go, with a comment at their end. */
		if (!rc && e->sp[p].style == YAMLDOC_BLOCK)
			ed->b = line_end(e, ed->b);
		json_decref(empty);
		return rc;
	}
	for (size_t k = kid_after(e, p, NONE); k != i; k = kid_after(e, p, k))
		prev = k;
	es = entry_start(e, i);
	if (e->sp[p].style == YAMLDOC_FLOW) {
		ed->a = next != NONE ? es : e->sp[prev].end;
		ed->b = next != NONE ? entry_start(e, next) : e->sp[i].end;
		return 0;
	}
	if (es != NONE && !first_on_line(e, es) && next != NONE &&
	    entry_start(e, next) != NONE) {
		/* "- a: 1\n  b: 2" loses "a: 1\n  ", keeping the '-'. */
		ed->a = es;
		ed->b = entry_start(e, next);
		return 0;
	}
	if (es == NONE || !first_on_line(e, es))
		return err_set(err, ERR_UNSUPPORTED,
		               "cannot tell which lines '%s' is written on",
		               e->sp[i].pointer);
	ed->a = comments_above(e, es);
	ed->b = next_line(e, e->sp[i].end > es ? e->sp[i].end : es);
	/* Between two blank lines, one of them goes too. */
	if (ed->a > 0 && blank_line(e, prev_line(e, ed->a)) && ed->b < e->len &&
	    blank_line(e, ed->b))
		ed->b = next_line(e, ed->b);
	return 0;
}

/* ---- loading, checking, the entry points ---- */

static int parse_all(const char *text, size_t len, const char *path,
                     json_t **doc, struct yamldoc_span **sp, size_t *n,
                     struct err *err)
{
	int rc = yamldoc_parse(doc, NULL, text, len, path, NULL, err);

	if (rc)
		return rc;
	if ((rc = yamldoc_spans(sp, n, text, len, path, err))) {
		json_decref(*doc);
		*doc = NULL;
	}
	return rc;
}

/*
 * Makes the replacement, then loads the new text: it must be want exactly,
 * else nothing changes.
 */
static int commit(struct yamledit *e, struct edit *ed, const json_t *want,
                  const char *pointer, struct err *err)
{
	struct buf nt = BUF_INIT;
	struct yamldoc_span *sp = NULL;
	struct err inner;
	json_t *doc = NULL;
	size_t n = 0;
	int rc;

	if (ed->a > ed->b || ed->b > e->len)
		return err_set(err, ERR_INTERNAL,
		               "editing '%s': bad range %zu-%zu", pointer,
		               ed->a, ed->b);
	ye_put(&nt, e->text, ed->a);
	ye_put(&nt, ed->text.ptr ? ed->text.ptr : "", ed->text.len);
	ye_put(&nt, e->text + ed->b, e->len - ed->b);
	ye_put(&nt, "", 0);
	err_clear(&inner);
	rc = parse_all(nt.ptr ? nt.ptr : "", nt.len, e->path, &doc, &sp, &n,
	               &inner);
	if (rc) {
		rc = err_set(err, rc == ERR_TOOBIG ? ERR_TOOBIG : ERR_INTERNAL,
		             "editing '%s' would leave a file that does not "
		             "load (%s); nothing was changed",
		             pointer, inner.msg);
		goto out;
	}
	if (!json_equal(doc, (json_t *)want)) {
		rc = err_set(err, ERR_INTERNAL,
		             "editing '%s' would change more than that value; "
		             "nothing was changed",
		             pointer);
		goto out;
	}
	free(e->text);
	e->text = buf_detach(&nt, &e->len);
	if (!e->text)
		e->text = xstrdup("");
	json_decref(e->doc);
	e->doc = doc;
	doc = NULL;
	yamldoc_spans_free(e->sp, e->nsp);
	e->sp = sp, e->nsp = n;
	sp = NULL, n = 0;
out:
	json_decref(doc);
	yamldoc_spans_free(sp, n);
	buf_release(&nt);
	return rc;
}

int yamledit_open(struct yamledit **out, const char *text, size_t len,
                  const char *path, struct err *err)
{
	struct yamledit *e = xcalloc(1, sizeof(*e));
	int rc;

	*out = NULL;
	e->path = xstrdup(path ? path : "");
	e->text = xmalloc(len + 1);
	if (len)
		memcpy(e->text, text, len);
	e->text[len] = '\0';
	e->len = len;
	rc = parse_all(e->text, e->len, e->path, &e->doc, &e->sp, &e->nsp, err);
	if (rc) {
		yamledit_free(e);
		return rc;
	}
	*out = e;
	return 0;
}

void yamledit_free(struct yamledit *e)
{
	if (!e)
		return;
	free(e->text);
	free(e->path);
	json_decref(e->doc);
	yamldoc_spans_free(e->sp, e->nsp);
	free(e);
}

const char *yamledit_text(const struct yamledit *e, size_t *len)
{
	if (len)
		*len = e->len;
	return e->text;
}

const struct json_t *yamledit_doc(const struct yamledit *e)
{
	return e->doc;
}

/*
 * Follows t through the nodes as written; *depth is how many tokens
 * matched a node, the last of which is returned.
 */
static size_t walk_spans(const struct yamledit *e, const struct ye_tokens *t,
                         size_t *depth)
{
	size_t cur = 0, i = 0;

	for (; i < t->n; i++) {
		size_t next;
		char *child;

		if (e->sp[cur].kind == YAMLDOC_SCALAR ||
		    e->sp[cur].kind == YAMLDOC_ALIAS)
			break;
		child = srcmap_child(e->sp[cur].pointer, t->v[i]);
		next = find(e, child);
		free(child);
		if (next == NONE)
			break;
		cur = next;
	}
	*depth = i;
	return cur;
}

static int plan_set(const struct yamledit *e, const char *p,
                    const struct ye_tokens *t, const json_t *want,
                    struct edit *ed, struct err *err)
{
	struct ye_layout lay;
	size_t i, cur, lift;
	int rc;

	learn_layout(e, &lay);
	if (!e->nsp)
		return op_first(e, want, &lay, ed);
	cur = walk_spans(e, t, &i);
	if ((rc = check_keys(e, p, cur, err)))
		return rc;
	if ((lift = lift_point(e, cur, t->n)) != NONE) {
		size_t d = depth_of(e, lift);

		return op_lift_anchor(e, lift, t->v[d],
		                      ye_want_at(want, t, d + 1), &lay, ed,
		                      err);
	}
	if ((rc = check_anchors(e, p, cur, i == t->n, err)))
		return rc;
	if (i == t->n || e->sp[cur].kind == YAMLDOC_SCALAR)
		return op_replace(e, cur, ye_want_at(want, t, i), &lay, ed,
		                  err);
	if (e->sp[cur].kind == YAMLDOC_ALIAS) {
		const char *name = e->sp[cur].anchor;
		const json_t *was = ye_want_at(e->doc, t, i);

		/* An alias of null is replaced; there is nothing to merge. */
		if (json_is_null(was))
			return op_replace(e, cur, ye_want_at(want, t, i), &lay,
			                  ed, err);
		if (!json_is_object(was))
			return err_set(err, ERR_UNSUPPORTED,
			               "'%s' is inside the alias *%s; changing "
			               "it would change the anchor &%s and its "
			               "other aliases",
			               p, name, name);
		return op_merge_alias(e, cur, t->v[i],
		                      ye_want_at(want, t, i + 1), &lay, ed,
		                      err);
	}
	if (e->sp[cur].kind == YAMLDOC_MAPPING)
		return op_add_member(e, cur, t->v[i],
		                     ye_want_at(want, t, i + 1), &lay, ed);
	if (strcmp(t->v[i], "-"))
		return err_set(err, ERR_INTERNAL, "'%s' has no node for '%s'",
		               e->sp[cur].pointer, t->v[i]);
	return op_append(e, cur, ye_want_at(want, t, i + 1), &lay, ed, err);
}

int yamledit_set(struct yamledit *e, const char *pointer, const json_t *v,
                 struct err *err)
{
	struct edit ed = {0, 0, BUF_INIT};
	struct ye_tokens t;
	json_t *want;
	int rc;

	if (!v)
		return err_set(err, ERR_INVALID, "no value to set at '%s'",
		               pointer);
	if ((rc = ye_pointer_split(pointer, &t, err)))
		return rc;
	want = json_deep_copy(e->doc);
	/* A value that is already there changes no byte. */
	if (!(rc = ye_want_set(&want, pointer, &t, v, err)) &&
	    !json_equal(want, e->doc) &&
	    !(rc = plan_set(e, pointer, &t, want, &ed, err)))
		rc = commit(e, &ed, want, pointer, err);
	json_decref(want);
	buf_release(&ed.text);
	ye_tokens_free(&t);
	return rc;
}

/* The value at pointer ptr in doc, or NULL. */
static const json_t *doc_at(const json_t *doc, const char *ptr)
{
	struct ye_tokens t;
	const json_t *v;

	if (ye_pointer_split(ptr, &t, NULL))
		return NULL;
	v = ye_want_at(doc, &t, t.n);
	ye_tokens_free(&t);
	return v;
}

/*
 * The anchor that a merge key of mapping p ("<<: *name") brings in when
 * that mapping has key too, or NULL.
 */
static const char *merged_anchor(const struct yamledit *e, size_t p,
                                 const char *key)
{
	for (size_t k = kid_after(e, p, NONE); k != NONE;
	     k = kid_after(e, p, k)) {
		size_t src = NONE;

		if (!e->sp[k].merge || e->sp[k].kind != YAMLDOC_ALIAS)
			continue;
		/* The latest definition of the anchor before the alias. */
		for (size_t j = 0; j < k; j++)
			if (e->sp[j].kind != YAMLDOC_ALIAS && e->sp[j].anchor &&
			    !strcmp(e->sp[j].anchor, e->sp[k].anchor))
				src = j;
		if (src != NONE &&
		    json_object_get(doc_at(e->doc, e->sp[src].pointer), key))
			return e->sp[k].anchor;
	}
	return NULL;
}

static int plan_remove(const struct yamledit *e, const char *p,
                       const struct ye_tokens *t, struct edit *ed,
                       struct err *err)
{
	struct ye_layout lay;
	size_t i, cur = walk_spans(e, t, &i);
	const char *name;
	int rc;

	learn_layout(e, &lay);
	if (i < t->n && e->sp[cur].kind == YAMLDOC_ALIAS)
		return err_set(err, ERR_UNSUPPORTED,
		               "'%s' is inside the alias *%s; removing it "
		               "would change the anchor &%s and its other "
		               "aliases",
		               p, e->sp[cur].anchor, e->sp[cur].anchor);
	if (i < t->n)
		return err_set(err, ERR_UNSUPPORTED,
		               "'%s' comes from a merge key ('<<'); it can be "
		               "overridden but not removed",
		               p);
	if ((rc = check_anchors(e, p, cur, 1, err)) ||
	    (rc = check_keys(e, p, cur, err)))
		return rc;
	if ((name = merged_anchor(e, e->sp[cur].parent, t->v[t->n - 1])))
		return err_set(err, ERR_UNSUPPORTED,
		               "'%s' is also in &%s, which '<<: *%s' merges in "
		               "beside it; removing it would bring that value "
		               "back",
		               p, name, name);
	return op_remove(e, cur, &lay, ed, err);
}

int yamledit_remove(struct yamledit *e, const char *pointer, struct err *err)
{
	struct edit ed = {0, 0, BUF_INIT};
	struct ye_tokens t;
	json_t *want = NULL;
	int rc;

	if ((rc = ye_pointer_split(pointer, &t, err)))
		return rc;
	if (!t.n) {
		rc = err_set(err, ERR_UNSUPPORTED,
		             "cannot remove the whole document; delete the "
		             "file instead");
		goto out;
	}
	want = json_deep_copy(e->doc);
	if (!(rc = ye_want_remove(want, pointer, &t, err)) &&
	    !(rc = plan_remove(e, pointer, &t, &ed, err)))
		rc = commit(e, &ed, want, pointer, err);
out:
	json_decref(want);
	buf_release(&ed.text);
	ye_tokens_free(&t);
	return rc;
}
