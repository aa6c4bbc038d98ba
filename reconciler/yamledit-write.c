/*
 * yamledit-write.c: JSON values written as YAML text, for yamledit.c.
 *
 * Owns: how a new value looks in the file: block style at a given
 * column (or flow style inside braces), the file's line endings and
 * indentation step, and the quoting of scalars: plain when the loader
 * reads the plain text back as the same string, else the quoting the old
 * value had when it can hold the new one, else double quotes with
 * escapes; multi-line strings as literal blocks where one was. Does not
 * own: where the text goes (yamledit.c), parsing (yamldoc.c).
 */
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "yamldoc.h"
#include "yamledit-int.h"
#include "util.h"

/* Loads text and returns its document, or NULL when it does not load. */
static json_t *load_quiet(const char *text, size_t len)
{
	json_t *doc = NULL;

	if (yamldoc_parse(&doc, NULL, text, len, "", NULL, NULL))
		return NULL;
	return doc;
}

/*
 * True when s can be written without quotes: asks the loader what
 * "k: s" (or "[s]" in a flow collection) reads as, which covers every
 * rule (types, indicators, ": " and " #", spaces at the ends).
 */
static int plain_ok(const char *s, size_t n, int flow, int key)
{
	struct buf b = BUF_INIT;
	json_t *doc, *v = NULL;
	int ok = 0;

	if (!n || memchr(s, '\n', n) || memchr(s, '\r', n) ||
	    memchr(s, '\t', n))
		return 0;
	ye_puts(&b, flow ? "[{" : "");
	if (key) {
		ye_put(&b, s, n);
		ye_puts(&b, ": x");
	} else {
		ye_puts(&b, "k: ");
		ye_put(&b, s, n);
	}
	ye_puts(&b, flow ? "}]" : "");
	doc = load_quiet(b.ptr, b.len);
	if (flow)
		v = json_array_get(doc, 0);
	else
		v = doc;
	if (json_is_object(v) && json_object_size(v) == 1) {
		const char *k = json_object_iter_key(json_object_iter(v));
		json_t *val = json_object_iter_value(json_object_iter(v));

		ok = key ? strlen(k) == n && !memcmp(k, s, n) &&
		                     json_is_string(val)
		         : json_is_string(val) &&
		                     json_string_length(val) == n &&
		                     !memcmp(json_string_value(val), s, n);
	}
	json_decref(doc);
	buf_release(&b);
	return ok;
}

/* True when the character at u (n bytes left) needs an escape. */
static int needs_escape(const unsigned char *u, size_t n)
{
	if (u[0] < 0x20 || u[0] == 0x7f)
		return 1;
	if (u[0] == 0xc2 && n > 1 && u[1] == 0x85)
		return 1; /* NEL, a line break to YAML */
	if (u[0] == 0xe2 && n > 2 && u[1] == 0x80 && (u[2] & 0xfe) == 0xa8)
		return 1; /* line and paragraph separators */
	return u[0] == 0xef && n > 2 && u[1] == 0xbb && u[2] == 0xbf;
}

static int single_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (needs_escape((const unsigned char *)s + i, n - i))
			return 0;
	return 1;
}

static void put_single(struct buf *b, const char *s, size_t n)
{
	ye_put(b, "'", 1);
	for (size_t i = 0; i < n; i++)
		ye_put(b, s[i] == '\'' ? "''" : s + i, s[i] == '\'' ? 2 : 1);
	ye_put(b, "'", 1);
}

static const char *escape_of(const unsigned char *u, size_t n, size_t *w)
{
	*w = 1;
	switch (u[0]) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\t':
		return "\\t";
	case '\r':
		return "\\r";
	case '\0':
		return "\\0";
	}
	if (u[0] == 0xc2 && n > 1 && u[1] == 0x85)
		return *w = 2, "\\N";
	if (u[0] == 0xe2 && n > 2 && u[1] == 0x80 && u[2] == 0xa8)
		return *w = 3, "\\L";
	if (u[0] == 0xe2 && n > 2 && u[1] == 0x80 && u[2] == 0xa9)
		return *w = 3, "\\P";
	if (u[0] == 0xef && n > 2 && u[1] == 0xbb && u[2] == 0xbf)
		return *w = 3, "\\uFEFF";
	return NULL;
}

static void put_double(struct buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	char hex[8];
	size_t w;

	ye_put(b, "\"", 1);
	for (size_t i = 0; i < n; i += w) {
		const char *x = escape_of(u + i, n - i, &w);

		if (x) {
			ye_puts(b, x);
		} else if (u[i] < 0x20 || u[i] == 0x7f) {
			snprintf(hex, sizeof(hex), "\\x%02x", u[i]);
			ye_puts(b, hex);
		} else {
			ye_put(b, s + i, 1);
		}
	}
	ye_put(b, "\"", 1);
}

/*
 * True when s can be a literal block scalar ("|" or "|-") whose indentation
 * is found from its first line: several lines, at most one line break at
 * the end, no carriage returns or other control characters.
 */
