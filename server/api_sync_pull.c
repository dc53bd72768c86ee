/* SPDX-License-Identifier: ISC */
/*
 * api_sync_pull.c - pull and snapshot (syncd/PROTOCOL.md "Pull",
 * "Snapshot").
 *
 * The request is checked here in C; everything else, for every scope of
 * a pull at once, is one SQL statement that answers the whole JSON body
 * (json_agg), run as the user in one pipelined transaction (pg_tx_query:
 * one round trip).  Building the JSON in PostgreSQL avoids shipping each
 * change as columns only to re-encode it.  The statements live in
 * security definer functions (migration 3, migrate.c) that check the
 * membership once per request instead of a policy call per row read, and
 * run without JIT: both cost more than the reads themselves.
 *
 * Pages end on a transaction boundary: the first `limit` log rows after
 * the cursor are read, and the page is extended to the last one's
 * tx_last_seq.  A member's page leaves out other users' time entries
 * (row-level security on time_entries says whose they are), but
 * next_cursor still moves past them.
 *
 * Snapshot: one keyset page per request over the tables in a fixed order
 * (workspace, memberships, tasks, time entries, comments), again one
 * statement, whose rows this file joins into the array; the opaque token is base64url of {"s":snapshot_seq,"t":table,
 * "k":last id}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "err.h"
#include "jwt.h"
#include "pg.h"
#include "server.h"
#include "strbuf.h"

#define PULL_LIMIT_MAX 1000
#define PULL_SCOPES_MAX 1000
#define SNAP_LIMIT_DEF 2000
#define SNAP_LIMIT_MAX 5000

/*
 * $1 json [{"w":wire id,"s":scope uuid,"c":cursor,"u":own user scope}],
 * $2 limit, $3 device id or NULL, $4 true for the one-scope GET answer.
 * tock_pull (migration 3) is the statement this file used to send, in a
 * security definer function that checks membership itself.
 */
static const char pull_sql[] =
    "SELECT tock_pull($1::json, $2::int, $3::uuid, $4::boolean)";

/* 426 with the versions this server speaks. */
static void
answer_version(struct resp *rs, const char *code, const char *what)
{
	struct strbuf *b = &rs->body;

	strbuf_reset(b);
	strbuf_addstr(b, "{\"error\":{\"code\":");
	strbuf_add_json_str(b, code);
	strbuf_addf(b, ",\"message\":\"this server speaks %s 1 only\"},"
	    "\"min\":1,\"max\":1}", what);
	rs->status = 426;
}

/* "v" and "schema" of a body: 0, or -1 answered 400/426. */
static int
check_versions(struct resp *rs, const cJSON *root)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "v");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "schema");

	if (!cJSON_IsNumber(v) || !cJSON_IsNumber(s)) {
		resp_field_error(rs, cJSON_IsNumber(v) ? "schema" : "v",
		    "'%s' is required (a number)", cJSON_IsNumber(v) ?
		    "schema" : "v");
		return -1;
	}
	if (v->valuedouble != 1) {
		answer_version(rs, "proto_unsupported", "protocol");
		return -1;
	}
	if (s->valuedouble != 1) {
		answer_version(rs, "schema_unsupported", "schema");
		return -1;
	}
	return 0;
}

/* A wire scope id into the request array: "<ws uuid>" or "u:<uuid>".  0,
 * or -1 when it is neither. */
static int
add_scope(struct strbuf *arr, const char *user_id, const char *wire,
    long long cursor)
{
	const char *uuid = strncmp(wire, "u:", 2) == 0 ? wire + 2 : wire;
	bool own = uuid != wire && strcmp(uuid, user_id) == 0;

	if (!uuid_valid(uuid))
		return -1;
	if (arr->len > 1)
		strbuf_addch(arr, ',');
	strbuf_addstr(arr, "{\"w\":");
	strbuf_add_json_str(arr, wire);
	/* Someone else's user scope: ask for a scope that never matches,
	 * so the answer is access_revoked like any unreadable one. */
	strbuf_addstr(arr, ",\"s\":");
	strbuf_add_json_str(arr, uuid != wire && !own ?
	    "00000000-0000-0000-0000-000000000000" : uuid);
	strbuf_addf(arr, ",\"c\":%lld,\"u\":%s}", cursor, own ? "true" :
	    "false");
	return 0;
}

