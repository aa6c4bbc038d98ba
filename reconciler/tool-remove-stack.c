/*
 * tool-remove-stack.c: remove_stack: delete a stack's folder from the
 * repository. The daemon then removes its services, networks, configs
 * and secrets from the swarm, so it is confirmed first.
 */
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "mcpwrite.h"
#include "tool.h"

extern const struct tool_entry tool_remove_stack;

static int edit(struct mcpwrite *w, struct tool_result *r, void *arg,
                struct err *err)
{
	struct tool_call *c = arg;
	const char *stack = tool_arg(c, "stack");
	char *path = NULL, *dir;
	int rc = mcpwrite_stack_file(&path, w, stack, r, err);

	if (rc)
		return rc < 0 ? rc : 0;
	dir = xasprintf("stacks/%s", stack);
	rc = mcpwrite_remove_tree(w, dir, err);
	free(dir);
	free(path);
	return rc;
}

static int run(struct tool_result *r, struct tool_call *c, struct err *err)
{
	return mcpwrite_tool(
	        r, c, "remove_stack", 1, edit,
	        xasprintf("remove the stack %s", tool_arg(c, "stack")),
	        xasprintf("remove-%s", tool_arg(c, "stack")), err);
}

const struct tool_entry tool_remove_stack = {
        .name = "remove_stack",
        .title = "Remove a stack",
        .description =
                "Deletes a stack's folder (stacks/<stack>/) from the "
                "repository in one commit; when the daemon applies it, the "
                "stack's services, networks, configs and secrets are "
                "removed from the swarm. Asks the person first (or needs "
                "confirm: true).",
        .input_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : [ "stack", "reason" ],
	        "properties" : {
		        "stack" : {"type" : "string", "minLength" : 1},
		        MCPWRITE_ARGS,
		        MCPWRITE_CONFIRM
	        },
	        "additionalProperties" : false
        }),
        .output_schema = MCPWRITE_OUTPUT,
        .flags = TOOL_COMMIT | TOOL_DESTRUCTIVE | TOOL_IDEMPOTENT,
        .run = run,
        .edit = edit,
};
