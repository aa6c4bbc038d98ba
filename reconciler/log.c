/*
 * log.c: the stderr logger declared in log.h.
 *
 * Escaping is what keeps one event one line: a consumer (journald, a log
 * shipper, grep) splits on newlines, so a message that could carry one
 * could invent an event, a level or a key=value field.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "log.h"

#include <jansson.h>

enum log_level log_threshold = LOG_WARN;
static enum log_style log_style = LOG_TEXT;
static __thread long long log_reconcile;

static const char *const names[] = {"error", "warn", "info", "debug"};

int log_set_level(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(name, names[i])) {
			log_threshold = (enum log_level)i;
			return 0;
		}
	}
	return ERR_INVALID;
}

int log_set_format(const char *name)
{
	static const char *const styles[] = {"text", "logfmt", "json"};

	for (size_t i = 0; i < ARRAY_SIZE(styles); i++) {
		if (!strcmp(name, styles[i])) {
			log_style = (enum log_style)i;
			return 0;
		}
	}
	return ERR_INVALID;
}

void log_set_reconcile(long long id)
{
	log_reconcile = id;
}

static void add_escaped(struct buf *out, const char *s, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			rc = buf_addstr(out, "\\n");
		else if (c == '\r')
			rc = buf_addstr(out, "\\r");
		else if (c == '\t')
			rc = buf_addstr(out, "\\t");
		else if (c == '\\')
			rc = buf_addstr(out, "\\\\");
		else if (c < 0x20 || c == 0x7f)
			rc = buf_addf(out, "\\x%02x", c);
		else
			rc = buf_addch(out, (char)c);
	}
	if (rc)
		BUG("uncapped buffer refused to grow");
}

/* Where the trailing " key=value" words of a message begin, or its end. */
static size_t fields_start(const char *msg)
{
	size_t cut = strlen(msg);

	for (;;) {
		const char *sp = cut ? msg + cut : NULL;
		size_t k = 0, at;

		/* the last space before cut that begins a key=value word */
		while (sp && sp > msg && *--sp != ' ')
			;
		if (!sp || sp == msg)
			return cut;
		at = (size_t)(sp - msg);
		while (msg[at + 1 + k] &&
		       (msg[at + 1 + k] == '_' || msg[at + 1 + k] == '-' ||
		        msg[at + 1 + k] == '.' ||
		        (msg[at + 1 + k] >= 'a' && msg[at + 1 + k] <= 'z')))
			k++;
		if (!k || msg[at + 1 + k] != '=')
			return cut;
		cut = at;
	}
}

/* s as a logfmt value: bare when it needs no quotes. */
static void add_value(struct buf *b, const char *s, size_t n)
{
	int bare = n > 0;

	for (size_t i = 0; i < n && bare; i++)
		bare = s[i] > ' ' && s[i] != '"' && s[i] != '=' &&
		       s[i] != '\\' && (unsigned char)s[i] < 0x7f;
	if (bare) {
		add_escaped(b, s, n);
		return;
	}
	if (buf_addch(b, '"'))
		BUG("uncapped buffer refused to grow");
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' && buf_addstr(b, "\\\""))
			BUG("uncapped buffer refused to grow");
		if (s[i] != '"')
			add_escaped(b, s + i, 1);
	}
	if (buf_addch(b, '"'))
		BUG("uncapped buffer refused to grow");
}

static char *format_logfmt(const char *stamp, enum log_level level,
                           const char *module, const char *msg)
{
	struct buf b = BUF_INIT;
	size_t cut = fields_start(msg);

	if (buf_addf(&b, "time=%s level=%s module=", stamp, names[level]))
		BUG("uncapped buffer refused to grow");
	add_value(&b, module, strlen(module));
	if (buf_addstr(&b, " msg="))
		BUG("uncapped buffer refused to grow");
	add_value(&b, msg, cut);
	add_escaped(&b, msg + cut, strlen(msg + cut));
	if (log_reconcile && buf_addf(&b, " reconcile=%lld", log_reconcile))
		BUG("uncapped buffer refused to grow");
	if (buf_addch(&b, '\n'))
		BUG("uncapped buffer refused to grow");
	return buf_detach(&b, NULL);
}

static char *format_json(const char *stamp, enum log_level level,
                         const char *module, const char *msg)
{
	size_t cut = fields_start(msg);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s%}", "time", stamp, "level",
	                      names[level], "module", module, "msg", msg, cut);
	const char *p = msg + cut;
	char *line;

	if (!o) /* not UTF-8: the escaped text line instead */
		return NULL;
	while (*p == ' ') {
		const char *eq = strchr(p, '='), *end;
		char key[64];

		if (!eq || (size_t)(eq - p - 1) >= sizeof(key))
			break;
		memcpy(key, p + 1, (size_t)(eq - p - 1));
		key[eq - p - 1] = '\0';
		end = strchr(eq, ' ');
		if (!end)
			end = eq + strlen(eq);
		if (strcmp(key, "time") && strcmp(key, "level") &&
		    strcmp(key, "module") && strcmp(key, "msg"))
			json_object_set_new(
			        o, key,
			        json_stringn_nocheck(eq + 1,
			                             (size_t)(end - eq - 1)));
		p = end;
	}
	if (log_reconcile)
		json_object_set_new(o, "reconcile",
		                    json_integer(log_reconcile));
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
	                             JSON_ENSURE_ASCII);
	json_decref(o);
	if (line) {
		char *nl = xasprintf("%s\n", line);

		free(line);
		return nl;
	}
	return NULL;
}

char *log_format(enum log_level level, const char *module, time_t now,
                 const char *fmt, va_list ap)
{
	char stamp[32], msg[LOG_MAX_MESSAGE + 1];
	struct buf b = BUF_INIT;
	struct tm tm;
	int n;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		n = 0;
	if (log_style != LOG_TEXT && (size_t)n <= LOG_MAX_MESSAGE) {
		char *line = log_style == LOG_JSON
		                     ? format_json(stamp, level, module, msg)
		                     : format_logfmt(stamp, level, module, msg);

		if (line)
			return line;
	}
	if (buf_addf(&b, "%s %-5s ", stamp, names[level]))
		BUG("uncapped buffer refused to grow");
	add_escaped(&b, module, strlen(module));
	if (buf_addstr(&b, ": "))
		BUG("uncapped buffer refused to grow");
	add_escaped(&b, msg, strlen(msg));
	if ((size_t)n > LOG_MAX_MESSAGE &&
	    buf_addf(&b, "... (%zu bytes cut)", (size_t)n - LOG_MAX_MESSAGE))
		BUG("uncapped buffer refused to grow");
	if (buf_addch(&b, '\n'))
		BUG("uncapped buffer refused to grow");
	return buf_detach(&b, NULL);
}

void log_write(enum log_level level, const char *module, const char *fmt, ...)
{
	va_list ap;
	char *line;

	va_start(ap, fmt);
	line = log_format(level, module, time(NULL), fmt, ap);
	va_end(ap);
	/* One write per event so concurrent writers do not interleave. */
	fputs(line, stderr);
	free(line);
}
