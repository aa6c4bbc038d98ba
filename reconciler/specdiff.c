/*
 * specdiff.c: structural diff of canonical specs (specdiff.h).
 *
 * Owns: matching keyed lists by key, rendering values compactly and
 * hiding config/secret data behind its hash, Env values behind theirs and
 * URL credentials behind "***" when shown. Does not own: making the two
 * sides comparable (normalize.c).
 */
#include <ctype.h>
#include <jansson.h>

#include "buf.h"
#include "hash.h"
#include "specdiff.h"

static char *render(const json_t *v, const char *name)
{
	char hash[HASH_HEX_LEN + 1];
	const char *s;
	char *r;
	size_t i;

	if (!v)
		return NULL;
	if (json_is_string(v) && name && !strcmp(name, "Data")) {
		hash_sha256_hex(hash, json_string_value(v),
		                json_string_length(v));
		return xasprintf("(data sha256:%.12s)", hash);
	}
	if (json_is_string(v)) {
		s = json_string_value(v);
		for (i = 0; s[i]; i++)
			if (isspace((unsigned char)s[i]) || s[i] == '"' ||
			    s[i] == '\\' || (unsigned char)s[i] < 0x20)
				break;
		if (i && !s[i] && i == json_string_length(v))
			return xstrdup(s);
	}
	r = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
	return r ? r : xstrdup("?");
}

static void add(struct specdiff_list *l, enum specdiff_kind kind,
                const char *path, const json_t *a, const json_t *b,
                const char *name)
{
	struct specdiff_change *c;

	ALLOC_GROW(l->items, l->nr + 1, l->alloc);
	c = &l->items[l->nr++];
	c->kind = kind;
	c->path = xstrdup(*path ? path : "(root)");
	c->old_val = render(a, name);
	c->new_val = render(b, name);
}

static void diff(struct specdiff_list *l, const char *path, const char *name,
                 const json_t *a, const json_t *b);

/* The key an element of the list `name` is matched by; caller frees. */
static char *elem_key(const char *name, const json_t *e)
{
	const char *s;

	if (!strcmp(name, "Env") && json_is_string(e)) {
		s = json_string_value(e);
		return xstrndup(s, strcspn(s, "="));
	}
	if (!json_is_object(e))
		return NULL;
	if (!strcmp(name, "Mounts") || !strcmp(name, "Networks"))
		s = json_string_value(json_object_get(e, "Target"));
	else if (!strcmp(name, "Secrets"))
		s = json_string_value(json_object_get(e, "SecretName"));
	else if (!strcmp(name, "Configs"))
		s = json_string_value(json_object_get(e, "ConfigName"));
	else if (!strcmp(name, "Ulimits"))
		s = json_string_value(json_object_get(e, "Name"));
	else if (!strcmp(name, "Ports"))
		return json_object_get(e, "PublishedPort")
		               ? xasprintf("%" JSON_INTEGER_FORMAT "/%s",
		                           json_integer_value(json_object_get(
		                                   e, "PublishedPort")),
		                           json_string_value(json_object_get(
		                                   e, "Protocol"))
		                                   ?: "tcp")
		               : xasprintf("target %" JSON_INTEGER_FORMAT "/%s",
		                           json_integer_value(json_object_get(
		                                   e, "TargetPort")),
		                           json_string_value(json_object_get(
		                                   e, "Protocol"))
		                                   ?: "tcp");
	else
		return NULL;
	return s ? xstrdup(s) : NULL;
}

/* key → element; NULL when some element has no key or keys repeat. */
static json_t *keyed(const char *name, const json_t *arr)
{
	json_t *m = json_object(), *e;
	size_t i;
	char *k;

	json_array_foreach (arr, i, e) {
		k = elem_key(name, e);
		if (!k || json_object_get(m, k)) {
			free(k);
			json_decref(m);
			return NULL;
		}
		json_object_set(m, k, e);
		free(k);
	}
	return m;
}

/* The value part of "K=V" (Env shows values, not whole entries). */
static json_t *env_value(const json_t *e)
{
	const char *s = json_string_value(e), *eq = s ? strchr(s, '=') : NULL;

	return eq ? json_string(eq + 1) : json_string("");
}

static void diff_keyed(struct specdiff_list *l, const char *path,
                       const char *name, json_t *ma, json_t *mb)
{
	const char *k;
	json_t *va, *vb, *x, *y;
	char *p;
	int env = !strcmp(name, "Env");

	json_object_foreach (ma, k, va) {
		vb = json_object_get(mb, k);
		p = xasprintf("%s[%s]", path, k);
		x = env ? env_value(va) : json_incref(va);
		y = vb ? (env ? env_value(vb) : json_incref(vb)) : NULL;
		diff(l, p, NULL, x, y);
		json_decref(x);
		json_decref(y);
		free(p);
	}
	json_object_foreach (mb, k, vb) {
		if (json_object_get(ma, k))
			continue;
		p = xasprintf("%s[%s]", path, k);
		y = env ? env_value(vb) : json_incref(vb);
		diff(l, p, NULL, NULL, y);
		json_decref(y);
		free(p);
	}
}

static int all_scalars(const json_t *arr)
{
	const json_t *e;
	size_t i;

	json_array_foreach (arr, i, e)
		if (json_is_object(e) || json_is_array(e))
			return 0;
	return 1;
}

