/*
 * schema-validate.c: applying a schema to an instance, and the messages.
 *
 * Owns: the keywords (schema.h lists them), the instance JSON Pointer of
 * every problem, the wording of messages for people editing YAML, and
 * choosing which branch of an anyOf/oneOf to blame. Does not own: finding
 * the documents a $ref names (schema.c) or formats and regexes
 * (schema-format.c).
 */
#include <jansson.h>

#include "schema-int.h"
#include "buf.h"
#include "err.h"

/* Evaluation frames (a $ref cycle that never consumes input ends here). */
#define EVAL_MAX 2048

enum sink_mode { SINK_USER, SINK_COLLECT, SINK_PROBE };
enum item_kind { KIND_OTHER, KIND_TYPE };

struct item {
	enum schema_severity sev;
	int key;
	enum item_kind kind;
	char *ptr, *msg, *expect;
};

/* Where problems go: the caller, a list (for a combinator), or a count. */
struct sink {
	enum sink_mode mode;
	schema_report_fn fn;
	void *ctx;
	struct item *items;
	size_t nr, alloc;
	size_t errors;
	struct stab seen; /* "<sev><ptr>\0<msg>": no duplicate floods */
};

/* ---- sinks ------------------------------------------------------------- */

static void sink_init(struct sink *k, enum sink_mode mode)
{
	memset(k, 0, sizeof(*k));
	k->mode = mode;
}

static void sink_release(struct sink *k)
{
	size_t i;

	for (i = 0; i < k->nr; i++) {
		free(k->items[i].ptr);
		free(k->items[i].msg);
		free(k->items[i].expect);
	}
	free(k->items);
	stab_release(&k->seen, NULL);
}

static void sink_emit(struct sink *k, const struct item *it)
{
	struct item *c;
	char *dkey;
	size_t plen = strlen(it->ptr), mlen = strlen(it->msg);

	if (k->mode == SINK_PROBE) {
		k->errors += it->sev == SCHEMA_ERROR;
		return;
	}
	dkey = xmalloc(plen + mlen + 3);
	dkey[0] = (char)('0' + it->sev);
	memcpy(dkey + 1, it->ptr, plen + 1);
	memcpy(dkey + plen + 2, it->msg, mlen + 1);
	if (stab_put(&k->seen, dkey, plen + mlen + 3, k)) {
		free(dkey);
		return;
	}
	free(dkey);
	k->errors += it->sev == SCHEMA_ERROR;
	if (k->mode == SINK_USER) {
		k->fn(k->ctx, it->sev, it->ptr, it->key, it->msg);
		return;
	}
	ALLOC_GROW(k->items, k->nr + 1, k->alloc);
	c = &k->items[k->nr++];
	*c = *it;
	c->ptr = xstrdup(it->ptr);
	c->msg = xstrdup(it->msg);
	c->expect = it->expect ? xstrdup(it->expect) : NULL;
}

static void sink_forward(struct sink *dst, const struct sink *src)
{
	size_t i;

	for (i = 0; i < src->nr; i++)
		sink_emit(dst, &src->items[i]);
}

int schema_stopped(const struct vctx *v)
{
	return v->fatal || (v->sink->mode == SINK_PROBE && v->sink->errors);
}

void schema_set_fatal(struct vctx *v, int rc)
{
	if (!v->fatal)
		v->fatal = rc;
}

/* ---- pointers and subjects ------------------------------------------------
 */

struct mark schema_push(struct vctx *v, const char *tok, int index)
{
	struct mark m = {v->ptr.len, v->last_index};
	const char *p;
	int rc = buf_addch(&v->ptr, '/');

	for (p = tok; *p; p++) {
		if (*p == '~')
			rc |= buf_addstr(&v->ptr, "~0");
		else if (*p == '/')
			rc |= buf_addstr(&v->ptr, "~1");
		else
			rc |= buf_addch(&v->ptr, *p);
	}
	if (rc)
		BUG("uncapped buffer failed");
	v->last_index = index;
	v->idepth++;
	return m;
}

void schema_pop(struct vctx *v, struct mark m)
{
	v->ptr.len = m.len;
	v->ptr.ptr[m.len] = '\0';
	v->last_index = m.last_index;
	v->idepth--;
}

