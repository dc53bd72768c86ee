/*
 * test_db.c - unit tests of common/db.c and common/ops.c, the local replica
 * and its write path (SYNC.md 3.2, 3.3, 3.5):
 *
 *  - db_open: WAL journal, user_version, the new replica's identity (user,
 *    personal workspace, HLC node) and its single outbox op; reopening;
 *    read-only opens; refusing a schema newer than this build;
 *  - every local write: the row, a clock per field in _fhlc, one outbox op
 *    with the exact fields JSON and, for text fields, the base clock; HLCs
 *    strictly increasing and persisted in hlc_state; metadata.<key> fields;
 *  - short task numbers, reference resolution (numbers, UUID prefixes);
 *  - timers: the switch that stops the running entry at the new start in
 *    the same transaction, the one-running-timer rule, refused inputs that
 *    must write nothing; manual entries, entry edits, @N references and
 *    listing windows; task list filters.
 *
 * Each test gets a fresh database file in its own temporary directory and a
 * second, raw SQLite connection to look at the rows directly.  Times are
 * fixed offsets from a base two days in the past, so "now" never matters
 * except where the operation itself uses it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "db.h"
#include "err.h"
#include "hlc.h"
#include "model.h"
#include "ops.h"
#include "timeparse.h"
#include "tocktest.h"
#include "uuid.h"
#include "xmalloc.h"

#define MIN_MS (60 * 1000LL)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

struct fx {
	char *dir;
	char *path;
	struct db *db;
	sqlite3 *raw;
	int64_t t0;		/* a whole hour, two days ago */
};

/* ---- fixture ------------------------------------------------------------ */

static void
raw_open(struct fx *fx)
{
	assert_int_equal(sqlite3_open_v2(fx->path, &fx->raw,
	    SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(fx->raw, 5000);
}

static int
setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof *fx);
	struct tock_err err = TOCK_ERR_INIT;

	fx->dir = tt_tmpdir();
	fx->path = xasprintf("%s/tock.db", fx->dir);
	if (db_open(&fx->db, fx->path, 0, &err) != 0) {
		fprintf(stderr, "db_open: %s\n", err.msg);
		return -1;
	}
	raw_open(fx);
	fx->t0 = (time_now_ms() / HOUR_MS) * HOUR_MS - 2 * DAY_MS;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	if (fx == NULL)
		return 0;
	db_close(fx->db);
	if (fx->raw != NULL)
		sqlite3_close(fx->raw);
	tt_rmtree(fx->dir);
	free(fx->path);
	free(fx);
	return 0;
}

static int
group_setup(void **state)
{
	tt_set_tz("UTC");
	return 0;
}

/* ---- raw SQL helpers ---------------------------------------------------- */

