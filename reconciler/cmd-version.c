/*
 * cmd-version.c: `kedge version`.
 */
#include "cli.h"
#include "cmd.h"
#include "util.h"

static int run(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: kedge version\n");
		return CLI_ERROR;
	}
	printf("kedge %s\n", KEDGE_VERSION);
	return CLI_OK;
}

const struct cmd_entry cmd_version = {
        .name = "version",
        .usage = "kedge version",
        .summary = "Print kedge's version.",
        .run = run,
};
