/*
 * err.h: kedge's error codes and the error detail a caller passes down.
 *
 * Owns: the one enum of error codes (generated with its names and messages
 * from ERR_MAP), and struct err, which carries the human message of the
 * lowest layer that failed, with a location when it is known. Does not own:
 * lists of validation problems (diag.h), which are not errors of a call.
 *
 * Convention: a function that can fail returns 0 or a negative ERR_* code,
 * takes `struct err *err` as its last parameter (which may be NULL) and, on
 * failure, fills it with err_set(). A caller that knows more context adds it
 * with err_prefix(); it never replaces the message or the code.
 */
#ifndef RECONCILER_ERR_H
#define RECONCILER_ERR_H

#include "util.h"

#define ERR_MAP(X)                           \
	X(INVALID, -2, "invalid input")      \
	X(NOTFOUND, -3, "not found")         \
	X(CONFLICT, -4, "conflict")          \
	X(AUTH, -5, "authentication failed") \
	X(TIMEOUT, -6, "timed out")          \
	X(REMOTE, -7, "remote error")        \
	X(TOOBIG, -8, "too large")           \
	X(IO, -9, "input/output error")      \
	X(UNSUPPORTED, -10, "not supported") \
	X(INTERNAL, -11, "internal error")   \
	X(CANCELED, -12, "canceled")

enum err_code {
	ERR_OK = 0,
#define X(name, value, msg) ERR_##name = value,
	ERR_MAP(X)
#undef X
};

#define ERR_MSG_MAX 1024

struct err {
	int code;              /* an enum err_code, 0 when unset */
	char msg[ERR_MSG_MAX]; /* the message, without "error: " */
	char file[256];        /* path of the subject, "" when none */
	unsigned line, col;    /* 1-based position in file, 0 when unknown */
};

/* Empties e (NULL-safe). */
void err_clear(struct err *e);
/*
 * Fills e with code and a formatted message, and returns code, so that
 * `return err_set(err, ERR_INVALID, "...")` reads naturally. NULL-safe.
 */
int err_set(struct err *e, int code, const char *fmt, ...) PRINTF(3, 4);
/* Like err_set, with the file and position of the subject. */
int err_set_at(struct err *e, int code, const char *file, unsigned line,
               unsigned col, const char *fmt, ...) PRINTF(6, 7);
/* Puts "<context>: " in front of the message; keeps the code. NULL-safe. */
void err_prefix(struct err *e, const char *fmt, ...) PRINTF(2, 3);
/* The name ("ERR_NOTFOUND") and default message of a code. Static strings. */
const char *err_name(int code);
const char *err_str(int code);
/*
 * Formats e as git does: "file:line:col: message", or just the message when
 * it has no location. Writes into out (size n); returns out.
 */
const char *err_format(const struct err *e, char *out, size_t n);

#endif
