/*
 * test-client.c: the commands that talk to a running `kedge run` (status,
 * history, reconcile, suspend, resume, approve), run through their
 * cmd_entry against the loopback stub of test-http.c replaying canned
 * daemon replies: what they print, their exit codes, the requests they
 * send (the bearer token only with POSTs, never printed), and the
 * messages for an unreachable daemon and the daemon's 401/404/409.
 */
#define KEDGE_STUB_ONLY
#include "test-http.c"

#include <sys/stat.h>

#include "cmd.h"

static struct stub *stub;
static char *server;
static char tokdir[64];
static char *token_file;

#define TOKEN "s3cret-T0ken"

static void setup(void)
{
	FILE *fp;

	unsetenv("KEDGE_SERVER");
	unsetenv("KEDGE_API_TOKEN_FILE");
	stub = stub_start(1);
	server = xasprintf("http://127.0.0.1:%d", stub->port);
	snprintf(tokdir, sizeof(tokdir), "/tmp/kedge-client-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tokdir));
	token_file = xasprintf("%s/token", tokdir);
	fp = fopen(token_file, "w");
	ck_assert_ptr_nonnull(fp);
	/* trailing whitespace is not part of the token */
	fputs(TOKEN " \n\n", fp);
	fclose(fp);
}

static void teardown(void)
{
	stub_stop(stub);
	unlink(token_file);
	rmdir(tokdir);
	free(token_file);
	free(server);
}

struct run {
	int rc;
	char *out, *err;
};

static char *slurp(FILE *fp)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(fflush(fp), 0);
	rewind(fp);
	ck_assert_int_eq(buf_read_fd(&b, fileno(fp)), 0);
	fclose(fp);
	return buf_detach(&b, NULL);
}

/* Runs `kedge <args...>` (NULL-terminated) in-process, capturing its
 * standard output and error. */
