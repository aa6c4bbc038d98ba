/*
 * am-probe.c: a test driver for alertmanager.h against a real
 * Alertmanager, used by t-alertmanager.sh, which compiles it with
 * contrib/cc.sh. Not part of kedge; `kedge diff/apply --alertmanager-url`
 * replaces it once the commands are wired.
 *
 *	am-probe verify|diff|apply DIR URL CONFIG [ENV_FILE]
 *
 * DIR is a desired-state folder (read as a worktree). verify runs
 * am_verify; diff prints the plan's lines, then "json: <plan JSON>";
 * apply prints them, then applies. Problems of the files go to stderr as
 * git-style messages, an error as "error: ERR_<code>: <message>".
 * AM_PROBE_TIMEOUT_MS sets am_opts.timeout_ms (default 10 s).
 * AM_PROBE_BEFORE_APPLY, when set, is a shell command run between the
 * plan and the apply (a test stops Alertmanager there).
 * Exit: 0 nothing differs / applied, 1 differences (diff), 2 an error,
 * 3 problems in the files, 64 bad arguments.
 */
#include <jansson.h>

#include "alertmanager.h"
#include "desired.h"
#include "diag.h"
#include "err.h"
#include "source.h"

static int fail(const struct err *e)
{
	char msg[ERR_MSG_MAX + 300];

	fprintf(stderr, "error: %s: %s\n", err_name(e->code),
	        err_format(e, msg, sizeof(msg)));
	return 2;
}

int main(int argc, char **argv)
{
	struct source_opts so = {0};
	struct am_opts o = {0};
	struct diag diag = DIAG_INIT;
	struct desired d = {0};
	struct am_plan *p = NULL;
	struct source *src = NULL;
	struct err e;
	int rc = 0;

	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: am-probe verify|diff|apply DIR URL "
		                "CONFIG [ENV_FILE]\n");
		return 64;
	}
	err_clear(&e);
	so.worktree = argv[2];
	o.url = argv[3];
	o.config_file = argv[4];
	o.env_file = argc == 6 ? argv[5] : NULL;
	o.timeout_ms = getenv("AM_PROBE_TIMEOUT_MS")
	                       ? strtol(getenv("AM_PROBE_TIMEOUT_MS"), NULL, 10)
	                       : 10000;
	if (source_open(&src, &so, &e))
		return fail(&e);
	d.src = src;
	d.revision = (char *)"worktree";
	d.source_name = argv[2];
	if (!strcmp(argv[1], "verify")) {
		am_verify(&d, &diag);
		rc = diag.errors ? 3 : 0;
	} else if (am_plan_build(&p, &d, &o, &diag, &e)) {
		rc = fail(&e);
	} else if (diag.errors) {
		rc = 3;
	} else {
		json_t *j = am_plan_to_json(p);
		char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

		am_plan_print(p, stdout);
		printf("json: %s\n", s);
		free(s);
		json_decref(j);
		fflush(stdout);
		if (!strcmp(argv[1], "diff"))
			rc = am_plan_empty(p) ? 0 : 1;
		else if (getenv("AM_PROBE_BEFORE_APPLY") &&
		         system(getenv("AM_PROBE_BEFORE_APPLY")) != 0)
			rc = 2;
		else if (am_apply(p, &o, &e))
			rc = fail(&e);
		else
			printf("applied\n");
	}
	diag_sort(&diag);
	diag_print(&diag, stderr);
	diag_release(&diag);
	am_plan_free(p);
	source_free(src);
	return rc;
}
