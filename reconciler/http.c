/*
 * http.c: the HTTP client declared in http.h, over one libcurl easy handle.
 *
 * Owns: every use of libcurl in kedge. Keeping one easy handle for the
 * life of a struct http keeps its connection cache, so consecutive
 * requests reuse one keep-alive connection. A stream (http_stream_lines)
 * runs on a duplicate of that handle driven through a multi handle of its
 * own, so that it can wake up to ask its cancel hook while nothing
 * arrives, and so that lifting the total timeout for it changes nothing
 * for later requests. Does not own: the meaning of requests or replies
 * (docker.c) or retries.
 */
#include <curl/curl.h>
#include <pthread.h>

#include "buf.h"
#include "err.h"
#include "http.h"

#define CONNECT_TIMEOUT_MS 5000L
#define TIMEOUT_MS         120000L

struct http {
	CURL *curl;
	char *base_url;
	char *name;
	size_t max_body;
	long connect_timeout_ms, timeout_ms;
	unsigned long requests;
	struct buf *sink;   /* the body being received */
	int toobig;         /* the sink refused bytes */
	long stream_status; /* of the last http_stream_lines() */
	char errbuf[CURL_ERROR_SIZE];
};

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
	struct http *h = ud;
	size_t len = size * n;

	if (buf_add(h->sink, data, len) < 0) {
		h->toobig = 1;
		return 0; /* anything but len makes curl stop with an error */
	}
	return len;
}

/* Options that stay the same for every request of h. */
static int setup(struct http *h, const struct http_opts *o)
{
	CURL *c = h->curl;
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                       \
	do {                                                \
		if (rc == CURLE_OK)                         \
			rc = curl_easy_setopt(c, opt, val); \
	} while (0)
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, h->errbuf);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, h);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_USERAGENT, "kedge/" KEDGE_VERSION);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_body);
	if (o->unix_socket)
		SET(CURLOPT_UNIX_SOCKET_PATH, o->unix_socket);
	if (o->ca_file)
		SET(CURLOPT_CAINFO, o->ca_file);
	if (o->cert_file)
		SET(CURLOPT_SSLCERT, o->cert_file);
	if (o->key_file)
		SET(CURLOPT_SSLKEY, o->key_file);
#undef SET
	return rc == CURLE_OK ? 0 : -1;
}

/*
 * libcurl's global state is set up once per process and never torn down:
 * curl_global_init and curl_global_cleanup are not thread-safe, and a
 * daemon opens and frees clients from several threads.
 */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int http_open(struct http **out, const struct http_opts *opts, struct err *err)
{
	struct http *h;

	if (!opts->base_url || !*opts->base_url)
		return err_set(err, ERR_INVALID, "http: no base URL given");
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK)
		return err_set(err, ERR_INTERNAL, "cannot initialise libcurl");
	h = xcalloc(1, sizeof(*h));
	h->base_url = xstrdup(opts->base_url);
	h->name = xstrdup(opts->name ? opts->name : opts->base_url);
	h->max_body = opts->max_body ? opts->max_body : HTTP_MAX_BODY_DEFAULT;
	h->connect_timeout_ms = opts->connect_timeout_ms > 0
	                                ? opts->connect_timeout_ms
	                                : CONNECT_TIMEOUT_MS;
	h->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : TIMEOUT_MS;
	h->curl = curl_easy_init();
	if (!h->curl || setup(h, opts) < 0) {
		http_free(h);
		return err_set(err, ERR_INTERNAL,
		               "cannot set up an HTTP client for %s",
		               opts->base_url);
	}
	*out = h;
	return 0;
}

void http_free(struct http *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	free(h->base_url);
	free(h->name);
	free(h);
}

void http_set_timeouts(struct http *h, long connect_timeout_ms, long timeout_ms)
{
	if (connect_timeout_ms > 0)
		h->connect_timeout_ms = connect_timeout_ms;
	if (timeout_ms > 0)
		h->timeout_ms = timeout_ms;
}

unsigned long http_requests_made(const struct http *h)
{
	return h->requests;
}

void http_response_release(struct http_response *r)
{
	if (r)
		buf_release(&r->body);
}

/* Sets the method and body of the next request. */
static CURLcode set_method(CURL *c, const char *method, const void *body,
                           size_t len)
{
	CURLcode rc;

	/* HTTPGET resets whatever the previous request left behind. */
	rc = curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	if (rc == CURLE_OK && (body || !strcmp(method, "POST"))) {
		rc = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		                      (curl_off_t)len);
		if (rc == CURLE_OK)
			rc = curl_easy_setopt(c, CURLOPT_POSTFIELDS,
			                      body ? body : "");
	}
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(
		        c, CURLOPT_CUSTOMREQUEST,
		        strcmp(method, "GET") && strcmp(method, "POST") ? method
		                                                        : NULL);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_NOBODY,
		                      !strcmp(method, "HEAD") ? 1L : 0L);
	return rc;
}

static CURLcode set_request(struct http *h, const char *url,
                            struct curl_slist *headers)
{
	CURLcode rc;

