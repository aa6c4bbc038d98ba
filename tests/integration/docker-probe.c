/*
 * docker-probe.c: a test driver for docker.c and live.c against a real
 * dockerd, used by t-docker-client.sh (which compiles it with
 * contrib/cc.sh). Prints one "step: result" line per call; the script
 * asserts on them. Not part of kedge.
 *
 *	docker-probe manager            docker_check_manager() on $DOCKER_HOST
 *	docker-probe scenario P IMAGE   create/inspect/update/list/remove of a
 *	                                service, network, config and secret
 *	                                named P_*, and live_read()
 *	docker-probe events SECONDS     docker_events_follow(): prints
 *	                                "event: TYPE ACTION NAME" per event,
 *	                                then "follow: <result>" when it returns;
 *	                                cancels after SECONDS
 */
#include <jansson.h>
#include <time.h>

#include "docker.h"
#include "err.h"
#include "live.h"

static void report(const char *step, int rc, const struct err *e)
{
	if (rc)
		printf("%s: %s: %s\n", step, err_name(rc), e->msg);
	else
		printf("%s: ok\n", step);
	fflush(stdout);
}

static uint64_t version_of(json_t *o)
{
	return (uint64_t)json_integer_value(
	        json_object_get(json_object_get(o, "Version"), "Index"));
}

static json_t *service_spec(const char *p, const char *image, const char *v)
{
	return json_pack("{s:s+, s:{s:s, s:s}, s:{s:{s:s, s:[ss]}, s:[{s:s+}]},"
	                 " s:{s:{s:i}}}",
	                 "Name", p, "_svc", "Labels", "kedge.managed-by",
	                 "kedge", "probe", v, "TaskTemplate", "ContainerSpec",
	                 "Image", image, "Args", "sleep", "3600", "Networks",
	                 "Target", p, "_net", "Mode", "Replicated", "Replicas",
	                 0);
}

static json_t *blob_spec(const char *name, const char *data)
{
	char *b64 = base64_encode(data, strlen(data));
	json_t *j = json_pack("{s:s, s:{s:s}, s:s}", "Name", name, "Labels",
	                      "kedge.managed-by", "kedge", "Data", b64);

	free(b64);
	return j;
}

static void make_objects(struct docker *d, const char *p, const char *image)
{
	json_t *net = json_pack("{s:s+, s:s, s:b, s:{s:s}}", "Name", p, "_net",
	                        "Driver", "overlay", "CheckDuplicate", 1,
	                        "Labels", "kedge.managed-by", "kedge");
	char *name = xasprintf("%s_conf", p), *id = NULL;
	json_t *spec;
	struct err e;

	report("network create", docker_network_create(&id, d, net, &e), &e);
	free(id), id = NULL;
	report("network create again", docker_network_create(&id, d, net, &e),
	       &e);
	spec = blob_spec(name, "hello config\n");
	report("config create", docker_config_create(&id, d, spec, &e), &e);
	free(id), id = NULL;
	json_decref(spec);
	free(name);
	name = xasprintf("%s_key", p);
	spec = blob_spec(name, "s3cret");
	report("secret create", docker_secret_create(&id, d, spec, &e), &e);
	free(id), id = NULL;
	json_decref(spec);
	spec = service_spec(p, image, "1");
	report("service create", docker_service_create(&id, d, spec, &e), &e);
	printf("service id length: %zu\n", id ? strlen(id) : 0);
	free(id);
	json_decref(spec);
	json_decref(net);
	free(name);
}

static void inspect_objects(struct docker *d, const char *p)
{
	char *name = xasprintf("%s_conf", p);
	json_t *o = NULL;
	struct err e;
	int rc;

	rc = docker_config_inspect(&o, d, name, &e);
	report("config inspect", rc, &e);
	if (!rc)
		printf("config data: %s\n",
		       json_string_value(json_object_get(
		               json_object_get(o, "Spec"), "Data")));
	json_decref(o), o = NULL;
	free(name);
	name = xasprintf("%s_net", p);
	rc = docker_network_inspect(&o, d, name, &e);
	report("network inspect", rc, &e);
	if (!rc)
		printf("network scope: %s\n",
		       json_string_value(json_object_get(o, "Scope")));
	json_decref(o), o = NULL;
	free(name);
	name = xasprintf("%s_nope", p);
	report("service inspect missing",
	       docker_service_inspect(&o, d, name, &e), &e);
	free(name);
}

static void update_service(struct docker *d, const char *p, const char *image)
{
	char *name = xasprintf("%s_svc", p);
	json_t *svc = NULL, *spec = service_spec(p, image, "2");
	struct err e;
	uint64_t v;
	int rc = docker_service_inspect(&svc, d, name, &e);

	report("service inspect", rc, &e);
	if (rc)
		goto out;
	v = version_of(svc);
	report("service update", docker_service_update(d, name, v, spec, &e),
	       &e);
	report("service update stale",
	       docker_service_update(d, name, v, spec, &e), &e);
	json_decref(svc), svc = NULL;
	if (docker_service_inspect(&svc, d, name, &e) == 0)
		printf("service label probe: %s\n",
		       json_string_value(json_object_get(
		               json_object_get(json_object_get(svc, "Spec"),
		                               "Labels"),
		               "probe")));
out:
	json_decref(svc);
	json_decref(spec);
	free(name);
}

