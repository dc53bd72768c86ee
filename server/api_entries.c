/* SPDX-License-Identifier: ISC */
/*
 * api_entries.c - time entries over REST.
 *
 * POST without end_time starts a timer.  One timer runs per user
 * (SYNC.md 3.11): the user's row is locked first (the lock order of a
 * push: user, then scopes in uuid order, then rows), the running entry,
 * wherever it is, ends where the new one starts (never before its own
 * start), and both changes enter their workspaces' logs.  The partial
 * unique index one_running_timer is the backstop.  POST with end_time
 * records a manual entry; "stop" is PATCH end_time.
 *
 * Members see and change only their own entries; leads see everyone's;
 * admins may also change everyone's.  Row-level security says the same.
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
#include "timeparse.h"

/* A start more than this far ahead of the server's clock is refused. */
#define FUTURE_SLACK_MS 60000

static int
body_notes(struct req *rq, struct resp *rs, const char **notes, int *kind)
{
	struct tock_err err = TOCK_ERR_INIT;

	if (api_body_str(rq, rs, "notes", false, notes, kind) != 0)
		return -1;
	if (*kind == RJ_NULL) {
		resp_field_error(rs, "notes", "'notes' must be a string");
		return -1;
	}
	if (*kind == RJ_VALUE &&
	    model_check_text("notes", *notes, TEXT_MAX, &err) != 0) {
		resp_field_error(rs, "notes", "%s", err.msg);
		return -1;
	}
	return 0;
}

