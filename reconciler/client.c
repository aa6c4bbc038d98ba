/*
 * client.c: the daemon client declared in client.h: the options of the
 * commands that talk to `kedge run`, one API call, polling a reconcile,
 * and the text a reconcile and a table print as.
 *
 * The token is read only by the commands that POST, sent only in the
 * Authorization header of a POST, and wiped from memory when the options
 * are released; no message quotes it or the header.
 */
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <time.h>

#include "buf.h"
#include "cli.h"
#include "client.h"
#include "cmd.h"
#include "err.h"
#include "http.h"
#include "units.h"
#include "url.h"

#define TIMEOUT_MS_DEFAULT      30000L
#define WAIT_TIMEOUT_MS_DEFAULT (15L * 60 * 1000)
#define CONNECT_TIMEOUT_MS      5000L
#define POLL_MS                 200L
#define MAX_REPLY               ((size_t)32 << 20)
#define MAX_TOKEN               (64 * 1024)

enum {
	OPT_SERVER = 256,
	OPT_TOKENFILE,
	OPT_TIMEOUT,
	OPT_OUTPUT,
	OPT_STACK,
	OPT_LIMIT,
	OPT_WAIT,
	OPT_WAITTIMEOUT,
};

static const struct option_def {
	struct option opt;
	unsigned flag; /* 0: common to every command */
} option_defs[] = {
        {{"server", required_argument, NULL, OPT_SERVER}, 0},
        {{"api-token-file", required_argument, NULL, OPT_TOKENFILE}, 0},
        {{"timeout", required_argument, NULL, OPT_TIMEOUT}, 0},
        {{"help", no_argument, NULL, 'h'}, 0},
        {{"output", required_argument, NULL, OPT_OUTPUT}, CLIENT_OPT_OUTPUT},
        {{"stack", required_argument, NULL, OPT_STACK}, CLIENT_OPT_HISTORY},
        {{"limit", required_argument, NULL, OPT_LIMIT}, CLIENT_OPT_HISTORY},
        {{"wait", no_argument, NULL, OPT_WAIT}, CLIENT_OPT_WAIT},
        {{"wait-timeout", required_argument, NULL, OPT_WAITTIMEOUT},
         CLIENT_OPT_WAIT},
};

struct client {
	struct http *http;
	char *server; /* redacted, for messages */
	char *name;   /* "the kedge daemon at <server>" */
	const char *token;
};

static int parse_duration_ms(long *ms, const char *arg)
{
	return units_parse_bound_ms(ms, arg, 1) ? -1 : 0;
}

static int is_http_url(const char *s)
{
	return !strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8);
}

static void wipe(char *s)
{
	if (s)
		memset(s, 0, strlen(s));
}

/* True when s has a control character: a header must be one line. */
static int has_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

/* Reads the token from o->token_file, trailing whitespace stripped. */
static int read_token(struct client_opts *o)
{
	const char *why = NULL;
	struct buf b;
	int error;

	buf_init(&b, MAX_TOKEN);
	error = buf_read_file(&b, o->token_file);
	if (error) {
		buf_release(&b);
		/* The path is not a secret; the contents are. */
		fprintf(stderr, "error: cannot read API token file '%s': %s\n",
		        o->token_file, err_str(error));
		return CLI_ERROR;
	}
	while (b.len && strchr(" \t\r\n", b.ptr[b.len - 1]))
		b.ptr[--b.len] = '\0';
	if (!b.len)
		why = "is empty";
	else if (has_control(b.ptr, b.len))
		why = "must hold the token on one line";
	if (why) {
		if (b.ptr)
			memset(b.ptr, 0, b.len);
		buf_release(&b);
		fprintf(stderr, "error: API token file '%s' %s\n",
		        o->token_file, why);
		return CLI_ERROR;
	}
	o->token = buf_detach(&b, NULL);
	return 0;
}

