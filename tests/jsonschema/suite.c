/*
 * suite.c: runs the official JSON Schema test suite (draft 2020-12) against
 * kedge's validator.
 *
 * Owns: reading the suite's keyword files (one per keyword, each a list of
 * {description, schema, tests: [{description, data, valid}]}), serving its
 * remotes/ documents under http://localhost:1234/ through schema_add, and
 * comparing every verdict with the expected one and with the list of known
 * failures. Does not own: the validator (reconciler/schema*.c).
 *
 * Usage: suite [--known-failures FILE] [--dir DIR] [--remotes DIR] [-v]
 * Exits 1 when a case fails that is not a known failure, when a known
 * failure passes, or when a known failure names no case that was run.
 */
#include <dirent.h>
#include <sys/stat.h>

#include <jansson.h>

#include "schema.h"
#include "err.h"

#define DEFAULT_DIR                                                           \
	"/usr/share/perl5/auto/share/dist/Test-JSON-Schema-Acceptance/tests/" \
	"draft2020-12"
#define ROOT_URI "https://kedge.invalid/suite/root.json"

/* The keyword files of what kedge implements; "format" ones assert. */
static const struct {
	const char *file;
	int assert_format;
} run_files[] = {
        {"additionalProperties.json", 0},
        {"allOf.json", 0},
        {"anchor.json", 0},
        {"anyOf.json", 0},
        {"boolean_schema.json", 0},
        {"const.json", 0},
        {"contains.json", 0},
        {"default.json", 0},
        {"defs.json", 0},
        {"dependentRequired.json", 0},
        {"dependentSchemas.json", 0},
        {"enum.json", 0},
        {"exclusiveMaximum.json", 0},
        {"exclusiveMinimum.json", 0},
        {"format.json", 0},
        {"id.json", 0},
        {"if-then-else.json", 0},
        {"infinite-loop-detection.json", 0},
        {"items.json", 0},
        {"maxContains.json", 0},
        {"maxItems.json", 0},
        {"maxLength.json", 0},
        {"maxProperties.json", 0},
        {"maximum.json", 0},
        {"minContains.json", 0},
        {"minItems.json", 0},
        {"minLength.json", 0},
        {"minProperties.json", 0},
        {"minimum.json", 0},
        {"multipleOf.json", 0},
        {"not.json", 0},
        {"oneOf.json", 0},
        {"pattern.json", 0},
        {"patternProperties.json", 0},
        {"prefixItems.json", 0},
        {"properties.json", 0},
        {"propertyNames.json", 0},
        {"ref.json", 0},
        {"refRemote.json", 0},
        {"required.json", 0},
        {"type.json", 0},
        {"uniqueItems.json", 0},
        {"unknownKeyword.json", 0},
        {"optional/format/date-time.json", 1},
        {"optional/format/regex.json", 1},
        {"optional/format/uri.json", 1},
};

struct remote {
	char *url;
	json_t *doc;
};

struct known {
	char *key;
	int seen, failed;
};

struct run {
	struct remote *remotes;
	size_t nr_remotes, alloc_remotes;
	struct known *known;
	size_t nr_known, alloc_known;
	int verbose;
	unsigned passed, total, known_failed, unexpected;
};

static void load_remotes(struct run *r, const char *dir, const char *rel)
{
	char *path = xasprintf("%s/%s", dir, rel);
	DIR *d = opendir(path);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *sub, *full;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		sub = *rel ? xasprintf("%s/%s", rel, de->d_name)
		           : xstrdup(de->d_name);
		full = xasprintf("%s/%s", dir, sub);
		if (!stat(full, &st) && S_ISDIR(st.st_mode)) {
			load_remotes(r, dir, sub);
		} else if (ends_with(sub, ".json")) {
			json_t *doc = json_load_file(full, 0, NULL);

			if (doc) {
				ALLOC_GROW(r->remotes, r->nr_remotes + 1,
				           r->alloc_remotes);
				r->remotes[r->nr_remotes].url = xasprintf(
				        "http://localhost:1234/%s", sub);
				r->remotes[r->nr_remotes++].doc = doc;
			}
		}
		free(sub);
		free(full);
	}
	if (d)
		closedir(d);
	free(path);
}

static int load_known(struct run *r, const char *file)
{
	FILE *fp = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0;

	if (!fp) {
		fprintf(stderr, "suite: %s: %s\n", file, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, fp) > 0) {
		char *hash = strstr(line, "  #");
		size_t n;

		if (hash)
			*hash = '\0';
		n = strcspn(line, "\n");
		while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
			n--;
		line[n] = '\0';
		if (!n || line[0] == '#')
			continue;
		ALLOC_GROW(r->known, r->nr_known + 1, r->alloc_known);
		r->known[r->nr_known].key = xstrdup(line);
		r->known[r->nr_known].seen = 0;
		r->known[r->nr_known++].failed = 0;
	}
	free(line);
	fclose(fp);
	return 0;
}

static struct known *find_known(struct run *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->nr_known; i++)
		if (!strcmp(r->known[i].key, key))
			return &r->known[i];
	return NULL;
}

static void ignore_report(void *ctx, enum schema_severity sev,
                          const char *pointer, int key_problem,
                          const char *message)
{
	(void)ctx;
	(void)sev;
	(void)pointer;
	(void)key_problem;
	(void)message;
}

