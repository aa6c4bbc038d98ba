/*
 * live.c: the live-state snapshot declared in live.h.
 *
 * Owns: the five list calls and name indexes over their results. Does not
 * own: any per-object call (there is none, on purpose: a reconcile of a
 * big swarm must cost a fixed number of requests).
 */
#include <jansson.h>

#include "docker.h"
#include "err.h"
#include "live.h"

/* The name of an object: Spec.Name, or Name for networks. */
static const char *object_name(json_t *o)
{
	const char *n = json_string_value(json_object_get(o, "Name"));

	if (n)
		return n;
	return json_string_value(
	        json_object_get(json_object_get(o, "Spec"), "Name"));
}

static int is_swarm_scoped(json_t *o)
{
	const char *scope = json_string_value(json_object_get(o, "Scope"));

	return scope && !strcmp(scope, "swarm");
}

/*
 * name -> object. Names are unique for services, configs and secrets; a
 * local network may share its name with a swarm one ("bridge" and
 * friends), and then the swarm-scoped one wins, since only it can be used
 * by services.
 */
static json_t *index_names(json_t *arr)
{
	json_t *idx = json_object(), *o, *old;
	const char *name;
	size_t i;

	json_array_foreach (arr, i, o) {
		name = object_name(o);
		if (!name)
			continue;
		old = json_object_get(idx, name);
		if (old && (is_swarm_scoped(old) || !is_swarm_scoped(o)))
			continue;
		json_object_set(idx, name, o);
	}
	return idx;
}

/* "ID", or "Id" for networks. */
static const char *id_of(json_t *o)
{
	const char *v = json_string_value(json_object_get(o, "ID"));

	return v ? v : json_string_value(json_object_get(o, "Id"));
}

static json_t *by_id(json_t *arr, const char *id)
{
	json_t *o;
	size_t i;

	if (!id)
		return NULL;
	json_array_foreach (arr, i, o) {
		const char *v = id_of(o);

		if (v && !strcmp(v, id))
			return o;
	}
	return NULL;
}

/*
 * What pruning, ownership and port checks read of every live service; the
 * full spec of a service is parsed again from its text when the planner
 * asks for it by name. A swarm of a thousand services would otherwise be
 * held whole in jansson (about seven times its JSON size) beside the
 * desired state.
 */
static const char *const slim_paths[][4] = {
        {"ID"},
        {"Version"},
        {"Spec", "Name"},
        {"Spec", "Labels"},
        {"Spec", "Mode"},
        {"Spec", "TaskTemplate", "Networks"},
        {"Spec", "TaskTemplate", "ContainerSpec", "Configs"},
        {"Spec", "TaskTemplate", "ContainerSpec", "Secrets"},
        {"Endpoint", "Ports"},
};

static json_t *slim_service(json_t *svc)
{
	json_t *slim = json_object();

	for (size_t i = 0; i < ARRAY_SIZE(slim_paths); i++) {
		const char *const *path = slim_paths[i];
		json_t *from = svc, *to = slim;
		size_t n = 0, k;

		while (n < ARRAY_SIZE(slim_paths[i]) && path[n] && from)
			from = json_object_get(from, path[n++]);
		if (!from)
			continue;
		for (k = 0; k + 1 < n; k++) {
			if (!json_object_get(to, path[k]))
				json_object_set_new(to, path[k], json_object());
			to = json_object_get(to, path[k]);
		}
		json_object_set(to, path[n - 1], from);
	}
	return slim;
}

/* One service of the list: kept slim, with its full text by name. */
static int add_service(json_t *svc, void *ctx)
{
	struct live *l = ctx;
	const char *name = object_name(svc);

	/* Never read: the previous spec and the endpoint's copy of it. */
	json_object_del(svc, "PreviousSpec");
	json_object_del(json_object_get(svc, "Endpoint"), "Spec");
	json_object_del(json_object_get(svc, "Endpoint"), "VirtualIPs");
	if (name) {
		char *text = json_dumps(svc, JSON_COMPACT);

		if (!text)
			BUG("json_dumps failed for service %s", name);
		json_object_set_new(l->service_text, name,
		                    json_string_nocheck(text));
		free(text);
	}
	json_array_append_new(l->services, slim_service(svc));
	json_decref(svc);
	return 0;
}

