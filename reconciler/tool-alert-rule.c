/*
 * tool-alert-rule.c: add_alert_rule and remove_alert_rule: one alerting
 * rule in a rule file alerts/<file>.yml, added to (or removed from) a
 * group. The new file is validated by promtool like any commit.
 */
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "mcpwrite.h"
#include "srcmap.h"
#include "tool.h"
#include "yamledit.h"

extern const struct tool_entry tool_add_alert_rule;
extern const struct tool_entry tool_remove_alert_rule;

/* "node", "node.yml" or "alerts/node.yml" → "alerts/node.yml"; NULL if bad */
static char *rule_file(const char *file)
{
	const char *name = starts_with(file, "alerts/") ? file + 7 : file;
	size_t n = strcspn(name, "/");

	if (!*name || name[n] || !strcmp(name, ".") || !strcmp(name, "..") ||
	    ends_with(name, ".test.yml"))
		return NULL;
	if (ends_with(name, ".yml") || ends_with(name, ".yaml"))
		return xasprintf("alerts/%s", name);
	return xasprintf("alerts/%s.yml", name);
}

/* The index of the group named name, or -1. */
static long group_index(const json_t *doc, const char *name)
{
	json_t *g;
	size_t i;

	json_array_foreach (json_object_get(doc, "groups"), i, g)
		if (!strcmp(json_string_value(json_object_get(g, "name")) ?: "",
		            name))
			return (long)i;
	return -1;
}

static long rule_index(const json_t *doc, long g, const char *alert)
{
	json_t *rule;
	size_t i;

	json_array_foreach (
	        json_object_get(json_array_get(json_object_get(doc, "groups"),
	                                       (size_t)g),
	                        "rules"),
	        i, rule)
		if (!strcmp(json_string_value(json_object_get(rule, "alert"))
		                    ?: "",
		            alert))
			return (long)i;
	return -1;
}

static json_t *rule_of(const json_t *args)
{
	json_t *rule =
	        json_pack("{s:O, s:O}", "alert", json_object_get(args, "alert"),
	                  "expr", json_object_get(args, "expr"));
	static const char *const opt[] = {"for", "labels", "annotations", NULL};

	for (size_t i = 0; opt[i]; i++)
		if (json_object_get(args, opt[i]))
			json_object_set(rule, opt[i],
			                json_object_get(args, opt[i]));
	return rule;
}

static int add_edit(struct mcpwrite *w, struct tool_result *r, void *arg,
                    struct err *err)
{
	struct tool_call *c = arg;
	const char *group = tool_arg(c, "group"), *alert = tool_arg(c, "alert");
	char *path = rule_file(tool_arg(c, "file")), *ptr = NULL;
	struct yamledit *e = NULL;
	json_t *v = NULL;
	long g;
	int rc;

	if (!path)
		return tool_fail(r, "'%s' is not a rule file name",
		                 tool_arg(c, "file"));
	if ((rc = mcpwrite_yaml(&e, w, path, 1, err)))
		goto out;
	g = group_index(yamledit_doc(e), group);
	if (g >= 0 && rule_index(yamledit_doc(e), g, alert) >= 0) {
		rc = tool_fail(r,
		               "%s: group '%s' has an alert '%s' already; "
		               "remove it first or choose another name",
		               path, group, alert);
		goto out;
	}
	if (g < 0) {
		ptr = xstrdup("/groups/-");
		v = json_pack("{s:s, s:[o]}", "name", group, "rules",
		              rule_of(c->args));
	} else {
		ptr = xasprintf("/groups/%ld/rules/-", g);
		v = rule_of(c->args);
	}
	if (!json_object_get(yamledit_doc(e), "groups")) {
		/* a new file */
		json_t *groups = json_pack("[O]", v);

		free(ptr);
		ptr = xstrdup("/groups");
		json_decref(v);
		v = groups;
	}
	if (!(rc = yamledit_set(e, ptr, v, err)))
		mcpwrite_put_yaml(w, path, e);
out:
	json_decref(v);
	yamledit_free(e);
	free(ptr);
	free(path);
	return rc;
}

static int remove_edit(struct mcpwrite *w, struct tool_result *r, void *arg,
                       struct err *err)
{
	struct tool_call *c = arg;
	const char *group = tool_arg(c, "group"), *alert = tool_arg(c, "alert");
	char *path = rule_file(tool_arg(c, "file")), *ptr = NULL;
	struct yamledit *e = NULL;
	long g, i = -1;
	int rc;

