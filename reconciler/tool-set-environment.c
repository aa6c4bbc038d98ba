/*
 * tool-set-environment.c: set_environment: set and unset environment
 * variables of one service, in whichever form its file uses: a mapping
 * (KEY: value) or a list (- KEY=value). A service without environment
 * gets a mapping.
 */
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "mcpwrite.h"
#include "srcmap.h"
#include "tool.h"
#include "yamledit.h"

extern const struct tool_entry tool_set_environment;

/* The index of KEY's item in a list environment, or -1. */
static long find_item(const json_t *list, const char *key)
{
	size_t n = strlen(key), i;
	json_t *v;

	json_array_foreach (list, i, v) {
		const char *s = json_string_value(v);

		if (s && !strncmp(s, key, n) && (s[n] == '=' || !s[n]))
			return (long)i;
	}
	return -1;
}

static char *value_text(const json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

/* Sets (v) or removes (v NULL) KEY in the environment at envp. */
static int one(struct yamledit *e, const char *envp, const json_t *env,
               const char *key, const json_t *v, struct err *err)
{
	char *ptr, *text;
	json_t *item;
	long i;
	int rc;

	if (!json_is_array(env)) {
		ptr = srcmap_child(envp, key);
		if (v) {
			text = value_text(v);
			item = json_string(text);
			rc = yamledit_set(e, ptr, item, err);
			json_decref(item);
			free(text);
		} else {
			rc = json_object_get(env, key)
			             ? yamledit_remove(e, ptr, err)
			             : 0;
		}
		free(ptr);
		return rc;
	}
	i = find_item(env, key);
	if (!v && i < 0)
		return 0;
	ptr = i < 0 ? srcmap_child(envp, "-") : srcmap_index(envp, (size_t)i);
	if (!v) {
		rc = yamledit_remove(e, ptr, err);
	} else {
		text = value_text(v);
		item = json_sprintf("%s=%s", key, text);
		rc = yamledit_set(e, ptr, item, err);
		json_decref(item);
		free(text);
	}
	free(ptr);
	return rc;
}

static int edit(struct mcpwrite *w, struct tool_result *r, void *arg,
                struct err *err)
{
	struct tool_call *c = arg;
	const char *stack = tool_arg(c, "stack");
	const char *service = tool_arg(c, "service");
	const json_t *set = json_object_get(c->args, "set");
	const json_t *unset = json_object_get(c->args, "unset");
	struct yamledit *e = NULL;
	char *path = NULL, *svc = NULL, *envp = NULL;
	const char *key;
	json_t *v;
	size_t i;
	int rc;

	rc = mcpwrite_service(&e, &path, &svc, w, stack, service, r, err);
	if (rc)
		goto out;
	envp = xasprintf("%s/environment", svc);
	json_object_foreach ((json_t *)set, key, v) {
		/* the document changes with each edit: look again */
		const json_t *env = json_object_get(
		        json_object_get(
		                json_object_get(yamledit_doc(e), "services"),
		                service),
		        "environment");

		if ((rc = one(e, envp, env, key, v, err)))
			goto out;
	}
	json_array_foreach (unset, i, v) {
		const json_t *env = json_object_get(
		        json_object_get(
		                json_object_get(yamledit_doc(e), "services"),
		                service),
		        "environment");

		if ((rc = one(e, envp, env, json_string_value(v), NULL, err)))
			goto out;
	}
	mcpwrite_put_yaml(w, path, e);
out:
	yamledit_free(e);
	free(path);
	free(svc);
	free(envp);
	return rc < 0 ? rc : 0;
}

static int run(struct tool_result *r, struct tool_call *c, struct err *err)
{
	const json_t *set = json_object_get(c->args, "set");
	const json_t *unset = json_object_get(c->args, "unset");

	if (!json_object_size(set) && !json_array_size(unset))
		return tool_fail(r, "%s",
		                 "set_environment needs 'set' or 'unset'");
	return mcpwrite_tool(
	        r, c, "set_environment", 0, edit,
	        xasprintf("set the environment of %s/%s (%zu set, %zu unset)",
	                  tool_arg(c, "stack"), tool_arg(c, "service"),
	                  json_object_size(set), json_array_size(unset)),
	        xasprintf("env-%s-%s", tool_arg(c, "stack"),
	                  tool_arg(c, "service")),
	        err);
}

const struct tool_entry tool_set_environment = {
        .name = "set_environment",
        .title = "Set environment variables",
        .description =
                "Sets and unsets environment variables of a service in "
                "its compose file, keeping the file's form (a mapping or "
                "a KEY=value list). Do not put passwords here: they "
                "belong in a secret.",
        .input_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : [ "stack", "service", "reason" ],
	        "properties" : {
		        "stack" : {"type" : "string", "minLength" : 1},
		        "service" : {"type" : "string", "minLength" : 1},
		        "set" : {
			        "type" : "object",
			        "maxProperties" : 100,
			        "propertyNames" : {
				        "pattern" : "^[A-Za-z_][A-Za-z0-9_.-]*$"
			        },
			        "additionalProperties" : {
				        "type" : [
					        "string", "number", "boolean"
				        ]
			        }
		        },
		        "unset" : {
			        "type" : "array",
			        "maxItems" : 100,
			        "items" : {
				        "type" : "string",
				        "pattern" : "^[A-Za-z_][A-Za-z0-9_.-]*$"
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
