/*
 * docker.h: a client for the Docker Engine API 1.41 (swarm endpoints).
 *
 * Owns: turning DOCKER_HOST / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH into a
 * connection (as the docker CLI does), the /v1.41 prefix, filters, JSON in
 * and out (jansson), and mapping the daemon's errors to ERR_* codes with
 * the daemon's own message. Does not own: HTTP (http.h), deciding what to
 * change (diff/plan/apply), reading the whole live state (live.h), retries
 * after a conflict (callers: GET again, diff again, retry).
 *
 * Every call returns 0 or a negative ERR_* and fills err with the daemon's
 * `{"message": ...}` when it sent one:
 *	404                              -> ERR_NOTFOUND
 *	409, 500 "update out of sequence" -> ERR_CONFLICT
 *	400, 501                         -> ERR_INVALID
 *	503 "not a swarm manager"        -> ERR_UNSUPPORTED
 *	any other status >= 300          -> ERR_REMOTE
 * plus the transport errors of http_request() (ERR_REMOTE when the daemon
 * cannot be reached, ERR_TIMEOUT, ERR_TOOBIG).
 *
 * JSON handed out through `json_t **out` belongs to the caller (json_decref).
 * JSON handed in is only read. IDs may also be names where the daemon
 * accepts them (services, networks, configs, secrets, nodes).
 */
#ifndef RECONCILER_DOCKER_H
#define RECONCILER_DOCKER_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"
#include "util.h"

#define DOCKER_API_VERSION  "1.41"
#define DOCKER_DEFAULT_HOST "unix:///var/run/docker.sock"

struct docker;

/*
 * Prepares a client for host ("unix:///path" or "tcp://host[:port]"); NULL
 * or "" means $DOCKER_HOST, then DOCKER_DEFAULT_HOST. For tcp://, a
 * non-empty DOCKER_TLS_VERIFY means https with ca.pem, cert.pem and key.pem
 * from DOCKER_CERT_PATH (default ~/.docker); the default port is 2376 with
 * TLS, 2375 without. Does not contact the daemon. ERR_INVALID for a host
 * kedge cannot use or unreadable TLS files. Free with docker_free().
 */
int docker_open(struct docker **out, const char *host,
                struct err *err) MUST_CHECK;
void docker_free(struct docker *d);
/* The host as resolved ("unix:///var/run/docker.sock"). Borrowed. */
const char *docker_host(const struct docker *d);
/* Requests sent so far (for "a no-op makes at most N requests"). */
unsigned long docker_requests_made(const struct docker *d);
/* Changes the timeouts in milliseconds (0 keeps the current value). */
void docker_set_timeouts(struct docker *d, long connect_ms, long total_ms);

/* GET /info. */
int docker_info(json_t **out, struct docker *d, struct err *err) MUST_CHECK;
/*
 * Checks that the daemon is a swarm manager (Swarm.LocalNodeState active
 * and Swarm.ControlAvailable). ERR_UNSUPPORTED otherwise, with a message
 * like "'unix:///x' is not a swarm manager (Swarm: inactive)".
 */
int docker_check_manager(struct docker *d, struct err *err) MUST_CHECK;

/*
 * Lists. A NULL filter is not sent. label is "key" or "key=value". Note
 * that the daemon's name filters are not exact (services: prefix;
 * networks: substring for local networks): compare names yourself.
 * with_status adds ServiceStatus{RunningTasks,DesiredTasks,...}.
 */
int docker_services_list(json_t **out, struct docker *d, const char *label,
                         int with_status, struct err *err) MUST_CHECK;

/*
 * GET /services like docker_services_list, but hands each service to fn as
 * soon as it is parsed (fn owns it), so a big swarm's list is never held
 * whole. A non-zero return from fn stops the walk and is returned.
 */
typedef int (*docker_each_fn)(json_t *obj, void *ctx);
int docker_services_each(struct docker *d, const char *label, int with_status,
                         docker_each_fn fn, void *ctx,
                         struct err *err) MUST_CHECK;
int docker_tasks_list(json_t **out, struct docker *d, const char *service,
                      const char *desired_state, struct err *err) MUST_CHECK;
