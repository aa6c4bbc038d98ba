/*
 * mcp.c: the Model Context Protocol front door, independent of transport.
 *
 * Owns: JSON-RPC 2.0 framing, the legacy-era lifecycle (initialize,
 * version negotiation, ping), the method table, the queue a threaded
 * transport feeds, cancellation, progress and elicitation. Tools,
 * resources and prompts are in mcp-tools.c and mcp-content.c; they are
 * reached through the method table below.
 *
 * Eras: each method row names the eras it belongs to. The legacy era
 * (2025-03-26 .. 2025-11-25) has a session that starts with initialize.
 * The stateless era (2026-07-28) would add server/discover and read the
 * version from each request's _meta; it needs only new rows and a new
 * way to pick the era of a message (era_of), not a new dispatcher.
 *
 * Does not own: bytes on a wire (mcp-stdio.c), what a tool does.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "err.h"
#include "log.h"
#include "mcp-int.h"
#include "tool.h"

const char *const mcp_versions[] = {"2025-11-25", "2025-06-18", "2025-03-26",
                                    NULL};

/* How long a tool waits for the person to answer an elicitation. */
#define ELICIT_WAIT_MS (10u * 60 * 1000)
/* Messages waiting in a session's queue, at most. */
#define QUEUE_MAX 1024

struct qmsg {
	struct qmsg *next;
	char *text; /* NULL: an oversized message */
	size_t len;
};

void rpc_fail(struct rpc_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

/* ---- sending ------------------------------------------------------ */

int mcp_send_json(struct mcp_session *s, json_t *msg)
{
	char *text;
	int rc;

	if (s->send_failed)
		return s->send_failed;
	text = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (!text)
		BUG("cannot serialise an MCP message");
	rc = s->send(s->send_ctx, text, strlen(text));
	free(text);
	if (rc < 0)
		s->send_failed = rc;
	return rc < 0 ? rc : 0;
}

static json_t *response(json_t *id, json_t *result)
{
	return json_pack("{s:s, s:O, s:O}", "jsonrpc", "2.0", "id",
	                 id ? id : json_null(), "result", result);
}

/*
 * An error without a readable id (parse error, invalid request) has no
 * "id" at all: the schema's JSONRPCErrorResponse has an optional id that
 * is a string or an integer, never null, and the SDK clients drop a
 * message with "id": null as invalid instead of reading the error.
 */
static json_t *error_response(json_t *id, const struct rpc_error *e)
{
	json_t *err =
	        json_pack("{s:i, s:s}", "code", e->code, "message", e->msg);

	if (e->data)
		json_object_set(err, "data", e->data);
	if (!id)
		return json_pack("{s:s, s:o}", "jsonrpc", "2.0", "error", err);
	return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id, "error",
	                 err);
}

/* ---- lifecycle ---------------------------------------------------- */

static const char *pick_version(const char *asked)
{
	for (size_t i = 0; asked && mcp_versions[i]; i++)
		if (!strcmp(asked, mcp_versions[i]))
			return mcp_versions[i];
	/* not one of ours: answer the newest, the client decides */
	return mcp_versions[0];
}

static json_t *on_initialize(struct mcp_session *s, json_t *params,
                             struct rpc_error *e)
{
	const char *asked =
	        json_string_value(json_object_get(params, "protocolVersion"));
	json_t *caps = json_object_get(params, "capabilities");
	json_t *el = json_object_get(caps, "elicitation");
	json_t *info = json_object_get(params, "clientInfo");
	json_t *out;

	if (!json_is_object(params) || !asked) {
		rpc_fail(e, RPC_INVALID_PARAMS, "%s",
		         "initialize needs params.protocolVersion");
		return NULL;
	}
	s->version = pick_version(asked);
	/* an empty elicitation object means form mode (2025-06-18) */
	s->can_elicit = json_is_object(el) &&
	                (!json_object_size(el) ||
	                 json_is_object(json_object_get(el, "form")));
	free(s->client);
	s->client = xstrdup(json_string_value(json_object_get(info, "name"))
	                            ?: "unknown");
	log_info("mcp", "session started client=%s version=%s who=%s",
	         s->client, s->version, s->who);
	out = json_pack("{s:s, s:{s:{s:b}, s:{s:b, s:b}, s:{s:b}}, "
	                "s:{s:s, s:s, s:s}}",
	                "protocolVersion", s->version, "capabilities", "tools",
	                "listChanged", 0, "resources", "subscribe", 0,
	                "listChanged", 0, "prompts", "listChanged", 0,
	                "serverInfo", "name", "kedge", "title",
	                "kedge: GitOps for Docker Swarm", "version",
	                s->m->o.version ? s->m->o.version : "0");
	if (s->m->o.instructions)
		json_object_set_new(out, "instructions",
		                    json_string(s->m->o.instructions));
	return out;
}

