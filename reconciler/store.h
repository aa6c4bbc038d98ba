/*
 * store.h: what kedge remembers between runs and what the daemon records.
 *
 * Owns: the store's one public interface. Its backend is chosen by the
 * location: a path is an embedded SQLite database (default
 * $XDG_STATE_HOME/kedge/state.db, or --store / $KEDGE_STORE; store-sqlite.c,
 * the only file that includes <sqlite3.h>); a PostgreSQL location
 * ("postgres://...", "postgresql://...", or a "host=... dbname=..."
 * conninfo) is refused for now and will be store-pg.c behind the same
 * interface (store-int.h). It keeps which desired spec of a service failed
 * to converge (so a loop does not re-apply the same failing spec until the
 * desired spec changes), a history of one-shot applies, and for the daemon
 * every reconcile with its actions, per-stack status, drift events, plans
 * waiting for approval and an audit log of webhooks and API calls.
 *
 * Does not own: anything Swarm itself records (kedge's labels on objects
 * are the record of ownership; the store is never needed to know what
 * kedge owns), the trigger queue, or the decisions (what a status or a
 * result means is the daemon's).
 *
 * Conventions: every int function returns 0 or a negative ERR_* and fills
 * err. A bad argument (an unknown trigger, result, status, outcome, action
 * or state, a NULL required string, a string over its cap) is ERR_INVALID
 * or ERR_TOOBIG and writes nothing; the database failing is ERR_IO naming
 * the store. Each call is one transaction: a SIGKILL at any point leaves
 * the store as it was before or after that call. Times are UNIX seconds
 * kept as integers and returned in JSON as RFC 3339 UTC strings
 * ("2026-12-02T01:02:03Z"). A json_t *out is a new reference the caller
 * decrefs; a const json_t argument is only read. List limits of 0 mean 20
 * and are capped at 1000.
 *
 * Threads: a struct store may be used from several threads at once; each
 * call holds the store's mutex, so calls are serialised (SQLite also
 * serialises its connection, and other processes wait up to 10 s for the
 * database lock). store_free must not race other calls.
 */
#ifndef RECONCILER_STORE_H
#define RECONCILER_STORE_H

#include <stdint.h>

#include "util.h"

struct err;
struct store;
struct json_t;

/*
 * Opens (creating when needed, with its folder) the store at location;
 * NULL means the default SQLite path, and brings its tables to this
 * kedge's version (writing only when an upgrade is needed; a SQLite store
 * is switched to WAL mode once). ERR_IO with the path when it cannot be
 * opened, is not a kedge store or is from a newer kedge; ERR_INVALID
 * "PostgreSQL stores are not supported yet" for a PostgreSQL location.
 * Free with store_free.
 */
int store_open(struct store **out, const char *location,
               struct err *err) MUST_CHECK;
/*
 * Opens an existing store for reading only: nothing is created, upgraded
 * or written (writes through it fail with ERR_IO). ERR_NOTFOUND when there
 * is no store at path yet (its folder exists, or path is NULL); ERR_IO
 * when it cannot be read, its folder does not exist, it is from a newer
 * kedge, or it needs an upgrade.
 */
int store_open_read(struct store **out, const char *location,
                    struct err *err) MUST_CHECK;
/* Closes s. NULL-safe. No other call on s may be running. */
void store_free(struct store *s);
/* The location in use (the path for SQLite). Borrowed. */
const char *store_path(const struct store *s);

/*
 * The spec hash of service that failed last (a rollback, a paused update,
 * no convergence), with the reason. *hash and *reason are new strings the
 * caller frees. ERR_NOTFOUND when the service has no failure recorded.
 */
int store_failed_get(char **hash, char **reason, struct store *s,
                     const char *service, struct err *err) MUST_CHECK;
int store_failed_set(struct store *s, const char *service, const char *hash,
                     const char *reason, struct err *err) MUST_CHECK;
int store_failed_clear(struct store *s, const char *service,
                       struct err *err) MUST_CHECK;
/* Appends one one-shot apply to the history. */
int store_apply_record(struct store *s, const char *revision,
                       const char *result, const char *summary,
                       struct err *err) MUST_CHECK;

/*
 * Reconciles go queued -> running -> done.
 *
 * store_reconcile_queue records a queued reconcile and puts its id in *id.
 * trigger is "interval", "api", "drift", "start", "approve", "mcp" or
 * "webhook:<provider>" ("webhook:github").
 */
