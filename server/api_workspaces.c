/* SPDX-License-Identifier: ISC */
/*
 * api_workspaces.c - workspaces and their members (DESIGN.md "Roles").
 *
 * Only an admin changes members and roles; a workspace always keeps at
 * least one admin (the count is taken under the scope's row lock, so two
 * admins demoting each other at once cannot both succeed).  Adding an
 * email that has no account yet records an invitation, which becomes a
 * membership when that address registers.  Every change enters the
 * workspace's change log and the member's own scope (SYNC.md 3.13): that
 * is how a replica learns of a workspace it was just added to, or lost.
 *
 * Row-level security lets a transaction write only the scopes its user
 * may read, and the member's scope is not the admin's.  So the scopes are
 * locked and the log written acting as the member (while they are a
 * member: after the insert, before the delete), and everything else as
 * the admin.  Both scopes are locked in one cl_lock (uuid order).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "changelog.h"
#include "err.h"
#include "model.h"
#include "pg.h"
#include "reqjson.h"
#include "strbuf.h"

static bool
role_ok(const char *r)
{
	return strcmp(r, "admin") == 0 || strcmp(r, "lead") == 0 ||
	    strcmp(r, "member") == 0;
}

static int
body_role(const struct req *rq, struct resp *rs, const char **role)
{
	if (api_body_str(rq, rs, "role", true, role, NULL) != 0)
		return -1;
	if (!role_ok(*role)) {
		resp_field_error(rs, "role", "'role' must be admin, lead or "
		    "member");
		return -1;
	}
	return 0;
}

static void
membership_fields(struct strbuf *sb, const char *uid, const char *role)
{
	strbuf_reset(sb);
	strbuf_addstr(sb, "{\"user_id\":");
	strbuf_add_json_str(sb, uid);
	strbuf_addstr(sb, ",\"role\":");
	if (role != NULL)
		strbuf_add_json_str(sb, role);
	else
		strbuf_addstr(sb, "null");
	strbuf_addch(sb, '}');
}

/* Who the transaction acts as, for row-level security (until it ends). */
static int
act_as(struct pg *pg, const char *uid, struct tock_err *err)
{
	return pg_query(pg, NULL, err, "SELECT set_config('tock.user_id', $1,"
	    " true)", 1, uid);
}

/* Lock the workspace's scope and the member's, acting as the member (who
 * must be a member now), then act as the caller again.  0, or -1 after a
 * 404 (not a member) or an error. */
static int
lock_member(struct req *rq, struct resp *rs, struct pg *pg,
    struct changelog *cl, const char *uid)
{
	struct tock_err err = TOCK_ERR_INIT;
	const char *ids[2] = { rq->param[0], uid };
	int rc;

	if ((rc = act_as(pg, uid, &err)) != 0 ||
	    (rc = cl_lock(cl, ids, 2, &err)) != 0 ||
	    (rc = act_as(pg, rq->user_id, &err)) != 0) {
		if (rc == TOCK_ENOTFOUND)
			resp_error(rs, 404, "not_found", "no such member");
		else
			api_db_error(rq, rs, rc, &err);
		return -1;
	}
	return 0;
}

/* The member's copy of a membership change: role NULL when removed. */
static int
member_row(struct pg *pg, struct changelog *cl, const char *ws,
    const char *uid, const char *role, struct tock_err *err)
{
	struct pg_res *res = NULL;
	struct strbuf f = STRBUF_INIT;
	int rc;

	if ((rc = pg_query(pg, &res, err, "SELECT u.name, u.email, w.name"
	    " FROM users u, workspaces w WHERE u.id = $2 AND w.id = $1", 2, ws,
	    uid)) != 0)
		return rc;
	if (pg_nrows(res) != 1) {
		pg_res_free(res);
		return tock_err_set(err, TOCK_ENOTFOUND, "no member %s of %s",
		    uid, ws);
	}
	strbuf_addstr(&f, "{\"workspace_id\":");
	strbuf_add_json_str(&f, ws);
	strbuf_addstr(&f, ",\"user_id\":");
	strbuf_add_json_str(&f, uid);
	strbuf_addstr(&f, ",\"role\":");
	if (role != NULL)
		strbuf_add_json_str(&f, role);
	else
		strbuf_addstr(&f, "null");
	strbuf_addstr(&f, ",\"name\":");
	strbuf_add_json_str(&f, pg_value(res, 0, 0));
	strbuf_addstr(&f, ",\"email\":");
	strbuf_add_json_str(&f, pg_value(res, 0, 1));
	strbuf_addstr(&f, ",\"workspace_name\":");
	strbuf_add_json_str(&f, pg_value(res, 0, 2));
	strbuf_addch(&f, '}');
	cl_add(cl, uid, CL_MEMBERSHIP, uid, CL_MEMBERSHIP_CHANGE, f.buf, NULL);
	strbuf_release(&f);
	pg_res_free(res);
	return 0;
}

