/* SPDX-License-Identifier: ISC */
/*
 * actions.c - the changes the screens make, each through common/ops.h
 * exactly as the CLI makes them: timer start/stop, add, edit, done,
 * delete, track, comment, entry edit/delete, and the undo of the last one.
 *
 * An action that needs input opens a form; its submit callback validates,
 * calls ops_*, records the undo, says what happened on the status line
 * and reloads the screens.  Validation failures keep the form open with
 * the reason in it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db.h"
#include "err.h"
#include "form.h"
#include "json.h"
#include "log.h"
#include "ops.h"
#include "strbuf.h"
#include "text.h"
#include "timeparse.h"
#include "tui.h"
#include "view.h"
#include "xmalloc.h"

/* ---- small helpers ------------------------------------------------------ */

void
tui_task_phrase(char *buf, size_t n, const struct task *t)
{
	struct strbuf sb = STRBUF_INIT;

	text_add_fit(&sb, t->title, 40, false);
	if (t->num > 0)
		snprintf(buf, n, "task %d '%s'", t->num, sb.buf);
	else
		snprintf(buf, n, "task '%s'", sb.buf);
	strbuf_release(&sb);
}

/* The reference a user would type for t: its number, else an id prefix. */
static void
task_ref(char *buf, size_t n, const struct task *t)
{
	if (t->num > 0)
		snprintf(buf, n, "%d", t->num);
	else
		snprintf(buf, n, "%.13s", t->id);
}

static struct task *
load_task(struct tui *tui, const char *id)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct task *t = NULL;

	if (id == NULL || *id == '\0')
		return NULL;
	if (db_task_get(tui->db, &t, id, &err) != 0) {
		tui_error(tui, &err);
		return NULL;
	}
	return t;
}

/* A change went in: reload everything and select row id. */
static void
changed(struct tui *tui, const char *id)
{
	snprintf(tui->focus_id, sizeof tui->focus_id, "%s", id ? id : "");
	tui_reload(tui);
}

static bool
blank(const char *s)
{
	return s[strspn(s, " \t")] == '\0';
}

/* Split s at blanks into a NULL-terminated array of malloc'd words. */
static char **
split_words(const char *s)
{
	char **v = xcalloc(1, sizeof *v);
	size_t n = 0, len;

	for (;;) {
		s += strspn(s, " \t,");
		if (*s == '\0')
			break;
		len = strcspn(s, " \t,");
		v = xrealloc(v, (n + 2) * sizeof *v);
		v[n++] = xstrndup(s, len);
		v[n] = NULL;
		s += len;
	}
	return v;
}

/* Tags of metadata joined by spaces (malloc'd). */
static char *
tags_joined(const char *metadata)
{
	struct strbuf sb = STRBUF_INIT;
	char **tv = json_meta_tags(metadata);
	int i;

	for (i = 0; tv[i] != NULL; i++)
		strbuf_addf(&sb, "%s%s", i ? " " : "", tv[i]);
	json_strv_free(tv);
	return strbuf_detach(&sb, NULL);
}

/* ---- undo --------------------------------------------------------------- */

void
undo_release(struct undo *u)
{
	int i;

	for (i = 0; i < u->n; i++)
		free(u->f[i].text);
	memset(u, 0, sizeof *u);
}

static void
undo_set(struct tui *tui, enum undo_kind kind, const char *id,
    const char *what)
{
	undo_release(&tui->undo);
	tui->undo.kind = kind;
	snprintf(tui->undo.id, sizeof tui->undo.id, "%s", id);
	snprintf(tui->undo.what, sizeof tui->undo.what, "%s", what);
}

/* Remember the old value of a field (text NULL = SQL NULL). */
static void
undo_text(struct tui *tui, const char *name, const char *text,
    enum field_type type)
{
	struct undo_field *uf;

