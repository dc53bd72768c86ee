/*
 * db.c - the local replica in SQLite: the core of the db module, whose
 * files (db.c, db_<area>.c, db_int.h) are the only ones that include
 * <sqlite3.h> (see db.h for the API and its ownership rules).
 *
 * Durability: WAL with synchronous=FULL, so a command that returned has its
 * row and its outbox op on disk (SYNC.md 3.3: an op nobody has acked must
 * survive power loss).  In WAL mode that costs one fdatasync of the WAL per
 * commit, and readers never wait for writers.
 *
 * Statements are prepared once per connection and cached by their SQL text;
 * only column names from the static tables below are ever pasted into SQL,
 * every value is bound.
 */
#include <errno.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "db_int.h"
#include "db_schema.h"
#include "err.h"
#include "hlc.h"
#include "paths.h"
#include "statuscache.h"
#include "strbuf.h"
#include "timeparse.h"
#include "uuid.h"
#include "xmalloc.h"

#define BUSY_TIMEOUT_MS 5000
#define WAL_TRUNCATE_BYTES (256 * 1024)

/* Copy SQLite's message into err at the boundary: its buffer belongs to the
 * connection and is overwritten by the next call. */
int
dbi_fail(struct db *db, struct tock_err *err, const char *what)
{
	int ext = sqlite3_extended_errcode(db->h);
	int code = TOCK_ERR;

	if ((ext & 0xff) == SQLITE_BUSY || (ext & 0xff) == SQLITE_LOCKED)
		code = TOCK_EBUSY;
	else if ((ext & 0xff) == SQLITE_CONSTRAINT)
		code = TOCK_ECONFLICT;
	else if ((ext & 0xff) == SQLITE_FULL || (ext & 0xff) == SQLITE_IOERR)
		code = TOCK_EIO;
	if (code == TOCK_EBUSY)
		return tock_err_set(err, code,
		    "database is locked by another tock process");
	return tock_err_set(err, code, "%s: %s", what, sqlite3_errmsg(db->h));
}

/* A cached prepared statement, reset and unbound; NULL with err on error. */
sqlite3_stmt *
dbi_stmt(struct db *db, const char *sql, struct tock_err *err)
{
	sqlite3_stmt *st;
	int i;

	for (i = 0; i < db->ncache; i++) {
		if (strcmp(db->cache[i].sql, sql) == 0) {
			st = db->cache[i].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	    NULL) != SQLITE_OK) {
		dbi_fail(db, err, "cannot prepare statement");
		return NULL;
	}
	if (db->ncache == STMT_CACHE) {
		/* Evict the oldest; the cache only holds a command's worth. */
		sqlite3_finalize(db->cache[0].st);
		free(db->cache[0].sql);
		memmove(&db->cache[0], &db->cache[1],
		    (STMT_CACHE - 1) * sizeof db->cache[0]);
		db->ncache--;
	}
	db->cache[db->ncache].sql = xstrdup(sql);
	db->cache[db->ncache].st = st;
	db->ncache++;
	return st;
}

void
dbi_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL || *s == '\0')
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* Run a statement that returns no rows. */
int
dbi_step_done(struct db *db, sqlite3_stmt *st, struct tock_err *err,
    const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return dbi_fail(db, err, what);
	return 0;
}

int
dbi_exec(struct db *db, const char *sql, struct tock_err *err)
{
	char *msg = NULL;

	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int rc = dbi_fail(db, err, "database error");

		if (msg != NULL && err != NULL)
			tock_err_set(err, rc, "database error: %s", msg);
		sqlite3_free(msg);
		return rc;
	}
	return 0;
}

void
dbi_copy_col(char *dst, size_t n, sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	if (s == NULL) {
		dst[0] = '\0';
		return;
	}
	strncpy(dst, (const char *)s, n - 1);
	dst[n - 1] = '\0';
}

char *
dbi_dup_col(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return xstrdup(s ? (const char *)s : "");
}

char *
dbi_dup_col_or_null(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return s ? xstrdup((const char *)s) : NULL;
}

int
dbi_int64(struct db *db, const char *sql, int64_t *out, struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, sql, err);

	if (st == NULL)
		return TOCK_ERR;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return dbi_fail(db, err, "cannot read database");
	}
	*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

/* sync_meta access. */
int
dbi_meta_get(struct db *db, const char *k, char *out, size_t n,
    struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "SELECT v FROM sync_meta WHERE k = ?1",
	    err);
	int rc;

	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		dbi_copy_col(out, n, st, 0);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return tock_err_set(err, TOCK_ENOTFOUND, "no '%s' in sync_meta",
		    k);
	return dbi_fail(db, err, "cannot read sync_meta");
}

int
dbi_meta_set(struct db *db, const char *k, const char *v, struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db,
	    "INSERT INTO sync_meta(k, v) VALUES (?1, ?2) "
	    "ON CONFLICT(k) DO UPDATE SET v = excluded.v", err);

	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
	return dbi_step_done(db, st, err, "cannot write sync_meta");
}

static const char *
local_user_name(void)
{
	const char *u = getenv("USER");
	struct passwd *pw;

	if (u != NULL && *u != '\0')
		return u;
	pw = getpwuid(getuid());
	return pw != NULL ? pw->pw_name : "me";
}

/*
 * A new replica: a local user, its personal workspace, the HLC node and the
 * device id.  The workspace is created through the outbox so that the
 * first login can create it on the server (DESIGN.md); the user is adopted
 * by login itself.
 */