	rc = curl_easy_setopt(h->curl, CURLOPT_URL, url);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, headers);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS,
		                      h->connect_timeout_ms);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS,
		                      h->timeout_ms);
	return rc;
}

static int is_connect_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CIPHER:
		return 1;
	default:
		return 0;
	}
}

/* Turns a failed curl_easy_perform() into an ERR_* with a message. */
static int perform_error(struct http *h, CURLcode rc, const char *method,
                         const char *path, struct err *err)
{
	const char *why = h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc);

	if (h->toobig || rc == CURLE_FILESIZE_EXCEEDED)
		return err_set(err, ERR_TOOBIG,
		               "reply of %s to %s %s is larger than %zu bytes",
		               h->name, method, path, h->max_body);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return err_set(err, ERR_TIMEOUT,
		               "%s did not answer %s %s in time: %s", h->name,
		               method, path, why);
	if (is_connect_error(rc))
		return err_set(err, ERR_REMOTE, "cannot connect to %s: %s",
		               h->name, why);
	return err_set(err, ERR_REMOTE, "%s %s to %s failed: %s", method, path,
	               h->name, why);
}

int http_request(struct http_response *out, struct http *h, const char *method,
                 const char *path, const char *content_type, const void *body,
                 size_t len, struct err *err)
{
	return http_request_with(out, h, method, path, NULL, content_type, body,
	                         len, err);
}

int http_request_with(struct http_response *out, struct http *h,
                      const char *method, const char *path,
                      const char *const *extra, const char *content_type,
                      const void *body, size_t len, struct err *err)
{
	struct curl_slist *headers = NULL, *more;
	char *url = xasprintf("%s%s", h->base_url, path);
	char *ctype = NULL;
	CURLcode rc;
	int error = 0;

	buf_init(&out->body, h->max_body);
	out->status = 0;
	/* No "Expect: 100-continue": it costs a round trip per big POST. */
	more = curl_slist_append(headers, "Expect:");
	if (more && content_type) {
		headers = more;
		ctype = xasprintf("Content-Type: %s", content_type);
		more = curl_slist_append(headers, ctype);
	}
	for (size_t i = 0; more && extra && extra[i]; i++) {
		headers = more;
		more = curl_slist_append(headers, extra[i]);
	}
	if (!more)
		BUG("curl_slist_append failed");
	headers = more;
	h->errbuf[0] = '\0';
	h->sink = &out->body;
	h->toobig = 0;
	h->requests++;
	rc = set_method(h->curl, method, body, len);
	if (rc == CURLE_OK)
		rc = set_request(h, url, headers);
	if (rc == CURLE_OK)
		rc = curl_easy_perform(h->curl);
	if (rc != CURLE_OK) {
		error = perform_error(h, rc, method, path, err);
		buf_release(&out->body);
		goto out;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &out->status);
out:
	/* The handle must not keep pointers to memory freed below. */
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, NULL);
	h->sink = NULL;
	curl_slist_free_all(headers);
	free(ctype);
	free(url);
	return error;
}

char *http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), i, j = 0;
	char *o = xmalloc(3 * n + 1);

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch)) {
			o[j++] = (char)ch;
			continue;
		}
		o[j++] = '%';
		o[j++] = hex[ch >> 4];
		o[j++] = hex[ch & 15];
	}
	o[j] = '\0';
	return o;
}

/* --- streams ----------------------------------------------------------- */

/* How often a stream wakes up to ask its cancel hook. */
#define STREAM_POLL_MS 200
/* How much of a refused stream's body goes into the message. */
#define STREAM_ERR_BODY 200

struct stream {
	CURL *curl;
	http_line_fn fn;
	void *ctx;
	struct buf line;    /* the line being received, capped at max_line */
	struct buf errbody; /* the start of a non-200 body */
	long status;        /* 0 until the first body bytes */
	int fn_rc;          /* fn's non-zero return */
	int toobig;         /* a line was over the cap */
};

static int stream_line(struct stream *s)
{
	int rc = s->fn(s->ctx, buf_cstr(&s->line), s->line.len);

	buf_reset(&s->line);
	if (rc)
		s->fn_rc = rc;
	return rc;
}

static size_t on_stream(char *data, size_t size, size_t n, void *ud)
{
	struct stream *s = ud;
	size_t len = size * n, i = 0;

	if (!s->status)
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &s->status);
	if (s->status != 200) {
		/* Keep the start for the message; the rest is dropped. */
		size_t room = STREAM_ERR_BODY - s->errbody.len;

		if (buf_add(&s->errbody, data, len < room ? len : room) < 0)
			BUG("stream: the error body overflowed its cap");
		return len;
	}
	while (i < len) {
		char *nl = memchr(data + i, '\n', len - i);
		size_t take = nl ? (size_t)(nl - (data + i)) : len - i;

		if (buf_add(&s->line, data + i, take) < 0) {
			s->toobig = 1;
			return 0; /* anything but len makes curl stop */
		}
		i += take;
		if (!nl)
			break;
		i++; /* the '\n' */
		if (stream_line(s))
			return 0;
	}
	return len;
}