static void lists(struct docker *d, const char *p)
{
	char *name = xasprintf("%s_svc", p);
	json_t *l = NULL;
	struct err e;

	if (docker_services_list(&l, d, "probe=2", 0, &e) == 0)
		printf("services with label: %zu\n", json_array_size(l));
	json_decref(l), l = NULL;
	if (docker_tasks_list(&l, d, name, "running", &e) == 0)
		printf("running tasks: %zu\n", json_array_size(l));
	json_decref(l), l = NULL;
	free(name);
	name = xasprintf("%s_net", p);
	if (docker_networks_list(&l, d, NULL, name, &e) == 0)
		printf("networks named: %zu\n", json_array_size(l));
	json_decref(l), l = NULL;
	report("nodes list", docker_nodes_list(&l, d, &e), &e);
	json_decref(l);
	free(name);
}

static void read_live(struct docker *d, const char *p)
{
	char *svc = xasprintf("%s_svc", p), *conf = xasprintf("%s_conf", p);
	char *key = xasprintf("%s_key", p), *net = xasprintf("%s_net", p);
	unsigned long before = docker_requests_made(d);
	struct live *l = NULL;
	struct err e;
	json_t *s, *target;
	int rc = live_read(&l, d, &e);

	report("live read", rc, &e);
	if (rc)
		goto out;
	printf("live calls: %lu\n", docker_requests_made(d) - before);
	s = live_service_by_name(l, svc);
	printf("live service found: %s\n", s ? "yes" : "no");
	target = json_object_get(
	        json_array_get(
	                json_object_get(
	                        json_object_get(json_object_get(s, "Spec"),
	                                        "TaskTemplate"),
	                        "Networks"),
	                0),
	        "Target");
	printf("live service network: %s\n",
	       live_network_name(l, json_string_value(target)));
	printf("live config: %s\n",
	       live_config_name(l, live_config_id(l, conf)));
	printf("live secret: %s\n",
	       live_secret_name(l, live_secret_id(l, key)));
	printf("live network id known: %s\n",
	       live_network_id(l, net) ? "yes" : "no");
	printf("live nodes: %zu\n", json_array_size(l->nodes));
out:
	live_free(l);
	free(svc), free(conf), free(key), free(net);
}

static void remove_objects(struct docker *d, const char *p)
{
	char *svc = xasprintf("%s_svc", p), *conf = xasprintf("%s_conf", p);
	char *key = xasprintf("%s_key", p), *net = xasprintf("%s_net", p);
	json_t *o = NULL;
	struct err e;
	int rc, i;

	report("service remove", docker_service_remove(d, svc, &e), &e);
	report("service inspect removed",
	       docker_service_inspect(&o, d, svc, &e), &e);
	report("service remove again", docker_service_remove(d, svc, &e), &e);
	report("config remove", docker_config_remove(d, conf, &e), &e);
	report("secret remove", docker_secret_remove(d, key, &e), &e);
	/* Service removal is asynchronous: the network may still be in use. */
	for (i = 0; i < 40; i++) {
		rc = docker_network_remove(d, net, &e);
		if (rc != ERR_INVALID)
			break;
		usleep(250000);
	}
	report("network remove", rc, &e);
	free(svc), free(conf), free(key), free(net);
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int print_event(void *ctx, const json_t *ev)
{
	const json_t *actor = json_object_get(ev, "Actor");
	const char *name = json_string_value(
	        json_object_get(json_object_get(actor, "Attributes"), "name"));

	(void)ctx;
	printf("event: %s %s %s\n",
	       json_string_value(json_object_get(ev, "Type")),
	       json_string_value(json_object_get(ev, "Action")),
	       name ? name : "-");
	fflush(stdout);
	return 0;
}

static int past_deadline(void *ctx)
{
	return mono_now() > *(const double *)ctx;
}

static int follow(struct docker *d, const char *seconds)
{
	double deadline = mono_now() + strtod(seconds, NULL);
	struct err e;
	int rc;

	printf("following: yes\n");
	fflush(stdout);
	rc = docker_events_follow(d, print_event, past_deadline, &deadline, &e);
	report("follow", rc, &e);
	return 0;
}

int main(int argc, char **argv)
{
	struct docker *d = NULL;
	struct err e;
	int rc = docker_open(&d, NULL, &e);

	if (rc) {
		report("open", rc, &e);
		return 1;
	}
	if (argc == 2 && !strcmp(argv[1], "manager")) {
		report("manager", docker_check_manager(d, &e), &e);
	} else if (argc == 3 && !strcmp(argv[1], "events")) {
		rc = follow(d, argv[2]);
	} else if (argc == 4 && !strcmp(argv[1], "scenario")) {
		make_objects(d, argv[2], argv[3]);
		inspect_objects(d, argv[2]);
		update_service(d, argv[2], argv[3]);
		lists(d, argv[2]);
		read_live(d, argv[2]);
		remove_objects(d, argv[2]);
	} else {
		fprintf(stderr,
		        "usage: docker-probe manager | scenario P IMAGE | "
		        "events SECONDS\n");
		rc = 2;
	}
	docker_free(d);
	return rc;
}