/* A non-negative integer query parameter: 0 (def when absent), or -1
 * answered 400. */
static int
query_int(const struct req *rq, struct resp *rs, const char *key,
    long long def, long long max, long long *out)
{
	const char *v = req_query_get(rq, key);
	char *end;

	*out = def;
	if (v == NULL)
		return 0;
	*out = strtoll(v, &end, 10);
	if (*v == '\0' || *end != '\0' || *out < 0 || (max > 0 && *out > max)) {
		if (max > 0)
			resp_field_error(rs, key, "'%s' must be an integer "
			    "from 0 to %lld", key, max);
		else
			resp_field_error(rs, key, "'%s' must be a "
			    "non-negative integer", key);
		return -1;
	}
	return 0;
}

static void
run_pull(struct req *rq, struct resp *rs, struct pg *pg, const char *arr,
    long long limit, const char *device, bool one)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	char lim[24];
	const char *p[4], *v;
	int rc;

	snprintf(lim, sizeof lim, "%lld", limit);
	p[0] = arr;
	p[1] = lim;
	p[2] = device;
	p[3] = one ? "true" : "false";
	if ((rc = pg_tx_query(pg, rq->user_id, &res, &err, pull_sql, 4, p)) !=
	    0) {
		api_db_error(rq, rs, rc, &err);
		return;
	}
	if ((v = pg_value(res, 0, 0)) == NULL)
		resp_internal(rs, rq, "pull: no answer");
	else
		resp_json(rs, 200, v, strlen(v));
	pg_res_free(res);
}

/* GET ?scope=S&since=N&limit=L */
static void
pull_get(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct strbuf arr = STRBUF_INIT;
	const char *scope = req_query_get(rq, "scope");
	const char *v = req_query_get(rq, "v");
	long long since, limit;

	if (v != NULL && strcmp(v, "1") != 0) {
		answer_version(rs, "proto_unsupported", "protocol");
		return;
	}
	if (scope == NULL) {
		resp_field_error(rs, "scope", "'scope' is required");
		return;
	}
	if (query_int(rq, rs, "since", 0, 0, &since) != 0 ||
	    query_int(rq, rs, "limit", PULL_LIMIT_MAX, PULL_LIMIT_MAX,
	    &limit) != 0)
		return;
	if (limit == 0)
		limit = PULL_LIMIT_MAX;
	strbuf_addch(&arr, '[');
	if (add_scope(&arr, rq->user_id, scope, since) != 0) {
		strbuf_release(&arr);
		resp_field_error(rs, "scope", "'scope' must be a workspace id "
		    "or u:<user id>");
		return;
	}
	strbuf_addch(&arr, ']');
	run_pull(rq, rs, pg, arr.buf, limit, NULL, true);
	strbuf_release(&arr);
}

