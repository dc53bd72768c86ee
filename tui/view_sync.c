/* SPDX-License-Identifier: ISC */
/*
 * view_sync.c - the sync screen (4): where this replica syncs to and how
 * it stands (last sync, pending changes, scopes), the conflicts (edits
 * that lost to a concurrent edit, kept here so nothing is lost unseen)
 * and the quarantine (changes the server refused).  Enter on a conflict
 * marks it seen; everything comes from common/sync.h, as tock sync status
 * and tock conflicts have it.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "strbuf.h"
#include "sync.h"
#include "timeparse.h"
#include "tui.h"
#include "view.h"
#include "xmalloc.h"

enum sline_kind {
	SL_TEXT,
	SL_HEADING,
	SL_CONFLICT,
	SL_QUARANTINE,
};

struct sline {
	enum sline_kind kind;
	char *text;
	int64_t id;		/* conflict id */
	bool seen;
};

struct syncview {
	struct sline *lines;
	size_t n, alloc;
	int64_t unseen;
};

static void
push(struct syncview *s, enum sline_kind kind, char *text, int64_t id,
    bool seen)
{
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? s->alloc * 2 : 32;
		s->lines = xrealloc(s->lines, s->alloc * sizeof *s->lines);
	}
	s->lines[s->n].kind = kind;
	s->lines[s->n].text = text;
	s->lines[s->n].id = id;
	s->lines[s->n].seen = seen;
	s->n++;
}

static void
lines_clear(struct syncview *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->lines[i].text);
	s->n = 0;
}

static void
sync_open(struct view *v)
{
	v->priv = xcalloc(1, sizeof(struct syncview));
}

static void
sync_close(struct view *v)
{
	struct syncview *s = v->priv;

	lines_clear(s);
	free(s->lines);
	free(s);
}

static int
add_conflict(const struct sync_conflict *c, void *arg)
{
	struct syncview *s = arg;
	char when[64];

	timefmt_local(when, sizeof when, c->detected_at, "%Y-%m-%d %H:%M");
	push(s, SL_CONFLICT, xasprintf("%s  %s %s: lost %s%s", when,
	    c->title != NULL ? c->title : c->entity, c->field,
	    c->loser_value != NULL ? c->loser_value : "null",
	    c->seen ? "" : "  (new)"), c->id, c->seen);
	if (!c->seen)
		s->unseen++;
	return 0;
}

static int
add_quarantined(const struct sync_quarantined *q, void *arg)
{
	struct syncview *s = arg;
	char when[64];

	timefmt_local(when, sizeof when, q->rejected_at, "%Y-%m-%d %H:%M");
	push(s, SL_QUARANTINE, xasprintf("%s  %s: %s", when, q->code,
	    q->message != NULL ? q->message : ""), 0, true);
	return 0;
}

