/*
 * schema.c: loading JSON Schema documents and resolving references.
 *
 * Owns: the set of documents (struct schema), indexing each one when it is
 * added ($id and $anchor registrations, every $ref resolved against the
 * base URI in force where it is written, every pattern compiled), RFC 3986
 * reference resolution and JSON Pointer fragments. Does not own: applying
 * keywords to an instance (schema-validate.c) or formats and regexes
 * (schema-format.c).
 */
#include <dirent.h>
#include <regex.h>

#include <jansson.h>

#include "schema-int.h"
#include "buf.h"
#include "err.h"

/* A schema file is ours, not outside input, but a cap costs nothing. */
#define SCHEMA_FILE_MAX (16u << 20)
/* Nesting of a schema document itself. */
#define SCHEMA_WALK_MAX 512

/* ---- a small hash table ------------------------------------------------ */

static size_t stab_hash(const void *key, size_t klen)
{
	const unsigned char *p = key;
	uint64_t h = 1469598103934665603ull;

	while (klen--) {
		h ^= *p++;
		h *= 1099511628211ull;
	}
	return (size_t)(h ^ (h >> 29));
}

static struct stab_ent *stab_slot(const struct stab *t, const void *key,
                                  size_t klen)
{
	size_t i = stab_hash(key, klen) & (t->cap - 1);

	for (;; i = (i + 1) & (t->cap - 1)) {
		struct stab_ent *e = &t->e[i];

		if (!e->key || (e->klen == klen && !memcmp(e->key, key, klen)))
			return e;
	}
}

void *stab_get(const struct stab *t, const void *key, size_t klen)
{
	struct stab_ent *e;

	if (!t->cap)
		return NULL;
	e = stab_slot(t, key, klen);
	return e->key ? e->val : NULL;
}

static void stab_grow(struct stab *t)
{
	struct stab old = *t;
	size_t i;

	t->cap = old.cap ? old.cap * 2 : 64;
	t->e = xcalloc(t->cap, sizeof(*t->e));
	for (i = 0; i < old.cap; i++) {
		if (old.e[i].key)
			*stab_slot(t, old.e[i].key, old.e[i].klen) = old.e[i];
	}
	free(old.e);
}

void *stab_put(struct stab *t, const void *key, size_t klen, void *val)
{
	struct stab_ent *e;
	void *prev;

	if ((t->nr + 1) * 2 > t->cap)
		stab_grow(t);
	e = stab_slot(t, key, klen);
	if (e->key) {
		prev = e->val;
		e->val = val;
		return prev;
	}
	e->key = xmalloc(klen + 1);
	memcpy(e->key, key, klen);
	e->key[klen] = '\0';
	e->klen = klen;
	e->val = val;
	t->nr++;
	return NULL;
}

void stab_release(struct stab *t, void (*free_val)(void *))
{
	size_t i;

	for (i = 0; i < t->cap; i++) {
		if (!t->e[i].key)
			continue;
		free(t->e[i].key);
		if (free_val)
			free_val(t->e[i].val);
	}
	free(t->e);
	memset(t, 0, sizeof(*t));
}

/* ---- RFC 3986 references ------------------------------------------------ */

struct uri_parts {
	const char *scheme, *auth, *path, *query, *frag;
	size_t scheme_len, auth_len, path_len, query_len;
	int has_auth, has_query, has_frag;
};

static void uri_split(struct uri_parts *u, const char *s)
{
	const char *p = s;

	memset(u, 0, sizeof(*u));
	if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
		size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz"
		                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
		if (p[n] == ':') {
			u->scheme = p;
			u->scheme_len = n;
			p += n + 1;
		}
	}
	if (p[0] == '/' && p[1] == '/') {
		u->has_auth = 1;
		u->auth = p + 2;
		u->auth_len = strcspn(u->auth, "/?#");
		p = u->auth + u->auth_len;
	}
	u->path = p;
	u->path_len = strcspn(p, "?#");
	p += u->path_len;
	if (*p == '?') {
		u->has_query = 1;
		u->query = p + 1;
		u->query_len = strcspn(u->query, "#");
		p = u->query + u->query_len;
	}
	if (*p == '#') {
		u->has_frag = 1;
		u->frag = p + 1;
	}
}

