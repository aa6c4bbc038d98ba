/*
 * cmd-run.c: `kedge run`: the daemon. Reads its settings (runcfg.c),
 * takes the state folder's lock, opens the store, starts the HTTP server
 * (api.c over httpd.c) and the notifier, and runs the loop (daemon.c)
 * until SIGTERM or SIGINT. SIGHUP re-reads the configuration file.
 *
 * Signals are blocked in every thread and taken by one thread with
 * sigwait(), so no handler runs in the middle of a libcurl or SQLite
 * call. Exit 0 after a stop; 2 when it cannot start.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "api.h"
#include "buf.h"
#include "cli.h"
#include "cmd.h"
#include "daemon.h"
#include "diag.h"
#include "err.h"
#include "httpd.h"
#include "log.h"
#include "mcpd.h"
#include "metrics.h"
#include "notify.h"
#include "prom.h"
#include "runcfg.h"
#include "schema.h"
#include "store.h"
#include "units.h"
#include "url.h"

extern const struct cmd_entry cmd_run;

#define SECRET_MAX (64 * 1024)

struct run {
	struct runcfg cfg;
	struct source_opts src;
	char *schema_dir;
	char *state_dir;
	char *store_path;
	char *repo_shown;
	char *git_token, *webhook_secret, *api_token;
	long interval_sec;
	int lock_fd;
	struct store *store;
	struct metrics *metrics;
	struct notify *notify;
	struct daemon *daemon;
	struct httpd *httpd;
	struct mcpd *mcpd;
	struct api api;
	sigset_t sigs;
};

static int bad(const char *fmt, ...) PRINTF(1, 2);

static int bad(const char *fmt, ...)
{
	va_list ap;

	fputs("error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_ERROR;
}

static int parse_args(struct run *r, int argc, char **argv)
{
	struct option longopts[RC_NR + 3];
	int c, error = 0;

	for (size_t k = 0; k < RC_NR; k++)
		longopts[k] =
		        (struct option){runcfg_defs[k].flag, required_argument,
		                        NULL, (int)(k + 256)};
	longopts[RC_NR] =
	        (struct option){"config", required_argument, NULL, 'c'};
	longopts[RC_NR + 1] = (struct option){"help", no_argument, NULL, 'h'};
	memset(&longopts[RC_NR + 2], 0, sizeof(longopts[0]));
	optind = 0;
	opterr = 0;
	while (!error &&
	       (c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (c == 'h') {
			cmd_usage(&cmd_run, stdout);
			return -1;
		} else if (c == 'c') {
			free(r->cfg.config);
			r->cfg.config = xstrdup(optarg);
		} else if (c >= 256 && c < 256 + RC_NR) {
			free(r->cfg.flag[c - 256]);
			r->cfg.flag[c - 256] = xstrdup(optarg);
		} else {
			fprintf(stderr,
			        "error: unknown option or missing value: '%s'\n"
			        "usage: %s\n",
			        argv[optind - 1], cmd_run.usage);
			return CLI_ERROR;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "error: unexpected argument '%s'\nusage: %s\n",
		        argv[optind], cmd_run.usage);
		return CLI_ERROR;
	}
	if (!r->cfg.config && getenv("KEDGE_CONFIG") && *getenv("KEDGE_CONFIG"))
		r->cfg.config = xstrdup(getenv("KEDGE_CONFIG"));
	return 0;
}

/* A secret file: its contents without trailing newlines, never shown. */
static int read_secret(char **out, size_t *len, const char *path,
                       const char *what)
{
	struct buf b;
	struct stat st;
	int error;

	buf_init(&b, SECRET_MAX);
	error = buf_read_file(&b, path);
	if (error) {
		buf_release(&b);
		return bad("cannot read the %s file '%s': %s", what, path,
		           err_str(error));
	}
	/* trailing whitespace, as the client commands strip it */
	while (b.len && strchr(" \t\r\n", b.ptr[b.len - 1]))
		b.ptr[--b.len] = '\0';
	if (!b.len) {
		buf_release(&b);
		return bad("the %s file '%s' is empty", what, path);
	}
	if (!stat(path, &st) && (st.st_mode & S_IROTH))
		log_warn("run", "the %s file %s is readable by every user",
		         what, path);
	if (len)
		*len = b.len;
	*out = buf_detach(&b, NULL);
	return 0;
}

