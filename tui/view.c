/* SPDX-License-Identifier: ISC */
/*
 * view.c - the view table and what all views share: the stack of open
 * screens, loading, the cursor and scrolling, and drawing the visible
 * lines.  A new screen is a view_<name>.c plus one row in view_table.
 */
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "tui.h"
#include "view.h"
#include "xmalloc.h"

/* Indexed by enum view_id; the VIEW_TAB ones form the Tab ring in this
 * order. */
static const struct view_ops *const view_table[VIEW_COUNT] = {
	[VIEW_TASKS] = &view_tasks_ops,
	[VIEW_LOG] = &view_log_ops,
	[VIEW_REPORT] = &view_report_ops,
	[VIEW_SYNC] = &view_sync_ops,
	[VIEW_DETAIL] = &view_detail_ops,
	[VIEW_HELP] = &view_help_ops,
};

void
view_open_all(struct tui *tui)
{
	int i;

	for (i = 0; i < VIEW_COUNT; i++) {
		struct view *v = xcalloc(1, sizeof *v);

		v->ops = view_table[i];
		v->tui = tui;
		v->sel = 0;
		if (v->ops->open != NULL)
			v->ops->open(v);
		tui->views[i] = v;
	}
}

void
view_close_all(struct tui *tui)
{
	int i;

	for (i = 0; i < VIEW_COUNT; i++) {
		struct view *v = tui->views[i];

		if (v == NULL)
			continue;
		if (v->ops->close != NULL)
			v->ops->close(v);
		free(v);
		tui->views[i] = NULL;
	}
	tui->depth = 0;
}

struct view *
view_current(struct tui *tui)
{
	return tui->stack[tui->depth - 1];
}

void
view_ensure_loaded(struct view *v)
{
	struct tock_err err = TOCK_ERR_INIT;

	if (v->loaded)
		return;
	v->loaded = true;
	v->width = 0;		/* lay out again */
	if (v->ops->load != NULL && v->ops->load(v, &err) != 0) {
		log_debug("%s: load: %s", v->ops->name, err.msg);
		tui_error(v->tui, &err);
	}
	/* Lines of a laid-out view exist only after layout: make them now,
	 * so the cursor and scroll position survive a reload. */
	if (v->ops->layout != NULL && v->tui->cols > 0) {
		v->ops->layout(v, v->tui->cols);
		v->width = v->tui->cols;
	}
	view_fix_cursor(v);
	v->tui->dirty = true;
}

void
view_reload_all(struct tui *tui)
{
	int i;

	for (i = 0; i < VIEW_COUNT; i++)
		tui->views[i]->loaded = false;
	if (tui->depth > 0)
		view_ensure_loaded(view_current(tui));
}

void
view_show(struct tui *tui, enum view_id id)
{
	struct view *v = tui->views[id];

	if (v->ops->flags & VIEW_TAB) {
		tui->stack[0] = v;
		tui->depth = 1;
	} else if (tui->depth > 0 && view_current(tui) == v) {
		/* Already on top. */
	} else if (tui->depth < TUI_STACK_MAX)
		tui->stack[tui->depth++] = v;
	else
		tui->stack[tui->depth - 1] = v;
	view_ensure_loaded(v);
	tui->dirty = true;
}

bool
view_pop(struct tui *tui)
{
	if (tui->depth <= 1)
		return false;
	tui->depth--;
	view_ensure_loaded(view_current(tui));
	tui->dirty = true;
	return true;
}

static bool
selectable(struct view *v, int line)
{
	return v->ops->selectable == NULL || v->ops->selectable(v, line);
}

static int
page(struct view *v)
{
	int h = v->height > 0 ? v->height : v->tui->rows - 5;

	return h > 1 ? h - 1 : 1;
}

void
view_fix_cursor(struct view *v)
{
	int h = v->height > 0 ? v->height : v->tui->rows - 5, maxtop;

	if (h < 1)
		h = 1;
	maxtop = v->nlines - h > 0 ? v->nlines - h : 0;
	if (v->ops->flags & VIEW_SCROLL) {
		if (v->top > maxtop)
			v->top = maxtop;
		if (v->top < 0)
			v->top = 0;
		return;
	}
	if (v->nlines == 0) {
		v->sel = -1;
		v->top = 0;
		return;
	}
	if (v->sel < 0)
		v->sel = 0;
	if (v->sel >= v->nlines)
		v->sel = v->nlines - 1;
	if (!selectable(v, v->sel)) {
		int i;

		for (i = v->sel; i < v->nlines && !selectable(v, i); i++)
			;
		if (i == v->nlines)
			for (i = v->sel; i > 0 && !selectable(v, i); i--)
				;
		v->sel = i;
	}
	if (v->top > maxtop)
		v->top = maxtop;
	if (v->sel < v->top)
		v->top = v->sel;
	if (v->sel >= v->top + h)
		v->top = v->sel - h + 1;
	/* A heading right above the first selectable line stays in view. */
	if (v->top > 0 && v->sel == v->top && !selectable(v, v->top - 1))
		v->top--;
	if (v->top < 0)
		v->top = 0;
}

