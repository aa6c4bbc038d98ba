/*
 * convert-deploy.c: the `deploy:` section and ports of a compose service →
 * ServiceSpec fields, as docker/cli v20.10.24 converts them
 * (convert-int.h).
 *
 * Owns: resources (NanoCPUs, MemoryBytes, Pids, generic resources), the
 * restart policy (and the `restart:` fallback), placement, the mode (jobs
 * included), update/rollback config and the endpoint spec with its ports.
 * Does not own: the container (convert-service.c, convert-task.c).
 */
#include <ctype.h>
#include <jansson.h>

#include "convert-int.h"
#include "jsonsort.h"
#include "err.h"

/* cpus as a string ("0.5") or a number → NanoCPUs. */
static int nano_cpus(json_t *o, struct cv *c, const json_t *blk,
                     const char *ptr)
{
	const json_t *v = json_object_get(blk, "cpus");
	json_int_t n = 0;
	char *s = v && !json_is_null(v) ? convert_scalar_text(v) : NULL;
	char *p;
	int rc = 0;

	if (v && !json_is_null(v) &&
	    (!s || json_is_boolean(v) || convert_parse_cpus(&n, s) || n < 0)) {
		p = convert_ptr(ptr, "cpus");
		rc = convert_bad(c, p, "must be a number of CPUs such as 0.5");
		free(p);
	}
	if (!rc && n)
		json_object_set_new(o, "NanoCPUs", json_integer(n));
	free(s);
	return rc;
}

static int generic_resources(json_t *o, struct cv *c, const json_t *blk,
                             const char *ptr)
{
	const json_t *list, *item, *d;
	json_t *out;
	const char *kind;
	json_int_t val;
	char *p, *ip;
	size_t i;
	int rc, present;

	if ((rc = convert_get_arr(&list, c, blk, "generic_resources", ptr)) ||
	    !list)
		return rc;
	p = convert_ptr(ptr, "generic_resources");
	out = json_array();
	json_array_foreach (list, i, item) {
		ip = convert_ptr_idx(p, i);
		rc = convert_get_obj(&d, c, item, "discrete_resource_spec", ip);
		if (!rc && d) {
			char *dp = convert_ptr(ip, "discrete_resource_spec");

			if (!(rc = convert_get_str(&kind, c, d, "kind", dp)))
				rc = convert_get_uint(&val, &present, c, d,
				                      "value", dp);
			if (!rc)
				json_array_append_new(
				        out, json_pack("{s:{s:s?, s:I}}",
				                       "DiscreteResourceSpec",
				                       "Kind", kind, "Value",
				                       present ? val : 0));
			free(dp);
		} else if (!rc) {
			json_array_append_new(out, json_object());
		}
		free(ip);
		if (rc)
			break;
	}
	if (!rc && json_array_size(out))
		json_object_set(o, "GenericResources", out);
	json_decref(out);
	free(p);
	return rc;
}

/* One of resources.limits / resources.reservations. */
static int resource_block(json_t *res, struct cv *c, const json_t *r,
                          const char *key, const char *field, const char *ptr)
{
	const json_t *blk;
	json_t *o;
	json_int_t n;
	char *p;
	int rc, present;

	if ((rc = convert_get_obj(&blk, c, r, key, ptr)) || !blk)
		return rc;
	p = convert_ptr(ptr, key);
	o = json_object();
	rc = nano_cpus(o, c, blk, p);
	if (!rc &&
	    !(rc = convert_get_size(&n, &present, c, blk, "memory", p)) &&
	    present && n)
		json_object_set_new(o, "MemoryBytes", json_integer(n));
	if (!rc && !strcmp(key, "limits") &&
	    !(rc = convert_get_uint(&n, &present, c, blk, "pids", p)) &&
	    present && n)
		json_object_set_new(o, "Pids", json_integer(n));
	if (!rc && strcmp(key, "limits"))
		rc = generic_resources(o, c, blk, p);
	json_object_set_new(res, field, o);
	free(p);
	return rc;
}

