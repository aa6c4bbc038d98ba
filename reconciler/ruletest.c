/*
 * ruletest.c: rule unit tests, declared in ruletest.h.
 *
 * promtool 2.42 reports a failed test file as one "FAILED:" block on
 * stderr: per failing item "    alertname: A, time: T, " (after
 * "    name: N," when the test has a name) or "    expr: "E", time: T,"
 * then indented "exp:" and "got:" sections, or "    rule: R, time: T,
 * err: ..." when a rule could not be evaluated; failures come in the order
 * of the tests. It does not say which test an unnamed failure belongs to,
 * so each is matched to the first item at or after the previous match that
 * has the same alert (or expression) and evaluation time.
 */
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <jansson.h>

#include "buf.h"
#include "desired.h"
#include "diag.h"
#include "err.h"
#include "promtool.h"
#include "ruletest.h"
#include "source.h"
#include "srcmap.h"

#define RULETEST_FILE_MAX (4u << 20)
#define SHORT_MAX         400 /* bytes of expected or got shown in a message */
#define SECTION_MAX       (64u << 10) /* bytes of expected or got kept */

enum kind { F_ALERT, F_EXPR, F_RULE, F_OTHER };

/* One failure promtool reported. Strings are owned. */
struct failure {
	enum kind kind;
	char *name;    /* the test's name when promtool printed it */
	char *subject; /* alert name, expression or rule; F_OTHER: the text */
	char *time;    /* evaluation time as printed */
	char *error;   /* instead of exp/got: why it could not evaluate */
	struct buf exp, got;
	unsigned line; /* F_OTHER: "line N:" of a YAML error, else 0 */
};

struct failures {
	struct failure *v;
	size_t n, alloc;
};

/* Appends to an uncapped buffer, which cannot refuse. */
static void addf(struct buf *b, const char *fmt, ...) PRINTF(2, 3);
static void addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vaddf(b, fmt, ap);
	va_end(ap);
	if (rc)
		BUG("an uncapped buffer refused bytes");
}

static struct failure *failure_add(struct failures *fs, enum kind kind)
{
	struct failure *f;

	ALLOC_GROW(fs->v, fs->n + 1, fs->alloc);
	f = &fs->v[fs->n++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	buf_init(&f->exp, SECTION_MAX);
	buf_init(&f->got, SECTION_MAX);
	return f;
}

static void failures_release(struct failures *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		free(fs->v[i].name);
		free(fs->v[i].subject);
		free(fs->v[i].time);
		free(fs->v[i].error);
		buf_release(&fs->v[i].exp);
		buf_release(&fs->v[i].got);
	}
	free(fs->v);
}

/* Copies s up to the first occurrence of stop (or its end); *rest after. */
static char *take_until(const char *s, const char *stop, const char **rest)
{
	const char *e = strstr(s, stop);

	if (!e) {
		*rest = s + strlen(s);
		return xstrdup(s);
	}
	*rest = e + strlen(stop);
	return xstrndup(s, (size_t)(e - s));
}

/* Reads a Go %q string at s (after its opening quote); *rest after it. */
static char *go_unquote(const char *s, const char **rest)
{
	struct buf b;
	char c;

	buf_init(&b, 0);
	for (; *s && *s != '"'; s++) {
		c = *s;
		if (c == '\\' && s[1]) {
			c = *++s;
			c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
		}
		addf(&b, "%c", c);
	}
	*rest = *s ? s + 1 : s;
	return buf_detach(&b, NULL);
}

/* "alertname: A, time: T, " */
static void parse_alert(struct failure *f, const char *s)
{
	f->subject = take_until(s, ", time: ", &s);
	f->time = take_until(s, ",", &s);
}

