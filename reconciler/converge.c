/*
 * converge.c: convergence waiting, declared in converge.h.
 *
 * A change that restarts no task (labels, replicas only) leaves
 * UpdateStatus absent, so "no update status" counts as completed and only
 * the task counts decide. An automatic rollback puts the old spec back and
 * its state names it; that is a failure even when the tasks then run.
 */
#include <jansson.h>
#include <time.h>

#include "converge.h"
#include "docker.h"
#include "err.h"
#include "log.h"

#define POLL_MS 1000
/* How often a sleep asks the cancel hook. */
#define SLEEP_SLICE_MS 100
/* Polls to wait for a rollout's UpdateStatus before trusting its absence. */
#define ROLLOUT_GRACE_POLLS 5

void converge_add(struct converge *c, const char *name, int job, int rollout)
{
	struct converge_item *it;

	c->items = xrealloc(c->items, (c->nr + 1) * sizeof(*c->items));
	it = &c->items[c->nr++];
	memset(it, 0, sizeof(*it));
	it->name = xstrdup(name);
	it->job = job;
	it->rollout = rollout;
}

void converge_release(struct converge *c)
{
	for (size_t i = 0; i < c->nr; i++) {
		free(c->items[i].name);
		free(c->items[i].detail);
	}
	free(c->items);
	memset(c, 0, sizeof(*c));
}

const char *converge_state_name(enum converge_state s)
{
	switch (s) {
	case CONVERGE_PENDING:
		return "converging";
	case CONVERGE_DONE:
		return "converged";
	case CONVERGE_ROLLED_BACK:
		return "rolled back";
	case CONVERGE_PAUSED:
		return "update paused";
	case CONVERGE_TIMEOUT:
		return "not converged";
	case CONVERGE_GONE:
		return "gone";
	}
	return "?";
}

size_t converge_failures(const struct converge *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nr; i++)
		n += c->items[i].state != CONVERGE_DONE;
	return n;
}

static void set_detail(struct converge_item *it, const char *s)
{
	free(it->detail);
	it->detail = s && *s ? xstrdup(s) : NULL;
}

/* Updates one item from its service object, setting it->changed. */
static void observe(struct converge_item *it, const json_t *svc)
{
	const json_t *us = json_object_get(svc, "UpdateStatus");
	const json_t *ss = json_object_get(svc, "ServiceStatus");
	const char *state = json_string_value(json_object_get(us, "State"));
	const char *msg = json_string_value(json_object_get(us, "Message"));
	enum converge_state before = it->state;
	long running =
	        (long)json_integer_value(json_object_get(ss, "RunningTasks"));
	long desired =
	        (long)json_integer_value(json_object_get(ss, "DesiredTasks"));
	char *detail_before = it->detail ? xstrdup(it->detail) : NULL;
	int changed =
	        running != it->running || desired != it->desired || !it->polls;

	it->running = running;
	it->desired = desired;
	it->polls++;
	if (state)
		it->rollout = 0;
	if (state && starts_with(state, "rollback")) {
		it->state = CONVERGE_ROLLED_BACK;
		set_detail(it, msg ? msg : state);
	} else if (state && !strcmp(state, "paused")) {
		it->state = CONVERGE_PAUSED;
		set_detail(it, msg ? msg : state);
	} else if (state && !strcmp(state, "updating")) {
		it->state = CONVERGE_PENDING;
		set_detail(it, "updating");
	} else if (it->rollout && !state && it->polls < ROLLOUT_GRACE_POLLS) {
		it->state = CONVERGE_PENDING;
	} else if (it->job || running == desired) {
		it->state = CONVERGE_DONE;
		set_detail(it, NULL);
	} else {
		it->state = CONVERGE_PENDING;
	}
	changed |= before != it->state;
	changed |= !detail_before != !it->detail ||
	           (detail_before && strcmp(detail_before, it->detail));
	free(detail_before);
	it->changed = changed;
}

