/*
 * cmd-apply.c: `kedge apply`: make the swarm match the desired state.
 *
 * Exit 0: applied and converged (or nothing to do); 2: an error, with
 * nothing or only part applied (the output says which); 3: applied but a
 * service did not converge or Swarm rolled it back.
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

extern const struct cmd_entry cmd_apply;

/* Asks on the terminal; returns 1 only for "yes". */
static int confirm(void *ctx, const struct plan *p)
{
	char answer[16] = "";

	(void)ctx;
	fprintf(stderr,
	        "This plan removes objects or scales services to "
	        "zero (%zu removal%s).\nType 'yes' to apply it: ",
	        p->nremove, p->nremove == 1 ? "" : "s");
	fflush(stderr);
	if (!fgets(answer, sizeof(answer), stdin))
		return 0;
	answer[strcspn(answer, "\r\n")] = '\0';
	return !strcmp(answer, "yes");
}

/* --plan FILE: the desired state is read at the plan's revision. */
static int load_saved(json_t **out, struct cli_opts *o)
{
	json_error_t je;
	json_t *j = json_load_file(o->plan, 0, &je);

	if (!j || !json_is_string(json_object_get(j, "revision"))) {
		fprintf(stderr, "error: '%s' is not a kedge plan%s%s\n",
		        o->plan, j ? "" : ": ", j ? "" : je.text);
		json_decref(j);
		return CLI_ERROR;
	}
	if (!o->src.ref && !o->src.worktree)
		o->src.ref = json_string_value(json_object_get(j, "revision"));
	*out = j;
	return 0;
}

static int check_saved(const json_t *saved, const struct plan *fresh)
{
	struct err err;

	err_clear(&err);
	if (!plan_matches(saved, fresh, &err))
		return 0;
	fprintf(stderr,
	        "error: the saved plan is stale: %s; nothing was "
	        "changed. Make a new plan with `kedge diff --save`.\n",
	        err.msg);
	return CLI_ERROR;
}

/* The saved plan's Prometheus part must be what would be applied now. */
static int check_saved_prom(const json_t *saved, const struct promplan *pp)
{
	json_t *now = pp ? promplan_to_json(pp) : json_null();
	const json_t *then = json_object_get(saved, "prometheus");
	int same = json_equal(now, then) || (!then && json_is_null(now));

	json_decref(now);
	if (same)
		return 0;
	fprintf(stderr, "error: the saved plan is stale: the Prometheus part "
	                "has changed since the plan was made; nothing was "
	                "changed. Make a new plan with `kedge diff --save`.\n");
	return CLI_ERROR;
}

static int report_failure(const struct apply_result *res, const struct plan *p,
                          const struct err *err)
{
	cli_error(err);
	if (res->done == p->nr) {
		fprintf(stderr,
		        "error: all %zu changes were applied; whether the "
		        "services converged is not known\n",
		        p->nr);
		return CLI_ERROR;
	}
	fprintf(stderr,
	        "error: %zu of %zu changes were applied before this "
	        "failure; the rest were not made:\n",
	        res->done, p->nr);
	for (size_t i = res->done; i < p->nr; i++)
		fprintf(stderr, "    %s %s %s\n",
		        plan_op_name(p->actions[i].op),
		        plan_kind_name(p->actions[i].kind), p->actions[i].name);
	return CLI_ERROR;
}

/* Maps the engine's outcome to what the user sees and the exit code. */
static int report(const struct reconcile_result *res, const struct plan *p,
                  int error, const struct err *err)
{
	if (error)
		return report_failure(&res->apply, p, err);
	switch (res->outcome) {
	case RECONCILE_APPLIED:
		if (plan_empty(p))
			return CLI_OK;
		printf("Applied %zu change%s; the swarm matches %.12s.\n",
		       res->apply.done, res->apply.done == 1 ? "" : "s",
		       p->revision);
		return CLI_OK;
	case RECONCILE_NOT_CONVERGED:
		fprintf(stderr,
		        "error: %zu service%s did not converge; see above. "
		        "kedge will not apply the same spec to them again "
		        "until it changes.\n",
		        res->apply.not_converged,
		        res->apply.not_converged == 1 ? "" : "s");
		return CLI_NOT_CONVERGED;
	case RECONCILE_SKIPPED:
		return CLI_NOT_CONVERGED;
	case RECONCILE_REFUSED:
		fprintf(stderr,
		        "error: the plan removes objects or scales "
		        "services to zero; re-run with --yes to apply "
		        "it without a terminal. Nothing was changed.\n");
		return CLI_ERROR;
	case RECONCILE_DECLINED:
		fprintf(stderr, "Nothing was changed.\n");
		return CLI_ERROR;
	case RECONCILE_FAILED:
		break;
	}
	return report_failure(&res->apply, p, err);
}

static int do_apply(struct reconcile *s, const struct cli_opts *o)
{
	struct reconcile_apply_opts ao = {0};
	struct reconcile_result res;
	struct err err;
	int error;

	err_clear(&err);
	ao.timeout_sec = o->timeout_sec;
	ao.no_wait = o->no_wait;
	ao.allow_destructive = o->yes;
	if (isatty(0))
		ao.confirm = confirm;
	fflush(stdout);
	error = reconcile_apply(&res, s, &ao, &err);
	return report(&res, s->plan, error, &err);
}