static void wipe(char **s)
{
	if (*s)
		memset(*s, 0, strlen(*s));
	free(*s);
	*s = NULL;
}

/* A duration setting; -1 with a message when it is not one. */
static long duration_ms(const struct run *r, enum runcfg_key k, long dflt,
                        long min_ms)
{
	long ms;

	if (!r->cfg.v[k])
		return dflt;
	if (units_parse_bound_ms(&ms, r->cfg.v[k], min_ms)) {
		bad("%s must be seconds or a duration like 3m, at least %ldms "
		    "and at most 24h, not '%s'",
		    r->cfg.from[k], min_ms, r->cfg.v[k]);
		return -1;
	}
	return ms;
}

/* The Prometheus part: settings checked here, so a typo fails at start. */
static int prom_settings(struct promplan_opts *po, const struct run *r)
{
	enum prom_reload how;
	const char *pidfile;
	struct err e;
	long ms = duration_ms(r, RC_PROM_TIMEOUT, 10000, 1);

	if (ms < 0)
		return CLI_ERROR;
	memset(po, 0, sizeof(*po));
	po->rules.url = r->cfg.v[RC_PROM_URL];
	po->rules.dir = r->cfg.v[RC_PROM_RULES_DIR];
	po->rules.reload = r->cfg.v[RC_PROM_RELOAD];
	po->rules.timeout_ms = ms;
	po->am.url = r->cfg.v[RC_AM_URL];
	po->am.config_file = r->cfg.v[RC_AM_CONFIG];
	po->am.env_file = r->cfg.v[RC_AM_ENV_FILE];
	po->am.timeout_ms = ms;
	err_clear(&e);
	if (prom_reload_parse(&how, &pidfile, po->rules.reload, &e))
		return bad("%s: %s", r->cfg.from[RC_PROM_RELOAD], e.msg);
	if (po->rules.url && !po->rules.dir)
		return bad("%s needs prometheus-rules-dir too (--prometheus-"
		           "rules-dir, KEDGE_PROMETHEUS_RULES_DIR)",
		           r->cfg.from[RC_PROM_URL]);
	if (po->am.url && !po->am.config_file)
		return bad("%s needs alertmanager-config too "
		           "(--alertmanager-config, "
		           "KEDGE_ALERTMANAGER_CONFIG)",
		           r->cfg.from[RC_AM_URL]);
	/* promtool runs as kedge's child; set before any thread starts */
	if (r->cfg.v[RC_PROMTOOL] &&
	    setenv("KEDGE_PROMTOOL", r->cfg.v[RC_PROMTOOL], 1))
		return bad("cannot set promtool: %s", strerror(errno));
	if (!po->rules.url && !po->am.url)
		log_info("run", "%s",
		         "alerts/ rules are validated but not applied: no "
		         "prometheus-url");
	return 0;
}

static char *default_state_dir(void)
{
	const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (geteuid() == 0)
		return xstrdup("/var/lib/kedge");
	if (x && *x)
		return xasprintf("%s/kedge", x);
	return xasprintf("%s/.local/state/kedge", home ? home : ".");
}

static int mkdirs(const char *path)
{
	char *p = xstrdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	free(p);
	return mkdir(path, 0700) && errno != EEXIST ? -1 : 0;
}

