/*
 * store-int.h: what a store backend implements (private to store*.c).
 *
 * Owns: struct store_ops, the table of functions one backend (SQLite in
 * store-sqlite.c; PostgreSQL later in store-pg.c) provides, and the few
 * helpers store.c gives every backend. Does not own: the public interface
 * (store.h), argument checks, locking or the clock: store.c checks every
 * argument (enumerations, lengths, limits) before it calls a backend,
 * holds the store's mutex around each call, and passes the time as `now`
 * (UNIX seconds), so a backend only translates calls into its database.
 *
 * Every function returns 0 or a negative ERR_* and fills err; a backend's
 * own failures are ERR_IO naming the store. Each call must be atomic: one
 * transaction, so that a SIGKILL at any point leaves either all of it or
 * none. json_t results are new references; times in them are made with
 * store_json_time. The shapes are those documented in store.h.
 */
#ifndef RECONCILER_STORE_INT_H
#define RECONCILER_STORE_INT_H

#include <jansson.h>

#include "util.h"

struct err;
/* One backend's connection; each backend file defines it. */
struct store_backend;

struct store_ops {
	const char *name;
	/*
	 * Opens the store at location (already resolved: never NULL),
	 * creating and upgrading it unless STORE_READ_ONLY is in flags, with
	 * store_open's and store_open_read's errors. STORE_DEFAULT says the
	 * user named no location (a read-only open of a default store that
	 * does not exist yet is ERR_NOTFOUND, never ERR_IO).
	 */
	int (*open)(struct store_backend **out, const char *location, int flags,
	            struct err *err);
	void (*close)(struct store_backend *b);

	int (*failed_get)(char **hash, char **reason, struct store_backend *b,
	                  const char *service, struct err *err);
	int (*failed_set)(struct store_backend *b, const char *service,
	                  const char *hash, const char *reason, int64_t now,
	                  struct err *err);
	int (*failed_clear)(struct store_backend *b, const char *service,
	                    struct err *err);
	int (*apply_record)(struct store_backend *b, const char *revision,
	                    const char *result, const char *summary,
	                    int64_t now, struct err *err);

	int (*reconcile_queue)(struct store_backend *b, int64_t *id,
	                       const char *trigger, int64_t now,
	                       struct err *err);
	/* ERR_NOTFOUND when there is no reconcile id, ERR_CONFLICT when it
	 * is not queued. */
	int (*reconcile_start)(struct store_backend *b, int64_t id,
	                       const char *revision, int64_t now,
	                       struct err *err);
	/* ERR_NOTFOUND, or ERR_CONFLICT when it is done already. */
	int (*reconcile_finish)(struct store_backend *b, int64_t id,
	                        const char *result, int exit_code,
	                        const char *error, const json_t *summary,
	                        int64_t now, struct err *err);
	/* ERR_NOTFOUND, or ERR_CONFLICT when it is done already. */
	int (*reconcile_action)(struct store_backend *b, int64_t id,
	                        const char *stack, const char *op,
	                        const char *kind, const char *name,
	                        const char *outcome, const char *error,
	                        struct err *err);
	int (*reconcile_get)(json_t **out, struct store_backend *b, int64_t id,
	                     struct err *err);
	/* limit is 1..STORE_LIMIT_MAX here. */
	int (*reconcile_list)(json_t **out, struct store_backend *b,
	                      const char *stack, size_t limit, struct err *err);
	int (*reconcile_interrupt_all)(struct store_backend *b, size_t *n,
	                               int64_t now, struct err *err);
	int (*reconcile_prune)(struct store_backend *b, size_t keep,
	                       struct err *err);

	int (*stack_set)(struct store_backend *b, const char *stack,
	                 const char *status, const char *reason,
	                 const char *revision, int64_t now, struct err *err);
	int (*stack_suspend)(struct store_backend *b, const char *stack,
	                     int suspended, int64_t now, struct err *err);
	int (*stack_list)(json_t **out, struct store_backend *b,
	                  struct err *err);
	int (*stack_get)(json_t **out, struct store_backend *b,
	                 const char *stack, struct err *err);
	int (*stack_forget)(struct store_backend *b, const char *stack,
	                    struct err *err);

	/* ERR_NOTFOUND when reconcile_id is not a recorded reconcile. */
	int (*drift_record)(struct store_backend *b, int64_t reconcile_id,
	                    const char *stack, const char *kind,
	                    const char *object, const json_t *fields,
	                    const char *action, int64_t now, struct err *err);
	int (*drift_list)(json_t **out, struct store_backend *b,
	                  const char *stack, size_t limit, struct err *err);

	/* ERR_CONFLICT when id exists already. */
	int (*approval_add)(struct store_backend *b, const char *id,
	                    const char *revision, const json_t *plan,
	                    int64_t now, struct err *err);
	int (*approval_get)(json_t **out, struct store_backend *b,
	                    const char *id, struct err *err);
	/* ERR_NOTFOUND; ERR_CONFLICT when approving a plan that is not
	 * pending (or approved already). */
	int (*approval_set)(struct store_backend *b, const char *id,
	                    const char *state, int64_t now, struct err *err);
	int (*approval_pending)(json_t **out, struct store_backend *b,
	                        struct err *err);

	/* ERR_CONFLICT for a live token of that name */
	int (*token_add)(struct store_backend *b, const char *name,
	                 const char *hash, const char *scope, int64_t now,
	                 struct err *err);
	int (*token_list)(json_t **out, struct store_backend *b,
	                  struct err *err);
	/* ERR_NOTFOUND when there is no live token of that name */
	int (*token_revoke)(struct store_backend *b, const char *name,
	                    int64_t now, struct err *err);
	/* ERR_NOTFOUND when no live token has that hash */
	int (*token_find)(json_t **out, struct store_backend *b,
	                  const char *hash, int64_t now, struct err *err);
	int (*audit)(struct store_backend *b, const char *source,
	             const char *who, const char *what, const char *result,
	             int64_t now, struct err *err);
	int (*audit_list)(json_t **out, struct store_backend *b, size_t limit,
	                  struct err *err);
};

enum { STORE_READ_ONLY = 1, STORE_DEFAULT = 2 };

extern const struct store_ops store_sqlite_ops;

/* The largest limit a list call passes to a backend. */
#define STORE_LIMIT_MAX 1000
/* Audit rows a prune keeps, per reconcile kept. */
#define STORE_AUDIT_PER_RECONCILE 10

/* t as a JSON string "2026-12-02T01:02:03Z" (UTC). A new reference. */
json_t *store_json_time(int64_t t);

/* The messages every backend uses, so that they read the same. */
int store_err_no_reconcile(struct err *err, int64_t id);
int store_err_no_stack(struct err *err, const char *stack);
int store_err_no_approval(struct err *err, const char *id);

#endif