int store_reconcile_queue(struct store *s, int64_t *id, const char *trigger,
                          struct err *err) MUST_CHECK;
/*
 * Marks queued reconcile id running at revision (may be NULL when the
 * fetch failed). ERR_NOTFOUND "no reconcile N"; ERR_CONFLICT when it is not
 * queued.
 */
int store_reconcile_start(struct store *s, int64_t id, const char *revision,
                          struct err *err) MUST_CHECK;
/*
 * Marks reconcile id (queued or running) done. result is "ok", "noop",
 * "failed", "invalid", "not-converged", "stalled" (some stacks stalled,
 * others applied) or "interrupted"; exit_code 0..255 (kedge uses 0, 2 and
 * 3); error may be NULL; summary is a JSON object (counts per op) or NULL.
 * ERR_NOTFOUND; ERR_CONFLICT when it is done already.
 */
int store_reconcile_finish(struct store *s, int64_t id, const char *result,
                           int exit_code, const char *error,
                           const struct json_t *summary,
                           struct err *err) MUST_CHECK;
/*
 * Appends one action to reconcile id (not done yet). op is free text
 * ("create", "update", "remove", "adopt", "label", ...), kind likewise
 * ("service", "network", "config", "secret", "node"); outcome is "done",
 * "failed", "not-converged", "rolled-back" or "skipped"; error may be NULL.
 * ERR_NOTFOUND; ERR_CONFLICT when it is done.
 */
int store_reconcile_action(struct store *s, int64_t id, const char *stack,
                           const char *op, const char *kind, const char *name,
                           const char *outcome, const char *error,
                           struct err *err) MUST_CHECK;
/*
 * *out = {"id":N, "trigger":"..", "state":"queued|running|done",
 * "revision":".."|null, "queued":ts, "started":ts|null, "finished":ts|null,
 * "result":".."|null, "exit_code":N|null, "error":".."|null,
 * "summary":{..}|null, "actions":[{"stack","op","kind","name","outcome",
 * "error"|null}, ...in the order recorded]}. ERR_NOTFOUND "no reconcile N".
 */
int store_reconcile_get(struct json_t **out, struct store *s, int64_t id,
                        struct err *err) MUST_CHECK;
/*
 * *out = an array of the objects above, newest first, at most limit; with
 * stack non-NULL only the reconciles with an action on that stack.
 */
int store_reconcile_list(struct json_t **out, struct store *s,
                         const char *stack, size_t limit,
                         struct err *err) MUST_CHECK;
/*
 * For the daemon's start: every queued or running reconcile becomes done,
 * "interrupted", exit code 2, error "kedge stopped before it finished".
 * *n (when n is not NULL) is how many.
 */
int store_reconcile_interrupt_all(struct store *s, size_t *n,
                                  struct err *err) MUST_CHECK;
/*
 * Keeps the newest keep (0: 1000) done reconciles and deletes the older
 * ones with their actions and their drift events; queued and running ones
 * are kept. It also bounds the other logs: the newest 10 * keep audit
 * entries stay, and superseded or applied approvals beyond the newest keep
 * go (pending and approved ones always stay).
 */
int store_reconcile_prune(struct store *s, size_t keep,
                          struct err *err) MUST_CHECK;

/*
 * Records stack's status: "Ready", "Reconciling", "Stalled" or
 * "Suspended", with reason (may be NULL) and revision (the last applied
 * one; NULL keeps what is recorded). Creates the row when needed. "since"
 * moves only when the status changes; "updated" moves on every call.
 */
int store_stack_set(struct store *s, const char *stack, const char *status,
                    const char *reason, const char *revision,
                    struct err *err) MUST_CHECK;
/*
 * Suspends (suspended 1: status "Suspended", reason NULL) or resumes
 * (suspended 0: a "Suspended" status becomes "Reconciling" until the next
 * store_stack_set) stack, creating its row when needed.
 */
int store_stack_suspend(struct store *s, const char *stack, int suspended,
                        struct err *err) MUST_CHECK;
/*
 * *out = [{"stack", "status", "reason"|null, "revision"|null,
 * "suspended":bool, "since":ts, "updated":ts}, ...] sorted by name.
 */
