/* SPDX-License-Identifier: ISC */
/*
 * form.c - line-editing forms, prompts and yes/no questions (form.h).
 *
 * A field is a strbuf of UTF-8 with a cursor on a code point boundary.
 * Edits rebuild the string (fields are short), and only printable
 * characters get in: a title can never receive a control character from
 * a stray key.
 */
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "form.h"
#include "strbuf.h"
#include "text.h"
#include "tui.h"
#include "xmalloc.h"

struct form *
form_new(enum form_kind kind, const char *title, form_submit_fn *submit)
{
	struct form *f = xcalloc(1, sizeof *f);

	f->kind = kind;
	snprintf(f->title, sizeof f->title, "%s", title);
	f->submit = submit;
	return f;
}

void
form_free(struct form *f)
{
	int i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++) {
		strbuf_release(&f->f[i].buf);
		free(f->f[i].orig);
	}
	free(f);
}

void
form_field(struct form *f, const char *label, const char *initial,
    const char *hint)
{
	struct form_field *ff;

	if (f->n == FORM_FIELDS_MAX)
		TOCK_BUG("too many form fields");
	ff = &f->f[f->n++];
	ff->label = label;
	ff->hint = hint;
	strbuf_init(&ff->buf, FORM_FIELD_MAX);
	if (initial != NULL)
		strbuf_add(&ff->buf, initial, strnlen(initial,
		    FORM_FIELD_MAX));
	ff->cur = ff->buf.len;
	ff->orig = xstrdup(ff->buf.buf);
}

const char *
form_value(const struct form *f, int i)
{
	return f->f[i].buf.buf;
}

bool
form_changed(const struct form *f, int i)
{
	return strcmp(f->f[i].buf.buf, f->f[i].orig) != 0;
}

void
form_open(struct tui *tui, struct form *f)
{
	form_free(tui->form);
	tui->form = f;
	tui->dirty = true;
}

/* Replace bytes [from, to) of the field with add[0..addlen). */
static void
field_splice(struct form_field *ff, size_t from, size_t to, const char *add,
    size_t addlen)
{
	struct strbuf nb;

	if (ff->buf.len - (to - from) + addlen > FORM_FIELD_MAX)
		return;
	strbuf_init(&nb, FORM_FIELD_MAX);
	strbuf_add(&nb, ff->buf.buf, from);
	strbuf_add(&nb, add, addlen);
	strbuf_add(&nb, ff->buf.buf + to, ff->buf.len - to);
	strbuf_release(&ff->buf);
	ff->buf = nb;
	ff->cur = from + addlen;
}

/* The start of the code point before byte offset i. */
static size_t
cp_before(const char *s, size_t i)
{
	if (i == 0)
		return 0;
	i--;
	while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
		i--;
	return i;
}

static size_t
utf8_encode(char out[4], unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		if (cp >= 0xd800 && cp < 0xe000)
			return 0;
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	if (cp < 0x110000) {
		out[0] = (char)(0xf0 | (cp >> 18));
		out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[3] = (char)(0x80 | (cp & 0x3f));
		return 4;
	}
	return 0;
}

static bool
is_word(char c)
{
	return c != ' ' && c != '\t';
}

