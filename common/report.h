/*
 * report.h - time totals over a range, grouped by task, tag, day or user:
 * the pure half of tock report (no SQLite, no printing, no clock: "now"
 * is a parameter).
 *
 * Each entry's interval is clipped to [since, until), a running one ends
 * at now, and what remains is split at local midnights (time_day_next, so
 * a day is 23, 24 or 25 hours across DST) between the days of the range.
 *
 *	struct report r;
 *
 *	report_init(&r, REPORT_BY_TASK, since, until, now, &err);
 *	for each entry: report_add(&r, &item);
 *	report_finish(&r);
 *	... read r.total_ms, r.groups[0 .. ngroups), r.days[0 .. ndays) ...
 *	report_release(&r);
 *
 * Tags belong to tasks: they are read from the metadata of the first entry
 * seen for each task, once, when the report is finished.
 */
#ifndef TOCK_REPORT_H
#define TOCK_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tock_err;

enum report_by {
	REPORT_BY_TASK,
	REPORT_BY_TAG,
	REPORT_BY_DAY,
	REPORT_BY_USER,
};

/* Longest range a report covers, so a typo such as --since 0001-01-01 is
 * an error rather than a day table of millions of rows. */
#define REPORT_MAX_DAYS (200 * 366)

/* One time entry as the report sees it.  Every pointer is borrowed for the
 * call only and may be NULL (or "" for the strings). */
struct report_item {
	int64_t start;			/* Unix ms */
	int64_t end;			/* Unix ms, or -1 while running */
	const char *task_id;		/* NULL: an entry without a task */
	const char *task_title;
	int task_num;			/* short number, 0 when none */
	const char *metadata;		/* the task's metadata JSON (tags) */
	const char *user_id;
	const char *user_name;
};

/* A line of the report.  Owned by the report. */
struct report_group {
	char *key;	/* task id, tag, user id or YYYY-MM-DD; "" = none */
	char *label;	/* title, tag, user name or "Mon 2026-11-23" */
	int task_num;	/* REPORT_BY_TASK: the task's number, else 0 */
	int64_t ms;
	bool running;	/* the running timer counts toward it */
};

/* A local day of the range, oldest first; every day is there, even one
 * with nothing tracked.  The first and last may be cut by since/until. */
struct report_day {
	int64_t start;	/* local midnight */
	int64_t ms;
	bool running;
};

/*
 * Filled by report_init/report_add/report_finish; members are read-only
 * to callers.  groups is valid after report_finish only, ordered by time
 * (most first), then label, then key; by day, oldest first, and only the
 * days with time.  By tag, an entry with several tags counts toward each,
 * so the groups may add up to more than total_ms; untagged time is under
 * key "" and label "(no tag)".
 */
struct report {
	enum report_by by;
	int64_t since, until, now;
	int64_t total_ms;
	bool running;		/* the running timer is in the range */
	int64_t nentries;	/* entries that put time in the range */
	struct report_group *groups;
	size_t ngroups;
	struct report_day *days;
	size_t ndays;
	int64_t days_end;	/* the midnight after the last day */

	struct report_acc *acc;	/* internal: per task or user totals */
};

/* "task", "tag", "day", "user" and back; TOCK_EINVAL for anything else. */
int report_by_parse(enum report_by *out, const char *s, struct tock_err *err);
const char *report_by_name(enum report_by by);

/* An empty report over [since, until).  TOCK_EINVAL unless since < until;
 * TOCK_ETOOBIG beyond REPORT_MAX_DAYS days.  Release it even on error. */
int report_init(struct report *r, enum report_by by, int64_t since,
    int64_t until, int64_t now, struct tock_err *err);
/* Count an entry; one with no time in the range is ignored.  Entries may
 * come in any order. */
void report_add(struct report *r, const struct report_item *it);
/* Make groups.  Call once, after the last report_add. */
void report_finish(struct report *r);
void report_release(struct report *r);

/* Index of the day holding ms (since <= ms < days_end), or -1. */
long report_day_index(const struct report *r, int64_t ms);

#endif
