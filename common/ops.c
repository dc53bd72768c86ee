/* ops.c - user-level operations, each one transaction (see ops.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "ops.h"
#include "timeparse.h"
#include "uuid.h"

/* Run the body between begin and commit; roll back on failure. */
#define TX(db, err, body) do {						\
	int tx_rc_;							\
	if ((tx_rc_ = db_begin((db), (err))) != 0)			\
		return tx_rc_;						\
	if ((tx_rc_ = (body)) != 0) {					\
		db_rollback(db);					\
		return tx_rc_;						\
	}								\
	return db_commit((db), (err));					\
} while (0)

static int
task_create_tx(struct db *db, char id[UUID_STRLEN + 1], struct fieldset *fs,
    struct tock_err *err)
{
	int64_t now = db_now(db);

	uuid_v7(id, now);
	fieldset_text(fs, "workspace_id", db_workspace_id(db));
	if (fieldset_get(fs, "status") == NULL)
		fieldset_text(fs, "status", "todo");
	fieldset_text(fs, "created_by", db_user_id(db));
	fieldset_int(fs, "created_at", now);
	fieldset_int(fs, "updated_at", now);
	return db_change(db, "task", id, "create", fs, err);
}

int
ops_task_create(struct db *db, char id[UUID_STRLEN + 1], struct fieldset *fs,
    struct tock_err *err)
{
	const struct field *title = fieldset_get(fs, "title");
	int rc;

	if (title == NULL || title->type != FIELD_TEXT)
		return tock_err_set(err, TOCK_EINVAL, "title is empty");
	if ((rc = model_check_title(title->text, err)) != 0)
		return rc;
	TX(db, err, task_create_tx(db, id, fs, err));
}

static int stop_running(struct db *, const char *, int64_t, struct entry **,
    struct tock_err *);

static int
task_update_tx(struct db *db, const char *task_id, struct fieldset *fs,
    struct tock_err *err)
{
	const struct field *st = fieldset_get(fs, "status");
	int rc;

	/* Time stops when the work is done or dropped. */
	if (st != NULL && st->type == FIELD_TEXT &&
	    (strcmp(st->text, "done") == 0 ||
	    strcmp(st->text, "cancelled") == 0) &&
	    (rc = stop_running(db, task_id, db_now(db), NULL, err)) != 0)
		return rc;
	fieldset_int(fs, "updated_at", db_now(db));
	return db_change(db, "task", task_id, "set", fs, err);
}

int
ops_task_update(struct db *db, const char *task_id, struct fieldset *fs,
    struct tock_err *err)
{
	const struct field *title = fieldset_get(fs, "title");
	int rc;

	if (title != NULL) {
		if (title->type != FIELD_TEXT)
			return tock_err_set(err, TOCK_EINVAL, "title is empty");
		if ((rc = model_check_title(title->text, err)) != 0)
			return rc;
	}
	TX(db, err, task_update_tx(db, task_id, fs, err));
}

/* Stop the running timer at at if it runs on task_id (or on any task when
 * task_id is NULL). */
static int
stop_running(struct db *db, const char *task_id, int64_t at,
    struct entry **stopped, struct tock_err *err)
{
	struct fieldset fs = FIELDSET_INIT;
	struct entry *run = NULL;
	int rc;

	if (stopped != NULL)
		*stopped = NULL;
	rc = db_entry_running(db, &run, err);
	if (rc == TOCK_ENOTRUNNING)
		return 0;
	if (rc != 0)
		return rc;
	if (task_id != NULL && strcmp(run->task_id, task_id) != 0) {
		entry_free(run);
		return 0;
	}
	if (at < run->start_time) {
		char when[64];

		timefmt_local(when, sizeof when, run->start_time,
		    "%Y-%m-%d %H:%M");
		entry_free(run);
		return tock_err_set(err, TOCK_EINVAL,
		    "the running timer started at %s, later than the time given",
		    when);
	}
	fieldset_int(&fs, "end_time", at);
	if ((rc = db_change(db, "time_entry", run->id, "timer.stop", &fs,
	    err)) != 0) {
		entry_free(run);
		return rc;
	}
	run->end_time = at;
	snprintf(run->end_src, sizeof run->end_src, "stop");
	if (stopped != NULL)
		*stopped = run;
	else
		entry_free(run);
	return 0;
}

static int
task_delete_tx(struct db *db, const char *task_id, bool del,
    struct tock_err *err)
{
	struct fieldset fs = FIELDSET_INIT;
	int rc;

	if (del && (rc = stop_running(db, task_id, db_now(db), NULL,
	    err)) != 0)
		return rc;
	fieldset_bool(&fs, "deleted", del);
	return db_change(db, "task", task_id, del ? "delete" : "restore", &fs,
	    err);
}