int ye_literal_ok(const char *s, size_t n)
{
	size_t last;

	if (!n || !memchr(s, '\n', n) || s[0] == ' ' ||
	    (n > 1 && s[n - 1] == '\n' && s[n - 2] == '\n'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '\n' && s[i] != '\t' &&
		    needs_escape((const unsigned char *)s + i, n - i))
			return 0;
	last = n - (s[n - 1] == '\n');
	while (last > 0 && s[last - 1] == ' ')
		last--;
	return last > 0 && s[last - 1] != '\n';
}

/* A literal block scalar whose lines are at column in; no final break. */
void ye_literal(struct buf *b, const char *s, size_t n, unsigned in,
                const char *nl)
{
	int clip = s[n - 1] == '\n';

	ye_puts(b, clip ? " |" : " |-");
	n -= clip;
	for (size_t i = 0; i <= n;) {
		const char *eol = memchr(s + i, '\n', n - i);
		size_t w = eol ? (size_t)(eol - s) - i : n - i;

		ye_puts(b, nl);
		if (w)
			ye_spaces(b, in);
		ye_put(b, s + i, w);
		i += w + 1;
	}
}

void ye_string(struct buf *b, const char *s, size_t n, enum yamldoc_style keep,
               int flow, int key)
{
	if (keep == YAMLDOC_SINGLE && single_ok(s, n))
		put_single(b, s, n);
	else if (keep != YAMLDOC_DOUBLE && plain_ok(s, n, flow, key))
		ye_put(b, s, n);
	else
		put_double(b, s, n);
}

static void put_real(struct buf *b, double d)
{
	char s[64];

	for (int prec = 15; prec <= 17; prec++) {
		snprintf(s, sizeof(s), "%.*g", prec, d);
		if (strtod(s, NULL) == d)
			break;
	}
	ye_puts(b, s);
	if (!strpbrk(s, ".eE"))
		ye_puts(b, ".0");
}

/* A scalar, or an empty collection ("{}", "[]"). */
void ye_scalar(struct buf *b, const json_t *v, enum yamldoc_style keep,
               int flow)
{
	char num[32];

	switch (json_typeof(v)) {
	case JSON_STRING:
		ye_string(b, json_string_value(v), json_string_length(v), keep,
		          flow, 0);
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		         json_integer_value(v));
		ye_puts(b, num);
		break;
	case JSON_REAL:
		put_real(b, json_real_value(v));
		break;
	case JSON_TRUE:
		ye_puts(b, "true");
		break;
	case JSON_FALSE:
		ye_puts(b, "false");
		break;
	case JSON_OBJECT:
		ye_puts(b, "{}");
		break;
	case JSON_ARRAY:
		ye_puts(b, "[]");
		break;
	default:
		ye_puts(b, "null");
	}
}

void ye_key(struct buf *b, const char *key)
{
	ye_string(b, key, strlen(key), YAMLDOC_PLAIN, 0, 1);
}

int ye_is_block(const json_t *v)
{
	return (json_is_object(v) && json_object_size(v)) ||
	       (json_is_array(v) && json_array_size(v));
}

void ye_flow(struct buf *b, const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;
	int first = 1;

	if (json_is_object(v)) {
		ye_put(b, "{", 1);
		json_object_foreach ((json_t *)v, k, x) {
			ye_puts(b, first ? "" : ", ");
			ye_string(b, k, strlen(k), YAMLDOC_PLAIN, 1, 1);
			ye_puts(b, ": ");
			ye_flow(b, x);
			first = 0;
		}
		ye_put(b, "}", 1);
	} else if (json_is_array(v)) {
		ye_put(b, "[", 1);
		json_array_foreach (v, i, x) {
			ye_puts(b, i ? ", " : "");
			ye_flow(b, x);
		}
		ye_put(b, "]", 1);
	} else {
		ye_scalar(b, v, YAMLDOC_PLAIN, 1);
	}
}

/* A value after "key:" or "-" (mode) whose line starts at column col. */
void ye_value(struct buf *b, const json_t *v, enum ye_mode mode, unsigned col,
              const struct ye_layout *lay)
{
	unsigned in;

	if (!ye_is_block(v)) {
		ye_puts(b, mode == YE_ROOT || mode == YE_FLOW_ITEM ? "" : " ");
		ye_scalar(b, v, YAMLDOC_PLAIN, 0);
		return;
	}
	if (mode == YE_ITEM) {
		ye_put(b, " ", 1);
		ye_block(b, v, col + 2, lay);
		return;
	}
	if (mode == YE_ROOT) {
		ye_block(b, v, col, lay);
		return;
	}
	in = col + (json_is_object(v) ? lay->step : lay->seq_step);
	ye_puts(b, lay->nl);
	ye_spaces(b, in);
	ye_block(b, v, in, lay);
}

/*
 * A non-empty collection in block style at column col, the cursor
 * already there (the first line's indentation is written by the caller).
 */
void ye_block(struct buf *b, const json_t *v, unsigned col,
              const struct ye_layout *lay)
{
	const char *k;
	json_t *x;
	size_t i = 0;

	if (json_is_array(v)) {
		json_array_foreach (v, i, x) {
			if (i) {
				ye_puts(b, lay->nl);
				ye_spaces(b, col);
			}
			ye_put(b, "-", 1);
			ye_value(b, x, YE_ITEM, col, lay);
		}
		return;
	}
	json_object_foreach ((json_t *)v, k, x) {
		if (i++) {
			ye_puts(b, lay->nl);
			ye_spaces(b, col);
		}
		ye_key(b, k);
		ye_put(b, ":", 1);
		ye_value(b, x, YE_MEMBER, col, lay);
	}
}
