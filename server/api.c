/* SPDX-License-Identifier: ISC */
/*
 * api.c - the REST route table (DESIGN.md "Server contract") and the
 * helpers every handler shares: parameter and body validation that names
 * the field in its 400, role lookups, and mapping database errors to
 * statuses (never a 500 for bad input: input is checked before SQL sees
 * it, and constraint errors that still slip through are mapped by the
 * handlers).
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "err.h"
#include "pg.h"
#include "reqjson.h"
#include "timeparse.h"
#include "uuid.h"
#include "ws.h"

#define ANY ROUTE_AUTH
#define BODY (ROUTE_AUTH | ROUTE_JSON)

const struct route api_routes[] = {
	{ HTTP_POST, "/api/v1/auth/register", ROUTE_AUTH_RATE | ROUTE_JSON,
	    api_register, { NULL, NULL } },
	{ HTTP_POST, "/api/v1/auth/login", ROUTE_AUTH_RATE | ROUTE_JSON,
	    api_login, { NULL, NULL } },
	{ HTTP_POST, "/api/v1/auth/refresh", ROUTE_AUTH_RATE, api_refresh,
	    { NULL, NULL } },
	{ HTTP_POST, "/api/v1/auth/logout", 0, api_logout, { NULL, NULL } },
	{ HTTP_GET, "/api/v1/me", ANY, api_me, { NULL, NULL } },
	{ HTTP_GET, "/api/v1/me/notifications", ANY, api_notify_get,
	    { NULL, NULL } },
	{ HTTP_PATCH, "/api/v1/me/notifications", BODY, api_notify_patch,
	    { NULL, NULL } },
	{ HTTP_GET, "/api/v1/workspaces", ANY, api_workspaces_list,
	    { NULL, NULL } },
	{ HTTP_POST, "/api/v1/workspaces", BODY, api_workspaces_create,
	    { NULL, NULL } },
	{ HTTP_GET, "/api/v1/workspaces/{id}/members", ANY, api_members_list,
	    { "id", NULL } },
	{ HTTP_POST, "/api/v1/workspaces/{id}/members", BODY,
	    api_members_add, { "id", NULL } },
	{ HTTP_PATCH, "/api/v1/workspaces/{id}/members/{user_id}", BODY,
	    api_members_update, { "id", "user_id" } },
	{ HTTP_DELETE, "/api/v1/workspaces/{id}/members/{user_id}", ANY,
	    api_members_remove, { "id", "user_id" } },
	{ HTTP_POST, "/api/v1/tasks", BODY, api_tasks_create, { NULL, NULL } },
	{ HTTP_GET, "/api/v1/tasks", ANY, api_tasks_list, { NULL, NULL } },
	{ HTTP_GET, "/api/v1/tasks/{id}", ANY, api_tasks_get, { "id", NULL } },
	{ HTTP_PATCH, "/api/v1/tasks/{id}", BODY, api_tasks_update,
	    { "id", NULL } },
	{ HTTP_DELETE, "/api/v1/tasks/{id}", ANY, api_tasks_delete,
	    { "id", NULL } },
	{ HTTP_POST, "/api/v1/tasks/{id}/time-entries", BODY,
	    api_entries_create, { "id", NULL } },
	{ HTTP_GET, "/api/v1/tasks/{id}/time-entries", ANY, api_entries_list,
	    { "id", NULL } },
	{ HTTP_PATCH, "/api/v1/time-entries/{id}", BODY, api_entries_update,
	    { "id", NULL } },
	{ HTTP_DELETE, "/api/v1/time-entries/{id}", ANY, api_entries_delete,
	    { "id", NULL } },
	{ HTTP_POST, "/api/v1/tasks/{id}/comments", BODY, api_comments_create,
	    { "id", NULL } },
	{ HTTP_GET, "/api/v1/tasks/{id}/comments", ANY, api_comments_list,
	    { "id", NULL } },
	/* Sync (syncd/PROTOCOL.md).  /api/v1/ws is upgraded by ws.c before
	 * routing; a plain GET of it is answered 400 there. */
	{ HTTP_POST, "/api/v1/sync/push", BODY, api_sync_push,
	    { NULL, NULL } },
	{ HTTP_POST, "/api/v1/sync/pull", BODY, api_sync_pull,
	    { NULL, NULL } },
	{ HTTP_GET, "/api/v1/sync/pull", ANY, api_sync_pull, { NULL, NULL } },
	{ HTTP_GET, "/api/v1/sync/snapshot", ANY, api_sync_snapshot,
	    { NULL, NULL } },
	{ HTTP_GET, "/api/v1/ws", ANY | ROUTE_LOCAL, ws_plain_get,
	    { NULL, NULL } },
	{ HTTP_GET, "/healthz", 0, api_healthz, { NULL, NULL } },
	/* /metrics is answered by proto_api.c itself (it owns the counters). */
	{ HTTP_GET, "/metrics", ROUTE_LOCAL, NULL, { NULL, NULL } },
	{ 0, NULL, 0, NULL, { NULL, NULL } },
};

int
api_param_uuid(const struct req *rq, struct resp *rs, int idx,
    const char *name)
{
	if (!uuid_valid(rq->param[idx])) {
		resp_field_error(rs, name, "'%s' is not a valid UUID", name);
		return -1;
	}
	return 0;
}

int
api_body_str(const struct req *rq, struct resp *rs, const char *key,
    bool required, const char **out, int *kind)
{
	struct tock_err err = TOCK_ERR_INIT;
	int k;

	k = rjson_get_str(rq->json, key, out, &err);
	if (k < 0) {
		resp_field_error(rs, key, "%s", err.msg);
		return -1;
	}
	if (required && k != RJ_VALUE) {
		resp_field_error(rs, key, "'%s' is required", key);
		return -1;
	}
	if (kind != NULL)
		*kind = k;
	return 0;
}