/* cl_flush acting as the member (the log of their scope), then as the
 * caller again. */
static int
flush_as_member(struct req *rq, struct pg *pg, struct changelog *cl,
    const char *uid, struct tock_err *err)
{
	int rc;

	if ((rc = act_as(pg, uid, err)) != 0 ||
	    (rc = cl_flush(cl, err)) != 0)
		return rc;
	return act_as(pg, rq->user_id, err);
}

void
api_workspaces_list(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	int rc;

	if ((rc = pg_begin(pg, rq->user_id, &err)) != 0) {
		api_db_error(rq, rs, rc, &err);
		return;
	}
	if (api_answer_json(rq, rs, pg, 200, "workspace",
	    "SELECT json_build_object('workspaces', coalesce(json_agg("
	    " json_build_object('id', w.id, 'name', w.name, 'personal',"
	    " w.personal, 'role', m.role, 'created_at', tock_ts(w.created_at))"
	    " ORDER BY w.personal DESC, w.created_at, w.id), '[]'::json))"
	    " FROM workspaces w JOIN memberships m ON m.workspace_id = w.id"
	    " AND m.user_id = tock_uid()", 0, NULL) == 0 &&
	    (rc = pg_commit(pg, &err)) != 0)
		api_db_error(rq, rs, rc, &err);
	pg_rollback(pg);
}

void
api_workspaces_create(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct strbuf fields = STRBUF_INIT;
	struct changelog cl;
	const char *name, *p, *scope;
	char ws[UUID_STRLEN + 1];
	int rc;

	cl_init(&cl, pg, rq->user_id);
	if (api_body_str(rq, rs, "name", true, &name, NULL) != 0)
		goto out;
	if (model_check_text("name", name, 400, &err) != 0) {
		resp_field_error(rs, "name", "%s", err.msg);
		goto out;
	}
	for (p = name; *p == ' '; p++)
		;
	if (*p == '\0') {
		resp_field_error(rs, "name", "'name' is empty");
		goto out;
	}
	srv_new_id(ws);
	scope = ws;
	if ((rc = pg_begin(pg, rq->user_id, &err)) != 0 ||
	    (rc = pg_query(pg, NULL, &err,
	    "SELECT tock_create_workspace($1, $2, false)", 2, ws, name)) != 0 ||
	    (rc = cl_lock(&cl, &scope, 1, &err)) != 0)
		goto dberr;
	strbuf_addstr(&fields, "{\"name\":");
	strbuf_add_json_str(&fields, name);
	strbuf_addstr(&fields, ",\"personal\":false,\"created_by\":");
	strbuf_add_json_str(&fields, rq->user_id);
	strbuf_addch(&fields, '}');
	cl_add(&cl, ws, CL_WORKSPACE, ws, CL_CREATE, fields.buf, NULL);
	membership_fields(&fields, rq->user_id, "admin");
	cl_add(&cl, ws, CL_MEMBERSHIP, rq->user_id, CL_MEMBERSHIP_CHANGE,
	    fields.buf, NULL);
	if ((rc = cl_flush(&cl, &err)) != 0)
		goto dberr;
	{
		const char *params[1] = { ws };

		if (api_answer_json(rq, rs, pg, 201, "workspace",
		    "SELECT json_build_object('id', id, 'name', name,"
		    " 'personal', personal, 'role', 'admin', 'created_at',"
		    " tock_ts(created_at)) FROM workspaces WHERE id = $1", 1,
		    params) != 0)
			goto out;
	}
	if ((rc = pg_commit(pg, &err)) != 0)
		goto dberr;
	goto out;
dberr:
	api_db_error(rq, rs, rc, &err);
out:
	pg_rollback(pg);
	cl_release(&cl);
	strbuf_release(&fields);
}

