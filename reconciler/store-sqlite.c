/*
 * store-sqlite.c: the SQLite backend of the store (store-int.h).
 *
 * Owns: the only <sqlite3.h> include, the schema and its migrations, and
 * the SQL of every operation. Does not own: argument checks, locking and
 * the clock (store.c does them before a call arrives here).
 *
 * The schema is versioned with PRAGMA user_version and upgraded by a ladder
 * of migrations, each applied once; a database from a newer kedge is
 * refused rather than guessed at, and opening an up-to-date store (or any
 * store read-only) writes nothing. A read-write open puts the database in
 * WAL mode (readers do not block the writer), turns foreign keys on and
 * waits up to 10 s for another process's lock. Every operation of more
 * than one statement runs in one BEGIN IMMEDIATE transaction, so a SIGKILL
 * leaves it whole or absent.
 */
#include <sqlite3.h>
#include <errno.h>
#include <sys/stat.h>

#include "err.h"
#include "store-int.h"

struct store_backend {
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
        /* 2: the daemon's records; times are UNIX seconds */
        "CREATE TABLE reconcile ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT, trigger TEXT NOT NULL,"
        " state TEXT NOT NULL CHECK (state IN ('queued','running','done')),"
        " revision TEXT, queued INTEGER NOT NULL, started INTEGER,"
        " finished INTEGER, result TEXT, exit_code INTEGER, error TEXT,"
        " summary TEXT);"
        "CREATE INDEX reconcile_state ON reconcile (state, id);"
        "CREATE TABLE reconcile_action ("
        " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " reconcile INTEGER NOT NULL"
        "  REFERENCES reconcile (id) ON DELETE CASCADE,"
        " stack TEXT NOT NULL, op TEXT NOT NULL, kind TEXT NOT NULL,"
        " name TEXT NOT NULL, outcome TEXT NOT NULL, error TEXT);"
        "CREATE INDEX reconcile_action_reconcile"
        " ON reconcile_action (reconcile, seq);"
        "CREATE INDEX reconcile_action_stack"
        " ON reconcile_action (stack, reconcile);"
        "CREATE TABLE stack_status ("
        " stack TEXT PRIMARY KEY, status TEXT NOT NULL, reason TEXT,"
        " revision TEXT, suspended INTEGER NOT NULL DEFAULT 0,"
        " since INTEGER NOT NULL, updated INTEGER NOT NULL);"
        "CREATE TABLE drift ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " reconcile INTEGER NOT NULL"
        "  REFERENCES reconcile (id) ON DELETE CASCADE,"
        " stack TEXT NOT NULL, kind TEXT NOT NULL, object TEXT NOT NULL,"
        " fields TEXT, action TEXT NOT NULL, at INTEGER NOT NULL);"
        "CREATE INDEX drift_reconcile ON drift (reconcile);"
        "CREATE INDEX drift_stack ON drift (stack, id);"
        "CREATE TABLE approval ("
        " seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
        " revision TEXT NOT NULL, state TEXT NOT NULL,"
        " created INTEGER NOT NULL, decided INTEGER, plan TEXT NOT NULL);"
        "CREATE INDEX approval_state ON approval (state, seq);"
        "CREATE TABLE audit ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL,"
        " source TEXT NOT NULL, who TEXT NOT NULL, what TEXT NOT NULL,"
        " result TEXT NOT NULL);",
        /* 2: MCP bearer tokens, by the sha256 of the token */
        "CREATE TABLE token ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,"
        " hash TEXT NOT NULL UNIQUE, scope TEXT NOT NULL,"
        " created INTEGER NOT NULL, last_used INTEGER, revoked INTEGER);"
        "CREATE UNIQUE INDEX token_live ON token (name)"
        " WHERE revoked IS NULL;",
};

#define STORE_VERSION ((int)ARRAY_SIZE(migrations))

static int db_error(struct store_backend *b, struct err *err, const char *what)
{
	return err_set(err, ERR_IO, "store '%s': cannot %s: %s", b->path, what,
	               sqlite3_errmsg(b->db));
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

/*
 * Prepares sql into *out and binds its parameters from fmt, one letter
 * each: 's' a string (NULL binds NULL), 'i' an int64_t, 'j' a const json_t
 * * stored as compact text (NULL binds NULL).
 */
static int prep(sqlite3_stmt **out, struct store_backend *b, struct err *err,
                const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	int rc = SQLITE_OK;

	*out = NULL;
	if (sqlite3_prepare_v2(b->db, sql, -1, &st, NULL))
		return db_error(b, err, "prepare a statement");
	va_start(ap, fmt);
	for (int i = 1; *fmt && rc == SQLITE_OK; fmt++, i++) {
		const char *str;
		const json_t *j;
		char *text;

		switch (*fmt) {
		case 's':
			str = va_arg(ap, const char *);
			rc = str ? sqlite3_bind_text(st, i, str, -1,
			                             SQLITE_TRANSIENT)
			         : sqlite3_bind_null(st, i);
			break;
		case 'i':
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 'j':
			j = va_arg(ap, const json_t *);
			text = j ? json_dumps(j, JSON_COMPACT) : NULL;
			rc = text ? sqlite3_bind_text(st, i, text, -1, free)
			          : sqlite3_bind_null(st, i);
			break;
		default:
			BUG("prep: bad format letter '%c'", *fmt);
		}
	}
	va_end(ap);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return db_error(b, err, "bind a value");
	}
	*out = st;
	return 0;
}

