/*
 * httpd.h: a small HTTP/1.1 server, the only adapter over libmicrohttpd.
 *
 * Owns: the listen socket (parsing the listen address, binding it), the
 * server's threads, reading each request with its body capped, and sending
 * the reply a handler fills. Does not own: what a path means (the daemon's
 * router does), authentication, JSON, logging of requests (the handler logs;
 * this module never logs a body or a header value).
 *
 *	static void handle(void *ctx, const struct httpd_request *req,
 *			   struct httpd_reply *rep)
 *	{
 *		rep->status = 200;
 *		if (buf_addstr(&rep->body, "{\"ok\":true}") < 0) ...
 *	}
 *
 *	struct httpd *h;
 *	struct httpd_opts o = {.listen = "127.0.0.1:8750"};
 *
 *	if (httpd_start(&h, &o, handle, ctx, err) < 0) ...
 *	...
 *	httpd_stop(h);
 *
 * Threads: each connection is served by a thread of its own (at most
 * opts.max_connections at once), or by a pool of opts.threads threads when
 * that is set, so the handler is called concurrently from several threads
 * (one call per request, never two at once for one connection). Whatever
 * it touches in ctx must be locked or immutable. A slow handler holds its
 * connection's thread (with a pool, every connection that thread serves).
 */
#ifndef RECONCILER_HTTPD_H
#define RECONCILER_HTTPD_H

#include "buf.h"
#include "err.h"
#include "util.h"

/* The default cap on a request body: 1 MiB. */
#define HTTPD_MAX_BODY_DEFAULT ((size_t)1 << 20)

struct httpd;

/* One request, valid during the handler's call only; every field borrowed. */
struct httpd_request {
	/*
	 * "GET", "POST", ... as sent, except that a HEAD request is passed as
	 * "GET" (with head set) and the body of its reply is not sent.
	 */
	const char *method;
	const char
	        *path; /* the URL path (percent-decoded), without the query */
	/* The whole request body, a NUL-terminated copy; "" when none. */
	const char *body;
	size_t body_len;
	/*
	 * 1: the body was over opts.max_body (by its Content-Length or while
	 * it streamed in); body is "" and the handler should answer 413.
	 */
	int too_big;
	const char *remote; /* the peer's address "127.0.0.1" / "::1" */
	int head;           /* 1: the request was HEAD (method says "GET") */
	void *impl;         /* the adapter's */
};

/* A request header, case-insensitive name; NULL when absent. Borrowed. */
const char *httpd_header(const struct httpd_request *r, const char *name);
/*
 * A query-string argument (percent-decoded); NULL when absent, "" for a
 * name without "=value". Borrowed.
 */
const char *httpd_query(const struct httpd_request *r, const char *name);

/*
 * What the handler answers. The adapter zeroes it before the call (body
 * empty, without a cap: the handler chooses what it writes) and frees body
 * after sending it.
 */
struct httpd_reply {
	int status;               /* 0 (or not 100..599) means 500 */
	const char *content_type; /* NULL: "application/json" */
	struct buf body;
	const char *allow;            /* sent as "Allow:" when not NULL (405) */
	const char *www_authenticate; /* sent as "WWW-Authenticate:" (401) */
	/* more headers (Mcp-Session-Id, Retry-After): httpd_reply_header */
	struct {
		const char *name; /* a static string */
		char value[128];
	} extra[4];
	size_t nextra;
};

/* Adds a header (name static, value copied; at most 4, else dropped). */
void httpd_reply_header(struct httpd_reply *rep, const char *name,
                        const char *value);

typedef void (*httpd_handler_fn)(void *ctx, const struct httpd_request *req,
                                 struct httpd_reply *rep);

struct httpd_opts {
	/*
	 * "127.0.0.1:8750", "[::1]:8750", "localhost:8750", "0.0.0.0:0", or
	 * ":8750" for every address (IPv6 and IPv4 when the host has IPv6).
	 * The host is numeric or "localhost"; port 0 means any free port.
	 */
	const char *listen;
	size_t max_body; /* 0: HTTPD_MAX_BODY_DEFAULT */
	/*
	 * Worker threads: 0 (the default) gives each connection a thread of
	 * its own, up to max_connections; N > 0 serves every connection from
	 * a pool of N threads.
	 */
	unsigned threads;
	unsigned timeout_sec;     /* idle connection timeout; 0: 30 */
	unsigned max_connections; /* 0: 64 */
};

/*
 * Binds opts->listen and starts serving in the server's own threads; the
 * strings in opts are not kept. ERR_INVALID for a bad listen address
 * ("invalid listen address 'x': ..."), ERR_IO when it cannot bind ("cannot
 * listen on 127.0.0.1:8750: Address already in use"), ERR_INTERNAL when
 * libmicrohttpd cannot start. The caller stops *out with httpd_stop().
 */
int httpd_start(struct httpd **out, const struct httpd_opts *opts,
                httpd_handler_fn fn, void *ctx, struct err *err) MUST_CHECK;
/* The port actually bound (useful with port 0). */
unsigned httpd_port(const struct httpd *h);
/*
 * Stops accepting, waits for the handlers in flight to return, closes every
 * connection and frees h. NULL-safe.
 */
void httpd_stop(struct httpd *h);

/*
 * Parses a listen address as httpd_start() does, for validating
 * configuration: fills host (the numeric address; "" for every address;
 * size >= 64) and *port. ERR_INVALID with the message httpd_start() gives.
 */
int httpd_listen_parse(char *host, size_t hostlen, unsigned *port,
                       const char *listen, struct err *err) MUST_CHECK;

#endif
