/*
 * notify.c: the notification sender declared in notify.h.
 */
#include <pthread.h>
#include <time.h>

#include <jansson.h>

#include "err.h"
#include "hash.h"
#include "http.h"
#include "log.h"
#include "notify.h"
#include "units.h"
#include "url.h"

#define QUEUE_MAX     64
#define DEDUP_MAX     256
#define TRIES         3
#define DEFAULT_DEDUP 3600

struct target {
	char *base;  /* scheme://host:port */
	char *path;  /* /path?query */
	char *shown; /* redacted, for the log */
	int slack;
	unsigned events; /* bit per kind; 0: all */
	long timeout_ms;
};

struct message {
	char *kind, *stack, *text;
	time_t at;
};

struct seen {
	char key[HASH_HEX_LEN + 1];
	time_t at;
};

struct notify {
	struct target *targets;
	size_t ntargets;
	char *instance;
	long dedup_sec;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct message queue[QUEUE_MAX];
	size_t head, len;
	struct seen seen[DEDUP_MAX];
	size_t nseen;
	int stop;
	int started;
	pthread_t thread;
};

static const char *const kinds[] = {"failure", "rollback", "drift", "approval",
                                    "recovery"};

static unsigned kind_bit(const char *kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(kind, kinds[i]))
			return 1u << i;
	return 0;
}

static int parse_target(struct target *t, const json_t *j, struct err *err)
{
	const char *url = json_string_value(json_object_get(j, "url"));
	const char *fmt = json_string_value(json_object_get(j, "format"));
	const char *to = json_string_value(json_object_get(j, "timeout"));
	const char *scheme_end, *slash;
	size_t i;
	json_t *ev;
	int64_t ns;

	memset(t, 0, sizeof(*t));
	if (!url || !(scheme_end = strstr(url, "://")))
		return err_set(err, ERR_INVALID, "notify: a url is required");
	slash = strchr(scheme_end + 3, '/');
	t->base = slash ? xstrndup(url, (size_t)(slash - url)) : xstrdup(url);
	t->path = xstrdup(slash ? slash : "/");
	t->shown = url_redact(url);
	t->slack = fmt && !strcmp(fmt, "slack");
	t->timeout_ms = 5000;
	if (to && !units_parse_duration(&ns, to) && ns > 0)
		t->timeout_ms = (long)(ns / 1000000);
	json_array_foreach (json_object_get(j, "events"), i, ev)
		t->events |= kind_bit(json_string_value(ev));
	return 0;
}

static void message_release(struct message *m)
{
	free(m->kind);
	free(m->stack);
	free(m->text);
	memset(m, 0, sizeof(*m));
}

static char *payload(const struct notify *n, const struct target *t,
                     const struct message *m)
{
	char stamp[32];
	struct tm tm;
	json_t *j;
	char *s;

	gmtime_r(&m->at, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (t->slack) {
		char *text = xasprintf("kedge %s: %s%s%s%s", n->instance,
		                       m->kind, *m->stack ? " (stack " : "",
		                       m->stack, *m->stack ? ")" : "");
		char *all = xasprintf("%s: %s", text, m->text);

		j = json_pack("{s:s}", "text", all);
		free(text);
		free(all);
	} else {
		j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "event", m->kind,
		              "stack", m->stack, "text", m->text, "instance",
		              n->instance, "time", stamp);
	}
	s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	return s;
}

static int stopped(void *ctx)
{
	struct notify *n = ctx;
	int s;

	pthread_mutex_lock(&n->mu);
	s = n->stop;
	pthread_mutex_unlock(&n->mu);
	return s;
}

static void deliver(struct notify *n, const struct target *t,
                    const struct message *m)
{
	struct http_opts ho = {0};
	char *body = payload(n, t, m);
	struct http *h = NULL;
	struct err e;

	if (!body)
		return;
	ho.base_url = t->base;
	ho.connect_timeout_ms = t->timeout_ms < 2000 ? t->timeout_ms : 2000;
	ho.timeout_ms = t->timeout_ms;
	ho.max_body = 64 * 1024;
	ho.name = t->shown;
	err_clear(&e);
	if (http_open(&h, &ho, &e)) {
		log_warn("notify", "cannot send to %s: %s", t->shown, e.msg);
		free(body);
		return;
	}
	for (int i = 0; i < TRIES; i++) {
		struct http_response r = {0};
		int error;

		err_clear(&e);
		error = http_request(&r, h, "POST", t->path, "application/json",
		                     body, strlen(body), &e);
		if (!error && r.status >= 200 && r.status < 300) {
			http_response_release(&r);
			log_info("notify", "sent event=%s to=%s", m->kind,
			         t->shown);
			break;
		}
		if (!error)
			log_warn("notify", "%s answered %ld (try %d of %d)",
			         t->shown, r.status, i + 1, TRIES);
		else
			log_warn("notify",
			         "cannot send to %s: %s (try %d of %d)",
			         t->shown, e.msg, i + 1, TRIES);
		http_response_release(&r);
		/* 1 s, then 2 s; stopping cuts the wait short */
		for (long waited = 0;
		     i + 1 < TRIES && waited < 1000L << i && !stopped(n);
		     waited += 100)
			nanosleep(&(struct timespec){0, 100000000L}, NULL);
	}
	http_free(h);
	free(body);
}