static int
init_identity(struct db *db, struct tock_err *err)
{
	char node_hex[17], device[UUID_STRLEN + 1];
	unsigned char rnd[8];
	struct fieldset fs = FIELDSET_INIT;
	sqlite3_stmt *st;
	int64_t now = time_now_ms();
	int rc, i;

	uuid_random(rnd, sizeof rnd);
	for (i = 0; i < 8; i++)
		snprintf(node_hex + 2 * i, 3, "%02x", rnd[i]);
	uuid_v7(device, now);
	uuid_v7(db->user_id, now);
	uuid_v7(db->workspace_id, now);

	if ((st = dbi_stmt(db, "INSERT INTO hlc_state(id, l, c, node) "
	    "VALUES (1, 0, 0, ?1)", err)) == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, node_hex, -1, SQLITE_STATIC);
	if ((rc = dbi_step_done(db, st, err, "cannot init clock")) != 0)
		return rc;
	if ((rc = dbi_meta_set(db, "node_id", node_hex, err)) != 0 ||
	    (rc = dbi_meta_set(db, "device_id", device, err)) != 0 ||
	    (rc = dbi_meta_set(db, "user_id", db->user_id, err)) != 0 ||
	    (rc = dbi_meta_set(db, "workspace_id", db->workspace_id, err)) != 0 ||
	    (rc = dbi_meta_set(db, "proto", "1", err)) != 0 ||
	    (rc = dbi_meta_set(db, "schema", "1", err)) != 0)
		return rc;

	if ((st = dbi_stmt(db, "INSERT INTO users(id, name) VALUES (?1, ?2)",
	    err)) == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, db->user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, local_user_name(), -1, SQLITE_TRANSIENT);
	if ((rc = dbi_step_done(db, st, err, "cannot create local user")) != 0)
		return rc;

	fieldset_text(&fs, "name", "Personal");
	if ((rc = db_change(db, "workspace", db->workspace_id, "create", &fs,
	    err)) != 0)
		return rc;
	if ((st = dbi_stmt(db, "INSERT INTO memberships(workspace_id, user_id, "
	    "role) VALUES (?1, ?2, 'admin')", err)) == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, db->workspace_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, db->user_id, -1, SQLITE_STATIC);
	return dbi_step_done(db, st, err, "cannot create membership");
}

static int
user_version(struct db *db, int *out, struct tock_err *err)
{
	int64_t v;
	int rc;

	if ((rc = dbi_int64(db, "PRAGMA user_version", &v, err)) == 0)
		*out = (int)v;
	return rc;
}

/* Bring the schema from version have (as read at open) to the newest. */
static int
migrate(struct db *db, int have, struct tock_err *err)
{
	int rc, n = (int)(sizeof db_migrations / sizeof db_migrations[0]);
	char pragma[64];

	if (have > n)
		return tock_err_set(err, TOCK_EPROTO,
		    "database schema %d is newer than this tock (%d): "
		    "upgrade tock", have, n);
	if (have == n)
		return 0;
	if ((rc = db_begin(db, err)) != 0)
		return rc;
	/* Re-read under the write lock: another process may have migrated. */
	if ((rc = user_version(db, &have, err)) != 0)
		goto fail;
	for (; have < n; have++) {
		if ((rc = dbi_exec(db, db_migrations[have], err)) != 0)
			goto fail;
		if (have == 0 && (rc = init_identity(db, err)) != 0)
			goto fail;
	}
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", n);
	if ((rc = dbi_exec(db, pragma, err)) != 0)
		goto fail;
	return db_commit(db, err);
fail:
	db_rollback(db);
	return rc;
}

static int
load_identity(struct db *db, struct tock_err *err)
{
	char off[32];
	int rc;

	if ((rc = dbi_meta_get(db, "user_id", db->user_id, sizeof db->user_id,
	    err)) != 0 ||
	    (rc = dbi_meta_get(db, "workspace_id", db->workspace_id,
	    sizeof db->workspace_id, err)) != 0)
		return rc;
	if (dbi_meta_get(db, "clock_offset_ms", off, sizeof off, NULL) == 0)
		db->clock_offset = strtoll(off, NULL, 10);
	return 0;
}

/*
 * The default VFS, except that it opens an existing WAL file without
 * O_CREAT.  SQLite fsyncs the directory after the first sync of any WAL it
 * opened with O_CREAT, since the file might be new; every tock command is
 * a new process, so each paid a directory fsync on its first commit.  Our
 * WAL is never deleted (see db_close), so the entry was made durable by
 * the process that created it, which SQLite still makes sync the
 * directory.
 */
static sqlite3_vfs wal_vfs;
static int (*unix_open)(sqlite3_vfs *, const char *, sqlite3_file *, int,
    int *);

static int
wal_vfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file,
    int flags, int *out_flags)
{
	if ((flags & SQLITE_OPEN_WAL) && name != NULL && access(name, F_OK) == 0)
		flags &= ~SQLITE_OPEN_CREATE;
	return unix_open(vfs, name, file, flags, out_flags);
}

static void
register_vfs(void)
{
	sqlite3_vfs *base = sqlite3_vfs_find(NULL);

	if (base == NULL)
		return;
	wal_vfs = *base;
	unix_open = base->xOpen;
	wal_vfs.zName = "tock-unix";
	wal_vfs.xOpen = wal_vfs_open;
	sqlite3_vfs_register(&wal_vfs, 1);
}

