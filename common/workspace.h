/*
 * workspace.h - workspaces and memberships as the replica knows them, for
 * tock workspace and tock member.  Part of the db module (db_workspace.c).
 *
 * Everything here is local and works offline.  The current workspace is
 * sync_meta's workspace_id: the workspace new tasks go to.  A workspace
 * created here is written through db_change, so it reaches the server
 * with the next sync like any other change.
 *
 * Callbacks get borrowed structs, valid for the call only.
 */
#ifndef TOCK_WORKSPACE_H
#define TOCK_WORKSPACE_H

#include <stdbool.h>
#include <stdint.h>

#include "uuid.h"

struct db;
struct tock_err;

struct workspace_info {
	const char *id;
	const char *name;
	const char *role;	/* the replica user's role, or NULL */
	bool current;
	bool pending;		/* its create op has not reached the server */
};
typedef int db_workspace_cb(const struct workspace_info *w, void *arg);
/* Workspaces not deleted, by name. */
int db_workspace_list(struct db *db, db_workspace_cb *cb, void *arg,
    struct tock_err *err);

/* A name (exact, then case-insensitive) or an id prefix of 4+ hex
 * digits to an id.  TOCK_ENOTFOUND, or TOCK_EAMBIGUOUS with the
 * candidates in the message. */
int db_workspace_resolve(struct db *db, char id[UUID_STRLEN + 1],
    const char *ref, struct tock_err *err);
/* The name of a workspace id (malloc'd), or NULL if unknown. */
char *db_workspace_name(struct db *db, const char *id);
/* Whether the workspace's create op is still in the outbox. */
bool db_workspace_pending(struct db *db, const char *id);

/* Make id the current workspace (it must exist). */
int db_workspace_use(struct db *db, const char *id, struct tock_err *err);
/* Create a workspace offline, with the replica user as its admin, and
 * make it current; its id into id.  TOCK_EINVAL for a bad name,
 * TOCK_EEXISTS when the replica has a workspace of that name. */
int db_workspace_create(struct db *db, const char *name,
    char id[UUID_STRLEN + 1], struct tock_err *err);

struct member_info {
	const char *user_id;
	const char *name;
	const char *email;	/* NULL when unknown */
	const char *role;
	bool me;		/* the replica user */
};
typedef int db_member_cb(const struct member_info *m, void *arg);
/* Members of a workspace (not removed), admins first, then by name. */
int db_member_list(struct db *db, const char *ws_id, db_member_cb *cb,
    void *arg, struct tock_err *err);
/* The user id of the member with this email (case-insensitive);
 * TOCK_ENOTFOUND if none. */
int db_member_find(struct db *db, const char *ws_id, const char *email,
    char user_id[UUID_STRLEN + 1], struct tock_err *err);

/* Rows this connection has inserted, updated or deleted since it was
 * opened (SQLite's total_changes): whether a command wrote anything. */
int64_t db_write_count(struct db *db);

#endif
