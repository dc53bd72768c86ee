/* SPDX-License-Identifier: ISC */
/*
 * view_tasks.c - the task list: the same rows as tock ls (running
 * marker, number, status, due date, title and tags), filtered by status
 * (S), tag (T) and "mine" (m) through db_task_list, and searched as you
 * type (/) over titles and tags in memory.
 *
 * The rows are copied out of db_task_list into a compact array whose
 * titles and tags live in one text buffer (no allocation per row), and the
 * search keeps an index of the matching rows, so a frame draws only the
 * rows on screen whatever the list's length.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "form.h"
#include "json.h"
#include "strbuf.h"
#include "text.h"
#include "timeparse.h"
#include "tui.h"
#include "view.h"
#include "xmalloc.h"

struct trow {
	char id[UUID_STRLEN + 1];
	char ref[16];
	enum task_status status;
	bool running;
	bool overdue;
	char due[11];
	size_t title;		/* offsets into tasks.text */
	size_t tags;		/* "+a +b", or "" */
};

struct tasks {
	struct trow *rows;
	size_t n, alloc;
	struct strbuf text;	/* NUL-terminated titles and tags */
	int *vis;		/* rows matching the search, in order */
	int status;		/* index into status_filters */
	char *tag;
	bool mine;
	char search[256];
	char saved[256];	/* the search before '/', for Esc */
	int refw;
	char today[11];
};

static const struct {
	const char *name;
	unsigned mask;
} status_filters[] = {
	{ "open", 0 },
	{ "todo", 1u << TASK_TODO },
	{ "in progress", 1u << TASK_IN_PROGRESS },
	{ "done", 1u << TASK_DONE },
	{ "cancelled", 1u << TASK_CANCELLED },
	{ "all", 0xf },
};

#define NSTATUS (int)(sizeof status_filters / sizeof status_filters[0])

#define TITLE(ts, r)	((ts)->text.buf + (r)->title)
#define TAGS(ts, r)	((ts)->text.buf + (r)->tags)

static void
rows_reset(struct tasks *ts)
{
	ts->n = 0;
	strbuf_reset(&ts->text);
	/* Offset 0 is the empty string the untagged rows share. */
	strbuf_addch(&ts->text, '\0');
}

static void
tasks_open(struct view *v)
{
	struct tasks *ts = xcalloc(1, sizeof *ts);

	strbuf_init(&ts->text, 0);
	rows_reset(ts);
	v->priv = ts;
}

static void
tasks_close(struct view *v)
{
	struct tasks *ts = v->priv;

	strbuf_release(&ts->text);
	free(ts->rows);
	free(ts->vis);
	free(ts->tag);
	free(ts);
}

static int
collect(const struct task *t, void *arg)
{
	struct tasks *ts = arg;
	struct trow *r;
	char **tv;
	int i;

	if (ts->n == ts->alloc) {
		ts->alloc = ts->alloc ? ts->alloc * 2 : 256;
		ts->rows = xrealloc(ts->rows, ts->alloc * sizeof *ts->rows);
	}
	r = &ts->rows[ts->n++];
	memcpy(r->id, t->id, sizeof r->id);
	if (t->num > 0)
		snprintf(r->ref, sizeof r->ref, "%d", t->num);
	else
		snprintf(r->ref, sizeof r->ref, "%.8s", t->id);
	r->status = t->status;
	r->running = t->running;
	memcpy(r->due, t->due_date, sizeof r->due);
	r->overdue = t->due_date[0] && task_status_open(t->status) &&
	    strcmp(t->due_date, ts->today) < 0;
	r->title = ts->text.len;
	strbuf_add(&ts->text, t->title, strlen(t->title) + 1);
	r->tags = 0;
	/* Most tasks have no tags: skip the JSON parse for them. */
	if (t->metadata != NULL && strstr(t->metadata, "\"tags\"") != NULL) {
		tv = json_meta_tags(t->metadata);
		if (tv[0] != NULL) {
			r->tags = ts->text.len;
			for (i = 0; tv[i] != NULL; i++)
				strbuf_addf(&ts->text, "%s+%s", i ? " " : "",
				    tv[i]);
			strbuf_addch(&ts->text, '\0');
		}
		json_strv_free(tv);
	}
	return 0;
}

static bool
matches(const struct tasks *ts, const struct trow *r, const char *q)
{
	return q[0] == '\0' || strcasestr(TITLE(ts, r), q) != NULL ||
	    strcasestr(TAGS(ts, r), q) != NULL || strcmp(r->ref, q) == 0;
}

/* Rebuild the visible rows, keeping the cursor on the row with id keep,
 * else on the row with id or2, else on the first. */
