/*
 * alertmanager-text.c: the text side of alertmanager.h: ${NAME}
 * resolution, the config hash Alertmanager publishes, masking of env
 * values in messages, and the structural comparison of two parsed
 * configurations into plan lines (alertmanager-int.h).
 *
 * The comparison works on resolved configurations (so a rotated secret is
 * a change) but never prints a value that could be one: receivers, global
 * and the other top-level keys are named by key path only; route values
 * are printed for the routing keys alone, and masked as "changed" when an
 * env value appears in them.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>

#include "alertmanager-int.h"
#include "buf.h"
#include "diag.h"
#include "hash.h"

#define AM_PATHS_SHOWN 4

void am_changes_add(struct am_changes *c, char op, const char *fmt, ...)
{
	va_list ap;

	if (c->nr == c->alloc) {
		c->alloc = c->alloc ? 2 * c->alloc : 8;
		c->v = xrealloc(c->v, c->alloc * sizeof(*c->v));
	}
	va_start(ap, fmt);
	c->v[c->nr].what = xvasprintf(fmt, ap);
	va_end(ap);
	c->v[c->nr++].op = op;
}

void am_changes_release(struct am_changes *c)
{
	for (size_t i = 0; i < c->nr; i++)
		free(c->v[i].what);
	free(c->v);
	c->v = NULL;
	c->nr = c->alloc = 0;
}

uint64_t am_config_hash(const void *text, size_t len)
{
	unsigned char md[HASH_MD5_LEN];
	uint64_t h = 0;

	hash_md5(md, text, len);
	for (int i = 5; i >= 0; i--)
		h = h << 8 | md[i];
	return h;
}

/* The key of the YAML line that holds pos ("api_url" in "  api_url: x"),
 * and whether the reference at pos starts the value. */
static int ref_starts_url(const char *text, const char *pos)
{
	const char *ls = pos, *k, *colon;

	while (ls > text && ls[-1] != '\n')
		ls--;
	k = ls;
	while (k < pos && (*k == ' ' || *k == '-'))
		k++;
	colon = memchr(k, ':', (size_t)(pos - k));
	if (!colon)
		return 0;
	for (const char *p = colon + 1; p < pos; p++)
		if (*p != ' ' && *p != '"' && *p != '\'')
			return 0;
	return colon - k >= 3 && !strncmp(colon - 3, "url", 3)         ? 1
	       : colon - k >= 9 && !strncmp(colon - 9, "smarthost", 9) ? 2
	                                                               : 0;
}

static const char *placeholder(const char *text, const char *pos)
{
	switch (ref_starts_url(text, pos)) {
	case 1:
		return "http://placeholder.invalid/";
	case 2:
		return "placeholder.invalid:25";
	default:
		return "placeholder";
	}
}

/* Length of a NAME at p ([A-Za-z_][A-Za-z0-9_]*), 0 when none. */
static size_t name_len(const char *p, const char *end)
{
	size_t n = 0;

	if (p >= end || !(isalpha((unsigned char)*p) || *p == '_'))
		return 0;
	while (p + n < end && (isalnum((unsigned char)p[n]) || p[n] == '_'))
		n++;
	return n;
}

static int add_value(struct buf *out, const struct am_vars *v, const char *text,
                     const char *pos, const char *name, const char *path,
                     unsigned line, unsigned col, struct diag *diag)
{
	const char *val;

	if (v->placeholders) {
		val = placeholder(text, pos);
	} else {
		val = json_string_value(json_object_get(v->env, name));
		if (!val) {
			if (v->env_path)
				diag_add(diag, DIAG_ERROR, path, line, col,
				         "'${%s}' is not set in %s", name,
				         v->env_path);
			else
				diag_add(diag, DIAG_ERROR, path, line, col,
				         "'${%s}' is not set: no "
				         "--alertmanager-env-file is given",
				         name);
			return 1;
		}
	}
	if (buf_addstr(out, val)) {
		diag_add(diag, DIAG_ERROR, path, line, col,
		         "the file is too large once '${%s}' is resolved",
		         name);
		return 1;
	}
	return 0;
}