/* Runs a prepared statement that returns no rows, then finalizes it. */
static int run(struct store_backend *b, sqlite3_stmt *st, struct err *err)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_error(b, err, "write");
}

static int begin(struct store_backend *b, struct err *err)
{
	if (sqlite3_exec(b->db, "BEGIN IMMEDIATE", NULL, NULL, NULL))
		return db_error(b, err, "begin a transaction");
	return 0;
}

/* Commits when error is 0, else rolls back; returns the first error. */
static int end(struct store_backend *b, int error, struct err *err)
{
	if (!error && sqlite3_exec(b->db, "COMMIT", NULL, NULL, NULL))
		error = db_error(b, err, "commit");
	if (error)
		sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
	return error;
}

static json_t *col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? json_string((const char *)t) : json_null();
}

static json_t *col_int(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return json_null();
	return json_integer(sqlite3_column_int64(st, i));
}

static json_t *col_time(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return json_null();
	return store_json_time(sqlite3_column_int64(st, i));
}

/* A JSON column; text that does not parse (a hand-edited row) is null. */
static json_t *col_json(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	json_t *v =
	        t ? json_loads((const char *)t, JSON_DECODE_ANY, NULL) : NULL;

	return v ? v : json_null();
}

static int read_version(int *out, struct store_backend *b, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = 0;
	if (sqlite3_prepare_v2(b->db, "PRAGMA user_version", -1, &st, NULL))
		return db_error(b, err, "read its version");
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return db_error(b, err, "read its version");
	if (*out > STORE_VERSION)
		return err_set(
		        err, ERR_IO,
		        "store '%s' has version %d; this kedge knows "
		        "up to %d: use a newer kedge, or another --store",
		        b->path, *out, STORE_VERSION);
	return 0;
}

/*
 * Brings the store to STORE_VERSION inside one write transaction; a store
 * already there is not written to. The version is read again after the
 * transaction took the write lock, so two kedges opening one old store
 * migrate it once.
 */
static int migrate(struct store_backend *b, struct err *err)
{
	char *set;
	int version, error;

	if ((error = read_version(&version, b, err)) ||
	    version == STORE_VERSION)
		return error;
	if (sqlite3_exec(b->db, "BEGIN IMMEDIATE", NULL, NULL, NULL))
		return db_error(b, err, "lock it for an upgrade");
	error = read_version(&version, b, err);
	for (int v = version; !error && v < STORE_VERSION; v++)
		if (sqlite3_exec(b->db, migrations[v], NULL, NULL, NULL))
			error = db_error(b, err, "upgrade its tables");
	set = xasprintf("PRAGMA user_version = %d", STORE_VERSION);
	if (!error && (sqlite3_exec(b->db, set, NULL, NULL, NULL) ||
	               sqlite3_exec(b->db, "COMMIT", NULL, NULL, NULL)))
		error = db_error(b, err, "upgrade its tables");
	free(set);
	if (error)
		sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
	return error;
}

/*
 * WAL and foreign keys. journal_mode=WAL writes the header once, when the
 * database is not in WAL mode yet; on a WAL store it changes nothing.
 */
static int configure(struct store_backend *b, int read_only, struct err *err)
{
	if (sqlite3_exec(b->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL))
		return db_error(b, err, "turn foreign keys on");
	if (!read_only &&
	    sqlite3_exec(b->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL))
		return db_error(b, err, "switch it to WAL mode");
	return 0;
}

static void sqlite_close(struct store_backend *b)
{
	if (!b)
		return;
	sqlite3_close(b->db);
	free(b->path);
	free(b);
}

