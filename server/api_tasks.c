/* SPDX-License-Identifier: ISC */
/*
 * api_tasks.c - tasks and their comments over REST.
 *
 * Who may do what (DESIGN.md "Roles"): any member creates tasks, reads
 * the workspace's tasks and comments, and comments; a member edits only
 * tasks they created or are assigned, deletes only tasks they created,
 * and assigns only themselves; a lead or admin edits, assigns and deletes
 * any task.  Tasks of a workspace the caller is not in answer 404, never
 * 403: their existence is not the caller's business.
 *
 * Each write locks its workspace scope first (changelog.h), then the task
 * row, checks If-Match against the row's version, and appends its change
 * to sync_log in the same transaction.  Metadata keys are separate fields
 * in the log ("metadata.<key>"), as SYNC.md 3.10 merges them per key; a
 * null value in a PATCH removes the key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "changelog.h"
#include "err.h"
#include "listcache.h"
#include "model.h"
#include "pg.h"
#include "reqjson.h"
#include "log.h"
#include "timeparse.h"
#include "xmalloc.h"

#define PAGE_SIZE 25
#define META_KEYS_MAX 64

static const char *const statuses[] = { "todo", "in_progress", "done",
	"cancelled", NULL };

/* What a POST or PATCH body says, already validated. */
struct task_input {
	const char *title;
	const char *description;
	const char *status;
	const char *assignee;	/* NULL with assignee_k RJ_NULL: unassign */
	const char *due;
	const char *ws;
	const char *id;
	int title_k, description_k, status_k, assignee_k, due_k, ws_k, id_k;
	int meta_k;
	struct jobj meta;	/* metadata patch: {key: value|null} */
	struct jobj logmeta;	/* the same as "metadata.<key>" members */
	int nmeta;
};

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* YYYY-MM-DD naming a real day. */
static bool
date_ok(const char *s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int y, m, d, i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return false;
	return d <= mdays[m - 1] + (m == 2 && leap(y));
}

static int
meta_member(const char *name, const char *value, void *arg)
{
	struct task_input *in = arg;
	char key[META_KEY_MAX + 16];

	if (model_check_meta_key(name, NULL) != 0 ||
	    strlen(value) > META_VALUE_MAX || ++in->nmeta > META_KEYS_MAX)
		return -1;
	jo_raw(&in->meta, name, value);
	snprintf(key, sizeof key, "metadata.%s", name);
	jo_raw(&in->logmeta, key, value);
	return 0;
}

static void
task_input_release(struct task_input *in)
{
	jo_release(&in->meta);
	jo_release(&in->logmeta);
}

/* Read and check a task body; -1 after a 400 naming the field. */
static int
task_input_read(struct req *rq, struct resp *rs, struct task_input *in,
    bool create)
{
	struct tock_err err = TOCK_ERR_INIT;
	char *obj = NULL;
	int i;

	memset(in, 0, sizeof *in);
	jo_init(&in->meta);
	jo_init(&in->logmeta);
	if (api_body_str(rq, rs, "title", create, &in->title,
	    &in->title_k) != 0)
		return -1;
	if (in->title_k == RJ_NULL) {
		resp_field_error(rs, "title", "'title' must not be null");
		return -1;
	}
	if (in->title_k == RJ_VALUE &&
	    model_check_title(in->title, &err) != 0) {
		resp_field_error(rs, "title", "%s", err.msg);
		return -1;
	}
	if (api_body_str(rq, rs, "description", false, &in->description,
	    &in->description_k) != 0)
		return -1;
	if (in->description_k == RJ_NULL) {
		resp_field_error(rs, "description",
		    "'description' must be a string");
		return -1;
	}
	if (in->description_k == RJ_VALUE && model_check_text("description",
	    in->description, TEXT_MAX, &err) != 0) {
		resp_field_error(rs, "description", "%s", err.msg);
		return -1;
	}
	if (api_body_str(rq, rs, "status", false, &in->status,
	    &in->status_k) != 0)
		return -1;
	if (in->status_k == RJ_VALUE) {
		for (i = 0; statuses[i] != NULL; i++)
			if (strcmp(in->status, statuses[i]) == 0)
				break;
		if (statuses[i] == NULL) {
			resp_field_error(rs, "status", "'status' must be todo, "
			    "in_progress, done or cancelled");
			return -1;
		}
	} else if (in->status_k == RJ_NULL) {
		resp_field_error(rs, "status", "'status' must not be null");
		return -1;
	}
	if (api_body_uuid(rq, rs, "assignee_id", true, &in->assignee,
	    &in->assignee_k) != 0)
		return -1;
	if (api_body_str(rq, rs, "due_date", false, &in->due,
	    &in->due_k) != 0)
		return -1;
	if (in->due_k == RJ_VALUE && !date_ok(in->due)) {
		resp_field_error(rs, "due_date", "'due_date' must be a date "
		    "like 2026-12-31");
		return -1;
	}
	if (create) {
		if (api_body_uuid(rq, rs, "workspace_id", false, &in->ws,
		    &in->ws_k) != 0 ||
		    api_body_uuid(rq, rs, "id", false, &in->id, &in->id_k) != 0)
			return -1;
	}
	in->meta_k = rjson_get_object(rq->json, "metadata", &obj, &err);
	if (in->meta_k < 0) {
		resp_field_error(rs, "metadata", "%s", err.msg);
		return -1;
	}
	free(obj);
	if (in->meta_k == RJ_NULL) {
		resp_field_error(rs, "metadata", "'metadata' must be an object");
		return -1;
	}
	if (in->meta_k == RJ_VALUE &&
	    rjson_each_member(rq->json, "metadata", meta_member, in) != 0) {
		resp_field_error(rs, "metadata", "'metadata' keys must be 1 to "
		    "%d of [A-Za-z0-9_-], at most %d of them, and each value "
		    "at most %d bytes", META_KEY_MAX, META_KEYS_MAX,
		    META_VALUE_MAX);
		return -1;
	}
	jo_end(&in->meta);
	return 0;
}

/* The "metadata.<key>" members of in, for the change log. */
static void
add_log_meta(struct jobj *fields, struct task_input *in)
{
	const char *t = jo_end(&in->logmeta);
	size_t n = strlen(t);

	/* Splice the members of {...} into fields. */
	if (n > 2) {
		if (fields->n++ > 0)
			strbuf_addch(&fields->sb, ',');
		strbuf_add(&fields->sb, t + 1, n - 2);
	}
}

static bool
may_edit(const char *role, const char *me, const char *created_by,
    const char *assignee)
{
	if (strcmp(role, "member") != 0)
		return true;
	return strcmp(created_by, me) == 0 ||
	    (assignee != NULL && strcmp(assignee, me) == 0);
}

/* Check a new assignee: a member may assign only themselves, and the
 * assignee must belong to the workspace.  0, or -1 answered. */
static int
check_assignee(struct req *rq, struct resp *rs, struct pg *pg,
    const char *ws, const char *role, const char *assignee)
{
	int rc;

	if (assignee == NULL)
		return 0;
	if (strcmp(role, "member") == 0 &&
	    strcmp(assignee, rq->user_id) != 0) {
		resp_error(rs, 403, "forbidden", "a member may assign tasks "
		    "only to themselves");
		return -1;
	}
	if ((rc = api_is_member(rq, rs, pg, ws, assignee)) < 0)
		return -1;
	if (rc == 0) {
		resp_field_error(rs, "assignee_id", "'assignee_id' is not a "
		    "member of the task's workspace");
		return -1;
	}
	return 0;
}

