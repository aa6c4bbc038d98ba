/*
 * metrics.h: a registry of Prometheus metrics and its text exposition.
 *
 * Owns: families of counters, gauges and histograms, each with any number
 * of label sets (series), their values, and rendering all of them in the
 * Prometheus text format 0.0.4. Every call takes the registry's one mutex,
 * so any thread may update or render. Does not own: serving /metrics (the
 * daemon's HTTP server), what the metrics mean (the daemon declares them).
 *
 *	struct metrics *m = metrics_new();
 *	static const double secs[] = {0.1, 1, 10};
 *	metrics_declare(m, "kedge_reconcile_total", METRIC_COUNTER,
 *			"Reconciles by result.", NULL, 0);
 *	metrics_declare(m, "kedge_reconcile_seconds", METRIC_HISTOGRAM,
 *			"Time of one reconcile.", secs, ARRAY_SIZE(secs));
 *	metrics_add(m, "kedge_reconcile_total",
 *		    (const char *[]){"result", "ok", NULL}, 1);
 *	metrics_observe(m, "kedge_reconcile_seconds", NULL, 0.42);
 *	struct buf b = BUF_INIT;
 *	metrics_render(m, &b);  (serve b.ptr as text/plain; version=0.0.4)
 *	metrics_free(m);
 *
 * Programming errors are BUG()s, never errors: declaring a family twice,
 * an invalid metric or label name (labels named "le" or starting with "__"
 * included), a label without a value, using an undeclared name, an update of
 * the wrong type (metrics_set on a counter), a counter decrease, a
 * histogram without buckets or with buckets that do not ascend.
 *
 * Bound: a family keeps at most METRICS_MAX_SERIES label sets (label
 * values may come from outside: stack names). An update that would add
 * one more is dropped and counted in kedge_metrics_dropped_series_total
 * {family="<name>"}, a counter every registry declares itself (first).
 */
#ifndef RECONCILER_METRICS_H
#define RECONCILER_METRICS_H

#include <stddef.h>

struct buf;
struct metrics;

#define METRICS_MAX_SERIES 10000
#define METRICS_DROPPED    "kedge_metrics_dropped_series_total"

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

/* A new, empty registry (with only METRICS_DROPPED declared). */
struct metrics *metrics_new(void);
/* Frees m and everything in it. NULL-safe. */
void metrics_free(struct metrics *m);

/*
 * Declares the family name once: its HELP text and TYPE. Histograms take
 * nbuckets upper bounds in ascending order (+Inf is implicit); the other
 * types take NULL, 0. The strings and buckets are copied.
 */
void metrics_declare(struct metrics *m, const char *name, enum metric_type type,
                     const char *help, const double *buckets, size_t nbuckets);

/*
 * labels is a NULL-terminated list of name, value pairs, e.g.
 * (const char *[]){"stack", "web", "result", "ok", NULL}, or NULL for
 * none. Pass the names of one family in the same order every time: the
 * series is identified by the list as given. Values may be any text; they
 * are escaped on output.
 */
/* Adds v (>= 0) to a counter. */
void metrics_add(struct metrics *m, const char *name, const char *const *labels,
                 double v);
/* Sets a gauge to v. */
void metrics_set(struct metrics *m, const char *name, const char *const *labels,
                 double v);
/* Counts v into a histogram's buckets, _sum and _count. */
void metrics_observe(struct metrics *m, const char *name,
                     const char *const *labels, double v);
/* Drops every series of the family name (it stays declared). */
void metrics_reset(struct metrics *m, const char *name);

/*
 * Appends the exposition of every family to out: families in declaration
 * order, each with "# HELP" and "# TYPE" lines, then its series sorted by
 * their label text; histograms as cumulative _bucket{le="..."} series
 * ending with le="+Inf", then _sum and _count. Numbers are printed as
 * Prometheus' Go clients print them: the shortest form that reads back
 * exactly, with an exponent below 1e-4 and from 1e6 ("1", "0.25",
 * "80000", "1e+06", "+Inf", "NaN"). out must have no cap (BUF_INIT): a refused
 * append is a BUG().
 */
void metrics_render(struct metrics *m, struct buf *out);

#endif