/* "expr: "E", time: T," with an optional " err: ..." */
static void parse_expr(struct failure *f, const char *s)
{
	if (*s == '"')
		f->subject = go_unquote(s + 1, &s);
	else
		f->subject = take_until(s, ",", &s);
	if (starts_with(s, ", time: "))
		f->time = take_until(s + 8, ",", &s);
	while (*s == ' ')
		s++;
	if (starts_with(s, "err: "))
		f->error = xstrdup(s + 5);
}

/* "rule: R, time: T, err: E" */
static void parse_rule(struct failure *f, const char *s)
{
	f->subject = take_until(s, ", time: ", &s);
	f->time = take_until(s, ", err: ", &s);
	f->error = xstrdup(s);
}

/* A line promtool's report has no failure in. */
static int is_noise(const char *s)
{
	return !*s || starts_with(s, "Unit Testing:") ||
	       starts_with(s, "SUCCESS") || !strcmp(s, "FAILED:") ||
	       starts_with(s, "WARNING:") ||
	       !strcmp(s, "yaml: unmarshal errors:");
}

/* Text promtool wrote about other files, with the folder taken out. */
static char *unfolder(const char *s, const char *dir)
{
	size_t dl = strlen(dir);
	struct buf b;
	const char *p;

	buf_init(&b, 0);
	while ((p = strstr(s, dir)) && p[dl] == '/') {
		addf(&b, "%.*s", (int)(p - s), s);
		s = p + dl + 1;
	}
	addf(&b, "%s", s);
	return buf_detach(&b, NULL);
}

static void parse_other(struct failure *f, const char *s, const char *dir)
{
	size_t digits =
	        starts_with(s, "line ") ? strspn(s + 5, "0123456789") : 0;

	/* "line N: ..." from the YAML decoder; N of at most 9 digits */
	if (digits && digits < 10 && s[5 + digits] == ':') {
		f->line = (unsigned)strtoul(s + 5, NULL, 10);
		s += 5 + digits + 1;
		while (*s == ' ')
			s++;
	}
	f->subject = unfolder(s, dir);
}

/* Splits promtool's output into failures. Modifies out (its lines). */
static void parse_output(struct failures *fs, char *out, const char *dir)
{
	struct failure *cur = NULL;
	struct buf *section = NULL;
	char *name = NULL, *save = NULL, *line;
	int full = 0; /* the section is at its cap: take no more of it */

	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t indent = strspn(line, " ");
		char *s = line + indent;

		if (cur && indent >= 8 && starts_with(s, "exp:")) {
			section = &cur->exp;
			full = 0;
			s += 4;
		} else if (cur && indent >= 8 && starts_with(s, "got:")) {
			section = &cur->got;
			full = 0;
			s += 4;
		} else if (section && indent >= 8) {
			/* a line of the section started above */
		} else {
			section = NULL;
			cur = NULL;
		}
		if (section) {
			if (!full &&
			    ((section->len && buf_add(section, "\n", 1)) ||
			     buf_add(section, s, strlen(s))))
				full = 1; /* more than a message shows anyway */
			continue;
		}
		if (is_noise(s))
			continue;
		if (indent == 4 && starts_with(s, "name: ")) {
			free(name);
			name = xstrdup(s + 6);
			if (*name && name[strlen(name) - 1] == ',')
				name[strlen(name) - 1] = '\0';
			continue;
		}
		if (indent == 4 && starts_with(s, "alertname: ")) {
			cur = failure_add(fs, F_ALERT);
			parse_alert(cur, s + 11);
		} else if (indent == 4 && starts_with(s, "expr: ")) {
			cur = failure_add(fs, F_EXPR);
			parse_expr(cur, s + 6);
		} else if (indent == 4 && starts_with(s, "rule: ")) {
			cur = failure_add(fs, F_RULE);
			parse_rule(cur, s + 6);
		} else {
			cur = failure_add(fs, F_OTHER);
			parse_other(cur, s, dir);
			cur = NULL;
			continue;
		}
		cur->name = name;
		name = NULL;
	}
	free(name);
}