	if (tui->undo.n == UNDO_FIELDS_MAX)
		TOCK_BUG("undo: too many fields");
	uf = &tui->undo.f[tui->undo.n++];
	snprintf(uf->name, sizeof uf->name, "%s", name);
	uf->type = text ? type : FIELD_NULL;
	uf->text = text ? xstrdup(text) : NULL;
}

static void
undo_int(struct tui *tui, const char *name, int64_t v)
{
	struct undo_field *uf;

	if (tui->undo.n == UNDO_FIELDS_MAX)
		TOCK_BUG("undo: too many fields");
	uf = &tui->undo.f[tui->undo.n++];
	snprintf(uf->name, sizeof uf->name, "%s", name);
	uf->type = v < 0 ? FIELD_NULL : FIELD_INT;
	uf->num = v;
}

static void
undo_fieldset(const struct undo *u, struct fieldset *fs)
{
	int i;

	for (i = 0; i < u->n; i++) {
		const struct undo_field *uf = &u->f[i];

		switch (uf->type) {
		case FIELD_NULL:
			fieldset_null(fs, uf->name);
			break;
		case FIELD_INT:
			fieldset_int(fs, uf->name, uf->num);
			break;
		case FIELD_JSON:
			fieldset_json(fs, uf->name, uf->text);
			break;
		default:
			fieldset_text(fs, uf->name, uf->text);
			break;
		}
	}
}

void
action_undo(struct tui *tui)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct fieldset fs = FIELDSET_INIT;
	struct undo *u = &tui->undo;
	char id[UUID_STRLEN + 1];
	int rc = 0;

	if (u->kind == UNDO_NONE) {
		tui_msg(tui, "Nothing to undo");
		return;
	}
	undo_fieldset(u, &fs);
	switch (u->kind) {
	case UNDO_TASK_CREATE:
		rc = ops_task_delete(tui->db, u->id, &err);
		break;
	case UNDO_TASK_UPDATE:
		rc = ops_task_update(tui->db, u->id, &fs, &err);
		break;
	case UNDO_TASK_DELETE:
		rc = ops_task_restore(tui->db, u->id, &err);
		break;
	case UNDO_ENTRY_CREATE:
		rc = ops_entry_delete(tui->db, u->id, &err);
		break;
	case UNDO_ENTRY_UPDATE:
		rc = ops_entry_update(tui->db, u->id, &fs, &err);
		break;
	case UNDO_ENTRY_DELETE:
		rc = ops_entry_restore(tui->db, u->id, &err);
		break;
	default:
		break;
	}
	if (rc != 0) {
		tui_error(tui, &err);
		return;
	}
	tui_msg(tui, "Undid %s", u->what);
	snprintf(id, sizeof id, "%s", u->id);
	undo_release(u);
	changed(tui, id);
}

/* ---- the timer ---------------------------------------------------------- */

void
action_timer_toggle(struct tui *tui, const char *task_id)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct entry *run = NULL, *stopped = NULL;
	char entry_id[UUID_STRLEN + 1], dur[32], phrase[128];
	struct task *t;
	int rc;

	if ((t = load_task(tui, task_id)) == NULL)
		return;
	tui_task_phrase(phrase, sizeof phrase, t);
	rc = db_entry_running(tui->db, &run, &err);
	if (rc != 0 && rc != TOCK_ENOTRUNNING) {
		tui_error(tui, &err);
		goto out;
	}
	if (run != NULL && strcmp(run->task_id, t->id) == 0) {
		if (ops_timer_stop(tui->db, db_now(tui->db), &stopped,
		    &err) != 0) {
			tui_error(tui, &err);
			goto out;
		}
		timefmt_duration(dur, sizeof dur, stopped->end_time -
		    stopped->start_time);
		tui_msg(tui, "Stopped %s after %s", phrase, dur);
	} else {
		if (ops_timer_start(tui->db, t->id, db_now(tui->db), NULL,
		    entry_id, &stopped, &err) != 0) {
			tui_error(tui, &err);
			goto out;
		}
		tui_msg(tui, "Started %s", phrase);
	}
	changed(tui, t->id);