/* POST {"v":1,"schema":1,"device_id":…,"scopes":[{id,cursor}…],"limit":L} */
static void
pull_post(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct strbuf arr = STRBUF_INIT;
	const cJSON *scopes, *dev, *lim, *s, *id, *cur;
	cJSON *root;
	long long limit = PULL_LIMIT_MAX;
	const char *device = NULL;
	int n = 0;

	/* rjson_parse has checked the text and its depth already. */
	root = cJSON_ParseWithLength(rq->body.buf, rq->body.len);
	if (root == NULL) {
		resp_error(rs, 400, "invalid_json", "the body is not JSON");
		return;
	}
	if (check_versions(rs, root) != 0)
		goto out;
	dev = cJSON_GetObjectItemCaseSensitive(root, "device_id");
	if (dev != NULL && !cJSON_IsNull(dev)) {
		if (!cJSON_IsString(dev) || !uuid_valid(dev->valuestring)) {
			resp_field_error(rs, "device_id",
			    "'device_id' must be a UUID");
			goto out;
		}
		device = dev->valuestring;
	}
	lim = cJSON_GetObjectItemCaseSensitive(root, "limit");
	if (lim != NULL && !cJSON_IsNull(lim)) {
		if (!cJSON_IsNumber(lim) || lim->valuedouble < 1 ||
		    lim->valuedouble > PULL_LIMIT_MAX ||
		    lim->valuedouble != (double)(long long)lim->valuedouble) {
			resp_field_error(rs, "limit", "'limit' must be an "
			    "integer from 1 to %d", PULL_LIMIT_MAX);
			goto out;
		}
		limit = (long long)lim->valuedouble;
	}
	scopes = cJSON_GetObjectItemCaseSensitive(root, "scopes");
	if (!cJSON_IsArray(scopes)) {
		resp_field_error(rs, "scopes", "'scopes' must be an array");
		goto out;
	}
	strbuf_addch(&arr, '[');
	cJSON_ArrayForEach(s, scopes) {
		id = cJSON_GetObjectItemCaseSensitive(s, "id");
		cur = cJSON_GetObjectItemCaseSensitive(s, "cursor");
		if (++n > PULL_SCOPES_MAX) {
			resp_field_error(rs, "scopes", "at most %d 'scopes'",
			    PULL_SCOPES_MAX);
			goto out;
		}
		if (!cJSON_IsString(id) || !cJSON_IsNumber(cur) ||
		    cur->valuedouble < 0 ||
		    cur->valuedouble != (double)(long long)cur->valuedouble ||
		    add_scope(&arr, rq->user_id, id->valuestring,
		    (long long)cur->valuedouble) != 0) {
			resp_field_error(rs, "scopes", "each of 'scopes' must "
			    "be {\"id\": a workspace id or u:<user id>, "
			    "\"cursor\": an integer >= 0}");
			goto out;
		}
	}
	strbuf_addch(&arr, ']');
	run_pull(rq, rs, pg, arr.buf, limit, device, false);
out:
	strbuf_release(&arr);
	cJSON_Delete(root);
}

void
api_sync_pull(struct req *rq, struct resp *rs, struct pg *pg)
{
	if (rq->method == HTTP_POST)
		pull_post(rq, rs, pg);
	else
		pull_get(rq, rs, pg);
}

/*
 * One page: $1 workspace, $2 table of the last row sent (-1 at the
 * start), $3 its id, $4 limit.  A row per snapshot row, in snapshot
 * order, or one row of NULLs when there are none; every row carries the
 * caller's role (NULL: not a member) and the head.  tock_snapshot_rows
 * (migrations 3 and 4) checks the membership once and reads by keyset;
 * it answers each row as JSON (rj), except tasks, which come as columns
 * for snap_task() to render: PostgreSQL's JSON building cost several
 * times the read.
 */
static const char snap_sql[] =
    "SELECT r.*, (SELECT tock_role($1::uuid)),"
    " (SELECT last_seq FROM scopes WHERE id = $1::uuid)"
    " FROM (SELECT 1) o LEFT JOIN LATERAL tock_snapshot_rows($1::uuid,"
    " $2::int, $3::uuid, $4::int) r ON true";

/* Columns of snap_sql. */
enum {
	SC_TBL, SC_RID, SC_RJ, SC_WS, SC_TITLE, SC_DESCR, SC_STATUS,
	SC_ASSIGNEE, SC_CREATOR, SC_CREATED, SC_UPDATED, SC_DUE, SC_META,
	SC_FHLC, SC_ROLE, SC_HEAD
};

/* A task's fields in the order they are sent, with their columns. */
static const struct {
	const char *name;
	int col;
	bool quote;	/* a string, not a number or JSON already */
} task_fields[] = {
	{ "workspace_id", SC_WS, true },
	{ "title", SC_TITLE, true },
	{ "description", SC_DESCR, true },
	{ "status", SC_STATUS, true },
	{ "assignee_id", SC_ASSIGNEE, true },
	{ "created_by", SC_CREATOR, true },
	{ "created_at", SC_CREATED, false },
	{ "updated_at", SC_UPDATED, false },
	{ "due_date", SC_DUE, false },
	{ "deleted", -1, false },
};

/* A field's clock: its own, else the row's earliest (its creation), as
 * tock_clock() answers. */