int
db_open(struct db **out, const char *path, int flags, struct tock_err *err)
{
	static bool configured;
	struct db *db;
	int oflags, rc, ver;
	struct stat st;

	if (flags & DB_OPEN_READONLY) {
		if (stat(path, &st) != 0)
			return tock_err_set(err, TOCK_ENOTFOUND,
			    "no database at '%s'", path);
		oflags = SQLITE_OPEN_READONLY;
	} else {
		if ((rc = paths_mkparent(path, err)) != 0)
			return rc;
		oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	}
	/* Memory statistics cost a global mutex on every allocation, and
	 * nothing here reads them.  Must precede sqlite3_initialize(). */
	if (!configured) {
		sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
		register_vfs();
		configured = true;
	}
	db = xcalloc(1, sizeof *db);
	db->path = xstrdup(path);
	db->readonly = (flags & DB_OPEN_READONLY) != 0;
	db->shm_fd = -1;
	/* One connection per thread of use: the connection mutex is not
	 * needed. */
	if (sqlite3_open_v2(path, &db->h, oflags | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		rc = tock_err_set(err, TOCK_EIO, "cannot open database '%s': %s",
		    path, db->h ? sqlite3_errmsg(db->h) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(db->h, BUSY_TIMEOUT_MS);
	/*
	 * A short-lived process that checkpoints as it closes pays a WAL
	 * re-creation, a directory sync and a database sync on every command:
	 * five fdatasyncs where one makes the commit durable.  db_close
	 * checkpoints only once the WAL has grown past WAL_TRUNCATE_BYTES,
	 * which also bounds what the next process's WAL recovery reads.
	 */
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_extended_result_codes(db->h, 1);
	if (!(flags & DB_OPEN_READONLY)) {
		/* journal_mode is persistent: switch once, when still a
		 * rollback journal. */
		if ((rc = user_version(db, &ver, err)) != 0)
			goto fail;
		if (ver == 0 && (rc = dbi_exec(db, "PRAGMA journal_mode=WAL",
		    err)) != 0)
			goto fail;
		if ((rc = dbi_exec(db, "PRAGMA foreign_keys=ON;"
		    "PRAGMA synchronous=FULL", err)) != 0)
			goto fail;
		if ((rc = migrate(db, ver, err)) != 0)
			goto fail;
	} else {
		if ((rc = user_version(db, &ver, err)) != 0)
			goto fail;
		if (ver != DB_SCHEMA_VERSION) {
			rc = tock_err_set(err, ver == 0 ? TOCK_ENOTFOUND :
			    TOCK_EPROTO, "database '%s' has schema %d, "
			    "expected %d", path, ver, DB_SCHEMA_VERSION);
			goto fail;
		}
	}
	if ((rc = load_identity(db, err)) != 0)
		goto fail;
	*out = db;
	return 0;
fail:
	db_close(db);
	return rc;
}

/* Fold a large WAL back into the database and truncate it.  Recovery
 * after the last connection closes forgets how much was checkpointed, so
 * without this the WAL of short-lived processes would never restart. */
static void
checkpoint_if_large(struct db *db)
{
	char *wal = xasprintf("%s-wal", db->path);
	struct stat st;

	if (stat(wal, &st) == 0 && st.st_size > WAL_TRUNCATE_BYTES)
		sqlite3_wal_checkpoint_v2(db->h, NULL,
		    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	free(wal);
}

void
db_close(struct db *db)
{
	int i;

	if (db == NULL)
		return;
	for (i = 0; i < db->ncache; i++) {
		sqlite3_finalize(db->cache[i].st);
		free(db->cache[i].sql);
	}
	if (db->in_tx)
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	if (!db->readonly && db->h != NULL)
		checkpoint_if_large(db);
	sqlite3_close(db->h);
	/* Only now: closing it earlier would drop SQLite's locks on -shm. */
	if (db->shm_fd >= 0)
		close(db->shm_fd);
	free(db->path);
	free(db);
}

const char *
db_user_id(const struct db *db)
{
	return db->user_id;
}

const char *
db_workspace_id(const struct db *db)
{
	return db->workspace_id;
}

int64_t
db_now(struct db *db)
{
	return time_now_ms() + db->clock_offset;
}

int
db_begin(struct db *db, struct tock_err *err)
{
	int rc;

	if (db->in_tx)
		TOCK_BUG("nested transaction");
	/* IMMEDIATE takes the write lock now, so the HLC read-modify-write
	 * below can never race another process. */
	if ((rc = dbi_exec(db, "BEGIN IMMEDIATE", err)) != 0)
		return rc;
	db->in_tx = true;
	return 0;
}

int
db_commit(struct db *db, struct tock_err *err)
{
	int rc;

	if (!db->in_tx)
		TOCK_BUG("commit outside a transaction");
	if ((rc = dbi_exec(db, "COMMIT", err)) != 0) {
		db_rollback(db);
		return rc;
	}
	db->in_tx = false;
	/* Best effort: a cache that cannot be written is merely missing. */
	db_status_refresh(db);
	return 0;
}

int
db_status_refresh(struct db *db)
{
	char tag0[STATUSCACHE_TAGLEN], tag1[STATUSCACHE_TAGLEN];
	struct entry *e = NULL;
	int rc;

	/*
	 * Tag, read, tag again, inside one read transaction: equal tags mean
	 * no commit came in between, so the entry read belongs to that tag.
	 */
	if (db->shm_fd < 0 && (db->shm_fd = statuscache_open_shm(db->path)) < 0)
		return TOCK_ENOTFOUND;
	if (statuscache_tag(tag0, db->shm_fd, db->path, time_now_ms()) != 0)
		return TOCK_ENOTFOUND;
	if (dbi_exec(db, "BEGIN", NULL) != 0)
		return TOCK_ERR;
	rc = db_entry_running(db, &e, NULL);
	if ((rc == 0 || rc == TOCK_ENOTRUNNING) &&
	    statuscache_tag(tag1, db->shm_fd, db->path, time_now_ms()) == 0 &&
	    strcmp(tag0, tag1) == 0)
		rc = statuscache_write(db->path, tag0, rc == 0 ? e : NULL);
	else
		rc = TOCK_ENOTFOUND;
	dbi_exec(db, "COMMIT", NULL);
	entry_free(e);
	return rc;
}

void
db_rollback(struct db *db)
{
	if (!db->in_tx)
		return;
	sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	db->in_tx = false;
}

/*
 * Move the replica's clock on, in the caller's write transaction: a local
 * event (m NULL: send) or a received stamp (m: recv); the new stamp into
 * out when out is not NULL.
 */
int
dbi_hlc_advance(struct db *db, const struct hlc *m, char out[HLC_STRLEN + 1],
    struct tock_err *err)
{
	sqlite3_stmt *st;
	struct hlc h;
	int rc;

	if ((st = dbi_stmt(db, "SELECT l, c, node FROM hlc_state WHERE id = 1",
	    err)) == NULL)
		return TOCK_ERR;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return dbi_fail(db, err, "cannot read the clock");
	}
	h.l = (uint64_t)sqlite3_column_int64(st, 0);
	h.c = (uint32_t)sqlite3_column_int(st, 1);
	h.node = strtoull((const char *)sqlite3_column_text(st, 2), NULL, 16);
	sqlite3_reset(st);
	if (m != NULL)
		hlc_recv(&h, m, db_now(db));
	else
		hlc_send(&h, db_now(db));
	if ((st = dbi_stmt(db, "UPDATE hlc_state SET l = ?1, c = ?2 WHERE id = 1",
	    err)) == NULL)
		return TOCK_ERR;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)h.l);
	sqlite3_bind_int(st, 2, (int)h.c);
	if ((rc = dbi_step_done(db, st, err, "cannot advance the clock")) != 0)
		return rc;
	if (out != NULL)
		hlc_format(out, &h);
	return 0;
}

/* The next HLC, read and written in the caller's write transaction. */
int
dbi_hlc_next(struct db *db, char out[HLC_STRLEN + 1], struct tock_err *err)
{
	return dbi_hlc_advance(db, NULL, out, err);
}

/*
 * What each entity's fields are.  Only these names ever reach SQL text.
 * text marks the free-text fields whose op carries a "base" clock for
 * conflict detection (SYNC.md 3.5).
 */
struct colspec {
	const char *name;
	bool text;
};

struct entityspec {
	const char *entity;
	const char *table;
	bool metadata;		/* accepts "metadata.<key>" fields */
	const struct colspec *cols;
};

static const struct colspec task_cols[] = {
	{ "workspace_id", false }, { "title", true },
	{ "description", true }, { "status", false },
	{ "assignee_id", false }, { "created_by", false },
	{ "created_at", false }, { "updated_at", false },
	{ "due_date", false }, { "deleted", false }, { NULL, false },
};
static const struct colspec entry_cols[] = {
	{ "workspace_id", false }, { "user_id", false },
	{ "task_id", false }, { "origin", false },
	{ "start_time", false }, { "end_time", false },
	{ "notes", true }, { "deleted", false }, { NULL, false },
};
static const struct colspec comment_cols[] = {
	{ "workspace_id", false }, { "task_id", false },
	{ "author_id", false }, { "body", true },
	{ "created_at", false }, { "deleted", false }, { NULL, false },
};
static const struct colspec workspace_cols[] = {
	{ "name", false }, { "deleted", false }, { NULL, false },
};

static const struct entityspec entities[] = {
	{ "task", "tasks", true, task_cols },
	{ "time_entry", "time_entries", false, entry_cols },
	{ "comment", "comments", false, comment_cols },
	{ "workspace", "workspaces", false, workspace_cols },
};

static const struct entityspec *
entity_spec(const char *entity)
{
	size_t i;

	for (i = 0; i < sizeof entities / sizeof entities[0]; i++)
		if (strcmp(entities[i].entity, entity) == 0)
			return &entities[i];
	TOCK_BUG("unknown entity '%s'", entity);
}

static const struct colspec *
col_spec(const struct entityspec *es, const char *name)
{
	const struct colspec *c;

	for (c = es->cols; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	if (es->metadata && strncmp(name, "metadata.", 9) == 0)
		return NULL;
	TOCK_BUG("unknown field '%s' of %s", name, es->entity);
}

static bool
is_meta(const struct field *f)
{
	return strncmp(f->name, "metadata.", 9) == 0;
}

static void
bind_field(sqlite3_stmt *st, int i, const struct field *f)
{
	switch (f->type) {
	case FIELD_NULL:
		sqlite3_bind_null(st, i);
		break;
	case FIELD_TEXT:
	case FIELD_JSON:
		sqlite3_bind_text(st, i, f->text, -1, SQLITE_STATIC);
		break;
	case FIELD_INT:
	case FIELD_BOOL:
		sqlite3_bind_int64(st, i, f->num);
		break;
	}
}

/* The op's fields as the JSON object that goes into the outbox. */
static void
fields_json(struct strbuf *sb, const struct fieldset *fs)
{
	int i;

	strbuf_addch(sb, '{');
	for (i = 0; i < fs->n; i++) {
		const struct field *f = &fs->f[i];

		if (i > 0)
			strbuf_addch(sb, ',');
		strbuf_add_json_str(sb, f->name);
		strbuf_addch(sb, ':');
		switch (f->type) {
		case FIELD_NULL:
			strbuf_addstr(sb, "null");
			break;
		case FIELD_TEXT:
			strbuf_add_json_str(sb, f->text);
			break;
		case FIELD_JSON:
			strbuf_addstr(sb, f->text);
			break;
		case FIELD_INT:
			strbuf_addf(sb, "%lld", (long long)f->num);
			break;
		case FIELD_BOOL:
			strbuf_addstr(sb, f->num ? "true" : "false");
			break;
		}
	}
	strbuf_addch(sb, '}');
}

/*
 * The row's scope (its workspace) and, for the text fields being set, the
 * field clocks the edit was made against.
 */
static int
row_scope_base(struct db *db, const struct entityspec *es, const char *id,
    const struct fieldset *fs, char scope[UUID_STRLEN + 1],
    struct strbuf *base, struct tock_err *err)
{
	struct strbuf sql = STRBUF_INIT;
	sqlite3_stmt *st;
	int i, ntext = 0, rc;

	strbuf_addstr(&sql, "SELECT ");
	strbuf_addstr(&sql, strcmp(es->entity, "workspace") == 0 ? "id" :
	    "workspace_id");
	strbuf_addstr(&sql, ", json_object(");
	for (i = 0; i < fs->n; i++) {
		const struct colspec *c = col_spec(es, fs->f[i].name);

		if (c == NULL || !c->text)
			continue;
		strbuf_addf(&sql, "%s'%s', json_extract(_fhlc, '$.%s')",
		    ntext++ ? ", " : "", c->name, c->name);
	}
	strbuf_addf(&sql, ") FROM %s WHERE id = ?1", es->table);
	st = dbi_stmt(db, sql.buf, err);
	strbuf_release(&sql);
	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		dbi_copy_col(scope, UUID_STRLEN + 1, st, 0);
		if (ntext > 0)
			strbuf_addstr(base,
			    (const char *)sqlite3_column_text(st, 1));
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return tock_err_set(err, TOCK_ENOTFOUND, "no %s with id %s",
		    es->entity, id);
	return dbi_fail(db, err, "cannot read row");
}

/*
 * UPDATE the row's plain columns, its metadata keys and its field clocks.  Parameters: ?1 id, ?2 hlc, and
 * per field i: ?(3+3i) the _fhlc path, ?(4+3i) the value, ?(5+3i) the path
 * of a metadata key.  Paths quote the name: "metadata.k" is one key of
 * _fhlc, k one key of metadata.
 */
static int
update_row(struct db *db, const struct entityspec *es, const char *id,
    const char *kind, const struct fieldset *fs, const char *hlc,
    struct tock_err *err)
{
	struct strbuf sql = STRBUF_INIT, meta = STRBUF_INIT;
	sqlite3_stmt *st;
	int i, p, rc;
	bool entry = strcmp(es->entity, "time_entry") == 0;

	strbuf_addf(&sql, "UPDATE %s SET ", es->table);
	strbuf_addstr(&meta, "metadata");
	for (i = 0; i < fs->n; i++) {
		const struct field *f = &fs->f[i];

		p = 3 + 3 * i;
		if (is_meta(f)) {
			struct strbuf tmp = STRBUF_INIT;

			if (f->type == FIELD_NULL)
				strbuf_addf(&tmp, "json_remove(%s, ?%d)",
				    meta.buf, p + 2);
			else if (f->type == FIELD_JSON)
				strbuf_addf(&tmp, "json_set(%s, ?%d, json(?%d))",
				    meta.buf, p + 2, p + 1);
			else
				strbuf_addf(&tmp, "json_set(%s, ?%d, ?%d)",
				    meta.buf, p + 2, p + 1);
			strbuf_release(&meta);
			meta = tmp;
		} else
			strbuf_addf(&sql, "%s = ?%d, ", f->name, p + 1);
	}
	if (strcmp(meta.buf, "metadata") != 0)
		strbuf_addf(&sql, "metadata = %s, ", meta.buf);
	/* end_src is local bookkeeping of why an entry ended (SYNC.md 3.11);
	 * the server derives its own, so it is not in the op. */
	if (entry && strcmp(kind, "timer.stop") == 0)
		strbuf_addstr(&sql, "end_src = 'stop', ");
	else if (entry && fieldset_get(fs, "end_time") != NULL)
		strbuf_addstr(&sql, "end_src = 'edit', ");
	strbuf_addstr(&sql, "_fhlc = json_set(_fhlc");
	for (i = 0; i < fs->n; i++)
		strbuf_addf(&sql, ", ?%d, ?2", 3 + 3 * i);
	strbuf_addstr(&sql, ") WHERE id = ?1");
	st = dbi_stmt(db, sql.buf, err);
	strbuf_release(&sql);
	strbuf_release(&meta);
	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hlc, -1, SQLITE_STATIC);
	for (i = 0; i < fs->n; i++) {
		const struct field *f = &fs->f[i];
		char *path = xasprintf("$.\"%s\"", f->name);

		p = 3 + 3 * i;
		sqlite3_bind_text(st, p, path, -1, free);
		bind_field(st, p + 1, f);
		if (is_meta(f))
			sqlite3_bind_text(st, p + 2, xasprintf("$.\"%s\"",
			    f->name + 9), -1, free);
	}
	rc = dbi_step_done(db, st, err, "cannot update row");
	return rc;
}

/*
 * INSERT a new row with all its fields, its metadata keys and a field
 * clock for each, in one statement.  Parameters: ?1 id, ?2 the _fhlc
 * object, then per field i ?(3+2i) the value and ?(4+2i) the metadata
 * path of a "metadata.<k>" field.
 */
static int
insert_row(struct db *db, const struct entityspec *es, const char *id,
    const struct fieldset *fs, const char *hlc, struct tock_err *err)
{
	struct strbuf sql = STRBUF_INIT, vals = STRBUF_INIT, meta = STRBUF_INIT;
	struct strbuf fhlc = STRBUF_INIT;
	sqlite3_stmt *st;
	int i, p, rc;

	strbuf_addf(&sql, "INSERT INTO %s(id, _fhlc", es->table);
	strbuf_addstr(&vals, "?1, ?2");
	strbuf_addstr(&meta, "'{}'");
	strbuf_addch(&fhlc, '{');
	for (i = 0; i < fs->n; i++) {
		const struct field *f = &fs->f[i];

		p = 3 + 2 * i;
		strbuf_addstr(&fhlc, i ? "," : "");
		strbuf_add_json_str(&fhlc, f->name);
		strbuf_addch(&fhlc, ':');
		strbuf_add_json_str(&fhlc, hlc);
		if (!is_meta(f)) {
			strbuf_addf(&sql, ", %s", f->name);
			strbuf_addf(&vals, ", ?%d", p);
		} else if (f->type != FIELD_NULL) {
			struct strbuf tmp = STRBUF_INIT;

			strbuf_addf(&tmp, f->type == FIELD_JSON ?
			    "json_set(%s, ?%d, json(?%d))" :
			    "json_set(%s, ?%d, ?%d)", meta.buf, p + 1, p);
			strbuf_release(&meta);
			meta = tmp;
		}
	}
	strbuf_addch(&fhlc, '}');
	if (strcmp(meta.buf, "'{}'") != 0) {
		strbuf_addstr(&sql, ", metadata");
		strbuf_addf(&vals, ", %s", meta.buf);
	}
	strbuf_addf(&sql, ") VALUES (%s)", vals.buf);
	st = dbi_stmt(db, sql.buf, err);
	strbuf_release(&sql);
	strbuf_release(&vals);
	strbuf_release(&meta);
	if (st == NULL) {
		strbuf_release(&fhlc);
		return TOCK_ERR;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, fhlc.buf, -1, SQLITE_STATIC);
	for (i = 0; i < fs->n; i++) {
		const struct field *f = &fs->f[i];

		p = 3 + 2 * i;
		bind_field(st, p, f);
		if (is_meta(f))
			sqlite3_bind_text(st, p + 1, xasprintf("$.\"%s\"",
			    f->name + 9), -1, free);
	}
	rc = dbi_step_done(db, st, err, "cannot insert row");
	strbuf_release(&fhlc);
	return rc;
}

/*
 * Short numbers: an open task keeps its number, a closed or deleted one
 * gives it back, and a task that (re)opens takes the smallest free one.
 * Local only, never synced: every replica numbers its own open tasks.
 */
int
dbi_task_renumber(struct db *db, const char *id, struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "UPDATE tasks SET num = CASE "
	    "WHEN deleted = 0 AND status IN ('todo','in_progress') THEN "
	    "coalesce(num, (SELECT CASE WHEN NOT EXISTS "
	    "(SELECT 1 FROM tasks WHERE num = 1) THEN 1 ELSE "
	    "(SELECT t.num + 1 FROM tasks t WHERE t.num IS NOT NULL AND "
	    "NOT EXISTS (SELECT 1 FROM tasks u WHERE u.num = t.num + 1) "
	    "ORDER BY t.num LIMIT 1) END)) ELSE NULL END WHERE id = ?1", err);

	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	return dbi_step_done(db, st, err, "cannot number task");
}

