/*
 * fuzz-yamldoc.c: libFuzzer target for yamldoc_parse().
 *
 * Owns: feeding arbitrary bytes (capped at 64 KiB) to the YAML loader and
 * checking what must hold for any input: success gives a document that
 * jansson can serialise and a srcmap with a root position; failure gives
 * ERR_INVALID or ERR_TOOBIG with a message. Everything is freed so that
 * LeakSanitizer catches leaks on every path. Does not own: the parser.
 */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "err.h"
#include "srcmap.h"
#include "yamldoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yamldoc_limits limits = {.max_bytes = 64 << 10};
	struct srcmap *map = NULL;
	struct srcpos pos;
	struct err err;
	json_t *doc = NULL;
	char *text;
	int rc;

	err_clear(&err);
	rc = yamldoc_parse(&doc, &map, (const char *)data, size, "fuzz.yml",
	                   &limits, &err);
	if (rc) {
		if ((rc != ERR_INVALID && rc != ERR_TOOBIG) || !err.msg[0] ||
		    doc || map)
			abort();
		return 0;
	}
	text = json_dumps(doc, JSON_ENCODE_ANY);
	if (!text)
		abort();
	free(text);
	if (!json_is_null(doc) && srcmap_get(map, "", &pos) != 0)
		abort();
	/* Exercise the ancestor fallback with a path that is rarely there. */
	if (srcmap_get(map, "/services/web/deploy/x~1y", &pos) < 0 &&
	    !json_is_null(doc))
		abort();
	json_decref(doc);
	srcmap_free(map);
	return 0;
}
