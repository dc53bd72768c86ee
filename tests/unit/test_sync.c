/*
 * test_sync.c - unit tests of the sync engine (common/sync.c, db_sync.c,
 * syncjson.c) against a scripted in-process server: each test queues the
 * answers (status, JSON body) the fake transport gives in order and looks
 * at the requests it recorded and at the rows, through a second raw SQLite
 * connection.
 *
 * Covered: the push body; results (applied, duplicate, rejected with
 * rollback to current and quarantine, retry clock_ahead with re-stamping);
 * pull LWW per field both ways, metadata keys, set of a missing row,
 * replaying a page, cursors, memberships and users, conflict rows; the
 * local one-running-timer prediction; snapshots paged, resumed and swept;
 * revocation; login adoption.  One test times a large snapshot and a
 * stream of field changes and prints the rates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "db.h"
#include "err.h"
#include "model.h"
#include "ops.h"
#include "strbuf.h"
#include "sync.h"
#include "timeparse.h"
#include "tocktest.h"
#include "xmalloc.h"

#define WS "01900000-0000-7000-8000-00000000aaaa"
#define USER "01900000-0000-7000-8000-00000000bbbb"
#define T1 "01900000-0000-7000-8000-000000000001"
#define T2 "01900000-0000-7000-8000-000000000002"
#define H(n) "0000000000" #n "0000-1111111111111111"
#define HBIG "7fffffffffff0000-1111111111111111"

struct req {
	char *method, *path, *body;
};

struct fx {
	char *dir, *path;
	struct db *db;
	sqlite3 *raw;
	/* the fake server */
	int nans, next;
	struct { int status; char *body; } ans[64];
	int nreq;
	struct req req[64];
};

static int
fake_request(void *ctx, const char *method, const char *path,
    const char *body, int *status, struct strbuf *resp, struct tock_err *err)
{
	struct fx *fx = ctx;
	struct req *r = &fx->req[fx->nreq++];

	r->method = xstrdup(method);
	r->path = xstrdup(path);
	r->body = body ? xstrdup(body) : NULL;
	if (fx->next >= fx->nans)
		return tock_err_set(err, TOCK_EIO, "no answer scripted");
	*status = fx->ans[fx->next].status;
	strbuf_addstr(resp, fx->ans[fx->next].body);
	fx->next++;
	return 0;
}

static void
answer(struct fx *fx, int status, const char *body)
{
	fx->ans[fx->nans].status = status;
	fx->ans[fx->nans].body = xstrdup(body);
	fx->nans++;
}

/* An answer built with printf. */
static void
answerf(struct fx *fx, const char *fmt, ...)
{
	char buf[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	answer(fx, 200, buf);
}

static int
setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof *fx);
	struct tock_err err = TOCK_ERR_INIT;

	fx->dir = tt_tmpdir();
	fx->path = xasprintf("%s/tock.db", fx->dir);
	if (db_open(&fx->db, fx->path, 0, &err) != 0) {
		fprintf(stderr, "db_open: %s\n", err.msg);
		return -1;
	}
	if (sqlite3_open(fx->path, &fx->raw) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(fx->raw, 5000);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	int i;

	db_close(fx->db);
	sqlite3_close(fx->raw);
	for (i = 0; i < fx->nans; i++)
		free(fx->ans[i].body);
	for (i = 0; i < fx->nreq; i++) {
		free(fx->req[i].method);
		free(fx->req[i].path);
		free(fx->req[i].body);
	}
	tt_rmtree(fx->dir);
	free(fx->path);
	free(fx);
	return 0;
}

