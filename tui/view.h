/* SPDX-License-Identifier: ISC */
/*
 * view.h - the screens of tock-tui (tig's view_ops).
 *
 * Every screen is a list of lines: the view says how many it has, how to
 * draw one, and what to do with a request; view.c does the rest (cursor,
 * scrolling, paging, the stack of open screens).  A screen is one file,
 * view_<name>.c, exporting view_<name>_ops, plus one row in the table in
 * view.c; the conflicts and quarantine screens that sync will bring are
 * meant to be added that way.
 *
 * A view is created once (open) and lives until the program ends
 * (close).  load() is called when the view is first shown and again
 * whenever the database changed; it must keep the selection on the same
 * row where it can.
 */
#ifndef TOCK_VIEW_H
#define TOCK_VIEW_H

#include <stdbool.h>

#include "tui.h"

struct strbuf;
struct tock_err;

enum view_flags {
	VIEW_TAB = 1 << 0,	/* in the Tab ring (top-level screen) */
	VIEW_SCROLL = 1 << 1,	/* no cursor: j/k scroll the text */
	VIEW_LIVE = 1 << 2,	/* reload every second while a timer runs
				 * (its numbers count the running time) */
};

struct view {
	const struct view_ops *ops;
	struct tui *tui;
	void *priv;		/* the view's own data, owned by it */
	int nlines;		/* lines the view has now */
	int sel;		/* selected line (-1: none) */
	int top;		/* first line on screen */
	int height;		/* lines on screen at the last draw */
	int width;		/* columns at the last layout */
	bool loaded;		/* load() has run since the last change */
};

struct view_ops {
	const char *name;	/* keymap name and log name */
	const char *title;	/* in the tab bar */
	const char *empty;	/* said when there are no lines */
	int flags;
	void (*open)(struct view *v);
	void (*close)(struct view *v);
	/* Query the database; sets nlines.  Called again after changes. */
	int (*load)(struct view *v, struct tock_err *err);
	/* Optional: rebuild lines for a new width (wrapping). */
	void (*layout)(struct view *v, int cols);
	/* Optional: a column heading drawn above the lines. */
	void (*draw_head)(struct view *v, int y, int cols);
	void (*draw_line)(struct view *v, int line, int y, int cols,
	    bool selected);
	/* Optional: lines the cursor may rest on (default: all). */
	bool (*selectable)(struct view *v, int line);
	/* 1 if handled, 0 to let view.c handle it. */
	int (*request)(struct view *v, enum req req);
	/* Optional: what the tab bar says about the view ("12 of 40"). */
	void (*info)(struct view *v, struct strbuf *sb);
};

extern const struct view_ops view_tasks_ops;
extern const struct view_ops view_log_ops;
extern const struct view_ops view_report_ops;
extern const struct view_ops view_sync_ops;
extern const struct view_ops view_detail_ops;
extern const struct view_ops view_help_ops;

/* view.c */
void view_open_all(struct tui *tui);
void view_close_all(struct tui *tui);
struct view *view_current(struct tui *tui);
/* Show a view: a top-level one replaces the stack, others are pushed. */
void view_show(struct tui *tui, enum view_id id);
/* Close the pushed view on top; false at the bottom. */
bool view_pop(struct tui *tui);
/* Load v if it is not loaded; errors go to the status line. */
void view_ensure_loaded(struct view *v);
/* Mark every view for reload and reload the one on screen. */
void view_reload_all(struct tui *tui);
/* Draw v in rows [y, y + h). */
void view_draw(struct view *v, int y, int h, int cols);
/* Handle a request: the view first, then navigation and switching. */
void view_request(struct tui *tui, enum req req);
/* Move the cursor to line (clamped, onto a selectable line). */
void view_select(struct view *v, int line);
/* Keep sel visible after nlines changed. */
void view_fix_cursor(struct view *v);
/* The detail view shows this task next. */
void view_detail_set(struct tui *tui, const char *task_id);

#endif
