/*
 * db_import.h - the SQL side of tock import: the import_map ledger that
 * makes a second import of the same file create nothing, lookups by
 * title and id, and the few local-only columns (a task's short number,
 * an entry's end_src) that db_change() does not write because they never
 * sync.  Every synced write still goes through db_change().
 *
 * All of it runs inside the caller's db_begin .. db_commit.  Savepoints
 * let one record of a batch fail without undoing the others.
 */
#ifndef TOCK_DB_IMPORT_H
#define TOCK_DB_IMPORT_H

#include <stdint.h>

#include "uuid.h"

struct db;
struct tock_err;

/* SAVEPOINT / RELEASE / ROLLBACK TO the one import savepoint. */
int db_import_savepoint(struct db *db, struct tock_err *err);
int db_import_release(struct db *db, struct tock_err *err);
void db_import_rollback_to(struct db *db);

/* The entity id a source record was imported as; TOCK_ENOTFOUND if it
 * never was.  entity (16 bytes) may be NULL. */
int db_import_map_get(struct db *db, const char *source,
    const char *source_id, char entity[16], char id[UUID_STRLEN + 1],
    struct tock_err *err);
int db_import_map_put(struct db *db, const char *source,
    const char *source_id, const char *entity, const char *entity_id,
    struct tock_err *err);

/* Does a row with this id exist in the entity's table ("task",
 * "time_entry", "comment"), deleted or not?  0 or TOCK_ENOTFOUND; the
 * row's workspace is copied to ws when ws is not NULL. */
int db_import_exists(struct db *db, const char *entity, const char *id,
    char ws[UUID_STRLEN + 1], struct tock_err *err);
int db_import_workspace_exists(struct db *db, const char *id,
    struct tock_err *err);

/* Live tasks of a workspace for matching by title, best match of a
 * title first: open before closed, oldest first.
 * Strings are borrowed for the call. */
typedef int db_import_title_cb(const char *title, const char *id,
    const char *metadata, void *arg);
int db_import_task_titles(struct db *db, const char *workspace_id,
    db_import_title_cb *cb, void *arg, struct tock_err *err);

/* Give an open task the short number num if no other task holds it
 * (tock's own export keeps its numbers).  Not an error if it cannot. */
int db_import_task_set_num(struct db *db, const char *id, int num,
    struct tock_err *err);
/* The local-only reason an entry ended ("stop", "edit", "auto" or NULL). */
int db_import_entry_set_end_src(struct db *db, const char *id,
    const char *end_src, struct tock_err *err);
/* Add a user to the local cache of known users unless the id is known
 * (names for imported assignees and authors); email may be NULL. */
int db_import_user_add(struct db *db, const char *id, const char *name,
    const char *email, struct tock_err *err);

#endif
