/*
 * normalize.c: canonical specs for comparison (normalize.h).
 *
 * Owns: the rows of the diff-noise catalogue (facts §3): daemon defaults,
 * empty ≡ absent, list order, network IDs, image references, fields the
 * swarm or other tools own; and the ignore rules. Does not own: the spec
 * kedge sends (convert.h) or the diff itself (specdiff.h).
 */
#include <jansson.h>

#include "err.h"
#include "imageref.h"
#include "jsonsort.h"
#include "normalize.h"

#define DEFAULT_GRACE 10000000000LL /* swarmkit's StopGracePeriod, 10s */
#define DEFAULT_DELAY 5000000000LL  /* RestartPolicy.Delay and Monitor */

/* Makes obj[key] an object (creating it) and returns it. */
static json_t *obj_child(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_object(v)) {
		v = json_object();
		json_object_set_new(obj, key, v);
	}
	return v;
}

static void default_str(json_t *obj, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (!s || !*s)
		json_object_set_new(obj, key, json_string(def));
}

static void default_int(json_t *obj, const char *key, json_int_t def)
{
	if (!json_is_integer(json_object_get(obj, key)))
		json_object_set_new(obj, key, json_integer(def));
}

/* Removes each key whose value is the number 0. */
static void drop_zero(json_t *obj, const char *const *keys)
{
	json_t *v;

	for (; *keys; keys++) {
		v = json_object_get(obj, *keys);
		if (json_is_number(v) && json_number_value(v) == 0)
			json_object_del(obj, *keys);
	}
}

/* Removes null, "", false, [] and {} members, depth first. */
static void prune(json_t *v)
{
	const char *k;
	json_t *c;
	void *tmp;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach (v, i, c)
			prune(c);
		return;
	}
	json_object_foreach_safe (v, tmp, k, c) {
		if (strcmp(k, "Mode"))
			prune(c);
		if (json_is_null(c) || json_is_false(c) ||
		    (json_is_string(c) && !*json_string_value(c)) ||
		    (json_is_array(c) && !json_array_size(c)) ||
		    (json_is_object(c) && !json_object_size(c)))
			json_object_del(v, k);
	}
}

typedef int (*cmp_fn)(const json_t *, const json_t *);

static int cmp_json(const json_t *a, const json_t *b)
{
	char *x =
	        json_dumps(a, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
	char *y =
	        json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
	int r = strcmp(x ? x : "", y ? y : "");

	free(x);
	free(y);
	return r;
}

/* Compares by the string member key, then by the whole value. */
#define KEY_CMP(fn, key)                                                    \
	static int fn(const json_t *a, const json_t *b)                     \
	{                                                                   \
		const char *x = json_string_value(json_object_get(a, key)); \
		const char *y = json_string_value(json_object_get(b, key)); \
		int r = strcmp(x ? x : "", y ? y : "");                     \
		return r ? r : cmp_json(a, b);                              \
	}
KEY_CMP(cmp_target, "Target")
KEY_CMP(cmp_secret, "SecretName")
KEY_CMP(cmp_config, "ConfigName")
KEY_CMP(cmp_name, "Name")

static int cmp_port(const json_t *a, const json_t *b)
{
	static const char *const k[] = {"PublishedPort", "TargetPort"};
	json_int_t x, y;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(k); i++) {
		x = json_integer_value(json_object_get(a, k[i]));
		y = json_integer_value(json_object_get(b, k[i]));
		if (x != y)
			return x < y ? -1 : 1;
	}
	return cmp_json(a, b);
}

static void sort_member(json_t *obj, const char *key, cmp_fn cmp)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_array(v))
		jsonsort_stable(v, cmp);
}

char *normalize_image(const char *image)
{
	return imageref_familiar_undigested(image);
}

