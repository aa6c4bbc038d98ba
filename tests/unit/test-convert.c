/*
 * test-convert.c: compose → Swarm specs through convert_stack().
 *
 * Owns: checking the specs a user would see Swarm receive for a compose
 * file that uses every supported field: names, labels, units, durations,
 * env order and sources, mounts, ports, networks, modes, hashed config
 * names, kedge's labels, and the errors for bad values. Does not own: the
 * comparison with live specs (test-normalize.c).
 */
#include <jansson.h>

#include "unit.h"

#include "buf.h"
#include "convert.h"
#include "err.h"

/* The compose document; ` stands for " to keep it readable. */
static const char full_compose[] =
        "{`services`: {"
        " `web`: {"
        "  `image`: `nginx:1.25`,"
        "  `command`: `nginx -g 'daemon off;'`,"
        "  `entrypoint`: [`/docker-entrypoint.sh`],"
        "  `environment`: {`B_VAR`: `2`, `A_VAR`: `1`, `FROM_ENV`: null,"
        " `UNSET`: null},"
        "  `env_file`: [`web.env`],"
        "  `labels`: [`tier=front`],"
        "  `hostname`: `web1`,"
        "  `user`: `101:101`,"
        "  `working_dir`: `/srv`,"
        "  `stop_grace_period`: `1m30s`,"
        "  `stop_signal`: `SIGQUIT`,"
        "  `init`: true,"
        "  `read_only`: true,"
        "  `tty`: true,"
        "  `stdin_open`: true,"
        "  `cap_add`: [`net_admin`],"
        "  `cap_drop`: [`ALL`],"
        "  `ulimits`: {`nproc`: 65535, `nofile`: {`soft`: 20000, `hard`:"
        " 40000}},"
        "  `sysctls`: {`net.core.somaxconn`: 1024},"
        "  `dns`: `8.8.8.8`,"
        "  `dns_search`: [`example.com`],"
        "  `extra_hosts`: [`db.local:10.0.0.5`],"
        "  `logging`: {`driver`: `json-file`, `options`: {`max-size`:"
        " `10m`}},"
        "  `healthcheck`: {`test`: `curl -f http://localhost/`, `interval`:"
        " `30s`, `timeout`: `5s`, `retries`: 3, `start_period`: `1m`},"
        "  `ports`: [`8000-8002:80-82`, `127.0.0.1:9090:90/udp`, {`target`:"
        " 443, `published`: 8443, `mode`: `host`}, `7000`],"
        "  `networks`: {`front`: {`aliases`: [`www`]}, `back`: null},"
        "  `volumes`: [`data:/var/lib/data:ro`, `/etc/ssl:/etc/ssl:ro`,"
        " {`type`: `tmpfs`, `target`: `/tmp`, `tmpfs`: {`size`: `64M`}},"
        " {`type`: `volume`, `source`: `cache`, `target`: `/cache`,"
        " `volume`: {`nocopy`: true}}],"
        "  `configs`: [`site`, {`source`: `nginx_conf`, `target`:"
        " `/etc/nginx/nginx.conf`, `mode`: 288}],"
        "  `secrets`: [`tls_key`],"
        "  `deploy`: {`mode`: `replicated`, `replicas`: 3, `labels`:"
        " {`team`: `web`}, `endpoint_mode`: `VIP`, `placement`:"
        " {`constraints`: [`node.role==worker`], `preferences`: [{`spread`:"
        " `node.labels.zone`}], `max_replicas_per_node`: 2}, `resources`:"
        " {`limits`: {`cpus`: `0.5`, `memory`: `512M`, `pids`: 100},"
        " `reservations`: {`cpus`: `0.25`, `memory`: `128M`}},"
        " `restart_policy`: {`condition`: `on-failure`, `delay`: `5s`,"
        " `max_attempts`: 3, `window`: `2m`}, `update_config`:"
        " {`parallelism`: 2, `delay`: `10s`, `order`: `start-first`,"
        " `failure_action`: `rollback`, `monitor`: `30s`,"
        " `max_failure_ratio`: 0.1}, `rollback_config`: {`parallelism`: 0}}"
        " },"
        " `worker`: {"
        "  `image`: `busybox`,"
        "  `deploy`: {`mode`: `global`}"
        " },"
        " `backup`: {"
        "  `image`: `busybox`,"
        "  `command`: [`sh`, `-c`, `echo hi`],"
        "  `deploy`: {`mode`: `replicated-job`, `replicas`: 2}"
        " },"
        " `sweep`: {"
        "  `image`: `busybox`,"
        "  `deploy`: {`mode`: `global-job`}"
        " }"
        "},"
        " `networks`: {`front`: {`driver_opts`: {`encrypted`: `true`},"
        " `attachable`: true, `labels`: {`x`: `y`}}, `back`: {`internal`:"
        " true, `ipam`: {`config`: [{`subnet`: `10.9.0.0/24`}]}}, `unused`:"
        " {}},"
        " `volumes`: {`data`: {}, `cache`: {`external`: true, `name`:"
        " `shared_cache`}},"
        " `configs`: {`site`: {`file`: `site.conf`}, `nginx_conf`: {`file`:"
        " `nginx.conf`, `name`: `nginx_main`}},"
        " `secrets`: {`tls_key`: {`file`: `tls.key`}, `ext`: {`external`:"
        " true}}"
        "}";

