/*
 * mcp-tools.c: tools/list and tools/call, and the server that holds the
 * tool set.
 *
 * Owns: which tools a server offers (--read-only, --tools, the caller's
 * scopes), their listing (annotations, schemas), the checks before a
 * handler runs (the tool exists and is offered, the caller may use it,
 * the arguments fit the input schema: a tool execution error, as
 * 2025-11-25 asks, not a protocol error), the result's shape
 * (structuredContent and its text copy), and the audit line of a call.
 * Does not own: what a tool does (tool-*.c).
 */
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "mcp-int.h"
#include "mcpctx.h"
#include "schema.h"
#include "tool.h"

#define TOOL_URI "kedge:tool/"

static int offered(const struct tool_entry *t, const struct mcp_opts *o)
{
	if (o->read_only && (t->flags & (TOOL_COMMIT | TOOL_OPERATE)))
		return 0;
	if (!o->tools)
		return 1;
	for (const char *p = o->tools; *p;) {
		size_t n = strcspn(p, ",");

		if (n == strlen(t->name) && !strncmp(p, t->name, n))
			return 1;
		p += n + (p[n] == ',');
	}
	return 0;
}

/* Each name in --tools must be a tool. */
static int check_tools_list(const char *list, struct err *err)
{
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		char *name = xstrndup(p, n);

		if (!tool_find(name)) {
			const char **names =
			        xcalloc(tool_table_nr + 1, sizeof(*names));
			const char *best;

			for (size_t i = 0; i < tool_table_nr; i++)
				names[i] = tool_table[i]->name;
			best = closest_name(name, names, tool_table_nr);
			free(names);
			err_set(err, ERR_INVALID,
			        "unknown tool '%s' in --tools%s%s%s", name,
			        best ? " (did you mean '" : "",
			        best ? best : "", best ? "'?)" : "");
			free(name);
			return ERR_INVALID;
		}
		free(name);
		p += n + (p[n] == ',');
	}
	return 0;
}

static json_t *load_schema_text(const struct tool_entry *t, const char *text,
                                struct err *err)
{
	json_error_t jerr;
	json_t *doc = json_loads(text, 0, &jerr);

	if (!doc)
		err_set(err, ERR_INVALID,
		        "tool '%s': its schema is not JSON: %s", t->name,
		        jerr.text);
	return doc;
}

static json_t *list_entry(const struct tool_entry *t, struct err *err)
{
	json_t *in, *out = NULL, *e;

	if (!(in = load_schema_text(t, t->input_schema, err)))
		return NULL;
	if (t->output_schema &&
	    !(out = load_schema_text(t, t->output_schema, err))) {
		json_decref(in);
		return NULL;
	}
	e = json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:b, s:b, s:b, s:b}}",
	              "name", t->name, "title", t->title, "description",
	              t->description, "inputSchema", in, "annotations", "title",
	              t->title, "readOnlyHint", !!(t->flags & TOOL_READ_ONLY),
	              "destructiveHint", !!(t->flags & TOOL_DESTRUCTIVE),
	              "idempotentHint", !!(t->flags & TOOL_IDEMPOTENT),
	              "openWorldHint", !!(t->flags & TOOL_OPEN_WORLD));
	if (out)
		json_object_set_new(e, "outputSchema", out);
	return e;
}

