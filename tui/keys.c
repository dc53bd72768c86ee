/* SPDX-License-Identifier: ISC */
/*
 * keys.c - the key-binding table (tmux's key-bindings.c, tig's keymaps).
 *
 * A row binds a key in a keymap to a request.  The keymap is a view's name
 * or "generic"; a view's own rows win over the generic ones.  The same
 * table writes the footer (the rows with a footer label, in table order,
 * as many as fit) and the help screen.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "text.h"
#include "tui.h"

static const struct key_binding bindings[] = {
	/* Screens and the program. */
	{ "generic", '\t', REQ_NEXT_VIEW, NULL, "next screen" },
	{ "generic", TK_FN(KEY_BTAB), REQ_PREV_VIEW, NULL, "previous screen" },
	{ "generic", '1', REQ_VIEW_TASKS, NULL, "tasks screen" },
	{ "generic", '2', REQ_VIEW_LOG, NULL, "time log screen" },
	{ "generic", '3', REQ_VIEW_REPORT, NULL, "week report screen" },
	{ "generic", '4', REQ_VIEW_SYNC, NULL, "sync screen: state, conflicts, "
	    "quarantine" },
	{ "generic", '?', REQ_HELP, "help", "this help" },
	{ "generic", 'q', REQ_QUIT, "quit", "close this screen; quit from "
	    "the top one" },
	{ "generic", 'Q', REQ_QUIT_ALL, NULL, "quit" },
	{ "generic", TK_ESC, REQ_BACK, NULL, "back, or clear the search" },
	{ "generic", 'u', REQ_UNDO, NULL, "undo the last change made here" },
	{ "generic", TK_CTRL('L'), REQ_REDRAW, NULL, "redraw the screen" },
	/* Moving. */
	{ "generic", 'j', REQ_DOWN, NULL, "down" },
	{ "generic", TK_FN(KEY_DOWN), REQ_DOWN, NULL, NULL },
	{ "generic", 'k', REQ_UP, NULL, "up" },
	{ "generic", TK_FN(KEY_UP), REQ_UP, NULL, NULL },
	{ "generic", 'g', REQ_TOP, NULL, "first line" },
	{ "generic", TK_FN(KEY_HOME), REQ_TOP, NULL, NULL },
	{ "generic", 'G', REQ_BOTTOM, NULL, "last line" },
	{ "generic", TK_FN(KEY_END), REQ_BOTTOM, NULL, NULL },
	{ "generic", TK_FN(KEY_NPAGE), REQ_PAGE_DOWN, NULL, "page down" },
	{ "generic", TK_CTRL('F'), REQ_PAGE_DOWN, NULL, NULL },
	{ "generic", ' ', REQ_PAGE_DOWN, NULL, NULL },
	{ "generic", TK_FN(KEY_PPAGE), REQ_PAGE_UP, NULL, "page up" },
	{ "generic", TK_CTRL('B'), REQ_PAGE_UP, NULL, NULL },
	{ "generic", '\r', REQ_ENTER, NULL, "open" },
	{ "generic", '\n', REQ_ENTER, NULL, NULL },
	{ "generic", TK_FN(KEY_ENTER), REQ_ENTER, NULL, NULL },

	/* The task list. */
	{ "tasks", 's', REQ_TIMER, "timer", "start or stop the timer on the "
	    "task" },
	{ "tasks", 'a', REQ_ADD, "add", "add a task" },
	{ "tasks", 'e', REQ_EDIT, "edit", "edit the task" },
	{ "tasks", 'd', REQ_DONE, "done", "mark the task done (again: "
	    "reopen it)" },
	{ "tasks", 'x', REQ_DELETE, "delete", "delete the task (asks first)" },
	{ "tasks", 't', REQ_TRACK, "track", "track time on the task after "
	    "the fact" },
	{ "tasks", '/', REQ_SEARCH, "search", "search titles and tags as "
	    "you type" },
	{ "tasks", 'S', REQ_FILTER_STATUS, "status", "show open, todo, in "
	    "progress, done, cancelled or all tasks" },
	{ "tasks", 'T', REQ_FILTER_TAG, "tag", "show tasks with a tag" },
	{ "tasks", 'm', REQ_FILTER_MINE, "mine", "show tasks assigned to "
	    "me only" },
	{ "tasks", 'u', REQ_UNDO, "undo", NULL },
	{ "tasks", '\r', REQ_ENTER, NULL, "show the task" },

	/* One task. */
	{ "detail", 's', REQ_TIMER, "timer", "start or stop the timer on "
	    "this task" },
	{ "detail", 'c', REQ_COMMENT, "comment", "add a comment" },
	{ "detail", 'e', REQ_EDIT, "edit", "edit the task" },
	{ "detail", 'd', REQ_DONE, "done", "mark the task done (again: "
	    "reopen it)" },
	{ "detail", 't', REQ_TRACK, "track", "track time on this task" },
	{ "detail", 'x', REQ_DELETE, "delete", "delete the task (asks "
	    "first)" },
	{ "detail", 'h', REQ_BACK, NULL, "back" },
	{ "detail", TK_FN(KEY_LEFT), REQ_BACK, NULL, NULL },
	{ "detail", 'u', REQ_UNDO, "undo", NULL },
	{ "detail", 'q', REQ_BACK, "back", NULL },

	/* The time log. */
	{ "log", 'e', REQ_EDIT, "edit", "edit start, end and note of the "
	    "entry" },
	{ "log", 'x', REQ_DELETE, "delete", "delete the entry (u undoes)" },
	{ "log", 't', REQ_TRACK, "track", "track time on the entry's task" },
	{ "log", 's', REQ_TIMER, "timer", "start or stop the timer on the "
	    "entry's task" },
	{ "log", '[', REQ_PREV_PERIOD, "earlier", "the 7 days before" },
	{ "log", ']', REQ_NEXT_PERIOD, "later", "the 7 days after" },
	{ "log", '.', REQ_THIS_PERIOD, NULL, "back to the last 7 days" },
	{ "log", 'u', REQ_UNDO, "undo", NULL },
	{ "log", '\r', REQ_ENTER, NULL, "show the entry's task" },

	/* The week report. */
	{ "report", '[', REQ_PREV_PERIOD, "prev week", "the week before" },
	{ "report", ']', REQ_NEXT_PERIOD, "next week", "the week after" },
	{ "report", '.', REQ_THIS_PERIOD, "this week", "this week" },
	{ "report", 'h', REQ_PREV_PERIOD, NULL, NULL },
	{ "report", 'l', REQ_NEXT_PERIOD, NULL, NULL },

	/* The sync screen. */
	{ "sync", '\r', REQ_ENTER, "seen", "mark the conflict seen" },

	/* Help. */
	{ "help", 'q', REQ_BACK, "back", NULL },
	{ "help", 'h', REQ_BACK, NULL, NULL },
};

