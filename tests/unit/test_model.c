/*
 * test_model.c - unit tests of common/model.c: title validation (empty,
 * blanks only, the 200 code point limit with 1- to 4-byte characters,
 * invalid UTF-8, control characters), free text limits, tags, metadata
 * keys, task status names and parsing, and field sets (add, replace in
 * place, NULL values, lookup).
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
#include "model.h"
#include "xmalloc.h"

/* n copies of the UTF-8 sequence ch, malloc'd. */
static char *
repeat(const char *ch, size_t n)
{
	size_t len = strlen(ch), i;
	char *s = xmalloc(len * n + 1);

	for (i = 0; i < n; i++)
		memcpy(s + i * len, ch, len);
	s[len * n] = '\0';
	return s;
}

static void
title_ok(const char *t)
{
	struct tock_err err = { 99, "untouched" };

	if (model_check_title(t, &err) != 0)
		fail_msg("title '%s' rejected: %s", t, err.msg);
	/* Success leaves err as it was. */
	assert_int_equal(err.code, 99);
	assert_string_equal(err.msg, "untouched");
}

static void
title_bad(const char *t, const char *msg)
{
	struct tock_err err = TOCK_ERR_INIT;

	if (model_check_title(t, &err) != TOCK_EINVAL)
		fail_msg("title '%s' accepted", t);
	assert_int_equal(err.code, TOCK_EINVAL);
	if (strcmp(err.msg, msg) != 0)
		fail_msg("title '%s': message '%s', want '%s'", t, err.msg,
		    msg);
	assert_int_equal(model_check_title(t, NULL), TOCK_EINVAL);
}

static void
test_model_title_accepts(void **state)
{
	title_ok("a");
	title_ok("Buy milk");
	title_ok("  padded  ");
	title_ok("caf\xc3\xa9 \xe6\xbc\xa2\xe5\xad\x97 \xf0\x9f\x8e\x89");
	title_ok("100% \"quoted\" \\ and 'ticks'");
}

static void
test_model_title_empty_and_blank(void **state)
{
	title_bad("", "title is empty");
	title_bad(" ", "title is empty");
	title_bad("          ", "title is empty");
	/* A tab is not a blank here but a control character. */
	title_bad("\t", "title contains a control character");
	title_bad(" \t ", "title contains a control character");
}

static void
test_model_title_length_in_code_points(void **state)
{
	/* 1-, 2-, 3- and 4-byte characters: 200 fit, 201 do not. */
	static const char *const chars[] = {
		"x", "\xc3\xa9", "\xe6\xbc\xa2", "\xf0\x9f\x8e\x89",
	};
	size_t i;

	for (i = 0; i < sizeof chars / sizeof chars[0]; i++) {
		char *ok = repeat(chars[i], TASK_TITLE_MAX);
		char *bad = repeat(chars[i], TASK_TITLE_MAX + 1);

		title_ok(ok);
		if (i < 3)
			title_bad(bad, "title is too long (201 characters, "
			    "at most 200)");
		else
			/* 804 bytes: past the byte bound already. */
			title_bad(bad, "title is too long (more than 200 "
			    "characters)");
		free(ok);
		free(bad);
	}
}

static void
test_model_title_length_mixed(void **state)
{
	char *a = repeat("\xc3\xa9", 199);
	char *s = xasprintf("%s\xf0\x9f\x8e\x89", a);	/* 200 code points */
	char *t = xasprintf("%sx", s);			/* 201 */

	title_ok(s);
	title_bad(t, "title is too long (201 characters, at most 200)");
	free(a);
	free(s);
	free(t);
	/* Blanks count as characters too. */
	a = repeat(" ", 200);
	s = xasprintf("%sx", a);
	title_bad(s, "title is too long (201 characters, at most 200)");
	free(a);
	free(s);
	/* Very long ASCII input is refused without counting further. */
	a = repeat("y", 5000);
	title_bad(a, "title is too long (more than 200 characters)");
	free(a);
}

static void
test_model_title_invalid_utf8(void **state)
{
	title_bad("abc\xff", "title is not valid UTF-8");
	title_bad("\xc3", "title is not valid UTF-8");		/* cut */
	title_bad("\xe2\x82", "title is not valid UTF-8");	/* cut */
	title_bad("\xc0\xaf", "title is not valid UTF-8");	/* overlong */
	title_bad("\xed\xa0\x80", "title is not valid UTF-8");	/* surrogate */
	title_bad("\xf4\x90\x80\x80", "title is not valid UTF-8"); /* >10FFFF */
	title_bad("\x80 lone continuation", "title is not valid UTF-8");
}

