/*
 * model.h - tasks, time entries and comments as the programs see them, the
 * field sets that describe a change, and input validation.  No I/O.
 *
 * Every change to a synced row is a field set: (field, value) pairs that
 * db_change() writes to the row, stamps in _fhlc and copies to the outbox.
 * Metadata keys are fields named "metadata.<key>" (per-key LWW, SYNC.md
 * 3.10).
 */
#ifndef TOCK_MODEL_H
#define TOCK_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uuid.h"

struct tock_err;

#define TASK_TITLE_MAX 200		/* characters (code points) */
#define TEXT_MAX (64 * 1024)		/* description, notes, comment body */
#define META_KEY_MAX 64
#define META_VALUE_MAX (16 * 1024)
#define TAG_MAX 64

enum task_status {
	TASK_TODO,
	TASK_IN_PROGRESS,
	TASK_DONE,
	TASK_CANCELLED,
};

struct task {
	char id[UUID_STRLEN + 1];
	char workspace_id[UUID_STRLEN + 1];
	int num;			/* local short number; 0 once closed */
	char *title;
	char *description;
	enum task_status status;
	char assignee_id[UUID_STRLEN + 1];	/* "" when nobody */
	char created_by[UUID_STRLEN + 1];
	int64_t created_at;
	int64_t updated_at;
	char due_date[11];		/* "" or YYYY-MM-DD */
	char *metadata;			/* JSON object text */
	bool deleted;
	/* Derived by the queries that fill the struct, never stored. */
	int64_t tracked_ms;		/* sum of the task's live entries */
	bool running;			/* the user's running timer is on it */
	char *assignee_name;		/* NULL when unknown */
};

struct entry {
	char id[UUID_STRLEN + 1];
	char workspace_id[UUID_STRLEN + 1];
	char user_id[UUID_STRLEN + 1];
	char task_id[UUID_STRLEN + 1];
	bool manual;			/* origin 'manual', else 'timer' */
	int64_t start_time;
	int64_t end_time;		/* -1 while running */
	char end_src[8];		/* "", stop, edit, auto */
	char *notes;
	bool deleted;
	/* Joined for listings. */
	char *task_title;
	int task_num;
};

struct comment {
	char id[UUID_STRLEN + 1];
	char workspace_id[UUID_STRLEN + 1];
	char task_id[UUID_STRLEN + 1];
	char author_id[UUID_STRLEN + 1];
	char *author_name;
	char *body;
	int64_t created_at;
	bool deleted;
};

void task_free(struct task *t);
void entry_free(struct entry *e);
void comment_free(struct comment *c);

const char *task_status_name(enum task_status s);
/* todo, in_progress (also "in-progress", "doing"), done, cancelled
 * (also "canceled"). */
int task_status_parse(enum task_status *out, const char *s,
    struct tock_err *err);
bool task_status_open(enum task_status s);

/* 1..200 characters of valid UTF-8 with no control characters. */
int model_check_title(const char *title, struct tock_err *err);
/* Valid UTF-8 of at most max bytes; what names the field in messages. */
int model_check_text(const char *what, const char *s, size_t max,
    struct tock_err *err);
/* Tag: 1..64 bytes of UTF-8, no blanks, no comma, not starting with +/-. */
int model_check_tag(const char *tag, struct tock_err *err);
/* Metadata key: 1..64 of [A-Za-z0-9_-]. */
int model_check_meta_key(const char *key, struct tock_err *err);

/* A change: borrowed values, copied names. */
enum field_type { FIELD_NULL, FIELD_TEXT, FIELD_INT, FIELD_BOOL, FIELD_JSON };

struct field {
	char name[80];
	enum field_type type;
	const char *text;	/* FIELD_TEXT, FIELD_JSON (borrowed) */
	int64_t num;		/* FIELD_INT, FIELD_BOOL */
};

#define FIELDSET_MAX 32

struct fieldset {
	int n;
	struct field f[FIELDSET_MAX];
};

#define FIELDSET_INIT { 0 }

/* Each adds or replaces the field name; text NULL means FIELD_NULL. */
void fieldset_text(struct fieldset *fs, const char *name, const char *text);
void fieldset_int(struct fieldset *fs, const char *name, int64_t v);
void fieldset_bool(struct fieldset *fs, const char *name, bool v);
void fieldset_json(struct fieldset *fs, const char *name, const char *json);
void fieldset_null(struct fieldset *fs, const char *name);
const struct field *fieldset_get(const struct fieldset *fs, const char *name);

#endif
