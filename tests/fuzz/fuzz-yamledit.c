/*
 * fuzz-yamledit.c: libFuzzer target for yamledit (editing YAML text).
 *
 * Owns: turning arbitrary bytes into one or two edits and checking what
 * must hold for any input. The first byte picks them from a small table
 * (a set or a remove at a pointer the MCP tools use); the rest (capped at
 * 64 KiB) is the file. Opening fails with ERR_INVALID or ERR_TOOBIG and a
 * message, or succeeds; an edit fails with a message and leaves the text
 * as it was, or succeeds with a text that loads to the editor's document,
 * in which a set's value is at its pointer. Everything is freed so that
 * LeakSanitizer catches leaks on every path. Does not own: the editor.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "yamldoc.h"
#include "yamledit.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	const char *pointer, *json; /* json NULL: a remove */
} ops[] = {
        {"/services/api/deploy/replicas", "5"},
        {"/services/api/image", "\"nginx:1.27\""},
        {"/services/api/environment/FOO", "\"true\""},
        {"/services/api/environment/-", "\"FOO=a: b\""},
        {"/services/api/deploy/placement/constraints",
         "[\"node.role == manager\", \"node.labels.x==y\"]"},
        {"/groups/0/rules/-",
         "{\"alert\": \"Down\", \"expr\": \"up == 0\", \"for\": \"1m\", "
         "\"labels\": {}, \"annotations\": {\"summary\": \"#1\\n\"}}"},
        {"/groups/0/rules/1", NULL},
        {"/services/api", NULL},
        {"/services/api/environment/FOO", NULL},
        {"/a", "{\"b\": [1, \"x\", {\"c\": null}], \"d\": \"\"}"},
        {"/a/0", NULL},
        {"/a/-", "[]"},
        {"/x~1y/~0", "\"5\""},
        {"", "{\"services\": {}}"},
        {"/nodes/n1/labels/zone", "\"a\""},
        {"/0", NULL},
};

static void check_edit(struct yamledit *e, int rc, const struct err *err,
                       const char *before, const char *pointer, const json_t *v)
{
	size_t len;
	const char *text = yamledit_text(e, &len);
	json_t *doc = NULL, *at;

	if (rc) {
		if (!err->msg[0] || strcmp(text, before))
			abort();
		return;
	}
	if (strlen(text) != len ||
	    yamldoc_parse(&doc, NULL, text, len, "fuzz.yml", NULL, NULL) ||
	    !json_equal(doc, (json_t *)yamledit_doc(e)))
		abort();
	if (v && !strchr(pointer, '-') && !strchr(pointer, '~')) {
		at = *pointer ? NULL : doc;
		/* jansson has no pointer lookup: walk the members. */
		for (const char *p = pointer; *p && (at || p == pointer);) {
			const char *q = strchr(p + 1, '/');
			char *tok = q ? xstrndup(p + 1, (size_t)(q - p - 1))
			              : xstrdup(p + 1);
			json_t *from = p == pointer ? doc : at;

			at = json_is_object(from) ? json_object_get(from, tok)
			     : json_is_array(from)
			             ? json_array_get(from,
			                              strtoul(tok, NULL, 10))
			             : NULL;
			free(tok);
			p = q ? q : p + strlen(p);
		}
		if (!json_equal(at, (json_t *)v))
			abort();
	}
	json_decref(doc);
}

/* Runs ops[op] on e and checks the outcome. */
static void run_op(struct yamledit *e, int op)
{
	struct err err;
	json_t *v = NULL;
	char *before = xstrdup(yamledit_text(e, NULL));
	int rc;

	err_clear(&err);
	if (ops[op].json)
		v = json_loads(ops[op].json, JSON_DECODE_ANY, NULL);
	if (ops[op].json && !v)
		abort();
	rc = v ? yamledit_set(e, ops[op].pointer, v, &err)
	       : yamledit_remove(e, ops[op].pointer, &err);
	check_edit(e, rc, &err, before, ops[op].pointer, v);
	free(before);
	json_decref(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yamledit *e = NULL;
	struct err err;
	int n = (int)(sizeof(ops) / sizeof(ops[0])), rc;

	if (!size || size > (64 << 10) + 1)
		return 0;
	err_clear(&err);
	rc = yamledit_open(&e, (const char *)data + 1, size - 1, "fuzz.yml",
	                   &err);
	if (rc) {
		if ((rc != ERR_INVALID && rc != ERR_TOOBIG) || !err.msg[0] || e)
			abort();
		return 0;
	}
	/* The low half of the first byte picks an edit, the high half a
	 * second one on the edited text (0: none). */
	run_op(e, (data[0] & 0x0f) % n);
	if (data[0] >> 4)
		run_op(e, (data[0] >> 4) % n);
	yamledit_free(e);
	return 0;
}