/* A duplicate of h's handle set up for one stream of path. */
static CURL *stream_handle(struct http *h, struct stream *s, const char *url)
{
	CURL *c = curl_easy_duphandle(h->curl);
	CURLcode rc;

	if (!c)
		return NULL;
	rc = curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
#define SET(opt, val)                                       \
	do {                                                \
		if (rc == CURLE_OK)                         \
			rc = curl_easy_setopt(c, opt, val); \
	} while (0)
	SET(CURLOPT_CUSTOMREQUEST, NULL);
	SET(CURLOPT_NOBODY, 0L);
	SET(CURLOPT_HTTPHEADER, NULL);
	SET(CURLOPT_URL, url);
	SET(CURLOPT_WRITEFUNCTION, on_stream);
	SET(CURLOPT_WRITEDATA, s);
	SET(CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, 0L);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)0);
	/* Over TCP, notice a peer that vanished without a word. */
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
#undef SET
	if (rc != CURLE_OK) {
		curl_easy_cleanup(c);
		return NULL;
	}
	return c;
}

/*
 * Runs the transfer of c, waking up every STREAM_POLL_MS to ask cancel.
 * Returns curl's result, or -1 when canceled.
 */
static int stream_run(CURLcode *out, CURLM *multi, CURL *c,
                      int (*cancel)(void *), void *ctx)
{
	CURLMsg *msg;
	int running = 1, left;

	if (curl_multi_add_handle(multi, c) != CURLM_OK)
		return -2;
	*out = CURLE_OK;
	while (running) {
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			return -2;
		if (!running)
			break;
		if (cancel && cancel(ctx))
			return -1;
		if (curl_multi_poll(multi, NULL, 0, STREAM_POLL_MS, NULL) !=
		    CURLM_OK)
			return -2;
	}
	while ((msg = curl_multi_info_read(multi, &left)))
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == c)
			*out = msg->data.result;
	return 0;
}

/* The start of a refused stream's body, unprintable bytes replaced. */
static char *printable(const struct buf *b)
{
	char *s = xstrdup(buf_cstr(b));
	size_t i;

	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < ' ' || (unsigned char)s[i] > '~')
			s[i] = ' ';
	return s;
}

/* The result of a finished stream: see http.h. */
static int stream_result(struct http *h, struct stream *s, CURLcode rc,
                         const char *path, size_t max_line, struct err *err)
{
	const char *why = h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc);
	char *body;
	int error;

	if (s->fn_rc)
		return s->fn_rc;
	if (s->toobig)
		return err_set(err, ERR_TOOBIG,
		               "a line of the reply of %s to GET %s is longer "
		               "than %zu bytes",
		               h->name, path, max_line);
	if (rc != CURLE_OK && s->status != 200)
		return perform_error(h, rc, "GET", path, err);
	if (rc != CURLE_OK)
		return err_set(err, ERR_REMOTE,
		               "%s broke off the reply to GET %s: %s", h->name,
		               path, why);
	if (s->status != 200) {
		body = printable(&s->errbody);
		error = err_set(err, ERR_REMOTE,
		                "%s answered GET %s with HTTP %ld: %s", h->name,
		                path, s->status, *body ? body : "(no body)");
		free(body);
		return error;
	}
	/* A clean end: the last line may lack its '\n'. */
	if (s->line.len && stream_line(s))
		return s->fn_rc;
	return 0;
}

int http_stream_lines(struct http *h, const char *path, http_line_fn fn,
                      int (*cancel)(void *ctx), void *ctx, size_t max_line,
                      struct err *err)
{
	struct stream s = {.fn = fn, .ctx = ctx};
	char *url = xasprintf("%s%s", h->base_url, path);
	CURLM *multi = curl_multi_init();
	CURLcode rc = CURLE_OK;
	int error, ran = -2;

	if (!max_line)
		max_line = HTTP_MAX_LINE_DEFAULT;
	buf_init(&s.line, max_line);
	buf_init(&s.errbody, STREAM_ERR_BODY);
	h->errbuf[0] = '\0';
	h->toobig = 0;
	h->stream_status = 0;
	h->requests++;
	s.curl = multi ? stream_handle(h, &s, url) : NULL;
	if (s.curl)
		ran = stream_run(&rc, multi, s.curl, cancel, ctx);
	if (s.curl && !s.status)
		curl_easy_getinfo(s.curl, CURLINFO_RESPONSE_CODE, &s.status);
	h->stream_status = s.status;
	if (ran == -2)
		error = err_set(err, ERR_INTERNAL,
		                "cannot set up a stream of GET %s to %s", path,
		                h->name);
	else if (ran == -1)
		error = err_set(err, ERR_CANCELED,
		                "stopped following GET %s of %s (canceled)",
		                path, h->name);
	else
		error = stream_result(h, &s, rc, path, max_line, err);
	if (s.curl) {
		curl_multi_remove_handle(multi, s.curl);
		curl_easy_cleanup(s.curl);
	}
	if (multi)
		curl_multi_cleanup(multi);
	buf_release(&s.line);
	buf_release(&s.errbody);
	free(url);
	return error;
}

long http_stream_status(const struct http *h)
{
	return h->stream_status;
}
