/*
 * test_text.c - unit tests of common/text.c: UTF-8 validation, one case
 * per rejection class, and column widths and fitting with wide and
 * combining characters at the cut.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdbool.h>
#include <string.h>

#include "err.h"
#include "strbuf.h"
#include "text.h"

/* Validity of a whole string literal (which may contain NUL). */
#define VALID(lit)	text_utf8_valid((lit), sizeof (lit) - 1)

static void
fit_is(const char *s, int cols, bool pad, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(text_add_fit(&sb, s, cols, pad), 0);
	if (strcmp(sb.buf, want) != 0)
		fail_msg("text_add_fit('%s', %d, %d) = '%s', want '%s'", s,
		    cols, pad, sb.buf, want);
	strbuf_release(&sb);
}

static void
test_text_utf8_valid_accepts(void **state)
{
	assert_true(VALID(""));
	assert_true(VALID("plain ascii, with punctuation!~"));
	assert_true(VALID("\x7f"));
	assert_true(VALID("\xc2\x80"));			/* U+0080 */
	assert_true(VALID("caf\xc3\xa9"));		/* café */
	assert_true(VALID("\xdf\xbf"));			/* U+07FF */
	assert_true(VALID("\xe0\xa0\x80"));		/* U+0800 */
	assert_true(VALID("\xe2\x82\xac"));		/* € */
	assert_true(VALID("\xed\x9f\xbf"));		/* U+D7FF */
	assert_true(VALID("\xee\x80\x80"));		/* U+E000 */
	assert_true(VALID("\xef\xbf\xbf"));		/* U+FFFF */
	assert_true(VALID("\xf0\x90\x80\x80"));		/* U+10000 */
	assert_true(VALID("\xf0\x9f\x8e\x89"));		/* 🎉 */
	assert_true(VALID("\xf4\x8f\xbf\xbf"));		/* U+10FFFF */
	assert_true(VALID("漢字 한국어 ひらがな e\xcc\x81"));
	/* Only len bytes are looked at. */
	assert_true(text_utf8_valid("abc\xc3", 3));
	assert_true(text_utf8_valid("a\0b", 1));
	assert_true(text_utf8_valid(NULL, 0));
}

static void
test_text_utf8_rejects_overlong(void **state)
{
	assert_false(VALID("\xc0\x80"));		/* NUL in two bytes */
	assert_false(VALID("\xc0\xaf"));		/* '/' */
	assert_false(VALID("\xc1\xbf"));
	assert_false(VALID("\xe0\x80\x80"));
	assert_false(VALID("\xe0\x9f\xbf"));		/* U+07FF in three */
	assert_false(VALID("\xf0\x80\x80\x80"));
	assert_false(VALID("\xf0\x8f\xbf\xbf"));	/* U+FFFF in four */
	assert_false(VALID("\xf8\x80\x80\x80\x80"));	/* five bytes */
}

static void
test_text_utf8_rejects_surrogates(void **state)
{
	assert_false(VALID("\xed\xa0\x80"));		/* U+D800 */
	assert_false(VALID("\xed\xad\xbf"));		/* U+DB7F */
	assert_false(VALID("\xed\xb0\x80"));		/* U+DC00 */
	assert_false(VALID("\xed\xbf\xbf"));		/* U+DFFF */
	/* A CESU-8 pair for U+1F600 is two surrogates, not a character. */
	assert_false(VALID("\xed\xa0\xbd\xed\xb8\x80"));
}

static void
test_text_utf8_rejects_above_max(void **state)
{
	assert_false(VALID("\xf4\x90\x80\x80"));	/* U+110000 */
	assert_false(VALID("\xf4\xbf\xbf\xbf"));
	assert_false(VALID("\xf5\x80\x80\x80"));
	assert_false(VALID("\xf7\xbf\xbf\xbf"));	/* U+1FFFFF */
	assert_false(VALID("\xfc\x84\x80\x80\x80\x80"));
	assert_false(VALID("\xfe"));
	assert_false(VALID("\xff"));
}

static void
test_text_utf8_rejects_truncated(void **state)
{
	assert_false(VALID("\xc3"));
	assert_false(VALID("\xe2\x82"));
	assert_false(VALID("\xe2"));
	assert_false(VALID("\xf0\x9f\x8e"));
	assert_false(VALID("\xf0\x9f"));
	assert_false(VALID("abc\xe2\x82"));
	/* Cut by len in the middle of a character. */
	assert_false(text_utf8_valid("\xc3\xa9", 1));
	assert_false(text_utf8_valid("\xf0\x9f\x8e\x89", 3));
	/* A sequence interrupted by a non-continuation byte. */
	assert_false(VALID("\xc3" "A"));
	assert_false(VALID("\xe2\x28\xa1"));
	assert_false(VALID("\xe2\x82\x28"));
	assert_false(VALID("\xf0\x9f\x8e" "A"));
	assert_false(VALID("\xe2\x82\xe2\x82\xac"));
}