/* A fresh set per group: the remotes, then the group's schema. */
static struct schema *group_schema(struct run *r, json_t *sch, int fmt,
                                   struct err *err)
{
	struct schema *s = schema_new();
	size_t i;

	schema_set_format_assertion(s, fmt);
	for (i = 0; i < r->nr_remotes; i++) {
		if (schema_add(s, r->remotes[i].url, r->remotes[i].doc, NULL))
			continue; /* a remote of another draft; unused */
	}
	if (schema_add(s, ROOT_URI, sch, err)) {
		schema_free(s);
		return NULL;
	}
	return s;
}

static void verdict(struct run *r, const char *key, int ok, const char *detail)
{
	struct known *k = find_known(r, key);

	r->total++;
	if (k) {
		k->seen = 1;
		k->failed = !ok;
	}
	if (ok) {
		r->passed++;
	} else if (k) {
		r->known_failed++;
	} else {
		r->unexpected++;
		printf("FAIL %s%s%s\n", key, *detail ? ": " : "", detail);
	}
	if (r->verbose && ok)
		printf("ok   %s\n", key);
}

static void run_group(struct run *r, const char *file, json_t *g, int fmt)
{
	const char *gdesc =
	        json_string_value(json_object_get(g, "description"));
	json_t *tests = json_object_get(g, "tests"), *t;
	struct err err;
	struct schema *s;
	size_t i;

	err_clear(&err);
	s = group_schema(r, json_object_get(g, "schema"), fmt, &err);
	json_array_foreach(tests, i, t)
	{
		const char *tdesc =
		        json_string_value(json_object_get(t, "description"));
		int want = json_is_true(json_object_get(t, "valid"));
		char *key = xasprintf("%s: %s / %s", file, gdesc, tdesc);
		int rc = -1, got;

		if (s) {
			err_clear(&err);
			rc = schema_validate(s, ROOT_URI,
			                     json_object_get(t, "data"),
			                     ignore_report, NULL, &err);
		}
		/* A schema kedge cannot use is a failure, never "invalid". */
		got = rc == 0;
		verdict(r, key, rc >= 0 && got == want, rc < 0 ? err.msg : "");
		free(key);
	}
	schema_free(s);
}

static int run_file(struct run *r, const char *dir, const char *file, int fmt)
{
	char *path = xasprintf("%s/%s", dir, file);
	json_error_t jerr;
	json_t *groups = json_load_file(path, JSON_ALLOW_NUL, &jerr), *g;
	unsigned passed = r->passed, total = r->total;
	size_t i;

	if (!groups) {
		fprintf(stderr, "suite: %s: %s\n", path, jerr.text);
		free(path);
		return -1;
	}
	json_array_foreach(groups, i, g) run_group(r, file, g, fmt);
	printf("  %-40s %u/%u\n", file, r->passed - passed, r->total - total);
	json_decref(groups);
	free(path);
	return 0;
}

/* Lists the keyword files of dir that this program does not run. */
static void print_skipped(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t i;

	printf("not run (keywords kedge does not implement):");
	while (d && (de = readdir(d))) {
		if (!ends_with(de->d_name, ".json"))
			continue;
		for (i = 0; i < ARRAY_SIZE(run_files); i++)
			if (!strcmp(run_files[i].file, de->d_name))
				break;
		if (i == ARRAY_SIZE(run_files))
			printf(" %s", de->d_name);
	}
	printf("\n");
	if (d)
		closedir(d);
}

static int check_known(struct run *r)
{
	int bad = 0;
	size_t i;

	for (i = 0; i < r->nr_known; i++) {
		struct known *k = &r->known[i];

		if (!k->seen)
			printf("STALE %s (no such case was run)\n", k->key);
		else if (!k->failed)
			printf("FIXED %s (passes now: remove it from the "
			       "known failures)\n",
			       k->key);
		bad |= !k->seen || !k->failed;
		free(k->key);
	}
	free(r->known);
	return bad;
}

int main(int argc, char **argv)
{
	const char *dir = DEFAULT_DIR, *known = NULL, *remotes = NULL;
	struct run r;
	char *rdir;
	size_t i;
	int bad = 0;

	memset(&r, 0, sizeof(r));
	for (i = 1; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "--known-failures") &&
		    i + 1 < (size_t)argc)
			known = argv[++i];
		else if (!strcmp(argv[i], "--dir") && i + 1 < (size_t)argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--remotes") && i + 1 < (size_t)argc)
			remotes = argv[++i];
		else if (!strcmp(argv[i], "-v"))
			r.verbose = 1;
		else {
			fprintf(stderr, "usage: suite [--known-failures FILE] "
			                "[--dir DIR] [--remotes DIR] [-v]\n");
			return 2;
		}
	}
	if (known && load_known(&r, known))
		return 2;
	rdir = remotes ? xstrdup(remotes) : xasprintf("%s/../../remotes", dir);
	load_remotes(&r, rdir, "");
	free(rdir);
	for (i = 0; i < ARRAY_SIZE(run_files); i++)
		bad |= run_file(&r, dir, run_files[i].file,
		                run_files[i].assert_format) != 0;
	print_skipped(dir);
	bad |= check_known(&r);
	for (i = 0; i < r.nr_remotes; i++) {
		free(r.remotes[i].url);
		json_decref(r.remotes[i].doc);
	}
	free(r.remotes);
	printf("jsonschema-suite: %u/%u passed, %u known failures\n", r.passed,
	       r.total, r.known_failed);
	return bad || r.unexpected ? 1 : 0;
}
