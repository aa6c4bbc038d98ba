/*
 * main.c: kedge's entry point. Finds the subcommand in the table (cmd.h)
 * and runs it; owns nothing else.
 */
#include <locale.h>
#include <signal.h>

#include "cmd.h"
#include "cli.h"
#include "repo.h"
#include "util.h"

static void usage(FILE *fp)
{
	fprintf(fp, "usage: kedge <command> [<options>]\n\n"
	            "kedge reconciles a Docker Swarm with the desired state "
	            "kept in a git repository.\n\ncommands:\n");
	for (size_t i = 0; i < cmd_table_nr; i++)
		fprintf(fp, "   %-10s %s\n", cmd_table[i]->name,
		        cmd_table[i]->summary);
	fprintf(fp, "\n'kedge <command> --help' shows a command's options.\n");
}

int main(int argc, char **argv)
{
	const struct cmd_entry *cmd;
	int rc;

	setlocale(LC_ALL, "C");
	/* A reader that goes away (kedge diff | head) must not kill an apply
	 * half-way: a write then fails with EPIPE, and the ferror() check
	 * below reports it after the command has finished its work. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2 || !strcmp(argv[1], "help") ||
	    !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		if (argc >= 3 && (cmd = cmd_find(argv[2]))) {
			cmd_usage(cmd, stdout);
			return CLI_OK;
		}
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_ERROR : CLI_OK;
	}
	if (!strcmp(argv[1], "--version"))
		argv[1] = (char *)"version";
	cmd = cmd_find(argv[1]);
	if (!cmd) {
		fprintf(stderr, "error: '%s' is not a kedge command\n",
		        argv[1]);
		usage(stderr);
		return CLI_ERROR;
	}
	repo_global_init();
	rc = cmd->run(argc - 1, argv + 1);
	repo_global_shutdown();
	fflush(stdout);
	if (ferror(stdout)) {
		fprintf(stderr, "error: cannot write to standard output\n");
		return CLI_ERROR;
	}
	return rc;
}
