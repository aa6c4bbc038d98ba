/*
 * api.h: the daemon's HTTP endpoints: push webhooks, health, metrics and
 * the JSON API (docs/daemon.md lists them).
 *
 * Owns: routing a request to the daemon, the store or the metrics;
 * authentication (webhook signatures through webhook.c, the API's bearer
 * token compared in constant time); the status codes; the audit log of
 * every webhook and write. Nothing a request carries (a body, a
 * signature, a token) is logged, stored or echoed. Does not own: HTTP
 * itself (httpd.c), what a reconcile does (daemon.c).
 */
#ifndef RECONCILER_API_H
#define RECONCILER_API_H

#include <stddef.h>

struct daemon;
struct mcp_http;
struct httpd_reply;
struct httpd_request;
struct metrics;
struct store;

struct api {
	struct daemon *daemon;
	struct store *store;
	struct metrics *metrics;
	const char *webhook_secret; /* NULL: the hooks answer 401 */
	size_t webhook_secret_len;
	const char *api_token; /* NULL: the write API answers 401 */
	struct mcp_http *mcp;  /* /mcp; NULL: 404 */
};

/* An httpd_handler_fn; ctx is a struct api. Thread-safe. */
void api_handle(void *ctx, const struct httpd_request *req,
                struct httpd_reply *rep);

#endif
