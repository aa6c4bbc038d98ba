/*
 * convert.h: a validated compose document → Docker Engine API specs, the
 * way `docker stack deploy` (docker/cli v20.10.24) builds them.
 *
 * Owns: turning one stack's compose document (already parsed, interpolated
 * and schema-checked by desired.h) into the ServiceSpecs, network create
 * bodies, config and secret specs Swarm needs, with every default the
 * daemon would store made explicit and every list in a fixed order, so the
 * same input gives the same bytes every time; kedge's labels (managed-by,
 * spec-hash, content-hash). Does not own: reading files (the caller's
 * read_file callback), name → ID lookups, copying live ForceUpdate or
 * config/secret IDs in (apply time), comparing with live state
 * (normalize.h, specdiff.h). docs/compose-support.md lists every compose
 * key and each deliberate difference from docker stack deploy.
 */
#ifndef RECONCILER_CONVERT_H
#define RECONCILER_CONVERT_H

#include "util.h"

struct json_t;
struct buf;
struct err;

#define CONVERT_LABEL_NAMESPACE    "com.docker.stack.namespace"
#define CONVERT_LABEL_IMAGE        "com.docker.stack.image"
#define CONVERT_LABEL_MANAGED_BY   "kedge.managed-by"
#define CONVERT_LABEL_SPEC_HASH    "kedge.spec-hash"
#define CONVERT_LABEL_CONTENT_HASH "kedge.content-hash"
#define CONVERT_LABEL_LOGICAL_NAME "kedge.logical-name"

/*
 * Reads a file the stack references (configs/secrets `file:`, env_file)
 * into out, whose cap the caller sets. rel_path is as written in compose,
 * relative to the stack's folder; the callback checks it stays inside the
 * repository. Returns 0 or an ERR_* code with err filled.
 */
typedef int (*convert_read_fn)(void *ctx, const char *rel_path, struct buf *out,
                               struct err *err);

/* Returns the value of an environment variable or NULL. Borrowed. */
typedef const char *(*convert_env_fn)(void *ctx, const char *name);

/*
 * Called for each compose key kedge accepts but ignores, as stack deploy
 * does (build, privileged, ...). pointer is the JSON pointer of the key.
 */
typedef void (*convert_warn_fn)(void *ctx, const char *pointer,
                                const char *message);
/*
 * Called with each service the conversion refuses (err holds
 * "<pointer>: <message>"), when the caller wants every refusal at once.
 */
typedef void (*convert_refused_fn)(void *ctx, const struct err *err);

struct convert_opts {
	convert_read_fn read_file; /* NULL: any file reference fails */
	void *read_ctx;
	/*
	 * Resolves `environment: [KEY]` (no value) and env_file lines without
	 * '=' as stack deploy resolves them from the CLI's environment. NULL:
	 * nothing is set, so such keys are sent as "KEY" / dropped.
	 */
	convert_env_fn env;
	void *env_ctx;
	convert_warn_fn warn; /* may be NULL */
	void *warn_ctx;
	/*
	 * NULL: the first refused service ends the conversion. Set: each
	 * refused service (ERR_INVALID, ERR_UNSUPPORTED) is passed to it and
	 * the others are converted too; convert_stack still fails, with the
	 * last refusal in err.
	 */
	convert_refused_fn refused;
	void *refused_ctx;
	/*
	 * Extra service labels (an object of strings, e.g. kedge.revision);
	 * may be NULL. Added to services only, never to the task template,
	 * networks, configs or secrets, and left out of kedge.spec-hash.
	 */
	const struct json_t *labels;
	size_t max_file_bytes; /* cap for read_file; 0: 500 KiB */
	/*
	 * The value of kedge.managed-by on everything converted: the kedge
	 * instance that owns it (kedge.yml `instance:`). NULL: "kedge".
	 */
	const char *owner;
	/*
	 * Leave kedge.spec-hash out: the caller adds it (convert_spec_hash)
	 * only to the specs it sends. Hashing canonical JSON of every service
	 * was a tenth of a no-op diff of a thousand services.
	 */
	int lazy_spec_hash;
};

/*
 * Converts the compose document of stack into
 *
 *	{"services": {<stack>_<svc>: ServiceSpec},
 *	 "networks": {<name>: NetworkCreate body incl. "Name"},
 *	 "configs":  {<name>: ConfigSpec with base64 "Data"},
 *	 "secrets":  {<name>: SecretSpec with base64 "Data"},
 *	 "volumes":  {<name>: {"Name","Driver","DriverOpts","Labels",
 *	              "External"}},
 *	 "external": {"networks": [...], "configs": [...], "secrets": [...],
 *	              "volumes": [...]}}
 *
 * Config and secret references in the services carry ConfigName /
 * SecretName only; the caller fills ConfigID / SecretID and copies the
 * live TaskTemplate.ForceUpdate before sending. kedge.spec-hash is the
 * sha256 of the spec as returned here with every kedge.* label removed
 * (json_dumps JSON_SORT_KEYS | JSON_COMPACT).
 *
 * On success the caller owns *out. Errors: ERR_INVALID for a value kedge
 * cannot convert; the message starts with the JSON pointer of the value
 * ("/services/web/deploy/resources/limits/cpus: ..."), so the caller can
 * find its line. ERR_UNSUPPORTED likewise for a field kedge refuses.
 * Errors of read_file are passed on with the pointer prefixed. File
 * contents never appear in a message.
 */
int convert_stack(struct json_t **out, const char *stack,
                  const struct json_t *compose, const struct convert_opts *opts,
                  struct err *err) MUST_CHECK;

/*
 * One short port ("[ip:][published[-end]:]target[-end][/proto]") as
 * go-connections nat.ParsePortSpec reads it, the one parser of this syntax:
 * the conversion expands it into PortConfigs, validation checks clashes.
 * published_* are 0 when no host port is given; proto is lower case.
 */
struct convert_port_spec {
	char proto[8];
	unsigned target_first, target_last;
	unsigned published_first, published_last;
};

/* Returns 0, or -1 with a static reason in *why. */
int convert_port_spec(struct convert_port_spec *out, const char *spec,
                      const char **why) MUST_CHECK;

/*
 * sha256 of the canonical form of spec with every "kedge.*" key of its
 * top-level Labels removed: the value of kedge.spec-hash. out gets 64 hex
 * digits and a NUL.
 */
void convert_spec_hash(char out[65], const struct json_t *spec);

#endif