static void
snap_clock(struct strbuf *b, const cJSON *fhlc, const char *key,
    const char *min)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(fhlc, key);
	char *s;

	if (c == NULL) {
		strbuf_add_json_str(b, min);
	} else if (cJSON_IsString(c)) {
		strbuf_add_json_str(b, c->valuestring);
	} else if ((s = cJSON_PrintUnformatted(c)) != NULL) {
		strbuf_addstr(b, s);
		cJSON_free(s);
	}
}

/* One task row as the JSON tock_snapshot_rows used to build. */
static void
snap_task(struct strbuf *b, const struct pg_res *res, int row)
{
	const char *v, *meta = pg_value(res, row, SC_META), *min = NULL;
	cJSON *fhlc, *mk = NULL;
	const cJSON *it;
	size_t i, mlen;

	strbuf_addstr(b, "{\"e\":\"task\",\"eid\":\"");
	strbuf_addstr(b, pg_value(res, row, SC_RID));
	strbuf_addstr(b, "\",\"fields\":{");
	for (i = 0; i < sizeof task_fields / sizeof task_fields[0]; i++) {
		if (i > 0)
			strbuf_addch(b, ',');
		strbuf_addch(b, '"');
		strbuf_addstr(b, task_fields[i].name);
		strbuf_addstr(b, "\":");
		v = task_fields[i].col < 0 ? "false" :
		    pg_value(res, row, task_fields[i].col);
		if (v == NULL)
			strbuf_addstr(b, "null");
		else if (task_fields[i].quote)
			strbuf_add_json_str(b, v);
		else
			strbuf_addstr(b, v);
	}
	/* The metadata as "metadata.KEY" fields, already JSON: splice in the
	 * members of the object. */
	if (meta != NULL && (mlen = strlen(meta)) > 2) {
		strbuf_addch(b, ',');
		strbuf_add(b, meta + 1, mlen - 2);
		mk = cJSON_Parse(meta);
	}
	strbuf_addstr(b, "},\"fhlc\":{");
	fhlc = cJSON_Parse(pg_value(res, row, SC_FHLC));
	cJSON_ArrayForEach(it, fhlc)
		if (cJSON_IsString(it) && (min == NULL ||
		    strcmp(it->valuestring, min) < 0))
			min = it->valuestring;
	if (min == NULL)
		min = "0000000000000000-0000000000000000";
	for (i = 0; i < sizeof task_fields / sizeof task_fields[0]; i++) {
		if (i > 0)
			strbuf_addch(b, ',');
		strbuf_add_json_str(b, task_fields[i].name);
		strbuf_addch(b, ':');
		snap_clock(b, fhlc, task_fields[i].name, min);
	}
	cJSON_ArrayForEach(it, mk) {
		strbuf_addch(b, ',');
		strbuf_add_json_str(b, it->string);
		strbuf_addch(b, ':');
		snap_clock(b, fhlc, it->string, min);
	}
	strbuf_addstr(b, "}}");
	cJSON_Delete(fhlc);
	cJSON_Delete(mk);
}

/* The token: base64url of {"s":seq,"t":table,"k":"id"}. */
static void
token_make(char *out, size_t outsize, long long seq, int t, const char *id)
{
	char json[128];
	int n;

	n = snprintf(json, sizeof json, "{\"s\":%lld,\"t\":%d,\"k\":\"%s\"}",
	    seq, t, id);
	if (b64url_encode(out, outsize, json, (size_t)n) == 0)
		out[0] = '\0';
}

static int
token_read(const char *tok, long long *seq, int *t, char id[UUID_STRLEN + 1])
{
	unsigned char buf[160];
	size_t n;
	int used = 0;

	if (strlen(tok) > 200 || b64url_decode(buf, sizeof buf - 1, &n, tok,
	    strlen(tok)) != 0)
		return -1;
	buf[n] = '\0';
	if (sscanf((char *)buf, "{\"s\":%lld,\"t\":%d,\"k\":\"%36[0-9a-f-]\"}%n",
	    seq, t, id, &used) != 3 || used != (int)n || *seq < 0 || *t < 0 ||
	    *t > 4 || !uuid_valid(id))
		return -1;
	return 0;
}

