/*
 * db_branch.c - the db module's reads for git hooks and shell completion
 * (see db_branch.h).  A post-checkout hook runs this on every branch
 * switch, so each function is one cached statement over the open tasks.
 */
#include <sqlite3.h>
#include <string.h>

#include "db_branch.h"
#include "db_int.h"
#include "err.h"

int
db_branch_task(struct db *db, char id[UUID_STRLEN + 1], const char *branch,
    struct tock_err *err)
{
	sqlite3_stmt *st;
	int rc;

	/*
	 * Open tasks only: a branch outlives its task (merged, kept around),
	 * and checking it out again later must not restart finished work.
	 * The tasks_open index narrows the scan to open tasks before
	 * json_extract looks at their metadata.
	 */
	st = dbi_stmt(db, "SELECT id FROM tasks "
	    "WHERE status IN ('todo', 'in_progress') AND deleted = 0 AND "
	    "json_extract(metadata, '$.branch') IN (?1, 'refs/heads/' || ?1) "
	    "ORDER BY updated_at DESC, id DESC LIMIT 1", err);
	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, branch, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		dbi_copy_col(id, UUID_STRLEN + 1, st, 0);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return TOCK_ENOTFOUND;
	return dbi_fail(db, err, "cannot look up branch");
}

int
db_task_titles(struct db *db, db_task_title_cb *cb, void *arg,
    struct tock_err *err)
{
	sqlite3_stmt *st;
	int rc, r;

	st = dbi_stmt(db, "SELECT num, title FROM tasks "
	    "WHERE status IN ('todo', 'in_progress') AND deleted = 0 AND "
	    "num > 0 ORDER BY num", err);
	if (st == NULL)
		return TOCK_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *title = sqlite3_column_text(st, 1);

		if ((r = cb(sqlite3_column_int(st, 0),
		    title != NULL ? (const char *)title : "", arg)) != 0) {
			sqlite3_reset(st);
			return r;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dbi_fail(db, err, "cannot list tasks");
	return 0;
}
