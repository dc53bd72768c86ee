/* SPDX-License-Identifier: ISC */
/*
 * view_detail.c - one task, as tock show prints it: its fields, the
 * description, its time entries and its comments, wrapped to the width
 * of the screen.  c adds a comment; s, e, d, t and x act on the task.
 *
 * load() copies what it needs out of common/; layout() turns it into
 * display lines for a width, so a resize re-wraps without a query.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "json.h"
#include "strbuf.h"
#include "text.h"
#include "timeparse.h"
#include "tui.h"
#include "view.h"
#include "xmalloc.h"

enum dline_kind {
	DL_TEXT,
	DL_TITLE,
	DL_HEADING,
	DL_LABEL,	/* "  label     value": label dimmed */
	DL_DIM,
	DL_RUNNING,
};

struct dline {
	enum dline_kind kind;
	char *text;
};

struct dentry {
	int64_t start, end;
	char *notes;
};

struct dcomment {
	int64_t when;
	char *author;
	char *body;
};

struct detail {
	char id[UUID_STRLEN + 1];
	struct task *t;		/* NULL when the task is gone */
	int64_t tracked;
	struct dentry *entries;
	size_t nentries;
	struct dcomment *comments;
	size_t ncomments;
	char *creator;
	struct dline *lines;
	size_t n, alloc;
};

static void
lines_free(struct detail *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->lines[i].text);
	d->n = 0;
}

static void
data_free(struct detail *d)
{
	size_t i;

	task_free(d->t);
	d->t = NULL;
	for (i = 0; i < d->nentries; i++)
		free(d->entries[i].notes);
	free(d->entries);
	d->entries = NULL;
	d->nentries = 0;
	for (i = 0; i < d->ncomments; i++) {
		free(d->comments[i].author);
		free(d->comments[i].body);
	}
	free(d->comments);
	d->comments = NULL;
	d->ncomments = 0;
	free(d->creator);
	d->creator = NULL;
}

static void
detail_open(struct view *v)
{
	v->priv = xcalloc(1, sizeof(struct detail));
}

static void
detail_close(struct view *v)
{
	struct detail *d = v->priv;

	data_free(d);
	lines_free(d);
	free(d->lines);
	free(d);
}

void
view_detail_set(struct tui *tui, const char *task_id)
{
	struct view *v = tui->views[VIEW_DETAIL];
	struct detail *d = v->priv;

	if (strcmp(d->id, task_id) != 0) {
		v->top = 0;
		snprintf(d->id, sizeof d->id, "%s", task_id);
	}
	v->loaded = false;
}

static int
add_entry(const struct entry *e, int at, void *arg)
{
	struct detail *d = arg;
	struct dentry *de;

	d->entries = xrealloc(d->entries, (d->nentries + 1) *
	    sizeof *d->entries);
	de = &d->entries[d->nentries++];
	de->start = e->start_time;
	de->end = e->end_time;
	de->notes = xstrdup(e->notes ? e->notes : "");
	return 0;
}

static int
add_comment(const struct comment *c, void *arg)
{
	struct detail *d = arg;
	struct dcomment *dc;

	d->comments = xrealloc(d->comments, (d->ncomments + 1) *
	    sizeof *d->comments);
	dc = &d->comments[d->ncomments++];
	dc->when = c->created_at;
	dc->author = xstrdup(c->author_name ? c->author_name : "?");
	dc->body = xstrdup(c->body);
	return 0;
}

