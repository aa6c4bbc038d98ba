/*
 * mcpd.h: the MCP server inside `kedge run` (mcp: {enabled: true} in its
 * configuration file), served at /mcp of the daemon's HTTP server.
 *
 * Owns: turning the file's mcp: object into the MCP server, its context
 * (the daemon's repository, store and swarm, and the daemon itself for
 * reconcile_now) and its HTTP transport. Does not own: the protocol or
 * the tools.
 */
#ifndef RECONCILER_MCPD_H
#define RECONCILER_MCPD_H

#include "source.h"
#include "util.h"

struct daemon;
struct err;
struct json_t;
struct mcp_http;
struct mcpd;

struct mcpd_opts {
	const struct json_t *cfg; /* the mcp: object of the file, or NULL */
	struct source_opts src;   /* the daemon's repository and branch */
	const char *schema_dir;
	const char *docker_host;
	const char *store;  /* the daemon's store location */
	const char *listen; /* the daemon's --listen, for the Host check */
	const char *prom_url;
	struct daemon *daemon;
};

/*
 * *out is NULL (and 0 is returned) when the file does not enable MCP.
 * The strings of o must outlive the server. ERR_INVALID for an unknown
 * tool in tools:, the errors of mcpctx_new.
 */
int mcpd_start(struct mcpd **out, const struct mcpd_opts *o,
               struct err *err) MUST_CHECK;
void mcpd_free(struct mcpd *m);
/* The /mcp handler's state, for api.c. Borrowed. */
struct mcp_http *mcpd_http(struct mcpd *m);

#endif