/* RFC 3986 5.2.4, applied to path in place. */
static void remove_dots(char *path)
{
	char *in = path, *out = path;

	while (*in) {
		if (starts_with(in, "../")) {
			in += 3;
		} else if (starts_with(in, "./")) {
			in += 2;
		} else if (starts_with(in, "/./")) {
			in += 2;
		} else if (!strcmp(in, "/.")) {
			in[1] = '\0';
		} else if (starts_with(in, "/../") || !strcmp(in, "/..")) {
			in += 3;
			if (!*in)
				*--in = '/';
			else
				in[0] = '/';
			while (out > path && *--out != '/')
				;
		} else if (!strcmp(in, ".") || !strcmp(in, "..")) {
			break;
		} else {
			do {
				*out++ = *in++;
			} while (*in && *in != '/');
		}
	}
	*out = '\0';
}

static char *merge_path(const struct uri_parts *b, const char *rpath,
                        size_t rlen)
{
	const char *slash;

	if (b->has_auth && b->path_len == 0)
		return xasprintf("/%.*s", (int)rlen, rpath);
	slash = memrchr(b->path, '/', b->path_len);
	if (!slash)
		return xstrndup(rpath, rlen);
	return xasprintf("%.*s%.*s", (int)(slash - b->path + 1), b->path,
	                 (int)rlen, rpath);
}

static char *uri_join(const struct uri_parts *t_scheme,
                      const struct uri_parts *t_auth, const char *path,
                      const struct uri_parts *t_query,
                      const struct uri_parts *r)
{
	struct buf b = BUF_INIT;
	int rc = 0;

	if (t_scheme->scheme)
		rc |= buf_addf(&b, "%.*s:", (int)t_scheme->scheme_len,
		               t_scheme->scheme);
	if (t_auth->has_auth)
		rc |= buf_addf(&b, "//%.*s", (int)t_auth->auth_len,
		               t_auth->auth);
	rc |= buf_addstr(&b, path);
	if (t_query->has_query)
		rc |= buf_addf(&b, "?%.*s", (int)t_query->query_len,
		               t_query->query);
	if (r->has_frag && r->frag[0])
		rc |= buf_addf(&b, "#%s", r->frag);
	if (rc)
		BUG("uncapped buffer failed");
	return buf_detach(&b, NULL);
}

char *schema_uri_resolve(const char *base, const char *ref)
{
	struct uri_parts b, r;
	const struct uri_parts *ts, *ta, *tq;
	char *path, *out;

	uri_split(&b, base ? base : "");
	uri_split(&r, ref);
	ts = r.scheme ? &r : &b;
	if (r.scheme || r.has_auth) {
		ta = &r;
		tq = &r;
		path = xstrndup(r.path, r.path_len);
	} else if (r.path_len == 0) {
		ta = &b;
		tq = r.has_query ? &r : &b;
		path = xstrndup(b.path, b.path_len);
	} else {
		ta = &b;
		tq = &r;
		if (r.path[0] == '/')
			path = xstrndup(r.path, r.path_len);
		else
			path = merge_path(&b, r.path, r.path_len);
	}
	if (ts->scheme || ta->has_auth)
		remove_dots(path);
	out = uri_join(ts, ta, path, tq, &r);
	free(path);
	return out;
}

/* ---- JSON Pointer fragments ------------------------------------------------
 */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes %XX escapes; NULL when an escape is malformed. Caller frees. */
static char *percent_decode(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;

	for (; *s; s++) {
		if (*s != '%') {
			*o++ = *s;
			continue;
		}
		if (hexval(s[1]) < 0 || hexval(s[2]) < 0) {
			free(out);
			return NULL;
		}
		*o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
		s += 2;
	}
	*o = '\0';
	return out;
}

