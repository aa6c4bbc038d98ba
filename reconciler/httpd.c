/*
 * httpd.c: the HTTP server declared in httpd.h, over libmicrohttpd.
 *
 * Owns: the only include of <microhttpd.h>; the listen socket, which this
 * file creates and binds itself so that a failure carries the system's
 * reason ("Address already in use"); each connection's request state (the
 * capped body). Does not own: routing, authentication or logging of
 * requests, which are the handler's.
 *
 * libmicrohttpd calls the access handler several times per request: once
 * when the headers are in, once per piece of the body, and once more when
 * the body is complete. The body is gathered into a buf capped at
 * max_body; past the cap the rest is read and dropped (never kept) and the
 * handler is called once, at the end, with too_big set, unless the body
 * goes on past HTTPD_DROP_FACTOR times the cap: then the connection is
 * closed without an answer. A Content-Length over the cap is answered at
 * once, before any of the body is read.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "httpd.h"
#include "log.h"

/*
 * A body streamed past the cap is read and dropped so that the client gets
 * its 413 (libmicrohttpd cannot answer in the middle of a body); past this
 * many times the cap, the connection is closed instead.
 */
#define HTTPD_DROP_FACTOR 8

/* Enough for a handler that formats JSON or reads SQLite. */
#define HTTPD_STACK_SIZE ((size_t)512 << 10)

struct httpd {
	struct MHD_Daemon *d;
	httpd_handler_fn fn;
	void *ctx;
	size_t max_body;
	unsigned port;
};

/* One request's state, from its headers to its completion. */
struct conn {
	struct buf body;
	int too_big;
	int answered;   /* a reply is queued: drop whatever still comes */
	size_t dropped; /* bytes read and dropped past the cap */
	char remote[INET6_ADDRSTRLEN];
};

const char *httpd_header(const struct httpd_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->impl, MHD_HEADER_KIND, name);
}

const char *httpd_query(const struct httpd_request *r, const char *name)
{
	const char *v = NULL;
	size_t len = 0;

	if (MHD_lookup_connection_value_n(r->impl, MHD_GET_ARGUMENT_KIND, name,
	                                  strlen(name), &v, &len) != MHD_YES)
		return NULL;
	return v ? v : "";
}

/* Reads "0".."65535" (digits only); -1 otherwise. */
static long parse_port(const char *s)
{
	long v = 0;
	size_t i;

	if (!*s || strlen(s) > 5)
		return -1;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= 65535 ? v : -1;
}

int httpd_listen_parse(char *host, size_t hostlen, unsigned *port,
                       const char *listen, struct err *err)
{
	const char *colon, *hs, *he;
	unsigned char addr[sizeof(struct in6_addr)];
	char h[INET6_ADDRSTRLEN + 1];
	long p;
	int v6 = 0;

	if (!listen || !*listen)
		return err_set(err, ERR_INVALID,
		               "invalid listen address '': expected HOST:PORT, "
		               "as in 127.0.0.1:8750");
	if (listen[0] == '[') {
		hs = listen + 1;
		he = strchr(hs, ']');
		if (!he || he[1] != ':')
			return err_set(err, ERR_INVALID,
			               "invalid listen address '%s': expected "
			               "[IPv6]:PORT, as in [::1]:8750",
			               listen);
		colon = he + 1;
		v6 = 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon)
			return err_set(err, ERR_INVALID,
			               "invalid listen address '%s': missing "
			               ":PORT, as in 127.0.0.1:8750",
			               listen);
		hs = listen;
		he = colon;
		if (memchr(hs, ':', (size_t)(he - hs)))
			return err_set(err, ERR_INVALID,
			               "invalid listen address '%s': an IPv6 "
			               "address goes in brackets, as in "
			               "[::1]:8750",
			               listen);
	}
	p = parse_port(colon + 1);
	if (p < 0)
		return err_set(err, ERR_INVALID,
		               "invalid listen address '%s': the port must be "
		               "a number from 0 to 65535",
		               listen);
	if ((size_t)(he - hs) >= sizeof(h))
		goto bad_host;
	memcpy(h, hs, (size_t)(he - hs));
	h[he - hs] = '\0';
	if (v6 ? inet_pton(AF_INET6, h, addr) != 1
	       : *h && strcmp(h, "localhost") != 0 &&
	                    inet_pton(AF_INET, h, addr) != 1)
		goto bad_host;
	if (!strcmp(h, "localhost"))
		snprintf(h, sizeof(h), "127.0.0.1");
	if (strlen(h) >= hostlen)
		BUG("httpd_listen_parse: host buffer of %zu bytes", hostlen);
	memcpy(host, h, strlen(h) + 1);
	*port = (unsigned)p;
	return 0;