static json_t *on_ping(struct mcp_session *s, json_t *params,
                       struct rpc_error *e)
{
	(void)s;
	(void)params;
	(void)e;
	return json_object();
}

static void on_initialized(struct mcp_session *s, json_t *params)
{
	(void)params;
	s->initialized = 1;
}

static void on_ignored(struct mcp_session *s, json_t *params)
{
	(void)s;
	(void)params;
}

/*
 * notifications/cancelled is acted on when it is fed (cancel_in_flight),
 * so that a tool running on the session's thread sees it; by the time
 * the dispatcher reaches it, there is nothing left to do.
 */
#define on_cancelled on_ignored

/* ---- the method table --------------------------------------------- */

enum { ERA_LEGACY = 1 << 0, ERA_STATELESS = 1 << 1 };

static const struct method {
	const char *name;
	unsigned eras;
	int before_init; /* allowed before initialize */
	json_t *(*request)(struct mcp_session *, json_t *, struct rpc_error *);
	void (*notify)(struct mcp_session *, json_t *);
} methods[] = {
        {"initialize", ERA_LEGACY, 1, on_initialize, NULL},
        {"ping", ERA_LEGACY, 1, on_ping, NULL},
        {"tools/list", ERA_LEGACY, 0, mcp_tools_list, NULL},
        {"tools/call", ERA_LEGACY, 0, mcp_tools_call, NULL},
        {"resources/list", ERA_LEGACY, 0, mcp_resources_list, NULL},
        {"resources/templates/list", ERA_LEGACY, 0, mcp_templates_list, NULL},
        {"resources/read", ERA_LEGACY, 0, mcp_resources_read, NULL},
        {"prompts/list", ERA_LEGACY, 0, mcp_prompts_list, NULL},
        {"prompts/get", ERA_LEGACY, 0, mcp_prompts_get, NULL},
        {"notifications/initialized", ERA_LEGACY, 1, NULL, on_initialized},
        {"notifications/cancelled", ERA_LEGACY, 1, NULL, on_cancelled},
        {"notifications/progress", ERA_LEGACY, 1, NULL, on_ignored},
        {"notifications/roots/list_changed", ERA_LEGACY, 1, NULL, on_ignored},
};

static const struct method *find_method(const char *name, unsigned era)
{
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
		if ((methods[i].eras & era) && !strcmp(methods[i].name, name))
			return &methods[i];
	return NULL;
}

/* Every message of this session is legacy until a stateless era exists. */
static unsigned era_of(const struct mcp_session *s, const json_t *msg)
{
	(void)s;
	(void)msg;
	return ERA_LEGACY;
}

static int valid_id(const json_t *id)
{
	return json_is_string(id) || json_is_integer(id);
}

/* A response to one of our requests (elicitation). */
static void on_response(struct mcp_session *s, json_t *msg)
{
	json_t *id = json_object_get(msg, "id");

	if (s->waiting_id && json_equal(id, s->waiting_id)) {
		json_decref(s->waiting_reply);
		s->waiting_reply = json_incref(msg);
		return;
	}
	log_debug("mcp", "%s", "ignoring a response nobody waits for");
}

/*
 * One message (not a batch): returns the answer to send, or NULL for a
 * notification or a response.
 */
