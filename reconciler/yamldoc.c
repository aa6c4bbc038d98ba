/*
 * yamldoc.c: YAML text to jansson values, the libyaml adapter (yamldoc.h).
 *
 * Owns: checking the raw bytes (size, NUL, UTF-8), turning libyaml's event
 * stream into a small node tree with anchors, enforcing the depth and
 * alias-expansion budgets while the events arrive (so a hostile file fails
 * before anything is expanded), then converting the tree to json_t with
 * YAML 1.1 scalar resolution and merge keys, recording positions in a
 * srcmap. Does not own: what the document means (schema.h, the loaders).
 * This is the only file in kedge that includes <yaml.h>.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "err.h"
#include "srcmap.h"
#include "yamldoc.h"
#include "util.h"

#define TAG_PREFIX "tag:yaml.org,2002:"

enum ykind { Y_SCALAR, Y_SEQ, Y_MAP, Y_ALIAS };

enum ytag {
	T_NONE,
	T_STR,
	T_INT,
	T_FLOAT,
	T_BOOL,
	T_NULL,
	T_MAP,
	T_SEQ,
	T_MERGE
};

struct ynode {
	enum ykind kind;
	enum ytag tag;
	unsigned line, col;
	int plain;  /* scalar written without quotes or block style */
	int open;   /* collection still being parsed */
	char *text; /* scalar value; alias: the anchor name */
	size_t len;
	struct ynode **kids; /* sequence items; mapping: key, value, ... */
	size_t n, alloc;
	struct ynode *target; /* alias: the anchored node */
	char *anchor;         /* the &name defined on this node, or NULL */
	enum yamldoc_style style;
	size_t pstart; /* byte offsets: anchor or tag, value, end */
	size_t start, end;
	size_t weight;   /* nodes once aliases are expanded */
	size_t bytes;    /* scalar bytes once aliases are expanded */
	unsigned height; /* collection levels once expanded */
};

struct ctx {
	const char *data;
	size_t len;
	const char *path;
	size_t max_nodes;
	unsigned max_depth;
	struct ynode **all; /* every node, for freeing */
	size_t nall, aall;
	struct ynode **stack;
	size_t nstack, astack;
	struct ynode *root;
	json_t *anchors;   /* name -> index into all (latest definition wins) */
	size_t total;      /* nodes after expansion, so far */
	size_t bytes;      /* scalar bytes after expansion, so far */
	size_t ptr_bytes;  /* bytes of JSON Pointers made for the srcmap */
	size_t max_expand; /* cap on bytes and ptr_bytes */
	int docs;
	size_t cur_idx, cur_byte; /* libyaml's character index, in bytes */
	size_t bom;
	struct srcmap *map;
	struct err *err;
};