/* Apply an editing key to the current field; false if not an edit key. */
static bool
field_key(struct form_field *ff, int key)
{
	const char *s = ff->buf.buf;
	size_t i;
	char enc[4];

	switch (key) {
	case TK_FN(KEY_LEFT):
	case TK_CTRL('B'):
		ff->cur = cp_before(s, ff->cur);
		return true;
	case TK_FN(KEY_RIGHT):
	case TK_CTRL('F'):
		ff->cur += tui_cp_len(s + ff->cur);
		return true;
	case TK_FN(KEY_HOME):
	case TK_CTRL('A'):
		ff->cur = 0;
		return true;
	case TK_FN(KEY_END):
	case TK_CTRL('E'):
		ff->cur = ff->buf.len;
		return true;
	case TK_FN(KEY_BACKSPACE):
	case TK_DEL:
	case TK_CTRL('H'):
		if (ff->cur > 0)
			field_splice(ff, cp_before(s, ff->cur), ff->cur, "",
			    0);
		return true;
	case TK_FN(KEY_DC):
	case TK_CTRL('D'):
		if (ff->cur < ff->buf.len) {
			i = ff->cur + tui_cp_len(s + ff->cur);
			field_splice(ff, ff->cur, i, "", 0);
		}
		return true;
	case TK_CTRL('U'):
		field_splice(ff, 0, ff->cur, "", 0);
		return true;
	case TK_CTRL('K'):
		field_splice(ff, ff->cur, ff->buf.len, "", 0);
		return true;
	case TK_CTRL('W'):
		i = ff->cur;
		while (i > 0 && !is_word(s[i - 1]))
			i--;
		while (i > 0 && is_word(s[i - 1]))
			i--;
		field_splice(ff, i, ff->cur, "", 0);
		return true;
	}
	/* Printable: not a function key, not C0, DEL or C1. */
	if (key >= 32 && key < TK_FN(0) && key != TK_DEL &&
	    !(key >= 0x80 && key < 0xa0)) {
		size_t n = utf8_encode(enc, (unsigned long)key);

		if (n > 0)
			field_splice(ff, ff->cur, ff->cur, enc, n);
		return true;
	}
	return false;
}

static void
form_close(struct tui *tui)
{
	form_free(tui->form);
	tui->form = NULL;
	tui->dirty = true;
}

static void
form_do_submit(struct tui *tui, struct form *f)
{
	struct tock_err err = TOCK_ERR_INIT;

	if (f->submit == NULL || f->submit(tui, f, &err) == 0) {
		/* submit may have opened a new form in this one's place. */
		if (tui->form == f)
			form_close(tui);
		return;
	}
	snprintf(f->error, sizeof f->error, "%s", err.msg[0] ? err.msg :
	    "cannot do that");
}

void
form_key(struct tui *tui, int key)
{
	struct form *f = tui->form;
	struct form_field *ff;

	if (f == NULL)
		return;
	tui->dirty = true;
	if (f->kind == FORM_CONFIRM) {
		if (key == 'y' || key == 'Y')
			form_do_submit(tui, f);
		else if (key == 'n' || key == 'N' || key == 'q' ||
		    key == TK_ESC || key == TK_CTRL('C')) {
			if (f->cancel != NULL)
				f->cancel(tui, f);
			form_close(tui);
		}
		return;
	}
	switch (key) {
	case TK_ESC:
		if (f->cancel != NULL)
			f->cancel(tui, f);
		form_close(tui);
		return;
	case '\r':
	case '\n':
	case TK_FN(KEY_ENTER):
		form_do_submit(tui, f);
		return;
	case '\t':
	case TK_FN(KEY_DOWN):
		f->cur = (f->cur + 1) % f->n;
		return;
	case TK_FN(KEY_BTAB):
	case TK_FN(KEY_UP):
		f->cur = (f->cur + f->n - 1) % f->n;
		return;
	}
	if (f->n == 0)
		return;
	ff = &f->f[f->cur];
	if (field_key(ff, key)) {
		f->error[0] = '\0';
		if (f->change != NULL)
			f->change(tui, f);
	}
}

/*
 * Draw the field's text in w columns at y, x, scrolled so that the cursor
 * shows; returns the cursor's column.
 */
static int
field_draw(struct tui *tui, struct form_field *ff, int y, int x, int w,
    bool current)
{
	int attr = ui_attr(tui, UA_FIELD);

	if (w < 2)
		return x;
	if (ff->shown > ff->cur || tui_width_n(ff->buf.buf, ff->cur) < w)
		ff->shown = 0;
	while (tui_width_n(ff->buf.buf + ff->shown, ff->cur - ff->shown) >
	    w - 1)
		ff->shown += tui_cp_len(ff->buf.buf + ff->shown);
	if (ff->buf.len == 0 && ff->hint != NULL && !current) {
		ui_fill(tui, y, x, w, attr);
		ui_text(tui, y, x, w, ff->hint, attr | ui_attr(tui, UA_DIM),
		    false);
	} else
		ui_text(tui, y, x, w, ff->buf.buf + ff->shown, attr, true);
	return x + tui_width_n(ff->buf.buf + ff->shown,
	    ff->cur - ff->shown);
}

