/*
 * cli.h: what the subcommands share: their options, and opening the
 * desired state they name.
 *
 * Owns: parsing the options every command understands (where the desired
 * state comes from, output format, logging) with environment fallbacks
 * (KEDGE_REPO, KEDGE_REF, KEDGE_PATH, KEDGE_CACHE_DIR, KEDGE_SSH_KEY,
 * KEDGE_KNOWN_HOSTS, KEDGE_GIT_TOKEN, KEDGE_SCHEMA_DIR, KEDGE_LOG_LEVEL),
 * and finding the schema folder. Does not own: loading and planning
 * (reconcile.h) or what a command does with the result.
 */
#ifndef RECONCILER_CLI_H
#define RECONCILER_CLI_H

#include "diag.h"
#include "source.h"
#include "util.h"

struct desired;
struct schema;
struct err;

/* Exit codes shared by every command. */
enum cli_exit {
	CLI_OK = 0,
	CLI_DIFFERENCES = 1, /* kedge diff: not in sync */
	CLI_ERROR = 2,       /* invalid desired state, or kedge failed */
	CLI_NOT_CONVERGED = 3,
};

enum cli_output { CLI_TEXT, CLI_JSON };

/* Options beyond the common ones, chosen per command. */
enum cli_flags {
	CLI_OPT_STACK = 1 << 0,    /* --stack NAME (repeatable) */
	CLI_OPT_APPLY = 1 << 1,    /* --yes --timeout --allow-empty --plan */
	CLI_OPT_SAVE = 1 << 2,     /* --save FILE */
	CLI_OPT_DOCKER = 1 << 3,   /* --docker-host */
	CLI_OPT_STORE = 1 << 4,    /* --store */
	CLI_OPT_ADOPT = 1 << 5,    /* --adopt */
	CLI_OPT_SHOW_ENV = 1 << 6, /* --show-env */
	CLI_OPT_PROM = 1 << 7, /* --prometheus-* --promtool --alertmanager-* */
	CLI_OPT_MCP = 1 << 8,  /* --commit-to --read-only --tools --state-dir
	                        * --listen --author */
};

struct cli_opts {
	struct source_opts src;
	char *token_buf; /* the token read from --token-file */
	const char *schema_dir;
	enum cli_output output;
	int quiet;
	const char **stacks; /* --stack, NULL-terminated; NULL: all */
	size_t nstacks;
	int yes;
	int allow_empty;
	long timeout_sec;        /* --timeout; -1 when not given */
	const char *save;        /* --save FILE */
	const char *plan;        /* --plan FILE */
	const char *docker_host; /* --docker-host; NULL: $DOCKER_HOST */
	const char *store;       /* --store PATH-or-DSN */
	int no_wait;             /* --detach */
	int adopt;               /* --adopt */
	int show_env;            /* --show-env: env values in clear */
	struct {                 /* --prometheus-*, --alertmanager-* */
		const char *url, *rules_dir, *reload, *promtool;
		const char *am_url, *am_config, *am_env_file;
		long timeout_ms; /* --prometheus-timeout; default 10 s */
	} prom;
	struct { /* kedge mcp */
		const char *commit_to, *tools, *state_dir, *listen, *author;
		int read_only;
	} mcp;
};

struct cmd_entry;

/*
 * Parses argv (argv[0] is the subcommand) into o. Prints the usage and
 * returns -1 for --help (the caller exits 0), or prints a git-style error
 * and returns CLI_ERROR for a bad option. Returns 0 otherwise.
 */
int cli_parse(struct cli_opts *o, const struct cmd_entry *cmd, unsigned flags,
              int argc, char **argv);
void cli_opts_release(struct cli_opts *o);

/* The folder of the schemas: --schema-dir, $KEDGE_SCHEMA_DIR, next to the
 * binary (a build tree), or the installed share/kedge/schema. Caller frees. */
char *cli_schema_dir(const struct cli_opts *o);

struct reconcile_opts;

/*
 * Fills ro from o for reconcile.h: the source, the stack filter, the
 * daemon and the store. ro->schema_dir borrows *schema_dir, which the
 * caller frees (cli_schema_dir). ro->hooks are left empty.
 */
void cli_reconcile_opts(struct reconcile_opts *ro, char **schema_dir,
                        const struct cli_opts *o);

struct promplan_opts;

/* Fills po from o's --prometheus-* and --alertmanager-* settings. */
void cli_promplan_opts(struct promplan_opts *po, const struct cli_opts *o);

struct promplan;
struct desired;
struct diag;

/*
 * The Prometheus part of a diff or apply: 1 when it is not managed (no
 * URL; a note says so once when d has rules) or left out (--stack), else
 * promplan_build's result. Release *pp in every case.
 */
int cli_promplan_build(struct promplan *pp, const struct cli_opts *o,
                       const struct desired *d, struct diag *diag,
                       struct err *err);

/* The variable name when it is set and not empty, else dflt. */
const char *cli_env(const char *name, const char *dflt);
/* Prints "error: <message>" and cmd's usage line; returns CLI_ERROR. */
int cli_usage_error(const struct cmd_entry *cmd, const char *fmt, ...)
        PRINTF(2, 3);

/* Prints "error: <message>" for err as git does. */
void cli_error(const struct err *err);

#endif
