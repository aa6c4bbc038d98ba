/*
 * test-http.c: the HTTP client against a loopback stub server: what goes
 * on the wire, keep-alive reuse, the body cap, refused connections and
 * a server that never answers.
 *
 * The stub (everything above "The tests") is a tiny blocking HTTP/1.1
 * server in a thread, on a unix socket or 127.0.0.1, that replays canned
 * replies in order and records each request. test-docker.c includes this
 * file with KEDGE_STUB_ONLY defined to reuse it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "unit.h"

#include "buf.h"
#include "err.h"
#include "http.h"

#define STUB_MAX 16

struct stub_reply {
	int status;
	const char *body;
	size_t big;    /* when not 0: a body of this many 'x' */
	int no_length; /* no Content-Length: the body ends at close */
	int hang;      /* read the request, never answer */
	/*
	 * A stream: when chunks is not NULL, the reply is chunked; each
	 * chunk is sent after chunk_ms, then big 'x's (when big is set) as
	 * one more chunk, then the stream ends as stream_end says.
	 */
	const char *const *chunks; /* NULL-terminated */
	int chunk_ms;
	enum { STREAM_END, STREAM_HANG, STREAM_BREAK } stream_end;
};

struct stub_request {
	char *line; /* "GET /path HTTP/1.1" */
	char *head; /* the header lines */
	char *body;
};

struct stub {
	char dir[64];
	char path[128]; /* the unix socket, "" for TCP */
	int port;       /* the TCP port, 0 for a unix socket */
	int lfd;
	pthread_t thread;
	volatile int stop;
	pthread_mutex_t mu;
	struct stub_reply replies[STUB_MAX];
	int nreplies, next;
	struct stub_request reqs[STUB_MAX];
	int nreqs;
	int conns;
};

static void stub_listen_unix(struct stub *s)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	snprintf(s->dir, sizeof(s->dir), "/tmp/kedge-stub-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/d.sock", s->dir);
	memcpy(a.sun_path, s->path, strlen(s->path) + 1);
	s->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(s->lfd, 0);
	ck_assert_int_eq(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
}

static void stub_listen_tcp(struct stub *s)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s->lfd, 0);
	ck_assert_int_eq(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(s->lfd, (struct sockaddr *)&a, &len), 0);
	s->port = ntohs(a.sin_port);
}

/* Waits up to 50 ms for fd to be readable: 1 readable, 0 not yet. */
static int stub_wait(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 50) > 0;
}

/* Reads one request from fd into r; 0 on success, -1 when fd closed. */
static int stub_read(struct stub *s, int fd, struct stub_request *r)
{
	struct buf b = BUF_INIT;
	char chunk[4096], *end = NULL, *cl;
	size_t head_len = 0, want = 0;
	ssize_t n;

	while (!s->stop && (!end || b.len < head_len + want)) {
		if (!stub_wait(fd))
			continue;
		n = read(fd, chunk, sizeof(chunk));
		if (n <= 0)
			break;
		ck_assert_int_eq(buf_add(&b, chunk, (size_t)n), 0);
		if (end || !(end = strstr(b.ptr, "\r\n\r\n")))
			continue;
		head_len = (size_t)(end - b.ptr) + 4;
		cl = strcasestr(b.ptr, "\r\nContent-Length:");
		want = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
	}
	if (!end || b.len < head_len + want) {
		buf_release(&b);
		return -1;
	}
	r->line = xstrndup(b.ptr, strcspn(b.ptr, "\r"));
	r->head = xstrndup(b.ptr, head_len);
	r->body = xstrndup(b.ptr + head_len, want);
	buf_release(&b);
	return 0;
}

static void stub_send(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n <= 0)
			return; /* the client gave up: fine */
		data += n;
		len -= (size_t)n;
	}
}