/* Only one daemon per state folder: an flock held while it runs. */
static int take_lock(struct run *r)
{
	char *path = xasprintf("%s/kedge.lock", r->state_dir);
	char pid[32] = "";
	ssize_t n;

	r->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (r->lock_fd < 0) {
		bad("cannot open the lock '%s': %s", path, strerror(errno));
		free(path);
		return CLI_ERROR;
	}
	if (flock(r->lock_fd, LOCK_EX | LOCK_NB)) {
		n = pread(r->lock_fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		bad("another kedge run uses the state folder '%s'%s%s%s; "
		    "give each daemon its own --state-dir",
		    r->state_dir, *pid ? " (pid " : "", pid, *pid ? ")" : "");
		close(r->lock_fd);
		r->lock_fd = -1;
		free(path);
		return CLI_ERROR;
	}
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(r->lock_fd, 0) ||
	    pwrite(r->lock_fd, pid, strlen(pid), 0) < 0)
		log_warn("run", "cannot write the pid into %s", path);
	free(path);
	return 0;
}

static int apply_logging(const struct runcfg *cfg)
{
	const char *fmt =
	        cfg->v[RC_LOG_FORMAT] ? cfg->v[RC_LOG_FORMAT] : "logfmt";
	const char *lvl = cfg->v[RC_LOG_LEVEL] ? cfg->v[RC_LOG_LEVEL] : "info";

	if (log_set_format(fmt))
		return bad("%s must be logfmt or json, not '%s'",
		           cfg->from[RC_LOG_FORMAT], fmt);
	if (log_set_level(lvl))
		return bad("%s must be error, warn, info or debug, not '%s'",
		           cfg->from[RC_LOG_LEVEL], lvl);
	return 0;
}

/* Settings -> what the daemon runs with. */
static int settle(struct run *r)
{
	struct cli_opts co = {0};
	long ms;
	int rc;

	if ((rc = apply_logging(&r->cfg)))
		return rc;
	r->src.repo = r->cfg.v[RC_REPO] ? r->cfg.v[RC_REPO] : ".";
	r->src.ref = r->cfg.v[RC_REF];
	r->src.path = r->cfg.v[RC_PATH];
	r->src.ssh_key = r->cfg.v[RC_SSH_KEY];
	r->src.known_hosts = r->cfg.v[RC_KNOWN_HOSTS];
	r->src.cache_dir = r->cfg.v[RC_CACHE_DIR];
	r->src.token = getenv("KEDGE_GIT_TOKEN");
	if (r->cfg.v[RC_TOKEN_FILE]) {
		if ((rc = read_secret(&r->git_token, NULL,
		                      r->cfg.v[RC_TOKEN_FILE], "token")))
			return rc;
		r->src.token = r->git_token;
	}
	ms = duration_ms(r, RC_GIT_TIMEOUT, 60000, 1);
	if (ms < 0)
		return CLI_ERROR;
	r->src.git_timeout_ms = (unsigned)ms;
	ms = duration_ms(r, RC_INTERVAL, 180000, 1000);
	if (ms < 0)
		return CLI_ERROR;
	r->interval_sec = ms / 1000;
	co.schema_dir = r->cfg.v[RC_SCHEMA_DIR];
	free(r->schema_dir);
	r->schema_dir = cli_schema_dir(&co);
	r->state_dir = r->cfg.v[RC_STATE_DIR] ? xstrdup(r->cfg.v[RC_STATE_DIR])
	                                      : default_state_dir();
	r->repo_shown = url_redact(r->src.repo);
	if (r->cfg.v[RC_WEBHOOK_SECRET_FILE] &&
	    (rc = read_secret(&r->webhook_secret, &r->api.webhook_secret_len,
	                      r->cfg.v[RC_WEBHOOK_SECRET_FILE],
	                      "webhook secret")))
		return rc;
	if (r->cfg.v[RC_API_TOKEN_FILE] &&
	    (rc = read_secret(&r->api_token, NULL, r->cfg.v[RC_API_TOKEN_FILE],
	                      "API token")))
		return rc;
	return 0;
}

