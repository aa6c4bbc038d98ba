/*
 * cmd-validate.c: `kedge validate`: load the desired state at a revision
 * and report every problem with its location. Exit 0 when valid, 2 when
 * not (or when kedge cannot read the source).
 */
#include <jansson.h>

#include "cli.h"
#include "cmd.h"
#include "desired.h"
#include "diag.h"
#include "err.h"
#include "plan.h"
#include "reconcile.h"

extern const struct cmd_entry cmd_validate;

static void print_json(const struct diag *diag)
{
	json_t *arr = diag_to_json(diag);

	json_dumpf(arr, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(arr);
}

static void summary(const struct desired *d, const struct diag *diag)
{
	char rev[16];

	snprintf(rev, sizeof(rev), "%.12s", d->revision);
	if (diag->errors) {
		fprintf(stderr, "%zu error%s, %zu warning%s in %s at %s\n",
		        diag->errors, diag->errors == 1 ? "" : "s",
		        diag->warnings, diag->warnings == 1 ? "" : "s",
		        d->source_name, rev);
		return;
	}
	printf("valid: %s at %s: %zu stack%s, %zu service%s, %zu rule "
	       "file%s, %zu backup file%s%s\n",
	       d->source_name, rev, d->nstacks, d->nstacks == 1 ? "" : "s",
	       desired_service_count(d),
	       desired_service_count(d) == 1 ? "" : "s", d->nalerts,
	       d->nalerts == 1 ? "" : "s", d->nbackups,
	       d->nbackups == 1 ? "" : "s", d->nodes.doc ? ", nodes.yml" : "");
}

static int run(int argc, char **argv)
{
	struct cli_opts o;
	struct diag diag = DIAG_INIT;
	struct reconcile_opts ro;
	struct reconcile r = {0};
	char *schema_dir = NULL;
	struct err err;
	int rc;

	err_clear(&err);
	rc = cli_parse(&o, &cmd_validate, CLI_OPT_PROM, argc, argv);
	if (rc) {
		cli_opts_release(&o);
		return rc < 0 ? CLI_OK : rc;
	}
	cli_reconcile_opts(&ro, &schema_dir, &o);
	/* validate == diff without the swarm: the same conversion runs */
	if (reconcile_load(&r, &ro, &diag, &err) ||
	    plan_check_desired(r.desired, &diag, &err)) {
		/* kedge could not look at the files at all */
		diag_add(&diag, DIAG_ERROR, err.file, err.line, err.col, "%s",
		         err.msg[0] ? err.msg : err_str(err.code));
		rc = CLI_ERROR;
		if (o.output == CLI_JSON)
			print_json(&diag);
		else
			cli_error(&err);
		goto out;
	}
	rc = diag.errors ? CLI_ERROR : CLI_OK;
	diag_sort(&diag);
	if (o.output == CLI_JSON) {
		print_json(&diag);
	} else {
		diag_print(&diag, stderr);
		if (!o.quiet || diag.errors)
			summary(r.desired, &diag);
	}
out:
	reconcile_release(&r);
	free(schema_dir);
	diag_release(&diag);
	cli_opts_release(&o);
	return rc;
}

const struct cmd_entry cmd_validate = {
        .name = "validate",
        .usage = "kedge validate [--repo SRC | --worktree DIR] [--ref REF] "
                 "[--path DIR] [--output text|json]",
        .summary = "Check the desired state at a revision and report every "
                   "problem with its location.",
        .help = "    --repo SRC          repository path or URL (default: .)\n"
                "    --ref REF           branch, tag or commit (default: the "
                "default branch)\n"
                "    --path DIR          desired state in a subfolder\n"
                "    --worktree DIR      read files from disk, not a commit\n"
                "    --cache-dir DIR     where remotes are cloned\n"
                "    --ssh-key FILE      private key for ssh remotes\n"
                "    --known-hosts FILE  known_hosts for ssh remotes\n"
                "    --token-file FILE   HTTPS token (or $KEDGE_GIT_TOKEN)\n"
                "    --offline           use the cache without fetching\n"
                "    --git-timeout DUR   bound on a clone or fetch (60s)\n"
                "    --output FORMAT     text (default) or json\n"
                "    --schema-dir DIR    where the JSON Schemas are\n"
                "    -q, --quiet         print only problems\n"
                "exit status: 0 valid, 2 invalid or error\n",
        .run = run,
};