/* Sends r; returns 1 when the connection must be closed afterwards. */
static int stub_reply_send(int fd, const struct stub_reply *r)
{
	size_t len = r->big ? r->big : strlen(r->body ? r->body : "");
	char *body = r->big ? xmalloc(len) : xstrdup(r->body ? r->body : "");
	char *head;

	if (r->big)
		memset(body, 'x', len);
	if (r->no_length)
		head = xasprintf(
		        "HTTP/1.1 %d Stub\r\nContent-Type: "
		        "application/json\r\nConnection: close\r\n\r\n",
		        r->status);
	else
		head = xasprintf(
		        "HTTP/1.1 %d Stub\r\nContent-Type: "
		        "application/json\r\nContent-Length: %zu\r\n\r\n",
		        r->status, len);
	stub_send(fd, head, strlen(head));
	stub_send(fd, body, len);
	free(head);
	free(body);
	return r->no_length;
}

static void stub_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static void stub_chunk(int fd, const char *data, size_t len)
{
	char *head = xasprintf("%zx\r\n", len);

	stub_send(fd, head, strlen(head));
	stub_send(fd, data, len);
	stub_send(fd, "\r\n", 2);
	free(head);
}

/* Sends a stream reply (see struct stub_reply); the caller closes fd. */
static void stub_stream_send(struct stub *s, int fd, const struct stub_reply *r)
{
	char *head = xasprintf("HTTP/1.1 %d Stub\r\nContent-Type: "
	                       "application/json\r\nTransfer-Encoding: "
	                       "chunked\r\n\r\n",
	                       r->status);
	const char *const *c;
	char ch;

	stub_send(fd, head, strlen(head));
	free(head);
	for (c = r->chunks; *c && !s->stop; c++) {
		stub_sleep_ms(r->chunk_ms);
		stub_chunk(fd, *c, strlen(*c));
	}
	if (r->big) {
		char *x = xmalloc(r->big);

		memset(x, 'x', r->big);
		stub_chunk(fd, x, r->big);
		free(x);
	}
	if (r->stream_end == STREAM_END)
		stub_send(fd, "0\r\n\r\n", 5);
	while (r->stream_end == STREAM_HANG && !s->stop)
		if (stub_wait(fd) && read(fd, &ch, 1) <= 0)
			return;
}

static void stub_conn(struct stub *s, int fd)
{
	static const struct stub_reply none = {
	        .status = 500,
	        .body = "{\"message\":\"stub: no reply scripted\"}"};
	struct stub_request r;
	struct stub_reply rep;
	char c;

	while (!s->stop && stub_read(s, fd, &r) == 0) {
		pthread_mutex_lock(&s->mu);
		if (s->nreqs < STUB_MAX)
			s->reqs[s->nreqs++] = r;
		else
			BUG("stub: more than %d requests", STUB_MAX);
		rep = s->next < s->nreplies ? s->replies[s->next++] : none;
		pthread_mutex_unlock(&s->mu);
		if (rep.hang) {
			while (!s->stop)
				if (stub_wait(fd) && read(fd, &c, 1) <= 0)
					return;
			return;
		}
		if (rep.chunks) {
			stub_stream_send(s, fd, &rep);
			return;
		}
		if (stub_reply_send(fd, &rep))
			return;
	}
}

static void *stub_serve(void *arg)
{
	struct stub *s = arg;

	while (!s->stop) {
		int fd;

		if (!stub_wait(s->lfd))
			continue;
		fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		pthread_mutex_lock(&s->mu);
		s->conns++;
		pthread_mutex_unlock(&s->mu);
		stub_conn(s, fd);
		close(fd);
	}
	return NULL;
}

/* Starts a stub on a unix socket (tcp 0) or on 127.0.0.1 (tcp 1). */
static struct stub *stub_start(int tcp)
{
	struct stub *s = xcalloc(1, sizeof(*s));

	pthread_mutex_init(&s->mu, NULL);
	if (tcp)
		stub_listen_tcp(s);
	else
		stub_listen_unix(s);
	ck_assert_int_eq(listen(s->lfd, 8), 0);
	ck_assert_int_eq(pthread_create(&s->thread, NULL, stub_serve, s), 0);
	return s;
}

/* Queues a reply; replies are sent in the order they were queued. */
static void stub_add(struct stub *s, int status, const char *body)
{
	pthread_mutex_lock(&s->mu);
	ck_assert_int_lt(s->nreplies, STUB_MAX);
	s->replies[s->nreplies++] = (struct stub_reply){.status = status,
	                                                .body = body,
	                                                .big = 0,
	                                                .no_length = 0,
	                                                .hang = 0};
	pthread_mutex_unlock(&s->mu);
}