static int one_option(struct client_opts *o, const struct cmd_entry *cmd, int c,
                      const char *arg)
{
	char *end;

	switch (c) {
	case OPT_SERVER:
		o->server = arg;
		o->server_flag = 1;
		break;
	case OPT_TOKENFILE:
		o->token_file = arg;
		break;
	case OPT_TIMEOUT:
		if (parse_duration_ms(&o->timeout_ms, arg))
			return cli_usage_error(
			        cmd,
			        "--timeout must be seconds or a duration "
			        "like 30s, between 1ms and 24h, not '%s'",
			        arg);
		break;
	case OPT_WAITTIMEOUT:
		if (parse_duration_ms(&o->wait_timeout_ms, arg))
			return cli_usage_error(
			        cmd,
			        "--wait-timeout must be seconds or a "
			        "duration like 15m, between 1ms and 24h, "
			        "not '%s'",
			        arg);
		break;
	case OPT_OUTPUT:
		if (!strcmp(arg, "json"))
			o->output = CLI_JSON;
		else if (!strcmp(arg, "text"))
			o->output = CLI_TEXT;
		else
			return cli_usage_error(
			        cmd,
			        "--output must be 'text' or 'json', not '%s'",
			        arg);
		break;
	case OPT_STACK:
		if (!*arg)
			return cli_usage_error(cmd, "%s",
			                       "--stack needs a stack name");
		o->stack = arg;
		break;
	case OPT_LIMIT:
		errno = 0;
		o->limit = strtol(arg, &end, 10);
		if (errno || !*arg || *end || o->limit < 1 ||
		    o->limit > 1000000)
			return cli_usage_error(
			        cmd,
			        "--limit must be a whole number from 1 to "
			        "1000000, not '%s'",
			        arg);
		break;
	case OPT_WAIT:
		o->wait = 1;
		break;
	default:
		BUG("option %d not handled", c);
	}
	return 0;
}

/* getopt_long keeps its state in globals: see cli.c's run_getopt. */
static pthread_mutex_t getopt_lock = PTHREAD_MUTEX_INITIALIZER;

static int run_getopt(struct client_opts *o, const struct cmd_entry *cmd,
                      unsigned flags, const struct option *longopts, int argc,
                      char **argv)
{
	int c, error = 0;

	pthread_mutex_lock(&getopt_lock);
	optind = 0;
	opterr = 0;
	/* "-": arguments come back as option 1, wherever they are, so that
	 * `kedge approve ID --wait` works even under POSIXLY_CORRECT. */
	while (!error &&
	       (c = getopt_long(argc, argv, "-h", longopts, NULL)) != -1) {
		if (c == 'h') {
			cmd_usage(cmd, stdout);
			error = -1;
		} else if (c == '?' || c == ':') {
			error = cli_usage_error(
			        cmd, "unknown option or missing value: '%s'",
			        argv[optind - 1]);
		} else if (c == 1) {
			if ((flags & CLIENT_ARG) && !o->arg)
				o->arg = optarg;
			else
				error = cli_usage_error(
				        cmd, "unexpected argument '%s'",
				        optarg);
		} else {
			error = one_option(o, cmd, c, optarg);
		}
	}
	pthread_mutex_unlock(&getopt_lock);
	return error;
}

int client_parse(struct client_opts *o, const struct cmd_entry *cmd,
                 unsigned flags, int argc, char **argv)
{
	struct option longopts[ARRAY_SIZE(option_defs) + 1];
	size_t n = 0;
	int error;

	memset(o, 0, sizeof(*o));
	o->server = cli_env("KEDGE_SERVER", CLIENT_DEFAULT_SERVER);
	o->token_file = cli_env("KEDGE_API_TOKEN_FILE", NULL);
	o->timeout_ms = TIMEOUT_MS_DEFAULT;
	o->wait_timeout_ms = WAIT_TIMEOUT_MS_DEFAULT;
	for (size_t i = 0; i < ARRAY_SIZE(option_defs); i++)
		if (!option_defs[i].flag || (option_defs[i].flag & flags))
			longopts[n++] = option_defs[i].opt;
	memset(&longopts[n], 0, sizeof(longopts[n]));
	error = run_getopt(o, cmd, flags, longopts, argc, argv);
	if (error)
		return error;
	/* the usage line ends with the argument's name: STACK, PLAN-ID */
	if ((flags & CLIENT_ARG) && !o->arg)
		return cli_usage_error(cmd, "missing %s",
		                       strrchr(cmd->usage, ' ')
		                               ? strrchr(cmd->usage, ' ') + 1
		                               : "argument");
	if (!is_http_url(o->server))
		return cli_usage_error(
		        cmd, "%s must be an http:// or https:// URL, not '%s'",
		        o->server_flag ? "--server" : "KEDGE_SERVER",
		        o->server);
	if ((flags & CLIENT_POSTS) && o->token_file)
		return read_token(o);
	return 0;
}