static void
test_model_title_control_chars(void **state)
{
	static const char *const bad[] = {
		"a\nb", "a\rb", "a\tb", "\x01", "x\x1f", "x\x7f", "\x1b[31mred",
	};
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		title_bad(bad[i], "title contains a control character");
}

static void
test_model_check_text(void **state)
{
	struct tock_err err = TOCK_ERR_INIT;

	assert_int_equal(model_check_text("note", "", 10, &err), 0);
	assert_int_equal(model_check_text("note", "0123456789", 10, &err), 0);
	/* Free text may hold newlines and tabs. */
	assert_int_equal(model_check_text("note", "a\nb\tc", 10, &err), 0);
	assert_int_equal(err.code, 0);
	assert_int_equal(model_check_text("description", "0123456789A", 10,
	    &err), TOCK_EINVAL);
	assert_string_equal(err.msg,
	    "description is too long (11 bytes, at most 10)");
	/* The limit is in bytes: 6 two-byte characters are 12. */
	assert_int_equal(model_check_text("note",
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 10, &err),
	    TOCK_EINVAL);
	assert_string_equal(err.msg, "note is too long (12 bytes, at most 10)");
	assert_int_equal(model_check_text("comment", "ok\xfe", 10, &err),
	    TOCK_EINVAL);
	assert_string_equal(err.msg, "comment is not valid UTF-8");
}

static void
tag_ok(const char *t)
{
	if (model_check_tag(t, NULL) != 0)
		fail_msg("tag '%s' rejected", t);
}

static void
tag_bad(const char *t, const char *msg)
{
	struct tock_err err = TOCK_ERR_INIT;

	if (model_check_tag(t, &err) != TOCK_EINVAL)
		fail_msg("tag '%s' accepted", t);
	if (strcmp(err.msg, msg) != 0)
		fail_msg("tag '%s': message '%s', want '%s'", t, err.msg, msg);
}

static void
test_model_tags(void **state)
{
	char *s;

	tag_ok("work");
	tag_ok("x");
	tag_ok("x+");
	tag_ok("a-b_c.d/e");
	tag_ok("\xc3\xbc" "ber");
	tag_ok("\xe6\xbc\xa2\xe5\xad\x97");
	tag_bad("", "empty tag");
	tag_bad("+x", "tag '+x' must not start with '+'");
	tag_bad("-x", "tag '-x' must not start with '-'");
	tag_bad("a b", "tag 'a b' contains a blank, comma or control "
	    "character");
	tag_bad("a,b", "tag 'a,b' contains a blank, comma or control "
	    "character");
	tag_bad("a\tb", "tag 'a\tb' contains a blank, comma or control "
	    "character");
	tag_bad(" x", "tag ' x' contains a blank, comma or control "
	    "character");
	tag_bad("x\xff", "tag is not valid UTF-8");
	/* 64 bytes fit, 65 do not, whatever the characters. */
	s = repeat("t", TAG_MAX);
	tag_ok(s);
	free(s);
	s = repeat("t", TAG_MAX + 1);
	tag_bad(s, "tag is too long (65 bytes, at most 64)");
	free(s);
	s = repeat("\xc3\xa9", TAG_MAX / 2);
	tag_ok(s);
	free(s);
	s = repeat("\xc3\xa9", TAG_MAX / 2 + 1);
	tag_bad(s, "tag is too long (66 bytes, at most 64)");
	free(s);
}

static void
test_model_meta_keys(void **state)
{
	struct tock_err err = TOCK_ERR_INIT;
	static const char *const good[] = {
		"priority", "tags", "a", "A_b-C9", "_", "-", "0",
	};
	static const char *const bad[] = {
		"a.b", "a b", "a/b", "$x", "\xc3\xa9", "a\"b", "tab\t",
		"x'y", "k[0]",
	};
	size_t i;
	char *s;

	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		if (model_check_meta_key(good[i], NULL) != 0)
			fail_msg("key '%s' rejected", good[i]);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (model_check_meta_key(bad[i], &err) != TOCK_EINVAL)
			fail_msg("key '%s' accepted", bad[i]);
		assert_non_null(strstr(err.msg, "may hold only letters"));
	}
	assert_int_equal(model_check_meta_key("", &err), TOCK_EINVAL);
	assert_string_equal(err.msg,
	    "metadata key '' must be 1 to 64 characters");
	s = repeat("k", META_KEY_MAX);
	assert_int_equal(model_check_meta_key(s, &err), 0);
	free(s);
	s = repeat("k", META_KEY_MAX + 1);
	assert_int_equal(model_check_meta_key(s, &err), TOCK_EINVAL);
	assert_non_null(strstr(err.msg, "must be 1 to 64 characters"));
	free(s);
}

