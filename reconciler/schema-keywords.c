/*
 * schema-keywords.c: the keywords that look at one kind of instance.
 *
 * Owns: type, enum, const, the number, string, object and array keywords
 * (schema.h lists them), JSON Schema's equality (1 == 1.0), and their
 * messages. Does not own: the keywords that combine schemas, $ref, the
 * kedge extensions and how problems are collected (schema-validate.c), or
 * formats and regexes (schema-format.c).
 */
#include <jansson.h>

#include "schema-int.h"
#include "buf.h"
#include "err.h"

#define INST_MAX   256 /* how deep an instance may nest */
#define ENUM_SHOWN 20  /* values listed in an enum message */
#define NAMES_MAX  512 /* property names searched for "did you mean" */

/* ---- equality and numbers ------------------------------------------------ */

static int num_cmp(const json_t *a, const json_t *b)
{
	double x, y;

	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t i = json_integer_value(a), j = json_integer_value(b);

		return (i > j) - (i < j);
	}
	x = json_number_value(a);
	y = json_number_value(b);
	return (x > y) - (x < y);
}

static int jeq(const json_t *a, const json_t *b)
{
	const char *key;
	json_t *val;
	size_t i;

	if (json_is_number(a) && json_is_number(b))
		return num_cmp(a, b) == 0;
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       !memcmp(json_string_value(a), json_string_value(b),
		               json_string_length(a));
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		json_array_foreach ((json_t *)a, i, val) {
			if (!jeq(val, json_array_get(b, i)))
				return 0;
		}
		return 1;
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach ((json_t *)a, key, val) {
			const json_t *other = json_object_get(b, key);

			if (!other || !jeq(val, other))
				return 0;
		}
		return 1;
	default:
		return 1;
	}
}

static int is_integral(const json_t *j)
{
	double d;

	if (json_is_integer(j))
		return 1;
	if (!json_is_real(j))
		return 0;
	d = json_real_value(j);
	/* Beyond 2^53 every double is an integer. */
	return d > 9e15 || d < -9e15 || d == (double)(long long)d;
}

/* A non-negative count keyword (minLength, maxItems, ...). */
static int get_count(const json_t *sch, const char *key, long long *out)
{
	const json_t *j = json_object_get(sch, key);

	if (!json_is_number(j) || json_number_value(j) < 0)
		return 0;
	*out = json_is_integer(j) ? (long long)json_integer_value(j)
	                          : (long long)json_real_value(j);
	return 1;
}

/* ---- type, enum, const -------------------------------------------------- */

static const char *type_words(const char *t)
{
	static const char *const map[][2] = {
	        {"object", "a mapping"}, {"array", "a list"},
	        {"string", "a string"},  {"integer", "an integer"},
	        {"number", "a number"},  {"boolean", "a boolean"},
	        {"null", "null"}};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (!strcmp(t, map[i][0]))
			return map[i][1];
	return t;
}

static int type_matches(const char *t, const json_t *inst)
{
	if (!strcmp(t, "integer"))
		return is_integral(inst);
	if (!strcmp(t, "number"))
		return json_is_number(inst);
	if (!strcmp(t, "string"))
		return json_is_string(inst);
	if (!strcmp(t, "object"))
		return json_is_object(inst);
	if (!strcmp(t, "array"))
		return json_is_array(inst);
	if (!strcmp(t, "boolean"))
		return json_is_boolean(inst);
	if (!strcmp(t, "null"))
		return json_is_null(inst);
	return 0;
}

void schema_kw_type(struct vctx *v, const json_t *sch, const json_t *inst)
{
	const json_t *t = json_object_get(sch, "type"), *e;
	struct buf b = BUF_INIT;
	size_t i, n = json_array_size(t);
	int rc = 0;

	if (json_is_string(t)) {
		if (!type_matches(json_string_value(t), inst))
			schema_fail_type(v, type_words(json_string_value(t)),
			                 inst);
		return;
	}
	if (!json_is_array(t))
		return;
	json_array_foreach ((json_t *)t, i, e) {
		if (json_is_string(e) &&
		    type_matches(json_string_value(e), inst))
			goto out;
		if (!json_is_string(e))
			continue;
		if (b.len)
			rc |= buf_addstr(&b, i + 1 == n ? " or " : ", ");
		rc |= buf_addstr(&b, type_words(json_string_value(e)));
	}
	if (rc)
		BUG("uncapped buffer failed");
	schema_fail_type(v, buf_cstr(&b), inst);
out:
	buf_release(&b);
}