#define NBINDINGS (sizeof bindings / sizeof bindings[0])

const struct key_binding *
keys_at(size_t i)
{
	return i < NBINDINGS ? &bindings[i] : NULL;
}

enum req
keys_lookup(const char *keymap, int key)
{
	size_t i;

	/* Enter comes as \r (nonl) or \n or KEY_ENTER: one meaning. */
	if (key == '\n' || key == TK_FN(KEY_ENTER))
		key = '\r';
	for (i = 0; i < NBINDINGS; i++)
		if (bindings[i].key == key &&
		    strcmp(bindings[i].keymap, keymap) == 0)
			return bindings[i].req;
	for (i = 0; i < NBINDINGS; i++)
		if (bindings[i].key == key &&
		    strcmp(bindings[i].keymap, "generic") == 0)
			return bindings[i].req;
	return REQ_NONE;
}

void
keys_name(char *buf, size_t n, int key)
{
	static const struct {
		int key;
		const char *name;
	} names[] = {
		{ '\t', "Tab" }, { '\r', "Enter" }, { '\n', "Enter" },
		{ ' ', "Space" }, { TK_ESC, "Esc" },
		{ TK_FN(KEY_BTAB), "S-Tab" }, { TK_FN(KEY_DOWN), "Down" },
		{ TK_FN(KEY_UP), "Up" }, { TK_FN(KEY_LEFT), "Left" },
		{ TK_FN(KEY_RIGHT), "Right" }, { TK_FN(KEY_HOME), "Home" },
		{ TK_FN(KEY_END), "End" }, { TK_FN(KEY_NPAGE), "PgDn" },
		{ TK_FN(KEY_PPAGE), "PgUp" }, { TK_FN(KEY_ENTER), "Enter" },
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].key == key) {
			snprintf(buf, n, "%s", names[i].name);
			return;
		}
	if (key > 0 && key < 32)
		snprintf(buf, n, "Ctrl-%c", key + '@');
	else if (key > 32 && key < 127)
		snprintf(buf, n, "%c", key);
	else
		snprintf(buf, n, "#%d", key);
}

/* Add row b's key and label if they fit in the room left. */
static bool
footer_add(struct footer_item *out, int *n, int max,
    const struct key_binding *b, int *room)
{
	char name[32];
	int w;

	keys_name(name, sizeof name, b->key);
	w = text_width(name) + 1 + text_width(b->footer) + 2;
	if (w > *room || *n == max)
		return false;
	snprintf(out[*n].key, sizeof out[*n].key, "%s", name);
	out[*n].label = b->footer;
	(*n)++;
	*room -= w;
	return true;
}

/*
 * The footer of a keymap: its rows with a footer label, in table order,
 * as many as fit in cols, then the generic ones (help, quit) whose room
 * is kept first so that they always show.
 */
int
keys_footer(const char *keymap, int cols, struct footer_item *out, int max)
{
	struct footer_item tail[8];
	int room = cols - 1, n = 0, ntail = 0, i;
	size_t k, j;

	for (k = 0; k < NBINDINGS; k++) {
		const struct key_binding *b = &bindings[k];

		if (b->footer == NULL || strcmp(b->keymap, "generic") != 0)
			continue;
		/* Overridden by the view's keymap? */
		for (j = 0; j < NBINDINGS; j++)
			if (bindings[j].key == b->key &&
			    strcmp(bindings[j].keymap, keymap) == 0)
				break;
		if (j == NBINDINGS)
			footer_add(tail, &ntail, 8, b, &room);
	}
	for (k = 0; k < NBINDINGS; k++) {
		const struct key_binding *b = &bindings[k];

		if (b->footer != NULL && strcmp(b->keymap, keymap) == 0 &&
		    !footer_add(out, &n, max - ntail, b, &room))
			break;
	}
	for (i = 0; i < ntail && n < max; i++)
		out[n++] = tail[i];
	return n;
}