static struct run run_kedge(const char *name, ...)
{
	const struct cmd_entry *e = cmd_find(name);
	char *argv[32];
	int argc = 0, saved_out, saved_err;
	FILE *out = tmpfile(), *err = tmpfile();
	struct run r;
	va_list ap;
	const char *a;

	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(err);
	argv[argc++] = (char *)name;
	va_start(ap, name);
	while ((a = va_arg(ap, const char *)) && argc < 31)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(1);
	saved_err = dup(2);
	dup2(fileno(out), 1);
	dup2(fileno(err), 2);
	r.rc = e->run(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	r.out = slurp(out);
	r.err = slurp(err);
	return r;
}

static void run_release(struct run *r)
{
	free(r->out);
	free(r->err);
}

static int has_auth(int i)
{
	return strcasestr(stub_req(stub, i).head, "\r\nAuthorization:") != NULL;
}

static const char status_reply[] =
        "{\"version\":\"0.2.0\",\"instance\":\"kedge\","
        "\"repo\":\"https://git.example.com/ops/swarm.git\",\"ref\":\"main\","
        "\"revision\":\"0123456789abcdef0123\",\"ready\":true,"
        "\"reconciling\":false,\"interval_seconds\":180,"
        "\"next_check_seconds\":42,"
        "\"last_reconcile\":{\"id\":12,\"trigger\":\"webhook:github\","
        "\"state\":\"done\",\"revision\":\"0123456789abcdef0123\","
        "\"queued\":\"2026-12-02T01:02:03Z\","
        "\"started\":\"2026-12-02T01:02:03Z\","
        "\"finished\":\"2026-12-02T01:02:05Z\",\"result\":\"ok\","
        "\"exit_code\":0,\"error\":null,\"summary\":null,\"actions\":[]},"
        "\"stacks\":[{\"stack\":\"web\",\"status\":\"Ready\",\"reason\":null,"
        "\"revision\":\"0123456789abcdef0123\",\"suspended\":false,"
        "\"drift\":\"repair\",\"since\":\"2026-12-02T01:02:05Z\","
        "\"updated\":\"2026-12-02T01:02:05Z\"},"
        "{\"stack\":\"db\",\"status\":\"Stalled\","
        "\"reason\":\"stacks/db/compose.yml:4:7: 'replicas' must be an "
        "integer\",\"revision\":null,\"suspended\":false,\"drift\":\"warn\","
        "\"since\":\"2026-12-02T00:00:00Z\","
        "\"updated\":\"2026-12-02T01:02:05Z\"}],"
        "\"pending_approvals\":[{\"id\":\"3f2a9c1b\","
        "\"revision\":\"fedcba9876543210\",\"state\":\"pending\","
        "\"created\":\"2026-12-02T01:00:00Z\"}],"
        "\"prometheus\":{\"managed\":true,\"status\":\"Stalled\","
        "\"message\":\"the Prometheus part: Prometheus at "
        "http://127.0.0.1:9090 did not answer\","
        "\"revision\":\"0123456789abcdef0123\"}}";

START_TEST(status_prints_header_stacks_and_approvals)
{
	struct run r;

	stub_add(stub, 200, status_reply);
	/* $KEDGE_SERVER names the daemon; the approve hint then needs no
	 * --server */
	setenv("KEDGE_SERVER", server, 1);
	r = run_kedge("status", "--api-token-file", token_file, NULL);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.err, "");
	ck_assert_str_eq(
	        r.out,
	        "kedge daemon 0.2.0\n"
	        "repo: https://git.example.com/ops/swarm.git\n"
	        "ref: main\n"
	        "revision: 0123456789ab\n"
	        "ready: yes\n"
	        "last reconcile: 12 ok at 2026-12-02T01:02:05Z "
	        "(webhook:github)\n"
	        "next check: in 42s\n"
	        "\n"
	        "STACK  STATUS   REVISION      SINCE                 REASON\n"
	        "web    Ready    0123456789ab  2026-12-02T01:02:05Z  -\n"
	        "db     Stalled  -             2026-12-02T00:00:00Z  "
	        "stacks/db/compose.yml:4:7: 'replicas' must be an integer\n"
	        "\n"
	        "prometheus: Stalled, rules of 0123456789ab: the Prometheus "
	        "part: Prometheus at http://127.0.0.1:9090 did not answer\n"
	        "\n"
	        "pending approvals:\n"
	        "  plan 3f2a9c1b at fedcba987654, created "
	        "2026-12-02T01:00:00Z: kedge approve 3f2a9c1b\n");
	ck_assert_str_eq(stub_req(stub, 0).line, "GET /api/v1/status HTTP/1.1");
	/* a GET never carries the token */
	ck_assert(!has_auth(0));
	run_release(&r);
}
END_TEST

START_TEST(status_names_the_server_in_the_approve_hint)
{
	struct run r;

	stub_add(stub, 200, status_reply);
	r = run_kedge("status", "--server", server, NULL);
	ck_assert_int_eq(r.rc, 0);
	{
		char *want = xasprintf(": kedge approve --server %s 3f2a9c1b\n",
		                       server);

		ck_assert_ptr_nonnull(strstr(r.out, want));
		free(want);
	}
	run_release(&r);
}
END_TEST

START_TEST(status_json_is_the_daemons_reply)
{
	struct run r;
	char *want = xasprintf("%s\n", status_reply);

	stub_add(stub, 200, status_reply);
	r = run_kedge("status", "--output", "json", "--server", server, NULL);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.out, want);
	free(want);
	run_release(&r);
}
END_TEST

