/*
 * convert.c: a stack's compose document → Swarm specs (convert.h).
 *
 * Owns: the top level: networks, volumes, configs and secrets (with their
 * content-hashed names), calling convert_service() for each service, and
 * kedge's labels and spec hash. Does not own: the service fields
 * (convert-service.c, convert-task.c, convert-mounts.c) or parsing
 * (convert-parse.c).
 */
#include <jansson.h>

#include "buf.h"
#include "convert-int.h"
#include "err.h"
#include "hash.h"

#define DEFAULT_MAX_FILE (500u * 1024)

static int is_external(const json_t *def)
{
	const json_t *ext = json_object_get(def, "external");

	return json_is_true(ext) || json_is_object(ext);
}

/* The name of an external object: name:, external.name, or the key. */
static const char *external_name(const json_t *def, const char *key)
{
	const char *n = json_string_value(json_object_get(def, "name"));

	if (!n || !*n)
		n = json_string_value(json_object_get(
		        json_object_get(def, "external"), "name"));
	return n && *n ? n : key;
}

static void push_external(json_t *result, const char *kind, const char *name)
{
	json_array_append_new(
	        json_object_get(json_object_get(result, "external"), kind),
	        json_string(name));
}

/* The labels kedge puts on objects it creates. */
static const char *convert_owner(const struct cv *c)
{
	return c->opts && c->opts->owner ? c->opts->owner : "kedge";
}

static int object_labels(json_t **out, struct cv *c, const json_t *def,
                         const char *ptr)
{
	int rc = convert_labels(out, c, def, "labels", ptr);

	if (!rc)
		json_object_set_new(*out, CONVERT_LABEL_MANAGED_BY,
		                    json_string(convert_owner(c)));
	return rc;
}

static int one_network(json_t *result, struct cv *c, const char *key,
                       const json_t *def, const char *ptr)
{
	const json_t *ipam, *cfgs, *item;
	json_t *net, *labels = NULL, *opts = NULL, *ip, *list;
	const char *drv, *idrv, *subnet;
	char *name, *p;
	size_t i;
	int rc, internal, attachable;

	if (is_external(def)) {
		push_external(result, "networks", external_name(def, key));
		return 0;
	}
	if ((rc = object_labels(&labels, c, def, ptr)))
		return rc;
	net = json_object();
	json_object_set_new(net, "Labels", labels);
	p = convert_ptr(ptr, "driver_opts");
	if ((rc = convert_get_str(&drv, c, def, "driver", ptr)) ||
	    (rc = convert_mapping(&opts, c, json_object_get(def, "driver_opts"),
	                          '=', 0, p)) ||
	    (rc = convert_get_bool(&internal, NULL, c, def, "internal", ptr)) ||
	    (rc = convert_get_bool(&attachable, NULL, c, def, "attachable",
	                           ptr)) ||
	    (rc = convert_get_obj(&ipam, c, def, "ipam", ptr)))
		goto out;
	free(p);
	p = convert_ptr(ptr, "ipam");
	if ((rc = convert_get_str(&idrv, c, ipam, "driver", p)) ||
	    (rc = convert_get_arr(&cfgs, c, ipam, "config", p)))
		goto out;
	json_object_set_new(net, "Driver",
	                    json_string(drv && *drv ? drv : "overlay"));
	if (opts && json_object_size(opts))
		json_object_set(net, "Options", opts);
	json_object_set_new(net, "Internal", json_boolean(internal));
	json_object_set_new(net, "Attachable", json_boolean(attachable));
	json_object_set_new(net, "CheckDuplicate", json_true());
	if ((idrv && *idrv) || json_array_size(cfgs)) {
		ip = json_object();
		if (idrv && *idrv)
			json_object_set_new(ip, "Driver", json_string(idrv));
		list = json_array();
		json_array_foreach (cfgs, i, item) {
			char *cp = xasprintf("%s/config/%zu", p, i);

			rc = convert_get_str(&subnet, c, item, "subnet", cp);
			free(cp);
			if (rc)
				break;
			json_array_append_new(
			        list,
			        subnet ? json_pack("{s:s}", "Subnet", subnet)
			               : json_object());
		}
		if (json_array_size(list))
			json_object_set(ip, "Config", list);
		json_decref(list);
		json_object_set_new(net, "IPAM", ip);
	}
	name = json_string_value(json_object_get(def, "name")) &&
	                       *json_string_value(json_object_get(def, "name"))
	               ? xstrdup(json_string_value(
	                         json_object_get(def, "name")))
	               : xasprintf("%s_%s", c->stack, key);
	json_object_set_new(net, "Name", json_string(name));
	json_object_set(json_object_get(result, "networks"), name, net);
	free(name);
out:
	json_decref(opts);
	json_decref(net);
	free(p);
	return rc;
}