int convert_resources(json_t *tt, struct cv *c, const json_t *deploy,
                      const char *ptr)
{
	const json_t *r;
	json_t *res = json_object();
	char *p = convert_ptr(ptr, "resources");
	int rc;

	rc = convert_get_obj(&r, c, deploy, "resources", ptr);
	if (!rc)
		rc = resource_block(res, c, r, "limits", "Limits", p);
	if (!rc)
		rc = resource_block(res, c, r, "reservations", "Reservations",
		                    p);
	json_object_set_new(tt, "Resources", res);
	free(p);
	return rc;
}

/* The `restart:` fallback: "no", "always", "unless-stopped", "on-failure:N". */
static int restart_fallback(json_t *tt, struct cv *c, const json_t *svc,
                            const char *ptr)
{
	const char *s, *colon;
	json_int_t n = 0;
	char *p;
	int rc;

	if ((rc = convert_get_str(&s, c, svc, "restart", ptr)) || !s || !*s ||
	    !strcmp(s, "no"))
		return rc;
	if (!strcmp(s, "always") || !strcmp(s, "unless-stopped")) {
		json_object_set_new(tt, "RestartPolicy",
		                    json_pack("{s:s, s:i}", "Condition", "any",
		                              "MaxAttempts", 0));
		return 0;
	}
	colon = strchr(s, ':');
	if (colon) {
		char *end = NULL;

		errno = 0;
		if (isdigit((unsigned char)colon[1]))
			n = strtoll(colon + 1, &end, 10);
		if (!end || *end || errno)
			colon = s; /* refused below */
	}
	if (starts_with(s, "on-failure") && (!s[10] || colon == s + 10)) {
		json_object_set_new(tt, "RestartPolicy",
		                    json_pack("{s:s, s:I}", "Condition",
		                              "on-failure", "MaxAttempts", n));
		return 0;
	}
	p = convert_ptr(ptr, "restart");
	rc = convert_bad(c, p, "unknown restart policy '%s'", s);
	free(p);
	return rc;
}

int convert_restart_policy(json_t *tt, struct cv *c, const json_t *svc,
                           const json_t *deploy, const char *ptr)
{
	const json_t *rp;
	json_t *o;
	const char *cond;
	json_int_t n = 0;
	char *p = convert_ptr(ptr, "restart_policy");
	int rc, present;

	rc = convert_get_obj(&rp, c, deploy, "restart_policy", ptr);
	if (rc || !rp) {
		free(p);
		return rc ? rc : restart_fallback(tt, c, svc, ptr);
	}
	o = json_object();
	if (!(rc = convert_get_str(&cond, c, rp, "condition", p)))
		json_object_set_new(o, "Condition",
		                    json_string(cond && *cond ? cond : "any"));
	if (!rc && !(rc = convert_get_dur(&n, &present, c, rp, "delay", p)) &&
	    present)
		json_object_set_new(o, "Delay", json_integer(n));
	if (!rc &&
	    !(rc = convert_get_uint(&n, &present, c, rp, "max_attempts", p)))
		json_object_set_new(o, "MaxAttempts",
		                    json_integer(present ? n : 0));
	if (!rc && !(rc = convert_get_dur(&n, &present, c, rp, "window", p)) &&
	    present)
		json_object_set_new(o, "Window", json_integer(n));
	json_object_set_new(tt, "RestartPolicy", o);
	free(p);
	return rc;
}