/* Prepare sql and bind the NULL-terminated text parameters ?1, ?2, ... */
static sqlite3_stmt *
rawv(struct fx *fx, const char *sql, va_list ap)
{
	sqlite3_stmt *st = NULL;
	const char *p;
	int i = 1;

	if (sqlite3_prepare_v2(fx->raw, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("prepare '%s': %s", sql, sqlite3_errmsg(fx->raw));
	while ((p = va_arg(ap, const char *)) != NULL)
		sqlite3_bind_text(st, i++, p, -1, SQLITE_TRANSIENT);
	return st;
}

/* The first column of the one row of sql, as text (NULL for SQL NULL);
 * the caller frees it. */
static char *
q_text(struct fx *fx, const char *sql, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	char *out = NULL;
	int rc;

	va_start(ap, sql);
	st = rawv(fx, sql, ap);
	va_end(ap);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		fail_msg("'%s': no row (%d: %s)", sql, rc,
		    sqlite3_errmsg(fx->raw));
	if (sqlite3_column_type(st, 0) != SQLITE_NULL)
		out = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

static int64_t
q_int(struct fx *fx, const char *sql, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int64_t v;

	va_start(ap, sql);
	st = rawv(fx, sql, ap);
	va_end(ap);
	if (sqlite3_step(st) != SQLITE_ROW)
		fail_msg("'%s': no row", sql);
	if (sqlite3_column_type(st, 0) == SQLITE_NULL)
		fail_msg("'%s': NULL", sql);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Is the first column of sql's row exactly want (NULL: SQL NULL)? */
static void
q_is(struct fx *fx, const char *want, const char *sql, ...)
{
	sqlite3_stmt *st;
	const char *got;
	va_list ap;

	va_start(ap, sql);
	st = rawv(fx, sql, ap);
	va_end(ap);
	if (sqlite3_step(st) != SQLITE_ROW)
		fail_msg("'%s': no row", sql);
	got = (const char *)sqlite3_column_text(st, 0);
	if (want == NULL && got != NULL)
		fail_msg("'%s' = '%s', want NULL", sql, got);
	if (want != NULL && (got == NULL || strcmp(want, got) != 0))
		fail_msg("'%s' = '%s', want '%s'", sql, got ? got : "NULL",
		    want);
	sqlite3_finalize(st);
}

static void
raw_exec(struct fx *fx, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(fx->raw, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fail_msg("'%s': %s", sql, msg);
		sqlite3_free(msg);
	}
}

static int64_t
outbox_count(struct fx *fx)
{
	int64_t n = -1;

	assert_int_equal(db_outbox_count(fx->db, &n, NULL), 0);
	assert_int_equal(n, q_int(fx, "SELECT count(*) FROM outbox", NULL));
	return n;
}

static int64_t
entry_count(struct fx *fx)
{
	return q_int(fx, "SELECT count(*) FROM time_entries", NULL);
}

/* The persisted clock, in wire form. */
static void
hlc_state_str(struct fx *fx, char out[HLC_STRLEN + 1])
{
	sqlite3_stmt *st;
	struct hlc h;

	assert_int_equal(sqlite3_prepare_v2(fx->raw,
	    "SELECT l, c, node FROM hlc_state WHERE id = 1", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	h.l = (uint64_t)sqlite3_column_int64(st, 0);
	h.c = (uint32_t)sqlite3_column_int(st, 1);
	h.node = strtoull((const char *)sqlite3_column_text(st, 2), NULL, 16);
	sqlite3_finalize(st);
	hlc_format(out, &h);
}

/* The outbox op k places before the newest (k = 0: the newest). */
struct op {
	char *op_id, *scope, *entity, *entity_id, *kind, *fields, *base;
	char *hlc, *state;
};

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? xstrdup((const char *)s) : NULL;
}

static void
op_get(struct fx *fx, int k, struct op *o)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(fx->raw,
	    "SELECT op_id, scope, entity, entity_id, kind, fields, base, hlc, "
	    "state FROM outbox ORDER BY seq DESC LIMIT 1 OFFSET ?1", -1, &st,
	    NULL), SQLITE_OK);
	sqlite3_bind_int(st, 1, k);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	o->op_id = col_dup(st, 0);
	o->scope = col_dup(st, 1);
	o->entity = col_dup(st, 2);
	o->entity_id = col_dup(st, 3);
	o->kind = col_dup(st, 4);
	o->fields = col_dup(st, 5);
	o->base = col_dup(st, 6);
	o->hlc = col_dup(st, 7);
	o->state = col_dup(st, 8);
	sqlite3_finalize(st);
}

static void
op_free(struct op *o)
{
	free(o->op_id);
	free(o->scope);
	free(o->entity);
	free(o->entity_id);
	free(o->kind);
	free(o->fields);
	free(o->base);
	free(o->hlc);
	free(o->state);
	memset(o, 0, sizeof *o);
}

static void
str_is(const char *what, const char *got, const char *want)
{
	if (want == NULL && got == NULL)
		return;
	if (want == NULL || got == NULL || strcmp(got, want) != 0)
		fail_msg("%s = '%s', want '%s'", what, got ? got : "NULL",
		    want ? want : "NULL");
}

/* Don't check this column. */
static const char ANY[] = "<any>";

/* Check the op k places before the newest (fields or base ANY: not
 * checked); its hlc goes to hlc_out. */
static void
op_is(struct fx *fx, int k, const char *entity, const char *entity_id,
    const char *kind, const char *fields, const char *base,
    char hlc_out[HLC_STRLEN + 1])
{
	struct op o;
	struct hlc h;

	op_get(fx, k, &o);
	str_is("entity", o.entity, entity);
	str_is("entity_id", o.entity_id, entity_id);
	str_is("kind", o.kind, kind);
	if (fields != ANY)
		str_is("fields", o.fields, fields);
	if (base != ANY)
		str_is("base", o.base, base);
	str_is("state", o.state, "pending");
	assert_true(uuid_valid(o.op_id));
	assert_int_equal(hlc_parse(&h, o.hlc, NULL), 0);
	if (strcmp(entity, "workspace") == 0)
		str_is("scope", o.scope, entity_id);
	else
		str_is("scope", o.scope, db_workspace_id(fx->db));
	if (hlc_out != NULL)
		memcpy(hlc_out, o.hlc, HLC_STRLEN + 1);
	op_free(&o);
}

/* ---- domain helpers ----------------------------------------------------- */

static void
new_task(struct fx *fx, const char *title, char id[UUID_STRLEN + 1])
{
	struct fieldset fs = FIELDSET_INIT;
	struct tock_err err = TOCK_ERR_INIT;

	fieldset_text(&fs, "title", title);
	if (ops_task_create(fx->db, id, &fs, &err) != 0)
		fail_msg("ops_task_create '%s': %s", title, err.msg);
}

static void
set_status(struct fx *fx, const char *id, const char *status)
{
	struct fieldset fs = FIELDSET_INIT;
	struct tock_err err = TOCK_ERR_INIT;

	fieldset_text(&fs, "status", status);
	if (ops_task_update(fx->db, id, &fs, &err) != 0)
		fail_msg("ops_task_update status %s: %s", status, err.msg);
}

/* A task with a chosen id, through db_change as sync would write it. */
static void
task_with_id(struct fx *fx, const char *id, const char *title)
{
	struct fieldset fs = FIELDSET_INIT;
	struct tock_err err = TOCK_ERR_INIT;

	fieldset_text(&fs, "workspace_id", db_workspace_id(fx->db));
	fieldset_text(&fs, "title", title);
	fieldset_text(&fs, "status", "todo");
	fieldset_text(&fs, "created_by", db_user_id(fx->db));
	fieldset_int(&fs, "created_at", fx->t0);
	fieldset_int(&fs, "updated_at", fx->t0);
	assert_int_equal(db_begin(fx->db, &err), 0);
	if (db_change(fx->db, "task", id, "create", &fs, &err) != 0)
		fail_msg("db_change: %s", err.msg);
	assert_int_equal(db_commit(fx->db, &err), 0);
}

static int
task_num(struct fx *fx, const char *id)
{
	struct task *t = NULL;
	int n;

	assert_int_equal(db_task_get(fx->db, &t, id, NULL), 0);
	n = t->num;
	task_free(t);
	return n;
}

static enum task_status
task_status(struct fx *fx, const char *id)
{
	struct task *t = NULL;
	enum task_status s;

	assert_int_equal(db_task_get(fx->db, &t, id, NULL), 0);
	s = t->status;
	task_free(t);
	return s;
}

static void
track(struct fx *fx, const char *task, int64_t from, int64_t to,
    char id[UUID_STRLEN + 1])
{
	struct tock_err err = TOCK_ERR_INIT;

	if (ops_track(fx->db, task, from, to, NULL, id, &err) != 0)
		fail_msg("ops_track: %s", err.msg);
}

static void
resolve_task_is(struct fx *fx, const char *ref, const char *want)
{
	char id[UUID_STRLEN + 1] = "";
	struct tock_err err = TOCK_ERR_INIT;

	if (db_task_resolve(fx->db, id, ref, &err) != 0)
		fail_msg("resolve '%s': %s", ref, err.msg);
	str_is(ref, id, want);
}

static void
resolve_task_fails(struct fx *fx, const char *ref, int code)
{
	char id[UUID_STRLEN + 1] = "";
	struct tock_err err = TOCK_ERR_INIT;
	int rc = db_task_resolve(fx->db, id, ref, &err);

	if (rc != code)
		fail_msg("resolve '%s' = %d ('%s'), want %d", ref, rc, id, code);
	assert_int_equal(err.code, code);
}

static void
resolve_entry_is(struct fx *fx, const char *ref, const char *want)
{
	char id[UUID_STRLEN + 1] = "";
	struct tock_err err = TOCK_ERR_INIT;

	if (db_entry_resolve(fx->db, id, ref, &err) != 0)
		fail_msg("resolve '%s': %s", ref, err.msg);
	str_is(ref, id, want);
}

static void
resolve_entry_fails(struct fx *fx, const char *ref)
{
	char id[UUID_STRLEN + 1] = "";
	struct tock_err err = TOCK_ERR_INIT;
	int rc = db_entry_resolve(fx->db, id, ref, &err);

	if (rc != TOCK_ENOTFOUND)
		fail_msg("resolve '%s' = %d ('%s'), want ENOTFOUND", ref, rc,
		    id);
}

/* ---- db_open ------------------------------------------------------------ */

static void
test_db_open_creates_wal_and_schema(void **state)
{
	struct fx *fx = *state;
	struct stat st;

	assert_int_equal(stat(fx->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	q_is(fx, "wal", "PRAGMA journal_mode", NULL);
	assert_int_equal(q_int(fx, "PRAGMA user_version", NULL),
	    DB_SCHEMA_VERSION);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'table' AND name IN ('sync_meta', 'hlc_state', 'outbox', "
	    "'sync_cursor', 'conflicts', 'quarantine', 'users', 'workspaces', "
	    "'memberships', 'tasks', 'time_entries', 'comments', "
	    "'user_state')", NULL), 13);
	q_is(fx, "1", "SELECT v FROM sync_meta WHERE k = 'proto'", NULL);
	q_is(fx, "1", "SELECT v FROM sync_meta WHERE k = 'schema'", NULL);
}

static void
test_db_open_creates_identity(void **state)
{
	struct fx *fx = *state;
	const char *user = db_user_id(fx->db), *ws = db_workspace_id(fx->db);
	char *node, *device;

	assert_true(uuid_valid(user));
	assert_true(uuid_valid(ws));
	assert_true(uuid_v7_time(user) > 0);
	assert_string_not_equal(user, ws);

	assert_int_equal(q_int(fx, "SELECT count(*) FROM users", NULL), 1);
	q_is(fx, user, "SELECT id FROM users", NULL);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM workspaces", NULL), 1);
	q_is(fx, ws, "SELECT id FROM workspaces", NULL);
	q_is(fx, "Personal", "SELECT name FROM workspaces", NULL);
	q_is(fx, "admin", "SELECT role FROM memberships WHERE workspace_id = ?1 "
	    "AND user_id = ?2", ws, user, NULL);
	q_is(fx, user, "SELECT v FROM sync_meta WHERE k = 'user_id'", NULL);
	q_is(fx, ws, "SELECT v FROM sync_meta WHERE k = 'workspace_id'", NULL);

	/* The HLC node: 16 lower-case hex digits, the same in both places. */
	node = q_text(fx, "SELECT node FROM hlc_state WHERE id = 1", NULL);
	assert_non_null(node);
	assert_int_equal(strlen(node), 16);
	assert_int_equal(strspn(node, "0123456789abcdef"), 16);
	q_is(fx, node, "SELECT v FROM sync_meta WHERE k = 'node_id'", NULL);
	free(node);
	device = q_text(fx, "SELECT v FROM sync_meta WHERE k = 'device_id'",
	    NULL);
	assert_true(uuid_valid(device));
	free(device);
}

static void
test_db_open_queues_workspace_create(void **state)
{
	struct fx *fx = *state;
	const char *ws = db_workspace_id(fx->db);
	char hlc[HLC_STRLEN + 1], st[HLC_STRLEN + 1];

	/* Exactly one op: the personal workspace, for the first login. */
	assert_int_equal(outbox_count(fx), 1);
	op_is(fx, 0, "workspace", ws, "create", "{\"name\":\"Personal\"}",
	    NULL, hlc);
	hlc_state_str(fx, st);
	assert_string_equal(hlc, st);
	q_is(fx, hlc, "SELECT json_extract(_fhlc, '$.name') FROM workspaces",
	    NULL);
	/* The node of the stamp is the replica's node. */
	q_is(fx, hlc + 17, "SELECT node FROM hlc_state", NULL);
}

static void
test_db_reopen_keeps_identity(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	char user[UUID_STRLEN + 1], ws[UUID_STRLEN + 1], hlc1[HLC_STRLEN + 1];
	char hlc2[HLC_STRLEN + 1], id[UUID_STRLEN + 1];

	memcpy(user, db_user_id(fx->db), sizeof user);
	memcpy(ws, db_workspace_id(fx->db), sizeof ws);
	new_task(fx, "before", id);
	hlc_state_str(fx, hlc1);
	db_close(fx->db);
	fx->db = NULL;
	assert_int_equal(db_open(&fx->db, fx->path, 0, &err), 0);
	assert_string_equal(db_user_id(fx->db), user);
	assert_string_equal(db_workspace_id(fx->db), ws);
	/* Nothing was created again. */
	assert_int_equal(q_int(fx, "SELECT count(*) FROM users", NULL), 1);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM workspaces", NULL), 1);
	assert_int_equal(outbox_count(fx), 2);
	q_is(fx, "wal", "PRAGMA journal_mode", NULL);
	/* The clock carries on from where it was. */
	new_task(fx, "after", id);
	hlc_state_str(fx, hlc2);
	assert_true(strcmp(hlc1, hlc2) < 0);
	assert_memory_equal(hlc1 + 17, hlc2 + 17, 16);
}

static void
test_db_open_readonly(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	struct db *ro = NULL;
	char *missing = xasprintf("%s/sub/none.db", fx->dir);
	struct stat st;
	char id[UUID_STRLEN + 1];
	int64_t n;

	/* Missing file: TOCK_ENOTFOUND, nothing created. */
	assert_int_equal(db_open(&ro, missing, DB_OPEN_READONLY, &err),
	    TOCK_ENOTFOUND);
	assert_int_equal(err.code, TOCK_ENOTFOUND);
	assert_null(ro);
	assert_int_equal(stat(missing, &st), -1);
	free(missing);
	missing = xasprintf("%s/sub", fx->dir);
	assert_int_equal(stat(missing, &st), -1);
	free(missing);

	/* An existing replica opens read-only with the same identity. */
	new_task(fx, "visible", id);
	assert_int_equal(db_open(&ro, fx->path, DB_OPEN_READONLY, &err), 0);
	assert_string_equal(db_user_id(ro), db_user_id(fx->db));
	assert_string_equal(db_workspace_id(ro), db_workspace_id(fx->db));
	assert_int_equal(db_outbox_count(ro, &n, NULL), 0);
	assert_int_equal(n, 2);
	resolve_task_is(fx, "1", id);
	{
		char got[UUID_STRLEN + 1];

		assert_int_equal(db_task_resolve(ro, got, "1", NULL), 0);
		assert_string_equal(got, id);
	}
	/* Writes fail and change nothing. */
	{
		struct fieldset fs = FIELDSET_INIT;
		char id2[UUID_STRLEN + 1];

		fieldset_text(&fs, "title", "nope");
		assert_int_not_equal(ops_task_create(ro, id2, &fs, &err), 0);
	}
	db_close(ro);
	assert_int_equal(outbox_count(fx), 2);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM tasks", NULL), 1);
}

static void
test_db_open_refuses_newer_schema(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	struct db *db = NULL;
	char *sql;

	db_close(fx->db);
	fx->db = NULL;
	sql = xasprintf("PRAGMA user_version = %d", DB_SCHEMA_VERSION + 1);
	raw_exec(fx, sql);
	free(sql);

	assert_int_equal(db_open(&db, fx->path, 0, &err), TOCK_EPROTO);
	assert_int_equal(err.code, TOCK_EPROTO);
	assert_null(db);
	memset(&err, 0, sizeof err);
	assert_int_equal(db_open(&db, fx->path, DB_OPEN_READONLY, &err),
	    TOCK_EPROTO);
	assert_null(db);
	/* The file was left alone. */
	assert_int_equal(q_int(fx, "PRAGMA user_version", NULL),
	    DB_SCHEMA_VERSION + 1);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM outbox", NULL), 1);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM users", NULL), 1);

	/* Back to the known version, it opens again. */
	sql = xasprintf("PRAGMA user_version = %d", DB_SCHEMA_VERSION);
	raw_exec(fx, sql);
	free(sql);
	assert_int_equal(db_open(&fx->db, fx->path, 0, &err), 0);
}

static void
test_db_open_readonly_uninitialised_file(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	struct db *db = NULL;
	char *path = xasprintf("%s/empty.db", fx->dir);
	FILE *f = fopen(path, "w");

	/* An empty file is no replica yet. */
	assert_non_null(f);
	fclose(f);
	assert_int_equal(db_open(&db, path, DB_OPEN_READONLY, &err),
	    TOCK_ENOTFOUND);
	assert_null(db);
	free(path);
}

static void
test_db_open_makes_parent_dirs(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	struct db *db = NULL;
	char *path = xasprintf("%s/a/b/c/tock.db", fx->dir);
	struct stat st;
	int64_t n;

	assert_int_equal(db_open(&db, path, 0, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(db_outbox_count(db, &n, NULL), 0);
	assert_int_equal(n, 1);
	/* A different replica: its own identity. */
	assert_string_not_equal(db_user_id(db), db_user_id(fx->db));
	db_close(db);
	free(path);
}

static void
test_db_open_memory(void **state)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct db *db = NULL;
	char id[UUID_STRLEN + 1], got[UUID_STRLEN + 1];
	struct fieldset fs = FIELDSET_INIT;
	struct stat st;
	int64_t n;

	/* ":memory:" works read-write: a throwaway replica, no file. */
	assert_int_equal(db_open(&db, ":memory:", 0, &err), 0);
	assert_true(uuid_valid(db_user_id(db)));
	assert_int_equal(db_outbox_count(db, &n, NULL), 0);
	assert_int_equal(n, 1);
	fieldset_text(&fs, "title", "in memory");
	assert_int_equal(ops_task_create(db, id, &fs, &err), 0);
	assert_int_equal(db_task_resolve(db, got, "1", &err), 0);
	assert_string_equal(got, id);
	db_close(db);
	assert_int_equal(stat(":memory:", &st), -1);
	/* Read-only needs an existing file. */
	assert_int_equal(db_open(&db, ":memory:", DB_OPEN_READONLY, &err),
	    TOCK_ENOTFOUND);
}

/* ---- tasks: rows, field clocks, outbox ---------------------------------- */

static void
test_db_task_create_row_clocks_and_op(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	struct fieldset fs = FIELDSET_INIT;
	char id[UUID_STRLEN + 1], hlc[HLC_STRLEN + 1], st[HLC_STRLEN + 1];
	const char *ws = db_workspace_id(fx->db), *user = db_user_id(fx->db);
	struct task *t = NULL;
	int64_t before, after;
	char *want;
	static const char *const fields[] = {
		"title", "description", "metadata.priority", "workspace_id",
		"status", "created_by", "created_at", "updated_at",
	};
	size_t i;

	fieldset_text(&fs, "title", "Write \"tests\"");
	fieldset_text(&fs, "description", "line 1\nline 2");
	fieldset_json(&fs, "metadata.priority", "2");
	before = time_now_ms();
	assert_int_equal(ops_task_create(fx->db, id, &fs, &err), 0);
	after = time_now_ms();
	assert_true(uuid_valid(id));
	assert_true(uuid_v7_time(id) >= before && uuid_v7_time(id) <= after);

	assert_int_equal(db_task_get(fx->db, &t, id, &err), 0);
	assert_string_equal(t->id, id);
	assert_string_equal(t->workspace_id, ws);
	assert_string_equal(t->title, "Write \"tests\"");
	assert_string_equal(t->description, "line 1\nline 2");
	assert_int_equal(t->status, TASK_TODO);
	assert_int_equal(t->num, 1);
	assert_string_equal(t->created_by, user);
	assert_string_equal(t->assignee_id, "");
	assert_string_equal(t->due_date, "");
	assert_string_equal(t->metadata, "{\"priority\":2}");
	assert_false(t->deleted);
	assert_false(t->running);
	assert_true(t->created_at >= before && t->created_at <= after);
	assert_int_equal(t->updated_at, t->created_at);

	/* The op: the caller's fields, then the ones ops added. */
	assert_int_equal(outbox_count(fx), 2);
	want = xasprintf("{\"title\":\"Write \\\"tests\\\"\","
	    "\"description\":\"line 1\\nline 2\",\"metadata.priority\":2,"
	    "\"workspace_id\":\"%s\",\"status\":\"todo\",\"created_by\":\"%s\","
	    "\"created_at\":%lld,\"updated_at\":%lld}", ws, user,
	    (long long)t->created_at, (long long)t->created_at);
	op_is(fx, 0, "task", id, "create", want, NULL, hlc);
	free(want);
	task_free(t);

	/* Every field has the op's clock, and nothing else has one. */
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		char *path = xasprintf("$.\"%s\"", fields[i]);

		q_is(fx, hlc, "SELECT json_extract(_fhlc, ?2) FROM tasks "
		    "WHERE id = ?1", id, path, NULL);
		free(path);
	}
	assert_int_equal(q_int(fx, "SELECT count(*) FROM tasks, "
	    "json_each(tasks._fhlc) WHERE tasks.id = ?1", id, NULL), 8);
	hlc_state_str(fx, st);
	assert_string_equal(hlc, st);
	/* Never synced. */
	assert_int_equal(q_int(fx, "SELECT _seq FROM tasks WHERE id = ?1", id,
	    NULL), 0);
}

static void
test_db_task_create_refused_writes_nothing(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	char id[UUID_STRLEN + 1], st1[HLC_STRLEN + 1], st2[HLC_STRLEN + 1];
	struct fieldset fs = FIELDSET_INIT;
	char *long_title = xmalloc(202);

	hlc_state_str(fx, st1);
	assert_int_equal(ops_task_create(fx->db, id, &fs, &err), TOCK_EINVAL);
	assert_string_equal(err.msg, "title is empty");
	fieldset_text(&fs, "title", "   ");
	assert_int_equal(ops_task_create(fx->db, id, &fs, &err), TOCK_EINVAL);
	fieldset_text(&fs, "title", NULL);
	assert_int_equal(ops_task_create(fx->db, id, &fs, &err), TOCK_EINVAL);
	fieldset_text(&fs, "title", "bad\xff");
	assert_int_equal(ops_task_create(fx->db, id, &fs, &err), TOCK_EINVAL);
	memset(long_title, 'x', 201);
	long_title[201] = '\0';
	fieldset_text(&fs, "title", long_title);
	assert_int_equal(ops_task_create(fx->db, id, &fs, &err), TOCK_EINVAL);
	free(long_title);
	assert_int_equal(outbox_count(fx), 1);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM tasks", NULL), 0);
	hlc_state_str(fx, st2);
	assert_string_equal(st1, st2);
}

static void
test_db_task_update_set_with_base(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	struct fieldset fs = FIELDSET_INIT;
	char id[UUID_STRLEN + 1], h1[HLC_STRLEN + 1], h2[HLC_STRLEN + 1];
	char h3[HLC_STRLEN + 1], h4[HLC_STRLEN + 1], h5[HLC_STRLEN + 1];
	char *want, *base;
	struct task *t = NULL;

	fieldset_text(&fs, "title", "Old");
	fieldset_text(&fs, "description", "old text");
	assert_int_equal(ops_task_create(fx->db, id, &fs, &err), 0);
	op_is(fx, 0, "task", id, "create", ANY, NULL, h1);

	/* A title edit carries the title clock it was made against. */
	fs = (struct fieldset)FIELDSET_INIT;
	fieldset_text(&fs, "title", "New");
	assert_int_equal(ops_task_update(fx->db, id, &fs, &err), 0);
	assert_int_equal(db_task_get(fx->db, &t, id, &err), 0);
	assert_string_equal(t->title, "New");
	want = xasprintf("{\"title\":\"New\",\"updated_at\":%lld}",
	    (long long)t->updated_at);
	base = xasprintf("{\"title\":\"%s\"}", h1);
	task_free(t);
	op_is(fx, 0, "task", id, "set", want, base, h2);
	free(want);
	free(base);
	assert_true(strcmp(h1, h2) < 0);
	q_is(fx, h2, "SELECT json_extract(_fhlc, '$.title') FROM tasks "
	    "WHERE id = ?1", id, NULL);
	q_is(fx, h2, "SELECT json_extract(_fhlc, '$.updated_at') FROM tasks "
	    "WHERE id = ?1", id, NULL);
	/* Untouched fields keep their clocks. */
	q_is(fx, h1, "SELECT json_extract(_fhlc, '$.description') FROM tasks "
	    "WHERE id = ?1", id, NULL);
	q_is(fx, h1, "SELECT json_extract(_fhlc, '$.status') FROM tasks "
	    "WHERE id = ?1", id, NULL);

	/* The next title edit is based on the previous edit's clock; the
	 * description on the create's. */
	fs = (struct fieldset)FIELDSET_INIT;
	fieldset_text(&fs, "description", "new text");
	fieldset_text(&fs, "title", "Newer");
	assert_int_equal(ops_task_update(fx->db, id, &fs, &err), 0);
	base = xasprintf("{\"description\":\"%s\",\"title\":\"%s\"}", h1, h2);
	op_is(fx, 0, "task", id, "set", ANY, base, h3);
	free(base);
	assert_true(strcmp(h2, h3) < 0);

	/* No text field: no base at all. */
	fs = (struct fieldset)FIELDSET_INIT;
	fieldset_text(&fs, "status", "in_progress");
	fieldset_text(&fs, "due_date", "2030-01-31");
	assert_int_equal(ops_task_update(fx->db, id, &fs, &err), 0);
	assert_int_equal(db_task_get(fx->db, &t, id, &err), 0);
	want = xasprintf("{\"status\":\"in_progress\",\"due_date\":"
	    "\"2030-01-31\",\"updated_at\":%lld}", (long long)t->updated_at);
	assert_int_equal(t->status, TASK_IN_PROGRESS);
	assert_string_equal(t->due_date, "2030-01-31");
	assert_string_equal(t->description, "new text");
	task_free(t);
	op_is(fx, 0, "task", id, "set", want, NULL, h4);
	free(want);

	/* Clearing a field is a null in the op and a NULL in the row. */
	fs = (struct fieldset)FIELDSET_INIT;
	fieldset_null(&fs, "due_date");
	assert_int_equal(ops_task_update(fx->db, id, &fs, &err), 0);
	op_is(fx, 0, "task", id, "set", ANY, NULL, h5);
	q_is(fx, NULL, "SELECT due_date FROM tasks WHERE id = ?1", id, NULL);
	q_is(fx, h5, "SELECT json_extract(_fhlc, '$.due_date') FROM tasks "
	    "WHERE id = ?1", id, NULL);
	assert_true(strcmp(h4, h5) < 0);
	assert_int_equal(outbox_count(fx), 6);
}

static void
test_db_task_update_unknown_writes_nothing(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	struct fieldset fs = FIELDSET_INIT;
	char st1[HLC_STRLEN + 1], st2[HLC_STRLEN + 1];

	hlc_state_str(fx, st1);
	fieldset_text(&fs, "title", "x");
	assert_int_equal(ops_task_update(fx->db,
	    "01936d6e-8a00-7000-8000-000000000009", &fs, &err),
	    TOCK_ENOTFOUND);
	/* A bad title is refused before anything else. */
	fs = (struct fieldset)FIELDSET_INIT;
	fieldset_text(&fs, "title", "");
	assert_int_equal(ops_task_update(fx->db,
	    "01936d6e-8a00-7000-8000-000000000009", &fs, &err), TOCK_EINVAL);
	assert_int_equal(outbox_count(fx), 1);
	hlc_state_str(fx, st2);
	assert_string_equal(st1, st2);
}

static void
test_db_hlc_strictly_increasing(void **state)
{
	struct fx *fx = *state;
	char id[UUID_STRLEN + 1], st[HLC_STRLEN + 1], *node;
	struct hlc h, prev = { 0, 0, 0 };
	sqlite3_stmt *q;
	int64_t before = time_now_ms(), after;
	int i, n = 0;

	for (i = 0; i < 30; i++) {
		new_task(fx, "t", id);
		set_status(fx, id, i % 2 ? "done" : "in_progress");
	}
	after = time_now_ms();
	node = q_text(fx, "SELECT v FROM sync_meta WHERE k = 'node_id'", NULL);
	assert_int_equal(sqlite3_prepare_v2(fx->raw,
	    "SELECT hlc FROM outbox ORDER BY seq", -1, &q, NULL), SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(q, 0);

		assert_int_equal(hlc_parse(&h, s, NULL), 0);
		if (n > 0)
			assert_true(hlc_cmp(&prev, &h) < 0);
		assert_string_equal(s + 17, node);
		/* Stamped from the wall clock (no offset learned yet). */
		if (n > 0) {
			assert_true(h.l >= (uint64_t)before);
			assert_true(h.l <= (uint64_t)after);
		}
		prev = h;
		n++;
	}
	sqlite3_finalize(q);
	assert_int_equal(n, 61);
	/* hlc_state holds the newest stamp. */
	hlc_state_str(fx, st);
	q_is(fx, st, "SELECT hlc FROM outbox ORDER BY seq DESC LIMIT 1", NULL);
	free(node);
}

static void
test_db_task_metadata_per_key(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	struct fieldset fs = FIELDSET_INIT;
	char id[UUID_STRLEN + 1], h1[HLC_STRLEN + 1], h2[HLC_STRLEN + 1];
	char h3[HLC_STRLEN + 1], *want;
	struct task *t = NULL;

	fieldset_text(&fs, "title", "meta");
	fieldset_text(&fs, "metadata.a", "x");
	fieldset_json(&fs, "metadata.b", "[1,2]");
	assert_int_equal(ops_task_create(fx->db, id, &fs, &err), 0);
	op_is(fx, 0, "task", id, "create", ANY, NULL, h1);
	q_is(fx, "{\"a\":\"x\",\"b\":[1,2]}",
	    "SELECT metadata FROM tasks WHERE id = ?1", id, NULL);
	q_is(fx, h1, "SELECT json_extract(_fhlc, '$.\"metadata.a\"') FROM "
	    "tasks WHERE id = ?1", id, NULL);
	q_is(fx, h1, "SELECT json_extract(_fhlc, '$.\"metadata.b\"') FROM "
	    "tasks WHERE id = ?1", id, NULL);
	/* The field clocks are per key, never for metadata as a whole. */
	q_is(fx, NULL, "SELECT json_extract(_fhlc, '$.metadata') FROM tasks "
	    "WHERE id = ?1", id, NULL);

	/* null removes the key; its clock stays (no resurrection). */
	fs = (struct fieldset)FIELDSET_INIT;
	fieldset_null(&fs, "metadata.a");
	assert_int_equal(ops_task_update(fx->db, id, &fs, &err), 0);
	assert_int_equal(db_task_get(fx->db, &t, id, &err), 0);
	assert_string_equal(t->metadata, "{\"b\":[1,2]}");
	want = xasprintf("{\"metadata.a\":null,\"updated_at\":%lld}",
	    (long long)t->updated_at);
	task_free(t);
	op_is(fx, 0, "task", id, "set", want, NULL, h2);
	free(want);
	q_is(fx, h2, "SELECT json_extract(_fhlc, '$.\"metadata.a\"') FROM "
	    "tasks WHERE id = ?1", id, NULL);
	q_is(fx, h1, "SELECT json_extract(_fhlc, '$.\"metadata.b\"') FROM "
	    "tasks WHERE id = ?1", id, NULL);

	/* Replace one key, add another; text values are JSON strings. */
	fs = (struct fieldset)FIELDSET_INIT;
	fieldset_json(&fs, "metadata.b", "{\"k\":true}");
	fieldset_text(&fs, "metadata.c", "say \"hi\"");
	assert_int_equal(ops_task_update(fx->db, id, &fs, &err), 0);
	op_is(fx, 0, "task", id, "set", ANY, NULL, h3);
	q_is(fx, "{\"b\":{\"k\":true},\"c\":\"say \\\"hi\\\"\"}",
	    "SELECT metadata FROM tasks WHERE id = ?1", id, NULL);
	q_is(fx, h3, "SELECT json_extract(_fhlc, '$.\"metadata.b\"') FROM "
	    "tasks WHERE id = ?1", id, NULL);
	q_is(fx, h3, "SELECT json_extract(_fhlc, '$.\"metadata.c\"') FROM "
	    "tasks WHERE id = ?1", id, NULL);
	q_is(fx, h2, "SELECT json_extract(_fhlc, '$.\"metadata.a\"') FROM "
	    "tasks WHERE id = ?1", id, NULL);

	/* Removing a key that is not there is fine and still stamped. */
	fs = (struct fieldset)FIELDSET_INIT;
	fieldset_null(&fs, "metadata.zz");
	assert_int_equal(ops_task_update(fx->db, id, &fs, &err), 0);
	q_is(fx, "{\"b\":{\"k\":true},\"c\":\"say \\\"hi\\\"\"}",
	    "SELECT metadata FROM tasks WHERE id = ?1", id, NULL);
	q_is(fx, "1", "SELECT json_extract(_fhlc, '$.\"metadata.zz\"') IS NOT "
	    "NULL FROM tasks WHERE id = ?1", id, NULL);
}

/* ---- short numbers and references ---------------------------------------- */

static void
test_db_task_short_numbers(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	char a[UUID_STRLEN + 1], b[UUID_STRLEN + 1], c[UUID_STRLEN + 1];
	char d[UUID_STRLEN + 1], e[UUID_STRLEN + 1], f[UUID_STRLEN + 1];
	char g[UUID_STRLEN + 1];
	struct fieldset fs = FIELDSET_INIT;

	new_task(fx, "A", a);
	new_task(fx, "B", b);
	new_task(fx, "C", c);
	assert_int_equal(task_num(fx, a), 1);
	assert_int_equal(task_num(fx, b), 2);
	assert_int_equal(task_num(fx, c), 3);

	/* Done: the number is given back. */
	set_status(fx, b, "done");
	assert_int_equal(task_num(fx, b), 0);
	q_is(fx, NULL, "SELECT num FROM tasks WHERE id = ?1", b, NULL);
	resolve_task_fails(fx, "2", TOCK_ENOTFOUND);
	/* The smallest free number is reused. */
	new_task(fx, "D", d);
	assert_int_equal(task_num(fx, d), 2);
	resolve_task_is(fx, "2", d);

	/* Deleted: the same. */
	assert_int_equal(ops_task_delete(fx->db, a, &err), 0);
	assert_int_equal(task_num(fx, a), 0);
	new_task(fx, "E", e);
	assert_int_equal(task_num(fx, e), 1);

	/* Restore and reopen take the next free numbers. */
	assert_int_equal(ops_task_restore(fx->db, a, &err), 0);
	assert_int_equal(task_num(fx, a), 4);
	set_status(fx, b, "todo");
	assert_int_equal(task_num(fx, b), 5);
	/* Open to open keeps the number. */
	set_status(fx, b, "in_progress");
	assert_int_equal(task_num(fx, b), 5);

	/* Cancelled gives it back too; a gap below is filled first. */
	set_status(fx, c, "cancelled");
	assert_int_equal(task_num(fx, c), 0);
	new_task(fx, "F", f);
	assert_int_equal(task_num(fx, f), 3);
	new_task(fx, "G", g);
	assert_int_equal(task_num(fx, g), 6);

	/* A task created closed never gets one. */
	fieldset_text(&fs, "title", "closed from the start");
	fieldset_text(&fs, "status", "done");
	assert_int_equal(ops_task_create(fx->db, c, &fs, &err), 0);
	assert_int_equal(task_num(fx, c), 0);
	/* Numbers stay unique. */
	assert_int_equal(q_int(fx, "SELECT count(DISTINCT num) = count(num) "
	    "FROM tasks", NULL), 1);
}

#define TID1 "01936d6e-8a00-7000-8000-000000000001"
#define TID2 "01936d6e-8a00-7000-8000-000000000002"
#define TID3 "0abc0000-0000-7000-8000-000000000003"
#define TID4 "12345678-0000-7000-8000-000000000004"

static void
test_db_task_resolve(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	char id[UUID_STRLEN + 1];

	task_with_id(fx, TID1, "one");
	task_with_id(fx, TID2, "two");
	task_with_id(fx, TID3, "three");
	task_with_id(fx, TID4, "four");

	/* Short numbers. */
	resolve_task_is(fx, "1", TID1);
	resolve_task_is(fx, "2", TID2);
	resolve_task_is(fx, "4", TID4);
	resolve_task_fails(fx, "0", TOCK_ENOTFOUND);
	resolve_task_fails(fx, "5", TOCK_ENOTFOUND);
	resolve_task_fails(fx, "999", TOCK_ENOTFOUND);

	/* Full ids, with and without dashes, any case. */
	resolve_task_is(fx, TID1, TID1);
	resolve_task_is(fx, "01936d6e8a00700080000000000000" "02", TID2);
	resolve_task_is(fx, "01936D6E-8A00-7000-8000-000000000002", TID2);
	/* Prefixes: 4 hex digits are enough when unique. */
	resolve_task_is(fx, "0abc", TID3);
	resolve_task_is(fx, "0ABC0", TID3);
	resolve_task_is(fx, "0abc0000-00", TID3);
	resolve_task_is(fx, "0abc000000007", TID3);
	resolve_task_fails(fx, "0ab", TOCK_ENOTFOUND);
	/* All digits but not a task number: tried as a prefix. */
	resolve_task_is(fx, "1234", TID4);
	resolve_task_is(fx, "12345678", TID4);
	resolve_task_is(fx, "123456780000", TID4);
	resolve_task_fails(fx, "1235", TOCK_ENOTFOUND);

	/* Shared prefixes are ambiguous, with the candidates named. */
	memset(&err, 0, sizeof err);
	assert_int_equal(db_task_resolve(fx->db, id, "01936d6e", &err),
	    TOCK_EAMBIGUOUS);
	assert_int_equal(err.code, TOCK_EAMBIGUOUS);
	assert_non_null(strstr(err.msg, "01936d6e-8a00"));
	assert_non_null(strstr(err.msg, "ambiguous"));
	resolve_task_fails(fx, "0193", TOCK_EAMBIGUOUS);
	resolve_task_fails(fx, "01936d6e-8a00-7000", TOCK_EAMBIGUOUS);
	resolve_task_fails(fx, "01936d6e8a007000", TOCK_EAMBIGUOUS);
	resolve_task_fails(fx, "01936d6e-8a00-7000-8000-00000000000",
	    TOCK_EAMBIGUOUS);
	resolve_task_fails(fx, "01936d6e8a007000800000000000000",
	    TOCK_EAMBIGUOUS);

	/* Unknown or malformed. */
	resolve_task_fails(fx, "ffff", TOCK_ENOTFOUND);
	resolve_task_fails(fx, "01936d6f", TOCK_ENOTFOUND);
	resolve_task_fails(fx, "01936d6e-8a00-7000-8000-000000000003",
	    TOCK_ENOTFOUND);
	resolve_task_fails(fx, "", TOCK_ENOTFOUND);
	resolve_task_fails(fx, "hello", TOCK_ENOTFOUND);
	resolve_task_fails(fx, "0abc%", TOCK_ENOTFOUND);
	resolve_task_fails(fx, "0abc_", TOCK_ENOTFOUND);
	resolve_task_fails(fx, "-1", TOCK_ENOTFOUND);
	resolve_task_fails(fx, "01936d6e-8a00-7000-8000-0000000000011",
	    TOCK_ENOTFOUND);

	/* A closed task has no number but keeps its id. */
	set_status(fx, TID3, "done");
	resolve_task_fails(fx, "3", TOCK_ENOTFOUND);
	resolve_task_is(fx, "0abc", TID3);
}

/* ---- timers --------------------------------------------------------------- */

static void
test_db_timer_start_stops_running_at_same_instant(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	const char *ws = db_workspace_id(fx->db), *user = db_user_id(fx->db);
	char a[UUID_STRLEN + 1], b[UUID_STRLEN + 1], e1[UUID_STRLEN + 1];
	char e2[UUID_STRLEN + 1], e3[UUID_STRLEN + 1];
	char h[4][HLC_STRLEN + 1], *want;
	int64_t t1 = fx->t0, t2 = fx->t0 + 10 * MIN_MS, n0;
	struct entry *stopped = (struct entry *)&err, *run = NULL;
	struct task *t = NULL;

	new_task(fx, "A", a);
	new_task(fx, "B", b);
	n0 = outbox_count(fx);

	/* First start: nothing to stop; the task goes in progress. */
	assert_int_equal(ops_timer_start(fx->db, a, t1, NULL, e1, &stopped,
	    &err), 0);
	assert_null(stopped);
	assert_true(uuid_valid(e1));
	assert_int_equal(outbox_count(fx), n0 + 2);
	want = xasprintf("{\"workspace_id\":\"%s\",\"user_id\":\"%s\","
	    "\"task_id\":\"%s\",\"origin\":\"timer\",\"start_time\":%lld}", ws,
	    user, a, (long long)t1);
	op_is(fx, 1, "time_entry", e1, "timer.start", want, NULL, h[0]);
	free(want);
	op_is(fx, 0, "task", a, "set", ANY, NULL, h[1]);
	assert_true(strcmp(h[0], h[1]) < 0);
	assert_int_equal(task_status(fx, a), TASK_IN_PROGRESS);
	assert_int_equal(db_entry_running(fx->db, &run, &err), 0);
	assert_string_equal(run->id, e1);
	assert_string_equal(run->task_id, a);
	assert_string_equal(run->user_id, user);
	assert_string_equal(run->task_title, "A");
	assert_int_equal(run->task_num, 1);
	assert_int_equal(run->start_time, t1);
	assert_int_equal(run->end_time, -1);
	assert_false(run->manual);
	entry_free(run);

	/* Second start: the first entry ends exactly where this begins. */
	n0 = outbox_count(fx);
	assert_int_equal(ops_timer_start(fx->db, b, t2, "note", e2, &stopped,
	    &err), 0);
	assert_non_null(stopped);
	assert_string_equal(stopped->id, e1);
	assert_string_equal(stopped->task_id, a);
	assert_int_equal(stopped->start_time, t1);
	assert_int_equal(stopped->end_time, t2);
	assert_string_equal(stopped->end_src, "stop");
	entry_free(stopped);
	assert_int_equal(q_int(fx, "SELECT end_time FROM time_entries WHERE "
	    "id = ?1", e1, NULL), t2);
	assert_int_equal(q_int(fx, "SELECT start_time FROM time_entries WHERE "
	    "id = ?1", e2, NULL), t2);
	q_is(fx, "stop", "SELECT end_src FROM time_entries WHERE id = ?1", e1,
	    NULL);
	assert_int_equal(q_int(fx, "SELECT duration_ms FROM time_entries "
	    "WHERE id = ?1", e1, NULL), t2 - t1);

	/* In the outbox: stop, start, then the status, in HLC order. */
	assert_int_equal(outbox_count(fx), n0 + 3);
	want = xasprintf("{\"end_time\":%lld}", (long long)t2);
	op_is(fx, 2, "time_entry", e1, "timer.stop", want, NULL, h[0]);
	free(want);
	want = xasprintf("{\"workspace_id\":\"%s\",\"user_id\":\"%s\","
	    "\"task_id\":\"%s\",\"origin\":\"timer\",\"start_time\":%lld,"
	    "\"notes\":\"note\"}", ws, user, b, (long long)t2);
	op_is(fx, 1, "time_entry", e2, "timer.start", want, NULL, h[1]);
	free(want);
	op_is(fx, 0, "task", b, "set", ANY, NULL, h[2]);
	assert_true(strcmp(h[0], h[1]) < 0);
	assert_true(strcmp(h[1], h[2]) < 0);
	q_is(fx, h[0], "SELECT json_extract(_fhlc, '$.end_time') FROM "
	    "time_entries WHERE id = ?1", e1, NULL);
	/* Exactly one running entry. */
	assert_int_equal(q_int(fx, "SELECT count(*) FROM time_entries WHERE "
	    "end_time IS NULL AND deleted = 0", NULL), 1);
	assert_int_equal(db_entry_running(fx->db, &run, &err), 0);
	assert_string_equal(run->id, e2);
	assert_string_equal(run->notes, "note");
	entry_free(run);

	/* Starting at the running entry's own start is allowed (a zero
	 * entry); the task already in progress needs no status op. */
	n0 = outbox_count(fx);
	assert_int_equal(ops_timer_start(fx->db, a, t2, NULL, e3, NULL, &err),
	    0);
	assert_int_equal(outbox_count(fx), n0 + 2);
	op_is(fx, 1, "time_entry", e2, "timer.stop", ANY, NULL, h[3]);
	op_is(fx, 0, "time_entry", e3, "timer.start", ANY, NULL, NULL);
	assert_int_equal(q_int(fx, "SELECT duration_ms FROM time_entries "
	    "WHERE id = ?1", e2, NULL), 0);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM time_entries WHERE "
	    "end_time IS NULL AND deleted = 0", NULL), 1);
	assert_int_equal(db_task_get(fx->db, &t, a, &err), 0);
	assert_true(t->running);
	task_free(t);
	assert_int_equal(db_task_get(fx->db, &t, b, &err), 0);
	assert_false(t->running);
	task_free(t);
}