/* Networks used by some service (stack deploy creates only those). */
static int networks(json_t *result, struct cv *c)
{
	const json_t *defs = json_object_get(c->compose, "networks"), *def;
	const char *key;
	json_t *v;
	char *p;
	int rc = 0;

	json_object_foreach (c->used_nets, key, v) {
		def = json_is_object(defs) ? json_object_get(defs, key) : NULL;
		p = convert_ptr("/networks", key);
		if (def && !json_is_null(def) && !json_is_object(def))
			rc = convert_bad(c, p, "must be a mapping or empty");
		else
			rc = one_network(result, c, key, def, p);
		free(p);
		if (rc)
			break;
	}
	return rc;
}

static int volumes(json_t *result, struct cv *c)
{
	const json_t *defs = json_object_get(c->compose, "volumes"), *def;
	json_t *labels, *opts, *vol;
	const char *key, *drv;
	char *p, *name;
	int rc = 0;

	if (defs && !json_is_object(defs))
		return convert_bad(c, "/volumes", "must be a mapping");
	json_object_foreach ((json_t *)defs, key, def) {
		p = convert_ptr("/volumes", key);
		labels = opts = NULL;
		if (is_external(def)) {
			push_external(result, "volumes",
			              external_name(def, key));
		} else if (!(rc = convert_labels(&labels, c, def, "labels",
		                                 p)) &&
		           !(rc = convert_get_str(&drv, c, def, "driver", p)) &&
		           !(rc = convert_mapping(
		                     &opts, c,
		                     json_object_get(def, "driver_opts"), '=',
		                     0, p))) {
			name = json_string_value(json_object_get(def, "name"))
			               ? xstrdup(external_name(def, key))
			               : xasprintf("%s_%s", c->stack, key);
			vol = json_pack("{s:s, s:s, s:O, s:o}", "Name", name,
			                "Driver", drv && *drv ? drv : "local",
			                "Labels", labels, "DriverOpts",
			                opts ? opts : json_object());
			json_object_set_new(json_object_get(result, "volumes"),
			                    name, vol);
			free(name);
		}
		json_decref(labels);
		free(p);
		if (rc)
			break;
	}
	return rc;
}

/* Reads a config's or secret's file; never quotes its contents. */
static int read_object(struct buf *b, struct cv *c, int secrets,
                       const char *file, const char *ptr)
{
	struct err e;
	int rc;

	/* swarmkit's limits: a config may be 1000 KiB, a secret 500 KiB */
	buf_init(b, c->opts && c->opts->max_file_bytes ? c->opts->max_file_bytes
	            : secrets                          ? DEFAULT_MAX_FILE
	                                               : 2 * DEFAULT_MAX_FILE);
	if (!c->opts || !c->opts->read_file)
		return convert_bad(c, ptr, "files cannot be read here");
	err_clear(&e);
	rc = c->opts->read_file(c->opts->read_ctx, file, b, &e);
	if (rc)
		err_set(c->err, rc, "%s: %s", ptr,
		        e.msg[0] ? e.msg : err_str(rc));
	return rc;
}

/* One top-level config or secret with a file: → its spec. */
static int one_object(json_t *result, struct cv *c, int secrets,
                      const char *key, const json_t *def, const char *ptr)
{
	const char *file, *tmpl, *base;
	char hash[HASH_HEX_LEN + 1], *name = NULL, *data;
	json_t *labels = NULL, *spec;
	struct buf b = BUF_INIT;
	int rc;

	if ((rc = convert_get_str(&file, c, def, "file", ptr)) ||
	    (rc = convert_get_str(&tmpl, c, def, "template_driver", ptr)))
		return rc;
	if (json_object_get(def, "driver"))
		return err_set(c->err, ERR_UNSUPPORTED,
		               "%s: secret drivers are not supported", ptr);
	if (!file || !*file)
		return convert_bad(c, ptr, "needs 'file:' or 'external:'");
	if ((rc = read_object(&b, c, secrets, file, ptr)) ||
	    (rc = object_labels(&labels, c, def, ptr)))
		goto out;
	hash_sha256_hex(hash, b.ptr ? b.ptr : "", b.len);
	base = json_string_value(json_object_get(def, "name"));
	name = base && *base ? xasprintf("%s_%.8s", base, hash)
	                     : xasprintf("%s_%s_%.8s", c->stack, key, hash);
	json_object_set_new(labels, CONVERT_LABEL_CONTENT_HASH,
	                    json_string(hash));
	json_object_set_new(labels, CONVERT_LABEL_LOGICAL_NAME,
	                    json_string(key));
	data = base64_encode(b.ptr ? b.ptr : "", b.len);
	spec = json_pack("{s:s, s:O, s:s}", "Name", name, "Labels", labels,
	                 "Data", data);
	free(data);
	if (tmpl && *tmpl)
		json_object_set_new(spec, "Templating",
		                    json_pack("{s:s}", "Name", tmpl));
	json_object_set_new(
	        json_object_get(result, secrets ? "secrets" : "configs"), name,
	        spec);
	json_object_set_new(c->names[secrets], key, json_string(name));
out:
	json_decref(labels);
	free(name);
	buf_release(&b);
	return rc;
}

