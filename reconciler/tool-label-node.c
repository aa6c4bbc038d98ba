/*
 * tool-label-node.c: label_node: set or remove labels of a node in
 * nodes.yml (created when the repository has none). A node that is not
 * in the swarm is refused by the plan.
 */
#include <jansson.h>

#include "err.h"
#include "mcpwrite.h"
#include "srcmap.h"
#include "tool.h"
#include "yamledit.h"

extern const struct tool_entry tool_label_node;

static int edit(struct mcpwrite *w, struct tool_result *r, void *arg,
                struct err *err)
{
	struct tool_call *c = arg;
	const json_t *labels = json_object_get(c->args, "labels");
	char *node = srcmap_child("/nodes", tool_arg(c, "hostname"));
	char *lp = srcmap_child(node, "labels");
	struct yamledit *e = NULL;
	const char *k;
	json_t *v;
	int rc;

	(void)r;
	rc = mcpwrite_yaml(&e, w, "nodes.yml", 1, err);
	json_object_foreach ((json_t *)labels, k, v) {
		char *ptr;

		if (rc)
			break;
		ptr = srcmap_child(lp, k);
		if (json_is_null(v)) {
			rc = yamledit_remove(e, ptr, err);
			if (rc == ERR_NOTFOUND) {
				err_clear(err);
				rc = 0;
			}
		} else {
			rc = yamledit_set(e, ptr, v, err);
		}
		free(ptr);
	}
	if (!rc)
		mcpwrite_put_yaml(w, "nodes.yml", e);
	yamledit_free(e);
	free(lp);
	free(node);
	return rc;
}

static int run(struct tool_result *r, struct tool_call *c, struct err *err)
{
	return mcpwrite_tool(
	        r, c, "label_node", 0, edit,
	        xasprintf("label the node %s", tool_arg(c, "hostname")),
	        xasprintf("label-%s", tool_arg(c, "hostname")), err);
}

const struct tool_entry tool_label_node = {
        .name = "label_node",
        .title = "Label a node",
        .description =
                "Sets node labels (used by placement constraints such as "
                "node.labels.disk == ssd) in nodes.yml; a label whose "
                "value is null is removed. The node must be in the swarm "
                "(list_nodes).",
        .input_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : [ "hostname", "labels", "reason" ],
	        "properties" : {
		        "hostname" : {"type" : "string", "minLength" : 1},
		        "labels" : {
			        "type" : "object",
			        "minProperties" : 1,
			        "maxProperties" : 64,
			        "propertyNames" : {
				        "pattern" :
				                "^[A-Za-z0-9][A-Za-z0-9_./-]*$"
			        },
			        "additionalProperties" :
			                {"type" : [ "string", "null" ]}
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
