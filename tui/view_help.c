/* SPDX-License-Identifier: ISC */
/*
 * view_help.c - the help screen (?), written from the key-binding table
 * in keys.c so that it can never disagree with what the keys do, plus
 * the line-editing keys of forms.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "tui.h"
#include "view.h"
#include "xmalloc.h"

struct hline {
	bool heading;
	char *keys;
	char *text;
};

struct help {
	struct hline *lines;
	size_t n, alloc;
	int keyw;
};

static const struct {
	const char *keymap;
	const char *title;
} sections[] = {
	{ "generic", "Everywhere" },
	{ "tasks", "Tasks" },
	{ "detail", "Task" },
	{ "log", "Log" },
	{ "report", "Week" },
	{ "sync", "Sync" },
};

static const char *const form_keys[][2] = {
	{ "Enter", "save (in a search: keep it)" },
	{ "Esc", "cancel" },
	{ "Tab, Down", "next field" },
	{ "S-Tab, Up", "previous field" },
	{ "Left, Right", "move the cursor (also Ctrl-B, Ctrl-F)" },
	{ "Home, End", "start and end of the line (also Ctrl-A, Ctrl-E)" },
	{ "Backspace, Del", "delete before, under the cursor (also Ctrl-D)" },
	{ "Ctrl-U, Ctrl-K", "delete to the start, to the end of the line" },
	{ "Ctrl-W", "delete the word before the cursor" },
};

static void
push(struct help *h, bool heading, char *keys, char *text)
{
	if (h->n == h->alloc) {
		h->alloc = h->alloc ? h->alloc * 2 : 64;
		h->lines = xrealloc(h->lines, h->alloc * sizeof *h->lines);
	}
	h->lines[h->n].heading = heading;
	h->lines[h->n].keys = keys;
	h->lines[h->n].text = text;
	h->n++;
	if (keys != NULL && (int)strlen(keys) > h->keyw)
		h->keyw = (int)strlen(keys);
}

/* Is name one of the ", "-separated names in list? */
static bool
listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = list; (p = strstr(p, name)) != NULL; p++)
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' ||
		    p[n] == ','))
			return true;
	return false;
}

static void
help_open(struct view *v)
{
	struct help *h = xcalloc(1, sizeof *h);
	const struct key_binding *b, *o;
	struct strbuf keys = STRBUF_INIT;
	char name[32];
	size_t s, i, j;

	v->priv = h;
	push(h, false, NULL, xstrdup("tock-tui: tasks and time on the local "
	    "replica.  Changes made elsewhere show up by themselves."));
	for (s = 0; s < sizeof sections / sizeof sections[0]; s++) {
		push(h, false, NULL, xstrdup(""));
		push(h, true, NULL, xstrdup(sections[s].title));
		for (i = 0; (b = keys_at(i)) != NULL; i++) {
			if (b->help == NULL ||
			    strcmp(b->keymap, sections[s].keymap) != 0)
				continue;
			/* All keys of this keymap that do the same. */
			strbuf_reset(&keys);
			for (j = 0; (o = keys_at(j)) != NULL; j++) {
				if (o->req != b->req ||
				    strcmp(o->keymap, b->keymap) != 0)
					continue;
				keys_name(name, sizeof name, o->key);
				if (listed(keys.buf, name))
					continue;
				strbuf_addf(&keys, "%s%s", keys.len ? ", " :
				    "", name);
			}
			push(h, false, strbuf_detach(&keys, NULL),
			    xstrdup(b->help));
		}
	}
	push(h, false, NULL, xstrdup(""));
	push(h, true, NULL, xstrdup("In forms"));
	for (i = 0; i < sizeof form_keys / sizeof form_keys[0]; i++)
		push(h, false, xstrdup(form_keys[i][0]),
		    xstrdup(form_keys[i][1]));
	strbuf_release(&keys);
}

static void
help_close(struct view *v)
{
	struct help *h = v->priv;
	size_t i;

	for (i = 0; i < h->n; i++) {
		free(h->lines[i].keys);
		free(h->lines[i].text);
	}
	free(h->lines);
	free(h);
}

static int
help_load(struct view *v, struct tock_err *err)
{
	struct help *h = v->priv;

	v->nlines = (int)h->n;
	return 0;
}

static void
help_draw_line(struct view *v, int line, int y, int cols, bool sel)
{
	struct help *h = v->priv;
	struct tui *tui = v->tui;
	const struct hline *l = &h->lines[line];
	int x = 2;

	if (l->heading) {
		ui_text(tui, y, 0, cols, l->text, ui_attr(tui, UA_HEADING),
		    false);
		return;
	}
	if (l->keys == NULL) {
		ui_text(tui, y, 0, cols, l->text, A_NORMAL, false);
		return;
	}
	ui_text(tui, y, x, h->keyw, l->keys, ui_attr(tui, UA_KEY), false);
	x += h->keyw + 2;
	ui_text(tui, y, x, cols - x, l->text, A_NORMAL, false);
}

const struct view_ops view_help_ops = {
	.name = "help",
	.title = "Help",
	.flags = VIEW_SCROLL,
	.open = help_open,
	.close = help_close,
	.load = help_load,
	.draw_line = help_draw_line,
};
