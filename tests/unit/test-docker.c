/*
 * test-docker.c: the Engine API client and the live-state reader against
 * the loopback stub of test-http.c: the requests they send (path, query,
 * body), how the daemon's errors map to ERR_* codes and messages, host
 * parsing, base64, and that live_read() makes a fixed number of calls.
 */
#define KEDGE_STUB_ONLY
#include "test-http.c"

#include "docker.h"
#include "live.h"

static struct stub *stub;
static struct docker *dk;
static char *host;

static void setup(void)
{
	struct err err;

	stub = stub_start(0);
	host = xasprintf("unix://%s", stub->path);
	ck_assert_int_eq(docker_open(&dk, host, &err), 0);
	docker_set_timeouts(dk, 2000, 10000);
}

static void teardown(void)
{
	docker_free(dk);
	stub_stop(stub);
	free(host);
}

START_TEST(services_list_sends_encoded_label_filter)
{
	json_t *l = NULL;
	struct err err;

	stub_add(stub, 200, "[{\"ID\":\"s1\"}]");
	ck_assert_int_eq(
	        docker_services_list(&l, dk, "kedge.managed-by=kedge", 1, &err),
	        0);
	ck_assert_str_eq(stub_req(stub, 0).line,
	                 "GET /v1.41/services?filters=%7B%22label%22%3A%5B%22"
	                 "kedge.managed-by%3Dkedge%22%5D%7D&status=true "
	                 "HTTP/1.1");
	ck_assert_uint_eq(json_array_size(l), 1);
	json_decref(l);
}
END_TEST

START_TEST(lists_without_filters_send_no_query)
{
	json_t *l = NULL;
	struct err err;

	stub_add(stub, 200, "[]");
	stub_add(stub, 200, "[]");
	ck_assert_int_eq(docker_services_list(&l, dk, NULL, 1, &err), 0);
	json_decref(l);
	ck_assert_int_eq(docker_configs_list(&l, dk, NULL, &err), 0);
	json_decref(l);
	ck_assert_str_eq(stub_req(stub, 0).line,
	                 "GET /v1.41/services?status=true HTTP/1.1");
	ck_assert_str_eq(stub_req(stub, 1).line, "GET /v1.41/configs HTTP/1.1");
}
END_TEST

START_TEST(tasks_and_networks_combine_filters)
{
	json_t *l = NULL;
	struct err err;

	stub_add(stub, 200, "[]");
	stub_add(stub, 200, "[]");
	ck_assert_int_eq(docker_tasks_list(&l, dk, "web_api", "running", &err),
	                 0);
	json_decref(l);
	ck_assert_int_eq(docker_networks_list(&l, dk, "a=b", "web_net", &err),
	                 0);
	json_decref(l);
	/* {"desired-state":["running"],"service":["web_api"]} */
	ck_assert_str_eq(stub_req(stub, 0).line,
	                 "GET /v1.41/tasks?filters=%7B%22desired-state%22%3A%5B"
	                 "%22running%22%5D%2C%22service%22%3A%5B%22web_api%22"
	                 "%5D%7D HTTP/1.1");
	ck_assert_str_eq(stub_req(stub, 1).line,
	                 "GET /v1.41/networks?filters=%7B%22label%22%3A%5B%22a"
	                 "%3Db%22%5D%2C%22name%22%3A%5B%22web_net%22%5D%7D "
	                 "HTTP/1.1");
}
END_TEST

START_TEST(list_reply_that_is_not_a_list_is_remote_error)
{
	json_t *l = NULL;
	struct err err;

	stub_add(stub, 200, "{\"message\":\"?\"}");
	stub_add(stub, 200, "[{\"ID\":");
	ck_assert_int_eq(docker_nodes_list(&l, dk, &err), ERR_REMOTE);
	ck_assert_ptr_nonnull(strstr(err.msg, "did not send a list"));
	ck_assert_int_eq(docker_nodes_list(&l, dk, &err), ERR_REMOTE);
	ck_assert_ptr_nonnull(
	        strstr(err.msg, "invalid JSON for GET /v1.41/nodes"));
	ck_assert_ptr_null(l);
}
END_TEST

