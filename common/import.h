/*
 * import.h - tock import: other trackers' exports, and tock's own, read
 * into records (import_parse) and written to the replica (import_apply).
 *
 * Formats, as the real tools write them:
 *   timewarrior  `timew export`: [{"id","start","end","tags","annotation"}]
 *                with times as 20240110T090000Z.  An interval becomes a
 *                time entry; its task is chosen by the first tag that has
 *                a mapping (import_opts.map), else by its first tag, and
 *                is found by exact title in the current workspace or
 *                created.  The other tags are added to that task's tags;
 *                the annotation becomes the notes.  Key: the start time
 *                (timew's @ids are positions that change).  An open
 *                interval becomes the running timer, unless one runs; when
 *                a later import finds it closed, the timer is stopped.
 *   taskwarrior  `task export`: uuid (kept as the task id and the key),
 *                description -> title, status (pending/waiting -> todo,
 *                completed -> done, deleted -> a deleted task; recurring
 *                templates are ignored, their instances imported), due
 *                -> local due date, priority -> metadata.priority, tags and
 *                project -> tags, annotations -> comments, entry/modified
 *                -> created_at/updated_at.  An active task ("start") is
 *                in_progress and gets the running timer if none runs; a
 *                task with both start and end, and journal.time's
 *                "Started task"/"Stopped task" annotation pairs, give
 *                closed time entries.
 *   watson       the frames file: [[start, stop, project, id, tags[],
 *                updated_at]] with Unix seconds; project -> task by title,
 *                tags -> its tags; key: the frame id.
 *   tock         what `tock export --format json` writes (cmd_export.c).
 *                Ids are kept, so it reads back losslessly; the exporting
 *                replica's user and workspace become this replica's.
 * Arrays may also come as JSON Lines (one object a line), as older
 * Taskwarrior versions write them.
 *
 * Closed time entries are imported as origin 'manual': a 'timer' entry
 * created now would, by the one-running-timer rule (SYNC.md 3.11), end
 * every timer entry that started after it.
 *
 * Every write goes through db_change(), so imported rows reach the outbox
 * and sync.  import_map remembers each source record's key, so importing
 * the same file again creates nothing.
 */
#ifndef TOCK_IMPORT_H
#define TOCK_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct db;
struct tock_err;

/* The largest input read (files and stdin). */
#define IMPORT_MAX_INPUT ((size_t)512 * 1024 * 1024)
/* Records per transaction: few enough that the write lock is held for
 * a tenth of a second at most, enough that commits cost little. */
#define IMPORT_BATCH 2000

enum import_format {
	IMPORT_TIMEWARRIOR,
	IMPORT_TASKWARRIOR,
	IMPORT_WATSON,
	IMPORT_TOCK,
};

int import_format_parse(enum import_format *out, const char *name,
    struct tock_err *err);
const char *import_format_name(enum import_format f);

/* --map TAG=TITLE: intervals tagged tag go to the task titled title. */
struct import_rule {
	const char *tag;
	const char *title;
};

/* A bad record: where is "record 12" or "time_entries[3]"; line is the
 * line of the input it starts on (1-based). */
typedef void import_bad_cb(size_t index, int line, const char *where,
    const char *msg, void *arg);
typedef void import_progress_cb(size_t done, size_t total, void *arg);

struct import_opts {
	const struct import_rule *map;
	size_t nmap;
	bool dry_run;		/* one transaction, rolled back */
	size_t batch;		/* per transaction; 0: IMPORT_BATCH */
	import_bad_cb *bad;	/* may be NULL */
	import_progress_cb *progress;	/* may be NULL */
	void *arg;
};

struct import_stats {
	size_t records;		/* records in the input */
	size_t tasks;		/* rows created */
	size_t entries;
	size_t comments;
	size_t bad;		/* records reported and skipped */
	size_t already;		/* records that created nothing new */
	size_t ignored;		/* nothing to import (templates) */
};

/*
 * What one record of the input asks for.  Items own their strings.
 *
 * IMPORT_TASK: u.task, with id (kept) and source_id.
 * IMPORT_ENTRY: u.entry; its task is u.entry.task_id, or when that is ""
 *   the task titled u.entry.task_title (found or created, with tags added
 *   to it), or none when both are empty.  end_time -1 = running.  soft:
 *   skipped quietly when a timer already runs.
 * IMPORT_COMMENT: u.comment, on u.comment.task_id.
 * IMPORT_USER: u.user, a name for a user id (tock exports only).
 */
enum import_kind {
	IMPORT_TASK,
	IMPORT_ENTRY,
	IMPORT_COMMENT,
	IMPORT_USER,
};

struct import_item {
	enum import_kind kind;
	char *source_id;	/* import_map key */
	char **tags;		/* NULL-terminated; entry-by-title only */
	bool soft;
	union {
		struct task task;
		struct entry entry;
		struct comment comment;
		struct {
			char id[UUID_STRLEN + 1];
			char *name;
			char *email;
		} user;
	} u;
};

struct import_record {
	size_t index;		/* 1-based position in its list */
	int line;
	char where[40];
	char *error;		/* non-NULL: bad record, skipped */
	bool ignored;		/* nothing to import, not an error */
	size_t first;		/* items[first .. first + n) */
	size_t n;
};

struct import_set {
	enum import_format format;
	struct import_record *recs;
	size_t nrecs;
	size_t arecs;
	struct import_item *items;
	size_t nitems;
	size_t aitems;
	/* tock exports: the replica that wrote it ("" if not said). */
	char user_id[UUID_STRLEN + 1];
	char workspace_id[UUID_STRLEN + 1];
};

/*
 * Parse buf[0..len) (need not be NUL-terminated).  A record that is not
 * right (malformed JSON, a wrong type, a bad date, text too long, invalid
 * UTF-8) is kept with its error, so the others still import.  Input that
 * is not the format at all, or whose structure cannot be followed to the
 * end, fails with TOCK_EINVAL and nothing is returned; more than
 * IMPORT_MAX_INPUT bytes is TOCK_ETOOBIG.
 */
int import_parse(struct import_set **out, enum import_format f,
    const char *buf, size_t len, const struct import_opts *opts,
    struct tock_err *err);
void import_set_free(struct import_set *set);

/*
 * Write the records, IMPORT_BATCH to a transaction.  A record that fails
 * is reported through opts->bad and leaves nothing behind (its batch is
 * then redone with a savepoint per record), and the others go on.
 * Returns non-zero only for failures of the database itself (busy, disk
 * full); batches committed before it stay, and running the import again
 * completes it.
 */
int import_apply(struct db *db, const struct import_set *set,
    const struct import_opts *opts, struct import_stats *st,
    struct tock_err *err);

#endif
