/*
 * task_opts.h - the task field options that tock add and tock edit share
 * (--due, --assign, --tag, --priority, --meta, -d), turned into a field
 * set the same way for both.
 */
#ifndef TOCK_TASK_OPTS_H
#define TOCK_TASK_OPTS_H

#include <stdbool.h>

#include "model.h"

struct db;
struct tock_err;

#define TASK_OPTS_MAX 32

struct task_opts {
	const char *title;
	const char *description;
	const char *status;
	const char *due;
	const char *assign;
	const char *priority;
	const char *branch;
	char *tag_add[TASK_OPTS_MAX + 1];
	char *tag_del[TASK_OPTS_MAX + 1];
	int ntag_add, ntag_del;
	char *meta[TASK_OPTS_MAX];	/* "k=v" as given */
	int nmeta;
	/* Storage the field set borrows from; freed by task_opts_release. */
	char assignee[UUID_STRLEN + 1];
	char due_date[11];
	char *tags_json;
};

/* Record --tag T (add), +T (add) or -T (remove); TOCK_EINVAL if bad. */
int task_opts_tag(struct task_opts *o, const char *arg, bool allow_del,
    struct tock_err *err);
int task_opts_meta(struct task_opts *o, const char *arg, struct tock_err *err);
/* Validate and add the given options to fs; metadata is the task's
 * current metadata text (NULL for a new task). */
int task_opts_fields(struct task_opts *o, struct db *db, const char *metadata,
    struct fieldset *fs, struct tock_err *err);
void task_opts_release(struct task_opts *o);

#endif
