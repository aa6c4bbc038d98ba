/*
 * util.h: allocation that cannot fail, BUG(), and small string helpers.
 *
 * Owns: the x*alloc family (abort with a message when memory runs out, so
 * callers never check), BUG() for impossible states, and the compiler
 * attribute shorthands every module uses. Does not own: bounded buffers
 * (buf.h) or error reporting (err.h).
 */
#ifndef RECONCILER_UTIL_H
#define RECONCILER_UTIL_H

/*
 * System headers come first, here, so that banned.h (included at the end)
 * cannot rename functions inside them. A .c file includes its system and
 * library headers before any kedge header.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MUST_CHECK    __attribute__((warn_unused_result))
#define PRINTF(f, a)  __attribute__((format(printf, f, a)))
#define NORETURN      __attribute__((noreturn))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a newly allocated formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap) PRINTF(1, 0);

/* Grows *p (an array of *alloc elements of size elem) to hold at least n. */
#define ALLOC_GROW(p, n, alloc)                                      \
	do {                                                         \
		if ((n) > (alloc)) {                                 \
			(alloc) = (alloc) ? (alloc)*2 : 8;           \
			if ((alloc) < (n))                           \
				(alloc) = (n);                       \
			(p) = xrealloc((p), (alloc) * sizeof(*(p))); \
		}                                                    \
	} while (0)

NORETURN void bug_fl(const char *file, int line, const char *fmt, ...)
        PRINTF(3, 4);
/* An impossible state: logs file and line, then aborts. Never for input. */
#define BUG(...) bug_fl(__FILE__, __LINE__, __VA_ARGS__)

/* True when s starts with prefix / ends with suffix. */
/* Writes all n bytes to fd, retrying after EINTR; -1 with errno set. */
int write_full(int fd, const void *p, size_t n) MUST_CHECK;

int starts_with(const char *s, const char *prefix);
int ends_with(const char *s, const char *suffix);

/*
 * Levenshtein distance between a and b, capped: returns max+1 as soon as the
 * distance is known to exceed max. Used for "did you mean" hints.
 */
unsigned edit_distance(const char *a, const char *b, unsigned max);
/*
 * The one of names closest to word for "did you mean": within 2 edits,
 * or a third of the word when it is longer; never word itself. NULL
 * when none is that close.
 */
const char *closest_name(const char *word, const char *const *names, size_t nr);

/* Standard base64 (RFC 4648, with padding) of len bytes. Caller frees. */
char *base64_encode(const void *data, size_t len);

#include "banned.h"

#endif