static const char *site_content = "server { listen 80; }";

static int read_cb(void *ctx, const char *path, struct buf *out,
                   struct err *err)
{
	(void)ctx;
	if (!strcmp(path, "web.env"))
		return buf_addstr(out, "# comment\n  A_VAR=fromfile\r\n"
		                       "FILE_ONLY=x\nFROM_ENV\nNOT_SET\n");
	if (!strcmp(path, "bad.env"))
		return buf_addstr(out, "OK=1\nPASS WORD=hunter2\n");
	if (!strcmp(path, "site.conf"))
		return buf_addstr(out, site_content);
	if (!strcmp(path, "missing"))
		return err_set(err, ERR_NOTFOUND, "%s: no such file", path);
	return buf_addf(out, "content of %s", path);
}

static const char *env_cb(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "FROM_ENV") ? NULL : "envval";
}

static json_t *parse(const char *text)
{
	char *s = xstrdup(text), *p;
	json_error_t je;
	json_t *doc;

	for (p = s; *p; p++)
		if (*p == '`')
			*p = '"';
	doc = json_loads(s, 0, &je);
	free(s);
	ck_assert_msg(doc, "test JSON: %s", je.text);
	return doc;
}

static json_t *convert_text(const char *text, const json_t *labels,
                            struct err *err)
{
	struct convert_opts o = {.read_file = read_cb, .env = env_cb};
	json_t *doc = parse(text), *out = NULL;
	int rc;

	o.labels = labels;
	err_clear(err);
	rc = convert_stack(&out, "st", doc, &o, err);
	json_decref(doc);
	ck_assert_msg(rc == 0 || !out, "output on failure");
	return out;
}

static json_t *full(void)
{
	struct err e;
	json_t *out = convert_text(full_compose, NULL, &e);

	ck_assert_msg(out, "convert failed: %s", e.msg);
	return out;
}

/* Walks "a/b/0/c" (object keys and array indexes). */
static json_t *at(const json_t *v, const char *path)
{
	char *copy = xstrdup(path), *seg, *save = NULL, *end;

	for (seg = strtok_r(copy, "/", &save); seg && v;
	     seg = strtok_r(NULL, "/", &save)) {
		if (json_is_array(v))
			v = json_array_get(v, strtoul(seg, &end, 10));
		else
			v = json_object_get(v, seg);
	}
	free(copy);
	return (json_t *)v;
}

static const char *str_at(const json_t *v, const char *path)
{
	const char *s = json_string_value(at(v, path));

	ck_assert_msg(s, "no string at %s", path);
	return s;
}

static json_int_t int_at(const json_t *v, const char *path)
{
	json_t *i = at(v, path);

	ck_assert_msg(json_is_integer(i), "no integer at %s", path);
	return json_integer_value(i);
}

#define WEB "services/st_web/"
#define CS  WEB "TaskTemplate/ContainerSpec/"

