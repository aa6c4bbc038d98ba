/*
 * tool-history.c: reconcile_history and show_drift: what the daemon
 * recorded in the store it shares with `kedge mcp`.
 */
#include <jansson.h>

#include "err.h"
#include "mcpctx.h"
#include "store.h"
#include "tool.h"

extern const struct tool_entry tool_reconcile_history;
extern const struct tool_entry tool_show_drift;

static size_t limit_of(const struct tool_call *c)
{
	json_t *l = json_object_get(c->args, "limit");

	return l ? (size_t)json_integer_value(l) : 20;
}

static int history(struct tool_result *r, struct tool_call *c, struct err *err)
{
	struct store *s = mcpctx_store(c->ctx);
	json_t *list;
	int rc;

	if (!s)
		return tool_fail(r, "%s", "no store: nothing is recorded");
	rc = store_reconcile_list(&list, s, tool_arg(c, "stack"), limit_of(c),
	                          err);
	if (rc)
		return rc;
	return tool_ok(r, json_pack("{s:o}", "reconciles", list));
}

static int drift(struct tool_result *r, struct tool_call *c, struct err *err)
{
	struct store *s = mcpctx_store(c->ctx);
	json_t *list;
	int rc;

	if (!s)
		return tool_fail(r, "%s", "no store: nothing is recorded");
	rc = store_drift_list(&list, s, tool_arg(c, "stack"), limit_of(c), err);
	if (rc)
		return rc;
	return tool_ok(r, json_pack("{s:o}", "drift", list));
}

#define FILTER_SCHEMA                                             \
	TOOL_JSON({                                               \
		"type" : "object",                                \
		"properties" : {                                  \
			"stack" : {                               \
				"type" : "string",                \
				"minLength" : 1,                  \
				"description" : "only this stack" \
			},                                        \
			"limit" : {                               \
				"type" : "integer",               \
				"minimum" : 1,                    \
				"maximum" : 500,                  \
				"default" : 20                    \
			}                                         \
		},                                                \
		"additionalProperties" : false                    \
	})

const struct tool_entry tool_reconcile_history = {
        .name = "reconcile_history",
        .title = "Reconcile history",
        .description =
                "The daemon's recent reconciles, newest first: trigger, "
                "revision, result, error, and the actions on each stack.",
        .input_schema = FILTER_SCHEMA,
        .output_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : ["reconciles"],
	        "properties" : {"reconciles" : {"type" : "array"}}
        }),
        .flags = TOOL_READ_ONLY | TOOL_IDEMPOTENT,
        .run = history,
};

const struct tool_entry tool_show_drift = {
        .name = "show_drift",
        .title = "Show drift",
        .description =
                "Changes made to the swarm by hand that the daemon found, "
                "newest first: the object, the fields that differed, and "
                "whether it repaired or only reported them.",
        .input_schema = FILTER_SCHEMA,
        .output_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : ["drift"],
	        "properties" : {"drift" : {"type" : "array"}}
        }),
        .flags = TOOL_READ_ONLY | TOOL_IDEMPOTENT,
        .run = drift,
};