static int sqlite_open(struct store_backend **out, const char *path,
                       int open_flags, struct err *err)
{
	struct store_backend *b = xcalloc(1, sizeof(*b));
	int read_only = open_flags & STORE_READ_ONLY;
	int flags = read_only ? SQLITE_OPEN_READONLY
	                      : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	struct stat st;
	int error = 0, version;

	b->path = xstrdup(path);
	if (read_only && stat(b->path, &st) && errno == ENOENT) {
		/* No store yet is not a problem; a --store whose folder does
		 * not exist either is one: it could never be created. */
		error = !(open_flags & STORE_DEFAULT) && !parent_exists(b->path)
		                ? err_set(err, ERR_IO,
		                          "store '%s': cannot open it: its "
		                          "folder does not exist",
		                          b->path)
		                : err_set(err, ERR_NOTFOUND,
		                          "store '%s' does not exist", b->path);
		goto out;
	}
	if (!read_only)
		make_parent(b->path);
	if (sqlite3_open_v2(b->path, &b->db, flags | SQLITE_OPEN_FULLMUTEX,
	                    NULL) != SQLITE_OK) {
		error = db_error(b, err, "open it");
		goto out;
	}
	sqlite3_busy_timeout(b->db, 10000);
	if (!read_only)
		error = migrate(b, err);
	else if (!(error = read_version(&version, b, err)) &&
	         version < STORE_VERSION)
		error = err_set(err, ERR_IO,
		                "store '%s' has version %d and needs an "
		                "upgrade, which a read-only run does not make",
		                b->path, version);
	if (!error)
		error = configure(b, read_only, err);
out:
	if (error) {
		sqlite_close(b);
		return error;
	}
	*out = b;
	return 0;
}

static int sqlite_failed_get(char **hash, char **reason,
                             struct store_backend *b, const char *service,
                             struct err *err)
{
	sqlite3_stmt *st;
	int rc, error;

	if ((error = prep(&st, b, err,
	                  "SELECT hash, reason FROM failed_spec WHERE "
	                  "service = ?1",
	                  "s", service)))
		return error;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*hash = xstrdup((const char *)sqlite3_column_text(st, 0));
		*reason = xstrdup((const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return err_set(err, ERR_NOTFOUND,
		               "no failed spec is recorded for '%s'", service);
	return db_error(b, err, "read");
}

static int sqlite_failed_set(struct store_backend *b, const char *service,
                             const char *hash, const char *reason, int64_t now,
                             struct err *err)
{
	sqlite3_stmt *st;
	int error;

	(void)now; /* the column predates the clock; SQLite fills it */
	if ((error = prep(&st, b, err,
	                  "INSERT OR REPLACE INTO failed_spec (service, hash, "
	                  "reason) VALUES (?1, ?2, ?3)",
	                  "sss", service, hash, reason)))
		return error;
	return run(b, st, err);
}

static int sqlite_failed_clear(struct store_backend *b, const char *service,
                               struct err *err)
{
	sqlite3_stmt *st;
	int error;

	if ((error = prep(&st, b, err,
	                  "DELETE FROM failed_spec WHERE service = ?1", "s",
	                  service)))
		return error;
	return run(b, st, err);
}

static int sqlite_apply_record(struct store_backend *b, const char *revision,
                               const char *result, const char *summary,
                               int64_t now, struct err *err)
{
	sqlite3_stmt *st;
	int error;

	(void)now;
	if ((error = prep(&st, b, err,
	                  "INSERT INTO apply_history (revision, result, "
	                  "summary) VALUES (?1, ?2, ?3)",
	                  "sss", revision, result, summary)))
		return error;
	return run(b, st, err);
}

/*
 * One row as a JSON object. spec names the columns in order, each
 * "name=type" separated by spaces; type is s (text), i (integer), t (a
 * time), j (JSON text) or b (a boolean integer). NULL columns are null.
 */
static json_t *row_object(sqlite3_stmt *st, const char *spec)
{
	json_t *o = json_object();

	for (int i = 0; *spec; i++) {
		size_t n = strcspn(spec, "=");
		char *key = xstrndup(spec, n);
		char type = spec[n + 1];
		json_t *v;

		switch (type) {
		case 's':
			v = col_str(st, i);
			break;
		case 'i':
			v = col_int(st, i);
			break;
		case 't':
			v = col_time(st, i);
			break;
		case 'j':
			v = col_json(st, i);
			break;
		case 'b':
			v = json_boolean(sqlite3_column_int(st, i));
			break;
		default:
			BUG("row_object: bad type '%c'", type);
		}
		json_object_set_new(o, key, v);
		free(key);
		spec += n + 2;
		spec += strspn(spec, " ");
	}
	return o;
}

/* Steps st to its end, appending each row to a new array; finalizes st. */
static int rows(json_t **out, struct store_backend *b, sqlite3_stmt *st,
                const char *spec, struct err *err)
{
	json_t *a = json_array();
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(a, row_object(st, spec));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(a);
		return db_error(b, err, "read");
	}
	*out = a;
	return 0;
}

/* A read of several statements sees one snapshot. */
static int begin_read(struct store_backend *b, struct err *err)
{
	if (sqlite3_exec(b->db, "BEGIN", NULL, NULL, NULL))
		return db_error(b, err, "begin a read");
	return 0;
}

static void end_read(struct store_backend *b)
{
	sqlite3_exec(b->db, "COMMIT", NULL, NULL, NULL);
}

/* Copies the state of reconcile id into state (16 bytes); ERR_NOTFOUND. */
static int reconcile_state(char *state, struct store_backend *b, int64_t id,
                           struct err *err)
{
	sqlite3_stmt *st;
	int rc, error;

