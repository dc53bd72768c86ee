/*
 * db_workspace.c - workspaces and memberships for tock workspace and
 * tock member (see workspace.h).  Part of the db module: the only other
 * place besides db.c that speaks SQL about these tables.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_int.h"
#include "err.h"
#include "model.h"
#include "strbuf.h"
#include "text.h"
#include "workspace.h"

#define WORKSPACE_NAME_MAX 100	/* characters, as the server's limit */

int
db_workspace_list(struct db *db, db_workspace_cb *cb, void *arg,
    struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "SELECT w.id, w.name, m.role, "
	    "EXISTS (SELECT 1 FROM outbox o WHERE o.entity = 'workspace' AND "
	    "o.entity_id = w.id AND o.kind = 'create') "
	    "FROM workspaces w LEFT JOIN memberships m ON m.workspace_id = w.id "
	    "AND m.user_id = ?1 AND m.deleted = 0 "
	    "WHERE w.deleted = 0 ORDER BY w.name COLLATE NOCASE, w.id", err);
	struct workspace_info w;
	int rc;

	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, db->user_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		w.id = (const char *)sqlite3_column_text(st, 0);
		w.name = (const char *)sqlite3_column_text(st, 1);
		w.role = (const char *)sqlite3_column_text(st, 2);
		w.pending = sqlite3_column_int(st, 3) != 0;
		w.current = strcmp(w.id, db->workspace_id) == 0;
		if ((rc = cb(&w, arg)) != 0) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dbi_fail(db, err, "cannot list workspaces");
	return 0;
}

static bool
is_hex_prefix(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!isxdigit((unsigned char)*s) && *s != '-')
			return false;
	return n >= 4;
}

/* Collect matches of one query into id, counting them and naming the
 * first few for an ambiguity message. */
static int
collect(struct db *db, sqlite3_stmt *st, char id[UUID_STRLEN + 1],
    int *n, struct strbuf *cand, struct tock_err *err)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == 0)
			dbi_copy_col(id, UUID_STRLEN + 1, st, 0);
		if (*n < 5)
			strbuf_addf(cand, "%s%s (%.13s)", *n ? ", " : "",
			    (const char *)sqlite3_column_text(st, 1),
			    (const char *)sqlite3_column_text(st, 0));
		(*n)++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dbi_fail(db, err, "cannot find workspace");
	return 0;
}

int
db_workspace_resolve(struct db *db, char id[UUID_STRLEN + 1],
    const char *ref, struct tock_err *err)
{
	/* Exact name first, so "Team" and "team" can both be named. */
	static const char *const queries[] = {
		"SELECT id, name FROM workspaces WHERE deleted = 0 AND "
		"name = ?1 COLLATE BINARY ORDER BY id",
		"SELECT id, name FROM workspaces WHERE deleted = 0 AND "
		"name = ?1 COLLATE NOCASE ORDER BY id",
		"SELECT id, name FROM workspaces WHERE deleted = 0 AND "
		"substr(id, 1, length(?1)) = lower(?1) ORDER BY id",
	};
	struct strbuf cand = STRBUF_INIT;
	sqlite3_stmt *st;
	size_t q;
	int n = 0, rc = 0;

	for (q = 0; q < sizeof queries / sizeof queries[0] && n == 0; q++) {
		if (q == 2 && !is_hex_prefix(ref))
			break;
		if ((st = dbi_stmt(db, queries[q], err)) == NULL) {
			rc = TOCK_ERR;
			goto out;
		}
		sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
		if ((rc = collect(db, st, id, &n, &cand, err)) != 0)
			goto out;
	}
	if (n == 0)
		rc = tock_err_set(err, TOCK_ENOTFOUND, "no workspace '%s'", ref);
	else if (n > 1)
		rc = tock_err_set(err, TOCK_EAMBIGUOUS,
		    "workspace '%s' is ambiguous: %s%s", ref, cand.buf,
		    n > 5 ? ", ..." : "");
out:
	strbuf_release(&cand);
	return rc;
}

