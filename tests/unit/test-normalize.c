/*
 * test-normalize.c: canonical specs through normalize_service() and
 * friends.
 *
 * Owns: checking that what the daemon returns (the live samples of the
 * facts file, §0 and §3) compares equal to what kedge sends, that real
 * differences survive, and the ignore rules. Does not own: conversion
 * details (test-convert.c) or diff output (test-specdiff.c).
 */
#include <jansson.h>

#include "unit.h"

#include "buf.h"
#include "convert.h"
#include "err.h"
#include "normalize.h"

/* ` stands for " in the JSON below. */
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

static int read_cb(void *ctx, const char *path, struct buf *out,
                   struct err *err)
{
	(void)ctx;
	(void)err;
	return buf_addf(out, "data of %s", path);
}

static const char *net_name(void *ctx, const char *id)
{
	(void)ctx;
	return strcmp(id, "k3j4h5g6f7d8") ? NULL : "st_default";
}

static const struct normalize_ctx nctx = {net_name, NULL, 0, 0};

#define DG  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DG2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static json_t *norm(const json_t *spec)
{
	struct err e;
	json_t *out = NULL;

	err_clear(&e);
	ck_assert_msg(!normalize_service(&out, spec, &nctx, &e), "%s", e.msg);
	return out;
}

static int same(const json_t *a, const json_t *b)
{
	json_t *x = norm(a), *y = norm(b);
	int eq = json_equal(x, y);

	json_decref(x);
	json_decref(y);
	return eq;
}

static json_t *desired_api(void)
{
	struct convert_opts o = {.read_file = read_cb};
	json_t *doc = parse("{`services`: {`api`: {`image`: `nginx`, "
	                    "`environment`: [`B=2`, `A=1`], "
	                    "`ports`: [`8080:80`], `configs`: [`c`]}}, "
	                    "`configs`: {`c`: {`file`: `c.txt`}}}");
	json_t *out = NULL, *spec;
	struct err e;

	err_clear(&e);
	ck_assert_msg(!convert_stack(&out, "st", doc, &o, &e), "%s", e.msg);
	spec = json_incref(
	        json_object_get(json_object_get(out, "services"), "st_api"));
	json_decref(out);
	json_decref(doc);
	return spec;
}

/* What GET /services/{id} returned for that spec on 20.10.24. */
static json_t *live_api(const json_t *desired)
{
	json_t *live = parse(
	        "{`Name`: `st_api`, `Labels`: {`com.docker.stack.image`: "
	        "`nginx`, `com.docker.stack.namespace`: `st`, "
	        "`kedge.managed-by`: `kedge`, `kedge.spec-hash`: `0123`}, "
	        "`TaskTemplate`: {`ContainerSpec`: {`Image`: "
	        "`docker.io/library/nginx:latest@sha256:" DG "`, "
	        "`Labels`: {`com.docker.stack.namespace`: `st`}, "
	        "`Env`: [`A=1`, `B=2`], `Privileges`: {`CredentialSpec`: "
	        "null, `SELinuxContext`: null}, `Isolation`: `default`, "
	        "`Configs`: [{`File`: {`Name`: `c`, `UID`: `0`, `GID`: `0`, "
	        "`Mode`: 292}, `ConfigID`: `cfgid1`, `ConfigName`: `X`}]}, "
	        "`Resources`: {}, `Placement`: {`Platforms`: "
	        "[{`Architecture`: `amd64`, `OS`: `linux`}]}, "
	        "`Networks`: [{`Target`: `k3j4h5g6f7d8`, `Aliases`: "
	        "[`api`]}], `ForceUpdate`: 3, `Runtime`: `container`}, "
	        "`Mode`: {`Replicated`: {`Replicas`: 1}}, `EndpointSpec`: "
	        "{`Mode`: `vip`, `Ports`: [{`Protocol`: `tcp`, `TargetPort`: "
	        "80, `PublishedPort`: 8080, `PublishMode`: `ingress`}]}}");
	json_t *cfg = json_array_get(
	        json_object_get(json_object_get(json_object_get(desired,
	                                                        "TaskTemplate"),
	                                        "ContainerSpec"),
	                        "Configs"),
	        0);
	json_t *lcfg = json_array_get(
	        json_object_get(
	                json_object_get(json_object_get(live, "TaskTemplate"),
	                                "ContainerSpec"),
	                "Configs"),
	        0);

	json_object_set(lcfg, "ConfigName", json_object_get(cfg, "ConfigName"));
	return live;
}

