/* SPDX-License-Identifier: ISC */
/*
 * view_log.c - the time log: the user's entries of seven days grouped by
 * local day, newest day first and each day in time order, with day
 * totals, as tock log counts them.  e edits start, end and note; x
 * deletes (u undoes); [ and ] move by seven days.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "strbuf.h"
#include "text.h"
#include "timeparse.h"
#include "tui.h"
#include "view.h"
#include "xmalloc.h"

struct lrow {
	char id[UUID_STRLEN + 1];
	char task_id[UUID_STRLEN + 1];
	int task_num;
	char *title;
	char *notes;
	int64_t start, end;	/* end -1 while running */
	int64_t day;		/* local midnight of the start */
};

/* A line is a day heading (row -1, rows lo..hi under it) or a row. */
struct lline {
	int row;
	int lo, hi;
};

struct tlog {
	int offset;		/* weeks back from the last seven days */
	int64_t since, until;
	struct lrow *rows;
	size_t n, alloc;
	struct lline *lines;
	size_t nl;
};

static void
rows_free(struct tlog *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->rows[i].title);
		free(l->rows[i].notes);
	}
	l->n = 0;
	l->nl = 0;
}

static void
log_open(struct view *v)
{
	v->priv = xcalloc(1, sizeof(struct tlog));
}

static void
log_close(struct view *v)
{
	struct tlog *l = v->priv;

	rows_free(l);
	free(l->rows);
	free(l->lines);
	free(l);
}

static int
collect(const struct entry *e, int at, void *arg)
{
	struct tlog *l = arg;
	struct lrow *r;

	if (l->n == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 64;
		l->rows = xrealloc(l->rows, l->alloc * sizeof *l->rows);
	}
	r = &l->rows[l->n++];
	memcpy(r->id, e->id, sizeof r->id);
	memcpy(r->task_id, e->task_id, sizeof r->task_id);
	r->task_num = e->task_num;
	r->title = xstrdup(e->task_title ? e->task_title : "(no task)");
	r->notes = xstrdup(e->notes ? e->notes : "");
	r->start = e->start_time;
	r->end = e->end_time;
	r->day = time_day_start(e->start_time);
	return 0;
}

static const struct lrow *
selected(struct view *v)
{
	struct tlog *l = v->priv;

	if (v->sel < 0 || (size_t)v->sel >= l->nl || l->lines[v->sel].row < 0)
		return NULL;
	return &l->rows[l->lines[v->sel].row];
}

static void
add_line(struct tlog *l, int row, int lo, int hi)
{
	l->lines[l->nl].row = row;
	l->lines[l->nl].lo = lo;
	l->lines[l->nl].hi = hi;
	l->nl++;
}

static int
log_load(struct view *v, struct tock_err *err)
{
	struct tlog *l = v->priv;
	struct tui *tui = v->tui;
	struct entry_filter f = { 0 };
	const struct lrow *r = selected(v);
	char keep[UUID_STRLEN + 1] = "";
	int64_t day;
	int i, lo, hi, rc, sel = -1, sel2 = 1;
	size_t k;

	if (r != NULL)
		snprintf(keep, sizeof keep, "%s", r->id);
	rows_free(l);
	/* The seven days ending today, offset weeks back. */
	day = time_day_start(db_now(tui->db));
	for (i = 0; i < l->offset * 7; i++)
		day = time_day_start(day - 1);
	l->until = time_day_next(day);
	for (i = 0; i < 6; i++)
		day = time_day_start(day - 1);
	l->since = day;
	f.since = l->since;
	f.until = l->until;
	rc = db_entry_list(tui->db, &f, collect, l, err);
	/* Days newest first; each day's entries in time order. */
	l->lines = xrealloc(l->lines, (l->n * 2 + 1) * sizeof *l->lines);
	for (hi = (int)l->n - 1; hi >= 0; hi = lo - 1) {
		for (lo = hi; lo > 0 && l->rows[lo - 1].day == l->rows[hi].day;
		    lo--)
			;
		add_line(l, -1, lo, hi);
		for (i = lo; i <= hi; i++)
			add_line(l, i, i, i);
	}
	v->nlines = (int)l->nl;
	/* The row just changed, else the one selected before. */
	for (k = 0; k < l->nl; k++) {
		if (l->lines[k].row < 0)
			continue;
		if (strcmp(l->rows[l->lines[k].row].id, tui->focus_id) == 0)
			sel = (int)k;
		if (strcmp(l->rows[l->lines[k].row].id, keep) == 0)
			sel2 = (int)k;
	}
	v->sel = sel >= 0 ? sel : sel2;
	view_fix_cursor(v);
	return rc;
}

static bool
log_selectable(struct view *v, int line)
{
	struct tlog *l = v->priv;

	return l->lines[line].row >= 0;
}

static int64_t
row_ms(const struct lrow *r, int64_t now)
{
	return (r->end < 0 ? now : r->end) - r->start;
}