size_t am_resolve(struct buf *out, const char *text, size_t len,
                  const struct am_vars *v, const char *path, struct diag *diag)
{
	const char *p = text, *end = text + len, *ls = text;
	unsigned line = 1;
	size_t errors = 0;

	while (p < end) {
		const char *d = memchr(p, '$', (size_t)(end - p));
		const char *q = d ? d : end;
		size_t n;

		for (const char *s = p; s < q; s++)
			if (*s == '\n') {
				line++;
				ls = s + 1;
			}
		if (buf_add(out, p, (size_t)(q - p)))
			goto toobig;
		if (!d)
			break;
		if (d + 1 < end && d[1] == '$') {
			if (buf_addch(out, '$'))
				goto toobig;
			p = d + 2;
			continue;
		}
		if (d + 1 >= end || d[1] != '{') {
			if (buf_addch(out, '$'))
				goto toobig;
			p = d + 1;
			continue;
		}
		n = name_len(d + 2, end);
		if (!n || d + 2 + n >= end || d[2 + n] != '}') {
			diag_add(diag, DIAG_ERROR, path, line,
			         (unsigned)(d - ls) + 1,
			         "a reference must be ${NAME} (letters, digits "
			         "and _; no defaults), and $$ is a literal $");
			errors++;
			p = d + 2;
			continue;
		}
		{
			char *name = xstrndup(d + 2, n);

			errors += (size_t)add_value(
			        out, v, text, d, name, path, line,
			        (unsigned)(d - ls) + 1, diag);
			free(name);
		}
		p = d + 3 + n;
	}
	return errors;
toobig:
	diag_add(diag, DIAG_ERROR, path, 0, 0, "the file is too large");
	return errors + 1;
}

char *am_scrub(const char *msg, const json_t *env)
{
	struct buf b = BUF_INIT;
	const char *p = msg;

	while (*p) {
		const char *k;
		json_t *val;
		size_t best = 0;

		json_object_foreach ((json_t *)env, k, val) {
			size_t n = json_string_length(val);

			if (n > best && json_is_string(val) &&
			    !strncmp(p, json_string_value(val), n))
				best = n;
		}
		if (best) {
			if (buf_addstr(&b, "<secret>"))
				BUG("uncapped buffer");
			p += best;
		} else {
			if (buf_addch(&b, *p++))
				BUG("uncapped buffer");
		}
	}
	return buf_detach(&b, NULL);
}

/* Route keys that route alerts and never hold a credential. */
static int routing_key(const char *k)
{
	static const char *const keys[] = {
	        "receiver",
	        "group_by",
	        "group_wait",
	        "group_interval",
	        "repeat_interval",
	        "continue",
	        "matchers",
	        "match",
	        "match_re",
	        "mute_time_intervals",
	        "active_time_intervals",
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(k, keys[i]))
			return 1;
	return 0;
}

static int shows_secret(const char *s, const json_t *env)
{
	const char *k;
	json_t *val;

	json_object_foreach ((json_t *)env, k, val) {
		const char *x = json_string_value(val);

		if (x && *x && strstr(s, x))
			return 1;
	}
	return 0;
}

/* A short text for a routing value: a string as it is, else JSON. */
static char *show(const json_t *v)
{
	if (!v)
		return xstrdup("(none)");
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Collects key paths (under prefix) where a and b differ. */
static void diff_paths(struct buf *out, size_t *n, const char *prefix,
                       const json_t *a, const json_t *b)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_equal((json_t *)a, (json_t *)b))
		return;
	if (json_is_object(a) && json_is_object(b)) {
		json_object_foreach ((json_t *)a, k, v) {
			char *p = xasprintf("%s%s%s", prefix,
			                    *prefix ? "/" : "", k);

			diff_paths(out, n, p, v, json_object_get(b, k));
			free(p);
		}
		json_object_foreach ((json_t *)b, k, v) {
			char *p;

			if (json_object_get(a, k))
				continue;
			p = xasprintf("%s%s%s", prefix, *prefix ? "/" : "", k);
			diff_paths(out, n, p, NULL, v);
			free(p);
		}
		return;
	}
	if (json_is_array(a) && json_is_array(b) &&
	    json_array_size(a) == json_array_size(b)) {
		json_array_foreach ((json_t *)a, i, v) {
			char *p = xasprintf("%s%s%zu", prefix,
			                    *prefix ? "/" : "", i);

			diff_paths(out, n, p, v, json_array_get(b, i));
			free(p);
		}
		return;
	}
	if ((*n)++ < AM_PATHS_SHOWN) {
		if (buf_addf(out, "%s%s", out->len ? ", " : "",
		             *prefix ? prefix : "(whole value)"))
			BUG("uncapped buffer");
	} else if (*n == AM_PATHS_SHOWN + 1 && buf_addstr(out, ", ...")) {
		BUG("uncapped buffer");
	}
}

static void changed_paths(struct am_changes *c, const char *what,
                          const json_t *a, const json_t *b)
{
	struct buf paths = BUF_INIT;
	size_t n = 0;

	diff_paths(&paths, &n, "", a, b);
	am_changes_add(c, '~', "%s: changed (%s)", what, buf_cstr(&paths));
	buf_release(&paths);
}