START_TEST(names_and_labels)
{
	json_t *out = full();

	ck_assert_str_eq(str_at(out, WEB "Name"), "st_web");
	ck_assert_str_eq(str_at(out, WEB "Labels/com.docker.stack.namespace"),
	                 "st");
	ck_assert_str_eq(str_at(out, WEB "Labels/com.docker.stack.image"),
	                 "nginx:1.25");
	ck_assert_str_eq(str_at(out, WEB "Labels/team"), "web");
	ck_assert_str_eq(str_at(out, WEB "Labels/kedge.managed-by"), "kedge");
	ck_assert_uint_eq(strlen(str_at(out, WEB "Labels/kedge.spec-hash")),
	                  64);
	ck_assert_str_eq(str_at(out, CS "Labels/com.docker.stack.namespace"),
	                 "st");
	ck_assert_str_eq(str_at(out, CS "Labels/tier"), "front");
	ck_assert_ptr_null(at(out, CS "Labels/kedge.managed-by"));
	ck_assert_str_eq(str_at(out, CS "Image"), "nginx:1.25");
	ck_assert_str_eq(str_at(out, CS "Args/2"), "daemon off;");
	ck_assert_str_eq(str_at(out, CS "Command/0"), "/docker-entrypoint.sh");
	ck_assert_str_eq(str_at(out, CS "Isolation"), "default");
	ck_assert_str_eq(str_at(out, WEB "TaskTemplate/Runtime"), "container");
	ck_assert_str_eq(str_at(out, CS "Hosts/0"), "10.0.0.5 db.local");
	ck_assert_str_eq(str_at(out, CS "CapabilityAdd/0"), "CAP_NET_ADMIN");
	ck_assert_str_eq(str_at(out, CS "CapabilityDrop/0"), "ALL");
	ck_assert_str_eq(str_at(out, CS "Ulimits/0/Name"), "nofile");
	ck_assert_int_eq(int_at(out, CS "Ulimits/1/Soft"), 65535);
	ck_assert_str_eq(str_at(out, CS "Sysctls/net.core.somaxconn"), "1024");
	ck_assert_str_eq(str_at(out, CS "DNSConfig/Nameservers/0"), "8.8.8.8");
	ck_assert_str_eq(str_at(out, WEB "TaskTemplate/LogDriver/Name"),
	                 "json-file");
	json_decref(out);
}
END_TEST

START_TEST(units_and_durations)
{
	json_t *out = full();

	ck_assert_int_eq(int_at(out, WEB "TaskTemplate/Resources/Limits/"
	                                 "NanoCPUs"),
	                 500000000);
	ck_assert_int_eq(int_at(out, WEB "TaskTemplate/Resources/Limits/"
	                                 "MemoryBytes"),
	                 512 * 1024 * 1024);
	ck_assert_int_eq(int_at(out, WEB "TaskTemplate/Resources/Limits/Pids"),
	                 100);
	ck_assert_int_eq(int_at(out, WEB "TaskTemplate/Resources/"
	                                 "Reservations/NanoCPUs"),
	                 250000000);
	ck_assert_int_eq(int_at(out, CS "StopGracePeriod"), 90000000000LL);
	ck_assert_int_eq(int_at(out, CS "Healthcheck/Interval"), 30000000000LL);
	ck_assert_int_eq(int_at(out, CS "Healthcheck/StartPeriod"),
	                 60000000000LL);
	ck_assert_str_eq(str_at(out, CS "Healthcheck/Test/0"), "CMD-SHELL");
	ck_assert_int_eq(int_at(out, WEB "TaskTemplate/RestartPolicy/Window"),
	                 120000000000LL);
	ck_assert_int_eq(int_at(out, WEB "TaskTemplate/RestartPolicy/"
	                                 "MaxAttempts"),
	                 3);
	ck_assert_int_eq(int_at(out, WEB "UpdateConfig/Parallelism"), 2);
	ck_assert_int_eq(int_at(out, WEB "UpdateConfig/Monitor"),
	                 30000000000LL);
	ck_assert_str_eq(str_at(out, WEB "UpdateConfig/Order"), "start-first");
	ck_assert_int_eq(int_at(out, WEB "RollbackConfig/Parallelism"), 0);
	ck_assert_str_eq(str_at(out, WEB "RollbackConfig/FailureAction"),
	                 "pause");
	ck_assert_int_eq(int_at(out, WEB "TaskTemplate/Placement/MaxReplicas"),
	                 2);
	json_decref(out);
}
END_TEST

/* env_file first (later wins), environment over it, "KEY" when unset. */
START_TEST(env_sorted_and_resolved)
{
	static const char *const want[] = {"A_VAR=1", "B_VAR=2", "FILE_ONLY=x",
	                                   "FROM_ENV=envval", "UNSET"};
	json_t *out = full(), *env = at(out, CS "Env");
	size_t i;

	ck_assert_uint_eq(json_array_size(env), ARRAY_SIZE(want));
	for (i = 0; i < ARRAY_SIZE(want); i++)
		ck_assert_str_eq(json_string_value(json_array_get(env, i)),
		                 want[i]);
	json_decref(out);
}
END_TEST

