/*
 * json.h - JSON codecs (cJSON): the only module that includes <cJSON.h>.
 *
 * Encoders append to a strbuf and are the documented, stable shapes of
 * `tock ... --json` (man tock(1), JSON OUTPUT):
 *
 * task:    {"id","num"(int|null),"title","description","status",
 *           "assignee_id"(str|null),"assignee"(name|null),"created_by",
 *           "created_at","updated_at","due_date"(YYYY-MM-DD|null),
 *           "tags"[],"priority"(str|null),"metadata"{},"deleted","running",
 *           "workspace_id"}
 * entry:   {"id","at"(int, only when > 0),"task_id"(str|null),
 *           "task_num"(int|null),"task_title"(str|null),"user_id",
 *           "origin"("timer"|"manual"),"start_time","end_time"(|null),
 *           "running","duration_seconds","duration_minutes","notes",
 *           "end_src"(str|null),"workspace_id"}
 * comment: {"id","task_id","author_id","author"(str|null),"body",
 *           "created_at"}
 * Times are ISO 8601 UTC with milliseconds ("2026-11-25T09:30:00.000Z");
 * durations of running entries count up to now.  Ids and due_date that
 * are empty ("") in the struct are written as null; tags and priority are
 * read from metadata (non-string tags are skipped).
 *
 * The outbox op has the wire shape of DESIGN.md "Push":
 *   {"op_id","seq","scope","entity","entity_id","kind","fields"{},
 *    "base"{}(optional),"hlc"}
 *
 * Decoders take untrusted text: length-bounded, nesting-limited by cJSON,
 * and they fill err with what was wrong (field named) on bad input.
 */
#ifndef TOCK_JSON_H
#define TOCK_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct strbuf;
struct tock_err;

void json_task_encode(struct strbuf *sb, const struct task *t);
void json_entry_encode(struct strbuf *sb, const struct entry *e, int at,
    int64_t now);
void json_comment_encode(struct strbuf *sb, const struct comment *c);

/* Parse the shapes above back (tock import, tests).  Unknown keys are
 * ignored; wrong types are TOCK_EINVAL naming the field.  Required: id and
 * title (task), id and start_time (entry), id, task_id and body (comment);
 * an optional field may be null.  Derived keys (tags, priority, durations,
 * an entry's running and at) are not read.  Times must be in the form the
 * encoders write (".mmm" may be left out).  More than 16 MiB of text is
 * TOCK_ETOOBIG. */
int json_task_decode(struct task **out, const char *json, size_t len,
    struct tock_err *err);
int json_entry_decode(struct entry **out, const char *json, size_t len,
    struct tock_err *err);
int json_comment_decode(struct comment **out, const char *json, size_t len,
    struct tock_err *err);

struct outbox_op {
	int64_t seq;
	char op_id[UUID_STRLEN + 1];
	char scope[UUID_STRLEN + 3];	/* uuid or "u:" uuid */
	char entity[16];
	char entity_id[UUID_STRLEN + 1];
	char kind[16];
	char *fields;			/* JSON object text */
	char *base;			/* JSON object text or NULL */
	char hlc[34];
};

void outbox_op_free(struct outbox_op *op);
void json_op_encode(struct strbuf *sb, const struct outbox_op *op);
/* All keys but base are required; ids must be UUIDs, scope a UUID or
 * "u:" UUID, entity and kind from the lists in SYNC.md, hlc in
 * hlc_format's form; fields and base are kept as compact object text. */
int json_op_decode(struct outbox_op **out, const char *json, size_t len,
    struct tock_err *err);

/* Metadata helpers (metadata is a JSON object's text). */
/* Tags as a malloc'd NULL-terminated array of malloc'd strings (free with
 * json_strv_free); an empty array when there are none or it is bad. */
char **json_meta_tags(const char *metadata);
void json_strv_free(char **v);
/* A string value of metadata[key] (malloc'd), or NULL. */
char *json_meta_string(const char *metadata, const char *key);
/* obj[key] as compact JSON text (malloc'd), or NULL when obj is not an
 * object or has no such key: a server answer's nested parts. */
char *json_member(const char *obj, const char *key);
/* The tags array after adding add[] and removing del[] (NULL-terminated
 * lists; either may be NULL), as malloc'd JSON array text, order kept and
 * no duplicates. */
char *json_tags_edit(const char *metadata, char *const *add,
    char *const *del);
/* 0 if text is one valid JSON value of at most max bytes, else
 * TOCK_ETOOBIG (too long) or TOCK_EINVAL (not JSON). */
int json_validate(const char *text, size_t max, struct tock_err *err);

#endif