/* A Prometheus duration (y w d h m s ms, "0") in ms; -1 when not one. */
static long long prom_ms(const char *s)
{
	static const struct {
		const char *unit;
		long long ms;
	} units[] = {
	        {"ms", 1},       {"y", 365LL * 86400000}, {"w", 7 * 86400000LL},
	        {"d", 86400000}, {"h", 3600000},          {"m", 60000},
	        {"s", 1000}};
	long long total = 0;

	if (!s || !*s)
		return -1;
	if (!strcmp(s, "0"))
		return 0;
	while (*s) {
		long long n = 0;
		size_t u, digits = strspn(s, "0123456789");

		if (!digits || digits > 12)
			return -1;
		for (; digits; digits--)
			n = n * 10 + (*s++ - '0');
		for (u = 0; u < ARRAY_SIZE(units); u++)
			if (starts_with(s, units[u].unit))
				break;
		if (u == ARRAY_SIZE(units) ||
		    n > (LLONG_MAX - total) / units[u].ms)
			return -1;
		total += n * units[u].ms;
		s += strlen(units[u].unit);
	}
	return total;
}

/* A scalar of the test file as text (numbers too); NULL otherwise. */
static char *scalar(const json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return xasprintf("%g", json_real_value(v));
	return NULL;
}

static int scalar_is(const json_t *v, const char *s)
{
	char *t = scalar(v);
	int same = t && !strcmp(t, s);

	free(t);
	return same;
}

static int time_is(const json_t *item, const char *printed)
{
	const json_t *v = json_object_get(item, "eval_time");
	char *t = v ? scalar(v) : xstrdup("0s");
	long long a = prom_ms(t), b = prom_ms(printed);

	free(t);
	if (!printed) /* promtool always prints one; this output did not */
		return 0;
	return a >= 0 ? a == b : !strcmp(printed, "0s");
}

/* Where failures are found: the test and item matched so far. */
struct locator {
	const json_t *tests;
	size_t test;  /* the test the last failure was in */
	json_t *used; /* pointers of the items already matched, as keys */
};

/*
 * Finds the item of failure f at or after the last match; *ptr gets its
 * JSON pointer (the caller frees), *test its test. Returns 0 when none.
 */
static int locate(struct locator *l, const struct failure *f, char **ptr,
                  size_t *test)
{
	const char *list =
	        f->kind == F_ALERT ? "alert_rule_test" : "promql_expr_test";
	const char *key = f->kind == F_ALERT ? "alertname" : "expr";

	for (size_t g = l->test; g < json_array_size(l->tests); g++) {
		const json_t *t = json_array_get(l->tests, g), *item;
		const json_t *name = json_object_get(t, "name");
		size_t k;

		if (f->name ? !scalar_is(name, f->name)
		            : f->kind == F_ALERT && name)
			continue; /* promtool names a named test's alerts */
		json_array_foreach (json_object_get(t, list), k, item) {
			char *p;

			if (!scalar_is(json_object_get(item, key),
			               f->subject) ||
			    !time_is(item, f->time))
				continue;
			p = xasprintf("/tests/%zu/%s/%zu", g, list, k);
			if (json_object_get(l->used, p)) {
				free(p);
				continue;
			}
			json_object_set_new(l->used, p, json_true());
			l->test = g;
			*test = g;
			*ptr = p;
			return 1;
		}
	}
	return 0;
}

/* promtool's rendering of alerts ("[\n0:\nLabels:{..}\n...]") in short. */
static char *short_alerts(const struct buf *b)
{
	char *text = xstrdup(b->len ? b->ptr : ""), *save = NULL, *line;
	struct buf out;
	size_t n = 0;

	buf_init(&out, 0);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " ");
		if (starts_with(line, "Labels:")) {
			addf(&out, "%s%s", n++ ? "; " : "", line + 7);
		} else if (starts_with(line, "Annotations:") &&
		           strcmp(line + 12, "{}")) {
			addf(&out, " annotations %s", line + 12);
		}
	}
	free(text);
	if (!n) {
		buf_release(&out);
		return xstrdup("no alert");
	}
	text = xasprintf("%zu alert%s %s", n, n == 1 ? "" : "s", out.ptr);
	buf_release(&out);
	return text;
}