static void
exec(struct fx *fx, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(fx->raw, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

/* The first column of sql's row as text ("" for none / NULL), in buf. */
static const char *
q(struct fx *fx, const char *sql)
{
	static char buf[4096];
	sqlite3_stmt *st;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(fx->raw, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(fx->raw));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, sizeof buf, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf;
}

static int64_t
qi(struct fx *fx, const char *sql)
{
	return strtoll(q(fx, sql), NULL, 10);
}

static struct sync_transport
tp_of(struct fx *fx)
{
	struct sync_transport tp = { fx, fake_request };

	return tp;
}

/* A replica logged in as USER with WS as its personal workspace, the
 * workspace scope live at cursor 0 so a pull asks for it. */
static void
login(struct fx *fx)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct sync_login in = { "https://sync.example", USER, "me@example",
	    "Me", WS, "01900000-0000-7000-8000-00000000dddd" };

	assert_int_equal(sync_adopt(fx->db, &in, &err), 0);
	exec(fx, "UPDATE sync_cursor SET state = 'live'");
	exec(fx, "DELETE FROM outbox");
}

static char *
make_task(struct fx *fx, const char *title)
{
	struct fieldset fs = FIELDSET_INIT;
	struct tock_err err = TOCK_ERR_INIT;
	char *id = xcalloc(1, UUID_STRLEN + 1);

	fieldset_text(&fs, "title", title);
	if (ops_task_create(fx->db, id, &fs, &err) != 0)
		fail_msg("task: %s", err.msg);
	return id;
}

#define EMPTY_PULL \
	"{\"v\":1,\"server_time\":1,\"scopes\":[],\"available\":[]}"

/* ---- push ------------------------------------------------------------- */

static void
test_push_body_and_results(void **state)
{
	struct fx *fx = *state;
	struct sync_transport tp = tp_of(fx);
	struct sync_stats st = { 0 };
	struct tock_err err = TOCK_ERR_INIT;
	char *a, *b, ops[3][40], sql[512];
	int64_t seq0;
	int i;

	login(fx);
	a = make_task(fx, "alpha");
	b = make_task(fx, "beta");
	seq0 = qi(fx, "SELECT min(seq) FROM outbox");
	assert_int_equal(qi(fx, "SELECT count(*) FROM outbox"), 2);
	{
		struct fieldset fs = FIELDSET_INIT;

		fieldset_text(&fs, "title", "alpha 2");
		assert_int_equal(ops_task_update(fx->db, a, &fs, &err), 0);
	}
	for (i = 0; i < 3; i++) {
		snprintf(sql, sizeof sql, "SELECT op_id FROM outbox WHERE "
		    "seq = %lld", (long long)(seq0 + i));
		snprintf(ops[i], sizeof ops[i], "%s", q(fx, sql));
	}
	/* a's create applied with a conflict, b rejected with current,
	 * a's set a duplicate. */
	answerf(fx, "{\"v\":1,\"server_time\":5,\"applied_through\":3,"
	    "\"results\":[{\"seq\":1,\"id\":\"%s\",\"status\":\"applied\","
	    "\"scope_seq\":3,\"conflicts\":[{\"field\":\"title\",\"loser\":"
	    "\"old\",\"loser_hlc\":\"" H(1) "\",\"winner_hlc\":\"" H(2) "\"}]},"
	    "{\"seq\":2,\"id\":\"%s\",\"status\":\"rejected\",\"code\":"
	    "\"forbidden\",\"message\":\"no\",\"current\":{\"fields\":"
	    "{\"title\":\"server beta\",\"status\":\"done\",\"workspace_id\":"
	    "\"" WS "\"},\"fhlc\":{\"title\":\"" H(3) "\",\"status\":\"" H(3)
	    "\",\"workspace_id\":\"" H(3) "\"}}},"
	    "{\"seq\":3,\"id\":\"%s\",\"status\":\"duplicate\",\"original\":"
	    "{\"status\":\"applied\"}}],\"heads\":{}}", ops[0], ops[1], ops[2]);
	assert_int_equal(sync_push(fx->db, &tp, &st, &err), 0);
	assert_int_equal(fx->nreq, 1);
	assert_string_equal(fx->req[0].path, "/api/v1/sync/push");
	/* Exact shape: header, then each op with its fields. */
	snprintf(sql, sizeof sql, "{\"v\":1,\"schema\":1,\"device_id\":"
	    "\"01900000-0000-7000-8000-00000000dddd\",\"results_acked_through"
	    "\":%lld,\"ops\":[{\"seq\":%lld,\"id\":\"%s\",\"scope\":\"" WS
	    "\",\"e\":\"task\",\"eid\":\"%s\",\"kind\":\"create\",\"hlc\":",
	    (long long)seq0 - 1, (long long)seq0, ops[0], a);
	assert_true(strncmp(fx->req[0].body, sql, strlen(sql)) == 0);
	assert_non_null(strstr(fx->req[0].body, "\"base\":{\"title\":"));
	assert_int_equal(st.pushed, 2);
	assert_int_equal(st.rejected, 1);
	assert_int_equal(st.conflicts, 1);
	assert_int_equal(qi(fx, "SELECT count(*) FROM outbox"), 0);
	/* b rolled back to the server's row and clocks. */
	snprintf(sql, sizeof sql, "SELECT title || '|' || status || '|' || "
	    "_fhlc FROM tasks WHERE id = '%s'", b);
	assert_string_equal(q(fx, sql), "server beta|done|{\"title\":\"" H(3)
	    "\",\"status\":\"" H(3) "\",\"workspace_id\":\"" H(3) "\"}");
	snprintf(sql, sizeof sql, "SELECT code || '|' || message || '|' || "
	    "json_extract(payload, '$.fields.title') FROM quarantine WHERE "
	    "op_id = '%s'", ops[1]);
	assert_string_equal(q(fx, sql), "forbidden|no|beta");
	assert_string_equal(q(fx, "SELECT field || loser_value FROM "
	    "conflicts"), "title\"old\"");
	/* The next body's results_acked_through: the last assigned seq. */
	a[0] = a[0];
	free(a);
	free(b);
	a = make_task(fx, "gamma");
	answer(fx, 503, "{\"error\":{\"code\":\"busy\",\"message\":\"later\"}}");
	assert_int_equal(sync_push(fx->db, &tp, &st, &err), TOCK_EBUSY);
	snprintf(sql, sizeof sql, "\"results_acked_through\":%lld,",
	    (long long)seq0 + 2);
	assert_non_null(strstr(fx->req[1].body, sql));
	/* Unanswered: the op stays, inflight, and is sent again. */
	assert_string_equal(q(fx, "SELECT state FROM outbox"), "inflight");
	answer(fx, 401, "{\"error\":{\"code\":\"device_revoked\"}}");
	assert_int_equal(sync_push(fx->db, &tp, &st, &err), TOCK_EAUTH);
	assert_int_equal(qi(fx, "SELECT count(*) FROM outbox"), 1);
	free(a);
}

static void
test_push_clock_ahead(void **state)
{
	struct fx *fx = *state;
	struct sync_transport tp = tp_of(fx);
	struct sync_stats st = { 0 };
	struct tock_err err = TOCK_ERR_INIT;
	char *a, *b, op1[40], op2[40], old1[40], old2[40], sql[512];
	int64_t now = time_now_ms();

	login(fx);
	a = make_task(fx, "one");
	b = make_task(fx, "two");
	snprintf(op1, sizeof op1, "%s", q(fx, "SELECT op_id FROM outbox ORDER "
	    "BY seq LIMIT 1"));
	snprintf(op2, sizeof op2, "%s", q(fx, "SELECT op_id FROM outbox ORDER "
	    "BY seq DESC LIMIT 1"));
	snprintf(old1, sizeof old1, "%s", q(fx, "SELECT hlc FROM outbox "
	    "ORDER BY seq LIMIT 1"));
	snprintf(old2, sizeof old2, "%s", q(fx, "SELECT hlc FROM outbox "
	    "ORDER BY seq DESC LIMIT 1"));
	/* Pretend the server is an hour behind us. */
	answerf(fx, "{\"v\":1,\"server_time\":%lld,\"results\":["
	    "{\"seq\":1,\"id\":\"%s\",\"status\":\"retry\",\"code\":"
	    "\"clock_ahead\",\"server_time\":%lld},{\"seq\":2,\"id\":\"%s\","
	    "\"status\":\"retry\",\"code\":\"clock_ahead\"}]}",
	    (long long)(now - 3600000), op1, (long long)(now - 3600000), op2);
	answerf(fx, "{\"v\":1,\"server_time\":1,\"results\":["
	    "{\"id\":\"%s\",\"status\":\"applied\"},{\"id\":\"%s\",\"status\":"
	    "\"applied\"}]}", op1, op2);
	assert_int_equal(sync_push(fx->db, &tp, &st, &err), 0);
	assert_int_equal(st.restamped, 2);
	assert_int_equal(fx->nreq, 2);
	/* The offset is stored (about -1 h) and used by db_now. */
	assert_true(qi(fx, "SELECT v FROM sync_meta WHERE k = "
	    "'clock_offset_ms'") < -3500000);
	assert_true(db_now(fx->db) < now - 3500000);
	/* The second push carries new stamps, in the same order, and the
	 * rows' clocks follow them. */
	{
		const char *p1 = strstr(fx->req[1].body, op1);
		const char *p2 = strstr(fx->req[1].body, op2);
		char h1[34], h2[34];

		assert_non_null(p1);
		assert_non_null(p2);
		assert_true(p1 < p2);
		p1 = strstr(p1, "\"hlc\":\"") + 7;
		p2 = strstr(p2, "\"hlc\":\"") + 7;
		memcpy(h1, p1, 33);
		h1[33] = '\0';
		memcpy(h2, p2, 33);
		h2[33] = '\0';
		assert_true(strcmp(h1, h2) < 0);
		assert_true(strcmp(h1, old1) != 0);
		snprintf(sql, sizeof sql, "SELECT json_extract(_fhlc, "
		    "'$.title') FROM tasks WHERE id = '%s'", b);
		assert_string_equal(q(fx, sql), h2);
	}
	(void)old2;
	free(a);
	free(b);
}

/* ---- pull ------------------------------------------------------------- */

static void
pull_page(struct fx *fx, const char *changes, int64_t next)
{
	answerf(fx, "{\"v\":1,\"server_time\":1,\"scopes\":[{\"id\":\"" WS
	    "\",\"changes\":[%s],\"next_cursor\":%lld,\"head\":%lld,"
	    "\"has_more\":false}],\"available\":[{\"id\":\"" WS "\",\"head\":"
	    "%lld},{\"id\":\"u:" USER "\",\"head\":0}]}", changes,
	    (long long)next, (long long)next, (long long)next);
}

static void
test_pull_lww(void **state)
{
	struct fx *fx = *state;
	struct sync_transport tp = tp_of(fx);
	struct sync_stats st = { 0 };
	struct tock_err err = TOCK_ERR_INIT;
	char *a, ch[2048], sql[256];
	const char *create = "{\"seq\":5,\"e\":\"task\",\"eid\":\"" T1 "\","
	    "\"kind\":\"create\",\"fields\":{\"workspace_id\":\"" WS "\","
	    "\"title\":\"remote\",\"status\":\"todo\",\"deleted\":false,"
	    "\"metadata.prio\":\"high\",\"metadata.tags\":[\"x\"]},\"fhlc\":{"
	    "\"workspace_id\":\"" H(1) "\",\"title\":\"" H(1) "\",\"status\":\""
	    H(1) "\",\"deleted\":\"" H(1) "\",\"metadata.prio\":\"" H(1) "\","
	    "\"metadata.tags\":\"" H(1) "\"},\"by\":\"" USER "\"}";

	login(fx);
	a = make_task(fx, "local");	/* pending, with a current HLC */
	snprintf(ch, sizeof ch, "%s,"
	    /* an old edit of our pending task loses */
	    "{\"seq\":6,\"e\":\"task\",\"eid\":\"%s\",\"kind\":\"set\","
	    "\"fields\":{\"title\":\"older\",\"description\":\"d\"},"
	    "\"fhlc\":{\"title\":\"" H(2) "\",\"description\":\"" H(2) "\"}},"
	    /* a set of a row we do not have is ignored */
	    "{\"seq\":7,\"e\":\"task\",\"eid\":\"" T2 "\",\"kind\":\"set\","
	    "\"fields\":{\"title\":\"ghost\"},\"fhlc\":{\"title\":\"" H(2)
	    "\"}},"
	    /* a member and a conflict */
	    "{\"seq\":8,\"e\":\"membership\",\"eid\":\"" T2 "\",\"kind\":"
	    "\"membership\",\"fields\":{\"user_id\":\"" T2 "\",\"role\":"
	    "\"member\",\"name\":\"Bob\",\"email\":\"bob@x\"},\"fhlc\":{"
	    "\"role\":\"" H(2) "\"}},"
	    "{\"seq\":9,\"e\":\"conflict\",\"eid\":\"" T2 "\",\"kind\":"
	    "\"create\",\"fields\":{\"entity\":\"task\",\"entity_id\":\"" T1
	    "\",\"field\":\"title\",\"loser_value\":\"lost\",\"loser_hlc\":\""
	    H(1) "\",\"winner_hlc\":\"" H(2) "\"},\"fhlc\":{}}", create, a);
	pull_page(fx, ch, 9);
	pull_page(fx, ch, 9);	/* the same page again */
	assert_int_equal(sync_pull(fx->db, &tp, &st, &err), 0);
	assert_int_equal(fx->nreq, 1);
	assert_non_null(strstr(fx->req[0].body, "{\"id\":\"" WS
	    "\",\"cursor\":0}"));
	assert_non_null(strstr(fx->req[0].body, "{\"id\":\"u:" USER
	    "\",\"cursor\":0}"));
	assert_string_equal(q(fx, "SELECT title || '|' || metadata || '|' || "
	    "(num IS NOT NULL) || '|' || _seq FROM tasks WHERE id = '" T1 "'"),
	    "remote|{\"prio\":\"high\",\"tags\":[\"x\"]}|1|5");
	snprintf(sql, sizeof sql, "SELECT title || '|' || description FROM "
	    "tasks WHERE id = '%s'", a);
	assert_string_equal(q(fx, sql), "local|d");
	assert_int_equal(qi(fx, "SELECT count(*) FROM tasks WHERE id = '" T2
	    "'"), 0);
	assert_string_equal(q(fx, "SELECT u.name || u.email || m.role FROM "
	    "memberships m JOIN users u ON u.id = m.user_id WHERE m.user_id = '"
	    T2 "'"), "Bobbob@xmember");
	assert_int_equal(qi(fx, "SELECT cursor FROM sync_cursor WHERE scope = '"
	    WS "'"), 9);
	assert_int_equal(st.conflicts, 1);
	/* Replay: nothing changes, nothing doubles. */
	assert_int_equal(sync_pull(fx->db, &tp, &st, &err), 0);
	assert_int_equal(qi(fx, "SELECT count(*) FROM conflicts"), 1);
	assert_int_equal(qi(fx, "SELECT count(*) FROM tasks"), 2);

	/* A newer edit wins; a metadata key removed; a newer set of our
	 * pending title wins too. */
	snprintf(ch, sizeof ch, "{\"seq\":10,\"e\":\"task\",\"eid\":\"" T1
	    "\",\"kind\":\"set\",\"fields\":{\"title\":\"newer\","
	    "\"metadata.prio\":null},\"fhlc\":{\"title\":\"" H(3) "\","
	    "\"metadata.prio\":\"" H(3) "\"}},{\"seq\":11,\"e\":\"task\","
	    "\"eid\":\"%s\",\"kind\":\"set\",\"fields\":{\"title\":\"far\","
	    "\"status\":\"done\"},\"fhlc\":{\"title\":\"" HBIG "\",\"status\":\""
	    HBIG "\"}}", a);
	pull_page(fx, ch, 11);
	assert_int_equal(sync_pull(fx->db, &tp, &st, &err), 0);
	assert_string_equal(q(fx, "SELECT title || metadata || json_extract("
	    "_fhlc, '$.\"metadata.prio\"') FROM tasks WHERE id = '" T1 "'"),
	    "newer{\"tags\":[\"x\"]}" H(3));
	snprintf(sql, sizeof sql, "SELECT title || status || coalesce(num, "
	    "'-') FROM tasks WHERE id = '%s'", a);
	assert_string_equal(q(fx, sql), "fardone-");
	/* hlc_recv: the next local stamp is past the far one. */
	assert_true(strcmp(q(fx, "SELECT printf('%016x', l << 16 | c) FROM "
	    "hlc_state"), "7fffffffffff0000") >= 0);
	free(a);
}

static void
test_pull_timer_prediction(void **state)
{
	struct fx *fx = *state;
	struct sync_transport tp = tp_of(fx);
	struct sync_stats st = { 0 };
	struct tock_err err = TOCK_ERR_INIT;
	char *t, eid[UUID_STRLEN + 1], ch[2048], sql[256];
	int64_t now = time_now_ms();

	login(fx);
	t = make_task(fx, "work");
	assert_int_equal(ops_timer_start(fx->db, t, now - 60000, NULL, eid,
	    NULL, &err), 0);
	/* Another device started a timer later, with a newer clock. */
	snprintf(ch, sizeof ch, "{\"seq\":3,\"e\":\"time_entry\",\"eid\":\"" T1
	    "\",\"kind\":\"create\",\"fields\":{\"workspace_id\":\"" WS "\","
	    "\"user_id\":\"" USER "\",\"task_id\":\"%s\",\"origin\":\"timer\","
	    "\"start_time\":%lld,\"end_time\":null,\"deleted\":false},\"fhlc\":"
	    "{\"workspace_id\":\"" HBIG "\",\"user_id\":\"" HBIG "\",\"task_id\""
	    ":\"" HBIG "\",\"origin\":\"" HBIG "\",\"start_time\":\"" HBIG "\","
	    "\"end_time\":\"" HBIG "\",\"deleted\":\"" HBIG "\"}},"
	    /* and an old one started before ours: it must not run */
	    "{\"seq\":4,\"e\":\"time_entry\",\"eid\":\"" T2 "\",\"kind\":"
	    "\"create\",\"fields\":{\"workspace_id\":\"" WS "\",\"user_id\":\""
	    USER "\",\"origin\":\"timer\",\"start_time\":%lld,\"end_time\":"
	    "null,\"deleted\":false},\"fhlc\":{\"workspace_id\":\"" H(1) "\","
	    "\"user_id\":\"" H(1) "\",\"origin\":\"" H(1) "\",\"start_time\":\""
	    H(1) "\",\"end_time\":\"" H(1) "\",\"deleted\":\"" H(1) "\"}}",
	    t, (long long)(now - 1000), (long long)(now - 120000));
	pull_page(fx, ch, 4);
	assert_int_equal(sync_pull(fx->db, &tp, &st, &err), 0);
	assert_int_equal(qi(fx, "SELECT count(*) FROM time_entries WHERE "
	    "end_time IS NULL"), 1);
	assert_string_equal(q(fx, "SELECT id FROM time_entries WHERE "
	    "end_time IS NULL"), T1);
	snprintf(sql, sizeof sql, "SELECT (end_time = %lld) || end_src FROM "
	    "time_entries WHERE id = '%s'", (long long)(now - 1000), eid);
	assert_string_equal(q(fx, sql), "1auto");
	/* The old one ends at the newest start it lost to. */
	assert_string_equal(q(fx, "SELECT end_src FROM time_entries WHERE id = '"
	    T2 "'"), "auto");
	assert_true(qi(fx, "SELECT end_time FROM time_entries WHERE id = '" T2
	    "'") >= now - 120000);
	free(t);
}

/* ---- snapshots, reset, revocation -------------------------------------- */

static void
task_rows(char *out, size_t n, int from, int count)
{
	size_t len = 0;
	int i;

	out[0] = '\0';
	for (i = from; i < from + count; i++)
		len += (size_t)snprintf(out + len, n - len, "%s{\"e\":\"task\","
		    "\"eid\":\"01900000-0000-7000-8000-%012d\",\"fields\":{"
		    "\"workspace_id\":\"" WS "\",\"title\":\"t%d\",\"status\":"
		    "\"todo\"},\"fhlc\":{\"workspace_id\":\"" H(1) "\",\"title\":"
		    "\"" H(1) "\",\"status\":\"" H(1) "\"}}", i > from ? "," : "",
		    i, i);
}

static void
test_snapshot_resume_sweep(void **state)
{
	struct fx *fx = *state;
	struct sync_transport tp = tp_of(fx);
	struct sync_stats st = { 0 };
	struct tock_err err = TOCK_ERR_INIT;
	char rows[4096];

	login(fx);
	exec(fx, "UPDATE sync_cursor SET state = 'snapshot' WHERE scope = '"
	    WS "'");
	/* Page 1 arrives, page 2 fails: the token is kept. */
	answerf(fx, "{\"v\":1,\"scope\":\"" WS "\",\"rows\":[{\"e\":"
	    "\"workspace\",\"eid\":\"" WS "\",\"fields\":{\"name\":\"Team\"},"
	    "\"fhlc\":{\"name\":\"" H(1) "\"}},{\"e\":\"membership\",\"eid\":\""
	    USER "\",\"fields\":{\"user_id\":\"" USER "\",\"role\":\"admin\","
	    "\"name\":\"Me\",\"email\":\"me@x\"},\"fhlc\":{\"role\":\"" H(1)
	    "\"}}],\"snapshot_seq\":50,\"token\":\"a+b/c\",\"done\":false}");
	assert_int_equal(sync_pull(fx->db, &tp, &st, &err), TOCK_EIO);
	assert_string_equal(fx->req[0].path, "/api/v1/sync/snapshot?scope="
	    WS "&token=&limit=2000");
	assert_string_equal(q(fx, "SELECT snap_token || state || snap_gen FROM "
	    "sync_cursor WHERE scope = '" WS "'"), "a+b/csnapshot1");
	/* The local name's clock is newer than the server's: it stays. */
	assert_string_equal(q(fx, "SELECT name FROM workspaces WHERE id = '" WS
	    "'"), "Personal");
	assert_string_equal(q(fx, "SELECT email FROM users"), "me@x");
	/* Resume from the token. */
	task_rows(rows, sizeof rows, 1, 3);
	answerf(fx, "{\"v\":1,\"scope\":\"" WS "\",\"rows\":[%s],"
	    "\"snapshot_seq\":50,\"token\":\"z\",\"done\":true}", rows);
	answer(fx, 200, EMPTY_PULL);
	assert_int_equal(sync_pull(fx->db, &tp, &st, &err), 0);
	assert_string_equal(fx->req[2].path, "/api/v1/sync/snapshot?scope="
	    WS "&token=a%2Bb%2Fc&limit=2000");
	assert_string_equal(q(fx, "SELECT cursor || state FROM sync_cursor "
	    "WHERE scope = '" WS "'"), "50live");
	assert_int_equal(qi(fx, "SELECT count(*) FROM tasks WHERE num IS NOT "
	    "NULL"), 3);
	assert_int_equal(st.snapshot_rows, 5);

	/* Reset: the re-snapshot no longer has task 2; it is swept, a local
	 * unsynced task survives. */
	{
		char *local = make_task(fx, "mine");

		task_rows(rows, sizeof rows, 1, 1);
		answer(fx, 200, "{\"v\":1,\"server_time\":1,\"scopes\":[{\"id\":"
		    "\"" WS "\",\"reset\":{\"reason\":\"cursor_expired\"}}]}");
		answerf(fx, "{\"v\":1,\"scope\":\"" WS "\",\"rows\":[%s,"
		    "{\"e\":\"task\",\"eid\":\"01900000-0000-7000-8000-"
		    "000000000003\",\"fields\":{},\"fhlc\":{}}],"
		    "\"snapshot_seq\":60,\"done\":true}", rows);
		answer(fx, 200, EMPTY_PULL);
		assert_int_equal(sync_pull(fx->db, &tp, &st, &err), 0);
		assert_int_equal(qi(fx, "SELECT count(*) FROM tasks"), 3);
		assert_int_equal(qi(fx, "SELECT count(*) FROM tasks WHERE id = "
		    "'01900000-0000-7000-8000-000000000002'"), 0);
		assert_int_equal(qi(fx, "SELECT snap_gen FROM sync_cursor WHERE "
		    "scope = '" WS "'"), 2);
		free(local);
	}
}

static void
test_revocation(void **state)
{
	struct fx *fx = *state;
	struct sync_transport tp = tp_of(fx);
	struct sync_stats st = { 0 };
	struct tock_err err = TOCK_ERR_INIT;
	char *a;

	login(fx);
	a = make_task(fx, "doomed");
	{
		char eid[UUID_STRLEN + 1];

		assert_int_equal(ops_timer_start(fx->db, a, time_now_ms() - 1000,
		    NULL, eid, NULL, &err), 0);
	}
	answer(fx, 200, "{\"v\":1,\"server_time\":1,\"scopes\":[{\"id\":\"" WS
	    "\",\"reset\":{\"reason\":\"access_revoked\"}}],\"available\":[]}");
	assert_int_equal(sync_pull(fx->db, &tp, &st, &err), 0);
	assert_int_equal(st.revoked, 1);
	assert_int_equal(qi(fx, "SELECT count(*) FROM outbox"), 0);
	assert_int_equal(qi(fx, "SELECT count(*) FROM quarantine WHERE code = "
	    "'access_revoked'"), 3);
	assert_int_equal(qi(fx, "SELECT count(*) FROM tasks"), 0);
	assert_int_equal(qi(fx, "SELECT count(*) FROM time_entries"), 0);
	assert_int_equal(qi(fx, "SELECT count(*) FROM workspaces WHERE id = '"
	    WS "'"), 0);
	assert_string_equal(q(fx, "SELECT state FROM sync_cursor WHERE scope = '"
	    WS "'"), "revoked");
	free(a);
}

/* ---- login ------------------------------------------------------------- */

static void
test_adopt(void **state)
{
	struct fx *fx = *state;
	struct tock_err err = TOCK_ERR_INIT;
	struct sync_login in = { "https://sync.example", USER, "me@example",
	    "Me", WS, "01900000-0000-7000-8000-00000000dddd" };
	struct sync_login other = in;
	struct sync_status ss;
	char old_user[40], *a;

	snprintf(old_user, sizeof old_user, "%s", db_user_id(fx->db));
	a = make_task(fx, "before login");
	{
		struct fieldset fs = FIELDSET_INIT;

		fieldset_text(&fs, "assignee_id", old_user);
		assert_int_equal(ops_task_update(fx->db, a, &fs, &err), 0);
	}
	assert_int_equal(qi(fx, "SELECT count(*) FROM outbox WHERE entity = "
	    "'workspace'"), 1);
	assert_int_equal(sync_adopt(fx->db, &in, &err), 0);
	assert_string_equal(db_user_id(fx->db), USER);
	assert_string_equal(db_workspace_id(fx->db), WS);
	assert_int_equal(qi(fx, "SELECT count(*) FROM outbox WHERE entity = "
	    "'workspace'"), 0);
	assert_int_equal(qi(fx, "SELECT count(*) FROM outbox WHERE scope = '"
	    WS "'"), 2);
	assert_int_equal(qi(fx, "SELECT count(*) FROM outbox WHERE instr("
	    "fields, '" USER "') > 0"), 2);
	assert_string_equal(q(fx, "SELECT workspace_id || assignee_id || "
	    "created_by FROM tasks"), WS USER USER);
	assert_string_equal(q(fx, "SELECT name || email FROM users"),
	    "Meme@example");
	assert_string_equal(q(fx, "SELECT role FROM memberships WHERE user_id = "
	    "'" USER "' AND workspace_id = '" WS "'"), "admin");
	assert_string_equal(q(fx, "SELECT group_concat(scope || state, ' ') "
	    "FROM sync_cursor"), WS "snapshot u:" USER "snapshot");
	assert_int_equal(qi(fx, "PRAGMA foreign_key_check"), 0);
	/* Again as the same user: fine; as another: refused. */
	assert_int_equal(sync_adopt(fx->db, &in, &err), 0);
	other.user_id = T1;
	assert_int_equal(sync_adopt(fx->db, &other, &err), TOCK_ECONFLICT);
	assert_int_equal(sync_status_get(fx->db, &ss, &err), 0);
	assert_string_equal(ss.server_url, "https://sync.example");
	assert_int_equal(ss.pending, 2);
	assert_int_equal(ss.nscopes, 2);
	sync_status_release(&ss);
	assert_int_equal(sync_forget(fx->db, &err), 0);
	{
		char *url = NULL;

		assert_int_equal(sync_server_url(fx->db, &url, &err),
		    TOCK_EAUTH);
		assert_null(url);
	}
	free(a);
}

/* ---- speed ------------------------------------------------------------- */

static void
test_speed(void **state)
{
	struct fx *fx = *state;
	struct sync_transport tp = tp_of(fx);
	struct sync_stats st = { 0 };
	struct tock_err err = TOCK_ERR_INIT;
	const char *env = getenv("TOCK_SYNC_BENCH");
	int total = env ? atoi(env) : 4000, page = 2000, i, j;
	struct strbuf sb = STRBUF_INIT;
	int64_t t0, t1, t2;

	login(fx);
	exec(fx, "UPDATE sync_cursor SET state = 'snapshot' WHERE scope = '"
	    WS "'");
	for (i = 0; i < total; i += page) {
		strbuf_reset(&sb);
		strbuf_addstr(&sb, "{\"v\":1,\"scope\":\"" WS "\",\"rows\":[");
		for (j = i; j < i + page && j < total; j++)
			strbuf_addf(&sb, "%s{\"e\":\"task\",\"eid\":\"01900000-"
			    "0000-7000-8000-%012d\",\"fields\":{\"workspace_id\""
			    ":\"" WS "\",\"title\":\"task %d\",\"description\":"
			    "\"some words\",\"status\":\"todo\",\"created_at\":1,"
			    "\"updated_at\":1,\"deleted\":false},\"fhlc\":{"
			    "\"workspace_id\":\"" H(1) "\",\"title\":\"" H(1)
			    "\",\"description\":\"" H(1) "\",\"status\":\"" H(1)
			    "\",\"created_at\":\"" H(1) "\",\"updated_at\":\""
			    H(1) "\",\"deleted\":\"" H(1) "\"}}", j > i ? "," :
			    "", j, j);
		strbuf_addf(&sb, "],\"snapshot_seq\":9,\"token\":\"p%d\","
		    "\"done\":%s}", i, i + page >= total ? "true" : "false");
		answer(fx, 200, sb.buf);
	}
	answer(fx, 200, EMPTY_PULL);
	t0 = time_now_ms();
	assert_int_equal(sync_pull(fx->db, &tp, &st, &err), 0);
	t1 = time_now_ms();
	assert_int_equal(qi(fx, "SELECT count(*) FROM tasks WHERE num IS NOT "
	    "NULL"), total);
	/* A pull of field changes: 4 fields per change. */
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "{\"v\":1,\"scopes\":[{\"id\":\"" WS "\","
	    "\"changes\":[");
	for (j = 0; j < 1000 && j < total; j++)
		strbuf_addf(&sb, "%s{\"seq\":%d,\"e\":\"task\",\"eid\":\"01900000-"
		    "0000-7000-8000-%012d\",\"kind\":\"set\",\"fields\":{"
		    "\"title\":\"x\",\"description\":\"y\",\"status\":\"done\","
		    "\"updated_at\":2},\"fhlc\":{\"title\":\"" H(2) "\","
		    "\"description\":\"" H(2) "\",\"status\":\"" H(2) "\","
		    "\"updated_at\":\"" H(2) "\"}}", j ? "," : "", 10 + j, j);
	strbuf_addstr(&sb, "],\"next_cursor\":2000,\"head\":2000,"
	    "\"has_more\":false}]}");
	answer(fx, 200, sb.buf);
	t1 = time_now_ms();
	assert_int_equal(sync_pull(fx->db, &tp, &st, &err), 0);
	t2 = time_now_ms();
	fprintf(stderr, "snapshot: %d rows in %lld ms; pull: %d field "
	    "changes in %lld ms\n", total, (long long)(t1 - t0),
	    4 * (j), (long long)(t2 - t1));
	assert_int_equal(qi(fx, "SELECT count(*) FROM tasks WHERE status = "
	    "'done'"), j);
	strbuf_release(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_push_body_and_results,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_push_clock_ahead, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pull_lww, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pull_timer_prediction,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_resume_sweep,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_revocation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_adopt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_speed, setup, teardown),
	};

	tt_set_tz("UTC");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
