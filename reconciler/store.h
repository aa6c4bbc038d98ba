/*
 * store.h: what kedge remembers between runs (the SQLite adapter).
 *
 * Owns: the embedded SQLite database (default
 * $XDG_STATE_HOME/kedge/state.db, or --store / $KEDGE_STORE): which desired
 * spec of a service failed to converge (so a loop does not re-apply the
 * same failing spec until the desired spec changes), and a history of
 * applies. This is the only file that includes <sqlite3.h>. Does not own:
 * anything Swarm itself records (kedge's labels on objects are the record
 * of ownership; the store is never needed to know what kedge owns).
 */
#ifndef RECONCILER_STORE_H
#define RECONCILER_STORE_H

#include "util.h"

struct err;
struct store;

/*
 * Opens (creating when needed, with its folder) the database at path;
 * NULL means the default, and brings its tables to this kedge's version
 * (writing only when an upgrade is needed). ERR_IO with the path when it
 * cannot be opened, is not a kedge store or is from a newer kedge. Free
 * with store_free.
 */
int store_open(struct store **out, const char *path,
               struct err *err) MUST_CHECK;
/*
 * Opens an existing store for reading only: nothing is created, upgraded
 * or written (writes through it fail with ERR_IO). ERR_NOTFOUND when there
 * is no store at path yet (its folder exists, or path is NULL); ERR_IO
 * when it cannot be read, its folder does not exist, it is from a newer
 * kedge, or it needs an upgrade.
 */
int store_open_read(struct store **out, const char *path,
                    struct err *err) MUST_CHECK;
void store_free(struct store *s);
/* The path in use. Borrowed. */
const char *store_path(const struct store *s);

/*
 * The spec hash of service that failed last (a rollback, a paused update,
 * no convergence), with the reason. *hash and *reason are new strings the
 * caller frees. ERR_NOTFOUND when the service has no failure recorded.
 */
int store_failed_get(char **hash, char **reason, struct store *s,
                     const char *service, struct err *err) MUST_CHECK;
int store_failed_set(struct store *s, const char *service, const char *hash,
                     const char *reason, struct err *err) MUST_CHECK;
int store_failed_clear(struct store *s, const char *service,
                       struct err *err) MUST_CHECK;
/* Appends one apply to the history. */
int store_apply_record(struct store *s, const char *revision,
                       const char *result, const char *summary,
                       struct err *err) MUST_CHECK;

#endif