START_TEST(service_create_posts_spec_and_returns_id)
{
	json_t *spec = json_pack("{s:s,s:{}}", "Name", "web_api", "Labels");
	char *id = NULL;
	struct err err;
	struct stub_request q;

	stub_add(stub, 201, "{\"ID\":\"abc123\",\"Warnings\":null}");
	ck_assert_int_eq(docker_service_create(&id, dk, spec, &err), 0);
	ck_assert_str_eq(id, "abc123");
	q = stub_req(stub, 0);
	ck_assert_str_eq(q.line, "POST /v1.41/services/create HTTP/1.1");
	ck_assert_ptr_nonnull(strstr(q.head, "Content-Type: application/json"));
	ck_assert_str_eq(q.body, "{\"Name\":\"web_api\",\"Labels\":{}}");
	free(id);
	json_decref(spec);
}
END_TEST

START_TEST(network_create_reads_Id)
{
	json_t *spec =
	        json_pack("{s:s,s:s}", "Name", "web_net", "Driver", "overlay");
	char *id = NULL;
	struct err err;

	stub_add(stub, 201, "{\"Id\":\"n1\",\"Warning\":\"\"}");
	stub_add(stub, 201, "{}");
	ck_assert_int_eq(docker_network_create(&id, dk, spec, &err), 0);
	ck_assert_str_eq(id, "n1");
	free(id);
	id = NULL;
	ck_assert_int_eq(docker_config_create(&id, dk, spec, &err), ERR_REMOTE);
	ck_assert_ptr_null(id);
	ck_assert_ptr_nonnull(strstr(err.msg, "sent no ID for POST "
	                                      "/v1.41/configs/create"));
	json_decref(spec);
}
END_TEST

START_TEST(update_sends_version_and_spec)
{
	json_t *spec = json_pack("{s:s}", "Name", "web_api");
	struct err err;

	stub_add(stub, 200, "{\"Warnings\":null}");
	stub_add(stub, 200, "");
	ck_assert_int_eq(docker_service_update(dk, "abc", 42, spec, &err), 0);
	ck_assert_int_eq(docker_node_update(dk, "n 1", 7, spec, &err), 0);
	ck_assert_str_eq(stub_req(stub, 0).line,
	                 "POST /v1.41/services/abc/update?version=42 HTTP/1.1");
	ck_assert_str_eq(stub_req(stub, 0).body, "{\"Name\":\"web_api\"}");
	ck_assert_str_eq(stub_req(stub, 1).line,
	                 "POST /v1.41/nodes/n%201/update?version=7 HTTP/1.1");
	json_decref(spec);
}
END_TEST

START_TEST(stale_version_is_conflict)
{
	json_t *spec = json_object();
	struct err err;

	stub_add(stub, 500,
	         "{\"message\":\"rpc error: code = Unknown desc = update out "
	         "of sequence\"}");
	ck_assert_int_eq(docker_service_update(dk, "abc", 1, spec, &err),
	                 ERR_CONFLICT);
	ck_assert_str_eq(err.msg,
	                 "rpc error: code = Unknown desc = update out of "
	                 "sequence (HTTP 500 from POST "
	                 "/v1.41/services/abc/update?version=1)");
	json_decref(spec);
}
END_TEST