START_TEST(mounts)
{
	json_t *out = full();

	ck_assert_str_eq(str_at(out, CS "Mounts/0/Type"), "volume");
	ck_assert_str_eq(str_at(out, CS "Mounts/0/Source"), "st_data");
	ck_assert_str_eq(str_at(out, CS "Mounts/0/Target"), "/var/lib/data");
	ck_assert(json_is_true(at(out, CS "Mounts/0/ReadOnly")));
	ck_assert_str_eq(str_at(out, CS "Mounts/0/VolumeOptions/Labels/"
	                                "com.docker.stack.namespace"),
	                 "st");
	ck_assert_str_eq(str_at(out, CS "Mounts/1/Type"), "bind");
	ck_assert_str_eq(str_at(out, CS "Mounts/1/Source"), "/etc/ssl");
	ck_assert_str_eq(str_at(out, CS "Mounts/2/Type"), "tmpfs");
	ck_assert_int_eq(int_at(out, CS "Mounts/2/TmpfsOptions/SizeBytes"),
	                 64 << 20);
	ck_assert_str_eq(str_at(out, CS "Mounts/3/Source"), "shared_cache");
	ck_assert(json_is_true(at(out, CS "Mounts/3/VolumeOptions/NoCopy")));
	ck_assert_ptr_nonnull(at(out, "volumes/st_data"));
	ck_assert_str_eq(str_at(out, "external/volumes/0"), "shared_cache");
	json_decref(out);
}
END_TEST

START_TEST(ports_short_long_ranges)
{
	json_t *out = full(), *ports = at(out, WEB "EndpointSpec/Ports");

	ck_assert_str_eq(str_at(out, WEB "EndpointSpec/Mode"), "vip");
	ck_assert_uint_eq(json_array_size(ports), 6);
	/* Unpublished first, then by published port, as stack deploy. */
	ck_assert_int_eq(int_at(ports, "0/TargetPort"), 7000);
	ck_assert_ptr_null(at(ports, "0/PublishedPort"));
	ck_assert_int_eq(int_at(ports, "1/PublishedPort"), 8000);
	ck_assert_int_eq(int_at(ports, "1/TargetPort"), 80);
	ck_assert_int_eq(int_at(ports, "3/PublishedPort"), 8002);
	ck_assert_int_eq(int_at(ports, "3/TargetPort"), 82);
	ck_assert_str_eq(str_at(ports, "3/PublishMode"), "ingress");
	ck_assert_int_eq(int_at(ports, "4/PublishedPort"), 8443);
	ck_assert_str_eq(str_at(ports, "4/PublishMode"), "host");
	ck_assert_str_eq(str_at(ports, "4/Protocol"), "tcp");
	ck_assert_int_eq(int_at(ports, "5/PublishedPort"), 9090);
	ck_assert_str_eq(str_at(ports, "5/Protocol"), "udp");
	json_decref(out);
}
END_TEST

START_TEST(networks_default_and_aliases)
{
	json_t *out = full();

	ck_assert_str_eq(str_at(out, WEB "TaskTemplate/Networks/0/Target"),
	                 "st_back");
	ck_assert_str_eq(str_at(out, WEB "TaskTemplate/Networks/0/Aliases/0"),
	                 "web");
	ck_assert_str_eq(str_at(out, WEB "TaskTemplate/Networks/1/Target"),
	                 "st_front");
	ck_assert_str_eq(str_at(out, WEB "TaskTemplate/Networks/1/Aliases/0"),
	                 "www");
	ck_assert_str_eq(str_at(out, WEB "TaskTemplate/Networks/1/Aliases/1"),
	                 "web");
	ck_assert_str_eq(str_at(out, "services/st_worker/TaskTemplate/"
	                             "Networks/0/Target"),
	                 "st_default");
	ck_assert_str_eq(str_at(out, "networks/st_default/Driver"), "overlay");
	ck_assert_str_eq(str_at(out, "networks/st_default/Labels/"
	                             "com.docker.stack.namespace"),
	                 "st");
	ck_assert(json_is_true(at(out, "networks/st_front/Attachable")));
	ck_assert_str_eq(str_at(out, "networks/st_front/Options/encrypted"),
	                 "true");
	ck_assert_str_eq(str_at(out, "networks/st_back/IPAM/Config/0/Subnet"),
	                 "10.9.0.0/24");
	ck_assert(json_is_true(at(out, "networks/st_back/Internal")));
	ck_assert_ptr_null(at(out, "networks/st_unused"));
	json_decref(out);
}
END_TEST

