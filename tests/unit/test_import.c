/*
 * test_import.c - tock import: the four format parsers on small inline
 * samples (good records, and every kind of bad one: malformed JSON, wrong
 * types, bad dates, text too long, invalid UTF-8, cut-short input), and
 * the apply step on a scratch database (idempotence, bad records skipped
 * with nothing half-written, the outbox, dry runs).
 *
 * The group setup fixes TZ to a zone east of UTC so that the local due
 * dates of Taskwarrior are seen to be local.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db.h"
#include "err.h"
#include "import.h"
#include "json.h"
#include "model.h"
#include "strbuf.h"
#include "tocktest.h"
#include "xmalloc.h"

#define UUID1 "5c1f8b7e-3a2d-4c6b-9e8f-0a1b2c3d4e5f"
#define UUID2 "6d2f8b7e-3a2d-4c6b-9e8f-0a1b2c3d4e5f"

/* 2024-01-10T09:00:00Z and 10:30 */
#define T0 1704877200000LL
#define T1 1704882600000LL

static struct import_set *
parse_ok(enum import_format f, const char *text,
    const struct import_opts *o)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct import_set *set = NULL;

	if (import_parse(&set, f, text, strlen(text), o, &err) != 0)
		fail_msg("parse failed: %s", err.msg);
	return set;
}

static int
parse_err(enum import_format f, const char *text, char *msg, size_t n)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct import_set *set = NULL;
	int rc;

	rc = import_parse(&set, f, text, strlen(text), NULL, &err);
	assert_null(set);
	snprintf(msg, n, "%s", err.msg);
	return rc;
}

static const struct import_item *
item(const struct import_set *set, size_t rec, size_t i)
{
	assert_true(rec < set->nrecs);
	assert_true(i < set->recs[rec].n);
	return &set->items[set->recs[rec].first + i];
}

static void
assert_contains(const char *s, const char *part)
{
	if (s == NULL || strstr(s, part) == NULL)
		fail_msg("'%s' does not contain '%s'", s ? s : "(null)", part);
}

static void
assert_bad(const struct import_set *set, size_t rec, const char *part)
{
	assert_true(rec < set->nrecs);
	assert_non_null(set->recs[rec].error);
	assert_contains(set->recs[rec].error, part);
	assert_int_equal(set->recs[rec].n, 0);
}

static void
assert_good(const struct import_set *set, size_t rec)
{
	assert_true(rec < set->nrecs);
	if (set->recs[rec].error != NULL)
		fail_msg("record %zu: %s", rec, set->recs[rec].error);
}

/* ----- formats and framing ----- */

static void
test_import_format_names(void **state)
{
	enum import_format f;
	struct tock_err err = TOCK_ERR_INIT;

	(void)state;
	assert_int_equal(import_format_parse(&f, "timewarrior", NULL), 0);
	assert_int_equal(f, IMPORT_TIMEWARRIOR);
	assert_int_equal(import_format_parse(&f, "tock", NULL), 0);
	assert_int_equal(f, IMPORT_TOCK);
	assert_int_equal(import_format_parse(&f, "toggl", &err), TOCK_EINVAL);
	assert_contains(err.msg, "unknown import format 'toggl'");
	assert_string_equal(import_format_name(IMPORT_WATSON), "watson");
}

static void
test_import_rejects_what_is_not_an_export(void **state)
{
	char msg[256];

	(void)state;
	assert_int_equal(parse_err(IMPORT_TIMEWARRIOR, "\"hello\"", msg,
	    sizeof msg), TOCK_EINVAL);
	assert_contains(msg, "expected a JSON array");
	assert_int_equal(parse_err(IMPORT_WATSON, "{\"a\":1}", msg,
	    sizeof msg), TOCK_EINVAL);
	/* Cut short: the structure cannot be followed to its end. */
	assert_int_equal(parse_err(IMPORT_TIMEWARRIOR,
	    "[\n{\"start\":\"20240110T090000Z\"},\n{\"start\":\"2024", msg,
	    sizeof msg), TOCK_EINVAL);
	assert_contains(msg, "record 2 (line 3)");
	assert_int_equal(parse_err(IMPORT_TIMEWARRIOR,
	    "[{\"start\":\"20240110T090000Z\"}", msg, sizeof msg), TOCK_EINVAL);
	assert_contains(msg, "not closed");
	assert_int_equal(parse_err(IMPORT_TIMEWARRIOR,
	    "[{\"start\":\"20240110T090000Z\"} {\"a\":2}]", msg, sizeof msg),
	    TOCK_EINVAL);
	assert_contains(msg, "expected ',' or ']'");
	assert_int_equal(parse_err(IMPORT_TIMEWARRIOR, "[] junk", msg,
	    sizeof msg), TOCK_EINVAL);
	assert_contains(msg, "unexpected text after");
	assert_int_equal(parse_err(IMPORT_TOCK, "", msg, sizeof msg),
	    TOCK_EINVAL);
	assert_int_equal(parse_err(IMPORT_TOCK, "[1,2]", msg, sizeof msg),
	    TOCK_EINVAL);
	assert_contains(msg, "not a tock export");
}

static void
test_import_too_big(void **state)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct import_set *set = NULL;

	(void)state;
	/* The length is checked before a byte is read. */
	assert_int_equal(import_parse(&set, IMPORT_WATSON, "[]",
	    IMPORT_MAX_INPUT + 1, NULL, &err), TOCK_ETOOBIG);
	assert_null(set);
	assert_contains(err.msg, "too big");
}