int
ops_task_delete(struct db *db, const char *task_id, struct tock_err *err)
{
	TX(db, err, task_delete_tx(db, task_id, true, err));
}

int
ops_task_restore(struct db *db, const char *task_id, struct tock_err *err)
{
	TX(db, err, task_delete_tx(db, task_id, false, err));
}

static int
timer_start_tx(struct db *db, const char *task_id, int64_t at,
    const char *note, char entry_id[UUID_STRLEN + 1], struct entry **stopped,
    struct tock_err *err)
{
	struct fieldset fs = FIELDSET_INIT, tfs = FIELDSET_INIT;
	struct task *t = NULL;
	int rc;

	if ((rc = db_task_get(db, &t, task_id, err)) != 0)
		return rc;
	if (t->deleted) {
		task_free(t);
		return tock_err_set(err, TOCK_EINVAL,
		    "task is deleted (restore it first)");
	}
	if ((rc = stop_running(db, NULL, at, stopped, err)) != 0) {
		task_free(t);
		return rc;
	}
	uuid_v7(entry_id, db_now(db));
	fieldset_text(&fs, "workspace_id", t->workspace_id);
	fieldset_text(&fs, "user_id", db_user_id(db));
	fieldset_text(&fs, "task_id", task_id);
	fieldset_text(&fs, "origin", "timer");
	fieldset_int(&fs, "start_time", at);
	if (note != NULL)
		fieldset_text(&fs, "notes", note);
	rc = db_change(db, "time_entry", entry_id, "timer.start", &fs, err);
	/* Working on a task that was still to do means it is in progress;
	 * a done task that gets time again is reopened the same way. */
	if (rc == 0 && t->status != TASK_IN_PROGRESS) {
		fieldset_text(&tfs, "status", "in_progress");
		rc = task_update_tx(db, task_id, &tfs, err);
	}
	task_free(t);
	if (rc != 0 && stopped != NULL) {
		entry_free(*stopped);
		*stopped = NULL;
	}
	return rc;
}

int
ops_timer_start(struct db *db, const char *task_id, int64_t at,
    const char *note, char entry_id[UUID_STRLEN + 1], struct entry **stopped,
    struct tock_err *err)
{
	int rc;

	if (note != NULL &&
	    (rc = model_check_text("note", note, TEXT_MAX, err)) != 0)
		return rc;
	TX(db, err, timer_start_tx(db, task_id, at, note, entry_id, stopped,
	    err));
}

static int
timer_start_new_tx(struct db *db, struct fieldset *task_fs, int64_t at,
    const char *note, char task_id[UUID_STRLEN + 1],
    char entry_id[UUID_STRLEN + 1], struct entry **stopped,
    struct tock_err *err)
{
	int rc;

	/* Born in progress: no second op to move it there. */
	fieldset_text(task_fs, "status", "in_progress");
	if ((rc = task_create_tx(db, task_id, task_fs, err)) != 0)
		return rc;
	return timer_start_tx(db, task_id, at, note, entry_id, stopped, err);
}

int
ops_timer_start_new(struct db *db, struct fieldset *task_fs, int64_t at,
    const char *note, char task_id[UUID_STRLEN + 1],
    char entry_id[UUID_STRLEN + 1], struct entry **stopped,
    struct tock_err *err)
{
	const struct field *title = fieldset_get(task_fs, "title");
	int rc;

	if (title == NULL || title->type != FIELD_TEXT)
		return tock_err_set(err, TOCK_EINVAL, "title is empty");
	if ((rc = model_check_title(title->text, err)) != 0)
		return rc;
	if (note != NULL &&
	    (rc = model_check_text("note", note, TEXT_MAX, err)) != 0)
		return rc;
	TX(db, err, timer_start_new_tx(db, task_fs, at, note, task_id,
	    entry_id, stopped, err));
}

static int
timer_stop_tx(struct db *db, int64_t at, struct entry **stopped,
    struct tock_err *err)
{
	struct entry *e = NULL;
	int rc;

	if ((rc = db_entry_running(db, &e, err)) != 0)
		return rc;
	entry_free(e);
	return stop_running(db, NULL, at, stopped, err);
}

int
ops_timer_stop(struct db *db, int64_t at, struct entry **stopped,
    struct tock_err *err)
{
	TX(db, err, timer_stop_tx(db, at, stopped, err));
}

