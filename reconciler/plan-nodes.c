/*
 * plan-nodes.c: node labels and availability from nodes.yml, part of the
 * plan (plan-int.h).
 *
 * kedge changes only the labels it was asked for. The keys it set are
 * recorded on the node itself in the label kedge.managed-labels, so that a
 * label removed from nodes.yml (or a node removed from it) is removed from
 * the node, while labels someone else set are never touched.
 */
#include <jansson.h>

#include "desired.h"
#include "diag.h"
#include "live.h"
#include "plan-int.h"
#include "srcmap.h"

#define MANAGED_LABELS "kedge.managed-labels"

/*
 * The label that records which keys this instance set: each kedge
 * instance (kedge.yml `instance:`) keeps its own record, so two instances
 * labelling one node never remove each other's labels. Caller frees.
 */
static char *managed_key(const struct desired *d)
{
	const char *owner = plan_owner(d);

	return strcmp(owner, "kedge") ? xasprintf(MANAGED_LABELS ".%s", owner)
	                              : xstrdup(MANAGED_LABELS);
}

static void add_change(json_t *changes, const char *path, const char *old,
                       const char *new)
{
	json_array_append_new(changes, json_pack("{s:s, s:s?, s:s?}", "path",
	                                         path, "old", old, "new", new));
}

/* Is key listed in the comma-separated list? */
static int listed(const char *list, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = list; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == n && !memcmp(p, key, n))
			return 1;
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

/* The labels the node should have: returns a new object. */
static json_t *future_labels(const json_t *live_labels, const json_t *want,
                             const char *mkey)
{
	const char *managed =
	        json_string_value(json_object_get(live_labels, mkey));
	json_t *out = json_object(), *v;
	const char *k;
	char *keys = NULL;

	json_object_foreach ((json_t *)live_labels, k, v)
		if (strcmp(k, mkey) &&
		    (!listed(managed, k) || json_object_get(want, k)))
			json_object_set(out, k, v);
	json_object_foreach ((json_t *)want, k, v) {
		char *next;

		json_object_set(out, k, v);
		next = keys ? xasprintf("%s,%s", keys, k) : xstrdup(k);
		free(keys);
		keys = next;
	}
	if (keys)
		json_object_set_new(out, mkey, json_string(keys));
	free(keys);
	return out;
}

static void diff_labels(json_t *changes, const json_t *old, const json_t *new)
{
	const char *k;
	json_t *v;

	json_object_foreach ((json_t *)new, k, v) {
		const char *o = json_string_value(json_object_get(old, k));
		char *path;

		if (o && !strcmp(o, json_string_value(v)))
			continue;
		path = xasprintf("Labels[%s]", k);
		add_change(changes, path, o, json_string_value(v));
		free(path);
	}
	json_object_foreach ((json_t *)old, k, v) {
		char *path;

		if (json_object_get(new, k))
			continue;
		path = xasprintf("Labels[%s]", k);
		add_change(changes, path, json_string_value(v), NULL);
		free(path);
	}
}

static void plan_node(struct plan *p, const json_t *node, const json_t *want,
                      const char *mkey)
{
	const json_t *spec = json_object_get(node, "Spec");
	const char *host = json_string_value(json_object_get(
	        json_object_get(node, "Description"), "Hostname"));
	const char *avail =
	        json_string_value(json_object_get(want, "availability"));
	json_t *labels = future_labels(json_object_get(spec, "Labels"),
	                               json_object_get(want, "labels"), mkey);
	json_t *changes = json_array();
	const char *cur =
	        json_string_value(json_object_get(spec, "Availability"));
	struct plan_action *a;
	json_t *new_spec;

	diff_labels(changes, json_object_get(spec, "Labels"), labels);
	if (avail && (!cur || strcmp(cur, avail)))
		add_change(changes, "Availability", cur, avail);
	if (!json_array_size(changes)) {
		json_decref(labels);
		json_decref(changes);
		return;
	}
	new_spec = json_deep_copy(spec);
	json_object_set_new(new_spec, "Labels", labels);
	if (avail)
		json_object_set_new(new_spec, "Availability",
		                    json_string(avail));
	a = plan_add(p, PLAN_UPDATE, PLAN_NODE, host ? host : "?", NULL);
	plan_set_live(a, node);
	a->spec = new_spec;
	a->changes = changes;
	a->spec_hash = plan_spec_hash(new_spec);
}