	if ((error = prep(&st, b, err,
	                  "SELECT state FROM reconcile WHERE id = ?1", "i",
	                  id)))
		return error;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(state, 16, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return store_err_no_reconcile(err, id);
	return db_error(b, err, "read");
}

static int sqlite_reconcile_queue(struct store_backend *b, int64_t *id,
                                  const char *trigger, int64_t now,
                                  struct err *err)
{
	sqlite3_stmt *st;
	int error;

	if ((error = prep(&st, b, err,
	                  "INSERT INTO reconcile (trigger, state, queued) "
	                  "VALUES (?1, 'queued', ?2)",
	                  "si", trigger, now)) ||
	    (error = run(b, st, err)))
		return error;
	/* the caller holds the store's mutex: no other insert in between */
	*id = sqlite3_last_insert_rowid(b->db);
	return 0;
}

static int sqlite_reconcile_start(struct store_backend *b, int64_t id,
                                  const char *revision, int64_t now,
                                  struct err *err)
{
	sqlite3_stmt *st;
	char state[16];
	int error;

	if ((error = begin(b, err)))
		return error;
	if (!(error = reconcile_state(state, b, id, err)) &&
	    strcmp(state, "queued"))
		error = err_set(err, ERR_CONFLICT,
		                "reconcile %lld is %s, not queued",
		                (long long)id, state);
	if (!error &&
	    !(error = prep(&st, b, err,
	                   "UPDATE reconcile SET state = 'running', "
	                   "revision = ?2, started = ?3 WHERE id = ?1",
	                   "isi", id, revision, now)))
		error = run(b, st, err);
	return end(b, error, err);
}

static int sqlite_reconcile_finish(struct store_backend *b, int64_t id,
                                   const char *result, int exit_code,
                                   const char *error_text,
                                   const json_t *summary, int64_t now,
                                   struct err *err)
{
	sqlite3_stmt *st;
	char state[16];
	int error;

	if ((error = begin(b, err)))
		return error;
	if (!(error = reconcile_state(state, b, id, err)) &&
	    !strcmp(state, "done"))
		error = err_set(err, ERR_CONFLICT,
		                "reconcile %lld is done already",
		                (long long)id);
	if (!error &&
	    !(error = prep(&st, b, err,
	                   "UPDATE reconcile SET state = 'done', "
	                   "finished = ?2, result = ?3, exit_code = ?4, "
	                   "error = ?5, summary = ?6 WHERE id = ?1",
	                   "iisisj", id, now, result, (int64_t)exit_code,
	                   error_text, summary)))
		error = run(b, st, err);
	return end(b, error, err);
}

static int sqlite_reconcile_action(struct store_backend *b, int64_t id,
                                   const char *stack, const char *op,
                                   const char *kind, const char *name,
                                   const char *outcome, const char *error_text,
                                   struct err *err)
{
	sqlite3_stmt *st;
	char state[16];
	int error;

