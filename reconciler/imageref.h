/*
 * imageref.h: docker image references, read as docker's CLI reads them.
 *
 * Owns: the reference grammar of distribution/reference (name, tag,
 * digest, the docker.io/library/ defaults) and the two things docker does
 * with it on `docker stack deploy`: refusing what ParseAnyReference
 * refuses, and sending what the API client's imageWithTagString sends (the
 * familiar form, `:latest` added to a bare name). Does not own: registry
 * look-ups (kedge never resolves digests) or where an image is written.
 */
#ifndef RECONCILER_IMAGEREF_H
#define RECONCILER_IMAGEREF_H

/*
 * Can `docker stack deploy` deploy ref? NULL when it can (a name with
 * optional tag and digest); otherwise a static message saying why not,
 * worded as docker words it ("invalid reference format: repository name
 * must be lowercase"). A bare image ID (64 hex digits) passes the CLI's
 * check but the swarm refuses it, so it is refused here.
 */
const char *imageref_check(const char *ref);

/*
 * The image as `docker stack deploy` sends it: the familiar form
 * (docker.io/ and library/ dropped, index.docker.io read as docker.io)
 * with `:latest` added when there is neither tag nor digest, e.g.
 * "docker.io/library/nginx" → "nginx:latest", "localhost:5000/x" →
 * "localhost:5000/x:latest", "x@sha256:…" unchanged. A reference that is
 * not a name (an image ID) or not valid is returned unchanged, as docker
 * sends it. The caller frees the result.
 */
char *imageref_familiar(const char *ref);

/*
 * imageref_familiar() without the digest ("nginx:1.25@sha256:…" →
 * "nginx:1.25", "x@sha256:…" → "x:latest"). Used to compare a spec that
 * pins no digest with a live one that `--resolve-image always` pinned.
 * The caller frees the result.
 */
char *imageref_familiar_undigested(const char *ref);

#endif
