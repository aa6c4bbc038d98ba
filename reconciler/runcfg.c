/*
 * runcfg.c: the settings table and precedence declared in runcfg.h.
 */
#include <jansson.h>

#include "buf.h"
#include "desired.h"
#include "diag.h"
#include "err.h"
#include "runcfg.h"
#include "srcmap.h"
#include "yamldoc.h"

const struct runcfg_def runcfg_defs[RC_NR] = {
        [RC_REPO] = {"repo", "KEDGE_REPO", "repo", "SRC",
                     "the desired-state repository: a URL or a path "
                     "(default .)"},
        [RC_REF] = {"ref", "KEDGE_REF", "ref", "BRANCH",
                    "the tracked branch (default: the remote's default)"},
        [RC_PATH] = {"path", "KEDGE_PATH", "path", "DIR",
                     "the desired state's folder in the repository"},
        [RC_INTERVAL] = {"interval", "KEDGE_INTERVAL", "interval", "DURATION",
                         "how often the remote is checked, +-10 % "
                         "(default 3m)"},
        [RC_LISTEN] = {"listen", "KEDGE_LISTEN", "listen", "ADDR:PORT",
                       "the HTTP address (default 127.0.0.1:8750)"},
        [RC_STATE_DIR] = {"state-dir", "KEDGE_STATE_DIR", "state_dir", "DIR",
                          "the store and lock (default "
                          "$XDG_STATE_HOME/kedge, /var/lib/kedge as root)"},
        [RC_WEBHOOK_SECRET_FILE] = {"webhook-secret-file",
                                    "KEDGE_WEBHOOK_SECRET_FILE",
                                    "webhook_secret_file", "FILE",
                                    "the shared secret of the push "
                                    "webhooks (without it /hooks/* "
                                    "answers 401)"},
        [RC_API_TOKEN_FILE] = {"api-token-file", "KEDGE_API_TOKEN_FILE",
                               "api_token_file", "FILE",
                               "the bearer token of the write API "
                               "(without it the write API answers 401)"},
        [RC_DOCKER_HOST] = {"docker-host", "KEDGE_DOCKER_HOST", "docker_host",
                            "HOST",
                            "the Docker daemon (default $DOCKER_HOST or "
                            "the local socket)"},
        [RC_LOG_FORMAT] = {"log-format", "KEDGE_LOG_FORMAT", "log_format",
                           "logfmt|json",
                           "the log line format (default "
                           "logfmt)"},
        [RC_LOG_LEVEL] = {"log-level", "KEDGE_LOG_LEVEL", "log_level", "LEVEL",
                          "error, warn, info (default) or debug"},
        [RC_SSH_KEY] = {"ssh-key", "KEDGE_SSH_KEY", "ssh_key", "FILE",
                        "private key for ssh:// remotes"},
        [RC_KNOWN_HOSTS] = {"known-hosts", "KEDGE_KNOWN_HOSTS", "known_hosts",
                            "FILE", "known_hosts for ssh:// remotes"},
        [RC_TOKEN_FILE] = {"token-file", "KEDGE_TOKEN_FILE", "token_file",
                           "FILE", "an HTTPS token for the remote"},
        [RC_CACHE_DIR] = {"cache-dir", "KEDGE_CACHE_DIR", "cache_dir", "DIR",
                          "where remotes are cloned"},
        [RC_GIT_TIMEOUT] = {"git-timeout", "KEDGE_GIT_TIMEOUT", "git_timeout",
                            "DURATION",
                            "bound on one check or fetch (default 60s)"},
        [RC_SCHEMA_DIR] = {"schema-dir", "KEDGE_SCHEMA_DIR", "schema_dir",
                           "DIR", "where the JSON Schemas are"},
        [RC_KEEP_RECONCILES] = {"keep-reconciles", "KEDGE_KEEP_RECONCILES",
                                "keep_reconciles", "N",
                                "reconciles kept in the history (default "
                                "1000)"},
        [RC_DRIFT_DEBOUNCE] = {"drift-debounce", "KEDGE_DRIFT_DEBOUNCE",
                               "drift_debounce", "DURATION",
                               "wait after a change on the swarm before "
                               "reconciling (default 500ms)"},
        [RC_NOTIFY_DEDUP] = {"notify-dedup", "KEDGE_NOTIFY_DEDUP",
                             "notify_dedup", "DURATION",
                             "the same notification is sent once per this "
                             "window (default 1h)"},
        [RC_PROM_URL] = {"prometheus-url", "KEDGE_PROMETHEUS_URL",
                         "prometheus_url", "URL",
                         "apply alerts/ to this Prometheus (default: "
                         "validated only)"},
        [RC_PROM_RULES_DIR] = {"prometheus-rules-dir",
                               "KEDGE_PROMETHEUS_RULES_DIR",
                               "prometheus_rules_dir", "DIR",
                               "the folder Prometheus reads as DIR/*.yml, "
                               "kedge's alone"},
        [RC_PROM_RELOAD] = {"prometheus-reload", "KEDGE_PROMETHEUS_RELOAD",
                            "prometheus_reload", "http|signal:PIDFILE",
                            "how Prometheus is reloaded (default: HTTP "
                            "when its lifecycle API is on)"},
        [RC_PROMTOOL] = {"promtool", "KEDGE_PROMTOOL", "promtool", "PATH",
                         "promtool (default /usr/bin/promtool)"},
        [RC_PROM_TIMEOUT] = {"prometheus-timeout", "KEDGE_PROMETHEUS_TIMEOUT",
                             "prometheus_timeout", "DURATION",
                             "bound on each request to Prometheus or "
                             "Alertmanager and on a reload's check "
                             "(default 10s)"},
        [RC_AM_URL] = {"alertmanager-url", "KEDGE_ALERTMANAGER_URL",
                       "alertmanager_url", "URL",
                       "apply alertmanager/ to this Alertmanager"},
        [RC_AM_CONFIG] = {"alertmanager-config", "KEDGE_ALERTMANAGER_CONFIG",
                          "alertmanager_config", "FILE",
                          "the configuration file Alertmanager reads"},
        [RC_AM_ENV_FILE] = {"alertmanager-env-file",
                            "KEDGE_ALERTMANAGER_ENV_FILE",
                            "alertmanager_env_file", "FILE",
                            "values of the ${VAR} references in "
                            "alertmanager.yml"},
};