	if ((error = begin(b, err)))
		return error;
	if (!(error = reconcile_state(state, b, id, err)) &&
	    !strcmp(state, "done"))
		error = err_set(err, ERR_CONFLICT,
		                "reconcile %lld is done: it takes no more "
		                "actions",
		                (long long)id);
	if (!error &&
	    !(error = prep(&st, b, err,
	                   "INSERT INTO reconcile_action (reconcile, stack, "
	                   "op, kind, name, outcome, error) VALUES (?1, ?2, "
	                   "?3, ?4, ?5, ?6, ?7)",
	                   "issssss", id, stack, op, kind, name, outcome,
	                   error_text)))
		error = run(b, st, err);
	return end(b, error, err);
}

#define RECONCILE_COLUMNS                                                  \
	"SELECT id, trigger, state, revision, queued, started, finished, " \
	"result, exit_code, error, summary FROM reconcile "
#define RECONCILE_SPEC                                                     \
	"id=i trigger=s state=s revision=s queued=t started=t finished=t " \
	"result=s exit_code=i error=s summary=j"

/* Adds "actions" to every reconcile object in list. */
static int add_actions(struct store_backend *b, json_t *list, struct err *err)
{
	sqlite3_stmt *st;
	size_t i;
	json_t *r;
	int error;

	if ((error = prep(&st, b, err,
	                  "SELECT stack, op, kind, name, outcome, error FROM "
	                  "reconcile_action WHERE reconcile = ?1 ORDER BY seq",
	                  "")))
		return error;
	json_array_foreach (list, i, r) {
		json_t *actions = json_array();
		int rc;

		sqlite3_reset(st);
		sqlite3_bind_int64(
		        st, 1, json_integer_value(json_object_get(r, "id")));
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			json_array_append_new(
			        actions,
			        row_object(st, "stack=s op=s kind=s name=s "
			                       "outcome=s error=s"));
		json_object_set_new(r, "actions", actions);
		if (rc != SQLITE_DONE) {
			error = db_error(b, err, "read");
			break;
		}
	}
	sqlite3_finalize(st);
	return error;
}

static int sqlite_reconcile_get(json_t **out, struct store_backend *b,
                                int64_t id, struct err *err)
{
	sqlite3_stmt *st;
	json_t *list = NULL;
	int error;

	if ((error = begin_read(b, err)))
		return error;
	if (!(error = prep(&st, b, err, RECONCILE_COLUMNS "WHERE id = ?1", "i",
	                   id)) &&
	    !(error = rows(&list, b, st, RECONCILE_SPEC, err)) &&
	    !json_array_size(list))
		error = store_err_no_reconcile(err, id);
	if (!error)
		error = add_actions(b, list, err);
	end_read(b);
	if (!error)
		*out = json_incref(json_array_get(list, 0));
	json_decref(list);
	return error;
}

static int sqlite_reconcile_list(json_t **out, struct store_backend *b,
                                 const char *stack, size_t limit,
                                 struct err *err)
{
	sqlite3_stmt *st;
	json_t *list = NULL;
	int error;

	if ((error = begin_read(b, err)))
		return error;
	if (!(error = prep(&st, b, err,
	                   RECONCILE_COLUMNS
	                   "WHERE ?1 IS NULL OR id IN (SELECT reconcile FROM "
	                   "reconcile_action WHERE stack = ?1) ORDER BY id "
	                   "DESC LIMIT ?2",
	                   "si", stack, (int64_t)limit)) &&
	    !(error = rows(&list, b, st, RECONCILE_SPEC, err)))
		error = add_actions(b, list, err);
	end_read(b);
	if (error)
		json_decref(list);
	else
		*out = list;
	return error;
}

static int sqlite_reconcile_interrupt_all(struct store_backend *b, size_t *n,
                                          int64_t now, struct err *err)
{
	sqlite3_stmt *st;
	int error;

	if ((error = prep(&st, b, err,
	                  "UPDATE reconcile SET state = 'done', finished = ?1,"
	                  " result = 'interrupted', exit_code = 2, error = "
	                  "'kedge stopped before it finished' WHERE state != "
	                  "'done'",
	                  "i", now)) ||
	    (error = run(b, st, err)))
		return error;
	if (n)
		*n = (size_t)sqlite3_changes(b->db);
	return 0;
}

/* Runs sql with the integer parameter ?1 = v. */
static int exec_int(struct store_backend *b, const char *sql, int64_t v,
                    struct err *err)
{
	sqlite3_stmt *st;
	int error;

	if ((error = prep(&st, b, err, sql, "i", v)))
		return error;
	return run(b, st, err);
}

static int sqlite_reconcile_prune(struct store_backend *b, size_t keep,
                                  struct err *err)
{
	int error;