/* An expression's samples as promtool printed them, "nil" for none. */
static char *short_samples(const struct buf *b)
{
	const char *s = b->len ? b->ptr : "";

	s += strspn(s, " ");
	return xstrdup(!*s || !strcmp(s, "nil") ? "nothing" : s);
}

/* Cuts s to SHORT_MAX bytes (not inside a UTF-8 character), one line. */
static char *shorten(char *s)
{
	size_t n = strlen(s);

	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	if (n <= SHORT_MAX)
		return s;
	n = SHORT_MAX - 3; /* room for "..." inside the string's bytes */
	while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	memcpy(s + n, "...", 4);
	return s;
}

/* "rule test 'name'" or "rule test N" (N counts from 1). */
static char *test_label(const struct locator *l, const struct failure *f,
                        int found, size_t test)
{
	char *name = f->name ? xstrdup(f->name)
	             : found ? scalar(json_object_get(
	                               json_array_get(l->tests, test), "name"))
	                     : NULL;
	char *s;

	if (name)
		s = xasprintf("rule test '%s'", name);
	else if (found)
		s = xasprintf("rule test %zu", test + 1);
	else
		s = xstrdup("a rule test");
	free(name);
	return s;
}

static void report_one(const struct desired_doc *doc, struct locator *l,
                       const struct failure *f, struct diag *diag)
{
	struct srcpos pos = {0, 0, 0, 0};
	char *ptr = NULL, *label, *what, *exp = NULL, *got = NULL;
	size_t test = 0;
	int found = 0;

	if (f->kind == F_OTHER) {
		diag_add(diag, DIAG_ERROR, doc->path, f->line, f->line ? 1 : 0,
		         "promtool: %s", f->subject);
		return;
	}
	if (f->kind != F_RULE)
		found = locate(l, f, &ptr, &test);
	if (doc->map && srcmap_get(doc->map, ptr ? ptr : "/tests", &pos) < 0)
		memset(&pos, 0, sizeof(pos));
	label = test_label(l, f, found, test);
	what = shorten(xstrdup(f->subject ? f->subject : ""));
	if (f->kind == F_RULE) {
		diag_add(diag, DIAG_ERROR, doc->path, pos.line, pos.col,
		         "rule tests failed: rule '%s' at %s: %s", what,
		         f->time ? f->time : "?", f->error ? f->error : "");
	} else if (f->error) {
		diag_add(diag, DIAG_ERROR, doc->path, pos.line, pos.col,
		         "%s failed: expression '%s' at %s: %s", label, what,
		         f->time ? f->time : "?", f->error);
	} else {
		exp = shorten(f->kind == F_ALERT ? short_alerts(&f->exp)
		                                 : short_samples(&f->exp));
		got = shorten(f->kind == F_ALERT ? short_alerts(&f->got)
		                                 : short_samples(&f->got));
		diag_add(diag, DIAG_ERROR, doc->path, pos.line, pos.col,
		         "%s failed: %s '%s' at %s: expected %s, got %s", label,
		         f->kind == F_ALERT ? "alert" : "expression", what,
		         f->time ? f->time : "?", exp, got);
	}
	free(exp);
	free(got);
	free(what);
	free(label);
	free(ptr);
}

size_t ruletest_report(const struct desired_doc *doc, const char *output,
                       const char *dir, struct diag *diag)
{
	struct failures fs = {NULL, 0, 0};
	struct locator l;
	char *text = xstrdup(output);
	size_t before = diag->errors;

	l.tests = json_object_get(doc->doc, "tests");
	l.test = 0;
	l.used = json_object();
	parse_output(&fs, text, dir);
	for (size_t i = 0; i < fs.n; i++)
		report_one(doc, &l, &fs.v[i], diag);
	json_decref(l.used);
	failures_release(&fs);
	free(text);
	return diag->errors - before;
}