static void
test_db_timer_stop(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	char a[UUID_STRLEN + 1], e[UUID_STRLEN + 1], h[HLC_STRLEN + 1];
	struct entry *stopped = (struct entry *)&err;
	int64_t n0, t1 = fx->t0, t2 = fx->t0 + 90 * MIN_MS;
	char *want;

	new_task(fx, "A", a);
	n0 = outbox_count(fx);
	/* Nothing runs yet. */
	assert_int_equal(ops_timer_stop(fx->db, t1, &stopped, &err),
	    TOCK_ENOTRUNNING);
	assert_int_equal(err.code, TOCK_ENOTRUNNING);
	assert_int_equal(outbox_count(fx), n0);
	assert_int_equal(db_entry_running(fx->db, &stopped, &err),
	    TOCK_ENOTRUNNING);

	assert_int_equal(ops_timer_start(fx->db, a, t1, NULL, e, NULL, &err),
	    0);
	/* Before the start: refused, nothing written. */
	n0 = outbox_count(fx);
	stopped = NULL;
	assert_int_equal(ops_timer_stop(fx->db, t1 - 1, &stopped, &err),
	    TOCK_EINVAL);
	assert_null(stopped);
	assert_int_equal(outbox_count(fx), n0);
	q_is(fx, NULL, "SELECT end_time FROM time_entries WHERE id = ?1", e,
	    NULL);

	assert_int_equal(ops_timer_stop(fx->db, t2, &stopped, &err), 0);
	assert_non_null(stopped);
	assert_string_equal(stopped->id, e);
	assert_int_equal(stopped->end_time, t2);
	assert_string_equal(stopped->end_src, "stop");
	entry_free(stopped);
	want = xasprintf("{\"end_time\":%lld}", (long long)t2);
	op_is(fx, 0, "time_entry", e, "timer.stop", want, NULL, h);
	free(want);
	assert_int_equal(outbox_count(fx), n0 + 1);
	q_is(fx, "stop", "SELECT end_src FROM time_entries WHERE id = ?1", e,
	    NULL);
	/* Stopping again: nothing runs. */
	assert_int_equal(ops_timer_stop(fx->db, t2 + 1, NULL, &err),
	    TOCK_ENOTRUNNING);
	assert_int_equal(outbox_count(fx), n0 + 1);
	assert_int_equal(q_int(fx, "SELECT end_time FROM time_entries WHERE "
	    "id = ?1", e, NULL), t2);
}