out:
	entry_free(run);
	entry_free(stopped);
	task_free(t);
}

/* ---- tasks -------------------------------------------------------------- */

enum { TF_TITLE, TF_DESC, TF_DUE, TF_TAGS, TF_STATUS };

/* Fields of the add and edit forms, validated into fs.  *tags_json is
 * the new tags array (malloc'd) when the tags changed. */
static int
task_form_fields(struct tui *tui, struct form *f, struct fieldset *fs,
    char due[11], char **tags_json, struct tock_err *err)
{
	enum task_status st;
	char **tv;
	int i, rc;

	*tags_json = NULL;
	if (form_changed(f, TF_TITLE)) {
		if ((rc = model_check_title(form_value(f, TF_TITLE), err)) != 0)
			return rc;
		fieldset_text(fs, "title", form_value(f, TF_TITLE));
	}
	if (form_changed(f, TF_DESC)) {
		if ((rc = model_check_text("description", form_value(f,
		    TF_DESC), TEXT_MAX, err)) != 0)
			return rc;
		fieldset_text(fs, "description", form_value(f, TF_DESC));
	}
	if (form_changed(f, TF_DUE)) {
		if (blank(form_value(f, TF_DUE)) ||
		    strcmp(form_value(f, TF_DUE), "none") == 0)
			fieldset_null(fs, "due_date");
		else {
			if ((rc = timeparse_due(due, form_value(f, TF_DUE),
			    db_now(tui->db), err)) != 0)
				return rc;
			fieldset_text(fs, "due_date", due);
		}
	}
	if (f->n > TF_STATUS && form_changed(f, TF_STATUS)) {
		if ((rc = task_status_parse(&st, form_value(f, TF_STATUS),
		    err)) != 0)
			return rc;
		fieldset_text(fs, "status", task_status_name(st));
	}
	if (form_changed(f, TF_TAGS)) {
		tv = split_words(form_value(f, TF_TAGS));
		for (i = 0; tv[i] != NULL; i++)
			if ((rc = model_check_tag(tv[i], err)) != 0) {
				json_strv_free(tv);
				return rc;
			}
		if (tv[0] == NULL)
			fieldset_null(fs, "metadata.tags");
		else {
			*tags_json = json_tags_edit("{}", tv, NULL);
			fieldset_json(fs, "metadata.tags", *tags_json);
		}
		json_strv_free(tv);
	}
	return 0;
}

static int
add_submit(struct tui *tui, struct form *f, struct tock_err *err)
{
	struct fieldset fs = FIELDSET_INIT;
	char id[UUID_STRLEN + 1], due[11], *tags = NULL, phrase[128];
	struct task *t = NULL;
	int rc;

	/* An untouched title field is still required. */
	if ((rc = model_check_title(form_value(f, TF_TITLE), err)) != 0)
		return rc;
	fieldset_text(&fs, "title", form_value(f, TF_TITLE));
	if ((rc = task_form_fields(tui, f, &fs, due, &tags, err)) != 0 ||
	    (rc = ops_task_create(tui->db, id, &fs, err)) != 0) {
		free(tags);
		return rc;
	}
	free(tags);
	if (db_task_get(tui->db, &t, id, NULL) == 0) {
		tui_task_phrase(phrase, sizeof phrase, t);
		tui_msg(tui, "Added %s", phrase);
		undo_set(tui, UNDO_TASK_CREATE, id, "add of the task");
		task_free(t);
	}
	changed(tui, id);
	return 0;
}

void
action_task_add(struct tui *tui)
{
	struct form *f = form_new(FORM_BOX, "Add a task", add_submit);

	form_field(f, "Title", NULL, "what is to be done (required)");
	form_field(f, "Description", NULL, "optional");
	form_field(f, "Due", NULL, "YYYY-MM-DD, tomorrow, friday; optional");
	form_field(f, "Tags", NULL, "words separated by spaces; optional");
	form_open(tui, f);
}