static void
test_import_empty_inputs(void **state)
{
	struct import_set *set;

	(void)state;
	set = parse_ok(IMPORT_TIMEWARRIOR, "[\n]\n", NULL);
	assert_int_equal(set->nrecs, 0);
	import_set_free(set);
	set = parse_ok(IMPORT_TASKWARRIOR, "", NULL);
	assert_int_equal(set->nrecs, 0);
	import_set_free(set);
	set = parse_ok(IMPORT_WATSON, "  \n", NULL);
	assert_int_equal(set->nrecs, 0);
	import_set_free(set);
	/* A byte order mark, and a forgiven trailing comma. */
	set = parse_ok(IMPORT_TIMEWARRIOR,
	    "\xef\xbb\xbf[{\"start\":\"20240110T090000Z\"},]", NULL);
	assert_int_equal(set->nrecs, 1);
	assert_good(set, 0);
	import_set_free(set);
}

/* ----- Timewarrior ----- */

static void
test_import_timew_interval(void **state)
{
	struct import_set *set;
	const struct import_item *it;

	(void)state;
	set = parse_ok(IMPORT_TIMEWARRIOR,
	    "[\n{\"id\":2,\"start\":\"20240110T090000Z\","
	    "\"end\":\"20240110T103000Z\",\"tags\":[\"projA\",\"tag two\","
	    "\"+x,y\"],\"annotation\":\"a \\\"note\\\", here\"},\n"
	    "{\"id\":1,\"start\":\"20240111T080000Z\"}\n]\n", NULL);
	assert_int_equal(set->nrecs, 2);
	assert_good(set, 0);
	assert_int_equal(set->recs[0].line, 2);
	assert_int_equal(set->recs[1].line, 3);
	assert_string_equal(set->recs[1].where, "record 2");
	it = item(set, 0, 0);
	assert_int_equal(it->kind, IMPORT_ENTRY);
	assert_string_equal(it->source_id, "20240110T090000Z");
	assert_int_equal(it->u.entry.start_time, T0);
	assert_int_equal(it->u.entry.end_time, T1);
	assert_string_equal(it->u.entry.task_title, "projA");
	assert_string_equal(it->u.entry.notes, "a \"note\", here");
	/* The other tags, made into tock tags. */
	assert_non_null(it->tags);
	assert_string_equal(it->tags[0], "tag-two");
	assert_string_equal(it->tags[1], "x-y");
	assert_null(it->tags[2]);
	/* Open: running, no tags means no task. */
	it = item(set, 1, 0);
	assert_int_equal(it->u.entry.end_time, -1);
	assert_null(it->u.entry.task_title);
	assert_string_equal(it->u.entry.notes, "");
	import_set_free(set);
}

static void
test_import_timew_map(void **state)
{
	static const struct import_rule rules[] = {
		{ "b", "Task B" }, { "zzz", "Never" },
	};
	struct import_opts o;
	struct import_set *set;
	const struct import_item *it;

	(void)state;
	memset(&o, 0, sizeof o);
	o.map = rules;
	o.nmap = 2;
	set = parse_ok(IMPORT_TIMEWARRIOR,
	    "[{\"start\":\"20240110T090000Z\",\"end\":\"20240110T100000Z\","
	    "\"tags\":[\"a\",\"b\",\"c\"]},"
	    "{\"start\":\"20240110T110000Z\",\"end\":\"20240110T120000Z\","
	    "\"tags\":[\"c\"]}]", &o);
	it = item(set, 0, 0);
	assert_string_equal(it->u.entry.task_title, "Task B");
	assert_string_equal(it->tags[0], "a");
	assert_string_equal(it->tags[1], "c");
	assert_null(it->tags[2]);
	it = item(set, 1, 0);
	assert_string_equal(it->u.entry.task_title, "c");
	assert_null(it->tags);
	import_set_free(set);
}