START_TEST(live_sample_equals_desired)
{
	json_t *d = desired_api(), *l = live_api(d);

	ck_assert(same(d, l));
	/* A real change survives normalisation. */
	json_object_set_new(
	        json_object_get(json_object_get(l, "Mode"), "Replicated"),
	        "Replicas", json_integer(2));
	ck_assert(!same(d, l));
	json_decref(d);
	json_decref(l);
}
END_TEST

START_TEST(daemon_defaults)
{
	json_t *bare = parse("{`Name`: `x`, `TaskTemplate`: "
	                     "{`ContainerSpec`: {`Image`: `redis:7`}}}");
	json_t *live = parse(
	        "{`Name`: `x`, `Labels`: {}, `Mode`: {`Replicated`: "
	        "{`Replicas`: 1}}, `TaskTemplate`: {`ContainerSpec`: "
	        "{`Image`: `redis:7`, `Isolation`: `default`, `Privileges`: "
	        "{}, `StopGracePeriod`: 10000000000}, `RestartPolicy`: "
	        "{`Condition`: `any`, `Delay`: 5000000000, `MaxAttempts`: 0}, "
	        "`ForceUpdate`: 0, `Runtime`: `container`, `Resources`: {}, "
	        "`Placement`: {}}, `UpdateConfig`: {`Parallelism`: 1, "
	        "`FailureAction`: `pause`, `Monitor`: 5000000000, "
	        "`MaxFailureRatio`: 0, `Order`: `stop-first`}, "
	        "`RollbackConfig`: {`Parallelism`: 1, `FailureAction`: "
	        "`pause`, `Monitor`: 5000000000, `MaxFailureRatio`: 0, "
	        "`Order`: `stop-first`}, `EndpointSpec`: {`Mode`: `vip`}}");
	json_t *rp = parse("{`Name`: `x`, `TaskTemplate`: {`ContainerSpec`: "
	                   "{`Image`: `redis:7`}, `RestartPolicy`: "
	                   "{`Condition`: `on-failure`}}}");

	ck_assert(same(bare, live));
	ck_assert(!same(bare, rp));
	json_decref(bare);
	json_decref(live);
	json_decref(rp);
}
END_TEST

START_TEST(update_config_block_defaults)
{
	json_t *sent = parse("{`Name`: `x`, `UpdateConfig`: "
	                     "{`Parallelism`: 2}}");
	json_t *got = parse("{`Name`: `x`, `UpdateConfig`: {`Parallelism`: "
	                    "2, `FailureAction`: `pause`, `MaxFailureRatio`: "
	                    "0, `Order`: `stop-first`}}");
	json_t *ratio_a = parse("{`Name`: `x`, `UpdateConfig`: "
	                        "{`MaxFailureRatio`: 0.1}}");
	json_t *ratio_b = parse("{`Name`: `x`, `UpdateConfig`: "
	                        "{`MaxFailureRatio`: 0.10000000149011612}}");

	ck_assert(same(sent, got));
	ck_assert(same(ratio_a, ratio_b));
	json_decref(sent);
	json_decref(got);
	json_decref(ratio_a);
	json_decref(ratio_b);
}
END_TEST

START_TEST(job_mode_defaults)
{
	json_t *sent = parse("{`Name`: `j`, `Mode`: {`ReplicatedJob`: {}}}");
	json_t *got = parse("{`Name`: `j`, `Mode`: {`ReplicatedJob`: "
	                    "{`MaxConcurrent`: 1, `TotalCompletions`: 1}}}");
	json_t *global = parse("{`Name`: `j`, `Mode`: {`GlobalJob`: {}}}");
	json_t *n = norm(global);

	ck_assert(same(sent, got));
	ck_assert(!same(sent, global));
	/* Jobs get no UpdateConfig defaults (the daemon refuses them). */
	ck_assert_ptr_null(json_object_get(n, "UpdateConfig"));
	ck_assert_ptr_nonnull(
	        json_object_get(json_object_get(n, "Mode"), "GlobalJob"));
	json_decref(n);
	json_decref(sent);
	json_decref(got);
	json_decref(global);
}
END_TEST

