/*
 * log.h: one line per event on stderr.
 *
 * Format: "2026-11-24T11:40:00Z info  apply: service updated stack=shop
 * service=shop_api". The level is tested before the arguments are
 * evaluated, so a disabled debug line costs one comparison. A message is
 * always exactly one line: a newline, carriage return, tab, backslash or
 * other control character in it is written as an escape (\n, \r, \t, \\,
 * \xHH), so text that came from outside (a file name, a daemon's reply)
 * cannot forge a log line. A message longer than LOG_MAX_MESSAGE bytes is
 * cut and ends with "... (N bytes cut)". Never pass a secret (file
 * contents, tokens, signatures) to these macros.
 */
#ifndef RECONCILER_LOG_H
#define RECONCILER_LOG_H

#include <time.h>

#include "util.h"

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* The longest message, before escaping, that a line carries in full. */
#define LOG_MAX_MESSAGE 8192

extern enum log_level log_threshold;

/*
 * The line format: text (above, for a terminal), logfmt
 * ("time=... level=info module=apply msg=\"service updated\" stack=shop")
 * or json (one object per line, the same keys). In logfmt and json the
 * message's trailing key=value words become fields of their own.
 */
enum log_style { LOG_TEXT, LOG_LOGFMT, LOG_JSON };
/* "text", "logfmt" or "json"; ERR_INVALID otherwise. */
int log_set_format(const char *name) MUST_CHECK;
/*
 * A field that every line of the calling thread carries until cleared
 * (value 0): the daemon's reconcile id, "reconcile=42".
 */
void log_set_reconcile(long long id);

/* Sets the level from a name (error, warn, info, debug); ERR_INVALID. */
int log_set_level(const char *name) MUST_CHECK;
void log_write(enum log_level level, const char *module, const char *fmt, ...)
        PRINTF(3, 4);

/*
 * The line log_write writes for an event at time now, with its newline.
 * The caller frees it. Exposed for tests.
 */
char *log_format(enum log_level level, const char *module, time_t now,
                 const char *fmt, va_list ap) PRINTF(4, 0);

#define log_at(lvl, mod, ...)                                 \
	do {                                                  \
		if ((lvl) <= log_threshold)                   \
			log_write((lvl), (mod), __VA_ARGS__); \
	} while (0)
#define log_error(mod, ...) log_at(LOG_ERROR, mod, __VA_ARGS__)
#define log_warn(mod, ...)  log_at(LOG_WARN, mod, __VA_ARGS__)
#define log_info(mod, ...)  log_at(LOG_INFO, mod, __VA_ARGS__)
#define log_debug(mod, ...) log_at(LOG_DEBUG, mod, __VA_ARGS__)

#endif
