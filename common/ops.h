/*
 * ops.h - the user-level operations that the CLI and the TUI share.
 *
 * Each runs in one BEGIN IMMEDIATE transaction: validation, the row
 * changes, their field clocks and outbox ops commit together or not at
 * all.  Times are Unix ms; "now" comes from db_now() unless the caller
 * passes an explicit time (--at).
 */
#ifndef TOCK_OPS_H
#define TOCK_OPS_H

#include <stdint.h>

#include "model.h"

struct db;
struct tock_err;

/* A new task.  fs holds title (required) and any of description, status,
 * assignee_id, due_date, metadata.*; the rest is filled in here. */
int ops_task_create(struct db *db, char id[UUID_STRLEN + 1],
    struct fieldset *fs, struct tock_err *err);
/* Change fields of a task (updated_at is added). */
int ops_task_update(struct db *db, const char *task_id, struct fieldset *fs,
    struct tock_err *err);
/* Mark deleted / not deleted; a deleted task's running timer is stopped. */
int ops_task_delete(struct db *db, const char *task_id, struct tock_err *err);
int ops_task_restore(struct db *db, const char *task_id,
    struct tock_err *err);

/*
 * Start a timer on task_id at time at.  A running timer is stopped at the
 * same instant in the same transaction (*stopped, if not NULL, receives a
 * copy of it, or NULL).  A todo task becomes in_progress.  TOCK_EINVAL if
 * at is before the running timer's start.
 */
int ops_timer_start(struct db *db, const char *task_id, int64_t at,
    const char *note, char entry_id[UUID_STRLEN + 1], struct entry **stopped,
    struct tock_err *err);
/* Create a task from task_fs (as ops_task_create) and start its timer,
 * all in one transaction: a start that fails leaves no task behind. */
int ops_timer_start_new(struct db *db, struct fieldset *task_fs, int64_t at,
    const char *note, char task_id[UUID_STRLEN + 1],
    char entry_id[UUID_STRLEN + 1], struct entry **stopped,
    struct tock_err *err);
/* Stop the running timer at at; *stopped gets the entry after the stop.
 * TOCK_ENOTRUNNING when none runs. */
int ops_timer_stop(struct db *db, int64_t at, struct entry **stopped,
    struct tock_err *err);
/* A manual entry [from, to). */
int ops_track(struct db *db, const char *task_id, int64_t from, int64_t to,
    const char *note, char entry_id[UUID_STRLEN + 1], struct tock_err *err);
/* Change start_time, end_time and/or notes of an entry; checks
 * start <= end and that a running entry's end is not set before start. */
int ops_entry_update(struct db *db, const char *entry_id,
    struct fieldset *fs, struct tock_err *err);
int ops_entry_delete(struct db *db, const char *entry_id,
    struct tock_err *err);
/* Undo ops_entry_delete. */
int ops_entry_restore(struct db *db, const char *entry_id,
    struct tock_err *err);
int ops_comment_add(struct db *db, const char *task_id, const char *body,
    char id[UUID_STRLEN + 1], struct tock_err *err);

#endif
