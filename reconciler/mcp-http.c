/*
 * mcp-http.c: MCP over Streamable HTTP at /mcp, on an httpd of kedge
 * mcp --listen or of the daemon.
 *
 * Owns: what the transport demands of a server before a message reaches
 * the dispatcher: the Host and Origin checks against DNS rebinding (403),
 * bearer tokens from the store (401; the token's scope becomes the
 * session's), a rate limit per token (429), sessions named by
 * Mcp-Session-Id (400 without one, 404 for an unknown or ended one,
 * DELETE ends one), the MCP-Protocol-Version header (400 for a version
 * kedge does not speak), the size cap (413), and answers as one JSON body
 * (200) or none (202). GET is 405: kedge opens no server-to-client
 * stream, so tools cannot ask the person (elicitation) over HTTP and need
 * confirm: true.
 *
 * Calls are serialised: the tools share one repository cache, one store
 * and one set of schemas. Does not own: the protocol (mcp.c).
 */
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "err.h"
#include "hash.h"
#include "httpd.h"
#include "log.h"
#include "mcp-http.h"
#include "mcp.h"
#include "store.h"

#define MAX_SESSIONS   128
#define SESSION_IDLE_S (60 * 60)
#define RATE_MAX       64 /* tokens tracked by the limiter */

struct hsession {
	char id[33];
	char token_hash[HASH_HEX_LEN + 1];
	struct mcp_session *s;
	time_t used;
	struct buf reply; /* the answer of the request in flight */
};

struct bucket {
	char name[65];
	double tokens;
	struct timespec at;
};

struct mcp_http {
	struct mcp *m;
	struct store *store;
	struct mcp_http_opts o;
	int loopback; /* o.listen is a loopback address */
	pthread_mutex_t lock;
	struct hsession *sessions[MAX_SESSIONS];
	struct bucket buckets[RATE_MAX];
};

int mcp_http_new(struct mcp_http **out, struct mcp *m, struct store *store,
                 const struct mcp_http_opts *o, struct err *err)
{
	struct mcp_http *h;

	*out = NULL;
	if (!store)
		return err_set(err, ERR_INVALID, "%s",
		               "MCP over HTTP needs the store (its tokens)");
	h = xcalloc(1, sizeof(*h));
	h->m = m;
	h->store = store;
	h->o = *o;
	h->loopback = o->listen && mcp_http_loopback(o->listen);
	if (h->o.rate <= 0)
		h->o.rate = 10;
	if (h->o.burst <= 0)
		h->o.burst = 30;
	pthread_mutex_init(&h->lock, NULL);
	*out = h;
	return 0;
}

static void session_free(struct hsession *hs)
{
	if (!hs)
		return;
	mcp_session_free(hs->s);
	buf_release(&hs->reply);
	free(hs);
}

void mcp_http_free(struct mcp_http *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < MAX_SESSIONS; i++)
		session_free(h->sessions[i]);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* ---- replies ------------------------------------------------------- */

static void reply_text(struct httpd_reply *rep, int status, const char *msg)
{
	rep->status = status;
	rep->content_type = "application/json";
	buf_reset(&rep->body);
	if (buf_addf(&rep->body,
	             "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":"
	             "%d,\"message\":\"%s\"}}",
	             status == 404   ? -32001
	             : status == 400 ? -32600
	                             : -32000,
	             msg))
		rep->status = 500;
}

/* ---- checks -------------------------------------------------------- */

/* The host part of "host:port", "[v6]:port" or "host", lower case. */
static void host_of(char *out, size_t n, const char *hostport)
{
	size_t len;

	if (*hostport == '[') {
		const char *end = strchr(hostport, ']');

		len = end ? (size_t)(end - hostport + 1) : strlen(hostport);
	} else {
		len = strcspn(hostport, ":");
	}
	if (len >= n)
		len = n - 1;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)((hostport[i] >= 'A' && hostport[i] <= 'Z')
		                        ? hostport[i] + 32
		                        : hostport[i]);
	out[len] = '\0';
}

static int loopback_name(const char *host)
{
	return !strcmp(host, "localhost") || !strcmp(host, "127.0.0.1") ||
	       !strcmp(host, "[::1]") || !strcmp(host, "::1");
}

int mcp_http_loopback(const char *listen)
{
	char host[256];
	unsigned port;
	struct err err;

	err_clear(&err);
	if (httpd_listen_parse(host, sizeof(host), &port, listen, &err))
		return 0;
	return !strcmp(host, "localhost") || !strncmp(host, "127.", 4) ||
	       !strcmp(host, "::1");
}