static void
set_etag(struct resp *rs, const char *version)
{
	snprintf(rs->etag, sizeof rs->etag, "\"%s\"",
	    version != NULL ? version : "0");
}

void
api_tasks_create(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	struct task_input in;
	struct changelog cl;
	struct jobj fields;
	char id[UUID_STRLEN + 1], ws[UUID_STRLEN + 1], role[8];
	char created[24], seqs[24];
	const char *scope = ws, *v;
	int64_t now = time_now_ms(), seq;
	int rc;

	cl_init(&cl, pg, rq->user_id);
	jo_init(&fields);
	if (task_input_read(rq, rs, &in, true) != 0)
		goto out;
	if (in.id_k == RJ_VALUE)
		snprintf(id, sizeof id, "%s", in.id);
	else
		srv_new_id(id);
	if ((rc = pg_begin(pg, rq->user_id, &err)) != 0)
		goto dberr;
	if (in.ws_k == RJ_VALUE)
		snprintf(ws, sizeof ws, "%s", in.ws);
	else {
		/* No workspace_id: the caller's default (personal) one. */
		if ((rc = pg_query(pg, &res, &err, "SELECT default_workspace_id"
		    " FROM users WHERE id = $1", 1, rq->user_id)) != 0)
			goto dberr;
		if ((v = pg_value(res, 0, 0)) == NULL) {
			resp_field_error(rs, "workspace_id", "'workspace_id' is "
			    "required: you have no default workspace");
			goto out;
		}
		snprintf(ws, sizeof ws, "%s", v);
		pg_res_free(res);
		res = NULL;
	}
	if (api_role(rq, rs, pg, ws, role) != 0 ||
	    check_assignee(rq, rs, pg, ws, role,
	    in.assignee_k == RJ_VALUE ? in.assignee : NULL) != 0)
		goto out;
	if ((rc = cl_lock(&cl, &scope, 1, &err)) != 0)
		goto dberr;
	cl_stamp(&cl, NULL);

	snprintf(created, sizeof created, "%lld", (long long)now);
	jo_str(&fields, "title", in.title);
	jo_str(&fields, "description",
	    in.description_k == RJ_VALUE ? in.description : "");
	jo_str(&fields, "status", in.status_k == RJ_VALUE ? in.status : "todo");
	jo_str(&fields, "assignee_id",
	    in.assignee_k == RJ_VALUE ? in.assignee : NULL);
	jo_str(&fields, "created_by", rq->user_id);
	jo_raw(&fields, "created_at", created);
	jo_str(&fields, "due_date", in.due_k == RJ_VALUE ? in.due : NULL);
	add_log_meta(&fields, &in);
	jo_end(&fields);
	cl_add(&cl, ws, CL_TASK, id, CL_CREATE, fields.sb.buf, &seq);
	snprintf(seqs, sizeof seqs, "%lld", (long long)seq);

	{
		const char *p[13] = { id, ws, in.title,
			in.description_k == RJ_VALUE ? in.description : "",
			in.status_k == RJ_VALUE ? in.status : "todo",
			in.assignee_k == RJ_VALUE ? in.assignee : NULL,
			rq->user_id, created,
			in.due_k == RJ_VALUE ? in.due : NULL,
			in.meta.sb.buf, fields.sb.buf, cl.hlc, seqs };

		rc = pg_exec(pg, &res, "INSERT INTO tasks (id, workspace_id,"
		    " title, description, status, assignee_id, created_by,"
		    " created_at, updated_at, due_date, metadata, fhlc, last_seq)"
		    " VALUES ($1, $2, $3, $4, $5, $6, $7,"
		    " to_timestamp($8::float8 / 1000), to_timestamp($8::float8 /"
		    " 1000), $9::date, (SELECT coalesce(jsonb_object_agg(key,"
		    " value), '{}'::jsonb) FROM jsonb_each($10::jsonb)"
		    " WHERE value <> 'null'::jsonb), tock_fhlc($11::jsonb, $12),"
		    " $13) RETURNING tock_task_json(tasks.*)", 13, p, &err);
	}
	if (rc == TOCK_EEXISTS) {
		resp_error(rs, 409, "exists", "a task with this id exists");
		goto out;
	}
	/* Notifications are queued by the tasks_notify trigger. */
	if (rc != 0 ||
	    (rc = cl_flush(&cl, &err)) != 0 ||
	    (rc = pg_commit(pg, &err)) != 0)
		goto dberr;
	resp_json(rs, 201, pg_value(res, 0, 0), strlen(pg_value(res, 0, 0)));
	set_etag(rs, "1");
	goto out;
dberr:
	api_db_error(rq, rs, rc, &err);
out:
	pg_rollback(pg);
	pg_res_free(res);
	cl_release(&cl);
	jo_release(&fields);
	task_input_release(&in);
}

/*
 * Every last_seq of the caller's workspaces, "ws:seq,..." in id order: the
 * stamp of a list across them all.  A new membership, a lost one, or a
 * write in any of them changes it.
 */
#define LIST_STAMP_ALL "(SELECT coalesce(string_agg(m.workspace_id::text" \
	" || ':' || s.last_seq, ',' ORDER BY m.workspace_id), '')" \
	" FROM memberships m JOIN scopes s ON s.id = m.workspace_id" \
	" WHERE m.user_id = tock_uid())"

/*
 * A page, the total and the stamp, from one snapshot.  The page and the
 * count each scan the tasks themselves: a CTE of whole rows read twice
 * was materialized (to disk at 100,000 tasks).  WS is the workspace
 * filter, literal so that a plan can use tasks_ws for it; $1 is the
 * workspace or NULL, $2 status, $3 assignee, $4 offset, $5 page.
 */
#define LIST_WHERE(WS) " WHERE NOT t.deleted AND " WS \
	" AND ($2::text IS NULL OR t.status = $2::text)" \
	" AND ($3::uuid IS NULL OR t.assignee_id = $3::uuid)"
#define LIST_SQL(WS) "SELECT json_build_object('tasks', coalesce((SELECT" \
	" json_agg(tock_task_json(p.t) ORDER BY (p.t).id DESC) FROM" \
	" (SELECT t FROM tasks t" LIST_WHERE(WS) " ORDER BY t.id DESC" \
	" LIMIT 25 OFFSET $4::bigint) p), '[]'::json), 'total'," \
	" (SELECT count(*) FROM tasks t" LIST_WHERE(WS) "), 'page'," \
	" $5::bigint, 'per_page', 25), CASE WHEN $1::uuid IS NULL THEN " \
	LIST_STAMP_ALL " ELSE (SELECT last_seq FROM scopes" \
	" WHERE id = $1::uuid)::text END"

/*
 * The cache key of a list (listcache.h): the scope and its last_seq for
 * one workspace (shared by its members, who all see the same tasks), or
 * the user and the stamp of all their workspaces; then the filters and
 * the page.  params as in api_tasks_list.
 */
static void
list_key(struct strbuf *key, const struct req *rq, const char *const *params,
    const char *stamp)
{
	strbuf_reset(key);
	if (params[0] != NULL)
		strbuf_addf(key, "w|%s|%s", params[0], stamp);
	else
		strbuf_addf(key, "u|%s|%s", rq->user_id, stamp);
	strbuf_addf(key, "|%s|%s|%s", params[1] != NULL ? params[1] : "",
	    params[2] != NULL ? params[2] : "", params[4]);
}

