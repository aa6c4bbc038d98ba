/*
 * convert-service.c: one compose service → a Swarm ServiceSpec, as
 * docker/cli v20.10.24's convert.Service builds it (convert-int.h).
 *
 * Owns: the service-level fields (name, labels, mode, update and rollback
 * config, endpoint spec) and the task template's resources, restart
 * policy, placement, networks and log driver, and the container's basic
 * fields. Defaults the daemon would store are written out. Does not own:
 * mounts, secrets/configs references, healthcheck and the other container
 * extras (convert-task.c), or top-level objects (convert.c).
 */
#include <ctype.h>
#include <jansson.h>

#include "buf.h"
#include "convert-int.h"
#include "jsonsort.h"
#include "err.h"
#include "imageref.h"

/* Keys docker stack deploy ignores with a warning; kedge does the same. */
static const char *const ignored_keys[] = {
        "build",          "cgroupns_mode",  "cgroup_parent", "devices",
        "domainname",     "external_links", "ipc",           "links",
        "mac_address",    "network_mode",   "pid",           "privileged",
        "restart",        "security_opt",   "shm_size",      "userns_mode",
        "container_name", "expose",         "tmpfs",
};
/* Keys stack deploy refuses. */
static const char *const forbidden_keys[] = {
        "extends",    "volume_driver", "volumes_from", "cpu_quota",
        "cpu_shares", "cpuset",        "mem_limit",    "memswap_limit",
};
/* Keys read by this file or convert-task.c, or silently unused. */
static const char *const known_keys[] = {
        "image",
        "command",
        "entrypoint",
        "environment",
        "env_file",
        "labels",
        "deploy",
        "ports",
        "networks",
        "configs",
        "secrets",
        "volumes",
        "healthcheck",
        "hostname",
        "user",
        "working_dir",
        "stop_grace_period",
        "stop_signal",
        "init",
        "cap_add",
        "cap_drop",
        "ulimits",
        "sysctls",
        "dns",
        "dns_search",
        "extra_hosts",
        "logging",
        "read_only",
        "tty",
        "stdin_open",
        "isolation",
        "credential_spec",
        "depends_on",
};

static int in_list(const char *k, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(k, list[i]))
			return 1;
	return 0;
}

/* Warns about ignored keys and refuses forbidden ones. */
static int check_keys(struct cv *c, const json_t *svc, const char *ptr)
{
	const char *k;
	json_t *v;
	char *p, *msg;
	int rc = 0;

	json_object_foreach ((json_t *)svc, k, v) {
		if (starts_with(k, "x-") ||
		    in_list(k, known_keys, ARRAY_SIZE(known_keys)))
			continue;
		p = convert_ptr(ptr, k);
		if (in_list(k, forbidden_keys, ARRAY_SIZE(forbidden_keys))) {
			rc = err_set(c->err, ERR_UNSUPPORTED,
			             "%s: '%s' is not supported by Swarm", p,
			             k);
		} else {
			msg = xasprintf(
			        in_list(k, ignored_keys,
			                ARRAY_SIZE(ignored_keys))
			                ? "'%s' is ignored by Swarm services"
			                : "unknown key '%s' ignored",
			        k);
			convert_warn(c, p, msg);
			free(msg);
		}
		free(p);
		if (rc)
			break;
	}
	return rc;
}

/* `command`/`entrypoint`: a list, or a string split into shell words. */
static int command_field(json_t *cs, struct cv *c, const json_t *svc,
                         const char *key, const char *field, const char *ptr)
{
	const json_t *v = json_object_get(svc, key);
	json_t *words = NULL;
	char *p = convert_ptr(ptr, key);
	int rc = 0;

	if (json_is_string(v)) {
		if (convert_shell_split(&words, json_string_value(v)))
			rc = convert_bad(c, p,
			                 "unbalanced quotes or a "
			                 "trailing backslash");
	} else {
		rc = convert_get_strlist(&words, c, svc, key, ptr);
	}
	if (!rc && words && json_array_size(words))
		json_object_set(cs, field, words);
	json_decref(words);
	free(p);
	return rc;
}