START_TEST(not_found_passes_message_through)
{
	json_t *s = NULL;
	struct err err;

	stub_add(stub, 404, "{\"message\":\"service nope not found\"}");
	ck_assert_int_eq(docker_service_inspect(&s, dk, "nope", &err),
	                 ERR_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.msg, "service nope not found"));
	ck_assert_ptr_nonnull(strstr(err.msg, "GET /v1.41/services/nope"));
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(status_codes_map_to_errors)
{
	static const struct {
		int status;
		const char *body;
		int code;
	} t[] = {
	        {409, "{\"message\":\"name conflicts\"}", ERR_CONFLICT},
	        {400, "{\"message\":\"only updates to Labels\"}", ERR_INVALID},
	        {501, "{\"message\":\"service mode change is not allowed\"}",
	         ERR_INVALID},
	        {500, "{\"message\":\"network nonexist not found\"}",
	         ERR_REMOTE},
	        {503, "{\"message\":\"swarm is busy\"}", ERR_REMOTE},
	        {502, "<html>bad gateway</html>", ERR_REMOTE},
	};
	struct err err;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++)
		stub_add(stub, t[i].status, t[i].body);
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		ck_assert_int_eq(docker_service_remove(dk, "x", &err),
		                 t[i].code);
		ck_assert_str_eq(stub_req(stub, (int)i).line,
		                 "DELETE /v1.41/services/x HTTP/1.1");
	}
	/* The last one had no JSON message: its body is quoted. */
	ck_assert_str_eq(err.msg, "<html>bad gateway</html> (HTTP 502 from "
	                          "DELETE /v1.41/services/x)");
}
END_TEST

START_TEST(worker_503_is_unsupported)
{
	json_t *l = NULL;
	struct err err;
	char *want;

	stub_add(stub, 503,
	         "{\"message\":\"This node is not a swarm manager. Use "
	         "\\\"docker swarm init\\\" or \\\"docker swarm join\\\" to "
	         "connect this node to swarm and try again.\"}");
	ck_assert_int_eq(docker_secrets_list(&l, dk, NULL, &err),
	                 ERR_UNSUPPORTED);
	want = xasprintf("'%s' is not a swarm manager: This node", host);
	ck_assert_ptr_nonnull(strstr(err.msg, want));
	free(want);
}
END_TEST

START_TEST(check_manager_reads_swarm_state)
{
	struct err err;
	char *want;

	stub_add(stub, 200, "{\"Swarm\":{\"LocalNodeState\":\"inactive\"}}");
	stub_add(stub, 200,
	         "{\"Swarm\":{\"LocalNodeState\":\"active\","
	         "\"ControlAvailable\":false}}");
	stub_add(stub, 200,
	         "{\"Swarm\":{\"LocalNodeState\":\"active\","
	         "\"ControlAvailable\":true}}");
	ck_assert_int_eq(docker_check_manager(dk, &err), ERR_UNSUPPORTED);
	want = xasprintf("'%s' is not a swarm manager (Swarm: inactive)", host);
	ck_assert_str_eq(err.msg, want);
	free(want);
	ck_assert_int_eq(docker_check_manager(dk, &err), ERR_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(err.msg, "worker"));
	ck_assert_int_eq(docker_check_manager(dk, &err), 0);
	ck_assert_str_eq(stub_req(stub, 0).line, "GET /v1.41/info HTTP/1.1");
}
END_TEST

START_TEST(unreachable_daemon_names_the_host)
{
	struct docker *d = NULL;
	json_t *info = NULL;
	struct err err;

	ck_assert_int_eq(
	        docker_open(&d, "unix:///nonexistent/docker.sock", &err), 0);
	ck_assert_int_eq(docker_info(&info, d, &err), ERR_REMOTE);
	ck_assert_ptr_nonnull(strstr(err.msg,
	                             "cannot connect to the Docker daemon at "
	                             "unix:///nonexistent/docker.sock: "));
	docker_free(d);
}
END_TEST

START_TEST(silent_daemon_times_out)
{
	json_t *l = NULL;
	struct err err;

	docker_set_timeouts(dk, 0, 300);
	stub_add_reply(stub, (struct stub_reply){.hang = 1});
	ck_assert_int_eq(docker_services_list(&l, dk, NULL, 0, &err),
	                 ERR_TIMEOUT);
	ck_assert_int_eq(stub_nreqs(stub), 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "did not answer GET "
	                                      "/v1.41/services in time"));
}
END_TEST

