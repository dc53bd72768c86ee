/*
 * test_uuid.c - unit tests of common/uuid.c: the UUIDv7 text form (version
 * nibble, variant bits, dashes, lower case), uuid_valid on well-formed and
 * malformed input, uuid_v7_time round trips, and the monotonic generator:
 * strict ordering with a stalled clock (the 12-bit counter path), with a
 * clock going backwards, and the counter overflow borrowing the next ms.
 *
 * The generator's state is process-wide and only moves forward, so each
 * test takes timestamps from its own range, above every earlier test's
 * (cmocka runs the tests in the order listed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "uuid.h"

#define NIDS 100000

/* Every test starts ids at a fresh base: 10^7 ms apart, far above what
 * 100000 ids can borrow (each ms holds at least 0x1000 - 0x200 ids). */
static int64_t next_base = 1900000000000LL;

static int64_t
fresh_base(void)
{
	int64_t b = next_base;

	next_base += 10000000;
	return b;
}

/* The 12-bit rand_a field (the counter): characters 15..17. */
static unsigned
rand_a(const char *id)
{
	char hex[4];

	memcpy(hex, id + 15, 3);
	hex[3] = '\0';
	return (unsigned)strtoul(hex, NULL, 16);
}

static void
check_v7_shape(const char *id)
{
	int i;

	assert_int_equal(strlen(id), UUID_STRLEN);
	for (i = 0; i < UUID_STRLEN; i++) {
		char c = id[i];

		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(c, '-');
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			fail_msg("'%s': bad character at %d", id, i);
	}
	assert_int_equal(id[14], '7');
	if (strchr("89ab", id[19]) == NULL)
		fail_msg("'%s': variant nibble '%c' is not 10xx", id, id[19]);
	assert_true(uuid_valid(id));
}

static void
test_uuid_v7_format(void **state)
{
	char id[UUID_STRLEN + 1];
	int64_t base = fresh_base();
	int i;

	/* Many ids, so the random variant byte takes all its values. */
	for (i = 0; i < 10000; i++) {
		memset(id, 'X', sizeof id);
		uuid_v7(id, base + i);
		check_v7_shape(id);
		assert_int_equal(uuid_v7_time(id), base + i);
		/* A fresh millisecond starts the counter in the low range. */
		assert_true(rand_a(id) <= 0x1ff);
	}
}

static void
test_uuid_v7_time_round_trip(void **state)
{
	static const int64_t ms[] = {
		2000000000000LL, 2000000000001LL, 2000000065535LL,
		2000000065536LL, 0x7fffffffffffLL, 0xfffffffff000LL,
	};
	char id[UUID_STRLEN + 1];
	char want[13];
	size_t i;

	for (i = 0; i < sizeof ms / sizeof ms[0]; i++) {
		uuid_v7(id, ms[i]);
		check_v7_shape(id);
		assert_int_equal(uuid_v7_time(id), ms[i]);
		/* The first 48 bits are the timestamp, big-endian. */
		snprintf(want, sizeof want, "%012llx", (unsigned long long)ms[i]);
		assert_memory_equal(id, want, 8);
		assert_memory_equal(id + 9, want + 8, 4);
	}
	/* Hand-made ids decode the same way. */
	assert_int_equal(uuid_v7_time("00000000-0000-7000-8000-000000000000"),
	    0);
	assert_int_equal(uuid_v7_time("01936d6e-8a00-7abc-9def-0123456789ab"),
	    0x01936d6e8a00LL);
	assert_int_equal(uuid_v7_time("ffffffff-ffff-7fff-bfff-ffffffffffff"),
	    0xffffffffffffLL);
}

static void
test_uuid_v7_time_rejects_non_v7(void **state)
{
	/* Version 4 and 1: well-formed, but not time-ordered ids. */
	assert_int_equal(uuid_v7_time("01936d6e-8a00-4abc-9def-0123456789ab"),
	    -1);
	assert_int_equal(uuid_v7_time("01936d6e-8a00-1abc-9def-0123456789ab"),
	    -1);
	assert_int_equal(uuid_v7_time("01936D6E-8A00-7ABC-9DEF-0123456789AB"),
	    -1);
	assert_int_equal(uuid_v7_time("01936d6e-8a00-7abc-9def-0123456789a"),
	    -1);
	assert_int_equal(uuid_v7_time(""), -1);
	assert_int_equal(uuid_v7_time(NULL), -1);
}

