/*
 * docker.c: the Engine API client declared in docker.h.
 *
 * Owns: host parsing (unix://, tcp:// with the CLI's TLS variables), the
 * /v1.41 prefix, filters, JSON bodies, and the error mapping. Does not own:
 * HTTP or TLS (http.c), what the objects mean, retries.
 */
#include <jansson.h>
#include <inttypes.h>

#include "docker.h"
#include "err.h"
#include "http.h"
#include "log.h"

#define API "/v" DOCKER_API_VERSION

struct docker {
	struct http *http;
	char *host; /* as resolved, for messages */
};

/* What a tcp:// host turns into. The strings are freed by the caller. */
struct endpoint {
	char *url, *socket, *ca, *cert, *key;
};

static void endpoint_release(struct endpoint *e)
{
	free(e->url);
	free(e->socket);
	free(e->ca);
	free(e->cert);
	free(e->key);
}

static int readable(char **out, const char *dir, const char *file,
                    struct err *err)
{
	char *path = xasprintf("%s/%s", dir, file);

	if (access(path, R_OK) < 0) {
		err_set(err, ERR_INVALID,
		        "DOCKER_TLS_VERIFY is set but '%s' cannot be read: %s",
		        path, strerror(errno));
		free(path);
		return ERR_INVALID;
	}
	*out = path;
	return 0;
}

/* The certificates named by DOCKER_CERT_PATH, as the docker CLI reads them. */
static int tls_files(struct endpoint *e, struct err *err)
{
	const char *dir = getenv("DOCKER_CERT_PATH");
	const char *home = getenv("HOME");
	char *fallback = NULL;
	int error;

	if (!dir || !*dir)
		dir = fallback = xasprintf("%s/.docker", home ? home : "");
	error = readable(&e->ca, dir, "ca.pem", err);
	if (!error)
		error = readable(&e->cert, dir, "cert.pem", err);
	if (!error)
		error = readable(&e->key, dir, "key.pem", err);
	free(fallback);
	return error;
}

/* tcp://host[:port][/] -> http(s)://host:port */
static int tcp_endpoint(struct endpoint *e, const char *rest, struct err *err)
{
	const char *tls = getenv("DOCKER_TLS_VERIFY");
	int use_tls = tls && *tls;
	size_t n = strcspn(rest, "/");
	const char *close = memchr(rest, ']', n);
	const char *colon = memrchr(rest, ':', n);
	int has_port = colon && (!close || colon > close);

	if (n == 0 || rest[n + (rest[n] == '/')] != '\0')
		return err_set(err, ERR_INVALID,
		               "cannot use Docker host 'tcp://%s': expected "
		               "tcp://HOST[:PORT]",
		               rest);
	e->url = xasprintf("%s://%.*s%s", use_tls ? "https" : "http", (int)n,
	                   rest, has_port ? "" : (use_tls ? ":2376" : ":2375"));
	return use_tls ? tls_files(e, err) : 0;
}

static int parse_host(struct endpoint *e, const char *host, struct err *err)
{
	if (starts_with(host, "unix://")) {
		if (!host[7])
			return err_set(err, ERR_INVALID,
			               "cannot use Docker host '%s': no socket "
			               "path",
			               host);
		e->url = xstrdup("http://localhost");
		e->socket = xstrdup(host + 7);
		return 0;
	}
	if (starts_with(host, "tcp://"))
		return tcp_endpoint(e, host + 6, err);
	return err_set(err, ERR_INVALID,
	               "cannot use Docker host '%s': kedge speaks unix:// and "
	               "tcp:// only",
	               host);
}

int docker_open(struct docker **out, const char *host, struct err *err)
{
	struct endpoint e = {0};
	struct http_opts o = {0};
	struct docker *d = xcalloc(1, sizeof(*d));
	char *name = NULL;
	int error;

	if (!host || !*host)
		host = getenv("DOCKER_HOST");
	if (!host || !*host)
		host = DOCKER_DEFAULT_HOST;
	d->host = xstrdup(host);
	error = parse_host(&e, host, err);
	if (error)
		goto out;
	name = xasprintf("the Docker daemon at %s", host);
	o.base_url = e.url;
	o.unix_socket = e.socket;
	o.ca_file = e.ca;
	o.cert_file = e.cert;
	o.key_file = e.key;
	o.name = name;
	error = http_open(&d->http, &o, err);
out:
	endpoint_release(&e);
	free(name);
	if (error)
		docker_free(d);
	else
		*out = d;
	return error;
}