void
api_tasks_list(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	struct strbuf key = STRBUF_INIT;
	const char *ws, *status, *assignee, *page_s, *params[5], *v;
	char offset[24], page[24];
	long long pn = 1;
	char *end;
	int i, rc;

	ws = req_query_get(rq, "workspace_id");
	status = req_query_get(rq, "status");
	assignee = req_query_get(rq, "assignee_id");
	page_s = req_query_get(rq, "page");
	if (ws != NULL && *ws == '\0')
		ws = NULL;
	if (status != NULL && *status == '\0')
		status = NULL;
	if (assignee != NULL && *assignee == '\0')
		assignee = NULL;
	if (ws != NULL && !uuid_valid(ws)) {
		resp_field_error(rs, "workspace_id",
		    "'workspace_id' is not a valid UUID");
		return;
	}
	if (status != NULL) {
		for (i = 0; statuses[i] != NULL; i++)
			if (strcmp(status, statuses[i]) == 0)
				break;
		if (statuses[i] == NULL) {
			resp_field_error(rs, "status", "'status' must be todo, "
			    "in_progress, done or cancelled");
			return;
		}
	}
	if (assignee != NULL && strcmp(assignee, "me") == 0)
		assignee = rq->user_id;
	else if (assignee != NULL && !uuid_valid(assignee)) {
		resp_field_error(rs, "assignee_id",
		    "'assignee_id' is not a valid UUID or 'me'");
		return;
	}
	if (page_s != NULL) {
		pn = strtoll(page_s, &end, 10);
		if (*page_s == '\0' || *end != '\0' || pn < 1 || pn > 1000000) {
			resp_field_error(rs, "page",
			    "'page' must be a whole number from 1");
			return;
		}
	}
	snprintf(offset, sizeof offset, "%lld", (pn - 1) * PAGE_SIZE);
	snprintf(page, sizeof page, "%lld", pn);
	params[0] = ws;
	params[1] = status;
	params[2] = assignee;
	params[3] = offset;
	params[4] = page;

	/* The head: the caller's role (404 if not a member) and the scope's
	 * last_seq, one statement outside a transaction (a cache hit's only
	 * query: BEGIN, set_config and COMMIT around it cost more than it);
	 * or, across all the caller's workspaces, each one's last_seq in one
	 * pipelined transaction. */
	if (ws != NULL)
		rc = pg_query(pg, &res, &err, "SELECT h.role, h.last_seq"
		    " FROM (SELECT 1) o LEFT JOIN tock_list_head($1::uuid,"
		    " $2::uuid) h ON true", 2, rq->user_id, ws);
	else
		rc = pg_tx_query(pg, rq->user_id, &res, &err, "SELECT"
		    " 'member', " LIST_STAMP_ALL, 0, params);
	if (rc != 0) {
		api_db_error(rq, rs, rc, &err);
		goto out;
	}
	if (pg_value(res, 0, 0) == NULL) {
		resp_error(rs, 404, "not_found", "no such workspace");
		goto out;
	}
	list_key(&key, rq, params, pg_value(res, 0, 1));
	pg_res_free(res);
	res = NULL;
	if (listcache_get(key.buf, &rs->body)) {
		rs->status = 200;
		goto out;
	}

	/* A miss: the page, the total and the stamp it goes under all come
	 * from one statement, so from one snapshot.  Row-level security
	 * limits them to the caller's workspaces. */
	if ((rc = pg_tx_query(pg, rq->user_id, &res, &err, ws != NULL ?
	    LIST_SQL("t.workspace_id = $1::uuid") :
	    LIST_SQL("$1::uuid IS NULL"), 5, params)) != 0) {
		api_db_error(rq, rs, rc, &err);
		goto out;
	}
	if ((v = pg_value(res, 0, 0)) == NULL || pg_value(res, 0, 1) == NULL) {
		resp_error(rs, 404, "not_found", "no such workspace");
		goto out;
	}
	resp_json(rs, 200, v, strlen(v));
	list_key(&key, rq, params, pg_value(res, 0, 1));
	listcache_put(key.buf, v, strlen(v));
out:
	pg_res_free(res);
	strbuf_release(&key);
}

void
api_tasks_get(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	int rc;

	if (api_param_uuid(rq, rs, 0, "id") != 0)
		return;
	if ((rc = pg_begin(pg, rq->user_id, &err)) != 0 ||
	    (rc = pg_query(pg, &res, &err, "SELECT tock_task_json(t),"
	    " t.version FROM tasks t WHERE t.id = $1 AND NOT t.deleted", 1,
	    rq->param[0])) != 0 ||
	    (rc = pg_commit(pg, &err)) != 0) {
		api_db_error(rq, rs, rc, &err);
		goto out;
	}
	if (pg_nrows(res) != 1) {
		resp_error(rs, 404, "not_found", "no such task");
		goto out;
	}
	resp_json(rs, 200, pg_value(res, 0, 0), strlen(pg_value(res, 0, 0)));
	set_etag(rs, pg_value(res, 0, 1));
out:
	pg_rollback(pg);
	pg_res_free(res);
}

/* What a write needs to know about an existing task. */
struct task_row {
	char ws[UUID_STRLEN + 1];
	char created_by[UUID_STRLEN + 1];
	char assignee[UUID_STRLEN + 1];	/* "" when nobody */
	char role[8];			/* the caller's */
};

/* Read task id (404 if missing, deleted or invisible) and the caller's
 * role in its workspace.  0, or -1 answered. */
static int
task_row_read(struct req *rq, struct resp *rs, struct pg *pg,
    const char *id, struct task_row *t)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	const char *v;
	int rc;

	if ((rc = pg_query(pg, &res, &err, "SELECT workspace_id, created_by,"
	    " assignee_id, tock_role(workspace_id) FROM tasks WHERE id = $1"
	    " AND NOT deleted", 1, id)) != 0) {
		api_db_error(rq, rs, rc, &err);
		return -1;
	}
	if (pg_nrows(res) != 1 || pg_value(res, 0, 3) == NULL) {
		pg_res_free(res);
		resp_error(rs, 404, "not_found", "no such task");
		return -1;
	}
	snprintf(t->ws, sizeof t->ws, "%s", pg_value(res, 0, 0));
	snprintf(t->created_by, sizeof t->created_by, "%s",
	    pg_value(res, 0, 1));
	v = pg_value(res, 0, 2);
	snprintf(t->assignee, sizeof t->assignee, "%s", v != NULL ? v : "");
	snprintf(t->role, sizeof t->role, "%s", pg_value(res, 0, 3));
	pg_res_free(res);
	return 0;
}

/* Lock the row (after its scope) and check If-Match.  Fills the newest
 * field HLC of the row into observed.  0, or -1 answered. */
static int
lock_versioned(struct req *rq, struct resp *rs, struct pg *pg,
    const char *sql, const char *id, char *observed, size_t obsize)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	const char *v;
	int rc;

	if ((rc = pg_query(pg, &res, &err, sql, 1, id)) != 0) {
		api_db_error(rq, rs, rc, &err);
		return -1;
	}
	if (pg_nrows(res) != 1) {
		pg_res_free(res);
		resp_error(rs, 404, "not_found", "no such %s",
		    strstr(sql, "time_entries") != NULL ? "time entry" :
		    "task");
		return -1;
	}
	if (rq->has_if_match &&
	    strtoll(pg_value(res, 0, 0), NULL, 10) != rq->if_match) {
		resp_error(rs, 409, "version_conflict", "the version is %s, "
		    "not %lld: reload and try again", pg_value(res, 0, 0),
		    (long long)rq->if_match);
		set_etag(rs, pg_value(res, 0, 0));
		pg_res_free(res);
		return -1;
	}
	v = pg_value(res, 0, 1);
	snprintf(observed, obsize, "%s", v != NULL ? v : "");
	pg_res_free(res);
	return 0;
}