static void
test_db_timer_start_before_running_writes_nothing(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	char a[UUID_STRLEN + 1], b[UUID_STRLEN + 1], e1[UUID_STRLEN + 1];
	char e2[UUID_STRLEN + 1], st1[HLC_STRLEN + 1], st2[HLC_STRLEN + 1];
	struct entry *stopped = (struct entry *)&err, *run = NULL;
	int64_t t1 = fx->t0 + HOUR_MS, n_out, n_ent;

	new_task(fx, "A", a);
	new_task(fx, "B", b);
	assert_int_equal(ops_timer_start(fx->db, a, t1, NULL, e1, NULL, &err),
	    0);
	n_out = outbox_count(fx);
	n_ent = entry_count(fx);
	hlc_state_str(fx, st1);

	assert_int_equal(ops_timer_start(fx->db, b, t1 - 1, NULL, e2, &stopped,
	    &err), TOCK_EINVAL);
	assert_int_equal(err.code, TOCK_EINVAL);
	assert_non_null(strstr(err.msg, "running timer started at"));
	assert_null(stopped);
	/* Nothing at all was written: rows, ops, clock, task status. */
	assert_int_equal(outbox_count(fx), n_out);
	assert_int_equal(entry_count(fx), n_ent);
	hlc_state_str(fx, st2);
	assert_string_equal(st1, st2);
	assert_int_equal(task_status(fx, b), TASK_TODO);
	assert_int_equal(db_entry_running(fx->db, &run, &err), 0);
	assert_string_equal(run->id, e1);
	assert_int_equal(run->end_time, -1);
	entry_free(run);

	/* The same start a day earlier, on the same task: also refused. */
	assert_int_equal(ops_timer_start(fx->db, a, t1 - DAY_MS, NULL, e2,
	    NULL, &err), TOCK_EINVAL);
	assert_int_equal(outbox_count(fx), n_out);
	assert_int_equal(entry_count(fx), n_ent);

	/* Starting on a missing task is refused the same way. */
	assert_int_equal(ops_timer_start(fx->db, TID1, t1 + 1, NULL, e2, NULL,
	    &err), TOCK_ENOTFOUND);
	assert_int_equal(outbox_count(fx), n_out);
	assert_int_equal(entry_count(fx), n_ent);
	/* And a note that is not UTF-8. */
	assert_int_equal(ops_timer_start(fx->db, b, t1 + 1, "bad\xff", e2,
	    NULL, &err), TOCK_EINVAL);
	assert_int_equal(outbox_count(fx), n_out);
	hlc_state_str(fx, st2);
	assert_string_equal(st1, st2);
}