static int
edit_submit(struct tui *tui, struct form *f, struct tock_err *err)
{
	struct fieldset fs = FIELDSET_INIT;
	char due[11], *tags = NULL, phrase[128], *old_tags;
	struct task *t = NULL;
	int rc;

	if ((rc = task_form_fields(tui, f, &fs, due, &tags, err)) != 0)
		goto out;
	if (fs.n == 0) {
		tui_msg(tui, "Nothing changed");
		goto out;
	}
	if ((rc = db_task_get(tui->db, &t, f->id, err)) != 0)
		goto out;
	/* The undo: the values before, of the fields that change. */
	tui_task_phrase(phrase, sizeof phrase, t);
	undo_set(tui, UNDO_TASK_UPDATE, t->id, "edit of the task");
	if (fieldset_get(&fs, "title"))
		undo_text(tui, "title", t->title, FIELD_TEXT);
	if (fieldset_get(&fs, "description"))
		undo_text(tui, "description", t->description, FIELD_TEXT);
	if (fieldset_get(&fs, "due_date"))
		undo_text(tui, "due_date", t->due_date[0] ? t->due_date : NULL,
		    FIELD_TEXT);
	if (fieldset_get(&fs, "status"))
		undo_text(tui, "status", task_status_name(t->status),
		    FIELD_TEXT);
	if (fieldset_get(&fs, "metadata.tags")) {
		char **tv = json_meta_tags(t->metadata);

		old_tags = tv[0] ? json_tags_edit("{}", tv, NULL) : NULL;
		undo_text(tui, "metadata.tags", old_tags, FIELD_JSON);
		free(old_tags);
		json_strv_free(tv);
	}
	if ((rc = ops_task_update(tui->db, t->id, &fs, err)) != 0) {
		undo_release(&tui->undo);
		goto out;
	}
	tui_msg(tui, "Updated %s", phrase);
	changed(tui, t->id);
out:
	free(tags);
	task_free(t);
	return rc;
}

void
action_task_edit(struct tui *tui, const char *task_id)
{
	struct task *t = load_task(tui, task_id);
	struct form *f;
	char title[200], phrase[128], *tags;

	if (t == NULL)
		return;
	tui_task_phrase(phrase, sizeof phrase, t);
	snprintf(title, sizeof title, "Edit %s", phrase);
	f = form_new(FORM_BOX, title, edit_submit);
	snprintf(f->id, sizeof f->id, "%s", t->id);
	tags = tags_joined(t->metadata);
	form_field(f, "Title", t->title, "1 to 200 characters");
	form_field(f, "Description", t->description, NULL);
	form_field(f, "Due", t->due_date, "YYYY-MM-DD, tomorrow, friday; "
	    "empty for none");
	form_field(f, "Tags", tags, "words separated by spaces");
	form_field(f, "Status", task_status_name(t->status),
	    "todo, in_progress, done or cancelled");
	free(tags);
	task_free(t);
	form_open(tui, f);
}

void
action_task_done(struct tui *tui, const char *task_id)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct fieldset fs = FIELDSET_INIT;
	struct task *t = load_task(tui, task_id);
	char phrase[128];
	bool reopen;

	if (t == NULL)
		return;
	tui_task_phrase(phrase, sizeof phrase, t);
	reopen = t->status == TASK_DONE;
	fieldset_text(&fs, "status", reopen ? "todo" : "done");
	/* ops stops a timer running on it in the same transaction. */
	if (ops_task_update(tui->db, t->id, &fs, &err) != 0) {
		tui_error(tui, &err);
		task_free(t);
		return;
	}
	undo_set(tui, UNDO_TASK_UPDATE, t->id, reopen ? "reopening the task" :
	    "done of the task");
	undo_text(tui, "status", task_status_name(t->status), FIELD_TEXT);
	tui_msg(tui, "%s %s (u undoes)", reopen ? "Reopened" : "Completed",
	    phrase);
	changed(tui, t->id);
	task_free(t);
}