START_TEST(status_before_the_first_reconcile)
{
	struct run r;

	stub_add(stub, 200,
	         "{\"version\":\"0.2.0\",\"repo\":\"/srv/desired\","
	         "\"ref\":\"main\",\"revision\":null,\"ready\":false,"
	         "\"reconciling\":true,\"events\":false,"
	         "\"last_reconcile\":null,"
	         "\"stacks\":[],\"pending_approvals\":[]}");
	r = run_kedge("status", "--server", server, NULL);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.out, "kedge daemon 0.2.0\n"
	                        "repo: /srv/desired\n"
	                        "ref: main\n"
	                        "revision: none fetched yet\n"
	                        "ready: no (reconciling now)\n"
	                        "event stream: not connected (drift waits "
	                        "for the next interval)\n"
	                        "last reconcile: none yet\n"
	                        "\n"
	                        "no stacks\n");
	run_release(&r);
}
END_TEST

/* A port that nothing listens on: bound, then closed. */
static int dead_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

START_TEST(unreachable_daemon_is_exit_2_with_its_address)
{
	static const char *const cmds[] = {"status", "history", "reconcile"};
	char *url = xasprintf("http://127.0.0.1:%d", dead_port());
	char *want =
	        xasprintf("error: cannot reach the kedge daemon at %s: ", url);

	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		struct run r = run_kedge(cmds[i], "--server", url, NULL);

		ck_assert_int_eq(r.rc, 2);
		ck_assert_str_eq(r.out, "");
		ck_assert_msg(starts_with(r.err, want), "%s: %s", cmds[i],
		              r.err);
		ck_assert(ends_with(r.err, "\n"));
		run_release(&r);
	}
	free(want);
	free(url);
}
END_TEST

START_TEST(server_credentials_never_reach_a_message)
{
	char *url = xasprintf("http://admin:hunter2@127.0.0.1:%d", dead_port());
	struct run r = run_kedge("status", "--server", url, NULL);

	ck_assert_int_eq(r.rc, 2);
	ck_assert_ptr_null(strstr(r.err, "hunter2"));
	ck_assert_ptr_nonnull(
	        strstr(r.err, "the kedge daemon at http://admin@"));
	run_release(&r);
	free(url);
}
END_TEST

