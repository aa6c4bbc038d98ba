/*
 * dotenv.c: the .env parser declared in dotenv.h.
 */
#include <ctype.h>
#include <jansson.h>

#include "buf.h"
#include "dotenv.h"
#include "err.h"

static int valid_name(const char *s, size_t n)
{
	if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '.' && s[i] != '-')
			return 0;
	return 1;
}

/* Unquotes a value; returns 0, or -1 when a quote is not closed. */
static int unquote(struct buf *out, const char *v, size_t n)
{
	char q = n ? v[0] : 0;
	size_t i;

	if (q != '"' && q != '\'') {
		/* Unquoted: an inline comment starts at " #". */
		for (i = 0; i < n; i++)
			if (v[i] == '#' && i > 0 &&
			    isspace((unsigned char)v[i - 1]))
				break;
		while (i > 0 && isspace((unsigned char)v[i - 1]))
			i--;
		return buf_add(out, v, i) ? -1 : 0;
	}
	for (i = 1; i < n && v[i] != q; i++) {
		char c = v[i];

		if (q == '"' && c == '\\' && i + 1 < n) {
			c = v[++i];
			c = c == 'n'   ? '\n'
			    : c == 't' ? '\t'
			    : c == 'r' ? '\r'
			               : c;
		}
		if (buf_addch(out, c))
			return -1;
	}
	return i < n ? 0 : -1;
}

static int set_var(json_t *obj, const char *name, size_t n,
                   const struct buf *val)
{
	json_t *s = json_stringn(buf_cstr(val), val->len);
	char *key;

	if (!s)
		return -1;
	key = xstrndup(name, n);
	json_object_set_new(obj, key, s);
	free(key);
	return 0;
}

int dotenv_parse(json_t **out, const char *data, size_t len, const char *path,
                 struct err *err)
{
	json_t *obj = json_object();
	struct buf val = BUF_INIT;
	unsigned lineno = 0;
	size_t pos = 0;
	int error = 0;

	while (pos < len) {
		const char *line = data + pos, *eq, *end, *vstart;
		size_t n, klen;

		end = memchr(line, '\n', len - pos);
		n = end ? (size_t)(end - line) : len - pos;
		pos += n + (end ? 1 : 0);
		lineno++;
		while (n && isspace((unsigned char)line[n - 1]))
			n--;
		while (n && isspace((unsigned char)*line)) {
			line++;
			n--;
		}
		if (!n || line[0] == '#')
			continue;
		if (n > 7 && !memcmp(line, "export ", 7)) {
			line += 7;
			n -= 7;
		}
		eq = memchr(line, '=', n);
		/* "KEY = value" is accepted, as compose's .env reader does. */
		klen = eq ? (size_t)(eq - line) : 0;
		while (klen && isspace((unsigned char)line[klen - 1]))
			klen--;
		if (!eq || !valid_name(line, klen)) {
			error = err_set_at(
			        err, ERR_INVALID, path, lineno, 1,
			        "expected KEY=VALUE, with a variable "
			        "name before '='");
			goto out;
		}
		buf_reset(&val);
		vstart = eq + 1;
		while (vstart < line + n && (*vstart == ' ' || *vstart == '\t'))
			vstart++;
		if (unquote(&val, vstart, n - (size_t)(vstart - line))) {
			error = err_set_at(err, ERR_INVALID, path, lineno,
			                   (unsigned)(eq - line) + 2,
			                   "unterminated quoted value");
			goto out;
		}
		if (set_var(obj, line, klen, &val)) {
			error = err_set_at(err, ERR_INVALID, path, lineno, 1,
			                   "value is not valid UTF-8");
			goto out;
		}
	}
out:
	buf_release(&val);
	if (error) {
		json_decref(obj);
		return error;
	}
	*out = obj;
	return 0;
}