static void *sender(void *arg)
{
	struct notify *n = arg;

	pthread_mutex_lock(&n->mu);
	for (;;) {
		struct message m;

		while (!n->len && !n->stop)
			pthread_cond_wait(&n->cv, &n->mu);
		if (!n->len)
			break;
		m = n->queue[n->head];
		memset(&n->queue[n->head], 0, sizeof(m));
		n->head = (n->head + 1) % QUEUE_MAX;
		n->len--;
		pthread_mutex_unlock(&n->mu);
		for (size_t i = 0; i < n->ntargets; i++)
			if (!n->targets[i].events ||
			    (n->targets[i].events & kind_bit(m.kind)))
				deliver(n, &n->targets[i], &m);
		message_release(&m);
		pthread_mutex_lock(&n->mu);
	}
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

int notify_new(struct notify **out, const json_t *targets, const char *instance,
               long dedup_sec, struct err *err)
{
	struct notify *n = xcalloc(1, sizeof(*n));
	size_t i;
	json_t *t;

	n->instance = xstrdup(instance ? instance : "kedge");
	n->dedup_sec = dedup_sec > 0 ? dedup_sec : DEFAULT_DEDUP;
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	n->targets = xcalloc(json_array_size(targets) + 1, sizeof(*n->targets));
	json_array_foreach (targets, i, t) {
		int error = parse_target(&n->targets[n->ntargets], t, err);

		if (error) {
			notify_free(n);
			return error;
		}
		n->ntargets++;
	}
	if (n->ntargets && pthread_create(&n->thread, NULL, sender, n)) {
		notify_free(n);
		return err_set(err, ERR_INTERNAL,
		               "cannot start the notification sender");
	}
	n->started = n->ntargets > 0;
	*out = n;
	return 0;
}

/* 1 when an equal notification was sent within the window. */
static int seen_recently(struct notify *n, const char *key, time_t now)
{
	size_t oldest = 0;

	for (size_t i = 0; i < n->nseen; i++) {
		if (!strcmp(n->seen[i].key, key) &&
		    now - n->seen[i].at < n->dedup_sec)
			return 1;
		if (n->seen[i].at < n->seen[oldest].at)
			oldest = i;
	}
	if (n->nseen < DEDUP_MAX)
		oldest = n->nseen++;
	snprintf(n->seen[oldest].key, sizeof(n->seen[oldest].key), "%s", key);
	n->seen[oldest].at = now;
	return 0;
}

void notify_send(void *ctx, const char *kind, const char *stack,
                 const char *text)
{
	struct notify *n = ctx;
	time_t now = time(NULL);
	char key[HASH_HEX_LEN + 1];
	char *k;

	if (!n || !n->ntargets)
		return;
	k = xasprintf("%s\n%s\n%s", kind, stack ? stack : "", text ? text : "");
	hash_sha256_hex(key, k, strlen(k));
	free(k);
	pthread_mutex_lock(&n->mu);
	if (seen_recently(n, key, now)) {
		pthread_mutex_unlock(&n->mu);
		log_debug("notify", "not sent again within the window event=%s",
		          kind);
		return;
	}
	if (n->len == QUEUE_MAX) {
		pthread_mutex_unlock(&n->mu);
		log_warn("notify", "queue full; dropped event=%s", kind);
		return;
	}
	{
		struct message *m = &n->queue[(n->head + n->len) % QUEUE_MAX];

		m->kind = xstrdup(kind);
		m->stack = xstrdup(stack ? stack : "");
		m->text = xstrdup(text ? text : "");
		m->at = now;
		n->len++;
	}
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
}

void notify_free(struct notify *n)
{
	if (!n)
		return;
	if (n->started) {
		pthread_mutex_lock(&n->mu);
		n->stop = 1;
		pthread_cond_signal(&n->cv);
		pthread_mutex_unlock(&n->mu);
		pthread_join(n->thread, NULL);
	}
	for (size_t i = 0; i < QUEUE_MAX; i++)
		message_release(&n->queue[i]);
	for (size_t i = 0; i < n->ntargets; i++) {
		free(n->targets[i].base);
		free(n->targets[i].path);
		free(n->targets[i].shown);
	}
	free(n->targets);
	free(n->instance);
	pthread_mutex_destroy(&n->mu);
	pthread_cond_destroy(&n->cv);
	free(n);
}
