/*
 * test_json.c - the JSON codecs: exact encoder output (the documented
 * --json shapes), round trips, every class of decoder error on hostile
 * input, the outbox op wire shape and the metadata helpers.
 *
 * Times are fixed Unix milliseconds, so outputs are byte-for-byte stable;
 * the group setup picks a non-UTC TZ to show that it does not matter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "json.h"
#include "model.h"
#include "strbuf.h"
#include "tocktest.h"
#include "xmalloc.h"

#define TASK_ID "01936d6e-8a00-7000-8000-000000000001"
#define ENTRY_ID "01936d6e-8a00-7000-8000-000000000002"
#define COMMENT_ID "01936d6e-8a00-7000-8000-000000000003"
#define OP_ID "01936d6e-8a00-7000-8000-000000000004"
#define WS_ID "01936d6e-8a00-7000-8000-0000000000aa"
#define USER_ID "01936d6e-8a00-7000-8000-0000000000bb"
#define HLC "00019367f3a80003-1122334455667788"

#define T0 1795599000000LL		/* 2026-11-25T09:30:00.000Z */
#define T0_ISO "2026-11-25T09:30:00.000Z"
#define T1 1795603530250LL		/* 2026-11-25T10:45:30.250Z */
#define T1_ISO "2026-11-25T10:45:30.250Z"

#define MIB (1024 * 1024)

static struct task *
make_task(void)
{
	struct task *t = xcalloc(1, sizeof *t);

	strcpy(t->id, TASK_ID);
	strcpy(t->workspace_id, WS_ID);
	t->num = 3;
	t->title = xstrdup("Write report");
	t->description = xstrdup("Q4 numbers");
	t->status = TASK_IN_PROGRESS;
	strcpy(t->assignee_id, USER_ID);
	strcpy(t->created_by, USER_ID);
	t->created_at = T0;
	t->updated_at = T1;
	strcpy(t->due_date, "2026-12-01");
	/* Spaced on purpose: the encoder must print it compactly. */
	t->metadata = xstrdup("{ \"tags\": [\"work\", \"q4\"],\n"
	    "  \"priority\": \"high\", \"branch\": \"main\" }");
	t->running = true;
	t->assignee_name = xstrdup("Ann");
	return t;
}

static struct entry *
make_entry(void)
{
	struct entry *e = xcalloc(1, sizeof *e);

	strcpy(e->id, ENTRY_ID);
	strcpy(e->workspace_id, WS_ID);
	strcpy(e->user_id, USER_ID);
	strcpy(e->task_id, TASK_ID);
	e->manual = false;
	e->start_time = T0;
	e->end_time = T1;
	strcpy(e->end_src, "stop");
	e->notes = xstrdup("drafting");
	e->task_title = xstrdup("Write report");
	e->task_num = 3;
	return e;
}

static struct comment *
make_comment(void)
{
	struct comment *c = xcalloc(1, sizeof *c);

	strcpy(c->id, COMMENT_ID);
	strcpy(c->workspace_id, WS_ID);
	strcpy(c->task_id, TASK_ID);
	strcpy(c->author_id, USER_ID);
	c->author_name = xstrdup("Ann");
	c->body = xstrdup("Looks good");
	c->created_at = T0;
	return c;
}

/* A copy of s without its NUL, so ASan sees any read past len. */
static char *
exact_copy(const char *s, size_t len)
{
	char *p = xmalloc(len ? len : 1);

	memcpy(p, s, len);
	return p;
}

/* ----- encoders ----- */

static void
test_json_task_encode_exact(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct task *t = make_task();

	json_task_encode(&sb, t);
	assert_string_equal(sb.buf,
	    "{\"id\":\"" TASK_ID "\",\"num\":3,\"title\":\"Write report\","
	    "\"description\":\"Q4 numbers\",\"status\":\"in_progress\","
	    "\"assignee_id\":\"" USER_ID "\",\"assignee\":\"Ann\","
	    "\"created_by\":\"" USER_ID "\",\"created_at\":\"" T0_ISO "\","
	    "\"updated_at\":\"" T1_ISO "\",\"due_date\":\"2026-12-01\","
	    "\"tags\":[\"work\",\"q4\"],\"priority\":\"high\","
	    "\"metadata\":{\"tags\":[\"work\",\"q4\"],\"priority\":\"high\","
	    "\"branch\":\"main\"},\"deleted\":false,\"running\":true,"
	    "\"workspace_id\":\"" WS_ID "\"}");
	assert_int_equal(sb.len, strlen(sb.buf));
	strbuf_release(&sb);
	task_free(t);
}

static void
test_json_task_encode_nulls(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct task *t = make_task();

	t->num = 0;
	t->assignee_id[0] = '\0';
	free(t->assignee_name);
	t->assignee_name = NULL;
	t->due_date[0] = '\0';
	t->status = TASK_DONE;
	t->deleted = true;
	t->running = false;
	free(t->metadata);
	t->metadata = xstrdup("{not json");
	json_task_encode(&sb, t);
	assert_string_equal(sb.buf,
	    "{\"id\":\"" TASK_ID "\",\"num\":null,\"title\":\"Write report\","
	    "\"description\":\"Q4 numbers\",\"status\":\"done\","
	    "\"assignee_id\":null,\"assignee\":null,"
	    "\"created_by\":\"" USER_ID "\",\"created_at\":\"" T0_ISO "\","
	    "\"updated_at\":\"" T1_ISO "\",\"due_date\":null,"
	    "\"tags\":[],\"priority\":null,\"metadata\":{},"
	    "\"deleted\":true,\"running\":false,"
	    "\"workspace_id\":\"" WS_ID "\"}");
	strbuf_release(&sb);
	task_free(t);
}

static void
test_json_task_encode_metadata_shapes(void **state)
{
	static const struct {
		const char *metadata;
		const char *want;	/* tags, priority, metadata */
	} cases[] = {
		{ "{\"tags\":[\"a\",1,null,\"b\",[\"c\"]],\"priority\":3}",
		    "\"tags\":[\"a\",\"b\"],\"priority\":null,\"metadata\":"
		    "{\"tags\":[\"a\",1,null,\"b\",[\"c\"]],\"priority\":3}" },
		{ "{\"tags\":\"a\"}",
		    "\"tags\":[],\"priority\":null,\"metadata\":"
		    "{\"tags\":\"a\"}" },
		{ "[1,2]", "\"tags\":[],\"priority\":null,\"metadata\":{}" },
		{ "", "\"tags\":[],\"priority\":null,\"metadata\":{}" },
		{ "{} {}", "\"tags\":[],\"priority\":null,\"metadata\":{}" },
		{ "{\"n\":1732525800000,\"f\":1.5,\"s\":\"\\u00e9\"}",
		    "\"tags\":[],\"priority\":null,\"metadata\":"
		    "{\"n\":1732525800000,\"f\":1.5,\"s\":\"\xc3\xa9\"}" },
	};
	struct strbuf sb = STRBUF_INIT;
	struct task *t = make_task();
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		free(t->metadata);
		t->metadata = xstrdup(cases[i].metadata);
		strbuf_reset(&sb);
		json_task_encode(&sb, t);
		assert_non_null(strstr(sb.buf, cases[i].want));
	}
	/* A NULL metadata pointer is treated as {}. */
	free(t->metadata);
	t->metadata = NULL;
	strbuf_reset(&sb);
	json_task_encode(&sb, t);
	assert_non_null(strstr(sb.buf, "\"metadata\":{}"));
	strbuf_release(&sb);
	task_free(t);
}

