/* model.c - validation and field sets for tasks, entries and comments. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "model.h"
#include "text.h"

void
task_free(struct task *t)
{
	if (t == NULL)
		return;
	free(t->title);
	free(t->description);
	free(t->metadata);
	free(t->assignee_name);
	free(t);
}

void
entry_free(struct entry *e)
{
	if (e == NULL)
		return;
	free(e->notes);
	free(e->task_title);
	free(e);
}

void
comment_free(struct comment *c)
{
	if (c == NULL)
		return;
	free(c->author_name);
	free(c->body);
	free(c);
}

static const char *const status_names[] = {
	[TASK_TODO] = "todo",
	[TASK_IN_PROGRESS] = "in_progress",
	[TASK_DONE] = "done",
	[TASK_CANCELLED] = "cancelled",
};

const char *
task_status_name(enum task_status s)
{
	if ((unsigned)s >= sizeof status_names / sizeof status_names[0])
		TOCK_BUG("bad task status %d", (int)s);
	return status_names[s];
}

int
task_status_parse(enum task_status *out, const char *s, struct tock_err *err)
{
	static const struct {
		const char *name;
		enum task_status st;
	} names[] = {
		{ "todo", TASK_TODO },
		{ "in_progress", TASK_IN_PROGRESS },
		{ "in-progress", TASK_IN_PROGRESS },
		{ "doing", TASK_IN_PROGRESS },
		{ "done", TASK_DONE },
		{ "cancelled", TASK_CANCELLED },
		{ "canceled", TASK_CANCELLED },
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].st;
			return 0;
		}
	}
	return tock_err_set(err, TOCK_EINVAL,
	    "invalid status '%s' (use todo, in_progress, done or cancelled)",
	    s);
}

bool
task_status_open(enum task_status s)
{
	return s == TASK_TODO || s == TASK_IN_PROGRESS;
}

/* C0 controls, DEL, and the C1 controls U+0080..U+009F (0xc2 0x80-0x9f
 * in UTF-8): in a title they would reach other people's terminals. */
static bool
has_control(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return true;
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return true;
	}
	return false;
}

int
model_check_text(const char *what, const char *s, size_t max,
    struct tock_err *err)
{
	size_t len = strlen(s);

	if (len > max)
		return tock_err_set(err, TOCK_EINVAL,
		    "%s is too long (%zu bytes, at most %zu)", what, len, max);
	if (!text_utf8_valid(s, len))
		return tock_err_set(err, TOCK_EINVAL,
		    "%s is not valid UTF-8", what);
	return 0;
}

int
model_check_title(const char *title, struct tock_err *err)
{
	const char *p;
	size_t n;
	int rc;

	if ((rc = model_check_text("title", title, TASK_TITLE_MAX * 4,
	    err)) != 0) {
		if (strlen(title) > TASK_TITLE_MAX * 4)
			return tock_err_set(err, TOCK_EINVAL,
			    "title is too long (more than %d characters)",
			    TASK_TITLE_MAX);
		return rc;
	}
	for (p = title; *p == ' '; p++)
		;
	if (*p == '\0')
		return tock_err_set(err, TOCK_EINVAL, "title is empty");
	if (has_control(title))
		return tock_err_set(err, TOCK_EINVAL,
		    "title contains a control character");
	if ((n = text_utf8_len(title)) > TASK_TITLE_MAX)
		return tock_err_set(err, TOCK_EINVAL,
		    "title is too long (%zu characters, at most %d)", n,
		    TASK_TITLE_MAX);
	return 0;
}

int
model_check_tag(const char *tag, struct tock_err *err)
{
	const char *p;
	int rc;

	if (*tag == '\0')
		return tock_err_set(err, TOCK_EINVAL, "empty tag");
	if ((rc = model_check_text("tag", tag, TAG_MAX, err)) != 0)
		return rc;
	if (*tag == '+' || *tag == '-')
		return tock_err_set(err, TOCK_EINVAL,
		    "tag '%s' must not start with '%c'", tag, *tag);
	for (p = tag; *p; p++)
		if (*p == ' ' || *p == ',' || (unsigned char)*p < 0x20)
			return tock_err_set(err, TOCK_EINVAL,
			    "tag '%s' contains a blank, comma or control "
			    "character", tag);
	return 0;
}

int
model_check_meta_key(const char *key, struct tock_err *err)
{
	const char *p;

	if (*key == '\0' || strlen(key) > META_KEY_MAX)
		return tock_err_set(err, TOCK_EINVAL,
		    "metadata key '%s' must be 1 to %d characters", key,
		    META_KEY_MAX);
	for (p = key; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return tock_err_set(err, TOCK_EINVAL,
			    "metadata key '%s' may hold only letters, digits, "
			    "'_' and '-'", key);
	}
	return 0;
}

static struct field *
slot(struct fieldset *fs, const char *name)
{
	struct field *f;
	int i;

	for (i = 0; i < fs->n; i++)
		if (strcmp(fs->f[i].name, name) == 0)
			return &fs->f[i];
	if (fs->n == FIELDSET_MAX)
		TOCK_BUG("too many fields in one change");
	if (strlen(name) >= sizeof fs->f[0].name)
		TOCK_BUG("field name too long");
	f = &fs->f[fs->n++];
	memset(f, 0, sizeof *f);
	strcpy(f->name, name);
	return f;
}

void
fieldset_text(struct fieldset *fs, const char *name, const char *text)
{
	struct field *f = slot(fs, name);

	f->type = text ? FIELD_TEXT : FIELD_NULL;
	f->text = text;
}

void
fieldset_int(struct fieldset *fs, const char *name, int64_t v)
{
	struct field *f = slot(fs, name);

	f->type = FIELD_INT;
	f->num = v;
}

void
fieldset_bool(struct fieldset *fs, const char *name, bool v)
{
	struct field *f = slot(fs, name);

	f->type = FIELD_BOOL;
	f->num = v;
}

void
fieldset_json(struct fieldset *fs, const char *name, const char *json)
{
	struct field *f = slot(fs, name);

	f->type = json ? FIELD_JSON : FIELD_NULL;
	f->text = json;
}

void
fieldset_null(struct fieldset *fs, const char *name)
{
	slot(fs, name)->type = FIELD_NULL;
}

const struct field *
fieldset_get(const struct fieldset *fs, const char *name)
{
	int i;

	for (i = 0; i < fs->n; i++)
		if (strcmp(fs->f[i].name, name) == 0)
			return &fs->f[i];
	return NULL;
}