static const json_t *find_service(const json_t *list, const char *name)
{
	const json_t *s;
	size_t i;

	json_array_foreach (list, i, s) {
		const char *n = json_string_value(
		        json_object_get(json_object_get(s, "Spec"), "Name"));

		if (n && !strcmp(n, name))
			return s;
	}
	return NULL;
}

/* One poll; returns the number of items still pending, or an error. */
static int poll_once(struct converge *c, struct docker *d, struct err *err)
{
	json_t *list = NULL;
	int pending = 0, error;

	error = docker_services_list(&list, d, NULL, 1, err);
	if (error)
		return error;
	for (size_t i = 0; i < c->nr; i++) {
		struct converge_item *it = &c->items[i];
		const json_t *svc = find_service(list, it->name);

		if (!svc) {
			it->changed = it->state != CONVERGE_GONE;
			it->state = CONVERGE_GONE;
			continue;
		}
		observe(it, svc);
		pending += it->state == CONVERGE_PENDING;
	}
	json_decref(list);
	return pending;
}

/* For services that did not converge, the newest task error says why. */
static void explain(struct converge *c, struct docker *d)
{
	for (size_t i = 0; i < c->nr; i++) {
		struct converge_item *it = &c->items[i];
		json_t *tasks = NULL, *t;
		const char *why = NULL, *newest = "";
		size_t k;
		struct err e;

		if (it->state != CONVERGE_TIMEOUT || it->detail)
			continue;
		if (docker_tasks_list(&tasks, d, it->name, NULL, &e))
			continue;
		json_array_foreach (tasks, k, t) {
			const json_t *st = json_object_get(t, "Status");
			const char *msg =
			        json_string_value(json_object_get(st, "Err"));
			const char *ts = json_string_value(
			        json_object_get(st, "Timestamp"));

			if (msg && ts && strcmp(ts, newest) > 0) {
				why = msg;
				newest = ts;
			}
		}
		if (why)
			set_detail(it, why);
		json_decref(tasks);
	}
}

long long converge_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int converge_sleep(long ms, int (*cancel)(void *ctx), void *ctx)
{
	long long end = converge_now_ms() + ms;

	for (;;) {
		long long left = end - converge_now_ms();

		if (cancel && cancel(ctx))
			return ERR_CANCELED;
		if (left <= 0)
			return 0;
		if (left > SLEEP_SLICE_MS)
			left = SLEEP_SLICE_MS;
		nanosleep(&(struct timespec){0, (long)left * 1000000L}, NULL);
	}
}

static void report(const struct converge_hooks *h, struct converge *c,
                   int final)
{
	if (h && h->progress)
		h->progress(h->ctx, c, final);
	for (size_t i = 0; i < c->nr; i++)
		c->items[i].changed = 0;
}

int converge_wait(struct converge *c, struct docker *d, long timeout_sec,
                  const struct converge_hooks *h, struct err *err)
{
	long long deadline = converge_now_ms() + timeout_sec * 1000LL;

	for (;;) {
		int pending = poll_once(c, d, err);
		int late = converge_now_ms() >= deadline;

		if (pending < 0 && late)
			return pending;
		if (pending < 0) {
			/* One failed list call (a daemon restarting, a proxy
			 * hiccup) is not the outcome of the rollout. */
			log_warn("converge",
			         "cannot list services, retrying: %s",
			         err ? err->msg : err_str(pending));
		} else if (!pending) {
			break;
		} else if (late) {
			for (size_t i = 0; i < c->nr; i++)
				if (c->items[i].state == CONVERGE_PENDING) {
					c->items[i].state = CONVERGE_TIMEOUT;
					c->items[i].changed = 1;
				}
			explain(c, d);
			break;
		} else {
			report(h, c, 0);
		}
		if (converge_sleep(POLL_MS, h ? h->cancel : NULL,
		                   h ? h->ctx : NULL))
			return err_set(
			        err, ERR_CANCELED,
			        "canceled while waiting for convergence");
	}
	report(h, c, 1);
	return 0;
}
