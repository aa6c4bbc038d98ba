/*
 * live.h: the live state of a swarm, read in a fixed number of calls.
 *
 * Owns: one snapshot of every service, network, config, secret and node,
 * read with exactly LIVE_READ_CALLS list requests (never one per object),
 * and lookups by name and by ID over it. Does not own: the Engine API
 * (docker.h), deciding what the snapshot means (diff, plan).
 *
 * Services are listed WITHOUT a label filter: the diff needs every service
 * kedge manages and also any unmanaged service whose name collides with a
 * desired one, and one unfiltered list costs the same single request as a
 * filtered one. Names are compared exactly here, never with the daemon's
 * prefix/substring name filters. Full services carry ServiceStatus (the list is
 * read with status=true).
 *
 * Every json_t returned by a lookup is borrowed from the struct live and
 * lives until live_free(). Lookups return NULL when nothing matches.
 */
#ifndef RECONCILER_LIVE_H
#define RECONCILER_LIVE_H

#include <jansson.h>

#include "docker.h"
#include "err.h"

/* GET /services, /networks, /configs, /secrets, /nodes. */
#define LIVE_READ_CALLS 5

struct live {
	/* JSON arrays exactly as the daemon sent them; owned. */
	json_t *services, *networks, *configs, *secrets, *nodes;
	/*
	 * services holds each service slimmed to what pruning, ownership and
	 * port checks read: ID, Version, Spec.Name/Labels/Mode, the
	 * TaskTemplate's networks, configs and secrets, and Endpoint.Ports.
	 * live_service_by_name() has the rest.
	 */
	/* name -> object indexes (private to live.c). */
	json_t *service_names, *network_names, *config_names, *secret_names;
	/* name -> full service as compact text, and as parsed on demand. */
	json_t *service_text, *service_full;
};

/*
 * Reads the snapshot. Errors are those of the docker_*_list() calls, with
 * the kind of object being read put in front. Free with live_free().
 */
int live_read(struct live **out, struct docker *d, struct err *err) MUST_CHECK;
void live_free(struct live *l);
/*
 * A snapshot from arrays shaped like the daemon's list replies (a recorded
 * one, in tests): each is stolen, and NULL stands for an empty list.
 */
struct live *live_from_json(json_t *services, json_t *networks, json_t *configs,
                            json_t *secrets, json_t *nodes);

/*
 * By exact Spec.Name (services, configs, secrets) or Name (networks).
 * live_service_by_name returns the whole service as the daemon sent it
 * (but PreviousSpec and Endpoint.Spec/VirtualIPs), parsed on first use and
 * kept until live_services_forget() or live_free(); live_service_slim
 * returns its element of l->services.
 */
json_t *live_service_by_name(const struct live *l, const char *name);
json_t *live_service_slim(const struct live *l, const char *name);
/* Drops the full services parsed so far (pointers to them die). */
void live_services_forget(struct live *l);
json_t *live_network_by_name(const struct live *l, const char *name);
json_t *live_config_by_name(const struct live *l, const char *name);
json_t *live_secret_by_name(const struct live *l, const char *name);
/* By ID; nodes also by Description.Hostname (live_node_by_hostname). */
json_t *live_network_by_id(const struct live *l, const char *id);
json_t *live_node_by_id(const struct live *l, const char *id);
json_t *live_node_by_hostname(const struct live *l, const char *hostname);

/* ID -> name, and name -> ID. NULL when unknown. Borrowed strings. */
const char *live_network_name(const struct live *l, const char *id);
const char *live_config_name(const struct live *l, const char *id);
const char *live_secret_name(const struct live *l, const char *id);
const char *live_network_id(const struct live *l, const char *name);
const char *live_config_id(const struct live *l, const char *name);
const char *live_secret_id(const struct live *l, const char *name);

#endif
