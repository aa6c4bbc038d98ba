/*
 * http.h: a small HTTP/1.1 client, the only adapter over libcurl.
 *
 * Owns: one connection (kept alive between requests) to one server, over a
 * unix socket or TCP, optionally TLS with a client certificate; connect and
 * total timeouts; a cap on the size of a reply body; a count of requests
 * made; long-lived GETs read line by line (http_stream_lines). Does not own:
 *what the requests mean (docker.c speaks the Engine API on top of this), JSON,
 *retries.
 *
 *	struct http *h;
 *	struct http_opts o = {.base_url = "http://localhost",
 *			      .unix_socket = "/var/run/docker.sock",
 *			      .name = "the Docker daemon at unix:///..."};
 *	struct http_response r;
 *
 *	if (http_open(&h, &o, err) < 0) ...
 *	if (http_request(&r, h, "GET", "/v1.41/info", NULL, NULL, 0, err) < 0)
 *		...
 *	use r.status, r.body; http_response_release(&r);
 *	http_free(h);
 *
 * Not thread-safe: one struct http is used by one thread at a time.
 */
#ifndef RECONCILER_HTTP_H
#define RECONCILER_HTTP_H

#include "buf.h"
#include "err.h"
#include "util.h"

/* The default cap on a reply body: /services of a big swarm fits. */
#define HTTP_MAX_BODY_DEFAULT ((size_t)64 << 20)

struct http;

struct http_opts {
	/* "http://localhost" (with unix_socket), "http://h:p", "https://h:p" */
	const char *base_url;
	const char *unix_socket; /* path of a unix socket, or NULL for TCP */
	/* PEM files for TLS; NULL for the system's CAs / no client cert. */
	const char *ca_file, *cert_file, *key_file;
	long connect_timeout_ms; /* 0: 5 s */
	long timeout_ms;         /* whole request; 0: 120 s */
	size_t max_body;         /* cap on a reply body; 0: the default */
	/* Names the server in messages ("the Docker daemon at unix:///x"). */
	const char *name;
};

struct http_response {
	long status;     /* the HTTP status code */
	struct buf body; /* the reply body, capped by max_body */
};

/*
 * Prepares a client; does not connect yet (the first request does). The
 * strings in opts are copied. ERR_INVALID for a missing base_url,
 * ERR_INTERNAL when libcurl cannot be set up. The caller frees *out with
 * http_free().
 */
int http_open(struct http **out, const struct http_opts *opts,
              struct err *err) MUST_CHECK;
/* Closes the connection and frees h. NULL-safe. */
void http_free(struct http *h);

/*
 * Sends `method path` (path begins with '/' and may carry a query string,
 * already escaped) with an optional body of len bytes; content_type, when
 * not NULL, is sent as Content-Type. On success (any HTTP status) fills
 * *out, which the caller releases with http_response_release().
 * Errors: ERR_REMOTE when the server cannot be reached ("cannot connect to
 * <name>: <reason>") or the exchange breaks, ERR_TIMEOUT when no complete
 * reply came within the timeouts, ERR_TOOBIG when the reply body is larger
 * than the cap.
 */
int http_request(struct http_response *out, struct http *h, const char *method,
                 const char *path, const char *content_type, const void *body,
                 size_t len, struct err *err) MUST_CHECK;
/*
 * Like http_request, with extra header lines ("Authorization: Bearer x"),
 * a NULL-terminated list, or NULL for none. The lines are sent as they
 * are and never appear in an error message; curl copies them.
 */
int http_request_with(struct http_response *out, struct http *h,
                      const char *method, const char *path,
                      const char *const *extra, const char *content_type,
                      const void *body, size_t len, struct err *err) MUST_CHECK;
/* Frees the body of r. NULL-safe. */
void http_response_release(struct http_response *r);

/* How many requests h has sent (or tried to send) since http_open(). */
unsigned long http_requests_made(const struct http *h);
/* Changes the timeouts (0 keeps the current value). */
void http_set_timeouts(struct http *h, long connect_timeout_ms,
                       long timeout_ms);

/*
 * Percent-encodes s for a query string or a path segment: everything but
 * A-Z a-z 0-9 - . _ ~ becomes %XX. The caller frees the result.
 */
char *http_escape(const char *s);

/*
 * Streams. Sends GET path (as http_request does) and calls fn for every
 * complete line of the reply body, without its '\n', as it arrives (line
 * points into a buffer that is reused: copy what you keep); when the
 * server ends the reply cleanly, a last line without '\n' is passed too.
 * Only the connect timeout applies: a stream may last forever. A line
 * longer than max_line bytes (0: HTTP_MAX_LINE_DEFAULT) ends the call
 * with ERR_TOOBIG. Returns:
 *	0             the server ended a 200 reply;
 *	fn's value    when fn returns non-zero (err is left as fn left it);
 *	ERR_CANCELED  when cancel(ctx) returns non-zero; cancel (may be
 *	              NULL) is asked at least every 200 ms, also while
 *	              nothing arrives;
 *	ERR_REMOTE    a status other than 200 ("... answered GET <path>
 *	              with HTTP <status>: <start of the body>"), no
 *	              connection, or a reply that broke off;
 *	ERR_TOOBIG    a line over max_line.
 * The stream uses a connection of its own (h's keep-alive connection is
 * left alone), but h is busy until this returns: one thread at a time.
 */
#define HTTP_MAX_LINE_DEFAULT ((size_t)1 << 20)
typedef int (*http_line_fn)(void *ctx, const char *line, size_t len);
int http_stream_lines(struct http *h, const char *path, http_line_fn fn,
                      int (*cancel)(void *ctx), void *ctx, size_t max_line,
                      struct err *err) MUST_CHECK;
/*
 * The HTTP status of the last http_stream_lines() reply; 0 when no reply
 * head arrived. Tells "the server closed a stream it had accepted" (200)
 * apart from "never reached" (0).
 */
long http_stream_status(const struct http *h);

#endif