static void
test_uuid_valid_accepts(void **state)
{
	assert_true(uuid_valid("01936d6e-8a00-7000-8000-000000000001"));
	assert_true(uuid_valid("00000000-0000-0000-0000-000000000000"));
	assert_true(uuid_valid("ffffffff-ffff-ffff-ffff-ffffffffffff"));
	/* Any version: validation is about the text form. */
	assert_true(uuid_valid("123e4567-e89b-42d3-a456-426614174000"));
	assert_true(uuid_valid("abcdef01-2345-6789-abcd-ef0123456789"));
}

static void
test_uuid_valid_rejects(void **state)
{
	static const char good[] = "01936d6e-8a00-7abc-9def-0123456789ab";
	char s[64];
	int i;

	assert_false(uuid_valid(NULL));
	assert_false(uuid_valid(""));
	/* Upper case anywhere, even one letter. */
	assert_false(uuid_valid("01936D6E-8A00-7ABC-9DEF-0123456789AB"));
	assert_false(uuid_valid("01936d6e-8a00-7abc-9deF-0123456789ab"));
	/* Length: one short, one long, no dashes, braces. */
	assert_false(uuid_valid("01936d6e-8a00-7abc-9def-0123456789a"));
	assert_false(uuid_valid("01936d6e-8a00-7abc-9def-0123456789abc"));
	assert_false(uuid_valid("01936d6e-8a00-7abc-9def-0123456789ab\n"));
	assert_false(uuid_valid("01936d6e8a007abc9def0123456789ab"));
	assert_false(uuid_valid("{01936d6e-8a00-7abc-9def-0123456789ab}"));
	/* Dashes moved by one, in each group. */
	assert_false(uuid_valid("01936d6-e8a00-7abc-9def-0123456789ab"));
	assert_false(uuid_valid("01936d6e-8a0-07abc-9def-0123456789ab"));
	assert_false(uuid_valid("01936d6e-8a00-7ab-c9def-0123456789ab"));
	assert_false(uuid_valid("01936d6e-8a00-7abc-9de-f0123456789ab"));
	assert_false(uuid_valid("01936d6e-8a00-7abc-9def0-123456789ab"));
	/* Non-hex characters. */
	assert_false(uuid_valid("01936d6g-8a00-7abc-9def-0123456789ab"));
	assert_false(uuid_valid("01936d6e-8a00-7abc-9def-0123456789a "));
	assert_false(uuid_valid("01936d6e_8a00_7abc_9def_0123456789ab"));

	/* Every single position: a dash where hex belongs and hex where a
	 * dash belongs are both rejected. */
	for (i = 0; i < UUID_STRLEN; i++) {
		memcpy(s, good, sizeof good);
		s[i] = (s[i] == '-') ? '0' : '-';
		if (uuid_valid(s))
			fail_msg("accepted '%s'", s);
		memcpy(s, good, sizeof good);
		s[i] = (s[i] == '-') ? 'a' : 'G';
		assert_false(uuid_valid(s));
		/* Cut short at i. */
		memcpy(s, good, sizeof good);
		s[i] = '\0';
		assert_false(uuid_valid(s));
	}
	assert_true(uuid_valid(good));
}

/* Strictly increasing text (which equals byte order of the ids). */
static void
check_increasing(const char *prev, const char *cur, int i)
{
	if (strcmp(prev, cur) >= 0)
		fail_msg("id %d '%s' not after '%s'", i, cur, prev);
}

static void
test_uuid_v7_ordered_with_stalled_clock(void **state)
{
	char (*ids)[UUID_STRLEN + 1] = malloc(NIDS * sizeof *ids);
	int64_t base = fresh_base(), t, prev_t;
	int i;

	assert_non_null(ids);
	for (i = 0; i < NIDS; i++)
		uuid_v7(ids[i], base);
	assert_int_equal(uuid_v7_time(ids[0]), base);
	prev_t = base;
	for (i = 1; i < NIDS; i++) {
		check_increasing(ids[i - 1], ids[i], i);
		check_v7_shape(ids[i]);
		t = uuid_v7_time(ids[i]);
		if (t == prev_t) {
			/* Same ms: the counter counts by exactly one. */
			assert_int_equal(rand_a(ids[i]), rand_a(ids[i - 1]) + 1);
		} else {
			/* Borrowed ms: the next one, counter from 0, after
			 * the previous counter ran out. */
			assert_int_equal(t, prev_t + 1);
			assert_int_equal(rand_a(ids[i - 1]), 0xfff);
			assert_int_equal(rand_a(ids[i]), 0);
		}
		prev_t = t;
	}
	/* The first ms holds 0x1000 - c0 ids (c0 <= 0x1ff), every borrowed
	 * one 0x1000: the last of 100000 ids lands in base + 24. */
	assert_int_equal(uuid_v7_time(ids[NIDS - 1]), base + 24);
	free(ids);
}