/* Unescapes the pointer token that ends at end (exclusive). */
static char *token_before(const char *ptr, size_t end, size_t *start)
{
	size_t i = end;
	char *out, *o;

	while (i > 0 && ptr[i - 1] != '/')
		i--;
	*start = i ? i - 1 : 0;
	out = o = xmalloc(end - i + 1);
	for (; i < end; i++) {
		if (ptr[i] == '~' && i + 1 < end) {
			*o++ = ptr[++i] == '0' ? '~' : '/';
			continue;
		}
		*o++ = ptr[i];
	}
	*o = '\0';
	return out;
}

/* "'replicas'", "'ports[0]'", "key 'Foo'" or "the document". */
static char *subject(const struct vctx *v)
{
	size_t start, pstart;
	char *tok, *prev, *out;

	if (!v->ptr.len)
		return xstrdup(v->key_mode ? "the key" : "the document");
	tok = token_before(v->ptr.ptr, v->ptr.len, &start);
	if (v->key_mode) {
		out = xasprintf("key '%s'", tok);
	} else if (v->last_index && start > 0) {
		prev = token_before(v->ptr.ptr, start, &pstart);
		out = xasprintf("'%s[%s]'", prev, tok);
		free(prev);
	} else {
		out = xasprintf("'%s'", tok);
	}
	free(tok);
	return out;
}

/* ---- reporting -------------------------------------------------------------
 */

static void emit(struct vctx *v, enum schema_severity sev, int key,
                 enum item_kind kind, const char *expect, char *msg)
{
	struct item it = {sev, key || v->key_mode, kind, NULL, msg, NULL};

	it.ptr = (char *)buf_cstr(&v->ptr);
	it.expect = (char *)expect;
	sink_emit(v->sink, &it);
	free(msg);
}

/* A problem about the value, worded "<subject> <fmt>". */
int schema_probing(struct vctx *v)
{
	if (v->sink->mode != SINK_PROBE)
		return 0;
	v->sink->errors++;
	return 1;
}

void schema_fail(struct vctx *v, const char *fmt, ...)
{
	va_list ap;
	char *subj, *rest;

	if (v->sink->mode == SINK_PROBE) {
		v->sink->errors++;
		return;
	}
	va_start(ap, fmt);
	rest = xvasprintf(fmt, ap);
	va_end(ap);
	subj = subject(v);
	emit(v, SCHEMA_ERROR, 0, KIND_OTHER, NULL,
	     xasprintf("%s %s", subj, rest));
	free(subj);
	free(rest);
}

/* A problem with a message of its own ("missing required key 'x'"). */
void schema_fail_raw(struct vctx *v, int key, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (v->sink->mode == SINK_PROBE) {
		v->sink->errors++;
		return;
	}
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	emit(v, SCHEMA_ERROR, key, KIND_OTHER, NULL, msg);
}

/* A value shown in a message: strings in quotes, the rest as JSON. */
char *schema_show(const json_t *j, int quote)
{
	char *text, *out;

	if (json_is_string(j))
		text = xstrdup(json_string_value(j));
	else
		text = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
	if (!text)
		text = xstrdup("?");
	if (strlen(text) > 60)
		memcpy(text + 57, "...", 4);
	if (!quote || !json_is_string(j))
		return text;
	out = xasprintf("'%s'", text);
	free(text);
	return out;
}

const char *schema_type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "a mapping";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/* ---- keywords that combine schemas ----------------------------------------
 */

void schema_fail_type(struct vctx *v, const char *expect, const json_t *inst)
{
	char *subj;

	if (v->sink->mode == SINK_PROBE) {
		v->sink->errors++;
		return;
	}
	subj = subject(v);
	emit(v, SCHEMA_ERROR, 0, KIND_TYPE, expect,
	     xasprintf("%s must be %s, not %s", subj, expect,
	               schema_type_name(inst)));
	free(subj);
}

/* Evaluates sch into k, a sink of its own (a probe when v's is one). */
static void collect(struct vctx *v, struct sink *k, const json_t *sch,
                    const json_t *inst)
{
	struct sink *saved = v->sink;

	sink_init(k, saved->mode == SINK_PROBE ? SINK_PROBE : SINK_COLLECT);
	v->sink = k;
	schema_eval(v, sch, inst);
	v->sink = saved;
}