void docker_free(struct docker *d)
{
	if (!d)
		return;
	http_free(d->http);
	free(d->host);
	free(d);
}

const char *docker_host(const struct docker *d)
{
	return d->host;
}

unsigned long docker_requests_made(const struct docker *d)
{
	return http_requests_made(d->http);
}

void docker_set_timeouts(struct docker *d, long connect_ms, long total_ms)
{
	http_set_timeouts(d->http, connect_ms, total_ms);
}

/*
 * The daemon's {"message": ...}, or the start of the body with anything
 * unprintable replaced. The caller frees it.
 */
static char *reply_message(const struct http_response *r)
{
	json_t *j = json_loadb(r->body.ptr ? r->body.ptr : "", r->body.len, 0,
	                       NULL);
	const char *m = json_string_value(json_object_get(j, "message"));
	char *s;
	size_t i;

	if (m) {
		s = xstrdup(m);
		json_decref(j);
		return s;
	}
	json_decref(j);
	s = xstrndup(buf_cstr(&r->body), 200);
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < ' ' || (unsigned char)s[i] > '~')
			s[i] = ' ';
	return s;
}

static int status_code(long status, const char *msg)
{
	switch (status) {
	case 404:
		return ERR_NOTFOUND;
	case 409:
		return ERR_CONFLICT;
	case 400:
	case 501:
		return ERR_INVALID;
	case 500:
		/* swarmkit's ErrSequenceConflict: the version was stale. */
		return strstr(msg, "update out of sequence") ? ERR_CONFLICT
		                                             : ERR_REMOTE;
	case 503:
		return strstr(msg, "not a swarm manager") ? ERR_UNSUPPORTED
		                                          : ERR_REMOTE;
	default:
		return ERR_REMOTE;
	}
}

static int reply_error(struct docker *d, const char *method, const char *path,
                       const struct http_response *r, struct err *err)
{
	char *msg = reply_message(r);
	int code = status_code(r->status, msg);

	if (code == ERR_UNSUPPORTED)
		err_set(err, code, "'%s' is not a swarm manager: %s", d->host,
		        msg);
	else
		err_set(err, code, "%s (HTTP %ld from %s %s)",
		        *msg ? msg : "no message", r->status, method, path);
	free(msg);
	return code;
}

static int parse_reply(json_t **out, const char *method, const char *path,
                       const struct http_response *r, struct err *err)
{
	json_error_t jerr;

	*out = json_loadb(r->body.ptr ? r->body.ptr : "", r->body.len,
	                  JSON_DECODE_ANY, &jerr);
	if (!*out)
		return err_set(err, ERR_REMOTE,
		               "the Docker daemon sent invalid JSON for %s %s: "
		               "%s",
		               method, path, jerr.text);
	return 0;
}

/*
 * One request: method API path, with body serialised as JSON when not
 * NULL. On success, *out (when out is not NULL) is the parsed reply.
 */
static int call(json_t **out, struct docker *d, const char *method,
                const char *path, const json_t *body, struct err *err)
{
	struct http_response r = {0};
	char *full = xasprintf(API "%s", path);
	char *text = NULL;
	int error;

	if (body)
		text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
	if (body && !text)
		BUG("json_dumps failed for %s %s", method, full);
	error = http_request(&r, d->http, method, full,
	                     body ? "application/json" : NULL, text,
	                     text ? strlen(text) : 0, err);
	if (error)
		goto out;
	log_debug("docker", "%s %s status=%ld bytes=%zu", method, full,
	          r.status, r.body.len);
	if (r.status < 200 || r.status >= 300)
		error = reply_error(d, method, full, &r, err);
	else if (out)
		error = parse_reply(out, method, full, &r, err);
	http_response_release(&r);
out:
	free(text);
	free(full);
	return error;
}

/*
 * "?filters=<escaped JSON>" from n (key, value) pairs, skipping NULL
 * values; "" when there is none. The caller frees it.
 */