static void
test_import_timew_bad_records(void **state)
{
	struct import_set *set;
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	(void)state;
	strbuf_addstr(&sb, "[\n");
	/* January 32nd */
	strbuf_addstr(&sb, "{\"start\":\"20240132T090000Z\"},\n");
	strbuf_addstr(&sb, "{\"start\":\"2024-01-10 09:00\"},\n");
	strbuf_addstr(&sb, "{\"start\":\"20240110T100000Z\","
	    "\"end\":\"20240110T090000Z\"},\n");
	strbuf_addstr(&sb, "{\"start\":20240110},\n");
	strbuf_addstr(&sb, "{\"end\":\"20240110T090000Z\"},\n");
	strbuf_addstr(&sb, "{\"start\":\"20240110T090000Z\","
	    "\"tags\":\"work\"},\n");
	strbuf_addstr(&sb, "{\"start\":\"20240110T090000Z\","
	    "\"tags\":[1]},\n");
	strbuf_addstr(&sb, "{\"start\":\"20240110T090000Z\","
	    "\"tags\":[\"\xff\xfe\"]},\n");
	strbuf_addstr(&sb, "{\"start\":\"20240110T090000Z\", oops},\n");
	strbuf_addstr(&sb, "[1,2],\n");
	strbuf_addstr(&sb, "{\"start\":\"20240110T090000Z\",\"tags\":[\"");
	for (i = 0; i < 300; i++)
		strbuf_addch(&sb, 'x');
	strbuf_addstr(&sb, "\"]},\n");
	strbuf_addstr(&sb, "{\"start\":\"20240110T090000Z\","
	    "\"annotation\":17},\n");
	strbuf_addstr(&sb, "{\"start\":\"20240110T120000Z\","
	    "\"end\":\"20240110T130000Z\",\"tags\":[\"ok\"]}\n]\n");
	set = parse_ok(IMPORT_TIMEWARRIOR, sb.buf, NULL);
	assert_int_equal(set->nrecs, 13);
	assert_bad(set, 0, "field 'start' is not a time");
	assert_bad(set, 1, "field 'start' is not a time");
	assert_bad(set, 2, "ends before it starts");
	assert_bad(set, 3, "field 'start' must be a string");
	assert_bad(set, 4, "missing field 'start'");
	assert_bad(set, 5, "field 'tags' must be an array");
	assert_bad(set, 6, "field 'tags' must be an array");
	assert_bad(set, 7, "not valid UTF-8");
	assert_bad(set, 8, "malformed JSON");
	assert_bad(set, 9, "must be a JSON object");
	assert_bad(set, 10, "cannot be a task title");
	assert_bad(set, 11, "field 'annotation' must be a string");
	assert_good(set, 12);
	assert_int_equal(set->recs[8].line, 10);
	assert_int_equal(set->recs[12].line, 14);
	assert_string_equal(item(set, 12, 0)->u.entry.task_title, "ok");
	import_set_free(set);
	strbuf_release(&sb);
}

static void
test_import_json_lines(void **state)
{
	struct import_set *set;

	(void)state;
	set = parse_ok(IMPORT_TIMEWARRIOR,
	    "{\"start\":\"20240110T090000Z\",\"end\":\"20240110T100000Z\"}\n"
	    "\n"
	    "{\"start\":\"bad\"}\n"
	    "  {\"start\":\"2024-01-10T11:00:00Z\"}  \n", NULL);
	assert_int_equal(set->nrecs, 3);
	assert_good(set, 0);
	assert_bad(set, 1, "is not a time");
	assert_int_equal(set->recs[1].line, 3);
	assert_good(set, 2);
	assert_int_equal(set->recs[2].line, 4);
	assert_int_equal(item(set, 2, 0)->u.entry.start_time,
	    T0 + 2 * 3600000LL);
	import_set_free(set);
}

/* ----- Taskwarrior ----- */

static void
test_import_taskwarrior_task(void **state)
{
	struct import_set *set;
	const struct import_item *it;

	(void)state;
	set = parse_ok(IMPORT_TASKWARRIOR,
	    "[\n{\"id\":1,\"description\":\"Buy milk\","
	    "\"due\":\"20240201T230000Z\",\"entry\":\"20240110T090000Z\","
	    "\"modified\":\"20240110T103000Z\",\"priority\":\"H\","
	    "\"project\":\"home.errands\",\"status\":\"pending\","
	    "\"uuid\":\"" UUID1 "\",\"annotations\":[{\"entry\":"
	    "\"20240110T100000Z\",\"description\":\"check, the fridge\"}],"
	    "\"tags\":[\"shop\",\"urgent\"],\"urgency\":20.7}\n]", NULL);
	assert_int_equal(set->nrecs, 1);
	assert_good(set, 0);
	assert_int_equal(set->recs[0].n, 2);
	it = item(set, 0, 0);
	assert_int_equal(it->kind, IMPORT_TASK);
	assert_string_equal(it->source_id, UUID1);
	assert_string_equal(it->u.task.id, UUID1);
	assert_string_equal(it->u.task.title, "Buy milk");
	assert_int_equal(it->u.task.status, TASK_TODO);
	assert_false(it->u.task.deleted);
	assert_int_equal(it->u.task.created_at, T0);
	assert_int_equal(it->u.task.updated_at, T1);
	/* 23:00 UTC is the next day in the test's zone (UTC+2). */
	assert_string_equal(it->u.task.due_date, "2024-02-02");
	assert_string_equal(it->u.task.metadata, "{\"priority\":\"H\","
	    "\"tags\":[\"shop\",\"urgent\",\"home.errands\"]}");
	it = item(set, 0, 1);
	assert_int_equal(it->kind, IMPORT_COMMENT);
	assert_string_equal(it->u.comment.task_id, UUID1);
	assert_string_equal(it->u.comment.body, "check, the fridge");
	assert_int_equal(it->u.comment.created_at, T0 + 3600000LL);
	assert_true(strncmp(it->source_id,
	    UUID1 "/annotation/20240110T100000Z/", strlen(UUID1) + 28) == 0);
	import_set_free(set);
}