START_TEST(modes)
{
	json_t *out = full();

	ck_assert_int_eq(int_at(out, WEB "Mode/Replicated/Replicas"), 3);
	ck_assert_ptr_nonnull(at(out, "services/st_worker/Mode/Global"));
	ck_assert_int_eq(int_at(out, "services/st_backup/Mode/ReplicatedJob/"
	                             "MaxConcurrent"),
	                 2);
	ck_assert_int_eq(int_at(out, "services/st_backup/Mode/ReplicatedJob/"
	                             "TotalCompletions"),
	                 2);
	ck_assert_ptr_nonnull(at(out, "services/st_sweep/Mode/GlobalJob"));
	ck_assert_ptr_null(at(out, "services/st_sweep/UpdateConfig"));
	json_decref(out);
}
END_TEST

START_TEST(configs_hashed_and_referenced)
{
	json_t *a = full(), *b = full(), *c;
	const char *name = str_at(a, CS "Configs/1/ConfigName");

	/* Same content, same bytes, on every run. */
	ck_assert(json_equal(a, b));
	ck_assert(starts_with(name, "st_site_"));
	ck_assert_uint_eq(strlen(name), strlen("st_site_") + 8);
	ck_assert_str_eq(
	        str_at(json_object_get(at(a, "configs"), name), "Name"), name);
	ck_assert_int_eq(int_at(a, CS "Configs/1/File/Mode"), 0444);
	ck_assert_str_eq(str_at(a, CS "Configs/1/File/Name"), "site");
	ck_assert_str_eq(str_at(a, CS "Configs/1/File/UID"), "0");
	ck_assert_ptr_null(at(a, CS "Configs/1/ConfigID"));
	ck_assert_str_eq(str_at(a, CS "Configs/0/File/Name"),
	                 "/etc/nginx/nginx.conf");
	ck_assert(starts_with(str_at(a, CS "Configs/0/ConfigName"),
	                      "nginx_main_"));
	ck_assert_str_eq(str_at(a, CS "Secrets/0/File/Name"), "tls_key");
	ck_assert(starts_with(str_at(a, CS "Secrets/0/SecretName"),
	                      "st_tls_key_"));
	ck_assert_str_eq(str_at(a, "external/secrets/0"), "ext");
	/* Other content: another name, and the service points at it. */
	site_content = "server { listen 8080; }";
	c = full();
	site_content = "server { listen 80; }";
	ck_assert_str_ne(str_at(c, CS "Configs/1/ConfigName"), name);
	ck_assert_ptr_null(json_object_get(at(c, "configs"), name));
	ck_assert_str_ne(str_at(c, WEB "Labels/kedge.spec-hash"),
	                 str_at(a, WEB "Labels/kedge.spec-hash"));
	json_decref(a);
	json_decref(b);
	json_decref(c);
}
END_TEST

START_TEST(config_content_and_labels)
{
	json_t *a = full(), *cfgs = at(a, "configs"), *cfg = NULL, *v;
	const char *k;

	json_object_foreach (cfgs, k, v)
		if (starts_with(k, "st_site_"))
			cfg = v;
	ck_assert_ptr_nonnull(cfg);
	/* base64 of "server { listen 80; }" */
	ck_assert_str_eq(str_at(cfg, "Data"), "c2VydmVyIHsgbGlzdGVuIDgwOyB9");
	ck_assert_uint_eq(strlen(str_at(cfg, "Labels/kedge.content-hash")), 64);
	/* The name ends with the first 8 hex digits of the content hash. */
	ck_assert(!strncmp(str_at(cfg, "Labels/kedge.content-hash"),
	                   str_at(cfg, "Name") + strlen("st_site_"), 8));
	ck_assert_str_eq(str_at(cfg, "Labels/kedge.logical-name"), "site");
	ck_assert_str_eq(str_at(cfg, "Labels/com.docker.stack.namespace"),
	                 "st");
	json_decref(a);
}
END_TEST