static size_t sat_add(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* ---- positions in the raw bytes ---- */

/* Length of the UTF-8 sequence at s (n bytes left), or 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t need;
	uint32_t cp, min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 2, cp = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		need = 3, cp = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

/*
 * Walks the input up to byte offset stop (or to the first invalid byte)
 * counting lines and characters as libyaml does. Returns the offset it
 * stopped at.
 */
static size_t walk(const struct ctx *c, size_t stop, unsigned *line,
                   unsigned *col)
{
	const unsigned char *s = (const unsigned char *)c->data;
	size_t i = 0;

	*line = 1, *col = 1;
	if (c->len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		i = 3; /* libyaml does not count a byte order mark */
	while (i < stop && i < c->len) {
		size_t w = utf8_len(s + i, c->len - i);

		if (!w || !s[i])
			break;
		if (s[i] == '\n' ||
		    (s[i] == '\r' && (i + 1 >= c->len || s[i + 1] != '\n')))
			(*line)++, *col = 1;
		else if (s[i] != '\r')
			(*col)++;
		i += w;
	}
	return i;
}

/* Byte offset of a 1-based line and character column. */
static size_t offset_of(const struct ctx *c, unsigned line, unsigned col)
{
	const unsigned char *s = (const unsigned char *)c->data;
	size_t i = 0;

	if (c->len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		i = 3;
	while (line > 1 && i < c->len) {
		if (s[i] == '\n' ||
		    (s[i] == '\r' && (i + 1 >= c->len || s[i + 1] != '\n')))
			line--;
		i++;
	}
	while (col > 1 && i < c->len && s[i] != '\n' && s[i] != '\r') {
		size_t w = utf8_len(s + i, c->len - i);

		i += w ? w : 1;
		col--;
	}
	return i;
}

/*
 * Byte offset of libyaml's mark index idx, which counts characters (not
 * bytes, and not a byte order mark). Marks arrive nearly in order, so a
 * cursor that walks from the last answer costs little.
 */
static size_t byte_at(struct ctx *c, size_t idx)
{
	const unsigned char *s = (const unsigned char *)c->data;

	while (c->cur_idx < idx && c->cur_byte < c->len) {
		size_t w = utf8_len(s + c->cur_byte, c->len - c->cur_byte);

		c->cur_byte += w ? w : 1;
		c->cur_idx++;
	}
	while (c->cur_idx > idx && c->cur_byte > c->bom) {
		do
			c->cur_byte--;
		while (c->cur_byte > c->bom && (s[c->cur_byte] & 0xc0) == 0x80);
		c->cur_idx--;
	}
	return c->cur_byte;
}

/* The offset of the value after its anchor and tag, which start at i. */
static size_t skip_props(const struct ctx *c, size_t i, size_t stop)
{
	while (i < stop) {
		char ch = c->data[i];

		if (ch == '&' || ch == '!') {
			while (i < stop && !strchr(" \t\r\n", c->data[i]))
				i++;
		} else if (ch == '#' && i > 0 &&
		           strchr(" \t\r\n", c->data[i - 1])) {
			while (i < stop && c->data[i] != '\n' &&
			       c->data[i] != '\r')
				i++;
		} else if (ch == ' ' || ch == '\t' || ch == '\r' ||
		           ch == '\n') {
			i++;
		} else {
			break;
		}
	}
	return i;
}

static int check_bytes(struct ctx *c)
{
	unsigned line, col;
	size_t stop = walk(c, c->len, &line, &col);

	if (stop >= c->len)
		return 0;
	if (!c->data[stop])
		return err_set_at(c->err, ERR_INVALID, c->path, line, col,
		                  "NUL byte in the file; is it a binary file?");
	return err_set_at(c->err, ERR_INVALID, c->path, line, col,
	                  "invalid UTF-8 (byte 0x%02x); save the file as "
	                  "UTF-8",
	                  (unsigned char)c->data[stop]);
}

/* ---- libyaml errors ---- */

static const struct {
	const char *problem, *say;
} rephrase[] = {
        {"mapping values are not allowed",
         "unexpected ':'; check the indentation, or quote a value that "
         "contains ': '"},
        {"did not find expected key",
         "expected a key here; check that this line is indented like the "
         "other keys of its mapping"},
        {"did not find expected '-' indicator",
         "expected a '- ' list item here; check the indentation"},
        {"block sequence entries are not allowed",
         "a '- ' list item is not allowed here; check the indentation"},
        {"cannot start any token",
         "this character cannot start a value; quote values that begin with "
         "'@' or '`'"},
        {"could not find expected ':'", "expected ':' after a key"},
        {"found unexpected end of stream",
         "the file ends before this value is closed; is a quote "
         "missing?"},
        {"did not find expected node content", "expected a value here"},
        {"did not find expected ',' or ']'",
         "expected ',' or ']' in this [ ] list; is a bracket missing?"},
        {"did not find expected ',' or '}'",
         "expected ',' or '}' in this { } mapping; is a brace missing?"},
        {"found undefined tag handle", "unknown tag handle"},
        {"control characters are not allowed",
         "control character in the file; YAML does not allow it"},
};

/* True when the line at off has a tab among its leading blanks. */
static int indent_tab(const struct ctx *c, size_t off, unsigned *col)
{
	size_t i = off;

	while (i > 0 && c->data[i - 1] != '\n' && c->data[i - 1] != '\r')
		i--;
	for (*col = 1; i < c->len; i++, (*col)++) {
		if (c->data[i] == '\t')
			return 1;
		if (c->data[i] != ' ')
			break;
	}
	return 0;
}

static int syntax_error(struct ctx *c, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "syntax error";
	const char *say = NULL;
	unsigned line, col, tcol;
	size_t off;
	char where[160] = "";

	if (p->error == YAML_READER_ERROR) {
		off = walk(c, p->problem_offset, &line, &col);
	} else {
		line = (unsigned)p->problem_mark.line + 1;
		col = (unsigned)p->problem_mark.column + 1;
		off = offset_of(c, line, col);
	}
	if (strstr(problem, "tab") || (off < c->len && c->data[off] == '\t') ||
	    indent_tab(c, off, &tcol)) {
		if (indent_tab(c, off, &tcol))
			col = tcol;
		return err_set_at(c->err, ERR_INVALID, c->path, line, col,
		                  "tab character used for indentation; YAML "
		                  "allows only spaces");
	}
	for (size_t i = 0; i < ARRAY_SIZE(rephrase) && !say; i++)
		if (strstr(problem, rephrase[i].problem))
			say = rephrase[i].say;
	if (p->context && p->error != YAML_READER_ERROR &&
	    !strstr(p->context, "next token")) {
		const char *ctx = p->context;

		if (starts_with(ctx, "while parsing "))
			ctx += strlen("while parsing ");
		else if (starts_with(ctx, "while scanning "))
			ctx += strlen("while scanning ");
		snprintf(where, sizeof(where),
		         " (in %s that starts at line %u)", ctx,
		         (unsigned)p->context_mark.line + 1);
	}
	if (say)
		return err_set_at(c->err, ERR_INVALID, c->path, line, col,
		                  "%s%s", say, where);
	return err_set_at(c->err, ERR_INVALID, c->path, line, col,
	                  "YAML syntax error: %s%s", problem, where);
}

/* ---- events to nodes ---- */

static int tag_of(struct ctx *c, const char *tag, enum ykind kind,
                  unsigned line, unsigned col, enum ytag *out)
{
	static const struct {
		const char *name;
		enum ytag tag;
	} known[] = {
	        {"str", T_STR},   {"int", T_INT},     {"float", T_FLOAT},
	        {"bool", T_BOOL}, {"null", T_NULL},   {"map", T_MAP},
	        {"seq", T_SEQ},   {"merge", T_MERGE},
	};
	const char *name = tag;

	*out = T_NONE;
	if (!tag)
		return 0;
	/* The non-specific tag "!" means "do not resolve": a string. */
	if (!strcmp(tag, "!")) {
		*out = kind == Y_SCALAR ? T_STR : T_NONE;
		return 0;
	}
	if (starts_with(tag, TAG_PREFIX)) {
		name = tag + strlen(TAG_PREFIX);
		for (size_t i = 0; i < ARRAY_SIZE(known); i++)
			if (!strcmp(name, known[i].name))
				*out = known[i].tag;
	}
	if (*out == T_NONE)
		return err_set_at(c->err, ERR_INVALID, c->path, line, col,
		                  "unknown tag '%s%s'; kedge understands only "
		                  "!!str, !!int, !!float, !!bool, !!null, "
		                  "!!map and !!seq",
		                  name == tag ? "" : "!!", name);
	if ((kind == Y_MAP) != (*out == T_MAP) ||
	    (kind == Y_SEQ) != (*out == T_SEQ))
		return err_set_at(c->err, ERR_INVALID, c->path, line, col,
		                  "tag '!!%s' cannot be used on a %s", name,
		                  kind == Y_MAP   ? "mapping"
		                  : kind == Y_SEQ ? "list"
		                                  : "scalar");
	return 0;
}

static struct ynode *new_node(struct ctx *c, enum ykind kind,
                              const yaml_mark_t *mark)
{
	struct ynode *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->line = (unsigned)mark->line + 1;
	n->col = (unsigned)mark->column + 1;
	n->weight = 1;
	n->pstart = n->start = n->end = byte_at(c, mark->index);
	ALLOC_GROW(c->all, c->nall + 1, c->aall);
	c->all[c->nall++] = n;
	return n;
}

/*
 * Charges a node (or an alias use) against the budgets. Bytes are counted
 * as well as nodes: a 60 KiB string aliased 30000 times is few nodes but
 * gigabytes of memory.
 */
static int count(struct ctx *c, const struct ynode *n, size_t weight,
                 size_t bytes)
{
	c->total = sat_add(c->total, weight);
	c->bytes = sat_add(c->bytes, bytes);
	if (c->total <= c->max_nodes && c->bytes <= c->max_expand)
		return 0;
	if (n->kind == Y_ALIAS && c->total > c->max_nodes)
		return err_set_at(c->err, ERR_TOOBIG, c->path, n->line, n->col,
		                  "aliases expand to more than %zu nodes (a "
		                  "billion-laughs document?)",
		                  c->max_nodes);
	if (n->kind == Y_ALIAS)
		return err_set_at(c->err, ERR_TOOBIG, c->path, n->line, n->col,
		                  "aliases expand to more than %zu bytes (a "
		                  "billion-laughs document?)",
		                  c->max_expand);
	return err_set_at(c->err, ERR_TOOBIG, c->path, n->line, n->col,
	                  "the document has more than %zu nodes", c->max_nodes);
}

static int add_anchor(struct ctx *c, const unsigned char *anchor)
{
	if (!anchor)
		return 0;
	c->all[c->nall - 1]->anchor = xstrdup((const char *)anchor);
	if (json_object_set_new(c->anchors, (const char *)anchor,
	                        json_integer((json_int_t)(c->nall - 1))))
		return err_set_at(
		        c->err, ERR_INVALID, c->path, c->all[c->nall - 1]->line,
		        c->all[c->nall - 1]->col, "invalid anchor name");
	return 0;
}

/* Attaches a finished (or just opened) node to the open collection. */
static int attach(struct ctx *c, struct ynode *n)
{
	struct ynode *parent, *key = n;

	if (!c->nstack) {
		c->root = n;
		return 0;
	}
	parent = c->stack[c->nstack - 1];
	if (parent->kind == Y_MAP && parent->n % 2 == 0) {
		if (key->kind == Y_ALIAS)
			key = key->target;
		if (key->kind != Y_SCALAR)
			return err_set_at(c->err, ERR_INVALID, c->path, n->line,
			                  n->col,
			                  "complex keys (a mapping or list "
			                  "used as a key) are not supported");
	}
	ALLOC_GROW(parent->kids, parent->n + 1, parent->alloc);
	parent->kids[parent->n++] = n;
	if (n->kind != Y_SEQ && n->kind != Y_MAP) {
		parent->weight = sat_add(parent->weight, n->weight);
		parent->bytes = sat_add(parent->bytes, n->bytes);
		if (n->height > parent->height - 1)
			parent->height = n->height + 1;
	}
	return 0;
}

static int on_alias(struct ctx *c, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct ynode *n = new_node(c, Y_ALIAS, &ev->start_mark);
	json_t *idx = json_object_get(c->anchors, name);
	int rc;

	n->text = xstrdup(name);
	n->end = byte_at(c, ev->end_mark.index);
	if (!idx)
		return err_set_at(c->err, ERR_INVALID, c->path, n->line, n->col,
		                  "unknown anchor '%s'; an alias *%s must come "
		                  "after the &%s it refers to",
		                  name, name, name);
	n->target = c->all[json_integer_value(idx)];
	if (n->target->open)
		return err_set_at(c->err, ERR_INVALID, c->path, n->line, n->col,
		                  "alias *%s is inside the node it refers to "
		                  "(a recursive alias)",
		                  name);
	n->weight = n->target->weight;
	n->bytes = n->target->bytes;
	n->height = n->target->height;
	if (c->nstack + n->height > c->max_depth)
		return err_set_at(c->err, ERR_TOOBIG, c->path, n->line, n->col,
		                  "alias *%s nests deeper than %u levels", name,
		                  c->max_depth);
	rc = count(c, n, n->weight, n->bytes);
	return rc ? rc : attach(c, n);
}

static void set_scalar_span(struct ctx *c, struct ynode *n,
                            const yaml_event_t *ev)
{
	switch (ev->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
		n->style = YAMLDOC_SINGLE;
		break;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		n->style = YAMLDOC_DOUBLE;
		break;
	case YAML_LITERAL_SCALAR_STYLE:
		n->style = YAMLDOC_LITERAL;
		break;
	case YAML_FOLDED_SCALAR_STYLE:
		n->style = YAMLDOC_FOLDED;
		break;
	default:
		n->style = YAMLDOC_PLAIN;
	}
	n->end = byte_at(c, ev->end_mark.index);
	/* A block scalar's end is past its line breaks and the next indent. */
	if (n->style == YAMLDOC_LITERAL || n->style == YAMLDOC_FOLDED)
		while (n->end > n->pstart + 1 &&
		       strchr(" \t\r\n", c->data[n->end - 1]))
			n->end--;
	if (ev->data.scalar.anchor || ev->data.scalar.tag)
		n->start = skip_props(c, n->pstart, n->end);
}

static int on_scalar(struct ctx *c, const yaml_event_t *ev)
{
	struct ynode *n = new_node(c, Y_SCALAR, &ev->start_mark);
	int rc;

	n->len = ev->data.scalar.length;
	/* Not xstrndup: a "\0" escape puts a NUL inside the value. */
	n->text = xmalloc(n->len + 1);
	memcpy(n->text, ev->data.scalar.value, n->len);
	n->text[n->len] = '\0';
	n->bytes = sat_add(n->len, 1);
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	set_scalar_span(c, n, ev);
	rc = tag_of(c, (const char *)ev->data.scalar.tag, Y_SCALAR, n->line,
	            n->col, &n->tag);
	if (!rc)
		rc = add_anchor(c, ev->data.scalar.anchor);
	if (!rc)
		rc = count(c, n, 1, n->bytes);
	if (!rc)
		rc = attach(c, n);
	return rc;
}

static int on_start(struct ctx *c, const yaml_event_t *ev, enum ykind kind)
{
	struct ynode *n = new_node(c, kind, &ev->start_mark);
	const yaml_char_t *tag = kind == Y_MAP ? ev->data.mapping_start.tag
	                                       : ev->data.sequence_start.tag;
	const yaml_char_t *anchor = kind == Y_MAP
	                                    ? ev->data.mapping_start.anchor
	                                    : ev->data.sequence_start.anchor;
	int flow = kind == Y_MAP ? ev->data.mapping_start.style ==
	                                   YAML_FLOW_MAPPING_STYLE
	                         : ev->data.sequence_start.style ==
	                                   YAML_FLOW_SEQUENCE_STYLE;
	int rc;

	n->style = flow ? YAMLDOC_FLOW : YAMLDOC_BLOCK;
	if (anchor || tag)
		n->start = skip_props(c, n->pstart, c->len);
	n->open = 1;
	n->height = 1;
	n->bytes = 1;
	if (c->nstack + 1 > c->max_depth)
		return err_set_at(c->err, ERR_TOOBIG, c->path, n->line, n->col,
		                  "nesting deeper than %u levels",
		                  c->max_depth);
	rc = tag_of(c, (const char *)tag, kind, n->line, n->col, &n->tag);
	if (!rc)
		rc = add_anchor(c, anchor);
	if (!rc)
		rc = count(c, n, 1, 1);
	if (!rc)
		rc = attach(c, n);
	if (rc)
		return rc;
	ALLOC_GROW(c->stack, c->nstack + 1, c->astack);
	c->stack[c->nstack++] = n;
	return 0;
}

static void on_end(struct ctx *c, const yaml_event_t *ev)
{
	struct ynode *n = c->stack[--c->nstack], *parent;

	n->open = 0;
	/* A block collection's end mark is where the next token starts. */
	if (n->style == YAMLDOC_FLOW) {
		n->end = byte_at(c, ev->end_mark.index);
	} else if (n->n) {
		n->end = n->kids[n->n - 1]->end;
	}
	if (!c->nstack)
		return;
	parent = c->stack[c->nstack - 1];
	parent->weight = sat_add(parent->weight, n->weight);
	parent->bytes = sat_add(parent->bytes, n->bytes);
	if (n->height + 1 > parent->height)
		parent->height = n->height + 1;
}

static int on_event(struct ctx *c, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++c->docs > 1)
			return err_set_at(c->err, ERR_INVALID, c->path,
			                  (unsigned)ev->start_mark.line + 1,
			                  (unsigned)ev->start_mark.column + 1,
			                  "only one YAML document per file "
			                  "(a second one starts here)");
		return 0;
	case YAML_ALIAS_EVENT:
		return on_alias(c, ev);
	case YAML_SCALAR_EVENT:
		return on_scalar(c, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(c, ev, Y_SEQ);
	case YAML_MAPPING_START_EVENT:
		return on_start(c, ev, Y_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (c->nstack)
			on_end(c, ev);
		return 0;
	default:
		return 0;
	}
}

static int parse_events(struct ctx *c)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int rc = 0, done = 0;

	if (!yaml_parser_initialize(&p))
		return err_set(c->err, ERR_INTERNAL, "libyaml: out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)c->data,
	                             c->len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = syntax_error(c, &p);
			goto out;
		}
		rc = on_event(c, &ev);
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		if (rc)
			goto out;
	}
out:
	yaml_parser_delete(&p);
	return rc;
}

/* ---- scalars ---- */

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const trues[] = {"y",  "Y",  "yes",  "Yes",  "YES",  "on",
                                    "On", "ON", "true", "True", "TRUE", NULL};
static const char *const falses[] = {"n",     "N",     "no",    "No",
                                     "NO",    "off",   "Off",   "OFF",
                                     "false", "False", "FALSE", NULL};
static const char *const nonfinite[] = {
        ".inf",  ".Inf",  ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF", ".nan", ".NaN",  ".NAN",  NULL};

static int digit_of(char ch, unsigned base)
{
	unsigned d;

	if (ch >= '0' && ch <= '9')
		d = (unsigned)(ch - '0');
	else if (ch >= 'a' && ch <= 'f')
		d = (unsigned)(ch - 'a' + 10);
	else if (ch >= 'A' && ch <= 'F')
		d = (unsigned)(ch - 'A' + 10);
	else
		return -1;
	return d < base ? (int)d : -1;
}

/*
 * Parses s (underscores already removed) as a YAML 1.1 integer. Returns 1
 * with *out set, 0 when s is not an integer, -1 when it does not fit.
 */
static int parse_int(const char *s, int64_t *out)
{
	int neg = 0, d;
	unsigned base = 10;
	uint64_t v = 0, lim;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		base = 8, s += 2;
	else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
		base = 2, s += 2;
	else if (s[0] == '0' && s[1])
		base = 8, s += 1;
	if (!*s)
		return 0;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (int over = 0;; s++) {
		if (!*s) {
			if (over)
				return -1;
			*out = neg ? (int64_t)(0 - v) : (int64_t)v;
			return 1;
		}
		if ((d = digit_of(*s, base)) < 0)
			return 0;
		if (v > (lim - (uint64_t)d) / base)
			over = 1;
		else
			v = v * base + (uint64_t)d;
	}
}

/* go-yaml's float form: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int is_float(const char *s)
{
	size_t n = 0;

	if (*s == '-' || *s == '+')
		s++;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++)
			n++;
		if (!n)
			return 0;
	} else {
		for (; *s >= '0' && *s <= '9'; s++)
			n++;
		if (!n)
			return 0;
		if (*s == '.')
			for (s++; *s >= '0' && *s <= '9'; s++)
				;
	}
	if (*s == 'e' || *s == 'E') {
		n = 0;
		if (*++s == '-' || *s == '+')
			s++;
		for (; *s >= '0' && *s <= '9'; s++)
			n++;
		if (!n)
			return 0;
	}
	return !*s;
}

enum numkind { NUM_NONE, NUM_INT, NUM_FLOAT, NUM_BIG, NUM_NONFINITE };

static enum numkind parse_number(const char *text, int64_t *i, double *f)
{
	char *s = xstrdup(text), *w = s;
	enum numkind k = NUM_NONE;
	const char *p = text;
	int r;

	if (*p == '-' || *p == '+')
		p++;
	if (!((*p >= '0' && *p <= '9') || *p == '.'))
		goto out;
	for (const char *r2 = text; *r2; r2++)
		if (*r2 != '_')
			*w++ = *r2;
	*w = '\0';
	if ((r = parse_int(s, i)) != 0) {
		k = r > 0 ? NUM_INT : NUM_BIG;
		goto out;
	}
	if (is_float(s)) {
		*f = strtod(s, NULL);
		k = isfinite(*f) ? NUM_FLOAT : NUM_NONFINITE;
	}
out:
	free(s);
	return k;
}

static json_t *resolve_plain(const struct ynode *n, enum numkind *kind)
{
	int64_t i;
	double f;

	*kind = NUM_NONE;
	if (in_list(n->text, nulls))
		return json_null();
	if (in_list(n->text, trues))
		return json_true();
	if (in_list(n->text, falses))
		return json_false();
	if (in_list(n->text, nonfinite)) {
		*kind = NUM_NONFINITE;
		return NULL;
	}
	*kind = parse_number(n->text, &i, &f);
	if (*kind == NUM_INT)
		return json_integer(i);
	if (*kind == NUM_FLOAT)
		return json_real(f);
	if (*kind != NUM_NONE)
		return NULL;
	return json_stringn(n->text, n->len);
}

static json_t *resolve_tagged(const struct ynode *n, enum numkind *kind)
{
	json_t *v = resolve_plain(n, kind);
	int ok;

	if (!v)
		return NULL;
	switch (n->tag) {
	case T_NULL:
		ok = json_is_null(v);
		break;
	case T_BOOL:
		ok = json_is_boolean(v);
		break;
	case T_INT:
		ok = json_is_integer(v);
		break;
	case T_FLOAT:
		ok = json_is_number(v);
		if (json_is_integer(v)) {
			json_t *r = json_real((double)json_integer_value(v));

			json_decref(v);
			v = r;
		}
		break;
	default:
		ok = 0;
	}
	if (!ok) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

static int resolve(struct ctx *c, const struct ynode *n, json_t **out)
{
	static const char *const names[] = {[T_INT] = "an integer",
	                                    [T_FLOAT] = "a number",
	                                    [T_BOOL] = "a boolean",
	                                    [T_NULL] = "null"};
	enum numkind kind = NUM_NONE;

	if (n->tag == T_STR || n->tag == T_MERGE ||
	    (n->tag == T_NONE && !n->plain))
		*out = json_stringn(n->text, n->len);
	else if (n->tag == T_NONE)
		*out = resolve_plain(n, &kind);
	else
		*out = resolve_tagged(n, &kind);
	if (*out)
		return 0;
	if (kind == NUM_BIG)
		return err_set_at(c->err, ERR_INVALID, c->path, n->line, n->col,
		                  "integer '%s' does not fit in 64 bits; quote "
		                  "it to make it a string",
		                  n->text);
	if (kind == NUM_NONFINITE)
		return err_set_at(c->err, ERR_INVALID, c->path, n->line, n->col,
		                  "'%s' is not a finite number and cannot be "
		                  "used; quote it to make it a string",
		                  n->text);
	if (n->tag != T_NONE && n->tag <= T_NULL && n->tag != T_STR)
		return err_set_at(c->err, ERR_INVALID, c->path, n->line, n->col,
		                  "'%s' is not %s, as its tag says", n->text,
		                  names[n->tag]);
	return err_set_at(c->err, ERR_INVALID, c->path, n->line, n->col,
	                  "string is not valid UTF-8");
}

/* ---- nodes to json ---- */

static int convert(struct ctx *c, const struct ynode *n, const char *ptr,
                   const struct ynode *key, json_t **out);

/*
 * Pointers repeat every key on the path, so a long key above many values
 * costs memory quadratic in the file size: cap their total.
 */
static int charge_ptr(struct ctx *c, const char *ptr, const struct ynode *at)
{
	if (!ptr)
		return 0;
	c->ptr_bytes = sat_add(c->ptr_bytes, strlen(ptr));
	if (c->ptr_bytes <= c->max_expand)
		return 0;
	return err_set_at(c->err, ERR_TOOBIG, c->path, at->line, at->col,
	                  "the paths to values are over %zu bytes in total; "
	                  "shorten the keys",
	                  c->max_expand);
}
static const struct ynode *deref(const struct ynode *n)
{
	return n->kind == Y_ALIAS ? n->target : n;
}

static int is_merge(const struct ynode *key)
{
	return key->kind == Y_SCALAR &&
	       (key->tag == T_MERGE ||
	        (key->tag == T_NONE && key->plain && !strcmp(key->text, "<<")));
}

static int set_member(struct ctx *c, json_t *obj, const struct ynode *map,
                      size_t i, const char *ptr, int merging)
{
	const struct ynode *kn = map->kids[i], *k = deref(kn);
	char *child = NULL;
	json_t *v = NULL;
	int rc = 0;

	if (strlen(k->text) != k->len)
		return err_set_at(c->err, ERR_INVALID, c->path, kn->line,
		                  kn->col, "a key contains a NUL character");
	if (json_object_get(obj, k->text)) {
		if (merging)
			return 0;
		for (size_t j = 0; j < i; j += 2)
			if (!strcmp(deref(map->kids[j])->text, k->text))
				return err_set_at(
				        c->err, ERR_INVALID, c->path, kn->line,
				        kn->col,
				        "duplicate key '%s' (first at line %u)",
				        k->text, map->kids[j]->line);
	}
	if (ptr)
		child = srcmap_child(ptr, k->text);
	rc = charge_ptr(c, child, kn);
	if (!rc)
		rc = convert(c, map->kids[i + 1], child, kn, &v);
	if (!rc && json_object_set_new(obj, k->text, v))
		rc = err_set_at(c->err, ERR_INVALID, c->path, kn->line, kn->col,
		                "key is not valid UTF-8");
	free(child);
	return rc;
}

static int merge_from(struct ctx *c, json_t *obj, const struct ynode *src,
                      const char *ptr);

static int add_members(struct ctx *c, json_t *obj, const struct ynode *map,
                       const char *ptr, int merging)
{
	const struct ynode *merge = NULL;
	int rc = 0;

	for (size_t i = 0; i + 1 < map->n && !rc; i += 2) {
		const struct ynode *k = deref(map->kids[i]);

		if (!is_merge(k)) {
			rc = set_member(c, obj, map, i, ptr, merging);
		} else if (merge && !merging) {
			rc = err_set_at(c->err, ERR_INVALID, c->path,
			                map->kids[i]->line, map->kids[i]->col,
			                "duplicate key '<<' (first at line %u)",
			                merge->line);
		} else if (!merge) {
			merge = map->kids[i];
		}
	}
	if (rc || !merge)
		return rc;
	/* Explicit keys went in first, so they win over merged ones. */
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i] == merge)
			return merge_from(c, obj, map->kids[i + 1], ptr);
	return 0;
}