static void
test_db_task_delete_stops_its_timer(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	char a[UUID_STRLEN + 1], b[UUID_STRLEN + 1], e[UUID_STRLEN + 1];
	char h1[HLC_STRLEN + 1], h2[HLC_STRLEN + 1];
	struct entry *run = NULL;
	struct task *t = NULL;
	int64_t start = time_now_ms() - 5 * MIN_MS, before, after, end;

	new_task(fx, "A", a);
	new_task(fx, "B", b);
	assert_int_equal(ops_timer_start(fx->db, a, start, NULL, e, NULL,
	    &err), 0);

	/* Deleting another task leaves the timer alone. */
	assert_int_equal(ops_task_delete(fx->db, b, &err), 0);
	op_is(fx, 0, "task", b, "delete", "{\"deleted\":true}", NULL, NULL);
	assert_int_equal(db_entry_running(fx->db, &run, &err), 0);
	assert_string_equal(run->id, e);
	entry_free(run);

	before = time_now_ms();
	assert_int_equal(ops_task_delete(fx->db, a, &err), 0);
	after = time_now_ms();
	assert_int_equal(db_entry_running(fx->db, &run, &err),
	    TOCK_ENOTRUNNING);
	end = q_int(fx, "SELECT end_time FROM time_entries WHERE id = ?1", e,
	    NULL);
	assert_true(end >= before && end <= after);
	q_is(fx, "stop", "SELECT end_src FROM time_entries WHERE id = ?1", e,
	    NULL);
	op_is(fx, 1, "time_entry", e, "timer.stop", ANY, NULL, h1);
	op_is(fx, 0, "task", a, "delete", "{\"deleted\":true}", NULL, h2);
	assert_true(strcmp(h1, h2) < 0);
	assert_int_equal(db_task_get(fx->db, &t, a, &err), 0);
	assert_true(t->deleted);
	assert_int_equal(t->num, 0);
	assert_false(t->running);
	task_free(t);

	/* A deleted task cannot get a timer; restoring brings it back. */
	assert_int_equal(ops_timer_start(fx->db, a, time_now_ms(), NULL, e,
	    NULL, &err), TOCK_EINVAL);
	assert_non_null(strstr(err.msg, "deleted"));
	assert_int_equal(ops_task_restore(fx->db, a, &err), 0);
	op_is(fx, 0, "task", a, "restore", "{\"deleted\":false}", NULL, NULL);
	assert_int_equal(task_num(fx, a), 1);
}

