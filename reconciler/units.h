/*
 * units.h: durations and byte sizes, parsed exactly as the docker CLI
 * (v20.10.24) parses them, for every part of kedge that reads one.
 *
 * Owns: Go's time.ParseDuration and docker/go-units v0.4.0 RAMInBytes, with
 * every value range-checked (no signed overflow, nothing wrapped). Does
 * not own: where the strings come from or how a refusal is located (the
 * schema's "duration"/"bytesize" formats, convert-util.c, cli.c).
 */
#ifndef RECONCILER_UNITS_H
#define RECONCILER_UNITS_H

#include <stdint.h>

#include "util.h"

/*
 * A Go duration: an optional sign, then one or more <number><unit> groups
 * ("10s", "1m30s", "-1.5h", ".5s", "1.s"), the unit one of ns, us, µs, μs,
 * ms, s, m, h; "0" alone (signed or not) is zero, any other number needs a
 * unit. Stores nanoseconds in *out_ns (negative when signed so). Returns 0,
 * or ERR_INVALID on a malformed string or one outside int64 nanoseconds
 * (about 292 years); *out_ns is untouched then.
 */
int units_parse_duration(int64_t *out_ns, const char *s) MUST_CHECK;

/*
 * A bound given on the command line or in a settings file: whole seconds
 * ("30") or a Go duration ("1m30s"), at least min_ms and at most 24 h,
 * into *ms. ERR_INVALID otherwise.
 */
int units_parse_bound_ms(long *ms, const char *s, long min_ms) MUST_CHECK;

/*
 * A size as go-units RAMInBytes reads it: digits with at most one
 * fraction, an optional single space, an optional unit k, m, g, t or p
 * (any case, powers of 1024), then an optional 'i' and an optional 'b'
 * ("512", "1.5G", "64 MiB", "100mb", "2kib"). Fractions of a byte are
 * dropped. Stores bytes in *out. Returns 0, or ERR_INVALID on a malformed
 * string or a value of 2^63 bytes or more.
 */
int units_parse_bytes(int64_t *out, const char *s) MUST_CHECK;

#endif