START_TEST(host_comes_from_environment)
{
	struct docker *d = NULL;
	struct err err;

	setenv("DOCKER_HOST", host, 1);
	ck_assert_int_eq(docker_open(&d, NULL, &err), 0);
	ck_assert_str_eq(docker_host(d), host);
	docker_free(d);
	unsetenv("DOCKER_HOST");
	ck_assert_int_eq(docker_open(&d, "", &err), 0);
	ck_assert_str_eq(docker_host(d), "unix:///var/run/docker.sock");
	docker_free(d);
}
END_TEST

START_TEST(tcp_host_without_tls_is_plain_http)
{
	struct stub *t = stub_start(1);
	char *h = xasprintf("tcp://127.0.0.1:%d", t->port);
	struct docker *d = NULL;
	json_t *l = NULL;
	struct err err;

	unsetenv("DOCKER_TLS_VERIFY");
	stub_add(t, 200, "[]");
	ck_assert_int_eq(docker_open(&d, h, &err), 0);
	ck_assert_int_eq(docker_nodes_list(&l, d, &err), 0);
	ck_assert_str_eq(stub_req(t, 0).line, "GET /v1.41/nodes HTTP/1.1");
	json_decref(l);
	docker_free(d);
	stub_stop(t);
	free(h);
}
END_TEST

START_TEST(bad_hosts_are_invalid)
{
	struct docker *d = NULL;
	struct err err;

	ck_assert_int_eq(docker_open(&d, "ssh://me@host", &err), ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err.msg, "'ssh://me@host'"));
	ck_assert_int_eq(docker_open(&d, "unix://", &err), ERR_INVALID);
	ck_assert_int_eq(docker_open(&d, "tcp://", &err), ERR_INVALID);
	ck_assert_int_eq(docker_open(&d, "tcp://h:1/x", &err), ERR_INVALID);
	setenv("DOCKER_TLS_VERIFY", "1", 1);
	setenv("DOCKER_CERT_PATH", "/nonexistent/certs", 1);
	ck_assert_int_eq(docker_open(&d, "tcp://127.0.0.1", &err), ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err.msg, "'/nonexistent/certs/ca.pem'"));
	unsetenv("DOCKER_TLS_VERIFY");
	unsetenv("DOCKER_CERT_PATH");
	ck_assert_ptr_null(d);
}
END_TEST

START_TEST(base64_matches_rfc4648)
{
	static const char *const t[][2] = {
	        {"", ""},
	        {"f", "Zg=="},
	        {"fo", "Zm8="},
	        {"foo", "Zm9v"},
	        {"foob", "Zm9vYg=="},
	        {"fooba", "Zm9vYmE="},
	        {"foobar", "Zm9vYmFy"},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		char *e = base64_encode(t[i][0], strlen(t[i][0]));

		ck_assert_str_eq(e, t[i][1]);
		free(e);
	}
	{
		char *e = base64_encode("\xff\xfe\x00", 3);

		ck_assert_str_eq(e, "//4A");
		free(e);
	}
}
END_TEST

/* A small swarm: two services (one name a prefix of the other), two
 * networks called "shared" (local and swarm), a config and a secret. */
static void add_live_replies(struct stub *s)
{
	stub_add(s, 200,
	         "[{\"ID\":\"s1\",\"Spec\":{\"Name\":\"web_api_v2\"}},"
	         "{\"ID\":\"s2\",\"Spec\":{\"Name\":\"web_api\"}}]");
	stub_add(s, 200,
	         "[{\"Id\":\"n0\",\"Name\":\"shared\",\"Scope\":\"local\"},"
	         "{\"Id\":\"n1\",\"Name\":\"shared\",\"Scope\":\"swarm\"},"
	         "{\"Id\":\"n2\",\"Name\":\"web_net\",\"Scope\":\"swarm\"}]");
	stub_add(s, 200, "[{\"ID\":\"c1\",\"Spec\":{\"Name\":\"web_conf\"}}]");
	stub_add(s, 200, "[{\"ID\":\"x1\",\"Spec\":{\"Name\":\"web_key\"}}]");
	stub_add(s, 200,
	         "[{\"ID\":\"node1\",\"Description\":{\"Hostname\":\"m1\"}}]");
}

