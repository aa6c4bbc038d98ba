/*
 * stackenv.c: the variables of a stack, declared in stackenv.h.
 *
 * docker stack deploy reads its whole environment. kedge does not: it runs
 * unattended with credentials in its environment, so a variable reaches a
 * spec only when the stack's .env sets it or kedge.yml names it.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "stackenv.h"

int stackenv_refused(const char *name)
{
	return !strncmp(name, "KEDGE_", 6) || !strncmp(name, "DOCKER_", 7);
}

static int listed(const json_t *settings, const char *name)
{
	const json_t *list = json_object_get(settings, "env_passthrough");
	const json_t *v;
	size_t i;

	json_array_foreach (list, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), name))
			return 1;
	return 0;
}

const char *stackenv_lookup(const json_t *dotenv, const json_t *settings,
                            const char *name)
{
	const json_t *v = dotenv ? json_object_get(dotenv, name) : NULL;

	if (json_is_string(v))
		return json_string_value(v);
	/* Refused even when listed: a kedge.yml that failed its check must
	 * not leak the token either. */
	if (stackenv_refused(name) || !listed(settings, name))
		return NULL;
	return getenv(name);
}
