/*
 * client.h: what the commands that talk to a running `kedge run` share:
 * their options, one HTTP call to the daemon's API with its errors turned
 * into messages, waiting for a reconcile, and printing one.
 *
 * Owns: parsing the daemon-client options (--server, --api-token-file,
 * --timeout, and per command --output, --stack, --limit, --wait,
 * --wait-timeout) with the KEDGE_SERVER and KEDGE_API_TOKEN_FILE
 * fallbacks; reading the API token (never printed, wiped on release);
 * the bearer header, sent with POSTs only; the text rendering of a
 * reconcile object. Does not own: the daemon (run.c and friends), what
 * each command prints around it (cmd-status.c, cmd-history.c,
 * cmd-reconcile.c, cmd-suspend.c, cmd-approve.c), or HTTP (http.h).
 *
 *	struct client_opts o;
 *	struct client *c;
 *	json_t *reply;
 *
 *	rc = client_parse(&o, &cmd_status, CLIENT_OPT_OUTPUT, argc, argv);
 *	if (rc) ... (rc < 0: --help was printed)
 *	if (client_open(&c, &o, &err) ||
 *	    client_call(&reply, NULL, c, "GET", "/api/v1/status", &err))
 *		client_error(&err, &o);
 *	...
 *	json_decref(reply); client_free(c); client_opts_release(&o);
 */
#ifndef RECONCILER_CLIENT_H
#define RECONCILER_CLIENT_H

#include <jansson.h>

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "util.h"

#define CLIENT_DEFAULT_SERVER "http://127.0.0.1:8750"

/* Options beyond the common ones, chosen per command. */
enum client_flags {
	CLIENT_OPT_OUTPUT = 1 << 0,  /* --output text|json */
	CLIENT_OPT_HISTORY = 1 << 1, /* --stack S --limit N */
	CLIENT_OPT_WAIT = 1 << 2,    /* --wait --wait-timeout DUR */
	CLIENT_ARG = 1 << 3,         /* exactly one argument (STACK, PLAN-ID) */
	CLIENT_POSTS = 1 << 4,       /* reads the API token */
};

struct client_opts {
	const char *server;     /* --server, $KEDGE_SERVER, or the default */
	int server_flag;        /* --server was given on the command line */
	const char *token_file; /* --api-token-file, $KEDGE_API_TOKEN_FILE */
	char *token;            /* its contents, NULL when none; secret */
	long timeout_ms;        /* --timeout: one HTTP call (default 30 s) */
	long wait_timeout_ms;   /* --wait-timeout (default 15 min) */
	enum cli_output output;
	const char *stack; /* --stack */
	long limit;        /* --limit; 0 when not given */
	int wait;          /* --wait */
	const char *arg;   /* the argument of CLIENT_ARG */
};

struct cmd_entry;

/*
 * Parses argv (argv[0] is the subcommand) into o; options and the
 * argument may come in any order. Prints the usage and returns -1 for
 * --help (the caller exits 0), or prints a git-style error and returns
 * CLI_ERROR for a bad option, a missing or extra argument, or an
 * unreadable token file. Returns 0 otherwise. Release o in every case.
 */
int client_parse(struct client_opts *o, const struct cmd_entry *cmd,
                 unsigned flags, int argc, char **argv);
/* Wipes the token and empties o. */
void client_opts_release(struct client_opts *o);

struct client;

/* Prepares a client for o->server (does not connect yet); *out is freed
 * with client_free(). ERR_INVALID for a server that is not a URL. */
int client_open(struct client **out, const struct client_opts *o,
                struct err *err) MUST_CHECK;
void client_free(struct client *c);
/* The daemon's URL as messages name it (credentials removed). Borrowed. */
const char *client_server(const struct client *c);

/*
 * Sends `method path` (path escaped by the caller) with no body; a POST
 * carries the bearer token when there is one. On a 2xx reply stores the
 * parsed JSON object in *out (the caller decrefs it) and, when raw is not
 * NULL, the body as received in *raw (the caller releases it).
 * Errors (err's message says what the user needs to know):
 * ERR_REMOTE "cannot reach the kedge daemon at URL: why" or a broken
 * exchange; ERR_TIMEOUT; ERR_AUTH (401, 403), ERR_NOTFOUND (404),
 * ERR_CONFLICT (409) and ERR_REMOTE (any other status) with the daemon's
 * own error text; ERR_INVALID when the reply is not a JSON object.
 */
int client_call(json_t **out, struct buf *raw, struct client *c,
                const char *method, const char *path,
                struct err *err) MUST_CHECK;

/*
 * Polls GET /api/v1/reconciles/<id> every 200 ms until its state is
 * "done" and stores that object in *out (the caller decrefs it).
 * ERR_TIMEOUT after timeout_ms; the errors of client_call otherwise.
 */
int client_wait_reconcile(json_t **out, struct client *c, long long id,
                          long timeout_ms, struct err *err) MUST_CHECK;

/*
 * The exit code a finished reconcile object asks for: its exit_code when
 * that is 0, 2 or 3; CLI_ERROR when it has none.
 */
int client_reconcile_exit(const json_t *rec);

/*
 * Prints a reconcile object's result line ("reconcile 12 (api) at
 * 1a2b3c4d5e6f: failed (exit 2): <error>") and its actions, one per
 * line, indented, to fp.
 */
void client_print_reconcile(FILE *fp, const json_t *rec);

/*
 * --wait: waits for reconcile id (bounded by o->wait_timeout_ms), prints
 * it and returns its exit code; CLI_ERROR (with the message printed) when
 * it cannot tell. What `reconcile --wait` and `approve --wait` share.
 */
int client_follow(struct client *c, const struct client_opts *o, long long id);
/*
 * One action ({"stack","op","kind","name","outcome","error"}) as a line:
 * "web: update service web_api: failed: <error>". Returns buf (size n).
 */
const char *client_action_text(char *buf, size_t n, const json_t *action);
/* Prints rec's actions, each line starting with indent. */
void client_print_actions(FILE *fp, const json_t *rec, const char *indent);

/*
 * A string member of obj for display: the value, or dflt when it is
 * missing, null or not a string. Control characters come out as '?', so
 * a reply cannot drive the terminal. Returns buf (of size n).
 */
const char *client_str(char *buf, size_t n, const json_t *obj, const char *key,
                       const char *dflt);

/*
 * A text table whose columns are as wide as their widest cell, two spaces
 * apart; a note is a free line under the row before it that does not
 * count for the widths. Cells are copied.
 */
struct client_table_line {
	char **cells; /* ncols strings, or NULL for a note */
	char *note;
};

struct client_table {
	size_t ncols;
	struct client_table_line *lines;
	size_t nlines, alloc;
};

void client_table_init(struct client_table *t, size_t ncols,
                       const char *const *header);
void client_table_row(struct client_table *t, const char *const *cells);
void client_table_note(struct client_table *t, const char *line);
void client_table_print(FILE *fp, const struct client_table *t);
void client_table_release(struct client_table *t);

/* Prints "error: <message>" for err, and for ERR_AUTH when o had no
 * token, a hint naming --api-token-file. */
void client_error(const struct err *err, const struct client_opts *o);

#endif