static void node_problem(const struct desired *d, const char *host,
                         struct diag *diag, const char *fmt, ...) PRINTF(4, 5);

static void node_problem(const struct desired *d, const char *host,
                         struct diag *diag, const char *fmt, ...)
{
	struct srcpos pos = {0, 0, 0, 0};
	char *ptr = xasprintf("/nodes/%s", host);
	va_list ap;

	if (!d->nodes.map || srcmap_get(d->nodes.map, ptr, &pos) < 0)
		memset(&pos, 0, sizeof(pos));
	va_start(ap, fmt);
	diag_vadd(diag, DIAG_ERROR, d->nodes.path, pos.key_line, pos.key_col,
	          fmt, ap);
	va_end(ap);
	free(ptr);
}

static void missing_node(const struct desired *d, const char *host,
                         const struct live *l, struct diag *diag)
{
	struct srcpos pos = {0, 0, 0, 0};
	char *ptr = xasprintf("/nodes/%s", host);
	json_t *n;
	size_t i;
	char names[512] = "";

	if (!d->nodes.map || srcmap_get(d->nodes.map, ptr, &pos) < 0)
		memset(&pos, 0, sizeof(pos));
	json_array_foreach (l->nodes, i, n) {
		const char *h = json_string_value(json_object_get(
		        json_object_get(n, "Description"), "Hostname"));
		size_t len = strlen(names);

		snprintf(names + len, sizeof(names) - len, "%s%s",
		         len ? ", " : "", h ? h : "?");
	}
	diag_add(diag, DIAG_ERROR, d->nodes.path, pos.key_line, pos.key_col,
	         "node '%s' is not in the swarm (its nodes: %s)", host, names);
	free(ptr);
}

void plan_nodes(struct plan *p, const struct desired *d, const struct live *l,
                struct diag *diag)
{
	json_t *want = json_object_get(d->nodes.doc, "nodes"), *v, *node;
	char *mkey = managed_key(d);
	const char *host;
	size_t i;

	json_object_foreach (want, host, v) {
		const json_t *n = live_node_by_hostname(l, host);
		const char *role =
		        json_string_value(json_object_get(v, "role"));
		const char *have = json_string_value(
		        json_object_get(json_object_get(n, "Spec"), "Role"));

		if (!n)
			missing_node(d, host, l, diag);
		else if (role && have && strcmp(role, have))
			node_problem(
			        d, host, diag,
			        "node '%s' is a %s, but nodes.yml says %s; "
			        "kedge does not change node roles (use "
			        "docker node promote/demote)",
			        host, have, role);
	}
	json_array_foreach (l->nodes, i, node) {
		const char *h = json_string_value(json_object_get(
		        json_object_get(node, "Description"), "Hostname"));
		json_t *w = h ? json_object_get(want, h) : NULL;
		json_t *empty = json_object();

		/* A node kedge labelled before and nodes.yml no longer names
		 * gets its kedge labels removed. */
		if (w || plan_label(node, mkey))
			plan_node(p, node, w ? w : empty, mkey);
		json_decref(empty);
	}
	free(mkey);
}

const json_t *plan_node_future_labels(const struct plan *p, const json_t *node)
{
	const char *id = json_string_value(json_object_get(node, "ID"));

	for (size_t i = 0; i < p->nr; i++) {
		const struct plan_action *a = &p->actions[i];

		if (a->kind == PLAN_NODE && a->id && id && !strcmp(a->id, id))
			return json_object_get(a->spec, "Labels");
	}
	return NULL;
}