int
db_change(struct db *db, const char *entity, const char *entity_id,
    const char *kind, const struct fieldset *fs, struct tock_err *err)
{
	const struct entityspec *es = entity_spec(entity);
	struct strbuf json = STRBUF_INIT, base = STRBUF_INIT;
	char hlc[HLC_STRLEN + 1], scope[UUID_STRLEN + 1], op_id[UUID_STRLEN + 1];
	bool create = strcmp(kind, "create") == 0 ||
	    strcmp(kind, "timer.start") == 0;
	sqlite3_stmt *st;
	int i, rc;

	if (!db->in_tx)
		TOCK_BUG("db_change outside a transaction");
	for (i = 0; i < fs->n; i++)
		(void)col_spec(es, fs->f[i].name);
	if ((rc = dbi_hlc_next(db, hlc, err)) != 0)
		return rc;

	if (create) {
		const struct field *ws = fieldset_get(fs, "workspace_id");

		if (strcmp(entity, "workspace") == 0)
			snprintf(scope, sizeof scope, "%s", entity_id);
		else if (ws == NULL || ws->type != FIELD_TEXT)
			TOCK_BUG("create of %s without workspace_id", entity);
		else
			snprintf(scope, sizeof scope, "%s", ws->text);
		if ((rc = insert_row(db, es, entity_id, fs, hlc, err)) != 0)
			return rc;
	} else if ((rc = row_scope_base(db, es, entity_id, fs, scope, &base,
	    err)) != 0 ||
	    (rc = update_row(db, es, entity_id, kind, fs, hlc, err)) != 0)
		goto out;
	if (strcmp(entity, "task") == 0 &&
	    (rc = dbi_task_renumber(db, entity_id, err)) != 0)
		goto out;

	fields_json(&json, fs);
	uuid_v7(op_id, time_now_ms());
	if ((st = dbi_stmt(db, "INSERT INTO outbox(op_id, scope, entity, "
	    "entity_id, kind, fields, base, hlc, created_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", err)) == NULL) {
		rc = TOCK_ERR;
		goto out;
	}
	sqlite3_bind_text(st, 1, op_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, entity, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, entity_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, json.buf, -1, SQLITE_STATIC);
	dbi_bind_text(st, 7, base.len > 2 ? base.buf : NULL);
	sqlite3_bind_text(st, 8, hlc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, time_now_ms());
	rc = dbi_step_done(db, st, err, "cannot queue change");
out:
	strbuf_release(&json);
	strbuf_release(&base);
	return rc;
}

