/*
 * prom.c: the Prometheus HTTP API and reload (prom.h), over http.h.
 *
 * Replies are read into a capped body (a server that answers megabytes of
 * rules is refused, not followed); a pidfile is read with a cap and must
 * hold one positive pid.
 */
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "http.h"
#include "prom.h"

#define PROM_MAX_BODY ((size_t)64 << 20)
#define PROM_TIMEOUT  30000L
#define PIDFILE_MAX   64

struct prom {
	struct http *http;
	char *url;
};

int prom_reload_parse(enum prom_reload *out, const char **pidfile,
                      const char *value, struct err *err)
{
	*pidfile = NULL;
	if (!value || !*value) {
		*out = PROM_RELOAD_DETECT;
		return 0;
	}
	if (!strcmp(value, "http")) {
		*out = PROM_RELOAD_HTTP;
		return 0;
	}
	if (starts_with(value, "signal:") && value[7]) {
		*out = PROM_RELOAD_SIGNAL;
		*pidfile = value + 7;
		return 0;
	}
	return err_set(err, ERR_INVALID,
	               "--prometheus-reload must be 'http' or "
	               "'signal:PIDFILE', not '%s'",
	               value);
}

int prom_open(struct prom **out, const char *url, long timeout_ms,
              struct err *err)
{
	struct http_opts o = {0};
	struct prom *p;
	char *name;
	int error;

	if (!url ||
	    !(starts_with(url, "http://") || starts_with(url, "https://")))
		return err_set(err, ERR_INVALID,
		               "--prometheus-url must be an http:// or "
		               "https:// URL, not '%s'",
		               url ? url : "");
	p = xcalloc(1, sizeof(*p));
	p->url = xstrdup(url);
	/* the API paths begin with '/': drop a trailing one */
	if (ends_with(p->url, "/"))
		p->url[strlen(p->url) - 1] = '\0';
	name = xasprintf("Prometheus at %s", p->url);
	o.base_url = p->url;
	o.name = name;
	o.connect_timeout_ms = timeout_ms > 0 ? timeout_ms : PROM_TIMEOUT;
	o.timeout_ms = timeout_ms > 0 ? timeout_ms : PROM_TIMEOUT;
	o.max_body = PROM_MAX_BODY;
	error = http_open(&p->http, &o, err);
	free(name);
	if (error) {
		prom_free(p);
		return error;
	}
	*out = p;
	return 0;
}

void prom_free(struct prom *p)
{
	if (!p)
		return;
	http_free(p->http);
	free(p->url);
	free(p);
}

const char *prom_url(const struct prom *p)
{
	return p->url;
}

static int str_is(const json_t *v, const char *want)
{
	return json_is_string(v) && !strcmp(json_string_value(v), want);
}

/* GET path, expecting 200 and {"status":"success","data":...}. */
static int get_data(json_t **out, struct prom *p, const char *path,
                    struct err *err)
{
	struct http_response r;
	json_t *j, *data;
	int error;

	error = http_request(&r, p->http, "GET", path, NULL, NULL, 0, err);
	if (error)
		return error;
	j = r.status == 200 ? json_loadb(r.body.ptr ? r.body.ptr : "",
	                                 r.body.len, 0, NULL)
	                    : NULL;
	data = json_object_get(j, "data");
	if (!j || !data || !str_is(json_object_get(j, "status"), "success")) {
		error = err_set(err, ERR_REMOTE,
		                "Prometheus at %s answered GET %s with HTTP "
		                "%ld and no usable reply",
		                p->url, path, r.status);
	} else {
		*out = json_incref(data);
	}
	json_decref(j);
	http_response_release(&r);
	return error;
}

int prom_query(json_t **out, struct prom *p, const char *path_and_query,
               struct err *err)
{
	struct http_response r;
	json_t *j, *data;
	const char *type, *msg;
	int error;

