/*
 * err.c: the error table and struct err helpers declared in err.h.
 */
#include <stdio.h>
#include <string.h>

#include "err.h"

void err_clear(struct err *e)
{
	if (!e)
		return;
	e->code = 0;
	e->msg[0] = '\0';
	e->file[0] = '\0';
	e->line = e->col = 0;
}

static void set_msg(struct err *e, const char *fmt, va_list ap)
{
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	err_clear(e);
	e->code = code;
	va_start(ap, fmt);
	set_msg(e, fmt, ap);
	va_end(ap);
	return code;
}

int err_set_at(struct err *e, int code, const char *file, unsigned line,
               unsigned col, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	err_clear(e);
	e->code = code;
	snprintf(e->file, sizeof(e->file), "%s", file ? file : "");
	e->line = line;
	e->col = col;
	va_start(ap, fmt);
	set_msg(e, fmt, ap);
	va_end(ap);
	return code;
}

void err_prefix(struct err *e, const char *fmt, ...)
{
	char head[ERR_MSG_MAX], joined[2 * ERR_MSG_MAX + 2];
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	snprintf(joined, sizeof(joined), "%s: %s", head, e->msg);
	/* A message longer than the field is cut, never overflowed. */
	memcpy(e->msg, joined, sizeof(e->msg) - 1);
	e->msg[sizeof(e->msg) - 1] = '\0';
}

const char *err_name(int code)
{
	switch (code) {
	case 0:
		return "ERR_OK";
#define X(name, value, msg) \
	case value:         \
		return "ERR_" #name;
		ERR_MAP(X)
#undef X
	}
	return "ERR_UNKNOWN";
}

const char *err_str(int code)
{
	switch (code) {
	case 0:
		return "success";
#define X(name, value, msg) \
	case value:         \
		return msg;
		ERR_MAP(X)
#undef X
	}
	return "unknown error";
}

const char *err_format(const struct err *e, char *out, size_t n)
{
	const char *msg = e->msg[0] ? e->msg : err_str(e->code);

	if (e->file[0] && e->line)
		snprintf(out, n, "%s:%u:%u: %s", e->file, e->line, e->col, msg);
	else if (e->file[0])
		snprintf(out, n, "%s: %s", e->file, msg);
	else
		snprintf(out, n, "%s", msg);
	return out;
}