void
api_entries_create(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL, *run = NULL;
	struct changelog cl;
	struct jobj fields;
	const char *notes = "", *scopes[2];
	char id[UUID_STRLEN + 1], ws[UUID_STRLEN + 1];
	char start[24], end[24], seqs[24], stop_seqs[24];
	int64_t now = time_now_ms(), t0, t1 = -1, seq;
	int rc, k_start, k_end, k_notes, nscopes;
	bool timer;

	cl_init(&cl, pg, rq->user_id);
	jo_init(&fields);
	if (api_param_uuid(rq, rs, 0, "id") != 0 ||
	    api_body_time(rq, rs, "start_time", &t0, &k_start) != 0 ||
	    api_body_time(rq, rs, "end_time", &t1, &k_end) != 0 ||
	    body_notes(rq, rs, &notes, &k_notes) != 0)
		goto out;
	if (k_start == RJ_NULL) {
		resp_field_error(rs, "start_time", "'start_time' must not be "
		    "null");
		goto out;
	}
	if (k_start != RJ_VALUE)
		t0 = now;
	timer = k_end != RJ_VALUE;
	if (!timer && t1 < t0) {
		resp_field_error(rs, "end_time",
		    "'end_time' is before 'start_time'");
		goto out;
	}
	if (timer && t0 > now + FUTURE_SLACK_MS) {
		resp_field_error(rs, "start_time",
		    "'start_time' of a timer is in the future");
		goto out;
	}
	if (k_notes != RJ_VALUE)
		notes = "";
	snprintf(start, sizeof start, "%lld", (long long)t0);
	snprintf(end, sizeof end, "%lld", (long long)t1);

	if ((rc = pg_begin(pg, rq->user_id, &err)) != 0 ||
	    (rc = pg_query(pg, &res, &err, "SELECT workspace_id FROM tasks"
	    " WHERE id = $1 AND NOT deleted", 1, rq->param[0])) != 0)
		goto dberr;
	if (pg_nrows(res) != 1) {
		resp_error(rs, 404, "not_found", "no such task");
		goto out;
	}
	snprintf(ws, sizeof ws, "%s", pg_value(res, 0, 0));
	pg_res_free(res);
	res = NULL;
	nscopes = 0;
	scopes[nscopes++] = ws;
	if (timer) {
		/* Serialize this user's timer changes (before any scope:
		 * user, then scopes ascending, as a push), then find what
		 * runs.  NO KEY UPDATE, the lock a push takes: FOR UPDATE
		 * would also block the KEY SHARE of an FK check from a
		 * writer that holds a scope this start waits for. */
		if ((rc = pg_query(pg, NULL, &err, "SELECT 1 FROM users"
		    " WHERE id = $1 FOR NO KEY UPDATE", 1, rq->user_id)) != 0 ||
		    (rc = pg_query(pg, &run, &err, "SELECT id, workspace_id,"
		    " tock_ms(start_time), (SELECT max(value) FROM"
		    " jsonb_each_text(fhlc)) FROM time_entries WHERE user_id ="
		    " $1 AND end_time IS NULL AND NOT deleted", 1,
		    rq->user_id)) != 0)
			goto dberr;
		if (pg_nrows(run) == 1)
			scopes[nscopes++] = pg_value(run, 0, 1);
	}
	if ((rc = cl_lock(&cl, scopes, nscopes, &err)) != 0)
		goto dberr;
	cl_stamp(&cl, run != NULL && pg_nrows(run) == 1 ?
	    pg_value(run, 0, 3) : NULL);

	if (run != NULL && pg_nrows(run) == 1) {
		/* The running timer ends where this one starts. */
		int64_t rstart = strtoll(pg_value(run, 0, 2), NULL, 10);
		int64_t stop = t0 > rstart ? t0 : rstart;
		char stops[24];
		struct jobj sf;

		snprintf(stops, sizeof stops, "%lld", (long long)stop);
		jo_init(&sf);
		jo_raw(&sf, "end_time", stops);
		jo_str(&sf, "end_src", "auto");
		jo_end(&sf);
		cl_add(&cl, pg_value(run, 0, 1), CL_TIME_ENTRY,
		    pg_value(run, 0, 0), CL_SET, sf.sb.buf, &seq);
		snprintf(stop_seqs, sizeof stop_seqs, "%lld", (long long)seq);
		rc = pg_query(pg, NULL, &err, "UPDATE time_entries SET"
		    " end_time = to_timestamp($2::float8 / 1000),"
		    " end_src = 'auto', auto_at = to_timestamp($2::float8 /"
		    " 1000), auto_hlc = $3, version = version + 1,"
		    " updated_at = now(), fhlc = fhlc || tock_fhlc($4::jsonb,"
		    " $3), last_seq = $5::bigint WHERE id = $1", 5,
		    pg_value(run, 0, 0), stops, cl.hlc, sf.sb.buf, stop_seqs);
		jo_release(&sf);
		if (rc != 0)
			goto dberr;
	}

	srv_new_id(id);
	jo_str(&fields, "task_id", rq->param[0]);
	jo_str(&fields, "user_id", rq->user_id);
	jo_str(&fields, "origin", timer ? "timer" : "manual");
	jo_raw(&fields, "start_time", start);
	jo_raw(&fields, "end_time", timer ? "null" : end);
	jo_str(&fields, "notes", notes);
	jo_end(&fields);
	cl_add(&cl, ws, CL_TIME_ENTRY, id, CL_CREATE, fields.sb.buf, &seq);
	snprintf(seqs, sizeof seqs, "%lld", (long long)seq);
	{
		const char *p[11] = { id, ws, rq->user_id, rq->param[0],
			timer ? "timer" : "manual", start, timer ? NULL : end,
			notes, cl.hlc, fields.sb.buf, seqs };

		rc = pg_exec(pg, &res, "INSERT INTO time_entries (id,"
		    " workspace_id, user_id, task_id, origin, start_time,"
		    " end_time, end_src, edit_end, edit_hlc, start_hlc, notes,"
		    " fhlc, last_seq) VALUES ($1, $2, $3, $4, $5,"
		    " to_timestamp($6::float8 / 1000),"
		    " to_timestamp($7::float8 / 1000),"
		    " CASE WHEN $7::float8 IS NULL THEN NULL ELSE 'edit' END,"
		    " to_timestamp($7::float8 / 1000),"
		    " CASE WHEN $7::float8 IS NULL THEN NULL ELSE $9 END,"
		    " $9, $8, tock_fhlc($10::jsonb, $9), $11::bigint)"
		    " RETURNING tock_entry_json(time_entries.*)", 11, p, &err);
	}
	if (rc == TOCK_EEXISTS) {
		/* one_running_timer: only if the user row lock was dodged. */
		resp_error(rs, 409, "timer_running", "another timer is running");
		goto out;
	}
	if (rc != 0 ||
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
	pg_res_free(run);
	cl_release(&cl);
	jo_release(&fields);
}

void
api_entries_list(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	const char *params[1];
	int rc;

	if (api_param_uuid(rq, rs, 0, "id") != 0)
		return;
	if ((rc = pg_begin(pg, rq->user_id, &err)) != 0 ||
	    (rc = pg_query(pg, &res, &err, "SELECT 1 FROM tasks WHERE id = $1"
	    " AND NOT deleted", 1, rq->param[0])) != 0) {
		api_db_error(rq, rs, rc, &err);
		goto out;
	}
	if (pg_nrows(res) != 1) {
		resp_error(rs, 404, "not_found", "no such task");
		goto out;
	}
	params[0] = rq->param[0];
	/* Row-level security leaves a member only their own entries. */
	if (api_answer_json(rq, rs, pg, 200, "task",
	    "SELECT json_build_object('time_entries', coalesce(json_agg("
	    " tock_entry_json(e) ORDER BY e.start_time, e.id), '[]'::json))"
	    " FROM time_entries e WHERE e.task_id = $1 AND NOT e.deleted", 1,
	    params) == 0 &&
	    (rc = pg_commit(pg, &err)) != 0)
		api_db_error(rq, rs, rc, &err);
out:
	pg_rollback(pg);
	pg_res_free(res);
}

/* What a write needs to know about an entry.  0, or -1 answered. */
static int
entry_read(struct req *rq, struct resp *rs, struct pg *pg, char ws[37],
    int64_t *start, int64_t *end, bool *manual)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	const char *v;
	int rc;

	if ((rc = pg_query(pg, &res, &err, "SELECT workspace_id, user_id,"
	    " tock_role(workspace_id), tock_ms(start_time), tock_ms(end_time),"
	    " origin FROM time_entries WHERE id = $1 AND NOT deleted", 1,
	    rq->param[0])) != 0) {
		api_db_error(rq, rs, rc, &err);
		return -1;
	}
	if (pg_nrows(res) != 1 || pg_value(res, 0, 2) == NULL) {
		pg_res_free(res);
		resp_error(rs, 404, "not_found", "no such time entry");
		return -1;
	}
	if (strcmp(pg_value(res, 0, 1), rq->user_id) != 0 &&
	    strcmp(pg_value(res, 0, 2), "admin") != 0) {
		pg_res_free(res);
		resp_error(rs, 403, "forbidden",
		    "only its owner or an admin may change a time entry");
		return -1;
	}
	snprintf(ws, UUID_STRLEN + 1, "%s", pg_value(res, 0, 0));
	*start = strtoll(pg_value(res, 0, 3), NULL, 10);
	v = pg_value(res, 0, 4);
	*end = v != NULL ? strtoll(v, NULL, 10) : -1;
	*manual = strcmp(pg_value(res, 0, 5), "manual") == 0;
	pg_res_free(res);
	return 0;
}

