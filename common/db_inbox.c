/*
 * db_inbox.c - the notifications table for tock inbox (see inbox.h).
 */
#include <sqlite3.h>

#include "db.h"
#include "db_int.h"
#include "err.h"
#include "inbox.h"

int
db_inbox_list(struct db *db, bool all, inbox_cb *cb, void *arg,
    struct tock_err *err)
{
	sqlite3_stmt *st;
	struct inbox_item it;
	int rc = 0, step;

	if ((st = dbi_stmt(db, "SELECT n, id, kind, payload, created_at, read "
	    "FROM notifications WHERE ?1 OR read = 0 ORDER BY n DESC",
	    err)) == NULL)
		return TOCK_ERR;
	sqlite3_bind_int(st, 1, all);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		it.n = sqlite3_column_int64(st, 0);
		it.id = (const char *)sqlite3_column_text(st, 1);
		it.kind = (const char *)sqlite3_column_text(st, 2);
		it.payload = (const char *)sqlite3_column_text(st, 3);
		it.created_at = sqlite3_column_int64(st, 4);
		it.read = sqlite3_column_int(st, 5) != 0;
		if ((rc = cb(&it, arg)) != 0)
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = dbi_fail(db, err, "cannot list notifications");
	sqlite3_reset(st);
	return rc;
}

int
db_inbox_read(struct db *db, int64_t n, int *changed, struct tock_err *err)
{
	sqlite3_stmt *st;
	int64_t have;
	int rc;

	if (changed != NULL)
		*changed = 0;
	if ((rc = db_begin(db, err)) != 0)
		return rc;
	if (n > 0) {
		if ((st = dbi_stmt(db, "SELECT count(*) FROM notifications "
		    "WHERE n = ?1", err)) == NULL) {
			rc = TOCK_ERR;
			goto out;
		}
		sqlite3_bind_int64(st, 1, n);
		have = sqlite3_step(st) == SQLITE_ROW ?
		    sqlite3_column_int64(st, 0) : 0;
		sqlite3_reset(st);
		if (have == 0) {
			rc = tock_err_set(err, TOCK_ENOTFOUND,
			    "no notification %lld in the inbox", (long long)n);
			goto out;
		}
	}
	if ((st = dbi_stmt(db, "UPDATE notifications SET read = 1 "
	    "WHERE read = 0 AND (?1 = 0 OR n = ?1)", err)) == NULL) {
		rc = TOCK_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, n);
	if ((rc = dbi_step_done(db, st, err, "cannot mark read")) != 0)
		goto out;
	if (changed != NULL)
		*changed = sqlite3_changes(db->h);
	return db_commit(db, err);
out:
	db_rollback(db);
	return rc;
}
