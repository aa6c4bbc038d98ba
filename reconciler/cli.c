/*
 * cli.c: option parsing and the reconcile options shared by the
 * subcommands, declared in cli.h.
 */
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <sys/stat.h>

#include "buf.h"
#include "cli.h"
#include "cmd.h"
#include "desired.h"
#include "err.h"
#include "log.h"
#include "reconcile.h"
#include "schema.h"
#include "source.h"
#include "promplan.h"
#include "units.h"

#ifndef KEDGE_SCHEMA_DIR
#define KEDGE_SCHEMA_DIR "/usr/local/share/kedge/schema"
#endif

enum {
	OPT_REPO = 256,
	OPT_REF,
	OPT_PATH,
	OPT_WORKTREE,
	OPT_CACHE,
	OPT_SSHKEY,
	OPT_KNOWN,
	OPT_TOKENFILE,
	OPT_OFFLINE,
	OPT_SCHEMA,
	OPT_OUTPUT,
	OPT_LOGLEVEL,
	OPT_STACK,
	OPT_YES,
	OPT_TIMEOUT,
	OPT_ALLOWEMPTY,
	OPT_PLAN,
	OPT_SAVE,
	OPT_DOCKER,
	OPT_STORE,
	OPT_DETACH,
	OPT_GITTIMEOUT,
	OPT_ADOPT,
	OPT_SHOWENV,
	OPT_PROM_URL,
	OPT_PROM_RULES_DIR,
	OPT_PROM_RELOAD,
	OPT_PROMTOOL,
	OPT_AM_URL,
	OPT_AM_CONFIG,
	OPT_AM_ENV_FILE,
	OPT_PROM_TIMEOUT,
	OPT_COMMIT_TO,
	OPT_READ_ONLY,
	OPT_TOOLS,
	OPT_STATE_DIR,
	OPT_LISTEN,
	OPT_AUTHOR,
};

static const struct option_def {
	struct option opt;
	unsigned flag; /* 0: common to every command */
} option_defs[] = {
        {{"repo", required_argument, NULL, OPT_REPO}, 0},
        {{"ref", required_argument, NULL, OPT_REF}, 0},
        {{"path", required_argument, NULL, OPT_PATH}, 0},
        {{"worktree", required_argument, NULL, OPT_WORKTREE}, 0},
        {{"cache-dir", required_argument, NULL, OPT_CACHE}, 0},
        {{"ssh-key", required_argument, NULL, OPT_SSHKEY}, 0},
        {{"known-hosts", required_argument, NULL, OPT_KNOWN}, 0},
        {{"token-file", required_argument, NULL, OPT_TOKENFILE}, 0},
        {{"offline", no_argument, NULL, OPT_OFFLINE}, 0},
        {{"git-timeout", required_argument, NULL, OPT_GITTIMEOUT}, 0},
        {{"schema-dir", required_argument, NULL, OPT_SCHEMA}, 0},
        {{"output", required_argument, NULL, OPT_OUTPUT}, 0},
        {{"log-level", required_argument, NULL, OPT_LOGLEVEL}, 0},
        {{"quiet", no_argument, NULL, 'q'}, 0},
        {{"help", no_argument, NULL, 'h'}, 0},
        {{"stack", required_argument, NULL, OPT_STACK}, CLI_OPT_STACK},
        {{"yes", no_argument, NULL, OPT_YES}, CLI_OPT_APPLY},
        {{"timeout", required_argument, NULL, OPT_TIMEOUT}, CLI_OPT_APPLY},
        {{"allow-empty", no_argument, NULL, OPT_ALLOWEMPTY}, CLI_OPT_APPLY},
        {{"plan", required_argument, NULL, OPT_PLAN}, CLI_OPT_APPLY},
        {{"detach", no_argument, NULL, OPT_DETACH}, CLI_OPT_APPLY},
        {{"adopt", no_argument, NULL, OPT_ADOPT}, CLI_OPT_ADOPT},
        {{"save", required_argument, NULL, OPT_SAVE}, CLI_OPT_SAVE},
        {{"docker-host", required_argument, NULL, OPT_DOCKER}, CLI_OPT_DOCKER},
        {{"store", required_argument, NULL, OPT_STORE}, CLI_OPT_STORE},
        {{"show-env", no_argument, NULL, OPT_SHOWENV}, CLI_OPT_SHOW_ENV},
        {{"prometheus-url", required_argument, NULL, OPT_PROM_URL},
         CLI_OPT_PROM},
        {{"prometheus-rules-dir", required_argument, NULL, OPT_PROM_RULES_DIR},
         CLI_OPT_PROM},
        {{"prometheus-reload", required_argument, NULL, OPT_PROM_RELOAD},
         CLI_OPT_PROM},
        {{"promtool", required_argument, NULL, OPT_PROMTOOL}, CLI_OPT_PROM},
        {{"prometheus-timeout", required_argument, NULL, OPT_PROM_TIMEOUT},
         CLI_OPT_PROM},
        {{"alertmanager-url", required_argument, NULL, OPT_AM_URL},
         CLI_OPT_PROM},
        {{"alertmanager-config", required_argument, NULL, OPT_AM_CONFIG},
         CLI_OPT_PROM},
        {{"alertmanager-env-file", required_argument, NULL, OPT_AM_ENV_FILE},
         CLI_OPT_PROM},
        {{"commit-to", required_argument, NULL, OPT_COMMIT_TO}, CLI_OPT_MCP},
        {{"read-only", no_argument, NULL, OPT_READ_ONLY}, CLI_OPT_MCP},
        {{"tools", required_argument, NULL, OPT_TOOLS}, CLI_OPT_MCP},
        {{"state-dir", required_argument, NULL, OPT_STATE_DIR}, CLI_OPT_MCP},
        {{"listen", required_argument, NULL, OPT_LISTEN}, CLI_OPT_MCP},
        {{"author", required_argument, NULL, OPT_AUTHOR}, CLI_OPT_MCP},
};