/*
 * DNS rebinding: a page on evil.example that resolves its name to
 * 127.0.0.1 sends Host: evil.example and Origin: http://evil.example.
 * A server bound to loopback only answers loopback names; an Origin must
 * be one of the names the Host may be.
 */
static int origin_ok(const struct mcp_http *h, const struct httpd_request *req)
{
	const char *hosth = httpd_header(req, "Host");
	const char *origin = httpd_header(req, "Origin");
	char host[256], ohost[256];

	host_of(host, sizeof(host), hosth ? hosth : "");
	if (h->loopback && !loopback_name(host))
		return 0;
	if (!origin)
		return 1;
	if (strncasecmp(origin, "http://", 7) &&
	    strncasecmp(origin, "https://", 8))
		return 0;
	host_of(ohost, sizeof(ohost), strstr(origin, "://") + 3);
	if (h->loopback)
		return loopback_name(ohost);
	return !strcmp(ohost, host);
}

/* The token's {name, scope}, or NULL (401). */
static json_t *authenticate(struct mcp_http *h, const struct httpd_request *req,
                            char hash[HASH_HEX_LEN + 1])
{
	const char *auth = httpd_header(req, "Authorization");
	json_t *tok = NULL;
	struct err err;

	if (!auth || strncasecmp(auth, "Bearer ", 7) || !auth[7])
		return NULL;
	hash_sha256_hex(hash, auth + 7, strlen(auth + 7));
	err_clear(&err);
	if (store_token_find(&tok, h->store, hash, &err))
		return NULL;
	return tok;
}

static double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* A token bucket per token name: 1 when the request may go on. */
static int rate_ok(struct mcp_http *h, const char *name)
{
	struct timespec now;
	struct bucket *b = NULL, *oldest = &h->buckets[0];

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (size_t i = 0; i < RATE_MAX && !b; i++) {
		if (!strcmp(h->buckets[i].name, name))
			b = &h->buckets[i];
		else if (elapsed(&h->buckets[i].at, &oldest->at) > 0)
			oldest = &h->buckets[i];
	}
	if (!b) {
		b = oldest;
		snprintf(b->name, sizeof(b->name), "%s", name);
		b->tokens = h->o.burst;
		b->at = now;
	}
	b->tokens += elapsed(&b->at, &now) * h->o.rate;
	if (b->tokens > h->o.burst)
		b->tokens = h->o.burst;
	b->at = now;
	if (b->tokens < 1)
		return 0;
	b->tokens -= 1;
	return 1;
}

static int version_ok(const struct httpd_request *req)
{
	const char *v = httpd_header(req, "MCP-Protocol-Version");

	for (size_t i = 0; v && mcp_versions[i]; i++)
		if (!strcmp(v, mcp_versions[i]))
			return 1;
	return !v; /* absent: the client is on 2025-03-26 */
}

/* ---- sessions ------------------------------------------------------ */

static int send_to_reply(void *ctx, const char *msg, size_t len)
{
	struct hsession *hs = ctx;
	json_t *m = json_loadb(msg, len, 0, NULL);
	int note = json_is_object(m) && json_object_get(m, "method");

	json_decref(m);
	if (note) /* progress: no stream to send it on */
		return 0;
	buf_reset(&hs->reply);
	return buf_add(&hs->reply, msg, len) ? -1 : 0;
}

static struct hsession *find_session(struct mcp_http *h, const char *id,
                                     const char *hash)
{
	time_t now = time(NULL);

	for (size_t i = 0; i < MAX_SESSIONS; i++) {
		struct hsession *hs = h->sessions[i];

		if (hs && now - hs->used > SESSION_IDLE_S) {
			session_free(hs);
			h->sessions[i] = NULL;
			continue;
		}
		/* a session belongs to the token that opened it */
		if (hs && id && !strcmp(hs->id, id) &&
		    !strcmp(hs->token_hash, hash))
			return hs;
	}
	return NULL;
}

static struct hsession *new_session(struct mcp_http *h, const json_t *tok,
                                    const char *hash)
{
	const char *scope = json_string_value(json_object_get(tok, "scope"));
	const char *name = json_string_value(json_object_get(tok, "name"));
	unsigned scopes = MCP_SCOPE_READ;
	struct hsession *hs;
	size_t slot = MAX_SESSIONS, oldest = 0;

	for (size_t i = 0; i < MAX_SESSIONS; i++) {
		if (!h->sessions[i]) {
			slot = i;
			break;
		}
		if (h->sessions[i]->used < h->sessions[oldest]->used)
			oldest = i;
	}
	if (slot == MAX_SESSIONS) { /* full: the idlest one goes */
		session_free(h->sessions[oldest]);
		slot = oldest;
	}
	if (scope && !strcmp(scope, "write"))
		scopes |= MCP_SCOPE_WRITE;
	hs = xcalloc(1, sizeof(*hs));
	hash_random_hex(hs->id, 16);
	snprintf(hs->token_hash, sizeof(hs->token_hash), "%s", hash);
	buf_init(&hs->reply, 0);
	hs->s = mcp_session_new(h->m, name ? name : "token", scopes,
	                        send_to_reply, hs);
	hs->used = time(NULL);
	h->sessions[slot] = hs;
	return hs;
}

