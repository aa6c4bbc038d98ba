/*
 * cmd-mcp.c: `kedge mcp`: the MCP server on stdio. Tools read the
 * desired-state repository and the swarm, and write only commits to the
 * repository (see tool.h, mcpwrite.h). Exit 0 when the client closes
 * stdin, 2 when it cannot start.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd.h"
#include "buf.h"
#include "err.h"
#include "forge.h"
#include "httpd.h"
#include "log.h"
#include "mcp-http.h"
#include "mcp-stdio.h"
#include "mcp.h"
#include "mcpctx.h"

extern const struct cmd_entry cmd_mcp;

static const char instructions[] =
        "kedge keeps a Docker Swarm in the state that a git repository "
        "describes (stacks/<name>/compose.yml, nodes.yml, alerts/*.yml, "
        "backups/*.yml). Read tools show the repository, the live swarm "
        "and the plan between them. Write tools never touch the swarm: "
        "each makes one validated commit (pass the person's request as "
        "'reason') and returns its diff and plan; kedge's daemon applies "
        "it. Show the person the diff and the plan. Invalid changes are "
        "refused with the validator's file:line messages and nothing is "
        "committed.";

/* "Name <email>" into its parts (borrowed into buf). */
static int parse_author(struct mcpctx_opts *mo, char *buf)
{
	char *lt = strchr(buf, '<'), *gt = strrchr(buf, '>');

	if (!lt || !gt || gt < lt || gt[1] || lt == buf)
		return -1;
	*gt = '\0';
	mo->author_email = lt + 1;
	while (lt > buf && lt[-1] == ' ')
		lt--;
	*lt = '\0';
	mo->author_name = buf;
	return *mo->author_name && *mo->author_email ? 0 : -1;
}

/* --forge and its settings; the token is read from a file. */
static int setup_forge(struct mcpctx_opts *mo, struct buf *token,
                       const struct cli_opts *o)
{
	struct err err;

	err_clear(&err);
	if (forge_kind_parse(&mo->forge.kind, o->mcp.forge, &err))
		return cli_usage_error(&cmd_mcp, "%s", err.msg);
	if (!o->mcp.forge_repo || !o->mcp.forge_token_file || !o->src.ref)
		return cli_usage_error(&cmd_mcp, "%s",
		                       "--forge needs --forge-repo, "
		                       "--forge-token-file and --ref (the "
		                       "branch requests go to)");
	buf_init(token, 64 * 1024);
	if (buf_read_file(token, o->mcp.forge_token_file)) {
		fprintf(stderr, "error: cannot read --forge-token-file '%s'\n",
		        o->mcp.forge_token_file);
		return CLI_ERROR;
	}
	while (token->len && strchr(" \t\r\n", token->ptr[token->len - 1]))
		token->ptr[--token->len] = '\0';
	if (!token->len) {
		fprintf(stderr, "error: --forge-token-file '%s' is empty\n",
		        o->mcp.forge_token_file);
		return CLI_ERROR;
	}
	mo->forge.url = o->mcp.forge_url;
	mo->forge.repo = o->mcp.forge_repo;
	mo->forge.token = token->ptr;
	return 0;
}

static int setup(struct mcpctx_opts *mo, char **store_buf, char *author,
                 struct buf *token_buf, const struct cli_opts *o)
{
	memset(mo, 0, sizeof(*mo));
	mo->src = o->src;
	mo->docker_host = o->docker_host;
	mo->prom_url = o->prom.url;
	if (o->src.worktree)
		return cli_usage_error(&cmd_mcp, "%s",
		                       "kedge mcp commits to a repository; "
		                       "give --repo, not --worktree");
	if (!o->mcp.commit_to || !strcmp(o->mcp.commit_to, "branch"))
		mo->commit_to = MCPCTX_COMMIT_BRANCH;
	else if (!strcmp(o->mcp.commit_to, "tracked"))
		mo->commit_to = MCPCTX_COMMIT_TRACKED;
	else
		return cli_usage_error(&cmd_mcp,
		                       "--commit-to must be 'branch' or "
		                       "'tracked', not '%s'",
		                       o->mcp.commit_to);
	if (mo->commit_to == MCPCTX_COMMIT_TRACKED && !o->src.ref)
		return cli_usage_error(&cmd_mcp, "%s",
		                       "--commit-to tracked needs --ref (the "
		                       "branch kedge commits to)");
	if (o->store && o->mcp.state_dir)
		return cli_usage_error(&cmd_mcp, "%s",
		                       "--store and --state-dir both name the "
		                       "store; give one");
	if (o->mcp.state_dir)
		*store_buf = xasprintf("%s/state.db", o->mcp.state_dir);
	mo->store = *store_buf ? *store_buf : o->store;
	if (o->mcp.forge && setup_forge(mo, token_buf, o))
		return CLI_ERROR;
	if (author && parse_author(mo, author))
		return cli_usage_error(&cmd_mcp,
		                       "--author must be 'Name <email>', not "
		                       "'%s'",
		                       o->mcp.author);
	return 0;
}

static void on_http(void *ctx, const struct httpd_request *req,
                    struct httpd_reply *rep)
{
	if (strcmp(req->path, "/mcp")) {
		rep->status = 404;
		if (buf_addstr(&rep->body, "{\"error\":\"not found: kedge "
		                           "serves MCP at /mcp\"}"))
			rep->status = 500;
		return;
	}
	mcp_http_handle(ctx, req, rep);
}