START_TEST(daemon_errors_are_exit_2_with_its_text)
{
	struct run r;

	stub_add(stub, 500, "{\"error\":\"cannot read the store\"}");
	r = run_kedge("status", "--server", server, NULL);
	ck_assert_int_eq(r.rc, 2);
	{
		char *want = xasprintf("error: the kedge daemon at %s failed "
		                       "(HTTP 500): cannot read the store\n",
		                       server);

		ck_assert_str_eq(r.err, want);
		free(want);
	}
	run_release(&r);
	/* not JSON at all */
	stub_add(stub, 200, "<html>hello</html>");
	r = run_kedge("history", "--server", server, NULL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_ptr_nonnull(
	        strstr(r.err, "answered GET /api/v1/history with something "
	                      "that is not a JSON object"));
	run_release(&r);
}
END_TEST

START_TEST(timeout_bounds_a_daemon_that_never_answers)
{
	struct stub_reply hang = {.hang = 1};
	struct run r;
	char *want;

	stub_add_reply(stub, hang);
	r = run_kedge("status", "--timeout", "300ms", "--server", server, NULL);
	ck_assert_int_eq(r.rc, 2);
	want = xasprintf("error: the kedge daemon at %s did not answer GET "
	                 "/api/v1/status in time: ",
	                 server);
	ck_assert_msg(starts_with(r.err, want), "%s", r.err);
	free(want);
	run_release(&r);
}
END_TEST

static const char history_reply[] =
        "{\"reconciles\":["
        "{\"id\":14,\"trigger\":\"webhook:github\",\"state\":\"queued\","
        "\"revision\":null,\"queued\":\"2026-12-02T01:11:00Z\","
        "\"started\":null,\"finished\":null,\"result\":null,"
        "\"exit_code\":null,\"error\":null,\"summary\":null,\"actions\":[]},"
        "{\"id\":13,\"trigger\":\"api\",\"state\":\"done\","
        "\"revision\":\"aaaaaaaaaaaaaaaa\",\"queued\":\"2026-12-02T01:10:00Z\","
        "\"started\":\"2026-12-02T01:10:01Z\","
        "\"finished\":\"2026-12-02T01:10:09Z\",\"result\":\"failed\","
        "\"exit_code\":2,\"error\":\"stack db: service db_pg did not "
        "converge\",\"summary\":null,\"actions\":["
        "{\"stack\":\"web\",\"op\":\"update\",\"kind\":\"service\","
        "\"name\":\"web_api\",\"outcome\":\"applied\",\"error\":null},"
        "{\"stack\":\"db\",\"op\":\"create\",\"kind\":\"service\","
        "\"name\":\"db_pg\",\"outcome\":\"failed\","
        "\"error\":\"no suitable node\"}]},"
        "{\"id\":12,\"trigger\":\"interval\",\"state\":\"done\","
        "\"revision\":\"bbbbbbbbbbbbbbbb\",\"queued\":\"2026-12-02T01:02:00Z\","
        "\"started\":\"2026-12-02T01:02:03Z\","
        "\"finished\":\"2026-12-02T01:02:04Z\",\"result\":\"noop\","
        "\"exit_code\":0,\"error\":null,\"summary\":null,\"actions\":[]}],"
        "\"drift\":[{\"id\":5,\"reconcile\":13,\"stack\":\"web\","
        "\"kind\":\"service\",\"object\":\"web_api\","
        "\"fields\":[\"Mode.Replicated.Replicas\","
        "\"TaskTemplate.ContainerSpec.Image\"],\"action\":\"repaired\","
        "\"time\":\"2026-12-02T01:09:58Z\"}]}";

START_TEST(history_prints_reconciles_actions_and_drift)
{
	struct run r;

	stub_add(stub, 200, history_reply);
	r = run_kedge("history", "--server", server, "--stack", "web app",
	              "--limit", "5", NULL);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.err, "");
	ck_assert_str_eq(
	        r.out,
	        "ID  TRIGGER         REVISION      STARTED               "
	        "RESULT\n"
	        "14  webhook:github  -             -                     "
	        "queued\n"
	        "13  api             aaaaaaaaaaaa  2026-12-02T01:10:01Z  "
	        "failed\n"
	        "    error: stack db: service db_pg did not converge\n"
	        "    web: update service web_api: applied\n"
	        "    db: create service db_pg: failed: no suitable node\n"
	        "12  interval        bbbbbbbbbbbb  2026-12-02T01:02:03Z  "
	        "noop\n"
	        "\n"
	        "drift:\n"
	        "TIME                  STACK  KIND     OBJECT   FIELDS"
	        "                                                     ACTION\n"
	        "2026-12-02T01:09:58Z  web    service  web_api  "
	        "Mode.Replicated.Replicas,TaskTemplate.ContainerSpec.Image  "
	        "repaired\n");
	/* the stack name is escaped into the query */
	ck_assert_str_eq(stub_req(stub, 0).line,
	                 "GET /api/v1/history?stack=web%20app&limit=5 "
	                 "HTTP/1.1");
	run_release(&r);
}
END_TEST

START_TEST(history_json_is_the_daemons_reply)
{
	struct run r;
	char *want = xasprintf("%s\n", history_reply);

	stub_add(stub, 200, history_reply);
	r = run_kedge("history", "--output", "json", "--server", server, NULL);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.out, want);
	ck_assert_str_eq(stub_req(stub, 0).line,
	                 "GET /api/v1/history HTTP/1.1");
	free(want);
	run_release(&r);
}
END_TEST

