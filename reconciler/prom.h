/*
 * prom.h: a Prometheus server, as kedge talks to it.
 *
 * Owns: the HTTP API calls kedge needs (runtime info, loaded rule groups,
 * flags), and the two ways to make Prometheus re-read its rule files:
 * POST /-/reload (needs --web.enable-lifecycle) or SIGHUP to the pid in a
 * pidfile. Does not own: the rule files or what a difference means
 * (rules.h).
 */
#ifndef RECONCILER_PROM_H
#define RECONCILER_PROM_H

#include "util.h"

struct err;
struct json_t;
struct prom;

enum prom_reload {
	PROM_RELOAD_DETECT, /* HTTP when the lifecycle API is on, else an
	                     * error that says what to configure */
	PROM_RELOAD_HTTP,   /* POST /-/reload */
	PROM_RELOAD_SIGNAL, /* SIGHUP to the pid in a pidfile */
};

struct prom_runtime {
	int reload_success;    /* reloadConfigSuccess */
	long long last_config; /* lastConfigTime in Unix seconds; 0 unknown */
};

/*
 * Parses a --prometheus-reload value: "http", "signal:PIDFILE", or NULL/""
 * (detect). *pidfile borrows from value. ERR_INVALID for anything else.
 */
int prom_reload_parse(enum prom_reload *out, const char **pidfile,
                      const char *value, struct err *err) MUST_CHECK;

/* A client of the server at url ("http://host:port[/prefix]"); every
 * request is bounded by timeout_ms (0: 30 s). Free with prom_free. */
int prom_open(struct prom **out, const char *url, long timeout_ms,
              struct err *err) MUST_CHECK;
void prom_free(struct prom *p);

/* GET /api/v1/status/runtimeinfo. ERR_REMOTE when it cannot be read. */
int prom_runtime(struct prom_runtime *out, struct prom *p,
                 struct err *err) MUST_CHECK;

/* GET /api/v1/rules: *out is data.groups (the caller decrefs). */
int prom_rules(struct json_t **out, struct prom *p, struct err *err) MUST_CHECK;

/* 1 when the server runs with --web.enable-lifecycle, else 0. */
int prom_lifecycle(int *out, struct prom *p, struct err *err) MUST_CHECK;

/*
 * Asks the server to reload: POST /-/reload, or SIGHUP to the pid read
 * from pidfile. An HTTP reload is synchronous: ERR_INVALID when the server
 * answers that the new configuration failed (it keeps the previous rule
 * set), ERR_UNSUPPORTED when the lifecycle API is off. A signal returns
 * once sent; the caller watches prom_runtime for the outcome.
 */
int prom_reload(struct prom *p, enum prom_reload how, const char *pidfile,
                struct err *err) MUST_CHECK;

/*
 * GET path_and_query (an /api/v1/... path with its query string, already
 * escaped: http_escape) and, on {"status":"success"}, *out is the whole
 * "data" member (the caller decrefs). When Prometheus refuses the query
 * (HTTP 400, 422, 503 with {"status":"error"}), ERR_INVALID with its own
 * errorType and message ("bad_data: 1:4: parse error: ..."); the transport
 * errors of http.h (ERR_TIMEOUT, ERR_TOOBIG, ERR_REMOTE) otherwise.
 */
int prom_query(struct json_t **out, struct prom *p, const char *path_and_query,
               struct err *err) MUST_CHECK;

/*
 * Times as the HTTP API and its users write them: an RFC 3339 time
 * ("2026-12-02T01:02:03Z", fractions and offsets allowed), UNIX seconds
 * ("1764637323.5"), "now", or a duration meaning that long before now
 * ("1h", "90s", "1h30m"). *out is UNIX seconds. ERR_INVALID with the
 * value quoted.
 */
int prom_time_parse(double *out, const char *s, double now,
                    struct err *err) MUST_CHECK;
/*
 * A Prometheus duration ("15s", "1m30s", "250ms"; units ms s m h d w y)
 * or plain seconds ("15", "0.5") into seconds (> 0). ERR_INVALID.
 */
int prom_duration_parse(double *out, const char *s, struct err *err) MUST_CHECK;

/* The server's URL, for messages. Borrowed. */
const char *prom_url(const struct prom *p);

#endif