void
api_members_list(struct req *rq, struct resp *rs, struct pg *pg)
{
	const char *params[2];
	struct tock_err err = TOCK_ERR_INIT;
	char role[8];
	int rc;

	if (api_param_uuid(rq, rs, 0, "id") != 0)
		return;
	if ((rc = pg_begin(pg, rq->user_id, &err)) != 0) {
		api_db_error(rq, rs, rc, &err);
		return;
	}
	if (api_role(rq, rs, pg, rq->param[0], role) != 0)
		goto out;
	params[0] = rq->param[0];
	/* Invitations are listed to admins only (the policy hides them
	 * from everyone else anyway). */
	params[1] = strcmp(role, "admin") == 0 ? "t" : "f";
	if (api_answer_json(rq, rs, pg, 200, "workspace",
	    "SELECT json_build_object('members', (SELECT coalesce(json_agg("
	    " json_build_object('user_id', u.id, 'email', u.email, 'name',"
	    " u.name, 'role', m.role, 'joined_at', tock_ts(m.created_at))"
	    " ORDER BY m.created_at, u.id), '[]'::json) FROM memberships m"
	    " JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1),"
	    " 'invitations', CASE WHEN $2::boolean THEN (SELECT coalesce("
	    " json_agg(json_build_object('email', i.email, 'role', i.role,"
	    " 'invited_at', tock_ts(i.created_at)) ORDER BY i.created_at),"
	    " '[]'::json) FROM invitations i WHERE i.workspace_id = $1)"
	    " ELSE '[]'::json END)", 2, params) == 0 &&
	    (rc = pg_commit(pg, &err)) != 0)
		api_db_error(rq, rs, rc, &err);
out:
	pg_rollback(pg);
}

/* Begin and check that the caller is an admin of the path's workspace;
 * with member non-NULL also lock the two scopes (lock_member).  0 or -1
 * (answered). */
static int
begin_admin(struct req *rq, struct resp *rs, struct pg *pg,
    struct changelog *cl, const char *member)
{
	struct tock_err err = TOCK_ERR_INIT;
	char role[8];
	int rc;

	if ((rc = pg_begin(pg, rq->user_id, &err)) != 0) {
		api_db_error(rq, rs, rc, &err);
		return -1;
	}
	if (api_role(rq, rs, pg, rq->param[0], role) != 0)
		return -1;
	if (strcmp(role, "admin") != 0) {
		resp_error(rs, 403, "forbidden",
		    "only an admin of the workspace may change its members");
		return -1;
	}
	return member != NULL ? lock_member(rq, rs, pg, cl, member) : 0;
}

void
api_members_add(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	struct strbuf fields = STRBUF_INIT;
	struct changelog cl;
	const char *email, *role, *uid;
	int rc;

	cl_init(&cl, pg, rq->user_id);
	if (api_param_uuid(rq, rs, 0, "id") != 0 ||
	    api_body_str(rq, rs, "email", true, &email, NULL) != 0 ||
	    body_role(rq, rs, &role) != 0)
		goto out;
	if (strchr(email, '@') == NULL || strlen(email) > 254) {
		resp_field_error(rs, "email", "'email' is not a valid address");
		goto out;
	}
	if (begin_admin(rq, rs, pg, &cl, NULL) != 0)
		goto out;
	if ((rc = pg_query(pg, &res, &err, "SELECT id FROM users"
	    " WHERE email = $1", 1, email)) != 0)
		goto dberr;
	if (pg_nrows(res) == 0) {
		const char *params[3] = { rq->param[0], email, role };

		if ((rc = pg_query(pg, NULL, &err, "INSERT INTO invitations"
		    " (workspace_id, email, role, invited_by)"
		    " VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id, email)"
		    " DO UPDATE SET role = EXCLUDED.role", 4, rq->param[0], email,
		    role, rq->user_id)) != 0)
			goto dberr;
		if (api_answer_json(rq, rs, pg, 201, "invitation",
		    "SELECT json_build_object('email', $2::text, 'role',"
		    " $3::text, 'status', 'invited', 'workspace_id', $1::uuid)",
		    3, params) != 0)
			goto out;
		if ((rc = pg_commit(pg, &err)) != 0)
			goto dberr;
		goto out;
	}
	uid = pg_value(res, 0, 0);
	rc = pg_query(pg, NULL, &err, "INSERT INTO memberships"
	    " (workspace_id, user_id, role) VALUES ($1, $2, $3)", 3,
	    rq->param[0], uid, role);
	if (rc == TOCK_EEXISTS) {
		resp_error(rs, 409, "already_member",
		    "this user is already a member; change the role instead");
		goto out;
	}
	if (rc != 0)
		goto dberr;
	/* A member now, so the scopes can be locked as them. */
	if (lock_member(rq, rs, pg, &cl, uid) != 0)
		goto out;
	membership_fields(&fields, uid, role);
	cl_add(&cl, rq->param[0], CL_MEMBERSHIP, uid, CL_MEMBERSHIP_CHANGE,
	    fields.buf, NULL);
	if ((rc = member_row(pg, &cl, rq->param[0], uid, role, &err)) != 0 ||
	    (rc = flush_as_member(rq, pg, &cl, uid, &err)) != 0)
		goto dberr;
	{
		const char *params[2] = { rq->param[0], uid };

		if (api_answer_json(rq, rs, pg, 201, "member",
		    "SELECT json_build_object('user_id', u.id, 'email', u.email,"
		    " 'name', u.name, 'role', m.role, 'status', 'active')"
		    " FROM memberships m JOIN users u ON u.id = m.user_id"
		    " WHERE m.workspace_id = $1 AND m.user_id = $2", 2,
		    params) != 0)
			goto out;
	}
	if ((rc = pg_commit(pg, &err)) != 0)
		goto dberr;
	goto out;
dberr:
	api_db_error(rq, rs, rc, &err);
out:
	pg_rollback(pg);
	pg_res_free(res);
	cl_release(&cl);
	strbuf_release(&fields);
}

