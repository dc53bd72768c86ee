/*
 * test_strbuf.c - unit tests of common/strbuf.c: growth through add, addch,
 * addstr and addf; the NUL-termination invariant after every call; the
 * optional maximum (TOCK_ETOOBIG with the buffer left exactly as it was);
 * detach, release, reset and setlen; and JSON string escaping (quotes,
 * backslash, every control character, UTF-8 passed through untouched).
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
#include "strbuf.h"

/* The invariants of strbuf.h that hold after every call. */
static void
check_invariants(const struct strbuf *sb)
{
	assert_non_null(sb->buf);
	assert_int_equal(sb->buf[sb->len], '\0');
	if (sb->alloc == 0) {
		assert_ptr_equal(sb->buf, strbuf_slopbuf);
		assert_int_equal(sb->len, 0);
	} else
		assert_true(sb->len < sb->alloc);
	if (sb->max > 0)
		assert_true(sb->len <= sb->max);
}

/* A snapshot to prove that a failed call left the buffer alone. */
struct snap {
	char *buf;
	char *copy;
	size_t len;
	size_t alloc;
	size_t max;
};

static void
snap_take(struct snap *s, const struct strbuf *sb)
{
	s->buf = sb->buf;
	s->len = sb->len;
	s->alloc = sb->alloc;
	s->max = sb->max;
	s->copy = malloc(sb->len + 1);
	assert_non_null(s->copy);
	memcpy(s->copy, sb->buf, sb->len + 1);
}

static void
snap_check_free(struct snap *s, const struct strbuf *sb)
{
	assert_ptr_equal(sb->buf, s->buf);
	assert_int_equal(sb->len, s->len);
	assert_int_equal(sb->alloc, s->alloc);
	assert_int_equal(sb->max, s->max);
	assert_memory_equal(sb->buf, s->copy, s->len + 1);
	free(s->copy);
	s->copy = NULL;
}

/* The JSON literal strbuf_add_json_str makes of s. */
static void
json_is(const char *s, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(strbuf_add_json_str(&sb, s), 0);
	check_invariants(&sb);
	if (strcmp(sb.buf, want) != 0)
		fail_msg("json of '%s' = '%s', want '%s'", s, sb.buf, want);
	assert_int_equal(sb.len, strlen(want));
	strbuf_release(&sb);
}

static void
test_strbuf_init_is_empty_string(void **state)
{
	struct strbuf a = STRBUF_INIT, b;

	check_invariants(&a);
	assert_string_equal(a.buf, "");
	assert_int_equal(a.max, 0);
	strbuf_init(&b, 17);
	check_invariants(&b);
	assert_ptr_equal(b.buf, strbuf_slopbuf);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
	assert_int_equal(b.max, 17);
	/* Releasing a buffer that never allocated is harmless. */
	strbuf_release(&a);
	strbuf_release(&b);
	check_invariants(&a);
	assert_int_equal(b.max, 17);
	assert_string_equal(strbuf_slopbuf, "");
}

static void
test_strbuf_addch_grows_one_at_a_time(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < 5000; i++) {
		assert_int_equal(strbuf_addch(&sb, 'a' + (int)(i % 26)), 0);
		assert_int_equal(sb.len, i + 1);
		check_invariants(&sb);
	}
	for (i = 0; i < 5000; i++)
		assert_int_equal(sb.buf[i], 'a' + (int)(i % 26));
	assert_int_equal(strlen(sb.buf), 5000);
	strbuf_release(&sb);
	check_invariants(&sb);
}

static void
test_strbuf_add_binary_and_empty(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	static const char bin[] = { 'x', '\0', 'y', '\0' };

	/* Adding nothing still leaves a valid empty string. */
	assert_int_equal(strbuf_add(&sb, "", 0), 0);
	check_invariants(&sb);
	assert_int_equal(sb.len, 0);
	assert_string_equal(sb.buf, "");

	assert_int_equal(strbuf_add(&sb, bin, sizeof bin), 0);
	check_invariants(&sb);
	assert_int_equal(sb.len, 4);
	assert_memory_equal(sb.buf, bin, 4);
	assert_int_equal(sb.buf[4], '\0');

	assert_int_equal(strbuf_addstr(&sb, "tail"), 0);
	assert_int_equal(sb.len, 8);
	assert_memory_equal(sb.buf + 4, "tail", 5);
	strbuf_release(&sb);
}

