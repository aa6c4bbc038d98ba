/*
 * dotenv.h: reading a stack's .env file.
 *
 * Owns: the KEY=VALUE format docker uses for --env-file and compose's .env:
 * one assignment per line, optional `export ` prefix, # comments and blank
 * lines, values optionally in single quotes (literal) or double quotes
 * (\n, \t, \\ and \" escapes). Does not own: interpolation (interp.h).
 */
#ifndef RECONCILER_DOTENV_H
#define RECONCILER_DOTENV_H

#include <stddef.h>

#include "util.h"

struct json_t;
struct err;

/*
 * Parses len bytes of .env text into *out, a new JSON object of strings
 * (caller owns). ERR_INVALID with the path and line of the first bad line.
 */
int dotenv_parse(struct json_t **out, const char *data, size_t len,
                 const char *path, struct err *err) MUST_CHECK;

#endif
