/* SPDX-License-Identifier: ISC */
/*
 * form.h - modal input over a screen: a box of labelled fields, a
 * one-line prompt at the bottom (search), or a yes/no question.
 *
 * Fields hold UTF-8 and edit like a shell line: Left/Right, Home/End
 * (Ctrl-A/Ctrl-E), Backspace, Delete (Ctrl-D), Ctrl-U (to the start),
 * Ctrl-K (to the end), Ctrl-W (a word back).  Tab/Down and
 * Shift-Tab/Up move between fields, Enter submits, Esc cancels.
 *
 * The form belongs to struct tui while it is open (tui->form); the main
 * loop keeps running underneath, so the header keeps ticking and other
 * processes' changes still show.  submit() returning non-zero keeps the
 * form open with err's message in it, so the user can fix the input.
 */
#ifndef TOCK_FORM_H
#define TOCK_FORM_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"
#include "strbuf.h"

struct tock_err;
struct tui;

#define FORM_FIELDS_MAX 6
#define FORM_FIELD_MAX 4096	/* bytes a field may hold */

enum form_kind {
	FORM_BOX,
	FORM_PROMPT,
	FORM_CONFIRM,
};

enum form_result {
	FORM_KEEP,
	FORM_DONE,
	FORM_CANCEL,
};

struct form;
typedef int form_submit_fn(struct tui *tui, struct form *f,
    struct tock_err *err);
typedef void form_change_fn(struct tui *tui, struct form *f);

struct form_field {
	const char *label;
	const char *hint;	/* shown dimmed while the field is empty */
	struct strbuf buf;
	char *orig;		/* the initial value (owned), to see edits */
	size_t cur;		/* cursor, a byte offset on a code point */
	size_t shown;		/* first byte shown */
};

struct form {
	enum form_kind kind;
	char title[160];
	struct form_field f[FORM_FIELDS_MAX];
	int n;			/* fields in use */
	int cur;		/* the field being edited */
	char error[256];
	form_submit_fn *submit;
	form_change_fn *change;	/* after each edit (search) */
	form_change_fn *cancel;	/* on Esc, before the form goes */
	/* What the form is about, for the callbacks. */
	char id[UUID_STRLEN + 1];
	int64_t num;
	void *arg;
};

struct form *form_new(enum form_kind kind, const char *title,
    form_submit_fn *submit);
void form_free(struct form *f);
/* Add a field holding initial (may be NULL); the label and hint are
 * borrowed and must outlive the form (string literals). */
void form_field(struct form *f, const char *label, const char *initial,
    const char *hint);
const char *form_value(const struct form *f, int i);
/* True if field i differs from its initial value. */
bool form_changed(const struct form *f, int i);
/* Open f as tui->form (replacing none: the caller checks). */
void form_open(struct tui *tui, struct form *f);
/* Feed one key (tui.h key code); closes the form when it is done. */
void form_key(struct tui *tui, int key);
/* Draw the open form over the screen and place the cursor. */
void form_draw(struct tui *tui);

#endif
