/*
 * buf.h: a growable byte buffer with a size cap.
 *
 * Owns: memory of bytes whose size comes from outside (files, HTTP bodies,
 * Docker replies). Every buffer has a maximum; an append past it fails with
 * ERR_TOOBIG and leaves the buffer as it was. The contents are always
 * NUL-terminated so they can be used as a C string when they hold text.
 *
 *	struct buf b = BUF_INIT;     (no cap: for sizes kedge itself chooses)
 *	buf_init(&b, 1 << 20);       (cap of 1 MiB: for outside input)
 *	...
 *	buf_release(&b);
 */
#ifndef RECONCILER_BUF_H
#define RECONCILER_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "util.h"

struct buf {
	char *ptr;  /* NUL-terminated; never NULL after the first append */
	size_t len; /* bytes in use, not counting the NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* the cap on len; 0 means no cap */
};

#define BUF_INIT              \
	{                     \
		NULL, 0, 0, 0 \
	}

/* Initialises an empty buffer whose length may not exceed max (0: no cap). */
void buf_init(struct buf *b, size_t max);
/* Frees the memory and leaves an empty buffer with the same cap. */
void buf_release(struct buf *b);
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* Hands the memory to the caller (never NULL) and empties the buffer. */
char *buf_detach(struct buf *b, size_t *len_out);
/* Returns the contents as a string; "" for an empty buffer. Borrowed. */
const char *buf_cstr(const struct buf *b);

/* Appends; ERR_TOOBIG when the cap would be exceeded (nothing appended). */
int buf_add(struct buf *b, const void *data, size_t len) MUST_CHECK;
int buf_addstr(struct buf *b, const char *s) MUST_CHECK;
int buf_addch(struct buf *b, char c) MUST_CHECK;
int buf_addf(struct buf *b, const char *fmt, ...) PRINTF(2, 3) MUST_CHECK;
int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
        PRINTF(2, 0) MUST_CHECK;

/*
 * Reads the whole of fd (or a file) into b, respecting its cap.
 * ERR_TOOBIG when the input is larger than the cap, ERR_IO on read errors.
 */
int buf_read_fd(struct buf *b, int fd) MUST_CHECK;
int buf_read_file(struct buf *b, const char *path) MUST_CHECK;

#endif