static void
test_import_taskwarrior_statuses(void **state)
{
	struct import_set *set;
	const struct import_item *it;

	(void)state;
	set = parse_ok(IMPORT_TASKWARRIOR,
	    /* 1: active -> in_progress and a running entry */
	    "[{\"description\":\"A\",\"status\":\"pending\",\"uuid\":\""
	    "6F8B3AF1-A719-439E-BEF1-4A8718AC5E2C\","
	    "\"start\":\"20240110T090000Z\"},"
	    /* 2: completed with journal.time annotations */
	    "{\"description\":\"B\",\"status\":\"completed\",\"uuid\":\""
	    UUID1 "\",\"end\":\"20240111T000000Z\",\"annotations\":["
	    "{\"entry\":\"20240110T090000Z\",\"description\":\"Started task\"},"
	    "{\"entry\":\"20240110T103000Z\",\"description\":\"Stopped task\"},"
	    "{\"entry\":\"20240110T110000Z\",\"description\":\"   \"}]},"
	    /* 3: deleted */
	    "{\"description\":\"C\",\"status\":\"deleted\",\"uuid\":\""
	    UUID2 "\"},"
	    /* 4: a recurring template */
	    "{\"description\":\"R\",\"status\":\"recurring\",\"uuid\":\""
	    UUID2 "\",\"recur\":\"weekly\"},"
	    /* 5: waiting */
	    "{\"description\":\"W\",\"status\":\"waiting\",\"uuid\":\""
	    UUID2 "\"}]", NULL);
	assert_int_equal(set->nrecs, 5);
	it = item(set, 0, 0);
	assert_string_equal(it->u.task.id,
	    "6f8b3af1-a719-439e-bef1-4a8718ac5e2c");
	assert_int_equal(it->u.task.status, TASK_IN_PROGRESS);
	it = item(set, 0, 1);
	assert_int_equal(it->kind, IMPORT_ENTRY);
	assert_int_equal(it->u.entry.end_time, -1);
	assert_int_equal(it->u.entry.start_time, T0);
	assert_true(it->soft);
	it = item(set, 1, 0);
	assert_int_equal(it->u.task.status, TASK_DONE);
	/* The blank annotation is dropped. */
	assert_int_equal(set->recs[1].n, 2);
	it = item(set, 1, 1);
	assert_int_equal(it->kind, IMPORT_ENTRY);
	assert_int_equal(it->u.entry.start_time, T0);
	assert_int_equal(it->u.entry.end_time, T1);
	assert_false(it->soft);
	assert_string_equal(it->source_id, UUID1 "/interval/20240110T090000Z");
	it = item(set, 2, 0);
	assert_true(it->u.task.deleted);
	assert_true(set->recs[3].ignored);
	assert_int_equal(set->recs[3].n, 0);
	assert_int_equal(item(set, 4, 0)->u.task.status, TASK_TODO);
	import_set_free(set);
}

static void
test_import_taskwarrior_bad_records(void **state)
{
	struct import_set *set;
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	(void)state;
	strbuf_addstr(&sb, "[{\"description\":\"x\",\"status\":\"pending\","
	    "\"uuid\":\"not-a-uuid\"},\n");
	strbuf_addstr(&sb, "{\"description\":\"");
	for (i = 0; i < 201; i++)
		strbuf_addch(&sb, 'd');
	strbuf_addstr(&sb, "\",\"status\":\"pending\",\"uuid\":\"" UUID1
	    "\"},\n");
	strbuf_addstr(&sb, "{\"description\":\"x\",\"status\":\"sleeping\","
	    "\"uuid\":\"" UUID1 "\"},\n");
	strbuf_addstr(&sb, "{\"description\":\"x\",\"status\":\"pending\","
	    "\"uuid\":\"" UUID1 "\",\"due\":\"tomorrow\"},\n");
	strbuf_addstr(&sb, "{\"description\":\"x\",\"status\":\"pending\","
	    "\"uuid\":\"" UUID1 "\",\"annotations\":[{\"entry\":"
	    "\"20240110T090000Z\"}]},\n");
	strbuf_addstr(&sb, "{\"description\":\"x\",\"status\":\"pending\","
	    "\"uuid\":\"" UUID1 "\",\"tags\":{\"a\":1}},\n");
	strbuf_addstr(&sb, "{\"description\":\"\",\"status\":\"pending\","
	    "\"uuid\":\"" UUID1 "\"},\n");
	strbuf_addstr(&sb, "{\"description\":\"x\",\"status\":\"pending\"},\n");
	strbuf_addstr(&sb, "{\"description\":\"ok\",\"status\":\"pending\","
	    "\"uuid\":\"" UUID1 "\"}]");
	set = parse_ok(IMPORT_TASKWARRIOR, sb.buf, NULL);
	assert_int_equal(set->nrecs, 9);
	assert_bad(set, 0, "field 'uuid' must be a UUID");
	assert_bad(set, 1, "description: title is too long (201 characters");
	assert_bad(set, 2, "field 'status' must be");
	assert_bad(set, 3, "field 'due' is not a time");
	assert_bad(set, 4, "annotation 1: missing field 'description'");
	assert_bad(set, 5, "field 'tags' must be an array");
	assert_bad(set, 6, "title is empty");
	assert_bad(set, 7, "missing field 'uuid'");
	assert_good(set, 8);
	import_set_free(set);
	strbuf_release(&sb);
}

/* ----- Watson ----- */