static int
delete_submit(struct tui *tui, struct form *f, struct tock_err *err)
{
	struct task *t = NULL;
	char phrase[128], what[160];
	int rc;

	if ((rc = db_task_get(tui->db, &t, f->id, err)) != 0)
		return rc;
	tui_task_phrase(phrase, sizeof phrase, t);
	if ((rc = ops_task_delete(tui->db, t->id, err)) != 0) {
		task_free(t);
		return rc;
	}
	snprintf(what, sizeof what, "delete of %s", phrase);
	undo_set(tui, UNDO_TASK_DELETE, t->id, what);
	tui_msg(tui, "Deleted %s (u undoes)", phrase);
	/* The task's own screen has nothing left to show. */
	if (view_current(tui) == tui->views[VIEW_DETAIL])
		view_pop(tui);
	changed(tui, NULL);
	task_free(t);
	return 0;
}

void
action_task_delete(struct tui *tui, const char *task_id)
{
	struct task *t = load_task(tui, task_id);
	struct form *f;
	char title[200], phrase[128];

	if (t == NULL)
		return;
	tui_task_phrase(phrase, sizeof phrase, t);
	snprintf(title, sizeof title, "Delete %s?", phrase);
	f = form_new(FORM_CONFIRM, title, delete_submit);
	snprintf(f->id, sizeof f->id, "%s", t->id);
	task_free(t);
	form_open(tui, f);
}

/* ---- time entries ------------------------------------------------------- */

enum { KF_TASK, KF_SPAN, KF_AT, KF_NOTE };

static int
track_submit(struct tui *tui, struct form *f, struct tock_err *err)
{
	char task_id[UUID_STRLEN + 1], id[UUID_STRLEN + 1], dur[32];
	char phrase[128];
	const char *span = form_value(f, KF_SPAN), *at = form_value(f, KF_AT);
	const char *note = form_value(f, KF_NOTE);
	int64_t now = db_now(tui->db), from, to, len;
	struct task *t = NULL;
	int rc;

	if ((rc = db_task_resolve(tui->db, task_id, form_value(f, KF_TASK),
	    err)) != 0)
		return rc;
	if (blank(span))
		return tock_err_set(err, TOCK_EINVAL,
		    "give a duration (1h30m) or a range (9:00..10:30)");
	if (strstr(span, "..") != NULL) {
		if (!blank(at))
			return tock_err_set(err, TOCK_EINVAL,
			    "'at' goes with a duration, not a range");
		if ((rc = timeparse_range(&from, &to, span, now, err)) != 0)
			return rc;
	} else {
		if ((rc = timeparse_duration(&len, span, err)) != 0)
			return rc;
		if (!blank(at)) {
			if ((rc = timeparse_when(&from, at, now, err)) != 0)
				return rc;
			if (from > now + 60000)
				return tock_err_set(err, TOCK_EINVAL,
				    "'%s' is in the future", at);
			to = from + len;
		} else {
			to = now;
			from = now - len;
		}
	}
	if (to > now + 60000)
		return tock_err_set(err, TOCK_EINVAL,
		    "the entry would end in the future");
	if ((rc = model_check_text("note", note, TEXT_MAX, err)) != 0)
		return rc;
	if ((rc = db_task_get(tui->db, &t, task_id, err)) != 0)
		return rc;
	if ((rc = ops_track(tui->db, t->id, from, to, blank(note) ? NULL :
	    note, id, err)) != 0) {
		task_free(t);
		return rc;
	}
	tui_task_phrase(phrase, sizeof phrase, t);
	timefmt_duration(dur, sizeof dur, to - from);
	undo_set(tui, UNDO_ENTRY_CREATE, id, "the tracked entry");
	tui_msg(tui, "Tracked %s on %s", dur, phrase);
	changed(tui, id);
	task_free(t);
	return 0;
}

