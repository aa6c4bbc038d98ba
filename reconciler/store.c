/*
 * store.c: the SQLite store declared in store.h.
 *
 * The schema is versioned with PRAGMA user_version and upgraded by a ladder
 * of migrations, each applied once; a database from a newer kedge is
 * refused rather than guessed at, and opening an up-to-date store (or any
 * store read-only) writes nothing.
 */
#include <sqlite3.h>
#include <errno.h>
#include <sys/stat.h>

#include "err.h"
#include "store.h"

struct store {
	sqlite3 *db;
	char *path;
};

/*
 * The migration ladder: migrations[i] takes a store from version i to
 * i + 1. A store is at the version of the last one applied; a new one
 * starts at 0. Append, never edit: a release's stores are at its length.
 * Version 1's statements say IF NOT EXISTS because stores from before the
 * ladder may have the tables at user_version 0.
 */
static const char *const migrations[] = {
        "CREATE TABLE IF NOT EXISTS failed_spec ("
        " service TEXT PRIMARY KEY, hash TEXT NOT NULL, reason TEXT NOT NULL,"
        " at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
        "CREATE TABLE IF NOT EXISTS apply_history ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT, revision TEXT NOT NULL,"
        " result TEXT NOT NULL, summary TEXT NOT NULL,"
        " at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));",
};

#define STORE_VERSION ((int)ARRAY_SIZE(migrations))

static int db_error(struct store *s, struct err *err, const char *what)
{
	return err_set(err, ERR_IO, "store '%s': cannot %s: %s", s->path, what,
	               sqlite3_errmsg(s->db));
}

/* mkdir -p of the folder that holds path. */
static void make_parent(const char *path)
{
	char *dir = xstrdup(path), *p;

	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(dir, 0700);
		*p = '/';
	}
	free(dir);
}

static int parent_exists(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	struct stat st;
	int ok;

	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	ok = !slash || (stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
	free(dir);
	return ok;
}

static char *default_path(void)
{
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");

	if (state && *state)
		return xasprintf("%s/kedge/state.db", state);
	return xasprintf("%s/.local/state/kedge/state.db",
	                 home && *home ? home : "/var/lib");
}

static int read_version(int *out, struct store *s, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = 0;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL))
		return db_error(s, err, "read its version");
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return db_error(s, err, "read its version");
	if (*out > STORE_VERSION)
		return err_set(
		        err, ERR_IO,
		        "store '%s' has version %d; this kedge knows "
		        "up to %d: use a newer kedge, or another --store",
		        s->path, *out, STORE_VERSION);
	return 0;
}

/*
 * Brings the store to STORE_VERSION inside one write transaction; a store
 * already there is not written to. The version is read again after the
 * transaction took the write lock, so two kedges opening one old store
 * migrate it once.
 */
static int migrate(struct store *s, struct err *err)
{
	char *set;
	int version, error;

	if ((error = read_version(&version, s, err)) ||
	    version == STORE_VERSION)
		return error;
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL))
		return db_error(s, err, "lock it for an upgrade");
	error = read_version(&version, s, err);
	for (int v = version; !error && v < STORE_VERSION; v++)
		if (sqlite3_exec(s->db, migrations[v], NULL, NULL, NULL))
			error = db_error(s, err, "upgrade its tables");
	set = xasprintf("PRAGMA user_version = %d", STORE_VERSION);
	if (!error && (sqlite3_exec(s->db, set, NULL, NULL, NULL) ||
	               sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL)))
		error = db_error(s, err, "upgrade its tables");
	free(set);
	if (error)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return error;
}

static int open_db(struct store **out, const char *path, int read_only,
                   struct err *err)
{
	struct store *s = xcalloc(1, sizeof(*s));
	int flags = read_only ? SQLITE_OPEN_READONLY
	                      : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	struct stat st;
	int error = 0, version;

	s->path = path ? xstrdup(path) : default_path();
	if (read_only && stat(s->path, &st) && errno == ENOENT) {
		/* No store yet is not a problem; a --store whose folder does
		 * not exist either is one: it could never be created. */
		error = path && !parent_exists(s->path)
		                ? err_set(err, ERR_IO,
		                          "store '%s': cannot open it: its "
		                          "folder does not exist",
		                          s->path)
		                : err_set(err, ERR_NOTFOUND,
		                          "store '%s' does not exist", s->path);
		goto out;
	}
	if (!read_only)
		make_parent(s->path);
	if (sqlite3_open_v2(s->path, &s->db, flags | SQLITE_OPEN_FULLMUTEX,
	                    NULL) != SQLITE_OK) {
		error = db_error(s, err, "open it");
		goto out;
	}
	sqlite3_busy_timeout(s->db, 10000);
	if (!read_only)
		error = migrate(s, err);
	else if (!(error = read_version(&version, s, err)) &&
	         version < STORE_VERSION)
		error = err_set(err, ERR_IO,
		                "store '%s' has version %d and needs an "
		                "upgrade, which a read-only run does not make",
		                s->path, version);
out:
	if (error) {
		store_free(s);
		return error;
	}
	*out = s;
	return 0;
}

int store_open(struct store **out, const char *path, struct err *err)
{
	return open_db(out, path, 0, err);
}

int store_open_read(struct store **out, const char *path, struct err *err)
{
	return open_db(out, path, 1, err);
}

void store_free(struct store *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

const char *store_path(const struct store *s)
{
	return s->path;
}

/* Runs sql with up to three text parameters; returns 0 or ERR_IO. */
static int exec3(struct store *s, const char *sql, const char *a, const char *b,
                 const char *c, struct err *err)
{
	sqlite3_stmt *st = NULL;
	const char *args[3] = {a, b, c};
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL))
		return db_error(s, err, "prepare a statement");
	for (int i = 0; i < 3 && args[i]; i++)
		sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, err, "write");
}

int store_failed_get(char **hash, char **reason, struct store *s,
                     const char *service, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db,
	                       "SELECT hash, reason FROM failed_spec WHERE "
	                       "service = ?1",
	                       -1, &st, NULL))
		return db_error(s, err, "prepare a statement");
	sqlite3_bind_text(st, 1, service, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*hash = xstrdup((const char *)sqlite3_column_text(st, 0));
		*reason = xstrdup((const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? ERR_NOTFOUND : db_error(s, err, "read");
}

int store_failed_set(struct store *s, const char *service, const char *hash,
                     const char *reason, struct err *err)
{
	return exec3(
	        s,
	        "INSERT OR REPLACE INTO failed_spec (service, hash, reason)"
	        " VALUES (?1, ?2, ?3)",
	        service, hash, reason, err);
}

int store_failed_clear(struct store *s, const char *service, struct err *err)
{
	return exec3(s, "DELETE FROM failed_spec WHERE service = ?1", service,
	             NULL, NULL, err);
}

int store_apply_record(struct store *s, const char *revision,
                       const char *result, const char *summary, struct err *err)
{
	return exec3(s,
	             "INSERT INTO apply_history (revision, result, summary) "
	             "VALUES (?1, ?2, ?3)",
	             revision, result, summary, err);
}
