/*
 * fuzz-ruletest.c: libFuzzer target for ruletest_report(), the reader of
 * `promtool test rules` output.
 *
 * Owns: splitting one input at its first line "%%" into a rule test file
 * (YAML) and the output promtool wrote for it, and checking what must hold
 * for any input: no crash, no leak, no hang, every problem on the test
 * file, and the count returned equal to the errors added. A test file that
 * does not parse is replaced by an empty one, so the output reader still
 * runs. Does not own: the YAML loader (fuzz-yamldoc.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "desired.h"
#include "diag.h"
#include "err.h"
#include "ruletest.h"
#include "srcmap.h"
#include "util.h"
#include "yamldoc.h"

#define PATH "alerts/fuzz.test.yml"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yamldoc_limits limits = {.max_bytes = 64 << 10};
	struct desired_doc doc = {(char *)PATH, NULL, NULL};
	struct diag diag = DIAG_INIT;
	char *text, *output, *split;
	struct err err;
	size_t n;

	if (size > 128 << 10)
		return 0;
	text = xstrndup((const char *)data, size);
	split = strstr(text, "\n%%\n");
	output = split ? split + 4 : text + strlen(text);
	if (split)
		*split = '\0';
	err_clear(&err);
	if (yamldoc_parse(&doc.doc, &doc.map, text, strlen(text), PATH, &limits,
	                  &err)) {
		doc.doc = json_object();
		doc.map = NULL;
	}
	n = ruletest_report(&doc, output, "/tmp/kedge-ruletests-FUZZ", &diag);
	if (n != diag.errors)
		abort();
	for (size_t i = 0; i < diag.nr; i++)
		if (strcmp(diag.items[i].file, PATH) || !diag.items[i].message)
			abort();
	diag_release(&diag);
	json_decref(doc.doc);
	srcmap_free(doc.map);
	free(text);
	return 0;
}