static int merge_from(struct ctx *c, json_t *obj, const struct ynode *val,
                      const char *ptr)
{
	const struct ynode *src = deref(val);
	int rc = 0;

	if (src->kind == Y_MAP)
		return add_members(c, obj, src, ptr, 1);
	if (src->kind != Y_SEQ)
		return err_set_at(c->err, ERR_INVALID, c->path, val->line,
		                  val->col,
		                  "merge key '<<' needs a mapping or a list of "
		                  "mappings, not a scalar");
	/* Earlier entries of the list win: they are merged first. */
	for (size_t i = 0; i < src->n && !rc; i++) {
		const struct ynode *it = deref(src->kids[i]);

		if (it->kind != Y_MAP)
			return err_set_at(c->err, ERR_INVALID, c->path,
			                  src->kids[i]->line, src->kids[i]->col,
			                  "merge key '<<' list items must be "
			                  "mappings");
		rc = add_members(c, obj, it, ptr, 1);
	}
	return rc;
}

static int convert_seq(struct ctx *c, const struct ynode *n, const char *ptr,
                       json_t *arr)
{
	int rc = 0;

	for (size_t i = 0; i < n->n && !rc; i++) {
		char *child = ptr ? srcmap_index(ptr, i) : NULL;
		json_t *v = NULL;

		rc = charge_ptr(c, child, n->kids[i]);
		if (!rc)
			rc = convert(c, n->kids[i], child, NULL, &v);
		if (!rc)
			json_array_append_new(arr, v);
		free(child);
	}
	return rc;
}

