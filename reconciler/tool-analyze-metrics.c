/*
 * tool-analyze-metrics.c: analyze_metrics: one bounded PromQL query
 * against the Prometheus of --prometheus-url, with a summary per series.
 *
 * Bounds, so that one question cannot flood the model or the server: a
 * range query of more than PROM_MAX_POINTS steps is refused before it is
 * sent (Prometheus' own limit per series), at most MAX_SERIES series are
 * returned (the rest are counted), at most MAX_VALUES values in all (the
 * newest of each series; the summary still covers every point), and the
 * request (and Prometheus' evaluation) is bounded by TIMEOUT_MS. Owns
 * reading the arguments and shaping the result; the HTTP API is prom.c's.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "err.h"
#include "http.h"
#include "mcpctx.h"
#include "prom.h"
#include "tool.h"

extern const struct tool_entry tool_analyze_metrics;

#define PROM_MAX_POINTS 11000 /* Prometheus' limit per series */
#define MAX_SERIES      100
#define MAX_VALUES      10000 /* values in one result, all series */
#define TIMEOUT_MS      10000L
#define DEFAULT_STEPS   250 /* the step when none is given: range / 250 */

static double now_of(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A time argument (a string or a number) into *out; 1 + r when bad. */
static int time_arg(double *out, const struct tool_call *c, const char *name,
                    double now, struct tool_result *r)
{
	const json_t *v = json_object_get(c->args, name);
	struct err e;

	if (json_is_number(v)) {
		*out = json_number_value(v);
		return 0;
	}
	err_clear(&e);
	if (prom_time_parse(out, json_string_value(v), now, &e))
		return tool_fail(r, "%s: %s", name, e.msg) + 1;
	return 0;
}

/* A sample value: a number when finite, else Prometheus' text ("NaN"). */
static json_t *value_of(const json_t *pair, double *num)
{
	const char *s = json_string_value(json_array_get(pair, 1));
	char *end;
	double v;

	*num = NAN;
	if (!s)
		return json_null();
	v = strtod(s, &end);
	if (*end || !isfinite(v))
		return json_string(s);
	*num = v;
	return json_real(v);
}

/*
 * One series of the result: metric, summary over every point, and the
 * newest keep values (values_cut says how many older ones were left out).
 */
static json_t *series_of(const json_t *metric, const json_t *points,
                         size_t keep)
{
	size_t n = json_array_size(points), i, finite = 0;
	double min = INFINITY, max = -INFINITY, sum = 0, num;
	json_t *values = json_array(), *last = json_null(), *p, *s;

	json_array_foreach (points, i, p) {
		json_t *v = value_of(p, &num);

		if (!isnan(num)) {
			finite++;
			sum += num;
			min = num < min ? num : min;
			max = num > max ? num : max;
		}
		json_decref(last);
		last = json_incref(v);
		if (i + keep >= n)
			json_array_append_new(
			        values, json_pack("[f, o]",
			                          json_number_value(
			                                  json_array_get(p, 0)),
			                          v));
		else
			json_decref(v);
	}
	s = json_pack("{s:o, s:{s:o, s:o, s:o, s:o, s:I}, s:o}", "metric",
	              metric ? json_deep_copy(metric) : json_object(),
	              "summary", "last", last, "min",
	              finite ? json_real(min) : json_null(), "max",
	              finite ? json_real(max) : json_null(), "mean",
	              finite ? json_real(sum / (double)finite) : json_null(),
	              "count", (json_int_t)n, "values", values);
	if (n > keep)
		json_object_set_new(s, "values_cut", json_integer(n - keep));
	return s;
}

/* The API's data ({resultType, result}) into the tool's output. */
static json_t *shape(const json_t *data)
{
	const char *type =
	        json_string_value(json_object_get(data, "resultType"));
	const json_t *res = json_object_get(data, "result");
	json_t *series = json_array(), *notes = json_array(), *e, *one;
	size_t total, nret, keep, cut_values = 0, i;

	if (!type)
		type = "unknown";
	if (!strcmp(type, "scalar") || !strcmp(type, "string")) {
		one = json_pack("[O]", res);
		json_array_append_new(series, series_of(NULL, one, 1));
		json_decref(one);
		total = nret = 1;
		goto out;
	}
	total = json_array_size(res);
	nret = total < MAX_SERIES ? total : MAX_SERIES;
	keep = nret ? MAX_VALUES / nret : MAX_VALUES;
	for (i = 0; i < nret; i++) {
		e = json_array_get(res, i);
		if (json_object_get(e, "values")) {
			one = json_incref(json_object_get(e, "values"));
		} else if (json_object_get(e, "value")) {
			one = json_pack("[O]", json_object_get(e, "value"));
		} else {
			/* a native histogram: no float samples to sum up */
			one = json_array();
		}
		if (json_array_size(one) > keep)
			cut_values += json_array_size(one) - keep;
		json_array_append_new(
		        series,
		        series_of(json_object_get(e, "metric"), one, keep));
		json_decref(one);
	}
	if (total > nret)
		json_array_append_new(
		        notes,
		        json_sprintf("%zu series matched; only the first "
		                     "%d are returned (%zu cut): narrow "
		                     "the query with label matchers, "
		                     "sum by (...) or topk",
		                     total, MAX_SERIES, total - nret));
	if (cut_values)
		json_array_append_new(
		        notes,
		        json_sprintf("%zu older values were left out "
		                     "(at most %d values in all, %zu per "
		                     "series here); the summaries cover "
		                     "every point",
		                     cut_values, MAX_VALUES, keep));
out:
	return json_pack("{s:s, s:o, s:I, s:I, s:o}", "resultType", type,
	                 "series", series, "series_total", (json_int_t)total,
	                 "series_cut", (json_int_t)(total - nret), "notes",
	                 notes);
}

/*
 * The request path into *out: a range query when start is given, else
 * an instant one. 1 with an error result in r when the arguments are bad
 * or the range has too many points.
 */
static int path_of(char **out, const struct tool_call *c, json_t *range,
                   struct tool_result *r)
{
	double now = now_of(), start, end = now, step, at = now;
	char *q = http_escape(tool_arg(c, "query"));
	const json_t *sv = json_object_get(c->args, "step");
	struct err e;
	int rc = 0;

	*out = NULL;
	err_clear(&e);
	if (!json_object_get(c->args, "start")) {
		if (json_object_get(c->args, "end") || sv) {
			rc = tool_fail(r, "end and step need start (a range "
			                  "query); for one instant use time") +
			     1;
			goto out;
		}
		if (json_object_get(c->args, "time") &&
		    (rc = time_arg(&at, c, "time", now, r)))
			goto out;
		*out = xasprintf(
		        "/api/v1/query?query=%s&time=%.3f&timeout=%lds", q, at,
		        TIMEOUT_MS / 1000);
		goto out;
	}
	if (json_object_get(c->args, "time")) {
		rc = tool_fail(r, "time is for an instant query; a range "
		                  "query takes start, end and step") +
		     1;
		goto out;
	}
	if ((rc = time_arg(&start, c, "start", now, r)))
		goto out;
	if (json_object_get(c->args, "end") &&
	    (rc = time_arg(&end, c, "end", now, r)))
		goto out;
	if (end <= start) {
		rc = tool_fail(r, "end (%.3f) must be after start (%.3f)", end,
		               start) +
		     1;
		goto out;
	}
	if (json_is_number(sv)) {
		step = json_number_value(sv);
	} else if (sv) {
		if (prom_duration_parse(&step, json_string_value(sv), &e)) {
			rc = tool_fail(r, "step: %s", e.msg) + 1;
			goto out;
		}
	} else {
		step = ceil((end - start) / DEFAULT_STEPS);
	}
	if (step <= 0) {
		rc = tool_fail(r, "step must be positive") + 1;
		goto out;
	}
	if (floor((end - start) / step) + 1 > PROM_MAX_POINTS) {
		rc = tool_fail(r,
		               "refused: %.0f s at a step of %g s is %.0f "
		               "points per series, over Prometheus' limit of "
		               "%d; use a step of at least %.0f s or a "
		               "shorter range",
		               end - start, step,
		               floor((end - start) / step) + 1, PROM_MAX_POINTS,
		               ceil((end - start) / (PROM_MAX_POINTS - 1))) +
		     1;
		goto out;
	}
	json_object_set_new(range, "start", json_real(start));
	json_object_set_new(range, "end", json_real(end));
	json_object_set_new(range, "step", json_real(step));
	*out = xasprintf("/api/v1/query_range?query=%s&start=%.3f&end=%.3f"
	                 "&step=%.3f&timeout=%lds",
	                 q, start, end, step, TIMEOUT_MS / 1000);
out:
	free(q);
	return rc;
}

static int run(struct tool_result *r, struct tool_call *c, struct err *err)
{
	const char *url = mcpctx_opts(c->ctx)->prom_url;
	json_t *range = json_object(), *data = NULL, *out;
	struct prom *p = NULL;
	char *path = NULL;
	struct err e;
	int rc;

	(void)err;
	err_clear(&e);
	if (!url) {
		rc = tool_fail(r, "no Prometheus configured: run kedge mcp "
		                  "with --prometheus-url");
		goto out;
	}
	if (path_of(&path, c, range, r)) { /* r says why */
		rc = 0;
		goto out;
	}
	if (prom_open(&p, url, TIMEOUT_MS, &e) ||
	    prom_query(&data, p, path, &e)) {
		rc = tool_fail(r, "%s%s", e.msg,
		               e.code == ERR_TIMEOUT
		                       ? " (analyze_metrics waits 10 s)"
		               : e.code == ERR_TOOBIG
		                       ? ": narrow the query or the range"
		                       : "");
		goto out;
	}
	out = shape(data);
	json_object_set_new(out, "query", json_string(tool_arg(c, "query")));
	if (json_object_size(range))
		json_object_set(out, "range", range);
	/* the text copy compact: indented, 10000 values would triple */
	r->text = json_dumps(out, JSON_COMPACT);
	rc = tool_ok(r, out);
out:
	json_decref(data);
	json_decref(range);
	prom_free(p);
	free(path);
	return rc;
}

// clang-format off
const struct tool_entry tool_analyze_metrics = {
        .name = "analyze_metrics",
        .title = "Analyze metrics",
        .description =
                "Runs one PromQL query against the Prometheus kedge was "
                "given (--prometheus-url): an instant query (at time, "
                "default now), or a range query when start is given "
                "(end defaults to now; step to a 250th of the range). "
                "Times are RFC 3339, UNIX seconds, or a duration before "
                "now (start \"1h\" is an hour ago). Each series comes "
                "with a summary (last, min, max, mean over its finite "
                "values, count of points) and its values. Bounds: at "
                "most 11000 points per series (larger ranges are "
                "refused: raise the step), 100 series (the rest are "
                "counted in series_cut), 10000 values in all (the newest "
                "of each series; summaries cover every point), 10 s.",
        .input_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : ["query"],
	        "properties" : {
		        "query" : {
			        "type" : "string", "minLength" : 1, "maxLength" : 20000,
			        "description" : "a PromQL expression, such as rate(http_requests_total[5m])"
		        },
		        "start" : {
			        "type" : [ "string", "number" ], "minLength" : 1,
			        "description" : "start of a range query: RFC 3339, UNIX seconds, or a duration before now (\"1h\")"
		        },
		        "end" : {
			        "type" : [ "string", "number" ], "minLength" : 1,
			        "description" : "end of a range query (default now)"
		        },
		        "step" : {
			        "type" : [ "string", "number" ], "minLength" : 1,
			        "description" : "resolution of a range query: seconds or a duration (\"15s\")"
		        },
		        "time" : {
			        "type" : [ "string", "number" ], "minLength" : 1,
			        "description" : "the instant of an instant query (default now)"
		        }
	        },
	        "additionalProperties" : false
        }),
        .output_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : [ "query", "resultType", "series", "series_total", "series_cut", "notes" ],
	        "properties" : {
		        "query" : {"type" : "string"},
		        "resultType" : {"type" : "string"},
		        "range" : {
			        "type" : "object",
			        "properties" : {
				        "start" : {"type" : "number"},
				        "end" : {"type" : "number"},
				        "step" : {"type" : "number"}
			        }
		        },
		        "series_total" : {"type" : "integer"},
		        "series_cut" : {"type" : "integer"},
		        "notes" : {"type" : "array", "items" : {"type" : "string"}},
		        "series" : {
			        "type" : "array",
			        "items" : {
				        "type" : "object",
				        "required" : [ "metric", "summary", "values" ],
				        "properties" : {
					        "metric" : {"type" : "object"},
					        "summary" : {
						        "type" : "object",
						        "required" : [ "last", "min", "max", "mean", "count" ],
						        "properties" : {
							        "last" : {"type" : [ "number", "string", "null" ]},
							        "min" : {"type" : [ "number", "null" ]},
							        "max" : {"type" : [ "number", "null" ]},
							        "mean" : {"type" : [ "number", "null" ]},
							        "count" : {"type" : "integer"}
						        }
					        },
					        "values" : {
						        "type" : "array",
						        "items" : {
							        "type" : "array",
							        "minItems" : 2,
							        "maxItems" : 2
						        }
					        },
					        "values_cut" : {"type" : "integer"}
				        }
			        }
		        }
	        }
        }),
        .flags = TOOL_READ_ONLY | TOOL_OPEN_WORLD,
        .run = run,
};
// clang-format on