void normalize_ctx_pins(struct normalize_ctx *ctx, const json_t *desired)
{
	const json_t *tt = json_object_get(desired, "TaskTemplate");
	const char *img = json_string_value(
	        json_object_get(json_object_get(tt, "ContainerSpec"), "Image"));

	ctx->keep_platforms = json_object_get(json_object_get(tt, "Placement"),
	                                      "Platforms") != NULL;
	ctx->keep_digests = img && strchr(img, '@');
}

/* Labels: kedge.* labels other than managed-by are not compared. */
static void labels(json_t *obj)
{
	json_t *l = json_object_get(obj, "Labels"), *v;
	const char *k;
	void *tmp;

	json_object_foreach_safe (l, tmp, k, v)
		if (starts_with(k, "kedge.") && strcmp(k, "kedge.managed-by"))
			json_object_del(l, k);
}

static int cmp_text(const json_t *a, const json_t *b)
{
	return cmp_json(a, b);
}

static void mounts(json_t *cs)
{
	static const char *const zero[] = {"SizeBytes", "Mode", NULL};
	json_t *list = json_object_get(cs, "Mounts"), *m;
	size_t i;

	json_array_foreach (list, i, m) {
		if (!json_is_object(m))
			continue;
		default_str(m, "Type", "bind");
		json_object_del(m, "Consistency");
		drop_zero(json_object_get(m, "TmpfsOptions"), zero);
	}
	sort_member(cs, "Mounts", cmp_target);
}

static void file_refs(json_t *cs, const char *key, const char *id, cmp_fn cmp)
{
	json_t *list = json_object_get(cs, key), *r;
	size_t i;

	json_array_foreach (list, i, r)
		json_object_del(r, id);
	sort_member(cs, key, cmp);
}

static void container(json_t *tt, const struct normalize_ctx *ctx)
{
	static const char *const hc_zero[] = {"Interval", "Timeout",
	                                      "StartPeriod", "Retries", NULL};
	json_t *cs = obj_child(tt, "ContainerSpec"), *img;
	char *canon;

	img = json_object_get(cs, "Image");
	if (json_is_string(img)) {
		canon = ctx && ctx->keep_digests
		                ? imageref_familiar(json_string_value(img))
		                : normalize_image(json_string_value(img));
		json_object_set_new(cs, "Image", json_string(canon));
		free(canon);
	}
	default_str(cs, "Isolation", "default");
	default_int(cs, "StopGracePeriod", DEFAULT_GRACE);
	drop_zero(json_object_get(cs, "Healthcheck"), hc_zero);
	sort_member(cs, "Env", cmp_text);
	sort_member(cs, "Hosts", cmp_text);
	sort_member(cs, "CapabilityAdd", cmp_text);
	sort_member(cs, "CapabilityDrop", cmp_text);
	sort_member(cs, "Ulimits", cmp_name);
	mounts(cs);
	file_refs(cs, "Secrets", "SecretID", cmp_secret);
	file_refs(cs, "Configs", "ConfigID", cmp_config);
}

static void networks(json_t *tt, const struct normalize_ctx *ctx)
{
	json_t *list = json_object_get(tt, "Networks"), *n;
	const char *id, *name;
	size_t i;

	json_array_foreach (list, i, n) {
		id = json_string_value(json_object_get(n, "Target"));
		name = id && ctx && ctx->network_name
		               ? ctx->network_name(ctx->ctx, id)
		               : NULL;
		if (name)
			json_object_set_new(n, "Target", json_string(name));
		sort_member(n, "Aliases", cmp_text);
	}
	sort_member(tt, "Networks", cmp_target);
}