static void diff_arrays(struct specdiff_list *l, const char *path,
                        const char *name, const json_t *a, const json_t *b)
{
	json_t *ma = name ? keyed(name, a) : NULL;
	json_t *mb = ma ? keyed(name, b) : NULL;
	size_t i;
	char *p;

	if (ma && mb) {
		diff_keyed(l, path, name, ma, mb);
	} else if (json_array_size(a) != json_array_size(b) ||
	           (all_scalars(a) && all_scalars(b))) {
		add(l, SPECDIFF_CHANGE, path, a, b, name);
	} else {
		for (i = 0; i < json_array_size(a); i++) {
			p = xasprintf("%s[%zu]", path, i);
			diff(l, p, NULL, json_array_get(a, i),
			     json_array_get(b, i));
			free(p);
		}
	}
	json_decref(ma);
	json_decref(mb);
}

static int cmp_key(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static void diff_objects(struct specdiff_list *l, const char *path,
                         const json_t *a, const json_t *b)
{
	size_t n = json_object_size(a) + json_object_size(b), k = 0, i;
	const char **keys = xcalloc(n + 1, sizeof(*keys)), *key;
	json_t *v;
	char *p;

	json_object_foreach ((json_t *)a, key, v)
		keys[k++] = key;
	json_object_foreach ((json_t *)b, key, v)
		if (!json_object_get(a, key))
			keys[k++] = key;
	qsort(keys, k, sizeof(*keys), cmp_key);
	for (i = 0; i < k; i++) {
		p = *path ? xasprintf("%s.%s", path, keys[i])
		          : xstrdup(keys[i]);
		diff(l, p, keys[i], json_object_get(a, keys[i]),
		     json_object_get(b, keys[i]));
		free(p);
	}
	free(keys);
}

static void diff(struct specdiff_list *l, const char *path, const char *name,
                 const json_t *a, const json_t *b)
{
	if (!a && !b)
		return;
	if (!a)
		add(l, SPECDIFF_ADD, path, NULL, b, name);
	else if (!b)
		add(l, SPECDIFF_REMOVE, path, a, NULL, name);
	else if (json_is_object(a) && json_is_object(b))
		diff_objects(l, path, a, b);
	else if (json_equal((json_t *)a, (json_t *)b))
		return;
	else if (json_is_array(a) && json_is_array(b))
		diff_arrays(l, path, name, a, b);
	else
		add(l, SPECDIFF_CHANGE, path, a, b, name);
}

int specdiff(struct specdiff_list *out, const json_t *old,
             const json_t *new_val)
{
	diff(out, "", NULL, old, new_val);
	return 0;
}

void specdiff_list_free(struct specdiff_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->nr; i++) {
		free(l->items[i].path);
		free(l->items[i].old_val);
		free(l->items[i].new_val);
	}
	free(l->items);
	l->items = NULL;
	l->nr = l->alloc = 0;
}

/* True when path names an Env variable or the whole Env list. */
static int is_env_path(const char *path)
{
	for (const char *p = path; (p = strstr(p, "Env")); p += 3) {
		int start = p == path || p[-1] == '.';

		if (start && (p[3] == '[' || p[3] == '\0' || p[3] == '.'))
			return 1;
	}
	return 0;
}

static int is_scheme_char(char c)
{
	return isalnum((unsigned char)c) || c == '+' || c == '-' || c == '.';
}

/* Appends s with the userinfo of every "scheme://userinfo@" hidden. */
static void redact_urls(struct buf *out, const char *s)
{
	const char *p = s, *sep;

	while ((sep = strstr(p, "://"))) {
		const char *ui = sep + 3, *end = ui, *at, *colon;

		/* A scheme is letters first: "a://" counts, "://" alone not. */
		if (sep == s || !is_scheme_char(sep[-1])) {
			if (buf_add(out, p, (size_t)(ui - p)))
				BUG("uncapped buffer refused to grow");
			p = ui;
			continue;
		}
		end += strcspn(ui, "/?#@ \t\n\"'");
		at = *end == '@' ? end : NULL;
		if (buf_add(out, p, (size_t)(ui - p)))
			BUG("uncapped buffer refused to grow");
		p = ui;
		if (!at)
			continue;
		colon = memchr(ui, ':', (size_t)(at - ui));
		if (colon && buf_add(out, ui, (size_t)(colon - ui) + 1))
			BUG("uncapped buffer refused to grow");
		if (buf_addstr(out, "***@"))
			BUG("uncapped buffer refused to grow");
		p = at + 1;
	}
	if (buf_addstr(out, p))
		BUG("uncapped buffer refused to grow");
}

char *specdiff_shown(const char *path, const char *val, unsigned flags)
{
	char hash[HASH_HEX_LEN + 1];
	struct buf b = BUF_INIT;

	if (!val)
		return NULL;
	if (!(flags & SPECDIFF_SHOW_ENV) && path && is_env_path(path)) {
		hash_sha256_hex(hash, val, strlen(val));
		return xasprintf("(env sha256:%.12s)", hash);
	}
	redact_urls(&b, val);
	return buf_detach(&b, NULL);
}

char *specdiff_format(const struct specdiff_list *l, unsigned flags)
{
	struct buf b = BUF_INIT;
	const struct specdiff_change *c;
	size_t i;
	int rc = 0;

	for (i = 0; i < l->nr && !rc; i++) {
		char *o, *n;

		c = &l->items[i];
		o = specdiff_shown(c->path, c->old_val, flags);
		n = specdiff_shown(c->path, c->new_val, flags);
		if (c->kind == SPECDIFF_ADD)
			rc = buf_addf(&b, "+ %s: %s\n", c->path, n);
		else if (c->kind == SPECDIFF_REMOVE)
			rc = buf_addf(&b, "- %s: %s\n", c->path, o);
		else
			rc = buf_addf(&b, "~ %s: %s -> %s\n", c->path, o, n);
		free(o);
		free(n);
	}
	if (rc)
		BUG("uncapped buffer refused to grow");
	return buf_detach(&b, NULL);
}