void
action_track(struct tui *tui, const char *task_id)
{
	struct task *t = NULL;
	struct form *f;
	char ref[32] = "";

	if (task_id != NULL && *task_id != '\0' &&
	    (t = load_task(tui, task_id)) != NULL)
		task_ref(ref, sizeof ref, t);
	f = form_new(FORM_BOX, "Track time", track_submit);
	form_field(f, "Task", ref, "its number, or an id prefix");
	form_field(f, "Time", NULL, "a duration (1h30m) or a range "
	    "(9:00..10:30)");
	form_field(f, "At", NULL, "when a duration started; empty: it ends "
	    "now");
	form_field(f, "Note", NULL, "optional");
	/* With the task known, start on the time. */
	if (ref[0] != '\0')
		f->cur = KF_SPAN;
	task_free(t);
	form_open(tui, f);
}

static int
comment_submit(struct tui *tui, struct form *f, struct tock_err *err)
{
	char id[UUID_STRLEN + 1];
	const char *body = form_value(f, 0);
	int rc;

	if (blank(body))
		return tock_err_set(err, TOCK_EINVAL, "the comment is empty");
	if ((rc = model_check_text("comment", body, TEXT_MAX, err)) != 0 ||
	    (rc = ops_comment_add(tui->db, f->id, body, id, err)) != 0)
		return rc;
	tui_msg(tui, "Comment added");
	changed(tui, NULL);
	return 0;
}

void
action_comment(struct tui *tui, const char *task_id)
{
	struct task *t = load_task(tui, task_id);
	struct form *f;
	char title[200], phrase[128];

	if (t == NULL)
		return;
	tui_task_phrase(phrase, sizeof phrase, t);
	snprintf(title, sizeof title, "Comment on %s", phrase);
	f = form_new(FORM_BOX, title, comment_submit);
	snprintf(f->id, sizeof f->id, "%s", t->id);
	form_field(f, "Comment", NULL, NULL);
	task_free(t);
	form_open(tui, f);
}

/* True for a bare clock time ("9:05", "17:30:00"), which the entry form
 * reads on the entry's own day rather than today. */
static bool
bare_clock(const char *s)
{
	size_t n;

	s += strspn(s, " ");
	n = strspn(s, "0123456789:");
	return n > 0 && memchr(s, ':', n) != NULL &&
	    s[n + strspn(s + n, " ")] == '\0';
}

enum { EF_START, EF_END, EF_NOTE };

static int
entry_time(int64_t *out, const char *what, const char *s, int64_t day_ref,
    int64_t now, struct tock_err *err)
{
	int rc;

	if ((rc = timeparse_when(out, s, bare_clock(s) ? day_ref : now,
	    err)) != 0)
		return rc;
	if (*out > now + 60000)
		return tock_err_set(err, TOCK_EINVAL,
		    "%s '%s' is in the future", what, s);
	if (*out > now)
		*out = now;
	return 0;
}