START_TEST(mounts_ports_and_order)
{
	json_t *sent = parse(
	        "{`Name`: `x`, `TaskTemplate`: {`ContainerSpec`: {`Env`: "
	        "[`B=1`, `A=2`], `Mounts`: [{`Source`: `/b`, `Target`: `/b`, "
	        "`Consistency`: `cached`}, {`Type`: `volume`, `Source`: `v`, "
	        "`Target`: `/a`}]}}, `EndpointSpec`: {`Ports`: "
	        "[{`TargetPort`: 53, `PublishedPort`: 53, `Protocol`: "
	        "`udp`}, {`TargetPort`: 80, `PublishedPort`: 8080}]}}");
	json_t *got = parse(
	        "{`Name`: `x`, `TaskTemplate`: {`ContainerSpec`: {`Env`: "
	        "[`A=2`, `B=1`], `Mounts`: [{`Type`: `volume`, `Source`: `v`, "
	        "`Target`: `/a`}, {`Type`: `bind`, `Source`: `/b`, `Target`: "
	        "`/b`}]}}, `EndpointSpec`: {`Mode`: `vip`, `Ports`: "
	        "[{`Protocol`: `tcp`, `TargetPort`: 80, `PublishedPort`: "
	        "8080, `PublishMode`: `ingress`}, {`Protocol`: `udp`, "
	        "`TargetPort`: 53, `PublishedPort`: 53, `PublishMode`: "
	        "`ingress`}]}}");

	ck_assert(same(sent, got));
	json_decref(sent);
	json_decref(got);
}
END_TEST

START_TEST(image_references)
{
	static const char *const cases[][2] = {
	        {"nginx", "nginx:latest"},
	        {"nginx:1.25", "nginx:1.25"},
	        {"docker.io/library/nginx:1.25@sha256:" DG, "nginx:1.25"},
	        {"index.docker.io/library/redis", "redis:latest"},
	        {"docker.io/grafana/grafana", "grafana/grafana:latest"},
	        {"localhost:5000/app", "localhost:5000/app:latest"},
	        {"ghcr.io/o/app:2@sha256:" DG, "ghcr.io/o/app:2"},
	        {"Not/A:ref:", "Not/A:ref:"},
	};
	size_t i;
	char *s;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		s = normalize_image(cases[i][0]);
		ck_assert_str_eq(s, cases[i][1]);
		free(s);
	}
}
END_TEST

static void set_image(json_t *spec, const char *image)
{
	json_object_set_new(
	        json_object_get(json_object_get(spec, "TaskTemplate"),
	                        "ContainerSpec"),
	        "Image", json_string(image));
}

static int same_ctx(const json_t *a, const json_t *b,
                    const struct normalize_ctx *ctx)
{
	json_t *x = NULL, *y = NULL;
	struct err e;
	int eq;

	err_clear(&e);
	ck_assert(!normalize_service(&x, a, ctx, &e));
	ck_assert(!normalize_service(&y, b, ctx, &e));
	eq = json_equal(x, y);
	json_decref(x);
	json_decref(y);
	return eq;
}

/*
 * A spec that pins no digest equals a live one that `--resolve-image
 * always` pinned; a spec that pins one differs from a live one pinned to
 * another digest.
 */
START_TEST(image_digest_pins)
{
	struct normalize_ctx pin = {net_name, NULL, 0, 1};
	json_t *d = desired_api(), *l = live_api(d);

	set_image(l, "nginx:latest@sha256:" DG);
	ck_assert(same(d, l));
	set_image(d, "nginx@sha256:" DG);
	set_image(l, "nginx@sha256:" DG2);
	ck_assert(!same_ctx(d, l, &pin));
	set_image(l, "docker.io/library/nginx@sha256:" DG);
	ck_assert(same_ctx(d, l, &pin));
	set_image(d, "nginx:1@sha256:" DG);
	set_image(l, "nginx:1@sha256:" DG2);
	ck_assert(!same_ctx(d, l, &pin));
	json_decref(d);
	json_decref(l);
}
END_TEST