void client_opts_release(struct client_opts *o)
{
	wipe(o->token);
	free(o->token);
	memset(o, 0, sizeof(*o));
}

int client_open(struct client **out, const struct client_opts *o,
                struct err *err)
{
	struct http_opts ho = {0};
	struct client *c;
	char *base;
	size_t len;
	int error;

	if (!o->server || !is_http_url(o->server))
		return err_set(err, ERR_INVALID,
		               "the kedge daemon's address must be an http:// "
		               "or https:// URL");
	base = xstrdup(o->server);
	len = strlen(base);
	while (len > 8 && base[len - 1] == '/')
		base[--len] = '\0';
	c = xcalloc(1, sizeof(*c));
	c->server = url_redact(base);
	c->name = xasprintf("the kedge daemon at %s", c->server);
	c->token = o->token;
	ho.base_url = base;
	ho.name = c->name;
	ho.timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : TIMEOUT_MS_DEFAULT;
	ho.connect_timeout_ms = ho.timeout_ms < CONNECT_TIMEOUT_MS
	                                ? ho.timeout_ms
	                                : CONNECT_TIMEOUT_MS;
	ho.max_body = MAX_REPLY;
	error = http_open(&c->http, &ho, err);
	free(base);
	if (error) {
		client_free(c);
		return error;
	}
	*out = c;
	return 0;
}

void client_free(struct client *c)
{
	if (!c)
		return;
	http_free(c->http);
	free(c->server);
	free(c->name);
	free(c);
}

const char *client_server(const struct client *c)
{
	return c->server;
}

