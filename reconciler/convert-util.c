/*
 * convert-util.c: JSON pointers, typed getters and mapping-or-list values
 * for the compose converter (convert-int.h).
 *
 * Owns: turning an unexpected JSON shape into ERR_INVALID with the JSON
 * pointer of the value, so that arbitrary input never crashes the
 * converter. Does not own: what the values mean (convert-service.c).
 */
#include <inttypes.h>
#include <math.h>
#include <jansson.h>

#include "convert-int.h"
#include "err.h"
#include "units.h"

char *convert_ptr(const char *base, const char *key)
{
	size_t n = strlen(base), i, o;
	char *p = xmalloc(n + 2 * strlen(key) + 2);

	memcpy(p, base, n);
	o = n;
	p[o++] = '/';
	for (i = 0; key[i]; i++) {
		if (key[i] == '~' || key[i] == '/') {
			p[o++] = '~';
			p[o++] = key[i] == '~' ? '0' : '1';
		} else {
			p[o++] = key[i];
		}
	}
	p[o] = '\0';
	return p;
}

char *convert_ptr_idx(const char *base, size_t i)
{
	return xasprintf("%s/%zu", base, i);
}

int convert_bad(struct cv *c, const char *ptr, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	err_set(c->err, ERR_INVALID, "%s: %s", ptr, msg);
	free(msg);
	return ERR_INVALID;
}

void convert_warn(struct cv *c, const char *ptr, const char *msg)
{
	if (c->opts && c->opts->warn)
		c->opts->warn(c->opts->warn_ctx, ptr, msg);
}

/* Fetches a member and checks its type; NULL when absent or null. */
static int get_typed(const json_t **out, struct cv *c, const json_t *obj,
                     const char *key, const char *ptr, json_type type,
                     const char *what)
{
	const json_t *v =
	        json_is_object(obj) ? json_object_get(obj, key) : NULL;
	char *p;
	int rc;

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (json_typeof(v) == type ||
	    (type == JSON_TRUE && json_is_boolean(v))) {
		*out = v;
		return 0;
	}
	p = convert_ptr(ptr, key);
	rc = convert_bad(c, p, "must be %s", what);
	free(p);
	return rc;
}

int convert_get_str(const char **out, struct cv *c, const json_t *obj,
                    const char *key, const char *ptr)
{
	const json_t *v;
	int rc = get_typed(&v, c, obj, key, ptr, JSON_STRING, "a string");

	*out = v ? json_string_value(v) : NULL;
	return rc;
}

int convert_get_obj(const json_t **out, struct cv *c, const json_t *obj,
                    const char *key, const char *ptr)
{
	return get_typed(out, c, obj, key, ptr, JSON_OBJECT, "a mapping");
}

int convert_get_arr(const json_t **out, struct cv *c, const json_t *obj,
                    const char *key, const char *ptr)
{
	return get_typed(out, c, obj, key, ptr, JSON_ARRAY, "a list");
}

int convert_get_bool(int *out, int *present, struct cv *c, const json_t *obj,
                     const char *key, const char *ptr)
{
	const json_t *v;
	int rc = get_typed(&v, c, obj, key, ptr, JSON_TRUE, "true or false");

	if (present)
		*present = v != NULL;
	*out = v && json_is_true(v);
	return rc;
}

int convert_get_uint(json_int_t *out, int *present, struct cv *c,
                     const json_t *obj, const char *key, const char *ptr)
{
	const json_t *v;
	char *p;
	int rc =
	        get_typed(&v, c, obj, key, ptr, JSON_INTEGER, "a whole number");

	*present = v != NULL;
	*out = 0;
	if (rc || !v)
		return rc;
	*out = json_integer_value(v);
	if (*out >= 0)
		return 0;
	p = convert_ptr(ptr, key);
	rc = convert_bad(c, p, "must not be negative");
	free(p);
	return rc;
}

/* Parses a string member with fn; names the expected form on failure. */
static int get_parsed(json_int_t *out, int *present, struct cv *c,
                      const json_t *obj, const char *key, const char *ptr,
                      int (*fn)(int64_t *, const char *), const char *what)
{
	const json_t *v =
	        json_is_object(obj) ? json_object_get(obj, key) : NULL;
	int64_t n;
	char *p;
	int rc;

	/* Absent is zero: callers test the value, and a stale one from an
	 * earlier field must never leak into this one. */
	*present = 0;
	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v) && !fn(&n, json_string_value(v))) {
		*out = n;
		*present = 1;
		return 0;
	}
	if (json_is_integer(v) && fn == units_parse_bytes &&
	    json_integer_value(v) >= 0) {
		*out = json_integer_value(v);
		*present = 1;
		return 0;
	}
	p = convert_ptr(ptr, key);
	if (json_is_string(v))
		rc = convert_bad(c, p, "'%s' is not %s", json_string_value(v),
		                 what);
	else
		rc = convert_bad(c, p, "must be %s", what);
	free(p);
	return rc;
}

