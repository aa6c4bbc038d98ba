/*
 * cmd-diff.c: `kedge diff`: what an apply would change, without changing
 * anything. Exit 0 when the swarm matches, 1 when it differs, 2 on error.
 */
#include <jansson.h>

#include "cli.h"
#include "cmd.h"
#include "diag.h"
#include "err.h"
#include "plan.h"
#include "progress.h"
#include "promplan.h"
#include "reconcile.h"

extern const struct cmd_entry cmd_diff;

static void print_prom(const struct promplan *pp, const char *revision)
{
	promplan_print(pp, stdout);
	if (promplan_empty(pp))
		printf("No changes: Prometheus matches %.12s.\n", revision);
	else
		printf("Prometheus: %zu change%s.\n", promplan_count(pp),
		       promplan_count(pp) == 1 ? "" : "s");
}

/* Writes the plan next to FILE and renames it into place. */
static int save_plan(const struct plan *p, const struct promplan *pp,
                     const char *file)
{
	/* A saved plan is a fingerprint: never env values, --show-env or
	 * not. */
	json_t *j = plan_to_json(p, 0);

	json_object_set_new(j, "prometheus",
	                    pp ? promplan_to_json(pp) : json_null());
	char *tmp = xasprintf("%s.tmp", file);
	int rc = json_dump_file(j, tmp, JSON_INDENT(2) | JSON_SORT_KEYS);

	if (!rc && rename(tmp, file))
		rc = -1;
	if (rc) {
		unlink(tmp);
		fprintf(stderr, "error: cannot write the plan to '%s': %s\n",
		        file, strerror(errno));
	}
	free(tmp);
	json_decref(j);
	return rc ? CLI_ERROR : CLI_OK;
}

static int run(int argc, char **argv)
{
	struct cli_opts o;
	struct reconcile_opts ro;
	struct reconcile s = {0};
	struct progress pr = {NULL, 0, 0};
	struct diag diag = DIAG_INIT;
	struct promplan pp = {0};
	char *schema_dir = NULL;
	struct err err, perr;
	int rc, prc = 1;

	rc = cli_parse(&o, &cmd_diff,
	               CLI_OPT_STACK | CLI_OPT_SAVE | CLI_OPT_DOCKER |
	                       CLI_OPT_STORE | CLI_OPT_ADOPT |
	                       CLI_OPT_SHOW_ENV | CLI_OPT_PROM,
	               argc, argv);
	if (rc) {
		cli_opts_release(&o);
		return rc < 0 ? CLI_OK : rc;
	}
	cli_reconcile_opts(&ro, &schema_dir, &o);
	ro.read_only = 1;
	ro.hooks.event = progress_event;
	ro.hooks.ctx = &pr;
	err_clear(&err);
	if (reconcile_plan(&s, &ro, &diag, &err)) {
		if (!s.plan && diag.errors)
			diag_print(&diag, stderr);
		cli_error(&err);
		rc = CLI_ERROR;
		goto out;
	}
	err_clear(&perr);
	if (!diag.errors)
		prc = cli_promplan_build(&pp, &o, s.desired, &diag, &perr);
	if (o.output == CLI_JSON) {
		json_t *j =
		        plan_to_json(s.plan, o.show_env ? PLAN_SHOW_ENV : 0);

		json_object_set_new(j, "prometheus",
		                    prc ? json_null() : promplan_to_json(&pp));
		if (prc < 0)
			json_object_set_new(j, "prometheus_error",
			                    json_string(perr.msg));
		json_object_set_new(j, "problems", diag_to_json(&diag));
		json_dumpf(j, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(j);
	} else {
		diag_print(&diag, stderr);
		plan_print(s.plan, stdout, o.show_env ? PLAN_SHOW_ENV : 0);
		if (!prc)
			print_prom(&pp, s.plan->revision);
		else if (prc < 0)
			fprintf(stderr, "error: the Prometheus part: %s\n",
			        perr.msg);
	}
	if (o.save && save_plan(s.plan, prc ? NULL : &pp, o.save))
		rc = CLI_ERROR;
	else if (diag.errors || prc < 0)
		rc = CLI_ERROR;
	else
		rc = plan_empty(s.plan) && !json_array_size(s.plan->skipped) &&
		                     (prc || promplan_empty(&pp))
		             ? CLI_OK
		             : CLI_DIFFERENCES;
	if (diag.errors && o.output == CLI_TEXT)
		fprintf(stderr, "error: the plan cannot be applied until the "
		                "problems above are fixed\n");
out:
	promplan_release(&pp);
	reconcile_release(&s);
	free(schema_dir);
	diag_release(&diag);
	cli_opts_release(&o);
	return rc;
}

const struct cmd_entry cmd_diff = {
        .name = "diff",
        .usage = "kedge diff [--repo SRC] [--ref REF] [--path DIR] "
                 "[--stack NAME] [--output text|json] [--save FILE] "
                 "[--adopt]",
        .summary = "Show what apply would change in the swarm.",
        .help = "    --repo, --ref, --path, --worktree, --cache-dir, "
                "--ssh-key,\n"
                "    --known-hosts, --token-file, --offline: as for validate\n"
                "    --stack NAME        only this stack (repeatable)\n"
                "    --show-env          show environment values in clear "
                "(default: a hash)\n"
                "    --output FORMAT     text (default) or json (the plan "
                "format)\n"
                "    --save FILE         write the plan for `kedge apply "
                "--plan`\n"
                "    --adopt             show what adopting docker stack "
                "deploy's objects does\n"
                "    --docker-host HOST  default $DOCKER_HOST\n"
                "    --store PATH        state database (default "
                "$XDG_STATE_HOME/kedge/state.db)\n"
                "    --prometheus-url URL, --prometheus-rules-dir DIR,\n"
                "    --prometheus-reload http|signal:PIDFILE, --promtool "
                "PATH,\n"
                "    --alertmanager-url URL, --alertmanager-config FILE,\n"
                "    --alertmanager-env-file FILE: compare Prometheus "
                "too (docs/prometheus.md)\n"
                "exit status: 0 in sync, 1 differences, 2 error\n",
        .run = run,
};
