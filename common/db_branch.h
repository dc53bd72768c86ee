/*
 * db_branch.h - the reads that tock's git hooks and shell completion need:
 * the task linked to a git branch (metadata.branch), and a cheap list of
 * the open tasks' numbers and titles.  Part of the db module (db.h): no SQL
 * here, and nothing is written.
 */
#ifndef TOCK_DB_BRANCH_H
#define TOCK_DB_BRANCH_H

#include "uuid.h"

struct db;
struct tock_err;

/*
 * The open (todo or in_progress), not deleted task whose metadata.branch
 * is branch; a link stored as "refs/heads/<branch>" matches too.  When
 * several tasks name the branch, the most recently updated one wins.
 * Fills id and returns 0, or TOCK_ENOTFOUND (err untouched: no link is
 * the common case, not an error), or another TOCK_E* with err filled.
 */
int db_branch_task(struct db *db, char id[UUID_STRLEN + 1],
    const char *branch, struct tock_err *err);

/*
 * Call cb(num, title, arg) for every open task that has a short number,
 * by number.  title is borrowed for the call.  A non-zero return from cb
 * stops the walk and is returned.  One indexed query, no joins: shell
 * completion runs it on every TAB.
 */
typedef int db_task_title_cb(int num, const char *title, void *arg);
int db_task_titles(struct db *db, db_task_title_cb *cb, void *arg,
    struct tock_err *err);

#endif