/* env_file entries, in order; later files win. */
static int env_files(json_t *env, struct cv *c, const json_t *svc,
                     const char *ptr)
{
	json_t *files = NULL, *f;
	struct buf b;
	struct err e;
	char why[256], *p = NULL;
	size_t i;
	int rc;

	rc = convert_get_strlist(&files, c, svc, "env_file", ptr);
	json_array_foreach (files, i, f) {
		p = json_is_array(json_object_get(svc, "env_file"))
		            ? xasprintf("%s/env_file/%zu", ptr, i)
		            : xasprintf("%s/env_file", ptr);
		buf_init(&b, c->opts && c->opts->max_file_bytes
		                     ? c->opts->max_file_bytes
		                     : 500 * 1024);
		err_clear(&e);
		if (!c->opts || !c->opts->read_file)
			rc = convert_bad(c, p, "files cannot be read here");
		else if ((rc = c->opts->read_file(c->opts->read_ctx,
		                                  json_string_value(f), &b,
		                                  &e)))
			err_set(c->err, rc, "%s: %s", p, e.msg);
		else if (convert_parse_env_file(env, c, buf_cstr(&b), b.len,
		                                why, sizeof(why)))
			rc = convert_bad(c, p, "env file '%s': %s",
			                 json_string_value(f), why);
		buf_release(&b);
		free(p);
		if (rc)
			break;
	}
	json_decref(files);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Env: env_file, then environment; "KEY" alone when unset, sorted. */
static int environment(json_t *cs, struct cv *c, const json_t *svc,
                       const char *ptr)
{
	json_t *env = json_object(), *vars = NULL, *v, *list;
	const char *k, *look;
	char *p = convert_ptr(ptr, "environment"), **lines;
	size_t n = 0, i;
	int rc;

	rc = env_files(env, c, svc, ptr);
	if (!rc)
		rc = convert_mapping(&vars, c,
		                     json_object_get(svc, "environment"), '=',
		                     1, p);
	json_object_foreach (vars, k, v) {
		look = c->opts && c->opts->env
		               ? c->opts->env(c->opts->env_ctx, k)
		               : NULL;
		if (look && (json_is_null(v) || !*json_string_value(v)))
			json_object_set_new(env, k, json_string(look));
		else
			json_object_set(env, k, v);
	}
	lines = xcalloc(json_object_size(env) + 1, sizeof(*lines));
	json_object_foreach (env, k, v)
		lines[n++] = json_is_null(v) ? xstrdup(k)
		                             : xasprintf("%s=%s", k,
		                                         json_string_value(v));
	qsort(lines, n, sizeof(*lines), cmp_str);
	list = json_array();
	for (i = 0; i < n; i++) {
		json_array_append_new(list, json_string(lines[i]));
		free(lines[i]);
	}
	free(lines);
	if (!rc && n)
		json_object_set(cs, "Env", list);
	json_decref(list);
	json_decref(vars);
	json_decref(env);
	free(p);
	return rc;
}

static void set_str_if(json_t *o, const char *k, const char *v)
{
	if (v && *v)
		json_object_set_new(o, k, json_string(v));
}

/*
 * ContainerSpec.Image as `docker stack deploy` sends it: the CLI refuses
 * what the reference grammar refuses, and its API client sends the
 * familiar form with :latest on a bare name ("nginx" → "nginx:latest").
 */
static int image(json_t *cs, struct cv *c, const char *s, const char *ptr)
{
	const char *why = imageref_check(s);
	char *iptr, *familiar;
	int rc;

	if (why) {
		iptr = convert_ptr(ptr, "image");
		rc = convert_bad(c, iptr,
		                 "'%s' is not a valid image reference: %s", s,
		                 why);
		free(iptr);
		return rc;
	}
	familiar = imageref_familiar(s);
	json_object_set_new(cs, "Image", json_string(familiar));
	free(familiar);
	return 0;
}

/* Image, labels, command, env and the simple scalar fields. */
static int container_basic(json_t *cs, struct cv *c, const json_t *svc,
                           const char *ptr)
{
	const char *s;
	json_t *labels = NULL;
	json_int_t ns;
	int b, present, rc;

	if ((rc = convert_get_str(&s, c, svc, "image", ptr)))
		return rc;
	if (!s || !*s)
		return convert_bad(c, ptr, "'image' is required");
	if ((rc = image(cs, c, s, ptr)))
		return rc;
	if ((rc = convert_labels(&labels, c, svc, "labels", ptr)))
		return rc;
	json_object_set_new(cs, "Labels", labels);
	if ((rc = command_field(cs, c, svc, "entrypoint", "Command", ptr)) ||
	    (rc = command_field(cs, c, svc, "command", "Args", ptr)) ||
	    (rc = environment(cs, c, svc, ptr)))
		return rc;
	static const char *const strs[][2] = {
	        {"hostname", "Hostname"},
	        {"working_dir", "Dir"},
	        {"user", "User"},
	        {"stop_signal", "StopSignal"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
		if ((rc = convert_get_str(&s, c, svc, strs[i][0], ptr)))
			return rc;
		set_str_if(cs, strs[i][1], s);
	}
	static const char *const bools[][2] = {
	        {"tty", "TTY"},
	        {"stdin_open", "OpenStdin"},
	        {"read_only", "ReadOnly"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bools); i++) {
		if ((rc = convert_get_bool(&b, NULL, c, svc, bools[i][0], ptr)))
			return rc;
		if (b)
			json_object_set_new(cs, bools[i][1], json_true());
	}
	if ((rc = convert_get_bool(&b, &present, c, svc, "init", ptr)))
		return rc;
	if (present)
		json_object_set_new(cs, "Init", json_boolean(b));
	if ((rc = convert_get_dur(&ns, &present, c, svc, "stop_grace_period",
	                          ptr)))
		return rc;
	if (present)
		json_object_set_new(cs, "StopGracePeriod", json_integer(ns));
	if ((rc = convert_get_str(&s, c, svc, "isolation", ptr)))
		return rc;
	json_object_set_new(cs, "Isolation",
	                    json_string(s && *s ? s : "default"));
	return 0;
}

/* Privileges with its credential spec (Windows; file or registry only). */
static int privileges(json_t *cs, struct cv *c, const json_t *svc,
                      const char *ptr)
{
	const json_t *cred;
	json_t *spec = json_object();
	const char *keys[][2] = {{"file", "File"}, {"registry", "Registry"}};
	const char *s;
	char *p = convert_ptr(ptr, "credential_spec");
	int rc;

	rc = convert_get_obj(&cred, c, svc, "credential_spec", ptr);
	if (!rc && cred && json_object_get(cred, "config")) {
		rc = err_set(c->err, ERR_UNSUPPORTED,
		             "%s: credential specs from a config are not "
		             "supported",
		             p);
	}
	for (size_t i = 0; !rc && i < ARRAY_SIZE(keys); i++) {
		rc = convert_get_str(&s, c, cred, keys[i][0], p);
		if (!rc && s && *s)
			json_object_set_new(spec, keys[i][1], json_string(s));
	}
	if (!rc && json_object_size(spec) > 1)
		rc = convert_bad(c, p, "give either file or registry");
	json_object_set_new(cs, "Privileges",
	                    json_pack("{s:o, s:n}", "CredentialSpec",
	                              json_object_size(spec) ? json_incref(spec)
	                                                     : json_null(),
	                              "SELinuxContext"));
	json_decref(spec);
	free(p);
	return rc;
}

static int container_spec(json_t **out, struct cv *c, const json_t *svc,
                          const char *ptr)
{
	json_t *cs = json_object();
	int rc;

	if ((rc = container_basic(cs, c, svc, ptr)) ||
	    (rc = privileges(cs, c, svc, ptr)) ||
	    (rc = convert_container_extras(cs, c, svc, ptr)) ||
	    (rc = convert_mounts(cs, c, svc, ptr)) ||
	    (rc = convert_file_refs(cs, c, svc, 1, ptr)) ||
	    (rc = convert_file_refs(cs, c, svc, 0, ptr))) {
		json_decref(cs);
		return rc;
	}
	*out = cs;
	return 0;
}

/* Not a user-defined network: no aliases, as in container.NetworkMode. */
static int predefined_net(const char *name)
{
	return !strcmp(name, "bridge") || !strcmp(name, "host") ||
	       !strcmp(name, "none") || !strcmp(name, "default") ||
	       starts_with(name, "container:");
}

/* The Swarm name of compose network key (its `name:` or <stack>_<key>). */
static char *net_target(struct cv *c, const char *key)
{
	const json_t *def =
	        json_object_get(json_object_get(c->compose, "networks"), key);
	const json_t *ext = json_object_get(def, "external");
	const char *name = json_string_value(json_object_get(def, "name"));

	if (!name && json_is_object(ext))
		name = json_string_value(json_object_get(ext, "name"));
	if (name && *name)
		return xstrdup(name);
	if (json_is_true(ext) || json_is_object(ext))
		return xstrdup(key);
	return xasprintf("%s_%s", c->stack, key);
}

/* One network attachment; value is null or {aliases: [...]}. */
static int attach_net(json_t *list, struct cv *c, const char *svcname,
                      const char *key, const json_t *value, const char *ptr)
{
	const json_t *defs = json_object_get(c->compose, "networks");
	json_t *aliases = NULL, *att;
	char *target;
	int rc;

	if (strcmp(key, "default") &&
	    !(json_is_object(defs) && json_object_get(defs, key)))
		return convert_bad(c, ptr, "undefined network '%s'", key);
	if (value && !json_is_null(value) && !json_is_object(value))
		return convert_bad(c, ptr, "must be a mapping or empty");
	if ((rc = convert_get_strlist(&aliases, c, value, "aliases", ptr)))
		return rc;
	target = net_target(c, key);
	if (!predefined_net(target)) {
		if (!aliases)
			aliases = json_array();
		json_array_append_new(aliases, json_string(svcname));
	}
	att = json_pack("{s:s}", "Target", target);
	if (aliases && json_array_size(aliases))
		json_object_set(att, "Aliases", aliases);
	json_array_append_new(list, att);
	json_object_set_new(c->used_nets, key, json_true());
	json_decref(aliases);
	free(target);
	return 0;
}

static int cmp_target(const json_t *x, const json_t *y)
{
	return strcmp(json_string_value(json_object_get(x, "Target")),
	              json_string_value(json_object_get(y, "Target")));
}

static int networks(json_t *tt, struct cv *c, const char *svcname,
                    const json_t *svc, const char *ptr)
{
	const json_t *nets = json_object_get(svc, "networks"), *v;
	json_t *list = json_array();
	const char *k;
	char *p = convert_ptr(ptr, "networks"), *ip;
	size_t i;
	int rc = 0;

	if (nets && !json_is_null(nets) && !json_is_array(nets) &&
	    !json_is_object(nets))
		rc = convert_bad(c, p, "must be a list or a mapping");
	else if (!json_array_size(nets) && !json_object_size(nets))
		rc = attach_net(list, c, svcname, "default", NULL, p);
	json_array_foreach (nets, i, v) {
		ip = convert_ptr_idx(p, i);
		rc = json_is_string(v)
		             ? attach_net(list, c, svcname,
		                          json_string_value(v), NULL, ip)
		             : convert_bad(c, ip, "must be a string");
		free(ip);
		if (rc)
			break;
	}
	if (json_is_object(nets))
		json_object_foreach ((json_t *)nets, k, v) {
			ip = convert_ptr(p, k);
			rc = attach_net(list, c, svcname, k, v, ip);
			free(ip);
			if (rc)
				break;
		}
	jsonsort_stable(list, cmp_target);
	json_object_set_new(tt, "Networks", list);
	free(p);
	return rc;
}

static int log_driver(json_t *tt, struct cv *c, const json_t *svc,
                      const char *ptr)
{
	const json_t *lg;
	json_t *o, *opts = NULL;
	const char *drv;
	char *p = convert_ptr(ptr, "logging"), *op;
	int rc;

	if ((rc = convert_get_obj(&lg, c, svc, "logging", ptr)) || !lg) {
		free(p);
		return rc;
	}
	o = json_object();
	op = convert_ptr(p, "options");
	if (!(rc = convert_get_str(&drv, c, lg, "driver", p)))
		rc = convert_mapping(&opts, c, json_object_get(lg, "options"),
		                     '=', 0, op);
	set_str_if(o, "Name", drv);
	if (opts && json_object_size(opts))
		json_object_set(o, "Options", opts);
	json_object_set_new(tt, "LogDriver", o);
	json_decref(opts);
	free(op);
	free(p);
	return rc;
}

static int service_spec(json_t *spec, struct cv *c, const char *name,
                        const json_t *svc, const json_t *deploy,
                        const char *ptr)
{
	json_t *tt = json_object(), *cs = NULL, *labels = NULL;
	char *dptr = convert_ptr(ptr, "deploy");
	int rc;

	json_object_set_new(spec, "TaskTemplate", tt);
	if ((rc = convert_labels(&labels, c, deploy, "labels", dptr)))
		goto out;
	json_object_set_new(labels, CONVERT_LABEL_IMAGE,
	                    json_deep_copy(json_object_get(svc, "image")));
	json_object_set_new(spec, "Labels", labels);
	if ((rc = container_spec(&cs, c, svc, ptr)))
		goto out;
	json_object_set_new(tt, "ContainerSpec", cs);
	if ((rc = convert_resources(tt, c, deploy, dptr)) ||
	    (rc = convert_restart_policy(tt, c, svc, deploy, dptr)) ||
	    (rc = convert_placement(tt, c, deploy, dptr)) ||
	    (rc = networks(tt, c, name, svc, ptr)) ||
	    (rc = log_driver(tt, c, svc, ptr)))
		goto out;
	json_object_set_new(tt, "ForceUpdate", json_integer(0));
	json_object_set_new(tt, "Runtime", json_string("container"));
	if ((rc = convert_mode(spec, c, deploy, dptr)) ||
	    (rc = convert_update_config(spec, c, deploy, "update_config",
	                                "UpdateConfig", dptr)) ||
	    (rc = convert_update_config(spec, c, deploy, "rollback_config",
	                                "RollbackConfig", dptr)) ||
	    (rc = convert_endpoint(spec, c, svc, deploy, ptr, dptr)))
		goto out;
out:
	free(dptr);
	return rc;
}

int convert_service(json_t **out, struct cv *c, const char *name,
                    const json_t *svc, const char *ptr)
{
	const json_t *deploy, *mode;
	json_t *spec;
	char *p;
	int rc;

	*out = NULL;
	if (!json_is_object(svc))
		return convert_bad(c, ptr, "a service must be a mapping");
	if ((rc = check_keys(c, svc, ptr)) ||
	    (rc = convert_get_obj(&deploy, c, svc, "deploy", ptr)))
		return rc;
	spec = json_object();
	json_object_set_new(spec, "Name",
	                    json_sprintf("%s_%s", c->stack, name));
	rc = service_spec(spec, c, name, svc, deploy, ptr);
	mode = json_object_get(spec, "Mode");
	if (!rc &&
	    (json_object_get(mode, "ReplicatedJob") ||
	     json_object_get(mode, "GlobalJob")) &&
	    json_object_get(spec, "UpdateConfig")) {
		p = xasprintf("%s/deploy/update_config", ptr);
		rc = convert_bad(c, p, "jobs cannot have an update_config");
		free(p);
	}
	if (rc) {
		json_decref(spec);
		return rc;
	}
	*out = spec;
	return 0;
}
