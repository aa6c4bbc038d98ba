/*
 * rules-int.h: what rules.c (the plan) and rules-apply.c (the writes)
 * share about a rules folder.
 */
#ifndef RECONCILER_RULES_INT_H
#define RECONCILER_RULES_INT_H

#include "buf.h"
#include "hash.h"
#include "rules.h"

#define RULES_MANIFEST ".kedge-manifest.json"
#define RULES_STAGE    ".kedge-stage"
#define RULES_LOCK     ".kedge-lock"
#define RULES_FILE_MAX ((size_t)8 << 20)

/* One file of the folder that kedge owns or will own. */
struct rules_file {
	char *name;      /* "node.yml" */
	char *source;    /* "alerts/node.yml"; NULL when no longer desired */
	struct buf want; /* the repository's bytes (when source) */
	char want_sha[HASH_HEX_LEN + 1];
	int exists;      /* DIR/name is on disk */
	struct buf have; /* its bytes (when exists) */
	char have_sha[HASH_HEX_LEN + 1];
	char *recorded_sha; /* the manifest's sha256; NULL when unlisted */
	int write;          /* apply writes want */
	int remove;         /* apply unlinks it */
};

/* A (file, group) that Prometheus must hold after the apply. */
struct rules_expect {
	char *file; /* "node.yml" */
	char *group;
	char **rules; /* "alert:DiskFull", "record:job:up:sum" */
	size_t nrules;
};

struct rules_plan {
	char *dir;
	char *revision;
	struct rules_file *files;
	size_t nfiles;
	struct rules_change *changes;
	size_t nchanges;
	struct rules_expect *expect;
	size_t nexpect;
	int reload; /* the files match; Prometheus has not loaded them */
};

/* Compares Prometheus' groups (/api/v1/rules) that come from the folder
 * with p->expect; 0 when they match, else a description in *why (freed
 * by the caller) of the first difference, health "err" included. */
int rules_loaded_match(const struct rules_plan *p, const struct json_t *groups,
                       char **why);

#endif