/* The settings: flags, variables, the file (checked with its schema). */
static int resolve(struct runcfg *cfg)
{
	struct schema *schemas = schema_new();
	struct diag diag = DIAG_INIT;
	struct cli_opts co = {0};
	char *dir;
	struct err e;
	int error;

	co.schema_dir = cfg->flag[RC_SCHEMA_DIR] ? cfg->flag[RC_SCHEMA_DIR]
	                                         : getenv("KEDGE_SCHEMA_DIR");
	dir = cli_schema_dir(&co);
	err_clear(&e);
	error = schema_add_dir(schemas, dir, &e);
	if (!error)
		error = runcfg_resolve(cfg, schemas, &diag, &e);
	schema_free(schemas);
	free(dir);
	if (error) {
		cli_error(&e);
		diag_release(&diag);
		return CLI_ERROR;
	}
	if (diag.errors) {
		diag_sort(&diag);
		diag_print(&diag, stderr);
		fprintf(stderr,
		        "error: the configuration file '%s' is not "
		        "valid\n",
		        cfg->config);
		diag_release(&diag);
		return CLI_ERROR;
	}
	diag_release(&diag);
	return 0;
}

static int start(struct run *r)
{
	struct daemon_opts dopts = {0};
	struct httpd_opts hopts = {0};
	struct mcpd_opts mopts = {0};
	char *db;
	long keep = 0, debounce, dedup;
	struct err e;
	int rc;

	if ((rc = settle(r)))
		return rc;
	if (r->cfg.v[RC_KEEP_RECONCILES])
		keep = strtol(r->cfg.v[RC_KEEP_RECONCILES], NULL, 10);
	if (r->cfg.v[RC_KEEP_RECONCILES] && keep <= 0)
		return bad("%s must be a positive number, not '%s'",
		           r->cfg.from[RC_KEEP_RECONCILES],
		           r->cfg.v[RC_KEEP_RECONCILES]);
	debounce = duration_ms(r, RC_DRIFT_DEBOUNCE, 500, 1);
	dedup = duration_ms(r, RC_NOTIFY_DEDUP, 3600000, 1000);
	if (debounce < 0 || dedup < 0)
		return CLI_ERROR;
	if (mkdirs(r->state_dir))
		return bad("cannot create the state folder '%s': %s",
		           r->state_dir, strerror(errno));
	if ((rc = take_lock(r)))
		return rc;
	err_clear(&e);
	db = xasprintf("%s/state.db", r->state_dir);
	rc = store_open(&r->store, db, &e);
	r->store_path = db;
	if (rc) {
		cli_error(&e);
		return CLI_ERROR;
	}
	r->metrics = metrics_new();
	if (notify_new(&r->notify, r->cfg.notify, NULL, dedup / 1000, &e)) {
		cli_error(&e);
		return CLI_ERROR;
	}
	dopts.src = r->src;
	dopts.schema_dir = r->schema_dir;
	dopts.docker_host = r->cfg.v[RC_DOCKER_HOST];
	dopts.interval_sec = r->interval_sec;
	dopts.drift_debounce_ms = debounce;
	dopts.keep_reconciles = (size_t)keep;
	dopts.repo_display = r->repo_shown;
	dopts.store = r->store;
	dopts.metrics = r->metrics;
	dopts.notify = notify_send;
	dopts.notify_ctx = r->notify;
	if ((rc = prom_settings(&dopts.prom, r)))
		return rc;
	if (daemon_new(&r->daemon, &dopts, &e)) {
		cli_error(&e);
		return CLI_ERROR;
	}
	mopts.cfg = r->cfg.mcp;
	mopts.src = r->src;
	mopts.schema_dir = r->schema_dir;
	mopts.docker_host = r->cfg.v[RC_DOCKER_HOST];
	mopts.store = r->store_path;
	mopts.listen =
	        r->cfg.v[RC_LISTEN] ? r->cfg.v[RC_LISTEN] : "127.0.0.1:8750";
	mopts.prom_url = r->cfg.v[RC_PROM_URL];
	mopts.daemon = r->daemon;
	if (mcpd_start(&r->mcpd, &mopts, &e)) {
		cli_error(&e);
		return CLI_ERROR;
	}
	r->api.mcp = mcpd_http(r->mcpd);
	r->api.daemon = r->daemon;
	r->api.store = r->store;
	r->api.metrics = r->metrics;
	r->api.webhook_secret = r->webhook_secret;
	r->api.api_token = r->api_token;
	hopts.listen =
	        r->cfg.v[RC_LISTEN] ? r->cfg.v[RC_LISTEN] : "127.0.0.1:8750";
	if (httpd_start(&r->httpd, &hopts, api_handle, &r->api, &e)) {
		cli_error(&e);
		return CLI_ERROR;
	}
	log_info("run",
	         "kedge run started version=%s repo=%s ref=%s listen=%s "
	         "port=%u state=%s interval=%lds webhooks=%s api=%s",
	         KEDGE_VERSION, r->repo_shown,
	         r->src.ref ? r->src.ref : "(default)", hopts.listen,
	         httpd_port(r->httpd), r->state_dir, r->interval_sec,
	         r->webhook_secret ? "on" : "off", r->api_token ? "on" : "off");
	if (!r->webhook_secret)
		log_warn("run", "no --webhook-secret-file: /hooks/* answers "
		                "401 and only the interval and drift trigger");
	return 0;
}