/* Caller labels (kedge.revision) do not change the spec hash. */
START_TEST(spec_hash_ignores_caller_labels)
{
	json_t *labels = json_pack("{s:s}", "kedge.revision", "abc123");
	struct err e;
	json_t *a = full(), *b = convert_text(full_compose, labels, &e);

	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(str_at(b, WEB "Labels/kedge.revision"), "abc123");
	ck_assert_ptr_null(at(b, CS "Labels/kedge.revision"));
	ck_assert_str_eq(str_at(a, WEB "Labels/kedge.spec-hash"),
	                 str_at(b, WEB "Labels/kedge.spec-hash"));
	json_decref(a);
	json_decref(b);
	json_decref(labels);
}
END_TEST

START_TEST(defaults_explicit)
{
	struct err e;
	json_t *out = convert_text("{`services`: {`a`: {`image`: `x`, "
	                           "`deploy`: {`update_config`: {}, "
	                           "`restart_policy`: {}}}}}",
	                           NULL, &e);

	ck_assert_msg(out, "%s", e.msg);
	ck_assert_int_eq(int_at(out, "services/st_a/Mode/Replicated/Replicas"),
	                 1);
	ck_assert_int_eq(int_at(out, "services/st_a/UpdateConfig/Parallelism"),
	                 1);
	ck_assert_str_eq(str_at(out, "services/st_a/UpdateConfig/"
	                             "FailureAction"),
	                 "pause");
	ck_assert_str_eq(str_at(out, "services/st_a/TaskTemplate/"
	                             "RestartPolicy/Condition"),
	                 "any");
	ck_assert_int_eq(int_at(out, "services/st_a/TaskTemplate/"
	                             "RestartPolicy/MaxAttempts"),
	                 0);
	ck_assert_ptr_null(at(out, "services/st_a/RollbackConfig"));
	ck_assert_int_eq(int_at(out, "services/st_a/TaskTemplate/ForceUpdate"),
	                 0);
	json_decref(out);
}
END_TEST

/* An absent duration after a present number was once read as that number. */
START_TEST(absent_fields_are_absent)
{
	struct err e;
	json_t *out = convert_text("{`services`: {`a`: {`image`: `x`, "
	                           "`deploy`: {`rollback_config`: "
	                           "{`parallelism`: 3, `order`: `stop-first`}, "
	                           "`update_config`: {`delay`: `5s`}}}}}",
	                           NULL, &e);

	ck_assert_msg(out, "%s", e.msg);
	ck_assert_int_eq(
	        int_at(out, "services/st_a/RollbackConfig/Parallelism"), 3);
	ck_assert_ptr_null(at(out, "services/st_a/RollbackConfig/Delay"));
	ck_assert_ptr_null(at(out, "services/st_a/RollbackConfig/Monitor"));
	ck_assert_int_eq(int_at(out, "services/st_a/UpdateConfig/Delay"),
	                 5000000000LL);
	ck_assert_ptr_null(at(out, "services/st_a/UpdateConfig/Monitor"));
	json_decref(out);
}
END_TEST

static void expect_error(const char *compose, int code, const char *want)
{
	struct err e;
	json_t *out = convert_text(compose, NULL, &e);

	ck_assert_ptr_null(out);
	ck_assert_int_eq(e.code, code);
	ck_assert_msg(strstr(e.msg, want), "'%s' not in '%s'", want, e.msg);
}