static void
test_model_status_names(void **state)
{
	enum task_status st;

	assert_string_equal(task_status_name(TASK_TODO), "todo");
	assert_string_equal(task_status_name(TASK_IN_PROGRESS), "in_progress");
	assert_string_equal(task_status_name(TASK_DONE), "done");
	assert_string_equal(task_status_name(TASK_CANCELLED), "cancelled");
	/* Every name parses back to its status. */
	for (st = TASK_TODO; st <= TASK_CANCELLED; st++) {
		enum task_status out = (enum task_status)-1;

		assert_int_equal(task_status_parse(&out, task_status_name(st),
		    NULL), 0);
		assert_int_equal(out, st);
	}
	assert_true(task_status_open(TASK_TODO));
	assert_true(task_status_open(TASK_IN_PROGRESS));
	assert_false(task_status_open(TASK_DONE));
	assert_false(task_status_open(TASK_CANCELLED));
}

static void
test_model_status_parse(void **state)
{
	static const struct {
		const char *s;
		enum task_status st;
	} ok[] = {
		{ "todo", TASK_TODO },
		{ "in_progress", TASK_IN_PROGRESS },
		{ "in-progress", TASK_IN_PROGRESS },
		{ "doing", TASK_IN_PROGRESS },
		{ "done", TASK_DONE },
		{ "cancelled", TASK_CANCELLED },
		{ "canceled", TASK_CANCELLED },
	};
	static const char *const bad[] = {
		"", "Done", "TODO", "in progress", "todo ", " todo", "don",
		"cancel", "open", "closed",
	};
	struct tock_err err = TOCK_ERR_INIT;
	enum task_status st;
	size_t i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		st = TASK_DONE + 1;
		assert_int_equal(task_status_parse(&st, ok[i].s, &err), 0);
		assert_int_equal(st, ok[i].st);
	}
	assert_int_equal(err.code, 0);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *want = xasprintf("invalid status '%s' (use todo, "
		    "in_progress, done or cancelled)", bad[i]);

		st = TASK_CANCELLED;
		if (task_status_parse(&st, bad[i], &err) != TOCK_EINVAL)
			fail_msg("status '%s' accepted", bad[i]);
		/* Untouched on failure. */
		assert_int_equal(st, TASK_CANCELLED);
		assert_string_equal(err.msg, want);
		free(want);
	}
}

static void
test_model_fieldset_add_and_get(void **state)
{
	struct fieldset fs = FIELDSET_INIT;
	const struct field *f;

	assert_int_equal(fs.n, 0);
	assert_null(fieldset_get(&fs, "title"));
	fieldset_text(&fs, "title", "T");
	fieldset_int(&fs, "created_at", 1234567890123LL);
	fieldset_bool(&fs, "deleted", true);
	fieldset_json(&fs, "metadata.tags", "[\"a\"]");
	fieldset_null(&fs, "due_date");
	fieldset_text(&fs, "assignee_id", NULL);
	fieldset_json(&fs, "metadata.x", NULL);
	assert_int_equal(fs.n, 7);

	/* Insertion order is kept. */
	assert_string_equal(fs.f[0].name, "title");
	assert_string_equal(fs.f[1].name, "created_at");
	assert_string_equal(fs.f[6].name, "metadata.x");

	f = fieldset_get(&fs, "title");
	assert_ptr_equal(f, &fs.f[0]);
	assert_int_equal(f->type, FIELD_TEXT);
	assert_string_equal(f->text, "T");
	f = fieldset_get(&fs, "created_at");
	assert_int_equal(f->type, FIELD_INT);
	assert_int_equal(f->num, 1234567890123LL);
	f = fieldset_get(&fs, "deleted");
	assert_int_equal(f->type, FIELD_BOOL);
	assert_int_equal(f->num, 1);
	f = fieldset_get(&fs, "metadata.tags");
	assert_int_equal(f->type, FIELD_JSON);
	assert_string_equal(f->text, "[\"a\"]");
	assert_int_equal(fieldset_get(&fs, "due_date")->type, FIELD_NULL);
	/* NULL text or JSON means null. */
	assert_int_equal(fieldset_get(&fs, "assignee_id")->type, FIELD_NULL);
	assert_int_equal(fieldset_get(&fs, "metadata.x")->type, FIELD_NULL);
	/* Names match exactly. */
	assert_null(fieldset_get(&fs, "Title"));
	assert_null(fieldset_get(&fs, "metadata"));
	assert_null(fieldset_get(&fs, "metadata.tag"));
}