static char *filters_query(const char *const *kv, size_t n)
{
	json_t *f = json_object();
	char *text, *esc, *q;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		if (kv[i + 1])
			json_object_set_new(f, kv[i],
			                    json_pack("[s]", kv[i + 1]));
	if (json_object_size(f) == 0) {
		json_decref(f);
		return xstrdup("");
	}
	text = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
	esc = http_escape(text);
	q = xasprintf("?filters=%s", esc);
	free(esc);
	free(text);
	json_decref(f);
	return q;
}

static int list(json_t **out, struct docker *d, const char *kind,
                const char *const *kv, size_t n, const char *extra,
                struct err *err)
{
	char *q = filters_query(kv, n);
	const char *sep = !*extra ? "" : (*q ? "&" : "?");
	char *path = xasprintf("/%s%s%s%s", kind, q, sep, extra);
	json_t *j = NULL;
	int error = call(&j, d, "GET", path, NULL, err);

	if (!error && !json_is_array(j)) {
		error = err_set(err, ERR_REMOTE,
		                "the Docker daemon did not send a list for "
		                "GET " API "%s",
		                path);
		json_decref(j);
	}
	if (!error)
		*out = j;
	free(path);
	free(q);
	return error;
}

/*
 * The elements of a JSON array reply, parsed one at a time so that only
 * one whole element is ever held beside what fn keeps of it.
 */
static int split_array(const char *method, const char *path,
                       const struct buf *body, docker_each_fn fn, void *ctx,
                       struct err *err)
{
	const char *p = body->ptr ? body->ptr : "", *end = p + body->len;
	int error = 0;

	while (p < end && strchr(" \t\r\n", *p))
		p++;
	if (p == end || *p++ != '[')
		goto bad;
	for (int first = 1;; first = 0) {
		json_error_t jerr;
		json_t *elem;

		while (p < end && strchr(" \t\r\n", *p))
			p++;
		if (p < end && *p == ']' && first)
			break;
		elem = json_loadb(p, (size_t)(end - p), JSON_DISABLE_EOF_CHECK,
		                  &jerr);
		if (!elem || !json_is_object(elem)) {
			json_decref(elem);
			goto bad;
		}
		p += jerr.position;
		error = fn(elem, ctx);
		if (error)
			return error;
		while (p < end && strchr(" \t\r\n", *p))
			p++;
		if (p < end && *p == ']')
			break;
		if (p == end || *p++ != ',')
			goto bad;
	}
	return 0;
bad:
	return err_set(err, ERR_REMOTE,
	               "the Docker daemon did not send a list of objects for "
	               "%s %s",
	               method, path);
}

int docker_services_each(struct docker *d, const char *label, int with_status,
                         docker_each_fn fn, void *ctx, struct err *err)
{
	const char *kv[] = {"label", label};
	char *q = filters_query(kv, ARRAY_SIZE(kv));
	const char *extra = with_status ? "status=true" : "";
	const char *sep = !*extra ? "" : (*q ? "&" : "?");
	char *path = xasprintf(API "/services%s%s%s", q, sep, extra);
	struct http_response r = {0};
	int error;

	error = http_request(&r, d->http, "GET", path, NULL, NULL, 0, err);
	if (!error) {
		log_debug("docker", "GET %s status=%ld bytes=%zu", path,
		          r.status, r.body.len);
		if (r.status < 200 || r.status >= 300)
			error = reply_error(d, "GET", path, &r, err);
		else
			error = split_array("GET", path, &r.body, fn, ctx, err);
	}
	http_response_release(&r);
	free(path);
	free(q);
	return error;
}

int docker_services_list(json_t **out, struct docker *d, const char *label,
                         int with_status, struct err *err)
{
	const char *kv[] = {"label", label};

	return list(out, d, "services", kv, ARRAY_SIZE(kv),
	            with_status ? "status=true" : "", err);
}

int docker_tasks_list(json_t **out, struct docker *d, const char *service,
                      const char *desired_state, struct err *err)
{
	const char *kv[] = {"service", service, "desired-state", desired_state};

	return list(out, d, "tasks", kv, ARRAY_SIZE(kv), "", err);
}

int docker_networks_list(json_t **out, struct docker *d, const char *label,
                         const char *name, struct err *err)
{
	const char *kv[] = {"label", label, "name", name};

	return list(out, d, "networks", kv, ARRAY_SIZE(kv), "", err);
}

int docker_configs_list(json_t **out, struct docker *d, const char *label,
                        struct err *err)
{
	const char *kv[] = {"label", label};

	return list(out, d, "configs", kv, ARRAY_SIZE(kv), "", err);
}

