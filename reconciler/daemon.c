/*
 * daemon.c: the controller loop declared in daemon.h: triggers and their
 * coalescing, the event follower, the loop, and what the API reads.
 *
 * Threads. daemon_run's thread is the only one that reconciles
 * (daemon_cycle, daemon-cycle.c): it alone touches the loaded desired
 * state, the Docker connection and the plan. The event follower (its own
 * thread and its own Docker connection) and the HTTP handlers only queue
 * triggers and read what the loop published under d->mu: the tracked
 * revision, the stack names, the last result. The store is safe to share
 * (store.h).
 */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "converge.h"
#include "daemon-int.h"
#include "desired.h"
#include "docker.h"
#include "err.h"
#include "log.h"
#include "metrics.h"
#include "schema.h"
#include "source.h"
#include "store.h"

int64_t daemon_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double daemon_wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* interval +- 10 % */
static int64_t jittered(struct daemon *d)
{
	int64_t base = (int64_t)d->o.interval_sec * 1000;
	int64_t span = base / 5;

	if (span <= 0)
		return base;
	return base - span / 2 + (int64_t)(rand_r(&d->seed) % (span + 1));
}

static const double duration_buckets[] = {0.05, 0.1, 0.25, 0.5, 1,   2.5,
                                          5,    10,  30,   60,  300, 900};

static void declare_metrics(struct metrics *m)
{
	const char *build[] = {"version", KEDGE_VERSION, NULL};

	metrics_declare(m, "kedge_build_info", METRIC_GAUGE,
	                "kedge's version; always 1.", NULL, 0);
	metrics_declare(m, "kedge_reconcile_total", METRIC_COUNTER,
	                "Reconciles finished, by result.", NULL, 0);
	metrics_declare(m, "kedge_reconcile_duration_seconds", METRIC_HISTOGRAM,
	                "How long a reconcile took.", duration_buckets,
	                ARRAY_SIZE(duration_buckets));
	metrics_declare(m, "kedge_git_fetch_duration_seconds", METRIC_HISTOGRAM,
	                "How long checking (and fetching) the remote took.",
	                duration_buckets, ARRAY_SIZE(duration_buckets));
	metrics_declare(m, "kedge_git_errors_total", METRIC_COUNTER,
	                "Checks or fetches of the remote that failed.", NULL,
	                0);
	metrics_declare(m, "kedge_drift_events_total", METRIC_COUNTER,
	                "Objects found changed by hand, by stack.", NULL, 0);
	metrics_declare(m, "kedge_webhook_requests_total", METRIC_COUNTER,
	                "Webhook requests, by provider and result.", NULL, 0);
	metrics_declare(m, "kedge_stack_status", METRIC_GAUGE,
	                "1 for each stack's current status.", NULL, 0);
	metrics_declare(m, "kedge_applied_revision_info", METRIC_GAUGE,
	                "The commit last applied; always 1.", NULL, 0);
	metrics_declare(
	        m, "kedge_last_reconcile_timestamp_seconds", METRIC_GAUGE,
	        "When the last reconcile finished (UNIX time).", NULL, 0);
	metrics_declare(m, "kedge_event_stream_up", METRIC_GAUGE,
	                "1 while the Engine API event stream is followed.",
	                NULL, 0);
	daemon_prom_declare(m);
	metrics_set(m, "kedge_build_info", build, 1);
	metrics_set(m, "kedge_event_stream_up", NULL, 0);
}

int daemon_new(struct daemon **out, const struct daemon_opts *o,
               struct err *err)
{
	struct daemon *d = xcalloc(1, sizeof(*d));
	int error;

	d->o = *o;
	if (d->o.interval_sec <= 0)
		d->o.interval_sec = 180;
	if (d->o.drift_debounce_ms <= 0)
		d->o.drift_debounce_ms = DEFAULT_DEBOUNCE_MS;
	if (!d->o.keep_reconciles)
		d->o.keep_reconciles = 1000;
	d->schemas = schema_new();
	error = schema_add_dir(d->schemas, o->schema_dir, err);
	if (error) {
		err_prefix(err,
		           "cannot load the schemas from '%s' (set "
		           "--schema-dir or KEDGE_SCHEMA_DIR)",
		           o->schema_dir);
		schema_free(d->schemas);
		free(d);
		return error;
	}
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	d->applied = json_object();
	d->failures = json_object();
	d->was_stalled = json_object();
	d->names = json_object();
	d->own_writes = json_object();
	d->seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	if (o->src.ref && *o->src.ref)
		d->branch = xstrdup(starts_with(o->src.ref, "refs/heads/")
		                            ? o->src.ref + 11
		                            : o->src.ref);
	declare_metrics(o->metrics);
	*out = d;
	return 0;
}