static void
test_text_utf8_rejects_stray_continuation(void **state)
{
	assert_false(VALID("\x80"));
	assert_false(VALID("\xbf"));
	assert_false(VALID("a\x80" "b"));
	assert_false(VALID("\xc3\xa9\xa9"));		/* one too many */
	assert_false(VALID("\xe2\x82\xac\x80"));
}

static void
test_text_utf8_rejects_nul(void **state)
{
	assert_false(VALID("\0"));
	assert_false(VALID("a\0b"));
	assert_false(VALID("abc\0"));
	assert_false(VALID("\xc3\xa9\0"));
}

static void
test_text_utf8_len(void **state)
{
	assert_int_equal(text_utf8_len(""), 0);
	assert_int_equal(text_utf8_len("abc"), 3);
	assert_int_equal(text_utf8_len("漢字"), 2);
	assert_int_equal(text_utf8_len("\xf0\x9f\x8e\x89"), 1);
	assert_int_equal(text_utf8_len("e\xcc\x81"), 2);
	assert_int_equal(text_utf8_len("caf\xc3\xa9"), 4);
	/* Bad bytes count one each, and a cut sequence stops at the NUL. */
	assert_int_equal(text_utf8_len("a\x80\x80" "b"), 4);
	assert_int_equal(text_utf8_len("a\xe2\x82"), 3);
}

static void
test_text_width_ascii(void **state)
{
	assert_int_equal(text_width(""), 0);
	assert_int_equal(text_width("a"), 1);
	assert_int_equal(text_width("hello, world"), 12);
	assert_int_equal(text_width(" ~"), 2);
	/* Controls take no column. */
	assert_int_equal(text_width("\t"), 0);
	assert_int_equal(text_width("a\nb"), 2);
	assert_int_equal(text_width("\x7f"), 0);
	assert_int_equal(text_width("\xc2\x85"), 0);	/* U+0085 NEL */
}

static void
test_text_width_wide(void **state)
{
	assert_int_equal(text_width("漢字"), 4);
	assert_int_equal(text_width("a漢b"), 4);
	assert_int_equal(text_width("한국어"), 6);
	assert_int_equal(text_width("ひらがな"), 8);
	assert_int_equal(text_width("カタカナ"), 8);
	assert_int_equal(text_width("\xe3\x80\x82"), 2);	/* 。 */
	assert_int_equal(text_width("\xef\xbc\xa1"), 2);	/* Ａ U+FF21 */
	assert_int_equal(text_width("\xef\xbd\xb1"), 1);	/* ｱ U+FF71 */
	assert_int_equal(text_width("\xf0\xa0\x80\x80"), 2);	/* U+20000 */
	/* Narrow letters from other scripts. */
	assert_int_equal(text_width("caf\xc3\xa9"), 4);
	assert_int_equal(text_width("\xce\xa9\xd0\x96"), 2);	/* ΩЖ */
	assert_int_equal(text_width("\xe2\x80\xa6"), 1);	/* … */
	assert_int_equal(text_width("\xc2\xa0"), 1);		/* NBSP */
}

static void
test_text_width_emoji(void **state)
{
	assert_int_equal(text_width("\xf0\x9f\x8e\x89"), 2);	/* 🎉 */
	assert_int_equal(text_width("\xf0\x9f\x98\x80"), 2);	/* 😀 */
	assert_int_equal(text_width("\xf0\x9f\x9a\x80"), 2);	/* 🚀 */
	assert_int_equal(text_width("\xf0\x9f\xa5\xb3"), 2);	/* 🥳 */
	assert_int_equal(text_width("\xf0\x9f\xab\xa0"), 2);	/* 🫠 */
	assert_int_equal(text_width("\xe2\x9c\x85"), 2);	/* ✅ */
	assert_int_equal(text_width("\xe2\x98\x95"), 2);	/* ☕ */
	assert_int_equal(text_width("\xe2\x9a\xa1"), 2);	/* ⚡ */
	assert_int_equal(text_width("\xe2\xad\x90"), 2);	/* ⭐ */
	/* Text-presentation symbols in the same blocks stay narrow. */
	assert_int_equal(text_width("\xe2\x98\x80"), 1);	/* ☀ */
	assert_int_equal(text_width("\xe2\x9d\xa4"), 1);	/* ❤ */
	assert_int_equal(text_width("\xe2\x9c\x93"), 1);	/* ✓ */
	/* ... and the emoji variation selector adds nothing. */
	assert_int_equal(text_width("\xe2\x9d\xa4\xef\xb8\x8f"), 1);
}