START_TEST(reconcile_sends_the_token_and_never_prints_it)
{
	struct run r;

	stub_add(stub, 202, "{\"id\":7,\"state\":\"queued\"}");
	r = run_kedge("reconcile", "--server", server, "--api-token-file",
	              token_file, NULL);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.out, "reconcile 7 queued\n");
	ck_assert_str_eq(r.err, "");
	ck_assert_str_eq(stub_req(stub, 0).line,
	                 "POST /api/v1/reconcile HTTP/1.1");
	/* the whole token, trailing whitespace stripped */
	ck_assert_ptr_nonnull(strstr(stub_req(stub, 0).head,
	                             "\r\nAuthorization: Bearer " TOKEN
	                             "\r\n"));
	run_release(&r);
}
END_TEST

START_TEST(token_file_comes_from_the_environment)
{
	struct run r;

	stub_add(stub, 202, "{\"id\":8,\"state\":\"queued\"}");
	setenv("KEDGE_API_TOKEN_FILE", token_file, 1);
	setenv("KEDGE_SERVER", server, 1);
	r = run_kedge("reconcile", NULL);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.out, "reconcile 8 queued\n");
	ck_assert_ptr_nonnull(strstr(stub_req(stub, 0).head,
	                             "Authorization: Bearer " TOKEN "\r\n"));
	run_release(&r);
}
END_TEST

static const char running[] =
        "{\"id\":7,\"trigger\":\"api\",\"state\":\"running\","
        "\"revision\":\"cccccccccccccccc\",\"queued\":\"2026-12-02T01:20:00Z\","
        "\"started\":\"2026-12-02T01:20:00Z\",\"finished\":null,"
        "\"result\":null,\"exit_code\":null,\"error\":null,\"summary\":null,"
        "\"actions\":[]}";

START_TEST(reconcile_wait_exits_with_the_reconciles_code)
{
	struct run r;

	stub_add(stub, 202, "{\"id\":7,\"state\":\"queued\"}");
	stub_add(stub, 200, running);
	stub_add(stub, 200,
	         "{\"id\":7,\"trigger\":\"api\",\"state\":\"done\","
	         "\"revision\":\"cccccccccccccccc\","
	         "\"queued\":\"2026-12-02T01:20:00Z\","
	         "\"started\":\"2026-12-02T01:20:00Z\","
	         "\"finished\":\"2026-12-02T01:21:00Z\","
	         "\"result\":\"not-converged\",\"exit_code\":3,"
	         "\"error\":\"service web_api: 1 of 2 tasks running\","
	         "\"summary\":{\"create\":0,\"update\":1,\"stalled\":{},"
	         "\"suspended\":0},"
	         "\"actions\":[{\"stack\":\"web\",\"op\":\"update\","
	         "\"kind\":\"service\",\"name\":\"web_api\","
	         "\"outcome\":\"not-converged\",\"error\":null}]}");
	r = run_kedge("reconcile", "--wait", "--server", server,
	              "--api-token-file", token_file, NULL);
	ck_assert_int_eq(r.rc, 3);
	ck_assert_str_eq(r.out,
	                 "reconcile 7 queued\n"
	                 "reconcile 7 (api) at cccccccccccc: not-converged "
	                 "(exit 3): service web_api: 1 of 2 tasks running\n"
	                 "  summary: create=0 update=1 suspended=0\n"
	                 "  web: update service web_api: not-converged\n");
	ck_assert_int_eq(stub_nreqs(stub), 3);
	ck_assert_str_eq(stub_req(stub, 1).line,
	                 "GET /api/v1/reconciles/7 HTTP/1.1");
	ck_assert_str_eq(stub_req(stub, 2).line,
	                 "GET /api/v1/reconciles/7 HTTP/1.1");
	/* the token goes with the POST only */
	ck_assert(has_auth(0));
	ck_assert(!has_auth(1));
	ck_assert(!has_auth(2));
	ck_assert_ptr_null(strstr(r.out, TOKEN));
	ck_assert_ptr_null(strstr(r.err, TOKEN));
	run_release(&r);
}
END_TEST