static void
test_json_entry_encode_exact(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct entry *e = make_entry();

	json_entry_encode(&sb, e, 2, T1 + 999999);
	assert_string_equal(sb.buf,
	    "{\"id\":\"" ENTRY_ID "\",\"at\":2,\"task_id\":\"" TASK_ID "\","
	    "\"task_num\":3,\"task_title\":\"Write report\","
	    "\"user_id\":\"" USER_ID "\",\"origin\":\"timer\","
	    "\"start_time\":\"" T0_ISO "\",\"end_time\":\"" T1_ISO "\","
	    "\"running\":false,\"duration_seconds\":4530,"
	    "\"duration_minutes\":75,\"notes\":\"drafting\","
	    "\"end_src\":\"stop\",\"workspace_id\":\"" WS_ID "\"}");
	strbuf_release(&sb);
	entry_free(e);
}

static void
test_json_entry_encode_without_task(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct entry *e = make_entry();

	e->task_id[0] = '\0';
	e->task_num = 0;
	free(e->task_title);
	e->task_title = NULL;
	e->manual = true;
	e->end_src[0] = '\0';
	json_entry_encode(&sb, e, 0, 0);
	assert_string_equal(sb.buf,
	    "{\"id\":\"" ENTRY_ID "\",\"task_id\":null,\"task_num\":null,"
	    "\"task_title\":null,\"user_id\":\"" USER_ID "\","
	    "\"origin\":\"manual\",\"start_time\":\"" T0_ISO "\","
	    "\"end_time\":\"" T1_ISO "\",\"running\":false,"
	    "\"duration_seconds\":4530,\"duration_minutes\":75,"
	    "\"notes\":\"drafting\",\"end_src\":null,"
	    "\"workspace_id\":\"" WS_ID "\"}");
	strbuf_release(&sb);
	entry_free(e);
}

static void
test_json_entry_encode_running(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct entry *e = make_entry();

	e->end_time = -1;
	e->end_src[0] = '\0';
	/* 1h 59m 59.999s after the start: seconds are floored. */
	json_entry_encode(&sb, e, 1, T0 + 7199999);
	assert_non_null(strstr(sb.buf, "\"end_time\":null,\"running\":true,"
	    "\"duration_seconds\":7199,\"duration_minutes\":119,"));
	assert_non_null(strstr(sb.buf, "\"end_src\":null"));

	/* Exactly on a minute. */
	strbuf_reset(&sb);
	json_entry_encode(&sb, e, 1, T0 + 7200000);
	assert_non_null(strstr(sb.buf, "\"duration_seconds\":7200,"
	    "\"duration_minutes\":120,"));

	/* A wall clock behind the start never gives a negative duration. */
	strbuf_reset(&sb);
	json_entry_encode(&sb, e, 1, T0 - 60000);
	assert_non_null(strstr(sb.buf, "\"duration_seconds\":0,"
	    "\"duration_minutes\":0,"));
	strbuf_release(&sb);
	entry_free(e);
}

static void
test_json_comment_encode_exact(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct comment *c = make_comment();

	json_comment_encode(&sb, c);
	assert_string_equal(sb.buf,
	    "{\"id\":\"" COMMENT_ID "\",\"task_id\":\"" TASK_ID "\","
	    "\"author_id\":\"" USER_ID "\",\"author\":\"Ann\","
	    "\"body\":\"Looks good\",\"created_at\":\"" T0_ISO "\"}");

	free(c->author_name);
	c->author_name = NULL;
	strbuf_reset(&sb);
	json_comment_encode(&sb, c);
	assert_non_null(strstr(sb.buf, "\"author\":null,"));
	strbuf_release(&sb);
	comment_free(c);
}

static void
test_json_encode_escapes_strings(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct comment *c = make_comment();

	free(c->body);
	/* quote, backslash, newline, CR, tab, two control characters, DEL,
	 * a slash and UTF-8 (2, 3 and 4 bytes) which passes through. */
	c->body = xstrdup("say \"hi\"\\\n\r\t\x01\x1f\x7f/ "
	    "\xc3\xa9 \xe6\xbc\xa2 \xf0\x9f\x98\x80");
	json_comment_encode(&sb, c);
	assert_non_null(strstr(sb.buf,
	    "\"body\":\"say \\\"hi\\\"\\\\\\n\\r\\t\\u0001\\u001f\x7f/ "
	    "\xc3\xa9 \xe6\xbc\xa2 \xf0\x9f\x98\x80\","));
	/* Whatever we write, a JSON parser accepts. */
	assert_int_equal(json_validate(sb.buf, sb.len, NULL), 0);
	strbuf_release(&sb);
	comment_free(c);
}

static void
test_json_encode_appends(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct comment *c = make_comment();

	strbuf_addstr(&sb, "[");
	json_comment_encode(&sb, c);
	strbuf_addstr(&sb, ",");
	json_comment_encode(&sb, c);
	strbuf_addstr(&sb, "]");
	assert_int_equal(strncmp(sb.buf, "[{\"id\":", 7), 0);
	assert_non_null(strstr(sb.buf, "\"},{\"id\":"));
	assert_int_equal(json_validate(sb.buf, sb.len, NULL), 0);
	strbuf_release(&sb);
	comment_free(c);
}

static void
test_json_encode_bounded_buffer_all_or_nothing(void **state)
{
	struct strbuf sb;
	struct comment *c = make_comment();

	/* Too small for the object: the buffer is left as it was. */
	strbuf_init(&sb, 20);
	strbuf_addstr(&sb, "x");
	json_comment_encode(&sb, c);
	assert_string_equal(sb.buf, "x");
	strbuf_release(&sb);
	comment_free(c);
}

/* ----- round trips ----- */

static void
test_json_task_round_trip(void **state)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct strbuf sb = STRBUF_INIT, sb2 = STRBUF_INIT;
	struct task *t = make_task(), *u = NULL;

	json_task_encode(&sb, t);
	assert_int_equal(json_task_decode(&u, sb.buf, sb.len, &err), 0);
	assert_non_null(u);
	assert_string_equal(u->id, t->id);
	assert_int_equal(u->num, 3);
	assert_string_equal(u->title, t->title);
	assert_string_equal(u->description, t->description);
	assert_int_equal(u->status, TASK_IN_PROGRESS);
	assert_string_equal(u->assignee_id, USER_ID);
	assert_string_equal(u->assignee_name, "Ann");
	assert_string_equal(u->created_by, USER_ID);
	assert_true(u->created_at == T0);
	assert_true(u->updated_at == T1);
	assert_string_equal(u->due_date, "2026-12-01");
	assert_string_equal(u->metadata, "{\"tags\":[\"work\",\"q4\"],"
	    "\"priority\":\"high\",\"branch\":\"main\"}");
	assert_false(u->deleted);
	assert_true(u->running);
	assert_string_equal(u->workspace_id, WS_ID);
	/* And encoding the decoded task gives the same text. */
	json_task_encode(&sb2, u);
	assert_string_equal(sb.buf, sb2.buf);
	strbuf_release(&sb);
	strbuf_release(&sb2);
	task_free(t);
	task_free(u);
}

