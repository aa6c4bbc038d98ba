/*
 * fuzz-alertmanager.c: libFuzzer target for the text side of
 * alertmanager.h: am_resolve() on arbitrary bytes (capped at 64 KiB), then,
 * when the result parses, am_diff() against an empty config and against
 * the same text with placeholders.
 *
 * Checks what must hold for any input: resolution either succeeds or adds
 * as many located problems as it reports; a plan line never contains the
 * env value "fuzz-SECRET-value" (the property that keeps secrets out of
 * diffs), even when the input spells it out literally. Everything is freed
 * so that LeakSanitizer catches leaks on every path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alertmanager-int.h"
#include "buf.h"
#include "diag.h"
#include "err.h"
#include "yamldoc.h"

#define SECRET "fuzz-SECRET-value"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_t *parse(const struct buf *b)
{
	struct yamldoc_limits limits = {.max_bytes = 256 << 10};
	json_t *doc = NULL;
	struct err err;

	if (yamldoc_parse(&doc, NULL, b->ptr ? b->ptr : "", b->len, "f.yml",
	                  &limits, &err))
		return NULL;
	return doc;
}

static void check_lines(const struct am_changes *c)
{
	for (size_t i = 0; i < c->nr; i++)
		if (strstr(c->v[i].what, SECRET) || !strchr("+-~", c->v[i].op))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *env = json_pack("{s:s, s:s}", "A", SECRET, "B", "x: y");
	struct am_vars real = {env, "fuzz.env", 0}, ph = {NULL, NULL, 1};
	struct diag d1 = DIAG_INIT, d2 = DIAG_INIT;
	struct buf r, p;
	size_t e1, e2;

	if (size > (64u << 10)) {
		json_decref(env);
		return 0;
	}
	buf_init(&r, 1u << 20);
	buf_init(&p, 1u << 20);
	e1 = am_resolve(&r, (const char *)data, size, &real, "f.yml", &d1);
	e2 = am_resolve(&p, (const char *)data, size, &ph, "f.yml", &d2);
	if (e1 != d1.errors || e2 != d2.errors || e2 > e1)
		abort();
	if (!e1) {
		json_t *want = parse(&r), *live = parse(&p),
		       *empty = json_object();
		struct am_changes c = {0};

		if (want) {
			am_diff(&c, empty, want, env);
			am_diff(&c, live, want, env);
			am_diff(&c, want, live, env);
			check_lines(&c);
		}
		am_changes_release(&c);
		json_decref(want);
		json_decref(live);
		json_decref(empty);
	}
	buf_release(&r);
	buf_release(&p);
	diag_release(&d1);
	diag_release(&d2);
	json_decref(env);
	return 0;
}
