/*
 * tool-set-image.c: set_image: change the image of one service (a new
 * tag or digest), as a one-line commit.
 */
#include <jansson.h>

#include "mcpwrite.h"
#include "tool.h"

extern const struct tool_entry tool_set_image;

static int edit(struct mcpwrite *w, struct tool_result *r, void *arg,
                struct err *err)
{
	struct tool_call *c = arg;
	int rc = mcpwrite_service_set(w, r, tool_arg(c, "stack"),
	                              tool_arg(c, "service"), "/image",
	                              json_object_get(c->args, "image"), err);

	return rc < 0 ? rc : 0;
}

static int run(struct tool_result *r, struct tool_call *c, struct err *err)
{
	return mcpwrite_tool(
	        r, c, "set_image", 0, edit,
	        xasprintf("set the image of %s/%s to %s", tool_arg(c, "stack"),
	                  tool_arg(c, "service"), tool_arg(c, "image")),
	        xasprintf("image-%s-%s", tool_arg(c, "stack"),
	                  tool_arg(c, "service")),
	        err);
}

const struct tool_entry tool_set_image = {
        .name = "set_image",
        .title = "Set a service's image",
        .description = "Changes the image of a service (for a new version: "
                       "\"nginx:1.27\", or a digest) by committing its image: "
                       "line. Returns the commit, its diff and the plan; the "
                       "daemon rolls the service.",
        .input_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : [ "stack", "service", "image", "reason" ],
	        "properties" : {
		        "stack" : {"type" : "string", "minLength" : 1},
		        "service" : {"type" : "string", "minLength" : 1},
		        "image" : {
			        "type" : "string",
			        "minLength" : 1,
			        "maxLength" : 512,
			        "pattern" : "^[^\\s]+$"
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