/* ---- reads ------------------------------------------------------------ */

#define TASK_COLS \
	"t.id, t.workspace_id, t.num, t.title, t.description, t.status, " \
	"t.assignee_id, t.created_by, t.created_at, t.updated_at, " \
	"t.due_date, t.metadata, t.deleted, " \
	"(SELECT name FROM users WHERE id = t.assignee_id), " \
	"coalesce(t.id = (SELECT r.task_id FROM time_entries r WHERE " \
	"r.user_id = ?9 AND r.end_time IS NULL AND r.deleted = 0), 0)"

static struct task *
read_task(sqlite3_stmt *st)
{
	struct task *t = xcalloc(1, sizeof *t);
	const char *status = (const char *)sqlite3_column_text(st, 5);

	dbi_copy_col(t->id, sizeof t->id, st, 0);
	dbi_copy_col(t->workspace_id, sizeof t->workspace_id, st, 1);
	t->num = sqlite3_column_int(st, 2);
	t->title = dbi_dup_col(st, 3);
	t->description = dbi_dup_col(st, 4);
	if (task_status_parse(&t->status, status ? status : "", NULL) != 0)
		t->status = TASK_TODO;
	dbi_copy_col(t->assignee_id, sizeof t->assignee_id, st, 6);
	dbi_copy_col(t->created_by, sizeof t->created_by, st, 7);
	t->created_at = sqlite3_column_int64(st, 8);
	t->updated_at = sqlite3_column_int64(st, 9);
	dbi_copy_col(t->due_date, sizeof t->due_date, st, 10);
	t->metadata = dbi_dup_col(st, 11);
	t->deleted = sqlite3_column_int(st, 12) != 0;
	t->assignee_name = dbi_dup_col_or_null(st, 13);
	t->running = sqlite3_column_int(st, 14) != 0;
	return t;
}