static char *sanitize(const char *s)
{
	char *o = xstrdup(s);

	for (char *p = o; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return o;
}

const char *client_str(char *buf, size_t n, const json_t *obj, const char *key,
                       const char *dflt)
{
	const char *v = json_string_value(json_object_get(obj, key));
	char *s = sanitize(v ? v : dflt);

	snprintf(buf, n, "%s", s);
	free(s);
	return buf;
}

/* "cannot connect to <name>: why" reads "cannot reach <name>: why". */
static void connect_message(struct client *c, struct err *err)
{
	char *want = xasprintf("cannot connect to %s: ", c->name);

	if (starts_with(err->msg, want)) {
		char *why = xstrdup(err->msg + strlen(want));

		err_set(err, ERR_REMOTE, "cannot reach %s: %s", c->name, why);
		free(why);
	}
	free(want);
}

static int status_error(struct client *c, long status, const json_t *reply,
                        const char *method, const char *path, struct err *err)
{
	const char *msg = json_string_value(json_object_get(reply, "error"));
	int code = status == 401 || status == 403 ? ERR_AUTH
	           : status == 404                ? ERR_NOTFOUND
	           : status == 409                ? ERR_CONFLICT
	                                          : ERR_REMOTE;
	char *text;

	if (!msg || !*msg)
		return err_set(err, code, "%s answered %s %s with HTTP %ld",
		               c->name, method, path, status);
	text = sanitize(msg);
	if (status >= 500)
		err_set(err, code, "%s failed (HTTP %ld): %s", c->name, status,
		        text);
	else
		err_set(err, code, "%s", text);
	free(text);
	return code;
}

int client_call(json_t **out, struct buf *raw, struct client *c,
                const char *method, const char *path, struct err *err)
{
	const char *extra[2] = {NULL, NULL};
	struct http_response r;
	char *auth = NULL;
	json_error_t jerr;
	json_t *reply;
	int error;

	if (c->token && !strcmp(method, "POST")) {
		auth = xasprintf("Authorization: Bearer %s", c->token);
		extra[0] = auth;
	}
	error = http_request_with(&r, c->http, method, path, extra, NULL, NULL,
	                          0, err);
	wipe(auth);
	free(auth);
	if (error) {
		if (error == ERR_REMOTE && err)
			connect_message(c, err);
		return error;
	}
	reply = json_loadb(r.body.ptr ? r.body.ptr : "", r.body.len, 0, &jerr);
	if (r.status < 200 || r.status > 299) {
		error = status_error(c, r.status, reply, method, path, err);
		goto out;
	}
	if (!json_is_object(reply)) {
		error = err_set(err, ERR_INVALID,
		                "%s answered %s %s with something that is not "
		                "a JSON object%s%s",
		                c->name, method, path, reply ? "" : ": ",
		                reply ? "" : jerr.text);
		goto out;
	}
	*out = json_incref(reply);
	if (raw) {
		*raw = r.body;
		buf_init(&r.body, 0);
	}
out:
	json_decref(reply);
	http_response_release(&r);
	return error;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void format_ms(char *buf, size_t n, long ms)
{
	if (ms % 60000 == 0)
		snprintf(buf, n, "%ldm", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, n, "%lds", ms / 1000);
	else
		snprintf(buf, n, "%ldms", ms);
}

int client_wait_reconcile(json_t **out, struct client *c, long long id,
                          long timeout_ms, struct err *err)
{
	char *path = xasprintf("/api/v1/reconciles/%lld", id);
	int64_t deadline = now_ms() + timeout_ms;
	json_t *rec = NULL;
	char dur[32];
	int error;

	/* The deadline bounds the loop; each call is bounded by --timeout. */
	for (;;) {
		const char *state;

		error = client_call(&rec, NULL, c, "GET", path, err);
		if (error)
			break;
		state = json_string_value(json_object_get(rec, "state"));
		if (state && !strcmp(state, "done")) {
			*out = rec;
			break;
		}
		json_decref(rec);
		rec = NULL;
		if (now_ms() + POLL_MS > deadline) {
			format_ms(dur, sizeof(dur), timeout_ms);
			error = err_set(err, ERR_TIMEOUT,
			                "reconcile %lld did not finish within "
			                "%s (--wait-timeout)",
			                id, dur);
			break;
		}
		nanosleep(&(struct timespec){0, POLL_MS * 1000000L}, NULL);
	}
	free(path);
	return error;
}

int client_follow(struct client *c, const struct client_opts *o, long long id)
{
	json_t *rec = NULL;
	struct err err;
	int rc;

	err_clear(&err);
	fflush(stdout);
	if (client_wait_reconcile(&rec, c, id, o->wait_timeout_ms, &err)) {
		client_error(&err, o);
		return CLI_ERROR;
	}
	client_print_reconcile(stdout, rec);
	rc = client_reconcile_exit(rec);
	json_decref(rec);
	return rc;
}

int client_reconcile_exit(const json_t *rec)
{
	json_t *code = json_object_get(rec, "exit_code");
	json_int_t v;

	if (!json_is_integer(code))
		return CLI_ERROR;
	v = json_integer_value(code);
	return v == CLI_OK || v == CLI_ERROR || v == CLI_NOT_CONVERGED
	               ? (int)v
	               : CLI_ERROR;
}

const char *client_action_text(char *buf, size_t n, const json_t *a)
{
	char stack[128], op[64], kind[64], name[256], outcome[64], why[1024];

	client_str(stack, sizeof(stack), a, "stack", "");
	client_str(op, sizeof(op), a, "op", "?");
	client_str(kind, sizeof(kind), a, "kind", "?");
	client_str(name, sizeof(name), a, "name", "?");
	client_str(outcome, sizeof(outcome), a, "outcome", "?");
	client_str(why, sizeof(why), a, "error", "");
	snprintf(buf, n, "%s%s%s %s %s: %s%s%s", stack, *stack ? ": " : "", op,
	         kind, name, outcome, *why ? ": " : "", why);
	return buf;
}

void client_print_actions(FILE *fp, const json_t *rec, const char *indent)
{
	const json_t *actions = json_object_get(rec, "actions");
	char line[2048];
	size_t i;
	json_t *a;

	json_array_foreach (actions, i, a)
		fprintf(fp, "%s%s\n", indent,
		        client_action_text(line, sizeof(line), a));
}

/* A summary value as text: a number, a string, or an object's keys (the
 * stalled stacks); NULL for anything else or an empty object. */
static char *summary_value(const json_t *v)
{
	struct buf b = BUF_INIT;
	const char *key;
	json_t *x;
	char *text;

	if (json_is_integer(v))
		return xasprintf("%" JSON_INTEGER_FORMAT,
		                 json_integer_value(v));
	if (json_is_string(v))
		return sanitize(json_string_value(v));
	if (!json_is_object(v) || !json_object_size(v))
		return NULL;
	json_object_foreach ((json_t *)v, key, x) {
		/* b has no cap, so an append cannot fail */
		if (buf_addf(&b, "%s%s", b.len ? "," : "", key))
			break;
	}
	text = sanitize(buf_cstr(&b));
	buf_release(&b);
	return text;
}

static void print_summary(FILE *fp, const json_t *rec)
{
	const json_t *summary = json_object_get(rec, "summary");
	const char *key;
	json_t *v;
	int any = 0;

	json_object_foreach ((json_t *)summary, key, v) {
		char *k, *text = summary_value(v);

		if (!text)
			continue;
		k = sanitize(key);
		fprintf(fp, "%s%s=%s", any ? " " : "  summary: ", k, text);
		free(k);
		free(text);
		any = 1;
	}
	if (any)
		fputc('\n', fp);
}

void client_print_reconcile(FILE *fp, const json_t *rec)
{
	char trigger[64], rev[16], result[64], why[ERR_MSG_MAX];
	json_t *code = json_object_get(rec, "exit_code");

	client_str(trigger, sizeof(trigger), rec, "trigger", "?");
	client_str(rev, sizeof(rev), rec, "revision", "");
	client_str(result, sizeof(result), rec, "result", "");
	if (!*result)
		client_str(result, sizeof(result), rec, "state", "?");
	client_str(why, sizeof(why), rec, "error", "");
	rev[12] = '\0';
	fprintf(fp, "reconcile %" JSON_INTEGER_FORMAT " (%s)%s%s: %s",
	        json_integer_value(json_object_get(rec, "id")), trigger,
	        *rev ? " at " : "", rev, result);
	if (json_is_integer(code))
		fprintf(fp, " (exit %" JSON_INTEGER_FORMAT ")",
		        json_integer_value(code));
	fprintf(fp, "%s%s\n", *why ? ": " : "", why);
	print_summary(fp, rec);
	client_print_actions(fp, rec, "  ");
}

void client_error(const struct err *err, const struct client_opts *o)
{
	cli_error(err);
	/* A token that was sent and refused needs no hint: the daemon's
	 * message says whether it is wrong or the write API is off. */
	if (err->code == ERR_AUTH && !o->token)
		fprintf(stderr, "hint: give the daemon's API token with "
		                "--api-token-file FILE (or "
		                "$KEDGE_API_TOKEN_FILE)\n");
}

void client_table_init(struct client_table *t, size_t ncols,
                       const char *const *header)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	client_table_row(t, header);
}

void client_table_row(struct client_table *t, const char *const *cells)
{
	struct client_table_line *l;

	ALLOC_GROW(t->lines, t->nlines + 1, t->alloc);
	l = &t->lines[t->nlines++];
	l->note = NULL;
	l->cells = xcalloc(t->ncols, sizeof(*l->cells));
	for (size_t i = 0; i < t->ncols; i++)
		l->cells[i] = xstrdup(cells[i] ? cells[i] : "-");
}

void client_table_note(struct client_table *t, const char *line)
{
	struct client_table_line *l;

	ALLOC_GROW(t->lines, t->nlines + 1, t->alloc);
	l = &t->lines[t->nlines++];
	l->cells = NULL;
	l->note = xstrdup(line);
}

void client_table_print(FILE *fp, const struct client_table *t)
{
	size_t *w = xcalloc(t->ncols, sizeof(*w));

	for (size_t i = 0; i < t->nlines; i++)
		for (size_t j = 0; t->lines[i].cells && j < t->ncols; j++)
			if (strlen(t->lines[i].cells[j]) > w[j])
				w[j] = strlen(t->lines[i].cells[j]);
	for (size_t i = 0; i < t->nlines; i++) {
		const struct client_table_line *l = &t->lines[i];

		if (!l->cells) {
			fprintf(fp, "%s\n", l->note);
			continue;
		}
		for (size_t j = 0; j + 1 < t->ncols; j++)
			fprintf(fp, "%-*s  ", (int)w[j], l->cells[j]);
		fprintf(fp, "%s\n", l->cells[t->ncols - 1]);
	}
	free(w);
}

void client_table_release(struct client_table *t)
{
	for (size_t i = 0; i < t->nlines; i++) {
		for (size_t j = 0; t->lines[i].cells && j < t->ncols; j++)
			free(t->lines[i].cells[j]);
		free(t->lines[i].cells);
		free(t->lines[i].note);
	}
	free(t->lines);
	memset(t, 0, sizeof(*t));
}
