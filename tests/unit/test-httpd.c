/*
 * test-httpd.c: the HTTP server over real loopback sockets: what reaches
 * the handler (method, path, query, headers, body, peer), what goes back
 * (status, body, Allow, WWW-Authenticate, HEAD), the body cap (declared
 * and streamed), listen addresses refused with their message, a port in
 * use, handlers called concurrently, and stopping with connections open.
 *
 * The client is a raw socket that sends bytes exactly as written and reads
 * until the server closes, so the tests see the wire.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include "unit.h"

#include "buf.h"
#include "err.h"
#include "httpd.h"

/* What the handler saw of the last request, and how many ran at once. */
struct seen {
	pthread_mutex_t mu;
	int calls;
	char method[16], path[64], query[64], header[64], remote[64];
	int has_query, has_header, too_big, head;
	struct buf body;
	int in_flight, max_in_flight;
};

static void copy(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s ? s : "");
}

static void handler(void *ctx, const struct httpd_request *req,
                    struct httpd_reply *rep)
{
	struct seen *s = ctx;
	const char *q = httpd_query(req, "q"), *x = httpd_header(req, "x-test");

	pthread_mutex_lock(&s->mu);
	s->calls++;
	s->in_flight++;
	if (s->in_flight > s->max_in_flight)
		s->max_in_flight = s->in_flight;
	copy(s->method, sizeof(s->method), req->method);
	copy(s->path, sizeof(s->path), req->path);
	copy(s->query, sizeof(s->query), q);
	copy(s->header, sizeof(s->header), x);
	copy(s->remote, sizeof(s->remote), req->remote);
	s->has_query = q != NULL;
	s->has_header = x != NULL;
	s->too_big = req->too_big;
	s->head = req->head;
	buf_reset(&s->body);
	ck_assert_int_eq(strlen(req->body), req->body_len);
	ck_assert_int_eq(buf_add(&s->body, req->body, req->body_len), 0);
	pthread_mutex_unlock(&s->mu);

	if (!strcmp(req->path, "/slow"))
		usleep(200 * 1000);
	if (req->too_big) {
		rep->status = 413;
		ck_assert_int_eq(buf_addstr(&rep->body, "{\"error\":\"big\"}"),
		                 0);
	} else if (!strcmp(req->path, "/allow")) {
		rep->status = 405;
		rep->allow = "GET, HEAD";
	} else if (!strcmp(req->path, "/auth")) {
		rep->status = 401;
		rep->www_authenticate = "Bearer realm=\"kedge\"";
	} else if (!strcmp(req->path, "/text")) {
		rep->status = 200;
		rep->content_type = "text/plain; version=0.0.4";
		ck_assert_int_eq(buf_addstr(&rep->body, "up 1\n"), 0);
	} else if (!strcmp(req->path, "/zero")) {
		/* status 0: the adapter answers 500 */
	} else {
		rep->status = 200;
		ck_assert_int_eq(
		        buf_addf(&rep->body, "{\"len\":%zu}", req->body_len),
		        0);
	}

	pthread_mutex_lock(&s->mu);
	s->in_flight--;
	pthread_mutex_unlock(&s->mu);
}

static struct seen seen;

static struct httpd *start_opts(const struct httpd_opts *o)
{
	struct httpd *h = NULL;
	struct err e = {0};

	memset(&seen, 0, sizeof(seen));
	pthread_mutex_init(&seen.mu, NULL);
	buf_init(&seen.body, 0);
	ck_assert_msg(httpd_start(&h, o, handler, &seen, &e) == 0, "%s", e.msg);
	ck_assert_uint_gt(httpd_port(h), 0);
	return h;
}

static struct httpd *start(const char *listen, size_t max_body,
                           unsigned threads)
{
	struct httpd_opts o = {
	        .listen = listen, .max_body = max_body, .threads = threads};

	return start_opts(&o);
}