static void
test_import_watson_frames(void **state)
{
	struct import_set *set;
	const struct import_item *it;

	(void)state;
	set = parse_ok(IMPORT_WATSON,
	    "[\n [1704877200, 1704882600, \"tock\", "
	    "\"a1b2c3d4e5f60718293a4b5c6d7e8f90\", [\"code\", \"review\"], "
	    "1704882600],\n"
	    " [1704882600.5, 1704886200, \"docs\", \"f00\"],\n"
	    " [1704886200, 1704880000, \"tock\", \"f01\", [], 0],\n"
	    " [1704877200, 1704882600, 17, \"f02\", [], 0],\n"
	    " [1704877200, 1704882600, \"tock\", 3, [], 0],\n"
	    " [1704877200, 1704882600, \"tock\"],\n"
	    " [-5, 1704882600, \"tock\", \"f03\", [], 0],\n"
	    " [1704877200, 1704882600, \"tock\", \"f04\", \"code\", 0],\n"
	    " {\"start\": 1}\n]\n", NULL);
	assert_int_equal(set->nrecs, 9);
	assert_good(set, 0);
	it = item(set, 0, 0);
	assert_string_equal(it->source_id, "a1b2c3d4e5f60718293a4b5c6d7e8f90");
	assert_int_equal(it->u.entry.start_time, T0);
	assert_int_equal(it->u.entry.end_time, T1);
	assert_string_equal(it->u.entry.task_title, "tock");
	assert_string_equal(it->tags[0], "code");
	assert_string_equal(it->tags[1], "review");
	assert_good(set, 1);
	assert_int_equal(item(set, 1, 0)->u.entry.start_time, T1 + 500);
	assert_null(item(set, 1, 0)->tags);
	assert_bad(set, 2, "stops before it starts");
	assert_bad(set, 3, "project must be a string");
	assert_bad(set, 4, "frame id must be a string");
	assert_bad(set, 5, "a frame must be an array");
	assert_bad(set, 6, "start is out of range");
	assert_bad(set, 7, "field 'tags' must be an array");
	assert_bad(set, 8, "a frame must be an array");
	import_set_free(set);
}

/* ----- tock ----- */

#define TOCK_HEAD "{\"format\":\"tock-export\",\"version\":1," \
	"\"exported_at\":\"2026-11-25T09:30:00.000Z\",\"since\":null," \
	"\"until\":null,\"user_id\":\"" UUID2 "\",\"workspace_id\":null,\n"

static void
test_import_tock_shape(void **state)
{
	struct import_set *set;
	const struct import_item *it;

	(void)state;
	/* Comments first in the file: tasks are still read first. */
	set = parse_ok(IMPORT_TOCK, TOCK_HEAD
	    "\"comments\":[\n"
	    "{\"id\":\"" UUID2 "\",\"task_id\":\"" UUID1 "\","
	    "\"author_id\":null,"
	    "\"author\":\"Ann\",\"body\":\"hi\","
	    "\"created_at\":\"2024-01-10T09:00:00.000Z\"}\n],\n"
	    "\"tasks\":[\n"
	    "{\"id\":\"" UUID1 "\",\"num\":3,\"title\":\"T\",\"status\":"
	    "\"in_progress\",\"metadata\":{\"tags\":[\"a\"],\"k\":{\"x\":1}},"
	    "\"running\":true,\"assignee\":\"Bob\"},\n"
	    "{\"id\":\"bad\",\"title\":\"T\"},\n"
	    "{\"id\":\"" UUID2 "\",\"title\":\"T\","
	    "\"metadata\":{\"bad key\":1}}\n"
	    "],\"future_key\":[1,2,{\"x\":[]}],\n"
	    "\"time_entries\":[],\"users\":[{\"id\":\"" UUID2 "\","
	    "\"name\":\"Me\",\"email\":null}]}\n", NULL);
	assert_string_equal(set->user_id, UUID2);
	assert_string_equal(set->workspace_id, "");
	assert_int_equal(set->nrecs, 5);
	/* users, then tasks, then comments */
	assert_string_equal(set->recs[0].where, "users[0]");
	assert_int_equal(item(set, 0, 0)->kind, IMPORT_USER);
	assert_string_equal(item(set, 0, 0)->u.user.name, "Me");
	assert_string_equal(set->recs[1].where, "tasks[0]");
	it = item(set, 1, 0);
	assert_string_equal(it->u.task.title, "T");
	assert_int_equal(it->u.task.num, 3);
	assert_int_equal(it->u.task.status, TASK_IN_PROGRESS);
	assert_false(it->u.task.running);
	assert_null(it->u.task.assignee_name);
	assert_string_equal(it->u.task.metadata,
	    "{\"tags\":[\"a\"],\"k\":{\"x\":1}}");
	assert_bad(set, 2, "field 'id' must be a UUID");
	assert_int_equal(set->recs[2].line, 7);
	assert_bad(set, 3, "metadata key 'bad key'");
	assert_string_equal(set->recs[4].where, "comments[0]");
	it = item(set, 4, 0);
	assert_string_equal(it->u.comment.body, "hi");
	assert_null(it->u.comment.author_name);
	import_set_free(set);
}

static void
test_import_tock_refusals(void **state)
{
	char msg[256];

	(void)state;
	assert_int_equal(parse_err(IMPORT_TOCK, "{\"tasks\":[]}", msg,
	    sizeof msg), TOCK_EINVAL);
	assert_contains(msg, "no \"format\"");
	assert_int_equal(parse_err(IMPORT_TOCK, "{\"format\":\"timew\"}", msg,
	    sizeof msg), TOCK_EINVAL);
	assert_int_equal(parse_err(IMPORT_TOCK,
	    "{\"format\":\"tock-export\",\"version\":2}", msg, sizeof msg),
	    TOCK_EINVAL);
	assert_contains(msg, "version 2");
	assert_int_equal(parse_err(IMPORT_TOCK,
	    "{\"format\":\"tock-export\",\"tasks\":{}}", msg, sizeof msg),
	    TOCK_EINVAL);
	assert_contains(msg, "must be an array");
	assert_int_equal(parse_err(IMPORT_TOCK,
	    "{\"format\":\"tock-export\",\"tasks\":[{\"id\":1}", msg,
	    sizeof msg), TOCK_EINVAL);
	assert_int_equal(parse_err(IMPORT_TOCK,
	    "{\"format\":\"tock-export\" \"x\":1}", msg, sizeof msg),
	    TOCK_EINVAL);
	assert_int_equal(parse_err(IMPORT_TOCK,
	    "{\"format\":\"tock-export\",\"user_id\":\"me\"}", msg,
	    sizeof msg), TOCK_EINVAL);
}

