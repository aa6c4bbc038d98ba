/*
 * tool-deploy-stack.c: deploy_stack: add a stack, or replace its compose
 * file, with the files it names (configs, .env) beside it. A secret's
 * file may be written, but its contents never come back in a result:
 * the diff shows only its size.
 */
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "mcpwrite.h"
#include "tool.h"

extern const struct tool_entry tool_deploy_stack;

/* A path inside the stack's folder: no "..", no "/" in front, no ".git". */
static int good_rel(const char *rel)
{
	if (!*rel || *rel == '/' || strlen(rel) > 200)
		return 0;
	for (const char *p = rel; *p;) {
		size_t n = strcspn(p, "/");

		if (!n || (n == 1 && p[0] == '.') ||
		    (n == 2 && !strncmp(p, "..", 2)) ||
		    (n == 4 && !strncmp(p, ".git", 4)))
			return 0;
		p += n + (p[n] == '/');
	}
	return 1;
}

static int edit(struct mcpwrite *w, struct tool_result *r, void *arg,
                struct err *err)
{
	struct tool_call *c = arg;
	const char *stack = tool_arg(c, "stack");
	const char *compose = tool_arg(c, "compose");
	const json_t *files = json_object_get(c->args, "files");
	struct tool_result probe = {0};
	char *path = NULL;
	const char *rel;
	json_t *v;
	int rc;

	/* an existing stack keeps its compose file's name */
	rc = mcpwrite_stack_file(&path, w, stack, &probe, err);
	tool_result_release(&probe);
	if (rc < 0)
		return rc;
	if (rc)
		path = xasprintf("stacks/%s/compose.yml", stack);
	mcpwrite_put(w, path, compose, strlen(compose));
	json_object_foreach ((json_t *)files, rel, v) {
		char *p;

		if (!good_rel(rel) || !strcmp(rel, strrchr(path, '/') + 1)) {
			free(path);
			return tool_fail(
			        r,
			        "files: '%s' is not a file name inside "
			        "the stack's folder (or it is the "
			        "compose file)",
			        rel);
		}
		p = xasprintf("stacks/%s/%s", stack, rel);
		mcpwrite_put(w, p, json_string_value(v), json_string_length(v));
		free(p);
	}
	free(path);
	return 0;
}

static int run(struct tool_result *r, struct tool_call *c, struct err *err)
{
	return mcpwrite_tool(
	        r, c, "deploy_stack", 0, edit,
	        xasprintf("deploy the stack %s", tool_arg(c, "stack")),
	        xasprintf("deploy-%s", tool_arg(c, "stack")), err);
}

const struct tool_entry tool_deploy_stack = {
        .name = "deploy_stack",
        .title = "Deploy a stack",
        .description = "Adds a stack (stacks/<stack>/compose.yml) or replaces "
                       "its compose file, with other files of its folder (a "
                       "config's file, .env) in files: {name: text}. The whole "
                       "desired state is validated, and planned against the "
                       "swarm, before the commit.",
        .input_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : [ "stack", "compose", "reason" ],
	        "properties" : {
		        "stack" : {
			        "type" : "string",
			        "pattern" : "^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$"
		        },
		        "compose" : {
			        "type" : "string",
			        "minLength" : 1,
			        "maxLength" : 1048576
		        },
		        "files" : {
			        "type" : "object",
			        "maxProperties" : 32,
			        "additionalProperties" : {
				        "type" : "string",
				        "maxLength" : 1048576
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