void
api_tasks_update(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	struct task_input in;
	struct task_row t;
	struct changelog cl;
	struct jobj patch, fields;
	const char *scope = t.ws, *new_assignee;
	char observed[HLC_STRLEN + 1], seqs[24];
	int64_t seq;
	int rc;

	cl_init(&cl, pg, rq->user_id);
	jo_init(&patch);
	jo_init(&fields);
	memset(&in, 0, sizeof in);
	jo_init(&in.meta);
	jo_init(&in.logmeta);
	if (api_param_uuid(rq, rs, 0, "id") != 0)
		goto out;
	task_input_release(&in);
	if (task_input_read(rq, rs, &in, false) != 0)
		goto out;
	if (in.title_k != RJ_VALUE && in.description_k != RJ_VALUE &&
	    in.status_k != RJ_VALUE && in.assignee_k == RJ_ABSENT &&
	    in.due_k == RJ_ABSENT && in.nmeta == 0) {
		resp_error(rs, 400, "invalid", "nothing to change: give title, "
		    "description, status, assignee_id, due_date or metadata");
		goto out;
	}
	if ((rc = pg_begin(pg, rq->user_id, &err)) != 0)
		goto dberr;
	if (task_row_read(rq, rs, pg, rq->param[0], &t) != 0)
		goto out;
	if (!may_edit(t.role, rq->user_id, t.created_by,
	    t.assignee[0] != '\0' ? t.assignee : NULL)) {
		resp_error(rs, 403, "forbidden", "a member may edit only tasks "
		    "they created or are assigned");
		goto out;
	}
	new_assignee = in.assignee_k == RJ_VALUE ? in.assignee : NULL;
	if (in.assignee_k != RJ_ABSENT && strcmp(t.role, "member") == 0 &&
	    new_assignee == NULL && t.assignee[0] != '\0' &&
	    strcmp(t.assignee, rq->user_id) != 0) {
		resp_error(rs, 403, "forbidden", "a member may not unassign "
		    "someone else");
		goto out;
	}
	if (check_assignee(rq, rs, pg, t.ws, t.role, new_assignee) != 0)
		goto out;
	if ((rc = cl_lock(&cl, &scope, 1, &err)) != 0)
		goto dberr;
	if (lock_versioned(rq, rs, pg, "SELECT version, (SELECT max(value)"
	    " FROM jsonb_each_text(fhlc)) FROM tasks WHERE id = $1"
	    " AND NOT deleted FOR UPDATE", rq->param[0], observed,
	    sizeof observed) != 0)
		goto out;
	cl_stamp(&cl, observed);

	if (in.title_k == RJ_VALUE) {
		jo_str(&patch, "title", in.title);
		jo_str(&fields, "title", in.title);
	}
	if (in.description_k == RJ_VALUE) {
		jo_str(&patch, "description", in.description);
		jo_str(&fields, "description", in.description);
	}
	if (in.status_k == RJ_VALUE) {
		jo_str(&patch, "status", in.status);
		jo_str(&fields, "status", in.status);
	}
	if (in.assignee_k != RJ_ABSENT) {
		jo_str(&patch, "assignee_id", new_assignee);
		jo_str(&fields, "assignee_id", new_assignee);
	}
	if (in.due_k != RJ_ABSENT) {
		const char *due = in.due_k == RJ_VALUE ? in.due : NULL;

		jo_str(&patch, "due_date", due);
		jo_str(&fields, "due_date", due);
	}
	add_log_meta(&fields, &in);
	jo_end(&patch);
	jo_end(&fields);
	cl_add(&cl, t.ws, CL_TASK, rq->param[0], CL_SET, fields.sb.buf, &seq);
	snprintf(seqs, sizeof seqs, "%lld", (long long)seq);
	{
		const char *p[6] = { rq->param[0], patch.sb.buf,
			in.nmeta > 0 ? in.meta.sb.buf : NULL, fields.sb.buf,
			cl.hlc, seqs };

		rc = pg_exec(pg, &res, "UPDATE tasks SET"
		    " title = CASE WHEN $2::jsonb ? 'title'"
		    "  THEN $2::jsonb->>'title' ELSE title END,"
		    " description = CASE WHEN $2::jsonb ? 'description'"
		    "  THEN $2::jsonb->>'description' ELSE description END,"
		    " status = CASE WHEN $2::jsonb ? 'status'"
		    "  THEN $2::jsonb->>'status' ELSE status END,"
		    " assignee_id = CASE WHEN $2::jsonb ? 'assignee_id'"
		    "  THEN ($2::jsonb->>'assignee_id')::uuid ELSE assignee_id END,"
		    " due_date = CASE WHEN $2::jsonb ? 'due_date'"
		    "  THEN ($2::jsonb->>'due_date')::date ELSE due_date END,"
		    " metadata = CASE WHEN $3::jsonb IS NULL THEN metadata"
		    "  ELSE (metadata || $3::jsonb) - coalesce((SELECT"
		    "  array_agg(key) FROM jsonb_each($3::jsonb)"
		    "  WHERE value = 'null'::jsonb), '{}'::text[]) END,"
		    " version = version + 1, updated_at = now(),"
		    " fhlc = fhlc || tock_fhlc($4::jsonb, $5),"
		    " last_seq = $6::bigint"
		    " WHERE id = $1 RETURNING tock_task_json(tasks.*), version,"
		    " title", 6, p, &err);
	}
	if (rc != 0)
		goto dberr;
	if ((rc = cl_flush(&cl, &err)) != 0 ||
	    (rc = pg_commit(pg, &err)) != 0)
		goto dberr;
	resp_json(rs, 200, pg_value(res, 0, 0), strlen(pg_value(res, 0, 0)));
	set_etag(rs, pg_value(res, 0, 1));
	goto out;
dberr:
	api_db_error(rq, rs, rc, &err);
out:
	pg_rollback(pg);
	pg_res_free(res);
	cl_release(&cl);
	jo_release(&patch);
	jo_release(&fields);
	task_input_release(&in);
}

