/*
 * db_export.h - the reads behind tock export: every task, time entry,
 * comment and known user of the replica, one ordered pass each, in one
 * read snapshot so the three lists agree with each other.
 *
 * Rows reach the callbacks as borrowed structs whose strings point into
 * SQLite's row buffers: valid for the call only, never to be freed or
 * kept.  A non-zero return from a callback stops the pass and is returned.
 */
#ifndef TOCK_DB_EXPORT_H
#define TOCK_DB_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

struct db;
struct tock_err;

/*
 * What to export.  Time entries overlapping [since, until); comments
 * made in it; tasks created or updated in it, plus every task an exported
 * entry or comment belongs to (so an import of the file never meets an
 * unknown task).  INT64_MIN / INT64_MAX mean no bound; with no bound at
 * all, every task is exported, deleted ones included.
 */
struct export_range {
	int64_t since;
	int64_t until;
};

/* tags: the task's tags joined by "," ("" when none). */
typedef int db_export_task_cb(const struct task *t, const char *tags,
    void *arg);
/* task_tags: the entry's task's tags joined by "," (only filled when
 * asked for, else ""). */
typedef int db_export_entry_cb(const struct entry *e, const char *task_tags,
    void *arg);
typedef int db_export_comment_cb(const struct comment *c, void *arg);
/* email may be NULL. */
typedef int db_export_user_cb(const char *id, const char *name,
    const char *email, void *arg);

/* A read transaction around the passes (one snapshot); end it with
 * db_export_end whatever happened. */
int db_export_begin(struct db *db, struct tock_err *err);
void db_export_end(struct db *db);

int db_export_users(struct db *db, db_export_user_cb *cb, void *arg,
    struct tock_err *err);
/* Ordered by id (UUIDv7: creation order). */
int db_export_tasks(struct db *db, const struct export_range *r,
    db_export_task_cb *cb, void *arg, struct tock_err *err);
/* Live entries of every user, ordered by user and start time (the order
 * of the entries_by_user index, so no sort pass; equal starts come in
 * insertion order). */
int db_export_entries(struct db *db, const struct export_range *r,
    bool want_tags, db_export_entry_cb *cb, void *arg, struct tock_err *err);
/* Live comments, ordered by creation time then id. */
int db_export_comments(struct db *db, const struct export_range *r,
    db_export_comment_cb *cb, void *arg, struct tock_err *err);

#endif