static json_t *dispatch_one(struct mcp_session *s, json_t *msg)
{
	struct rpc_error e = {0};
	const struct method *m;
	json_t *id, *params, *result, *out;
	const char *name;

	if (!json_is_object(msg)) {
		rpc_fail(&e, RPC_INVALID_REQUEST, "%s",
		         "a message must be a JSON object");
		return error_response(NULL, &e);
	}
	id = json_object_get(msg, "id");
	name = json_string_value(json_object_get(msg, "method"));
	params = json_object_get(msg, "params");
	if (!name && id &&
	    (json_object_get(msg, "result") || json_object_get(msg, "error"))) {
		on_response(s, msg);
		return NULL;
	}
	if (!name ||
	    strcmp(json_string_value(json_object_get(msg, "jsonrpc")) ?: "",
	           "2.0") ||
	    (id && !valid_id(id)) || (params && !json_is_object(params))) {
		rpc_fail(&e, RPC_INVALID_REQUEST, "%s",
		         "not a JSON-RPC 2.0 request: it needs \"jsonrpc\": "
		         "\"2.0\", a string method, an id that is a string or "
		         "an integer, and params that are an object");
		return error_response(valid_id(id) ? id : NULL, &e);
	}
	m = find_method(name, era_of(s, msg));
	if (!id) { /* a notification: never answered */
		if (m && m->notify)
			m->notify(s, params);
		return NULL;
	}
	if (!m || !m->request) {
		rpc_fail(&e, RPC_METHOD_NOT_FOUND, "method '%s' not found",
		         name);
		return error_response(id, &e);
	}
	if (!m->before_init && !s->version) {
		rpc_fail(&e, RPC_INVALID_REQUEST,
		         "'%s' before initialize: initialize the session first",
		         name);
		return error_response(id, &e);
	}
	s->request_id = id;
	result = m->request(s, params, &e);
	s->request_id = NULL;
	if (!result && !e.code) /* cancelled: the client wants no answer */
		return NULL;
	out = result ? response(id, result) : error_response(id, &e);
	json_decref(result);
	json_decref(e.data);
	return out;
}

/*
 * A whole message: a batch (a JSON array) is taken only from a client
 * that negotiated 2025-03-26, the one version that has them.
 */
static int dispatch(struct mcp_session *s, const char *text, size_t len)
{
	struct rpc_error e = {0};
	json_error_t jerr;
	json_t *msg, *out = NULL, *one;
	size_t i;
	int rc = 0;

	/* any JSON value parses: a valid one that is not an object is an
	 * invalid request (-32600), not a parse error */
	msg = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	                 &jerr);
	if (!msg) {
		rpc_fail(&e, RPC_PARSE_ERROR, "invalid JSON at column %d: %s",
		         jerr.column, jerr.text);
		out = error_response(NULL, &e);
	} else if (json_is_array(msg) && s->version &&
	           !strcmp(s->version, "2025-03-26") && json_array_size(msg)) {
		out = json_array();
		json_array_foreach (msg, i, one) {
			json_t *r = dispatch_one(s, one);

			if (r)
				json_array_append_new(out, r);
		}
		if (!json_array_size(out)) {
			json_decref(out);
			out = NULL;
		}
	} else {
		out = dispatch_one(s, msg);
	}
	if (out) {
		rc = mcp_send_json(s, out);
		rc = rc ? rc : 1;
	}
	json_decref(out);
	json_decref(msg);
	return rc;
}

/* The answer to a message longer than MCP_MAX_MESSAGE. */
static int answer_oversized(struct mcp_session *s)
{
	struct rpc_error e = {0};
	json_t *out;
	int rc;

	rpc_fail(&e, RPC_INVALID_REQUEST, "message larger than %u bytes",
	         MCP_MAX_MESSAGE);
	out = error_response(NULL, &e);
	rc = mcp_send_json(s, out);
	json_decref(out);
	return rc;
}

int mcp_session_handle(struct mcp_session *s, const char *msg, size_t len)
{
	int rc;

	if (len > MCP_MAX_MESSAGE) {
		/* answered now: nothing runs a queue in this mode */
		rc = answer_oversized(s);
		return rc < 0 ? rc : 1;
	}
	return dispatch(s, msg, len);
}

/* ---- sessions and the queue --------------------------------------- */

struct mcp_session *mcp_session_new(struct mcp *m, const char *who,
                                    unsigned scopes, mcp_send_fn send,
                                    void *send_ctx)
{
	struct mcp_session *s = xcalloc(1, sizeof(*s));
	pthread_condattr_t attr;

	s->m = m;
	s->who = xstrdup(who);
	s->scopes = scopes;
	s->send = send;
	s->send_ctx = send_ctx;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &attr);
	pthread_condattr_destroy(&attr);
	return s;
}

