/*
 * db.h - the local replica: the only module that speaks SQLite.
 *
 * Callers see domain verbs, never SQL.  Every write goes through
 * db_change(), which in the caller's transaction (db_begin .. db_commit,
 * BEGIN IMMEDIATE) stamps a fresh HLC, writes the row and its field clocks
 * (_fhlc), and appends the outbox op (SYNC.md 3.5).  Nothing else writes the
 * outbox, so sync never has to diff.
 *
 * Returned objects (struct task/entry/comment) are the caller's to free
 * with task_free() etc.  Objects passed to callbacks are borrowed for the
 * call only.
 */
#ifndef TOCK_DB_H
#define TOCK_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

struct tock_err;
struct db;

enum db_open_flags {
	DB_OPEN_READONLY = 1 << 0,	/* no create, no migration; missing
					 * file -> TOCK_ENOTFOUND */
};

/* The schema version this build writes (PRAGMA user_version). */
#define DB_SCHEMA_VERSION 5

int db_open(struct db **out, const char *path, int flags,
    struct tock_err *err);
void db_close(struct db *db);

/* The replica's user and current workspace (borrowed). */
const char *db_user_id(const struct db *db);
const char *db_workspace_id(const struct db *db);

int db_begin(struct db *db, struct tock_err *err);
int db_commit(struct db *db, struct tock_err *err);
void db_rollback(struct db *db);

/*
 * Apply a local change and queue it for sync, inside db_begin/db_commit.
 * entity: "task", "time_entry", "comment", "workspace".  kind: "create",
 * "set", "delete", "restore", "timer.start", "timer.stop".  A create's
 * field set must hold workspace_id (except for a workspace).  Unknown
 * fields are a bug.  TOCK_ENOTFOUND if the row does not exist.
 */
int db_change(struct db *db, const char *entity, const char *entity_id,
    const char *kind, const struct fieldset *fs, struct tock_err *err);

/* The physical clock the HLC and timestamps use: wall clock plus the
 * server offset learned by sync (0 until then). */
int64_t db_now(struct db *db);

/* Tasks. */
int db_task_get(struct db *db, struct task **out, const char *id,
    struct tock_err *err);
/* A short number ("3") or a UUID prefix of 4+ hex digits, to a task id.
 * TOCK_ENOTFOUND, or TOCK_EAMBIGUOUS with the candidates in the message. */
int db_task_resolve(struct db *db, char id[UUID_STRLEN + 1], const char *ref,
    struct tock_err *err);

struct task_filter {
	unsigned status_mask;	/* 1 << enum task_status; 0 = open ones */
	const char *tag;
	const char *assignee_id;
	const char *due_before;	/* YYYY-MM-DD, exclusive */
	bool deleted;		/* list deleted tasks instead */
};
typedef int db_task_cb(const struct task *t, void *arg);
int db_task_list(struct db *db, const struct task_filter *f, db_task_cb *cb,
    void *arg, struct tock_err *err);

/* Time entries (always the replica user's own). */
int db_entry_get(struct db *db, struct entry **out, const char *id,
    struct tock_err *err);
/* TOCK_ENOTRUNNING when no timer runs. */
int db_entry_running(struct db *db, struct entry **out, struct tock_err *err);
/* The newest entry that has a task, to resume; TOCK_ENOTFOUND if none. */
int db_entry_last(struct db *db, struct entry **out, struct tock_err *err);
/* "@N" (N-th newest by start, as in tock log and timew) or a UUID prefix. */
int db_entry_resolve(struct db *db, char id[UUID_STRLEN + 1],
    const char *ref, struct tock_err *err);

struct entry_filter {
	int64_t since;		/* entries overlapping [since, until) */
	int64_t until;
	const char *task_id;	/* NULL = all */
};
/* Callback also gets the entry's @N. Ordered by start time, oldest first. */
typedef int db_entry_cb(const struct entry *e, int at, void *arg);
int db_entry_list(struct db *db, const struct entry_filter *f,
    db_entry_cb *cb, void *arg, struct tock_err *err);
/* Total tracked on a task by everyone, running entries counted to now. */
int db_task_tracked(struct db *db, const char *task_id, int64_t now,
    int64_t *out_ms, struct tock_err *err);

/* Comments of a task, oldest first. */
typedef int db_comment_cb(const struct comment *c, void *arg);
int db_comment_list(struct db *db, const char *task_id, db_comment_cb *cb,
    void *arg, struct tock_err *err);

/* "me", an email (case-insensitive) or a user id known to the replica. */
int db_user_resolve(struct db *db, char id[UUID_STRLEN + 1], const char *ref,
    struct tock_err *err);
/* Display name of a user id; malloc'd, NULL if unknown. */
char *db_user_name(struct db *db, const char *id);

/* Rewrite the running-timer cache that tock status reads without SQLite
 * (statuscache.h).  Done after every commit; harmless to call any time. */
int db_status_refresh(struct db *db);

/* SQLite's PRAGMA data_version: changes whenever another connection
 * (another process) commits, so a long-running reader such as the TUI can
 * poll it cheaply to know when to reload. */
int db_data_version(struct db *db, int64_t *out, struct tock_err *err);

/* Counts for status displays and tests. */
int db_outbox_count(struct db *db, int64_t *out, struct tock_err *err);

#endif
