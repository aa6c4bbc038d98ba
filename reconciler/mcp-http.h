/*
 * mcp-http.h: MCP's Streamable HTTP transport, as a handler for /mcp on
 * an httpd (kedge mcp --listen, or the daemon's server).
 */
#ifndef RECONCILER_MCP_HTTP_H
#define RECONCILER_MCP_HTTP_H

#include "util.h"

struct err;
struct httpd_reply;
struct httpd_request;
struct mcp;
struct mcp_http;
struct store;

struct mcp_http_opts {
	const char *listen; /* the server's --listen: on loopback, only
	                     * loopback Host and Origin names are answered */
	double rate;        /* requests a second per token; 0: 10 */
	double burst;       /* at once; 0: 30 */
};

/*
 * The transport over m, with tokens from store (both borrowed; they
 * outlive it). ERR_INVALID without a store.
 */
int mcp_http_new(struct mcp_http **out, struct mcp *m, struct store *store,
                 const struct mcp_http_opts *o, struct err *err) MUST_CHECK;
void mcp_http_free(struct mcp_http *h);

/* 1 when listen ("127.0.0.1:8751", "[::1]:0") is a loopback address. */
int mcp_http_loopback(const char *listen);

/* Answers one request to /mcp (any method). Thread-safe. */
void mcp_http_handle(struct mcp_http *h, const struct httpd_request *req,
                     struct httpd_reply *rep);

#endif