	if (!path)
		return tool_fail(r, "'%s' is not a rule file name",
		                 tool_arg(c, "file"));
	rc = mcpwrite_yaml(&e, w, path, 0, err);
	if (rc == ERR_NOTFOUND) {
		err_clear(err);
		rc = tool_fail(r, "no rule file %s", path);
		goto out;
	}
	if (rc)
		goto out;
	g = group_index(yamledit_doc(e), group);
	if (g >= 0)
		i = rule_index(yamledit_doc(e), g, alert);
	if (i < 0) {
		rc = tool_fail(r, "%s has no alert '%s' in a group '%s'", path,
		               alert, group);
		goto out;
	}
	ptr = xasprintf("/groups/%ld/rules/%ld", g, i);
	if (!(rc = yamledit_remove(e, ptr, err)))
		mcpwrite_put_yaml(w, path, e);
out:
	yamledit_free(e);
	free(ptr);
	free(path);
	return rc;
}

static int run_add(struct tool_result *r, struct tool_call *c, struct err *err)
{
	return mcpwrite_tool(r, c, "add_alert_rule", 0, add_edit,
	                     xasprintf("alert on %s (%s)", tool_arg(c, "alert"),
	                               tool_arg(c, "group")),
	                     xasprintf("alert-%s", tool_arg(c, "alert")), err);
}

static int run_remove(struct tool_result *r, struct tool_call *c,
                      struct err *err)
{
	return mcpwrite_tool(
	        r, c, "remove_alert_rule", 1, remove_edit,
	        xasprintf("remove the alert %s (%s)", tool_arg(c, "alert"),
	                  tool_arg(c, "group")),
	        xasprintf("remove-alert-%s", tool_arg(c, "alert")), err);
}

const struct tool_entry tool_add_alert_rule = {
        .name = "add_alert_rule",
        .title = "Add an alert rule",
        .description = "Adds a Prometheus alerting rule to a group of a rule "
                       "file alerts/<file>.yml (the group and the file are "
                       "created when missing). expr is PromQL, for a duration "
                       "like 5m; labels such as severity route the page. The "
                       "file is checked with promtool before the commit.",
        .input_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : [ "file", "group", "alert", "expr", "reason" ],
	        "properties" : {
		        "file" : {"type" : "string", "minLength" : 1},
		        "group" : {"type" : "string", "minLength" : 1},
		        "alert" : {
			        "type" : "string",
			        "pattern" : "^[a-zA-Z_:][a-zA-Z0-9_:]*$"
		        },
		        "expr" : {"type" : "string", "minLength" : 1},
		        "for" : {
			        "type" : "string",
			        "pattern" : "^([0-9]+(ms|s|m|h|d|w|y))+$"
		        },
		        "labels" : {
			        "type" : "object",
			        "additionalProperties" : {"type" : "string"}
		        },
		        "annotations" : {
			        "type" : "object",
			        "additionalProperties" : {"type" : "string"}
		        },
		        MCPWRITE_ARGS
	        },
	        "additionalProperties" : false
        }),
        .output_schema = MCPWRITE_OUTPUT,
        .flags = TOOL_COMMIT,
        .run = run_add,
        .edit = add_edit,
};

const struct tool_entry tool_remove_alert_rule = {
        .name = "remove_alert_rule",
        .title = "Remove an alert rule",
        .description = "Removes one alerting rule from a group of "
                       "alerts/<file>.yml. Asks the person first (or needs "
                       "confirm: true).",
        .input_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : [ "file", "group", "alert", "reason" ],
	        "properties" : {
		        "file" : {"type" : "string", "minLength" : 1},
		        "group" : {"type" : "string", "minLength" : 1},
		        "alert" : {"type" : "string", "minLength" : 1},
		        MCPWRITE_ARGS,
		        MCPWRITE_CONFIRM
	        },
	        "additionalProperties" : false
        }),
        .output_schema = MCPWRITE_OUTPUT,
        .flags = TOOL_COMMIT | TOOL_DESTRUCTIVE | TOOL_IDEMPOTENT,
        .run = run_remove,
        .edit = remove_edit,
};
