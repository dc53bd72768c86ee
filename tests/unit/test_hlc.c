/*
 * test_hlc.c - unit tests of common/hlc.c (SYNC.md 3.2): send() with the
 * clock advancing, stalled and going backwards; the counter overflow at
 * 0xffff, which moves l on by one millisecond instead of wrapping; the
 * recv() cases of Kulkarni's rule (remote ahead, local ahead, equal l,
 * physical clock ahead of both); the wire format, its parser's rejections,
 * and that comparing wire strings orders exactly like hlc_cmp.
 *
 * Random cases come from a fixed-seed generator, so runs are repeatable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "hlc.h"

#define NODE 0x1122334455667788ULL
#define MS48 0xffffffffffffULL

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

/* xorshift64*: deterministic. */
static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static struct hlc
mk(uint64_t l, uint32_t c, uint64_t node)
{
	struct hlc h;

	h.l = l;
	h.c = c;
	h.node = node;
	return h;
}

static void
hlc_is(const struct hlc *h, uint64_t l, uint32_t c, uint64_t node)
{
	if (h->l != l || h->c != c || h->node != node)
		fail_msg("hlc (%llu, %u, %llx), want (%llu, %u, %llx)",
		    (unsigned long long)h->l, h->c,
		    (unsigned long long)h->node, (unsigned long long)l, c,
		    (unsigned long long)node);
}

static int
sign(int v)
{
	return (v > 0) - (v < 0);
}

static void
test_hlc_send_clock_advancing(void **state)
{
	struct hlc h = mk(100, 5, NODE);

	hlc_send(&h, 200);
	hlc_is(&h, 200, 0, NODE);
	hlc_send(&h, 201);
	hlc_is(&h, 201, 0, NODE);
	hlc_send(&h, 1700000000000LL);
	hlc_is(&h, 1700000000000ULL, 0, NODE);
}

static void
test_hlc_send_clock_stalled(void **state)
{
	struct hlc h = mk(200, 0, NODE);
	struct hlc prev;
	uint32_t i;

	for (i = 1; i <= 1000; i++) {
		prev = h;
		hlc_send(&h, 200);
		hlc_is(&h, 200, i, NODE);
		assert_true(hlc_cmp(&prev, &h) < 0);
	}
	/* Once the clock moves, the counter starts again. */
	hlc_send(&h, 201);
	hlc_is(&h, 201, 0, NODE);
}

static void
test_hlc_send_clock_going_back(void **state)
{
	struct hlc h = mk(5000, 7, NODE);

	hlc_send(&h, 4000);
	hlc_is(&h, 5000, 8, NODE);
	hlc_send(&h, 0);
	hlc_is(&h, 5000, 9, NODE);
	/* Negative physical time counts as 0. */
	hlc_send(&h, -123);
	hlc_is(&h, 5000, 10, NODE);
	h = mk(0, 0, NODE);
	hlc_send(&h, -1);
	hlc_is(&h, 0, 1, NODE);
}

static void
test_hlc_send_counter_overflow(void **state)
{
	struct hlc h = mk(200, HLC_MAX_COUNTER - 1, NODE);
	struct hlc prev;

	hlc_send(&h, 200);
	hlc_is(&h, 200, 0xffff, NODE);
	/* Would pass 0xffff: l moves on by 1 ms, c back to 0. */
	prev = h;
	hlc_send(&h, 200);
	hlc_is(&h, 201, 0, NODE);
	assert_true(hlc_cmp(&prev, &h) < 0);
	/* The clock now at the borrowed ms just counts on. */
	hlc_send(&h, 201);
	hlc_is(&h, 201, 1, NODE);
	/* Same from behind: l ahead of the wall clock after a recv. */
	h = mk(9000, 0xffff, NODE);
	hlc_send(&h, 10);
	hlc_is(&h, 9001, 0, NODE);
}

