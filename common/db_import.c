/*
 * db_import.c - the SQL side of tock import (see db_import.h).
 *
 * The statements are cached (dbi_stmt), so the per-record lookups of a
 * 100,000-record import cost a few microseconds each.
 */
#include <sqlite3.h>
#include <string.h>

#include "db.h"
#include "db_import.h"
#include "db_int.h"
#include "err.h"

int
db_import_savepoint(struct db *db, struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "SAVEPOINT tock_import", err);

	if (st == NULL)
		return TOCK_ERR;
	return dbi_step_done(db, st, err, "cannot start savepoint");
}

int
db_import_release(struct db *db, struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "RELEASE tock_import", err);

	if (st == NULL)
		return TOCK_ERR;
	return dbi_step_done(db, st, err, "cannot release savepoint");
}

void
db_import_rollback_to(struct db *db)
{
	/* ROLLBACK TO keeps the savepoint open; RELEASE ends it.  Both are
	 * best effort: if they fail, the batch's commit fails too. */
	sqlite3_stmt *st = dbi_stmt(db, "ROLLBACK TO tock_import", NULL);

	if (st != NULL)
		dbi_step_done(db, st, NULL, "rollback");
	db_import_release(db, NULL);
}

int
db_import_map_get(struct db *db, const char *source, const char *source_id,
    char entity[16], char id[UUID_STRLEN + 1], struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "SELECT entity, entity_id FROM "
	    "import_map WHERE source = ?1 AND source_id = ?2", err);
	int rc;

	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, source_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (entity != NULL)
			dbi_copy_col(entity, 16, st, 0);
		dbi_copy_col(id, UUID_STRLEN + 1, st, 1);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return TOCK_ENOTFOUND;
	return dbi_fail(db, err, "cannot read import_map");
}

int
db_import_map_put(struct db *db, const char *source, const char *source_id,
    const char *entity, const char *entity_id, struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "INSERT INTO import_map(source, "
	    "source_id, entity, entity_id, imported_at) VALUES "
	    "(?1, ?2, ?3, ?4, ?5) ON CONFLICT(source, source_id) DO UPDATE "
	    "SET entity = excluded.entity, entity_id = excluded.entity_id, "
	    "imported_at = excluded.imported_at", err);

	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, source_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, entity, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, entity_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, db_now(db));
	return dbi_step_done(db, st, err, "cannot write import_map");
}

/* A lookup by id that returns the row's workspace. */
static int
exists(struct db *db, const char *sql, const char *id,
    char ws[UUID_STRLEN + 1], struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, sql, err);
	int rc;

	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && ws != NULL)
		dbi_copy_col(ws, UUID_STRLEN + 1, st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return TOCK_ENOTFOUND;
	return dbi_fail(db, err, "cannot look up id");
}

int
db_import_exists(struct db *db, const char *entity, const char *id,
    char ws[UUID_STRLEN + 1], struct tock_err *err)
{
	/* Table names come from this fixed list, never from the caller. */
	if (strcmp(entity, "task") == 0)
		return exists(db, "SELECT workspace_id FROM tasks "
		    "WHERE id = ?1", id, ws, err);
	if (strcmp(entity, "time_entry") == 0)
		return exists(db, "SELECT workspace_id FROM time_entries "
		    "WHERE id = ?1", id, ws, err);
	if (strcmp(entity, "comment") == 0)
		return exists(db, "SELECT workspace_id FROM comments "
		    "WHERE id = ?1", id, ws, err);
	TOCK_BUG("unknown entity '%s'", entity);
}

int
db_import_workspace_exists(struct db *db, const char *id,
    struct tock_err *err)
{
	return exists(db, "SELECT id FROM workspaces WHERE id = ?1", id, NULL,
	    err);
}

int
db_import_task_titles(struct db *db, const char *workspace_id,
    db_import_title_cb *cb, void *arg, struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "SELECT title, id, metadata FROM tasks "
	    "WHERE workspace_id = ?1 AND deleted = 0 ORDER BY "
	    "status NOT IN ('todo', 'in_progress'), created_at, id", err);
	int rc;

	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, workspace_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *title = sqlite3_column_text(st, 0);
		const unsigned char *id = sqlite3_column_text(st, 1);
		const unsigned char *meta = sqlite3_column_text(st, 2);
		int r;

		if (title == NULL || id == NULL)
			continue;
		r = cb((const char *)title, (const char *)id,
		    meta ? (const char *)meta : "{}", arg);
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

int
db_import_task_set_num(struct db *db, const char *id, int num,
    struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "UPDATE tasks SET num = ?2 WHERE "
	    "id = ?1 AND num IS NOT NULL AND num != ?2 AND NOT EXISTS "
	    "(SELECT 1 FROM tasks WHERE num = ?2)", err);

	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, num);
	return dbi_step_done(db, st, err, "cannot number task");
}

int
db_import_entry_set_end_src(struct db *db, const char *id,
    const char *end_src, struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "UPDATE time_entries SET end_src = ?2 "
	    "WHERE id = ?1", err);

	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	dbi_bind_text(st, 2, end_src);
	return dbi_step_done(db, st, err, "cannot update time entry");
}

int
db_import_user_add(struct db *db, const char *id, const char *name,
    const char *email, struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "INSERT INTO users(id, name, email) "
	    "VALUES (?1, ?2, ?3) ON CONFLICT(id) DO NOTHING", err);

	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name != NULL ? name : "", -1, SQLITE_STATIC);
	dbi_bind_text(st, 3, email);
	return dbi_step_done(db, st, err, "cannot add user");
}