static void
test_json_task_round_trip_nulls(void **state)
{
	struct strbuf sb = STRBUF_INIT, sb2 = STRBUF_INIT;
	struct task *t = make_task(), *u = NULL;

	t->num = 0;
	t->assignee_id[0] = '\0';
	free(t->assignee_name);
	t->assignee_name = NULL;
	t->due_date[0] = '\0';
	t->status = TASK_CANCELLED;
	t->deleted = true;
	json_task_encode(&sb, t);
	assert_int_equal(json_task_decode(&u, sb.buf, sb.len, NULL), 0);
	assert_int_equal(u->num, 0);
	assert_string_equal(u->assignee_id, "");
	assert_null(u->assignee_name);
	assert_string_equal(u->due_date, "");
	assert_int_equal(u->status, TASK_CANCELLED);
	assert_true(u->deleted);
	json_task_encode(&sb2, u);
	assert_string_equal(sb.buf, sb2.buf);
	strbuf_release(&sb);
	strbuf_release(&sb2);
	task_free(t);
	task_free(u);
}

static void
test_json_entry_round_trip(void **state)
{
	struct strbuf sb = STRBUF_INIT, sb2 = STRBUF_INIT;
	struct entry *e = make_entry(), *f = NULL;

	json_entry_encode(&sb, e, 4, 0);
	assert_int_equal(json_entry_decode(&f, sb.buf, sb.len, NULL), 0);
	assert_string_equal(f->id, ENTRY_ID);
	assert_string_equal(f->task_id, TASK_ID);
	assert_int_equal(f->task_num, 3);
	assert_string_equal(f->task_title, "Write report");
	assert_string_equal(f->user_id, USER_ID);
	assert_false(f->manual);
	assert_true(f->start_time == T0);
	assert_true(f->end_time == T1);
	assert_string_equal(f->end_src, "stop");
	assert_string_equal(f->notes, "drafting");
	assert_string_equal(f->workspace_id, WS_ID);
	json_entry_encode(&sb2, f, 4, 0);
	assert_string_equal(sb.buf, sb2.buf);
	strbuf_release(&sb);
	strbuf_release(&sb2);
	entry_free(e);
	entry_free(f);
}

static void
test_json_entry_round_trip_running(void **state)
{
	struct strbuf sb = STRBUF_INIT, sb2 = STRBUF_INIT;
	struct entry *e = make_entry(), *f = NULL;

	e->end_time = -1;
	e->end_src[0] = '\0';
	e->manual = true;
	e->task_id[0] = '\0';
	e->task_num = 0;
	free(e->task_title);
	e->task_title = NULL;
	json_entry_encode(&sb, e, 0, T1);
	assert_int_equal(json_entry_decode(&f, sb.buf, sb.len, NULL), 0);
	assert_true(f->end_time == -1);
	assert_string_equal(f->end_src, "");
	assert_true(f->manual);
	assert_string_equal(f->task_id, "");
	assert_null(f->task_title);
	json_entry_encode(&sb2, f, 0, T1);
	assert_string_equal(sb.buf, sb2.buf);
	strbuf_release(&sb);
	strbuf_release(&sb2);
	entry_free(e);
	entry_free(f);
}

static void
test_json_comment_round_trip(void **state)
{
	struct strbuf sb = STRBUF_INIT, sb2 = STRBUF_INIT;
	struct comment *c = make_comment(), *d = NULL;

	free(c->body);
	c->body = xstrdup("line 1\nline \"2\"\t\\ \x01 \xc3\xa9\xf0\x9f\x98\x80");
	json_comment_encode(&sb, c);
	assert_int_equal(json_comment_decode(&d, sb.buf, sb.len, NULL), 0);
	assert_string_equal(d->id, COMMENT_ID);
	assert_string_equal(d->task_id, TASK_ID);
	assert_string_equal(d->author_id, USER_ID);
	assert_string_equal(d->author_name, "Ann");
	assert_string_equal(d->body, c->body);
	assert_true(d->created_at == T0);
	json_comment_encode(&sb2, d);
	assert_string_equal(sb.buf, sb2.buf);
	strbuf_release(&sb);
	strbuf_release(&sb2);
	comment_free(c);
	comment_free(d);
}

static void
test_json_decode_minimal_defaults(void **state)
{
	const char *tj = "{\"id\":\"" TASK_ID "\",\"title\":\"x\"}";
	const char *ej = "{\"id\":\"" ENTRY_ID "\","
	    "\"start_time\":\"2026-11-25T09:30:00Z\"}";
	const char *cj = "{\"id\":\"" COMMENT_ID "\",\"task_id\":\"" TASK_ID
	    "\",\"body\":\"\"}";
	struct task *t = NULL;
	struct entry *e = NULL;
	struct comment *c = NULL;

	assert_int_equal(json_task_decode(&t, tj, strlen(tj), NULL), 0);
	assert_string_equal(t->description, "");
	assert_int_equal(t->status, TASK_TODO);
	assert_string_equal(t->metadata, "{}");
	assert_string_equal(t->assignee_id, "");
	assert_int_equal(t->num, 0);
	assert_false(t->deleted);
	task_free(t);

	assert_int_equal(json_entry_decode(&e, ej, strlen(ej), NULL), 0);
	assert_true(e->start_time == T0);
	assert_true(e->end_time == -1);
	assert_false(e->manual);
	assert_string_equal(e->notes, "");
	assert_string_equal(e->end_src, "");
	entry_free(e);

	assert_int_equal(json_comment_decode(&c, cj, strlen(cj), NULL), 0);
	assert_string_equal(c->body, "");
	assert_null(c->author_name);
	comment_free(c);
}

static void
test_json_decode_ignores_unknown_keys(void **state)
{
	const char *j = "{\"x\":{\"deep\":[1,2,{\"y\":null}]},\"id\":\""
	    TASK_ID "\",\"title\":\"x\",\"tags\":5,\"priority\":[],"
	    "\"status\":\"doing\",\"zz\":true}";
	struct task *t = NULL;

	assert_int_equal(json_task_decode(&t, j, strlen(j), NULL), 0);
	assert_int_equal(t->status, TASK_IN_PROGRESS);
	task_free(t);
}

static void
test_json_decode_not_nul_terminated(void **state)
{
	const char *j = "{\"id\":\"" TASK_ID "\",\"title\":\"x\"}";
	size_t len = strlen(j);
	char *p = exact_copy(j, len);
	struct task *t = NULL;

	assert_int_equal(json_task_decode(&t, p, len, NULL), 0);
	assert_string_equal(t->title, "x");
	task_free(t);
	free(p);

	/* Only the first len bytes count: junk after them is not read. */
	t = NULL;
	assert_int_equal(json_task_decode(&t,
	    "{\"id\":\"" TASK_ID "\",\"title\":\"y\"}garbage", len, NULL), 0);
	assert_string_equal(t->title, "y");
	task_free(t);
}

/* ----- decoder errors ----- */