bad_host:
	return err_set(err, ERR_INVALID,
	               "invalid listen address '%s': the host must be a "
	               "numeric address or localhost",
	               listen);
}

/* Creates, binds and listens on the socket for host:port; ERR_IO. */
static int listen_socket(int *out, const char *host, unsigned port,
                         const char *name, struct err *err)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, on = 1, off = 0, family;

	memset(&ss, 0, sizeof(ss));
	family = !*host || strchr(host, ':') ? AF_INET6 : AF_INET;
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 && !*host && errno == EAFNOSUPPORT) {
		/* Every address on a host without IPv6: IPv4's. */
		family = AF_INET;
		fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		            0);
	}
	if (fd < 0)
		return err_set(err, ERR_IO, "cannot listen on %s: %s", name,
		               strerror(errno));
	if (family == AF_INET6) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		if (*host && inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			BUG("httpd: unparsed IPv6 host");
		/* ":port" serves IPv4 too, through mapped addresses. */
		if (!*host)
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
			                 sizeof(off));
		len = sizeof(*a6);
	} else {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		if (!*host)
			a4->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			BUG("httpd: unparsed IPv4 host");
		len = sizeof(*a4);
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 64) < 0) {
		int e = errno;

		close(fd);
		return err_set(err, ERR_IO, "cannot listen on %s: %s", name,
		               strerror(e));
	}
	*out = fd;
	return 0;
}

/* The peer's address as text, an IPv4-mapped IPv6 address as IPv4. */
static void peer_name(char *out, size_t n, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, n, "?");
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)sa;

		inet_ntop(AF_INET, &a->sin_addr, out, (socklen_t)n);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr))
			inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], out,
			          (socklen_t)n);
		else
			inet_ntop(AF_INET6, &a->sin6_addr, out, (socklen_t)n);
	}
}

/* 1 when the request announces a Content-Length over max. */
static int declared_too_big(struct MHD_Connection *c, size_t max)
{
	const char *cl = MHD_lookup_connection_value(
	        c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long v;
	char *end;

	if (!cl)
		return 0;
	errno = 0;
	v = strtoull(cl, &end, 10);
	/* A malformed one is libmicrohttpd's to refuse (400). */
	if (end == cl || errno)
		return errno == ERANGE;
	return v > max;
}

static void add_header(struct MHD_Response *r, const char *name,
                       const char *value)
{
	/* Refused only for a value with a line break: the handler's bug. */
	if (value && MHD_add_response_header(r, name, value) != MHD_YES)
		log_warn("httpd", "reply header refused header=%s", name);
}

void httpd_reply_header(struct httpd_reply *rep, const char *name,
                        const char *value)
{
	if (rep->nextra >= ARRAY_SIZE(rep->extra))
		return;
	rep->extra[rep->nextra].name = name;
	snprintf(rep->extra[rep->nextra].value,
	         sizeof(rep->extra[rep->nextra].value), "%s", value);
	rep->nextra++;
}

/* Calls the handler for the request and queues its reply. */
static enum MHD_Result answer(struct httpd *h, struct MHD_Connection *c,
                              struct conn *st, const char *url,
                              const char *method)
{
	struct httpd_request req = {
	        .method = method, .path = url, .remote = st->remote, .impl = c};
	struct httpd_reply rep = {0};
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len;
	char *body;

	if (!strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		req.method = MHD_HTTP_METHOD_GET;
		req.head = 1;
	}
	req.too_big = st->too_big;
	req.body = st->too_big ? "" : buf_cstr(&st->body);
	req.body_len = st->too_big ? 0 : st->body.len;
	buf_init(&rep.body, 0);
	h->fn(h->ctx, &req, &rep);
	st->answered = 1;

	body = buf_detach(&rep.body, &len);
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	add_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	           rep.content_type ? rep.content_type : "application/json");
	add_header(r, MHD_HTTP_HEADER_ALLOW, rep.allow);
	add_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, rep.www_authenticate);
	for (size_t i = 0; i < rep.nextra; i++)
		add_header(r, rep.extra[i].name, rep.extra[i].value);
	if (rep.status < 100 || rep.status > 599)
		rep.status = 500;
	ret = MHD_queue_response(c, (unsigned)rep.status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *data_size, void **req_cls)
{
	struct httpd *h = cls;
	struct conn *st = *req_cls;

	(void)version;
	if (!st) {
		st = xcalloc(1, sizeof(*st));
		buf_init(&st->body, h->max_body);
		peer_name(st->remote, sizeof(st->remote), c);
		*req_cls = st;
		if (!declared_too_big(c, h->max_body))
			return MHD_YES;
		st->too_big = 1;
		return answer(h, c, st, url, method);
	}
	if (*data_size) {
		if (!st->too_big && !st->answered &&
		    buf_add(&st->body, data, *data_size) < 0) {
			st->too_big = 1;
			buf_release(&st->body);
		}
		if (st->too_big || st->answered)
			st->dropped += *data_size;
		*data_size = 0;
		/* A client that streams on and on loses its connection. */
		return st->dropped / HTTPD_DROP_FACTOR > h->max_body ? MHD_NO
		                                                     : MHD_YES;
	}
	if (st->answered)
		return MHD_YES;
	return answer(h, c, st, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct conn *st = *req_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (!st)
		return;
	buf_release(&st->body);
	free(st);
	*req_cls = NULL;
}

/* Closes fd unless libmicrohttpd already did on its way out. */
static void close_if_open(int fd)
{
	if (fcntl(fd, F_GETFD) >= 0)
		close(fd);
}

/* The port of a bound IPv4 or IPv6 address. */
static unsigned bound_port(const struct sockaddr_storage *ss)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;

	if (ss->ss_family == AF_INET6) {
		memcpy(&a6, ss, sizeof(a6));
		return ntohs(a6.sin6_port);
	}
	memcpy(&a4, ss, sizeof(a4));
	return ntohs(a4.sin_port);
}