START_TEST(live_read_makes_five_list_calls)
{
	struct live *l = NULL;
	struct err err;

	add_live_replies(stub);
	ck_assert_int_eq(live_read(&l, dk, &err), 0);
	ck_assert_uint_eq(docker_requests_made(dk), LIVE_READ_CALLS);
	ck_assert_str_eq(stub_req(stub, 0).line,
	                 "GET /v1.41/services?status=true HTTP/1.1");
	ck_assert_str_eq(stub_req(stub, 1).line,
	                 "GET /v1.41/networks HTTP/1.1");
	ck_assert_str_eq(stub_req(stub, 2).line, "GET /v1.41/configs HTTP/1.1");
	ck_assert_str_eq(stub_req(stub, 3).line, "GET /v1.41/secrets HTTP/1.1");
	ck_assert_str_eq(stub_req(stub, 4).line, "GET /v1.41/nodes HTTP/1.1");
	live_free(l);
}
END_TEST

START_TEST(live_lookups_are_exact)
{
	struct live *l = NULL;
	struct err err;

	add_live_replies(stub);
	ck_assert_int_eq(live_read(&l, dk, &err), 0);
	ck_assert_str_eq(json_string_value(json_object_get(
	                         live_service_by_name(l, "web_api"), "ID")),
	                 "s2");
	ck_assert_ptr_null(live_service_by_name(l, "web"));
	ck_assert_str_eq(live_network_id(l, "shared"), "n1");
	ck_assert_str_eq(live_network_name(l, "n2"), "web_net");
	ck_assert_ptr_null(live_network_name(l, "n9"));
	ck_assert_str_eq(live_config_name(l, "c1"), "web_conf");
	ck_assert_str_eq(live_config_id(l, "web_conf"), "c1");
	ck_assert_str_eq(live_secret_name(l, "x1"), "web_key");
	ck_assert_str_eq(live_secret_id(l, "web_key"), "x1");
	ck_assert_ptr_null(live_secret_id(l, "web_conf"));
	ck_assert_ptr_nonnull(live_node_by_hostname(l, "m1"));
	ck_assert_ptr_eq(live_node_by_id(l, "node1"),
	                 live_node_by_hostname(l, "m1"));
	live_free(l);
}
END_TEST

START_TEST(live_services_are_slim_until_asked_for_by_name)
{
	struct live *l = NULL;
	struct err err;
	json_t *full, *slim;

	stub_add(stub, 200,
	         " [ {\"ID\":\"s1\",\"Version\":{\"Index\":7},"
	         "\"Spec\":{\"Name\":\"web_api\",\"Labels\":{\"a\":\"b\"},"
	         "\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"x:1\","
	         "\"Env\":[\"A=1\"]}}},\"PreviousSpec\":{\"Name\":\"old\"}} ,"
	         "\n{\"ID\":\"s2\",\"Spec\":{\"Name\":\"db\"}}\t]\n");
	stub_add(stub, 200, "[]");
	stub_add(stub, 200, "[]");
	stub_add(stub, 200, "[]");
	stub_add(stub, 200, "[]");
	ck_assert_int_eq(live_read(&l, dk, &err), 0);
	ck_assert_uint_eq(json_array_size(l->services), 2);
	slim = live_service_slim(l, "web_api");
	ck_assert_str_eq(json_string_value(json_object_get(
	                         json_object_get(json_object_get(slim, "Spec"),
	                                         "Labels"),
	                         "a")),
	                 "b");
	/* The slim element has no image; the full one has all but the
	 * previous spec. */
	ck_assert_ptr_null(
	        json_object_get(json_object_get(slim, "Spec"), "TaskTemplate"));
	full = live_service_by_name(l, "web_api");
	ck_assert_str_eq(
	        json_string_value(json_object_get(
	                json_object_get(
	                        json_object_get(json_object_get(full, "Spec"),
	                                        "TaskTemplate"),
	                        "ContainerSpec"),
	                "Image")),
	        "x:1");
	ck_assert_ptr_null(json_object_get(full, "PreviousSpec"));
	ck_assert_int_eq(json_integer_value(json_object_get(
	                         json_object_get(full, "Version"), "Index")),
	                 7);
	live_services_forget(l);
	ck_assert_ptr_nonnull(live_service_by_name(l, "web_api"));
	ck_assert_ptr_nonnull(live_service_by_name(l, "db"));
	live_free(l);
}
END_TEST

