/*
 * store.c: the backend-neutral half of the store declared in store.h.
 *
 * Owns: choosing the backend from the location, the default location,
 * checking every argument once for all backends, the mutex that makes a
 * struct store usable from several threads, and the clock. Does not own:
 * any database (store-sqlite.c; store-pg.c later), which only sees checked
 * arguments through struct store_ops (store-int.h).
 */
#include <pthread.h>
#include <time.h>

#include "err.h"
#include "store-int.h"
#include "store.h"

struct store {
	const struct store_ops *ops;
	struct store_backend *be;
	char *location;
	pthread_mutex_t lock;
};

/* Caps on what callers pass, so that no row grows without bound. */
#define NAME_MAX_LEN 1024
#define TEXT_MAX_LEN (64 * 1024)
#define PLAN_MAX_LEN (16 * 1024 * 1024)

static const char *const triggers[] = {"interval", "api",   "drift",  "start",
                                       "approve",  "retry", "events", "resume",
                                       "mcp",      NULL};
static const char *const results[] = {"ok",          "noop",    "failed",
                                      "invalid",     "stalled", "not-converged",
                                      "interrupted", NULL};
static const char *const outcomes[] = {
        "done", "failed", "not-converged", "rolled-back", "skipped", NULL};
static const char *const statuses[] = {"Ready", "Reconciling", "Stalled",
                                       "Suspended", NULL};
static const char *const drift_actions[] = {"repaired", "reported", NULL};
static const char *const approval_states[] = {"pending", "approved",
                                              "superseded", "applied", NULL};

static int one_of(const char *v, const char *const *list)
{
	for (; v && *list; list++)
		if (!strcmp(v, *list))
			return 1;
	return 0;
}

static int check_enum(const char *what, const char *v, const char *const *list,
                      struct err *err)
{
	if (one_of(v, list))
		return 0;
	return err_set(err, ERR_INVALID,
	               "store: %s '%s' is not one kedge knows", what,
	               v ? v : "(null)");
}

/*
 * A string argument: NULL is refused unless CK_NULL, "" unless CK_EMPTY,
 * and a string longer than max is ERR_TOOBIG.
 */
enum { CK_NULL = 1, CK_EMPTY = 2 };

static int check_str(const char *what, const char *v, int flags, size_t max,
                     struct err *err)
{
	if (!v && (flags & CK_NULL))
		return 0;
	if (!v || (!*v && !(flags & CK_EMPTY)))
		return err_set(err, ERR_INVALID, "store: %s is empty", what);
	if (strlen(v) > max)
		return err_set(err, ERR_TOOBIG,
		               "store: %s is longer than %zu bytes", what, max);
	return 0;
}

#define NAME(what, v)     check_str(what, v, 0, NAME_MAX_LEN, err)
#define OPT_NAME(what, v) check_str(what, v, CK_NULL, NAME_MAX_LEN, err)
#define OPT_TEXT(what, v) \
	check_str(what, v, CK_NULL | CK_EMPTY, TEXT_MAX_LEN, err)

static int check_json(const char *what, const json_t *v, int want_object,
                      int optional, struct err *err)
{
	char *text;
	size_t len;

	if (!v && optional)
		return 0;
	if (!v || (want_object ? !json_is_object(v) : !json_is_array(v)))
		return err_set(err, ERR_INVALID, "store: %s must be a JSON %s",
		               what, want_object ? "object" : "array");
	text = json_dumps(v, JSON_COMPACT);
	len = text ? strlen(text) : 0;
	free(text);
	if (len > PLAN_MAX_LEN)
		return err_set(err, ERR_TOOBIG,
		               "store: %s is longer than %d bytes", what,
		               PLAN_MAX_LEN);
	return 0;
}

static size_t list_limit(size_t limit)
{
	if (!limit)
		return 20;
	return limit > STORE_LIMIT_MAX ? STORE_LIMIT_MAX : limit;
}

static int64_t now(void)
{
	return (int64_t)time(NULL);
}