void daemon_loaded_free(struct loaded *l)
{
	if (!l)
		return;
	desired_free(l->desired);
	source_free(l->src);
	json_decref(l->stacks);
	json_decref(l->errors);
	json_decref(l->drift_mode);
	free(l->repo_error);
	free(l);
}

void daemon_free(struct daemon *d)
{
	if (!d)
		return;
	daemon_loaded_free(d->cur);
	docker_free(d->docker);
	schema_free(d->schemas);
	json_decref(d->applied);
	json_decref(d->failures);
	json_decref(d->was_stalled);
	json_decref(d->names);
	json_decref(d->own_writes);
	free(d->prom_message);
	free(d->branch);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->cv);
	free(d);
}

/* ---- triggers ---------------------------------------------------------- */

static int queue_locked(struct daemon *d, const char *trigger, int64_t *id,
                        struct err *err)
{
	int error;

	if (d->queued_id) {
		if (id)
			*id = d->queued_id;
		return 0;
	}
	error = store_reconcile_queue(d->o.store, &d->queued_id, trigger, err);
	if (error) {
		d->queued_id = 0;
		return error;
	}
	snprintf(d->queued_trigger, sizeof(d->queued_trigger), "%s", trigger);
	log_info("daemon", "reconcile queued id=%lld trigger=%s",
	         (long long)d->queued_id, trigger);
	if (id)
		*id = d->queued_id;
	pthread_cond_signal(&d->cv);
	return 0;
}

int daemon_trigger(struct daemon *d, const char *trigger, int64_t *id,
                   struct err *err)
{
	int error;

	pthread_mutex_lock(&d->mu);
	error = d->stopping ? err_set(err, ERR_CANCELED, "kedge is stopping")
	                    : queue_locked(d, trigger, id, err);
	pthread_mutex_unlock(&d->mu);
	return error;
}