START_TEST(reconcile_wait_without_an_exit_code_is_2)
{
	struct run r;

	stub_add(stub, 202, "{\"id\":7,\"state\":\"queued\"}");
	stub_add(stub, 200,
	         "{\"id\":7,\"trigger\":\"api\",\"state\":\"done\","
	         "\"revision\":null,\"result\":\"interrupted\","
	         "\"exit_code\":null,\"error\":\"kedge run was stopped\","
	         "\"actions\":[]}");
	r = run_kedge("reconcile", "--wait", "--server", server, NULL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_str_eq(r.out, "reconcile 7 queued\n"
	                        "reconcile 7 (api): interrupted: kedge run "
	                        "was stopped\n");
	run_release(&r);
}
END_TEST

START_TEST(reconcile_wait_is_bounded_by_wait_timeout)
{
	struct run r;

	stub_add(stub, 202, "{\"id\":7,\"state\":\"queued\"}");
	for (int i = 0; i < 8; i++)
		stub_add(stub, 200, running);
	r = run_kedge("reconcile", "--wait", "--wait-timeout", "300ms",
	              "--server", server, NULL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_str_eq(r.out, "reconcile 7 queued\n");
	ck_assert_str_eq(r.err, "error: reconcile 7 did not finish within "
	                        "300ms (--wait-timeout)\n");
	/* polled every 200 ms, not in a busy loop */
	ck_assert_int_le(stub_nreqs(stub), 4);
	run_release(&r);
}
END_TEST

START_TEST(unauthorized_says_so_with_a_hint)
{
	struct run r;

	stub_add(stub, 401, "{\"error\":\"missing or wrong API token\"}");
	r = run_kedge("reconcile", "--server", server, NULL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, "error: missing or wrong API token\n"
	                        "hint: give the daemon's API token with "
	                        "--api-token-file FILE (or "
	                        "$KEDGE_API_TOKEN_FILE)\n");
	/* no token file: no Authorization header at all */
	ck_assert(!has_auth(0));
	run_release(&r);
}
END_TEST

START_TEST(a_refused_token_gets_no_hint_and_is_not_printed)
{
	struct run r;

	stub_add(stub, 401, "{\"error\":\"the bearer token is not valid\"}");
	r = run_kedge("approve", "3f2a9c1b", "--server", server,
	              "--api-token-file", token_file, NULL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, "error: the bearer token is not valid\n");
	ck_assert(has_auth(0));
	run_release(&r);
}
END_TEST

START_TEST(suspend_and_resume_a_stack)
{
	struct run r;

	stub_add(stub, 200, "{\"stack\":\"web\",\"suspended\":true}");
	stub_add(stub, 200, "{\"stack\":\"web\",\"suspended\":false}");
	r = run_kedge("suspend", "web", "--server", server, "--api-token-file",
	              token_file, NULL);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.out, "stack web suspended\n");
	run_release(&r);
	r = run_kedge("resume", "--server", server, "--api-token-file",
	              token_file, "web", NULL);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.out, "stack web resumed\n");
	run_release(&r);
	ck_assert_str_eq(stub_req(stub, 0).line,
	                 "POST /api/v1/stacks/web/suspend HTTP/1.1");
	ck_assert_str_eq(stub_req(stub, 1).line,
	                 "POST /api/v1/stacks/web/resume HTTP/1.1");
	ck_assert(has_auth(0));
	ck_assert(has_auth(1));
}
END_TEST

START_TEST(suspend_unknown_stack_is_exit_2_with_the_daemons_text)
{
	struct run r;

	stub_add(stub, 404,
	         "{\"error\":\"no stack 'x/y' in the desired state\"}");
	r = run_kedge("suspend", "--server", server, "x/y", NULL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, "error: no stack 'x/y' in the desired state\n");
	/* the name is one path segment */
	ck_assert_str_eq(stub_req(stub, 0).line,
	                 "POST /api/v1/stacks/x%2Fy/suspend HTTP/1.1");
	run_release(&r);
}
END_TEST