static void enum_fail(struct vctx *v, const json_t *en, const json_t *inst)
{
	const char *names[ENUM_SHOWN], *hint = NULL;
	struct buf b = BUF_INIT;
	size_t i, nn = 0;
	char *got = schema_show(inst, 1);
	json_t *e;
	int rc = 0;

	json_array_foreach ((json_t *)en, i, e) {
		char *text;

		if (i == ENUM_SHOWN) {
			rc |= buf_addstr(&b, ", ...");
			break;
		}
		if (json_is_string(e))
			names[nn++] = json_string_value(e);
		text = schema_show(e, 0);
		rc |= buf_addf(&b, "%s%s", i ? ", " : "", text);
		free(text);
	}
	if (rc)
		BUG("uncapped buffer failed");
	if (json_is_string(inst))
		hint = closest_name(json_string_value(inst), names, nn);
	if (hint)
		schema_fail(v,
		            "must be one of: %s (got %s; did you mean '%s'?)",
		            buf_cstr(&b), got, hint);
	else
		schema_fail(v, "must be one of: %s (got %s)", buf_cstr(&b),
		            got);
	free(got);
	buf_release(&b);
}

void schema_kw_enum_const(struct vctx *v, const json_t *sch, const json_t *inst)
{
	const json_t *en = json_object_get(sch, "enum");
	const json_t *c = json_object_get(sch, "const");
	size_t i;
	json_t *e;

	if (json_is_array(en)) {
		json_array_foreach ((json_t *)en, i, e) {
			if (jeq(e, inst))
				break;
		}
		if (i == json_array_size(en) && !schema_probing(v))
			enum_fail(v, en, inst);
	}
	if (c && !jeq(c, inst) && !schema_probing(v)) {
		char *want = schema_show(c, 1), *got = schema_show(inst, 1);

		schema_fail(v, "must be %s (got %s)", want, got);
		free(want);
		free(got);
	}
}

/* ---- numbers and strings ----------------------------------------------- */

static int multiple_of(const json_t *inst, const json_t *m)
{
	double q, r;

	if (json_is_integer(inst) && json_is_integer(m))
		return json_integer_value(m) <= 0 ||
		       json_integer_value(inst) % json_integer_value(m) == 0;
	if (json_number_value(m) <= 0)
		return 1;
	q = json_number_value(inst) / json_number_value(m);
	if (q > 9e15 || q < -9e15)
		return q == q && q - q == 0; /* finite: integral */
	r = q - (double)(long long)(q + (q >= 0 ? 0.5 : -0.5));
	return r < 1e-9 && r > -1e-9;
}

void schema_kw_number(struct vctx *v, const json_t *sch, const json_t *inst)
{
	static const struct {
		const char *key, *words;
		int bad_lo, bad_hi; /* failing when the comparison is in */
	} bounds[] = {
	        {"minimum", "at least", -1, -1},
	        {"maximum", "at most", 1, 1},
	        {"exclusiveMinimum", "greater than", -1, 0},
	        {"exclusiveMaximum", "less than", 0, 1},
	};
	const json_t *m = json_object_get(sch, "multipleOf");
	char *got = NULL, *lim;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bounds); i++) {
		const json_t *b = json_object_get(sch, bounds[i].key);
		int c;

		if (!json_is_number(b))
			continue;
		c = num_cmp(inst, b);
		if (c < bounds[i].bad_lo || c > bounds[i].bad_hi)
			continue;
		if (schema_probing(v))
			break;
		got = got ? got : schema_show(inst, 0);
		lim = schema_show(b, 0);
		schema_fail(v, "must be %s %s (got %s)", bounds[i].words, lim,
		            got);
		free(lim);
	}
	if (json_is_number(m) && !multiple_of(inst, m) && !schema_probing(v)) {
		got = got ? got : schema_show(inst, 0);
		lim = schema_show(m, 0);
		schema_fail(v, "must be a multiple of %s (got %s)", lim, got);
		free(lim);
	}
	free(got);
}

