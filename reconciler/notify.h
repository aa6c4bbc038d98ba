/*
 * notify.h: notifications of the daemon to generic JSON and Slack
 * webhooks (`notify:` in the configuration file).
 *
 * Owns: a bounded queue and one sender thread, so a slow or dead
 * receiver never blocks the reconcile loop; the de-duplication window
 * (the same event, stack and text is sent once per window, so a stuck
 * stack does not page every cycle); a bounded retry of each delivery
 * (three tries, 1 s and 2 s apart); the payloads. Does not own: deciding
 * what is worth a notification (daemon.c), HTTP (http.c).
 */
#ifndef RECONCILER_NOTIFY_H
#define RECONCILER_NOTIFY_H

#include "util.h"

struct err;
struct json_t;
struct notify;

/*
 * Starts the sender for targets (the validated `notify:` list, may be
 * NULL or empty: then notify_send does nothing). instance names this kedge
 * in the payloads. dedup_sec 0: one hour.
 */
int notify_new(struct notify **out, const struct json_t *targets,
               const char *instance, long dedup_sec,
               struct err *err) MUST_CHECK;
/*
 * Queues one notification (a daemon_opts.notify hook: ctx is the struct
 * notify). kind: "failure", "rollback", "drift", "approval", "recovery".
 * Never blocks; when the queue is full the notification is dropped and
 * logged.
 */
void notify_send(void *ctx, const char *kind, const char *stack,
                 const char *text);
/* Stops the sender (what is still queued gets up to 2 s) and frees. */
void notify_free(struct notify *n);

#endif