void
api_tasks_delete(struct req *rq, struct resp *rs, struct pg *pg)
{
	static const char fields[] = "{\"deleted\":true}";
	struct tock_err err = TOCK_ERR_INIT;
	struct task_row t;
	struct changelog cl;
	const char *scope = t.ws;
	char observed[HLC_STRLEN + 1], seqs[24];
	int64_t seq;
	int rc;

	cl_init(&cl, pg, rq->user_id);
	if (api_param_uuid(rq, rs, 0, "id") != 0)
		goto out;
	if ((rc = pg_begin(pg, rq->user_id, &err)) != 0)
		goto dberr;
	if (task_row_read(rq, rs, pg, rq->param[0], &t) != 0)
		goto out;
	if (strcmp(t.role, "member") == 0 &&
	    strcmp(t.created_by, rq->user_id) != 0) {
		resp_error(rs, 403, "forbidden",
		    "a member may delete only tasks they created");
		goto out;
	}
	if ((rc = cl_lock(&cl, &scope, 1, &err)) != 0)
		goto dberr;
	if (lock_versioned(rq, rs, pg, "SELECT version, (SELECT max(value)"
	    " FROM jsonb_each_text(fhlc)) FROM tasks WHERE id = $1"
	    " AND NOT deleted FOR UPDATE", rq->param[0], observed,
	    sizeof observed) != 0)
		goto out;
	cl_stamp(&cl, observed);
	cl_add(&cl, t.ws, CL_TASK, rq->param[0], CL_DELETE, fields, &seq);
	snprintf(seqs, sizeof seqs, "%lld", (long long)seq);
	if ((rc = pg_query(pg, NULL, &err, "UPDATE tasks SET deleted = true,"
	    " deleted_at = now(), updated_at = now(), version = version + 1,"
	    " fhlc = fhlc || tock_fhlc($2::jsonb, $3), last_seq = $4::bigint"
	    " WHERE id = $1", 4, rq->param[0], fields, cl.hlc, seqs)) != 0 ||
	    (rc = cl_flush(&cl, &err)) != 0 ||
	    (rc = pg_commit(pg, &err)) != 0)
		goto dberr;
	resp_json(rs, 204, "", 0);
	goto out;
dberr:
	api_db_error(rq, rs, rc, &err);
out:
	pg_rollback(pg);
	cl_release(&cl);
}

void
api_comments_create(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	struct task_row t;
	struct changelog cl;
	struct jobj fields;
	const char *body, *p, *scope = t.ws;
	char id[UUID_STRLEN + 1], created[24], seqs[24];
	int64_t seq;
	int rc;

	cl_init(&cl, pg, rq->user_id);
	jo_init(&fields);
	if (api_param_uuid(rq, rs, 0, "id") != 0 ||
	    api_body_str(rq, rs, "body", true, &body, NULL) != 0)
		goto out;
	if (model_check_text("body", body, TEXT_MAX, &err) != 0) {
		resp_field_error(rs, "body", "%s", err.msg);
		goto out;
	}
	for (p = body; *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r';
	    p++)
		;
	if (*p == '\0') {
		resp_field_error(rs, "body", "'body' is empty");
		goto out;
	}
	if ((rc = pg_begin(pg, rq->user_id, &err)) != 0)
		goto dberr;
	if (task_row_read(rq, rs, pg, rq->param[0], &t) != 0)
		goto out;
	if ((rc = cl_lock(&cl, &scope, 1, &err)) != 0)
		goto dberr;
	cl_stamp(&cl, NULL);
	srv_new_id(id);
	snprintf(created, sizeof created, "%lld", (long long)time_now_ms());
	jo_str(&fields, "task_id", rq->param[0]);
	jo_str(&fields, "author_id", rq->user_id);
	jo_str(&fields, "body", body);
	jo_raw(&fields, "created_at", created);
	jo_end(&fields);
	cl_add(&cl, t.ws, CL_COMMENT, id, CL_CREATE, fields.sb.buf, &seq);
	snprintf(seqs, sizeof seqs, "%lld", (long long)seq);
	{
		const char *pp[8] = { id, t.ws, rq->param[0], rq->user_id, body,
			created, fields.sb.buf, cl.hlc };

		if ((rc = pg_exec(pg, &res, "INSERT INTO comments (id,"
		    " workspace_id, task_id, author_id, body, created_at,"
		    " updated_at, fhlc, last_seq) VALUES ($1, $2, $3, $4, $5,"
		    " to_timestamp($6::float8 / 1000), to_timestamp($6::float8 /"
		    " 1000), tock_fhlc($7::jsonb, $8), 0)"
		    " RETURNING tock_comment_json(comments.*)", 8, pp, &err)) !=
		    0)
			goto dberr;
	}
	/* The comments_notify trigger tells the task's creator and
	 * assignee (not the author). */
	if ((rc = pg_query(pg, NULL, &err, "UPDATE comments SET last_seq ="
	    " $2::bigint WHERE id = $1", 2, id, seqs)) != 0 ||
	    (rc = cl_flush(&cl, &err)) != 0 ||
	    (rc = pg_commit(pg, &err)) != 0)
		goto dberr;
	resp_json(rs, 201, pg_value(res, 0, 0), strlen(pg_value(res, 0, 0)));
	goto out;
dberr:
	api_db_error(rq, rs, rc, &err);
out:
	pg_rollback(pg);
	pg_res_free(res);
	cl_release(&cl);
	jo_release(&fields);
}

void
api_comments_list(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct task_row t;
	const char *params[1];
	int rc;

	if (api_param_uuid(rq, rs, 0, "id") != 0)
		return;
	if ((rc = pg_begin(pg, rq->user_id, &err)) != 0) {
		api_db_error(rq, rs, rc, &err);
		return;
	}
	if (task_row_read(rq, rs, pg, rq->param[0], &t) != 0)
		goto out;
	params[0] = rq->param[0];
	if (api_answer_json(rq, rs, pg, 200, "task",
	    "SELECT json_build_object('comments', coalesce(json_agg("
	    " tock_comment_json(c) ORDER BY c.created_at, c.id), '[]'::json))"
	    " FROM comments c WHERE c.task_id = $1 AND NOT c.deleted", 1,
	    params) == 0 &&
	    (rc = pg_commit(pg, &err)) != 0)
		api_db_error(rq, rs, rc, &err);
out:
	pg_rollback(pg);
}

/*
 * POST /api/v1/tasks as a group commit (pool.h): n creates, of any users
 * and workspaces, in one transaction and one WAL flush.
 *
 *   1. read every body (a bad one is answered 400 and drops out);
 *   2. BEGIN, then per request, as its user: its workspace (the body's or
 *      the default), its role there, and whether the assignee is a
 *      member -- reads only, one pipelined round trip for the batch;
 *   3. lock the scopes of the requests still in, in ascending uuid order
 *      (the lock order of cl_lock and of a push: user, scopes, rows), each
 *      as one of its requests' users;
 *   4. write, then move every scope's last_seq on and COMMIT, all sent
 *      as one pipeline.  First all at once (tb_bulk: per user one INSERT
 *      per table, rows from a JSON array, under one SAVEPOINT).  If that
 *      fails it is rolled back to its savepoint and the requests are
 *      written one by one, each inside its own SAVEPOINT (set its user,
 *      insert the task, the notification, its sync_log row with the next
 *      seq of its scope).  When request k fails, the server skips the
 *      rest: ROLLBACK TO SAVEPOINT undoes k alone, k gets its own error,
 *      and the requests after it are sent again with the seqs k did not
 *      use, so seqs stay gap-free and in commit order;
 *   5. answers are posted only after COMMIT returned; if it failed, every
 *      request of the batch is answered 503 (nothing was acknowledged).
 * Each request's sync_log row has tx_last_seq = its own seq: a request's
 * rows are the unit a pull page must not split.  An unexpected error in
 * steps 2 or 3 rolls back and runs each request on its own
 * (api_tasks_create), as a push falls back to one transaction per op.
 */
struct tb_req {
	struct job *job;
	struct task_input in;
	bool live;		/* no answer yet */
	bool done;		/* written, awaiting COMMIT */
	int scope;
	char id[UUID_STRLEN + 1];
	char ws[UUID_STRLEN + 1];
	char role[8];
	char created[24];
	char seq[24];
	char hlc[HLC_STRLEN + 1];
	struct jobj fields;
	char *json;
	const char *pu[1];
	const char *pv[3];
	const char *pt[13];
	const char *pl[9];
};