static void
test_json_decode_malformed(void **state)
{
	static const char *const bad[] = {
		"{\"id\":}",
		"{\"id\" \"x\"}",
		"{'id':'x'}",
		"{\"id\":\"" TASK_ID "\",\"title\":\"x\",}",
		"{\"title\":\"\\q\"}",
		"{\"title\":\"\\ud800\"}",
		"nul",
		"{\"a\":tru}",
		"\xef\xbb",
	};
	struct tock_err err = TOCK_ERR_INIT;
	struct task *t = NULL;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err.code = 0;
		assert_int_equal(json_task_decode(&t, bad[i], strlen(bad[i]),
		    &err), TOCK_EINVAL);
		assert_int_equal(err.code, TOCK_EINVAL);
		assert_null(t);
		assert_int_equal(strncmp(err.msg, "malformed JSON near byte ",
		    25), 0);
	}
	assert_int_equal(json_task_decode(&t, "{\"id\":}", 7, &err),
	    TOCK_EINVAL);
	assert_string_equal(err.msg, "malformed JSON near byte 6");
}

static void
test_json_decode_truncated(void **state)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct task *t = make_task(), *u = NULL;
	struct entry *e = make_entry(), *f = NULL;
	size_t len;
	char *p;

	json_task_encode(&sb, t);
	/* Every proper prefix fails cleanly; exact-length copies let ASan
	 * and valgrind catch a read past the end. */
	for (len = 0; len < sb.len; len++) {
		p = exact_copy(sb.buf, len);
		assert_int_equal(json_task_decode(&u, p, len, &err),
		    TOCK_EINVAL);
		assert_null(u);
		free(p);
	}
	strbuf_reset(&sb);
	json_entry_encode(&sb, e, 1, 0);
	for (len = 0; len < sb.len; len++) {
		p = exact_copy(sb.buf, len);
		assert_int_equal(json_entry_decode(&f, p, len, &err),
		    TOCK_EINVAL);
		assert_null(f);
		free(p);
	}
	assert_int_equal(json_entry_decode(&f, sb.buf, 0, &err), TOCK_EINVAL);
	assert_string_equal(err.msg, "empty JSON text");
	strbuf_release(&sb);
	task_free(t);
	entry_free(e);
}

static void
test_json_decode_rejects_trailing_garbage(void **state)
{
	const char *ok = "{\"id\":\"" TASK_ID "\",\"title\":\"x\"} \n\t\r ";
	const char *bad = "{\"id\":\"" TASK_ID "\",\"title\":\"x\"} {}";
	struct tock_err err = TOCK_ERR_INIT;
	struct task *t = NULL;
	/* A NUL inside the given length is not the end of the text. */
	const char nul[] = "{\"id\":\"" TASK_ID "\",\"title\":\"x\"}\0x";

	assert_int_equal(json_task_decode(&t, ok, strlen(ok), &err), 0);
	task_free(t);
	t = NULL;
	assert_int_equal(json_task_decode(&t, bad, strlen(bad), &err),
	    TOCK_EINVAL);
	assert_string_equal(err.msg,
	    "unexpected text after JSON value at byte 58");
	assert_int_equal(json_task_decode(&t, nul, sizeof nul - 1, &err),
	    TOCK_EINVAL);
	assert_null(t);
}

static void
test_json_decode_rejects_non_object_root(void **state)
{
	static const char *const bad[] = { "[]", "\"x\"", "null", "5", "true",
	    "[{\"id\":\"" TASK_ID "\",\"title\":\"x\"}]" };
	struct tock_err err = TOCK_ERR_INIT;
	struct task *t = NULL;
	struct entry *e = NULL;
	struct comment *c = NULL;
	struct outbox_op *op = NULL;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t n = strlen(bad[i]);

		assert_int_equal(json_task_decode(&t, bad[i], n, &err),
		    TOCK_EINVAL);
		assert_string_equal(err.msg, "JSON text must be an object");
		assert_int_equal(json_entry_decode(&e, bad[i], n, &err),
		    TOCK_EINVAL);
		assert_int_equal(json_comment_decode(&c, bad[i], n, &err),
		    TOCK_EINVAL);
		assert_int_equal(json_op_decode(&op, bad[i], n, &err),
		    TOCK_EINVAL);
	}
	assert_null(t);
	assert_null(e);
	assert_null(c);
	assert_null(op);
}

static void
test_json_decode_missing_fields(void **state)
{
	static const struct {
		int type;	/* 0 task, 1 entry, 2 comment */
		const char *json;
		const char *msg;
	} cases[] = {
		{ 0, "{\"title\":\"x\"}", "missing field 'id'" },
		{ 0, "{\"id\":\"" TASK_ID "\"}", "missing field 'title'" },
		{ 0, "{\"id\":\"" TASK_ID "\",\"title\":null}",
		    "field 'title' must be a string" },
		{ 0, "{\"id\":null,\"title\":\"x\"}",
		    "field 'id' must be a string" },
		{ 1, "{\"start_time\":\"" T0_ISO "\"}", "missing field 'id'" },
		{ 1, "{\"id\":\"" ENTRY_ID "\"}", "missing field 'start_time'" },
		{ 1, "{\"id\":\"" ENTRY_ID "\",\"start_time\":null}",
		    "field 'start_time' must be a string" },
		{ 2, "{\"task_id\":\"" TASK_ID "\",\"body\":\"b\"}",
		    "missing field 'id'" },
		{ 2, "{\"id\":\"" COMMENT_ID "\",\"body\":\"b\"}",
		    "missing field 'task_id'" },
		{ 2, "{\"id\":\"" COMMENT_ID "\",\"task_id\":\"" TASK_ID "\"}",
		    "missing field 'body'" },
		{ 2, "{}", "missing field 'id'" },
	};
	struct tock_err err;
	struct task *t = NULL;
	struct entry *e = NULL;
	struct comment *c = NULL;
	size_t i, n;
	int rc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&err, 0, sizeof err);
		n = strlen(cases[i].json);
		if (cases[i].type == 0)
			rc = json_task_decode(&t, cases[i].json, n, &err);
		else if (cases[i].type == 1)
			rc = json_entry_decode(&e, cases[i].json, n, &err);
		else
			rc = json_comment_decode(&c, cases[i].json, n, &err);
		assert_int_equal(rc, TOCK_EINVAL);
		assert_int_equal(err.code, TOCK_EINVAL);
		assert_string_equal(err.msg, cases[i].msg);
	}
	assert_null(t);
	assert_null(e);
	assert_null(c);
}

/*
 * Task decode of {<field>, "id":..., "title":"x"}: cJSON keeps the first
 * of duplicate keys, so a field given first replaces the default id or
 * title too.
 */
static int
decode_task_with(const char *field, struct tock_err *err)
{
	struct task *t = NULL;
	char *j = xasprintf("{%s,\"id\":\"" TASK_ID "\",\"title\":\"x\"}",
	    field);
	int rc = json_task_decode(&t, j, strlen(j), err);

	task_free(t);
	free(j);
	return rc;
}

static int
decode_entry_with(const char *field, struct tock_err *err)
{
	struct entry *e = NULL;
	char *j = xasprintf("{%s,\"id\":\"" ENTRY_ID "\","
	    "\"start_time\":\"" T0_ISO "\"}", field);
	int rc = json_entry_decode(&e, j, strlen(j), err);

	entry_free(e);
	free(j);
	return rc;
}

static int
decode_comment_with(const char *field, struct tock_err *err)
{
	struct comment *c = NULL;
	char *j = xasprintf("{%s,\"id\":\"" COMMENT_ID "\","
	    "\"task_id\":\"" TASK_ID "\",\"body\":\"b\"}", field);
	int rc = json_comment_decode(&c, j, strlen(j), err);

	comment_free(c);
	free(j);
	return rc;
}

