/*
 * daemon.h: the controller behind `kedge run`: one loop that keeps the
 * swarm on the tracked branch.
 *
 * Owns: the trigger queue (interval with jitter, webhooks, the API,
 * drift), coalescing (a burst of triggers is one reconcile; one that
 * arrives while a reconcile runs starts one more after it), the desired
 * state loaded once per commit, per-stack isolation (a stack whose files
 * or pre-apply checks fail is Stalled, the others apply; a stack that
 * fails to load is never pruned), drift (repair or report per kedge.yml),
 * approvals of destructive plans (`prune: confirm`), backoff, and what it
 * records in the store and the metrics. Every function but daemon_run may
 * be called from any thread (the HTTP handlers, the event follower).
 * Does not own: HTTP (api.c over httpd.c), option parsing, signals and
 * the state folder's lock (cmd-run.c), the engine's steps (plan.c,
 * apply.c), the store's tables (store.c).
 */
#ifndef RECONCILER_DAEMON_H
#define RECONCILER_DAEMON_H

#include <stdint.h>

#include "promplan.h"
#include "source.h"
#include "util.h"

struct daemon;
struct err;
struct json_t;
struct metrics;
struct store;

struct daemon_opts {
	struct source_opts src;   /* the tracked repository (borrowed) */
	const char *schema_dir;   /* the JSON Schemas */
	const char *docker_host;  /* NULL: $DOCKER_HOST or the socket */
	long interval_sec;        /* between ref checks; jittered +-10 % */
	long drift_debounce_ms;   /* event -> reconcile; 0: 500 ms */
	size_t keep_reconciles;   /* history retention; 0: 1000 */
	const char *repo_display; /* the repository, credentials redacted */
	struct store *store;      /* borrowed; the daemon's state */
	struct metrics *metrics;  /* borrowed; declared by daemon_new */
	/* called (from the loop thread) with every notable event: kind is
	 * "failure", "rollback", "drift", "approval", "recovery" */
	void (*notify)(void *ctx, const char *kind, const char *stack,
	               const char *text);
	void *notify_ctx;
	/* the Prometheus part; no URL: rules are validated, not applied */
	struct promplan_opts prom;
};

/* Prepares the daemon; declares its metrics. Nothing runs yet. */
int daemon_new(struct daemon **out, const struct daemon_opts *o,
               struct err *err) MUST_CHECK;
void daemon_free(struct daemon *d);

/*
 * The loop, on the calling thread, until daemon_stop: marks what an
 * earlier process left running as interrupted, reconciles at once, then
 * whenever a trigger or the interval says so. Returns 0.
 */
int daemon_run(struct daemon *d);
/*
 * Asks the loop to stop: the Engine API call in flight finishes, the
 * reconcile is recorded as interrupted, daemon_run returns.
 */
void daemon_stop(struct daemon *d);

/*
 * Queues a reconcile (trigger: "api", "webhook:github", ...), or joins
 * the one already queued and not yet started. *id (may be NULL) is its
 * id in the store.
 */
int daemon_trigger(struct daemon *d, const char *trigger, int64_t *id,
                   struct err *err) MUST_CHECK;
/*
 * An Engine API event for an object (kind "service", "network", "config",
 * "secret", "node"; name as the swarm knows it). An object kedge owns
 * that kedge itself did not just write schedules a drift reconcile after
 * the debounce.
 */
void daemon_event(struct daemon *d, const char *kind, const char *name);
/* The event stream (re)connected: reconcile, since events were lost. */
void daemon_events_connected(struct daemon *d, int connected);

/* The status object of GET /api/v1/status (new reference). */
struct json_t *daemon_status(struct daemon *d);
/* 1 once the first reconcile has a result. */
int daemon_ready(struct daemon *d);
/* The tracked branch ("main"), or NULL while not known yet. Copied. */
char *daemon_branch(struct daemon *d);

/*
 * Suspends or resumes a stack. ERR_NOTFOUND "no stack 'x' in the desired
 * state" for a stack that is neither in the repository nor recorded.
 */
int daemon_suspend(struct daemon *d, const char *stack, int suspended,
                   struct err *err) MUST_CHECK;
/*
 * Approves a plan that waits (`prune: confirm`) and queues a reconcile
 * (*id) that applies it. ERR_NOTFOUND for an unknown plan, ERR_CONFLICT
 * when a newer commit superseded it.
 */
int daemon_approve(struct daemon *d, const char *plan_id, int64_t *id,
                   struct err *err) MUST_CHECK;

#endif
