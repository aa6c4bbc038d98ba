/*
 * mcp-content.c: resources and prompts.
 *
 * Resources are the desired-state documents at the head of the tracked
 * branch, as kedge://repo/<path>: kedge.yml, nodes.yml, each stack's
 * compose file, the rule and backup files. Only files kedge parses as
 * YAML are offered; a secret's file (stacks/x/password.txt) is never a
 * resource, whatever the URI asks for.
 *
 * Prompts are the requests people make most, phrased so that the model
 * looks before it writes and passes the person's words as the reason.
 */
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "desired.h"
#include "err.h"
#include "mcp-int.h"
#include "mcpctx.h"
#include "source.h"

#define URI_PREFIX "kedge://repo/"

static void add_doc(json_t *list, const struct desired_doc *d, const char *what)
{
	if (!d->path || !d->doc)
		return;
	json_array_append_new(list, json_pack("{s:s+, s:s, s:s, s:s}", "uri",
	                                      URI_PREFIX, d->path, "name",
	                                      d->path, "description", what,
	                                      "mimeType", "application/yaml"));
}

static json_t *documents(const struct desired *d)
{
	json_t *list = json_array();

	add_doc(list, &d->settings, "kedge settings");
	add_doc(list, &d->nodes, "node labels and availability");
	for (size_t i = 0; i < d->nstacks; i++)
		add_doc(list, &d->stacks[i].compose, "a stack's compose file");
	for (size_t i = 0; i < d->nalerts; i++)
		add_doc(list, &d->alerts[i], "Prometheus rules");
	for (size_t i = 0; i < d->nbackups; i++)
		add_doc(list, &d->backups[i], "a backup schedule");
	return list;
}

/* The view of the tracked branch, or NULL with e set. */
static int open_view(struct mcpview *v, struct mcp_session *s,
                     struct rpc_error *e)
{
	struct err err;
	int rc;

	err_clear(&err);
	if (!s->m->o.ctx) {
		/* a server built without a repository (tests, fuzzing) */
		memset(v, 0, sizeof(*v));
		rpc_fail(e, RPC_INTERNAL_ERROR, "%s",
		         "cannot read the repository: this server has none");
		return -1;
	}
	rc = mcpctx_view(v, s->m->o.ctx, NULL, 0, &err);
	if (rc || !v->r.desired) {
		rpc_fail(e, RPC_INTERNAL_ERROR,
		         "cannot read the repository: %s",
		         err.msg[0] ? err.msg : "no desired state");
		return -1;
	}
	return 0;
}

json_t *mcp_resources_list(struct mcp_session *s, json_t *params,
                           struct rpc_error *e)
{
	struct mcpview v;
	json_t *out = NULL;

	if (json_object_get(params, "cursor")) {
		rpc_fail(e, RPC_INVALID_PARAMS, "%s", "invalid cursor");
		return NULL;
	}
	if (!open_view(&v, s, e))
		out = json_pack("{s:o}", "resources", documents(v.r.desired));
	mcpview_release(&v);
	return out;
}

json_t *mcp_templates_list(struct mcp_session *s, json_t *params,
                           struct rpc_error *e)
{
	(void)s;
	(void)params;
	(void)e;
	return json_pack("{s:[]}", "resourceTemplates");
}

json_t *mcp_resources_read(struct mcp_session *s, json_t *params,
                           struct rpc_error *e)
{
	const char *uri = json_string_value(json_object_get(params, "uri"));
	struct buf text = BUF_INIT;
	struct mcpview v;
	struct err err;
	json_t *list, *it, *out = NULL;
	size_t i;
	int known = 0;

	if (!uri) {
		rpc_fail(e, RPC_INVALID_PARAMS, "%s",
		         "resources/read needs a uri");
		return NULL;
	}
	if (open_view(&v, s, e))
		goto out;
	list = documents(v.r.desired);
	json_array_foreach (list, i, it)
		known |= !strcmp(json_string_value(json_object_get(it, "uri")),
		                 uri);
	json_decref(list);
	err_clear(&err);
	buf_init(&text, 4u << 20);
	if (!known) {
		rpc_fail(e, RPC_RESOURCE_NOT_FOUND,
		         "Resource not found: %.200s", uri);
		e->data = json_pack("{s:s}", "uri", uri);
	} else if (source_read(&text, v.r.src, uri + strlen(URI_PREFIX),
	                       &err)) {
		rpc_fail(e, RPC_INTERNAL_ERROR, "%s", err.msg);
	} else {
		out = json_pack("{s:[{s:s, s:s, s:s}]}", "contents", "uri", uri,
		                "mimeType", "application/yaml", "text",
		                buf_cstr(&text));
	}
out:
	buf_release(&text);
	mcpview_release(&v);
	return out;
}