static void
test_model_fieldset_replace_in_place(void **state)
{
	struct fieldset fs = FIELDSET_INIT;
	const struct field *f;
	static const char v1[] = "one", v2[] = "two";

	fieldset_text(&fs, "a", v1);
	fieldset_text(&fs, "b", v1);
	fieldset_text(&fs, "c", v1);
	/* Same name: same slot, new value, count unchanged. */
	fieldset_text(&fs, "b", v2);
	assert_int_equal(fs.n, 3);
	assert_string_equal(fs.f[1].name, "b");
	assert_ptr_equal(fs.f[1].text, v2);
	/* The type may change on replace, any direction. */
	fieldset_int(&fs, "b", -5);
	assert_int_equal(fs.n, 3);
	f = fieldset_get(&fs, "b");
	assert_ptr_equal(f, &fs.f[1]);
	assert_int_equal(f->type, FIELD_INT);
	assert_int_equal(f->num, -5);
	fieldset_null(&fs, "b");
	assert_int_equal(fieldset_get(&fs, "b")->type, FIELD_NULL);
	fieldset_bool(&fs, "b", false);
	assert_int_equal(fieldset_get(&fs, "b")->type, FIELD_BOOL);
	assert_int_equal(fieldset_get(&fs, "b")->num, 0);
	fieldset_json(&fs, "b", "{}");
	assert_int_equal(fieldset_get(&fs, "b")->type, FIELD_JSON);
	assert_string_equal(fieldset_get(&fs, "b")->text, "{}");
	fieldset_text(&fs, "b", v1);
	assert_int_equal(fieldset_get(&fs, "b")->type, FIELD_TEXT);
	assert_ptr_equal(fieldset_get(&fs, "b")->text, v1);
	fieldset_text(&fs, "b", NULL);
	assert_int_equal(fieldset_get(&fs, "b")->type, FIELD_NULL);
	/* Neighbours untouched. */
	assert_ptr_equal(fieldset_get(&fs, "a")->text, v1);
	assert_ptr_equal(fieldset_get(&fs, "c")->text, v1);
	assert_int_equal(fs.n, 3);
}

static void
test_model_fieldset_full(void **state)
{
	struct fieldset fs = FIELDSET_INIT;
	char name[80];
	int i;

	for (i = 0; i < FIELDSET_MAX; i++) {
		snprintf(name, sizeof name, "metadata.k%d", i);
		fieldset_int(&fs, name, i);
	}
	assert_int_equal(fs.n, FIELDSET_MAX);
	/* Replacing in a full set is fine. */
	fieldset_int(&fs, "metadata.k7", 700);
	assert_int_equal(fs.n, FIELDSET_MAX);
	for (i = 0; i < FIELDSET_MAX; i++) {
		snprintf(name, sizeof name, "metadata.k%d", i);
		assert_int_equal(fieldset_get(&fs, name)->num,
		    i == 7 ? 700 : i);
	}
	/* The longest name that fits: 79 characters. */
	memset(name, 'n', 79);
	name[79] = '\0';
	fs.n = 0;
	fieldset_text(&fs, name, "v");
	assert_string_equal(fs.f[0].name, name);
	assert_non_null(fieldset_get(&fs, name));
}

static void
test_model_free_functions(void **state)
{
	struct task *t = xcalloc(1, sizeof *t);
	struct entry *e = xcalloc(1, sizeof *e);
	struct comment *c = xcalloc(1, sizeof *c);

	/* NULL is fine, and so are partly filled objects. */
	task_free(NULL);
	entry_free(NULL);
	comment_free(NULL);
	t->title = xstrdup("t");
	t->metadata = xstrdup("{}");
	t->assignee_name = xstrdup("n");
	task_free(t);
	e->notes = xstrdup("n");
	e->task_title = xstrdup("t");
	entry_free(e);
	c->body = xstrdup("b");
	comment_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_title_accepts),
		cmocka_unit_test(test_model_title_empty_and_blank),
		cmocka_unit_test(test_model_title_length_in_code_points),
		cmocka_unit_test(test_model_title_length_mixed),
		cmocka_unit_test(test_model_title_invalid_utf8),
		cmocka_unit_test(test_model_title_control_chars),
		cmocka_unit_test(test_model_check_text),
		cmocka_unit_test(test_model_tags),
		cmocka_unit_test(test_model_meta_keys),
		cmocka_unit_test(test_model_status_names),
		cmocka_unit_test(test_model_status_parse),
		cmocka_unit_test(test_model_fieldset_add_and_get),
		cmocka_unit_test(test_model_fieldset_replace_in_place),
		cmocka_unit_test(test_model_fieldset_full),
		cmocka_unit_test(test_model_free_functions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