int convert_placement(json_t *tt, struct cv *c, const json_t *deploy,
                      const char *ptr)
{
	const json_t *pl = NULL, *prefs = NULL, *item;
	json_t *o = json_object(), *cons = NULL, *list;
	const char *spread;
	json_int_t n;
	char *p = convert_ptr(ptr, "placement"), *ip;
	size_t i;
	int rc, present;

	rc = convert_get_obj(&pl, c, deploy, "placement", ptr);
	if (!rc)
		rc = convert_get_strlist(&cons, c, pl, "constraints", p);
	if (!rc && json_array_size(cons))
		json_object_set(o, "Constraints", cons);
	if (!rc)
		rc = convert_get_arr(&prefs, c, pl, "preferences", p);
	list = json_array();
	json_array_foreach (prefs, i, item) {
		ip = xasprintf("%s/preferences/%zu", p, i);
		rc = convert_get_str(&spread, c, item, "spread", ip);
		if (!rc && !json_is_object(item))
			rc = convert_bad(c, ip, "must be a mapping");
		if (!rc)
			json_array_append_new(list,
			                      json_pack("{s:{s:s}}", "Spread",
			                                "SpreadDescriptor",
			                                spread ? spread : ""));
		free(ip);
		if (rc)
			break;
	}
	if (!rc && json_array_size(list))
		json_object_set(o, "Preferences", list);
	if (!rc &&
	    !(rc = convert_get_uint(&n, &present, c, pl,
	                            "max_replicas_per_node", p)) &&
	    present && n)
		json_object_set_new(o, "MaxReplicas", json_integer(n));
	json_object_set_new(tt, "Placement", o);
	json_decref(list);
	json_decref(cons);
	free(p);
	return rc;
}

/* One long-syntax port: {target, published, protocol, mode}. */
static int port_long(json_t *ports, struct cv *c, const json_t *v,
                     const char *ptr)
{
	const char *proto, *mode;
	json_int_t target, pub;
	int rc, has_t, has_p;
	json_t *o;

	if ((rc = convert_get_uint(&target, &has_t, c, v, "target", ptr)) ||
	    (rc = convert_get_uint(&pub, &has_p, c, v, "published", ptr)) ||
	    (rc = convert_get_str(&proto, c, v, "protocol", ptr)) ||
	    (rc = convert_get_str(&mode, c, v, "mode", ptr)))
		return rc;
	if (!has_t || target < 1 || target > 65535)
		return convert_bad(c, ptr, "'target' must be a port number");
	if (has_p && pub > 65535)
		return convert_bad(c, ptr, "'published' is not a port number");
	o = json_pack("{s:s, s:I}", "Protocol", proto && *proto ? proto : "tcp",
	              "TargetPort", target);
	if (has_p && pub)
		json_object_set_new(o, "PublishedPort", json_integer(pub));
	json_object_set_new(o, "PublishMode",
	                    json_string(mode && *mode ? mode : "ingress"));
	json_array_append_new(ports, o);
	return 0;
}

static int port_entry(json_t *ports, struct cv *c, const json_t *v,
                      const char *ptr)
{
	const char *why;
	char *spec;
	int rc = 0;

	if (json_is_object(v))
		return port_long(ports, c, v, ptr);
	if (!json_is_string(v) && !json_is_integer(v))
		return convert_bad(c, ptr, "must be a port or a mapping");
	spec = convert_scalar_text(v);
	if (convert_parse_port(ports, spec, &why))
		rc = convert_bad(c, ptr, "'%s': %s", spec, why);
	else if (strchr(spec, ':') != strrchr(spec, ':'))
		convert_warn(c, ptr,
		             "the host IP is ignored: Swarm publishes "
		             "on every address");
	free(spec);
	return rc;
}

static int cmp_published(const json_t *x, const json_t *y)
{
	json_int_t a = json_integer_value(json_object_get(x, "PublishedPort"));
	json_int_t b = json_integer_value(json_object_get(y, "PublishedPort"));

	return a < b ? -1 : a > b;
}

int convert_endpoint(json_t *spec, struct cv *c, const json_t *svc,
                     const json_t *deploy, const char *ptr, const char *dptr)
{
	const json_t *list, *v;
	json_t *ports = json_array(), *ep;
	const char *mode = NULL;
	char *p = convert_ptr(ptr, "ports"), *ip, *lower;
	size_t i;
	int rc;

	rc = convert_get_arr(&list, c, svc, "ports", ptr);
	json_array_foreach (list, i, v) {
		ip = convert_ptr_idx(p, i);
		rc = port_entry(ports, c, v, ip);
		free(ip);
		if (rc)
			break;
	}
	jsonsort_stable(ports, cmp_published);
	if (!rc)
		rc = convert_get_str(&mode, c, deploy, "endpoint_mode", dptr);
	lower = xstrdup(mode && *mode ? mode : "vip");
	for (i = 0; lower[i]; i++)
		lower[i] = (char)tolower((unsigned char)lower[i]);
	ep = json_pack("{s:s}", "Mode", lower);
	if (json_array_size(ports))
		json_object_set(ep, "Ports", ports);
	json_object_set_new(spec, "EndpointSpec", ep);
	json_decref(ports);
	free(lower);
	free(p);
	return rc;
}