static void set(struct runcfg *c, enum runcfg_key k, const char *v,
                const char *from)
{
	free(c->v[k]);
	free(c->from[k]);
	c->v[k] = xstrdup(v);
	c->from[k] = xstrdup(from);
}

static int load_file(struct runcfg *c, struct schema *schemas,
                     struct diag *diag, struct err *err)
{
	struct desired_doc doc = {0};
	struct buf data;
	struct err perr;
	int error;

	buf_init(&data, YAMLDOC_MAX_BYTES);
	error = buf_read_file(&data, c->config);
	if (error) {
		buf_release(&data);
		return err_set(err, ERR_IO,
		               "cannot read the configuration "
		               "file '%s': %s",
		               c->config, err_str(error));
	}
	doc.path = c->config;
	err_clear(&perr);
	if (yamldoc_parse(&doc.doc, &doc.map, buf_cstr(&data), data.len,
	                  c->config, NULL, &perr)) {
		diag_add(diag, DIAG_ERROR, c->config, perr.line, perr.col, "%s",
		         perr.msg);
		buf_release(&data);
		return 0;
	}
	buf_release(&data);
	if (json_is_null(doc.doc)) {
		/* an empty file sets nothing */
		srcmap_free(doc.map);
		json_decref(doc.doc);
		return 0;
	}
	error = desired_validate_doc(&doc, schemas, "run", diag, err);
	if (!error) {
		for (size_t k = 0; k < RC_NR; k++) {
			const json_t *v =
			        json_object_get(doc.doc, runcfg_defs[k].key);
			struct srcpos pos = {0, 0, 0, 0};
			char ptr[96], *from, *text;

			if (!v)
				continue;
			snprintf(ptr, sizeof(ptr), "/%s", runcfg_defs[k].key);
			if (srcmap_get(doc.map, ptr, &pos) < 0)
				pos.line = 0;
			from = xasprintf("%s:%u", c->config, pos.line);
			text = json_is_string(v)
			               ? xstrdup(json_string_value(v))
			               : xasprintf(
			                         "%lld",
			                         (long long)json_integer_value(
			                                 v));
			set(c, (enum runcfg_key)k, text, from);
			free(text);
			free(from);
		}
		json_decref(c->notify);
		c->notify = json_incref(json_object_get(doc.doc, "notify"));
		json_decref(c->mcp);
		c->mcp = json_incref(json_object_get(doc.doc, "mcp"));
	}
	srcmap_free(doc.map);
	json_decref(doc.doc);
	return error < 0 ? error : 0;
}

int runcfg_resolve(struct runcfg *c, struct schema *schemas, struct diag *diag,
                   struct err *err)
{
	int error = 0;

	runcfg_clear_values(c);
	if (c->config)
		error = load_file(c, schemas, diag, err);
	if (error)
		return error;
	for (size_t k = 0; k < RC_NR; k++) {
		const char *env = getenv(runcfg_defs[k].env);
		char from[64];

		if (env && *env)
			set(c, (enum runcfg_key)k, env, runcfg_defs[k].env);
		if (c->flag[k]) {
			snprintf(from, sizeof(from), "--%s",
			         runcfg_defs[k].flag);
			set(c, (enum runcfg_key)k, c->flag[k], from);
		}
	}
	return 0;
}

void runcfg_clear_values(struct runcfg *c)
{
	for (size_t k = 0; k < RC_NR; k++) {
		free(c->v[k]);
		free(c->from[k]);
		c->v[k] = c->from[k] = NULL;
	}
	json_decref(c->notify);
	c->notify = NULL;
	json_decref(c->mcp);
	c->mcp = NULL;
}

void runcfg_release(struct runcfg *c)
{
	runcfg_clear_values(c);
	for (size_t k = 0; k < RC_NR; k++)
		free(c->flag[k]);
	free(c->config);
	memset(c, 0, sizeof(*c));
}
