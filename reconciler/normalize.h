/*
 * normalize.h: the canonical form of a Swarm spec, for comparison.
 *
 * Owns: turning a live spec (GET /services, /networks, /configs, /secrets)
 * or a desired one (convert.h) into one form where everything the daemon
 * adds, drops or reorders (docker-swarm-prometheus-facts.md §3) compares
 * equal: defaults filled in, empty values removed, lists sorted, network
 * IDs mapped to names, image references made familiar, runtime-owned
 * fields (ForceUpdate, config/secret IDs, kedge.spec-hash) dropped. And
 * the ignore rules (`x-kedge: {ignore: [...]}`) that make desired take a
 * live value. Does not own: what to send (convert.h keeps its own exact
 * form), or reporting differences (specdiff.h).
 */
#ifndef RECONCILER_NORMALIZE_H
#define RECONCILER_NORMALIZE_H

#include "util.h"

struct json_t;
struct err;

struct normalize_ctx {
	/*
	 * Maps a network ID to its name; NULL when unknown (the ID is kept).
	 * May itself be NULL: Targets are kept as they are.
	 */
	const char *(*network_name)(void *ctx, const char *id);
	void *ctx;
	/* Keep Placement.Platforms (only when desired sets them). */
	int keep_platforms;
	/*
	 * Compare image digests (only when desired pins one). Otherwise a
	 * digest that `--resolve-image always` added to the live image is
	 * not a change.
	 */
	int keep_digests;
};

/*
 * Sets ctx's keep_* flags from what the desired spec pins (Platforms, an
 * image digest), for comparing it with a live spec.
 */
void normalize_ctx_pins(struct normalize_ctx *ctx,
                        const struct json_t *desired);

/*
 * Canonical copy of a ServiceSpec (the "Spec" of GET /services/{id}, or a
 * spec from convert_stack). ctx may be NULL. The caller owns *out.
 * ERR_INVALID when spec is not an object or a known field has the wrong
 * type.
 */
int normalize_service(struct json_t **out, const struct json_t *spec,
                      const struct normalize_ctx *ctx,
                      struct err *err) MUST_CHECK;

/*
 * Canonical copy of a network: a create body (desired) or an inspect
 * result (live). Only what kedge sets is kept: Name, Driver, Labels,
 * Options, Internal, Attachable, IPAM driver and subnets. desired, when
 * given, limits live's Options and IPAM to what desired sets (the daemon
 * adds a vxlan id and picks subnets). The caller owns *out.
 */
int normalize_network(struct json_t **out, const struct json_t *net,
                      const struct json_t *desired, struct err *err) MUST_CHECK;

/*
 * Canonical copy of a config or secret (its Spec, or a desired spec):
 * {Name, Labels} only, since Data is immutable (and secret data is never
 * returned); the kedge.content-hash label stands for the content.
 */
int normalize_config(struct json_t **out, const struct json_t *spec,
                     struct err *err) MUST_CHECK;
int normalize_secret(struct json_t **out, const struct json_t *spec,
                     struct err *err) MUST_CHECK;

/*
 * For each compose path (as users write them in x-kedge.ignore:
 * "deploy.replicas", "image", "environment", ...), copies the matching
 * field of live into desired, or removes it from desired when live lacks
 * it, so that it never differs and an apply keeps the live value. Both
 * specs must be in the same form (both raw or both normalised).
 * ERR_INVALID for an unknown path, listing the supported ones.
 */
int normalize_apply_ignores(struct json_t *desired, const struct json_t *live,
                            const char **compose_paths, size_t n,
                            struct err *err) MUST_CHECK;

/*
 * Canonical image reference: docker's familiar form (no docker.io/,
 * library/), a tag, no digest (imageref_familiar_undigested()). A string
 * that is no reference is returned as it is. The caller frees the result.
 */
char *normalize_image(const char *image);

#endif