int docker_secrets_list(json_t **out, struct docker *d, const char *label,
                        struct err *err)
{
	const char *kv[] = {"label", label};

	return list(out, d, "secrets", kv, ARRAY_SIZE(kv), "", err);
}

int docker_nodes_list(json_t **out, struct docker *d, struct err *err)
{
	return list(out, d, "nodes", NULL, 0, "", err);
}

/* "/<kind>/<escaped id><suffix>"; the caller frees it. */
static char *object_path(const char *kind, const char *id, const char *suffix)
{
	char *esc = http_escape(id);
	char *path = xasprintf("/%s/%s%s", kind, esc, suffix);

	free(esc);
	return path;
}

static int inspect(json_t **out, struct docker *d, const char *kind,
                   const char *id, struct err *err)
{
	char *path = object_path(kind, id, "");
	int error = call(out, d, "GET", path, NULL, err);

	free(path);
	return error;
}

int docker_service_inspect(json_t **out, struct docker *d, const char *id,
                           struct err *err)
{
	return inspect(out, d, "services", id, err);
}

int docker_network_inspect(json_t **out, struct docker *d, const char *id,
                           struct err *err)
{
	return inspect(out, d, "networks", id, err);
}

int docker_config_inspect(json_t **out, struct docker *d, const char *id,
                          struct err *err)
{
	return inspect(out, d, "configs", id, err);
}

int docker_secret_inspect(json_t **out, struct docker *d, const char *id,
                          struct err *err)
{
	return inspect(out, d, "secrets", id, err);
}

int docker_node_inspect(json_t **out, struct docker *d, const char *id,
                        struct err *err)
{
	return inspect(out, d, "nodes", id, err);
}

/* POST /<kind>/create; the new ID is under id_key ("ID", or "Id"). */
static int create(char **out, struct docker *d, const char *kind,
                  const json_t *spec, const char *id_key, struct err *err)
{
	char *path = xasprintf("/%s/create", kind);
	json_t *r = NULL, *w;
	const char *id;
	size_t i;
	int error = call(&r, d, "POST", path, spec, err);

	if (error)
		goto out;
	id = json_string_value(json_object_get(r, id_key));
	if (!id || !*id) {
		error = err_set(err, ERR_REMOTE,
		                "the Docker daemon sent no %s for POST " API
		                "%s",
		                id_key, path);
		goto out;
	}
	json_array_foreach (json_object_get(r, "Warnings"), i, w)
		if (json_is_string(w))
			log_warn("docker", "%s: %s", path,
			         json_string_value(w));
	*out = xstrdup(id);
out:
	json_decref(r);
	free(path);
	return error;
}

int docker_service_create(char **out, struct docker *d, const json_t *spec,
                          struct err *err)
{
	return create(out, d, "services", spec, "ID", err);
}

int docker_network_create(char **out, struct docker *d, const json_t *spec,
                          struct err *err)
{
	return create(out, d, "networks", spec, "Id", err);
}

int docker_config_create(char **out, struct docker *d, const json_t *spec,
                         struct err *err)
{
	return create(out, d, "configs", spec, "ID", err);
}

int docker_secret_create(char **out, struct docker *d, const json_t *spec,
                         struct err *err)
{
	return create(out, d, "secrets", spec, "ID", err);
}

static int update(struct docker *d, const char *kind, const char *id,
                  uint64_t version, const json_t *spec, struct err *err)
{
	char *suffix = xasprintf("/update?version=%" PRIu64, version);
	char *path = object_path(kind, id, suffix);
	int error = call(NULL, d, "POST", path, spec, err);

	free(path);
	free(suffix);
	return error;
}

int docker_service_update(struct docker *d, const char *id, uint64_t version,
                          const json_t *spec, struct err *err)
{
	return update(d, "services", id, version, spec, err);
}

int docker_node_update(struct docker *d, const char *id, uint64_t version,
                       const json_t *spec, struct err *err)
{
	return update(d, "nodes", id, version, spec, err);
}

int docker_config_update(struct docker *d, const char *id, uint64_t version,
                         const json_t *spec, struct err *err)
{
	return update(d, "configs", id, version, spec, err);
}

int docker_secret_update(struct docker *d, const char *id, uint64_t version,
                         const json_t *spec, struct err *err)
{
	return update(d, "secrets", id, version, spec, err);
}

