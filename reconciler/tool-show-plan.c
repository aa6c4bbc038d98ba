/*
 * tool-show-plan.c: show_plan: what applying the head of the tracked
 * branch would do to the live swarm, as `kedge diff` shows it.
 */
#include <jansson.h>

#include "desired.h"
#include "mcpctx.h"
#include "plan.h"
#include "tool.h"

extern const struct tool_entry tool_show_plan;

static int run(struct tool_result *r, struct tool_call *c, struct err *err)
{
	struct mcpview v;
	json_t *plan;
	int rc = tool_view(&v, c, MCPVIEW_SWARM, r, err);

	if (rc <= 0)
		goto out;
	plan = tool_plan_json(&v);
	if (json_object_get(plan, "error")) {
		rc = tool_fail(
		        r, "cannot compare with the swarm: %s",
		        json_string_value(json_object_get(plan, "error")));
		json_decref(plan);
		goto out;
	}
	r->text = xasprintf("%s",
	                    json_string_value(json_object_get(plan, "text")));
	if (!*r->text) {
		free(r->text);
		r->text = xasprintf("in sync: the swarm matches %.12s",
		                    v.r.desired->revision);
	}
	rc = tool_ok(r, json_pack("{s:s, s:b, s:o}", "revision",
	                          v.r.desired->revision, "in_sync",
	                          plan_empty(v.r.plan), "plan", plan));
out:
	mcpview_release(&v);
	return rc;
}

const struct tool_entry tool_show_plan = {
        .name = "show_plan",
        .title = "Show the plan",
        .description = "Compares the head of the tracked branch with the live "
                       "swarm and shows what kedge would create, update, adopt "
                       "or remove (environment values hashed, secrets never "
                       "shown). Nothing is changed.",
        .input_schema = TOOL_JSON({
	        "type" : "object",
	        "properties" : {},
	        "additionalProperties" : false
        }),
        .output_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : [ "revision", "in_sync", "plan" ],
	        "properties" : {
		        "revision" : {"type" : "string"},
		        "in_sync" : {"type" : "boolean"},
		        "plan" : {"type" : "object"}
	        }
        }),
        .flags = TOOL_READ_ONLY | TOOL_IDEMPOTENT,
        .run = run,
};