void daemon_stop(struct daemon *d)
{
	pthread_mutex_lock(&d->mu);
	d->stopping = 1;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

int daemon_stopping(void *ctx)
{
	struct daemon *d = ctx;
	int s;

	pthread_mutex_lock(&d->mu);
	s = d->stopping;
	pthread_mutex_unlock(&d->mu);
	return s;
}

/* Which stack of the current commit an object name belongs to. */
static int owned_name_locked(struct daemon *d, const char *name)
{
	const char *stack;
	json_t *v;

	json_object_foreach (d->names, stack, v) {
		size_t n = strlen(stack);

		if (!strncmp(name, stack, n) && name[n] == '_')
			return 1;
	}
	return 0;
}

void daemon_event(struct daemon *d, const char *kind, const char *name)
{
	int64_t now = daemon_now_ms();

	if (!name)
		return;
	pthread_mutex_lock(&d->mu);
	if (!strcmp(kind, "node") ? !d->has_nodes
	                          : !owned_name_locked(d, name)) {
		pthread_mutex_unlock(&d->mu);
		return;
	}
	if (now < d->own_until_ms && json_object_get(d->own_writes, name)) {
		/*
		 * While kedge applies, an event for what it writes is its own.
		 * In the grace after, it may be a trailing one of kedge's or a
		 * change by hand: check once the grace is over.
		 */
		log_debug("daemon", "own write kind=%s name=%s", kind, name);
		if (d->own_until_ms != INT64_MAX &&
		    (!d->drift_at_ms || d->drift_at_ms < d->own_until_ms)) {
			d->drift_at_ms = d->own_until_ms;
			pthread_cond_signal(&d->cv);
		}
		pthread_mutex_unlock(&d->mu);
		return;
	}
	log_info("daemon", "changed on the swarm kind=%s name=%s", kind, name);
	if (!d->drift_at_ms)
		d->drift_at_ms = now + d->o.drift_debounce_ms;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

void daemon_events_connected(struct daemon *d, int connected)
{
	struct err e;

	pthread_mutex_lock(&d->mu);
	if (connected && !d->events_up && d->ready) {
		/* what happened while the stream was down is not known */
		err_clear(&e);
		if (queue_locked(d, "events", NULL, &e))
			log_warn("daemon", "%s", e.msg);
	}
	d->events_up = connected;
	pthread_mutex_unlock(&d->mu);
	metrics_set(d->o.metrics, "kedge_event_stream_up", NULL, connected);
}

/* ---- the event follower -------------------------------------------------- */

static int on_event(void *ctx, const json_t *ev)
{
	struct daemon *d = ctx;
	const char *type = json_string_value(json_object_get(ev, "Type"));
	const json_t *attrs =
	        json_object_get(json_object_get(ev, "Actor"), "Attributes");

	const char *action = json_string_value(json_object_get(ev, "Action"));

	/* a task joining or leaving a network is not a change of it */
	if (action &&
	    (!strcmp(action, "connect") || !strcmp(action, "disconnect")))
		return 0;
	if (type)
		daemon_event(d, type,
		             json_string_value(json_object_get(attrs, "name")));
	return 0;
}

static void *follow_events(void *arg)
{
	struct daemon *d = arg;
	int64_t delay = 500;

	while (!daemon_stopping(d)) {
		struct docker *dk = NULL;
		json_t *info = NULL;
		struct err e;
		int error;

		err_clear(&e);
		error = docker_open(&dk, d->o.docker_host, &e);
		if (!error)
			error = docker_info(&info, dk, &e);
		json_decref(info);
		if (!error) {
			log_info("daemon", "following the Engine API events");
			daemon_events_connected(d, 1);
			delay = 500;
			error = docker_events_follow(dk, on_event,
			                             daemon_stopping, d, &e);
			daemon_events_connected(d, 0);
		}
		docker_free(dk);
		if (error == ERR_CANCELED || daemon_stopping(d))
			break;
		log_warn("daemon", "event stream: %s; retrying in %lldms",
		         e.msg, (long long)delay);
		if (converge_sleep((long)delay, daemon_stopping, d))
			break;
		delay = delay * 2 > EVENTS_RETRY_MAX_MS ? EVENTS_RETRY_MAX_MS
		                                        : delay * 2;
	}
	return NULL;
}

/* ---- the loop ------------------------------------------------------------ */

static void wait_until(struct daemon *d, int64_t when)
{
	struct timespec ts;
	int64_t delta = when - daemon_now_ms();

	if (delta <= 0)
		return;
	/* condition variables wait on CLOCK_REALTIME by default; a jump of
	 * the wall clock only wakes the loop early or late once */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += delta / 1000;
	ts.tv_nsec += (delta % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&d->cv, &d->mu, &ts);
}

static int64_t earliest(const struct daemon *d)
{
	int64_t t = d->next_check_ms;

	if (d->drift_at_ms && d->drift_at_ms < t)
		t = d->drift_at_ms;
	if (d->retry_at_ms && d->retry_at_ms < t)
		t = d->retry_at_ms;
	return t;
}

int daemon_run(struct daemon *d)
{
	struct err e;
	size_t n = 0;

	err_clear(&e);
	if (store_reconcile_interrupt_all(d->o.store, &n, &e))
		log_warn("daemon", "%s", e.msg);
	else if (n)
		log_warn("daemon",
		         "%zu reconcile%s of an earlier run did not finish; "
		         "marked interrupted",
		         n, n == 1 ? "" : "s");
	if (!pthread_create(&d->events, NULL, follow_events, d))
		d->events_started = 1;
	else
		log_error("daemon", "cannot start the event follower");
	pthread_mutex_lock(&d->mu);
	err_clear(&e);
	if (queue_locked(d, "start", NULL, &e))
		log_error("daemon", "%s", e.msg);
	while (!d->stopping) {
		int64_t now = daemon_now_ms(), id;
		char trigger[64];

		if (!d->queued_id) {
			const char *why = NULL;

			if (d->drift_at_ms && now >= d->drift_at_ms)
				why = "drift";
			else if (d->retry_at_ms && now >= d->retry_at_ms)
				why = "retry";
			else if (now >= d->next_check_ms)
				why = "interval";
			err_clear(&e);
			if (why && queue_locked(d, why, NULL, &e)) {
				log_error("daemon", "%s", e.msg);
				/* the store is down: try again later */
				d->next_check_ms = now + BACKOFF_MIN_MS;
				d->drift_at_ms = d->retry_at_ms = 0;
			}
		}
		if (!d->queued_id) {
			wait_until(d, earliest(d));
			continue;
		}
		id = d->queued_id;
		snprintf(trigger, sizeof(trigger), "%s", d->queued_trigger);
		d->queued_id = 0;
		d->running_id = id;
		d->drift_at_ms = 0;
		d->retry_at_ms = 0;
		pthread_mutex_unlock(&d->mu);
		daemon_cycle(d, id, trigger);
		pthread_mutex_lock(&d->mu);
		d->running_id = 0;
		d->next_check_ms = daemon_now_ms() + jittered(d);
	}
	pthread_mutex_unlock(&d->mu);
	if (d->events_started)
		pthread_join(d->events, NULL);
	/* a trigger queued but never started */
	if (d->queued_id) {
		err_clear(&e);
		if (store_reconcile_interrupt_all(d->o.store, &n, &e))
			log_warn("daemon", "%s", e.msg);
	}
	return 0;
}

/* ---- what the API reads and asks ----------------------------------------- */

int daemon_ready(struct daemon *d)
{
	int r;

	pthread_mutex_lock(&d->mu);
	r = d->ready;
	pthread_mutex_unlock(&d->mu);
	return r;
}

char *daemon_branch(struct daemon *d)
{
	char *b;

	pthread_mutex_lock(&d->mu);
	b = d->branch ? xstrdup(d->branch) : NULL;
	pthread_mutex_unlock(&d->mu);
	return b;
}

json_t *daemon_status(struct daemon *d)
{
	json_t *st, *stacks = NULL, *pending = NULL, *last = NULL, *row;
	int64_t last_id, next;
	struct err e;
	size_t i;

	err_clear(&e);
	pthread_mutex_lock(&d->mu);
	next = d->next_check_ms - daemon_now_ms();
	st = json_pack(
	        "{s:s, s:s, s:s?, s:s?, s:b, s:b, s:b, s:I, s:I}", "version",
	        KEDGE_VERSION, "instance", *d->instance ? d->instance : "kedge",
	        "repo", d->o.repo_display, "ref", d->branch, "ready", d->ready,
	        "reconciling", d->running_id != 0, "events", d->events_up,
	        "interval_seconds", (json_int_t)d->o.interval_sec,
	        "next_check_seconds", (json_int_t)(next > 0 ? next / 1000 : 0));
	json_object_set_new(st, "revision",
	                    *d->revision ? json_string(d->revision)
	                                 : json_null());
	last_id = d->last_id;
	if (d->running_id)
		json_object_set_new(st, "running", json_integer(d->running_id));
	/* a reconcile queued, or a drift check due after the debounce */
	json_object_set_new(st, "pending",
	                    json_boolean(d->queued_id || d->drift_at_ms));
	pthread_mutex_unlock(&d->mu);
	if (last_id && store_reconcile_get(&last, d->o.store, last_id, &e))
		last = NULL;
	json_object_set_new(st, "last_reconcile", last ? last : json_null());
	if (store_stack_list(&stacks, d->o.store, &e))
		stacks = json_array();
	pthread_mutex_lock(&d->mu);
	json_array_foreach (stacks, i, row) {
		const char *name =
		        json_string_value(json_object_get(row, "stack"));
		const char *mode = json_string_value(
		        json_object_get(d->names, name ? name : ""));

		json_object_set_new(row, "drift",
		                    json_string(mode ? mode : "repair"));
	}
	pthread_mutex_unlock(&d->mu);
	json_object_set_new(st, "stacks", stacks);
	if (store_approval_pending(&pending, d->o.store, &e))
		pending = json_array();
	json_object_set_new(st, "pending_approvals", pending);
	json_object_set_new(st, "prometheus", daemon_prom_status(d));
	return st;
}

int daemon_suspend(struct daemon *d, const char *stack, int suspended,
                   struct err *err)
{
	json_t *row = NULL;
	int known, error;

	pthread_mutex_lock(&d->mu);
	known = json_object_get(d->names, stack) != NULL;
	pthread_mutex_unlock(&d->mu);
	if (!known && store_stack_get(&row, d->o.store, stack, err))
		return err_set(err, ERR_NOTFOUND,
		               "no stack '%s' in the desired state", stack);
	json_decref(row);
	error = store_stack_suspend(d->o.store, stack, suspended, err);
	if (error)
		return error;
	if (suspended)
		error = store_stack_set(d->o.store, stack, "Suspended",
		                        "suspended by request", NULL, err);
	log_info("daemon", "stack %s stack=%s",
	         suspended ? "suspended" : "resumed", stack);
	if (!error && !suspended)
		error = daemon_trigger(d, "resume", NULL, err);
	return error;
}

int daemon_approve(struct daemon *d, const char *plan_id, int64_t *id,
                   struct err *err)
{
	json_t *a = NULL;
	const char *state;
	int error;

	error = store_approval_get(&a, d->o.store, plan_id, err);
	if (error)
		return error;
	state = json_string_value(json_object_get(a, "state"));
	if (state && !strcmp(state, "superseded"))
		error = err_set(err, ERR_CONFLICT,
		                "plan %s was superseded by a newer commit",
		                plan_id);
	else if (state && !strcmp(state, "applied"))
		error = err_set(err, ERR_CONFLICT,
		                "plan %s was already applied", plan_id);
	json_decref(a);
	if (!error)
		error = store_approval_set(d->o.store, plan_id, "approved",
		                           err);
	if (!error) {
		log_info("daemon", "plan approved plan=%s", plan_id);
		error = daemon_trigger(d, "approve", id, err);
	}
	return error;
}
