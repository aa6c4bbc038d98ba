/*
 * cmd.h: the table of kedge's subcommands.
 *
 * Each subcommand lives in cmd-<name>.c and exports one const struct
 * cmd_entry; cmd.c lists them. main.c only walks the table. A handler gets
 * argv with argv[0] the subcommand name and returns the process exit code.
 */
#ifndef RECONCILER_CMD_H
#define RECONCILER_CMD_H

#include <stddef.h>

struct cmd_entry {
	const char *name;
	const char *usage;   /* one line: "kedge validate [--repo SRC] ..." */
	const char *summary; /* for `kedge help` */
	const char *help;    /* the options, one per line */
	int (*run)(int argc, char **argv);
};

/* Every subcommand, in the order `kedge help` lists them. */
extern const struct cmd_entry *const cmd_table[];
extern const size_t cmd_table_nr;

/* Looks a subcommand up by name; NULL when there is none. */
const struct cmd_entry *cmd_find(const char *name);
/* Prints "usage: ..." and the options of e to fp. */
void cmd_usage(const struct cmd_entry *e, void *fp);

#endif