/* Walks one decoded pointer token from node; NULL when absent. */
static const json_t *pointer_step(const json_t *node, const char *tok,
                                  size_t len)
{
	char *key = xmalloc(len + 1), *k = key;
	const json_t *next = NULL;
	size_t i;

	for (i = 0; i < len; i++) {
		if (tok[i] == '~' && i + 1 < len &&
		    (tok[i + 1] == '0' || tok[i + 1] == '1')) {
			*k++ = tok[++i] == '0' ? '~' : '/';
		} else {
			*k++ = tok[i];
		}
	}
	*k = '\0';
	if (json_is_object(node)) {
		next = json_object_get(node, key);
	} else if (json_is_array(node) && *key &&
	           strspn(key, "0123456789") == strlen(key) &&
	           (key[0] != '0' || !key[1]) && strlen(key) < 10) {
		next = json_array_get(node, strtoul(key, NULL, 10));
	}
	free(key);
	return next;
}

static const json_t *pointer_walk(const json_t *node, const char *frag)
{
	char *dec = percent_decode(frag);
	const char *p;

	if (!dec)
		return NULL;
	for (p = dec; node && *p == '/';) {
		size_t len = strcspn(p + 1, "/");

		node = pointer_step(node, p + 1, len);
		p += 1 + len;
	}
	if (*p)
		node = NULL;
	free(dec);
	return node;
}

const json_t *schema_lookup(struct schema *s, const char *uri)
{
	const char *hash = strchr(uri, '#');
	const json_t *doc;
	char *base;

	doc = stab_get(&s->res, uri, strlen(uri));
	if (doc || !hash)
		return doc;
	base = xstrndup(uri, (size_t)(hash - uri));
	doc = stab_get(&s->res, base, strlen(base));
	free(base);
	if (!doc || (hash[1] && hash[1] != '/' && hash[1] != '%'))
		return hash[1] ? NULL : doc;
	return pointer_walk(doc, hash + 1);
}

const json_t *schema_ref_target(struct schema *s, const json_t *sch,
                                const char **uri_out)
{
	struct schema_ref *r = stab_get(&s->refs, &sch, sizeof(sch));

	*uri_out = r ? r->uri : json_string_value(json_object_get(sch, "$ref"));
	if (!r)
		return NULL;
	if (r->gen != s->gen) {
		r->target = schema_lookup(s, r->uri);
		r->gen = s->gen;
	}
	return r->target;
}

/* ---- indexing a document ------------------------------------------------- */

struct walk {
	struct schema *s;
	int commit; /* 0: only check (patterns, conflicts); 1: register */
	const json_t *doc;
	struct err *err;
};

static int walk_node(struct walk *w, const json_t *node, const char *base,
                     int schema_pos, unsigned depth);

static int register_uri(struct walk *w, const char *uri, const json_t *node)
{
	const json_t *have = stab_get(&w->s->res, uri, strlen(uri));

	if (have && have != node && !w->commit)
		return err_set(w->err, ERR_CONFLICT,
		               "schema '%s' is defined twice", uri);
	if (!have && w->commit)
		stab_put(&w->s->res, uri, strlen(uri), (void *)node);
	return 0;
}

static int walk_patterns(struct walk *w, const json_t *node)
{
	const json_t *pp = json_object_get(node, "patternProperties");
	const json_t *pat = json_object_get(node, "pattern");
	const void *rx;
	const char *key;
	json_t *val;
	int rc;

	if (json_is_string(pat)) {
		rc = schema_regex_get(&rx, w->s, json_string_value(pat),
		                      w->err);
		if (rc)
			return rc;
	}
	json_object_foreach ((json_t *)pp, key, val) {
		rc = schema_regex_get(&rx, w->s, key, w->err);
		if (rc)
			return rc;
	}
	return 0;
}