static void
test_json_decode_wrong_types(void **state)
{
	static const struct {
		int type;	/* 0 task, 1 entry, 2 comment */
		const char *field;
		const char *msg;
	} cases[] = {
		{ 0, "\"title\":5", "field 'title' must be a string" },
		{ 0, "\"title\":[\"x\"]", "field 'title' must be a string" },
		{ 0, "\"id\":7", "field 'id' must be a string" },
		{ 0, "\"num\":\"3\"", "field 'num' must be an integer" },
		{ 0, "\"num\":1.5", "field 'num' must be an integer" },
		{ 0, "\"num\":-1", "field 'num' is out of range" },
		{ 0, "\"num\":1e300", "field 'num' is out of range" },
		{ 0, "\"description\":{}",
		    "field 'description' must be a string" },
		{ 0, "\"status\":1", "field 'status' must be a string" },
		{ 0, "\"deleted\":\"yes\"",
		    "field 'deleted' must be true or false" },
		{ 0, "\"deleted\":1", "field 'deleted' must be true or false" },
		{ 0, "\"running\":[]", "field 'running' must be true or false" },
		{ 0, "\"metadata\":[]", "field 'metadata' must be an object" },
		{ 0, "\"metadata\":\"{}\"",
		    "field 'metadata' must be an object" },
		{ 0, "\"assignee\":false", "field 'assignee' must be a string" },
		{ 0, "\"created_at\":1795599000000",
		    "field 'created_at' must be a string" },
		{ 1, "\"notes\":1", "field 'notes' must be a string" },
		{ 1, "\"task_num\":true", "field 'task_num' must be an integer" },
		{ 1, "\"end_time\":0", "field 'end_time' must be a string" },
		{ 1, "\"task_title\":{}",
		    "field 'task_title' must be a string" },
		{ 2, "\"body\":null", "field 'body' must be a string" },
		{ 2, "\"author\":1", "field 'author' must be a string" },
	};
	struct tock_err err;
	size_t i;
	int rc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&err, 0, sizeof err);
		if (cases[i].type == 0)
			rc = decode_task_with(cases[i].field, &err);
		else if (cases[i].type == 1)
			rc = decode_entry_with(cases[i].field, &err);
		else
			rc = decode_comment_with(cases[i].field, &err);
		assert_int_equal(rc, TOCK_EINVAL);
		assert_string_equal(err.msg, cases[i].msg);
	}
}

static void
test_json_decode_bad_values(void **state)
{
	static const struct {
		int type;	/* 0 task, 1 entry, 2 comment */
		const char *field;
		const char *msg;
	} cases[] = {
		{ 0, "\"status\":\"open\"", "invalid status 'open' (use todo, "
		    "in_progress, done or cancelled)" },
		{ 0, "\"title\":\"\"", "title is empty" },
		{ 0, "\"title\":\"a\\nb\"", "title contains a control character" },
		{ 0, "\"title\":\"\xff\"", "field 'title' is not valid UTF-8" },
		{ 0, "\"title\":\"\xc0\xaf\"",
		    "field 'title' is not valid UTF-8" },
		{ 0, "\"description\":\"\xed\xa0\x80\"",
		    "field 'description' is not valid UTF-8" },
		{ 0, "\"due_date\":\"2026-02-30\"",
		    "field 'due_date' must be a date like 2026-11-25" },
		{ 0, "\"due_date\":\"2026-1-05\"",
		    "field 'due_date' must be a date like 2026-11-25" },
		{ 0, "\"due_date\":\"2026-11-25T00:00:00Z\"",
		    "field 'due_date' must be a date like 2026-11-25" },
		{ 1, "\"origin\":\"robot\"",
		    "field 'origin' must be timer or manual" },
		{ 1, "\"end_src\":\"stopped\"",
		    "field 'end_src' must be stop, edit or auto" },
		{ 1, "\"end_time\":\"2026-11-25T09:29:59.999Z\"",
		    "field 'end_time' is before 'start_time'" },
	};
	struct tock_err err;
	size_t i;
	int rc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&err, 0, sizeof err);
		if (cases[i].type == 0)
			rc = decode_task_with(cases[i].field, &err);
		else if (cases[i].type == 1)
			rc = decode_entry_with(cases[i].field, &err);
		else
			rc = decode_comment_with(cases[i].field, &err);
		assert_int_equal(rc, TOCK_EINVAL);
		assert_string_equal(err.msg, cases[i].msg);
	}
	/* Leap day and the aliases of status are fine. */
	assert_int_equal(decode_task_with("\"due_date\":\"2028-02-29\"", NULL),
	    0);
	assert_int_equal(decode_task_with("\"status\":\"canceled\"", NULL), 0);
	assert_int_equal(decode_entry_with("\"end_src\":\"\"", NULL), 0);
}

static void
test_json_decode_bad_uuids(void **state)
{
	static const char *const fields[] = {
		"\"id\":\"01936D6E-8A00-7000-8000-000000000001\"",
		"\"id\":\"01936d6e-8a00-7000-8000-00000000000\"",
		"\"id\":\"01936d6e-8a00-7000-8000-0000000000011\"",
		"\"id\":\"01936d6e8a0070008000000000000001xxxx\"",
		"\"id\":\"01936d6e-8a00-7000-8000-00000000000g\"",
		"\"id\":\"\"",
		"\"assignee_id\":\"nobody\"",
		"\"created_by\":\"\"",
		"\"workspace_id\":\" " WS_ID "\"",
	};
	struct tock_err err = TOCK_ERR_INIT;
	size_t i;
	char want[64];

	for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		const char *q = strchr(fields[i] + 1, '"');

		assert_int_equal(decode_task_with(fields[i], &err),
		    TOCK_EINVAL);
		snprintf(want, sizeof want, "field '%.*s' must be a UUID",
		    (int)(q - fields[i] - 1), fields[i] + 1);
		assert_string_equal(err.msg, want);
	}
	assert_int_equal(decode_entry_with("\"task_id\":\"x\"", &err),
	    TOCK_EINVAL);
	assert_string_equal(err.msg, "field 'task_id' must be a UUID");
	assert_int_equal(decode_entry_with("\"user_id\":\"x\"", &err),
	    TOCK_EINVAL);
	assert_int_equal(decode_comment_with("\"task_id\":\"x\"", &err),
	    TOCK_EINVAL);
	assert_string_equal(err.msg, "field 'task_id' must be a UUID");
	assert_int_equal(decode_comment_with("\"author_id\":\"x\"", &err),
	    TOCK_EINVAL);
	/* null for an optional id is "none". */
	assert_int_equal(decode_task_with("\"assignee_id\":null", NULL), 0);
	assert_int_equal(decode_entry_with("\"task_id\":null", NULL), 0);
}