static void
refilter2(struct view *v, const char *keep, const char *or2)
{
	struct tasks *ts = v->priv;
	size_t i;
	int n = 0, sel = -1, sel2 = 0;

	ts->vis = xrealloc(ts->vis, (ts->n + 1) * sizeof *ts->vis);
	ts->refw = 1;
	for (i = 0; i < ts->n; i++) {
		if (!matches(ts, &ts->rows[i], ts->search))
			continue;
		if (keep != NULL && strcmp(ts->rows[i].id, keep) == 0)
			sel = n;
		if (or2 != NULL && strcmp(ts->rows[i].id, or2) == 0)
			sel2 = n;
		if ((int)strlen(ts->rows[i].ref) > ts->refw)
			ts->refw = (int)strlen(ts->rows[i].ref);
		ts->vis[n++] = (int)i;
	}
	v->nlines = n;
	v->sel = sel >= 0 ? sel : sel2;
	view_fix_cursor(v);
	v->tui->dirty = true;
}

static void
refilter(struct view *v, const char *keep)
{
	refilter2(v, keep, NULL);
}

static const struct trow *
selected(struct view *v)
{
	struct tasks *ts = v->priv;

	if (v->sel < 0 || v->sel >= v->nlines)
		return NULL;
	return &ts->rows[ts->vis[v->sel]];
}

static int
tasks_load(struct view *v, struct tock_err *err)
{
	struct tasks *ts = v->priv;
	struct tui *tui = v->tui;
	struct task_filter f = { 0 };
	const struct trow *r = selected(v);
	char keep[UUID_STRLEN + 1] = "", me[UUID_STRLEN + 1];
	int rc;

	if (r != NULL)
		snprintf(keep, sizeof keep, "%s", r->id);
	rows_reset(ts);
	timefmt_local(ts->today, sizeof ts->today, db_now(tui->db),
	    "%Y-%m-%d");
	f.status_mask = status_filters[ts->status].mask;
	f.tag = ts->tag;
	if (ts->mine) {
		snprintf(me, sizeof me, "%s", db_user_id(tui->db));
		f.assignee_id = me;
	}
	rc = db_task_list(tui->db, &f, collect, ts, err);
	refilter2(v, tui->focus_id, keep);
	return rc;
}

static void
tasks_draw_head(struct view *v, int y, int cols)
{
	struct tasks *ts = v->priv;
	struct tui *tui = v->tui;
	char head[128];

	snprintf(head, sizeof head, "  %*s  %-11s  %-10s  %s", ts->refw, "#",
	    "Status", "Due", "Title");
	ui_fill(tui, y, 0, cols, ui_attr(tui, UA_COLHEAD));
	ui_text(tui, y, 0, cols, head, ui_attr(tui, UA_COLHEAD), false);
}

static void
tasks_draw_line(struct view *v, int line, int y, int cols, bool sel)
{
	struct tasks *ts = v->priv;
	struct tui *tui = v->tui;
	const struct trow *r = &ts->rows[ts->vis[line]];
	int base = sel ? ui_attr(tui, UA_SELECTED) : 0;
	int dim = sel ? base : ui_attr(tui, UA_DIM);
	int x = 0, w, tagw, room;
	char ref[24];

	if (r->running)
		ui_text(tui, y, x, 1, ui_glyph(tui, G_RUN), sel ? base :
		    ui_attr(tui, UA_RUNNING), false);
	x += 2;
	snprintf(ref, sizeof ref, "%*s", ts->refw, r->ref);
	x += ui_text(tui, y, x, ts->refw, ref, base | A_BOLD, false) + 2;
	ui_text(tui, y, x, 11, task_status_name(r->status),
	    task_status_open(r->status) ? base : dim, false);
	x += 13;
	ui_text(tui, y, x, 10, r->due, r->overdue && !sel ?
	    ui_attr(tui, UA_OVERDUE) : base, false);
	x += 12;
	w = cols - x;
	if (w <= 0)
		return;
	/* The title first; tags in what is left, as tock ls does. */
	tagw = text_width(TAGS(ts, r));
	room = w - (tagw ? tagw + 2 : 0);
	if (room < w / 2)
		room = w;
	x += ui_text(tui, y, x, room, TITLE(ts, r),
	    task_status_open(r->status) ? base : dim, false);
	if (tagw && x + 2 < cols)
		ui_text(tui, y, x + 2, cols - x - 2, TAGS(ts, r), dim, false);
}

static void
search_change(struct tui *tui, struct form *f)
{
	struct view *v = f->arg;
	struct tasks *ts = v->priv;
	const struct trow *r = selected(v);
	char keep[UUID_STRLEN + 1] = "";

	if (r != NULL)
		snprintf(keep, sizeof keep, "%s", r->id);
	snprintf(ts->search, sizeof ts->search, "%s", form_value(f, 0));
	refilter(v, keep);
}