/* The position of the test file's rule_files entry i. */
static void entry_pos(const struct desired_doc *t, size_t i, unsigned *line,
                      unsigned *col)
{
	struct srcpos pos = {0, 0, 0, 0};
	char *ptr = xasprintf("/rule_files/%zu", i);

	if (!t->map || srcmap_get(t->map, ptr, &pos) < 0)
		memset(&pos, 0, sizeof(pos));
	*line = pos.line;
	*col = pos.col;
	free(ptr);
}

/*
 * Joins the folder of the test file and a rule_files entry into a
 * repository path, "." parts dropped; NULL when the entry is absolute or
 * has a ".." part, which would leave the folder.
 */
static char *entry_path(const char *test_path, const char *entry)
{
	const char *slash = strrchr(test_path, '/');
	struct buf b;

	if (*entry == '/')
		return NULL;
	buf_init(&b, 0);
	addf(&b, "%.*s", slash ? (int)(slash - test_path) : 0, test_path);
	while (*entry) {
		size_t n = strcspn(entry, "/");

		if (n == 2 && !strncmp(entry, "..", 2)) {
			buf_release(&b);
			return NULL;
		}
		if (n && !(n == 1 && *entry == '.'))
			addf(&b, "%s%.*s", b.len ? "/" : "", (int)n, entry);
		entry += n + (entry[n] == '/');
	}
	return buf_detach(&b, NULL);
}

/* Marks in refs the rule files entry i names; an error when none. */
static void resolve_entry(const struct desired *d, const struct desired_doc *t,
                          size_t i, const char *entry, unsigned char *refs,
                          struct diag *diag)
{
	char *path = entry ? entry_path(t->path, entry) : NULL;
	unsigned line, col;
	size_t matched = 0;
	enum source_type type;
	struct err e;

	entry_pos(t, i, &line, &col);
	if (!entry || !path) {
		diag_add(
		        diag, DIAG_ERROR, t->path, line, col,
		        "rule file '%s' leaves alerts/; a rule test reads only "
		        "the rule files beside it",
		        entry ? entry : "");
		return;
	}
	for (size_t j = 0; j < d->nalerts; j++) {
		int hit = strpbrk(entry, "*?[\\")
		                  ? !fnmatch(path, d->alerts[j].path,
		                             FNM_PATHNAME | FNM_PERIOD)
		                  : !strcmp(path, d->alerts[j].path);

		if (hit) {
			refs[j] = 1;
			matched++;
		}
	}
	err_clear(&e);
	if (strpbrk(entry, "*?[\\") &&
	    !fnmatch(path, t->path, FNM_PATHNAME | FNM_PERIOD))
		diag_add(diag, DIAG_ERROR, t->path, line, col,
		         "rule file pattern '%s' matches this test file too, "
		         "which promtool would read as a rule file; name the "
		         "rule files",
		         entry);
	else if (matched)
		;
	else if (strpbrk(entry, "*?[\\"))
		diag_add(diag, DIAG_ERROR, t->path, line, col,
		         "rule file pattern '%s' matches no rule file in "
		         "alerts/",
		         entry);
	else if (source_stat(&type, d->src, path, &e) == ERR_NOTFOUND)
		diag_add(diag, DIAG_ERROR, t->path, line, col,
		         "rule file '%s' does not exist (no '%s')", entry,
		         path);
	else
		diag_add(
		        diag, DIAG_ERROR, t->path, line, col,
		        "rule file '%s' is not a rule file kedge reads ('%s'); "
		        "rule files are alerts/<name>.yml",
		        entry, path);
	free(path);
}