/*
 * The Prometheus part, after the Swarm part: built before (prc < 0 when
 * that failed, with perr), applied only when the Swarm part did not fail.
 */
static int apply_prom(int rc, int prc, const struct promplan *pp,
                      const struct err *perr, const struct cli_opts *o,
                      const char *revision)
{
	struct promplan_opts po;
	struct err err;

	if (prc > 0)
		return rc;
	if (prc < 0) {
		fprintf(stderr,
		        "error: the Prometheus part was not applied: %s\n",
		        perr->msg);
		return CLI_ERROR;
	}
	if (promplan_empty(pp))
		return rc;
	if (rc == CLI_ERROR) {
		fprintf(stderr, "error: the Prometheus part was not applied "
		                "because the Swarm part failed\n");
		return rc;
	}
	cli_promplan_opts(&po, o);
	err_clear(&err);
	fflush(stdout);
	if (promplan_apply(pp, &po, &err)) {
		fprintf(stderr, "error: the Prometheus part failed: %s\n",
		        err.msg);
		return CLI_ERROR;
	}
	printf("Applied %zu change%s to Prometheus; it has loaded the rules "
	       "of %.12s.\n",
	       promplan_count(pp), promplan_count(pp) == 1 ? "" : "s",
	       revision);
	return rc;
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
	json_t *saved = NULL;
	struct err err, perr;
	int rc, prc = 1;

	rc = cli_parse(&o, &cmd_apply,
	               CLI_OPT_STACK | CLI_OPT_APPLY | CLI_OPT_DOCKER |
	                       CLI_OPT_STORE | CLI_OPT_ADOPT |
	                       CLI_OPT_SHOW_ENV | CLI_OPT_PROM,
	               argc, argv);
	if (rc) {
		cli_opts_release(&o);
		return rc < 0 ? CLI_OK : rc;
	}
	if (o.plan && (rc = load_saved(&saved, &o)))
		goto out;
	cli_reconcile_opts(&ro, &schema_dir, &o);
	pr.out = o.quiet ? NULL : stdout;
	pr.tty = isatty(1);
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
	diag_print(&diag, stderr);
	if (diag.errors) {
		fprintf(stderr, "error: nothing was changed: fix the problems "
		                "above first\n");
		rc = CLI_ERROR;
		goto out;
	}
	err_clear(&perr);
	prc = cli_promplan_build(&pp, &o, s.desired, &diag, &perr);
	if (diag.errors) {
		diag_print(&diag, stderr);
		fprintf(stderr, "error: nothing was changed: fix the problems "
		                "above first\n");
		rc = CLI_ERROR;
		goto out;
	}
	if (saved && ((rc = check_saved(saved, s.plan)) ||
	              (rc = check_saved_prom(saved, prc ? NULL : &pp))))
		goto out;
	if (!o.quiet) {
		plan_print(s.plan, stdout, o.show_env ? PLAN_SHOW_ENV : 0);
		if (!prc)
			promplan_print(&pp, stdout);
	}
	rc = do_apply(&s, &o);
	rc = apply_prom(rc, prc, &pp, &perr, &o, s.plan->revision);
out:
	promplan_release(&pp);
	json_decref(saved);
	reconcile_release(&s);
	free(schema_dir);
	diag_release(&diag);
	cli_opts_release(&o);
	return rc;
}

const struct cmd_entry cmd_apply = {
        .name = "apply",
        .usage = "kedge apply [--repo SRC] [--ref REF] [--path DIR] "
                 "[--stack NAME] [--yes] [--timeout DURATION] [--plan FILE] "
                 "[--adopt]",
        .summary = "Make the swarm match the desired state, and wait until "
                   "it converges.",
        .help = "    --repo, --ref, --path, --worktree, --cache-dir, "
                "--ssh-key,\n"
                "    --known-hosts, --token-file, --offline: as for validate\n"
                "    --stack NAME        only this stack (repeatable)\n"
                "    --show-env          show environment values in clear "
                "(default: a hash)\n"
                "    --yes               apply removals and scale-to-zero "
                "without asking\n"
                "    --timeout DURATION  convergence wait (default 5m)\n"
                "    --detach            do not wait for convergence\n"
                "    --plan FILE         apply exactly a plan saved by diff; "
                "refused when stale\n"
                "    --allow-empty       allow removing every service kedge "
                "manages\n"
                "    --adopt             take over what docker stack deploy "
                "made in the stacks\n"
                "    --docker-host HOST  default $DOCKER_HOST\n"
                "    --store PATH        state database\n"
                "    --prometheus-url URL, --prometheus-rules-dir DIR,\n"
                "    --prometheus-reload http|signal:PIDFILE, --promtool "
                "PATH,\n"
                "    --alertmanager-url URL, --alertmanager-config FILE,\n"
                "    --alertmanager-env-file FILE: apply Prometheus rules "
                "and Alertmanager\n"
                "    after the swarm (docs/prometheus.md)\n"
                "exit status: 0 applied and converged, 2 error, 3 not "
                "converged or rolled back\n",
        .run = run,
};
