/*
 * interp.c: compose interpolation, declared in interp.h.
 *
 * The grammar is docker/cli's cli/compose/template (v20.10.24, unchanged
 * through v28.2), which is one regular expression, case-insensitive:
 *
 *   \$(?i: (\$) | (NAME(?::?[-?][^}]*)?) | {(NAME(?::?[-?][^}]*)?)} | () )
 *   NAME = [_a-z][_a-z0-9]*
 *
 * so an unbraced reference takes an operator too ($A-x is ${A-x}, and it
 * runs to the next '}' or the end), a default ends at the first '}' and is
 * never interpolated again (${A:-${B}} is "${B" then "}"), and there is no
 * :+ or +. What the matched text means is decided by substring tests in
 * docker's order: ":-", then "-", ":?", "?", splitting at the first one
 * found. tests/unit/test-interp.c holds the table of cases, each checked
 * against `docker stack config`.
 */
#include <ctype.h>
#include <jansson.h>

#include "buf.h"
#include "diag.h"
#include "err.h"
#include "interp.h"
#include "srcmap.h"

#define MAX_RESULT (1u << 20)
/*
 * What interpolation may add to one document in all: a 1 MiB value
 * referenced in every string would otherwise turn a small file into
 * gigabytes, string by string, each under MAX_RESULT.
 */
#define MAX_GROWTH (4u << 20)

struct state {
	interp_lookup_fn lookup;
	void *ctx;
	char *unset; /* first unset variable, for the warning */
	int changed;
};

/*
 * The length of the name character at p (0: none). Go's case folding
 * makes [a-z] under (?i) also match U+017F (long s) and U+212A (Kelvin).
 */
static size_t name_char(const char *p, size_t left, int first)
{
	const unsigned char *u = (const unsigned char *)p;

	if (!left)
		return 0;
	if (isalpha(u[0]) || u[0] == '_' || (!first && isdigit(u[0])))
		return 1;
	if (left >= 2 && u[0] == 0xc5 && u[1] == 0xbf)
		return 2;
	if (left >= 3 && u[0] == 0xe2 && u[1] == 0x84 && u[2] == 0xaa)
		return 3;
	return 0;
}

/* Length of NAME(?::?[-?][^}]*)? at in, or 0 when no name starts there. */
static size_t match_subst(const char *in, size_t len)
{
	size_t n = name_char(in, len, 1), k;

	if (!n)
		return 0;
	while ((k = name_char(in + n, len - n, 0)))
		n += k;
	k = n < len && in[n] == ':' ? n + 1 : n;
	if (k < len && (in[k] == '-' || in[k] == '?')) {
		n = k + 1;
		while (n < len && in[n] != '}')
			n++;
	}
	return n;
}

static const char *find(const char *s, size_t len, const char *sep)
{
	size_t n = strlen(sep);

	for (size_t i = 0; i + n <= len; i++)
		if (!memcmp(s + i, sep, n))
			return s + i;
	return NULL;
}

static const char *get_var(struct state *st, const char *name, size_t n)
{
	char *key = xstrndup(name, n);
	const char *v = st->lookup(st->ctx, key);

	free(key);
	return v;
}

/* One matched substitution (what is between "${" and "}", or after "$"). */
static int substitute(struct buf *out, struct state *st, const char *sub,
                      size_t len, struct err *err)
{
	static const struct {
		const char *sep;
		int non_empty, required;
	} ops[] = {{":-", 1, 0}, {"-", 0, 0}, {":?", 1, 1}, {"?", 0, 1}};
	const char *v;

	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		const char *at = find(sub, len, ops[i].sep);
		const char *arg;
		size_t n, arglen;
		int set;

		if (!at)
			continue;
		n = (size_t)(at - sub);
		arg = at + strlen(ops[i].sep);
		arglen = (size_t)(sub + len - arg);
		v = get_var(st, sub, n);
		set = v && (!ops[i].non_empty || *v);
		if (set)
			return buf_addstr(out, v);
		if (!ops[i].required)
			return buf_add(out, arg, arglen);
		return err_set(
		        err, ERR_INVALID,
		        "required variable %.*s is missing a value%s%.*s",
		        (int)n, sub, arglen ? ": " : "", (int)arglen, arg);
	}
	v = get_var(st, sub, len);
	if (v)
		return buf_addstr(out, v);
	if (!st->unset)
		st->unset = xstrndup(sub, len);
	return 0;
}

/*
 * docker's CLI keeps only the error of the last reference in a string, so
 * "${} $FOO" passes there (as "{} first"). kedge refuses every string with
 * a malformed or missing required reference: that difference is deliberate
 * (docs/desired-state.md).
 */
static int expand(struct buf *out, struct state *st, const char *in, size_t len,
                  struct err *err)
{
	int error = 0;
	size_t i = 0;