const char *cli_env(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v && *v ? v : dflt;
}

int cli_usage_error(const struct cmd_entry *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\n", cmd->usage);
	return CLI_ERROR;
}

static int read_token(struct cli_opts *o, const char *file)
{
	struct buf b;
	int error;

	buf_init(&b, 64 * 1024);
	error = buf_read_file(&b, file);
	if (error) {
		buf_release(&b);
		/* The path is not a secret; the contents are. */
		fprintf(stderr, "error: cannot read token file '%s': %s\n",
		        file, err_str(error));
		return CLI_ERROR;
	}
	while (b.len && (b.ptr[b.len - 1] == '\n' || b.ptr[b.len - 1] == '\r'))
		b.ptr[--b.len] = '\0';
	free(o->token_buf);
	o->token_buf = buf_detach(&b, NULL);
	o->src.token = o->token_buf;
	return 0;
}

/* --git-timeout: seconds or a duration, 1 ms to 24 h; 0 on success. */
static int parse_git_timeout(struct cli_opts *o, const char *arg)
{
	long ms;

	if (units_parse_bound_ms(&ms, arg, 1))
		return -1;
	o->src.git_timeout_ms = (unsigned)ms;
	return 0;
}

static void defaults(struct cli_opts *o)
{
	const char *git_timeout;

	memset(o, 0, sizeof(*o));
	o->src.repo = cli_env("KEDGE_REPO", NULL);
	o->src.ref = cli_env("KEDGE_REF", NULL);
	o->src.path = cli_env("KEDGE_PATH", NULL);
	o->src.cache_dir = cli_env("KEDGE_CACHE_DIR", NULL);
	o->src.ssh_key = cli_env("KEDGE_SSH_KEY", NULL);
	o->src.known_hosts = cli_env("KEDGE_KNOWN_HOSTS", NULL);
	o->src.token = cli_env("KEDGE_GIT_TOKEN", NULL);
	o->schema_dir = cli_env("KEDGE_SCHEMA_DIR", NULL);
	o->store = cli_env("KEDGE_STORE", NULL);
	o->timeout_sec = -1;
	o->prom.url = cli_env("KEDGE_PROMETHEUS_URL", NULL);
	o->prom.rules_dir = cli_env("KEDGE_PROMETHEUS_RULES_DIR", NULL);
	o->prom.reload = cli_env("KEDGE_PROMETHEUS_RELOAD", NULL);
	o->prom.promtool = NULL; /* promtool.c reads KEDGE_PROMTOOL */
	o->prom.am_url = cli_env("KEDGE_ALERTMANAGER_URL", NULL);
	o->prom.am_config = cli_env("KEDGE_ALERTMANAGER_CONFIG", NULL);
	o->prom.am_env_file = cli_env("KEDGE_ALERTMANAGER_ENV_FILE", NULL);
	o->prom.timeout_ms = 10000;
	if (cli_env("KEDGE_PROMETHEUS_TIMEOUT", NULL) &&
	    units_parse_bound_ms(&o->prom.timeout_ms,
	                         cli_env("KEDGE_PROMETHEUS_TIMEOUT", NULL), 1))
		o->prom.timeout_ms = -1; /* reported by cli_parse */
	/* a bad value is reported by cli_parse, which can print usage */
	git_timeout = cli_env("KEDGE_GIT_TIMEOUT", NULL);
	if (git_timeout)
		(void)parse_git_timeout(o, git_timeout);
}