static size_t utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void kw_pattern(struct vctx *v, const char *pat, const json_t *inst)
{
	const void *rx;
	char *got;
	int rc = schema_regex_get(&rx, v->s, pat, v->err);

	if (rc) {
		schema_set_fatal(v, rc);
		return;
	}
	if (schema_regex_match(rx, json_string_value(inst)) ||
	    schema_probing(v))
		return;
	got = schema_show(inst, 1);
	schema_fail(v, "does not match pattern '%s' (got %s)", pat, got);
	free(got);
}

void schema_kw_string(struct vctx *v, const json_t *sch, const json_t *inst)
{
	const char *pat = json_string_value(json_object_get(sch, "pattern"));
	const char *fmt = json_string_value(json_object_get(sch, "format"));
	const char *str = json_string_value(inst), *hint = NULL;
	size_t len = utf8_len(str);
	long long lim;
	char *got;

	if (get_count(sch, "minLength", &lim) && len < (size_t)lim)
		schema_fail(v,
		            "must be at least %lld character%s long "
		            "(got %zu)",
		            lim, lim == 1 ? "" : "s", len);
	if (get_count(sch, "maxLength", &lim) && len > (size_t)lim)
		schema_fail(v,
		            "must be at most %lld character%s long "
		            "(got %zu)",
		            lim, lim == 1 ? "" : "s", len);
	if (pat)
		kw_pattern(v, pat, inst);
	if (fmt && v->s->format_assert &&
	    !schema_format_check(v->s, fmt, str, &hint) && !schema_probing(v)) {
		got = schema_show(inst, 1);
		schema_fail(v, "is not a valid %s: expected %s (got %s)", fmt,
		            hint, got);
		free(got);
	}
}

/* ---- objects ------------------------------------------------------------ */

/* Applies sch to a member or an element of the current instance. */
static void child(struct vctx *v, const json_t *sch, const json_t *inst,
                  const char *tok, int index)
{
	struct mark m;

	if (json_is_true(sch) || schema_stopped(v))
		return;
	m = schema_push(v, tok, index);
	if (v->idepth > INST_MAX)
		schema_fail(v, "is nested too deeply (more than %d levels)",
		            INST_MAX);
	else
		schema_eval(v, sch, inst);
	schema_pop(v, m);
}

static void unknown_key(struct vctx *v, const json_t *props, const char *key)
{
	const char *names[NAMES_MAX], *hint, *name;
	size_t n = 0;
	struct mark m;
	json_t *val;

	json_object_foreach ((json_t *)props, name, val) {
		if (n < NAMES_MAX)
			names[n++] = name;
	}
	hint = closest_name(key, names, n);
	m = schema_push(v, key, 0);
	if (hint)
		schema_fail_raw(v, 1, "unknown key '%s' (did you mean '%s'?)",
		                key, hint);
	else
		schema_fail_raw(v, 1, "unknown key '%s'", key);
	schema_pop(v, m);
}

static void check_key(struct vctx *v, const json_t *names, const char *key)
{
	json_t *ks = json_string(key);
	int saved = v->key_mode;
	struct mark m;

	if (!ks)
		ks = json_stringn_nocheck(key, strlen(key));
	m = schema_push(v, key, 0);
	v->key_mode = 1;
	schema_eval(v, names, ks);
	v->key_mode = saved;
	schema_pop(v, m);
	json_decref(ks);
}

/* properties, patternProperties, additionalProperties, propertyNames. */
static void kw_members(struct vctx *v, const json_t *sch, const json_t *inst)
{
	const json_t *props = json_object_get(sch, "properties");
	const json_t *pp = json_object_get(sch, "patternProperties");
	const json_t *ap = json_object_get(sch, "additionalProperties");
	const json_t *pn = json_object_get(sch, "propertyNames");
	const char *key, *pat;
	json_t *val, *sub;
	const void *rx;
	int rc;

	json_object_foreach ((json_t *)inst, key, val) {
		int matched = 0;

		if (pn)
			check_key(v, pn, key);
		if ((sub = json_object_get(props, key))) {
			matched = 1;
			child(v, sub, val, key, 0);
		}
		json_object_foreach ((json_t *)pp, pat, sub) {
			if ((rc = schema_regex_get(&rx, v->s, pat, v->err))) {
				schema_set_fatal(v, rc);
				return;
			}
			if (!schema_regex_match(rx, key))
				continue;
			matched = 1;
			child(v, sub, val, key, 0);
		}
		if (!matched && json_is_false(ap) && !schema_stopped(v))
			unknown_key(v, props, key);
		else if (!matched && ap)
			child(v, ap, val, key, 0);
		if (schema_stopped(v))
			return;
	}
}