	if ((error = begin(b, err)))
		return error;
	/* actions and drift events go with their reconcile (ON DELETE
	 * CASCADE) */
	error = exec_int(b,
	                 "DELETE FROM reconcile WHERE state = 'done' AND id "
	                 "NOT IN (SELECT id FROM reconcile WHERE state = "
	                 "'done' ORDER BY id DESC LIMIT ?1)",
	                 (int64_t)keep, err);
	if (!error)
		error = exec_int(b,
		                 "DELETE FROM audit WHERE id NOT IN (SELECT id "
		                 "FROM audit ORDER BY id DESC LIMIT ?1)",
		                 (int64_t)keep * STORE_AUDIT_PER_RECONCILE,
		                 err);
	if (!error)
		error = exec_int(b,
		                 "DELETE FROM approval WHERE state IN "
		                 "('superseded', 'applied') AND seq NOT IN "
		                 "(SELECT seq FROM approval WHERE state IN "
		                 "('superseded', 'applied') ORDER BY seq DESC "
		                 "LIMIT ?1)",
		                 (int64_t)keep, err);
	return end(b, error, err);
}

static int sqlite_stack_set(struct store_backend *b, const char *stack,
                            const char *status, const char *reason,
                            const char *revision, int64_t now, struct err *err)
{
	sqlite3_stmt *st;
	int error;

	/* every SET expression reads the row as it was before the update */
	if ((error = prep(&st, b, err,
	                  "INSERT INTO stack_status (stack, status, reason, "
	                  "revision, suspended, since, updated) VALUES (?1, "
	                  "?2, ?3, ?4, 0, ?5, ?5) ON CONFLICT (stack) DO "
	                  "UPDATE SET since = CASE WHEN status = "
	                  "excluded.status THEN since ELSE excluded.since END,"
	                  " status = excluded.status, reason = "
	                  "excluded.reason, revision = "
	                  "coalesce(excluded.revision, revision), updated = "
	                  "excluded.updated",
	                  "ssssi", stack, status, reason, revision, now)))
		return error;
	return run(b, st, err);
}

static int sqlite_stack_suspend(struct store_backend *b, const char *stack,
                                int suspended, int64_t now, struct err *err)
{
	const char *suspend =
	        "INSERT INTO stack_status (stack, status, suspended, since, "
	        "updated) VALUES (?1, 'Suspended', 1, ?2, ?2) ON CONFLICT "
	        "(stack) DO UPDATE SET suspended = 1, since = CASE WHEN "
	        "status = 'Suspended' THEN since ELSE ?2 END, status = "
	        "'Suspended', reason = NULL, updated = ?2";
	const char *resume =
	        "INSERT INTO stack_status (stack, status, suspended, since, "
	        "updated) VALUES (?1, 'Reconciling', 0, ?2, ?2) ON CONFLICT "
	        "(stack) DO UPDATE SET suspended = 0, since = CASE WHEN "
	        "status = 'Suspended' THEN ?2 ELSE since END, status = CASE "
	        "WHEN status = 'Suspended' THEN 'Reconciling' ELSE status END,"
	        " updated = ?2";
	sqlite3_stmt *st;
	int error;

	if ((error = prep(&st, b, err, suspended ? suspend : resume, "si",
	                  stack, now)))
		return error;
	return run(b, st, err);
}

#define STACK_COLUMNS                                                        \
	"SELECT stack, status, reason, revision, suspended, since, updated " \
	"FROM stack_status "
#define STACK_SPEC \
	"stack=s status=s reason=s revision=s suspended=b since=t updated=t"

static int sqlite_stack_list(json_t **out, struct store_backend *b,
                             struct err *err)
{
	sqlite3_stmt *st;
	int error;

	if ((error = prep(&st, b, err, STACK_COLUMNS "ORDER BY stack", "")))
		return error;
	return rows(out, b, st, STACK_SPEC, err);
}

static int sqlite_stack_get(json_t **out, struct store_backend *b,
                            const char *stack, struct err *err)
{
	sqlite3_stmt *st;
	json_t *list;
	int error;

	if ((error = prep(&st, b, err, STACK_COLUMNS "WHERE stack = ?1", "s",
	                  stack)) ||
	    (error = rows(&list, b, st, STACK_SPEC, err)))
		return error;
	if (!json_array_size(list))
		error = store_err_no_stack(err, stack);
	else
		*out = json_incref(json_array_get(list, 0));
	json_decref(list);
	return error;
}

static int sqlite_stack_forget(struct store_backend *b, const char *stack,
                               struct err *err)
{
	sqlite3_stmt *st;
	int error;

	if ((error = prep(&st, b, err,
	                  "DELETE FROM stack_status WHERE stack = ?1", "s",
	                  stack)))
		return error;
	return run(b, st, err);
}

static int sqlite_drift_record(struct store_backend *b, int64_t reconcile_id,
                               const char *stack, const char *kind,
                               const char *object, const json_t *fields,
                               const char *action, int64_t now, struct err *err)
{
	sqlite3_stmt *st;
	char state[16];
	int error;

	if ((error = begin(b, err)))
		return error;
	if (!(error = reconcile_state(state, b, reconcile_id, err)) &&
	    !(error = prep(&st, b, err,
	                   "INSERT INTO drift (reconcile, stack, kind, "
	                   "object, fields, action, at) VALUES (?1, ?2, ?3, "
	                   "?4, ?5, ?6, ?7)",
	                   "isssjsi", reconcile_id, stack, kind, object, fields,
	                   action, now)))
		error = run(b, st, err);
	return end(b, error, err);
}

static int sqlite_drift_list(json_t **out, struct store_backend *b,
                             const char *stack, size_t limit, struct err *err)
{
	sqlite3_stmt *st;
	int error;

	if ((error = prep(&st, b, err,
	                  "SELECT id, reconcile, stack, kind, object, fields, "
	                  "action, at FROM drift WHERE ?1 IS NULL OR stack = "
	                  "?1 ORDER BY id DESC LIMIT ?2",
	                  "si", stack, (int64_t)limit)))
		return error;
	return rows(out, b, st,
	            "id=i reconcile=i stack=s kind=s object=s fields=j "
	            "action=s time=t",
	            err);
}

/* Copies the state of plan id into state (16 bytes); ERR_NOTFOUND. */
static int approval_state(char *state, struct store_backend *b, const char *id,
                          struct err *err)
{
	sqlite3_stmt *st;
	int rc, error;