/* Hostile bytes never crash: every prefix of a valid input, and random
 * junk, either parse or fail cleanly. */
static void
test_import_hostile_prefixes(void **state)
{
	static const char *const inputs[] = {
		"[{\"start\":\"20240110T090000Z\",\"tags\":[\"a\\\"]\"],"
		"\"annotation\":\"x\\u00e9\"},[\"\\\\\"]]",
		"[[1704877200,1704882600,\"p\",\"id\",[\"t\"],1]]",
		TOCK_HEAD "\"tasks\":[{\"id\":\"" UUID1 "\",\"title\":\"T\"}]}",
	};
	static const enum import_format fmts[] = { IMPORT_TIMEWARRIOR,
	    IMPORT_WATSON, IMPORT_TOCK };
	struct tock_err err;
	struct import_set *set;
	char junk[512];
	size_t i, n, len;
	unsigned seed = 7;

	(void)state;
	for (i = 0; i < 3; i++) {
		len = strlen(inputs[i]);
		for (n = 0; n <= len; n++) {
			char *p = xstrndup(inputs[i], n);

			set = NULL;
			err.msg[0] = '\0';
			if (import_parse(&set, fmts[i], p, n, NULL, &err) == 0)
				import_set_free(set);
			else
				assert_true(err.msg[0] != '\0');
			free(p);
		}
	}
	for (i = 0; i < 2000; i++) {
		for (n = 0; n < sizeof junk; n++) {
			seed = seed * 1103515245 + 12345;
			junk[n] = "[]{}\",:\\ 0aZ\xff\n"[(seed >> 16) % 15];
		}
		set = NULL;
		if (import_parse(&set, (enum import_format)(i % 4), junk,
		    sizeof junk, NULL, &err) == 0)
			import_set_free(set);
	}
}

/* ----- applying ----- */

struct fixture {
	char *dir;
	struct db *db;
};

struct seen {
	int n;
	size_t index[16];
	int line[16];
	char msg[16][256];
};

static void
on_bad(size_t index, int line, const char *where, const char *msg,
    void *arg)
{
	struct seen *s = arg;

	(void)where;
	if (s->n < 16) {
		s->index[s->n] = index;
		s->line[s->n] = line;
		snprintf(s->msg[s->n], sizeof s->msg[0], "%s", msg);
	}
	s->n++;
}

static int
setup(void **state)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct fixture *fx = xcalloc(1, sizeof *fx);
	char *path;

	fx->dir = tt_tmpdir();
	path = xasprintf("%s/tock.db", fx->dir);
	if (db_open(&fx->db, path, 0, &err) != 0)
		fail_msg("db_open: %s", err.msg);
	free(path);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	db_close(fx->db);
	tt_rmtree(fx->dir);
	free(fx);
	return 0;
}

static void
run_import(struct db *db, enum import_format f, const char *text,
    struct import_opts *o, struct import_stats *st)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct import_set *set = parse_ok(f, text, o);

	if (import_apply(db, set, o, st, &err) != 0)
		fail_msg("apply: %s", err.msg);
	import_set_free(set);
}

static int
count_task(const struct task *t, void *arg)
{
	(void)t;
	(*(int *)arg)++;
	return 0;
}

static int
count_entry(const struct entry *e, int at, void *arg)
{
	(void)e;
	(void)at;
	(*(int *)arg)++;
	return 0;
}

static int
tasks_open(struct db *db)
{
	struct task_filter f = { 0 };
	int n = 0;

	assert_int_equal(db_task_list(db, &f, count_task, &n, NULL), 0);
	return n;
}

static int
entries(struct db *db)
{
	struct entry_filter f = { INT64_MIN, INT64_MAX, NULL };
	int n = 0;

	assert_int_equal(db_entry_list(db, &f, count_entry, &n, NULL), 0);
	return n;
}

static int64_t
outbox(struct db *db)
{
	int64_t n = -1;

	assert_int_equal(db_outbox_count(db, &n, NULL), 0);
	return n;
}

#define TIMEW \
	"[\n{\"start\":\"20240110T090000Z\",\"end\":\"20240110T103000Z\"," \
	"\"tags\":[\"Write report\",\"work\"],\"annotation\":\"draft\"},\n" \
	"{\"start\":\"20240111T090000Z\",\"end\":\"20240111T100000Z\"," \
	"\"tags\":[\"Write report\",\"q4\"]},\n" \
	"{\"start\":\"bad\"},\n" \
	"{\"start\":\"20240112T090000Z\",\"end\":\"20240112T100000Z\"}\n]\n"