static void
test_db_task_done_stops_its_timer(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	char a[UUID_STRLEN + 1], e[UUID_STRLEN + 1], e2[UUID_STRLEN + 1];
	struct entry *run = NULL;
	int64_t start = time_now_ms() - 5 * MIN_MS, before, after, end;

	new_task(fx, "A", a);
	assert_int_equal(ops_timer_start(fx->db, a, start, NULL, e, NULL,
	    &err), 0);
	before = time_now_ms();
	set_status(fx, a, "done");
	after = time_now_ms();
	assert_int_equal(db_entry_running(fx->db, &run, &err),
	    TOCK_ENOTRUNNING);
	end = q_int(fx, "SELECT end_time FROM time_entries WHERE id = ?1", e,
	    NULL);
	assert_true(end >= before && end <= after);
	op_is(fx, 1, "time_entry", e, "timer.stop", ANY, NULL, NULL);
	op_is(fx, 0, "task", a, "set", ANY, NULL, NULL);
	assert_int_equal(task_num(fx, a), 0);

	/* Time on a done task reopens it, with a number again. */
	assert_int_equal(ops_timer_start(fx->db, a, time_now_ms(), NULL, e2,
	    NULL, &err), 0);
	assert_int_equal(task_status(fx, a), TASK_IN_PROGRESS);
	assert_int_equal(task_num(fx, a), 1);
}

/* ---- manual entries and edits --------------------------------------------- */

static void
test_db_track(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	const char *ws = db_workspace_id(fx->db), *user = db_user_id(fx->db);
	char a[UUID_STRLEN + 1], e[UUID_STRLEN + 1], *want;
	struct entry *en = NULL;
	int64_t t1 = fx->t0, t2 = fx->t0 + HOUR_MS, n0;

	new_task(fx, "A", a);
	n0 = outbox_count(fx);
	/* end <= start is refused before anything is written. */
	assert_int_equal(ops_track(fx->db, a, t1, t1, NULL, e, &err),
	    TOCK_EINVAL);
	assert_string_equal(err.msg, "the end must be after the start");
	assert_int_equal(ops_track(fx->db, a, t1, t1 - 1, NULL, e, &err),
	    TOCK_EINVAL);
	assert_int_equal(ops_track(fx->db, a, t1, t2, "\xc3", e, &err),
	    TOCK_EINVAL);
	assert_int_equal(ops_track(fx->db, TID1, t1, t2, NULL, e, &err),
	    TOCK_ENOTFOUND);
	assert_int_equal(outbox_count(fx), n0);
	assert_int_equal(entry_count(fx), 0);

	assert_int_equal(ops_track(fx->db, a, t1, t2, "pairing", e, &err), 0);
	assert_true(uuid_valid(e));
	assert_int_equal(db_entry_get(fx->db, &en, e, &err), 0);
	assert_true(en->manual);
	assert_int_equal(en->start_time, t1);
	assert_int_equal(en->end_time, t2);
	assert_string_equal(en->end_src, "");
	assert_string_equal(en->notes, "pairing");
	assert_string_equal(en->task_id, a);
	assert_string_equal(en->workspace_id, ws);
	entry_free(en);
	want = xasprintf("{\"workspace_id\":\"%s\",\"user_id\":\"%s\","
	    "\"task_id\":\"%s\",\"origin\":\"manual\",\"start_time\":%lld,"
	    "\"end_time\":%lld,\"notes\":\"pairing\"}", ws, user, a,
	    (long long)t1, (long long)t2);
	op_is(fx, 0, "time_entry", e, "create", want, NULL, NULL);
	free(want);
	assert_int_equal(outbox_count(fx), n0 + 1);
	/* A manual entry is no timer: nothing runs, the task stays todo. */
	assert_int_equal(db_entry_running(fx->db, &en, &err),
	    TOCK_ENOTRUNNING);
	assert_int_equal(task_status(fx, a), TASK_TODO);
	/* One millisecond is enough. */
	assert_int_equal(ops_track(fx->db, a, t2, t2 + 1, NULL, e, &err), 0);
}

static void
test_db_entry_update(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	struct fieldset fs = FIELDSET_INIT;
	char a[UUID_STRLEN + 1], e[UUID_STRLEN + 1], r[UUID_STRLEN + 1];
	char h1[HLC_STRLEN + 1], h2[HLC_STRLEN + 1], *want;
	int64_t t1 = fx->t0, t2 = fx->t0 + HOUR_MS, n0;
	struct entry *en = NULL;

	new_task(fx, "A", a);
	assert_int_equal(ops_track(fx->db, a, t1, t2, "first", e, &err), 0);
	op_is(fx, 0, "time_entry", e, "create", ANY, NULL, h1);
	n0 = outbox_count(fx);

	/* end < start, either way round: refused, nothing written. */
	fieldset_int(&fs, "end_time", t1 - 1);
	assert_int_equal(ops_entry_update(fx->db, e, &fs, &err), TOCK_EINVAL);
	fs = (struct fieldset)FIELDSET_INIT;
	fieldset_int(&fs, "start_time", t2 + 1);
	assert_int_equal(ops_entry_update(fx->db, e, &fs, &err), TOCK_EINVAL);
	fs = (struct fieldset)FIELDSET_INIT;
	fieldset_int(&fs, "start_time", t2);
	fieldset_int(&fs, "end_time", t2 - 1);
	assert_int_equal(ops_entry_update(fx->db, e, &fs, &err), TOCK_EINVAL);
	fs = (struct fieldset)FIELDSET_INIT;
	fieldset_text(&fs, "notes", "\xff");
	assert_int_equal(ops_entry_update(fx->db, e, &fs, &err), TOCK_EINVAL);
	fs = (struct fieldset)FIELDSET_INIT;
	fieldset_text(&fs, "notes", "x");
	assert_int_equal(ops_entry_update(fx->db, TID1, &fs, &err),
	    TOCK_ENOTFOUND);
	assert_int_equal(outbox_count(fx), n0);

	/* end == start is allowed: an edit, marked as such. */
	fs = (struct fieldset)FIELDSET_INIT;
	fieldset_int(&fs, "start_time", t2);
	assert_int_equal(ops_entry_update(fx->db, e, &fs, &err), 0);
	want = xasprintf("{\"start_time\":%lld}", (long long)t2);
	op_is(fx, 0, "time_entry", e, "set", want, NULL, NULL);
	free(want);
	fs = (struct fieldset)FIELDSET_INIT;
	fieldset_int(&fs, "start_time", t1);
	fieldset_int(&fs, "end_time", t2 + HOUR_MS);
	assert_int_equal(ops_entry_update(fx->db, e, &fs, &err), 0);
	assert_int_equal(db_entry_get(fx->db, &en, e, &err), 0);
	assert_int_equal(en->start_time, t1);
	assert_int_equal(en->end_time, t2 + HOUR_MS);
	assert_string_equal(en->end_src, "edit");
	entry_free(en);

	/* notes is a text field: its op carries the base clock. */
	fs = (struct fieldset)FIELDSET_INIT;
	fieldset_text(&fs, "notes", "second");
	assert_int_equal(ops_entry_update(fx->db, e, &fs, &err), 0);
	want = xasprintf("{\"notes\":\"%s\"}", h1);
	op_is(fx, 0, "time_entry", e, "set", "{\"notes\":\"second\"}", want,
	    h2);
	free(want);
	q_is(fx, h2, "SELECT json_extract(_fhlc, '$.notes') FROM time_entries "
	    "WHERE id = ?1", e, NULL);
	q_is(fx, "second", "SELECT notes FROM time_entries WHERE id = ?1", e,
	    NULL);

	/* A running entry cannot be moved into the future, nor given an
	 * end before its start. */
	assert_int_equal(ops_timer_start(fx->db, a, t1, NULL, r, NULL, &err),
	    0);
	n0 = outbox_count(fx);
	fs = (struct fieldset)FIELDSET_INIT;
	fieldset_int(&fs, "start_time", time_now_ms() + HOUR_MS);
	assert_int_equal(ops_entry_update(fx->db, r, &fs, &err), TOCK_EINVAL);
	fs = (struct fieldset)FIELDSET_INIT;
	fieldset_int(&fs, "end_time", t1 - 1);
	assert_int_equal(ops_entry_update(fx->db, r, &fs, &err), TOCK_EINVAL);
	assert_int_equal(outbox_count(fx), n0);
	/* Moving its start back is fine and it keeps running. */
	fs = (struct fieldset)FIELDSET_INIT;
	fieldset_int(&fs, "start_time", t1 - HOUR_MS);
	assert_int_equal(ops_entry_update(fx->db, r, &fs, &err), 0);
	assert_int_equal(db_entry_running(fx->db, &en, &err), 0);
	assert_string_equal(en->id, r);
	assert_int_equal(en->start_time, t1 - HOUR_MS);
	entry_free(en);
}

static void
test_db_entry_delete(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	char a[UUID_STRLEN + 1], e[UUID_STRLEN + 1];
	struct entry *en = NULL;

	new_task(fx, "A", a);
	assert_int_equal(ops_timer_start(fx->db, a, fx->t0, NULL, e, NULL,
	    &err), 0);
	assert_int_equal(ops_entry_delete(fx->db, e, &err), 0);
	op_is(fx, 0, "time_entry", e, "delete", "{\"deleted\":true}", NULL,
	    NULL);
	/* A deleted running entry no longer runs. */
	assert_int_equal(db_entry_running(fx->db, &en, &err),
	    TOCK_ENOTRUNNING);
	assert_int_equal(db_entry_get(fx->db, &en, e, &err), 0);
	assert_true(en->deleted);
	entry_free(en);
	assert_int_equal(ops_entry_delete(fx->db, TID1, &err), TOCK_ENOTFOUND);
}

/* ---- @N references and listings ------------------------------------------ */

struct listed {
	int n;
	char id[16][UUID_STRLEN + 1];
	int at[16];
};

static int
collect_entry(const struct entry *e, int at, void *arg)
{
	struct listed *l = arg;

	assert_true(l->n < 16);
	memcpy(l->id[l->n], e->id, UUID_STRLEN + 1);
	l->at[l->n] = at;
	l->n++;
	return 0;
}

static void
list_raw(struct fx *fx, int64_t since, int64_t until, const char *task,
    struct listed *l)
{
	struct entry_filter f;
	struct tock_err err = TOCK_ERR_INIT;