	if ((error = prep(&st, b, err,
	                  "SELECT state FROM approval WHERE id = ?1", "s", id)))
		return error;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(state, 16, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return store_err_no_approval(err, id);
	return db_error(b, err, "read");
}

static int sqlite_approval_add(struct store_backend *b, const char *id,
                               const char *revision, const json_t *plan,
                               int64_t now, struct err *err)
{
	sqlite3_stmt *st;
	char state[16];
	int error;

	if ((error = begin(b, err)))
		return error;
	error = approval_state(state, b, id, err);
	if (!error)
		error = err_set(err, ERR_CONFLICT, "plan '%s' exists already",
		                id);
	else if (error == ERR_NOTFOUND)
		error = exec_int(b,
		                 "UPDATE approval SET state = 'superseded', "
		                 "decided = ?1 WHERE state = 'pending'",
		                 now, err);
	if (!error &&
	    !(error = prep(&st, b, err,
	                   "INSERT INTO approval (id, revision, state, "
	                   "created, plan) VALUES (?1, ?2, 'pending', ?3, ?4)",
	                   "ssij", id, revision, now, plan)))
		error = run(b, st, err);
	return end(b, error, err);
}

static int sqlite_approval_get(json_t **out, struct store_backend *b,
                               const char *id, struct err *err)
{
	sqlite3_stmt *st;
	json_t *list;
	int error;

	if ((error = prep(&st, b, err,
	                  "SELECT id, revision, state, created, decided, plan "
	                  "FROM approval WHERE id = ?1",
	                  "s", id)) ||
	    (error = rows(&list, b, st,
	                  "id=s revision=s state=s created=t decided=t plan=j",
	                  err)))
		return error;
	if (!json_array_size(list))
		error = store_err_no_approval(err, id);
	else
		*out = json_incref(json_array_get(list, 0));
	json_decref(list);
	return error;
}

static int sqlite_approval_set(struct store_backend *b, const char *id,
                               const char *state, int64_t now, struct err *err)
{
	sqlite3_stmt *st;
	char cur[16];
	int error;

	if ((error = begin(b, err)))
		return error;
	if (!(error = approval_state(cur, b, id, err)) &&
	    !strcmp(state, "approved") && strcmp(cur, "pending") &&
	    strcmp(cur, "approved"))
		error = err_set(err, ERR_CONFLICT,
		                "plan '%s' is %s, not pending", id, cur);
	if (!error &&
	    !(error = prep(&st, b, err,
	                   "UPDATE approval SET state = ?2, decided = CASE "
	                   "WHEN ?2 = 'pending' THEN NULL ELSE ?3 END WHERE "
	                   "id = ?1",
	                   "ssi", id, state, now)))
		error = run(b, st, err);
	return end(b, error, err);
}

static int sqlite_approval_pending(json_t **out, struct store_backend *b,
                                   struct err *err)
{
	sqlite3_stmt *st;
	int error;

	if ((error = prep(&st, b, err,
	                  "SELECT id, revision, state, created, decided FROM "
	                  "approval WHERE state = 'pending' ORDER BY seq LIMIT "
	                  "?1",
	                  "i", (int64_t)STORE_LIMIT_MAX)))
		return error;
	return rows(out, b, st, "id=s revision=s state=s created=t decided=t",
	            err);
}

static int sqlite_token_add(struct store_backend *b, const char *name,
                            const char *hash, const char *scope, int64_t now,
                            struct err *err)
{
	sqlite3_stmt *st;
	int error, rc;