int
db_task_get(struct db *db, struct task **out, const char *id,
    struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "SELECT " TASK_COLS
	    " FROM tasks t WHERE t.id = ?1", err);
	int rc;

	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, db->user_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = read_task(st);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return tock_err_set(err, TOCK_ENOTFOUND, "no task '%s'", id);
	return dbi_fail(db, err, "cannot read task");
}

static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Lower-case hex with optional dashes, at least 4 hex digits. */
static bool
uuid_prefix_ok(const char *s, char *norm, size_t n)
{
	size_t hex = 0, i = 0;

	for (; *s; s++) {
		char c = *s;

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    c == '-'))
			return false;
		if (c != '-')
			hex++;
		if (i + 1 >= n)
			return false;
		norm[i++] = c;
	}
	norm[i] = '\0';
	return hex >= 4;
}

/*
 * Match a UUID prefix in table: the range scan on the primary key finds
 * every id starting with the prefix.  Prefixes typed without dashes are
 * matched against the id with its dashes removed.
 */
static int
resolve_prefix(struct db *db, char id[UUID_STRLEN + 1], const char *table,
    const char *what, const char *ref, const char *extra,
    struct tock_err *err)
{
	char norm[UUID_STRLEN + 1], *sql;
	struct strbuf cand = STRBUF_INIT;
	sqlite3_stmt *st;
	int n = 0, rc;

	if (!uuid_prefix_ok(ref, norm, sizeof norm))
		return tock_err_set(err, TOCK_ENOTFOUND, "no %s '%s'", what,
		    ref);
	if (strchr(norm, '-') != NULL || strlen(norm) <= 8)
		sql = xasprintf("SELECT id FROM %s WHERE id >= ?1 AND "
		    "id < ?1 || 'g' %s ORDER BY id LIMIT 6", table, extra);
	else
		sql = xasprintf("SELECT id FROM %s WHERE id >= substr(?1, 1, 8) "
		    "AND id < substr(?1, 1, 8) || 'g' AND "
		    "replace(id, '-', '') LIKE ?1 || '%%' %s ORDER BY id "
		    "LIMIT 6", table, extra);
	st = dbi_stmt(db, sql, err);
	free(sql);
	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, norm, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, db->user_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++ == 0)
			dbi_copy_col(id, UUID_STRLEN + 1, st, 0);
		if (n <= 5)
			strbuf_addf(&cand, "%s%.13s", n > 1 ? ", " : "",
			    (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		strbuf_release(&cand);
		return dbi_fail(db, err, "cannot look up id");
	}
	if (n == 0)
		rc = tock_err_set(err, TOCK_ENOTFOUND, "no %s '%s'", what, ref);
	else if (n > 1)
		rc = tock_err_set(err, TOCK_EAMBIGUOUS,
		    "%s '%s' is ambiguous: %s%s", what, ref, cand.buf,
		    n > 5 ? ", ..." : "");
	else
		rc = 0;
	strbuf_release(&cand);
	return rc;
}

