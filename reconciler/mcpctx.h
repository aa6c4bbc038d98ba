/*
 * mcpctx.h: what kedge's MCP tools work on: the desired-state repository
 * and its tracked branch, the swarm, the store; and the audit of calls.
 *
 * Owns: the settings of `kedge mcp` that tools need, the schemas (loaded
 * once per server), the store (tokens, audit, history), and a fresh view
 * of the tracked branch for each call. Does not own: the protocol
 * (mcp.c), commits (mcpwrite.h).
 */
#ifndef RECONCILER_MCPCTX_H
#define RECONCILER_MCPCTX_H

#include "diag.h"
#include "reconcile.h"
#include "source.h"
#include "util.h"

struct daemon;
struct err;
struct json_t;
struct mcpctx;
struct store;
struct tool_result;

enum mcpctx_commit_to {
	MCPCTX_COMMIT_BRANCH,  /* a new branch kedge/<slug> per change */
	MCPCTX_COMMIT_TRACKED, /* the tracked branch itself */
};

struct mcpctx_opts {
	struct source_opts src; /* the repository; ref: the tracked branch */
	const char *schema_dir;
	const char *docker_host; /* NULL: $DOCKER_HOST */
	const char *store;       /* NULL: the default store */
	enum mcpctx_commit_to commit_to;
	const char *author_name;  /* NULL: "kedge" */
	const char *author_email; /* NULL: "kedge@localhost" */
	const char *prom_url;     /* analyze_metrics; NULL: none */
	struct daemon *daemon;    /* reconcile_now; NULL: not in kedge run */
};

/*
 * Loads the schemas and opens the store. The strings of o are borrowed
 * and must outlive the context. ERR_INVALID / ERR_IO with the reason.
 */
int mcpctx_new(struct mcpctx **out, const struct mcpctx_opts *o,
               struct err *err) MUST_CHECK;
void mcpctx_free(struct mcpctx *c);
const struct mcpctx_opts *mcpctx_opts(const struct mcpctx *c);
/* The store, or NULL when it could not be opened. Borrowed. */
struct store *mcpctx_store(struct mcpctx *c);
struct schema *mcpctx_schemas(struct mcpctx *c);

/* One look at the desired state (and, with MCPVIEW_SWARM, the swarm). */
struct mcpview {
	struct reconcile r;
	struct reconcile_opts ro;
	struct source_opts so;
	struct diag diag;  /* the files' problems (and the plan's) */
	char *swarm_error; /* the swarm could not be read: why; else NULL */
};

#define MCPVIEW_SWARM (1u << 0) /* read the swarm and build the plan */

/*
 * Opens the tracked branch at its head (fetching a remote), or at
 * revision when it is not NULL, and loads the desired state; with
 * MCPVIEW_SWARM also reads the live swarm and builds the plan when the
 * files are valid (when the swarm cannot be reached, v->swarm_error says
 * why and the view has no plan). Returns kedge's own error (the
 * repository cannot be read); the files' problems are in v->diag.
 * Release v with mcpview_release whatever the result.
 */
int mcpctx_view(struct mcpview *v, struct mcpctx *c, const char *revision,
                unsigned flags, struct err *err) MUST_CHECK;
void mcpview_release(struct mcpview *v);

/*
 * Records a tool call in the audit log: who, the tool, its arguments
 * with secrets masked (members named like a password, token, secret or
 * key, and every long text, are replaced), the result. Failures are
 * logged, not returned.
 */
void mcpctx_audit(struct mcpctx *c, const char *who, const char *tool,
                  const struct json_t *args, const struct tool_result *r);

/* The diag's items, one per line as validate prints them. xmalloc'd. */
char *mcpctx_diag_text(const struct diag *d);

#endif