static void
test_text_width_combining(void **state)
{
	assert_int_equal(text_width("e\xcc\x81"), 1);		/* e + U+0301 */
	assert_int_equal(text_width("e\xcc\x81\xcc\xa3"), 1);
	assert_int_equal(text_width("\xcc\x81"), 0);
	assert_int_equal(text_width("a\xe2\x80\x8b" "b"), 2);	/* ZWSP */
	assert_int_equal(text_width("\xe2\x80\x8d"), 0);	/* ZWJ */
	assert_int_equal(text_width("\xe2\x83\x9d"), 0);	/* U+20DD */
	assert_int_equal(text_width("\xef\xb8\x8f"), 0);	/* VS16 */
	assert_int_equal(text_width("\xef\xbb\xbf"), 0);	/* BOM */
	/* Kana + voiced mark U+3099; Hangul initial + medial vowel. */
	assert_int_equal(text_width("\xe3\x81\x8b\xe3\x82\x99"), 2);
	assert_int_equal(text_width("\xe1\x84\x80\xe1\x85\xa1"), 2);
	/* Emoji joined with ZWJ: two wide pictographs, no joiner column. */
	assert_int_equal(
	    text_width("\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb"), 4);
}

static void
test_text_width_ignores_locale(void **state)
{
	setlocale(LC_ALL, "C");
	assert_int_equal(text_width("漢字"), 4);
	assert_int_equal(text_width("\xf0\x9f\x8e\x89"), 2);
	assert_int_equal(text_width("e\xcc\x81"), 1);
	if (setlocale(LC_ALL, "C.UTF-8") != NULL) {
		assert_int_equal(text_width("漢字"), 4);
		assert_int_equal(text_width("e\xcc\x81"), 1);
	}
	setlocale(LC_ALL, "C");
}

static void
test_text_width_invalid_input(void **state)
{
	/* Not meant for invalid text, but it must not hang or overrun. */
	assert_int_equal(text_width("\x80"), 1);
	assert_int_equal(text_width("a\xe2\x82"), 3);
	assert_int_equal(text_width("\xed\xa0\x80"), 3);
	assert_int_equal(text_width("\xf0\x9f\x8e"), 3);
}

static void
test_text_fit_ascii(void **state)
{
	fit_is("abc", 5, false, "abc");
	fit_is("abc", 5, true, "abc  ");
	fit_is("abcde", 5, false, "abcde");
	fit_is("abcde", 5, true, "abcde");
	fit_is("abcdef", 5, false, "abcd\xe2\x80\xa6");
	fit_is("abcdef", 5, true, "abcd\xe2\x80\xa6");
	fit_is("ab", 1, false, "\xe2\x80\xa6");
	fit_is("a", 1, false, "a");
	fit_is("", 3, true, "   ");
	fit_is("", 3, false, "");
	fit_is("abc", 0, true, "");
	fit_is("abc", -5, true, "");
}

static void
test_text_fit_wide_at_boundary(void **state)
{
	fit_is("漢字", 4, false, "漢字");
	fit_is("漢字", 5, true, "漢字 ");
	fit_is("漢字漢字", 5, false, "漢字\xe2\x80\xa6");
	/* 漢 would straddle the last column: dropped, not halved. */
	fit_is("漢字漢字", 4, false, "漢\xe2\x80\xa6");
	fit_is("漢字漢字", 4, true, "漢\xe2\x80\xa6 ");
	fit_is("漢字", 3, false, "漢\xe2\x80\xa6");
	fit_is("漢字", 2, false, "\xe2\x80\xa6");
	fit_is("漢字", 2, true, "\xe2\x80\xa6 ");
	fit_is("漢字", 1, true, "\xe2\x80\xa6");
	fit_is("a漢字", 4, false, "a漢\xe2\x80\xa6");
	fit_is("ab漢字", 4, false, "ab\xe2\x80\xa6");
	fit_is("ab漢字", 4, true, "ab\xe2\x80\xa6 ");
	fit_is("\xf0\x9f\x8e\x89\xf0\x9f\x8e\x89\xf0\x9f\x8e\x89", 5, false,
	    "\xf0\x9f\x8e\x89\xf0\x9f\x8e\x89\xe2\x80\xa6");
	fit_is("\xf0\x9f\x8e\x89\xf0\x9f\x8e\x89\xf0\x9f\x8e\x89", 4, true,
	    "\xf0\x9f\x8e\x89\xe2\x80\xa6 ");
}