/* Resolves the $ref of node against base once, when committing. */
static void record_ref(struct walk *w, const json_t *node, const char *base)
{
	const char *ref = json_string_value(json_object_get(node, "$ref"));
	struct schema_ref *r;

	if (!ref || !w->commit || stab_get(&w->s->refs, &node, sizeof(node)))
		return;
	r = xcalloc(1, sizeof(*r));
	r->uri = schema_uri_resolve(base, ref);
	r->gen = w->s->gen - 1;
	stab_put(&w->s->refs, &node, sizeof(node), r);
}

/* $id, $anchor, $dynamicAnchor and $ref of one schema object. */
static int walk_ids(struct walk *w, const json_t *node, char **base)
{
	static const char *const anchors[] = {"$anchor", "$dynamicAnchor"};
	const char *id = json_string_value(json_object_get(node, "$id"));
	size_t i;
	int rc;

	if (id) {
		char *nb = schema_uri_resolve(*base, id);

		free(*base);
		*base = nb;
		if ((rc = register_uri(w, nb, node)))
			return rc;
	}
	for (i = 0; i < ARRAY_SIZE(anchors); i++) {
		const char *a =
		        json_string_value(json_object_get(node, anchors[i]));
		char *u;

		if (!a)
			continue;
		u = xasprintf("%s#%s", *base, a);
		rc = register_uri(w, u, node);
		free(u);
		if (rc)
			return rc;
	}
	record_ref(w, node, *base);
	return walk_patterns(w, node);
}

/* Keywords whose value is a schema, an array of them, or a map of them. */
static int keyword_kind(const char *k)
{
	static const char *const one[] = {"additionalProperties",
	                                  "propertyNames",
	                                  "items",
	                                  "contains",
	                                  "not",
	                                  "if",
	                                  "then",
	                                  "else",
	                                  "unevaluatedItems",
	                                  "unevaluatedProperties",
	                                  "contentSchema",
	                                  "additionalItems"};
	static const char *const many[] = {"allOf", "anyOf", "oneOf",
	                                   "prefixItems"};
	static const char *const map[] = {"properties", "patternProperties",
	                                  "$defs", "definitions",
	                                  "dependentSchemas"};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(one); i++)
		if (!strcmp(k, one[i]))
			return 1;
	for (i = 0; i < ARRAY_SIZE(many); i++)
		if (!strcmp(k, many[i]))
			return 2;
	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (!strcmp(k, map[i]))
			return 3;
	return 0;
}

static int walk_member(struct walk *w, const char *key, const json_t *val,
                       const char *base, unsigned depth)
{
	int kind = keyword_kind(key), rc = 0;
	const char *k;
	json_t *v;
	size_t i;

	if (kind == 1 || (kind == 2 && !json_is_array(val)) ||
	    (kind == 3 && !json_is_object(val)))
		return walk_node(w, val, base, kind == 1, depth + 1);
	if (kind == 2) {
		json_array_foreach ((json_t *)val, i, v) {
			if ((rc = walk_node(w, v, base, 1, depth + 1)))
				break;
		}
		return rc;
	}
	if (kind == 3) {
		json_object_foreach ((json_t *)val, k, v) {
			if ((rc = walk_node(w, v, base, 1, depth + 1)))
				break;
		}
		return rc;
	}
	/* Not a schema: only $ref targets (reachable by pointer) matter. */
	return walk_node(w, val, base, 0, depth + 1);
}

static int walk_node(struct walk *w, const json_t *node, const char *base,
                     int schema_pos, unsigned depth)
{
	char *nb = xstrdup(base);
	const char *key;
	json_t *val;
	size_t i;
	int rc = 0;

	if (depth > SCHEMA_WALK_MAX) {
		rc = err_set(w->err, ERR_INVALID, "schema nested too deeply");
		goto out;
	}
	if (json_is_array(node)) {
		json_array_foreach ((json_t *)node, i, val) {
			if ((rc = walk_node(w, val, nb, 0, depth + 1)))
				goto out;
		}
	}
	if (!json_is_object(node))
		goto out;
	if (schema_pos && (rc = walk_ids(w, node, &nb)))
		goto out;
	if (!schema_pos)
		record_ref(w, node, nb);
	json_object_foreach ((json_t *)node, key, val) {
		if (!schema_pos && json_is_object(val)) {
			rc = walk_node(w, val, nb, 0, depth + 1);
		} else if (schema_pos) {
			rc = walk_member(w, key, val, nb, depth);
		}
		if (rc)
			goto out;
	}
out:
	free(nb);
	return rc;
}

