/*
 * cmd-status.c: `kedge status`: what a running `kedge run` reports of
 * itself (GET /api/v1/status): the source it follows, the last reconcile,
 * every stack's status and the plans waiting for approval. Exit 0 when
 * the daemon answered, 2 when it could not be reached or answered an
 * error.
 */
#include <jansson.h>

#include "buf.h"
#include "cli.h"
#include "client.h"
#include "cmd.h"
#include "err.h"

extern const struct cmd_entry cmd_status;

static const char *yes_no(const json_t *v)
{
	return json_is_true(v) ? "yes" : "no";
}

static void print_last(const json_t *rec)
{
	char result[64], when[64], trigger[64];

	if (!json_is_object(rec)) {
		printf("last reconcile: none yet\n");
		return;
	}
	client_str(result, sizeof(result), rec, "result", "");
	if (!*result)
		client_str(result, sizeof(result), rec, "state", "?");
	client_str(when, sizeof(when), rec, "finished", "");
	if (!*when)
		client_str(when, sizeof(when), rec, "started", "");
	if (!*when)
		client_str(when, sizeof(when), rec, "queued", "-");
	client_str(trigger, sizeof(trigger), rec, "trigger", "?");
	printf("last reconcile: %" JSON_INTEGER_FORMAT " %s at %s (%s)\n",
	       json_integer_value(json_object_get(rec, "id")), result, when,
	       trigger);
}

static void print_header(const json_t *st)
{
	char repo[1024], ref[256], rev[16], version[64];
	json_t *next = json_object_get(st, "next_check_seconds");

	client_str(version, sizeof(version), st, "version", "?");
	client_str(repo, sizeof(repo), st, "repo", "-");
	client_str(ref, sizeof(ref), st, "ref", "-");
	client_str(rev, sizeof(rev), st, "revision", "");
	rev[12] = '\0';
	printf("kedge daemon %s\n", version);
	printf("repo: %s\nref: %s\nrevision: %s\n", repo, ref,
	       *rev ? rev : "none fetched yet");
	printf("ready: %s%s\n", yes_no(json_object_get(st, "ready")),
	       json_is_true(json_object_get(st, "reconciling"))
	               ? " (reconciling now)"
	               : "");
	if (json_is_boolean(json_object_get(st, "events")))
		printf("event stream: %s\n",
		       json_is_true(json_object_get(st, "events"))
		               ? "followed"
		               : "not connected (drift waits for the next "
		                 "interval)");
	print_last(json_object_get(st, "last_reconcile"));
	if (json_is_integer(next))
		printf("next check: in %" JSON_INTEGER_FORMAT "s\n",
		       json_integer_value(next));
}

static void print_stacks(const json_t *stacks)
{
	static const char *const head[] = {"STACK", "STATUS", "REVISION",
	                                   "SINCE", "REASON"};
	struct client_table t;
	size_t i;
	json_t *s;

	if (!json_array_size(stacks)) {
		printf("\nno stacks\n");
		return;
	}
	client_table_init(&t, ARRAY_SIZE(head), head);
	json_array_foreach (stacks, i, s) {
		char name[256], status[64], rev[16], since[64], reason[1024];
		const char *row[] = {name, status, rev, since, reason};

		client_str(name, sizeof(name), s, "stack", "?");
		client_str(status, sizeof(status), s, "status", "?");
		client_str(rev, sizeof(rev), s, "revision", "-");
		rev[12] = '\0';
		client_str(since, sizeof(since), s, "since", "-");
		client_str(reason, sizeof(reason), s, "reason", "-");
		client_table_row(&t, row);
	}
	fputc('\n', stdout);
	client_table_print(stdout, &t);
	client_table_release(&t);
}

static void print_prometheus(const json_t *p)
{
	char status[64], rev[16], msg[1024];

	if (!json_is_object(p)) /* a daemon older than the Prometheus part */
		return;
	if (!json_is_true(json_object_get(p, "managed"))) {
		printf("\nprometheus: not managed (alerts/ is validated "
		       "only)\n");
		return;
	}
	client_str(status, sizeof(status), p, "status", "?");
	client_str(rev, sizeof(rev), p, "revision", "-");
	rev[12] = '\0';
	client_str(msg, sizeof(msg), p, "message", "");
	printf("\nprometheus: %s, rules of %s%s%s\n", status, rev,
	       *msg ? ": " : "", msg);
}

static void print_approvals(const json_t *plans, const struct client_opts *o)
{
	size_t i;
	json_t *p;

	if (!json_array_size(plans))
		return;
	printf("\npending approvals:\n");
	json_array_foreach (plans, i, p) {
		char id[128], rev[16], created[64];

		client_str(id, sizeof(id), p, "id", "?");
		client_str(rev, sizeof(rev), p, "revision", "-");
		rev[12] = '\0';
		client_str(created, sizeof(created), p, "created", "-");
		/* Name the daemon in the command when it was named on ours
		 * ($KEDGE_SERVER applies to the next command as well). */
		printf("  plan %s at %s, created %s: kedge approve %s%s%s%s\n",
		       id, rev, created, o->server_flag ? "--server " : "",
		       o->server_flag ? o->server : "",
		       o->server_flag ? " " : "", id);
	}
}

static int run(int argc, char **argv)
{
	struct client_opts o;
	struct client *c = NULL;
	struct buf raw = BUF_INIT;
	json_t *st = NULL;
	struct err err;
	int rc;

	err_clear(&err);
	rc = client_parse(&o, &cmd_status, CLIENT_OPT_OUTPUT, argc, argv);
	if (rc)
		goto out;
	if (client_open(&c, &o, &err) ||
	    client_call(&st, &raw, c, "GET", "/api/v1/status", &err)) {
		client_error(&err, &o);
		rc = CLI_ERROR;
		goto out;
	}
	if (o.output == CLI_JSON) {
		fwrite(raw.ptr, 1, raw.len, stdout);
		if (!raw.len || raw.ptr[raw.len - 1] != '\n')
			fputc('\n', stdout);
		goto out;
	}
	print_header(st);
	print_stacks(json_object_get(st, "stacks"));
	print_prometheus(json_object_get(st, "prometheus"));
	print_approvals(json_object_get(st, "pending_approvals"), &o);
out:
	json_decref(st);
	buf_release(&raw);
	client_free(c);
	client_opts_release(&o);
	return rc < 0 ? CLI_OK : rc;
}

const struct cmd_entry cmd_status = {
        .name = "status",
        .usage = "kedge status [--server URL] [--output text|json]",
        .summary = "Show a running daemon's source, last reconcile and "
                   "stacks.",
        .help = "    --server URL          the daemon (default: "
                "http://127.0.0.1:8750, or $KEDGE_SERVER)\n"
                "    --api-token-file FILE accepted for symmetry; status "
                "needs no token\n"
                "    --timeout DUR         bound on the HTTP call (30s)\n"
                "    --output FORMAT       text (default) or json (the "
                "daemon's reply as is)\n"
                "exit status: 0 the daemon answered, 2 it could not be "
                "reached or answered an error\n",
        .run = run,
};