static void
test_json_decode_times(void **state)
{
	static const char *const bad[] = {
		"2026-11-25T09:30:00.000",
		"2026-11-25 09:30:00.000Z",
		"2026-11-25t09:30:00.000Z",
		"2026-11-25T09:30:00.000z",
		"2026-11-25T09:30:00.000+01:00",
		"2026-11-25T09:30:00+00:00",
		"2026-11-25T09:30:00.00Z",
		"2026-11-25T09:30:00.0000Z",
		"2026-11-25T09:30Z",
		"2026-11-25T24:00:00Z",
		"2026-11-25T23:60:00Z",
		"2026-11-25T23:59:60Z",
		"2026-13-01T00:00:00Z",
		"2026-00-01T00:00:00Z",
		"2026-11-00T00:00:00Z",
		"2026-11-31T00:00:00Z",
		"2027-02-29T00:00:00Z",
		"2026-11-25T09:30:00,000Z",
		"+2026-11-25T09:30:00Z",
		"2026-11-25T09:3a:00Z",
		"2026-11-25",
		"",
		"yesterday",
	};
	static const struct {
		const char *iso;
		int64_t ms;
	} good[] = {
		{ "2026-11-25T09:30:00Z", T0 },
		{ "2026-11-25T09:30:00.000Z", T0 },
		{ "2026-11-25T10:45:30.250Z", T1 },
		{ "2028-02-29T00:00:00.001Z", 1835395200001LL },
		{ "1970-01-01T00:00:00.000Z", 0 },
		{ "2000-12-31T23:59:59.999Z", 978307199999LL },
	};
	struct tock_err err = TOCK_ERR_INIT;
	struct comment *c = NULL;
	char *field;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		field = xasprintf("\"created_at\":\"%s\"", bad[i]);
		assert_int_equal(decode_comment_with(field, &err),
		    TOCK_EINVAL);
		assert_string_equal(err.msg, "field 'created_at' must be a "
		    "UTC time like 2026-11-25T09:30:00.000Z");
		free(field);
	}
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		char *j = xasprintf("{\"id\":\"" COMMENT_ID "\","
		    "\"task_id\":\"" TASK_ID "\",\"body\":\"b\","
		    "\"created_at\":\"%s\"}", good[i].iso);

		assert_int_equal(json_comment_decode(&c, j, strlen(j), &err),
		    0);
		assert_true(c->created_at == good[i].ms);
		comment_free(c);
		free(j);
	}
}

static char *
nested(size_t depth, const char *prefix, const char *suffix)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);
	char *p = xmalloc(pl + 2 * depth + sl + 1);

	memcpy(p, prefix, pl);
	memset(p + pl, '[', depth);
	memset(p + pl + depth, ']', depth);
	memcpy(p + pl + 2 * depth, suffix, sl + 1);
	return p;
}

static void
test_json_decode_deep_nesting(void **state)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct task *t = NULL;
	char *p;

	/* Unbalanced: 10000 '[' and nothing else. */
	p = xmalloc(10000);
	memset(p, '[', 10000);
	assert_int_equal(json_task_decode(&t, p, 10000, &err), TOCK_EINVAL);
	assert_int_equal(strncmp(err.msg, "malformed JSON", 14), 0);
	assert_int_equal(json_validate("[[[[", 100, &err), TOCK_EINVAL);
	free(p);

	/* Balanced but deeper than cJSON's nesting limit, at the root and
	 * inside an otherwise good task. */
	p = nested(10000, "", "");
	assert_int_equal(json_validate(p, 1 << 20, &err), TOCK_EINVAL);
	free(p);
	p = nested(10000, "{\"id\":\"" TASK_ID "\",\"title\":\"x\","
	    "\"metadata\":{\"a\":", "}}");
	assert_int_equal(json_task_decode(&t, p, strlen(p), &err),
	    TOCK_EINVAL);
	assert_null(t);
	free(p);

	/* Moderate depth is fine, and survives the metadata round trip. */
	p = nested(100, "{\"id\":\"" TASK_ID "\",\"title\":\"x\","
	    "\"metadata\":{\"a\":", "}}");
	assert_int_equal(json_task_decode(&t, p, strlen(p), &err), 0);
	assert_int_equal(strlen(t->metadata), 5 + 200 + 1);
	task_free(t);
	free(p);
}

static void
test_json_decode_huge_input(void **state)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct task *t = NULL;
	struct entry *e = NULL;
	struct comment *c = NULL;
	struct outbox_op *op = NULL;
	size_t len = 16 * MIB + 1;
	const char *head = "{\"id\":\"" TASK_ID "\",\"title\":\"x\","
	    "\"description\":\"";
	char *p = xmalloc(len);

	/* One byte over the limit is refused before it is parsed. */
	memset(p, ' ', len);
	p[0] = '{';
	p[len - 1] = '}';
	assert_int_equal(json_task_decode(&t, p, len, &err), TOCK_ETOOBIG);
	assert_int_equal(err.code, TOCK_ETOOBIG);
	assert_string_equal(err.msg,
	    "JSON text is too big (16777217 bytes, at most 16777216)");
	assert_int_equal(json_entry_decode(&e, p, len, &err), TOCK_ETOOBIG);
	assert_int_equal(json_comment_decode(&c, p, len, &err), TOCK_ETOOBIG);
	assert_int_equal(json_op_decode(&op, p, len, &err), TOCK_ETOOBIG);
	assert_int_equal(json_task_decode(&t, p, SIZE_MAX, &err),
	    TOCK_ETOOBIG);

	/* At the limit it is parsed; the over-long description is then
	 * refused by the text rules, not by size. */
	len--;
	memcpy(p, head, strlen(head));
	memset(p + strlen(head), 'a', len - strlen(head) - 2);
	memcpy(p + len - 2, "\"}", 2);
	assert_int_equal(json_task_decode(&t, p, len, &err), TOCK_EINVAL);
	assert_int_equal(strncmp(err.msg, "description is too long", 23), 0);
	assert_null(t);
	assert_null(e);
	assert_null(c);
	assert_null(op);
	free(p);
}

/* ----- outbox ops ----- */

static struct outbox_op *
make_op(void)
{
	struct outbox_op *op = xcalloc(1, sizeof *op);

	op->seq = 42;
	strcpy(op->op_id, OP_ID);
	strcpy(op->scope, WS_ID);
	strcpy(op->entity, "task");
	strcpy(op->entity_id, TASK_ID);
	strcpy(op->kind, "set");
	op->fields = xstrdup("{\"title\": \"New\", \"metadata.prio\": null,"
	    " \"num\": 1795599000000}");
	op->base = xstrdup("{\"title\":\"" HLC "\"}");
	strcpy(op->hlc, HLC);
	return op;
}

static void
test_json_op_encode_exact(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct outbox_op *op = make_op();

	json_op_encode(&sb, op);
	assert_string_equal(sb.buf,
	    "{\"op_id\":\"" OP_ID "\",\"seq\":42,\"scope\":\"" WS_ID "\","
	    "\"entity\":\"task\",\"entity_id\":\"" TASK_ID "\","
	    "\"kind\":\"set\",\"fields\":{\"title\":\"New\","
	    "\"metadata.prio\":null,\"num\":1795599000000},"
	    "\"base\":{\"title\":\"" HLC "\"},\"hlc\":\"" HLC "\"}");

	/* No base: the key is left out. */
	free(op->base);
	op->base = NULL;
	strcpy(op->scope, "u:" USER_ID);
	strcpy(op->kind, "timer.start");
	strbuf_reset(&sb);
	json_op_encode(&sb, op);
	assert_string_equal(sb.buf,
	    "{\"op_id\":\"" OP_ID "\",\"seq\":42,\"scope\":\"u:" USER_ID "\","
	    "\"entity\":\"task\",\"entity_id\":\"" TASK_ID "\","
	    "\"kind\":\"timer.start\",\"fields\":{\"title\":\"New\","
	    "\"metadata.prio\":null,\"num\":1795599000000},"
	    "\"hlc\":\"" HLC "\"}");

	/* Bad stored fields are written as {} rather than as broken JSON. */
	free(op->fields);
	op->fields = xstrdup("{oops");
	strbuf_reset(&sb);
	json_op_encode(&sb, op);
	assert_non_null(strstr(sb.buf, "\"fields\":{},\"hlc\""));
	strbuf_release(&sb);
	outbox_op_free(op);
}