static void
test_import_apply_timew_idempotent(void **state)
{
	struct fixture *fx = *state;
	struct import_stats st;
	struct import_opts o;
	struct seen seen = { 0 };
	struct task *t = NULL;
	char id[UUID_STRLEN + 1];
	char **tags;
	int64_t ob;

	memset(&o, 0, sizeof o);
	o.bad = on_bad;
	o.arg = &seen;
	ob = outbox(fx->db);
	run_import(fx->db, IMPORT_TIMEWARRIOR, TIMEW, &o, &st);
	assert_int_equal(st.records, 4);
	assert_int_equal(st.tasks, 1);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.bad, 1);
	assert_int_equal(st.already, 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.index[0], 3);
	assert_int_equal(seen.line[0], 4);
	assert_contains(seen.msg[0], "is not a time");
	assert_int_equal(tasks_open(fx->db), 1);
	assert_int_equal(entries(fx->db), 3);
	/* Every row went through the outbox: a task create, a set of its
	 * tags (q4 came later) and three entry creates. */
	assert_int_equal(outbox(fx->db) - ob, 5);
	assert_int_equal(db_task_resolve(fx->db, id, "1", NULL), 0);
	assert_int_equal(db_task_get(fx->db, &t, id, NULL), 0);
	assert_string_equal(t->title, "Write report");
	tags = json_meta_tags(t->metadata);
	assert_string_equal(tags[0], "work");
	assert_string_equal(tags[1], "q4");
	assert_null(tags[2]);
	json_strv_free(tags);
	task_free(t);

	/* Again: nothing new. */
	seen.n = 0;
	ob = outbox(fx->db);
	run_import(fx->db, IMPORT_TIMEWARRIOR, TIMEW, &o, &st);
	assert_int_equal(st.tasks + st.entries + st.comments, 0);
	assert_int_equal(st.already, 3);
	assert_int_equal(st.bad, 1);
	assert_int_equal(outbox(fx->db), ob);
	assert_int_equal(entries(fx->db), 3);
}

static void
test_import_apply_running_then_stopped(void **state)
{
	struct fixture *fx = *state;
	struct import_stats st;
	struct entry *e = NULL;

	run_import(fx->db, IMPORT_TIMEWARRIOR,
	    "[{\"start\":\"20240110T090000Z\",\"tags\":[\"A\"]}]", NULL, &st);
	assert_int_equal(st.entries, 1);
	assert_int_equal(db_entry_running(fx->db, &e, NULL), 0);
	assert_int_equal(e->start_time, T0);
	assert_false(e->manual);
	entry_free(e);
	/* A second open interval cannot run too: reported, not imported. */
	run_import(fx->db, IMPORT_TIMEWARRIOR,
	    "[{\"start\":\"20240110T120000Z\",\"tags\":[\"B\"]}]", NULL, &st);
	assert_int_equal(st.bad, 1);
	assert_int_equal(st.tasks, 0);	/* B's task went with it */
	assert_int_equal(tasks_open(fx->db), 1);
	/* The first one, closed since: its timer is stopped. */
	run_import(fx->db, IMPORT_TIMEWARRIOR,
	    "[{\"start\":\"20240110T090000Z\",\"end\":\"20240110T103000Z\","
	    "\"tags\":[\"A\"]}]", NULL, &st);
	assert_int_equal(st.already, 1);
	assert_int_equal(db_entry_running(fx->db, &e, NULL), TOCK_ENOTRUNNING);
	assert_int_equal(db_entry_last(fx->db, &e, NULL), 0);
	assert_int_equal(e->end_time, T1);
	entry_free(e);
}

#define TW_TASKS \
	"[{\"description\":\"Buy milk\",\"status\":\"pending\",\"uuid\":\"" \
	UUID1 "\",\"tags\":[\"shop\"],\"priority\":\"H\",\"annotations\":[" \
	"{\"entry\":\"20240110T090000Z\",\"description\":\"fridge\"}]}," \
	"{\"description\":\"Gone\",\"status\":\"deleted\",\"uuid\":\"" \
	UUID2 "\",\"entry\":\"20240110T090000Z\"}]"

static void
test_import_apply_taskwarrior(void **state)
{
	struct fixture *fx = *state;
	struct import_stats st;
	struct task *t = NULL;
	char *prio;

	run_import(fx->db, IMPORT_TASKWARRIOR, TW_TASKS, NULL, &st);
	assert_int_equal(st.tasks, 2);
	assert_int_equal(st.comments, 1);
	assert_int_equal(db_task_get(fx->db, &t, UUID1, NULL), 0);
	assert_string_equal(t->title, "Buy milk");
	assert_int_equal(t->num, 1);
	prio = json_meta_string(t->metadata, "priority");
	assert_string_equal(prio, "H");
	free(prio);
	task_free(t);
	assert_int_equal(db_task_get(fx->db, &t, UUID2, NULL), 0);
	assert_true(t->deleted);
	assert_int_equal(t->created_at, T0);
	task_free(t);
	/* Again, with a new annotation: only that one is new. */
	run_import(fx->db, IMPORT_TASKWARRIOR,
	    "[{\"description\":\"Buy milk\",\"status\":\"pending\",\"uuid\":\""
	    UUID1 "\",\"annotations\":[{\"entry\":\"20240110T090000Z\","
	    "\"description\":\"fridge\"},{\"entry\":\"20240110T100000Z\","
	    "\"description\":\"and bread\"}]}]", NULL, &st);
	assert_int_equal(st.tasks, 0);
	assert_int_equal(st.comments, 1);
	assert_int_equal(st.already, 0);
}