static int objects(json_t *result, struct cv *c, int secrets)
{
	const char *kind = secrets ? "secrets" : "configs";
	const json_t *defs = json_object_get(c->compose, kind), *def;
	const char *key;
	char *base = xasprintf("/%s", kind), *p;
	int rc = 0;

	if (defs && !json_is_null(defs) && !json_is_object(defs))
		rc = convert_bad(c, base, "must be a mapping");
	json_object_foreach ((json_t *)(rc ? NULL : defs), key, def) {
		p = convert_ptr(base, key);
		if (!json_is_object(def)) {
			rc = convert_bad(c, p, "must be a mapping");
		} else if (is_external(def)) {
			push_external(result, kind, external_name(def, key));
			json_object_set_new(
			        c->names[secrets], key,
			        json_string(external_name(def, key)));
		} else {
			rc = one_object(result, c, secrets, key, def, p);
		}
		free(p);
		if (rc)
			break;
	}
	free(base);
	return rc;
}

int convert_object_name(char **out, struct cv *c, int secrets, const char *key,
                        const char *ptr)
{
	const char *n =
	        json_string_value(json_object_get(c->names[secrets], key));

	*out = NULL;
	if (!n)
		return convert_bad(c, ptr, "undefined %s '%s'",
		                   secrets ? "secret" : "config", key);
	*out = xstrdup(n);
	return 0;
}

void convert_spec_hash(char out[65], const json_t *spec)
{
	json_t *copy = json_deep_copy(spec), *labels, *v;
	const char *k;
	void *tmp;
	char *text;

	labels = json_object_get(copy, "Labels");
	json_object_foreach_safe (labels, tmp, k, v)
		if (starts_with(k, "kedge."))
			json_object_del(labels, k);
	text = json_dumps(copy, JSON_SORT_KEYS | JSON_COMPACT);
	if (!text)
		BUG("cannot serialise a service spec");
	hash_sha256_hex(out, text, strlen(text));
	free(text);
	json_decref(copy);
}

/* kedge.managed-by, the caller's labels, then the spec hash. */
static int kedge_labels(json_t *spec, struct cv *c)
{
	json_t *labels = json_object_get(spec, "Labels"), *v;
	char hash[HASH_HEX_LEN + 1];
	const char *k;
	int lazy = c->opts && c->opts->lazy_spec_hash;

	if (!lazy)
		convert_spec_hash(hash, spec);
	json_object_set_new(labels, CONVERT_LABEL_MANAGED_BY,
	                    json_string(convert_owner(c)));
	json_object_foreach ((json_t *)(c->opts ? c->opts->labels : NULL), k,
	                     v) {
		if (!json_is_string(v))
			return err_set(c->err, ERR_INVALID,
			               "label '%s' must be a string", k);
		json_object_set(labels, k, v);
	}
	if (!lazy)
		json_object_set_new(labels, CONVERT_LABEL_SPEC_HASH,
		                    json_string(hash));
	return 0;
}

static int services(json_t *result, struct cv *c)
{
	const json_t *svcs = json_object_get(c->compose, "services"), *svc;
	json_t *spec;
	const char *key;
	char *p;
	int rc = 0, refused = 0;

	if (!json_is_object(svcs))
		return convert_bad(c, "/services", "must be a mapping");
	json_object_foreach ((json_t *)svcs, key, svc) {
		p = convert_ptr("/services", key);
		rc = convert_service(&spec, c, key, svc, p);
		free(p);
		if (!rc && (rc = kedge_labels(spec, c)))
			json_decref(spec);
		if ((rc == ERR_INVALID || rc == ERR_UNSUPPORTED) && c->opts &&
		    c->opts->refused) {
			c->opts->refused(c->opts->refused_ctx, c->err);
			refused = rc;
			continue;
		}
		if (rc)
			break;
		json_object_set_new(
		        json_object_get(result, "services"),
		        json_string_value(json_object_get(spec, "Name")), spec);
	}
	return rc ? rc : refused;
}

int convert_stack(json_t **out, const char *stack, const json_t *compose,
                  const struct convert_opts *opts, struct err *err)
{
	struct cv c = {stack, compose,       opts,
	               err,   json_object(), {json_object(), json_object()}};
	json_t *result;
	int rc;

	*out = NULL;
	result = json_pack("{s:{}, s:{}, s:{}, s:{}, s:{}, s:{s:[], s:[], "
	                   "s:[], s:[]}}",
	                   "services", "networks", "configs", "secrets",
	                   "volumes", "external", "networks", "configs",
	                   "secrets", "volumes");
	if (!json_is_object(compose))
		rc = convert_bad(&c, "", "a compose file must be a mapping");
	else if (!stack || !*stack)
		rc = err_set(err, ERR_INVALID, "empty stack name");
	else if (!(rc = objects(result, &c, 0)) &&
	         !(rc = objects(result, &c, 1)) &&
	         !(rc = volumes(result, &c)) && !(rc = services(result, &c)))
		rc = networks(result, &c);
	json_decref(c.used_nets);
	json_decref(c.names[0]);
	json_decref(c.names[1]);
	if (rc) {
		json_decref(result);
		return rc;
	}
	*out = result;
	return 0;
}
