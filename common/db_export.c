/*
 * db_export.c - the reads behind tock export (see db_export.h).
 *
 * Speed matters here (100,000 entries in well under a second), so rows
 * are handed out as structs that borrow SQLite's column buffers instead
 * of copying every string, and each list is one ordered statement.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_export.h"
#include "db_int.h"
#include "err.h"
#include "xmalloc.h"

/* Column text, never NULL (so borrowed char * fields are always set). */
static char *
col_text(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return (char *)(s != NULL ? (const char *)s : "");
}

static char *
col_text_or_null(sqlite3_stmt *st, int col)
{
	return (char *)sqlite3_column_text(st, col);
}

int
db_export_begin(struct db *db, struct tock_err *err)
{
	/* Deferred: a read snapshot, no write lock. */
	return dbi_exec(db, "BEGIN", err);
}

void
db_export_end(struct db *db)
{
	dbi_exec(db, "COMMIT", NULL);
}

int
db_export_users(struct db *db, db_export_user_cb *cb, void *arg,
    struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "SELECT id, name, email FROM users "
	    "ORDER BY id", err);
	int rc;

	if (st == NULL)
		return TOCK_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int r = cb(col_text(st, 0), col_text(st, 1),
		    col_text_or_null(st, 2), arg);

		if (r != 0) {
			sqlite3_reset(st);
			return r;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dbi_fail(db, err, "cannot list users");
	return 0;
}

/* The tags of metadata m joined by ",": tags hold no commas (model.h). */
#define TAGS_OF(m) \
	"(SELECT group_concat(value, ',') FROM json_each(" m ", '$.tags') " \
	"WHERE type = 'text' AND json_type(" m ", '$.tags') = 'array')"

/* Entries overlapping [?1, ?2): they start before its end and end after
 * its start, or are still running. */
#define ENTRY_IN_RANGE(e) \
	e ".deleted = 0 AND " e ".start_time < ?2 AND (" \
	e ".end_time IS NULL " \
	"OR " e ".end_time > ?1 OR " e ".start_time >= ?1)"

int
db_export_tasks(struct db *db, const struct export_range *r,
    db_export_task_cb *cb, void *arg, struct tock_err *err)
{
	bool all = r->since == INT64_MIN && r->until == INT64_MAX;
	sqlite3_stmt *st;
	int rc;

	st = dbi_stmt(db, "SELECT t.id, t.workspace_id, t.num, t.title, "
	    "t.description, t.status, t.assignee_id, t.created_by, "
	    "t.created_at, t.updated_at, t.due_date, t.metadata, t.deleted, "
	    "(SELECT name FROM users WHERE id = t.assignee_id), "
	    "EXISTS (SELECT 1 FROM time_entries r WHERE r.user_id = ?3 AND "
	    "r.end_time IS NULL AND r.deleted = 0 AND r.task_id = t.id), "
	    TAGS_OF("t.metadata") " FROM tasks t WHERE ?4 OR "
	    "(t.created_at >= ?1 AND t.created_at < ?2) OR "
	    "(t.updated_at >= ?1 AND t.updated_at < ?2) OR "
	    "EXISTS (SELECT 1 FROM time_entries e WHERE e.task_id = t.id AND "
	    ENTRY_IN_RANGE("e") ") OR "
	    "EXISTS (SELECT 1 FROM comments c WHERE c.task_id = t.id AND "
	    "c.deleted = 0 AND c.created_at >= ?1 AND c.created_at < ?2) "
	    "ORDER BY t.id", err);
	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_int64(st, 1, r->since);
	sqlite3_bind_int64(st, 2, r->until);
	sqlite3_bind_text(st, 3, db_user_id(db), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, all);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct task t;
		const char *status = col_text(st, 5);
		int cr;

		memset(&t, 0, sizeof t);
		dbi_copy_col(t.id, sizeof t.id, st, 0);
		dbi_copy_col(t.workspace_id, sizeof t.workspace_id, st, 1);
		t.num = sqlite3_column_int(st, 2);
		t.title = col_text(st, 3);
		t.description = col_text(st, 4);
		if (task_status_parse(&t.status, status, NULL) != 0)
			t.status = TASK_TODO;
		dbi_copy_col(t.assignee_id, sizeof t.assignee_id, st, 6);
		dbi_copy_col(t.created_by, sizeof t.created_by, st, 7);
		t.created_at = sqlite3_column_int64(st, 8);
		t.updated_at = sqlite3_column_int64(st, 9);
		dbi_copy_col(t.due_date, sizeof t.due_date, st, 10);
		t.metadata = col_text(st, 11);
		t.deleted = sqlite3_column_int(st, 12) != 0;
		t.assignee_name = col_text_or_null(st, 13);
		t.running = sqlite3_column_int(st, 14) != 0;
		if ((cr = cb(&t, col_text(st, 15), arg)) != 0) {
			sqlite3_reset(st);
			return cr;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dbi_fail(db, err, "cannot list tasks");
	return 0;
}

/*
 * The tasks' titles, numbers and tags, looked up per entry in a hash
 * table rather than joined per row: a replica has far fewer tasks than
 * entries, and the join and the tags' JSON walk were most of the cost of
 * a 100,000-entry export.
 */
struct tinfo {
	char id[UUID_STRLEN + 1];
	char *title;
	char *tags;
	int num;
};

struct tmap {
	struct tinfo *tab;
	size_t cap;		/* a power of two */
};

static size_t
tmap_hash(const char *id)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *id; id++) {
		h ^= (unsigned char)*id;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static struct tinfo *
tmap_slot(const struct tmap *m, const char *id)
{
	size_t i = tmap_hash(id) & (m->cap - 1);

	while (m->tab[i].id[0] != '\0' && strcmp(m->tab[i].id, id) != 0)
		i = (i + 1) & (m->cap - 1);
	return &m->tab[i];
}

static void
tmap_release(struct tmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		free(m->tab[i].title);
		free(m->tab[i].tags);
	}
	free(m->tab);
}

