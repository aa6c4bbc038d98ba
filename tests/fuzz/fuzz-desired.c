/*
 * fuzz-desired.c: libFuzzer target for the whole validation path that a
 * push reaches: reconcile_load (schemas, a worktree source, desired_load
 * with interpolation, schema and cross-file checks) and then
 * plan_check_desired (the conversion diff and apply run).
 *
 * Owns: turning one input into a small desired-state folder and checking
 * what must hold for any input: no crash, no leak, no hang, and either a
 * clean load or problems in the diag / an error with a message. The input
 * is split at lines "%%" into up to five files, in this order:
 * stacks/a/compose.yml, stacks/a/.env, kedge.yml, stacks/b/compose.yml
 * and nodes.yml; a part that is absent is not written. The schemas come
 * from $KEDGE_SCHEMA_DIR, else ./schema (make runs it from the top).
 * Does not own: the modules under test.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "desired.h"
#include "diag.h"
#include "err.h"
#include "plan.h"
#include "reconcile.h"
#include "source.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const parts[] = {"stacks/a/compose.yml", "stacks/a/.env",
                                    "kedge.yml", "stacks/b/compose.yml",
                                    "nodes.yml"};
static char root[] = "/tmp/kedge-fuzz-desired.XXXXXX";

static void put(const char *rel, const uint8_t *p, size_t n)
{
	char *path = xasprintf("%s/%s", root, rel);
	char *dir = xstrdup(path);
	FILE *f;

	*strrchr(dir, '/') = '\0';
	mkdir(dir, 0700); /* stacks/a or stacks/b; may exist */
	free(dir);
	f = fopen(path, "wb");

	if (!f)
		abort();
	if (n && fwrite(p, 1, n, f) != n)
		abort();
	fclose(f);
	free(path);
}

static void clear(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		char *path = xasprintf("%s/%s", root, parts[i]);

		unlink(path);
		free(path);
	}
	for (char c = 'a'; c <= 'b'; c++) {
		char *path = xasprintf("%s/stacks/%c", root, c);

		rmdir(path);
		free(path);
	}
}

static void cleanup(void)
{
	static const char *const dirs[] = {"stacks", ""};

	clear();
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char *d = xasprintf("%s/%s", root, dirs[i]);

		rmdir(d);
		free(d);
	}
}

static void setup(void)
{
	static const char *const dirs[] = {"stacks"};

	if (root[sizeof(root) - 2] != 'X')
		return;
	if (!mkdtemp(root))
		abort();
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char *d = xasprintf("%s/%s", root, dirs[i]);

		if (mkdir(d, 0700))
			abort();
		free(d);
	}
	atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dir = getenv("KEDGE_SCHEMA_DIR");
	struct source_opts so = {0};
	struct reconcile_opts ro = {0};
	struct reconcile r;
	struct diag diag = DIAG_INIT;
	const uint8_t *p = data, *end = data + size;
	struct err err;
	int error;

	if (size > (1u << 20))
		return 0;
	setup();
	clear();
	for (size_t i = 0; i < ARRAY_SIZE(parts) && p; i++) {
		const uint8_t *cut = memmem(p, (size_t)(end - p), "\n%%\n", 4);

		if (end - p >= 3 && !memcmp(p, "%%\n", 3)) {
			put(parts[i], p, 0); /* an empty part */
			p += 3;
			continue;
		}
		put(parts[i], p, (size_t)((cut ? cut + 1 : end) - p));
		p = cut ? cut + 4 : NULL;
	}
	so.worktree = root;
	ro.src = &so;
	ro.schema_dir = dir ? dir : "schema";
	err_clear(&err);
	error = reconcile_load(&r, &ro, &diag, &err);
	if (error && !*err.msg)
		abort(); /* an error always says what failed */
	if (!error && !diag.errors &&
	    plan_check_desired(r.desired, &diag, &err))
		if (!*err.msg)
			abort();
	if (getenv("KEDGE_FUZZ_VERBOSE"))
		fprintf(stderr, "load=%d errors=%zu warnings=%zu first=%s\n",
		        error, diag.errors, diag.warnings,
		        diag.nr ? diag.items[0].message : err.msg);
	reconcile_release(&r);
	diag_release(&diag);
	return 0;
}