static int
track_tx(struct db *db, const char *task_id, int64_t from, int64_t to,
    const char *note, char entry_id[UUID_STRLEN + 1], struct tock_err *err)
{
	struct fieldset fs = FIELDSET_INIT;
	struct task *t = NULL;
	int rc;

	if ((rc = db_task_get(db, &t, task_id, err)) != 0)
		return rc;
	if (t->deleted) {
		task_free(t);
		return tock_err_set(err, TOCK_EINVAL,
		    "task is deleted (restore it first)");
	}
	uuid_v7(entry_id, db_now(db));
	fieldset_text(&fs, "workspace_id", t->workspace_id);
	fieldset_text(&fs, "user_id", db_user_id(db));
	fieldset_text(&fs, "task_id", task_id);
	fieldset_text(&fs, "origin", "manual");
	fieldset_int(&fs, "start_time", from);
	fieldset_int(&fs, "end_time", to);
	if (note != NULL)
		fieldset_text(&fs, "notes", note);
	/* The field set borrows t's strings: free t only after the write. */
	rc = db_change(db, "time_entry", entry_id, "create", &fs, err);
	task_free(t);
	return rc;
}

int
ops_track(struct db *db, const char *task_id, int64_t from, int64_t to,
    const char *note, char entry_id[UUID_STRLEN + 1], struct tock_err *err)
{
	int rc;

	if (to <= from)
		return tock_err_set(err, TOCK_EINVAL,
		    "the end must be after the start");
	if (note != NULL &&
	    (rc = model_check_text("note", note, TEXT_MAX, err)) != 0)
		return rc;
	TX(db, err, track_tx(db, task_id, from, to, note, entry_id, err));
}

static int
entry_update_tx(struct db *db, const char *entry_id, struct fieldset *fs,
    struct tock_err *err)
{
	const struct field *s = fieldset_get(fs, "start_time");
	const struct field *e = fieldset_get(fs, "end_time");
	struct entry *cur = NULL;
	int64_t start, end;
	int rc;

	if ((rc = db_entry_get(db, &cur, entry_id, err)) != 0)
		return rc;
	start = s ? s->num : cur->start_time;
	end = e ? e->num : cur->end_time;
	entry_free(cur);
	if (end >= 0 && end < start)
		return tock_err_set(err, TOCK_EINVAL,
		    "the end would be before the start");
	if (end < 0 && start > db_now(db))
		return tock_err_set(err, TOCK_EINVAL,
		    "a running entry cannot start in the future");
	return db_change(db, "time_entry", entry_id, "set", fs, err);
}

int
ops_entry_update(struct db *db, const char *entry_id, struct fieldset *fs,
    struct tock_err *err)
{
	const struct field *n = fieldset_get(fs, "notes");
	int rc;

	if (n != NULL && n->type == FIELD_TEXT &&
	    (rc = model_check_text("note", n->text, TEXT_MAX, err)) != 0)
		return rc;
	TX(db, err, entry_update_tx(db, entry_id, fs, err));
}

static int
entry_delete_tx(struct db *db, const char *entry_id, bool del,
    struct tock_err *err)
{
	struct fieldset fs = FIELDSET_INIT;

	fieldset_bool(&fs, "deleted", del);
	return db_change(db, "time_entry", entry_id, del ? "delete" :
	    "restore", &fs, err);
}

int
ops_entry_delete(struct db *db, const char *entry_id, struct tock_err *err)
{
	TX(db, err, entry_delete_tx(db, entry_id, true, err));
}

int
ops_entry_restore(struct db *db, const char *entry_id, struct tock_err *err)
{
	TX(db, err, entry_delete_tx(db, entry_id, false, err));
}

static int
comment_tx(struct db *db, const char *task_id, const char *body,
    char id[UUID_STRLEN + 1], struct tock_err *err)
{
	struct fieldset fs = FIELDSET_INIT;
	struct task *t = NULL;
	int rc;

	if ((rc = db_task_get(db, &t, task_id, err)) != 0)
		return rc;
	uuid_v7(id, db_now(db));
	fieldset_text(&fs, "workspace_id", t->workspace_id);
	fieldset_text(&fs, "task_id", task_id);
	fieldset_text(&fs, "author_id", db_user_id(db));
	fieldset_text(&fs, "body", body);
	fieldset_int(&fs, "created_at", db_now(db));
	rc = db_change(db, "comment", id, "create", &fs, err);
	task_free(t);
	return rc;
}

int
ops_comment_add(struct db *db, const char *task_id, const char *body,
    char id[UUID_STRLEN + 1], struct tock_err *err)
{
	const char *p;
	int rc;

	for (p = body; *p == ' ' || *p == '\n' || *p == '\t'; p++)
		;
	if (*p == '\0')
		return tock_err_set(err, TOCK_EINVAL, "comment is empty");
	if ((rc = model_check_text("comment", body, TEXT_MAX, err)) != 0)
		return rc;
	TX(db, err, comment_tx(db, task_id, body, id, err));
}