static int is_initialize(const struct httpd_request *req)
{
	json_t *msg = json_loadb(req->body, req->body_len, 0, NULL);
	const char *m = json_string_value(json_object_get(msg, "method"));
	int yes = m && !strcmp(m, "initialize");

	json_decref(msg);
	return yes;
}

static void end_session(struct mcp_http *h, const struct httpd_request *req,
                        const char *hash, struct httpd_reply *rep)
{
	struct hsession *hs =
	        find_session(h, httpd_header(req, "Mcp-Session-Id"), hash);

	if (!hs) {
		reply_text(rep, 404, "no such session");
		return;
	}
	for (size_t i = 0; i < MAX_SESSIONS; i++)
		if (h->sessions[i] == hs)
			h->sessions[i] = NULL;
	session_free(hs);
	rep->status = 200;
}

static void post(struct mcp_http *h, const struct httpd_request *req,
                 const json_t *tok, const char *hash, struct httpd_reply *rep)
{
	const char *id = httpd_header(req, "Mcp-Session-Id");
	struct hsession *hs;
	int rc;

	if (is_initialize(req)) {
		hs = new_session(h, tok, hash);
		httpd_reply_header(rep, "Mcp-Session-Id", hs->id);
	} else if (!id) {
		reply_text(rep, 400, "Bad Request: no Mcp-Session-Id header");
		return;
	} else if (!(hs = find_session(h, id, hash))) {
		reply_text(rep, 404, "Session not found");
		return;
	}
	hs->used = time(NULL);
	buf_reset(&hs->reply);
	rc = mcp_session_handle(hs->s, req->body, req->body_len);
	if (rc < 0) {
		reply_text(rep, 500, "cannot answer");
		return;
	}
	if (rc == 0) { /* only notifications or responses */
		rep->status = 202;
		return;
	}
	rep->status = 200;
	if (buf_add(&rep->body, hs->reply.ptr, hs->reply.len))
		rep->status = 500;
}

void mcp_http_handle(struct mcp_http *h, const struct httpd_request *req,
                     struct httpd_reply *rep)
{
	char hash[HASH_HEX_LEN + 1] = "";
	const char *ctype = httpd_header(req, "Content-Type");
	json_t *tok = NULL;
	struct err err;
	const char *result;

	err_clear(&err);
	pthread_mutex_lock(&h->lock);
	if (!origin_ok(h, req)) {
		reply_text(rep, 403, "Forbidden: Origin or Host not allowed");
	} else if (!(tok = authenticate(h, req, hash))) {
		reply_text(rep, 401,
		           "Unauthorized: a valid bearer token is needed");
		rep->www_authenticate = "Bearer realm=\"kedge\"";
	} else if (!rate_ok(h,
	                    json_string_value(json_object_get(tok, "name")))) {
		reply_text(rep, 429, "Too Many Requests");
		httpd_reply_header(rep, "Retry-After", "1");
	} else if (!strcmp(req->method, "DELETE")) {
		end_session(h, req, hash, rep);
	} else if (strcmp(req->method, "POST")) {
		reply_text(rep, 405, "Method Not Allowed: POST or DELETE");
		rep->allow = "POST, DELETE";
	} else if (req->too_big) {
		reply_text(rep, 413, "Payload Too Large");
	} else if (!version_ok(req)) {
		reply_text(rep, 400,
		           "Bad Request: unsupported MCP-Protocol-Version");
	} else if (!ctype || strncasecmp(ctype, "application/json", 16)) {
		reply_text(rep, 415,
		           "Unsupported Media Type: application/json");
	} else {
		post(h, req, tok, hash, rep);
	}
	if (rep->status == 401 || rep->status == 403 || rep->status == 429) {
		/* who, without a token: the peer's address */
		char what[64];

		snprintf(what, sizeof(what), "%s /mcp", req->method);
		result = rep->status == 401   ? "401"
		         : rep->status == 403 ? "403"
		                              : "429";
		if (store_audit(h->store, "mcp-http",
		                tok ? json_string_value(
		                              json_object_get(tok, "name"))
		                    : req->remote,
		                what, result, &err))
			log_warn("mcp", "cannot write the audit log: %s",
			         err.msg);
	}
	pthread_mutex_unlock(&h->lock);
	json_decref(tok);
}