static void queue_free(struct qmsg *q)
{
	while (q) {
		struct qmsg *next = q->next;

		free(q->text);
		free(q);
		q = next;
	}
}

void mcp_session_free(struct mcp_session *s)
{
	if (!s)
		return;
	queue_free(s->head);
	queue_free(s->deferred);
	json_decref(s->waiting_reply);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s->client);
	free(s->who);
	free(s);
}

const char *mcp_session_version(const struct mcp_session *s)
{
	return s->version;
}

/* Marks the call in flight cancelled when msg cancels it. Under s->lock. */
static void cancel_in_flight(struct mcp_session *s, const char *text,
                             size_t len)
{
	json_t *msg, *rid;

	if (!s->current || !memmem(text, len, "notifications/cancelled", 23))
		return;
	msg = json_loadb(text, len, 0, NULL);
	rid = json_object_get(json_object_get(msg, "params"), "requestId");
	if (rid && json_equal(rid, s->current->id)) {
		atomic_store(&s->current->cancelled, 1);
		log_info("mcp", "%s",
		         "the client cancelled the call in flight");
	}
	json_decref(msg);
}

static void push(struct mcp_session *s, char *text, size_t len)
{
	struct qmsg *q = xcalloc(1, sizeof(*q));

	q->text = text;
	q->len = len;
	pthread_mutex_lock(&s->lock);
	if (text)
		cancel_in_flight(s, text, len);
	if (s->queued >= QUEUE_MAX) {
		/* a client that floods is cut off, not buffered without end */
		s->ended = 1;
		free(q->text);
		free(q);
	} else {
		*(s->tail ? &s->tail->next : &s->head) = q;
		s->tail = q;
		s->queued++;
	}
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

void mcp_session_feed(struct mcp_session *s, const char *msg, size_t len)
{
	/* all len bytes, NULs too: xstrndup would stop at the first one */
	char *text = xmalloc(len + 1);

	memcpy(text, msg, len);
	text[len] = '\0';
	push(s, text, len);
}

void mcp_session_feed_oversized(struct mcp_session *s)
{
	push(s, NULL, 0);
}

void mcp_session_feed_end(struct mcp_session *s)
{
	pthread_mutex_lock(&s->lock);
	s->ended = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Takes the next queued message; waits until deadline (CLOCK_MONOTONIC
 * ms, 0: forever). NULL when the input ended or the wait timed out.
 */
static struct qmsg *pop(struct mcp_session *s, uint64_t deadline)
{
	struct qmsg *q;

	pthread_mutex_lock(&s->lock);
	while (!s->head && !s->ended) {
		if (!deadline) {
			pthread_cond_wait(&s->cond, &s->lock);
			continue;
		}
		struct timespec ts = {(time_t)(deadline / 1000),
		                      (long)(deadline % 1000) * 1000000};

		if (now_ms() >= deadline)
			break;
		/* s->cond waits on CLOCK_MONOTONIC, as deadline is */
		pthread_cond_timedwait(&s->cond, &s->lock, &ts);
	}
	q = s->head;
	if (q) {
		s->head = q->next;
		if (!s->head)
			s->tail = NULL;
		s->queued--;
		q->next =
		        NULL; /* no longer in the queue (wait_reply links it) */
	}
	pthread_mutex_unlock(&s->lock);
	return q;
}

static int handle_queued(struct mcp_session *s, struct qmsg *q)
{
	int rc;

	if (!q->text)
		return answer_oversized(s);
	rc = dispatch(s, q->text, q->len);
	return rc < 0 ? rc : 0;
}

int mcp_session_run(struct mcp_session *s)
{
	struct qmsg *q;
	int rc = 0;

	s->threaded = 1;
	while (!rc) {
		if (s->deferred) {
			q = s->deferred;
			s->deferred = q->next;
		} else if (!(q = pop(s, 0))) {
			break;
		}
		rc = handle_queued(s, q);
		free(q->text);
		free(q);
	}
	return rc;
}

/* ---- what a tool may ask of its call ------------------------------ */

void mcp_call_progress(struct mcp_call *c, double progress, double total,
                       const char *message)
{
	json_t *n;

	if (!c || !c->progress_token)
		return;
	n = json_pack("{s:s, s:s, s:{s:O, s:f}}", "jsonrpc", "2.0", "method",
	              "notifications/progress", "params", "progressToken",
	              c->progress_token, "progress", progress);
	if (total > 0)
		json_object_set_new(json_object_get(n, "params"), "total",
		                    json_real(total));
	if (message)
		json_object_set_new(json_object_get(n, "params"), "message",
		                    json_string(message));
	(void)mcp_send_json(c->s, n);
	json_decref(n);
}

int mcp_call_cancelled(struct mcp_call *c)
{
	return c && atomic_load(&c->cancelled);
}

/*
 * A response, a ping, or what is only answered with an error: handled
 * even while a tool waits. A batch waits: the requests in it would run
 * inside the waiting tool (2025-03-26, the version with batches, has no
 * elicitation, so its answer never comes in one).
 */
static int answer_now(const char *text, size_t len)
{
	json_t *msg = json_loadb(text, len, JSON_DECODE_ANY, NULL);
	const char *m = json_string_value(json_object_get(msg, "method"));
	int now = !json_is_array(msg) &&
	          (!json_is_object(msg) || !m || !strcmp(m, "ping"));

	json_decref(msg);
	return now;
}

/*
 * Waits for the answer to our request id. Other messages meanwhile:
 * responses are matched, pings answered at once (a client's keepalive
 * must not wait for the person), anything else is kept for later.
 */
static int wait_reply(json_t **out, struct mcp_session *s, json_t *id,
                      struct mcp_call *c, struct err *err)
{
	uint64_t deadline = now_ms() + ELICIT_WAIT_MS;
	struct qmsg **dtail = &s->deferred;
	int rc = ERR_TIMEOUT;

	while (*dtail)
		dtail = &(*dtail)->next;
	s->waiting_id = id;
	while (!s->waiting_reply && !mcp_call_cancelled(c)) {
		struct qmsg *q = pop(s, deadline);

		if (!q)
			break;
		if (q->text && !answer_now(q->text, q->len)) {
			*dtail = q; /* a request or notification: later */
			dtail = &q->next;
			continue;
		}
		(void)handle_queued(s, q);
		free(q->text);
		free(q);
	}
	s->waiting_id = NULL;
	if (s->waiting_reply) {
		*out = s->waiting_reply;
		s->waiting_reply = NULL;
		return 0;
	}
	if (mcp_call_cancelled(c))
		return err_set(err, ERR_CANCELED, "%s",
		               "the call was cancelled");
	return err_set(err, rc, "%s",
	               s->ended ? "the client went away"
	                        : "no answer to the confirmation request");
}

int mcp_call_confirm(struct mcp_call *c, const char *message, struct err *err)
{
	struct mcp_session *s = c->s;
	json_t *req, *id, *reply = NULL, *result;
	const char *action;
	int rc;

	if (!s->threaded || !s->can_elicit)
		return err_set(err, ERR_UNSUPPORTED, "%s",
		               "the client cannot ask the person (no "
		               "elicitation); pass confirm: true");
	id = json_sprintf("kedge-elicit-%u", ++s->next_id);
	req = json_pack(
	        "{s:s, s:O, s:s, s:{s:s, s:{s:s, s:{s:{s:s, s:s, s:s}}, "
	        "s:[s]}}}",
	        "jsonrpc", "2.0", "id", id, "method", "elicitation/create",
	        "params", "message", message, "requestedSchema", "type",
	        "object", "properties", "confirm", "type", "boolean", "title",
	        "Confirm", "description", "Go ahead with this change",
	        "required", "confirm");
	rc = mcp_send_json(s, req);
	json_decref(req);
	if (!rc)
		rc = wait_reply(&reply, s, id, c, err);
	else
		rc = err_set(err, ERR_IO, "%s", "cannot reach the client");
	json_decref(id);
	if (rc)
		return rc;
	result = json_object_get(reply, "result");
	action = json_string_value(json_object_get(result, "action"));
	rc = action && !strcmp(action, "accept") &&
	     json_is_true(json_object_get(json_object_get(result, "content"),
	                                  "confirm"));
	json_decref(reply);
	return rc;
}