int schema_probe(struct vctx *v, const json_t *sch, const json_t *inst)
{
	struct sink *saved = v->sink, k;
	int ok;

	sink_init(&k, SINK_PROBE);
	v->sink = &k;
	schema_eval(v, sch, inst);
	v->sink = saved;
	ok = k.errors == 0;
	sink_release(&k);
	return ok;
}

/* x-kedge-warning and x-kedge-deprecated. */
static void kw_meta(struct vctx *v, const json_t *sch)
{
	static const char *const keys[] = {"x-kedge-warning",
	                                   "x-kedge-deprecated"};
	size_t i;

	if (v->sink->mode == SINK_PROBE)
		return;
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		const json_t *w = json_object_get(sch, keys[i]);
		char *subj;

		if (!w)
			continue;
		if (json_is_string(w)) {
			emit(v, SCHEMA_WARNING, 0, KIND_OTHER, NULL,
			     xstrdup(json_string_value(w)));
			continue;
		}
		subj = subject(v);
		emit(v, SCHEMA_WARNING, 0, KIND_OTHER, NULL,
		     xasprintf("%s is %s", subj, i ? "deprecated" : "ignored"));
		free(subj);
	}
}

static void kw_ref(struct vctx *v, const json_t *sch, const json_t *inst)
{
	const json_t *target;
	const char *uri;

	if (!json_object_get(sch, "$ref"))
		return;
	target = schema_ref_target(v->s, sch, &uri);
	if (!target) {
		schema_set_fatal(v, err_set(v->err, ERR_INVALID,
		                            "cannot resolve $ref '%s'",
		                            uri ? uri : "?"));
		return;
	}
	schema_eval(v, target, inst);
}

/* How far a failed branch got: errors about the value itself, and all. */
struct branch_score {
	size_t shallow, total;
	const struct item *type; /* a type mismatch at the value, if any */
	const struct item *first_shallow;
};

static void score(struct branch_score *sc, const struct sink *k,
                  const char *ptr)
{
	size_t i;

	memset(sc, 0, sizeof(*sc));
	for (i = 0; i < k->nr; i++) {
		const struct item *it = &k->items[i];

		if (it->sev != SCHEMA_ERROR)
			continue;
		sc->total++;
		if (strcmp(it->ptr, ptr) || it->key)
			continue;
		sc->shallow++;
		if (!sc->first_shallow)
			sc->first_shallow = it;
		if (it->kind == KIND_TYPE && !sc->type)
			sc->type = it;
	}
}

/* Every branch failed on the type: "must be a string or a list, not ...". */
static void blame_types(struct vctx *v, struct branch_score *sc, size_t n,
                        const json_t *inst)
{
	struct buf b = BUF_INIT;
	size_t i, j;
	int rc = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (!strcmp(sc[j].type->expect, sc[i].type->expect))
				break;
		if (j < i)
			continue;
		if (b.len)
			rc |= buf_addstr(&b, " or ");
		rc |= buf_addstr(&b, sc[i].type->expect);
	}
	if (rc)
		BUG("uncapped buffer failed");
	schema_fail_type(v, buf_cstr(&b), inst);
	buf_release(&b);
}

/* Reports why no branch of an anyOf/oneOf matched. */
static void blame(struct vctx *v, struct sink *ks, size_t n, const json_t *inst)
{
	struct branch_score *sc = xcalloc(n, sizeof(*sc));
	size_t i, best = n, cands = 0;
	struct buf b = BUF_INIT;

	for (i = 0; i < n; i++) {
		score(&sc[i], &ks[i], buf_cstr(&v->ptr));
		if (sc[i].type || !sc[i].total)
			continue;
		cands++;
		if (best == n || sc[i].shallow < sc[best].shallow ||
		    (sc[i].shallow == sc[best].shallow &&
		     sc[i].total < sc[best].total))
			best = i;
	}
	if (!cands && n && sc[0].type) {
		for (i = 0; i < n && sc[i].type; i++)
			;
		if (i == n) {
			blame_types(v, sc, n, inst);
			goto out;
		}
	}
	if (best == n) {
		schema_fail(v, "does not match any of the allowed forms");
	} else if (cands == 1 || !sc[best].shallow) {
		sink_forward(v->sink, &ks[best]);
	} else {
		for (i = 0; i < n; i++) {
			if (sc[i].type || !sc[i].first_shallow)
				continue;
			if (buf_addstr(&b, b.len ? "; or " : "") ||
			    buf_addstr(&b, sc[i].first_shallow->msg))
				BUG("uncapped buffer failed");
		}
		schema_fail(v, "does not match any of the allowed forms: %s",
		            buf_cstr(&b));
	}
out:
	buf_release(&b);
	free(sc);
}

