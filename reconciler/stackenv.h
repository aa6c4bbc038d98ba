/*
 * stackenv.h: the variables a stack's compose file can see.
 *
 * Owns: the one lookup behind interpolation (${VAR}), `environment: [KEY]`
 * and env_file lines without a value: the stack's .env first, then only
 * the variables kedge.yml names under `env_passthrough:`, read from kedge's
 * own environment. Nothing else of kedge's environment is ever visible, and
 * KEDGE_* and DOCKER_* never are, listed or not: they hold kedge's git
 * token and its Docker connection, and whoever can push a compose file
 * could otherwise copy them into a service (docker service inspect shows
 * labels and Env to anyone with access to the swarm). Does not own: .env
 * parsing (dotenv.h) or the check that reports a refused name in kedge.yml
 * at its line (desired.c).
 */
#ifndef RECONCILER_STACKENV_H
#define RECONCILER_STACKENV_H

struct json_t;

/*
 * The value of name for a stack whose .env is dotenv (an object of
 * strings; may be NULL) under the settings of kedge.yml (may be NULL), or
 * NULL when it is not set. Borrowed: from dotenv, or from the process
 * environment (valid until it changes; kedge never changes it).
 */
const char *stackenv_lookup(const struct json_t *dotenv,
                            const struct json_t *settings, const char *name);

/* True for a name env_passthrough may not list (KEDGE_*, DOCKER_*). */
int stackenv_refused(const char *name);

#endif
