/*
 * cmd-history.c: `kedge history`: the reconciles a running `kedge run`
 * remembers, newest first, each with its actions, then the drift it saw
 * (GET /api/v1/history). Exit 0 when the daemon answered, 2 otherwise.
 */
#include <jansson.h>

#include "buf.h"
#include "cli.h"
#include "client.h"
#include "cmd.h"
#include "err.h"
#include "http.h"

extern const struct cmd_entry cmd_history;

static void print_reconciles(const json_t *recs)
{
	static const char *const head[] = {"ID", "TRIGGER", "REVISION",
	                                   "STARTED", "RESULT"};
	struct client_table t;
	size_t i;
	json_t *r;

	if (!json_array_size(recs)) {
		printf("no reconciles yet\n");
		return;
	}
	client_table_init(&t, ARRAY_SIZE(head), head);
	json_array_foreach (recs, i, r) {
		char id[32], trigger[64], rev[16], started[64], result[64];
		char why[ERR_MSG_MAX], line[ERR_MSG_MAX + 1100];
		const char *row[] = {id, trigger, rev, started, result};
		const json_t *actions = json_object_get(r, "actions");
		size_t j;
		json_t *a;

		snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT,
		         json_integer_value(json_object_get(r, "id")));
		client_str(trigger, sizeof(trigger), r, "trigger", "?");
		client_str(rev, sizeof(rev), r, "revision", "-");
		rev[12] = '\0';
		client_str(started, sizeof(started), r, "started", "-");
		client_str(result, sizeof(result), r, "result", "");
		if (!*result)
			client_str(result, sizeof(result), r, "state", "?");
		client_table_row(&t, row);
		client_str(why, sizeof(why), r, "error", "");
		if (*why) {
			snprintf(line, sizeof(line), "    error: %s", why);
			client_table_note(&t, line);
		}
		json_array_foreach (actions, j, a) {
			char text[2048];

			snprintf(line, sizeof(line), "    %s",
			         client_action_text(text, sizeof(text), a));
			client_table_note(&t, line);
		}
	}
	client_table_print(stdout, &t);
	client_table_release(&t);
}

static void fields_text(char *out, size_t n, const json_t *fields)
{
	size_t i, used = 0;
	json_t *f;

	out[0] = '\0';
	json_array_foreach (fields, i, f) {
		char one[256];
		int w;

		if (!json_is_string(f))
			continue;
		snprintf(one, sizeof(one), "%s", json_string_value(f));
		for (char *p = one; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		w = snprintf(out + used, n - used, "%s%s", used ? "," : "",
		             one);
		if (w < 0 || (size_t)w >= n - used)
			break;
		used += (size_t)w;
	}
	if (!used)
		snprintf(out, n, "-");
}

static void print_drift(const json_t *drift)
{
	static const char *const head[] = {"TIME",   "STACK",  "KIND",
	                                   "OBJECT", "FIELDS", "ACTION"};
	struct client_table t;
	size_t i;
	json_t *d;

	if (!json_array_size(drift))
		return;
	client_table_init(&t, ARRAY_SIZE(head), head);
	json_array_foreach (drift, i, d) {
		char time[64], stack[128], kind[64], object[256], fields[512];
		char action[64];
		const char *row[] = {time, stack, kind, object, fields, action};

		client_str(time, sizeof(time), d, "time", "-");
		client_str(stack, sizeof(stack), d, "stack", "-");
		client_str(kind, sizeof(kind), d, "kind", "-");
		client_str(object, sizeof(object), d, "object", "-");
		fields_text(fields, sizeof(fields),
		            json_object_get(d, "fields"));
		client_str(action, sizeof(action), d, "action", "-");
		client_table_row(&t, row);
	}
	printf("\ndrift:\n");
	client_table_print(stdout, &t);
	client_table_release(&t);
}

static char *history_path(const struct client_opts *o)
{
	char *stack = o->stack ? http_escape(o->stack) : NULL;
	char limit[32] = "";
	char *path;

	if (o->limit)
		snprintf(limit, sizeof(limit), "limit=%ld", o->limit);
	path = xasprintf("/api/v1/history%s%s%s%s%s",
	                 stack || o->limit ? "?" : "", stack ? "stack=" : "",
	                 stack ? stack : "", stack && o->limit ? "&" : "",
	                 limit);
	free(stack);
	return path;
}

static int run(int argc, char **argv)
{
	struct client_opts o;
	struct client *c = NULL;
	struct buf raw = BUF_INIT;
	json_t *h = NULL;
	char *path = NULL;
	struct err err;
	int rc;

	err_clear(&err);
	rc = client_parse(&o, &cmd_history,
	                  CLIENT_OPT_OUTPUT | CLIENT_OPT_HISTORY, argc, argv);
	if (rc)
		goto out;
	path = history_path(&o);
	if (client_open(&c, &o, &err) ||
	    client_call(&h, &raw, c, "GET", path, &err)) {
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
	print_reconciles(json_object_get(h, "reconciles"));
	print_drift(json_object_get(h, "drift"));
out:
	free(path);
	json_decref(h);
	buf_release(&raw);
	client_free(c);
	client_opts_release(&o);
	return rc < 0 ? CLI_OK : rc;
}

const struct cmd_entry cmd_history = {
        .name = "history",
        .usage = "kedge history [--server URL] [--stack S] [--limit N] "
                 "[--output text|json]",
        .summary = "List a running daemon's reconciles and drift, newest "
                   "first.",
        .help = "    --server URL          the daemon (default: "
                "http://127.0.0.1:8750, or $KEDGE_SERVER)\n"
                "    --stack S             only what touched stack S\n"
                "    --limit N             at most N reconciles (the "
                "daemon's default otherwise)\n"
                "    --api-token-file FILE accepted for symmetry; history "
                "needs no token\n"
                "    --timeout DUR         bound on the HTTP call (30s)\n"
                "    --output FORMAT       text (default) or json (the "
                "daemon's reply as is)\n"
                "exit status: 0 the daemon answered, 2 it could not be "
                "reached or answered an error\n",
        .run = run,
};