static int
detail_load(struct view *v, struct tock_err *err)
{
	struct detail *d = v->priv;
	struct tui *tui = v->tui;
	struct entry_filter f = { 0 };
	int64_t now = db_now(tui->db);
	int rc;

	data_free(d);
	if (d->id[0] == '\0')
		return 0;
	rc = db_task_get(tui->db, &d->t, d->id, err);
	if (rc == TOCK_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	f.since = INT64_MIN;
	f.until = INT64_MAX;
	f.task_id = d->id;
	if ((rc = db_task_tracked(tui->db, d->id, now, &d->tracked,
	    err)) != 0 ||
	    (rc = db_entry_list(tui->db, &f, add_entry, d, err)) != 0 ||
	    (rc = db_comment_list(tui->db, d->id, add_comment, d, err)) != 0)
		return rc;
	d->creator = db_user_name(tui->db, d->t->created_by);
	return 0;
}

static void
push(struct detail *d, enum dline_kind kind, char *text)
{
	if (d->n == d->alloc) {
		d->alloc = d->alloc ? d->alloc * 2 : 64;
		d->lines = xrealloc(d->lines, d->alloc * sizeof *d->lines);
	}
	d->lines[d->n].kind = kind;
	d->lines[d->n].text = text;
	d->n++;
}

/*
 * Add text wrapped at blanks to width columns, each line indented by
 * indent spaces.  Tabs become blanks and other control characters '?',
 * so nothing but text reaches the terminal.
 */
static void
push_wrapped(struct detail *d, enum dline_kind kind, const char *text,
    int width, int indent)
{
	char *copy = xstrdup(text), *para, *next, *p;
	int avail = width - indent, used, w;
	size_t start, i, n, brk;

	if (avail < 10)
		avail = 10;
	for (p = copy; *p != '\0'; p++)
		if (*p == '\t' || *p == '\r')
			*p = ' ';
		else if ((unsigned char)*p < 32 && *p != '\n')
			*p = '?';
	for (para = copy; para != NULL; para = next) {
		next = strchr(para, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (*para == '\0') {
			push(d, kind, xstrdup(""));
			continue;
		}
		start = 0;
		while (para[start] != '\0') {
			used = 0;
			brk = 0;
			for (i = start; para[i] != '\0'; i += n) {
				n = tui_cp_len(para + i);
				w = tui_width_n(para + i, n);
				if (used + w > avail)
					break;
				if (para[i] == ' ')
					brk = i;
				used += w;
			}
			if (para[i] != '\0' && brk > start)
				i = brk;
			/* One glyph wider than the room: it goes alone. */
			if (i == start)
				i += tui_cp_len(para + i);
			push(d, kind, xasprintf("%*s%.*s", indent, "",
			    (int)(i - start), para + start));
			start = i;
			while (para[start] == ' ')
				start++;
		}
	}
	free(copy);
}

static void
push_field(struct detail *d, const char *label, const char *value,
    int width)
{
	size_t first, i;
	char *line;

	if (value == NULL || *value == '\0')
		return;
	line = xasprintf("  %-10s %s", label, value);
	first = d->n;
	push_wrapped(d, DL_LABEL, line, width, 0);
	/* Only the first line starts with the label. */
	for (i = first + 1; i < d->n; i++)
		d->lines[i].kind = DL_TEXT;
	free(line);
}

static void
detail_layout(struct view *v, int cols)
{
	struct detail *d = v->priv;
	struct tui *tui = v->tui;
	struct task *t = d->t;
	struct strbuf sb = STRBUF_INIT;
	int64_t now = db_now(tui->db);
	char buf[128], from[32], to[32], dur[32], **tags, *s;
	size_t i;

	lines_free(d);
	if (t == NULL) {
		push(d, DL_DIM, xstrdup("  This task does not exist any "
		    "more."));
		v->nlines = (int)d->n;
		return;
	}
	if (t->num > 0)
		strbuf_addf(&sb, "Task %d%s  %s", t->num, t->deleted ?
		    " (deleted)" : "", t->title);
	else
		strbuf_addf(&sb, "Task%s  %s", t->deleted ? " (deleted)" : "",
		    t->title);
	push_wrapped(d, DL_TITLE, sb.buf, cols, 0);
	push_field(d, "id", t->id, cols);
	snprintf(buf, sizeof buf, "%s%s", task_status_name(t->status),
	    t->running ? " (timer running)" : "");
	push_field(d, "status", buf, cols);
	push_field(d, "due", t->due_date, cols);
	push_field(d, "assignee", t->assignee_name ? t->assignee_name :
	    t->assignee_id, cols);
	tags = json_meta_tags(t->metadata);
	strbuf_reset(&sb);
	for (i = 0; tags[i] != NULL; i++)
		strbuf_addf(&sb, "%s+%s", i ? " " : "", tags[i]);
	json_strv_free(tags);
	push_field(d, "tags", sb.buf, cols);
	s = json_meta_string(t->metadata, "priority");
	push_field(d, "priority", s, cols);
	free(s);
	s = json_meta_string(t->metadata, "branch");
	push_field(d, "branch", s, cols);
	free(s);
	timefmt_local(from, sizeof from, t->created_at, "%Y-%m-%d %H:%M");
	strbuf_reset(&sb);
	strbuf_addf(&sb, "%s%s%s", from, d->creator ? " by " : "",
	    d->creator ? d->creator : "");
	push_field(d, "created", sb.buf, cols);
	timefmt_local(from, sizeof from, t->updated_at, "%Y-%m-%d %H:%M");
	push_field(d, "updated", from, cols);
	timefmt_duration(dur, sizeof dur, d->tracked);
	push_field(d, "tracked", dur, cols);

	if (t->description != NULL && t->description[0] != '\0') {
		push(d, DL_TEXT, xstrdup(""));
		push(d, DL_HEADING, xstrdup("Description"));
		push_wrapped(d, DL_TEXT, t->description, cols, 2);
	}

	push(d, DL_TEXT, xstrdup(""));
	push(d, DL_HEADING, xasprintf("Time entries (%zu)", d->nentries));
	if (d->nentries == 0)
		push(d, DL_DIM, xstrdup("  none yet: s starts the timer, t "
		    "tracks time after the fact"));
	for (i = 0; i < d->nentries; i++) {
		const struct dentry *e = &d->entries[i];

		timefmt_local(from, sizeof from, e->start, "%Y-%m-%d %H:%M");
		if (e->end < 0)
			snprintf(to, sizeof to, "now");
		else
			timefmt_local(to, sizeof to, e->end, "%H:%M");
		timefmt_duration(dur, sizeof dur, (e->end < 0 ? now : e->end) -
		    e->start);
		strbuf_reset(&sb);
		strbuf_addf(&sb, "  %s%s%-5s %7s%s%s%s", from,
		    ui_glyph(tui, G_DASH), to, dur, e->notes[0] ? "  " : "",
		    e->notes, e->end < 0 ? "  (running)" : "");
		push_wrapped(d, e->end < 0 ? DL_RUNNING : DL_TEXT, sb.buf,
		    cols, 0);
	}

	push(d, DL_TEXT, xstrdup(""));
	push(d, DL_HEADING, xasprintf("Comments (%zu)", d->ncomments));
	if (d->ncomments == 0)
		push(d, DL_DIM, xstrdup("  none yet: c adds one"));
	for (i = 0; i < d->ncomments; i++) {
		const struct dcomment *c = &d->comments[i];

		timefmt_local(from, sizeof from, c->when, "%Y-%m-%d %H:%M");
		push(d, DL_LABEL, xasprintf("  %s  %s", from, c->author));
		push_wrapped(d, DL_TEXT, c->body, cols, 4);
	}
	strbuf_release(&sb);
	v->nlines = (int)d->n;
}

static void
detail_draw_line(struct view *v, int line, int y, int cols, bool sel)
{
	struct detail *d = v->priv;
	struct tui *tui = v->tui;
	const struct dline *l = &d->lines[line];
	int attr = A_NORMAL;

	switch (l->kind) {
	case DL_TITLE:
		attr = A_BOLD;
		break;
	case DL_HEADING:
		attr = ui_attr(tui, UA_HEADING);
		break;
	case DL_DIM:
		attr = ui_attr(tui, UA_DIM);
		break;
	case DL_RUNNING:
		attr = ui_attr(tui, UA_RUNNING);
		break;
	case DL_LABEL:
		/* "  label     " (13 ASCII columns) dimmed, the value plain. */
		ui_text(tui, y, 0, cols, l->text, A_NORMAL, false);
		if (strlen(l->text) > 13) {
			char label[14];

			memcpy(label, l->text, 13);
			label[13] = '\0';
			ui_text(tui, y, 0, cols, label, ui_attr(tui, UA_DIM),
			    false);
		}
		return;
	default:
		break;
	}
	ui_text(tui, y, 0, cols, l->text, attr, false);
}

static int
detail_request(struct view *v, enum req req)
{
	struct detail *d = v->priv;
	struct tui *tui = v->tui;

	if (d->t == NULL)
		return 0;
	switch (req) {
	case REQ_TIMER:
		action_timer_toggle(tui, d->id);
		return 1;
	case REQ_COMMENT:
		action_comment(tui, d->id);
		return 1;
	case REQ_EDIT:
		action_task_edit(tui, d->id);
		return 1;
	case REQ_DONE:
		action_task_done(tui, d->id);
		return 1;
	case REQ_TRACK:
		action_track(tui, d->id);
		return 1;
	case REQ_DELETE:
		action_task_delete(tui, d->id);
		return 1;
	default:
		return 0;
	}
}

static void
detail_info(struct view *v, struct strbuf *sb)
{
	struct detail *d = v->priv;

	if (d->t != NULL)
		strbuf_addf(sb, "%zu entr%s %s %zu comment%s", d->nentries,
		    d->nentries == 1 ? "y" : "ies", ui_glyph(v->tui, G_DOT),
		    d->ncomments, d->ncomments == 1 ? "" : "s");
}

const struct view_ops view_detail_ops = {
	.name = "detail",
	.title = "Task",
	.flags = VIEW_SCROLL | VIEW_LIVE,
	.open = detail_open,
	.close = detail_close,
	.load = detail_load,
	.layout = detail_layout,
	.draw_line = detail_draw_line,
	.request = detail_request,
	.info = detail_info,
};
