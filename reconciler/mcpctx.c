/*
 * mcpctx.c: the context of kedge's MCP tools (see mcpctx.h).
 *
 * Every call reads the tracked branch afresh: the person may have pushed
 * since the last call, and a tool that answers from a stale commit would
 * plan (or commit) against the wrong base.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "desired.h"
#include "err.h"
#include "log.h"
#include "mcpctx.h"
#include "plan.h"
#include "schema.h"
#include "store.h"
#include "tool.h"

struct mcpctx {
	struct mcpctx_opts o;
	struct schema *schemas;
	struct store *store;
};

int mcpctx_new(struct mcpctx **out, const struct mcpctx_opts *o,
               struct err *err)
{
	struct mcpctx *c = xcalloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	c->o = *o;
	c->schemas = schema_new();
	rc = schema_add_dir(c->schemas, o->schema_dir, err);
	if (rc) {
		err_prefix(err,
		           "cannot load the schemas from '%s' (set "
		           "--schema-dir or KEDGE_SCHEMA_DIR)",
		           o->schema_dir);
		goto out;
	}
	rc = store_open(&c->store, o->store, err);
	if (rc)
		err_prefix(err, "%s", "cannot open the store (the audit log)");
out:
	if (rc) {
		mcpctx_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void mcpctx_free(struct mcpctx *c)
{
	if (!c)
		return;
	store_free(c->store);
	schema_free(c->schemas);
	free(c);
}

const struct mcpctx_opts *mcpctx_opts(const struct mcpctx *c)
{
	return &c->o;
}

struct store *mcpctx_store(struct mcpctx *c)
{
	return c->store;
}

struct schema *mcpctx_schemas(struct mcpctx *c)
{
	return c->schemas;
}

int mcpctx_view(struct mcpview *v, struct mcpctx *c, const char *revision,
                unsigned flags, struct err *err)
{
	struct diag plan_diag = DIAG_INIT;
	int rc;

	memset(v, 0, sizeof(*v));
	v->diag = (struct diag)DIAG_INIT;
	v->so = c->o.src;
	if (revision) {
		/* a commit kedge just wrote is in the local object store */
		v->so.ref = revision;
		v->so.offline = 1;
	}
	v->ro.src = &v->so;
	v->ro.schema_dir = c->o.schema_dir;
	v->ro.schemas = c->schemas;
	v->ro.docker_host = c->o.docker_host;
	v->ro.store = c->o.store;
	v->ro.read_only = 1;
	rc = reconcile_load(&v->r, &v->ro, &v->diag, err);
	if (!rc)
		rc = plan_check_desired(v->r.desired, &v->diag, err);
	if (rc || v->diag.errors || !(flags & MCPVIEW_SWARM))
		return rc;
	rc = reconcile_compare(&v->r, &v->ro, &plan_diag, err);
	for (size_t i = 0; i < plan_diag.nr; i++) {
		const struct diag_item *it = &plan_diag.items[i];

		diag_add(&v->diag, it->severity, it->file, it->line, it->col,
		         "%s", it->message);
	}
	diag_release(&plan_diag);
	if (rc && !v->r.live) {
		/* the files are fine; it is the swarm that is not there */
		v->swarm_error = xstrdup(err->msg[0] ? err->msg : err_str(rc));
		err_clear(err);
		rc = 0;
	}
	return rc;
}

void mcpview_release(struct mcpview *v)
{
	reconcile_release(&v->r);
	diag_release(&v->diag);
	free(v->swarm_error);
	memset(v, 0, sizeof(*v));
}

char *mcpctx_diag_text(const struct diag *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	if (!fp)
		BUG("open_memstream failed");
	diag_print(d, fp);
	fclose(fp);
	return text;
}

/* Would this member's value be a secret? */
static int secret_name(const char *key)
{
	static const char *const words[] = {"password", "passwd", "secret",
	                                    "token",    "apikey", "api_key",
	                                    "private",  NULL};
	char low[128];
	size_t i;

	for (i = 0; key[i] && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)key[i]);
	low[i] = '\0';
	for (i = 0; words[i]; i++)
		if (strstr(low, words[i]))
			return 1;
	return 0;
}

#define AUDIT_TEXT_MAX 200

static json_t *masked(const json_t *v, const char *key)
{
	const char *k;
	json_t *out, *m;
	size_t i;

	if (key && secret_name(key) && !json_is_object(v) && !json_is_array(v))
		return json_string("***");
	if (json_is_string(v) && json_string_length(v) > AUDIT_TEXT_MAX)
		return json_sprintf("<%zu bytes>", json_string_length(v));
	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach ((json_t *)v, k, m)
			json_object_set_new(out, k, masked(m, k));
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach (v, i, m)
			json_array_append_new(out, masked(m, key));
		return out;
	}
	return json_deep_copy(v);
}

void mcpctx_audit(struct mcpctx *c, const char *who, const char *tool,
                  const json_t *args, const struct tool_result *r)
{
	json_t *m = masked(args, NULL);
	char *a = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
	char *what = xasprintf("%s %s", tool, a ? a : "{}");
	const char *commit =
	        json_string_value(json_object_get(r->structured, "commit"));
	char *result =
	        xasprintf("%s%s%s",
	                  r->is_error < 0 ? "cancelled"
	                  : r->is_error   ? "error"
	                                  : "ok",
	                  commit ? " commit " : "", commit ? commit : "");
	struct err err;

	err_clear(&err);
	if (c && c->store &&
	    store_audit(c->store, "mcp", who, what, result, &err))
		log_warn("mcp", "cannot write the audit log: %s", err.msg);
	free(result);
	free(what);
	free(a);
	json_decref(m);
}