static const struct prompt {
	const char *name, *title, *description;
	const char *args[4]; /* name:description, NULL-terminated */
	const char *text;    /* with {arg} placeholders */
} prompts[] = {
        {"scale",
         "Scale a service",
         "Change how many replicas of a service run, through a commit.",
         {"stack:the stack", "service:the service in it", "replicas:how many",
          NULL},
         "Scale the service {service} of the stack {stack} to {replicas} "
         "replicas with kedge. First call get_stack to see its current "
         "replicas, then call scale_service with my request as the "
         "reason, and show me the diff and the plan it returns."},
        {"alert_on",
         "Page on a condition",
         "Add a Prometheus alert rule for a condition, through a commit.",
         {"condition:what should page, in words", NULL},
         "Add a Prometheus alert rule to kedge's repository for: "
         "{condition}. Call list_alert_rules first to find the file and "
         "group it belongs in and to avoid a duplicate, then call "
         "add_alert_rule with my request as the reason, and show me the "
         "diff."},
        {"health",
         "Check the cluster's health",
         "Services converged, nodes ready, the daemon's last reconcile.",
         {NULL},
         "Check the health of the swarm that kedge manages: call "
         "execute_health_check, then look closer at each check that "
         "failed or could not be checked (show_plan for in_sync, "
         "list_nodes for nodes_ready, reconcile_history for "
         "last_reconcile, list_backups for backups_fresh), and summarise "
         "what needs attention."},
};

json_t *mcp_prompts_list(struct mcp_session *s, json_t *params,
                         struct rpc_error *e)
{
	json_t *list = json_array();

	(void)s;
	(void)params;
	(void)e;
	for (size_t i = 0; i < ARRAY_SIZE(prompts); i++) {
		json_t *args = json_array();

		for (size_t a = 0; prompts[i].args[a]; a++) {
			const char *d = strchr(prompts[i].args[a], ':');

			json_array_append_new(
			        args,
			        json_pack("{s:s%, s:s, s:b}", "name",
			                  prompts[i].args[a],
			                  (size_t)(d - prompts[i].args[a]),
			                  "description", d + 1, "required", 1));
		}
		json_array_append_new(list,
		                      json_pack("{s:s, s:s, s:s, s:o}", "name",
		                                prompts[i].name, "title",
		                                prompts[i].title, "description",
		                                prompts[i].description,
		                                "arguments", args));
	}
	return json_pack("{s:o}", "prompts", list);
}

/* Fills {arg} placeholders from args; NULL with e set for a missing one. */
static char *fill(const struct prompt *p, const json_t *args,
                  struct rpc_error *e)
{
	struct buf out = BUF_INIT;
	int rc = 0; /* out has no cap: appends cannot fail */

	for (const char *t = p->text; *t && !rc;) {
		const char *open = strchr(t, '{'), *close, *v;
		char *name;

		if (!open) {
			rc = buf_addstr(&out, t);
			break;
		}
		close = strchr(open, '}');
		rc = buf_add(&out, t, (size_t)(open - t));
		name = xstrndup(open + 1, (size_t)(close - open - 1));
		v = json_string_value(json_object_get(args, name));
		if (!v) {
			rpc_fail(e, RPC_INVALID_PARAMS,
			         "prompt '%s' needs the argument '%s'", p->name,
			         name);
			free(name);
			buf_release(&out);
			return NULL;
		}
		rc = rc ? rc : buf_addstr(&out, v);
		free(name);
		t = close + 1;
	}
	if (rc)
		BUG("an uncapped buffer refused an append");
	return buf_detach(&out, NULL);
}

json_t *mcp_prompts_get(struct mcp_session *s, json_t *params,
                        struct rpc_error *e)
{
	const char *name = json_string_value(json_object_get(params, "name"));
	json_t *args = json_object_get(params, "arguments"), *out;
	char *text;

	(void)s;
	for (size_t i = 0; name && i < ARRAY_SIZE(prompts); i++) {
		if (strcmp(prompts[i].name, name))
			continue;
		if (!(text = fill(&prompts[i], args, e)))
			return NULL;
		out = json_pack("{s:s, s:[{s:s, s:{s:s, s:s}}]}", "description",
		                prompts[i].description, "messages", "role",
		                "user", "content", "type", "text", "text",
		                text);
		free(text);
		return out;
	}
	rpc_fail(e, RPC_INVALID_PARAMS, "Unknown prompt: %.64s",
	         name ? name : "(no name)");
	return NULL;
}
