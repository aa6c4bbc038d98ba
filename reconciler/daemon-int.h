/*
 * daemon-int.h: what daemon.c (the loop, triggers, events, the API's
 * reads) and daemon-cycle.c (one reconcile) share. Private to them.
 */
#ifndef RECONCILER_DAEMON_INT_H
#define RECONCILER_DAEMON_INT_H

#include <pthread.h>
#include <stdint.h>

#include <jansson.h>

#include "daemon.h"
#include "hash.h"

#define DEFAULT_DEBOUNCE_MS 500
#define OWN_WRITE_GRACE_MS  3000
#define BACKOFF_MIN_MS      5000LL
#define BACKOFF_MAX_MS      (15LL * 60 * 1000)
#define EVENTS_RETRY_MAX_MS 30000LL
#define MAX_PLAN_ROUNDS     16
#define APPLY_TIMEOUT_SEC   300

/* One commit, loaded and validated once. Loop thread only. */
struct loaded {
	char revision[41];
	struct source *src;
	struct desired *desired;
	json_t *stacks;     /* every stack folder of the commit -> 1 */
	json_t *errors;     /* stack -> its first file error, located */
	char *repo_error;   /* the first error outside stacks/, or NULL */
	json_t *drift_mode; /* stack -> "repair" | "warn" */
	int confirm_prune;  /* kedge.yml prune: confirm */
	char nodes_hash[HASH_HEX_LEN + 1];
};

struct daemon {
	struct daemon_opts o;
	struct schema *schemas;
	struct docker *docker; /* loop thread only; reopened after errors */
	struct loaded *cur;    /* loop thread only */
	json_t *applied;       /* stack -> fingerprint last applied (loop) */
	json_t *failures;      /* stack -> consecutive failures (loop) */
	json_t *was_stalled;   /* stack -> 1 while Stalled (loop) */
	char applied_nodes[HASH_HEX_LEN + 1];
	/* the key of the last cycle that found nothing to do, "" none */
	char quiet_key[HASH_HEX_LEN + 1];
	unsigned seed;

	pthread_mutex_t mu; /* everything below */
	pthread_cond_t cv;
	int stopping;
	int64_t queued_id; /* queued, not started; 0: none */
	char queued_trigger[64];
	int64_t running_id;
	int64_t next_check_ms, drift_at_ms, retry_at_ms;
	int ready;
	int events_up;
	json_t *names; /* stack names of the current commit -> drift mode */
	json_t *own_writes; /* object names kedge is writing -> 1 */
	int64_t own_until_ms;
	char revision[41]; /* the commit loaded, "" none */
	char instance[128];
	char *branch;
	int64_t last_id;
	char approved[HASH_HEX_LEN + 1]; /* a plan approved, "" none */
	int has_nodes;
	pthread_t events;
	int events_started;
	/* the Prometheus part (daemon-prom.c); status under mu */
	char prom_status[16]; /* "Ready", "Stalled"; "" before the first */
	char *prom_message;
	char prom_revision[41];
	long prom_failures; /* consecutive; loop thread only */
};

int64_t daemon_now_ms(void);
double daemon_wall_seconds(void);
/* 1 once daemon_stop was called; ctx is the struct daemon (a cancel hook) */
int daemon_stopping(void *ctx);
void daemon_loaded_free(struct loaded *l);
/* The metrics of the Prometheus part (daemon-prom.c). */
void daemon_prom_declare(struct metrics *m);
/*
 * The Prometheus part of reconcile id, on the loop's thread: NULL when
 * it is not managed, else its summary {result, changes, error}; when it
 * failed, *error_out says why (the caller frees it).
 */
json_t *daemon_prom_cycle(struct daemon *d, int64_t id, char **error_out);
/* The "prometheus" object of the status (new reference). */
json_t *daemon_prom_status(struct daemon *d);
/* One reconcile of queued id, on the loop's thread (daemon-cycle.c). */
void daemon_cycle(struct daemon *d, int64_t id, const char *trigger);

#endif
