/*
 * tool-scale-service.c: scale_service: set deploy.replicas of one
 * service, as a one-line commit. A scale to zero is destructive (it
 * stops every task) and is confirmed first.
 */
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "mcpwrite.h"
#include "tool.h"
#include "yamledit.h"

extern const struct tool_entry tool_scale_service;

static int edit(struct mcpwrite *w, struct tool_result *r, void *arg,
                struct err *err)
{
	struct tool_call *c = arg;
	const char *stack = tool_arg(c, "stack");
	const char *service = tool_arg(c, "service");
	json_t *n = json_object_get(c->args, "replicas");
	struct yamledit *e = NULL;
	char *path = NULL, *svc = NULL, *ptr = NULL;
	const char *mode;
	int rc;

	rc = mcpwrite_service(&e, &path, &svc, w, stack, service, r, err);
	if (rc)
		goto out;
	mode = json_string_value(json_object_get(
	        json_object_get(json_object_get(json_object_get(yamledit_doc(e),
	                                                        "services"),
	                                        service),
	                        "deploy"),
	        "mode"));
	if (mode && strcmp(mode, "replicated")) {
		rc = tool_fail(r,
		               "service '%s' of stack '%s' runs in %s mode, "
		               "which has no replica count",
		               service, stack, mode) +
		     1;
		goto out;
	}
	ptr = xasprintf("%s/deploy/replicas", svc);
	if (!(rc = yamledit_set(e, ptr, n, err)))
		mcpwrite_put_yaml(w, path, e);
out:
	yamledit_free(e);
	free(path);
	free(svc);
	free(ptr);
	return rc < 0 ? rc : 0;
}

static int run(struct tool_result *r, struct tool_call *c, struct err *err)
{
	json_int_t n = json_integer_value(json_object_get(c->args, "replicas"));
	char *summary = xasprintf("scale %s/%s to %lld", tool_arg(c, "stack"),
	                          tool_arg(c, "service"), (long long)n);
	struct mcpwrite_req req = {"scale_service", summary, summary, n == 0};
	int rc = mcpwrite_run(r, c, &req, edit, c, err);

	free(summary);
	return rc;
}

const struct tool_entry tool_scale_service = {
        .name = "scale_service",
        .title = "Scale a service",
        .description =
                "Sets how many replicas of a service run, by committing "
                "deploy.replicas in the stack's compose file (a one-line "
                "change). Returns the commit, its diff and the plan; the "
                "daemon applies it. Scaling to 0 stops every task and is "
                "confirmed first.",
        .input_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : [ "stack", "service", "replicas", "reason" ],
	        "properties" : {
		        "stack" : {"type" : "string", "minLength" : 1},
		        "service" : {"type" : "string", "minLength" : 1},
		        "replicas" : {
			        "type" : "integer",
			        "minimum" : 0,
			        "maximum" : 100000
		        },
		        MCPWRITE_ARGS,
		        MCPWRITE_CONFIRM
	        },
	        "additionalProperties" : false
        }),
        .output_schema = MCPWRITE_OUTPUT,
        .flags = TOOL_COMMIT | TOOL_IDEMPOTENT,
        .run = run,
};
