/*
 * tool-get-stack.c: get_stack: one stack's desired spec beside its live
 * services and what applying would change.
 *
 * Environment values are hidden, as `kedge diff` hides them without
 * --show-env: a compose file may carry a password in clear.
 */
#include <string.h>

#include <jansson.h>

#include "desired.h"
#include "live.h"
#include "mcpctx.h"
#include "tool.h"

extern const struct tool_entry tool_get_stack;

#define HIDDEN "(hidden)"

static void hide_env(json_t *svc)
{
	json_t *env = json_object_get(svc, "environment"), *v;
	const char *k;
	size_t i;

	json_object_foreach (env, k, v)
		if (!json_is_null(v))
			json_object_set_new(env, k, json_string(HIDDEN));
	json_array_foreach (env, i, v) {
		const char *s = json_string_value(v);
		const char *eq = s ? strchr(s, '=') : NULL;

		if (eq)
			json_array_set_new(
			        env, i,
			        json_sprintf("%.*s=" HIDDEN, (int)(eq - s), s));
	}
}

static json_t *live_of(const struct live *l, const char *stack, const char *svc)
{
	char *name = xasprintf("%s_%s", stack, svc);
	json_t *s = live_service_by_name(l, name);
	json_t *spec = json_object_get(s, "Spec");
	json_t *out;

	free(name);
	if (!s)
		return json_null();
	out = json_pack(
	        "{s:O?, s:O?, s:O?, s:O?}", "image",
	        json_object_get(
	                json_object_get(json_object_get(spec, "TaskTemplate"),
	                                "ContainerSpec"),
	                "Image"),
	        "replicas",
	        json_object_get(json_object_get(json_object_get(spec, "Mode"),
	                                        "Replicated"),
	                        "Replicas"),
	        "updated", json_object_get(s, "UpdatedAt"), "update_state",
	        json_object_get(json_object_get(s, "UpdateStatus"), "State"));
	return out;
}

static json_t *actions_of(json_t *plan, const char *stack)
{
	json_t *out = json_array(), *a;
	size_t i;

	json_array_foreach (json_object_get(plan, "actions"), i, a) {
		const char *s = json_string_value(json_object_get(a, "stack"));

		if (s && !strcmp(s, stack))
			json_array_append(out, a);
	}
	return out;
}

static int run(struct tool_result *r, struct tool_call *c, struct err *err)
{
	const char *name = tool_arg(c, "stack");
	const struct desired_stack *st;
	struct mcpview v;
	json_t *spec, *live, *svc, *plan, *out;
	const char *k;
	int rc = tool_view(&v, c, MCPVIEW_SWARM, r, err);

	if (rc <= 0)
		goto out;
	if (!(st = desired_stack_find(v.r.desired, name))) {
		rc = tool_fail(r,
		               "no stack '%s' at %.12s (list_stacks lists "
		               "them)",
		               name, v.r.desired->revision);
		goto out;
	}
	spec = json_deep_copy(st->compose.doc);
	live = json_object();
	json_object_foreach (json_object_get(spec, "services"), k, svc) {
		hide_env(svc);
		if (v.r.live)
			json_object_set_new(live, k,
			                    live_of(v.r.live, name, k));
	}
	plan = tool_plan_json(&v);
	out = json_pack("{s:s, s:s, s:s, s:o, s:o}", "revision",
	                v.r.desired->revision, "stack", name, "file",
	                st->compose.path, "desired", spec, "live",
	                v.r.live ? live : json_null());
	if (!v.r.live)
		json_decref(live);
	if (json_object_get(plan, "error"))
		json_object_set(out, "swarm_error",
		                json_object_get(plan, "error"));
	else
		json_object_set_new(out, "changes", actions_of(plan, name));
	json_decref(plan);
	rc = tool_ok(r, out);
out:
	mcpview_release(&v);
	return rc;
}

const struct tool_entry tool_get_stack = {
        .name = "get_stack",
        .title = "Get a stack",
        .description =
                "One stack at the head of the tracked branch: its compose "
                "file as kedge reads it (interpolated; environment values "
                "hidden), each service's live image, replicas and update "
                "state, and the changes applying it would make.",
        .input_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : ["stack"],
	        "properties" : {
		        "stack" : {
			        "type" : "string",
			        "minLength" : 1,
			        "description" : "the stack's folder name"
		        }
	        },
	        "additionalProperties" : false
        }),
        .output_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : [ "revision", "stack", "file", "desired", "live" ],
	        "properties" : {
		        "revision" : {"type" : "string"},
		        "stack" : {"type" : "string"},
		        "file" : {"type" : "string"},
		        "desired" : {"type" : "object"},
		        "live" : {"type" : [ "object", "null" ]},
		        "changes" : {"type" : "array"},
		        "swarm_error" : {"type" : "string"}
	        }
        }),
        .flags = TOOL_READ_ONLY | TOOL_IDEMPOTENT,
        .run = run,
};
