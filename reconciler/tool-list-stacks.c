/*
 * tool-list-stacks.c: list_stacks: the stacks of the tracked revision,
 * their services and files, and what the daemon last recorded of each.
 */
#include <string.h>

#include <jansson.h>

#include "desired.h"
#include "err.h"
#include "mcpctx.h"
#include "store.h"
#include "tool.h"

extern const struct tool_entry tool_list_stacks;

static json_t *services_of(const struct desired_stack *st)
{
	json_t *names = json_array(), *svc;
	const char *name;

	json_object_foreach (json_object_get(st->compose.doc, "services"), name,
	                     svc)
		json_array_append_new(names, json_string(name));
	return names;
}

/* The daemon's record of name in list (store_stack_list), or null. */
static json_t *status_of(json_t *list, const char *name)
{
	size_t i;
	json_t *e;

	json_array_foreach (list, i, e) {
		const char *s = json_string_value(json_object_get(e, "stack"));

		if (s && !strcmp(s, name))
			return json_pack("{s:O, s:O, s:O}", "status",
			                 json_object_get(e, "status"), "reason",
			                 json_object_get(e, "reason"),
			                 "revision",
			                 json_object_get(e, "revision"));
	}
	return json_null();
}

static int run(struct tool_result *r, struct tool_call *c, struct err *err)
{
	struct mcpview v;
	struct store *store = mcpctx_store(c->ctx);
	json_t *list = NULL, *stacks;
	struct err serr;
	int rc = tool_view(&v, c, 0, r, err);

	if (rc <= 0)
		goto out;
	err_clear(&serr);
	if (store && store_stack_list(&list, store, &serr))
		list = NULL; /* no daemon has run here: no status */
	stacks = json_array();
	for (size_t i = 0; i < v.r.desired->nstacks; i++) {
		const struct desired_stack *st = &v.r.desired->stacks[i];

		json_array_append_new(
		        stacks, json_pack("{s:s, s:s, s:o, s:o}", "name",
		                          st->name, "file", st->compose.path,
		                          "services", services_of(st), "daemon",
		                          status_of(list, st->name)));
	}
	rc = tool_ok(r, json_pack("{s:s, s:o}", "revision",
	                          v.r.desired->revision, "stacks", stacks));
out:
	json_decref(list);
	mcpview_release(&v);
	return rc;
}

const struct tool_entry tool_list_stacks = {
        .name = "list_stacks",
        .title = "List stacks",
        .description =
                "Lists the stacks of the desired-state repository at the "
                "head of the tracked branch: each stack's compose file, "
                "its services, and the status the kedge daemon last "
                "recorded for it (null when no daemon shares this store).",
        .input_schema = TOOL_JSON({
	        "type" : "object",
	        "properties" : {},
	        "additionalProperties" : false
        }),
        .output_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : [ "revision", "stacks" ],
	        "properties" : {
		        "revision" : {"type" : "string"},
		        "stacks" : {
			        "type" : "array",
			        "items" : {
				        "type" : "object",
				        "required" :
				                [ "name", "file", "services" ],
				        "properties" : {
					        "name" : {"type" : "string"},
					        "file" : {"type" : "string"},
					        "services" : {
						        "type" : "array",
						        "items" : {
							        "type" :
							                "string"
						        }
					        },
					        "daemon" : {
						        "type" : [
							        "object", "null"
						        ]
					        }
				        }
			        }
		        }
	        }
        }),
        .flags = TOOL_READ_ONLY | TOOL_IDEMPOTENT,
        .run = run,
};
