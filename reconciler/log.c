/*
 * log.c: the stderr logger declared in log.h.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

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

void log_write(enum log_level level, const char *module, const char *fmt, ...)
{
	char stamp[32], line[4096];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per event so concurrent writers do not interleave. */
	fprintf(stderr, "%s %-5s %s: %s\n", stamp, names[level], module, line);
}
