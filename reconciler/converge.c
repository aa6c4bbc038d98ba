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

/* Updates one item from its service object; returns 1 when it changed. */
static int observe(struct converge_item *it, const json_t *svc)
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
	int changed = running != it->running || desired != it->desired;

	it->running = running;
	it->desired = desired;
	it->polls++;
	if (changed)
		it->shown = 0;
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
	if (before != it->state)
		it->shown = 0;
	return !it->shown;
}

/*
 * On a terminal every line is redrawn in place; otherwise (logs, CI) only the
 * services whose line changed are printed, each as a plain line.
 */
static void show(struct converge *c, FILE *fp, int tty, int redraw)
{
	if (tty && redraw)
		fprintf(fp, "\033[%zuA", c->nr);
	for (size_t i = 0; i < c->nr; i++) {
		struct converge_item *it = &c->items[i];

		if (!tty && it->shown)
			continue;
		it->shown = 1;
		fprintf(fp, "%s  %-40s %ld/%ld running  %s%s%s%s\n",
		        tty ? "\033[2K" : "", it->name, it->running,
		        it->desired, converge_state_name(it->state),
		        it->detail ? " (" : "", it->detail ? it->detail : "",
		        it->detail ? ")" : "");
	}
	fflush(fp);
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
static int poll_once(struct converge *c, struct docker *d, int *changed,
                     struct err *err)
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
			*changed |= it->state != CONVERGE_GONE;
			it->state = CONVERGE_GONE;
			continue;
		}
		*changed |= observe(it, svc);
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

int converge_wait(struct converge *c, struct docker *d, long timeout_sec,
                  FILE *progress, int tty, struct err *err)
{
	struct timespec start, now;
	int shown = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		int changed = 0, pending = poll_once(c, d, &changed, err);

		if (pending < 0)
			return pending;
		if (progress && (changed || tty)) {
			show(c, progress, tty, shown);
			shown = 1;
		}
		if (!pending)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= timeout_sec) {
			for (size_t i = 0; i < c->nr; i++)
				if (c->items[i].state == CONVERGE_PENDING)
					c->items[i].state = CONVERGE_TIMEOUT;
			explain(c, d);
			if (progress)
				show(c, progress, tty, shown);
			break;
		}
		nanosleep(&(struct timespec){0, POLL_MS * 1000000L}, NULL);
	}
	return 0;
}