static void stub_add_reply(struct stub *s, struct stub_reply r)
{
	pthread_mutex_lock(&s->mu);
	ck_assert_int_lt(s->nreplies, STUB_MAX);
	s->replies[s->nreplies++] = r;
	pthread_mutex_unlock(&s->mu);
}

/* The i-th request received (copied out under the lock). */
static struct stub_request stub_req(struct stub *s, int i)
{
	struct stub_request r;

	pthread_mutex_lock(&s->mu);
	ck_assert_int_lt(i, s->nreqs);
	r = s->reqs[i];
	pthread_mutex_unlock(&s->mu);
	return r;
}

static int stub_nreqs(struct stub *s)
{
	int n;

	pthread_mutex_lock(&s->mu);
	n = s->nreqs;
	pthread_mutex_unlock(&s->mu);
	return n;
}

static void stub_stop(struct stub *s)
{
	int i;

	s->stop = 1;
	pthread_join(s->thread, NULL);
	close(s->lfd);
	if (s->path[0]) {
		unlink(s->path);
		rmdir(s->dir);
	}
	for (i = 0; i < s->nreqs; i++) {
		free(s->reqs[i].line);
		free(s->reqs[i].head);
		free(s->reqs[i].body);
	}
	pthread_mutex_destroy(&s->mu);
	free(s);
}

#ifndef KEDGE_STUB_ONLY
/* ---- The tests ------------------------------------------------------- */

static struct stub *stub;
static struct http *client;

static struct http *open_client(const struct stub *s, long timeout_ms,
                                size_t max_body)
{
	struct http_opts o = {0};
	struct http *h = NULL;
	struct err err;
	char *url = s->port ? xasprintf("http://127.0.0.1:%d", s->port)
	                    : xstrdup("http://localhost");

	o.base_url = url;
	o.unix_socket = s->port ? NULL : s->path;
	o.timeout_ms = timeout_ms;
	o.max_body = max_body;
	o.name = "the stub";
	ck_assert_int_eq(http_open(&h, &o, &err), 0);
	free(url);
	return h;
}

static void setup(void)
{
	stub = stub_start(0);
	client = open_client(stub, 10000, 0);
}

static void teardown(void)
{
	http_free(client);
	stub_stop(stub);
}

