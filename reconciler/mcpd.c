/*
 * mcpd.c: the MCP server of `kedge run` (see mcpd.h).
 *
 * It shares the daemon's store (tokens, audit) through a connection of
 * its own, and writes only commits: the daemon applies them like any
 * other push, so the daemon's single writer to the swarm stays the only
 * one.
 */
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "httpd.h"
#include "log.h"
#include "mcp-http.h"
#include "mcp.h"
#include "mcpctx.h"
#include "mcpd.h"

struct mcpd {
	struct mcpctx *ctx;
	struct mcp *mcp;
	struct mcp_http *http;
	char *tools;
	char *author_email;
};

static char *tools_list(const json_t *tools)
{
	struct buf b = BUF_INIT;
	size_t i;
	json_t *t;
	int rc = 0;

	if (!json_array_size(tools))
		return NULL;
	json_array_foreach (tools, i, t)
		rc |= buf_addf(&b, "%s%s", i ? "," : "", json_string_value(t));
	(void)rc; /* uncapped */
	return buf_detach(&b, NULL);
}

int mcpd_start(struct mcpd **out, const struct mcpd_opts *o, struct err *err)
{
	const json_t *cfg = o->cfg;
	const char *to = json_string_value(json_object_get(cfg, "commit_to"));
	struct mcpctx_opts co = {0};
	struct mcp_opts mo = {0};
	struct mcp_http_opts ho = {0};
	struct mcpd *m;
	int rc;

	*out = NULL;
	if (!json_is_true(json_object_get(cfg, "enabled")))
		return 0;
	m = xcalloc(1, sizeof(*m));
	m->tools = tools_list(json_object_get(cfg, "tools"));
	if (json_is_string(json_object_get(cfg, "author_email")))
		m->author_email = xstrdup(json_string_value(
		        json_object_get(cfg, "author_email")));
	co.src = o->src;
	co.schema_dir = o->schema_dir;
	co.docker_host = o->docker_host;
	co.store = o->store;
	co.prom_url = o->prom_url;
	co.author_email = m->author_email;
	co.daemon = o->daemon;
	co.commit_to = to && !strcmp(to, "tracked") ? MCPCTX_COMMIT_TRACKED
	                                            : MCPCTX_COMMIT_BRANCH;
	mo.version = KEDGE_VERSION;
	mo.read_only = json_is_true(json_object_get(cfg, "read_only"));
	mo.tools = m->tools;
	ho.listen = o->listen;
	ho.rate = json_number_value(json_object_get(cfg, "rate"));
	ho.burst = json_number_value(json_object_get(cfg, "burst"));
	if (co.commit_to == MCPCTX_COMMIT_TRACKED && !co.src.ref) {
		rc = err_set(err, ERR_INVALID, "%s",
		             "mcp: commit_to: tracked needs the tracked branch "
		             "named (ref:)");
		goto out;
	}
	if ((rc = mcpctx_new(&m->ctx, &co, err)))
		goto out;
	mo.ctx = m->ctx;
	if ((rc = mcp_new(&m->mcp, &mo, err)) ||
	    (rc = mcp_http_new(&m->http, m->mcp, mcpctx_store(m->ctx), &ho,
	                       err)))
		goto out;
	log_info("mcp", "serving MCP at /mcp commit_to=%s%s",
	         co.commit_to == MCPCTX_COMMIT_TRACKED ? "tracked" : "branch",
	         mo.read_only ? " read_only=1" : "");
out:
	if (rc) {
		err_prefix(err, "%s", "mcp");
		mcpd_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

void mcpd_free(struct mcpd *m)
{
	if (!m)
		return;
	mcp_http_free(m->http);
	mcp_free(m->mcp);
	mcpctx_free(m->ctx);
	free(m->tools);
	free(m->author_email);
	free(m);
}

struct mcp_http *mcpd_http(struct mcpd *m)
{
	return m ? m->http : NULL;
}