static void
snapshot_user(struct req *rq, struct resp *rs, struct pg *pg,
    const char *wire)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	const char *p[1] = { rq->user_id }, *v;
	int rc;

	if ((rc = pg_tx_query(pg, rq->user_id, &res, &err,
	    "SELECT last_seq FROM scopes WHERE id = $1::uuid", 1, p)) != 0) {
		api_db_error(rq, rs, rc, &err);
		return;
	}
	v = pg_value(res, 0, 0);
	strbuf_reset(&rs->body);
	strbuf_addstr(&rs->body, "{\"v\":1,\"scope\":");
	strbuf_add_json_str(&rs->body, wire);
	strbuf_addf(&rs->body, ",\"rows\":[],\"snapshot_seq\":%s,"
	    "\"token\":\"\",\"done\":true}", v != NULL ? v : "0");
	rs->status = 200;
	pg_res_free(res);
}

void
api_sync_snapshot(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	const char *scope = req_query_get(rq, "scope");
	const char *tok = req_query_get(rq, "token");
	const char *p[4], *v;
	char last[UUID_STRLEN + 1] = "", lim[24], ts[8], token[256];
	long long limit, seq = -1;
	int t = -1, rc, n, i;
	bool done;

	if (scope == NULL) {
		resp_field_error(rs, "scope", "'scope' is required");
		return;
	}
	if (strncmp(scope, "u:", 2) == 0) {
		if (strcmp(scope + 2, rq->user_id) != 0) {
			resp_error(rs, 404, "not_found", "no such scope");
			return;
		}
		snapshot_user(rq, rs, pg, scope);
		return;
	}
	if (!uuid_valid(scope)) {
		resp_field_error(rs, "scope", "'scope' must be a workspace id "
		    "or u:<user id>");
		return;
	}
	if (query_int(rq, rs, "limit", SNAP_LIMIT_DEF, SNAP_LIMIT_MAX,
	    &limit) != 0)
		return;
	if (limit == 0)
		limit = SNAP_LIMIT_DEF;
	if (tok != NULL && *tok != '\0' && token_read(tok, &seq, &t, last) !=
	    0) {
		resp_field_error(rs, "token", "'token' is not a token this "
		    "server gave");
		return;
	}
	snprintf(ts, sizeof ts, "%d", t);
	snprintf(lim, sizeof lim, "%lld", limit);
	p[0] = scope;
	p[1] = ts;
	p[2] = last[0] != '\0' ? last : NULL;
	p[3] = lim;
	if ((rc = pg_tx_query(pg, rq->user_id, &res, &err, snap_sql, 4, p)) !=
	    0) {
		api_db_error(rq, rs, rc, &err);
		return;
	}
	if (pg_value(res, 0, SC_ROLE) == NULL) {
		pg_res_free(res);
		resp_error(rs, 404, "not_found", "no such workspace");
		return;
	}
	n = pg_value(res, 0, SC_TBL) != NULL ? pg_nrows(res) : 0;
	if (seq < 0)
		seq = strtoll(pg_value(res, 0, SC_HEAD), NULL, 10);
	done = n < limit;
	token[0] = '\0';
	if (!done)
		token_make(token, sizeof token, seq, atoi(pg_value(res, n - 1,
		    SC_TBL)), pg_value(res, n - 1, SC_RID));
	strbuf_reset(&rs->body);
	strbuf_addstr(&rs->body, "{\"v\":1,\"scope\":");
	strbuf_add_json_str(&rs->body, scope);
	strbuf_addstr(&rs->body, ",\"rows\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			strbuf_addch(&rs->body, ',');
		if ((v = pg_value(res, i, SC_RJ)) != NULL)
			strbuf_addstr(&rs->body, v);
		else
			snap_task(&rs->body, res, i);
	}
	strbuf_addf(&rs->body, "],\"snapshot_seq\":%lld,\"token\":\"%s\","
	    "\"done\":%s}", seq, token, done ? "true" : "false");
	rs->status = 200;
	pg_res_free(res);
}