void
view_select(struct view *v, int line)
{
	int dir = line >= v->sel ? 1 : -1, i;

	if (v->nlines == 0)
		return;
	if (line < 0)
		line = 0;
	if (line >= v->nlines)
		line = v->nlines - 1;
	for (i = line; i >= 0 && i < v->nlines; i += dir)
		if (selectable(v, i)) {
			v->sel = i;
			view_fix_cursor(v);
			return;
		}
	for (i = line; i >= 0 && i < v->nlines; i -= dir)
		if (selectable(v, i)) {
			v->sel = i;
			break;
		}
	view_fix_cursor(v);
}

/* Move the cursor by delta lines, or scroll a VIEW_SCROLL view. */
static void
view_move(struct view *v, int delta)
{
	int i;

	if (v->ops->flags & VIEW_SCROLL) {
		v->top += delta;
		view_fix_cursor(v);
		return;
	}
	if (v->nlines == 0)
		return;
	if (delta == 1 || delta == -1) {
		/* Step over headings; stay put at the ends. */
		for (i = v->sel + delta; i >= 0 && i < v->nlines; i += delta)
			if (selectable(v, i)) {
				v->sel = i;
				break;
			}
		view_fix_cursor(v);
		return;
	}
	view_select(v, v->sel + delta);
}

static void
view_cycle(struct tui *tui, int dir)
{
	int i, start = 0;

	for (i = 0; i < VIEW_COUNT; i++)
		if (tui->views[i] == tui->stack[0])
			start = i;
	for (i = 1; i <= VIEW_COUNT; i++) {
		int id = (start + dir * i + VIEW_COUNT * 2) % VIEW_COUNT;

		if (tui->views[id]->ops->flags & VIEW_TAB) {
			view_show(tui, (enum view_id)id);
			return;
		}
	}
}

void
view_request(struct tui *tui, enum req req)
{
	struct view *v = view_current(tui);

	if (req == REQ_NONE)
		return;
	if (v->ops->request != NULL && v->ops->request(v, req))
		return;
	tui->dirty = true;
	switch (req) {
	case REQ_UP:
		view_move(v, -1);
		break;
	case REQ_DOWN:
		view_move(v, 1);
		break;
	case REQ_PAGE_UP:
		view_move(v, -page(v));
		break;
	case REQ_PAGE_DOWN:
		view_move(v, page(v));
		break;
	case REQ_TOP:
		if (v->ops->flags & VIEW_SCROLL)
			v->top = 0;
		else
			view_select(v, 0);
		break;
	case REQ_BOTTOM:
		if (v->ops->flags & VIEW_SCROLL) {
			v->top = v->nlines;
			view_fix_cursor(v);
		} else
			view_select(v, v->nlines - 1);
		break;
	case REQ_NEXT_VIEW:
		view_cycle(tui, 1);
		break;
	case REQ_PREV_VIEW:
		view_cycle(tui, -1);
		break;
	case REQ_VIEW_TASKS:
		view_show(tui, VIEW_TASKS);
		break;
	case REQ_VIEW_LOG:
		view_show(tui, VIEW_LOG);
		break;
	case REQ_VIEW_REPORT:
		view_show(tui, VIEW_REPORT);
		break;
	case REQ_VIEW_SYNC:
		view_show(tui, VIEW_SYNC);
		break;
	case REQ_HELP:
		if (v == tui->views[VIEW_HELP])
			view_pop(tui);
		else
			view_show(tui, VIEW_HELP);
		break;
	case REQ_BACK:
		view_pop(tui);
		break;
	case REQ_QUIT:
		if (!view_pop(tui))
			tui->quit = true;
		break;
	case REQ_QUIT_ALL:
		tui->quit = true;
		break;
	case REQ_REDRAW:
		clearok(curscr, TRUE);
		tui_reload(tui);
		break;
	case REQ_UNDO:
		action_undo(tui);
		break;
	default:
		break;
	}
}

void
view_draw(struct view *v, int y, int h, int cols)
{
	struct tui *tui = v->tui;
	int i, line;
	bool sel;

	if (v->ops->layout != NULL && v->width != cols) {
		v->ops->layout(v, cols);
		v->width = cols;
	}
	if (v->ops->draw_head != NULL && h > 1) {
		v->ops->draw_head(v, y, cols);
		y++;
		h--;
	}
	v->height = h;
	view_fix_cursor(v);
	if (v->nlines == 0 && v->ops->empty != NULL) {
		ui_text(tui, y + 1, 2, cols - 4, v->ops->empty,
		    ui_attr(tui, UA_DIM), false);
		return;
	}
	for (i = 0; i < h; i++) {
		line = v->top + i;
		if (line >= v->nlines)
			break;
		sel = !(v->ops->flags & VIEW_SCROLL) && line == v->sel;
		if (sel)
			ui_fill(tui, y + i, 0, cols, ui_attr(tui,
			    UA_SELECTED));
		v->ops->draw_line(v, line, y + i, cols, sel);
	}
}
