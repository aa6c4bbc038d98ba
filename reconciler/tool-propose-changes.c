/*
 * tool-propose-changes.c: propose_changes: several edits of the write
 * tools as one commit ("move the API to the ssd nodes and give it four
 * replicas"), validated and planned together, so a change that only
 * makes sense whole is never half pushed.
 */
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "mcpwrite.h"
#include "schema.h"
#include "tool.h"

extern const struct tool_entry tool_propose_changes;

#define MAX_EDITS 20

struct report {
	struct buf text;
	size_t n;
};

static void on_problem(void *ctx, enum schema_severity sev, const char *pointer,
                       int key_problem, const char *message)
{
	struct report *r = ctx;

	(void)key_problem;
	if (sev == SCHEMA_ERROR && r->n++ < 10 &&
	    buf_addf(&r->text, "\n  %s: %s", *pointer ? pointer : "/", message))
		r->n = MAX_EDITS; /* uncapped: cannot happen */
}

/* The edit's arguments with the outer reason; checked by its schema. */
static int check_edit(json_t **args, const struct tool_entry *t,
                      const json_t *edit, const char *reason, size_t i,
                      struct tool_result *r, struct err *err)
{
	struct report rep = {BUF_INIT, 0};
	struct schema *s = schema_new();
	json_t *doc = json_loads(t->input_schema, 0, NULL);
	int rc;

	*args = json_deep_copy(json_object_get(edit, "arguments"));
	if (!*args)
		*args = json_object();
	if (!json_object_get(*args, "reason"))
		json_object_set_new(*args, "reason", json_string(reason));
	rc = schema_add(s, "kedge:edit", doc, err);
	if (!rc)
		rc = schema_validate(s, "kedge:edit", *args, on_problem, &rep,
		                     err);
	if (rc > 0)
		rc = tool_fail(r, "edits/%zu (%s): invalid arguments:%s", i,
		               t->name, buf_cstr(&rep.text)) +
		     1;
	json_decref(doc);
	schema_free(s);
	buf_release(&rep.text);
	return rc;
}

struct edits {
	struct tool_call *c;
	const struct tool_entry *tools[MAX_EDITS];
	json_t *args[MAX_EDITS];
	size_t n;
};

static int edit(struct mcpwrite *w, struct tool_result *r, void *arg,
                struct err *err)
{
	struct edits *e = arg;

	for (size_t i = 0; i < e->n; i++) {
		struct tool_call sub = *e->c;
		int rc;

		sub.args = e->args[i];
		rc = e->tools[i]->edit(w, r, &sub, err);
		if (rc || r->is_error) {
			if (r->is_error) {
				char *why = r->text;

				r->text = NULL;
				tool_fail(r, "edits/%zu (%s): %s", i,
				          e->tools[i]->name, why);
				free(why);
			}
			return rc;
		}
	}
	return 0;
}

static int destructive(const struct tool_entry *t, const json_t *args)
{
	const json_t *n = json_object_get(args, "replicas");

	return (t->flags & TOOL_DESTRUCTIVE) ||
	       (!strcmp(t->name, "scale_service") && n &&
	        json_integer_value(n) == 0);
}

static int run(struct tool_result *r, struct tool_call *c, struct err *err)
{
	const json_t *list = json_object_get(c->args, "edits"), *one;
	const char *reason = tool_arg(c, "reason");
	const char *summary = tool_arg(c, "summary");
	struct edits e = {c, {0}, {0}, 0};
	struct mcpwrite_req req = {"propose_changes", NULL, NULL, 0};
	char *subject = NULL;
	size_t i;
	int rc = 0;

	json_array_foreach (list, i, one) {
		const char *name =
		        json_string_value(json_object_get(one, "tool"));
		const struct tool_entry *t = name ? tool_find(name) : NULL;

		if (!t || !t->edit) {
			rc = tool_fail(r,
			               "edits/%zu: '%s' is not a write tool "
			               "(one of deploy_stack, scale_service, "
			               "set_image, set_environment, "
			               "set_placement, label_node, "
			               "add_alert_rule, remove_alert_rule, "
			               "remove_stack)",
			               i, name ? name : "");
			goto out;
		}
		e.tools[e.n] = t;
		rc = check_edit(&e.args[e.n], t, one, reason, i, r, err);
		e.n++;
		if (rc)
			goto out;
		req.destructive |= destructive(t, e.args[e.n - 1]);
	}
	subject = summary ? xstrdup(summary)
	                  : xasprintf("%zu changes: %s", e.n, reason);
	req.summary = subject;
	req.slug = summary ? summary : "changes";
	rc = mcpwrite_run(r, c, &req, edit, &e, err);
out:
	for (i = 0; i < e.n; i++)
		json_decref(e.args[i]);
	free(subject);
	return rc < 0 ? rc : 0;
}

const struct tool_entry tool_propose_changes = {
        .name = "propose_changes",
        .title = "Propose several changes",
        .description =
                "Makes several edits of the write tools as one commit: "
                "edits is a list of {tool, arguments} (tool one of "
                "deploy_stack, scale_service, set_image, set_environment, "
                "set_placement, label_node, add_alert_rule, "
                "remove_alert_rule, remove_stack; arguments as that tool "
                "takes them, reason optional). The result is validated "
                "and planned as a whole; nothing is committed unless "
                "every edit applies.",
        // clang-format off
        .input_schema = TOOL_JSON({
		"type" : "object",
		"required" : [ "edits", "reason" ],
		"properties" : {
			"edits" : {
				"type" : "array",
				"minItems" : 1,
				"maxItems" : 20,
				"items" : {
					"type" : "object",
					"required" : [ "tool", "arguments" ],
					"properties" : {
						"tool" : {"type" : "string"},
						"arguments" : {"type" : "object"}
					},
					"additionalProperties" : false
				}
			},
			"summary" : {"type" : "string", "minLength" : 1, "maxLength" : 120, "description" : "the commit's subject line"},
			MCPWRITE_ARGS,
			MCPWRITE_CONFIRM
		},
		"additionalProperties" : false
	}),
        // clang-format on
        .output_schema = MCPWRITE_OUTPUT,
        .flags = TOOL_COMMIT,
        .run = run,
};
