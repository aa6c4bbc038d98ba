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

enum log_level log_threshold = LOG_WARN;

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