struct tb_scope {
	char id[UUID_STRLEN + 1];
	const char *user;
	int64_t last_seq;
	int64_t next;		/* seqs used by requests written */
	char last[24];
	const char *pu[1];
	const char *pk[1];
	const char *pw[2];
};

static const char tb_set_user[] = "SELECT set_config('tock.user_id', $1, true)";
static const char tb_check[] = "SELECT w.ws, tock_role(w.ws),"
    " $3::uuid IS NULL OR EXISTS (SELECT 1 FROM memberships m"
    " WHERE m.workspace_id = w.ws AND m.user_id = $3::uuid)"
    " FROM (SELECT coalesce($1::uuid, (SELECT default_workspace_id"
    " FROM users WHERE id = $2::uuid)) AS ws) w";
static const char tb_insert[] = "INSERT INTO tasks (id, workspace_id,"
    " title, description, status, assignee_id, created_by,"
    " created_at, updated_at, due_date, metadata, fhlc, last_seq)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7,"
    " to_timestamp($8::float8 / 1000), to_timestamp($8::float8 /"
    " 1000), $9::date, (SELECT coalesce(jsonb_object_agg(key,"
    " value), '{}'::jsonb) FROM jsonb_each($10::jsonb)"
    " WHERE value <> 'null'::jsonb), tock_fhlc($11::jsonb, $12),"
    " $13) RETURNING tock_task_json(tasks.*)";
static const char tb_log[] =
    "INSERT INTO sync_log (scope_id, seq, tx_last_seq, user_id,"
    " entity, entity_id, kind, fields, fhlc)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb,"
    " tock_fhlc($8::jsonb, $9))";
static const char tb_bump[] = "UPDATE scopes SET last_seq = $2,"
    " updated_at = now() WHERE id = $1";
static const char tb_lock[] =
    "SELECT last_seq FROM scopes WHERE id = $1 FOR UPDATE";
static const char tb_entity[] = "1", tb_kind[] = "1";

static void
tb_call(struct pg_call *c, const char *sql, int n, const char *const *params,
    int keep)
{
	c->sql = sql;
	c->n = n;
	c->params = params;
	c->keep = keep;
	c->res = NULL;
	c->rc = 0;
}

static int
tb_scope_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tb_scope *)a)->id,
	    ((const struct tb_scope *)b)->id);
}

static void
tb_free_calls(struct pg_call *calls, int n)
{
	for (int i = 0; i < n; i++) {
		pg_res_free(calls[i].res);
		calls[i].res = NULL;
	}
}

/* Fill b's fields and statement parameters for its write, at seq. */
static void
tb_prepare(struct tb_req *b, const struct tb_scope *s)
{
	struct task_input *in = &b->in;
	struct req *rq = &b->job->rq;

	snprintf(b->seq, sizeof b->seq, "%lld",
	    (long long)(s->last_seq + s->next + 1));
	b->pu[0] = rq->user_id;
	b->pt[0] = b->id;
	b->pt[1] = b->ws;
	b->pt[2] = in->title;
	b->pt[3] = in->description_k == RJ_VALUE ? in->description : "";
	b->pt[4] = in->status_k == RJ_VALUE ? in->status : "todo";
	b->pt[5] = in->assignee_k == RJ_VALUE ? in->assignee : NULL;
	b->pt[6] = rq->user_id;
	b->pt[7] = b->created;
	b->pt[8] = in->due_k == RJ_VALUE ? in->due : NULL;
	b->pt[9] = in->meta.sb.buf;
	b->pt[10] = b->fields.sb.buf;
	b->pt[11] = b->hlc;
	b->pt[12] = b->seq;
	b->pl[0] = b->ws;
	b->pl[1] = b->seq;
	b->pl[2] = b->seq;
	b->pl[3] = rq->user_id;
	b->pl[4] = tb_entity;
	b->pl[5] = b->id;
	b->pl[6] = tb_kind;
	b->pl[7] = b->fields.sb.buf;
	b->pl[8] = b->hlc;
}

/* Steps 2 and 3; 0, or -1 when the batch must fall back. */
static int
tb_check_and_lock(struct tb_req *b, int n, struct tb_scope *sc, int *nsc,
    struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_call *calls;
	const char *v;
	int i, j, k, nc = 0, failed, rc;

	calls = xcalloc((size_t)(2 * n + 1), sizeof *calls);
	tb_call(&calls[nc++], "BEGIN", 0, NULL, 0);
	for (i = 0; i < n; i++) {
		if (!b[i].live)
			continue;
		b[i].pu[0] = b[i].job->rq.user_id;
		b[i].pv[0] = b[i].in.ws_k == RJ_VALUE ? b[i].in.ws : NULL;
		b[i].pv[1] = b[i].job->rq.user_id;
		b[i].pv[2] = b[i].in.assignee_k == RJ_VALUE ?
		    b[i].in.assignee : NULL;
		tb_call(&calls[nc++], tb_set_user, 1, b[i].pu, 0);
		tb_call(&calls[nc++], tb_check, 3, b[i].pv, 1);
	}
	if ((rc = pg_pipeline(pg, calls, nc, &failed, &err)) != 0) {
		log_warnx("group commit: checks failed: %s", err.msg);
		tb_free_calls(calls, nc);
		free(calls);
		return -1;
	}
	*nsc = 0;
	for (i = 0, k = 2; i < n; i++) {
		struct job *job = b[i].job;

		if (!b[i].live)
			continue;
		v = pg_value(calls[k].res, 0, 0);
		if (v == NULL) {
			resp_field_error(&job->rs, "workspace_id",
			    "'workspace_id' is required: you have no default"
			    " workspace");
			b[i].live = false;
		} else if (snprintf(b[i].ws, sizeof b[i].ws, "%s", v),
		    (v = pg_value(calls[k].res, 0, 1)) == NULL) {
			resp_error(&job->rs, 404, "not_found",
			    "no such workspace");
			b[i].live = false;
		} else if (snprintf(b[i].role, sizeof b[i].role, "%s", v),
		    b[i].pv[2] != NULL && strcmp(b[i].role, "member") == 0 &&
		    strcmp(b[i].pv[2], job->rq.user_id) != 0) {
			resp_error(&job->rs, 403, "forbidden", "a member may "
			    "assign tasks only to themselves");
			b[i].live = false;
		} else if ((v = pg_value(calls[k].res, 0, 2)) == NULL ||
		    strcmp(v, "t") != 0) {
			resp_field_error(&job->rs, "assignee_id", "'assignee_id'"
			    " is not a member of the task's workspace");
			b[i].live = false;
		} else {
			for (j = 0; j < *nsc; j++)
				if (strcmp(sc[j].id, b[i].ws) == 0)
					break;
			if (j == *nsc) {
				memset(&sc[j], 0, sizeof sc[j]);
				snprintf(sc[j].id, sizeof sc[j].id, "%s",
				    b[i].ws);
				sc[j].user = job->rq.user_id;
				(*nsc)++;
			}
		}
		k += 2;
	}
	tb_free_calls(calls, nc);

	/* Lock in ascending uuid order. */
	qsort(sc, (size_t)*nsc, sizeof *sc, tb_scope_cmp);
	nc = 0;
	for (j = 0; j < *nsc; j++) {
		sc[j].pu[0] = sc[j].user;
		sc[j].pk[0] = sc[j].id;
		tb_call(&calls[nc++], tb_set_user, 1, sc[j].pu, 0);
		tb_call(&calls[nc++], tb_lock, 1, sc[j].pk, 1);
	}
	if (nc > 0 && (rc = pg_pipeline(pg, calls, nc, &failed, &err)) != 0) {
		log_warnx("group commit: locking failed: %s", err.msg);
		tb_free_calls(calls, nc);
		free(calls);
		return -1;
	}
	for (j = 0; j < *nsc; j++) {
		v = pg_value(calls[2 * j + 1].res, 0, 0);
		sc[j].last_seq = v != NULL ? strtoll(v, NULL, 10) : -1;
	}
	tb_free_calls(calls, nc);
	free(calls);
	for (i = 0; i < n; i++) {
		if (!b[i].live)
			continue;
		for (j = 0; j < *nsc; j++)
			if (strcmp(sc[j].id, b[i].ws) == 0)
				break;
		b[i].scope = j;
		if (sc[j].last_seq < 0) {
			resp_error(&b[i].job->rs, 404, "not_found",
			    "no such workspace");
			b[i].live = false;
		}
	}
	return 0;
}