int
db_task_resolve(struct db *db, char id[UUID_STRLEN + 1], const char *ref,
    struct tock_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (all_digits(ref) && strlen(ref) < 9) {
		if ((st = dbi_stmt(db, "SELECT id FROM tasks WHERE num = ?1",
		    err)) == NULL)
			return TOCK_ERR;
		sqlite3_bind_int(st, 1, atoi(ref));
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			dbi_copy_col(id, UUID_STRLEN + 1, st, 0);
			sqlite3_reset(st);
			return 0;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return dbi_fail(db, err, "cannot look up task");
		if (strlen(ref) < 4)
			return tock_err_set(err, TOCK_ENOTFOUND,
			    "no open task number %s", ref);
	}
	return resolve_prefix(db, id, "tasks", "task", ref, "", err);
}

/* The filters of struct task_filter other than status: ?3 tag, ?4
 * assignee, ?5 due before. */
#define TASK_FILTERS \
	"(?3 IS NULL OR EXISTS (SELECT 1 FROM " \
	"  json_each(t.metadata, '$.tags') WHERE value = ?3)) AND " \
	"(?4 IS NULL OR t.assignee_id = ?4) AND " \
	"(?5 IS NULL OR (t.due_date IS NOT NULL AND t.due_date < ?5))"

int
db_task_list(struct db *db, const struct task_filter *f, db_task_cb *cb,
    void *arg, struct tock_err *err)
{
	unsigned mask = f->status_mask ? f->status_mask :
	    (1u << TASK_TODO) | (1u << TASK_IN_PROGRESS);
	sqlite3_stmt *st;
	int rc;

	/* The open tasks are exactly those with a number (task_renumber),
	 * so the default listing walks the number index: no OR over
	 * statuses, no sort.  Other listings: open tasks by number, then
	 * the closed ones newest first. */
	if (f->status_mask == 0 && !f->deleted)
		st = dbi_stmt(db, "SELECT " TASK_COLS " FROM tasks t WHERE "
		    "t.num IS NOT NULL AND " TASK_FILTERS " ORDER BY t.num",
		    err);
	else
		st = dbi_stmt(db, "SELECT " TASK_COLS " FROM tasks t WHERE "
		    "t.deleted = ?1 AND "
		    "((?2 & 1 AND t.status = 'todo') OR "
		    " (?2 & 2 AND t.status = 'in_progress') OR "
		    " (?2 & 4 AND t.status = 'done') OR "
		    " (?2 & 8 AND t.status = 'cancelled')) AND " TASK_FILTERS
		    " ORDER BY t.num IS NULL, t.num, t.updated_at DESC", err);
	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_int(st, 1, f->deleted ? 1 : 0);
	sqlite3_bind_int(st, 2, (int)mask);
	dbi_bind_text(st, 3, f->tag);
	dbi_bind_text(st, 4, f->assignee_id);
	dbi_bind_text(st, 5, f->due_before);
	sqlite3_bind_text(st, 9, db->user_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct task *t = read_task(st);
		int r = cb(t, arg);

		task_free(t);
		if (r != 0) {
			sqlite3_reset(st);
			return r;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dbi_fail(db, err, "cannot list tasks");
	return 0;
}

#define ENTRY_COLS \
	"e.id, e.workspace_id, e.user_id, e.task_id, e.origin, " \
	"e.start_time, e.end_time, e.end_src, e.notes, e.deleted, " \
	"t.title, t.num"
#define ENTRY_FROM \
	" FROM time_entries e LEFT JOIN tasks t ON t.id = e.task_id "

static struct entry *
read_entry(sqlite3_stmt *st)
{
	struct entry *e = xcalloc(1, sizeof *e);
	const char *origin = (const char *)sqlite3_column_text(st, 4);

	dbi_copy_col(e->id, sizeof e->id, st, 0);
	dbi_copy_col(e->workspace_id, sizeof e->workspace_id, st, 1);
	dbi_copy_col(e->user_id, sizeof e->user_id, st, 2);
	dbi_copy_col(e->task_id, sizeof e->task_id, st, 3);
	e->manual = origin != NULL && strcmp(origin, "manual") == 0;
	e->start_time = sqlite3_column_int64(st, 5);
	e->end_time = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(st, 6);
	dbi_copy_col(e->end_src, sizeof e->end_src, st, 7);
	e->notes = dbi_dup_col(st, 8);
	e->deleted = sqlite3_column_int(st, 9) != 0;
	e->task_title = dbi_dup_col_or_null(st, 10);
	e->task_num = sqlite3_column_int(st, 11);
	return e;
}

static int
one_entry(struct db *db, struct entry **out, const char *sql,
    const char *arg, int notfound, struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, sql, err);
	int rc;

	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, db->user_id, -1, SQLITE_STATIC);
	if (arg != NULL)
		sqlite3_bind_text(st, 2, arg, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = read_entry(st);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return tock_err_set(err, notfound, notfound ==
		    TOCK_ENOTRUNNING ? "no timer is running" :
		    "no time entry '%s'", arg ? arg : "");
	return dbi_fail(db, err, "cannot read time entry");
}

int
db_entry_get(struct db *db, struct entry **out, const char *id,
    struct tock_err *err)
{
	return one_entry(db, out, "SELECT " ENTRY_COLS ENTRY_FROM
	    "WHERE e.user_id = ?1 AND e.id = ?2", id, TOCK_ENOTFOUND, err);
}

int
db_entry_running(struct db *db, struct entry **out, struct tock_err *err)
{
	return one_entry(db, out, "SELECT " ENTRY_COLS ENTRY_FROM
	    "WHERE e.user_id = ?1 AND e.end_time IS NULL AND e.deleted = 0",
	    NULL, TOCK_ENOTRUNNING, err);
}

int
db_entry_last(struct db *db, struct entry **out, struct tock_err *err)
{
	int rc = one_entry(db, out, "SELECT " ENTRY_COLS ENTRY_FROM
	    "WHERE e.user_id = ?1 AND e.deleted = 0 AND e.task_id IS NOT NULL "
	    "AND t.deleted = 0 ORDER BY e.start_time DESC LIMIT 1", NULL,
	    TOCK_ENOTFOUND, NULL);

	if (rc == TOCK_ENOTFOUND)
		return tock_err_set(err, rc, "no previous time entry to resume");
	if (rc != 0)
		return tock_err_set(err, rc, "cannot read time entries");
	return 0;
}

int
db_entry_resolve(struct db *db, char id[UUID_STRLEN + 1], const char *ref,
    struct tock_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (ref[0] == '@') {
		if (!all_digits(ref + 1) || strlen(ref) > 9 || atoi(ref + 1) < 1)
			return tock_err_set(err, TOCK_ENOTFOUND,
			    "no time entry '%s'", ref);
		if ((st = dbi_stmt(db, "SELECT id FROM time_entries WHERE "
		    "user_id = ?1 AND deleted = 0 "
		    "ORDER BY start_time DESC, id DESC LIMIT 1 OFFSET ?2",
		    err)) == NULL)
			return TOCK_ERR;
		sqlite3_bind_text(st, 1, db->user_id, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, atoi(ref + 1) - 1);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			dbi_copy_col(id, UUID_STRLEN + 1, st, 0);
		sqlite3_reset(st);
		if (rc == SQLITE_ROW)
			return 0;
		if (rc != SQLITE_DONE)
			return dbi_fail(db, err, "cannot look up time entry");
		return tock_err_set(err, TOCK_ENOTFOUND, "no time entry '%s'",
		    ref);
	}
	/* Like @N, a prefix names only live entries: a deleted one cannot be
	 * edited or deleted again. */
	return resolve_prefix(db, id, "time_entries", "time entry", ref,
	    "AND user_id = ?9 AND deleted = 0", err);
}

int
db_entry_list(struct db *db, const struct entry_filter *f, db_entry_cb *cb,
    void *arg, struct tock_err *err)
{
	sqlite3_stmt *st;
	int rc;

	/*
	 * @N counts from the newest entry (db_entry_resolve), and manual
	 * entries may overlap: an entry that starts after one in the window
	 * but ends before the window still counts.  So rank every entry that
	 * starts at or after the earliest start in the window, then keep the
	 * window: start < until AND (end > since OR running).
	 */
	st = dbi_stmt(db, "SELECT * FROM (SELECT " ENTRY_COLS ", "
	    "row_number() OVER (ORDER BY e.start_time DESC, e.id DESC) "
	    ENTRY_FROM "WHERE e.user_id = ?1 AND e.deleted = 0 AND "
	    "e.start_time >= (SELECT min(start_time) FROM time_entries w "
	    "WHERE w.user_id = ?1 AND w.deleted = 0 AND w.start_time < ?3 AND "
	    "(w.end_time IS NULL OR w.end_time > ?2 OR w.start_time >= ?2))) "
	    "WHERE start_time < ?3 AND "
	    "(end_time IS NULL OR end_time > ?2 OR start_time >= ?2) AND "
	    "(?4 IS NULL OR task_id = ?4) ORDER BY start_time, id", err);
	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, db->user_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, f->since);
	sqlite3_bind_int64(st, 3, f->until);
	dbi_bind_text(st, 4, f->task_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct entry *e = read_entry(st);
		int r = cb(e, sqlite3_column_int(st, 12), arg);

		entry_free(e);
		if (r != 0) {
			sqlite3_reset(st);
			return r;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dbi_fail(db, err, "cannot list time entries");
	return 0;
}

int
db_task_tracked(struct db *db, const char *task_id, int64_t now,
    int64_t *out_ms, struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "SELECT total(coalesce(end_time, "
	    "max(?2, start_time)) - start_time) FROM time_entries "
	    "WHERE task_id = ?1 AND deleted = 0", err);

	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, task_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return dbi_fail(db, err, "cannot sum time");
	}
	*out_ms = (int64_t)sqlite3_column_double(st, 0);
	sqlite3_reset(st);
	return 0;
}