static int convert(struct ctx *c, const struct ynode *n, const char *ptr,
                   const struct ynode *key, json_t **out)
{
	const struct ynode *v = deref(n);
	int rc;

	*out = NULL;
	if (ptr && c->map) {
		struct srcpos pos = {n->line, n->col, 0, 0};

		if (key)
			pos.key_line = key->line, pos.key_col = key->col;
		srcmap_set(c->map, ptr, &pos);
	}
	if (v->kind == Y_SCALAR)
		return resolve(c, v, out);
	*out = v->kind == Y_MAP ? json_object() : json_array();
	if (v->kind == Y_MAP)
		rc = add_members(c, *out, v, ptr, 0);
	else
		rc = convert_seq(c, v, ptr, *out);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- entry point ---- */

static void ctx_release(struct ctx *c)
{
	for (size_t i = 0; i < c->nall; i++) {
		free(c->all[i]->text);
		free(c->all[i]->anchor);
		free(c->all[i]->kids);
		free(c->all[i]);
	}
	free(c->all);
	free(c->stack);
	json_decref(c->anchors);
}

/* Sets the budgets, checks the bytes and builds the node tree. */
static int ctx_load(struct ctx *c, const struct yamldoc_limits *limits)
{
	size_t max_bytes = limits ? limits->max_bytes : 0;
	int rc;

	c->max_depth = limits && limits->max_depth ? limits->max_depth
	                                           : YAMLDOC_MAX_DEPTH;
	c->max_nodes = limits && limits->max_nodes ? limits->max_nodes
	                                           : YAMLDOC_MAX_NODES;
	if (!max_bytes)
		max_bytes = YAMLDOC_MAX_BYTES;
	/* Expansion may cost 16 times the input, and never less than 1 MiB. */
	c->max_expand = max_bytes > SIZE_MAX / 16 ? SIZE_MAX : max_bytes * 16;
	if (c->max_expand < (1u << 20))
		c->max_expand = 1u << 20;
	if (c->len > max_bytes)
		return err_set_at(c->err, ERR_TOOBIG, c->path, 0, 0,
		                  "file is %zu bytes; the limit is %zu", c->len,
		                  max_bytes);
	if (c->len >= 3 && !memcmp(c->data, "\xef\xbb\xbf", 3))
		c->bom = c->cur_byte = 3;
	c->anchors = json_object();
	if ((rc = check_bytes(c)))
		return rc;
	return parse_events(c);
}

int yamldoc_parse(struct json_t **out, struct srcmap **map_out,
                  const char *data, size_t len, const char *path,
                  const struct yamldoc_limits *limits, struct err *err)
{
	struct ctx c = {.data = data ? data : "",
	                .len = data ? len : 0,
	                .path = path,
	                .err = err};
	json_t *doc = NULL;
	int rc;

	*out = NULL;
	if (map_out)
		*map_out = NULL;
	if ((rc = ctx_load(&c, limits)))
		goto out;
	if (map_out)
		c.map = srcmap_new(path);
	if (!c.root)
		doc = json_null();
	else if ((rc = convert(&c, c.root, c.map ? "" : NULL, NULL, &doc)))
		goto out;
	*out = doc;
	if (map_out)
		*map_out = c.map;
	c.map = NULL;
out:
	srcmap_free(c.map);
	ctx_release(&c);
	return rc;
}

/* ---- spans: the node tree as written, for yamledit ---- */

struct spans {
	struct yamldoc_span *v;
	size_t n, alloc;
};

static size_t span_add(struct spans *l, const struct ynode *n, char *ptr,
                       const struct ynode *key, size_t parent)
{
	struct yamldoc_span *s;

	ALLOC_GROW(l->v, l->n + 1, l->alloc);
	s = &l->v[l->n];
	memset(s, 0, sizeof(*s));
	s->pointer = ptr;
	s->kind = n->kind == Y_SCALAR ? YAMLDOC_SCALAR
	          : n->kind == Y_SEQ  ? YAMLDOC_SEQUENCE
	          : n->kind == Y_MAP  ? YAMLDOC_MAPPING
	                              : YAMLDOC_ALIAS;
	s->style = n->kind == Y_ALIAS ? YAMLDOC_PLAIN : n->style;
	s->pstart = n->pstart;
	s->start = n->start;
	s->end = n->end;
	s->key_start = key ? key->pstart : SIZE_MAX;
	s->key_end = key ? key->end : SIZE_MAX;
	s->parent = parent;
	if (n->kind == Y_ALIAS)
		s->anchor = xstrdup(n->text);
	else if (n->anchor)
		s->anchor = xstrdup(n->anchor);
	return l->n++;
}

/* Records n and, unless it is an alias, what is written inside it. */
static void span_walk(struct spans *l, const struct ynode *n, char *ptr,
                      const struct ynode *key, size_t parent)
{
	size_t self = span_add(l, n, ptr, key, parent);

	if (n->kind == Y_SEQ)
		for (size_t i = 0; i < n->n; i++)
			span_walk(l, n->kids[i], srcmap_index(ptr, i), NULL,
			          self);
	if (n->kind != Y_MAP)
		return;
	for (size_t i = 0; i + 1 < n->n; i += 2) {
		const struct ynode *k = deref(n->kids[i]);

		if (is_merge(k)) {
			/* Not a member: its value is only marked, not walked.
			 */
			size_t m = span_add(l, n->kids[i + 1],
			                    srcmap_child(ptr, "<<"), n->kids[i],
			                    self);
			l->v[m].merge = 1;
			continue;
		}
		span_walk(l, n->kids[i + 1], srcmap_child(ptr, k->text),
		          n->kids[i], self);
	}
}

int yamldoc_spans(struct yamldoc_span **out, size_t *n, const char *data,
                  size_t len, const char *path, struct err *err)
{
	struct ctx c = {.data = data ? data : "",
	                .len = data ? len : 0,
	                .path = path,
	                .err = err};
	struct spans l = {0};
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = ctx_load(&c, NULL)))
		goto out;
	if (c.root)
		span_walk(&l, c.root, xstrdup(""), NULL, SIZE_MAX);
	*out = l.v;
	*n = l.n;
out:
	ctx_release(&c);
	return rc;
}

void yamldoc_spans_free(struct yamldoc_span *spans, size_t n)
{
	for (size_t i = 0; spans && i < n; i++) {
		free(spans[i].pointer);
		free(spans[i].anchor);
	}
	free(spans);
}