static void task_template(json_t *spec, const struct normalize_ctx *ctx)
{
	static const char *const res_zero[] = {"NanoCPUs", "MemoryBytes",
	                                       "Pids", NULL};
	static const char *const rp_zero[] = {"Window", NULL};
	json_t *tt = obj_child(spec, "TaskTemplate"), *rp, *res, *pl;

	json_object_del(tt, "ForceUpdate");
	default_str(tt, "Runtime", "container");
	container(tt, ctx);
	rp = obj_child(tt, "RestartPolicy");
	default_str(rp, "Condition", "any");
	default_int(rp, "Delay", DEFAULT_DELAY);
	default_int(rp, "MaxAttempts", 0);
	drop_zero(rp, rp_zero);
	res = json_object_get(tt, "Resources");
	drop_zero(json_object_get(res, "Limits"), res_zero);
	drop_zero(json_object_get(res, "Reservations"), res_zero);
	pl = json_object_get(tt, "Placement");
	if (!ctx || !ctx->keep_platforms)
		json_object_del(pl, "Platforms");
	sort_member(pl, "Constraints", cmp_text);
	if (json_is_object(pl) &&
	    !json_integer_value(json_object_get(pl, "MaxReplicas")))
		json_object_del(pl, "MaxReplicas");
	networks(tt, ctx);
}

/* UpdateConfig / RollbackConfig; a missing block is swarm's default. */
static void update_config(json_t *spec, const char *key)
{
	static const char *const zero[] = {"Delay", NULL};
	json_t *u = json_object_get(spec, key), *r;
	double ratio;
	char txt[32];

	if (!json_is_object(u)) {
		u = json_pack("{s:i, s:I}", "Parallelism", 1, "Monitor",
		              (json_int_t)DEFAULT_DELAY);
		json_object_set_new(spec, key, u);
	}
	default_int(u, "Parallelism", 0);
	default_str(u, "FailureAction", "pause");
	default_str(u, "Order", "stop-first");
	drop_zero(u, zero);
	if (!json_integer_value(json_object_get(u, "Monitor")))
		json_object_del(u, "Monitor");
	r = json_object_get(u, "MaxFailureRatio");
	ratio = json_is_number(r) ? json_number_value(r) : 0;
	/* Swarm keeps a float32: compare at its precision. */
	snprintf(txt, sizeof(txt), "%.6g", ratio);
	ratio = strtod(txt, NULL);
	json_object_set_new(u, "MaxFailureRatio",
	                    ratio ? json_real(ratio) : json_integer(0));
}

static void endpoint(json_t *spec)
{
	static const char *const zero[] = {"PublishedPort", "TargetPort", NULL};
	json_t *ep = obj_child(spec, "EndpointSpec"), *p;
	size_t i;

	default_str(ep, "Mode", "vip");
	json_array_foreach (json_object_get(ep, "Ports"), i, p) {
		default_str(p, "Protocol", "tcp");
		default_str(p, "PublishMode", "ingress");
		drop_zero(p, zero);
	}
	sort_member(ep, "Ports", cmp_port);
}

/* Mode defaults; returns whether the service is a job. */
static int mode(json_t *spec)
{
	json_t *m = json_object_get(spec, "Mode"), *r;

	if (!json_is_object(m) || !json_object_size(m)) {
		m = json_object();
		json_object_set_new(spec, "Mode", m);
	}
	if (json_object_get(m, "ReplicatedJob")) {
		r = obj_child(m, "ReplicatedJob");
		default_int(r, "MaxConcurrent", 1);
		default_int(r, "TotalCompletions",
		            json_integer_value(
		                    json_object_get(r, "MaxConcurrent")));
		return 1;
	}
	if (json_object_get(m, "GlobalJob"))
		return 1;
	if (json_object_get(m, "Global"))
		return 0;
	r = obj_child(m, "Replicated");
	default_int(r, "Replicas", 1);
	return 0;
}

int normalize_service(json_t **out, const json_t *spec,
                      const struct normalize_ctx *ctx, struct err *err)
{
	json_t *s;

	*out = NULL;
	if (json_is_object(spec) &&
	    json_is_object(json_object_get(spec, "Spec")))
		spec = json_object_get(spec, "Spec");
	if (!json_is_object(spec))
		return err_set(err, ERR_INVALID,
		               "a service spec must be an "
		               "object");
	s = json_deep_copy(spec);
	labels(s);
	task_template(s, ctx);
	if (!mode(s)) {
		update_config(s, "UpdateConfig");
		update_config(s, "RollbackConfig");
	}
	endpoint(s);
	prune(s);
	*out = s;
	return 0;
}