START_TEST(ignore_rules)
{
	json_t *d = desired_api(), *l = live_api(d);
	const char *paths[] = {"deploy.replicas", "image", "deploy.labels"};
	const char *bad[] = {"deploy.nonsense"};
	struct err e;

	json_object_set_new(
	        json_object_get(json_object_get(l, "Mode"), "Replicated"),
	        "Replicas", json_integer(7));
	json_object_set_new(json_object_get(l, "Labels"), "autoscaler",
	                    json_string("on"));
	ck_assert(!same(d, l));
	err_clear(&e);
	ck_assert_int_eq(normalize_apply_ignores(d, l, paths, 3, &e), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(
	                         json_object_get(json_object_get(d, "Mode"),
	                                         "Replicated"),
	                         "Replicas")),
	                 7);
	ck_assert_str_eq(
	        json_string_value(json_object_get(
	                json_object_get(json_object_get(d, "TaskTemplate"),
	                                "ContainerSpec"),
	                "Image")),
	        "docker.io/library/nginx:latest@sha256:" DG);
	/* Live's own labels are kept, kedge's come from desired. */
	ck_assert_str_eq(json_string_value(json_object_get(
	                         json_object_get(d, "Labels"), "autoscaler")),
	                 "on");
	ck_assert_str_ne(
	        json_string_value(json_object_get(json_object_get(d, "Labels"),
	                                          "kedge.spec-hash")),
	        "0123");
	ck_assert(same(d, l));
	ck_assert_int_eq(normalize_apply_ignores(d, l, bad, 1, &e),
	                 ERR_INVALID);
	ck_assert_msg(strstr(e.msg, "deploy.nonsense") &&
	                      strstr(e.msg, "deploy.replicas"),
	              "%s", e.msg);
	json_decref(d);
	json_decref(l);
}
END_TEST

START_TEST(networks_and_objects)
{
	json_t *want = parse("{`Name`: `st_n`, `Driver`: `overlay`, `Labels`: "
	                     "{`com.docker.stack.namespace`: `st`}, "
	                     "`Internal`: false, `Attachable`: true, "
	                     "`CheckDuplicate`: true}");
	json_t *got = parse(
	        "{`Name`: `st_n`, `Id`: `abc`, `Scope`: `swarm`, `Driver`: "
	        "`overlay`, `Internal`: false, `Attachable`: true, `IPAM`: "
	        "{`Driver`: `default`, `Config`: [{`Subnet`: `10.0.1.0/24`, "
	        "`Gateway`: `10.0.1.1`}]}, `Options`: "
	        "{`com.docker.network.driver.overlay.vxlanid_list`: `4097`}, "
	        "`Labels`: {`com.docker.stack.namespace`: `st`}, "
	        "`ConfigFrom`: {`Network`: ``}, `Containers`: null}");
	json_t *cfg_d = parse("{`Name`: `c_1`, `Labels`: {`a`: `b`}, `Data`: "
	                      "`eA==`}");
	json_t *cfg_l = parse("{`ID`: `x`, `Version`: {`Index`: 3}, `Spec`: "
	                      "{`Name`: `c_1`, `Labels`: {`a`: `b`}}}");
	json_t *a, *b, *c, *d;
	struct err e;

	ck_assert(!normalize_network(&a, want, NULL, &e));
	ck_assert(!normalize_network(&b, got, want, &e));
	ck_assert(json_equal(a, b));
	json_object_set_new(got, "Internal", json_true());
	json_decref(b);
	ck_assert(!normalize_network(&b, got, want, &e));
	ck_assert(!json_equal(a, b));
	ck_assert(!normalize_config(&c, cfg_d, &e));
	ck_assert(!normalize_secret(&d, cfg_l, &e));
	ck_assert(json_equal(c, d));
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(d);
	json_decref(want);
	json_decref(got);
	json_decref(cfg_d);
	json_decref(cfg_l);
}
END_TEST

START_TEST(bad_input)
{
	json_t *out = NULL, *arr = json_array();
	json_t *odd = parse("{`TaskTemplate`: 5, `Mode`: [], `EndpointSpec`: "
	                    "{`Ports`: [1, `x`]}, `Labels`: `y`}");
	struct err e;

	ck_assert_int_eq(normalize_service(&out, arr, NULL, &e), ERR_INVALID);
	ck_assert_ptr_null(out);
	/* Odd shapes never crash; they are normalised as far as possible. */
	ck_assert_int_eq(normalize_service(&out, odd, NULL, &e), 0);
	json_decref(out);
	json_decref(arr);
	json_decref(odd);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("normalize");

	UNIT_TCASE(s, live_sample_equals_desired);
	UNIT_TCASE(s, daemon_defaults);
	UNIT_TCASE(s, update_config_block_defaults);
	UNIT_TCASE(s, job_mode_defaults);
	UNIT_TCASE(s, mounts_ports_and_order);
	UNIT_TCASE(s, image_references);
	UNIT_TCASE(s, image_digest_pins);
	UNIT_TCASE(s, ignore_rules);
	UNIT_TCASE(s, networks_and_objects);
	UNIT_TCASE(s, bad_input);
	return s;
}
