/* SPDX-License-Identifier: ISC */
/*
 * view_report.c - the week report: a bar per day and the total per task,
 * Monday to Sunday.  The numbers come from common/report.h fed by
 * db_report_entries, the same aggregation as tock report --week: entries
 * clipped to the week, split at local midnights, a running timer counted
 * up to now.  [ and ] move by a week, . comes back to this one.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_report.h"
#include "err.h"
#include "report.h"
#include "strbuf.h"
#include "text.h"
#include "timeparse.h"
#include "tui.h"
#include "view.h"
#include "xmalloc.h"

enum rline_kind {
	RL_BLANK,
	RL_TITLE,
	RL_DAY,
	RL_TOTAL,
	RL_HEADING,
	RL_GROUP,
	RL_NOTE,
};

struct rline {
	enum rline_kind kind;
	int i;			/* day or group index */
};

struct week {
	int offset;		/* weeks back from this one */
	struct report r;
	bool have;		/* r is initialised */
	struct rline *lines;
	size_t n, alloc;
	int numw, durw;
};

static void
week_open(struct view *v)
{
	v->priv = xcalloc(1, sizeof(struct week));
}

static void
week_close(struct view *v)
{
	struct week *w = v->priv;

	if (w->have)
		report_release(&w->r);
	free(w->lines);
	free(w);
}

static int
add_item(const struct report_item *it, void *arg)
{
	report_add(arg, it);
	return 0;
}

static void
push(struct week *w, enum rline_kind kind, int i)
{
	if (w->n == w->alloc) {
		w->alloc = w->alloc ? w->alloc * 2 : 32;
		w->lines = xrealloc(w->lines, w->alloc * sizeof *w->lines);
	}
	w->lines[w->n].kind = kind;
	w->lines[w->n].i = i;
	w->n++;
}

static int
week_load(struct view *v, struct tock_err *err)
{
	struct week *w = v->priv;
	struct tui *tui = v->tui;
	struct db_report_query q = { 0 };
	int64_t now = db_now(tui->db);
	char dur[32];
	size_t i;
	int rc, k;

	if (w->have)
		report_release(&w->r);
	w->have = false;
	w->n = 0;
	v->nlines = 0;
	/* As tock report --week: Monday 00:00 and seven local days on. */
	q.since = time_week_start(now);
	for (k = 0; k < w->offset; k++)
		q.since = time_week_start(q.since - 1);
	q.until = q.since;
	for (k = 0; k < 7; k++)
		q.until = time_day_next(q.until);
	rc = report_init(&w->r, REPORT_BY_TASK, q.since, q.until, now, err);
	w->have = true;
	if (rc != 0 ||
	    (rc = db_report_entries(tui->db, &q, add_item, &w->r, err)) != 0)
		return rc;
	report_finish(&w->r);

	w->numw = 0;
	w->durw = 5;
	for (i = 0; i < w->r.ngroups; i++) {
		char num[16];
		int n = snprintf(num, sizeof num, "%d",
		    w->r.groups[i].task_num);

		if (w->r.groups[i].task_num > 0 && n > w->numw)
			w->numw = n;
		timefmt_duration(dur, sizeof dur, w->r.groups[i].ms);
		if ((int)strlen(dur) > w->durw)
			w->durw = (int)strlen(dur);
	}
	timefmt_duration(dur, sizeof dur, w->r.total_ms);
	if ((int)strlen(dur) > w->durw)
		w->durw = (int)strlen(dur);

	push(w, RL_TITLE, 0);
	push(w, RL_BLANK, 0);
	for (i = 0; i < w->r.ndays; i++)
		push(w, RL_DAY, (int)i);
	push(w, RL_TOTAL, 0);
	push(w, RL_BLANK, 0);
	push(w, RL_HEADING, 0);
	for (i = 0; i < w->r.ngroups; i++)
		push(w, RL_GROUP, (int)i);
	if (w->r.ngroups == 0)
		push(w, RL_NOTE, 0);
	if (w->r.running) {
		push(w, RL_BLANK, 0);
		push(w, RL_NOTE, 1);
	}
	v->nlines = (int)w->n;
	return 0;
}

/* A bar of ms out of max in cells columns, in eighths of a cell. */
static void
bar(struct tui *tui, struct strbuf *sb, int64_t ms, int64_t max, int cells)
{
	static const char *const eighths[] = { "", "\xe2\x96\x8f",
	    "\xe2\x96\x8e", "\xe2\x96\x8d", "\xe2\x96\x8c", "\xe2\x96\x8b",
	    "\xe2\x96\x8a", "\xe2\x96\x89" };
	int64_t units;
	int j;

	if (ms <= 0 || max <= 0 || cells <= 0)
		return;
	units = (ms * cells * 8 + max / 2) / max;
	if (units == 0)
		units = 1;
	for (j = 0; j < units / 8; j++)
		strbuf_addstr(sb, ui_glyph(tui, G_BAR));
	if (units % 8 != 0)
		strbuf_addstr(sb, tui->utf8 ? eighths[units % 8] :
		    ui_glyph(tui, G_BAR_HALF));
}