static void
test_json_op_round_trip(void **state)
{
	struct strbuf sb = STRBUF_INIT, sb2 = STRBUF_INIT;
	struct outbox_op *op = make_op(), *o2 = NULL;

	json_op_encode(&sb, op);
	assert_int_equal(json_op_decode(&o2, sb.buf, sb.len, NULL), 0);
	assert_true(o2->seq == 42);
	assert_string_equal(o2->op_id, OP_ID);
	assert_string_equal(o2->scope, WS_ID);
	assert_string_equal(o2->entity, "task");
	assert_string_equal(o2->entity_id, TASK_ID);
	assert_string_equal(o2->kind, "set");
	assert_string_equal(o2->fields, "{\"title\":\"New\","
	    "\"metadata.prio\":null,\"num\":1795599000000}");
	assert_string_equal(o2->base, "{\"title\":\"" HLC "\"}");
	assert_string_equal(o2->hlc, HLC);
	json_op_encode(&sb2, o2);
	assert_string_equal(sb.buf, sb2.buf);
	outbox_op_free(o2);
	o2 = NULL;

	/* Without base, with a user scope. */
	free(op->base);
	op->base = NULL;
	strcpy(op->scope, "u:" USER_ID);
	strcpy(op->entity, "user_state");
	strcpy(op->kind, "timer.stop");
	op->seq = 0;
	strbuf_reset(&sb);
	json_op_encode(&sb, op);
	assert_int_equal(json_op_decode(&o2, sb.buf, sb.len, NULL), 0);
	assert_null(o2->base);
	assert_string_equal(o2->scope, "u:" USER_ID);
	assert_string_equal(o2->entity, "user_state");
	assert_string_equal(o2->kind, "timer.stop");
	assert_true(o2->seq == 0);
	strbuf_release(&sb);
	strbuf_release(&sb2);
	outbox_op_free(op);
	outbox_op_free(o2);
}

static void
test_json_op_decode_errors(void **state)
{
	static const struct {
		const char *field;	/* replaces the good one */
		const char *msg;
	} cases[] = {
		{ "\"op_id\":\"x\"", "field 'op_id' must be a UUID" },
		{ "\"op_id\":1", "field 'op_id' must be a string" },
		{ "\"entity_id\":\"" TASK_ID "0\"",
		    "field 'entity_id' must be a UUID" },
		{ "\"seq\":-1", "field 'seq' is out of range" },
		{ "\"seq\":1.5", "field 'seq' must be an integer" },
		{ "\"seq\":\"1\"", "field 'seq' must be an integer" },
		{ "\"seq\":1e20", "field 'seq' is out of range" },
		{ "\"scope\":\"x:" USER_ID "\"",
		    "field 'scope' must be a UUID or 'u:' and a UUID" },
		{ "\"scope\":\"u:\"",
		    "field 'scope' must be a UUID or 'u:' and a UUID" },
		{ "\"scope\":\"U:" USER_ID "\"",
		    "field 'scope' must be a UUID or 'u:' and a UUID" },
		{ "\"entity\":\"tasks\"", "field 'entity' must be task, "
		    "time_entry, comment, workspace, membership or user_state" },
		{ "\"entity\":\"\"", "field 'entity' must be task, "
		    "time_entry, comment, workspace, membership or user_state" },
		{ "\"kind\":\"purge\"", "field 'kind' must be create, set, "
		    "delete, restore, timer.start or timer.stop" },
		{ "\"kind\":\"a-very-long-kind-string-indeed\"",
		    "field 'kind' must be create, set, "
		    "delete, restore, timer.start or timer.stop" },
		{ "\"fields\":[]", "field 'fields' must be an object" },
		{ "\"fields\":null", "field 'fields' must be an object" },
		{ "\"fields\":\"{}\"", "field 'fields' must be an object" },
		{ "\"base\":1", "field 'base' must be an object" },
		{ "\"hlc\":\"00019367F3A80003-1122334455667788\"",
		    "field 'hlc' must be a hybrid logical clock stamp" },
		{ "\"hlc\":\"00019367f3a80003-112233445566778\"",
		    "field 'hlc' must be a hybrid logical clock stamp" },
		{ "\"hlc\":\"00019367f3a80003-11223344556677889\"",
		    "field 'hlc' must be a hybrid logical clock stamp" },
		{ "\"hlc\":\"00019367f3a80003_1122334455667788\"",
		    "field 'hlc' must be a hybrid logical clock stamp" },
		{ "\"hlc\":\"\"",
		    "field 'hlc' must be a hybrid logical clock stamp" },
	};
	static const char *const keys[] = { "op_id", "seq", "scope", "entity",
	    "entity_id", "kind", "fields", "hlc" };
	static const char good[] =
	    "\"op_id\":\"" OP_ID "\",\"seq\":1,\"scope\":\"" WS_ID "\","
	    "\"entity\":\"task\",\"entity_id\":\"" TASK_ID "\","
	    "\"kind\":\"create\",\"fields\":{},\"hlc\":\"" HLC "\"";
	struct tock_err err;
	struct outbox_op *op = NULL;
	char *j, want[64];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&err, 0, sizeof err);
		/* The first of duplicate keys wins (see decode_task_with). */
		j = xasprintf("{%s,%s}", cases[i].field, good);
		assert_int_equal(json_op_decode(&op, j, strlen(j), &err),
		    TOCK_EINVAL);
		assert_string_equal(err.msg, cases[i].msg);
		assert_null(op);
		free(j);
	}
	/* Each required key missing in turn. */
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char *k = xasprintf("\"%s\":", keys[i]);
		char *at;

		j = xasprintf("{%s}", good);
		at = strstr(j, k);
		assert_non_null(at);
		at[1] = 'X';	/* rename the key */
		assert_int_equal(json_op_decode(&op, j, strlen(j), &err),
		    TOCK_EINVAL);
		snprintf(want, sizeof want, "missing field '%s'", keys[i]);
		assert_string_equal(err.msg, want);
		free(k);
		free(j);
	}
	/* Every kind and entity in the lists is taken. */
	j = xasprintf("{\"kind\":\"restore\",\"entity\":\"membership\",%s}",
	    good);
	assert_int_equal(json_op_decode(&op, j, strlen(j), &err), 0);
	assert_string_equal(op->kind, "restore");
	assert_string_equal(op->entity, "membership");
	assert_string_equal(op->fields, "{}");
	outbox_op_free(op);
	free(j);
	outbox_op_free(NULL);
}

/* ----- metadata helpers ----- */

