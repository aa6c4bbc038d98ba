/*
 * tool-set-placement.c: set_placement: replace the placement constraints
 * of one service (node.labels.disk == ssd, node.role == manager). The
 * plan refuses constraints that no node satisfies.
 */
#include <jansson.h>

#include "mcpwrite.h"
#include "tool.h"

extern const struct tool_entry tool_set_placement;

static int edit(struct mcpwrite *w, struct tool_result *r, void *arg,
                struct err *err)
{
	struct tool_call *c = arg;
	const json_t *cons = json_object_get(c->args, "constraints");
	int rc = mcpwrite_service_set(w, r, tool_arg(c, "stack"),
	                              tool_arg(c, "service"),
	                              "/deploy/placement/constraints",
	                              json_array_size(cons) ? cons : NULL, err);

	return rc < 0 ? rc : 0;
}

static int run(struct tool_result *r, struct tool_call *c, struct err *err)
{
	const json_t *cons = json_object_get(c->args, "constraints");
	char *list = json_dumps(cons, JSON_COMPACT);
	char *summary = xasprintf("place %s/%s on %s", tool_arg(c, "stack"),
	                          tool_arg(c, "service"),
	                          json_array_size(cons) ? list : "any node");

	free(list);
	return mcpwrite_tool(r, c, "set_placement", 0, edit, summary,
	                     xasprintf("placement-%s-%s", tool_arg(c, "stack"),
	                               tool_arg(c, "service")),
	                     err);
}

const struct tool_entry tool_set_placement = {
        .name = "set_placement",
        .title = "Set placement constraints",
        .description =
                "Replaces a service's placement constraints (each like "
                "\"node.labels.disk == ssd\" or \"node.role != manager\"; "
                "an empty list removes them) by committing "
                "deploy.placement.constraints. A constraint that no node "
                "of the swarm satisfies is refused.",
        .input_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : [ "stack", "service", "constraints", "reason" ],
	        "properties" : {
		        "stack" : {"type" : "string", "minLength" : 1},
		        "service" : {"type" : "string", "minLength" : 1},
		        "constraints" : {
			        "type" : "array",
			        "maxItems" : 32,
			        "items" : {
				        "type" : "string",
				        "pattern" : "^[^=!]+(==|!=)[^=!]+$"
			        }
		        },
		        MCPWRITE_ARGS
	        },
	        "additionalProperties" : false
        }),
        .output_schema = MCPWRITE_OUTPUT,
        .flags = TOOL_COMMIT | TOOL_IDEMPOTENT,
        .run = run,
        .edit = edit,
};