	memset(l, 0, sizeof *l);
	f.since = since;
	f.until = until;
	f.task_id = task;
	assert_int_equal(db_entry_list(fx->db, &f, collect_entry, l, &err), 0);
}

static void
list_window(struct fx *fx, int64_t since, int64_t until, const char *task,
    struct listed *l)
{
	int i;

	list_raw(fx, since, until, task, l);
	/* Every @N shown resolves back to the entry it was shown for. */
	for (i = 0; i < l->n; i++) {
		char ref[16];

		snprintf(ref, sizeof ref, "@%d", l->at[i]);
		resolve_entry_is(fx, ref, l->id[i]);
	}
}

static void
test_db_entry_resolve(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	char a[UUID_STRLEN + 1], e1[UUID_STRLEN + 1], e2[UUID_STRLEN + 1];
	char e3[UUID_STRLEN + 1], id[UUID_STRLEN + 1], pre[UUID_STRLEN + 1];
	size_t lcp = 0;

	new_task(fx, "A", a);
	resolve_entry_fails(fx, "@1");
	/* Created out of order: @N goes by start time, not creation. */
	track(fx, a, fx->t0 + 2 * HOUR_MS, fx->t0 + 3 * HOUR_MS, e2);
	track(fx, a, fx->t0 + 4 * HOUR_MS, fx->t0 + 5 * HOUR_MS, e3);
	track(fx, a, fx->t0, fx->t0 + HOUR_MS, e1);
	resolve_entry_is(fx, "@1", e3);
	resolve_entry_is(fx, "@2", e2);
	resolve_entry_is(fx, "@3", e1);
	resolve_entry_fails(fx, "@4");
	resolve_entry_fails(fx, "@0");
	resolve_entry_fails(fx, "@");
	resolve_entry_fails(fx, "@-1");
	resolve_entry_fails(fx, "@1x");
	resolve_entry_fails(fx, "@x");
	resolve_entry_fails(fx, "@99999999999");
	/* Full ids and unique prefixes. */
	resolve_entry_is(fx, e2, e2);
	resolve_entry_fails(fx, TID1);
	/* A prefix the three ids share is ambiguous. */
	while (lcp < UUID_STRLEN && e1[lcp] == e2[lcp] && e1[lcp] == e3[lcp])
		lcp++;
	if (lcp >= 4) {
		memcpy(pre, e1, lcp);
		pre[lcp] = '\0';
		assert_int_equal(db_entry_resolve(fx->db, id, pre, &err),
		    TOCK_EAMBIGUOUS);
	}
	/* A task id is not an entry id. */
	resolve_entry_fails(fx, a);

	/* Deleted entries are skipped: the numbering closes up. */
	assert_int_equal(ops_entry_delete(fx->db, e3, &err), 0);
	resolve_entry_is(fx, "@1", e2);
	resolve_entry_is(fx, "@2", e1);
	resolve_entry_fails(fx, "@3");

	/* The running entry is the newest. */
	assert_int_equal(ops_timer_start(fx->db, a, fx->t0 + 10 * HOUR_MS,
	    NULL, id, NULL, &err), 0);
	resolve_entry_is(fx, "@1", id);
	resolve_entry_is(fx, "@2", e2);
}

static void
test_db_entry_list_window(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	char a[UUID_STRLEN + 1], b[UUID_STRLEN + 1], e1[UUID_STRLEN + 1];
	char e2[UUID_STRLEN + 1], e3[UUID_STRLEN + 1], e4[UUID_STRLEN + 1];
	int64_t t = fx->t0;
	struct listed l;

	new_task(fx, "A", a);
	new_task(fx, "B", b);
	track(fx, a, t, t + HOUR_MS, e1);
	track(fx, a, t + 2 * HOUR_MS, t + 3 * HOUR_MS, e2);
	track(fx, b, t + 5 * HOUR_MS, t + 6 * HOUR_MS, e3);
	assert_int_equal(ops_timer_start(fx->db, a, t + 7 * HOUR_MS, NULL, e4,
	    NULL, &err), 0);

	/* Everything, oldest first, @N counted from the newest. */
	list_window(fx, 0, INT64_MAX, NULL, &l);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.id[0], e1);
	assert_int_equal(l.at[0], 4);
	assert_string_equal(l.id[1], e2);
	assert_int_equal(l.at[1], 3);
	assert_string_equal(l.id[2], e3);
	assert_int_equal(l.at[2], 2);
	assert_string_equal(l.id[3], e4);
	assert_int_equal(l.at[3], 1);

	/* [since, until): an entry ending at since or starting at until is
	 * outside; the numbers stay those of the whole list. */
	list_window(fx, t + 2 * HOUR_MS, t + 5 * HOUR_MS, NULL, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.id[0], e2);
	assert_int_equal(l.at[0], 3);
	list_window(fx, t + HOUR_MS, t + 2 * HOUR_MS, NULL, &l);
	assert_int_equal(l.n, 0);
	list_window(fx, t + 30 * MIN_MS, t + 2 * HOUR_MS + 1, NULL, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.id[0], e1);
	assert_int_equal(l.at[0], 4);
	assert_string_equal(l.id[1], e2);
	assert_int_equal(l.at[1], 3);
	/* The running entry overlaps every window after its start. */
	list_window(fx, t + 8 * HOUR_MS, t + 9 * HOUR_MS, NULL, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.id[0], e4);
	assert_int_equal(l.at[0], 1);
	list_window(fx, t + 30 * DAY_MS, t + 31 * DAY_MS, NULL, &l);
	assert_int_equal(l.n, 1);
	/* By task. */
	list_window(fx, 0, INT64_MAX, b, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.id[0], e3);
	assert_int_equal(l.at[0], 2);
	list_window(fx, t + 4 * HOUR_MS, INT64_MAX, a, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.id[0], e4);
	/* Deleted entries are not listed and not counted. */
	assert_int_equal(ops_entry_delete(fx->db, e3, &err), 0);
	list_window(fx, 0, INT64_MAX, NULL, &l);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.at[0], 3);
	assert_int_equal(l.at[1], 2);
	assert_int_equal(l.at[2], 1);
}

static void
test_db_entry_list_at_matches_resolve_with_overlap(void **state)
{
	struct fx *fx = *state;
	char a[UUID_STRLEN + 1], e1[UUID_STRLEN + 1], e2[UUID_STRLEN + 1];
	char e5[UUID_STRLEN + 1];
	int64_t t = fx->t0;
	struct listed l;

	/* Manual entries may overlap (SYNC.md 3.11): e5 lies inside e1 and
	 * ends before the window, e1 reaches into it. */
	new_task(fx, "A", a);
	track(fx, a, t, t + 4 * HOUR_MS, e1);
	track(fx, a, t + HOUR_MS, t + 90 * MIN_MS, e5);
	track(fx, a, t + 5 * HOUR_MS, t + 6 * HOUR_MS, e2);
	resolve_entry_is(fx, "@1", e2);
	resolve_entry_is(fx, "@2", e5);
	resolve_entry_is(fx, "@3", e1);

	list_window(fx, 0, INT64_MAX, NULL, &l);
	assert_int_equal(l.n, 3);
	/* The window shows e1 and e2; e1 must be shown as @3, the number
	 * that 'tock edit @3' resolves to it.  Ranking only the entries
	 * that reach into the window leaves e5 out and shows e1 as @2,
	 * which db_entry_resolve() takes to be e5. */
	list_raw(fx, t + 2 * HOUR_MS, t + 7 * HOUR_MS, NULL, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.id[0], e1);
	assert_string_equal(l.id[1], e2);
	assert_int_equal(l.at[1], 1);
	if (l.at[0] != 3)
		fail_msg("db_entry_list numbers e1 @%d, but db_entry_resolve "
		    "gives @3 for it (an overlapping entry that ends before "
		    "the window is left out of the ranking)", l.at[0]);
	list_window(fx, t + 2 * HOUR_MS, t + 7 * HOUR_MS, NULL, &l);
}

/* ---- task listing ---------------------------------------------------------- */

struct tlist {
	int n;
	char id[16][UUID_STRLEN + 1];
	int num[16];
	bool running[16];
	int stop_after;
};

static int
collect_task(const struct task *t, void *arg)
{
	struct tlist *l = arg;

	assert_true(l->n < 16);
	memcpy(l->id[l->n], t->id, UUID_STRLEN + 1);
	l->num[l->n] = t->num;
	l->running[l->n] = t->running;
	l->n++;
	if (l->stop_after && l->n == l->stop_after)
		return 42;
	return 0;
}

static void
list_tasks(struct fx *fx, const struct task_filter *f, struct tlist *l)
{
	struct tock_err err = TOCK_ERR_INIT;

	memset(l, 0, sizeof *l);
	assert_int_equal(db_task_list(fx->db, f, collect_task, l, &err), 0);
}

static bool
listed_task(const struct tlist *l, const char *id)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->id[i], id) == 0)
			return true;
	return false;
}

static void
task_full(struct fx *fx, const char *title, const char *status,
    const char *tags, const char *due, bool mine, char id[UUID_STRLEN + 1])
{
	struct fieldset fs = FIELDSET_INIT;
	struct tock_err err = TOCK_ERR_INIT;

	fieldset_text(&fs, "title", title);
	if (status != NULL)
		fieldset_text(&fs, "status", status);
	if (tags != NULL)
		fieldset_json(&fs, "metadata.tags", tags);
	if (due != NULL)
		fieldset_text(&fs, "due_date", due);
	if (mine)
		fieldset_text(&fs, "assignee_id", db_user_id(fx->db));
	if (ops_task_create(fx->db, id, &fs, &err) != 0)
		fail_msg("create %s: %s", title, err.msg);
}