static void finish(struct httpd *h)
{
	httpd_stop(h);
	buf_release(&seen.body);
	pthread_mutex_destroy(&seen.mu);
}

static int connect_to(int family, unsigned port)
{
	struct sockaddr_in a4 = {.sin_family = AF_INET};
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
	int fd = socket(family, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	if (family == AF_INET) {
		a4.sin_port = htons((uint16_t)port);
		a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ck_assert_int_eq(
		        connect(fd, (struct sockaddr *)&a4, sizeof(a4)), 0);
	} else {
		a6.sin6_port = htons((uint16_t)port);
		a6.sin6_addr = in6addr_loopback;
		ck_assert_int_eq(
		        connect(fd, (struct sockaddr *)&a6, sizeof(a6)), 0);
	}
	return fd;
}

static void send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return; /* the server closed early: the reply tells */
		p += n;
		len -= (size_t)n;
	}
}

static void send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

/* Reads until the server closes (at most 10 s); the caller frees. */
static char *read_all(int fd)
{
	struct buf b = BUF_INIT;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char chunk[4096];
	int i;

	for (i = 0; i < 200; i++) {
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = read(fd, chunk, sizeof(chunk));
		if (n <= 0)
			break;
		ck_assert_int_eq(buf_add(&b, chunk, (size_t)n), 0);
	}
	close(fd);
	return buf_detach(&b, NULL);
}

/* Sends req (len bytes) to 127.0.0.1:port and returns the whole reply. */
static char *exchange(unsigned port, const char *req, size_t len)
{
	int fd = connect_to(AF_INET, port);

	send_all(fd, req, len);
	return read_all(fd);
}

static char *exchange_str(unsigned port, const char *req)
{
	return exchange(port, req, strlen(req));
}

START_TEST(get_reaches_handler)
{
	struct httpd *h = start("127.0.0.1:0", 0, 0);
	char *r = exchange_str(httpd_port(h),
	                       "GET /api/v1/status?q=a%20b&z HTTP/1.1\r\n"
	                       "Host: x\r\nX-Test: hello\r\n"
	                       "Connection: close\r\n\r\n");

	ck_assert_msg(starts_with(r, "HTTP/1.1 200"), "%s", r);
	ck_assert_ptr_nonnull(
	        strcasestr(r, "\r\nContent-Type: application/json\r\n"));
	ck_assert_msg(ends_with(r, "\r\n\r\n{\"len\":0}"), "%s", r);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_str_eq(seen.method, "GET");
	ck_assert_str_eq(seen.path, "/api/v1/status");
	ck_assert_int_eq(seen.has_query, 1);
	ck_assert_str_eq(seen.query, "a b");
	ck_assert_int_eq(seen.has_header, 1);
	ck_assert_str_eq(seen.header, "hello");
	ck_assert_str_eq(seen.remote, "127.0.0.1");
	ck_assert_str_eq(seen.body.ptr ? seen.body.ptr : "", "");
	ck_assert_int_eq(seen.too_big, 0);
	free(r);

	/* Absent query argument and header: NULL. */
	r = exchange_str(httpd_port(h), "GET /x HTTP/1.1\r\nHost: x\r\n"
	                                "Connection: close\r\n\r\n");
	ck_assert_msg(starts_with(r, "HTTP/1.1 200"), "%s", r);
	ck_assert_int_eq(seen.has_query, 0);
	ck_assert_int_eq(seen.has_header, 0);
	free(r);
	finish(h);
}
END_TEST