static void
test_strbuf_add_large_chunks(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	size_t chunk = 100000, i, total = 0;
	char *data = malloc(chunk);

	assert_non_null(data);
	for (i = 0; i < chunk; i++)
		data[i] = (char)('A' + (int)(i % 7));
	for (i = 0; i < 20; i++) {
		assert_int_equal(strbuf_add(&sb, data, chunk - i), 0);
		total += chunk - i;
		assert_int_equal(sb.len, total);
		check_invariants(&sb);
	}
	/* Spot-check the joins between the chunks. */
	assert_memory_equal(sb.buf, data, chunk);
	assert_memory_equal(sb.buf + chunk, data, chunk - 1);
	assert_int_equal(sb.buf[total - 1], data[chunk - 20]);
	free(data);
	strbuf_release(&sb);
}

static void
test_strbuf_addf_formats_and_grows(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char *big;

	assert_int_equal(strbuf_addf(&sb, "%s", ""), 0);
	check_invariants(&sb);
	assert_string_equal(sb.buf, "");
	assert_int_equal(strbuf_addf(&sb, "%d-%s-%05.1f|%c", -42, "x", 3.25,
	    'z'), 0);
	assert_string_equal(sb.buf, "-42-x-003.2|z");
	assert_int_equal(sb.len, strlen("-42-x-003.2|z"));
	check_invariants(&sb);
	assert_int_equal(strbuf_addf(&sb, "%lld", (long long)INT64_MIN), 0);
	assert_string_equal(sb.buf, "-42-x-003.2|z-9223372036854775808");

	/* One formatted piece much larger than the first allocation. */
	strbuf_reset(&sb);
	assert_int_equal(strbuf_addf(&sb, "[%*s]", 10000, "r"), 0);
	assert_int_equal(sb.len, 10002);
	check_invariants(&sb);
	assert_int_equal(sb.buf[0], '[');
	assert_int_equal(sb.buf[1], ' ');
	assert_int_equal(sb.buf[10000], 'r');
	assert_int_equal(sb.buf[10001], ']');

	/* addf appends to what is there. */
	big = malloc(5001);
	assert_non_null(big);
	memset(big, 'q', 5000);
	big[5000] = '\0';
	assert_int_equal(strbuf_addf(&sb, "%s!", big), 0);
	assert_int_equal(sb.len, 15003);
	assert_int_equal(sb.buf[10002], 'q');
	assert_int_equal(sb.buf[15001], 'q');
	assert_int_equal(sb.buf[15002], '!');
	check_invariants(&sb);
	free(big);
	strbuf_release(&sb);
}

static void
test_strbuf_max_allows_exactly_max(void **state)
{
	struct strbuf sb;

	strbuf_init(&sb, 10);
	assert_int_equal(strbuf_addstr(&sb, "12345"), 0);
	assert_int_equal(strbuf_addf(&sb, "%d", 6789), 0);
	assert_int_equal(strbuf_addch(&sb, '0'), 0);
	assert_int_equal(sb.len, 10);
	assert_string_equal(sb.buf, "1234567890");
	check_invariants(&sb);
	/* Full: even an empty add is fine, one more byte is not. */
	assert_int_equal(strbuf_add(&sb, "", 0), 0);
	assert_int_equal(strbuf_addch(&sb, 'x'), TOCK_ETOOBIG);
	assert_string_equal(sb.buf, "1234567890");
	strbuf_release(&sb);
	assert_int_equal(sb.max, 10);
}

static void
test_strbuf_max_failure_leaves_buffer_unchanged(void **state)
{
	struct strbuf sb;
	struct snap s;

	strbuf_init(&sb, 8);
	assert_int_equal(strbuf_addstr(&sb, "abcdef"), 0);

	snap_take(&s, &sb);
	assert_int_equal(strbuf_add(&sb, "xyz", 3), TOCK_ETOOBIG);
	snap_check_free(&s, &sb);

	snap_take(&s, &sb);
	assert_int_equal(strbuf_addstr(&sb, "123456789"), TOCK_ETOOBIG);
	snap_check_free(&s, &sb);

	snap_take(&s, &sb);
	assert_int_equal(strbuf_addf(&sb, "%d", 100), TOCK_ETOOBIG);
	snap_check_free(&s, &sb);

	/* '""' just fits (6 + 2 = 8); take it back by hand. */
	assert_int_equal(strbuf_add_json_str(&sb, ""), 0);
	assert_string_equal(sb.buf, "abcdef\"\"");
	strbuf_setlen(&sb, 6);

	snap_take(&s, &sb);
	assert_int_equal(strbuf_add_json_str(&sb, "a"), TOCK_ETOOBIG);
	snap_check_free(&s, &sb);

	/* Still usable after the failures. */
	assert_int_equal(strbuf_addstr(&sb, "gh"), 0);
	assert_string_equal(sb.buf, "abcdefgh");
	check_invariants(&sb);
	strbuf_release(&sb);
}