void schema_kw_object(struct vctx *v, const json_t *sch, const json_t *inst)
{
	const json_t *req = json_object_get(sch, "required");
	const json_t *dr = json_object_get(sch, "dependentRequired");
	const json_t *ds = json_object_get(sch, "dependentSchemas");
	size_t n = json_object_size(inst), i;
	const char *key;
	json_t *e, *val;
	long long lim;

	kw_members(v, sch, inst);
	json_array_foreach ((json_t *)req, i, e) {
		if (json_is_string(e) &&
		    !json_object_get(inst, json_string_value(e)))
			schema_fail_raw(v, 0, "missing required key '%s'",
			                json_string_value(e));
	}
	if (get_count(sch, "minProperties", &lim) && n < (size_t)lim)
		schema_fail(v, "must have at least %lld key%s (got %zu)", lim,
		            lim == 1 ? "" : "s", n);
	if (get_count(sch, "maxProperties", &lim) && n > (size_t)lim)
		schema_fail(v, "must have at most %lld key%s (got %zu)", lim,
		            lim == 1 ? "" : "s", n);
	json_object_foreach ((json_t *)dr, key, val) {
		if (!json_object_get(inst, key))
			continue;
		json_array_foreach (val, i, e) {
			if (json_is_string(e) &&
			    !json_object_get(inst, json_string_value(e)))
				schema_fail_raw(v, 0,
				                "missing key '%s' (required "
				                "when '%s' is set)",
				                json_string_value(e), key);
		}
	}
	json_object_foreach ((json_t *)ds, key, val) {
		if (json_object_get(inst, key))
			schema_eval(v, val, inst);
	}
}

/* ---- arrays ------------------------------------------------------------- */