static void
test_hlc_send_never_decreases(void **state)
{
	char prev_s[HLC_STRLEN + 1], cur_s[HLC_STRLEN + 1];
	struct hlc h = mk(1000, 0, NODE), prev;
	int i;

	/* 200000 events in one stalled ms: several counter overflows. */
	hlc_format(prev_s, &h);
	for (i = 0; i < 200000; i++) {
		prev = h;
		hlc_send(&h, 1000);
		assert_true(h.c <= HLC_MAX_COUNTER);
		assert_true(hlc_cmp(&prev, &h) < 0);
		hlc_format(cur_s, &h);
		if (strcmp(prev_s, cur_s) >= 0)
			fail_msg("'%s' not after '%s'", cur_s, prev_s);
		memcpy(prev_s, cur_s, sizeof prev_s);
	}
	/* 200000 = 3 * 65536 + 3392 steps from (1000, 0). */
	hlc_is(&h, 1003, 3392, NODE);
}

static void
test_hlc_recv_remote_ahead(void **state)
{
	struct hlc h = mk(100, 3, NODE), m = mk(200, 7, 42);

	hlc_recv(&h, &m, 150);
	hlc_is(&h, 200, 8, NODE);
	/* Physical time equal to the remote l: still the remote's rule. */
	h = mk(100, 3, NODE);
	hlc_recv(&h, &m, 200);
	hlc_is(&h, 200, 8, NODE);
	/* Remote counter lower than ours: the remote one counts. */
	h = mk(100, 900, NODE);
	hlc_recv(&h, &m, 0);
	hlc_is(&h, 200, 8, NODE);
}

static void
test_hlc_recv_local_ahead(void **state)
{
	struct hlc h = mk(300, 4, NODE), m = mk(200, 9, 42);

	hlc_recv(&h, &m, 150);
	hlc_is(&h, 300, 5, NODE);
	h = mk(300, 4, NODE);
	hlc_recv(&h, &m, 300);
	hlc_is(&h, 300, 5, NODE);
}

static void
test_hlc_recv_equal_l(void **state)
{
	struct hlc h = mk(300, 4, NODE), m = mk(300, 9, 42);

	hlc_recv(&h, &m, 150);
	hlc_is(&h, 300, 10, NODE);
	h = mk(300, 12, NODE);
	hlc_recv(&h, &m, 299);
	hlc_is(&h, 300, 13, NODE);
	h = mk(300, 9, NODE);
	hlc_recv(&h, &m, 300);
	hlc_is(&h, 300, 10, NODE);
}

static void
test_hlc_recv_physical_ahead(void **state)
{
	struct hlc h = mk(100, 3, NODE), m = mk(200, 7, 42);

	hlc_recv(&h, &m, 201);
	hlc_is(&h, 201, 0, NODE);
	h = mk(300, 50, NODE);
	hlc_recv(&h, &m, 5000);
	hlc_is(&h, 5000, 0, NODE);
}

static void
test_hlc_recv_counter_overflow(void **state)
{
	struct hlc h = mk(300, 0xffff, NODE), m = mk(300, 0xffff, 42);

	hlc_recv(&h, &m, 0);
	hlc_is(&h, 301, 0, NODE);
	h = mk(100, 0, NODE);
	m = mk(300, 0xffff, 42);
	hlc_recv(&h, &m, 0);
	hlc_is(&h, 301, 0, NODE);
	h = mk(300, 0xffff, NODE);
	m = mk(100, 5, 42);
	hlc_recv(&h, &m, 0);
	hlc_is(&h, 301, 0, NODE);
}

static void
test_hlc_recv_dominates_both(void **state)
{
	int i;

	/* After recv the local clock is past both inputs, whatever they
	 * were, and keeps its own node. */
	for (i = 0; i < 100000; i++) {
		uint64_t base = rnd() % 1000000;
		struct hlc h = mk(base + rnd() % 4, (uint32_t)(rnd() % 0x10000),
		    NODE);
		struct hlc m = mk(base + rnd() % 4, (uint32_t)(rnd() % 0x10000),
		    rnd());
		struct hlc old = h;
		int64_t pt = (int64_t)(base + rnd() % 6) - 1;

		hlc_recv(&h, &m, pt);
		assert_int_equal(h.node, NODE);
		assert_true(h.l > old.l || (h.l == old.l && h.c > old.c));
		assert_true(h.l > m.l || (h.l == m.l && h.c > m.c));
		assert_true(h.l >= (uint64_t)(pt < 0 ? 0 : pt));
		assert_true(h.c <= HLC_MAX_COUNTER);
	}
}

