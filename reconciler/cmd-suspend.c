/*
 * cmd-suspend.c: `kedge suspend STACK` and `kedge resume STACK`: tell a
 * running `kedge run` to stop (or start again) reconciling one stack
 * (POST /api/v1/stacks/<stack>/suspend, /resume). Exit 0 done, 2 when the
 * daemon cannot be reached or refuses (with its reason).
 */
#include <jansson.h>

#include "cli.h"
#include "client.h"
#include "cmd.h"
#include "err.h"
#include "http.h"

extern const struct cmd_entry cmd_suspend;
extern const struct cmd_entry cmd_resume;

static int toggle(const struct cmd_entry *cmd, const char *verb,
                  const char *done, int argc, char **argv)
{
	struct client_opts o;
	struct client *c = NULL;
	json_t *reply = NULL;
	char *stack = NULL, *path = NULL, name[256];
	struct err err;
	int rc;

	err_clear(&err);
	rc = client_parse(&o, cmd, CLIENT_ARG | CLIENT_POSTS, argc, argv);
	if (rc)
		goto out;
	stack = http_escape(o.arg);
	path = xasprintf("/api/v1/stacks/%s/%s", stack, verb);
	if (client_open(&c, &o, &err) ||
	    client_call(&reply, NULL, c, "POST", path, &err)) {
		client_error(&err, &o);
		rc = CLI_ERROR;
		goto out;
	}
	client_str(name, sizeof(name), reply, "stack", o.arg);
	printf("stack %s %s\n", name, done);
out:
	free(path);
	free(stack);
	json_decref(reply);
	client_free(c);
	client_opts_release(&o);
	return rc < 0 ? CLI_OK : rc;
}

static int run_suspend(int argc, char **argv)
{
	return toggle(&cmd_suspend, "suspend", "suspended", argc, argv);
}

static int run_resume(int argc, char **argv)
{
	return toggle(&cmd_resume, "resume", "resumed", argc, argv);
}

#define TOGGLE_HELP                                                  \
	"    --server URL          the daemon (default: "            \
	"http://127.0.0.1:8750, or $KEDGE_SERVER)\n"                 \
	"    --api-token-file FILE the daemon's API token (or "      \
	"$KEDGE_API_TOKEN_FILE)\n"                                   \
	"    --timeout DUR         bound on the HTTP call (30s)\n"   \
	"exit status: 0 done, 2 the daemon could not be reached or " \
	"refused\n"

const struct cmd_entry cmd_suspend = {
        .name = "suspend",
        .usage = "kedge suspend [--server URL] [--api-token-file FILE] "
                 "STACK",
        .summary = "Make a running daemon leave a stack alone.",
        .help = TOGGLE_HELP,
        .run = run_suspend,
};

const struct cmd_entry cmd_resume = {
        .name = "resume",
        .usage = "kedge resume [--server URL] [--api-token-file FILE] "
                 "STACK",
        .summary = "Make a running daemon reconcile a suspended stack.",
        .help = TOGGLE_HELP,
        .run = run_resume,
};
