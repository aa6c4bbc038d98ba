/*
 * cmd-approve.c: `kedge approve PLAN-ID`: let a running `kedge run` apply
 * a destructive plan that `prune: confirm` held back
 * (POST /api/v1/plans/<id>/approve). With --wait, follow the reconcile
 * that applies it and exit with its exit code, as `kedge reconcile --wait`.
 */
#include <jansson.h>

#include "cli.h"
#include "client.h"
#include "cmd.h"
#include "err.h"
#include "http.h"

extern const struct cmd_entry cmd_approve;

static int run(int argc, char **argv)
{
	struct client_opts o;
	struct client *c = NULL;
	json_t *reply = NULL, *id;
	char *plan = NULL, *path = NULL, name[128];
	struct err err;
	int rc;

	err_clear(&err);
	rc = client_parse(&o, &cmd_approve,
	                  CLIENT_ARG | CLIENT_OPT_WAIT | CLIENT_POSTS, argc,
	                  argv);
	if (rc)
		goto out;
	plan = http_escape(o.arg);
	path = xasprintf("/api/v1/plans/%s/approve", plan);
	if (client_open(&c, &o, &err) ||
	    client_call(&reply, NULL, c, "POST", path, &err)) {
		client_error(&err, &o);
		rc = CLI_ERROR;
		goto out;
	}
	client_str(name, sizeof(name), reply, "id", o.arg);
	id = json_object_get(reply, "reconcile");
	if (!json_is_integer(id)) {
		printf("plan %s approved\n", name);
		if (o.wait) {
			fprintf(stderr,
			        "error: the kedge daemon at %s did not say "
			        "which reconcile applies plan %s\n",
			        client_server(c), name);
			rc = CLI_ERROR;
		}
		goto out;
	}
	printf("plan %s approved; reconcile %" JSON_INTEGER_FORMAT " queued\n",
	       name, json_integer_value(id));
	if (!o.wait)
		goto out;
	rc = client_follow(c, &o, json_integer_value(id));
out:
	free(path);
	free(plan);
	json_decref(reply);
	client_free(c);
	client_opts_release(&o);
	return rc < 0 ? CLI_OK : rc;
}

const struct cmd_entry cmd_approve = {
        .name = "approve",
        .usage = "kedge approve [--server URL] [--api-token-file FILE] "
                 "[--wait [--wait-timeout DUR]] PLAN-ID",
        .summary = "Let a running daemon apply a plan held for approval.",
        .help = "    --server URL          the daemon (default: "
                "http://127.0.0.1:8750, or $KEDGE_SERVER)\n"
                "    --api-token-file FILE the daemon's API token (or "
                "$KEDGE_API_TOKEN_FILE)\n"
                "    --timeout DUR         bound on each HTTP call (30s)\n"
                "    --wait                follow the reconcile that "
                "applies the plan\n"
                "    --wait-timeout DUR    bound on --wait (15m)\n"
                "exit status: 0 approved (with --wait: applied), 2 error, "
                "refused or failed,\n"
                "3 applied but not converged (--wait)\n",
        .run = run,
};