int docker_networks_list(json_t **out, struct docker *d, const char *label,
                         const char *name, struct err *err) MUST_CHECK;
int docker_configs_list(json_t **out, struct docker *d, const char *label,
                        struct err *err) MUST_CHECK;
int docker_secrets_list(json_t **out, struct docker *d, const char *label,
                        struct err *err) MUST_CHECK;
int docker_nodes_list(json_t **out, struct docker *d,
                      struct err *err) MUST_CHECK;

/* GET /<kind>/{id}. ERR_NOTFOUND when it does not exist. */
int docker_service_inspect(json_t **out, struct docker *d, const char *id,
                           struct err *err) MUST_CHECK;
int docker_network_inspect(json_t **out, struct docker *d, const char *id,
                           struct err *err) MUST_CHECK;
int docker_config_inspect(json_t **out, struct docker *d, const char *id,
                          struct err *err) MUST_CHECK;
int docker_secret_inspect(json_t **out, struct docker *d, const char *id,
                          struct err *err) MUST_CHECK;
int docker_node_inspect(json_t **out, struct docker *d, const char *id,
                        struct err *err) MUST_CHECK;

/*
 * POST /<kind>/create with spec; *out is the new object's ID (the caller
 * frees it). ERR_CONFLICT when the name is taken. Config and secret specs
 * carry Data as base64 (base64_encode() in util.h).
 */
int docker_service_create(char **out, struct docker *d, const json_t *spec,
                          struct err *err) MUST_CHECK;
int docker_network_create(char **out, struct docker *d, const json_t *spec,
                          struct err *err) MUST_CHECK;
int docker_config_create(char **out, struct docker *d, const json_t *spec,
                         struct err *err) MUST_CHECK;
int docker_secret_create(char **out, struct docker *d, const json_t *spec,
                         struct err *err) MUST_CHECK;

/*
 * POST /<kind>/{id}/update?version=<version> with spec. version is the
 * Version.Index just read; a stale one gives ERR_CONFLICT.
 */
int docker_service_update(struct docker *d, const char *id, uint64_t version,
                          const json_t *spec, struct err *err) MUST_CHECK;
int docker_node_update(struct docker *d, const char *id, uint64_t version,
                       const json_t *spec, struct err *err) MUST_CHECK;
/* Only Labels may change; Data left out (or equal) keeps the content. */
int docker_config_update(struct docker *d, const char *id, uint64_t version,
                         const json_t *spec, struct err *err) MUST_CHECK;
int docker_secret_update(struct docker *d, const char *id, uint64_t version,
                         const json_t *spec, struct err *err) MUST_CHECK;

/* DELETE /<kind>/{id}. ERR_NOTFOUND when it is already gone. */
int docker_service_remove(struct docker *d, const char *id,
                          struct err *err) MUST_CHECK;
int docker_network_remove(struct docker *d, const char *id,
                          struct err *err) MUST_CHECK;
int docker_config_remove(struct docker *d, const char *id,
                         struct err *err) MUST_CHECK;
int docker_secret_remove(struct docker *d, const char *id,
                         struct err *err) MUST_CHECK;

/*
 * Follows GET /events (filtered to the types service, network, config,
 * secret and node; from now on, as the daemon does without since=) and
 * calls fn with each event object, borrowed for the call, until the
 * stream ends or fn or cancel stops it. An event is what `docker events
 * --format '{{json .}}'` prints: Type, Action, Actor.ID,
 * Actor.Attributes.name, time, timeNano, scope.
 * Returns as http_stream_lines() does, but the end of the stream is an
 * error: ERR_REMOTE "the Docker daemon at <host> closed the event stream"
 * when the daemon ends it or goes away; ERR_REMOTE for a line that is not
 * a JSON object; the daemon's message for a refused request (as the other
 * calls); ERR_CANCELED; fn's non-zero value. No total timeout applies.
 * The stream holds d until it returns: open a second struct docker for
 * everything else meanwhile (and from another thread).
 */
typedef int (*docker_event_fn)(void *ctx, const json_t *event);
int docker_events_follow(struct docker *d, docker_event_fn fn,
                         int (*cancel)(void *ctx), void *ctx,
                         struct err *err) MUST_CHECK;

#endif