/* Keeps only the members of obj that ref has (when ref is given). */
static void restrict_to(json_t *obj, const json_t *ref)
{
	const char *k;
	json_t *v;
	void *tmp;

	json_object_foreach_safe (obj, tmp, k, v)
		if (!json_object_get(ref, k))
			json_object_del(obj, k);
}

static json_t *network_ipam(const json_t *ipam)
{
	json_t *o = json_object(), *list = json_array(), *c;
	const char *drv = json_string_value(json_object_get(ipam, "Driver"));
	size_t i;

	if (drv && strcmp(drv, "default"))
		json_object_set_new(o, "Driver", json_string(drv));
	json_array_foreach (json_object_get(ipam, "Config"), i, c)
		if (json_is_string(json_object_get(c, "Subnet")))
			json_array_append(list, json_object_get(c, "Subnet"));
	jsonsort_stable(list, cmp_text);
	json_object_set_new(o, "Subnets", list);
	return o;
}

int normalize_network(json_t **out, const json_t *net, const json_t *desired,
                      struct err *err)
{
	static const char *const keep[] = {"Name", "Driver", "Labels",
	                                   "Internal", "Attachable"};
	json_t *o, *opts, *ipam;
	size_t i;

	*out = NULL;
	if (!json_is_object(net))
		return err_set(err, ERR_INVALID, "a network must be an object");
	o = json_object();
	for (i = 0; i < ARRAY_SIZE(keep); i++)
		if (json_object_get(net, keep[i]))
			json_object_set_new(
			        o, keep[i],
			        json_deep_copy(json_object_get(net, keep[i])));
	default_str(o, "Driver", "overlay");
	opts = json_deep_copy(json_object_get(net, "Options"));
	json_object_del(opts, "com.docker.network.driver.overlay.vxlanid_list");
	if (desired)
		restrict_to(opts, json_object_get(desired, "Options"));
	json_object_set_new(o, "Options", opts ? opts : json_null());
	ipam = json_is_object(json_object_get(net, "IPAM"))
	               ? network_ipam(json_object_get(net, "IPAM"))
	               : json_object();
	if (desired) {
		/* The daemon picks a driver and subnets when we do not. */
		json_t *d = network_ipam(json_object_get(desired, "IPAM"));

		if (!json_array_size(json_object_get(d, "Subnets")))
			json_object_del(d, "Subnets");
		restrict_to(ipam, d);
		json_decref(d);
	}
	json_object_set_new(o, "IPAM", ipam);
	prune(o);
	*out = o;
	return 0;
}

static int normalize_object(json_t **out, const json_t *spec, const char *what,
                            struct err *err)
{
	json_t *o;

	*out = NULL;
	if (json_is_object(spec) &&
	    json_is_object(json_object_get(spec, "Spec")))
		spec = json_object_get(spec, "Spec");
	if (!json_is_object(spec))
		return err_set(err, ERR_INVALID, "a %s must be an object",
		               what);
	o = json_object();
	if (json_object_get(spec, "Name"))
		json_object_set(o, "Name", json_object_get(spec, "Name"));
	if (json_object_get(spec, "Labels"))
		json_object_set_new(
		        o, "Labels",
		        json_deep_copy(json_object_get(spec, "Labels")));
	prune(o);
	*out = o;
	return 0;
}

int normalize_config(json_t **out, const json_t *spec, struct err *err)
{
	return normalize_object(out, spec, "config", err);
}

int normalize_secret(json_t **out, const json_t *spec, struct err *err)
{
	return normalize_object(out, spec, "secret", err);
}

