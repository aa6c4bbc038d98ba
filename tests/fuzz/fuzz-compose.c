/*
 * fuzz-compose.c: libFuzzer target for convert_stack() and
 * normalize_service().
 *
 * Owns: feeding arbitrary JSON (capped at 64 KiB) to the compose converter
 * as if it were a validated compose document, with a read_file callback
 * that returns fixed bytes, then normalising and diffing every service it
 * produces, and checking what must hold for any input: success gives
 * specs that serialise, normalise and equal themselves; failure gives
 * ERR_INVALID, ERR_UNSUPPORTED or the callback's error, with a message and
 * no output. Everything is freed so LeakSanitizer sees every path. Does
 * not own: the converter.
 */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "buf.h"
#include "convert.h"
#include "err.h"
#include "normalize.h"
#include "specdiff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int read_cb(void *ctx, const char *path, struct buf *out,
                   struct err *err)
{
	(void)ctx;
	if (!strcmp(path, "missing"))
		return err_set(err, ERR_NOTFOUND, "%s: no such file", path);
	return buf_addstr(out, "# env\nKEY=value\nPASS\n  OTHER=x\n");
}

static const char *env_cb(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "PASS") ? NULL : "from-env";
}

static void check_service(const json_t *spec)
{
	struct specdiff_list l = SPECDIFF_LIST_INIT;
	json_t *a = NULL, *b = NULL;
	struct err err;
	char *text;

	text = json_dumps(spec, JSON_SORT_KEYS | JSON_COMPACT);
	if (!text)
		abort();
	free(text);
	if (normalize_service(&a, spec, NULL, &err))
		abort();
	/* Normalising is idempotent and a spec never differs from itself. */
	if (normalize_service(&b, a, NULL, &err) || !json_equal(a, b))
		abort();
	if (specdiff(&l, a, b) || l.nr)
		abort();
	specdiff_list_free(&l);
	json_decref(a);
	json_decref(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct convert_opts opts = {.read_file = read_cb, .env = env_cb};
	json_t *doc, *out = NULL, *spec;
	json_error_t je;
	struct err err;
	const char *name;
	int rc;

	if (size > 64 << 10)
		return 0;
	doc = json_loadb((const char *)data, size, 0, &je);
	if (!doc)
		return 0;
	err_clear(&err);
	rc = convert_stack(&out, "st", doc, &opts, &err);
	if (rc) {
		if ((rc != ERR_INVALID && rc != ERR_UNSUPPORTED &&
		     rc != ERR_NOTFOUND && rc != ERR_TOOBIG) ||
		    !err.msg[0] || out)
			abort();
	} else {
		json_object_foreach (json_object_get(out, "services"), name,
		                     spec)
			check_service(spec);
	}
	json_decref(out);
	json_decref(doc);
	return 0;
}