/*
 * anyOf (one = 0) and oneOf (one = 1). Branches are first tried as probes,
 * which stop at the first error and format nothing: most instances match a
 * branch, and building messages for the branches they do not match cost
 * more than the rest of validation. Messages are collected only for the
 * branch that is forwarded (its warnings) or when no branch matches.
 */
static void kw_some_of(struct vctx *v, const json_t *list, const json_t *inst,
                       int one)
{
	size_t n = json_array_size(list), i;
	size_t valid = 0, first = 0, second = 0;
	struct sink *ks;

	for (i = 0; i < n && !v->fatal; i++) {
		if (!schema_probe(v, json_array_get(list, i), inst))
			continue;
		if (valid++ == 0)
			first = i;
		else if (valid == 2)
			second = i;
		if (!one || valid == 2)
			break;
	}
	if (v->fatal)
		return;
	if (valid >= 2 && one) {
		schema_fail(v,
		            "must match exactly one of the allowed forms, "
		            "but matches forms %zu and %zu",
		            first + 1, second + 1);
		return;
	}
	ks = xcalloc(n ? n : 1, sizeof(*ks));
	if (valid) {
		collect(v, &ks[first], json_array_get(list, first), inst);
		sink_forward(v->sink, &ks[first]);
	} else {
		for (i = 0; i < n && !v->fatal; i++)
			collect(v, &ks[i], json_array_get(list, i), inst);
		if (!v->fatal)
			blame(v, ks, n, inst);
	}
	for (i = 0; i < n; i++)
		sink_release(&ks[i]);
	free(ks);
}

static void kw_logic(struct vctx *v, const json_t *sch, const json_t *inst)
{
	const json_t *all = json_object_get(sch, "allOf");
	const json_t *any = json_object_get(sch, "anyOf");
	const json_t *one = json_object_get(sch, "oneOf");
	const json_t *not = json_object_get(sch, "not");
	const json_t *cond = json_object_get(sch, "if");
	const json_t *sub;
	size_t i;

	json_array_foreach ((json_t *)all, i, sub)
		schema_eval(v, sub, inst);
	if (json_is_array(any) && !schema_stopped(v))
		kw_some_of(v, any, inst, 0);
	if (json_is_array(one) && !schema_stopped(v))
		kw_some_of(v, one, inst, 1);
	if (not &&!schema_stopped(v) && schema_probe(v, not, inst) && !v->fatal)
		schema_fail(v, "is not allowed here (it matches a form "
		               "listed under 'not')");
	if (cond && !schema_stopped(v)) {
		sub = json_object_get(
		        sch, schema_probe(v, cond, inst) ? "then" : "else");
		if (sub)
			schema_eval(v, sub, inst);
	}
}

/* ---- entry points
 * ------------------------------------------------------------------ */

enum kw_group {
	KW_META = 1 << 0,
	KW_REF = 1 << 1,
	KW_TYPE = 1 << 2,
	KW_ENUM = 1 << 3,
	KW_NUMBER = 1 << 4,
	KW_STRING = 1 << 5,
	KW_OBJECT = 1 << 6,
	KW_ARRAY = 1 << 7,
	KW_LOGIC = 1 << 8,
};

static const struct {
	const char *name;
	unsigned group;
} kw_groups[] = {
        {"x-kedge-warning", KW_META},
        {"x-kedge-deprecated", KW_META},
        {"$ref", KW_REF},
        {"type", KW_TYPE},
        {"enum", KW_ENUM},
        {"const", KW_ENUM},
        {"minimum", KW_NUMBER},
        {"maximum", KW_NUMBER},
        {"exclusiveMinimum", KW_NUMBER},
        {"exclusiveMaximum", KW_NUMBER},
        {"multipleOf", KW_NUMBER},
        {"minLength", KW_STRING},
        {"maxLength", KW_STRING},
        {"pattern", KW_STRING},
        {"format", KW_STRING},
        {"properties", KW_OBJECT},
        {"patternProperties", KW_OBJECT},
        {"additionalProperties", KW_OBJECT},
        {"required", KW_OBJECT},
        {"propertyNames", KW_OBJECT},
        {"minProperties", KW_OBJECT},
        {"maxProperties", KW_OBJECT},
        {"dependentRequired", KW_OBJECT},
        {"dependentSchemas", KW_OBJECT},
        {"items", KW_ARRAY},
        {"prefixItems", KW_ARRAY},
        {"contains", KW_ARRAY},
        {"minContains", KW_ARRAY},
        {"maxContains", KW_ARRAY},
        {"minItems", KW_ARRAY},
        {"maxItems", KW_ARRAY},
        {"uniqueItems", KW_ARRAY},
        {"allOf", KW_LOGIC},
        {"anyOf", KW_LOGIC},
        {"oneOf", KW_LOGIC},
        {"not", KW_LOGIC},
        {"if", KW_LOGIC},
};

