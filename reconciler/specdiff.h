/*
 * specdiff.h: the structural differences between two canonical specs.
 *
 * Owns: walking two JSON values (normally the output of normalize.h) and
 * listing each difference with a readable path
 * ("TaskTemplate.ContainerSpec.Env[FOO]", "Mode.Replicated.Replicas") and
 * both values rendered compactly. Lists of keyed things are matched by
 * key (Env by variable, Mounts and Networks by Target, Ports by published
 * port and protocol, Secrets/Configs by name, Ulimits by name), so one
 * added variable is one addition. A "Data" member (config or secret
 * content) is shown only as its sha256. The change list itself keeps Env
 * values as they are; specdiff_shown() decides what a person may see of
 * them (a hash, unless asked), and hides URL passwords. Does not own: canonical
 * forms (normalize.h) or deciding what to apply.
 */
#ifndef RECONCILER_SPECDIFF_H
#define RECONCILER_SPECDIFF_H

#include <stddef.h>

#include "util.h"

struct json_t;

enum specdiff_kind { SPECDIFF_ADD, SPECDIFF_REMOVE, SPECDIFF_CHANGE };

struct specdiff_change {
	enum specdiff_kind kind;
	char *path;    /* "TaskTemplate.ContainerSpec.Env[FOO]" */
	char *old_val; /* rendered; NULL for an addition */
	char *new_val; /* rendered; NULL for a removal */
};

struct specdiff_list {
	struct specdiff_change *items;
	size_t nr, alloc;
};

#define SPECDIFF_LIST_INIT \
	{                  \
		NULL, 0, 0 \
	}

/*
 * Appends to out every difference from old to new (either may be NULL:
 * absent). Returns 0; the list is empty when they are equal. The caller
 * releases out with specdiff_list_free().
 */
int specdiff(struct specdiff_list *out, const struct json_t *old,
             const struct json_t *new_val) MUST_CHECK;

/* Frees the changes and empties the list (the struct itself is the
 * caller's). NULL-safe. */
void specdiff_list_free(struct specdiff_list *l);

/* For specdiff_shown() and specdiff_format(): show Env values in clear. */
#define SPECDIFF_SHOW_ENV 1u

/*
 * A rendered value of the change at path, as diffs, plans and logs may
 * show it: the value of an Env variable (a path with an "Env" member, as
 * "TaskTemplate.ContainerSpec.Env[DB_PASSWORD]") becomes "(env
 * sha256:<12 hex>)" unless flags has SPECDIFF_SHOW_ENV, and in any value
 * the credentials of a URL ("scheme://user:secret@host", any scheme, any
 * case) have the password replaced by three stars (the whole user part when it
 * has no password: that is often a token). NULL for NULL; otherwise the caller
 * frees.
 */
char *specdiff_shown(const char *path, const char *val, unsigned flags);

/* Writes one line per change: "~ path: old → new", "+ path: new",
 * "- path: old", values as specdiff_shown() gives them. The caller frees
 * the string. */
char *specdiff_format(const struct specdiff_list *l, unsigned flags);

#endif