static void
test_strbuf_max_on_unallocated_buffer(void **state)
{
	struct strbuf sb;

	/* A failing first add must not allocate or touch the slop buffer. */
	strbuf_init(&sb, 3);
	assert_int_equal(strbuf_addstr(&sb, "four"), TOCK_ETOOBIG);
	assert_int_equal(strbuf_addf(&sb, "%s", "four"), TOCK_ETOOBIG);
	assert_ptr_equal(sb.buf, strbuf_slopbuf);
	assert_int_equal(sb.alloc, 0);
	assert_int_equal(sb.len, 0);
	assert_string_equal(strbuf_slopbuf, "");
	/* A JSON literal that does not fit rolls back to the empty string. */
	assert_int_equal(strbuf_add_json_str(&sb, "ab"), TOCK_ETOOBIG);
	assert_int_equal(sb.len, 0);
	assert_string_equal(sb.buf, "");
	check_invariants(&sb);
	strbuf_release(&sb);
}

static void
test_strbuf_json_escape_rolls_back_midway(void **state)
{
	struct strbuf sb;
	struct snap s;

	/* Fails on the escape of the control character, after the quote
	 * and three characters went in: all of it must be taken back. */
	strbuf_init(&sb, 10);
	assert_int_equal(strbuf_addstr(&sb, "k:"), 0);
	snap_take(&s, &sb);
	assert_int_equal(strbuf_add_json_str(&sb, "abc\x01"), TOCK_ETOOBIG);
	snap_check_free(&s, &sb);
	/* Fails in the middle of plain characters. */
	snap_take(&s, &sb);
	assert_int_equal(strbuf_add_json_str(&sb, "abcdefghi"), TOCK_ETOOBIG);
	snap_check_free(&s, &sb);
	/* Fails on the closing quote only. */
	snap_take(&s, &sb);
	assert_int_equal(strbuf_add_json_str(&sb, "abcdefg"), TOCK_ETOOBIG);
	snap_check_free(&s, &sb);
	/* Exactly fits: 2 + 1 + 6 + 1. */
	assert_int_equal(strbuf_add_json_str(&sb, "abcdef"), 0);
	assert_string_equal(sb.buf, "k:\"abcdef\"");
	strbuf_release(&sb);
}

static void
test_strbuf_huge_add_is_too_big(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(strbuf_addstr(&sb, "keep"), 0);
	/* A length that cannot be allocated: refused before any copy. */
	assert_int_equal(strbuf_add(&sb, "x", SIZE_MAX), TOCK_ETOOBIG);
	assert_int_equal(strbuf_add(&sb, "x", SIZE_MAX / 2), TOCK_ETOOBIG);
	assert_string_equal(sb.buf, "keep");
	assert_int_equal(sb.len, 4);
	strbuf_release(&sb);
}

static void
test_strbuf_detach(void **state)
{
	struct strbuf sb;
	size_t len = 99;
	char *p;

	strbuf_init(&sb, 100);
	assert_int_equal(strbuf_addstr(&sb, "hello"), 0);
	p = strbuf_detach(&sb, &len);
	assert_string_equal(p, "hello");
	assert_int_equal(len, 5);
	free(p);
	/* Re-inited, with the maximum kept. */
	assert_ptr_equal(sb.buf, strbuf_slopbuf);
	assert_int_equal(sb.len, 0);
	assert_int_equal(sb.alloc, 0);
	assert_int_equal(sb.max, 100);

	/* Detaching a never-allocated buffer still gives a free()able "". */
	len = 99;
	p = strbuf_detach(&sb, &len);
	assert_non_null(p);
	assert_ptr_not_equal(p, strbuf_slopbuf);
	assert_string_equal(p, "");
	assert_int_equal(len, 0);
	free(p);

	/* len may be NULL; the buffer is reusable afterwards. */
	assert_int_equal(strbuf_addstr(&sb, "again"), 0);
	p = strbuf_detach(&sb, NULL);
	assert_string_equal(p, "again");
	free(p);
	assert_int_equal(strbuf_addch(&sb, 'z'), 0);
	assert_string_equal(sb.buf, "z");
	strbuf_release(&sb);
}

static void
test_strbuf_reset_and_setlen(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	size_t alloc;
	char *buf;

	/* Reset of an unallocated buffer must not write the slop buffer. */
	strbuf_reset(&sb);
	check_invariants(&sb);
	assert_ptr_equal(sb.buf, strbuf_slopbuf);

	assert_int_equal(strbuf_addstr(&sb, "abcdef"), 0);
	alloc = sb.alloc;
	buf = sb.buf;
	strbuf_setlen(&sb, 3);
	assert_string_equal(sb.buf, "abc");
	assert_int_equal(sb.len, 3);
	check_invariants(&sb);
	strbuf_setlen(&sb, 3);
	assert_string_equal(sb.buf, "abc");
	strbuf_reset(&sb);
	assert_string_equal(sb.buf, "");
	assert_int_equal(sb.len, 0);
	/* Reset keeps the allocation for reuse. */
	assert_int_equal(sb.alloc, alloc);
	assert_ptr_equal(sb.buf, buf);
	assert_int_equal(strbuf_addstr(&sb, "xy"), 0);
	assert_string_equal(sb.buf, "xy");
	strbuf_release(&sb);
	check_invariants(&sb);
	assert_int_equal(strbuf_addstr(&sb, "after release"), 0);
	assert_string_equal(sb.buf, "after release");
	strbuf_release(&sb);
}

