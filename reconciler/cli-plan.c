/*
 * cli-plan.c: the sequence diff and apply share (cli.h): desired state,
 * swarm connection, live snapshot, store, plan.
 */
#include <jansson.h>

#include "cli.h"
#include "desired.h"
#include "docker.h"
#include "err.h"
#include "live.h"
#include "log.h"
#include "plan.h"
#include "schema.h"
#include "source.h"
#include "store.h"

static int fail(struct err *e)
{
	cli_error(e);
	return CLI_ERROR;
}

int cli_session_plan(struct cli_session *s, const struct cli_opts *o,
                     int read_only, struct diag *diag)
{
	struct plan_opts po = {0};
	struct err err;

	err_clear(&err);
	memset(s, 0, sizeof(*s));
	if (cli_load(&s->desired, &s->src, &s->schemas, o, diag, &err))
		return fail(&err);
	if (diag->errors) {
		diag_print(diag, stderr);
		fprintf(stderr,
		        "error: the desired state at %.12s is not "
		        "valid; nothing was compared or changed\n",
		        s->desired->revision);
		return CLI_ERROR;
	}
	for (size_t i = 0; o->stacks && o->stacks[i]; i++)
		if (!desired_stack_find(s->desired, o->stacks[i])) {
			fprintf(stderr,
			        "error: no stack '%s' in the desired "
			        "state\n",
			        o->stacks[i]);
			return CLI_ERROR;
		}
	if (docker_open(&s->docker, o->docker_host, &err) ||
	    docker_check_manager(s->docker, &err) ||
	    live_read(&s->live, s->docker, &err))
		return fail(&err);
	if (store_open(&s->store, o->store, &err)) {
		/* diff only reads the store: without it, it still shows what
		 * would change, just not which specs failed before. */
		if (!read_only)
			return fail(&err);
		fprintf(stderr,
		        "warning: %s; specs that failed before are not "
		        "marked\n",
		        err.msg);
		s->store = NULL;
	}
	po.stacks = o->stacks;
	po.allow_empty = o->allow_empty;
	po.adopt = o->adopt;
	po.store = s->store;
	if (plan_build(&s->plan, s->desired, s->live, &po, diag, &err))
		return fail(&err);
	return CLI_OK;
}

void cli_session_release(struct cli_session *s)
{
	if (s->docker)
		log_info("docker", "engine api requests=%lu",
		         docker_requests_made(s->docker));
	plan_free(s->plan);
	store_free(s->store);
	live_free(s->live);
	docker_free(s->docker);
	desired_free(s->desired);
	source_free(s->src);
	schema_free(s->schemas);
	memset(s, 0, sizeof(*s));
}