	error = http_request(&r, p->http, "GET", path_and_query, NULL, NULL, 0,
	                     err);
	if (error)
		return error;
	j = json_loadb(r.body.ptr ? r.body.ptr : "", r.body.len, 0, NULL);
	data = json_object_get(j, "data");
	type = json_string_value(json_object_get(j, "errorType"));
	msg = json_string_value(json_object_get(j, "error"));
	if (r.status == 200 && data &&
	    str_is(json_object_get(j, "status"), "success"))
		*out = json_incref(data);
	else if (msg && str_is(json_object_get(j, "status"), "error"))
		error = err_set(err, ERR_INVALID, "Prometheus at %s: %s%s%s",
		                p->url, type ? type : "", type ? ": " : "",
		                msg);
	else
		error = err_set(err, ERR_REMOTE,
		                "Prometheus at %s answered a query with HTTP "
		                "%ld and no usable reply",
		                p->url, r.status);
	json_decref(j);
	http_response_release(&r);
	return error;
}

/* "2026-12-02T03:43:21Z" (or with an offset) to Unix seconds; 0 if not. */
static long long parse_time(const char *s)
{
	struct tm tm = {0};
	const char *rest;
	long long t;
	int sign, hh, mm;

	if (!s || !(rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return 0;
	t = (long long)timegm(&tm);
	if (*rest == '.')
		rest += 1 + strspn(rest + 1, "0123456789");
	if (*rest == 'Z' || !*rest)
		return t;
	if ((*rest != '+' && *rest != '-') ||
	    sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2)
		return 0;
	sign = *rest == '-' ? 1 : -1;
	return t + sign * (hh * 3600LL + mm * 60LL);
}

int prom_runtime(struct prom_runtime *out, struct prom *p, struct err *err)
{
	json_t *d = NULL;
	int error = get_data(&d, p, "/api/v1/status/runtimeinfo", err);

	if (error)
		return error;
	out->reload_success =
	        json_is_true(json_object_get(d, "reloadConfigSuccess"));
	out->last_config = parse_time(
	        json_string_value(json_object_get(d, "lastConfigTime")));
	json_decref(d);
	return 0;
}

int prom_rules(json_t **out, struct prom *p, struct err *err)
{
	json_t *d = NULL, *groups;
	int error = get_data(&d, p, "/api/v1/rules", err);

	if (error)
		return error;
	groups = json_object_get(d, "groups");
	if (!json_is_array(groups)) {
		json_decref(d);
		return err_set(err, ERR_REMOTE,
		               "Prometheus at %s sent rules without groups",
		               p->url);
	}
	*out = json_incref(groups);
	json_decref(d);
	return 0;
}

int prom_lifecycle(int *out, struct prom *p, struct err *err)
{
	json_t *d = NULL;
	int error = get_data(&d, p, "/api/v1/status/flags", err);

	if (error)
		return error;
	*out = str_is(json_object_get(d, "web.enable-lifecycle"), "true");
	json_decref(d);
	return 0;
}

static int read_pid(pid_t *out, const char *pidfile, struct err *err)
{
	struct buf b;
	char *end;
	long v;
	int error = 0;

	buf_init(&b, PIDFILE_MAX);
	if ((error = buf_read_file(&b, pidfile))) {
		error = err_set(err, error == ERR_TOOBIG ? ERR_INVALID : ERR_IO,
		                "cannot read the pidfile '%s': %s", pidfile,
		                error == ERR_TOOBIG ? "it is not a pidfile"
		                                    : strerror(errno));
		goto out;
	}
	errno = 0;
	v = strtol(buf_cstr(&b), &end, 10);
	while (*end == '\n' || *end == ' ' || *end == '\r')
		end++;
	if (errno || v <= 1 || v > 0x7fffffff || *end || end == b.ptr) {
		error = err_set(err, ERR_INVALID,
		                "the pidfile '%s' does not hold a process id",
		                pidfile);
		goto out;
	}
	*out = (pid_t)v;
out:
	buf_release(&b);
	return error;
}

int prom_reload(struct prom *p, enum prom_reload how, const char *pidfile,
                struct err *err)
{
	struct http_response r;
	int error;
	pid_t pid = 0;

	if (how == PROM_RELOAD_SIGNAL) {
		if ((error = read_pid(&pid, pidfile, err)))
			return error;
		if (kill(pid, SIGHUP))
			return err_set(err, ERR_REMOTE,
			               "cannot signal Prometheus (pid %ld from "
			               "'%s'): %s",
			               (long)pid, pidfile, strerror(errno));
		return 0;
	}
	error = http_request(&r, p->http, "POST", "/-/reload", NULL, NULL, 0,
	                     err);
	if (error)
		return error;
	if (r.status == 200)
		error = 0;
	else if (r.status == 403)
		error = err_set(err, ERR_UNSUPPORTED,
		                "Prometheus at %s does not allow POST "
		                "/-/reload: start it with "
		                "--web.enable-lifecycle, or use "
		                "--prometheus-reload signal:PIDFILE",
		                p->url);
	else
		error = err_set(err, ERR_INVALID,
		                "Prometheus at %s refused the new rules "
		                "(HTTP %ld); it keeps the previous rule set",
		                p->url, r.status);
	http_response_release(&r);
	return error;
}

/* One duration ("1h30m", "250ms") into seconds; -1 when it is not one. */
static double duration_of(const char *s)
{
	static const struct {
		const char *unit;
		double secs;
	} units[] = {{"ms", 0.001}, {"s", 1},      {"m", 60},      {"h", 3600},
	             {"d", 86400},  {"w", 604800}, {"y", 31536000}};
	double total = 0;

	if (!*s)
		return -1;
	while (*s) {
		char *end;
		unsigned long long n;
		size_t i;

		if (*s < '0' || *s > '9')
			return -1;
		errno = 0;
		n = strtoull(s, &end, 10);
		if (errno || n > 1000000000ULL)
			return -1;
		for (i = 0; i < ARRAY_SIZE(units); i++)
			if (starts_with(end, units[i].unit)) /* ms first */
				break;
		if (i == ARRAY_SIZE(units))
			return -1;
		total += (double)n * units[i].secs;
		s = end + strlen(units[i].unit);
	}
	return total;
}

/* Plain seconds ("15", "1764637323.5"); -1 when s is not a number. */
static double seconds_of(const char *s)
{
	char *end;
	double v;

	if (!*s || strspn(s, "0123456789.") != strlen(s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return -1;
	return v;
}

int prom_time_parse(double *out, const char *s, double now, struct err *err)
{
	double v;
	long long t;

	if (!strcmp(s, "now")) {
		*out = now;
		return 0;
	}
	if ((v = seconds_of(s)) >= 0) {
		*out = v;
		return 0;
	}
	if ((v = duration_of(s)) >= 0) {
		*out = now - v;
		return 0;
	}
	if (strlen(s) >= 20 && s[4] == '-' && s[10] == 'T' &&
	    (t = parse_time(s)) > 0) {
		const char *frac = strchr(s + 19, '.');

		*out = (double)t +
		       (frac && frac == s + 19 ? strtod(frac, NULL) : 0);
		return 0;
	}
	return err_set(err, ERR_INVALID,
	               "'%s' is not a time: use RFC 3339 "
	               "(2026-12-02T01:02:03Z), UNIX seconds, \"now\" or a "
	               "duration before now (\"1h\")",
	               s);
}

int prom_duration_parse(double *out, const char *s, struct err *err)
{
	double v = seconds_of(s);

	if (v < 0)
		v = duration_of(s);
	if (v <= 0)
		return err_set(err, ERR_INVALID,
		               "'%s' is not a positive duration: use seconds "
		               "(\"15\") or units ms s m h d w y (\"1m30s\")",
		               s);
	*out = v;
	return 0;
}