	while (i < len && !error) {
		const char *p = in + i;
		size_t n;

		if (*p != '$') {
			error = buf_addch(out, *p);
			i++;
			continue;
		}
		st->changed = 1;
		if (i + 1 < len && p[1] == '$') {
			error = buf_addch(out, '$');
			i += 2;
		} else if ((n = match_subst(p + 1, len - i - 1))) {
			error = substitute(out, st, p + 1, n, err);
			i += 1 + n;
		} else if (i + 1 < len && p[1] == '{' &&
		           (n = match_subst(p + 2, len - i - 2)) &&
		           i + 2 + n < len && p[2 + n] == '}') {
			error = substitute(out, st, p + 2, n, err);
			i += 3 + n;
		} else {
			error = err_set(
			        err, ERR_INVALID,
			        "invalid interpolation format: \"%.*s%s\": "
			        "a '$' must be followed by a name, "
			        "'{name}' or '$' (write '$$' for a literal "
			        "'$')",
			        (int)(len > 200 ? 200 : len), in,
			        len > 200 ? "..." : "");
		}
	}
	if (error == ERR_TOOBIG)
		error = err_set(err, ERR_TOOBIG,
		                "interpolated value is longer than %u bytes",
		                MAX_RESULT);
	return error;
}

int interp_string(char **out, int *changed, char **unset_out, const char *in,
                  interp_lookup_fn lookup, void *ctx, struct err *err)
{
	struct state st = {lookup, ctx, NULL, 0};
	struct buf b;
	int error;

	buf_init(&b, MAX_RESULT);
	error = expand(&b, &st, in, strlen(in), err);
	if (error) {
		buf_release(&b);
		free(st.unset);
		return error;
	}
	*out = buf_detach(&b, NULL);
	if (changed)
		*changed = st.changed;
	if (unset_out)
		*unset_out = st.unset;
	else
		free(st.unset);
	return 0;
}

/*
 * Fields that docker/cli casts back from strings after interpolation, as
 * paths of tokens where "*" matches any key or index. Only these: casting
 * everywhere would turn `VERSION: ${V}` with V=1.10 into the number 1.1.
 */
enum cast { CAST_INT, CAST_FLOAT, CAST_BOOL };

static const struct cast_rule {
	const char *path[6];
	enum cast cast;
} cast_rules[] = {
        {{"services", "*", "deploy", "replicas"}, CAST_INT},
        {{"services", "*", "deploy", "update_config", "parallelism"}, CAST_INT},
        {{"services", "*", "deploy", "update_config", "max_failure_ratio"},
         CAST_FLOAT},
        {{"services", "*", "deploy", "rollback_config", "parallelism"},
         CAST_INT},
        {{"services", "*", "deploy", "rollback_config", "max_failure_ratio"},
         CAST_FLOAT},
        {{"services", "*", "deploy", "restart_policy", "max_attempts"},
         CAST_INT},
        {{"services", "*", "deploy", "placement", "max_replicas_per_node"},
         CAST_INT},
        {{"services", "*", "deploy", "resources", "limits", "pids"}, CAST_INT},
        {{"services", "*", "healthcheck", "retries"}, CAST_INT},
        {{"services", "*", "healthcheck", "disable"}, CAST_BOOL},
        {{"services", "*", "ports", "*", "target"}, CAST_INT},
        {{"services", "*", "ports", "*", "published"}, CAST_INT},
        {{"services", "*", "configs", "*", "mode"}, CAST_INT},
        {{"services", "*", "secrets", "*", "mode"}, CAST_INT},
        {{"services", "*", "ulimits", "*"}, CAST_INT},
        {{"services", "*", "ulimits", "*", "soft"}, CAST_INT},
        {{"services", "*", "ulimits", "*", "hard"}, CAST_INT},
        {{"services", "*", "init"}, CAST_BOOL},
        {{"services", "*", "privileged"}, CAST_BOOL},
        {{"services", "*", "read_only"}, CAST_BOOL},
        {{"services", "*", "stdin_open"}, CAST_BOOL},
        {{"services", "*", "tty"}, CAST_BOOL},
        {{"services", "*", "volumes", "*", "read_only"}, CAST_BOOL},
        {{"services", "*", "volumes", "*", "volume", "nocopy"}, CAST_BOOL},
        {{"networks", "*", "external"}, CAST_BOOL},
        {{"networks", "*", "internal"}, CAST_BOOL},
        {{"networks", "*", "attachable"}, CAST_BOOL},
        {{"volumes", "*", "external"}, CAST_BOOL},
        {{"secrets", "*", "external"}, CAST_BOOL},
        {{"configs", "*", "external"}, CAST_BOOL},
};

#define MAX_TOKENS 64

struct walk {
	interp_lookup_fn lookup;
	void *ctx;
	const struct srcmap *map;
	struct diag *diag;
	const char *tokens[MAX_TOKENS];
	char indexes[MAX_TOKENS][24]; /* array indexes as tokens */
	unsigned ntok;
	int errors;
	size_t grown; /* bytes interpolation added so far */
	int over;     /* MAX_GROWTH was passed: expand nothing more */
};