START_TEST(errors_name_the_value)
{
	expect_error("{`services`: {`a`: {`image`: `x`, `deploy`: "
	             "{`resources`: {`limits`: {`cpus`: `half`}}}}}}",
	             ERR_INVALID,
	             "/services/a/deploy/resources/limits/cpus: must be");
	expect_error("{`services`: {`a`: {`image`: `x`, `networks`: [`n`]}}}",
	             ERR_INVALID, "/services/a/networks/0: undefined network");
	expect_error("{`services`: {`a`: {`image`: `x`, `volumes_from`: "
	             "[`b`]}}}",
	             ERR_UNSUPPORTED, "/services/a/volumes_from");
	expect_error("{`services`: {`a`: {`image`: `x`, `volumes`: "
	             "[`./data:/data`]}}}",
	             ERR_INVALID, "must be an absolute path");
	expect_error("{`services`: {`a`: {`image`: `x`, `configs`: [`c`]}}}",
	             ERR_INVALID, "/services/a/configs/0: undefined config");
	expect_error("{`services`: {`a`: {`image`: `x`, `ports`: "
	             "[`80-81:90-99`]}}}",
	             ERR_INVALID, "/services/a/ports/0");
	expect_error("{`services`: {`a`: {`image`: `x`, `stop_grace_period`: "
	             "`10 s`}}}",
	             ERR_INVALID, "/services/a/stop_grace_period");
	expect_error("{`services`: {`a`: {`image`: `x`, `deploy`: {`mode`: "
	             "`global`, `replicas`: 2}}}}",
	             ERR_INVALID, "/services/a/deploy/replicas");
	expect_error("{`services`: {`a`: {`image`: `x`, `deploy`: {`labels`: "
	             "{`kedge.spec-hash`: `x`}}}}}",
	             ERR_INVALID, "reserved");
	expect_error("{`services`: {`a`: {`image`: 5}}}", ERR_INVALID,
	             "/services/a/image: must be a string");
	expect_error("{`services`: {`a`: {`image`: `Nginx`}}}", ERR_INVALID,
	             "/services/a/image: 'Nginx' is not a valid image "
	             "reference: invalid reference format: repository name "
	             "must be lowercase");
	expect_error("{`services`: {`a`: {`image`: `x:`}}}", ERR_INVALID,
	             "/services/a/image: 'x:' is not a valid image reference: "
	             "invalid reference format");
	expect_error("{`configs`: {`c`: {`file`: `missing`}}, `services`: {}}",
	             ERR_NOTFOUND, "/configs/c: missing: no such file");
}
END_TEST

/*
 * The image is sent as docker's API client sends it (the familiar form,
 * :latest on a bare name); the stack label keeps what the file says.
 */
START_TEST(images_as_stack_deploy_sends_them)
{
	static const char *const cases[][2] = {
	        {"nginx", "nginx:latest"},
	        {"library/nginx", "nginx:latest"},
	        {"docker.io/library/nginx", "nginx:latest"},
	        {"localhost:5000/x", "localhost:5000/x:latest"},
	        {"x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef"
	         "0123456789abcdef",
	         "x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef"
	         "0123456789abcdef"},
	        {"docker.io/x:tag@sha256:0123456789abcdef0123456789abcdef01"
	         "23456789abcdef0123456789abcdef",
	         "x:tag@sha256:0123456789abcdef0123456789abcdef0123456789abc"
	         "def0123456789abcdef"},
	};
	char text[512];
	struct err e;
	json_t *out;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(text, sizeof(text),
		         "{`services`: {`a`: {`image`: `%s`}}}", cases[i][0]);
		out = convert_text(text, NULL, &e);
		ck_assert_msg(out, "%s: %s", cases[i][0], e.msg);
		ck_assert_str_eq(str_at(out, "services/st_a/TaskTemplate/"
		                             "ContainerSpec/Image"),
		                 cases[i][1]);
		ck_assert_str_eq(str_at(out, "services/st_a/Labels/"
		                             "com.docker.stack.image"),
		                 cases[i][0]);
		json_decref(out);
	}
}
END_TEST

/* A bad env file line names the line, never the value. */
START_TEST(env_file_error_hides_values)
{
	struct err e;
	json_t *out = convert_text("{`services`: {`a`: {`image`: `x`, "
	                           "`env_file`: `bad.env`}}}",
	                           NULL, &e);

	ck_assert_ptr_null(out);
	ck_assert_int_eq(e.code, ERR_INVALID);
	ck_assert_msg(strstr(e.msg, "line 2"), "%s", e.msg);
	ck_assert_ptr_null(strstr(e.msg, "hunter2"));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("convert");

	UNIT_TCASE(s, names_and_labels);
	UNIT_TCASE(s, units_and_durations);
	UNIT_TCASE(s, env_sorted_and_resolved);
	UNIT_TCASE(s, mounts);
	UNIT_TCASE(s, ports_short_long_ranges);
	UNIT_TCASE(s, networks_default_and_aliases);
	UNIT_TCASE(s, modes);
	UNIT_TCASE(s, configs_hashed_and_referenced);
	UNIT_TCASE(s, config_content_and_labels);
	UNIT_TCASE(s, spec_hash_ignores_caller_labels);
	UNIT_TCASE(s, defaults_explicit);
	UNIT_TCASE(s, absent_fields_are_absent);
	UNIT_TCASE(s, errors_name_the_value);
	UNIT_TCASE(s, images_as_stack_deploy_sends_them);
	UNIT_TCASE(s, env_file_error_hides_values);
	return s;
}