START_TEST(get_sends_path_and_returns_body)
{
	struct http_response r;
	struct err err;

	stub_add(stub, 200, "{\"ok\":true}");
	ck_assert_int_eq(http_request(&r, client, "GET", "/v1.41/info?x=1",
	                              NULL, NULL, 0, &err),
	                 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(buf_cstr(&r.body), "{\"ok\":true}");
	ck_assert_str_eq(stub_req(stub, 0).line,
	                 "GET /v1.41/info?x=1 HTTP/1.1");
	ck_assert_str_eq(stub_req(stub, 0).body, "");
	http_response_release(&r);
}
END_TEST

START_TEST(post_sends_body_and_content_type)
{
	struct http_response r;
	struct err err;
	struct stub_request q;
	char big[3000];

	/* Larger than 1 KiB, where curl would otherwise send Expect. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	stub_add(stub, 201, "{\"ID\":\"x\"}");
	ck_assert_int_eq(http_request(&r, client, "POST", "/c",
	                              "application/json", big, strlen(big),
	                              &err),
	                 0);
	ck_assert_int_eq(r.status, 201);
	q = stub_req(stub, 0);
	ck_assert_str_eq(q.line, "POST /c HTTP/1.1");
	ck_assert_ptr_nonnull(
	        strstr(q.head, "Content-Type: application/json\r\n"));
	ck_assert_ptr_null(strcasestr(q.head, "Expect:"));
	ck_assert_str_eq(q.body, big);
	http_response_release(&r);
}
END_TEST

START_TEST(methods_reuse_one_connection)
{
	struct http_response r;
	struct err err;

	stub_add(stub, 200, "[]");
	stub_add(stub, 200, "");
	stub_add(stub, 200, "[]");
	ck_assert_int_eq(http_request(&r, client, "POST", "/a",
	                              "application/json", "{}", 2, &err),
	                 0);
	http_response_release(&r);
	ck_assert_int_eq(
	        http_request(&r, client, "DELETE", "/b", NULL, NULL, 0, &err),
	        0);
	http_response_release(&r);
	ck_assert_int_eq(
	        http_request(&r, client, "GET", "/c", NULL, NULL, 0, &err), 0);
	http_response_release(&r);
	ck_assert_str_eq(stub_req(stub, 0).line, "POST /a HTTP/1.1");
	ck_assert_str_eq(stub_req(stub, 1).line, "DELETE /b HTTP/1.1");
	ck_assert_str_eq(stub_req(stub, 1).body, "");
	/* A GET after a POST must not carry the POST's body. */
	ck_assert_str_eq(stub_req(stub, 2).line, "GET /c HTTP/1.1");
	ck_assert_str_eq(stub_req(stub, 2).body, "");
	ck_assert_int_eq(stub->conns, 1);
	ck_assert_uint_eq(http_requests_made(client), 3);
}
END_TEST

START_TEST(error_status_is_not_a_transport_error)
{
	struct http_response r;
	struct err err;

	stub_add(stub, 404, "{\"message\":\"gone\"}");
	ck_assert_int_eq(
	        http_request(&r, client, "GET", "/x", NULL, NULL, 0, &err), 0);
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(buf_cstr(&r.body), "{\"message\":\"gone\"}");
	http_response_release(&r);
}
END_TEST

static void expect_toobig(struct stub_reply rep)
{
	struct http *small = open_client(stub, 10000, 1000);
	struct http_response r;
	struct err err;

	stub_add_reply(stub, rep);
	ck_assert_int_eq(http_request(&r, small, "GET", "/services", NULL, NULL,
	                              0, &err),
	                 ERR_TOOBIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "larger than 1000 bytes"));
	ck_assert_ptr_nonnull(strstr(err.msg, "GET /services"));
	http_free(small);
}

START_TEST(reply_over_cap_with_length_is_toobig)
{
	expect_toobig((struct stub_reply){.status = 200,
	                                  .body = NULL,
	                                  .big = 1001,
	                                  .no_length = 0,
	                                  .hang = 0});
}
END_TEST

START_TEST(reply_over_cap_without_length_is_toobig)
{
	expect_toobig((struct stub_reply){.status = 200,
	                                  .body = NULL,
	                                  .big = 200000,
	                                  .no_length = 1,
	                                  .hang = 0});
}
END_TEST

START_TEST(reply_at_cap_is_accepted)
{
	struct http *small = open_client(stub, 10000, 1000);
	struct http_response r;
	struct err err;

	stub_add_reply(stub, (struct stub_reply){.status = 200,
	                                         .body = NULL,
	                                         .big = 1000,
	                                         .no_length = 1,
	                                         .hang = 0});
	ck_assert_int_eq(
	        http_request(&r, small, "GET", "/s", NULL, NULL, 0, &err), 0);
	ck_assert_uint_eq(r.body.len, 1000);
	http_response_release(&r);
	http_free(small);
}
END_TEST

START_TEST(missing_socket_cannot_connect)
{
	struct http_opts o = {.base_url = "http://localhost",
	                      .unix_socket = "/nonexistent/kedge/docker.sock",
	                      .name = "the Docker daemon at "
	                              "unix:///nonexistent/kedge/docker.sock"};
	struct http *h;
	struct http_response r;
	struct err err;

	ck_assert_int_eq(http_open(&h, &o, &err), 0);
	ck_assert_int_eq(
	        http_request(&r, h, "GET", "/v1.41/info", NULL, NULL, 0, &err),
	        ERR_REMOTE);
	ck_assert_ptr_nonnull(
	        strstr(err.msg, "cannot connect to the Docker daemon at "
	                        "unix:///nonexistent/kedge/docker.sock: "));
	ck_assert_uint_eq(http_requests_made(h), 1);
	http_free(h);
}
END_TEST