static const struct cast_rule *find_cast(const struct walk *w)
{
	for (size_t i = 0; i < ARRAY_SIZE(cast_rules); i++) {
		const struct cast_rule *r = &cast_rules[i];
		unsigned n = 0;

		while (n < ARRAY_SIZE(r->path) && r->path[n])
			n++;
		if (n != w->ntok)
			continue;
		for (n = 0; n < w->ntok; n++)
			if (strcmp(r->path[n], "*") &&
			    strcmp(r->path[n], w->tokens[n]))
				break;
		if (n == w->ntok)
			return r;
	}
	return NULL;
}

/* Returns a new value of the cast type, or NULL to keep the string. */
static json_t *cast_value(enum cast c, const char *s)
{
	char *end;

	if (c == CAST_BOOL) {
		static const char *const yes[] = {"true", "yes", "y", "on"};
		static const char *const no[] = {"false", "no", "n", "off"};

		for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
			if (!strcasecmp(s, yes[i]))
				return json_true();
			if (!strcasecmp(s, no[i]))
				return json_false();
		}
		return NULL;
	}
	if (!*s || isspace((unsigned char)*s))
		return NULL;
	errno = 0;
	if (c == CAST_INT) {
		long long v = strtoll(s, &end, 10);

		return !*end && !errno ? json_integer(v) : NULL;
	}
	{
		double d = strtod(s, &end);

		return !*end && !errno ? json_real(d) : NULL;
	}
}

static void walk_pos(const struct walk *w, const char *ptr, unsigned *line,
                     unsigned *col)
{
	struct srcpos pos = {0, 0, 0, 0};

	if (w->map && srcmap_get(w->map, ptr, &pos) < 0)
		pos.line = pos.col = 0;
	*line = pos.line;
	*col = pos.col;
}

/* Interpolates one string; returns a replacement value or NULL to keep it. */
/*
 * The JSON Pointer of the current node, built from the token stack only
 * when a string needs interpolating: most strings have no '$', and building
 * a pointer for every node cost more than the rest of the walk.
 */
static char *walk_pointer(const struct walk *w)
{
	char *ptr = xstrdup("");

	for (unsigned i = 0; i < w->ntok; i++) {
		char *next = srcmap_child(ptr, w->tokens[i]);

		free(ptr);
		ptr = next;
	}
	return ptr;
}

static json_t *walk_string(struct walk *w, const json_t *v)
{
	const char *file = w->map ? srcmap_path(w->map) : NULL;
	char *res = NULL, *unset = NULL, *ptr;
	struct err err;
	unsigned line, col;
	int changed = 0;
	json_t *out = NULL;

	if (w->over || !strchr(json_string_value(v), '$'))
		return NULL;
	err_clear(&err);
	ptr = walk_pointer(w);
	walk_pos(w, ptr, &line, &col);
	free(ptr);
	if (interp_string(&res, &changed, &unset, json_string_value(v),
	                  w->lookup, w->ctx, &err)) {
		diag_add(w->diag, DIAG_ERROR, file, line, col, "%s", err.msg);
		w->errors++;
		return NULL;
	}
	if (unset)
		diag_add(w->diag, DIAG_WARNING, file, line, col,
		         "variable '%s' is not set (by the stack's .env or "
		         "kedge.yml's env_passthrough); using an empty string",
		         unset);
	if (changed && strlen(res) > json_string_length(v))
		w->grown += strlen(res) - json_string_length(v);
	if (w->grown > MAX_GROWTH) {
		diag_add(w->diag, DIAG_ERROR, file, line, col,
		         "interpolation makes this file more than %u MiB "
		         "larger; refusing to expand it further",
		         MAX_GROWTH >> 20);
		w->errors++;
		w->over = 1;
		changed = 0;
	}
	if (changed) {
		const struct cast_rule *r = find_cast(w);

		out = r ? cast_value(r->cast, res) : NULL;
		if (!out)
			out = json_string(res);
	}
	free(unset);
	free(res);
	return out;
}

static void walk_value(struct walk *w, json_t *v);

static void walk_child(struct walk *w, json_t *parent, const char *key,
                       size_t index, json_t *child)
{
	json_t *repl;

	if (w->ntok >= MAX_TOKENS)
		return;
	if (!key) {
		snprintf(w->indexes[w->ntok], sizeof(w->indexes[w->ntok]),
		         "%zu", index);
		key = w->indexes[w->ntok];
	}
	w->tokens[w->ntok++] = key;
	if (json_is_string(child)) {
		repl = walk_string(w, child);
		if (repl && json_is_object(parent))
			json_object_set_new(parent, key, repl);
		else if (repl)
			json_array_set_new(parent, index, repl);
	} else {
		walk_value(w, child);
	}
	w->ntok--;
}

static void walk_value(struct walk *w, json_t *v)
{
	const char *key;
	json_t *child;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach (v, key, child)
			walk_child(w, v, key, 0, child);
	} else if (json_is_array(v)) {
		json_array_foreach (v, i, child)
			walk_child(w, v, NULL, i, child);
	}
}

int interp_compose(json_t *doc, interp_lookup_fn lookup, void *ctx,
                   const struct srcmap *map, struct diag *diag)
{
	struct walk w = {
	        .lookup = lookup, .ctx = ctx, .map = map, .diag = diag};

	walk_value(&w, doc);
	return w.errors;
}
