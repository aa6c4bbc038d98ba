/*
 * cmd.c: the table of subcommands declared in cmd.h. Adding a command is
 * one cmd-<name>.c file and one line here.
 */
#include "cmd.h"
#include "util.h"

extern const struct cmd_entry cmd_validate;
extern const struct cmd_entry cmd_diff;
extern const struct cmd_entry cmd_apply;
extern const struct cmd_entry cmd_run;
extern const struct cmd_entry cmd_version;
extern const struct cmd_entry cmd_status;
extern const struct cmd_entry cmd_history;
extern const struct cmd_entry cmd_reconcile;
extern const struct cmd_entry cmd_suspend;
extern const struct cmd_entry cmd_resume;
extern const struct cmd_entry cmd_approve;
extern const struct cmd_entry cmd_mcp;
extern const struct cmd_entry cmd_token;

const struct cmd_entry *const cmd_table[] = {
        &cmd_validate, &cmd_diff,      &cmd_apply,   &cmd_run,    &cmd_status,
        &cmd_history,  &cmd_reconcile, &cmd_suspend, &cmd_resume, &cmd_approve,
        &cmd_mcp,      &cmd_token,     &cmd_version,
};

const size_t cmd_table_nr = ARRAY_SIZE(cmd_table);

const struct cmd_entry *cmd_find(const char *name)
{
	for (size_t i = 0; i < cmd_table_nr; i++)
		if (!strcmp(cmd_table[i]->name, name))
			return cmd_table[i];
	return NULL;
}

void cmd_usage(const struct cmd_entry *e, void *fp)
{
	fprintf(fp, "usage: %s\n\n%s\n", e->usage, e->summary);
	if (e->help)
		fprintf(fp, "\n%s", e->help);
}