static void
test_hlc_format_exact(void **state)
{
	char s[HLC_STRLEN + 1];
	struct hlc h = mk(0x19367f3a8ULL, 3, NODE);

	hlc_format(s, &h);
	assert_string_equal(s, "00019367f3a80003-1122334455667788");
	assert_int_equal(strlen(s), HLC_STRLEN);
	h = mk(0, 0, 0);
	hlc_format(s, &h);
	assert_string_equal(s, "0000000000000000-0000000000000000");
	h = mk(MS48, 0xffff, UINT64_MAX);
	hlc_format(s, &h);
	assert_string_equal(s, "ffffffffffffffff-ffffffffffffffff");
	h = mk(1, 0xabcd, 0xf);
	hlc_format(s, &h);
	assert_string_equal(s, "000000000001abcd-000000000000000f");
}

static void
test_hlc_parse_round_trip(void **state)
{
	char s[HLC_STRLEN + 1], s2[HLC_STRLEN + 1];
	struct hlc h, p;
	int i;

	assert_int_equal(hlc_parse(&p, "00019367f3a80003-1122334455667788",
	    NULL), 0);
	hlc_is(&p, 0x19367f3a8ULL, 3, NODE);
	assert_int_equal(hlc_parse(&p, "ffffffffffffffff-ffffffffffffffff",
	    NULL), 0);
	hlc_is(&p, MS48, 0xffff, UINT64_MAX);

	for (i = 0; i < 100000; i++) {
		h = mk(rnd() & MS48, (uint32_t)(rnd() & 0xffff), rnd());
		hlc_format(s, &h);
		memset(&p, 0xa5, sizeof p);
		assert_int_equal(hlc_parse(&p, s, NULL), 0);
		assert_int_equal(hlc_cmp(&h, &p), 0);
		hlc_is(&p, h.l, h.c, h.node);
		hlc_format(s2, &p);
		assert_string_equal(s, s2);
	}
}

static void
parse_rejects(const char *s)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct hlc p = mk(1, 2, 3);

	if (hlc_parse(&p, s, &err) != TOCK_EINVAL)
		fail_msg("parsed '%s'", s ? s : "(null)");
	assert_int_equal(err.code, TOCK_EINVAL);
	assert_non_null(strstr(err.msg, "invalid clock"));
	if (s != NULL)
		assert_non_null(strstr(err.msg, s));
	/* Nothing written on failure. */
	hlc_is(&p, 1, 2, 3);
	/* err may be NULL. */
	assert_int_equal(hlc_parse(&p, s, NULL), TOCK_EINVAL);
}

static void
test_hlc_parse_rejects(void **state)
{
	static const char good[] = "00019367f3a80003-1122334455667788";
	char s[64];
	int i;

	parse_rejects(NULL);
	parse_rejects("");
	/* Length. */
	parse_rejects("00019367f3a80003-112233445566778");
	parse_rejects("00019367f3a80003-11223344556677889");
	parse_rejects("0019367f3a80003-1122334455667788");
	parse_rejects("00019367f3a80003-1122334455667788 ");
	/* Upper case hex. */
	parse_rejects("00019367F3A80003-1122334455667788");
	parse_rejects("00019367f3a80003-112233445566778A");
	/* The dash: missing, moved, replaced. */
	parse_rejects("00019367f3a8000311122334455667788");
	parse_rejects("00019367f3a8000-31122334455667788");
	parse_rejects("00019367f3a80003_1122334455667788");
	parse_rejects("00019367f3a80003:1122334455667788");
	/* Non-hex in either half. */
	parse_rejects("0001936 f3a80003-1122334455667788");
	parse_rejects("00019367f3a80003-11223344556677g8");
	parse_rejects("+0019367f3a80003-1122334455667788");
	parse_rejects("0x019367f3a80003-1122334455667788");
	/* Every position: a bad character there is caught. */
	for (i = 0; i < HLC_STRLEN; i++) {
		memcpy(s, good, sizeof good);
		s[i] = (i == 16) ? '0' : 'z';
		parse_rejects(s);
		memcpy(s, good, sizeof good);
		s[i] = (i == 16) ? 'a' : '-';
		parse_rejects(s);
	}
}