static void
test_strbuf_json_escapes_specials(void **state)
{
	json_is("", "\"\"");
	json_is("plain", "\"plain\"");
	json_is("say \"hi\"", "\"say \\\"hi\\\"\"");
	json_is("C:\\dir\\", "\"C:\\\\dir\\\\\"");
	json_is("\\\"", "\"\\\\\\\"\"");
	json_is("a\nb\rc\td", "\"a\\nb\\rc\\td\"");
	json_is("/", "\"/\"");
	/* DEL is not a JSON control character. */
	json_is("\x7f", "\"\x7f\"");
}

static void
test_strbuf_json_escapes_all_controls(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char in[2], want[16];
	int c;

	for (c = 1; c < 0x20; c++) {
		in[0] = (char)c;
		in[1] = '\0';
		if (c == '\n')
			snprintf(want, sizeof want, "\"\\n\"");
		else if (c == '\r')
			snprintf(want, sizeof want, "\"\\r\"");
		else if (c == '\t')
			snprintf(want, sizeof want, "\"\\t\"");
		else
			snprintf(want, sizeof want, "\"\\u%04x\"", c);
		strbuf_reset(&sb);
		assert_int_equal(strbuf_add_json_str(&sb, in), 0);
		if (strcmp(sb.buf, want) != 0)
			fail_msg("json of 0x%02x = '%s', want '%s'", c, sb.buf,
			    want);
	}
	strbuf_reset(&sb);
	assert_int_equal(strbuf_add_json_str(&sb, "\x01\x1f\x08\x0c"), 0);
	assert_string_equal(sb.buf, "\"\\u0001\\u001f\\u0008\\u000c\"");
	strbuf_release(&sb);
}

static void
test_strbuf_json_passes_utf8_through(void **state)
{
	/* é, 漢, 🎉, U+2028 and U+FFFF stay raw bytes, never \u escapes. */
	json_is("caf\xc3\xa9", "\"caf\xc3\xa9\"");
	json_is("\xe6\xbc\xa2\xe5\xad\x97", "\"\xe6\xbc\xa2\xe5\xad\x97\"");
	json_is("\xf0\x9f\x8e\x89!", "\"\xf0\x9f\x8e\x89!\"");
	json_is("\xe2\x80\xa8", "\"\xe2\x80\xa8\"");
	json_is("\xef\xbf\xbf", "\"\xef\xbf\xbf\"");
	json_is("\xc3\xa9\"\xc3\xa9", "\"\xc3\xa9\\\"\xc3\xa9\"");
}

static void
test_strbuf_json_appends(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(strbuf_addch(&sb, '{'), 0);
	assert_int_equal(strbuf_add_json_str(&sb, "k"), 0);
	assert_int_equal(strbuf_addch(&sb, ':'), 0);
	assert_int_equal(strbuf_add_json_str(&sb, "v\"1"), 0);
	assert_int_equal(strbuf_addch(&sb, '}'), 0);
	assert_string_equal(sb.buf, "{\"k\":\"v\\\"1\"}");
	check_invariants(&sb);
	strbuf_release(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strbuf_init_is_empty_string),
		cmocka_unit_test(test_strbuf_addch_grows_one_at_a_time),
		cmocka_unit_test(test_strbuf_add_binary_and_empty),
		cmocka_unit_test(test_strbuf_add_large_chunks),
		cmocka_unit_test(test_strbuf_addf_formats_and_grows),
		cmocka_unit_test(test_strbuf_max_allows_exactly_max),
		cmocka_unit_test(test_strbuf_max_failure_leaves_buffer_unchanged),
		cmocka_unit_test(test_strbuf_max_on_unallocated_buffer),
		cmocka_unit_test(test_strbuf_json_escape_rolls_back_midway),
		cmocka_unit_test(test_strbuf_huge_add_is_too_big),
		cmocka_unit_test(test_strbuf_detach),
		cmocka_unit_test(test_strbuf_reset_and_setlen),
		cmocka_unit_test(test_strbuf_json_escapes_specials),
		cmocka_unit_test(test_strbuf_json_escapes_all_controls),
		cmocka_unit_test(test_strbuf_json_passes_utf8_through),
		cmocka_unit_test(test_strbuf_json_appends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