/* The target's role (0), or -1 after a 404 or an error. */
static int
target_role(struct req *rq, struct resp *rs, struct pg *pg, char role[8])
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	int rc;

	if ((rc = pg_query(pg, &res, &err, "SELECT role FROM memberships"
	    " WHERE workspace_id = $1 AND user_id = $2 FOR UPDATE", 2,
	    rq->param[0], rq->param[1])) != 0) {
		api_db_error(rq, rs, rc, &err);
		return -1;
	}
	if (pg_nrows(res) != 1) {
		pg_res_free(res);
		resp_error(rs, 404, "not_found", "no such member");
		return -1;
	}
	snprintf(role, 8, "%s", pg_value(res, 0, 0));
	pg_res_free(res);
	return 0;
}

/* Would taking the admin role from one admin leave none?  1 yes, 0 no,
 * -1 answered an error. */
static int
last_admin(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	int rc;

	if ((rc = pg_query(pg, &res, &err, "SELECT count(*) FROM memberships"
	    " WHERE workspace_id = $1 AND role = 'admin'", 1, rq->param[0])) !=
	    0) {
		api_db_error(rq, rs, rc, &err);
		return -1;
	}
	rc = atoi(pg_value(res, 0, 0)) <= 1;
	pg_res_free(res);
	return rc;
}

void
api_members_update(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct strbuf fields = STRBUF_INIT;
	struct changelog cl;
	const char *role;
	char old[8];
	int rc;

	cl_init(&cl, pg, rq->user_id);
	if (api_param_uuid(rq, rs, 0, "id") != 0 ||
	    api_param_uuid(rq, rs, 1, "user_id") != 0 ||
	    body_role(rq, rs, &role) != 0 ||
	    begin_admin(rq, rs, pg, &cl, rq->param[1]) != 0 ||
	    target_role(rq, rs, pg, old) != 0)
		goto out;
	if (strcmp(old, "admin") == 0 && strcmp(role, "admin") != 0) {
		if ((rc = last_admin(rq, rs, pg)) != 0) {
			if (rc > 0)
				resp_error(rs, 409, "last_admin", "a workspace "
				    "needs at least one admin");
			goto out;
		}
	}
	if ((rc = pg_query(pg, NULL, &err, "UPDATE memberships SET role = $3"
	    " WHERE workspace_id = $1 AND user_id = $2", 3, rq->param[0],
	    rq->param[1], role)) != 0)
		goto dberr;
	membership_fields(&fields, rq->param[1], role);
	cl_add(&cl, rq->param[0], CL_MEMBERSHIP, rq->param[1],
	    CL_MEMBERSHIP_CHANGE, fields.buf, NULL);
	if ((rc = member_row(pg, &cl, rq->param[0], rq->param[1], role,
	    &err)) != 0 ||
	    (rc = flush_as_member(rq, pg, &cl, rq->param[1], &err)) != 0)
		goto dberr;
	{
		const char *params[2] = { rq->param[0], rq->param[1] };

		if (api_answer_json(rq, rs, pg, 200, "member",
		    "SELECT json_build_object('user_id', u.id, 'email', u.email,"
		    " 'name', u.name, 'role', m.role, 'status', 'active')"
		    " FROM memberships m JOIN users u ON u.id = m.user_id"
		    " WHERE m.workspace_id = $1 AND m.user_id = $2", 2,
		    params) != 0)
			goto out;
	}
	if ((rc = pg_commit(pg, &err)) != 0)
		goto dberr;
	goto out;
dberr:
	api_db_error(rq, rs, rc, &err);
out:
	pg_rollback(pg);
	cl_release(&cl);
	strbuf_release(&fields);
}