int httpd_start(struct httpd **out, const struct httpd_opts *o,
                httpd_handler_fn fn, void *ctx, struct err *err)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char host[INET6_ADDRSTRLEN + 1] = "";
	unsigned port = 0, threads, flags;
	struct httpd *h;
	int fd = -1, rc;

	memset(&ss, 0, sizeof(ss));
	rc = httpd_listen_parse(host, sizeof(host), &port, o->listen, err);
	if (rc < 0)
		return rc;
	rc = listen_socket(&fd, host, port, o->listen, err);
	if (rc < 0)
		return rc;
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) {
		rc = err_set(err, ERR_IO, "cannot listen on %s: %s", o->listen,
		             strerror(errno));
		close(fd);
		return rc;
	}
	h = xcalloc(1, sizeof(*h));
	h->fn = fn;
	h->ctx = ctx;
	h->max_body = o->max_body ? o->max_body : HTTPD_MAX_BODY_DEFAULT;
	h->port = bound_port(&ss);
	threads = o->threads;
	/*
	 * No MHD_USE_ERROR_LOG: libmicrohttpd prints nothing (its messages
	 * may quote a request). The handler sees every request it answers.
	 * By default each connection gets a thread of its own (at most
	 * max_connections), so a slow handler delays no other request.
	 */
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
	if (!threads)
		flags |= MHD_USE_THREAD_PER_CONNECTION;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* The pool size comes last: a thread per connection takes none. */
	h->d = MHD_start_daemon(
	        flags, 0, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET,
	        fd, MHD_OPTION_THREAD_STACK_SIZE, HTTPD_STACK_SIZE,
	        MHD_OPTION_CONNECTION_TIMEOUT,
	        o->timeout_sec ? o->timeout_sec : 30u,
	        MHD_OPTION_CONNECTION_LIMIT,
	        o->max_connections ? o->max_connections : 64u,
	        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	        threads ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads,
	        MHD_OPTION_END);
	if (!h->d) {
		close_if_open(fd);
		free(h);
		return err_set(err, ERR_INTERNAL,
		               "cannot listen on %s: libmicrohttpd did not "
		               "start",
		               o->listen);
	}
	log_debug("httpd", "listening listen=%s port=%u threads=%u", o->listen,
	          h->port, threads);
	*out = h;
	return 0;
}

unsigned httpd_port(const struct httpd *h)
{
	return h->port;
}

void httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