/* Compose paths users may ignore → spec fields (dotted). */
static const char *const ignore_map[][2] = {
        {"image", "TaskTemplate.ContainerSpec.Image"},
        {"command", "TaskTemplate.ContainerSpec.Args"},
        {"entrypoint", "TaskTemplate.ContainerSpec.Command"},
        {"environment", "TaskTemplate.ContainerSpec.Env"},
        {"labels", "TaskTemplate.ContainerSpec.Labels"},
        {"healthcheck", "TaskTemplate.ContainerSpec.Healthcheck"},
        {"logging", "TaskTemplate.LogDriver"},
        {"ports", "EndpointSpec.Ports"},
        {"deploy.replicas", "Mode.Replicated.Replicas"},
        {"deploy.labels", "Labels"},
        {"deploy.resources", "TaskTemplate.Resources"},
        {"deploy.resources.limits", "TaskTemplate.Resources.Limits"},
        {"deploy.resources.reservations",
         "TaskTemplate.Resources.Reservations"},
        {"deploy.placement", "TaskTemplate.Placement"},
        {"deploy.placement.constraints", "TaskTemplate.Placement.Constraints"},
        {"deploy.restart_policy", "TaskTemplate.RestartPolicy"},
        {"deploy.update_config", "UpdateConfig"},
        {"deploy.rollback_config", "RollbackConfig"},
};

/* Walks a dotted path; returns the member or NULL. */
static json_t *walk(const json_t *v, const char *path)
{
	char *copy = xstrdup(path), *seg, *save = NULL;

	for (seg = strtok_r(copy, ".", &save); seg && v;
	     seg = strtok_r(NULL, ".", &save))
		v = json_object_get(v, seg);
	free(copy);
	return (json_t *)v;
}

/* Sets desired's field at path to a copy of value (or removes it). */
static void put(json_t *desired, const char *path, const json_t *value)
{
	char *copy = xstrdup(path), *last = strrchr(copy, '.'), *seg, *save;
	json_t *parent = desired;

	if (last) {
		*last++ = '\0';
		save = NULL;
		for (seg = strtok_r(copy, ".", &save); seg;
		     seg = strtok_r(NULL, ".", &save))
			parent = obj_child(parent, seg);
	} else {
		last = copy;
	}
	if (value)
		json_object_set_new(parent, last, json_deep_copy(value));
	else
		json_object_del(parent, last);
	free(copy);
}

/* deploy.labels: live's labels, but kedge's and the stack's from desired. */
static void ignore_labels(json_t *desired, const json_t *live)
{
	json_t *mine = json_deep_copy(json_object_get(desired, "Labels"));
	json_t *theirs = json_deep_copy(json_object_get(live, "Labels")), *v;
	const char *k;
	void *tmp;

	if (!json_is_object(theirs)) {
		json_decref(theirs);
		theirs = json_object();
	}
	json_object_foreach_safe (theirs, tmp, k, v)
		if (starts_with(k, "kedge.") ||
		    starts_with(k, "com.docker.stack."))
			json_object_del(theirs, k);
	json_object_foreach (mine, k, v)
		if (starts_with(k, "kedge.") ||
		    starts_with(k, "com.docker.stack."))
			json_object_set(theirs, k, v);
	json_object_set_new(desired, "Labels", theirs);
	json_decref(mine);
}

int normalize_apply_ignores(json_t *desired, const json_t *live,
                            const char **compose_paths, size_t n,
                            struct err *err)
{
	char list[1024];
	size_t i, j, o = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < ARRAY_SIZE(ignore_map); j++)
			if (!strcmp(compose_paths[i], ignore_map[j][0]))
				break;
		if (j == ARRAY_SIZE(ignore_map)) {
			for (j = 0; j < ARRAY_SIZE(ignore_map); j++)
				o += (size_t)snprintf(
				        list + o, sizeof(list) - o, "%s%s",
				        j ? ", " : "", ignore_map[j][0]);
			return err_set(err, ERR_INVALID,
			               "cannot ignore '%s'; supported: %s",
			               compose_paths[i], list);
		}
		if (!strcmp(ignore_map[j][0], "deploy.labels"))
			ignore_labels(desired, live);
		else
			put(desired, ignore_map[j][1],
			    walk(live, ignore_map[j][1]));
	}
	return 0;
}