/*
 * SIGHUP: the file and the variables are read again into a fresh copy;
 * the log level and format change at once, and every other setting that
 * changed is named: it applies after a restart (the running daemon holds
 * the old values).
 */
static void reload(struct run *r)
{
	struct runcfg fresh = {0};

	log_info("run", "SIGHUP: re-reading the configuration");
	fresh.config = r->cfg.config ? xstrdup(r->cfg.config) : NULL;
	for (size_t k = 0; k < RC_NR; k++)
		fresh.flag[k] = r->cfg.flag[k] ? xstrdup(r->cfg.flag[k]) : NULL;
	if (resolve(&fresh) || apply_logging(&fresh)) {
		log_error("run", "the configuration was not reloaded; the "
		                 "running settings stay");
		(void)apply_logging(&r->cfg);
		runcfg_release(&fresh);
		return;
	}
	for (size_t k = 0; k < RC_NR; k++) {
		const char *a = r->cfg.v[k], *b = fresh.v[k];

		if (k == RC_LOG_LEVEL || k == RC_LOG_FORMAT)
			continue;
		if ((a || b) && (!a || !b || strcmp(a, b)))
			log_warn("run",
			         "%s changed; it applies after a restart",
			         runcfg_defs[k].key);
	}
	log_info("run", "configuration reloaded");
	runcfg_release(&fresh);
}

struct sigctx {
	struct run *r;
};

static void *signals(void *arg)
{
	struct sigctx *sc = arg;
	int sig;

	for (;;) {
		if (sigwait(&sc->r->sigs, &sig))
			continue;
		if (sig == SIGHUP) {
			reload(sc->r);
			continue;
		}
		if (sig == SIGUSR1) /* cmd-run's own wake-up at exit */
			break;
		log_info("run", "%s: stopping after the call in flight",
		         sig == SIGTERM ? "SIGTERM" : "SIGINT");
		daemon_stop(sc->r->daemon);
		break;
	}
	return NULL;
}

static void release(struct run *r)
{
	httpd_stop(r->httpd);
	mcpd_free(r->mcpd); /* it holds the daemon */
	daemon_free(r->daemon);
	notify_free(r->notify);
	metrics_free(r->metrics);
	store_free(r->store);
	if (r->lock_fd >= 0)
		close(r->lock_fd);
	wipe(&r->git_token);
	wipe(&r->webhook_secret);
	wipe(&r->api_token);
	free(r->schema_dir);
	free(r->state_dir);
	free(r->store_path);
	free(r->repo_shown);
	runcfg_release(&r->cfg);
}

