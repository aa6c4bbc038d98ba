/*
 * tool.c: the table of MCP tools declared in tool.h, and what handlers
 * share. Adding a tool is one tool-<name>.c file and one line here.
 */
#include <stdarg.h>
#include <string.h>

#include <jansson.h>

#include "desired.h"
#include "err.h"
#include "mcpctx.h"
#include "plan.h"
#include "tool.h"

extern const struct tool_entry tool_list_stacks;
extern const struct tool_entry tool_get_stack;
extern const struct tool_entry tool_list_nodes;
extern const struct tool_entry tool_show_plan;
extern const struct tool_entry tool_show_drift;
extern const struct tool_entry tool_reconcile_history;
extern const struct tool_entry tool_list_alert_rules;
extern const struct tool_entry tool_analyze_metrics;
extern const struct tool_entry tool_list_backups;
extern const struct tool_entry tool_execute_health_check;
extern const struct tool_entry tool_deploy_stack;
extern const struct tool_entry tool_scale_service;
extern const struct tool_entry tool_set_image;
extern const struct tool_entry tool_set_environment;
extern const struct tool_entry tool_set_placement;
extern const struct tool_entry tool_label_node;
extern const struct tool_entry tool_add_alert_rule;
extern const struct tool_entry tool_remove_alert_rule;
extern const struct tool_entry tool_remove_stack;
extern const struct tool_entry tool_set_backup_schedule;
extern const struct tool_entry tool_propose_changes;
extern const struct tool_entry tool_reconcile_now;

const struct tool_entry *const tool_table[] = {
        /* read */
        &tool_list_nodes,
        &tool_list_stacks,
        &tool_get_stack,
        &tool_show_plan,
        &tool_show_drift,
        &tool_reconcile_history,
        &tool_list_alert_rules,
        &tool_analyze_metrics,
        &tool_list_backups,
        &tool_execute_health_check,
        /* write: one commit each */
        &tool_deploy_stack,
        &tool_scale_service,
        &tool_set_image,
        &tool_set_environment,
        &tool_set_placement,
        &tool_label_node,
        &tool_add_alert_rule,
        &tool_remove_alert_rule,
        &tool_remove_stack,
        &tool_set_backup_schedule,
        &tool_propose_changes,
        /* operate: through the daemon, no commit */
        &tool_reconcile_now,
};

const size_t tool_table_nr = ARRAY_SIZE(tool_table);

const struct tool_entry *tool_find(const char *name)
{
	for (size_t i = 0; i < tool_table_nr; i++)
		if (!strcmp(tool_table[i]->name, name))
			return tool_table[i];
	return NULL;
}

int tool_fail(struct tool_result *r, const char *fmt, ...)
{
	va_list ap;

	free(r->text);
	va_start(ap, fmt);
	r->text = xvasprintf(fmt, ap);
	va_end(ap);
	r->is_error = 1;
	return 0;
}

void tool_result_release(struct tool_result *r)
{
	json_decref(r->structured);
	free(r->text);
	memset(r, 0, sizeof(*r));
}

int tool_ok(struct tool_result *r, json_t *out)
{
	json_decref(r->structured);
	r->structured = out;
	return 0;
}

int tool_view(struct mcpview *v, struct tool_call *c, unsigned flags,
              struct tool_result *r, struct err *err)
{
	char *text;
	int rc = mcpctx_view(v, c->ctx, NULL, flags, err);

	if (rc)
		return rc;
	if (!v->diag.errors)
		return 1;
	diag_sort(&v->diag);
	text = mcpctx_diag_text(&v->diag);
	tool_fail(r, "the desired state at %.12s is not valid:\n%s",
	          v->r.desired ? v->r.desired->revision : "?", text);
	free(text);
	return 0;
}

const char *tool_arg(const struct tool_call *c, const char *name)
{
	return json_string_value(json_object_get(c->args, name));
}

json_t *tool_plan_json(const struct mcpview *v)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp;
	json_t *out;

	if (!v->r.plan)
		return json_pack("{s:s}", "error",
		                 v->swarm_error ? v->swarm_error
		                                : "no plan was computed");
	fp = open_memstream(&text, &len);
	if (!fp)
		BUG("open_memstream failed");
	plan_print(v->r.plan, fp, 0);
	fclose(fp);
	out = plan_to_json(v->r.plan, 0);
	json_object_set_new(out, "text", json_string(text));
	free(text);
	return out;
}