/* Streamable HTTP at /mcp until SIGTERM or SIGINT. */
static int serve_http(struct mcp *m, struct mcpctx *ctx, const char *listen)
{
	struct mcp_http_opts ho = {.listen = listen};
	struct httpd_opts hopts = {.listen = listen,
	                           .max_body = MCP_MAX_MESSAGE};
	struct mcp_http *h = NULL;
	struct httpd *srv = NULL;
	struct err err;
	sigset_t sigs;
	int sig = 0;

	err_clear(&err);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	/* every thread the server starts inherits the mask */
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if (mcp_http_new(&h, m, mcpctx_store(ctx), &ho, &err) ||
	    httpd_start(&srv, &hopts, on_http, h, &err)) {
		cli_error(&err);
		mcp_http_free(h);
		return CLI_ERROR;
	}
	fprintf(stderr, "kedge mcp: serving MCP at /mcp listen=%s port=%u%s\n",
	        listen, httpd_port(srv),
	        mcp_http_loopback(listen)
	                ? ""
	                : " (not loopback: only tokens guard it)");
	sigwait(&sigs, &sig);
	log_info("mcp", "stopping signal=%d", sig);
	httpd_stop(srv);
	mcp_http_free(h);
	return CLI_OK;
}

static int run(int argc, char **argv)
{
	struct cli_opts o;
	struct mcpctx_opts mo;
	struct mcp_opts mop = {0};
	struct mcpctx *ctx = NULL;
	struct mcp *m = NULL;
	char *schema_dir = NULL, *store_buf = NULL, *author = NULL;
	struct buf forge_token = BUF_INIT;
	struct err err;
	int rc;

	err_clear(&err);
	rc = cli_parse(&o, &cmd_mcp,
	               CLI_OPT_DOCKER | CLI_OPT_STORE | CLI_OPT_PROM |
	                       CLI_OPT_MCP,
	               argc, argv);
	if (rc) {
		cli_opts_release(&o);
		return rc < 0 ? CLI_OK : rc;
	}
	author = o.mcp.author ? xstrdup(o.mcp.author) : NULL;
	if ((rc = setup(&mo, &store_buf, author, &forge_token, &o)))
		goto out;
	schema_dir = cli_schema_dir(&o);
	mo.schema_dir = schema_dir;
	mop.version = KEDGE_VERSION;
	mop.instructions = instructions;
	mop.read_only = o.mcp.read_only;
	mop.tools = o.mcp.tools;
	if (mcpctx_new(&ctx, &mo, &err) || (mop.ctx = ctx, 0) ||
	    mcp_new(&m, &mop, &err)) {
		cli_error(&err);
		rc = CLI_ERROR;
		goto out;
	}
	log_info("mcp", "serving on stdio repo=%s ref=%s commit_to=%s%s",
	         o.src.repo, o.src.ref ? o.src.ref : "(default branch)",
	         mo.commit_to == MCPCTX_COMMIT_TRACKED ? "tracked" : "branch",
	         o.mcp.read_only ? " read_only=1" : "");
	if (o.mcp.listen)
		rc = serve_http(m, ctx, o.mcp.listen);
	else
		rc = mcp_stdio_serve(m, STDIN_FILENO, STDOUT_FILENO) ? CLI_ERROR
		                                                     : CLI_OK;
out:
	mcp_free(m);
	mcpctx_free(ctx);
	free(schema_dir);
	free(store_buf);
	free(author);
	if (forge_token.ptr)
		memset(forge_token.ptr, 0, forge_token.len);
	buf_release(&forge_token);
	cli_opts_release(&o);
	return rc;
}

const struct cmd_entry cmd_mcp = {
        .name = "mcp",
        .usage = "kedge mcp [--repo SRC] [--ref BRANCH] "
                 "[--commit-to branch|tracked] [--read-only] "
                 "[--tools a,b,...] [--state-dir DIR | --store URL] "
                 "[--listen ADDR:PORT]",
        .summary = "Serve kedge's MCP tools (stdio, or HTTP with --listen): "
                   "an AI assistant reads the swarm and proposes changes "
                   "as commits.",
        .help = "    --repo SRC            desired-state repository, path "
                "or URL (default: .)\n"
                "    --ref BRANCH          the tracked branch (default: "
                "the default branch)\n"
                "    --commit-to MODE      branch (default): each change "
                "on a new branch\n"
                "                          kedge/<slug>; tracked: on the "
                "tracked branch\n"
                "    --read-only           offer no tool that writes\n"
                "    --listen ADDR:PORT    Streamable HTTP at /mcp instead "
                "of stdio (bearer\n"
                "                          tokens: kedge token create; "
                "127.0.0.1 advised)\n"
                "    --tools a,b,...       offer only these tools\n"
                "    --author 'N <E>'      commit author (default: kedge "
                "<kedge@localhost>)\n"
                "    --forge KIND          github, gitlab or gitea: open a "
                "pull request\n"
                "                          for each branch pushed\n"
                "    --forge-url URL       the forge's API (GitHub and "
                "gitlab.com: known)\n"
                "    --forge-repo O/N      the repository on the forge\n"
                "    --forge-token-file F  the forge's API token\n"
                "    --state-dir DIR       the store (audit log) in "
                "DIR/state.db, as kedge run\n"
                "    --store URL           the store, by path or URL\n"
                "    --docker-host URL     the swarm manager (default: "
                "$DOCKER_HOST)\n"
                "    --prometheus-url URL  Prometheus, for "
                "analyze_metrics\n"
                "    --cache-dir DIR       where remotes are cloned\n"
                "    --ssh-key FILE        private key for ssh remotes\n"
                "    --known-hosts FILE    known_hosts for ssh remotes\n"
                "    --token-file FILE     HTTPS token (or "
                "$KEDGE_GIT_TOKEN)\n"
                "    --git-timeout DUR     bound on a clone, fetch or "
                "push (60s)\n"
                "    --schema-dir DIR      where the JSON Schemas are\n"
                "exit status: 0 when the client closes stdin, 2 when "
                "kedge mcp cannot start\n",
        .run = run,
};
