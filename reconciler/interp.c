/*
 * interp.c: compose interpolation, declared in interp.h.
 *
 * The grammar follows docker/cli's template package: $$ is a literal $,
 * $NAME and ${NAME} substitute, and inside braces the operators :- - :? ?
 * :+ + choose defaults, errors and alternatives. A default may itself hold
 * references (${A:-${B}}), which are expanded recursively with a depth cap.
 */
#include <ctype.h>
#include <jansson.h>

#include "buf.h"
#include "diag.h"
#include "err.h"
#include "interp.h"
#include "srcmap.h"

#define MAX_NESTING 8
#define MAX_RESULT  (1u << 20)

struct state {
	interp_lookup_fn lookup;
	void *ctx;
	char *unset; /* first unset variable, for the warning */
	int changed;
	unsigned depth;
};

static int expand(struct buf *out, struct state *st, const char *in, size_t len,
                  struct err *err);

static int is_name_char(char c, int first)
{
	return isalpha((unsigned char)c) || c == '_' ||
	       (!first && isdigit((unsigned char)c));
}

/* Finds the '}' closing the brace that opened at in[0] == '{'. */
static size_t closing_brace(const char *in, size_t len)
{
	unsigned level = 0;

	for (size_t i = 0; i < len; i++) {
		if (in[i] == '{')
			level++;
		else if (in[i] == '}' && --level == 0)
			return i;
	}
	return 0;
}

static void note_unset(struct state *st, const char *name, size_t n)
{
	if (!st->unset)
		st->unset = xstrndup(name, n);
}

static int braced(struct buf *out, struct state *st, const char *body,
                  size_t len, struct err *err)
{
	size_t n = 0;
	const char *op, *value;
	char *name;
	int colon = 0, error = 0;

	while (n < len && is_name_char(body[n], n == 0))
		n++;
	if (!n)
		return err_set(err, ERR_INVALID,
		               "invalid interpolation format: '${%.*s}'",
		               (int)len, body);
	name = xstrndup(body, n);
	value = st->lookup(st->ctx, name);
	op = body + n;
	if (op < body + len && *op == ':') {
		colon = 1;
		op++;
	}
	if (op == body + len && !colon) {
		if (value)
			error = buf_addstr(out, value);
		else
			note_unset(st, body, n);
		goto out;
	}
	if (op >= body + len || !strchr("-?+", *op)) {
		error = err_set(err, ERR_INVALID,
		                "invalid interpolation format: '${%.*s}'",
		                (int)len, body);
		goto out;
	}
	{
		int set = value && (!colon || *value);
		const char *arg = op + 1;
		size_t arglen = (size_t)(body + len - arg);

		if (*op == '-')
			error = set ? buf_addstr(out, value)
			            : expand(out, st, arg, arglen, err);
		else if (*op == '+')
			error = set ? expand(out, st, arg, arglen, err) : 0;
		else if (set)
			error = buf_addstr(out, value);
		else
			error = err_set(err, ERR_INVALID,
			                "required variable %s is missing a "
			                "value%s%.*s",
			                name, arglen ? ": " : "", (int)arglen,
			                arg);
	}
out:
	free(name);
	return error;
}

static int expand(struct buf *out, struct state *st, const char *in, size_t len,
                  struct err *err)
{
	int error = 0;

	if (++st->depth > MAX_NESTING) {
		st->depth--;
		return err_set(err, ERR_INVALID,
		               "interpolation nested more than %d deep",
		               MAX_NESTING);
	}
	for (size_t i = 0; i < len && !error; i++) {
		const char *p = in + i;

		if (*p != '$') {
			error = buf_addch(out, *p);
			continue;
		}
		st->changed = 1;
		if (i + 1 < len && p[1] == '$') {
			error = buf_addch(out, '$');
			i++;
		} else if (i + 1 < len && p[1] == '{') {
			size_t close = closing_brace(p + 1, len - i - 1);

			if (!close) {
				error = err_set(err, ERR_INVALID,
				                "invalid interpolation format: "
				                "'%.*s' has no closing '}'",
				                (int)(len - i), p);
				break;
			}
			error = braced(out, st, p + 2, close - 1, err);
			i += close + 1;
		} else if (i + 1 < len && is_name_char(p[1], 1)) {
			size_t n = 1;
			const char *v;
			char *name;

			while (i + 1 + n < len && is_name_char(p[1 + n], 0))
				n++;
			name = xstrndup(p + 1, n);
			v = st->lookup(st->ctx, name);
			if (v)
				error = buf_addstr(out, v);
			else
				note_unset(st, p + 1, n);
			free(name);
			i += n;
		} else {
			error = err_set(err, ERR_INVALID,
			                "invalid interpolation format: a '$' "
			                "must be followed by a name, '{' or "
			                "'$' (write '$$' for a literal '$')");
		}
	}
	if (error == ERR_TOOBIG)
		error = err_set(err, ERR_TOOBIG,
		                "interpolated value is longer than %u bytes",
		                MAX_RESULT);
	st->depth--;
	return error;
}

int interp_string(char **out, int *changed, char **unset_out, const char *in,
                  interp_lookup_fn lookup, void *ctx, struct err *err)
{
	struct state st = {lookup, ctx, NULL, 0, 0};
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

	if (!strchr(json_string_value(v), '$'))
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
		         "variable '%s' is not set; using an empty string",
		         unset);
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