static void
test_import_apply_failure_leaves_nothing(void **state)
{
	struct fixture *fx = *state;
	struct import_stats st;
	struct seen seen = { 0 };
	struct import_opts o;
	int64_t ob = outbox(fx->db);

	memset(&o, 0, sizeof o);
	o.bad = on_bad;
	o.arg = &seen;
	/* The entry's task is nowhere: that record fails at apply time,
	 * after the batch had started; the others go in. */
	run_import(fx->db, IMPORT_TOCK, TOCK_HEAD
	    "\"tasks\":[{\"id\":\"" UUID1 "\",\"title\":\"T\"}],\n"
	    "\"time_entries\":[\n"
	    "{\"id\":\"01936d6e-8a00-7000-8000-000000000001\",\"task_id\":\""
	    UUID1 "\",\"start_time\":\"2024-01-10T09:00:00.000Z\","
	    "\"end_time\":\"2024-01-10T10:30:00.000Z\"},\n"
	    "{\"id\":\"01936d6e-8a00-7000-8000-000000000002\",\"task_id\":\""
	    UUID2 "\",\"start_time\":\"2024-01-10T11:00:00.000Z\","
	    "\"end_time\":\"2024-01-10T12:00:00.000Z\"},\n"
	    "{\"id\":\"01936d6e-8a00-7000-8000-000000000003\",\"task_id\":null,"
	    "\"user_id\":\"01936d6e-8a00-7000-8000-0000000000ff\","
	    "\"start_time\":\"2024-01-10T13:00:00.000Z\","
	    "\"end_time\":\"2024-01-10T14:00:00.000Z\"},\n"
	    "{\"id\":\"01936d6e-8a00-7000-8000-000000000004\",\"task_id\":null,"
	    "\"user_id\":\"" UUID2 "\","
	    "\"start_time\":\"2024-01-10T15:00:00.000Z\","
	    "\"end_time\":\"2024-01-10T16:00:00.000Z\"}]}", &o, &st);
	assert_int_equal(st.tasks, 1);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.bad, 2);
	assert_int_equal(seen.n, 2);
	assert_contains(seen.msg[0], "no task '" UUID2 "'");
	assert_int_equal(seen.line[0], 5);
	assert_contains(seen.msg[1], "another user's");
	assert_int_equal(entries(fx->db), 2);
	/* Task create + two entry creates, nothing from the failures. */
	assert_int_equal(outbox(fx->db) - ob, 3);
}

static void
test_import_apply_dry_run(void **state)
{
	struct fixture *fx = *state;
	struct import_stats st;
	struct import_opts o;
	int64_t ob = outbox(fx->db);

	memset(&o, 0, sizeof o);
	o.dry_run = true;
	o.batch = 1;	/* several batches in the one transaction */
	run_import(fx->db, IMPORT_TIMEWARRIOR, TIMEW, &o, &st);
	assert_int_equal(st.tasks, 1);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.bad, 1);
	assert_int_equal(outbox(fx->db), ob);
	assert_int_equal(entries(fx->db), 0);
	assert_int_equal(tasks_open(fx->db), 0);
}

static void
test_import_apply_watson_batches(void **state)
{
	struct fixture *fx = *state;
	struct strbuf sb = STRBUF_INIT;
	struct import_stats st;
	struct import_opts o;
	int i;

	memset(&o, 0, sizeof o);
	o.batch = 7;
	strbuf_addch(&sb, '[');
	for (i = 0; i < 50; i++)
		strbuf_addf(&sb, "%s[%d, %d, \"%s\", \"id%d\", [\"t%d\"], 0]",
		    i ? "," : "", 1704877200 + i * 3600,
		    1704877200 + i * 3600 + 1800, i % 2 ? "odd" : "even", i,
		    i % 3);
	strbuf_addch(&sb, ']');
	run_import(fx->db, IMPORT_WATSON, sb.buf, &o, &st);
	assert_int_equal(st.tasks, 2);
	assert_int_equal(st.entries, 50);
	assert_int_equal(entries(fx->db), 50);
	run_import(fx->db, IMPORT_WATSON, sb.buf, &o, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.already, 50);
	strbuf_release(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_import_format_names),
		cmocka_unit_test(test_import_rejects_what_is_not_an_export),
		cmocka_unit_test(test_import_too_big),
		cmocka_unit_test(test_import_empty_inputs),
		cmocka_unit_test(test_import_timew_interval),
		cmocka_unit_test(test_import_timew_map),
		cmocka_unit_test(test_import_timew_bad_records),
		cmocka_unit_test(test_import_json_lines),
		cmocka_unit_test(test_import_taskwarrior_task),
		cmocka_unit_test(test_import_taskwarrior_statuses),
		cmocka_unit_test(test_import_taskwarrior_bad_records),
		cmocka_unit_test(test_import_watson_frames),
		cmocka_unit_test(test_import_tock_shape),
		cmocka_unit_test(test_import_tock_refusals),
		cmocka_unit_test(test_import_hostile_prefixes),
		cmocka_unit_test_setup_teardown(
		    test_import_apply_timew_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_import_apply_running_then_stopped, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_import_apply_taskwarrior, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_import_apply_failure_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_import_apply_dry_run, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_import_apply_watson_batches, setup, teardown),
	};

	tt_set_tz("Europe/Helsinki");	/* UTC+2 in January */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
