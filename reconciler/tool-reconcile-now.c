/*
 * tool-reconcile-now.c: reconcile_now: ask the daemon for a reconcile of
 * the tracked branch now (after a merge, or to repair drift at once). It
 * changes no file: the daemon's worker does what a push would make it do.
 */
#include <jansson.h>

#include "daemon.h"
#include "err.h"
#include "mcpctx.h"
#include "tool.h"

extern const struct tool_entry tool_reconcile_now;

static int run(struct tool_result *r, struct tool_call *c, struct err *err)
{
	struct daemon *d = mcpctx_opts(c->ctx)->daemon;
	int64_t id = 0;
	int rc;

	if (!d)
		return tool_fail(r, "%s",
		                 "no daemon here: reconcile_now works on the "
		                 "MCP server of kedge run (mcp: {enabled: "
		                 "true}); kedge apply reconciles by hand");
	rc = daemon_trigger(d, "mcp", &id, err);
	if (rc)
		return rc;
	r->text = xasprintf("reconcile %lld queued; reconcile_history shows "
	                    "how it went",
	                    (long long)id);
	return tool_ok(r, json_pack("{s:I, s:s}", "id", (json_int_t)id, "state",
	                            "queued"));
}

const struct tool_entry tool_reconcile_now = {
        .name = "reconcile_now",
        .title = "Reconcile now",
        .description =
                "Asks kedge's daemon to reconcile the tracked branch with "
                "the swarm now, instead of at its next interval or push. "
                "Changes no file; returns the queued reconcile's id.",
        .input_schema = TOOL_JSON({
	        "type" : "object",
	        "properties" : {},
	        "additionalProperties" : false
        }),
        .output_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : [ "id", "state" ],
	        "properties" : {
		        "id" : {"type" : "integer"},
		        "state" : {"type" : "string"}
	        }
        }),
        .flags = TOOL_OPERATE | TOOL_IDEMPOTENT,
        .run = run,
};
