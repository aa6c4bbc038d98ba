/*
 * convert-mounts.c: service volumes → Mounts, and service configs/secrets
 * → references, as docker/cli v20.10.24 converts them (convert-int.h).
 *
 * Owns: named, anonymous, bind and tmpfs mounts, and File targets of
 * config and secret references (UID/GID "0", mode 0444, target = key).
 * Does not own: the objects' names and contents (convert.c), which this
 * file asks for through convert_object_name().
 */
#include <jansson.h>

#include "convert-int.h"
#include "jsonsort.h"
#include "err.h"

/* A named or anonymous volume mount. */
static int volume_mount(json_t *m, struct cv *c, const json_t *v,
                        const char *src, const char *ptr)
{
	const json_t *defs = json_object_get(c->compose, "volumes"), *def;
	const json_t *ext, *vol;
	json_t *vo, *labels = NULL, *dopts = NULL;
	const char *name, *drv;
	int rc, nocopy = 0;

	if (json_object_get(v, "bind") || json_object_get(v, "tmpfs"))
		return convert_bad(c, ptr,
		                   "bind and tmpfs options do not "
		                   "apply to a volume");
	json_object_set_new(m, "Type", json_string("volume"));
	if (!src || !*src)
		return 0;
	def = json_is_object(defs) ? json_object_get(defs, src) : NULL;
	if (!def)
		return convert_bad(c, ptr, "undefined volume '%s'", src);
	if (!json_is_object(def))
		def = NULL;
	ext = json_object_get(def, "external");
	name = json_string_value(json_object_get(def, "name"));
	if (!name && json_is_object(ext))
		name = json_string_value(json_object_get(ext, "name"));
	if (name && *name)
		json_object_set_new(m, "Source", json_string(name));
	else if (json_is_true(ext) || json_is_object(ext))
		json_object_set_new(m, "Source", json_string(src));
	else
		json_object_set_new(m, "Source",
		                    json_sprintf("%s_%s", c->stack, src));
	vo = json_object();
	json_object_set_new(m, "VolumeOptions", vo);
	if ((rc = convert_get_obj(&vol, c, v, "volume", ptr)) ||
	    (rc = convert_get_bool(&nocopy, NULL, c, vol, "nocopy", ptr)))
		return rc;
	if (nocopy)
		json_object_set_new(vo, "NoCopy", json_true());
	if (json_is_true(ext) || json_is_object(ext))
		return 0;
	if ((rc = convert_labels(&labels, c, def, "labels", ptr)))
		return rc;
	json_object_set_new(vo, "Labels", labels);
	drv = json_string_value(json_object_get(def, "driver"));
	if ((rc = convert_mapping(&dopts, c,
	                          json_object_get(def, "driver_opts"), '=', 0,
	                          ptr)))
		return rc;
	if ((drv && *drv) || dopts) {
		json_t *d = json_object();

		if (drv && *drv)
			json_object_set_new(d, "Name", json_string(drv));
		if (dopts && json_object_size(dopts))
			json_object_set(d, "Options", dopts);
		json_object_set_new(vo, "DriverConfig", d);
	}
	json_decref(dopts);
	return 0;
}

static int bind_mount(json_t *m, struct cv *c, const json_t *v, const char *src,
                      const char *type, const char *ptr)
{
	const json_t *b;
	const char *prop;
	int rc;

	if (!src || !*src)
		return convert_bad(c, ptr, "a bind mount needs a source");
	if (src[0] != '/' && strcmp(type, "npipe"))
		return convert_bad(c, ptr,
		                   "bind source '%s' must be an absolute path: "
		                   "the stack folder is not on the nodes",
		                   src);
	if (json_object_get(v, "volume") || json_object_get(v, "tmpfs"))
		return convert_bad(c, ptr,
		                   "volume and tmpfs options do not "
		                   "apply to a bind mount");
	json_object_set_new(m, "Type", json_string(type));
	json_object_set_new(m, "Source", json_string(src));
	if ((rc = convert_get_obj(&b, c, v, "bind", ptr)) || !b)
		return rc;
	if ((rc = convert_get_str(&prop, c, b, "propagation", ptr)))
		return rc;
	json_object_set_new(m, "BindOptions",
	                    prop && *prop
	                            ? json_pack("{s:s}", "Propagation", prop)
	                            : json_object());
	return 0;
}

static int tmpfs_mount(json_t *m, struct cv *c, const json_t *v,
                       const char *src, const char *ptr)
{
	const json_t *t;
	json_int_t size;
	int rc, present;

	if (src && *src)
		return convert_bad(c, ptr, "a tmpfs mount has no source");
	if (json_object_get(v, "volume") || json_object_get(v, "bind"))
		return convert_bad(c, ptr,
		                   "volume and bind options do not "
		                   "apply to a tmpfs mount");
	json_object_set_new(m, "Type", json_string("tmpfs"));
	if ((rc = convert_get_obj(&t, c, v, "tmpfs", ptr)) || !t)
		return rc;
	if ((rc = convert_get_size(&size, &present, c, t, "size", ptr)))
		return rc;
	json_object_set_new(m, "TmpfsOptions",
	                    present && size
	                            ? json_pack("{s:I}", "SizeBytes", size)
	                            : json_object());
	return 0;
}