static int parse_timeout(struct cli_opts *o, const char *arg)
{
	int64_t ns;
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (!errno && !*end && v >= 0) {
		o->timeout_sec = v;
		return 0;
	}
	if (units_parse_duration(&ns, arg) || ns < 0)
		return -1;
	o->timeout_sec = (long)(ns / 1000000000LL);
	return 0;
}

static int mcp_option(struct cli_opts *o, int c, const char *arg);

static int one_option(struct cli_opts *o, const struct cmd_entry *cmd, int c,
                      const char *arg)
{
	switch (c) {
	case OPT_REPO:
		o->src.repo = arg;
		break;
	case OPT_REF:
		o->src.ref = arg;
		break;
	case OPT_PATH:
		o->src.path = arg;
		break;
	case OPT_WORKTREE:
		o->src.worktree = arg;
		break;
	case OPT_CACHE:
		o->src.cache_dir = arg;
		break;
	case OPT_SSHKEY:
		o->src.ssh_key = arg;
		break;
	case OPT_KNOWN:
		o->src.known_hosts = arg;
		break;
	case OPT_TOKENFILE:
		return read_token(o, arg);
	case OPT_OFFLINE:
		o->src.offline = 1;
		break;
	case OPT_GITTIMEOUT:
		if (parse_git_timeout(o, arg))
			return cli_usage_error(
			        cmd,
			        "--git-timeout must be seconds or a duration "
			        "like 30s, between 1ms and 24h, not '%s'",
			        arg);
		break;
	case OPT_SCHEMA:
		o->schema_dir = arg;
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
	case OPT_LOGLEVEL:
		if (log_set_level(arg))
			return cli_usage_error(
			        cmd,
			        "--log-level must be error, warn, info or "
			        "debug, not '%s'",
			        arg);
		break;
	case 'q':
		o->quiet = 1;
		break;
	case OPT_STACK:
		o->stacks = xrealloc(o->stacks,
		                     (o->nstacks + 2) * sizeof(*o->stacks));
		o->stacks[o->nstacks++] = arg;
		o->stacks[o->nstacks] = NULL;
		break;
	case OPT_YES:
		o->yes = 1;
		break;
	case OPT_TIMEOUT:
		if (parse_timeout(o, arg))
			return cli_usage_error(
			        cmd,
			        "--timeout must be seconds or a duration "
			        "like 5m, not '%s'",
			        arg);
		break;
	case OPT_ALLOWEMPTY:
		o->allow_empty = 1;
		break;
	case OPT_PLAN:
		o->plan = arg;
		break;
	case OPT_DETACH:
		o->no_wait = 1;
		break;
	case OPT_ADOPT:
		o->adopt = 1;
		break;
	case OPT_SAVE:
		o->save = arg;
		break;
	case OPT_DOCKER:
		o->docker_host = arg;
		break;
	case OPT_STORE:
		o->store = arg;
		break;
	case OPT_SHOWENV:
		o->show_env = 1;
		break;
	case OPT_PROM_URL:
		o->prom.url = arg;
		break;
	case OPT_PROM_RULES_DIR:
		o->prom.rules_dir = arg;
		break;
	case OPT_PROM_RELOAD:
		o->prom.reload = arg;
		break;
	case OPT_PROMTOOL:
		/* promtool runs as kedge's child: the variable is how it is
		 * found (set before any thread exists) */
		if (setenv("KEDGE_PROMTOOL", arg, 1))
			return cli_usage_error(cmd, "cannot set --promtool");
		o->prom.promtool = arg;
		break;
	case OPT_AM_URL:
		o->prom.am_url = arg;
		break;
	case OPT_AM_CONFIG:
		o->prom.am_config = arg;
		break;
	case OPT_AM_ENV_FILE:
		o->prom.am_env_file = arg;
		break;
	case OPT_PROM_TIMEOUT:
		if (units_parse_bound_ms(&o->prom.timeout_ms, arg, 1))
			return cli_usage_error(
			        cmd,
			        "--prometheus-timeout must be seconds or a "
			        "duration like 10s, not '%s'",
			        arg);
		break;
	default:
		return mcp_option(o, c, arg);
	}
	return 0;
}