int convert_get_dur(json_int_t *out, int *present, struct cv *c,
                    const json_t *obj, const char *key, const char *ptr)
{
	return get_parsed(out, present, c, obj, key, ptr, units_parse_duration,
	                  "a duration such as 10s or 1m30s");
}

int convert_get_size(json_int_t *out, int *present, struct cv *c,
                     const json_t *obj, const char *key, const char *ptr)
{
	return get_parsed(out, present, c, obj, key, ptr, units_parse_bytes,
	                  "a size such as 512M or 1g");
}

char *convert_scalar_text(const json_t *v)
{
	char tmp[64];
	int prec;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return xstrdup(json_string_value(v));
	case JSON_INTEGER:
		return xasprintf("%" JSON_INTEGER_FORMAT,
		                 json_integer_value(v));
	case JSON_TRUE:
		return xstrdup("true");
	case JSON_FALSE:
		return xstrdup("false");
	case JSON_REAL:
		/* Go prints the shortest text that reads back the same. */
		for (prec = 1; prec < 17; prec++) {
			snprintf(tmp, sizeof(tmp), "%.*g", prec,
			         json_real_value(v));
			if (strtod(tmp, NULL) == json_real_value(v))
				break;
		}
		snprintf(tmp, sizeof(tmp), "%.*g", prec, json_real_value(v));
		return xstrdup(tmp);
	default:
		return NULL;
	}
}

int convert_get_strlist(json_t **out, struct cv *c, const json_t *obj,
                        const char *key, const char *ptr)
{
	const json_t *v =
	        json_is_object(obj) ? json_object_get(obj, key) : NULL;
	const json_t *item;
	char *p = NULL, *s;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		*out = json_pack("[s]", json_string_value(v));
		return 0;
	}
	p = convert_ptr(ptr, key);
	if (!json_is_array(v)) {
		rc = convert_bad(c, p, "must be a string or a list of strings");
		goto out;
	}
	*out = json_array();
	json_array_foreach (v, i, item) {
		s = json_is_object(item) || json_is_array(item)
		            ? NULL
		            : convert_scalar_text(item);
		if (!s) {
			char *ip = convert_ptr_idx(p, i);

			rc = convert_bad(c, ip, "must be a string");
			free(ip);
			json_decref(*out);
			*out = NULL;
			goto out;
		}
		json_array_append_new(*out, json_string(s));
		free(s);
	}
out:
	free(p);
	return rc;
}

/* One "k<sep>v" list entry into obj. */
static int mapping_entry(json_t *obj, struct cv *c, const json_t *item,
                         char sep, int allow_nil, const char *ptr)
{
	const char *s = json_string_value(item), *eq;
	char *k;

	if (!s)
		return convert_bad(c, ptr, "must be a string");
	eq = strchr(s, sep);
	if (!eq) {
		json_object_set_new(obj, s,
		                    allow_nil ? json_null() : json_string(""));
		return 0;
	}
	k = xstrndup(s, (size_t)(eq - s));
	json_object_set_new(obj, k, json_string(eq + 1));
	free(k);
	return 0;
}

int convert_mapping(json_t **out, struct cv *c, const json_t *v, char sep,
                    int allow_nil, const char *ptr)
{
	const json_t *item;
	const char *key;
	char *s, *p;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v) && !json_is_array(v))
		return convert_bad(c, ptr, "must be a mapping or a list");
	*out = json_object();
	if (json_is_array(v)) {
		json_array_foreach (v, i, item) {
			p = convert_ptr_idx(ptr, i);
			rc = mapping_entry(*out, c, item, sep, allow_nil, p);
			free(p);
			if (rc)
				goto fail;
		}
		return 0;
	}
	json_object_foreach ((json_t *)v, key, item) {
		if (json_is_null(item)) {
			json_object_set_new(*out, key,
			                    allow_nil ? json_null()
			                              : json_string(""));
			continue;
		}
		s = convert_scalar_text(item);
		if (!s) {
			p = convert_ptr(ptr, key);
			rc = convert_bad(c, p, "must be a string or a number");
			free(p);
			goto fail;
		}
		json_object_set_new(*out, key, json_string(s));
		free(s);
	}
	return 0;
fail:
	json_decref(*out);
	*out = NULL;
	return rc;
}

int convert_labels(json_t **out, struct cv *c, const json_t *obj,
                   const char *key, const char *ptr)
{
	const json_t *v =
	        json_is_object(obj) ? json_object_get(obj, key) : NULL;
	const char *k;
	json_t *val;
	char *p = convert_ptr(ptr, key);
	int rc;

	rc = convert_mapping(out, c, v, '=', 0, p);
	if (rc)
		goto out;
	if (!*out)
		*out = json_object();
	json_object_foreach (*out, k, val) {
		if (starts_with(k, "kedge.")) {
			rc = convert_bad(c, p,
			                 "label '%s': the kedge. prefix is "
			                 "reserved for kedge's own labels",
			                 k);
			json_decref(*out);
			*out = NULL;
			goto out;
		}
	}
	json_object_set_new(*out, CONVERT_LABEL_NAMESPACE,
	                    json_string(c->stack));
out:
	free(p);
	return rc;
}