START_TEST(post_body_reaches_handler)
{
	struct httpd *h = start("127.0.0.1:0", 0, 0);
	const char *body = "{\"ref\":\"refs/heads/main\"}";
	char *req = xasprintf("POST /hooks/github HTTP/1.1\r\nHost: x\r\n"
	                      "Content-Type: application/json\r\n"
	                      "Content-Length: %zu\r\n"
	                      "Connection: close\r\n\r\n%s",
	                      strlen(body), body);
	char *r = exchange_str(httpd_port(h), req);

	ck_assert_msg(starts_with(r, "HTTP/1.1 200"), "%s", r);
	ck_assert_msg(ends_with(r, "{\"len\":25}"), "%s", r);
	ck_assert_str_eq(seen.method, "POST");
	ck_assert_str_eq(seen.path, "/hooks/github");
	ck_assert_str_eq(seen.body.ptr, body);
	free(r);
	free(req);

	/* A chunked body is gathered too. */
	r = exchange_str(httpd_port(h),
	                 "POST /c HTTP/1.1\r\nHost: x\r\n"
	                 "Transfer-Encoding: chunked\r\n"
	                 "Connection: close\r\n\r\n"
	                 "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
	ck_assert_msg(starts_with(r, "HTTP/1.1 200"), "%s", r);
	ck_assert_str_eq(seen.body.ptr, "hello world");
	free(r);
	finish(h);
}
END_TEST

START_TEST(declared_body_over_cap_is_413)
{
	struct httpd *h = start("127.0.0.1:0", 0, 0);
	/* 2 MiB announced; none of it is sent, the answer comes first. */
	char *r = exchange_str(httpd_port(h),
	                       "POST /hooks/github HTTP/1.1\r\nHost: x\r\n"
	                       "Content-Length: 2097152\r\n"
	                       "Connection: close\r\n\r\n");

	ck_assert_msg(starts_with(r, "HTTP/1.1 413"), "%s", r);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_int_eq(seen.too_big, 1);
	ck_assert_int_eq(seen.body.len, 0);
	free(r);
	finish(h);
}
END_TEST

START_TEST(streamed_body_over_cap_is_413)
{
	struct httpd *h = start("127.0.0.1:0", 0, 0);
	size_t chunk = 64 * 1024, i;
	char *data = xmalloc(chunk), *head;
	struct buf req = BUF_INIT;
	char *r;
	int fd;

	memset(data, 'x', chunk);
	head = xasprintf("%zx\r\n", chunk);
	ck_assert_int_eq(buf_addstr(&req, "POST /big HTTP/1.1\r\nHost: x\r\n"
	                                  "Transfer-Encoding: chunked\r\n"
	                                  "Connection: close\r\n\r\n"),
	                 0);
	/* 2 MiB in 32 chunks: no Content-Length to refuse up front. */
	for (i = 0; i < 32; i++) {
		ck_assert_int_eq(buf_addstr(&req, head), 0);
		ck_assert_int_eq(buf_add(&req, data, chunk), 0);
		ck_assert_int_eq(buf_addstr(&req, "\r\n"), 0);
	}
	ck_assert_int_eq(buf_addstr(&req, "0\r\n\r\n"), 0);
	fd = connect_to(AF_INET, httpd_port(h));
	send_all(fd, req.ptr, req.len);
	r = read_all(fd);
	ck_assert_msg(starts_with(r, "HTTP/1.1 413"), "%.200s", r);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_int_eq(seen.too_big, 1);
	ck_assert_int_eq(seen.body.len, 0);
	free(r);
	free(head);
	free(data);
	buf_release(&req);
	finish(h);
}
END_TEST

/* Sends a chunked body of n bytes to /big and returns the reply. */
static char *stream_chunked(unsigned port, size_t n)
{
	struct buf req = BUF_INIT;
	char *r;
	int fd;

	ck_assert_int_eq(buf_addstr(&req, "POST /big HTTP/1.1\r\nHost: x\r\n"
	                                  "Transfer-Encoding: chunked\r\n"
	                                  "Connection: close\r\n\r\n"),
	                 0);
	while (n) {
		size_t c = n < 500 ? n : 500;

		ck_assert_int_eq(buf_addf(&req, "%zx\r\n", c), 0);
		while (c--) {
			ck_assert_int_eq(buf_addch(&req, 'y'), 0);
			n--;
		}
		ck_assert_int_eq(buf_addstr(&req, "\r\n"), 0);
	}
	ck_assert_int_eq(buf_addstr(&req, "0\r\n\r\n"), 0);
	fd = connect_to(AF_INET, port);
	send_all(fd, req.ptr, req.len);
	r = read_all(fd);
	buf_release(&req);
	return r;
}

START_TEST(endless_body_closes_connection)
{
	struct httpd *h = start("127.0.0.1:0", 1000, 0);
	char *r = stream_chunked(httpd_port(h), 5000);

	/* Five times the cap: read, dropped, answered. */
	ck_assert_msg(starts_with(r, "HTTP/1.1 413"), "%s", r);
	ck_assert_int_eq(seen.calls, 1);
	free(r);
	/* Twenty times: the connection is closed, the handler never runs. */
	r = stream_chunked(httpd_port(h), 20000);
	ck_assert_str_eq(r, "");
	ck_assert_int_eq(seen.calls, 1);
	free(r);
	finish(h);
}
END_TEST

START_TEST(body_at_cap_is_accepted)
{
	struct httpd *h = start("127.0.0.1:0", 10, 0);
	char *r = exchange_str(httpd_port(h),
	                       "POST /p HTTP/1.1\r\nHost: x\r\n"
	                       "Content-Length: 10\r\n"
	                       "Connection: close\r\n\r\n0123456789");

	ck_assert_msg(starts_with(r, "HTTP/1.1 200"), "%s", r);
	ck_assert_str_eq(seen.body.ptr, "0123456789");
	free(r);
	r = exchange_str(httpd_port(h), "POST /p HTTP/1.1\r\nHost: x\r\n"
	                                "Content-Length: 11\r\n"
	                                "Connection: close\r\n\r\n");
	ck_assert_msg(starts_with(r, "HTTP/1.1 413"), "%s", r);
	free(r);
	finish(h);
}
END_TEST

START_TEST(reply_headers)
{
	struct httpd *h = start("127.0.0.1:0", 0, 0);
	char *r = exchange_str(httpd_port(h), "DELETE /allow HTTP/1.1\r\n"
	                                      "Host: x\r\n"
	                                      "Connection: close\r\n\r\n");

	ck_assert_msg(starts_with(r, "HTTP/1.1 405"), "%s", r);
	ck_assert_msg(strcasestr(r, "\r\nAllow: GET, HEAD\r\n"), "%s", r);
	ck_assert_str_eq(seen.method, "DELETE");
	free(r);
	r = exchange_str(httpd_port(h),
	                 "POST /auth HTTP/1.1\r\nHost: x\r\n"
	                 "Content-Length: 0\r\nConnection: close\r\n\r\n");
	ck_assert_msg(starts_with(r, "HTTP/1.1 401"), "%s", r);
	ck_assert_msg(strcasestr(r, "\r\nWWW-Authenticate: Bearer "
	                            "realm=\"kedge\"\r\n"),
	              "%s", r);
	ck_assert_ptr_null(strcasestr(r, "\r\nAllow:"));
	free(r);
	r = exchange_str(httpd_port(h), "GET /text HTTP/1.1\r\nHost: x\r\n"
	                                "Connection: close\r\n\r\n");
	ck_assert_msg(strcasestr(r, "\r\nContent-Type: text/plain; "
	                            "version=0.0.4\r\n"),
	              "%s", r);
	ck_assert_msg(ends_with(r, "\r\n\r\nup 1\n"), "%s", r);
	free(r);
	r = exchange_str(httpd_port(h), "GET /zero HTTP/1.1\r\nHost: x\r\n"
	                                "Connection: close\r\n\r\n");
	ck_assert_msg(starts_with(r, "HTTP/1.1 500"), "%s", r);
	free(r);
	finish(h);
}
END_TEST

START_TEST(head_is_get_without_body)
{
	struct httpd *h = start("127.0.0.1:0", 0, 0);
	char *r = exchange_str(httpd_port(h), "HEAD /text HTTP/1.1\r\n"
	                                      "Host: x\r\n"
	                                      "Connection: close\r\n\r\n");

	ck_assert_msg(starts_with(r, "HTTP/1.1 200"), "%s", r);
	ck_assert_msg(ends_with(r, "\r\n\r\n"), "%s", r);
	ck_assert_str_eq(seen.method, "GET");
	ck_assert_int_eq(seen.head, 1);
	free(r);
	finish(h);
}
END_TEST

START_TEST(ipv6_loopback)
{
	struct httpd *h = start("[::1]:0", 0, 0);
	int fd = connect_to(AF_INET6, httpd_port(h));
	char *r;

	send_str(fd, "GET /v6 HTTP/1.1\r\nHost: x\r\n"
	             "Connection: close\r\n\r\n");
	r = read_all(fd);
	ck_assert_msg(starts_with(r, "HTTP/1.1 200"), "%s", r);
	ck_assert_str_eq(seen.remote, "::1");
	free(r);
	finish(h);
}
END_TEST

START_TEST(all_addresses)
{
	struct httpd *h = start(":0", 0, 0);
	char *r = exchange_str(httpd_port(h), "GET /all HTTP/1.1\r\nHost: x\r\n"
	                                      "Connection: close\r\n\r\n");
	int fd;

	/* Over IPv4, the peer shows as IPv4 even on a dual-stack socket. */
	ck_assert_msg(starts_with(r, "HTTP/1.1 200"), "%s", r);
	ck_assert_str_eq(seen.remote, "127.0.0.1");
	free(r);
	fd = connect_to(AF_INET6, httpd_port(h));
	send_str(fd, "GET /v6 HTTP/1.1\r\nHost: x\r\n"
	             "Connection: close\r\n\r\n");
	r = read_all(fd);
	ck_assert_msg(starts_with(r, "HTTP/1.1 200"), "%s", r);
	ck_assert_str_eq(seen.remote, "::1");
	free(r);
	finish(h);
}
END_TEST

static void refused(const char *listen, const char *msg)
{
	struct httpd_opts o = {.listen = listen};
	struct httpd *h = NULL;
	struct err e = {0};

	ck_assert_int_eq(httpd_start(&h, &o, handler, &seen, &e), ERR_INVALID);
	ck_assert_ptr_null(h);
	ck_assert_str_eq(e.msg, msg);
}

START_TEST(bad_listen_addresses)
{
	refused("", "invalid listen address '': expected HOST:PORT, as in "
	            "127.0.0.1:8750");
	refused("8750", "invalid listen address '8750': missing :PORT, as in "
	                "127.0.0.1:8750");
	refused("127.0.0.1", "invalid listen address '127.0.0.1': missing "
	                     ":PORT, as in 127.0.0.1:8750");
	refused("127.0.0.1:65536", "invalid listen address '127.0.0.1:65536': "
	                           "the port must be a number from 0 to 65535");
	refused("127.0.0.1:", "invalid listen address '127.0.0.1:': the port "
	                      "must be a number from 0 to 65535");
	refused("127.0.0.1:-1", "invalid listen address '127.0.0.1:-1': the "
	                        "port must be a number from 0 to 65535");
	refused("127.0.0.1:80a", "invalid listen address '127.0.0.1:80a': the "
	                         "port must be a number from 0 to 65535");
	refused("127.0.0.1:000080", "invalid listen address "
	                            "'127.0.0.1:000080': the port must be a "
	                            "number from 0 to 65535");
	refused("example.com:80", "invalid listen address 'example.com:80': "
	                          "the host must be a numeric address or "
	                          "localhost");
	refused("1.2.3:80", "invalid listen address '1.2.3:80': the host must "
	                    "be a numeric address or localhost");
	refused("::1:8750", "invalid listen address '::1:8750': an IPv6 "
	                    "address goes in brackets, as in [::1]:8750");
	refused("[::1]8750", "invalid listen address '[::1]8750': expected "
	                     "[IPv6]:PORT, as in [::1]:8750");
	refused("[::1", "invalid listen address '[::1': expected [IPv6]:PORT, "
	                "as in [::1]:8750");
	refused("[127.0.0.1]:80", "invalid listen address '[127.0.0.1]:80': "
	                          "the host must be a numeric address or "
	                          "localhost");
}
END_TEST

START_TEST(listen_parse_accepts)
{
	char host[64];
	unsigned port = 1;
	struct err e = {0};

	ck_assert_int_eq(
	        httpd_listen_parse(host, sizeof(host), &port, ":8750", &e), 0);
	ck_assert_str_eq(host, "");
	ck_assert_uint_eq(port, 8750);
	ck_assert_int_eq(httpd_listen_parse(host, sizeof(host), &port,
	                                    "localhost:65535", &e),
	                 0);
	ck_assert_str_eq(host, "127.0.0.1");
	ck_assert_uint_eq(port, 65535);
	ck_assert_int_eq(
	        httpd_listen_parse(host, sizeof(host), &port, "[::]:0", &e), 0);
	ck_assert_str_eq(host, "::");
	ck_assert_uint_eq(port, 0);
}
END_TEST

START_TEST(port_in_use)
{
	struct httpd *h = start("127.0.0.1:0", 0, 0);
	char listen[64], want[128];
	struct httpd_opts o = {.listen = listen};
	struct httpd *h2 = NULL;
	struct err e = {0};

	snprintf(listen, sizeof(listen), "127.0.0.1:%u", httpd_port(h));
	ck_assert_int_eq(httpd_start(&h2, &o, handler, &seen, &e), ERR_IO);
	ck_assert_ptr_null(h2);
	snprintf(want, sizeof(want),
	         "cannot listen on %s: Address already in use", listen);
	ck_assert_str_eq(e.msg, want);
	finish(h);
}
END_TEST

static void *slow_client(void *arg)
{
	unsigned port = *(unsigned *)arg;

	return exchange_str(port, "GET /slow HTTP/1.1\r\nHost: x\r\n"
	                          "Connection: close\r\n\r\n");
}

START_TEST(concurrent_requests)
{
	struct httpd *h = start("127.0.0.1:0", 0, 0);
	unsigned port = httpd_port(h);
	pthread_t t[4];
	void *r;
	int i;

	for (i = 0; i < 4; i++)
		ck_assert_int_eq(
		        pthread_create(&t[i], NULL, slow_client, &port), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], &r), 0);
		ck_assert_msg(starts_with(r, "HTTP/1.1 200"), "%s", (char *)r);
		free(r);
	}
	ck_assert_int_eq(seen.calls, 4);
	/* A thread per connection: the four 200 ms handlers overlap. */
	ck_assert_int_ge(seen.max_in_flight, 2);
	finish(h);

	/* A pool of two threads serves them all too. */
	h = start("127.0.0.1:0", 0, 2);
	port = httpd_port(h);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(
		        pthread_create(&t[i], NULL, slow_client, &port), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], &r), 0);
		ck_assert_msg(starts_with(r, "HTTP/1.1 200"), "%s", (char *)r);
		free(r);
	}
	ck_assert_int_eq(seen.calls, 4);
	finish(h);
}
END_TEST