static int mcp_option(struct cli_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_COMMIT_TO:
		o->mcp.commit_to = arg;
		break;
	case OPT_READ_ONLY:
		o->mcp.read_only = 1;
		break;
	case OPT_TOOLS:
		o->mcp.tools = arg;
		break;
	case OPT_STATE_DIR:
		o->mcp.state_dir = arg;
		break;
	case OPT_LISTEN:
		o->mcp.listen = arg;
		break;
	case OPT_AUTHOR:
		o->mcp.author = arg;
		break;
	default:
		BUG("option %d not handled", c);
	}
	return 0;
}

/*
 * getopt_long keeps its state in process globals (optind, optarg and glibc's
 * own position in the current argument). Calls are serialized, each starts
 * from a full reset (optind = 0, not 1, which would keep glibc's position
 * from an earlier parse), and nothing is read from the globals after the
 * lock is dropped. *first is the index of the first non-option.
 */
static pthread_mutex_t getopt_lock = PTHREAD_MUTEX_INITIALIZER;

static int run_getopt(struct cli_opts *o, const struct cmd_entry *cmd,
                      const struct option *longopts, int argc, char **argv,
                      int *first, int *repo_flag)
{
	int c, error = 0;

	pthread_mutex_lock(&getopt_lock);
	optind = 0;
	opterr = 0;
	while (!error &&
	       (c = getopt_long(argc, argv, "+qh", longopts, NULL)) != -1) {
		if (c == 'h') {
			cmd_usage(cmd, stdout);
			error = -1;
		} else if (c == '?' || c == ':') {
			error = cli_usage_error(
			        cmd, "unknown option or missing value: '%s'",
			        argv[optind - 1]);
		} else {
			error = one_option(o, cmd, c, optarg);
			*repo_flag |= c == OPT_REPO || c == OPT_REF;
		}
	}
	*first = optind;
	pthread_mutex_unlock(&getopt_lock);
	return error;
}