static int
entry_edit_submit(struct tui *tui, struct form *f, struct tock_err *err)
{
	struct fieldset fs = FIELDSET_INIT;
	struct entry *e = NULL;
	int64_t now = db_now(tui->db), t, t2;
	int rc;

	if ((rc = db_entry_get(tui->db, &e, f->id, err)) != 0)
		return rc;
	if (form_changed(f, EF_START)) {
		if ((rc = entry_time(&t, "start", form_value(f, EF_START),
		    e->start_time, now, err)) != 0)
			goto out;
		fieldset_int(&fs, "start_time", t);
	}
	if (form_changed(f, EF_END)) {
		if (blank(form_value(f, EF_END))) {
			rc = tock_err_set(err, TOCK_EINVAL,
			    "a stopped entry needs an end");
			goto out;
		}
		if ((rc = entry_time(&t, "end", form_value(f, EF_END),
		    e->start_time, now, err)) != 0)
			goto out;
		/* "01:30" after a 23:00 start means the next night, when
		 * that night is over. */
		if (bare_clock(form_value(f, EF_END)) && t <= e->start_time &&
		    entry_time(&t2, "end", form_value(f, EF_END),
		    time_day_next(time_day_start(e->start_time)), now,
		    NULL) == 0)
			t = t2;
		fieldset_int(&fs, "end_time", t);
	}
	if (form_changed(f, EF_NOTE)) {
		if ((rc = model_check_text("note", form_value(f, EF_NOTE),
		    TEXT_MAX, err)) != 0)
			goto out;
		fieldset_text(&fs, "notes", form_value(f, EF_NOTE));
	}
	if (fs.n == 0) {
		tui_msg(tui, "Nothing changed");
		goto out;
	}
	if ((rc = ops_entry_update(tui->db, e->id, &fs, err)) != 0)
		goto out;
	undo_set(tui, UNDO_ENTRY_UPDATE, e->id, "the entry edit");
	if (fieldset_get(&fs, "start_time"))
		undo_int(tui, "start_time", e->start_time);
	if (fieldset_get(&fs, "end_time"))
		undo_int(tui, "end_time", e->end_time);
	if (fieldset_get(&fs, "notes"))
		undo_text(tui, "notes", e->notes, FIELD_TEXT);
	tui_msg(tui, "Entry updated (u undoes)");
	changed(tui, e->id);
out:
	entry_free(e);
	return rc;
}

void
action_entry_edit(struct tui *tui, const char *entry_id)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct entry *e = NULL;
	struct form *f;
	char start[32], end[32] = "", title[200];

	if (db_entry_get(tui->db, &e, entry_id, &err) != 0) {
		tui_error(tui, &err);
		return;
	}
	timefmt_local(start, sizeof start, e->start_time, "%Y-%m-%d %H:%M");
	if (e->end_time >= 0)
		timefmt_local(end, sizeof end, e->end_time, "%Y-%m-%d %H:%M");
	snprintf(title, sizeof title, "Edit entry: %s", e->task_title ?
	    e->task_title : "(no task)");
	f = form_new(FORM_BOX, title, entry_edit_submit);
	snprintf(f->id, sizeof f->id, "%s", e->id);
	form_field(f, "Start", start, "HH:MM on the same day, or a date "
	    "and time");
	form_field(f, "End", end, e->end_time < 0 ? "running; a time stops "
	    "it" : "HH:MM on the same day, or a date and time");
	form_field(f, "Note", e->notes, NULL);
	entry_free(e);
	form_open(tui, f);
}

static int
entry_delete_submit(struct tui *tui, struct form *f, struct tock_err *err)
{
	int rc;

	if ((rc = ops_entry_delete(tui->db, f->id, err)) != 0)
		return rc;
	undo_set(tui, UNDO_ENTRY_DELETE, f->id, "the entry delete");
	tui_msg(tui, "Entry deleted (u undoes)");
	changed(tui, NULL);
	return 0;
}

void
action_entry_delete(struct tui *tui, const char *entry_id)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct entry *e = NULL;
	struct form *f;
	char title[200], from[16], to[16], dur[32];
	struct strbuf sb = STRBUF_INIT;

	if (db_entry_get(tui->db, &e, entry_id, &err) != 0) {
		tui_error(tui, &err);
		return;
	}
	timefmt_local(from, sizeof from, e->start_time, "%H:%M");
	if (e->end_time >= 0)
		timefmt_local(to, sizeof to, e->end_time, "%H:%M");
	else
		snprintf(to, sizeof to, "now");
	timefmt_duration(dur, sizeof dur, (e->end_time < 0 ?
	    db_now(tui->db) : e->end_time) - e->start_time);
	text_add_fit(&sb, e->task_title ? e->task_title : "(no task)", 40,
	    false);
	snprintf(title, sizeof title, "Delete the entry %s-%s (%s) on '%s'?",
	    from, to, dur, sb.buf);
	strbuf_release(&sb);
	f = form_new(FORM_CONFIRM, title, entry_delete_submit);
	snprintf(f->id, sizeof f->id, "%s", e->id);
	entry_free(e);
	form_open(tui, f);
}
