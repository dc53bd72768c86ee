/* SPDX-License-Identifier: ISC */
/*
 * tui.h - tock-tui's shared state and the calls its files make to each
 * other: the requests keys are turned into (keys.c), the screen helpers
 * and the loop (ui.c), the actions several screens share (actions.c) and
 * the one-level undo.
 *
 * There is one struct tui per process, made by main.c and passed to
 * everything explicitly; views keep their own data in struct view.  All
 * data comes from common/ (db.h reads, ops.h writes): no SQL here.
 */
#ifndef TOCK_TUI_H
#define TOCK_TUI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct db;
struct form;
struct strbuf;
struct tock_err;
struct view;

/*
 * Keys as the loop hands them on: a character is its code point, a curses
 * function key (KEY_DOWN...) has TK_FN set so that it cannot collide with
 * a code point above 0400.
 */
#define TK_FN(k)	((k) | 0x40000000)
#define TK_CTRL(c)	((c) & 0x1f)
#define TK_ESC		27
#define TK_DEL		127

/* What a key asks for; views act on requests, never on raw keys. */
enum req {
	REQ_NONE,
	REQ_UP,
	REQ_DOWN,
	REQ_PAGE_UP,
	REQ_PAGE_DOWN,
	REQ_TOP,
	REQ_BOTTOM,
	REQ_ENTER,
	REQ_BACK,
	REQ_QUIT,
	REQ_QUIT_ALL,
	REQ_NEXT_VIEW,
	REQ_PREV_VIEW,
	REQ_VIEW_TASKS,
	REQ_VIEW_LOG,
	REQ_VIEW_REPORT,
	REQ_VIEW_SYNC,
	REQ_HELP,
	REQ_REDRAW,
	REQ_UNDO,
	REQ_TIMER,
	REQ_ADD,
	REQ_EDIT,
	REQ_DONE,
	REQ_DELETE,
	REQ_TRACK,
	REQ_SEARCH,
	REQ_COMMENT,
	REQ_FILTER_STATUS,
	REQ_FILTER_TAG,
	REQ_FILTER_MINE,
	REQ_PREV_PERIOD,
	REQ_NEXT_PERIOD,
	REQ_THIS_PERIOD,
};

/* The screens, in the order of the view table (view.c). */
enum view_id {
	VIEW_TASKS,
	VIEW_LOG,
	VIEW_REPORT,
	VIEW_SYNC,
	VIEW_DETAIL,
	VIEW_HELP,
	VIEW_COUNT,
};

/* Semantic attributes; ui.c maps them to colour pairs or, without colour,
 * to bold/reverse/underline. */
enum ui_attr {
	UA_NORMAL,
	UA_HEADER,
	UA_HEADER_RUN,
	UA_TAB,
	UA_TAB_CUR,
	UA_COLHEAD,
	UA_SELECTED,
	UA_RUNNING,
	UA_DIM,
	UA_OVERDUE,
	UA_ERROR,
	UA_INFO,
	UA_KEY,
	UA_BAR,
	UA_HEADING,
	UA_FORM,
	UA_FIELD,
	UA_COUNT,
};

/* Glyphs with an ASCII stand-in for terminals without UTF-8. */
enum ui_glyph {
	G_RUN,
	G_STOP,
	G_DOT,
	G_BAR,
	G_BAR_HALF,
	G_DASH,
	G_VBAR,
	G_COUNT,
};

/* The undo of the last change made in the TUI: enough to put it back. */
enum undo_kind {
	UNDO_NONE,
	UNDO_TASK_CREATE,	/* delete it again */
	UNDO_TASK_UPDATE,	/* write the old field values back */
	UNDO_TASK_DELETE,	/* restore */
	UNDO_ENTRY_CREATE,
	UNDO_ENTRY_UPDATE,
	UNDO_ENTRY_DELETE,
};

#define UNDO_FIELDS_MAX 8

struct undo {
	enum undo_kind kind;
	char id[UUID_STRLEN + 1];
	char what[160];		/* "delete of task 3 'x'" (messages) */
	int n;
	struct undo_field {
		char name[80];
		enum field_type type;
		char *text;	/* owned */
		int64_t num;
	} f[UNDO_FIELDS_MAX];
};