static void
draw_box_frame(int y, int x, int h, int w)
{
	mvwaddch(stdscr, y, x, ACS_ULCORNER);
	mvwhline(stdscr, y, x + 1, ACS_HLINE, w - 2);
	mvwaddch(stdscr, y, x + w - 1, ACS_URCORNER);
	mvwvline(stdscr, y + 1, x, ACS_VLINE, h - 2);
	mvwvline(stdscr, y + 1, x + w - 1, ACS_VLINE, h - 2);
	mvwaddch(stdscr, y + h - 1, x, ACS_LLCORNER);
	mvwhline(stdscr, y + h - 1, x + 1, ACS_HLINE, w - 2);
	mvwaddch(stdscr, y + h - 1, x + w - 1, ACS_LRCORNER);
}

static void
draw_box(struct tui *tui, struct form *f)
{
	int w, h, y0, x0, labw = 0, i, y, cy = 0, cx = 0, fx;
	int battr = ui_attr(tui, UA_FORM);

	w = tui->cols - 4 < 72 ? tui->cols - 4 : 72;
	h = f->n + 6;
	if (w < 20 || h > tui->rows)
		return;
	y0 = (tui->rows - h) / 2;
	x0 = (tui->cols - w) / 2;
	for (y = 0; y < h; y++)
		ui_fill(tui, y0 + y, x0, w, battr);
	wattrset(stdscr, battr);
	draw_box_frame(y0, x0, h, w);
	ui_text(tui, y0, x0 + 2, w - 4, f->title, battr | A_BOLD, false);
	for (i = 0; i < f->n; i++)
		if (text_width(f->f[i].label) > labw)
			labw = text_width(f->f[i].label);
	fx = x0 + 2 + labw + 2;
	for (i = 0; i < f->n; i++) {
		int col;

		y = y0 + 2 + i;
		ui_text(tui, y, x0 + 2, labw + 1, f->f[i].label,
		    battr | (i == f->cur ? A_BOLD : 0), false);
		col = field_draw(tui, &f->f[i], y, fx, x0 + w - 2 - fx,
		    i == f->cur);
		if (i == f->cur) {
			cy = y;
			cx = col;
		}
	}
	y = y0 + h - 3;
	if (f->error[0] != '\0')
		ui_text(tui, y, x0 + 2, w - 4, f->error,
		    ui_attr(tui, UA_ERROR), false);
	else if (f->f[f->cur].hint != NULL)
		ui_text(tui, y, x0 + 2, w - 4, f->f[f->cur].hint,
		    battr | ui_attr(tui, UA_DIM), false);
	ui_text(tui, y0 + h - 2, x0 + 2, w - 4, f->n > 1 ?
	    "Enter save  Tab next field  Esc cancel" :
	    "Enter save  Esc cancel", battr | ui_attr(tui, UA_DIM), false);
	wattrset(stdscr, A_NORMAL);
	wmove(stdscr, cy, cx);
	curs_set(1);
}

void
form_draw(struct tui *tui)
{
	struct form *f = tui->form;
	int y = tui->rows - 2, x, col;

	if (f == NULL) {
		curs_set(0);
		return;
	}
	if (f->kind == FORM_BOX) {
		draw_box(tui, f);
		return;
	}
	ui_fill(tui, y, 0, tui->cols, A_NORMAL);
	if (f->kind == FORM_CONFIRM) {
		x = ui_text(tui, y, 0, tui->cols, f->title,
		    ui_attr(tui, UA_HEADING), false);
		ui_text(tui, y, x, tui->cols - x, " (y/n)", A_NORMAL, false);
		curs_set(0);
		return;
	}
	/* A prompt: title, then the one field, then an error if any. */
	x = ui_text(tui, y, 0, tui->cols / 2, f->title, A_BOLD, false);
	if (f->error[0] != '\0') {
		int ew = text_width(f->error) + 2;

		if (ew > tui->cols / 2)
			ew = tui->cols / 2;
		ui_text(tui, y, tui->cols - ew, ew, f->error,
		    ui_attr(tui, UA_ERROR), false);
		col = field_draw(tui, &f->f[0], y, x, tui->cols - ew - x - 1,
		    true);
	} else
		col = field_draw(tui, &f->f[0], y, x, tui->cols - x - 1, true);
	wmove(stdscr, y, col);
	curs_set(1);
}