static int read_lists(struct live *l, struct docker *d, struct err *err)
{
	int error;

	l->services = json_array();
	l->service_text = json_object();
	l->service_full = json_object();
	error = docker_services_each(d, NULL, 1, add_service, l, err);
	if (error) {
		err_prefix(err, "reading services");
		return error;
	}
	error = docker_networks_list(&l->networks, d, NULL, NULL, err);
	if (error) {
		err_prefix(err, "reading networks");
		return error;
	}
	error = docker_configs_list(&l->configs, d, NULL, err);
	if (error) {
		err_prefix(err, "reading configs");
		return error;
	}
	error = docker_secrets_list(&l->secrets, d, NULL, err);
	if (error) {
		err_prefix(err, "reading secrets");
		return error;
	}
	error = docker_nodes_list(&l->nodes, d, err);
	if (error)
		err_prefix(err, "reading nodes");
	return error;
}

int live_read(struct live **out, struct docker *d, struct err *err)
{
	struct live *l = xcalloc(1, sizeof(*l));
	int error = read_lists(l, d, err);

	if (error) {
		live_free(l);
		return error;
	}
	l->service_names = index_names(l->services);
	l->network_names = index_names(l->networks);
	l->config_names = index_names(l->configs);
	l->secret_names = index_names(l->secrets);
	*out = l;
	return 0;
}

struct live *live_from_json(json_t *services, json_t *networks, json_t *configs,
                            json_t *secrets, json_t *nodes)
{
	struct live *l = xcalloc(1, sizeof(*l));
	json_t *svc;
	size_t i;

	l->services = json_array();
	l->service_text = json_object();
	l->service_full = json_object();
	json_array_foreach (services, i, svc)
		(void)add_service(json_deep_copy(svc), l);
	json_decref(services);
	l->networks = networks ? networks : json_array();
	l->configs = configs ? configs : json_array();
	l->secrets = secrets ? secrets : json_array();
	l->nodes = nodes ? nodes : json_array();
	l->service_names = index_names(l->services);
	l->network_names = index_names(l->networks);
	l->config_names = index_names(l->configs);
	l->secret_names = index_names(l->secrets);
	return l;
}

void live_free(struct live *l)
{
	if (!l)
		return;
	json_decref(l->services);
	json_decref(l->networks);
	json_decref(l->configs);
	json_decref(l->secrets);
	json_decref(l->nodes);
	json_decref(l->service_names);
	json_decref(l->service_text);
	json_decref(l->service_full);
	json_decref(l->network_names);
	json_decref(l->config_names);
	json_decref(l->secret_names);
	free(l);
}

json_t *live_service_by_name(const struct live *l, const char *name)
{
	json_t *full = json_object_get(l->service_full, name), *text;
	json_error_t jerr;

	if (full)
		return full;
	text = json_object_get(l->service_text, name);
	if (!text)
		return NULL;
	/* Parsed from what json_dumps wrote: it cannot fail but on OOM. */
	full = json_loadb(json_string_value(text), json_string_length(text), 0,
	                  &jerr);
	if (!full)
		BUG("cannot parse a live service again: %s", jerr.text);
	json_object_set_new(l->service_full, name, full);
	return full;
}

json_t *live_service_slim(const struct live *l, const char *name)
{
	return json_object_get(l->service_names, name);
}

void live_services_forget(struct live *l)
{
	json_object_clear(l->service_full);
}

json_t *live_network_by_name(const struct live *l, const char *name)
{
	return json_object_get(l->network_names, name);
}

json_t *live_config_by_name(const struct live *l, const char *name)
{
	return json_object_get(l->config_names, name);
}

json_t *live_secret_by_name(const struct live *l, const char *name)
{
	return json_object_get(l->secret_names, name);
}

json_t *live_network_by_id(const struct live *l, const char *id)
{
	return by_id(l->networks, id);
}

json_t *live_node_by_id(const struct live *l, const char *id)
{
	return by_id(l->nodes, id);
}

json_t *live_node_by_hostname(const struct live *l, const char *hostname)
{
	json_t *o;
	size_t i;

	json_array_foreach (l->nodes, i, o) {
		json_t *desc = json_object_get(o, "Description");
		const char *h =
		        json_string_value(json_object_get(desc, "Hostname"));

		if (h && hostname && !strcmp(h, hostname))
			return o;
	}
	return NULL;
}

const char *live_network_name(const struct live *l, const char *id)
{
	return object_name(by_id(l->networks, id));
}

const char *live_config_name(const struct live *l, const char *id)
{
	return object_name(by_id(l->configs, id));
}

const char *live_secret_name(const struct live *l, const char *id)
{
	return object_name(by_id(l->secrets, id));
}

const char *live_network_id(const struct live *l, const char *name)
{
	return id_of(live_network_by_name(l, name));
}

const char *live_config_id(const struct live *l, const char *name)
{
	return id_of(live_config_by_name(l, name));
}

const char *live_secret_id(const struct live *l, const char *name)
{
	return id_of(live_secret_by_name(l, name));
}