/*
 * Which groups of keywords a schema object uses. Walking its few keys once
 * costs less than looking up every keyword kedge knows in it, which is what
 * the keyword functions would otherwise do for every instance node.
 */
static unsigned kw_mask(struct schema *s, const json_t *sch)
{
	/* Bit 31 marks a cached entry, so an empty mask is not NULL. */
	uintptr_t cached = (uintptr_t)stab_get(&s->masks, &sch, sizeof(sch));
	unsigned mask = 1u << 31;
	const char *key;
	json_t *val;

	if (cached)
		return (unsigned)cached;
	json_object_foreach ((json_t *)sch, key, val) {
		for (size_t i = 0; i < ARRAY_SIZE(kw_groups); i++) {
			if (!strcmp(key, kw_groups[i].name)) {
				mask |= kw_groups[i].group;
				break;
			}
		}
	}
	stab_put(&s->masks, &sch, sizeof(sch), (void *)(uintptr_t)mask);
	return mask;
}

void schema_eval(struct vctx *v, const json_t *sch, const json_t *inst)
{
	unsigned mask;

	if (schema_stopped(v) || json_is_true(sch) || !json_is_object(sch)) {
		if (json_is_false(sch) && !schema_stopped(v))
			schema_fail(v, "is not allowed");
		return;
	}
	if (++v->depth > EVAL_MAX) {
		schema_set_fatal(v, err_set(v->err, ERR_INVALID,
		                            "schema recursion deeper than %d "
		                            "(a $ref loop?) at '%s'",
		                            EVAL_MAX, buf_cstr(&v->ptr)));
		goto out;
	}
	mask = kw_mask(v->s, sch);
	if (mask & KW_META)
		kw_meta(v, sch);
	if (mask & KW_REF)
		kw_ref(v, sch, inst);
	if (mask & KW_TYPE)
		schema_kw_type(v, sch, inst);
	if (mask & KW_ENUM)
		schema_kw_enum_const(v, sch, inst);
	if (json_is_number(inst) && (mask & KW_NUMBER))
		schema_kw_number(v, sch, inst);
	else if (json_is_string(inst) && (mask & KW_STRING))
		schema_kw_string(v, sch, inst);
	else if (json_is_object(inst) && (mask & KW_OBJECT))
		schema_kw_object(v, sch, inst);
	else if (json_is_array(inst) && (mask & KW_ARRAY))
		schema_kw_array(v, sch, inst);
	if (mask & KW_LOGIC)
		kw_logic(v, sch, inst);
out:
	v->depth--;
}

int schema_validate(struct schema *s, const char *uri, const json_t *instance,
                    schema_report_fn report, void *ctx, struct err *err)
{
	const json_t *root = schema_lookup(s, uri);
	struct sink sink;
	struct vctx v;
	int rc;

	if (!root)
		return err_set(err, ERR_NOTFOUND, "no schema '%s'", uri);
	sink_init(&sink, SINK_USER);
	sink.fn = report;
	sink.ctx = ctx;
	memset(&v, 0, sizeof(v));
	v.s = s;
	v.sink = &sink;
	v.err = err;
	buf_init(&v.ptr, 0);
	if (buf_addstr(&v.ptr, ""))
		BUG("uncapped buffer failed");
	schema_eval(&v, root, instance);
	rc = v.fatal ? v.fatal
	             : (int)(sink.errors > INT32_MAX ? INT32_MAX : sink.errors);
	buf_release(&v.ptr);
	sink_release(&sink);
	return rc;
}