int store_stack_list(struct json_t **out, struct store *s,
                     struct err *err) MUST_CHECK;
/* *out = one object as above. ERR_NOTFOUND "no stack 'x' is recorded". */
int store_stack_get(struct json_t **out, struct store *s, const char *stack,
                    struct err *err) MUST_CHECK;
/* Forgets stack (removed from git and pruned); 0 also when not recorded. */
int store_stack_forget(struct store *s, const char *stack,
                       struct err *err) MUST_CHECK;

/*
 * Records drift found during reconcile reconcile_id: object of kind on
 * stack differed in fields (a JSON array of field paths such as
 * ["Spec.Mode.Replicated.Replicas"], or NULL), and action is "repaired" or
 * "reported". ERR_NOTFOUND "no reconcile N" when reconcile_id is unknown.
 */
int store_drift_record(struct store *s, int64_t reconcile_id, const char *stack,
                       const char *kind, const char *object,
                       const struct json_t *fields, const char *action,
                       struct err *err) MUST_CHECK;
/*
 * *out = [{"id", "reconcile", "stack", "kind", "object", "fields":[..]|null,
 * "action", "time"}, ...] newest first, at most limit; stack non-NULL: only
 * that stack's.
 */
int store_drift_list(struct json_t **out, struct store *s, const char *stack,
                     size_t limit, struct err *err) MUST_CHECK;

/*
 * Approvals for `prune: confirm`: a destructive plan waits. id is the
 * caller's (a short hex string), plan a JSON object. Adding one marks every
 * older pending one "superseded". ERR_CONFLICT when id exists already.
 */
int store_approval_add(struct store *s, const char *id, const char *revision,
                       const struct json_t *plan, struct err *err) MUST_CHECK;
/*
 * *out = {"id", "revision", "state", "created":ts, "decided":ts|null,
 * "plan":{..}}. ERR_NOTFOUND "no plan 'x' waits for approval".
 */
int store_approval_get(struct json_t **out, struct store *s, const char *id,
                       struct err *err) MUST_CHECK;
/*
 * Sets plan id's state: "pending", "approved", "superseded" or "applied"
 * ("decided" becomes now). ERR_NOTFOUND as above; ERR_CONFLICT "plan 'x' is
 * superseded, not pending" when approving a plan that is not pending.
 */
int store_approval_set(struct store *s, const char *id, const char *state,
                       struct err *err) MUST_CHECK;
/* *out = the pending approvals, oldest first, without "plan". */
int store_approval_pending(struct json_t **out, struct store *s,
                           struct err *err) MUST_CHECK;

/*
 * Bearer tokens of kedge mcp's HTTP server, kept by the sha256 (hex) of
 * the token, never the token. scope is "read" or "write" (which includes
 * read). store_token_add: ERR_CONFLICT "a token named 'x' exists" while
 * a token of that name is not revoked. store_token_list: *out = [{"name",
 * "scope", "created":ts, "last_used":ts|null, "revoked":ts|null}] by
 * name. store_token_revoke: ERR_NOTFOUND "no token named 'x'".
 * store_token_find: *out = {"name", "scope"} of the live token with that
 * hash (and its last use is recorded), ERR_NOTFOUND otherwise.
 */
int store_token_add(struct store *s, const char *name, const char *hash,
                    const char *scope, struct err *err) MUST_CHECK;
int store_token_list(struct json_t **out, struct store *s,
                     struct err *err) MUST_CHECK;
int store_token_revoke(struct store *s, const char *name,
                       struct err *err) MUST_CHECK;
int store_token_find(struct json_t **out, struct store *s, const char *hash,
                     struct err *err) MUST_CHECK;

/*
 * Audit of webhooks and API calls: source "webhook:github" / "api"; who is
 * the remote address (or a token's name); what is "push refs/heads/main" or
 * "POST /api/v1/reconcile"; result the HTTP status ("202", "401"). Never
 * pass a secret here: it is stored as given.
 */
int store_audit(struct store *s, const char *source, const char *who,
                const char *what, const char *result,
                struct err *err) MUST_CHECK;
/* *out = [{"id", "time", "source", "who", "what", "result"}] newest first. */
int store_audit_list(struct json_t **out, struct store *s, size_t limit,
                     struct err *err) MUST_CHECK;

#endif