int convert_mode(json_t *spec, struct cv *c, const json_t *deploy,
                 const char *ptr)
{
	const char *m;
	json_int_t n = 1;
	int rc, present;
	char *p;

	if ((rc = convert_get_str(&m, c, deploy, "mode", ptr)) ||
	    (rc = convert_get_uint(&n, &present, c, deploy, "replicas", ptr)))
		return rc;
	if (!present)
		n = 1;
	if (!m || !*m || !strcmp(m, "replicated")) {
		json_object_set_new(
		        spec, "Mode",
		        json_pack("{s:{s:I}}", "Replicated", "Replicas", n));
	} else if (!strcmp(m, "replicated-job")) {
		json_object_set_new(spec, "Mode",
		                    json_pack("{s:{s:I, s:I}}", "ReplicatedJob",
		                              "MaxConcurrent", n,
		                              "TotalCompletions", n));
	} else if (!strcmp(m, "global") || !strcmp(m, "global-job")) {
		p = convert_ptr(ptr, "replicas");
		rc = present ? convert_bad(c, p,
		                           "replicas can only be used "
		                           "with replicated modes")
		             : 0;
		free(p);
		json_object_set_new(
		        spec, "Mode",
		        json_pack("{s:{}}", m[6] ? "GlobalJob" : "Global"));
	} else {
		p = convert_ptr(ptr, "mode");
		rc = convert_bad(c, p, "unknown mode '%s'", m);
		free(p);
	}
	return rc;
}

/* update_config / rollback_config; parallelism 1 when the block exists. */
int convert_update_config(json_t *spec, struct cv *c, const json_t *deploy,
                          const char *key, const char *field, const char *ptr)
{
	const json_t *u, *ratio;
	const char *fa, *order;
	json_int_t n;
	json_t *o;
	char *p;
	int rc, present;

	if ((rc = convert_get_obj(&u, c, deploy, key, ptr)) || !u)
		return rc;
	p = convert_ptr(ptr, key);
	o = json_object();
	if (!(rc = convert_get_uint(&n, &present, c, u, "parallelism", p)))
		json_object_set_new(o, "Parallelism",
		                    json_integer(present ? n : 1));
	if (!rc && !(rc = convert_get_dur(&n, &present, c, u, "delay", p)) && n)
		json_object_set_new(o, "Delay", json_integer(n));
	if (!rc && !(rc = convert_get_str(&fa, c, u, "failure_action", p)))
		json_object_set_new(o, "FailureAction",
		                    json_string(fa && *fa ? fa : "pause"));
	if (!rc && !(rc = convert_get_dur(&n, &present, c, u, "monitor", p)) &&
	    n)
		json_object_set_new(o, "Monitor", json_integer(n));
	ratio = json_object_get(u, "max_failure_ratio");
	if (!rc && ratio && !json_is_null(ratio) && !json_is_number(ratio)) {
		char *rp = convert_ptr(p, "max_failure_ratio");

		rc = convert_bad(c, rp, "must be a number");
		free(rp);
	}
	if (!rc && json_number_value(ratio) != 0)
		json_object_set_new(o, "MaxFailureRatio",
		                    json_real(json_number_value(ratio)));
	else
		json_object_set_new(o, "MaxFailureRatio", json_integer(0));
	if (!rc && !(rc = convert_get_str(&order, c, u, "order", p)))
		json_object_set_new(
		        o, "Order",
		        json_string(order && *order ? order : "stop-first"));
	json_object_set_new(spec, field, o);
	free(p);
	return rc;
}