START_TEST(closed_tcp_port_cannot_connect)
{
	struct stub *t = stub_start(1);
	char *url = xasprintf("http://127.0.0.1:%d", t->port);
	struct http_opts o = {.base_url = url};
	struct http *h;
	struct http_response r;
	struct err err;

	stub_stop(t); /* the port is closed now */
	ck_assert_int_eq(http_open(&h, &o, &err), 0);
	ck_assert_int_eq(http_request(&r, h, "GET", "/", NULL, NULL, 0, &err),
	                 ERR_REMOTE);
	ck_assert_ptr_nonnull(
	        strstr(err.msg, "cannot connect to http://127.0.0.1:"));
	http_free(h);
	free(url);
}
END_TEST

START_TEST(tcp_server_is_reached)
{
	struct stub *t = stub_start(1);
	struct http *h = open_client(t, 10000, 0);
	struct http_response r;
	struct err err;

	stub_add(t, 200, "{}");
	ck_assert_int_eq(
	        http_request(&r, h, "GET", "/v1.41/nodes", NULL, NULL, 0, &err),
	        0);
	ck_assert_str_eq(stub_req(t, 0).line, "GET /v1.41/nodes HTTP/1.1");
	ck_assert_ptr_nonnull(strstr(stub_req(t, 0).head, "Host: 127.0.0.1:"));
	http_response_release(&r);
	http_free(h);
	stub_stop(t);
}
END_TEST

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(silent_server_times_out)
{
	struct http *slow = open_client(stub, 300, 0);
	struct http_response r;
	struct err err;
	double t0;

	stub_add_reply(stub, (struct stub_reply){.status = 0,
	                                         .body = NULL,
	                                         .big = 0,
	                                         .no_length = 0,
	                                         .hang = 1});
	t0 = now();
	ck_assert_int_eq(http_request(&r, slow, "GET", "/v1.41/services", NULL,
	                              NULL, 0, &err),
	                 ERR_TIMEOUT);
	/* Bounded by the 300 ms timeout, not by the test's own limit. */
	ck_assert_double_lt(now() - t0, 5.0);
	ck_assert_ptr_nonnull(strstr(err.msg, "the stub did not answer GET "
	                                      "/v1.41/services in time"));
	ck_assert_int_eq(stub_nreqs(stub), 1);
	http_free(slow);
}
END_TEST

START_TEST(escape_keeps_only_unreserved)
{
	char *e = http_escape("{\"label\":[\"a.b=c d/é~_-\"]}");

	ck_assert_str_eq(
	        e, "%7B%22label%22%3A%5B%22a.b%3Dc%20d%2F%C3%A9~_-%22%5D%7D");
	free(e);
}
END_TEST

START_TEST(open_without_url_is_invalid)
{
	struct http_opts o = {0};
	struct http *h = NULL;
	struct err err;

	ck_assert_int_eq(http_open(&h, &o, &err), ERR_INVALID);
	ck_assert_ptr_null(h);
}
END_TEST

/* ---- Streams ---------------------------------------------------------- */

struct lines {
	char *line[16];
	double at[16]; /* when each line arrived */
	int n;
	int stop_at;         /* return 7 on this line (1-based); 0: never */
	double cancel_after; /* cancel once this much time passed; 0: never */
	double t0;
};

static int collect(void *ctx, const char *line, size_t len)
{
	struct lines *l = ctx;

	ck_assert_int_lt(l->n, 16);
	ck_assert_uint_eq(strlen(line), len);
	l->at[l->n] = now();
	l->line[l->n++] = xstrndup(line, len);
	return l->n == l->stop_at ? 7 : 0;
}

static int cancel_late(void *ctx)
{
	struct lines *l = ctx;

	return l->cancel_after > 0 && now() - l->t0 > l->cancel_after;
}

static void lines_free(struct lines *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		free(l->line[i]);
}

static void add_stream(struct stub *s, int status, const char *const *chunks,
                       int ms, size_t big, int end)
{
	struct stub_reply r = {
	        .status = status, .big = big, .chunks = chunks, .chunk_ms = ms};

	r.stream_end = end;
	stub_add_reply(s, r);
}