START_TEST(services_list_that_breaks_off_is_remote_error)
{
	static const char *const bad[] = {
	        "",    "{}",     "[{\"ID\":\"s1\"}", "[{\"ID\":\"s1\"},]",
	        "[1]", "[{} {}]"};
	struct live *l = NULL;
	struct err err;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		stub_add(stub, 200, bad[i]);
		ck_assert_int_eq(live_read(&l, dk, &err), ERR_REMOTE);
		ck_assert_ptr_null(l);
		ck_assert_ptr_nonnull(strstr(
		        err.msg, "reading services: the Docker daemon did not "
		                 "send a list of objects for GET "
		                 "/v1.41/services?status=true"));
	}
}
END_TEST

START_TEST(live_read_failure_names_the_kind)
{
	struct live *l = NULL;
	struct err err;

	stub_add(stub, 200, "[]");
	stub_add(stub, 500, "{\"message\":\"boom\"}");
	ck_assert_int_eq(live_read(&l, dk, &err), ERR_REMOTE);
	ck_assert_ptr_null(l);
	ck_assert_ptr_nonnull(strstr(err.msg, "reading networks: boom"));
}
END_TEST

/* ---- The event stream -------------------------------------------------- */

struct events {
	char seen[8][64]; /* "Type Action name" */
	int n;
	int stop_at;
	int cancel;
};

static int on_event(void *ctx, const json_t *ev)
{
	struct events *e = ctx;
	const json_t *attrs =
	        json_object_get(json_object_get(ev, "Actor"), "Attributes");

	ck_assert_int_lt(e->n, 8);
	snprintf(e->seen[e->n++], sizeof(e->seen[0]), "%s %s %s",
	         json_string_value(json_object_get(ev, "Type")),
	         json_string_value(json_object_get(ev, "Action")),
	         json_string_value(json_object_get(attrs, "name")));
	return e->n == e->stop_at ? 9 : 0;
}

static int events_cancel(void *ctx)
{
	const struct events *e = ctx;

	return e->n >= e->cancel && e->cancel > 0;
}

static void add_events(const char *const *chunks, int end)
{
	struct stub_reply r = {.status = 200, .chunks = chunks};

	r.stream_end = end;
	stub_add_reply(stub, r);
}

START_TEST(events_follow_filters_and_passes_each_event)
{
	static const char *const chunks[] = {
	        "{\"Type\":\"service\",\"Action\":\"create\",\"Actor\":{\"ID\":"
	        "\"s1\",\"Attributes\":{\"name\":\"web_app\"}},\"time\":1}\n",
	        "\n{\"Type\":\"network\",\"Action\":\"remove\",\"Actor\":{"
	        "\"ID\":\"n1\",\"Attributes\":{\"name\":\"web_default\"}}}\n",
	        NULL};
	struct events e = {0};
	struct err err;
	char *want;

	add_events(chunks, STREAM_END);
	ck_assert_int_eq(docker_events_follow(dk, on_event, NULL, &e, &err),
	                 ERR_REMOTE);
	want = xasprintf("the Docker daemon at %s closed the event stream",
	                 host);
	ck_assert_str_eq(err.msg, want);
	ck_assert_str_eq(stub_req(stub, 0).line,
	                 "GET /v1.41/events?filters=%7B%22type%22%3A%5B%22"
	                 "service%22%2C%22network%22%2C%22config%22%2C%22"
	                 "secret%22%2C%22node%22%5D%7D HTTP/1.1");
	ck_assert_int_eq(e.n, 2);
	ck_assert_str_eq(e.seen[0], "service create web_app");
	ck_assert_str_eq(e.seen[1], "network remove web_default");
	free(want);
}
END_TEST