int mcp_new(struct mcp **out, const struct mcp_opts *o, struct err *err)
{
	struct mcp *m;
	int rc = 0;

	*out = NULL;
	if (o->tools && (rc = check_tools_list(o->tools, err)))
		return rc;
	m = xcalloc(1, sizeof(*m));
	m->o = *o;
	m->tools =
	        xcalloc(tool_table_nr ? tool_table_nr : 1, sizeof(*m->tools));
	m->schemas = schema_new();
	m->listed = json_array();
	for (size_t i = 0; i < tool_table_nr && !rc; i++) {
		const struct tool_entry *t = tool_table[i];
		json_t *entry;
		char *uri;

		if (!offered(t, o))
			continue;
		if (!(entry = list_entry(t, err))) {
			rc = ERR_INVALID;
			break;
		}
		uri = xasprintf(TOOL_URI "%s", t->name);
		rc = schema_add(m->schemas, uri,
		                json_object_get(entry, "inputSchema"), err);
		free(uri);
		json_array_append_new(m->listed, entry);
		m->tools[m->ntools++] = t;
	}
	if (rc) {
		mcp_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

void mcp_free(struct mcp *m)
{
	if (!m)
		return;
	schema_free(m->schemas);
	json_decref(m->listed);
	free(m->tools);
	free(m);
}

static int needs_write(const struct tool_entry *t)
{
	return !!(t->flags & (TOOL_COMMIT | TOOL_OPERATE));
}

static int allowed(const struct mcp_session *s, const struct tool_entry *t)
{
	return needs_write(t) ? !!(s->scopes & MCP_SCOPE_WRITE)
	                      : !!(s->scopes & MCP_SCOPE_READ);
}

json_t *mcp_tools_list(struct mcp_session *s, json_t *params,
                       struct rpc_error *e)
{
	json_t *list = json_array();
	const char *cursor =
	        json_string_value(json_object_get(params, "cursor"));

	if (cursor) {
		json_decref(list);
		rpc_fail(e, RPC_INVALID_PARAMS, "invalid cursor '%.64s'",
		         cursor);
		return NULL;
	}
	for (size_t i = 0; i < s->m->ntools; i++)
		if (allowed(s, s->m->tools[i]))
			json_array_append(list,
			                  json_array_get(s->m->listed, i));
	return json_pack("{s:o}", "tools", list);
}

static const struct tool_entry *offered_tool(const struct mcp *m,
                                             const char *name)
{
	for (size_t i = 0; name && i < m->ntools; i++)
		if (!strcmp(m->tools[i]->name, name))
			return m->tools[i];
	return NULL;
}

struct args_report {
	struct buf text;
	size_t n;
};

static void report_arg(void *ctx, enum schema_severity sev, const char *pointer,
                       int key_problem, const char *message)
{
	struct args_report *r = ctx;

	(void)key_problem;
	if (sev != SCHEMA_ERROR || r->n++ >= 20)
		return;
	if (buf_addf(&r->text, "\n  %s: %s", *pointer ? pointer : "/", message))
		r->n = SIZE_MAX; /* uncapped: cannot happen */
}

/* A problem with the arguments, as the tool's text; 0 when they fit. */
static int check_args(struct tool_result *r, const struct mcp *m,
                      const struct tool_entry *t, const json_t *args,
                      struct err *err)
{
	struct args_report rep = {BUF_INIT, 0};
	char *uri = xasprintf(TOOL_URI "%s", t->name);
	int n = schema_validate(m->schemas, uri, args, report_arg, &rep, err);

	free(uri);
	if (n > 0)
		tool_fail(r, "invalid arguments for %s:%s", t->name,
		          buf_cstr(&rep.text));
	buf_release(&rep.text);
	return n;
}

static json_t *result_json(const struct tool_entry *t, struct tool_result *r)
{
	json_t *out = json_object();
	char *text = r->text;

	if (!text && r->structured)
		text = json_dumps(r->structured, JSON_INDENT(2));
	json_object_set_new(
	        out, "content",
	        json_pack("[{s:s, s:s}]", "type", "text", "text",
	                  text ? text : (r->is_error ? "error" : "done")));
	if (text != r->text)
		free(text);
	if (r->structured && (!r->is_error || !t->output_schema))
		json_object_set(out, "structuredContent", r->structured);
	json_object_set_new(out, "isError", json_boolean(r->is_error));
	return out;
}

static void run_tool(struct tool_result *r, struct mcp_session *s,
                     const struct tool_entry *t, const json_t *args,
                     json_t *params)
{
	struct mcp_call call = {0};
	struct tool_call c = {args, s->m->o.ctx, &call, s->who};
	struct err err;
	int rc;

	err_clear(&err);
	call.s = s;
	call.id = s->request_id;
	call.progress_token = json_object_get(json_object_get(params, "_meta"),
	                                      "progressToken");
	atomic_init(&call.cancelled, 0);
	pthread_mutex_lock(&s->lock);
	s->current = &call;
	pthread_mutex_unlock(&s->lock);
	rc = t->run(r, &c, &err);
	pthread_mutex_lock(&s->lock);
	s->current = NULL;
	pthread_mutex_unlock(&s->lock);
	if (rc < 0) {
		tool_result_release(r);
		tool_fail(r, "%s: %s", t->name,
		          err.msg[0] ? err.msg : err_str(rc));
	} else if (!r->is_error && t->output_schema && !r->structured) {
		BUG("tool %s returned no structured content", t->name);
	}
	if (atomic_load(&call.cancelled))
		r->is_error = -1; /* cancelled: no answer */
}

json_t *mcp_tools_call(struct mcp_session *s, json_t *params,
                       struct rpc_error *e)
{
	const char *name = json_string_value(json_object_get(params, "name"));
	json_t *args = json_object_get(params, "arguments");
	const struct tool_entry *t = offered_tool(s->m, name);
	struct tool_result r = {0};
	struct err err;
	json_t *out;

	err_clear(&err);
	if (!t) {
		rpc_fail(e, RPC_INVALID_PARAMS, "Unknown tool: %.64s",
		         name ? name : "(no name)");
		return NULL;
	}
	if (args && !json_is_object(args)) {
		rpc_fail(e, RPC_INVALID_PARAMS, "%s",
		         "tools/call: arguments must be an object");
		return NULL;
	}
	args = args ? json_incref(args) : json_object();
	if (!allowed(s, t))
		tool_fail(&r, "%s needs the %s scope; this caller has only %s",
		          t->name, needs_write(t) ? "write" : "read",
		          (s->scopes & MCP_SCOPE_WRITE) ? "write" : "read");
	else if (check_args(&r, s->m, t, args, &err) < 0)
		tool_fail(&r, "%s: %s", t->name, err.msg);
	else if (!r.is_error && !s->m->o.ctx)
		tool_fail(&r, "%s: this server has no repository", t->name);
	else if (!r.is_error)
		run_tool(&r, s, t, args, params);
	mcpctx_audit(s->m->o.ctx, s->who, t->name, args, &r);
	log_info("mcp", "tool call tool=%s who=%s result=%s", t->name, s->who,
	         r.is_error < 0 ? "cancelled" : (r.is_error ? "error" : "ok"));
	json_decref(args);
	if (r.is_error < 0) {
		tool_result_release(&r);
		return NULL; /* e->code 0: cancelled, not answered */
	}
	out = result_json(t, &r);
	tool_result_release(&r);
	return out;
}