json_t *store_json_time(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	if (!gmtime_r(&tt, &tm) ||
	    !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return json_null();
	return json_string(buf);
}

int store_err_no_reconcile(struct err *err, int64_t id)
{
	return err_set(err, ERR_NOTFOUND, "no reconcile %lld", (long long)id);
}

int store_err_no_stack(struct err *err, const char *stack)
{
	return err_set(err, ERR_NOTFOUND, "no stack '%s' is recorded", stack);
}

int store_err_no_approval(struct err *err, const char *id)
{
	return err_set(err, ERR_NOTFOUND, "no plan '%s' waits for approval",
	               id);
}

/*
 * A libpq location: a URI, or a conninfo string whose first word is
 * keyword=value with a keyword libpq knows. A SQLite path may contain '='
 * but does not start with "dbname=" and the like.
 */
static int is_postgres(const char *location)
{
	static const char *const keywords[] = {
	        "host",     "hostaddr", "port",    "dbname",  "user",
	        "password", "service",  "sslmode", "options", NULL};
	size_t n;

	if (starts_with(location, "postgres://") ||
	    starts_with(location, "postgresql://"))
		return 1;
	location += strspn(location, " \t");
	n = strcspn(location, "= \t");
	for (const char *const *k = keywords; *k; k++)
		if (strlen(*k) == n && !strncmp(location, *k, n) &&
		    location[n + strspn(location + n, " \t")] == '=')
			return 1;
	return 0;
}

static char *default_path(void)
{
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");

	if (state && *state)
		return xasprintf("%s/kedge/state.db", state);
	return xasprintf("%s/.local/state/kedge/state.db",
	                 home && *home ? home : "/var/lib");
}

static int open_store(struct store **out, const char *location, int read_only,
                      struct err *err)
{
	struct store *s;
	int error;

	if (location && is_postgres(location))
		return err_set(err, ERR_INVALID,
		               "PostgreSQL stores are not supported yet");
	s = xcalloc(1, sizeof(*s));
	s->ops = &store_sqlite_ops;
	s->location = location ? xstrdup(location) : default_path();
	if ((error = s->ops->open(&s->be, s->location,
	                          (read_only ? STORE_READ_ONLY : 0) |
	                                  (location ? 0 : STORE_DEFAULT),
	                          err))) {
		free(s->location);
		free(s);
		return error;
	}
	pthread_mutex_init(&s->lock, NULL);
	*out = s;
	return 0;
}

int store_open(struct store **out, const char *location, struct err *err)
{
	return open_store(out, location, 0, err);
}

int store_open_read(struct store **out, const char *location, struct err *err)
{
	return open_store(out, location, 1, err);
}

void store_free(struct store *s)
{
	if (!s)
		return;
	s->ops->close(s->be);
	pthread_mutex_destroy(&s->lock);
	free(s->location);
	free(s);
}

const char *store_path(const struct store *s)
{
	return s->location;
}

/* Runs one backend call under the store's mutex. */
#define CALL(s, op, ...)                                 \
	do {                                             \
		int call_error_;                         \
		pthread_mutex_lock(&(s)->lock);          \
		call_error_ = (s)->ops->op(__VA_ARGS__); \
		pthread_mutex_unlock(&(s)->lock);        \
		return call_error_;                      \
	} while (0)

int store_failed_get(char **hash, char **reason, struct store *s,
                     const char *service, struct err *err)
{
	int error;

	if ((error = NAME("service", service)))
		return error;
	CALL(s, failed_get, hash, reason, s->be, service, err);
}

int store_failed_set(struct store *s, const char *service, const char *hash,
                     const char *reason, struct err *err)
{
	int error;

	if ((error = NAME("service", service)) ||
	    (error = NAME("hash", hash)) ||
	    (error = OPT_TEXT("reason", reason)))
		return error;
	CALL(s, failed_set, s->be, service, hash, reason ? reason : "", now(),
	     err);
}

int store_failed_clear(struct store *s, const char *service, struct err *err)
{
	int error;

	if ((error = NAME("service", service)))
		return error;
	CALL(s, failed_clear, s->be, service, err);
}

int store_apply_record(struct store *s, const char *revision,
                       const char *result, const char *summary, struct err *err)
{
	int error;

	/* a one-shot run without git has no revision */
	if ((error = OPT_TEXT("revision", revision)) ||
	    (error = NAME("result", result)) ||
	    (error = OPT_TEXT("summary", summary)))
		return error;
	CALL(s, apply_record, s->be, revision ? revision : "", result,
	     summary ? summary : "", now(), err);
}

int store_reconcile_queue(struct store *s, int64_t *id, const char *trigger,
                          struct err *err)
{
	int error;

	if ((error = NAME("trigger", trigger)))
		return error;
	if (!one_of(trigger, triggers) &&
	    !(starts_with(trigger, "webhook:") && trigger[8]))
		return check_enum("trigger", trigger, triggers, err);
	CALL(s, reconcile_queue, s->be, id, trigger, now(), err);
}

int store_reconcile_start(struct store *s, int64_t id, const char *revision,
                          struct err *err)
{
	int error;

	if ((error = OPT_NAME("revision", revision)))
		return error;
	CALL(s, reconcile_start, s->be, id, revision, now(), err);
}

int store_reconcile_finish(struct store *s, int64_t id, const char *result,
                           int exit_code, const char *error_text,
                           const json_t *summary, struct err *err)
{
	int error;

	if ((error = check_enum("result", result, results, err)) ||
	    (error = OPT_TEXT("error", error_text)) ||
	    (error = check_json("summary", summary, 1, 1, err)))
		return error;
	if (exit_code < 0 || exit_code > 255)
		return err_set(err, ERR_INVALID,
		               "store: exit code %d is not 0 to 255",
		               exit_code);
	CALL(s, reconcile_finish, s->be, id, result, exit_code, error_text,
	     summary, now(), err);
}

int store_reconcile_action(struct store *s, int64_t id, const char *stack,
                           const char *op, const char *kind, const char *name,
                           const char *outcome, const char *error_text,
                           struct err *err)
{
	int error;

	if ((error = NAME("stack", stack)) || (error = NAME("op", op)) ||
	    (error = NAME("kind", kind)) || (error = NAME("name", name)) ||
	    (error = check_enum("outcome", outcome, outcomes, err)) ||
	    (error = OPT_TEXT("error", error_text)))
		return error;
	CALL(s, reconcile_action, s->be, id, stack, op, kind, name, outcome,
	     error_text, err);
}

int store_reconcile_get(json_t **out, struct store *s, int64_t id,
                        struct err *err)
{
	CALL(s, reconcile_get, out, s->be, id, err);
}

int store_reconcile_list(json_t **out, struct store *s, const char *stack,
                         size_t limit, struct err *err)
{
	int error;

	if ((error = OPT_NAME("stack", stack)))
		return error;
	CALL(s, reconcile_list, out, s->be, stack, list_limit(limit), err);
}

int store_reconcile_interrupt_all(struct store *s, size_t *n, struct err *err)
{
	CALL(s, reconcile_interrupt_all, s->be, n, now(), err);
}

int store_reconcile_prune(struct store *s, size_t keep, struct err *err)
{
	if (!keep)
		keep = 1000;
	if (keep > 10 * 1000 * 1000)
		return err_set(err, ERR_INVALID,
		               "store: cannot keep %zu reconciles (at most "
		               "10000000)",
		               keep);
	CALL(s, reconcile_prune, s->be, keep, err);
}

int store_stack_set(struct store *s, const char *stack, const char *status,
                    const char *reason, const char *revision, struct err *err)
{
	int error;

	if ((error = NAME("stack", stack)) ||
	    (error = check_enum("status", status, statuses, err)) ||
	    (error = OPT_TEXT("reason", reason)) ||
	    (error = OPT_NAME("revision", revision)))
		return error;
	CALL(s, stack_set, s->be, stack, status, reason, revision, now(), err);
}

int store_stack_suspend(struct store *s, const char *stack, int suspended,
                        struct err *err)
{
	int error;

	if ((error = NAME("stack", stack)))
		return error;
	CALL(s, stack_suspend, s->be, stack, !!suspended, now(), err);
}

int store_stack_list(json_t **out, struct store *s, struct err *err)
{
	CALL(s, stack_list, out, s->be, err);
}

int store_stack_get(json_t **out, struct store *s, const char *stack,
                    struct err *err)
{
	int error;

	if ((error = NAME("stack", stack)))
		return error;
	CALL(s, stack_get, out, s->be, stack, err);
}

int store_stack_forget(struct store *s, const char *stack, struct err *err)
{
	int error;

	if ((error = NAME("stack", stack)))
		return error;
	CALL(s, stack_forget, s->be, stack, err);
}

int store_drift_record(struct store *s, int64_t reconcile_id, const char *stack,
                       const char *kind, const char *object,
                       const json_t *fields, const char *action,
                       struct err *err)
{
	int error;

	if ((error = NAME("stack", stack)) || (error = NAME("kind", kind)) ||
	    (error = NAME("object", object)) ||
	    (error = check_json("fields", fields, 0, 1, err)) ||
	    (error = check_enum("drift action", action, drift_actions, err)))
		return error;
	CALL(s, drift_record, s->be, reconcile_id, stack, kind, object, fields,
	     action, now(), err);
}

int store_drift_list(json_t **out, struct store *s, const char *stack,
                     size_t limit, struct err *err)
{
	int error;

	if ((error = OPT_NAME("stack", stack)))
		return error;
	CALL(s, drift_list, out, s->be, stack, list_limit(limit), err);
}

int store_approval_add(struct store *s, const char *id, const char *revision,
                       const json_t *plan, struct err *err)
{
	int error;

	if ((error = NAME("plan id", id)) ||
	    (error = NAME("revision", revision)) ||
	    (error = check_json("plan", plan, 1, 0, err)))
		return error;
	CALL(s, approval_add, s->be, id, revision, plan, now(), err);
}

int store_approval_get(json_t **out, struct store *s, const char *id,
                       struct err *err)
{
	int error;

	if ((error = NAME("plan id", id)))
		return error;
	CALL(s, approval_get, out, s->be, id, err);
}

int store_approval_set(struct store *s, const char *id, const char *state,
                       struct err *err)
{
	int error;

	if ((error = NAME("plan id", id)) ||
	    (error = check_enum("approval state", state, approval_states, err)))
		return error;
	CALL(s, approval_set, s->be, id, state, now(), err);
}

int store_approval_pending(json_t **out, struct store *s, struct err *err)
{
	CALL(s, approval_pending, out, s->be, err);
}

int store_token_add(struct store *s, const char *name, const char *hash,
                    const char *scope, struct err *err)
{
	int error;

	if ((error = NAME("name", name)) || (error = NAME("hash", hash)) ||
	    (error = NAME("scope", scope)))
		return error;
	CALL(s, token_add, s->be, name, hash, scope, now(), err);
}

int store_token_list(json_t **out, struct store *s, struct err *err)
{
	CALL(s, token_list, out, s->be, err);
}

int store_token_revoke(struct store *s, const char *name, struct err *err)
{
	int error;

	if ((error = NAME("name", name)))
		return error;
	CALL(s, token_revoke, s->be, name, now(), err);
}

int store_token_find(json_t **out, struct store *s, const char *hash,
                     struct err *err)
{
	int error;

	if ((error = NAME("hash", hash)))
		return error;
	CALL(s, token_find, out, s->be, hash, now(), err);
}

int store_audit(struct store *s, const char *source, const char *who,
                const char *what, const char *result, struct err *err)
{
	int error;

	if ((error = NAME("source", source)) || (error = NAME("who", who)) ||
	    (error = NAME("what", what)) || (error = NAME("result", result)))
		return error;
	CALL(s, audit, s->be, source, who, what, result, now(), err);
}

int store_audit_list(json_t **out, struct store *s, size_t limit,
                     struct err *err)
{
	CALL(s, audit_list, out, s->be, list_limit(limit), err);
}