int
db_comment_list(struct db *db, const char *task_id, db_comment_cb *cb,
    void *arg, struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "SELECT c.id, c.workspace_id, c.task_id, "
	    "c.author_id, u.name, c.body, c.created_at, c.deleted "
	    "FROM comments c LEFT JOIN users u ON u.id = c.author_id "
	    "WHERE c.task_id = ?1 AND c.deleted = 0 ORDER BY c.created_at, c.id",
	    err);
	int rc;

	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, task_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct comment *c = xcalloc(1, sizeof *c);
		int r;

		dbi_copy_col(c->id, sizeof c->id, st, 0);
		dbi_copy_col(c->workspace_id, sizeof c->workspace_id, st, 1);
		dbi_copy_col(c->task_id, sizeof c->task_id, st, 2);
		dbi_copy_col(c->author_id, sizeof c->author_id, st, 3);
		c->author_name = dbi_dup_col_or_null(st, 4);
		c->body = dbi_dup_col(st, 5);
		c->created_at = sqlite3_column_int64(st, 6);
		c->deleted = sqlite3_column_int(st, 7) != 0;
		r = cb(c, arg);
		comment_free(c);
		if (r != 0) {
			sqlite3_reset(st);
			return r;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dbi_fail(db, err, "cannot list comments");
	return 0;
}

int
db_user_resolve(struct db *db, char id[UUID_STRLEN + 1], const char *ref,
    struct tock_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (strcmp(ref, "me") == 0) {
		memcpy(id, db->user_id, UUID_STRLEN + 1);
		return 0;
	}
	if ((st = dbi_stmt(db, "SELECT id FROM users WHERE email = ?1 OR id = ?1",
	    err)) == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		dbi_copy_col(id, UUID_STRLEN + 1, st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return dbi_fail(db, err, "cannot look up user");
	return tock_err_set(err, TOCK_ENOTFOUND,
	    "no user '%s' known here (members appear after 'tock sync')", ref);
}

char *
db_user_name(struct db *db, const char *id)
{
	sqlite3_stmt *st = dbi_stmt(db, "SELECT name FROM users WHERE id = ?1",
	    NULL);
	char *name = NULL;

	if (st == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		name = dbi_dup_col(st, 0);
	sqlite3_reset(st);
	return name;
}

int
db_data_version(struct db *db, int64_t *out, struct tock_err *err)
{
	return dbi_int64(db, "PRAGMA data_version", out, err);
}

int
db_outbox_count(struct db *db, int64_t *out, struct tock_err *err)
{
	return dbi_int64(db, "SELECT count(*) FROM outbox", out, err);
}