START_TEST(approve_a_plan_and_wait)
{
	struct run r;

	stub_add(stub, 202,
	         "{\"id\":\"3f2a9c1b\",\"state\":\"approved\","
	         "\"reconcile\":9}");
	stub_add(stub, 200,
	         "{\"id\":9,\"trigger\":\"approve\",\"state\":\"done\","
	         "\"revision\":\"dddddddddddddddd\",\"result\":\"ok\","
	         "\"exit_code\":0,\"error\":null,\"summary\":{\"remove\":1,"
	         "\"stalled\":{\"db\":\"x\",\"cache\":\"y\"}},"
	         "\"actions\":[{\"stack\":"
	         "\"web\",\"op\":\"remove\",\"kind\":\"service\",\"name\":"
	         "\"web_old\",\"outcome\":\"applied\",\"error\":null}]}");
	/* the plan id before the options, as the usage line shows it */
	r = run_kedge("approve", "3f2a9c1b", "--wait", "--server", server,
	              "--api-token-file", token_file, NULL);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.out, "plan 3f2a9c1b approved; reconcile 9 queued\n"
	                        "reconcile 9 (approve) at dddddddddddd: ok "
	                        "(exit 0)\n"
	                        "  summary: remove=1 stalled=db,cache\n"
	                        "  web: remove service web_old: applied\n");
	ck_assert_str_eq(stub_req(stub, 0).line,
	                 "POST /api/v1/plans/3f2a9c1b/approve HTTP/1.1");
	ck_assert(has_auth(0));
	ck_assert_str_eq(stub_req(stub, 1).line,
	                 "GET /api/v1/reconciles/9 HTTP/1.1");
	ck_assert(!has_auth(1));
	run_release(&r);
}
END_TEST