/* Reads one reply of the default handler (its body ends with '}'). */
static void read_reply(int fd, char *buf, size_t n)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	size_t len = 0;
	ssize_t r;

	while (len == 0 || buf[len - 1] != '}') {
		ck_assert_int_gt(poll(&p, 1, 5000), 0);
		r = read(fd, buf + len, n - 1 - len);
		ck_assert_int_gt(r, 0);
		len += (size_t)r;
		buf[len] = '\0';
	}
}

START_TEST(keepalive_then_stop)
{
	struct httpd *h = start("127.0.0.1:0", 0, 0);
	int fd = connect_to(AF_INET, httpd_port(h));
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char buf[512];

	/* Two requests on one connection, left open. */
	send_str(fd, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
	read_reply(fd, buf, sizeof(buf));
	ck_assert_msg(starts_with(buf, "HTTP/1.1 200"), "%s", buf);
	send_str(fd, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
	read_reply(fd, buf, sizeof(buf));
	ck_assert_msg(starts_with(buf, "HTTP/1.1 200"), "%s", buf);
	ck_assert_int_eq(seen.calls, 2);
	ck_assert_str_eq(seen.path, "/b");
	/* Stopping with an idle connection open returns and closes it. */
	finish(h);
	ck_assert_int_gt(poll(&p, 1, 5000), 0);
	ck_assert_int_le(read(fd, buf, sizeof(buf)), 0);
	close(fd);
}
END_TEST

START_TEST(idle_connection_times_out)
{
	struct httpd_opts o = {.listen = "127.0.0.1:0", .timeout_sec = 1};
	struct httpd *h = start_opts(&o);
	int fd = connect_to(AF_INET, httpd_port(h));
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char c;

	/* Half a request, then silence: the server hangs up. */
	send_str(fd, "GET /idle HTTP/1.1\r\n");
	ck_assert_int_gt(poll(&p, 1, 10000), 0);
	ck_assert_int_le(read(fd, &c, 1), 0);
	close(fd);
	ck_assert_int_eq(seen.calls, 0);
	finish(h);
}
END_TEST

START_TEST(connection_limit)
{
	struct httpd_opts o = {.listen = "127.0.0.1:0", .max_connections = 1};
	struct httpd *h = start_opts(&o);
	int busy = connect_to(AF_INET, httpd_port(h));
	char *r;

	/* One connection open: the next one is turned away. */
	send_str(busy, "GET /busy HTTP/1.1\r\n");
	usleep(100 * 1000);
	r = exchange_str(httpd_port(h), "GET /x HTTP/1.1\r\nHost: x\r\n"
	                                "Connection: close\r\n\r\n");
	ck_assert_str_eq(r, "");
	ck_assert_int_eq(seen.calls, 0);
	free(r);
	send_str(busy, "Host: x\r\nConnection: close\r\n\r\n");
	r = read_all(busy);
	ck_assert_msg(starts_with(r, "HTTP/1.1 200"), "%s", r);
	free(r);
	finish(h);
}
END_TEST

/* How many file descriptors the process has open. */
static int open_fds(void)
{
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

START_TEST(stop_idle)
{
	struct httpd *h = start("127.0.0.1:0", 0, 0);
	int before;

	finish(h);
	httpd_stop(NULL);
	/* Start and stop leave no socket or thread wake-up pipe behind. */
	before = open_fds();
	h = start("127.0.0.1:0", 0, 1);
	finish(h);
	h = start("[::1]:0", 0, 3);
	finish(h);
	ck_assert_int_eq(open_fds(), before);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("httpd");

	UNIT_TCASE(s, get_reaches_handler);
	UNIT_TCASE(s, post_body_reaches_handler);
	UNIT_TCASE(s, declared_body_over_cap_is_413);
	UNIT_TCASE(s, streamed_body_over_cap_is_413);
	UNIT_TCASE(s, endless_body_closes_connection);
	UNIT_TCASE(s, body_at_cap_is_accepted);
	UNIT_TCASE(s, reply_headers);
	UNIT_TCASE(s, head_is_get_without_body);
	UNIT_TCASE(s, ipv6_loopback);
	UNIT_TCASE(s, all_addresses);
	UNIT_TCASE(s, bad_listen_addresses);
	UNIT_TCASE(s, listen_parse_accepts);
	UNIT_TCASE(s, port_in_use);
	UNIT_TCASE(s, concurrent_requests);
	UNIT_TCASE(s, keepalive_then_stop);
	UNIT_TCASE(s, idle_connection_times_out);
	UNIT_TCASE(s, connection_limit);
	UNIT_TCASE(s, stop_idle);
	return s;
}