static void
week_draw_line(struct view *v, int line, int y, int cols, bool sel)
{
	struct week *w = v->priv;
	struct tui *tui = v->tui;
	const struct rline *l = &w->lines[line];
	const struct report *r = &w->r;
	struct strbuf sb = STRBUF_INIT;
	char a[32], b[32], dur[32], num[32];
	int64_t max = 0;
	int x, cells;
	size_t i;

	switch (l->kind) {
	case RL_TITLE:
		timefmt_local(a, sizeof a, r->since, "%a %Y-%m-%d");
		timefmt_local(b, sizeof b, r->until - 1, "%a %Y-%m-%d");
		timefmt_local(num, sizeof num, r->since, "%V");
		strbuf_addf(&sb, "Week %s: %s %s %s", num, a,
		    ui_glyph(tui, G_DASH), b);
		ui_text(tui, y, 0, cols, sb.buf, A_BOLD, false);
		break;
	case RL_DAY:
		for (i = 0; i < r->ndays; i++)
			if (r->days[i].ms > max)
				max = r->days[i].ms;
		timefmt_local(a, sizeof a, r->days[l->i].start, "%a %m-%d");
		ui_text(tui, y, 2, 9, a, r->days[l->i].start ==
		    time_day_start(r->now) ? (int)A_BOLD : 0, true);
		/* Label (2 + 9), two blanks, bar, blank, duration, " ▶". */
		cells = cols - 13 - 1 - w->durw - 3;
		if (cells > 60)
			cells = 60;
		bar(tui, &sb, r->days[l->i].ms, max, cells);
		ui_text(tui, y, 13, cells, sb.buf, ui_attr(tui, UA_BAR),
		    false);
		timefmt_duration(dur, sizeof dur, r->days[l->i].ms);
		snprintf(b, sizeof b, "%*s", w->durw, r->days[l->i].ms > 0 ?
		    dur : "");
		ui_text(tui, y, 13 + cells + 1, w->durw, b, A_NORMAL, false);
		if (r->days[l->i].running)
			ui_text(tui, y, 13 + cells + 2 + w->durw, 1,
			    ui_glyph(tui, G_RUN), ui_attr(tui, UA_RUNNING),
			    false);
		break;
	case RL_TOTAL:
		cells = cols - 13 - 1 - w->durw - 3;
		if (cells > 60)
			cells = 60;
		timefmt_duration(dur, sizeof dur, r->total_ms);
		snprintf(b, sizeof b, "%*s", w->durw, dur);
		ui_text(tui, y, 2, 9, "Total", A_BOLD, false);
		ui_text(tui, y, 13 + cells + 1, w->durw, b, A_BOLD, false);
		break;
	case RL_HEADING:
		ui_text(tui, y, 0, cols, "By task", ui_attr(tui, UA_HEADING),
		    false);
		break;
	case RL_GROUP: {
		const struct report_group *g = &r->groups[l->i];
		int labw;

		if (g->running)
			ui_text(tui, y, 0, 1, ui_glyph(tui, G_RUN),
			    ui_attr(tui, UA_RUNNING), false);
		x = 2;
		if (w->numw > 0) {
			/* The number right-aligned in its column. */
			if (g->task_num > 0) {
				snprintf(num, sizeof num, "%d", g->task_num);
				ui_text_right(tui, y, x + w->numw, w->numw,
				    num, A_BOLD);
			}
			x += w->numw + 2;
		}
		/* Title, two blanks, duration, two blanks, "100.0%". */
		labw = cols - x - 2 - w->durw - 2 - 6 - 1;
		if (labw > 60)
			labw = 60;
		ui_text(tui, y, x, labw, g->label, A_NORMAL, true);
		x += labw + 2;
		timefmt_duration(dur, sizeof dur, g->ms);
		snprintf(b, sizeof b, "%*s", w->durw, dur);
		x += ui_text(tui, y, x, w->durw, b, A_NORMAL, false) + 2;
		snprintf(a, sizeof a, "%5.1f%%", r->total_ms > 0 ? 100.0 *
		    (double)g->ms / (double)r->total_ms : 0.0);
		ui_text(tui, y, x, 6, a, ui_attr(tui, UA_DIM), false);
		break;
	}
	case RL_NOTE:
		ui_text(tui, y, 2, cols - 2, l->i == 0 ?
		    "No time tracked this week." :
		    "The running timer is counted up to now.",
		    ui_attr(tui, UA_DIM), false);
		break;
	default:
		break;
	}
	strbuf_release(&sb);
}

static int
week_request(struct view *v, enum req req)
{
	struct week *w = v->priv;

	switch (req) {
	case REQ_PREV_PERIOD:
		w->offset++;
		break;
	case REQ_NEXT_PERIOD:
		if (w->offset > 0)
			w->offset--;
		break;
	case REQ_THIS_PERIOD:
		w->offset = 0;
		break;
	default:
		return 0;
	}
	v->top = 0;
	v->loaded = false;
	view_ensure_loaded(v);
	return 1;
}

static void
week_info(struct view *v, struct strbuf *sb)
{
	struct week *w = v->priv;
	char dur[32];

	if (!w->have)
		return;
	timefmt_duration(dur, sizeof dur, w->r.total_ms);
	strbuf_addf(sb, "%s %s %zu task%s", w->offset == 0 ? "this week" :
	    w->offset == 1 ? "last week" : "earlier", ui_glyph(v->tui, G_DOT),
	    w->r.ngroups, w->r.ngroups == 1 ? "" : "s");
	strbuf_addf(sb, " %s %s", ui_glyph(v->tui, G_DOT), dur);
}

const struct view_ops view_report_ops = {
	.name = "report",
	.title = "Week",
	.flags = VIEW_TAB | VIEW_SCROLL | VIEW_LIVE,
	.open = week_open,
	.close = week_close,
	.load = week_load,
	.draw_line = week_draw_line,
	.request = week_request,
	.info = week_info,
};
