/*
 * cmd-reconcile.c: `kedge reconcile`: ask a running `kedge run` to check
 * the remote and reconcile now (POST /api/v1/reconcile). With --wait,
 * follow that reconcile until it is done and exit with its own exit code
 * (0 applied or nothing to do, 2 failed, 3 applied but not converged);
 * 2 whenever that cannot be told.
 */
#include <jansson.h>

#include "cli.h"
#include "client.h"
#include "cmd.h"
#include "err.h"

extern const struct cmd_entry cmd_reconcile;

static int run(int argc, char **argv)
{
	struct client_opts o;
	struct client *c = NULL;
	json_t *reply = NULL, *id;
	struct err err;
	int rc;

	err_clear(&err);
	rc = client_parse(&o, &cmd_reconcile, CLIENT_OPT_WAIT | CLIENT_POSTS,
	                  argc, argv);
	if (rc)
		goto out;
	if (client_open(&c, &o, &err) ||
	    client_call(&reply, NULL, c, "POST", "/api/v1/reconcile", &err)) {
		client_error(&err, &o);
		rc = CLI_ERROR;
		goto out;
	}
	id = json_object_get(reply, "id");
	if (!json_is_integer(id)) {
		fprintf(stderr,
		        "error: the kedge daemon at %s queued a reconcile "
		        "but did not say its id\n",
		        client_server(c));
		rc = CLI_ERROR;
		goto out;
	}
	printf("reconcile %" JSON_INTEGER_FORMAT " queued\n",
	       json_integer_value(id));
	if (!o.wait)
		goto out;
	rc = client_follow(c, &o, json_integer_value(id));
out:
	json_decref(reply);
	client_free(c);
	client_opts_release(&o);
	return rc < 0 ? CLI_OK : rc;
}

const struct cmd_entry cmd_reconcile = {
        .name = "reconcile",
        .usage = "kedge reconcile [--server URL] [--api-token-file FILE] "
                 "[--wait [--wait-timeout DUR]]",
        .summary = "Make a running daemon check git and reconcile now.",
        .help = "    --server URL          the daemon (default: "
                "http://127.0.0.1:8750, or $KEDGE_SERVER)\n"
                "    --api-token-file FILE the daemon's API token (or "
                "$KEDGE_API_TOKEN_FILE)\n"
                "    --timeout DUR         bound on each HTTP call (30s)\n"
                "    --wait                follow the reconcile until it "
                "is done\n"
                "    --wait-timeout DUR    bound on --wait (15m)\n"
                "exit status: 0 queued (with --wait: applied or nothing to "
                "do), 2 error or failed,\n"
                "3 applied but not converged (--wait)\n",
        .run = run,
};