/* ---- the set ------------------------------------------------------------- */

struct schema *schema_new(void)
{
	struct schema *s = xcalloc(1, sizeof(*s));

	s->format_assert = 1;
	s->gen = 1;
	return s;
}

static void ref_free(void *p)
{
	struct schema_ref *r = p;

	free(r->uri);
	free(r);
}

void schema_free(struct schema *s)
{
	size_t i;

	if (!s)
		return;
	stab_release(&s->res, NULL);
	stab_release(&s->refs, ref_free);
	stab_release(&s->rx, schema_regex_free);
	stab_release(&s->masks, NULL);
	for (i = 0; i < s->nr_docs; i++)
		json_decref(s->docs[i]);
	free(s->docs);
	free(s);
}

void schema_set_format_assertion(struct schema *s, int on)
{
	s->format_assert = on;
}

int schema_add(struct schema *s, const char *uri, json_t *doc, struct err *err)
{
	struct walk w = {s, 0, doc, err};
	char *base;
	int rc;

	if (!json_is_object(doc) && !json_is_boolean(doc))
		return err_set(err, ERR_INVALID,
		               "%s: a schema must be an object or a boolean",
		               uri);
	base = schema_uri_resolve(uri, "");
	if ((rc = register_uri(&w, base, doc)) ||
	    (rc = walk_node(&w, doc, base, 1, 0))) {
		err_prefix(err, "%s", uri);
		goto out;
	}
	w.commit = 1;
	s->gen++;
	if ((rc = walk_node(&w, doc, base, 1, 0)))
		goto out;
	/* Also reachable under the name it was added as. */
	rc = register_uri(&w, base, doc);
	ALLOC_GROW(s->docs, s->nr_docs + 1, s->alloc_docs);
	s->docs[s->nr_docs++] = json_incref(doc);
out:
	free(base);
	return rc;
}

static int add_file(struct schema *s, const char *dir, const char *name,
                    struct err *err)
{
	struct buf b;
	char *path = xasprintf("%s/%s", dir, name);
	json_t *doc = NULL;
	json_error_t jerr;
	int rc;

	buf_init(&b, SCHEMA_FILE_MAX);
	if ((rc = buf_read_file(&b, path))) {
		err_set(err, rc, "%s: cannot read: %s", path, err_str(rc));
		goto out;
	}
	doc = json_loadb(b.ptr, b.len, 0, &jerr);
	if (!doc) {
		rc = err_set_at(err, ERR_INVALID, path, (unsigned)jerr.line,
		                (unsigned)jerr.column, "%s", jerr.text);
		goto out;
	}
	rc = schema_add(s, name, doc, err);
out:
	json_decref(doc);
	buf_release(&b);
	free(path);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int schema_add_dir(struct schema *s, const char *dir, struct err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t nr = 0, alloc = 0, i;
	int rc = 0;

	if (!d)
		return err_set(err, ERR_IO, "%s: cannot open: %s", dir,
		               strerror(errno));
	while ((de = readdir(d))) {
		if (!ends_with(de->d_name, ".json") || de->d_name[0] == '.')
			continue;
		ALLOC_GROW(names, nr + 1, alloc);
		names[nr++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (nr)
		qsort(names, nr, sizeof(*names), cmp_names);
	for (i = 0; i < nr && !rc; i++)
		rc = add_file(s, dir, names[i], err);
	for (i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	return rc;
}