static void
test_text_fit_combining(void **state)
{
	/* "ééé" written with combining accents is three columns. */
	fit_is("e\xcc\x81" "e\xcc\x81" "e\xcc\x81", 3, false,
	    "e\xcc\x81" "e\xcc\x81" "e\xcc\x81");
	/* A cut keeps the accent with its letter. */
	fit_is("e\xcc\x81" "e\xcc\x81" "e\xcc\x81", 2, false,
	    "e\xcc\x81\xe2\x80\xa6");
	fit_is("e\xcc\x81" "e\xcc\x81" "e\xcc\x81", 2, true,
	    "e\xcc\x81\xe2\x80\xa6");
}

static void
test_text_fit_appends(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "[");
	assert_int_equal(text_add_fit(&sb, "漢字漢字", 4, true), 0);
	strbuf_addstr(&sb, "|");
	assert_int_equal(text_add_fit(&sb, "ok", 4, true), 0);
	strbuf_addstr(&sb, "]");
	assert_string_equal(sb.buf, "[漢\xe2\x80\xa6 |ok  ]");
	strbuf_reset(&sb);
	/* Padding longer than any internal chunk. */
	assert_int_equal(text_add_fit(&sb, "a", 100, true), 0);
	assert_int_equal(sb.len, 100);
	assert_int_equal(text_width(sb.buf), 100);
	strbuf_release(&sb);
}

static void
test_text_fit_bounded_buffer(void **state)
{
	struct strbuf sb;

	strbuf_init(&sb, 8);
	assert_int_equal(strbuf_addstr(&sb, "ab"), 0);
	/* "abcdef" fits but its padding does not: nothing is kept. */
	assert_int_equal(text_add_fit(&sb, "abcdef", 10, true), TOCK_ETOOBIG);
	assert_string_equal(sb.buf, "ab");
	assert_int_equal(sb.len, 2);
	/* Fails at the ellipsis, after the text went in: rolled back. */
	assert_int_equal(text_add_fit(&sb, "abcdefgh", 6, false),
	    TOCK_ETOOBIG);
	assert_string_equal(sb.buf, "ab");
	assert_int_equal(text_add_fit(&sb, "abc", 3, true), 0);
	assert_string_equal(sb.buf, "ababc");
	strbuf_release(&sb);
}

/* Whatever the string and width: never wider, exact with pad, valid. */
static void
test_text_fit_width_invariant(void **state)
{
	static const char *const samples[] = {
		"", "a", "hello world", "漢字漢字漢字", "a漢b字c",
		"\xf0\x9f\x8e\x89 party \xf0\x9f\x8e\x89",
		"e\xcc\x81" "e\xcc\x81" "e\xcc\x81" "e\xcc\x81",
		"ｱｲｳ漢ｴ", "\xe2\x80\xa6\xe2\x80\xa6\xe2\x80\xa6",
		"한국어 텍스트",
	};
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	int cols, w;

	for (i = 0; i < sizeof samples / sizeof samples[0]; i++) {
		for (cols = 1; cols <= 16; cols++) {
			strbuf_reset(&sb);
			assert_int_equal(
			    text_add_fit(&sb, samples[i], cols, true), 0);
			assert_true(text_utf8_valid(sb.buf, sb.len));
			assert_int_equal(text_width(sb.buf), cols);

			strbuf_reset(&sb);
			assert_int_equal(
			    text_add_fit(&sb, samples[i], cols, false), 0);
			assert_true(text_utf8_valid(sb.buf, sb.len));
			w = text_width(sb.buf);
			assert_true(w <= cols);
			/* Cut only when needed, and then at most 1 short. */
			if (text_width(samples[i]) <= cols)
				assert_string_equal(sb.buf, samples[i]);
			else
				assert_true(w >= cols - 1);
		}
	}
	strbuf_release(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_utf8_valid_accepts),
		cmocka_unit_test(test_text_utf8_rejects_overlong),
		cmocka_unit_test(test_text_utf8_rejects_surrogates),
		cmocka_unit_test(test_text_utf8_rejects_above_max),
		cmocka_unit_test(test_text_utf8_rejects_truncated),
		cmocka_unit_test(test_text_utf8_rejects_stray_continuation),
		cmocka_unit_test(test_text_utf8_rejects_nul),
		cmocka_unit_test(test_text_utf8_len),
		cmocka_unit_test(test_text_width_ascii),
		cmocka_unit_test(test_text_width_wide),
		cmocka_unit_test(test_text_width_emoji),
		cmocka_unit_test(test_text_width_combining),
		cmocka_unit_test(test_text_width_ignores_locale),
		cmocka_unit_test(test_text_width_invalid_input),
		cmocka_unit_test(test_text_fit_ascii),
		cmocka_unit_test(test_text_fit_wide_at_boundary),
		cmocka_unit_test(test_text_fit_combining),
		cmocka_unit_test(test_text_fit_appends),
		cmocka_unit_test(test_text_fit_bounded_buffer),
		cmocka_unit_test(test_text_fit_width_invariant),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