static void
search_cancel(struct tui *tui, struct form *f)
{
	struct view *v = f->arg;
	struct tasks *ts = v->priv;
	const struct trow *r = selected(v);
	char keep[UUID_STRLEN + 1] = "";

	if (r != NULL)
		snprintf(keep, sizeof keep, "%s", r->id);
	snprintf(ts->search, sizeof ts->search, "%s", ts->saved);
	refilter(v, keep);
}

static int
search_submit(struct tui *tui, struct form *f, struct tock_err *err)
{
	struct view *v = f->arg;

	if (v->nlines == 0)
		tui_msg(tui, "No task matches '%s'", form_value(f, 0));
	return 0;
}

static int
tag_submit(struct tui *tui, struct form *f, struct tock_err *err)
{
	struct view *v = f->arg;
	struct tasks *ts = v->priv;
	const char *tag = form_value(f, 0);
	int rc;

	tag += strspn(tag, " +");
	free(ts->tag);
	ts->tag = NULL;
	if (*tag != '\0') {
		if ((rc = model_check_tag(tag, err)) != 0)
			return rc;
		ts->tag = xstrdup(tag);
	}
	v->loaded = false;
	view_ensure_loaded(v);
	return 0;
}

static int
tasks_request(struct view *v, enum req req)
{
	struct tasks *ts = v->priv;
	struct tui *tui = v->tui;
	const struct trow *r = selected(v);
	struct form *f;

	switch (req) {
	case REQ_ENTER:
		if (r != NULL) {
			view_detail_set(tui, r->id);
			view_show(tui, VIEW_DETAIL);
		}
		return 1;
	case REQ_TIMER:
		if (r != NULL)
			action_timer_toggle(tui, r->id);
		return 1;
	case REQ_ADD:
		action_task_add(tui);
		return 1;
	case REQ_EDIT:
		if (r != NULL)
			action_task_edit(tui, r->id);
		return 1;
	case REQ_DONE:
		if (r != NULL)
			action_task_done(tui, r->id);
		return 1;
	case REQ_DELETE:
		if (r != NULL)
			action_task_delete(tui, r->id);
		return 1;
	case REQ_TRACK:
		action_track(tui, r != NULL ? r->id : NULL);
		return 1;
	case REQ_SEARCH:
		snprintf(ts->saved, sizeof ts->saved, "%s", ts->search);
		f = form_new(FORM_PROMPT, "/", search_submit);
		form_field(f, "Search", ts->search, NULL);
		f->change = search_change;
		f->cancel = search_cancel;
		f->arg = v;
		form_open(tui, f);
		return 1;
	case REQ_BACK:
		if (ts->search[0] == '\0')
			return 0;
		ts->search[0] = '\0';
		refilter(v, r != NULL ? r->id : NULL);
		return 1;
	case REQ_FILTER_STATUS:
		ts->status = (ts->status + 1) % NSTATUS;
		tui_msg(tui, "Showing %s tasks",
		    status_filters[ts->status].name);
		v->loaded = false;
		view_ensure_loaded(v);
		return 1;
	case REQ_FILTER_TAG:
		f = form_new(FORM_PROMPT, "Tag (empty: any): ", tag_submit);
		form_field(f, "Tag", ts->tag, NULL);
		f->arg = v;
		form_open(tui, f);
		return 1;
	case REQ_FILTER_MINE:
		ts->mine = !ts->mine;
		tui_msg(tui, ts->mine ? "Showing tasks assigned to me" :
		    "Showing everyone's tasks");
		v->loaded = false;
		view_ensure_loaded(v);
		return 1;
	default:
		return 0;
	}
}

static void
tasks_info(struct view *v, struct strbuf *sb)
{
	struct tasks *ts = v->priv;

	strbuf_addstr(sb, status_filters[ts->status].name);
	if (ts->tag != NULL)
		strbuf_addf(sb, " %s +%s", ui_glyph(v->tui, G_DOT), ts->tag);
	if (ts->mine)
		strbuf_addf(sb, " %s mine", ui_glyph(v->tui, G_DOT));
	if (ts->search[0] != '\0')
		strbuf_addf(sb, " %s /%s %s %d of %zu", ui_glyph(v->tui, G_DOT),
		    ts->search, ui_glyph(v->tui, G_DOT), v->nlines, ts->n);
	else
		strbuf_addf(sb, " %s %zu task%s", ui_glyph(v->tui, G_DOT),
		    ts->n, ts->n == 1 ? "" : "s");
}

const struct view_ops view_tasks_ops = {
	.name = "tasks",
	.title = "Tasks",
	.empty = "No tasks here.  a adds one; S changes the status shown.",
	.flags = VIEW_TAB,
	.open = tasks_open,
	.close = tasks_close,
	.load = tasks_load,
	.draw_head = tasks_draw_head,
	.draw_line = tasks_draw_line,
	.request = tasks_request,
	.info = tasks_info,
};
