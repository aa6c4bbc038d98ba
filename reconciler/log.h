/*
 * log.h: one line per event on stderr.
 *
 * Format: "2026-11-24T11:40:00Z info  apply: service updated stack=shop
 * service=shop_api". The level is tested before the arguments are
 * evaluated, so a disabled debug line costs one comparison. Never pass a
 * secret (file contents, tokens, signatures) to these macros.
 */
#ifndef RECONCILER_LOG_H
#define RECONCILER_LOG_H

#include "util.h"

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_threshold;

/* Sets the level from a name (error, warn, info, debug); ERR_INVALID. */
int log_set_level(const char *name) MUST_CHECK;
void log_write(enum log_level level, const char *module, const char *fmt, ...)
        PRINTF(3, 4);

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