START_TEST(stream_delivers_lines_as_they_arrive)
{
	static const char *const chunks[] = {"a\n", "b\n", "c\n", NULL};
	/* A total timeout shorter than the stream: it must not apply. */
	struct http *h = open_client(stub, 300, 0);
	struct lines l = {0};
	struct err err;
	double end;

	add_stream(stub, 200, chunks, 250, 0, STREAM_END);
	ck_assert_int_eq(
	        http_stream_lines(h, "/events?x=1", collect, NULL, &l, 0, &err),
	        0);
	end = now();
	ck_assert_int_eq(l.n, 3);
	ck_assert_str_eq(l.line[0], "a");
	ck_assert_str_eq(l.line[1], "b");
	ck_assert_str_eq(l.line[2], "c");
	/* The first line came while the stream still ran (~500 ms before). */
	ck_assert_double_gt(end - l.at[0], 0.2);
	ck_assert_str_eq(stub_req(stub, 0).line, "GET /events?x=1 HTTP/1.1");
	ck_assert_int_eq(http_stream_status(h), 200);
	lines_free(&l);
	http_free(h);
}
END_TEST

START_TEST(stream_joins_lines_split_across_writes)
{
	static const char *const chunks[] = {"{\"a\":", "1}\nse", "cond\n\nla",
	                                     "st", NULL};
	struct lines l = {0};
	struct err err;

	add_stream(stub, 200, chunks, 20, 0, STREAM_END);
	ck_assert_int_eq(
	        http_stream_lines(client, "/e", collect, NULL, &l, 0, &err), 0);
	ck_assert_int_eq(l.n, 4);
	ck_assert_str_eq(l.line[0], "{\"a\":1}");
	ck_assert_str_eq(l.line[1], "second");
	ck_assert_str_eq(l.line[2], "");
	/* The server ended cleanly: the last line needs no '\n'. */
	ck_assert_str_eq(l.line[3], "last");
	lines_free(&l);
}
END_TEST

START_TEST(stream_line_over_the_cap_is_toobig)
{
	static const char *const chunks[] = {"ok\n", NULL};
	struct lines l = {0};
	struct err err;

	add_stream(stub, 200, chunks, 0, 5000, STREAM_HANG);
	ck_assert_int_eq(
	        http_stream_lines(client, "/e", collect, NULL, &l, 1000, &err),
	        ERR_TOOBIG);
	ck_assert_str_eq(err.msg, "a line of the reply of the stub to GET /e "
	                          "is longer than 1000 bytes");
	ck_assert_int_eq(l.n, 1);
	lines_free(&l);
}
END_TEST

START_TEST(stream_cancel_returns_while_nothing_arrives)
{
	static const char *const chunks[] = {"a\n", NULL};
	struct lines l = {.cancel_after = 0.5};
	struct err err;
	double t;

	add_stream(stub, 200, chunks, 0, 0, STREAM_HANG);
	l.t0 = now();
	ck_assert_int_eq(http_stream_lines(client, "/e", collect, cancel_late,
	                                   &l, 0, &err),
	                 ERR_CANCELED);
	t = now() - l.t0;
	ck_assert_int_eq(l.n, 1);
	/* Asked at least every 200 ms: well under the 20 s test limit. */
	ck_assert_double_ge(t, 0.5);
	ck_assert_double_lt(t, 3.0);
	ck_assert_ptr_nonnull(strstr(err.msg, "canceled"));
	lines_free(&l);
}
END_TEST

START_TEST(stream_stops_with_the_callbacks_value)
{
	static const char *const chunks[] = {"a\nb\nc\n", NULL};
	struct lines l = {.stop_at = 2};
	struct err err;

	add_stream(stub, 200, chunks, 0, 0, STREAM_HANG);
	ck_assert_int_eq(
	        http_stream_lines(client, "/e", collect, NULL, &l, 0, &err), 7);
	ck_assert_int_eq(l.n, 2);
	lines_free(&l);
}
END_TEST

START_TEST(stream_refused_status_is_remote_error)
{
	struct lines l = {0};
	struct err err;

	stub_add(stub, 400, "{\"message\":\"invalid filter 'type=x'\"}");
	ck_assert_int_eq(
	        http_stream_lines(client, "/e", collect, NULL, &l, 0, &err),
	        ERR_REMOTE);
	ck_assert_str_eq(err.msg, "the stub answered GET /e with HTTP 400: "
	                          "{\"message\":\"invalid filter 'type=x'\"}");
	ck_assert_int_eq(l.n, 0);
	ck_assert_int_eq(http_stream_status(client), 400);
}
END_TEST