START_TEST(approve_refusals_are_exit_2)
{
	struct run r;

	stub_add(stub, 409,
	         "{\"error\":\"plan 3f2a9c1b was superseded by a newer "
	         "commit\"}");
	stub_add(stub, 404, "{\"error\":\"no plan 'ffff'\"}");
	r = run_kedge("approve", "--server", server, "3f2a9c1b", NULL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_str_eq(r.err, "error: plan 3f2a9c1b was superseded by a "
	                        "newer commit\n");
	run_release(&r);
	r = run_kedge("approve", "--server", server, "ffff", NULL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_str_eq(r.err, "error: no plan 'ffff'\n");
	run_release(&r);
}
END_TEST

START_TEST(a_reply_cannot_drive_the_terminal)
{
	struct run r;

	stub_add(stub, 404, "{\"error\":\"no stack '\\u001b[2Jx'\"}");
	r = run_kedge("suspend", "--server", server, "x", NULL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_str_eq(r.err, "error: no stack '?[2Jx'\n");
	run_release(&r);
}
END_TEST

START_TEST(bad_options_are_exit_2_with_usage)
{
	static const struct {
		const char *cmd, *a1, *a2, *msg;
	} cases[] = {
	        {"history", "--limit", "0",
	         "error: --limit must be a whole number from 1 to 1000000, "
	         "not '0'\n"},
	        {"status", "--output", "yaml",
	         "error: --output must be 'text' or 'json', not 'yaml'\n"},
	        {"status", "--server", "unix:///run/kedge.sock",
	         "error: --server must be an http:// or https:// URL, not "
	         "'unix:///run/kedge.sock'\n"},
	        {"reconcile", "--timeout", "soon",
	         "error: --timeout must be seconds or a duration like 30s, "
	         "between 1ms and 24h, not 'soon'\n"},
	        {"suspend", "--timeout", "5s", "error: missing STACK\n"},
	        {"approve", "--wait", NULL, "error: missing PLAN-ID\n"},
	        {"resume", "a", "b", "error: unexpected argument 'b'\n"},
	        {"status", "--wait", NULL,
	         "error: unknown option or missing value: '--wait'\n"},
	        {"reconcile", "--api-token-file", "/nonexistent/token",
	         "error: cannot read API token file '/nonexistent/token': "},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct run r =
		        run_kedge(cases[i].cmd, cases[i].a1, cases[i].a2, NULL);

		ck_assert_int_eq(r.rc, 2);
		ck_assert_msg(starts_with(r.err, cases[i].msg), "%s: %s",
		              cases[i].cmd, r.err);
		run_release(&r);
	}
	ck_assert_int_eq(stub_nreqs(stub), 0);
}
END_TEST

START_TEST(help_lists_every_flag)
{
	static const struct {
		const char *cmd;
		const char *flags[8];
	} cases[] = {
	        {"status",
	         {"--server", "--api-token-file", "--timeout", "--output"}},
	        {"history",
	         {"--server", "--api-token-file", "--timeout", "--output",
	          "--stack", "--limit"}},
	        {"reconcile",
	         {"--server", "--api-token-file", "--timeout", "--wait",
	          "--wait-timeout"}},
	        {"suspend", {"--server", "--api-token-file", "--timeout"}},
	        {"resume", {"--server", "--api-token-file", "--timeout"}},
	        {"approve",
	         {"--server", "--api-token-file", "--timeout", "--wait",
	          "--wait-timeout"}},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct run r = run_kedge(cases[i].cmd, "--help", NULL);
		char *usage = xasprintf("usage: kedge %s ", cases[i].cmd);

		ck_assert_int_eq(r.rc, 0);
		ck_assert(starts_with(r.out, usage));
		for (size_t j = 0; cases[i].flags[j]; j++) {
			char *line = xasprintf("\n    %s ", cases[i].flags[j]);

			ck_assert_msg(strstr(r.out, line), "%s: no %s",
			              cases[i].cmd, cases[i].flags[j]);
			free(line);
		}
		free(usage);
		run_release(&r);
	}
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("client");
	TCase *tc = tcase_create("client");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, status_prints_header_stacks_and_approvals);
	tcase_add_test(tc, status_names_the_server_in_the_approve_hint);
	tcase_add_test(tc, status_json_is_the_daemons_reply);
	tcase_add_test(tc, status_before_the_first_reconcile);
	tcase_add_test(tc, unreachable_daemon_is_exit_2_with_its_address);
	tcase_add_test(tc, server_credentials_never_reach_a_message);
	tcase_add_test(tc, daemon_errors_are_exit_2_with_its_text);
	tcase_add_test(tc, timeout_bounds_a_daemon_that_never_answers);
	tcase_add_test(tc, history_prints_reconciles_actions_and_drift);
	tcase_add_test(tc, history_json_is_the_daemons_reply);
	tcase_add_test(tc, reconcile_sends_the_token_and_never_prints_it);
	tcase_add_test(tc, token_file_comes_from_the_environment);
	tcase_add_test(tc, reconcile_wait_exits_with_the_reconciles_code);
	tcase_add_test(tc, reconcile_wait_without_an_exit_code_is_2);
	tcase_add_test(tc, reconcile_wait_is_bounded_by_wait_timeout);
	tcase_add_test(tc, unauthorized_says_so_with_a_hint);
	tcase_add_test(tc, a_refused_token_gets_no_hint_and_is_not_printed);
	tcase_add_test(tc, suspend_and_resume_a_stack);
	tcase_add_test(tc,
	               suspend_unknown_stack_is_exit_2_with_the_daemons_text);
	tcase_add_test(tc, approve_a_plan_and_wait);
	tcase_add_test(tc, approve_refusals_are_exit_2);
	tcase_add_test(tc, a_reply_cannot_drive_the_terminal);
	tcase_add_test(tc, bad_options_are_exit_2_with_usage);
	tcase_add_test(tc, help_lists_every_flag);
	suite_add_tcase(s, tc);
	return s;
}
