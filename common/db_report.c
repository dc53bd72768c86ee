/*
 * db_report.c - the entries tock report adds up (see db_report.h).
 *
 * "Overlaps [since, until)" is start < until AND (end > since OR running).
 * Entries of a user are ordered in time and do not overlap much, so the
 * selective half is end > since: for a week it keeps a few dozen rows
 * whatever the size of the history, where an index on start_time would
 * walk everything older than the week.  Migration 3 adds the indexes on
 * end_time this needs, and the query is written as two halves, ended and
 * running, so each is one index range: end_time > since, or end_time IS
 * NULL, in (user_id, end_time) for one user and in (end_time) for
 * everyone.  The unary + keeps the planner off the (user_id, start_time)
 * index for the start bound.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_int.h"
#include "db_report.h"
#include "err.h"
#include "report.h"
#include "xmalloc.h"

/*
 * The entry columns only: joining tasks row by row costs two B-tree
 * searches per entry (text primary key, then rowid), 40 % of a report over
 * 100,000 entries, for the few hundred tasks they share.  Tasks are looked
 * up once each instead (struct taskcache).
 */
#define REPORT_COLS "e.start_time, e.end_time, e.task_id, e.user_id, "

/* The replica user's entries: ?1 user, ?2 since, ?3 until.  The name is
 * only wanted by user, which reads everyone's. */
static const char sql_own[] =
    "SELECT " REPORT_COLS "NULL FROM time_entries e "
    "WHERE e.user_id = ?1 AND e.end_time > ?2 AND +e.start_time < ?3 "
    "AND e.deleted = 0 "
    "UNION ALL "
    "SELECT " REPORT_COLS "NULL FROM time_entries e "
    "WHERE e.user_id = ?1 AND e.end_time IS NULL AND e.deleted = 0 "
    "AND +e.start_time < ?3";

/* Everyone's: ?2 since, ?3 until.  The users of a replica are few, so
 * their join costs little. */
static const char sql_all[] =
    "SELECT " REPORT_COLS "u.name FROM time_entries e "
    "LEFT JOIN users u ON u.id = e.user_id "
    "WHERE e.end_time > ?2 AND +e.start_time < ?3 AND e.deleted = 0 "
    "UNION ALL "
    "SELECT " REPORT_COLS "u.name FROM time_entries e "
    "LEFT JOIN users u ON u.id = e.user_id "
    "WHERE e.end_time IS NULL AND e.deleted = 0 AND +e.start_time < ?3";

static const char sql_task[] =
    "SELECT title, num, metadata FROM tasks WHERE id = ?1";

/* What a report needs of a task, read once per task per walk. */
struct taskinfo {
	char *id;
	char *title;		/* NULL: no such task in the replica */
	int num;
	char *metadata;
};

/* Open addressing on the task id; lives for one db_report_entries. */
struct taskcache {
	struct taskinfo *v;
	size_t n, alloc;
	size_t *slots;		/* index + 1; 0 = free; a power of two long */
	size_t nslots;
};

static size_t
hash_id(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static void
cache_grow(struct taskcache *tc)
{
	size_t i, j, n = tc->nslots ? 2 * tc->nslots : 64;

	free(tc->slots);
	tc->slots = xcalloc(n, sizeof *tc->slots);
	tc->nslots = n;
	for (i = 0; i < tc->n; i++) {
		j = hash_id(tc->v[i].id) & (n - 1);
		while (tc->slots[j] != 0)
			j = (j + 1) & (n - 1);
		tc->slots[j] = i + 1;
	}
}

/* The task with this id, read from the database the first time. */
static const struct taskinfo *
cache_get(struct db *db, struct taskcache *tc, const char *id,
    struct tock_err *err)
{
	struct taskinfo *ti;
	sqlite3_stmt *st;
	size_t j;
	int rc;

	if (2 * (tc->n + 1) > tc->nslots)
		cache_grow(tc);
	j = hash_id(id) & (tc->nslots - 1);
	while (tc->slots[j] != 0) {
		ti = &tc->v[tc->slots[j] - 1];
		if (strcmp(ti->id, id) == 0)
			return ti;
		j = (j + 1) & (tc->nslots - 1);
	}
	if ((st = dbi_stmt(db, sql_task, err)) == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (tc->n == tc->alloc) {
		tc->alloc = tc->alloc ? 2 * tc->alloc : 64;
		tc->v = xrealloc(tc->v, tc->alloc * sizeof *tc->v);
	}
	ti = &tc->v[tc->n];
	memset(ti, 0, sizeof *ti);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ti->title = dbi_dup_col(st, 0);
		ti->num = sqlite3_column_int(st, 1);
		ti->metadata = dbi_dup_col_or_null(st, 2);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		dbi_fail(db, err, "cannot read task");
		return NULL;
	}
	ti->id = xstrdup(id);
	tc->slots[j] = ++tc->n;
	return ti;
}

static void
cache_release(struct taskcache *tc)
{
	size_t i;

	for (i = 0; i < tc->n; i++) {
		free(tc->v[i].id);
		free(tc->v[i].title);
		free(tc->v[i].metadata);
	}
	free(tc->v);
	free(tc->slots);
}

static const char *
col_text(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

int
db_report_entries(struct db *db, const struct db_report_query *q,
    db_report_cb *cb, void *arg, struct tock_err *err)
{
	struct taskcache tc = { 0 };
	const struct taskinfo *ti;
	struct report_item it;
	sqlite3_stmt *st;
	int rc, r = 0;

	if ((st = dbi_stmt(db, q->all_users ? sql_all : sql_own, err)) ==
	    NULL)
		return TOCK_ERR;
	if (!q->all_users)
		sqlite3_bind_text(st, 1, db->user_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, q->since);
	sqlite3_bind_int64(st, 3, q->until);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&it, 0, sizeof it);
		it.start = sqlite3_column_int64(st, 0);
		it.end = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 1);
		it.task_id = col_text(st, 2);
		it.user_id = col_text(st, 3);
		it.user_name = col_text(st, 4);
		if (it.task_id != NULL) {
			if ((ti = cache_get(db, &tc, it.task_id, err)) ==
			    NULL) {
				r = TOCK_ERR;
				break;
			}
			it.task_title = ti->title;
			it.task_num = ti->num;
			it.metadata = ti->metadata;
		}
		if ((r = cb(&it, arg)) != 0)
			break;
	}
	sqlite3_reset(st);
	cache_release(&tc);
	if (r != 0)
		return r;
	if (rc != SQLITE_DONE)
		return dbi_fail(db, err, "cannot read time entries");
	return 0;
}