START_TEST(events_follow_refuses_a_line_that_is_not_an_object)
{
	static const char *const chunks[] = {"[1,2]\n", NULL};
	struct events e = {0};
	struct err err;

	add_events(chunks, STREAM_HANG);
	ck_assert_int_eq(docker_events_follow(dk, on_event, NULL, &e, &err),
	                 ERR_REMOTE);
	ck_assert_ptr_nonnull(strstr(err.msg,
	                             "sent an event that is not a JSON object: "
	                             "'[1,2]'"));
	ck_assert_int_eq(e.n, 0);
}
END_TEST

START_TEST(events_follow_stops_when_told)
{
	static const char *const chunks[] = {
	        "{\"Type\":\"config\",\"Action\":\"create\"}\n"
	        "{\"Type\":\"secret\",\"Action\":\"create\"}\n",
	        NULL};
	struct events e = {.stop_at = 1};
	struct events c = {.cancel = 2};
	struct err err;

	add_events(chunks, STREAM_HANG);
	ck_assert_int_eq(docker_events_follow(dk, on_event, NULL, &e, &err), 9);
	ck_assert_int_eq(e.n, 1);
	add_events(chunks, STREAM_HANG);
	ck_assert_int_eq(
	        docker_events_follow(dk, on_event, events_cancel, &c, &err),
	        ERR_CANCELED);
	ck_assert_int_eq(c.n, 2);
}
END_TEST

START_TEST(events_follow_without_daemon_cannot_connect)
{
	struct docker *d;
	struct events e = {0};
	struct err err;

	ck_assert_int_eq(
	        docker_open(&d, "unix:///nonexistent/kedge.sock", &err), 0);
	ck_assert_int_eq(docker_events_follow(d, on_event, NULL, &e, &err),
	                 ERR_REMOTE);
	ck_assert_ptr_nonnull(strstr(err.msg,
	                             "cannot connect to the Docker "
	                             "daemon at "
	                             "unix:///nonexistent/kedge.sock"));
	docker_free(d);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("docker");
	TCase *tc = tcase_create("engine-api");
	TCase *lv = tcase_create("live");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, services_list_sends_encoded_label_filter);
	tcase_add_test(tc, lists_without_filters_send_no_query);
	tcase_add_test(tc, tasks_and_networks_combine_filters);
	tcase_add_test(tc, list_reply_that_is_not_a_list_is_remote_error);
	tcase_add_test(tc, service_create_posts_spec_and_returns_id);
	tcase_add_test(tc, network_create_reads_Id);
	tcase_add_test(tc, update_sends_version_and_spec);
	tcase_add_test(tc, stale_version_is_conflict);
	tcase_add_test(tc, not_found_passes_message_through);
	tcase_add_test(tc, status_codes_map_to_errors);
	tcase_add_test(tc, worker_503_is_unsupported);
	tcase_add_test(tc, check_manager_reads_swarm_state);
	tcase_add_test(tc, unreachable_daemon_names_the_host);
	tcase_add_test(tc, silent_daemon_times_out);
	tcase_add_test(tc, host_comes_from_environment);
	tcase_add_test(tc, tcp_host_without_tls_is_plain_http);
	tcase_add_test(tc, bad_hosts_are_invalid);
	tcase_add_test(tc, base64_matches_rfc4648);
	tcase_add_test(tc, events_follow_filters_and_passes_each_event);
	tcase_add_test(tc, events_follow_refuses_a_line_that_is_not_an_object);
	tcase_add_test(tc, events_follow_stops_when_told);
	tcase_add_test(tc, events_follow_without_daemon_cannot_connect);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(lv, setup, teardown);
	tcase_set_timeout(lv, 20);
	tcase_add_test(lv, live_read_makes_five_list_calls);
	tcase_add_test(lv, live_lookups_are_exact);
	tcase_add_test(lv, live_services_are_slim_until_asked_for_by_name);
	tcase_add_test(lv, services_list_that_breaks_off_is_remote_error);
	tcase_add_test(lv, live_read_failure_names_the_kind);
	suite_add_tcase(s, lv);
	return s;
}