int cli_parse(struct cli_opts *o, const struct cmd_entry *cmd, unsigned flags,
              int argc, char **argv)
{
	struct option longopts[ARRAY_SIZE(option_defs) + 1];
	size_t n = 0;
	int first, error, repo_flag = 0;

	defaults(o);
	if (cli_env("KEDGE_GIT_TIMEOUT", NULL) && !o->src.git_timeout_ms)
		return cli_usage_error(
		        cmd,
		        "KEDGE_GIT_TIMEOUT must be seconds or a duration "
		        "like 30s, between 1ms and 24h, not '%s'",
		        getenv("KEDGE_GIT_TIMEOUT"));
	if ((flags & CLI_OPT_PROM) && o->prom.timeout_ms < 0)
		return cli_usage_error(
		        cmd,
		        "KEDGE_PROMETHEUS_TIMEOUT must be seconds or a "
		        "duration like 10s, not '%s'",
		        getenv("KEDGE_PROMETHEUS_TIMEOUT"));
	if (getenv("KEDGE_LOG_LEVEL") &&
	    log_set_level(getenv("KEDGE_LOG_LEVEL")))
		fprintf(stderr, "warning: ignoring KEDGE_LOG_LEVEL\n");
	for (size_t i = 0; i < ARRAY_SIZE(option_defs); i++)
		if (!option_defs[i].flag || (option_defs[i].flag & flags))
			longopts[n++] = option_defs[i].opt;
	memset(&longopts[n], 0, sizeof(longopts[n]));
	error = run_getopt(o, cmd, longopts, argc, argv, &first, &repo_flag);
	if (error)
		return error;
	if (first < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'",
		                       argv[first]);
	/* Only flags conflict: KEDGE_REPO and KEDGE_REF are defaults, and
	 * --worktree on the command line overrides them. */
	if (o->src.worktree && repo_flag)
		return cli_usage_error(
		        cmd, "%s",
		        "--worktree reads a folder; it cannot be combined "
		        "with --repo or --ref");
	if (o->src.worktree)
		o->src.repo = o->src.ref = NULL;
	if (!o->src.worktree && !o->src.repo)
		o->src.repo = ".";
	return 0;
}

void cli_opts_release(struct cli_opts *o)
{
	if (o->token_buf)
		memset(o->token_buf, 0, strlen(o->token_buf));
	free(o->token_buf);
	free(o->stacks);
	memset(o, 0, sizeof(*o));
}

static int is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

char *cli_schema_dir(const struct cli_opts *o)
{
	static const char *const rel[] = {"../schema", "../../schema",
	                                  "../share/kedge/schema"};
	char exe[PATH_MAX];
	ssize_t n;

	if (o->schema_dir)
		return xstrdup(o->schema_dir);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		for (size_t i = 0; i < ARRAY_SIZE(rel); i++) {
			char *p = xasprintf("%s/%s", exe, rel[i]);

			if (is_dir(p))
				return p;
			free(p);
		}
	}
	return xstrdup(KEDGE_SCHEMA_DIR);
}

void cli_reconcile_opts(struct reconcile_opts *ro, char **schema_dir,
                        const struct cli_opts *o)
{
	memset(ro, 0, sizeof(*ro));
	*schema_dir = cli_schema_dir(o);
	ro->src = &o->src;
	ro->schema_dir = *schema_dir;
	ro->stacks = o->stacks;
	ro->allow_empty = o->allow_empty;
	ro->adopt = o->adopt;
	ro->docker_host = o->docker_host;
	ro->store = o->store;
}

void cli_promplan_opts(struct promplan_opts *po, const struct cli_opts *o)
{
	memset(po, 0, sizeof(*po));
	po->rules.url = o->prom.url;
	po->rules.dir = o->prom.rules_dir;
	po->rules.reload = o->prom.reload;
	po->am.url = o->prom.am_url;
	po->am.config_file = o->prom.am_config;
	po->am.env_file = o->prom.am_env_file;
	po->rules.timeout_ms = o->prom.timeout_ms;
	po->am.timeout_ms = o->prom.timeout_ms;
}

int cli_promplan_build(struct promplan *pp, const struct cli_opts *o,
                       const struct desired *d, struct diag *diag,
                       struct err *err)
{
	struct promplan_opts po;

	memset(pp, 0, sizeof(*pp));
	cli_promplan_opts(&po, o);
	if (!promplan_managed(&po)) {
		if (d->nalerts && !o->quiet)
			fprintf(stderr,
			        "note: the rules in alerts/ are validated but "
			        "not applied: no --prometheus-url\n");
		return 1;
	}
	if (o->nstacks) {
		if (!o->quiet)
			fprintf(stderr, "note: Prometheus is left as it is "
			                "when --stack is given\n");
		return 1;
	}
	return promplan_build(pp, d, &po, diag, err);
}

void cli_error(const struct err *err)
{
	char msg[ERR_MSG_MAX + 300];

	fprintf(stderr, "error: %s\n", err_format(err, msg, sizeof(msg)));
}