static int
sync_load(struct view *v, struct tock_err *err)
{
	struct syncview *s = v->priv;
	struct sync_status st;
	char ago[64];
	size_t before;
	int rc, i;

	lines_clear(s);
	s->unseen = 0;
	if ((rc = sync_status_get(v->tui->db, &st, err)) != 0)
		return rc;
	push(s, SL_HEADING, xstrdup("Sync"), 0, true);
	if (st.server_url == NULL)
		push(s, SL_TEXT, xstrdup("  Not logged in: this replica is "
		    "local only.  'tock login URL' shares it."), 0, true);
	else {
		push(s, SL_TEXT, xasprintf("  %s as %s", st.server_url,
		    st.email != NULL ? st.email : "?"), 0, true);
		timefmt_ago(ago, sizeof ago, st.last_sync, time_now_ms());
		push(s, SL_TEXT, xasprintf("  Last sync: %s", ago), 0, true);
		if (st.last_error != NULL)
			push(s, SL_TEXT, xasprintf("  Last error: %s",
			    st.last_error), 0, true);
	}
	push(s, SL_TEXT, xasprintf("  %lld pending, %lld quarantined, "
	    "%lld unseen conflicts", (long long)st.pending,
	    (long long)st.quarantined, (long long)st.conflicts), 0, true);
	for (i = 0; i < st.nscopes; i++)
		push(s, SL_TEXT, xasprintf("  %-24.24s %-8s at %lld%s",
		    st.scopes[i].name[0] != '\0' ? st.scopes[i].name :
		    st.scopes[i].id, st.scopes[i].state,
		    (long long)st.scopes[i].cursor, st.scopes[i].head >
		    st.scopes[i].cursor ? " (behind)" : ""), 0, true);
	sync_status_release(&st);

	push(s, SL_TEXT, xstrdup(""), 0, true);
	push(s, SL_HEADING, xstrdup("Conflicts"), 0, true);
	before = s->n;
	if ((rc = sync_conflict_list(v->tui->db, true, add_conflict, s,
	    err)) != 0)
		return rc;
	if (s->n == before)
		push(s, SL_TEXT, xstrdup("  none"), 0, true);

	push(s, SL_TEXT, xstrdup(""), 0, true);
	push(s, SL_HEADING, xstrdup("Quarantine"), 0, true);
	before = s->n;
	if ((rc = sync_quarantine_list(v->tui->db, add_quarantined, s,
	    err)) != 0)
		return rc;
	if (s->n == before)
		push(s, SL_TEXT, xstrdup("  none"), 0, true);
	v->nlines = (int)s->n;
	return 0;
}

static bool
sync_selectable(struct view *v, int line)
{
	struct syncview *s = v->priv;

	return s->lines[line].kind == SL_CONFLICT ||
	    s->lines[line].kind == SL_QUARANTINE;
}

static void
sync_draw_line(struct view *v, int line, int y, int cols, bool sel)
{
	struct syncview *s = v->priv;
	struct tui *tui = v->tui;
	const struct sline *l = &s->lines[line];
	int attr = (int)A_NORMAL;

	switch (l->kind) {
	case SL_HEADING:
		attr = ui_attr(tui, UA_HEADING);
		break;
	case SL_CONFLICT:
		attr = l->seen ? ui_attr(tui, UA_DIM) : ui_attr(tui, UA_OVERDUE);
		break;
	case SL_QUARANTINE:
		attr = ui_attr(tui, UA_ERROR);
		break;
	case SL_TEXT:
		break;
	}
	if (sel)
		attr = ui_attr(tui, UA_SELECTED);
	ui_fill(tui, y, 0, cols, sel ? attr : (int)A_NORMAL);
	ui_text(tui, y, l->kind == SL_HEADING ? 0 : 2, cols - 2, l->text, attr,
	    false);
}

static int
sync_request(struct view *v, enum req req)
{
	struct syncview *s = v->priv;
	struct tock_err err = TOCK_ERR_INIT;

	if (req != REQ_ENTER || v->sel < 0 || (size_t)v->sel >= s->n ||
	    s->lines[v->sel].kind != SL_CONFLICT)
		return 0;
	if (sync_conflict_seen(v->tui->db, s->lines[v->sel].id, &err) != 0) {
		tui_error(v->tui, &err);
		return 1;
	}
	tui_reload(v->tui);
	return 1;
}

static void
sync_info(struct view *v, struct strbuf *sb)
{
	struct syncview *s = v->priv;

	if (s->unseen > 0)
		strbuf_addf(sb, "%lld new conflict%s", (long long)s->unseen,
		    s->unseen == 1 ? "" : "s");
}

const struct view_ops view_sync_ops = {
	.name = "sync",
	.title = "Sync",
	.empty = "",
	.flags = VIEW_TAB,
	.open = sync_open,
	.close = sync_close,
	.load = sync_load,
	.draw_line = sync_draw_line,
	.selectable = sync_selectable,
	.request = sync_request,
	.info = sync_info,
};