static void
test_db_task_list_filters(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	char a[UUID_STRLEN + 1], b[UUID_STRLEN + 1], c[UUID_STRLEN + 1];
	char d[UUID_STRLEN + 1], e[UUID_STRLEN + 1], f[UUID_STRLEN + 1];
	char en[UUID_STRLEN + 1];
	struct task_filter flt;
	struct tlist l;

	task_full(fx, "A", NULL, "[\"work\",\"urgent\"]", "2026-01-10", false,
	    a);
	task_full(fx, "B", "in_progress", "[\"home\"]", "2026-02-01", false, b);
	task_full(fx, "C", "done", "[\"work\"]", NULL, false, c);
	task_full(fx, "D", "cancelled", NULL, "2025-01-01", false, d);
	task_full(fx, "E", NULL, "[\"work\"]", "2025-01-01", false, e);
	task_full(fx, "F", NULL, NULL, NULL, true, f);
	assert_int_equal(ops_task_delete(fx->db, e, &err), 0);

	/* Default: open tasks, by number (F keeps the 4 it got while E
	 * still held 3). */
	memset(&flt, 0, sizeof flt);
	list_tasks(fx, &flt, &l);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.id[0], a);
	assert_int_equal(l.num[0], 1);
	assert_string_equal(l.id[1], b);
	assert_int_equal(l.num[1], 2);
	assert_string_equal(l.id[2], f);
	assert_int_equal(l.num[2], 4);

	flt.status_mask = 1u << TASK_TODO;
	list_tasks(fx, &flt, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.id[0], a);
	assert_string_equal(l.id[1], f);
	flt.status_mask = 1u << TASK_IN_PROGRESS;
	list_tasks(fx, &flt, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.id[0], b);
	flt.status_mask = 1u << TASK_DONE;
	list_tasks(fx, &flt, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.id[0], c);
	flt.status_mask = (1u << TASK_DONE) | (1u << TASK_CANCELLED);
	list_tasks(fx, &flt, &l);
	assert_int_equal(l.n, 2);
	assert_true(listed_task(&l, c) && listed_task(&l, d));
	/* All statuses: open ones by number first, then the closed. */
	flt.status_mask = 0xf;
	list_tasks(fx, &flt, &l);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.id[0], a);
	assert_string_equal(l.id[1], b);
	assert_string_equal(l.id[2], f);
	assert_int_equal(l.num[3], 0);
	assert_int_equal(l.num[4], 0);
	assert_false(listed_task(&l, e));

	/* Tags: whole tags only. */
	flt.tag = "work";
	list_tasks(fx, &flt, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.id[0], a);
	assert_string_equal(l.id[1], c);
	flt.tag = "urgent";
	list_tasks(fx, &flt, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.id[0], a);
	flt.tag = "wor";
	list_tasks(fx, &flt, &l);
	assert_int_equal(l.n, 0);
	flt.tag = NULL;

	/* Due before a date, exclusive; tasks without a date never match. */
	flt.due_before = "2026-02-01";
	list_tasks(fx, &flt, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.id[0], a);
	assert_string_equal(l.id[1], d);
	flt.due_before = "2026-02-02";
	flt.status_mask = 0;
	list_tasks(fx, &flt, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.id[0], a);
	assert_string_equal(l.id[1], b);
	flt.due_before = "2026-01-10";
	list_tasks(fx, &flt, &l);
	assert_int_equal(l.n, 0);
	/* Combined with a tag. */
	flt.due_before = "2026-12-31";
	flt.tag = "home";
	list_tasks(fx, &flt, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.id[0], b);
	flt.due_before = NULL;
	flt.tag = NULL;

	/* Assignee. */
	flt.assignee_id = db_user_id(fx->db);
	list_tasks(fx, &flt, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.id[0], f);
	flt.assignee_id = NULL;

	/* Deleted ones instead. */
	flt.deleted = true;
	list_tasks(fx, &flt, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.id[0], e);
	assert_int_equal(l.num[0], 0);
	flt.status_mask = 1u << TASK_DONE;
	list_tasks(fx, &flt, &l);
	assert_int_equal(l.n, 0);

	/* The running flag. */
	memset(&flt, 0, sizeof flt);
	assert_int_equal(ops_timer_start(fx->db, f, fx->t0, NULL, en, NULL,
	    &err), 0);
	list_tasks(fx, &flt, &l);
	assert_int_equal(l.n, 3);
	assert_false(l.running[0]);
	assert_false(l.running[1]);
	assert_true(l.running[2]);
}

static void
test_db_task_list_fields_and_stop(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	struct task_filter flt;
	struct tlist l;
	char a[UUID_STRLEN + 1], b[UUID_STRLEN + 1];
	struct task *t = NULL;
	char *name;

	task_full(fx, "A", NULL, "[\"x\"]", "2026-03-04", true, a);
	task_full(fx, "B", NULL, NULL, NULL, false, b);
	assert_int_equal(db_task_get(fx->db, &t, a, &err), 0);
	assert_string_equal(t->title, "A");
	assert_string_equal(t->due_date, "2026-03-04");
	assert_string_equal(t->metadata, "{\"tags\":[\"x\"]}");
	assert_string_equal(t->assignee_id, db_user_id(fx->db));
	name = db_user_name(fx->db, db_user_id(fx->db));
	assert_non_null(name);
	assert_non_null(t->assignee_name);
	assert_string_equal(t->assignee_name, name);
	free(name);
	task_free(t);
	assert_null(db_user_name(fx->db, TID1));
	assert_int_equal(db_task_get(fx->db, &t, TID1, &err), TOCK_ENOTFOUND);

	/* A callback's non-zero return stops the listing and is returned. */
	memset(&flt, 0, sizeof flt);
	memset(&l, 0, sizeof l);
	l.stop_after = 1;
	assert_int_equal(db_task_list(fx->db, &flt, collect_task, &l, &err),
	    42);
	assert_int_equal(l.n, 1);
	/* The connection is still usable afterwards. */
	list_tasks(fx, &flt, &l);
	assert_int_equal(l.n, 2);
}

/* ---- derived values and the rest ------------------------------------------- */

static void
test_db_task_tracked(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	char a[UUID_STRLEN + 1], b[UUID_STRLEN + 1], e[UUID_STRLEN + 1];
	int64_t t = fx->t0, ms = -1;

	new_task(fx, "A", a);
	new_task(fx, "B", b);
	assert_int_equal(db_task_tracked(fx->db, a, t, &ms, &err), 0);
	assert_int_equal(ms, 0);
	track(fx, a, t, t + HOUR_MS, e);
	track(fx, a, t + 2 * HOUR_MS, t + 150 * MIN_MS, e);
	track(fx, b, t, t + 5 * HOUR_MS, e);
	track(fx, a, t + 3 * HOUR_MS, t + 4 * HOUR_MS, e);
	assert_int_equal(ops_entry_delete(fx->db, e, &err), 0);
	assert_int_equal(ops_timer_start(fx->db, a, t + 5 * HOUR_MS, NULL, e,
	    NULL, &err), 0);
	/* 1 h + 30 min + the running entry up to now (1 h). */
	assert_int_equal(db_task_tracked(fx->db, a, t + 6 * HOUR_MS, &ms,
	    &err), 0);
	assert_int_equal(ms, 150 * MIN_MS);
	/* A "now" before the running start counts it as zero. */
	assert_int_equal(db_task_tracked(fx->db, a, t, &ms, &err), 0);
	assert_int_equal(ms, 90 * MIN_MS);
	assert_int_equal(db_task_tracked(fx->db, b, t, &ms, &err), 0);
	assert_int_equal(ms, 5 * HOUR_MS);
}

static void
test_db_entry_last(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	char a[UUID_STRLEN + 1], b[UUID_STRLEN + 1], e1[UUID_STRLEN + 1];
	char e2[UUID_STRLEN + 1];
	struct entry *en = NULL;

	new_task(fx, "A", a);
	new_task(fx, "B", b);
	assert_int_equal(db_entry_last(fx->db, &en, &err), TOCK_ENOTFOUND);
	track(fx, a, fx->t0, fx->t0 + HOUR_MS, e1);
	track(fx, b, fx->t0 + 2 * HOUR_MS, fx->t0 + 3 * HOUR_MS, e2);
	assert_int_equal(db_entry_last(fx->db, &en, &err), 0);
	assert_string_equal(en->id, e2);
	assert_string_equal(en->task_title, "B");
	entry_free(en);
	/* Not from a deleted task. */
	assert_int_equal(ops_task_delete(fx->db, b, &err), 0);
	assert_int_equal(db_entry_last(fx->db, &en, &err), 0);
	assert_string_equal(en->id, e1);
	entry_free(en);
}

static int
collect_comment(const struct comment *c, void *arg)
{
	struct listed *l = arg;

	memcpy(l->id[l->n], c->id, UUID_STRLEN + 1);
	l->n++;
	return 0;
}

static void
test_db_comments(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	char a[UUID_STRLEN + 1], c1[UUID_STRLEN + 1], c2[UUID_STRLEN + 1];
	char h[HLC_STRLEN + 1];
	struct listed l;
	int64_t n0;
	char *want;

	new_task(fx, "A", a);
	n0 = outbox_count(fx);
	assert_int_equal(ops_comment_add(fx->db, a, " \n\t", c1, &err),
	    TOCK_EINVAL);
	assert_int_equal(ops_comment_add(fx->db, a, "x\xff", c1, &err),
	    TOCK_EINVAL);
	assert_int_equal(ops_comment_add(fx->db, TID1, "hi", c1, &err),
	    TOCK_ENOTFOUND);
	assert_int_equal(outbox_count(fx), n0);
	assert_int_equal(ops_comment_add(fx->db, a, "first", c1, &err), 0);
	assert_int_equal(ops_comment_add(fx->db, a, "second", c2, &err), 0);
	want = xasprintf("{\"workspace_id\":\"%s\",\"task_id\":\"%s\","
	    "\"author_id\":\"%s\",\"body\":\"second\",\"created_at\":%lld}",
	    db_workspace_id(fx->db), a, db_user_id(fx->db),
	    (long long)q_int(fx, "SELECT created_at FROM comments WHERE "
	    "id = ?1", c2, NULL));
	op_is(fx, 0, "comment", c2, "create", want, NULL, h);
	free(want);
	memset(&l, 0, sizeof l);
	assert_int_equal(db_comment_list(fx->db, a, collect_comment, &l,
	    &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.id[0], c1);
	assert_string_equal(l.id[1], c2);
}

static void
test_db_user_resolve(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	char id[UUID_STRLEN + 1];

	assert_int_equal(db_user_resolve(fx->db, id, "me", &err), 0);
	assert_string_equal(id, db_user_id(fx->db));
	assert_int_equal(db_user_resolve(fx->db, id, db_user_id(fx->db),
	    &err), 0);
	assert_string_equal(id, db_user_id(fx->db));
	assert_int_equal(db_user_resolve(fx->db, id, "nobody@example.org",
	    &err), TOCK_ENOTFOUND);
}

#define FX_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FX_TEST(test_db_open_creates_wal_and_schema),
		FX_TEST(test_db_open_creates_identity),
		FX_TEST(test_db_open_queues_workspace_create),
		FX_TEST(test_db_reopen_keeps_identity),
		FX_TEST(test_db_open_readonly),
		FX_TEST(test_db_open_refuses_newer_schema),
		FX_TEST(test_db_open_readonly_uninitialised_file),
		FX_TEST(test_db_open_makes_parent_dirs),
		FX_TEST(test_db_open_memory),
		FX_TEST(test_db_task_create_row_clocks_and_op),
		FX_TEST(test_db_task_create_refused_writes_nothing),
		FX_TEST(test_db_task_update_set_with_base),
		FX_TEST(test_db_task_update_unknown_writes_nothing),
		FX_TEST(test_db_hlc_strictly_increasing),
		FX_TEST(test_db_task_metadata_per_key),
		FX_TEST(test_db_task_short_numbers),
		FX_TEST(test_db_task_resolve),
		FX_TEST(test_db_timer_start_stops_running_at_same_instant),
		FX_TEST(test_db_timer_stop),
		FX_TEST(test_db_timer_start_before_running_writes_nothing),
		FX_TEST(test_db_task_delete_stops_its_timer),
		FX_TEST(test_db_task_done_stops_its_timer),
		FX_TEST(test_db_track),
		FX_TEST(test_db_entry_update),
		FX_TEST(test_db_entry_delete),
		FX_TEST(test_db_entry_resolve),
		FX_TEST(test_db_entry_list_window),
		FX_TEST(test_db_entry_list_at_matches_resolve_with_overlap),
		FX_TEST(test_db_task_list_filters),
		FX_TEST(test_db_task_list_fields_and_stop),
		FX_TEST(test_db_task_tracked),
		FX_TEST(test_db_entry_last),
		FX_TEST(test_db_comments),
		FX_TEST(test_db_user_resolve),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