static int remove_object(struct docker *d, const char *kind, const char *id,
                         struct err *err)
{
	char *path = object_path(kind, id, "");
	int error = call(NULL, d, "DELETE", path, NULL, err);

	free(path);
	return error;
}

int docker_service_remove(struct docker *d, const char *id, struct err *err)
{
	return remove_object(d, "services", id, err);
}

int docker_network_remove(struct docker *d, const char *id, struct err *err)
{
	return remove_object(d, "networks", id, err);
}

int docker_config_remove(struct docker *d, const char *id, struct err *err)
{
	return remove_object(d, "configs", id, err);
}

int docker_secret_remove(struct docker *d, const char *id, struct err *err)
{
	return remove_object(d, "secrets", id, err);
}

int docker_info(json_t **out, struct docker *d, struct err *err)
{
	return call(out, d, "GET", "/info", NULL, err);
}

int docker_check_manager(struct docker *d, struct err *err)
{
	json_t *info = NULL, *swarm;
	const char *state;
	int error = docker_info(&info, d, err);

	if (error)
		return error;
	swarm = json_object_get(info, "Swarm");
	state = json_string_value(json_object_get(swarm, "LocalNodeState"));
	if (!state || !*state)
		state = "unknown";
	if (strcmp(state, "active"))
		error = err_set(err, ERR_UNSUPPORTED,
		                "'%s' is not a swarm manager (Swarm: %s)",
		                d->host, state);
	else if (!json_is_true(json_object_get(swarm, "ControlAvailable")))
		error = err_set(err, ERR_UNSUPPORTED,
		                "'%s' is not a swarm manager (Swarm: active, "
		                "but this node is a worker)",
		                d->host);
	json_decref(info);
	return error;
}

/* --- the event stream --------------------------------------------------- */

/* A cap on one event line: events are small; a huge line is not one. */
#define EVENT_LINE_MAX ((size_t)256 << 10)

struct follow {
	docker_event_fn fn;
	int (*cancel)(void *ctx);
	void *ctx;
	int bad;     /* a line was not a JSON object */
	int stopped; /* fn returned non-zero */
	char what[64];
};

static int on_event_line(void *arg, const char *line, size_t len)
{
	struct follow *f = arg;
	json_t *ev;
	int rc;

	if (len == 0)
		return 0; /* keep-alive blank lines */
	ev = json_loadb(line, len, 0, NULL);
	if (!json_is_object(ev)) {
		json_decref(ev);
		f->bad = 1;
		snprintf(f->what, sizeof(f->what), "%.40s", line);
		return ERR_REMOTE;
	}
	rc = f->fn(f->ctx, ev);
	json_decref(ev);
	if (rc)
		f->stopped = 1;
	return rc;
}

static int follow_cancel(void *arg)
{
	struct follow *f = arg;

	return f->cancel && f->cancel(f->ctx);
}

int docker_events_follow(struct docker *d, docker_event_fn fn,
                         int (*cancel)(void *ctx), void *ctx, struct err *err)
{
	static const char filters[] =
	        "{\"type\":[\"service\",\"network\",\"config\",\"secret\","
	        "\"node\"]}";
	struct follow f = {.fn = fn, .cancel = cancel, .ctx = ctx};
	char *esc = http_escape(filters);
	char *path = xasprintf(API "/events?filters=%s", esc);
	int error;
	long status;

	log_debug("docker", "following GET %s", path);
	error = http_stream_lines(d->http, path, on_event_line, follow_cancel,
	                          &f, EVENT_LINE_MAX, err);
	status = http_stream_status(d->http);
	if (f.stopped) {
		/* fn's value and message stand. */
	} else if (f.bad) {
		size_t i;

		for (i = 0; f.what[i]; i++)
			if ((unsigned char)f.what[i] < ' ' ||
			    (unsigned char)f.what[i] > '~')
				f.what[i] = ' ';
		error = err_set(err, ERR_REMOTE,
		                "the Docker daemon at %s sent an event that is "
		                "not a JSON object: '%s'",
		                d->host, f.what);
	} else if (status == 200 && (error == 0 || error == ERR_REMOTE)) {
		error = err_set(
		        err, ERR_REMOTE,
		        "the Docker daemon at %s closed the event stream",
		        d->host);
	}
	free(path);
	free(esc);
	return error;
}