#define TB_ROWS " FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, ws uuid," \
    " title text, description text, status text, assignee uuid," \
    " created_by uuid, created float8, due text, meta jsonb," \
    " fields jsonb, hlc text, seq bigint)"
static const char tb_bulk_insert[] = "INSERT INTO tasks (id, workspace_id,"
    " title, description, status, assignee_id, created_by,"
    " created_at, updated_at, due_date, metadata, fhlc, last_seq)"
    " SELECT r.id, r.ws, r.title, r.description, r.status, r.assignee,"
    " r.created_by, to_timestamp(r.created / 1000),"
    " to_timestamp(r.created / 1000), r.due::date,"
    " (SELECT coalesce(jsonb_object_agg(key, value), '{}'::jsonb)"
    " FROM jsonb_each(r.meta) WHERE value <> 'null'::jsonb),"
    " tock_fhlc(r.fields, r.hlc), r.seq" TB_ROWS
    " RETURNING id, tock_task_json(tasks.*)";
static const char tb_bulk_log[] =
    "INSERT INTO sync_log (scope_id, seq, tx_last_seq, user_id,"
    " entity, entity_id, kind, fields, fhlc)"
    " SELECT r.ws, r.seq, r.seq, r.created_by, 1, r.id, 1, r.fields,"
    " tock_fhlc(r.fields, r.hlc)" TB_ROWS;

/*
 * Step 4 in the common case: every request of a user written by one
 * statement per table (rows from a JSON array), the scopes moved on and
 * COMMIT, in one pipeline under one SAVEPOINT.  0: committed, every live
 * request done; 1: a statement failed and was undone (ROLLBACK TO
 * SAVEPOINT), seqs are unused again and the caller writes one request at
 * a time; -1: the connection, a scope's UPDATE or the COMMIT failed.
 */
static int
tb_bulk(struct tb_req *b, int n, struct tb_scope *sc, int nsc,
    struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct strbuf *rows;
	const char **users, **rp;
	struct pg_call *calls;
	int *first, *ins;
	int i, j, k, u, nu = 0, nc = 0, failed, rc, ret = 0;

	rows = xcalloc((size_t)n, sizeof *rows);
	users = xcalloc((size_t)n, sizeof *users);
	rp = xcalloc((size_t)n, sizeof *rp);
	first = xcalloc((size_t)n, sizeof *first);
	ins = xcalloc((size_t)n, sizeof *ins);
	calls = xcalloc((size_t)(4 * n + 2 * nsc + 3), sizeof *calls);
	for (i = 0; i < n; i++) {
		struct task_input *in = &b[i].in;
		struct jobj r;

		if (!b[i].live)
			continue;
		tb_prepare(&b[i], &sc[b[i].scope]);
		sc[b[i].scope].next++;
		for (u = 0; u < nu; u++)
			if (strcmp(users[u], b[i].job->rq.user_id) == 0)
				break;
		if (u == nu) {
			users[nu] = b[i].job->rq.user_id;
			first[nu] = i;
			strbuf_init(&rows[nu], 0);
			strbuf_addch(&rows[nu], '[');
			nu++;
		} else
			strbuf_addch(&rows[u], ',');
		jo_init(&r);
		jo_str(&r, "id", b[i].id);
		jo_str(&r, "ws", b[i].ws);
		jo_str(&r, "title", in->title);
		jo_str(&r, "description", b[i].pt[3]);
		jo_str(&r, "status", b[i].pt[4]);
		jo_str(&r, "assignee", b[i].pt[5]);
		jo_str(&r, "created_by", b[i].job->rq.user_id);
		jo_raw(&r, "created", b[i].created);
		jo_str(&r, "due", b[i].pt[8]);
		jo_raw(&r, "meta", in->meta.sb.buf);
		jo_raw(&r, "fields", b[i].fields.sb.buf);
		jo_str(&r, "hlc", b[i].hlc);
		jo_raw(&r, "seq", b[i].seq);
		strbuf_addstr(&rows[u], jo_end(&r));
		jo_release(&r);
	}
	tb_call(&calls[nc++], "SAVEPOINT tock_gc_bulk", 0, NULL, 0);
	for (u = 0; u < nu; u++) {
		strbuf_addch(&rows[u], ']');
		rp[u] = rows[u].buf;
		tb_call(&calls[nc++], tb_set_user, 1, &users[u], 0);
		ins[u] = nc;
		tb_call(&calls[nc++], tb_bulk_insert, 1, &rp[u], 1);
		tb_call(&calls[nc++], tb_bulk_log, 1, &rp[u], 0);
	}
	tb_call(&calls[nc++], "RELEASE SAVEPOINT tock_gc_bulk", 0, NULL, 0);
	k = nc;
	for (j = 0; j < nsc; j++) {
		if (sc[j].next == 0)
			continue;
		snprintf(sc[j].last, sizeof sc[j].last, "%lld",
		    (long long)(sc[j].last_seq + sc[j].next));
		sc[j].pw[0] = sc[j].id;
		sc[j].pw[1] = sc[j].last;
		tb_call(&calls[nc++], tb_set_user, 1, sc[j].pu, 0);
		tb_call(&calls[nc++], tb_bump, 2, sc[j].pw, 0);
		/* Poke the scope's subscribers once COMMIT succeeded. */
		pg_defer_notify(pg, sc[j].id, sc[j].last_seq + sc[j].next);
	}
	tb_call(&calls[nc++], "COMMIT", 0, NULL, 0);
	rc = pg_pipeline(pg, calls, nc, &failed, &err);
	if (rc != 0 && (failed < 0 || failed >= k)) {
		log_warnx("group commit of %d failed: %s", n, err.msg);
		ret = -1;
	} else if (rc != 0) {
		ret = pg_query(pg, NULL, NULL,
		    "ROLLBACK TO SAVEPOINT tock_gc_bulk", 0) == 0 ? 1 : -1;
		for (j = 0; j < nsc; j++)
			sc[j].next = 0;
	} else {
		for (u = 0; u < nu; u++)
			for (j = 0; j < pg_nrows(calls[ins[u]].res); j++) {
				const char *id = pg_value(calls[ins[u]].res, j, 0);

				for (i = first[u]; i < n; i++)
					if (b[i].live && b[i].json == NULL &&
					    strcasecmp(b[i].id, id) == 0) {
						b[i].json = xstrdup(pg_value(
						    calls[ins[u]].res, j, 1));
						b[i].done = true;
						break;
					}
			}
	}
	tb_free_calls(calls, nc);
	for (u = 0; u < nu; u++)
		strbuf_release(&rows[u]);
	free(calls);
	free(ins);
	free(first);
	free(rp);
	free(users);
	free(rows);
	return ret;
}