static int
tmap_load(struct db *db, struct tmap *m, bool want_tags, struct tock_err *err)
{
	sqlite3_stmt *st;
	int64_t n = 0;
	int rc;

	if ((st = dbi_stmt(db, "SELECT count(*) FROM tasks", err)) == NULL)
		return TOCK_ERR;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	for (m->cap = 64; m->cap < (size_t)n * 2; m->cap *= 2)
		;
	m->tab = xcalloc(m->cap, sizeof *m->tab);
	if (want_tags)
		st = dbi_stmt(db, "SELECT id, title, num, " TAGS_OF("metadata")
		    " FROM tasks", err);
	else
		st = dbi_stmt(db, "SELECT id, title, num FROM tasks", err);
	if (st == NULL)
		return TOCK_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = col_text(st, 0);
		struct tinfo *t;

		if (strlen(id) > UUID_STRLEN)
			continue;
		t = tmap_slot(m, id);
		if (t->id[0] != '\0')
			continue;
		memcpy(t->id, id, strlen(id) + 1);
		t->title = dbi_dup_col(st, 1);
		t->num = sqlite3_column_int(st, 2);
		t->tags = want_tags ? dbi_dup_col(st, 3) : NULL;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dbi_fail(db, err, "cannot list tasks");
	return 0;
}

int
db_export_entries(struct db *db, const struct export_range *r,
    bool want_tags, db_export_entry_cb *cb, void *arg, struct tock_err *err)
{
	struct tmap tasks = { NULL, 0 };
	sqlite3_stmt *st;
	int rc;

	if ((rc = tmap_load(db, &tasks, want_tags, err)) != 0)
		goto out;
	/* Rows with equal (user, start) come in rowid order: the same order
	 * every time, without a sort pass. */
	st = dbi_stmt(db, "SELECT e.id, e.workspace_id, e.user_id, e.task_id, "
	    "e.origin, e.start_time, e.end_time, e.end_src, e.notes "
	    "FROM time_entries e WHERE " ENTRY_IN_RANGE("e")
	    " ORDER BY e.user_id, e.start_time", err);
	if (st == NULL) {
		rc = TOCK_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, r->since);
	sqlite3_bind_int64(st, 2, r->until);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const struct tinfo *t = NULL;
		struct entry e;
		const char *origin = col_text(st, 4);
		int cr;

		memset(&e, 0, sizeof e);
		dbi_copy_col(e.id, sizeof e.id, st, 0);
		dbi_copy_col(e.workspace_id, sizeof e.workspace_id, st, 1);
		dbi_copy_col(e.user_id, sizeof e.user_id, st, 2);
		dbi_copy_col(e.task_id, sizeof e.task_id, st, 3);
		e.manual = strcmp(origin, "manual") == 0;
		e.start_time = sqlite3_column_int64(st, 5);
		e.end_time = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 6);
		dbi_copy_col(e.end_src, sizeof e.end_src, st, 7);
		e.notes = col_text(st, 8);
		if (e.task_id[0] != '\0') {
			t = tmap_slot(&tasks, e.task_id);
			if (t->id[0] == '\0')
				t = NULL;
		}
		if (t != NULL) {
			e.task_title = t->title;
			e.task_num = t->num;
		}
		if ((cr = cb(&e, t != NULL && t->tags != NULL ? t->tags : "",
		    arg)) != 0) {
			sqlite3_reset(st);
			rc = cr;
			goto out;
		}
	}
	sqlite3_reset(st);
	rc = rc == SQLITE_DONE ? 0 : dbi_fail(db, err,
	    "cannot list time entries");
out:
	tmap_release(&tasks);
	return rc;
}

int
db_export_comments(struct db *db, const struct export_range *r,
    db_export_comment_cb *cb, void *arg, struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "SELECT c.id, c.workspace_id, "
	    "c.task_id, c.author_id, u.name, c.body, c.created_at "
	    "FROM comments c LEFT JOIN users u ON u.id = c.author_id "
	    "WHERE c.deleted = 0 AND c.created_at >= ?1 AND c.created_at < ?2 "
	    "ORDER BY c.created_at, c.id", err);
	int rc;

	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_int64(st, 1, r->since);
	sqlite3_bind_int64(st, 2, r->until);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct comment c;
		int cr;

		memset(&c, 0, sizeof c);
		dbi_copy_col(c.id, sizeof c.id, st, 0);
		dbi_copy_col(c.workspace_id, sizeof c.workspace_id, st, 1);
		dbi_copy_col(c.task_id, sizeof c.task_id, st, 2);
		dbi_copy_col(c.author_id, sizeof c.author_id, st, 3);
		c.author_name = col_text_or_null(st, 4);
		c.body = col_text(st, 5);
		c.created_at = sqlite3_column_int64(st, 6);
		if ((cr = cb(&c, arg)) != 0) {
			sqlite3_reset(st);
			return cr;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dbi_fail(db, err, "cannot list comments");
	return 0;
}