static int run(int argc, char **argv)
{
	struct run r;
	struct sigctx sc;
	pthread_t sigthread;
	int rc;

	memset(&r, 0, sizeof(r));
	r.lock_fd = -1;
	sigemptyset(&r.sigs);
	sigaddset(&r.sigs, SIGTERM);
	sigaddset(&r.sigs, SIGINT);
	sigaddset(&r.sigs, SIGHUP);
	sigaddset(&r.sigs, SIGUSR1);
	/* before any thread exists, so every thread inherits the mask */
	pthread_sigmask(SIG_BLOCK, &r.sigs, NULL);
	rc = parse_args(&r, argc, argv);
	if (!rc)
		rc = resolve(&r.cfg);
	if (!rc)
		rc = start(&r);
	if (!rc) {
		sc.r = &r;
		if (pthread_create(&sigthread, NULL, signals, &sc)) {
			rc = bad("cannot start the signal thread");
		} else {
			daemon_run(r.daemon);
			pthread_kill(sigthread, SIGUSR1);
			pthread_join(sigthread, NULL);
			log_info("run", "kedge run stopped");
		}
	}
	release(&r);
	pthread_sigmask(SIG_UNBLOCK, &r.sigs, NULL);
	return rc < 0 ? CLI_OK : rc;
}

const struct cmd_entry cmd_run = {
        "run",
        "kedge run [--repo SRC] [--ref BRANCH] [--path DIR] [--config FILE] "
        "[--interval DURATION] [--listen ADDR:PORT] [--state-dir DIR] "
        "[--webhook-secret-file FILE] [--api-token-file FILE] "
        "[--docker-host HOST] [--log-format logfmt|json]",
        "Keep the swarm on the tracked branch, as a daemon.",
        "options (each is also a KEDGE_* variable and a key of the\n"
        "configuration file; a flag beats a variable, which beats the "
        "file):\n"
        "  --config FILE                the YAML configuration "
        "(KEDGE_CONFIG;\n"
        "                               docs/configuration.md)\n"
        "  --repo SRC                   the desired-state repository "
        "(default .)\n"
        "  --ref BRANCH                 the tracked branch\n"
        "  --path DIR                   the folder in the repository\n"
        "  --interval DURATION          how often the remote is checked "
        "(3m, +-10 %)\n"
        "  --listen ADDR:PORT           HTTP: webhooks, health, metrics, "
        "API\n"
        "                               (default 127.0.0.1:8750)\n"
        "  --state-dir DIR              the store and the lock (default\n"
        "                               $XDG_STATE_HOME/kedge, "
        "/var/lib/kedge as root)\n"
        "  --webhook-secret-file FILE   the push webhooks' shared secret\n"
        "  --api-token-file FILE        the write API's bearer token\n"
        "  --docker-host HOST           the Docker daemon\n"
        "  --log-format logfmt|json     log lines (default logfmt)\n"
        "  --log-level LEVEL            error, warn, info (default), debug\n"
        "  --ssh-key FILE, --known-hosts FILE, --token-file FILE,\n"
        "  --cache-dir DIR, --git-timeout DURATION\n"
        "                               the remote, as for kedge validate\n"
        "  --schema-dir DIR             where the JSON Schemas are\n"
        "  --keep-reconciles N          history kept (default 1000)\n"
        "  --drift-debounce DURATION    wait after a swarm change "
        "(default 500ms)\n"
        "  --notify-dedup DURATION      the same notification once per "
        "window\n"
        "                               (default 1h)\n"
        "\nsignals: SIGTERM/SIGINT stop after the Engine API call in "
        "flight (exit 0);\nSIGHUP re-reads the configuration file.\n",
        run,
};