static void
test_uuid_v7_ordered_with_clock_going_back(void **state)
{
	char prev[UUID_STRLEN + 1], cur[UUID_STRLEN + 1];
	int64_t base = fresh_base();
	int i;

	uuid_v7(prev, base);
	assert_int_equal(uuid_v7_time(prev), base);
	for (i = 1; i < NIDS; i++) {
		/* The clock steps back 1 ms per id, down to 100 s earlier. */
		uuid_v7(cur, base - i);
		check_increasing(prev, cur, i);
		/* Never stamped earlier than the newest time seen. */
		assert_true(uuid_v7_time(cur) >= base);
		memcpy(prev, cur, sizeof prev);
	}
	/* When the clock comes back past the borrowed time, it is used. */
	uuid_v7(cur, base + 1000);
	check_increasing(prev, cur, NIDS);
	assert_int_equal(uuid_v7_time(cur), base + 1000);
	/* A negative clock counts as time 0, which is far behind. */
	memcpy(prev, cur, sizeof prev);
	uuid_v7(cur, -5);
	check_increasing(prev, cur, NIDS + 1);
	assert_int_equal(uuid_v7_time(cur), base + 1000);
}

static void
test_uuid_v7_counter_overflow_borrows_next_ms(void **state)
{
	char first[UUID_STRLEN + 1], prev[UUID_STRLEN + 1];
	char cur[UUID_STRLEN + 1];
	int64_t base = fresh_base();
	unsigned c0, n;

	uuid_v7(first, base);
	c0 = rand_a(first);
	assert_true(c0 <= 0x1ff);
	memcpy(prev, first, sizeof prev);
	/* Exactly 0xfff - c0 more ids fit in this millisecond. */
	for (n = 1; n <= 0xfff - c0; n++) {
		uuid_v7(cur, base);
		check_increasing(prev, cur, (int)n);
		assert_int_equal(uuid_v7_time(cur), base);
		assert_int_equal(rand_a(cur), c0 + n);
		memcpy(prev, cur, sizeof prev);
	}
	assert_int_equal(rand_a(prev), 0xfff);
	/* The next one takes base + 1 with the counter at 0. */
	uuid_v7(cur, base);
	check_increasing(prev, cur, (int)n);
	assert_int_equal(uuid_v7_time(cur), base + 1);
	assert_int_equal(rand_a(cur), 0);
	/* The clock reaching the borrowed ms continues the counter, ... */
	memcpy(prev, cur, sizeof prev);
	uuid_v7(cur, base + 1);
	check_increasing(prev, cur, (int)n + 1);
	assert_int_equal(uuid_v7_time(cur), base + 1);
	assert_int_equal(rand_a(cur), 1);
	/* ... and passing it starts a fresh one. */
	memcpy(prev, cur, sizeof prev);
	uuid_v7(cur, base + 2);
	check_increasing(prev, cur, (int)n + 2);
	assert_int_equal(uuid_v7_time(cur), base + 2);
	assert_true(rand_a(cur) <= 0x1ff);
}

static void
test_uuid_random_fills(void **state)
{
	unsigned char a[64], b[64], z[64];

	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	memset(z, 0, sizeof z);
	uuid_random(a, sizeof a);
	uuid_random(b, sizeof b);
	/* 2^-512 chance of a false failure. */
	assert_memory_not_equal(a, b, sizeof a);
	assert_memory_not_equal(a, z, sizeof a);
	/* Zero bytes: nothing written. */
	uuid_random(z, 0);
	memset(a, 0, sizeof a);
	assert_memory_equal(a, z, sizeof a);
}

static void
test_uuid_v7_distinct_random_tail(void **state)
{
	char a[UUID_STRLEN + 1], b[UUID_STRLEN + 1];
	int64_t base = fresh_base();

	/* Two fresh milliseconds: same shape, different random tails. */
	uuid_v7(a, base);
	uuid_v7(b, base + 1);
	assert_memory_not_equal(a + 24, b + 24, 12);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid_v7_time_rejects_non_v7),
		cmocka_unit_test(test_uuid_v7_format),
		cmocka_unit_test(test_uuid_valid_accepts),
		cmocka_unit_test(test_uuid_valid_rejects),
		cmocka_unit_test(test_uuid_v7_ordered_with_stalled_clock),
		cmocka_unit_test(test_uuid_v7_ordered_with_clock_going_back),
		cmocka_unit_test(test_uuid_v7_counter_overflow_borrows_next_ms),
		cmocka_unit_test(test_uuid_random_fills),
		cmocka_unit_test(test_uuid_v7_distinct_random_tail),
		/* Last: its timestamps are above every base. */
		cmocka_unit_test(test_uuid_v7_time_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