static void diff_route(struct am_changes *c, const char *where,
                       const json_t *live, const json_t *want,
                       const json_t *env)
{
	const json_t *lr = json_object_get(live, "routes"),
	             *wr = json_object_get(want, "routes");
	size_t nl = json_array_size(lr), nw = json_array_size(wr);
	struct buf other = BUF_INIT;
	size_t nother = 0;
	const char *k;
	json_t *v;

	json_object_foreach ((json_t *)want, k, v) {
		const json_t *old = json_object_get(live, k);
		char *a, *b;

		if (!strcmp(k, "routes") || json_equal((json_t *)old, v))
			continue;
		if (!routing_key(k)) {
			diff_paths(&other, &nother, k, old, v);
			continue;
		}
		a = show(old);
		b = show(v);
		if (shows_secret(a, env) || shows_secret(b, env))
			am_changes_add(c, '~', "%s: %s: changed", where, k);
		else
			am_changes_add(c, '~', "%s: %s: %s -> %s", where, k, a,
			               b);
		free(a);
		free(b);
	}
	json_object_foreach ((json_t *)live, k, v) {
		if (!strcmp(k, "routes") || json_object_get(want, k))
			continue;
		if (routing_key(k))
			am_changes_add(c, '~', "%s: %s: removed", where, k);
		else
			diff_paths(&other, &nother, k, v, NULL);
	}
	if (nother)
		am_changes_add(c, '~', "%s: changed (%s)", where,
		               buf_cstr(&other));
	buf_release(&other);
	for (size_t i = 0; i < nl || i < nw; i++) {
		char *sub = xasprintf("%s/routes/%zu", where, i);
		const json_t *w = json_array_get(wr, i);

		if (i >= nw) {
			am_changes_add(c, '-', "%s", sub);
		} else if (i >= nl) {
			const char *r = json_string_value(
			        json_object_get(w, "receiver"));

			if (r && !shows_secret(r, env))
				am_changes_add(c, '+', "%s (receiver: %s)", sub,
				               r);
			else
				am_changes_add(c, '+', "%s", sub);
		} else {
			diff_route(c, sub, json_array_get(lr, i), w, env);
		}
		free(sub);
	}
}

static const json_t *receiver_named(const json_t *list, const char *name)
{
	size_t i;
	json_t *r;

	json_array_foreach ((json_t *)list, i, r) {
		const char *n = json_string_value(json_object_get(r, "name"));

		if (n && !strcmp(n, name))
			return r;
	}
	return NULL;
}

static void diff_receivers(struct am_changes *c, const json_t *live,
                           const json_t *want)
{
	size_t i;
	json_t *r;

	json_array_foreach ((json_t *)want, i, r) {
		const char *n = json_string_value(json_object_get(r, "name"));
		const json_t *old;

		if (!n)
			continue;
		old = receiver_named(live, n);
		if (!old)
			am_changes_add(c, '+', "receiver %s", n);
		else if (!json_equal((json_t *)old, r)) {
			char *what = xasprintf("receiver %s", n);

			changed_paths(c, what, old, r);
			free(what);
		}
	}
	json_array_foreach ((json_t *)live, i, r) {
		const char *n = json_string_value(json_object_get(r, "name"));

		if (n && !receiver_named(want, n))
			am_changes_add(c, '-', "receiver %s", n);
	}
}

void am_diff(struct am_changes *c, const json_t *live, const json_t *want,
             const json_t *env)
{
	size_t first = c->nr;
	const char *k;
	json_t *v;

	if (!json_is_object(live))
		live = NULL;
	json_object_foreach ((json_t *)want, k, v) {
		const json_t *old = json_object_get(live, k);

		if (!strcmp(k, "route")) {
			if (old)
				diff_route(c, "route", old, v, env);
			else
				am_changes_add(c, '+', "route");
		} else if (!strcmp(k, "receivers")) {
			diff_receivers(c, old, v);
		} else if (!old) {
			am_changes_add(c, '+', "%s", k);
		} else if (!json_equal((json_t *)old, v)) {
			changed_paths(c, k, old, v);
		}
	}
	json_object_foreach ((json_t *)live, k, v) {
		if (json_object_get(want, k))
			continue;
		if (!strcmp(k, "receivers"))
			diff_receivers(c, v, NULL);
		else
			am_changes_add(c, '-', "%s", k);
	}
	/* a receiver name or a key could be a ${NAME} too: mask by value */
	for (size_t i = first; i < c->nr; i++) {
		char *clean = am_scrub(c->v[i].what, env);

		free(c->v[i].what);
		c->v[i].what = clean;
	}
}