START_TEST(stream_that_breaks_off_is_remote_error)
{
	static const char *const chunks[] = {"a\nhalf a li", NULL};
	struct lines l = {0};
	struct err err;

	add_stream(stub, 200, chunks, 0, 0, STREAM_BREAK);
	ck_assert_int_eq(
	        http_stream_lines(client, "/e", collect, NULL, &l, 0, &err),
	        ERR_REMOTE);
	ck_assert_ptr_nonnull(
	        strstr(err.msg, "the stub broke off the reply to GET /e: "));
	/* The half line is not passed on. */
	ck_assert_int_eq(l.n, 1);
	lines_free(&l);
}
END_TEST

START_TEST(stream_to_missing_socket_cannot_connect)
{
	struct http_opts o = {.base_url = "http://localhost",
	                      .unix_socket = "/nonexistent/kedge/d.sock",
	                      .name = "the daemon"};
	struct http *h;
	struct lines l = {0};
	struct err err;

	ck_assert_int_eq(http_open(&h, &o, &err), 0);
	ck_assert_int_eq(http_stream_lines(h, "/e", collect, NULL, &l, 0, &err),
	                 ERR_REMOTE);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot connect to the daemon"));
	ck_assert_int_eq(http_stream_status(h), 0);
	http_free(h);
}
END_TEST

START_TEST(requests_after_a_stream_keep_their_timeout)
{
	static const char *const chunks[] = {"a\n", NULL};
	struct http *h = open_client(stub, 300, 0);
	struct lines l = {0};
	struct http_response r;
	struct err err;

	add_stream(stub, 200, chunks, 0, 0, STREAM_END);
	stub_add(stub, 200, "{}");
	stub_add_reply(stub, (struct stub_reply){.status = 0,
	                                         .body = NULL,
	                                         .big = 0,
	                                         .no_length = 0,
	                                         .hang = 1});
	ck_assert_int_eq(http_stream_lines(h, "/e", collect, NULL, &l, 0, &err),
	                 0);
	ck_assert_int_eq(http_request(&r, h, "GET", "/a", NULL, NULL, 0, &err),
	                 0);
	ck_assert_str_eq(buf_cstr(&r.body), "{}");
	http_response_release(&r);
	ck_assert_int_eq(http_request(&r, h, "GET", "/b", NULL, NULL, 0, &err),
	                 ERR_TIMEOUT);
	lines_free(&l);
	http_free(h);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("wire");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, get_sends_path_and_returns_body);
	tcase_add_test(tc, post_sends_body_and_content_type);
	tcase_add_test(tc, methods_reuse_one_connection);
	tcase_add_test(tc, error_status_is_not_a_transport_error);
	tcase_add_test(tc, reply_over_cap_with_length_is_toobig);
	tcase_add_test(tc, reply_over_cap_without_length_is_toobig);
	tcase_add_test(tc, reply_at_cap_is_accepted);
	tcase_add_test(tc, missing_socket_cannot_connect);
	tcase_add_test(tc, closed_tcp_port_cannot_connect);
	tcase_add_test(tc, tcp_server_is_reached);
	tcase_add_test(tc, silent_server_times_out);
	tcase_add_test(tc, escape_keeps_only_unreserved);
	tcase_add_test(tc, open_without_url_is_invalid);
	tcase_add_test(tc, stream_delivers_lines_as_they_arrive);
	tcase_add_test(tc, stream_joins_lines_split_across_writes);
	tcase_add_test(tc, stream_line_over_the_cap_is_toobig);
	tcase_add_test(tc, stream_cancel_returns_while_nothing_arrives);
	tcase_add_test(tc, stream_stops_with_the_callbacks_value);
	tcase_add_test(tc, stream_refused_status_is_remote_error);
	tcase_add_test(tc, stream_that_breaks_off_is_remote_error);
	tcase_add_test(tc, stream_to_missing_socket_cannot_connect);
	tcase_add_test(tc, requests_after_a_stream_keep_their_timeout);
	suite_add_tcase(s, tc);
	return s;
}
#endif