/* Reads path into the next of files[] (its bytes held by bufs[]). */
static int read_one(struct promtool_file *files, struct buf *bufs, size_t *n,
                    const struct desired *d, const char *path, struct err *err)
{
	int rc;

	buf_init(&bufs[*n], RULETEST_FILE_MAX);
	rc = source_read(&bufs[*n], d->src, path, err);
	files[*n].path = path;
	files[*n].data = bufs[*n].ptr;
	files[*n].len = bufs[*n].len;
	(*n)++;
	if (rc)
		err_prefix(err, "cannot read '%s'", path);
	return rc;
}

/* Reads the test, then the rule files it uses, into files[]. */
static int read_files(struct promtool_file *files, struct buf *bufs, size_t *n,
                      const struct desired *d, const struct desired_doc *t,
                      const unsigned char *refs, struct err *err)
{
	int rc = read_one(files, bufs, n, d, t->path, err);

	for (size_t j = 0; !rc && j < d->nalerts; j++)
		if (refs[j])
			rc = read_one(files, bufs, n, d, d->alerts[j].path,
			              err);
	return rc;
}

static void run_test(const struct desired *d, const struct desired_doc *t,
                     const unsigned char *refs, const char *tool,
                     struct diag *diag)
{
	struct promtool_file *files = xcalloc(d->nalerts + 1, sizeof(*files));
	struct buf *bufs = xcalloc(d->nalerts + 1, sizeof(*bufs)), out;
	char *dir = NULL;
	size_t n = 0;
	struct err e;
	int status = 0;

	buf_init(&out, PROMTOOL_OUTPUT_MAX);
	err_clear(&e);
	if (read_files(files, bufs, &n, d, t, refs, &e) ||
	    promtool_test_rules(&status, &dir, &out, tool, files, n, t->path,
	                        PROMTOOL_TIMEOUT_MS, &e))
		diag_add(diag, DIAG_ERROR, t->path, 0, 0,
		         "cannot run the rule tests with promtool: %s", e.msg);
	else if (status &&
	         !ruletest_report(t, out.len ? buf_cstr(&out) : "", dir, diag))
		diag_add(diag, DIAG_ERROR, t->path, 0, 0,
		         "promtool test rules failed (exit status %d) and said "
		         "nothing kedge understands",
		         status);
	for (size_t i = 0; i < n; i++)
		buf_release(&bufs[i]);
	buf_release(&out);
	free(bufs);
	free(files);
	free(dir);
}

/* Checks the test's rule_files, then runs it when it can. */
static void verify_test(const struct desired *d, const struct desired_doc *t,
                        const unsigned char *rule_failed, const char *tool,
                        int *warned, struct diag *diag)
{
	unsigned char *refs = xcalloc(d->nalerts + 1, 1);
	const json_t *files = json_object_get(t->doc, "rule_files"), *v;
	size_t i, before = diag->errors;

	json_array_foreach (files, i, v)
		resolve_entry(d, t, i, json_string_value(v), refs, diag);
	for (i = 0; diag->errors == before && i < d->nalerts; i++)
		if (refs[i] && rule_failed[i])
			break;
	if (diag->errors != before) {
		/* the rule_files errors say it all */
	} else if (i < d->nalerts) {
		diag_add(diag, DIAG_WARNING, t->path, 0, 0,
		         "rule tests not run: rule file '%s' has errors",
		         d->alerts[i].path);
	} else if (!tool) {
		if (!*warned)
			diag_add(diag, DIAG_WARNING, t->path, 0, 0,
			         "rule tests not run: promtool not found");
		*warned = 1;
	} else {
		run_test(d, t, refs, tool, diag);
	}
	free(refs);
}

void ruletest_verify(const struct desired *d, const unsigned char *rule_failed,
                     const char *tool, struct diag *diag)
{
	int warned = 0;

	for (size_t i = 0; i < d->nalert_tests; i++)
		if (d->alert_tests[i].doc)
			verify_test(d, &d->alert_tests[i], rule_failed, tool,
			            &warned, diag);
}