static void kw_contains(struct vctx *v, const json_t *sch, const json_t *inst)
{
	const json_t *c = json_object_get(sch, "contains");
	long long minc = 1, maxc;
	size_t i, count = 0;
	json_t *e;

	if (!c)
		return;
	get_count(sch, "minContains", &minc);
	json_array_foreach ((json_t *)inst, i, e) {
		count += schema_probe(v, c, e);
	}
	if (count < (size_t)minc && minc == 1)
		schema_fail(v, "must contain at least one matching item");
	else if (count < (size_t)minc)
		schema_fail(v,
		            "must contain at least %lld matching items "
		            "(got %zu)",
		            minc, count);
	if (get_count(sch, "maxContains", &maxc) && count > (size_t)maxc)
		schema_fail(v,
		            "must contain at most %lld matching item%s "
		            "(got %zu)",
		            maxc, maxc == 1 ? "" : "s", count);
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Appends a canonical form of j: equal under jeq (apart from integers
 * beyond 2^53 that a double cannot tell apart) means equal bytes. Object
 * members go in key order; an integral real is written as an integer.
 */
static void canon(struct buf *b, const json_t *j)
{
	const char **keys;
	size_t n, i;
	double d;

	switch (json_typeof(j)) {
	case JSON_STRING:
		n = json_string_length(j);
		if (buf_addf(b, "s%zu:", n) ||
		    buf_add(b, json_string_value(j), n))
			BUG("uncapped buffer refused bytes");
		return;
	case JSON_INTEGER:
		if (buf_addf(b, "i%" JSON_INTEGER_FORMAT ";",
		             json_integer_value(j)))
			BUG("uncapped buffer refused bytes");
		return;
	case JSON_REAL:
		d = json_real_value(j);
		if (d == (double)(json_int_t)d && d > -9.2e18 && d < 9.2e18) {
			if (buf_addf(b, "i%" JSON_INTEGER_FORMAT ";",
			             (json_int_t)d))
				BUG("uncapped buffer refused bytes");
		} else if (buf_addf(b, "r%.17g;", d)) {
			BUG("uncapped buffer refused bytes");
		}
		return;
	case JSON_ARRAY:
		if (buf_addch(b, '['))
			BUG("uncapped buffer refused bytes");
		for (i = 0; i < json_array_size(j); i++)
			canon(b, json_array_get(j, i));
		if (buf_addch(b, ']'))
			BUG("uncapped buffer refused bytes");
		return;
	case JSON_OBJECT:
		n = json_object_size(j);
		keys = xmalloc((n ? n : 1) * sizeof(*keys));
		i = 0;
		for (void *it = json_object_iter((json_t *)j); it;
		     it = json_object_iter_next((json_t *)j, it))
			keys[i++] = json_object_iter_key(it);
		qsort(keys, n, sizeof(*keys), cmp_strp);
		if (buf_addch(b, '{'))
			BUG("uncapped buffer refused bytes");
		for (i = 0; i < n; i++) {
			if (buf_addf(b, "k%zu:%s", strlen(keys[i]), keys[i]))
				BUG("uncapped buffer refused bytes");
			canon(b, json_object_get(j, keys[i]));
		}
		if (buf_addch(b, '}'))
			BUG("uncapped buffer refused bytes");
		free(keys);
		return;
	default:
		if (buf_addch(b, json_is_true(j)    ? 't'
		                 : json_is_false(j) ? 'f'
		                                    : 'n'))
			BUG("uncapped buffer refused bytes");
	}
}

struct item_key {
	size_t off, len, idx;
};

static int cmp_item_key(const void *x, const void *y, void *ctx)
{
	const struct item_key *a = x, *b = y;
	const char *base = ctx;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(base + a->off, base + b->off, n);

	if (!c)
		c = (a->len > b->len) - (a->len < b->len);
	return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

/*
 * uniqueItems in O(n log n): sort the items' canonical forms. Reports the
 * pair a pairwise scan would find first: the lowest index that has an
 * equal item later, with the first such later item.
 */
static void kw_unique(struct vctx *v, const json_t *inst)
{
	size_t n = json_array_size(inst), i, first = SIZE_MAX, second = 0;
	struct buf b = BUF_INIT;
	struct item_key *keys;

	if (n < 2)
		return;
	keys = xmalloc(n * sizeof(*keys));
	for (i = 0; i < n; i++) {
		keys[i].off = b.len;
		canon(&b, json_array_get(inst, i));
		keys[i].len = b.len - keys[i].off;
		keys[i].idx = i;
	}
	qsort_r(keys, n, sizeof(*keys), cmp_item_key, b.ptr);
	for (i = 1; i < n; i++) {
		const struct item_key *a = &keys[i - 1], *c = &keys[i];

		/* the first of a run of equals has the lowest index */
		if (a->len == c->len &&
		    !memcmp(b.ptr + a->off, b.ptr + c->off, a->len) &&
		    (i < 2 || keys[i - 2].len != a->len ||
		     memcmp(b.ptr + keys[i - 2].off, b.ptr + a->off, a->len)) &&
		    a->idx < first) {
			first = a->idx;
			second = c->idx;
		}
	}
	if (first != SIZE_MAX)
		schema_fail(v,
		            "must not contain duplicates (items %zu and %zu "
		            "are equal)",
		            first, second);
	free(keys);
	buf_release(&b);
}

void schema_kw_array(struct vctx *v, const json_t *sch, const json_t *inst)
{
	const json_t *prefix = json_object_get(sch, "prefixItems");
	const json_t *items = json_object_get(sch, "items"), *sub;
	size_t n = json_array_size(inst), np = json_array_size(prefix), i;
	long long lim;
	char tok[24];

	if (json_is_array(items))
		items = NULL; /* the draft 2019 form; not ours */
	for (i = 0; i < n && !schema_stopped(v); i++) {
		sub = i < np ? json_array_get(prefix, i) : items;
		if (!sub)
			continue;
		snprintf(tok, sizeof(tok), "%zu", i);
		child(v, sub, json_array_get(inst, i), tok, 1);
	}
	kw_contains(v, sch, inst);
	if (get_count(sch, "minItems", &lim) && n < (size_t)lim)
		schema_fail(v, "must have at least %lld item%s (got %zu)", lim,
		            lim == 1 ? "" : "s", n);
	if (get_count(sch, "maxItems", &lim) && n > (size_t)lim)
		schema_fail(v, "must have at most %lld item%s (got %zu)", lim,
		            lim == 1 ? "" : "s", n);
	if (json_is_true(json_object_get(sch, "uniqueItems")))
		kw_unique(v, inst);
}