static void
test_json_meta_tags(void **state)
{
	char **v;

	v = json_meta_tags("{\"tags\":[\"b\",7,\"a\",{},\"\xc3\xa9\"]}");
	assert_non_null(v);
	assert_string_equal(v[0], "b");
	assert_string_equal(v[1], "a");
	assert_string_equal(v[2], "\xc3\xa9");
	assert_null(v[3]);
	json_strv_free(v);

	v = json_meta_tags("{\"tags\":\"a\"}");
	assert_non_null(v);
	assert_null(v[0]);
	json_strv_free(v);
	v = json_meta_tags("not json");
	assert_non_null(v);
	assert_null(v[0]);
	json_strv_free(v);
	v = json_meta_tags(NULL);
	assert_non_null(v);
	assert_null(v[0]);
	json_strv_free(v);
	v = json_meta_tags("[\"tags\"]");
	assert_null(v[0]);
	json_strv_free(v);
	json_strv_free(NULL);
}

static void
test_json_meta_string(void **state)
{
	const char *m = "{\"priority\":\"high\",\"n\":3,\"e\":\"\"}";
	char *s;

	s = json_meta_string(m, "priority");
	assert_string_equal(s, "high");
	free(s);
	s = json_meta_string(m, "e");
	assert_string_equal(s, "");
	free(s);
	assert_null(json_meta_string(m, "n"));
	assert_null(json_meta_string(m, "missing"));
	assert_null(json_meta_string("{", "priority"));
	assert_null(json_meta_string(NULL, "priority"));
}

static void
test_json_tags_edit(void **state)
{
	static const struct {
		const char *metadata;
		const char *add[4];
		const char *del[4];
		const char *want;
	} cases[] = {
		/* add to nothing */
		{ "{}", { "a", "b" }, { NULL }, "[\"a\",\"b\"]" },
		/* order kept, new ones appended, present ones not repeated */
		{ "{\"tags\":[\"x\",\"y\"]}", { "y", "z", "z" }, { NULL },
		    "[\"x\",\"y\",\"z\"]" },
		/* remove, including one that is not there */
		{ "{\"tags\":[\"x\",\"y\",\"z\"]}", { NULL }, { "y", "q" },
		    "[\"x\",\"z\"]" },
		/* add and remove together; removing wins for the same tag */
		{ "{\"tags\":[\"x\",\"y\"]}", { "w", "v" }, { "x", "w" },
		    "[\"y\",\"v\"]" },
		/* remove everything */
		{ "{\"tags\":[\"x\"]}", { NULL }, { "x" }, "[]" },
		/* duplicates and non-strings in the stored list are dropped */
		{ "{\"tags\":[\"x\",1,\"x\",null,\"y\"]}", { NULL }, { NULL },
		    "[\"x\",\"y\"]" },
		/* bad metadata counts as no tags */
		{ "{bad", { "a" }, { NULL }, "[\"a\"]" },
		/* tags that need escaping come out escaped */
		{ "{}", { "q\"t", "\xc3\xa9" }, { NULL },
		    "[\"q\\\"t\",\"\xc3\xa9\"]" },
	};
	size_t i;
	char *s;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		s = json_tags_edit(cases[i].metadata,
		    (char *const *)cases[i].add, (char *const *)cases[i].del);
		assert_string_equal(s, cases[i].want);
		assert_int_equal(json_validate(s, strlen(s), NULL), 0);
		free(s);
	}
	/* NULL lists mean "nothing to add/remove". */
	s = json_tags_edit("{\"tags\":[\"k\"]}", NULL, NULL);
	assert_string_equal(s, "[\"k\"]");
	free(s);
	s = json_tags_edit(NULL, NULL, NULL);
	assert_string_equal(s, "[]");
	free(s);
}

static void
test_json_validate(void **state)
{
	static const char *const good[] = { "{}", "[]", "0", "-1.5e3",
	    "\"x\"", "null", " { \"a\" : [ 1 , true , null ] } \n",
	    "\"\\u00e9\\ud83d\\ude00\"" };
	static const char *const bad[] = { "", " ", "{", "{}}", "[1,]",
	    "{\"a\"}", "'x'", "\"\\ud800\"", "[] []", "NaN", "\"a" };
	struct tock_err err = TOCK_ERR_INIT;
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_int_equal(json_validate(good[i], 1000, &err), 0);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err.code = 0;
		assert_int_equal(json_validate(bad[i], 1000, &err),
		    TOCK_EINVAL);
		assert_int_equal(err.code, TOCK_EINVAL);
	}
	assert_int_equal(json_validate(NULL, 1000, &err), TOCK_EINVAL);
	/* The maximum is inclusive. */
	assert_int_equal(json_validate("[1,2]", 5, &err), 0);
	assert_int_equal(json_validate("[1,2]", 4, &err), TOCK_ETOOBIG);
	assert_string_equal(err.msg,
	    "JSON text is too big (more than 4 bytes)");
	assert_int_equal(json_validate("{}", 0, &err), TOCK_ETOOBIG);
	assert_int_equal(json_validate("{}", SIZE_MAX, &err), 0);
}

static int
group_setup(void **state)
{
	tt_set_tz("America/St_Johns");	/* UTC-3:30: offsets must not leak */
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_task_encode_exact),
		cmocka_unit_test(test_json_task_encode_nulls),
		cmocka_unit_test(test_json_task_encode_metadata_shapes),
		cmocka_unit_test(test_json_entry_encode_exact),
		cmocka_unit_test(test_json_entry_encode_without_task),
		cmocka_unit_test(test_json_entry_encode_running),
		cmocka_unit_test(test_json_comment_encode_exact),
		cmocka_unit_test(test_json_encode_escapes_strings),
		cmocka_unit_test(test_json_encode_appends),
		cmocka_unit_test(test_json_encode_bounded_buffer_all_or_nothing),
		cmocka_unit_test(test_json_task_round_trip),
		cmocka_unit_test(test_json_task_round_trip_nulls),
		cmocka_unit_test(test_json_entry_round_trip),
		cmocka_unit_test(test_json_entry_round_trip_running),
		cmocka_unit_test(test_json_comment_round_trip),
		cmocka_unit_test(test_json_decode_minimal_defaults),
		cmocka_unit_test(test_json_decode_ignores_unknown_keys),
		cmocka_unit_test(test_json_decode_not_nul_terminated),
		cmocka_unit_test(test_json_decode_malformed),
		cmocka_unit_test(test_json_decode_truncated),
		cmocka_unit_test(test_json_decode_rejects_trailing_garbage),
		cmocka_unit_test(test_json_decode_rejects_non_object_root),
		cmocka_unit_test(test_json_decode_missing_fields),
		cmocka_unit_test(test_json_decode_wrong_types),
		cmocka_unit_test(test_json_decode_bad_values),
		cmocka_unit_test(test_json_decode_bad_uuids),
		cmocka_unit_test(test_json_decode_times),
		cmocka_unit_test(test_json_decode_deep_nesting),
		cmocka_unit_test(test_json_decode_huge_input),
		cmocka_unit_test(test_json_op_encode_exact),
		cmocka_unit_test(test_json_op_round_trip),
		cmocka_unit_test(test_json_op_decode_errors),
		cmocka_unit_test(test_json_meta_tags),
		cmocka_unit_test(test_json_meta_string),
		cmocka_unit_test(test_json_tags_edit),
		cmocka_unit_test(test_json_validate),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