	if ((error = prep(&st, b, err,
	                  "INSERT INTO token (name, hash, scope, created) "
	                  "VALUES (?1, ?2, ?3, ?4)",
	                  "sssi", name, hash, scope, now)))
		return error;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT)
		return err_set(err, ERR_CONFLICT,
		               "a token named '%s' exists; revoke it first",
		               name);
	return rc == SQLITE_DONE ? 0 : db_error(b, err, "write");
}

static int sqlite_token_list(json_t **out, struct store_backend *b,
                             struct err *err)
{
	sqlite3_stmt *st;
	int error;

	if ((error = prep(&st, b, err,
	                  "SELECT name, scope, created, last_used, revoked "
	                  "FROM token ORDER BY name, id",
	                  "")))
		return error;
	return rows(out, b, st,
	            "name=s scope=s created=t last_used=t revoked=t", err);
}

static int sqlite_token_revoke(struct store_backend *b, const char *name,
                               int64_t now, struct err *err)
{
	sqlite3_stmt *st;
	int error;

	if ((error = prep(&st, b, err,
	                  "UPDATE token SET revoked = ?2 "
	                  "WHERE name = ?1 AND revoked IS NULL",
	                  "si", name, now)) ||
	    (error = run(b, st, err)))
		return error;
	if (!sqlite3_changes(b->db))
		return err_set(err, ERR_NOTFOUND, "no token named '%s'", name);
	return 0;
}

static int sqlite_token_find(json_t **out, struct store_backend *b,
                             const char *hash, int64_t now, struct err *err)
{
	sqlite3_stmt *st;
	json_t *list;
	int error;

	*out = NULL;
	if ((error = prep(&st, b, err,
	                  "SELECT name, scope FROM token "
	                  "WHERE hash = ?1 AND revoked IS NULL",
	                  "s", hash)) ||
	    (error = rows(&list, b, st, "name=s scope=s", err)))
		return error;
	if (!json_array_size(list)) {
		json_decref(list);
		return err_set(err, ERR_NOTFOUND, "%s", "no such token");
	}
	*out = json_incref(json_array_get(list, 0));
	json_decref(list);
	/* when it was last used: for `kedge token ls`; best effort */
	if (!prep(&st, b, err,
	          "UPDATE token SET last_used = ?2 WHERE hash = ?1", "si", hash,
	          now))
		(void)run(b, st, err);
	err_clear(err);
	return 0;
}

static int sqlite_audit(struct store_backend *b, const char *source,
                        const char *who, const char *what, const char *result,
                        int64_t now, struct err *err)
{
	sqlite3_stmt *st;
	int error;

	if ((error = prep(&st, b, err,
	                  "INSERT INTO audit (at, source, who, what, result) "
	                  "VALUES (?1, ?2, ?3, ?4, ?5)",
	                  "issss", now, source, who, what, result)))
		return error;
	return run(b, st, err);
}

static int sqlite_audit_list(json_t **out, struct store_backend *b,
                             size_t limit, struct err *err)
{
	sqlite3_stmt *st;
	int error;

	if ((error = prep(&st, b, err,
	                  "SELECT id, at, source, who, what, result FROM audit "
	                  "ORDER BY id DESC LIMIT ?1",
	                  "i", (int64_t)limit)))
		return error;
	return rows(out, b, st, "id=i time=t source=s who=s what=s result=s",
	            err);
}

const struct store_ops store_sqlite_ops = {
        .name = "sqlite",
        .open = sqlite_open,
        .close = sqlite_close,
        .failed_get = sqlite_failed_get,
        .failed_set = sqlite_failed_set,
        .failed_clear = sqlite_failed_clear,
        .apply_record = sqlite_apply_record,
        .reconcile_queue = sqlite_reconcile_queue,
        .reconcile_start = sqlite_reconcile_start,
        .reconcile_finish = sqlite_reconcile_finish,
        .reconcile_action = sqlite_reconcile_action,
        .reconcile_get = sqlite_reconcile_get,
        .reconcile_list = sqlite_reconcile_list,
        .reconcile_interrupt_all = sqlite_reconcile_interrupt_all,
        .reconcile_prune = sqlite_reconcile_prune,
        .stack_set = sqlite_stack_set,
        .stack_suspend = sqlite_stack_suspend,
        .stack_list = sqlite_stack_list,
        .stack_get = sqlite_stack_get,
        .stack_forget = sqlite_stack_forget,
        .drift_record = sqlite_drift_record,
        .drift_list = sqlite_drift_list,
        .approval_add = sqlite_approval_add,
        .approval_get = sqlite_approval_get,
        .approval_set = sqlite_approval_set,
        .approval_pending = sqlite_approval_pending,
        .token_add = sqlite_token_add,
        .token_list = sqlite_token_list,
        .token_revoke = sqlite_token_revoke,
        .token_find = sqlite_token_find,
        .audit = sqlite_audit,
        .audit_list = sqlite_audit_list,
};