void
api_members_remove(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	struct strbuf fields = STRBUF_INIT;
	struct changelog cl;
	char old[8];
	int64_t seq;
	int rc, i;

	cl_init(&cl, pg, rq->user_id);
	if (api_param_uuid(rq, rs, 0, "id") != 0 ||
	    api_param_uuid(rq, rs, 1, "user_id") != 0 ||
	    begin_admin(rq, rs, pg, &cl, rq->param[1]) != 0 ||
	    target_role(rq, rs, pg, old) != 0)
		goto out;
	if (strcmp(old, "admin") == 0 && (rc = last_admin(rq, rs, pg)) != 0) {
		if (rc > 0)
			resp_error(rs, 409, "last_admin",
			    "a workspace needs at least one admin");
		goto out;
	}
	cl_stamp(&cl, NULL);
	/* A timer the member left running here stops now: once removed,
	 * they could no longer stop it themselves. */
	if ((rc = pg_query(pg, &res, &err, "SELECT id, tock_ms(now())"
	    " FROM time_entries WHERE workspace_id = $1 AND user_id = $2"
	    " AND end_time IS NULL AND NOT deleted", 2, rq->param[0],
	    rq->param[1])) != 0)
		goto dberr;
	for (i = 0; i < pg_nrows(res); i++) {
		char seqs[24];

		strbuf_reset(&fields);
		strbuf_addf(&fields, "{\"end_time\":%s,\"end_src\":\"auto\"}",
		    pg_value(res, i, 1));
		cl_add(&cl, rq->param[0], CL_TIME_ENTRY, pg_value(res, i, 0),
		    CL_SET, fields.buf, &seq);
		snprintf(seqs, sizeof seqs, "%lld", (long long)seq);
		if ((rc = pg_query(pg, NULL, &err, "UPDATE time_entries SET"
		    " end_time = now(), end_src = 'auto', auto_at = now(),"
		    " auto_hlc = $2, version = version + 1, updated_at = now(),"
		    " fhlc = fhlc || tock_fhlc($3::jsonb, $2), last_seq = $4"
		    " WHERE id = $1", 4, pg_value(res, i, 0), cl.hlc, fields.buf,
		    seqs)) != 0)
			goto dberr;
	}
	membership_fields(&fields, rq->param[1], NULL);
	cl_add(&cl, rq->param[0], CL_MEMBERSHIP, rq->param[1],
	    CL_MEMBERSHIP_CHANGE, fields.buf, NULL);
	/* The log first: after the delete the member may not write it. */
	if ((rc = member_row(pg, &cl, rq->param[0], rq->param[1], NULL,
	    &err)) != 0 ||
	    (rc = flush_as_member(rq, pg, &cl, rq->param[1], &err)) != 0 ||
	    (rc = pg_query(pg, NULL, &err, "DELETE FROM memberships"
	    " WHERE workspace_id = $1 AND user_id = $2", 2, rq->param[0],
	    rq->param[1])) != 0 ||
	    (rc = pg_commit(pg, &err)) != 0)
		goto dberr;
	resp_json(rs, 204, "", 0);
	goto out;
dberr:
	api_db_error(rq, rs, rc, &err);
out:
	pg_rollback(pg);
	pg_res_free(res);
	cl_release(&cl);
	strbuf_release(&fields);
}
