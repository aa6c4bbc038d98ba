/*
 * daemon-prom.c: the Prometheus part of a daemon cycle, after the Swarm
 * part (daemon-cycle.c calls daemon_prom_cycle).
 *
 * Every cycle compares the commit's rules (and Alertmanager's config)
 * with the live ones, also when the Swarm part had nothing to do: a file
 * edited or deleted in the rules folder, or a Prometheus that has not
 * loaded kedge's files, is drift and is repaired (recorded, counted and
 * notified like a stack's). Its status ("prometheus": Ready or Stalled)
 * is kept here for GET /api/v1/status, in the metrics and in each
 * reconcile's summary; a failure backs off with the stacks' schedule.
 */
#include <time.h>

#include "daemon-int.h"
#include "diag.h"
#include "err.h"
#include "log.h"
#include "metrics.h"
#include "promplan.h"
#include "store.h"

void daemon_prom_declare(struct metrics *m)
{
	metrics_declare(m, "kedge_prometheus_status", METRIC_GAUGE,
	                "1 for the Prometheus part's current status.", NULL, 0);
	metrics_declare(m, "kedge_prometheus_applies_total", METRIC_COUNTER,
	                "Applies of rules and Alertmanager's config, by "
	                "result.",
	                NULL, 0);
	metrics_declare(m, "kedge_prometheus_last_apply_timestamp_seconds",
	                METRIC_GAUGE,
	                "When Prometheus last loaded what kedge wrote (UNIX "
	                "time).",
	                NULL, 0);
}

static int is_drift(const struct rules_change *c)
{
	return !strcmp(c->kind, "prometheus") ||
	       (!strcmp(c->kind, "file") && c->detail &&
	        strstr(c->detail, "outside kedge"));
}

static void record_drift(struct daemon *d, int64_t id,
                         const struct promplan *pp)
{
	size_t n, i;
	const struct rules_change *ch = rules_plan_changes(pp->rules, &n);
	struct err e;

	for (i = 0; i < n; i++) {
		char *text;

		if (!is_drift(&ch[i]))
			continue;
		err_clear(&e);
		if (store_drift_record(d->o.store, id, "prometheus", ch[i].kind,
		                       ch[i].name, NULL, "repaired", &e))
			log_warn("daemon", "%s", e.msg);
		metrics_add(d->o.metrics, "kedge_drift_events_total",
		            (const char *[]){"stack", "prometheus", NULL}, 1);
		log_info("daemon",
		         "drift stack=prometheus kind=%s object=%s "
		         "detail=\"%s\" action=repaired",
		         ch[i].kind, ch[i].name, ch[i].detail);
		if (d->o.notify) {
			text = xasprintf("%s %s: %s; repaired", ch[i].kind,
			                 ch[i].name, ch[i].detail);
			d->o.notify(d->o.notify_ctx, "drift", "prometheus",
			            text);
			free(text);
		}
	}
}

static void set_status(struct daemon *d, const char *status,
                       const char *message)
{
	int was_stalled;

	pthread_mutex_lock(&d->mu);
	was_stalled = !strcmp(d->prom_status, "Stalled");
	snprintf(d->prom_status, sizeof(d->prom_status), "%s", status);
	free(d->prom_message);
	d->prom_message = message ? xstrdup(message) : NULL;
	if (!strcmp(status, "Ready"))
		snprintf(d->prom_revision, sizeof(d->prom_revision), "%s",
		         d->cur->revision);
	pthread_mutex_unlock(&d->mu);
	metrics_reset(d->o.metrics, "kedge_prometheus_status");
	metrics_set(d->o.metrics, "kedge_prometheus_status",
	            (const char *[]){"status", status, NULL}, 1);
	if (!d->o.notify)
		return;
	if (message)
		d->o.notify(d->o.notify_ctx, "failure", "prometheus", message);
	else if (was_stalled)
		d->o.notify(d->o.notify_ctx, "recovery", "prometheus",
		            "Prometheus has loaded the commit's rules again");
}

json_t *daemon_prom_cycle(struct daemon *d, int64_t id, char **error_out)
{
	struct promplan pp;
	struct diag diag = DIAG_INIT;
	const char *result = "noop";
	size_t changes = 0;
	struct err e;
	int error;

	*error_out = NULL;
	if (!promplan_managed(&d->o.prom) || !d->cur)
		return NULL;
	err_clear(&e);
	error = promplan_build(&pp, d->cur->desired, &d->o.prom, &diag, &e);
	for (size_t i = 0; !error && i < diag.nr; i++)
		if (diag.items[i].severity == DIAG_ERROR)
			error = err_set(&e, ERR_INVALID, "%s:%u: %s",
			                diag.items[i].file, diag.items[i].line,
			                diag.items[i].message);
	if (!error && !promplan_empty(&pp)) {
		changes = promplan_count(&pp);
		record_drift(d, id, &pp);
		error = promplan_apply(&pp, &d->o.prom, &e);
		result = error ? "failed" : "ok";
		metrics_add(d->o.metrics, "kedge_prometheus_applies_total",
		            (const char *[]){"result", result, NULL}, 1);
		if (!error)
			metrics_set(
			        d->o.metrics,
			        "kedge_prometheus_last_apply_timestamp_seconds",
			        NULL, (double)time(NULL));
	}
	if (error) {
		result = "failed";
		*error_out = xasprintf("the Prometheus part: %s", e.msg);
		d->prom_failures++;
		set_status(d, "Stalled", *error_out);
		log_warn("daemon", "%s", *error_out);
	} else {
		d->prom_failures = 0;
		set_status(d, "Ready", NULL);
		if (changes)
			log_info(
			        "daemon",
			        "prometheus applied changes=%zu revision=%.12s",
			        changes, d->cur->revision);
	}
	promplan_release(&pp);
	diag_release(&diag);
	return json_pack("{s:s, s:I, s:s?}", "result", result, "changes",
	                 (json_int_t)changes, "error", *error_out);
}

json_t *daemon_prom_status(struct daemon *d)
{
	json_t *st;

	if (!promplan_managed(&d->o.prom))
		return json_pack("{s:b}", "managed", 0);
	pthread_mutex_lock(&d->mu);
	st = json_pack("{s:b, s:s, s:s?, s:s?, s:s?, s:s?}", "managed", 1,
	               "status", *d->prom_status ? d->prom_status : "Unknown",
	               "message", d->prom_message, "revision",
	               *d->prom_revision ? d->prom_revision : NULL, "url",
	               d->o.prom.rules.url, "alertmanager_url",
	               d->o.prom.am.url);
	pthread_mutex_unlock(&d->mu);
	return st;
}