#define TUI_STACK_MAX 8

struct tui {
	struct db *db;
	const char *db_path;

	/* Header data: reloaded whenever the database changes. */
	struct entry *running;		/* NULL when no timer runs */
	int64_t today_start;
	int64_t today_closed;		/* today, running entry aside */
	int64_t outbox;			/* ops waiting for sync */
	char sync_label[64];		/* "synced", "offline", ... */
	int64_t data_version;

	/* Screens: views[] by id; the current one is stack[depth - 1]. */
	struct view *views[VIEW_COUNT];
	struct view *stack[TUI_STACK_MAX];
	int depth;

	struct form *form;		/* the open form or prompt, or NULL */
	/* A row just made or restored: the view showing it selects it. */
	char focus_id[UUID_STRLEN + 1];
	struct undo undo;

	char msg[256];			/* the status line */
	bool msg_error;
	int64_t msg_until;

	bool dirty;			/* redraw before waiting again */
	bool quit;
	bool utf8;			/* the locale's charset is UTF-8 */
	bool colour;
	int rows, cols;
};

/* ui.c: curses setup, the loop, and drawing helpers for the views. */
int ui_init(struct tui *tui, bool on_tty, struct tock_err *err);
void ui_fini(void);
int ui_run(struct tui *tui);
void ui_draw(struct tui *tui);
int ui_attr(struct tui *tui, enum ui_attr a);
const char *ui_glyph(struct tui *tui, enum ui_glyph g);
/* Fill w columns at y, x with spaces in attr. */
void ui_fill(struct tui *tui, int y, int x, int w, int attr);
/* Print UTF-8 text cut to w columns (with an ellipsis when cut), padded
 * to exactly w when pad; returns the columns used. */
int ui_text(struct tui *tui, int y, int x, int w, const char *s, int attr,
    bool pad);
/* The same, right-aligned so that the text ends before column xend. */
int ui_text_right(struct tui *tui, int y, int xend, int w, const char *s,
    int attr);
/* Status line messages (kept for a few seconds). */
void tui_msg(struct tui *tui, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void tui_error(struct tui *tui, const struct tock_err *err);

/* Reload the header data and every loaded view (after a change). */
void tui_reload(struct tui *tui);
int tui_reload_header(struct tui *tui, struct tock_err *err);
/* Elapsed time of the running entry and today's total at now. */
int64_t tui_today_total(const struct tui *tui, int64_t now);

/* keys.c: the binding table. */
enum req keys_lookup(const char *keymap, int key);
/* The footer of a keymap that fits in cols: up to max items in out;
 * returns how many. */
struct footer_item {
	char key[32];
	const char *label;	/* static */
};
int keys_footer(const char *keymap, int cols, struct footer_item *out,
    int max);
/* Display name of a key ("j", "Enter", "Ctrl-L"). */
void keys_name(char *buf, size_t n, int key);
/* Iterate over the table for the help view; NULL past the end. */
struct key_binding {
	const char *keymap;	/* "generic" or a view's name */
	int key;
	enum req req;
	const char *footer;	/* short label for the footer, or NULL */
	const char *help;	/* the help screen's line, or NULL */
};
const struct key_binding *keys_at(size_t i);

/* actions.c: what several screens do the same way. */
void action_timer_toggle(struct tui *tui, const char *task_id);
void action_task_add(struct tui *tui);
void action_task_edit(struct tui *tui, const char *task_id);
void action_task_done(struct tui *tui, const char *task_id);
void action_task_delete(struct tui *tui, const char *task_id);
void action_track(struct tui *tui, const char *task_id);
void action_comment(struct tui *tui, const char *task_id);
void action_entry_edit(struct tui *tui, const char *entry_id);
void action_entry_delete(struct tui *tui, const char *entry_id);
void action_undo(struct tui *tui);
void undo_release(struct undo *u);

/* UTF-8 helpers for forms and wrapping. */
/* Columns of s[0..len). */
int tui_width_n(const char *s, size_t len);
/* Bytes of the code point at s (1 for a bad byte, 0 at the end). */
size_t tui_cp_len(const char *s);
/* A "task 3 'title'" phrase for messages. */
void tui_task_phrase(char *buf, size_t n, const struct task *t);

#endif