int
api_body_uuid(const struct req *rq, struct resp *rs, const char *key,
    bool nullable, const char **out, int *kind)
{
	int k;

	if (api_body_str(rq, rs, key, false, out, &k) != 0)
		return -1;
	if (k == RJ_NULL && !nullable) {
		resp_field_error(rs, key, "'%s' must not be null", key);
		return -1;
	}
	if (k == RJ_VALUE && !uuid_valid(*out)) {
		resp_field_error(rs, key, "'%s' is not a valid UUID", key);
		return -1;
	}
	if (kind != NULL)
		*kind = k;
	return 0;
}

int
api_body_time(const struct req *rq, struct resp *rs, const char *key,
    int64_t *out, int *kind)
{
	struct tock_err err = TOCK_ERR_INIT;
	const char *s;
	size_t n;
	int k;

	if (api_body_str(rq, rs, key, false, &s, &k) != 0)
		return -1;
	if (kind != NULL)
		*kind = k;
	if (k != RJ_VALUE)
		return 0;
	/* timeparse_when takes many forms; the API wants ISO 8601 with an
	 * explicit zone, so the server's TZ never matters. */
	n = strlen(s);
	if (n < 20 || n > 40 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't') ||
	    (s[n - 1] != 'Z' && s[n - 1] != 'z' && strchr(s + 19, '+') == NULL &&
	    strchr(s + 19, '-') == NULL) ||
	    timeparse_when(out, s, 0, &err) != 0) {
		resp_field_error(rs, key, "'%s' must be an ISO 8601 time with a "
		    "zone, like 2026-11-25T09:30:00Z", key);
		return -1;
	}
	return 0;
}

void
api_db_error(const struct req *rq, struct resp *rs, int rc,
    const struct tock_err *err)
{
	if (rc == TOCK_EBUSY) {
		resp_error(rs, 503, "busy", "the database is busy; retry");
		rs->retry_after = 1;
	} else if (rc == TOCK_EIO) {
		resp_error(rs, 503, "unavailable",
		    "the database is unavailable");
		rs->retry_after = 1;
	} else
		resp_internal(rs, rq, err != NULL ? err->msg : "database error");
}

route_batch_fn *
api_batch_for(const struct route *r)
{
	if (r != NULL && r->fn == api_tasks_create)
		return api_tasks_create_batch;
	return NULL;
}

int
api_role(const struct req *rq, struct resp *rs, struct pg *pg,
    const char *ws, char role[8])
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	const char *v;
	int rc;

	if ((rc = pg_query(pg, &res, &err, "SELECT tock_role($1)", 1, ws)) !=
	    0) {
		api_db_error(rq, rs, rc, &err);
		return -1;
	}
	v = pg_value(res, 0, 0);
	if (v == NULL) {
		pg_res_free(res);
		resp_error(rs, 404, "not_found", "no such workspace");
		return -1;
	}
	snprintf(role, 8, "%s", v);
	pg_res_free(res);
	return 0;
}

int
api_is_member(const struct req *rq, struct resp *rs, struct pg *pg,
    const char *ws, const char *user)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	int rc;

	if ((rc = pg_query(pg, &res, &err, "SELECT 1 FROM memberships"
	    " WHERE workspace_id = $1 AND user_id = $2", 2, ws, user)) != 0) {
		api_db_error(rq, rs, rc, &err);
		return -1;
	}
	rc = pg_nrows(res) > 0;
	pg_res_free(res);
	return rc;
}

int
api_answer_json(const struct req *rq, struct resp *rs, struct pg *pg,
    int status, const char *what, const char *sql, int n,
    const char *const *params)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	const char *v;
	int rc;

	if ((rc = pg_exec(pg, &res, sql, n, params, &err)) != 0) {
		api_db_error(rq, rs, rc, &err);
		return -1;
	}
	if ((v = pg_value(res, 0, 0)) == NULL) {
		pg_res_free(res);
		resp_error(rs, 404, "not_found", "no such %s", what);
		return -1;
	}
	resp_json(rs, status, v, strlen(v));
	pg_res_free(res);
	return 0;
}

void
api_healthz(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	static const char ok[] = "{\"status\":\"ok\",\"database\":\"ok\"}";

	if (pg_query(pg, NULL, &err, "SELECT 1", 0) != 0) {
		resp_error(rs, 503, "unavailable", "database: %s", err.msg);
		return;
	}
	resp_json(rs, 200, ok, sizeof ok - 1);
}

void
api_not_implemented(struct req *rq, struct resp *rs, struct pg *pg)
{
	resp_error(rs, 501, "not_implemented",
	    "this endpoint is not available yet");
}

void
jo_init(struct jobj *o)
{
	strbuf_init(&o->sb, 0);
	strbuf_addch(&o->sb, '{');
	o->n = 0;
}

static void
jo_key(struct jobj *o, const char *key)
{
	if (o->n++ > 0)
		strbuf_addch(&o->sb, ',');
	strbuf_add_json_str(&o->sb, key);
	strbuf_addch(&o->sb, ':');
}

void
jo_str(struct jobj *o, const char *key, const char *v)
{
	jo_key(o, key);
	if (v != NULL)
		strbuf_add_json_str(&o->sb, v);
	else
		strbuf_addstr(&o->sb, "null");
}

void
jo_raw(struct jobj *o, const char *key, const char *json)
{
	jo_key(o, key);
	strbuf_addstr(&o->sb, json);
}

const char *
jo_end(struct jobj *o)
{
	strbuf_addch(&o->sb, '}');
	return o->sb.buf;
}

void
jo_release(struct jobj *o)
{
	strbuf_release(&o->sb);
}