/* Lock an entry row and check If-Match; observed gets its newest HLC. */
static int
entry_lock(struct req *rq, struct resp *rs, struct pg *pg, char *observed,
    size_t obsize)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	const char *v;
	int rc;

	if ((rc = pg_query(pg, &res, &err, "SELECT version, (SELECT"
	    " max(value) FROM jsonb_each_text(fhlc)) FROM time_entries"
	    " WHERE id = $1 AND NOT deleted FOR UPDATE", 1, rq->param[0])) !=
	    0) {
		api_db_error(rq, rs, rc, &err);
		return -1;
	}
	if (pg_nrows(res) != 1) {
		pg_res_free(res);
		resp_error(rs, 404, "not_found", "no such time entry");
		return -1;
	}
	if (rq->has_if_match &&
	    strtoll(pg_value(res, 0, 0), NULL, 10) != rq->if_match) {
		resp_error(rs, 409, "version_conflict", "the version is %s, "
		    "not %lld: reload and try again", pg_value(res, 0, 0),
		    (long long)rq->if_match);
		pg_res_free(res);
		return -1;
	}
	v = pg_value(res, 0, 1);
	snprintf(observed, obsize, "%s", v != NULL ? v : "");
	pg_res_free(res);
	return 0;
}

void
api_entries_update(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	struct changelog cl;
	struct jobj fields;
	const char *notes = NULL, *scope, *src = NULL;
	char ws[UUID_STRLEN + 1], observed[HLC_STRLEN + 1];
	char starts[24], ends[24], seqs[24];
	int64_t t0 = 0, t1 = 0, start, end, seq;
	int rc, k_start, k_end, k_notes;
	bool manual;

	cl_init(&cl, pg, rq->user_id);
	jo_init(&fields);
	scope = ws;
	if (api_param_uuid(rq, rs, 0, "id") != 0 ||
	    api_body_time(rq, rs, "start_time", &t0, &k_start) != 0 ||
	    api_body_time(rq, rs, "end_time", &t1, &k_end) != 0 ||
	    body_notes(rq, rs, &notes, &k_notes) != 0)
		goto out;
	if (k_start == RJ_NULL) {
		resp_field_error(rs, "start_time",
		    "'start_time' must not be null");
		goto out;
	}
	if (k_end == RJ_NULL) {
		resp_field_error(rs, "end_time", "'end_time' cannot be cleared: "
		    "start a new timer instead");
		goto out;
	}
	if (k_start != RJ_VALUE && k_end != RJ_VALUE && k_notes != RJ_VALUE) {
		resp_error(rs, 400, "invalid", "nothing to change: give "
		    "start_time, end_time or notes");
		goto out;
	}
	if ((rc = pg_begin(pg, rq->user_id, &err)) != 0)
		goto dberr;
	if (entry_read(rq, rs, pg, ws, &start, &end, &manual) != 0)
		goto out;
	if ((rc = cl_lock(&cl, &scope, 1, &err)) != 0)
		goto dberr;
	if (entry_lock(rq, rs, pg, observed, sizeof observed) != 0)
		goto out;
	if (k_start == RJ_VALUE)
		start = t0;
	if (k_end == RJ_VALUE) {
		/* Ending a running timer is a stop; moving an end is an
		 * edit (SYNC.md 3.11 keeps the two apart). */
		src = end < 0 && !manual ? "stop" : "edit";
		end = t1;
	}
	if (end >= 0 && end < start) {
		resp_field_error(rs, k_end == RJ_VALUE ? "end_time" :
		    "start_time", "'end_time' would be before 'start_time'");
		goto out;
	}
	cl_stamp(&cl, observed);
	snprintf(starts, sizeof starts, "%lld", (long long)start);
	snprintf(ends, sizeof ends, "%lld", (long long)end);
	if (k_start == RJ_VALUE)
		jo_raw(&fields, "start_time", starts);
	if (k_end == RJ_VALUE) {
		jo_raw(&fields, "end_time", ends);
		jo_str(&fields, "end_src", src);
	}
	if (k_notes == RJ_VALUE)
		jo_str(&fields, "notes", notes);
	jo_end(&fields);
	cl_add(&cl, ws, CL_TIME_ENTRY, rq->param[0], CL_SET, fields.sb.buf,
	    &seq);
	snprintf(seqs, sizeof seqs, "%lld", (long long)seq);
	{
		const char *p[8] = { rq->param[0],
			k_start == RJ_VALUE ? starts : NULL,
			k_end == RJ_VALUE ? ends : NULL, src,
			k_notes == RJ_VALUE ? notes : NULL, cl.hlc,
			fields.sb.buf, seqs };

		rc = pg_exec(pg, &res, "UPDATE time_entries SET"
		    " start_time = coalesce(to_timestamp($2::float8 / 1000),"
		    "  start_time),"
		    " end_time = coalesce(to_timestamp($3::float8 / 1000),"
		    "  end_time),"
		    " end_src = coalesce($4::text, end_src),"
		    " stop_at = CASE WHEN $4::text = 'stop'"
		    "  THEN to_timestamp($3::float8 / 1000) ELSE stop_at END,"
		    " stop_hlc = CASE WHEN $4::text = 'stop' THEN $6"
		    "  ELSE stop_hlc END,"
		    " edit_end = CASE WHEN $4::text = 'edit'"
		    "  THEN to_timestamp($3::float8 / 1000) ELSE edit_end END,"
		    " edit_hlc = CASE WHEN $4::text = 'edit' THEN $6"
		    "  ELSE edit_hlc END,"
		    " notes = coalesce($5::text, notes),"
		    " version = version + 1, updated_at = now(),"
		    " fhlc = fhlc || tock_fhlc($7::jsonb, $6),"
		    " last_seq = $8::bigint"
		    " WHERE id = $1 RETURNING tock_entry_json(time_entries.*),"
		    " version", 8, p, &err);
	}
	if (rc != 0 ||
	    (rc = cl_flush(&cl, &err)) != 0 ||
	    (rc = pg_commit(pg, &err)) != 0)
		goto dberr;
	resp_json(rs, 200, pg_value(res, 0, 0), strlen(pg_value(res, 0, 0)));
	snprintf(rs->etag, sizeof rs->etag, "\"%s\"", pg_value(res, 0, 1));
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
api_entries_delete(struct req *rq, struct resp *rs, struct pg *pg)
{
	static const char fields[] = "{\"deleted\":true}";
	struct tock_err err = TOCK_ERR_INIT;
	struct changelog cl;
	const char *scope;
	char ws[UUID_STRLEN + 1], observed[HLC_STRLEN + 1], seqs[24];
	int64_t start, end, seq;
	bool manual;
	int rc;

	cl_init(&cl, pg, rq->user_id);
	scope = ws;
	if (api_param_uuid(rq, rs, 0, "id") != 0)
		goto out;
	if ((rc = pg_begin(pg, rq->user_id, &err)) != 0)
		goto dberr;
	if (entry_read(rq, rs, pg, ws, &start, &end, &manual) != 0)
		goto out;
	if ((rc = cl_lock(&cl, &scope, 1, &err)) != 0)
		goto dberr;
	if (entry_lock(rq, rs, pg, observed, sizeof observed) != 0)
		goto out;
	cl_stamp(&cl, observed);
	cl_add(&cl, ws, CL_TIME_ENTRY, rq->param[0], CL_DELETE, fields, &seq);
	snprintf(seqs, sizeof seqs, "%lld", (long long)seq);
	if ((rc = pg_query(pg, NULL, &err, "UPDATE time_entries SET"
	    " deleted = true, deleted_at = now(), updated_at = now(),"
	    " version = version + 1, fhlc = fhlc || tock_fhlc($2::jsonb, $3),"
	    " last_seq = $4::bigint WHERE id = $1", 4, rq->param[0], fields,
	    cl.hlc, seqs)) != 0 ||
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
