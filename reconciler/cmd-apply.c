/*
 * cmd-apply.c: `kedge apply`: make the swarm match the desired state.
 *
 * Exit 0: applied and converged (or nothing to do); 2: an error, with
 * nothing or only part applied (the output says which); 3: applied but a
 * service did not converge or Swarm rolled it back.
 */
#include <jansson.h>

#include "apply.h"
#include "cli.h"
#include "cmd.h"
#include "desired.h"
#include "diag.h"
#include "docker.h"
#include "err.h"
#include "plan.h"
#include "schema.h"
#include "store.h"
#include "units.h"

extern const struct cmd_entry cmd_apply;

#define DEFAULT_TIMEOUT_SEC 300

/* Asks on the terminal; returns 1 only for "yes". */
static int confirm(const struct plan *p)
{
	char answer[16] = "";

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

static int report(const struct apply_result *res, const struct plan *p,
                  int error, const struct err *err)
{
	if (error) {
		cli_error(err);
		fprintf(stderr,
		        "error: %zu of %zu changes were applied before "
		        "this failure; the rest were not made:\n",
		        res->done, p->nr);
		for (size_t i = res->done; i < p->nr; i++)
			fprintf(stderr, "    %s %s %s\n",
			        plan_op_name(p->actions[i].op),
			        plan_kind_name(p->actions[i].kind),
			        p->actions[i].name);
		return CLI_ERROR;
	}
	if (res->not_converged) {
		fprintf(stderr,
		        "error: %zu service%s did not converge; see "
		        "above. kedge will not apply the same spec to "
		        "them again until it changes.\n",
		        res->not_converged, res->not_converged == 1 ? "" : "s");
		return CLI_NOT_CONVERGED;
	}
	printf("Applied %zu change%s; the swarm matches %.12s.\n", res->done,
	       res->done == 1 ? "" : "s", p->revision);
	return CLI_OK;
}

/* --timeout, else kedge.yml's timeout, else five minutes. */
static long timeout_of(const struct cli_opts *o, const struct desired *d)
{
	const char *t =
	        json_string_value(json_object_get(d->settings.doc, "timeout"));
	int64_t ns;

	if (o->timeout_sec >= 0)
		return o->timeout_sec;
	if (t && !units_parse_duration(&ns, t) && ns > 0)
		return (long)(ns / 1000000000LL);
	return DEFAULT_TIMEOUT_SEC;
}

static int do_apply(struct cli_session *s, const struct cli_opts *o)
{
	struct apply_opts ao = {0};
	struct apply_result res;
	struct err err;
	int error, rc;

	err_clear(&err);
	ao.timeout_sec = o->no_wait ? 0 : timeout_of(o, s->desired);
	ao.out = o->quiet ? NULL : stdout;
	ao.tty = isatty(1);
	ao.store = s->store;
	error = apply_run(&res, s->plan, s->docker, s->live, &ao, &err);
	rc = report(&res, s->plan, error, &err);
	if (store_apply_record(s->store, s->plan->revision,
	                       rc == CLI_OK      ? "ok"
	                       : rc == CLI_ERROR ? "error"
	                                         : "not-converged",
	                       error ? err.msg : "", &err))
		fprintf(stderr, "warning: %s\n", err.msg);
	return rc;
}

static int run(int argc, char **argv)
{
	struct cli_opts o;
	struct cli_session s;
	struct diag diag = DIAG_INIT;
	json_t *saved = NULL;
	int rc;

	memset(&s, 0, sizeof(s));
	rc = cli_parse(&o, &cmd_apply,
	               CLI_OPT_STACK | CLI_OPT_APPLY | CLI_OPT_DOCKER |
	                       CLI_OPT_STORE | CLI_OPT_ADOPT |
	                               CLI_OPT_SHOW_ENV,
	               argc, argv);
	if (rc) {
		cli_opts_release(&o);
		return rc < 0 ? CLI_OK : rc;
	}
	if (o.plan && (rc = load_saved(&saved, &o)))
		goto out;
	rc = cli_session_plan(&s, &o, 0, &diag);
	if (rc)
		goto out;
	diag_print(&diag, stderr);
	if (diag.errors) {
		fprintf(stderr, "error: nothing was changed: fix the problems "
		                "above first\n");
		rc = CLI_ERROR;
		goto out;
	}
	if (saved && (rc = check_saved(saved, s.plan)))
		goto out;
	if (!o.quiet)
		plan_print(s.plan, stdout, o.show_env ? PLAN_SHOW_ENV : 0);
	if (plan_empty(s.plan)) {
		/* A spec that failed before is not retried, and the swarm
		 * does not match it: that is not success. */
		if (json_array_size(s.plan->skipped))
			rc = CLI_NOT_CONVERGED;
		goto out;
	}
	if (s.plan->destructive && !o.yes) {
		if (!isatty(0)) {
			fprintf(stderr, "error: the plan removes objects or "
			                "scales services to zero; re-run with "
			                "--yes to apply it without a terminal. "
			                "Nothing was changed.\n");
			rc = CLI_ERROR;
			goto out;
		}
		if (!confirm(s.plan)) {
			fprintf(stderr, "Nothing was changed.\n");
			rc = CLI_ERROR;
			goto out;
		}
	}
	fflush(stdout);
	rc = do_apply(&s, &o);
out:
	json_decref(saved);
	cli_session_release(&s);
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
                "exit status: 0 applied and converged, 2 error, 3 not "
                "converged or rolled back\n",
        .run = run,
};