char *
db_workspace_name(struct db *db, const char *id)
{
	sqlite3_stmt *st = dbi_stmt(db,
	    "SELECT name FROM workspaces WHERE id = ?1", NULL);
	char *name = NULL;

	if (st == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		name = dbi_dup_col(st, 0);
	sqlite3_reset(st);
	return name;
}

bool
db_workspace_pending(struct db *db, const char *id)
{
	sqlite3_stmt *st = dbi_stmt(db, "SELECT 1 FROM outbox WHERE "
	    "entity = 'workspace' AND entity_id = ?1 AND kind = 'create'",
	    NULL);
	bool pending;

	if (st == NULL)
		return false;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	pending = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return pending;
}

/* Set the current workspace inside the caller's transaction. */
static int
set_current(struct db *db, const char *id, struct tock_err *err)
{
	int rc;

	if ((rc = dbi_meta_set(db, "workspace_id", id, err)) != 0)
		return rc;
	snprintf(db->workspace_id, sizeof db->workspace_id, "%s", id);
	return 0;
}

int
db_workspace_use(struct db *db, const char *id, struct tock_err *err)
{
	char saved[UUID_STRLEN + 1];
	char *name;
	int rc;

	if ((name = db_workspace_name(db, id)) == NULL)
		return tock_err_set(err, TOCK_ENOTFOUND, "no workspace %s", id);
	free(name);
	memcpy(saved, db->workspace_id, sizeof saved);
	if ((rc = db_begin(db, err)) != 0)
		return rc;
	if ((rc = set_current(db, id, err)) != 0 ||
	    (rc = db_commit(db, err)) != 0) {
		db_rollback(db);
		memcpy(db->workspace_id, saved, sizeof saved);
	}
	return rc;
}

static int
check_name(const char *name, struct tock_err *err)
{
	const char *p;
	int rc;

	if ((rc = model_check_text("workspace name", name,
	    WORKSPACE_NAME_MAX * 4, err)) != 0)
		return rc;
	for (p = name; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '\0')
		return tock_err_set(err, TOCK_EINVAL, "workspace name is empty");
	for (p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return tock_err_set(err, TOCK_EINVAL, "workspace name "
			    "contains a control character");
	if (text_utf8_len(name) > WORKSPACE_NAME_MAX)
		return tock_err_set(err, TOCK_EINVAL, "workspace name is too "
		    "long (at most %d characters)", WORKSPACE_NAME_MAX);
	return 0;
}

int
db_workspace_create(struct db *db, const char *name,
    char id[UUID_STRLEN + 1], struct tock_err *err)
{
	struct fieldset fs = FIELDSET_INIT;
	char saved[UUID_STRLEN + 1];
	sqlite3_stmt *st;
	int64_t n;
	int rc;

	if ((rc = check_name(name, err)) != 0)
		return rc;
	memcpy(saved, db->workspace_id, sizeof saved);
	if ((rc = db_begin(db, err)) != 0)
		return rc;
	/* Checked under the write lock, so two creates cannot both pass. */
	if ((st = dbi_stmt(db, "SELECT count(*) FROM workspaces WHERE "
	    "deleted = 0 AND name = ?1 COLLATE NOCASE", err)) == NULL) {
		rc = TOCK_ERR;
		goto fail;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_reset(st);
	if (n != 0) {
		rc = n < 0 ? dbi_fail(db, err, "cannot read workspaces") :
		    tock_err_set(err, TOCK_EEXISTS,
		    "a workspace named '%s' exists already", name);
		goto fail;
	}
	uuid_v7(id, db_now(db));
	fieldset_text(&fs, "name", name);
	if ((rc = db_change(db, "workspace", id, "create", &fs, err)) != 0)
		goto fail;
	/* The server makes the creator admin too (DESIGN.md); recording it
	 * here lets member ls and the role checks work before the sync. */
	if ((st = dbi_stmt(db, "INSERT INTO memberships(workspace_id, "
	    "user_id, role) VALUES (?1, ?2, 'admin')", err)) == NULL) {
		rc = TOCK_ERR;
		goto fail;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, db->user_id, -1, SQLITE_STATIC);
	if ((rc = dbi_step_done(db, st, err, "cannot add membership")) != 0 ||
	    (rc = set_current(db, id, err)) != 0 ||
	    (rc = db_commit(db, err)) != 0)
		goto fail;
	return 0;
fail:
	db_rollback(db);
	memcpy(db->workspace_id, saved, sizeof saved);
	return rc;
}

int
db_member_list(struct db *db, const char *ws_id, db_member_cb *cb,
    void *arg, struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "SELECT m.user_id, "
	    "coalesce(u.name, ''), u.email, m.role FROM memberships m "
	    "LEFT JOIN users u ON u.id = m.user_id "
	    "WHERE m.workspace_id = ?1 AND m.deleted = 0 "
	    "ORDER BY CASE m.role WHEN 'admin' THEN 0 WHEN 'lead' THEN 1 "
	    "ELSE 2 END, u.name COLLATE NOCASE, m.user_id", err);
	struct member_info m;
	int rc;

	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, ws_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		m.user_id = (const char *)sqlite3_column_text(st, 0);
		m.name = (const char *)sqlite3_column_text(st, 1);
		m.email = (const char *)sqlite3_column_text(st, 2);
		m.role = (const char *)sqlite3_column_text(st, 3);
		m.me = strcmp(m.user_id, db->user_id) == 0;
		if ((rc = cb(&m, arg)) != 0) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dbi_fail(db, err, "cannot list members");
	return 0;
}

int
db_member_find(struct db *db, const char *ws_id, const char *email,
    char user_id[UUID_STRLEN + 1], struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "SELECT m.user_id FROM memberships m "
	    "JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ?1 AND "
	    "m.deleted = 0 AND u.email = ?2 COLLATE NOCASE", err);
	int rc;

	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, ws_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, email, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		dbi_copy_col(user_id, UUID_STRLEN + 1, st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return tock_err_set(err, TOCK_ENOTFOUND,
		    "no member '%s' in this workspace", email);
	return dbi_fail(db, err, "cannot find member");
}

int64_t
db_write_count(struct db *db)
{
	return db != NULL && db->h != NULL ? sqlite3_total_changes64(db->h) :
	    0;
}