static void
test_hlc_cmp_basics(void **state)
{
	struct hlc a = mk(10, 5, 7), b;

	b = a;
	assert_int_equal(hlc_cmp(&a, &b), 0);
	b = mk(11, 0, 0);
	assert_int_equal(hlc_cmp(&a, &b), -1);
	assert_int_equal(hlc_cmp(&b, &a), 1);
	b = mk(10, 6, 0);
	assert_int_equal(hlc_cmp(&a, &b), -1);
	b = mk(10, 5, 8);
	assert_int_equal(hlc_cmp(&a, &b), -1);
	b = mk(10, 5, 6);
	assert_int_equal(hlc_cmp(&a, &b), 1);
	/* Node ids compare unsigned: the top bit is not a sign. */
	a = mk(10, 5, 0x8000000000000000ULL);
	b = mk(10, 5, 0x7fffffffffffffffULL);
	assert_int_equal(hlc_cmp(&a, &b), 1);
}

static void
test_hlc_string_order_equals_cmp(void **state)
{
	char sa[HLC_STRLEN + 1], sb[HLC_STRLEN + 1];
	int i;

	for (i = 0; i < 200000; i++) {
		struct hlc a, b;
		uint64_t l = rnd() & MS48;
		uint32_t c = (uint32_t)(rnd() & 0xffff);
		uint64_t node = rnd();

		a = mk(l, c, node);
		b = a;
		/* Mostly near-ties, so every field decides some pairs. */
		switch (i % 5) {
		case 0:
			b.l = rnd() & MS48;
			break;
		case 1:
			b.l = (l + (rnd() % 3)) & MS48;
			b.c = (uint32_t)(rnd() & 0xffff);
			break;
		case 2:
			b.c = (uint32_t)((c + rnd() % 3) & 0xffff);
			break;
		case 3:
			b.node = rnd();
			break;
		default:
			break;
		}
		hlc_format(sa, &a);
		hlc_format(sb, &b);
		if (sign(strcmp(sa, sb)) != hlc_cmp(&a, &b))
			fail_msg("'%s' vs '%s': strcmp %d, hlc_cmp %d", sa, sb,
			    sign(strcmp(sa, sb)), hlc_cmp(&a, &b));
		assert_int_equal(sign(memcmp(sa, sb, HLC_STRLEN)),
		    hlc_cmp(&a, &b));
		assert_int_equal(hlc_cmp(&b, &a), -hlc_cmp(&a, &b));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hlc_send_clock_advancing),
		cmocka_unit_test(test_hlc_send_clock_stalled),
		cmocka_unit_test(test_hlc_send_clock_going_back),
		cmocka_unit_test(test_hlc_send_counter_overflow),
		cmocka_unit_test(test_hlc_send_never_decreases),
		cmocka_unit_test(test_hlc_recv_remote_ahead),
		cmocka_unit_test(test_hlc_recv_local_ahead),
		cmocka_unit_test(test_hlc_recv_equal_l),
		cmocka_unit_test(test_hlc_recv_physical_ahead),
		cmocka_unit_test(test_hlc_recv_counter_overflow),
		cmocka_unit_test(test_hlc_recv_dominates_both),
		cmocka_unit_test(test_hlc_format_exact),
		cmocka_unit_test(test_hlc_parse_round_trip),
		cmocka_unit_test(test_hlc_parse_rejects),
		cmocka_unit_test(test_hlc_cmp_basics),
		cmocka_unit_test(test_hlc_string_order_equals_cmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