/* One entry of `volumes:`, short or long syntax. */
static int mount_entry(json_t *mounts, struct cv *c, const json_t *item,
                       const char *ptr)
{
	json_t *parsed = NULL, *m;
	const json_t *v = item;
	const char *type, *src, *target, *why;
	int rc, ro;

	if (json_is_string(item)) {
		if (convert_parse_volume(&parsed, json_string_value(item),
		                         &why))
			return convert_bad(c, ptr, "'%s': %s",
			                   json_string_value(item), why);
		v = parsed;
	} else if (!json_is_object(item)) {
		return convert_bad(c, ptr, "must be a string or a mapping");
	}
	m = json_object();
	if ((rc = convert_get_str(&type, c, v, "type", ptr)) ||
	    (rc = convert_get_str(&src, c, v, "source", ptr)) ||
	    (rc = convert_get_str(&target, c, v, "target", ptr)) ||
	    (rc = convert_get_bool(&ro, NULL, c, v, "read_only", ptr)))
		goto out;
	if (!type || !*type || !strcmp(type, "volume"))
		rc = volume_mount(m, c, v, src, ptr);
	else if (!strcmp(type, "bind") || !strcmp(type, "npipe"))
		rc = bind_mount(m, c, v, src, type, ptr);
	else if (!strcmp(type, "tmpfs"))
		rc = tmpfs_mount(m, c, v, src, ptr);
	else
		rc = convert_bad(c, ptr,
		                 "type must be volume, bind, tmpfs or "
		                 "npipe");
	if (!rc && (!target || !*target))
		rc = convert_bad(c, ptr, "a mount needs a target");
	if (rc)
		goto out;
	json_object_set_new(m, "Target", json_string(target));
	if (ro)
		json_object_set_new(m, "ReadOnly", json_true());
	json_array_append(mounts, m);
out:
	json_decref(m);
	json_decref(parsed);
	return rc;
}

int convert_mounts(json_t *cs, struct cv *c, const json_t *svc, const char *ptr)
{
	const json_t *list, *item;
	json_t *mounts;
	char *p, *ip;
	size_t i;
	int rc;

	if ((rc = convert_get_arr(&list, c, svc, "volumes", ptr)) || !list)
		return rc;
	p = convert_ptr(ptr, "volumes");
	mounts = json_array();
	json_array_foreach (list, i, item) {
		ip = convert_ptr_idx(p, i);
		rc = mount_entry(mounts, c, item, ip);
		free(ip);
		if (rc)
			break;
	}
	if (!rc && json_array_size(mounts))
		json_object_set(cs, "Mounts", mounts);
	json_decref(mounts);
	free(p);
	return rc;
}

/* One config/secret reference: "key" or {source, target, uid, gid, mode}. */
static int file_ref(json_t *refs, struct cv *c, const json_t *item, int secrets,
                    const char *ptr)
{
	const char *src, *target, *uid, *gid;
	json_int_t mode;
	json_t *file;
	char *name = NULL;
	int rc, present;

	if (json_is_string(item)) {
		src = json_string_value(item);
		target = uid = gid = NULL;
		present = 0;
	} else if (!json_is_object(item)) {
		return convert_bad(c, ptr, "must be a string or a mapping");
	} else if ((rc = convert_get_str(&src, c, item, "source", ptr)) ||
	           (rc = convert_get_str(&target, c, item, "target", ptr)) ||
	           (rc = convert_get_str(&uid, c, item, "uid", ptr)) ||
	           (rc = convert_get_str(&gid, c, item, "gid", ptr)) ||
	           (rc = convert_get_uint(&mode, &present, c, item, "mode",
	                                  ptr))) {
		return rc;
	}
	if (!src || !*src)
		return convert_bad(c, ptr, "needs a source");
	if ((rc = convert_object_name(&name, c, secrets, src, ptr)))
		return rc;
	file = json_pack("{s:s, s:s, s:s, s:I}", "Name",
	                 target && *target ? target : src, "UID",
	                 uid && *uid ? uid : "0", "GID",
	                 gid && *gid ? gid : "0", "Mode",
	                 present ? mode : (json_int_t)0444);
	json_array_append_new(
	        refs, json_pack("{s:o, s:s}", "File", file,
	                        secrets ? "SecretName" : "ConfigName", name));
	free(name);
	return 0;
}

static int cmp_secret(const json_t *a, const json_t *b)
{
	return strcmp(json_string_value(json_object_get(a, "SecretName")),
	              json_string_value(json_object_get(b, "SecretName")));
}

static int cmp_config(const json_t *a, const json_t *b)
{
	return strcmp(json_string_value(json_object_get(a, "ConfigName")),
	              json_string_value(json_object_get(b, "ConfigName")));
}

int convert_file_refs(json_t *cs, struct cv *c, const json_t *svc, int secrets,
                      const char *ptr)
{
	const char *key = secrets ? "secrets" : "configs";
	const json_t *list, *item;
	json_t *refs;
	char *p, *ip;
	size_t i;
	int rc;

	if ((rc = convert_get_arr(&list, c, svc, key, ptr)) || !list)
		return rc;
	p = convert_ptr(ptr, key);
	refs = json_array();
	json_array_foreach (list, i, item) {
		ip = convert_ptr_idx(p, i);
		rc = file_ref(refs, c, item, secrets, ip);
		free(ip);
		if (rc)
			break;
	}
	jsonsort_stable(refs, secrets ? cmp_secret : cmp_config);
	if (!rc && json_array_size(refs))
		json_object_set(cs, secrets ? "Secrets" : "Configs", refs);
	json_decref(refs);
	free(p);
	return rc;
}