static void
log_draw_line(struct view *v, int line, int y, int cols, bool sel)
{
	struct tlog *l = v->priv;
	struct tui *tui = v->tui;
	const struct lline *ll = &l->lines[line];
	int64_t now = db_now(tui->db), total = 0;
	struct strbuf sb = STRBUF_INIT;
	char head[64], from[16], to[32], dur[32], ref[16];
	int attr, x, i;

	if (ll->row < 0) {
		const struct lrow *r = &l->rows[ll->lo];

		for (i = ll->lo; i <= ll->hi; i++)
			total += row_ms(&l->rows[i], now);
		timefmt_local(head, sizeof head, r->day, "%a %Y-%m-%d");
		timefmt_duration(dur, sizeof dur, total);
		x = ui_text(tui, y, 0, cols, head, ui_attr(tui, UA_HEADING),
		    false);
		snprintf(head, sizeof head, "%7s", dur);
		ui_text(tui, y, 20 > x + 1 ? 20 : x + 1, cols, head, A_BOLD,
		    false);
		return;
	}
	{
		const struct lrow *r = &l->rows[ll->row];

		attr = sel ? ui_attr(tui, UA_SELECTED) : r->end < 0 ?
		    ui_attr(tui, UA_RUNNING) : 0;
		timefmt_local(from, sizeof from, r->start, "%H:%M");
		if (r->end < 0)
			snprintf(to, sizeof to, "now");
		else if (r->end >= time_day_next(r->day)) {
			/* Ends on a later day: "01:30+1", as tock log. */
			int64_t d = r->day;
			int days = 0;
			char hm[8];

			while (time_day_next(d) <= r->end) {
				d = time_day_next(d);
				days++;
			}
			timefmt_local(hm, sizeof hm, r->end, "%H:%M");
			snprintf(to, sizeof to, "%s+%d", hm, days);
		} else
			timefmt_local(to, sizeof to, r->end, "%H:%M");
		timefmt_duration(dur, sizeof dur, row_ms(r, now));
		if (r->task_num > 0)
			snprintf(ref, sizeof ref, "%d", r->task_num);
		else
			ref[0] = '\0';
		strbuf_addf(&sb, "  %s%s%-7s %7s  %4s  ", from,
		    ui_glyph(tui, G_DASH), to, dur, ref);
		x = ui_text(tui, y, 0, cols, sb.buf, attr, false);
		strbuf_reset(&sb);
		strbuf_addstr(&sb, r->title);
		if (r->notes[0] != '\0')
			strbuf_addf(&sb, " %s %s", ui_glyph(tui, G_DASH),
			    r->notes);
		if (r->end < 0)
			strbuf_addstr(&sb, " (running)");
		ui_text(tui, y, x, cols - x, sb.buf, attr, false);
	}
	strbuf_release(&sb);
}

static int
log_request(struct view *v, enum req req)
{
	struct tlog *l = v->priv;
	struct tui *tui = v->tui;
	const struct lrow *r = selected(v);

	switch (req) {
	case REQ_ENTER:
		if (r != NULL && r->task_id[0] != '\0') {
			view_detail_set(tui, r->task_id);
			view_show(tui, VIEW_DETAIL);
		}
		return 1;
	case REQ_EDIT:
		if (r != NULL)
			action_entry_edit(tui, r->id);
		return 1;
	case REQ_DELETE:
		if (r != NULL)
			action_entry_delete(tui, r->id);
		return 1;
	case REQ_TRACK:
		action_track(tui, r != NULL ? r->task_id : NULL);
		return 1;
	case REQ_TIMER:
		if (r != NULL && r->task_id[0] != '\0')
			action_timer_toggle(tui, r->task_id);
		return 1;
	case REQ_PREV_PERIOD:
	case REQ_NEXT_PERIOD:
	case REQ_THIS_PERIOD:
		if (req == REQ_PREV_PERIOD)
			l->offset++;
		else if (req == REQ_NEXT_PERIOD && l->offset > 0)
			l->offset--;
		else if (req == REQ_THIS_PERIOD)
			l->offset = 0;
		v->top = 0;
		v->sel = 0;
		v->loaded = false;
		view_ensure_loaded(v);
		return 1;
	default:
		return 0;
	}
}

static void
log_info(struct view *v, struct strbuf *sb)
{
	struct tlog *l = v->priv;
	int64_t now = db_now(v->tui->db), total = 0;
	char from[16], to[16], dur[32];
	size_t i;

	for (i = 0; i < l->n; i++)
		total += row_ms(&l->rows[i], now);
	timefmt_local(from, sizeof from, l->since, "%b %d");
	timefmt_local(to, sizeof to, l->until - 1, "%b %d");
	timefmt_duration(dur, sizeof dur, total);
	strbuf_addf(sb, "%s %s %s %s %zu entr%s %s %s", from,
	    ui_glyph(v->tui, G_DASH), to, ui_glyph(v->tui, G_DOT), l->n,
	    l->n == 1 ? "y" : "ies", ui_glyph(v->tui, G_DOT), dur);
}

const struct view_ops view_log_ops = {
	.name = "log",
	.title = "Log",
	.empty = "No time entries in these seven days.  [ goes back a week.",
	.flags = VIEW_TAB,
	.open = log_open,
	.close = log_close,
	.load = log_load,
	.draw_line = log_draw_line,
	.selectable = log_selectable,
	.request = log_request,
	.info = log_info,
};