void
api_tasks_create_batch(struct job **jobs, int n, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct tb_req *b;
	struct tb_scope *sc;
	struct pg_call *calls;
	int *owner;
	int i, j, nc, nsc = 0, start, failed, rc, ncalls, bulk;
	bool fallback = false, commit_failed = false;

	b = xcalloc((size_t)n, sizeof *b);
	sc = xcalloc((size_t)n, sizeof *sc);
	ncalls = 6 * n + 2 * n + 1;
	calls = xcalloc((size_t)ncalls, sizeof *calls);
	owner = xcalloc((size_t)ncalls, sizeof *owner);

	/* 1. The bodies. */
	for (i = 0; i < n; i++) {
		b[i].job = jobs[i];
		jo_init(&b[i].fields);
		b[i].live = task_input_read(&jobs[i]->rq, &jobs[i]->rs,
		    &b[i].in, true) == 0;
		if (!b[i].live)
			continue;
		if (b[i].in.id_k == RJ_VALUE)
			snprintf(b[i].id, sizeof b[i].id, "%s", b[i].in.id);
		else
			srv_new_id(b[i].id);
	}

	/* 2 and 3. */
	if (tb_check_and_lock(b, n, sc, &nsc, pg) != 0) {
		fallback = true;
		goto out;
	}

	/* The change-log fields of each request, stamped under the lock. */
	for (i = 0; i < n; i++) {
		struct task_input *in = &b[i].in;
		struct req *rq = &jobs[i]->rq;

		if (!b[i].live)
			continue;
		snprintf(b[i].created, sizeof b[i].created, "%lld",
		    (long long)time_now_ms());
		srvhlc_next(b[i].hlc, NULL);
		jo_str(&b[i].fields, "title", in->title);
		jo_str(&b[i].fields, "description",
		    in->description_k == RJ_VALUE ? in->description : "");
		jo_str(&b[i].fields, "status",
		    in->status_k == RJ_VALUE ? in->status : "todo");
		jo_str(&b[i].fields, "assignee_id",
		    in->assignee_k == RJ_VALUE ? in->assignee : NULL);
		jo_str(&b[i].fields, "created_by", rq->user_id);
		jo_raw(&b[i].fields, "created_at", b[i].created);
		jo_str(&b[i].fields, "due_date",
		    in->due_k == RJ_VALUE ? in->due : NULL);
		add_log_meta(&b[i].fields, in);
		jo_end(&b[i].fields);
	}

	/* 4. All at once; or one at a time from start on, again after each
	 * request that failed. */
	bulk = tb_bulk(b, n, sc, nsc, pg);
	if (bulk < 0)
		commit_failed = true;
	for (start = 0; bulk > 0;) {
		nc = 0;
		for (i = start; i < n; i++) {
			struct tb_scope *s;

			if (!b[i].live || b[i].done)
				continue;
			s = &sc[b[i].scope];
			tb_prepare(&b[i], s);
			s->next++;
			owner[nc] = i;
			tb_call(&calls[nc++], "SAVEPOINT tock_gc", 0, NULL, 0);
			owner[nc] = i;
			tb_call(&calls[nc++], tb_set_user, 1, b[i].pu, 0);
			owner[nc] = i;
			tb_call(&calls[nc++], tb_insert, 13, b[i].pt, 1);
			owner[nc] = i;
			tb_call(&calls[nc++], tb_log, 9, b[i].pl, 0);
			owner[nc] = i;
			tb_call(&calls[nc++], "RELEASE SAVEPOINT tock_gc", 0,
			    NULL, 0);
		}
		for (j = 0; j < nsc; j++) {
			if (sc[j].next == 0)
				continue;
			snprintf(sc[j].last, sizeof sc[j].last, "%lld",
			    (long long)(sc[j].last_seq + sc[j].next));
			sc[j].pw[0] = sc[j].id;
			sc[j].pw[1] = sc[j].last;
			owner[nc] = -1;
			tb_call(&calls[nc++], tb_set_user, 1, sc[j].pu, 0);
			owner[nc] = -1;
			tb_call(&calls[nc++], tb_bump, 2, sc[j].pw, 0);
			pg_defer_notify(pg, sc[j].id, sc[j].last_seq +
			    sc[j].next);
		}
		owner[nc] = -1;
		tb_call(&calls[nc++], "COMMIT", 0, NULL, 0);
		rc = pg_pipeline(pg, calls, nc, &failed, &err);
		/* Every request whose RELEASE succeeded is written. */
		for (j = 0; j < nc; j++)
			if (owner[j] >= 0 && calls[j].rc == 0 &&
			    strcmp(calls[j].sql, "RELEASE SAVEPOINT tock_gc") ==
			    0) {
				b[owner[j]].done = true;
			} else if (owner[j] >= 0 && calls[j].sql == tb_insert &&
			    calls[j].res != NULL) {
				free(b[owner[j]].json);
				b[owner[j]].json = xstrdup(pg_value(calls[j].res,
				    0, 0));
			}
		tb_free_calls(calls, nc);
		if (rc == 0)
			break;
		if (failed < 0 || owner[failed] < 0) {
			/* The connection, a scope's UPDATE or the COMMIT:
			 * nothing was acknowledged. */
			log_warnx("group commit of %d failed: %s", n, err.msg);
			commit_failed = true;
			break;
		}
		/* Undo request owner[failed] alone and answer it. */
		i = owner[failed];
		if (pg_query(pg, NULL, NULL, "ROLLBACK TO SAVEPOINT tock_gc",
		    0) != 0) {
			commit_failed = true;
			break;
		}
		b[i].live = false;
		if (rc == TOCK_EEXISTS)
			resp_error(&jobs[i]->rs, 409, "exists",
			    "a task with this id exists");
		else
			api_db_error(&jobs[i]->rq, &jobs[i]->rs, rc, &err);
		err = (struct tock_err)TOCK_ERR_INIT;
		/* Seqs only for the requests written (a prefix, in order). */
		for (j = 0; j < nsc; j++)
			sc[j].next = 0;
		for (j = 0; j < n; j++)
			if (b[j].done)
				sc[b[j].scope].next++;
		start = i + 1;
	}
	if (commit_failed) {
		pg_rollback(pg);
		for (i = 0; i < n; i++) {
			resp_error(&jobs[i]->rs, 503, "unavailable",
			    "the database did not commit; retry");
			jobs[i]->rs.retry_after = 1;
			jobs[i]->rs.etag[0] = '\0';
		}
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!b[i].live)
			continue;
		if (!b[i].done || b[i].json == NULL) {
			resp_internal(&jobs[i]->rs, &jobs[i]->rq,
			    "group commit lost a request");
			continue;
		}
		resp_json(&jobs[i]->rs, 201, b[i].json, strlen(b[i].json));
		set_etag(&jobs[i]->rs, "1");
	}
out:
	pg_rollback(pg);
	if (fallback)
		for (i = 0; i < n; i++)
			if (b[i].live) {
				jobs[i]->rs.status = 0;
				api_tasks_create(&jobs[i]->rq, &jobs[i]->rs,
				    pg);
			}
	for (i = 0; i < n; i++) {
		free(b[i].json);
		jo_release(&b[i].fields);
		task_input_release(&b[i].in);
	}
	free(owner);
	free(calls);
	free(sc);
	free(b);
}
