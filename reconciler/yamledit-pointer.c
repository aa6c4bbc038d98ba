/*
 * yamledit-pointer.c: JSON Pointers and the document an edit means.
 *
 * Owns: splitting a pointer (RFC 6901) into its tokens, and applying a
 * set or a remove to a copy of the loaded document, which is what the
 * edited text must load to. The messages a caller sees for a path that
 * does not exist come from here ("'/services/api/image' is a string, not
 * a mapping"). Does not own: the text (yamledit.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "yamledit-int.h"
#include "util.h"

void ye_tokens_free(struct ye_tokens *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	free(t->off);
	memset(t, 0, sizeof(*t));
}

int ye_pointer_split(const char *p, struct ye_tokens *t, struct err *err)
{
	size_t i = 0;

	memset(t, 0, sizeof(*t));
	if (*p && *p != '/')
		return err_set(err, ERR_INVALID,
		               "'%s' is not a JSON Pointer (it must start with "
		               "'/')",
		               p);
	while (p[i]) {
		struct buf tok = BUF_INIT;
		size_t at = i++;

		for (; p[i] && p[i] != '/'; i++) {
			if (p[i] == '~' && (p[i + 1] == '0' || p[i + 1] == '1'))
				ye_put(&tok, p[++i] == '0' ? "~" : "/", 1);
			else if (p[i] == '~')
				break;
			else
				ye_put(&tok, p + i, 1);
		}
		t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
		t->off = xrealloc(t->off, (t->n + 1) * sizeof(*t->off));
		t->off[t->n] = at;
		t->v[t->n++] = tok.ptr ? buf_detach(&tok, NULL) : xstrdup("");
		if (p[i] == '~') {
			ye_tokens_free(t);
			return err_set(err, ERR_INVALID,
			               "'%s': '~' must be followed by 0 or 1",
			               p);
		}
	}
	return 0;
}

/* The pointer made of the first n tokens of p. Caller frees. */
static char *prefix(const char *p, const struct ye_tokens *t, size_t n)
{
	return xstrndup(p, n < t->n ? t->off[n] : strlen(p));
}

static int parse_index(const char *tok, size_t size, size_t *out)
{
	char *end;
	unsigned long long v;

	if (!*tok || (tok[0] == '0' && tok[1]) || *tok < '0' || *tok > '9')
		return -1;
	errno = 0;
	v = strtoull(tok, &end, 10);
	if (*end || errno || v >= size)
		return -1;
	*out = (size_t)v;
	return 0;
}

static const char *type_name(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_OBJECT:
		return "a mapping";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/*
 * Steps from cur into token i of t; creates a missing or null member as
 * a mapping when create is set. NULL with err set when there is no way.
 */
static json_t *step_into(json_t *cur, const char *p, const struct ye_tokens *t,
                         size_t i, int create, struct err *err)
{
	const char *tok = t->v[i];
	json_t *next = NULL;
	size_t idx;
	char *at = prefix(p, t, i);

	if (json_is_object(cur)) {
		next = json_object_get(cur, tok);
		if (create && (!next || json_is_null(next))) {
			next = json_object();
			json_object_set_new(cur, tok, next);
		}
		if (!next)
			err_set(err, ERR_NOTFOUND, "'%s' has no member '%s'",
			        *at ? at : "/", tok);
	} else if (json_is_array(cur)) {
		if (parse_index(tok, json_array_size(cur), &idx)) {
			err_set(err, ERR_NOTFOUND, "'%s' has no item '%s'",
			        *at ? at : "/", tok);
		} else {
			if (create && json_is_null(json_array_get(cur, idx)))
				json_array_set_new(cur, idx, json_object());
			next = json_array_get(cur, idx);
		}
	} else {
		err_set(err, ERR_NOTFOUND, "'%s' is %s, not a mapping",
		        *at ? at : "/", type_name(cur));
	}
	free(at);
	return next;
}

/* Applies the set to want (a copy of the document). */
int ye_want_set(json_t **want, const char *p, const struct ye_tokens *t,
                const json_t *v, struct err *err)
{
	json_t *cur;
	const char *last;

	if (!t->n || json_is_null(*want)) {
		json_decref(*want);
		*want = t->n ? json_object() : json_deep_copy(v);
		if (!t->n)
			return 0;
	}
	cur = *want;
	for (size_t i = 0; i + 1 < t->n; i++)
		if (!(cur = step_into(cur, p, t, i, 1, err)))
			return err ? err->code : ERR_NOTFOUND;
	last = t->v[t->n - 1];
	if (json_is_object(cur)) {
		json_object_set_new(cur, last, json_deep_copy(v));
	} else if (json_is_array(cur) && !strcmp(last, "-")) {
		json_array_append_new(cur, json_deep_copy(v));
	} else if (json_is_array(cur)) {
		size_t idx;
		char *at = prefix(p, t, t->n - 1);
		int rc = 0;

		if (parse_index(last, json_array_size(cur), &idx))
			rc = err_set(err, ERR_NOTFOUND, "'%s' has no item '%s'",
			             *at ? at : "/", last);
		else
			json_array_set_new(cur, idx, json_deep_copy(v));
		free(at);
		return rc;
	} else {
		char *at = prefix(p, t, t->n - 1);
		int rc = err_set(err, ERR_NOTFOUND, "'%s' is %s, not a mapping",
		                 *at ? at : "/", type_name(cur));

		free(at);
		return rc;
	}
	return 0;
}

/* The value at the first n tokens of t in want ("-": the last item). */
const json_t *ye_want_at(const json_t *want, const struct ye_tokens *t,
                         size_t n)
{
	for (size_t i = 0; i < n && want; i++) {
		if (json_is_object(want))
			want = json_object_get(want, t->v[i]);
		else if (!strcmp(t->v[i], "-"))
			want = json_array_get(want, json_array_size(want) - 1);
		else
			want = json_array_get(want, strtoul(t->v[i], NULL, 10));
	}
	return want;
}

/* Removes the last token of t from want; ERR_NOTFOUND when absent. */
int ye_want_remove(json_t *want, const char *p, const struct ye_tokens *t,
                   struct err *err)
{
	json_t *cur = want;
	const char *last = t->v[t->n - 1];
	size_t idx;

	for (size_t i = 0; i + 1 < t->n; i++)
		if (!(cur = step_into(cur, p, t, i, 0, err)))
			return err ? err->code : ERR_NOTFOUND;
	if (json_is_object(cur) && !json_object_del(cur, last))
		return 0;
	if (json_is_array(cur) &&
	    !parse_index(last, json_array_size(cur), &idx))
		return json_array_remove(cur, idx), 0;
	return err_set(err, ERR_NOTFOUND, "there is nothing at '%s'", p);
}
