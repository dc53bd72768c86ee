/* SPDX-License-Identifier: ISC */
/*
 * test_ratelimit.c - unit tests of server/ratelimit.c with an injected
 * clock: the burst, the refill rate, Retry-After rounding up, keys kept
 * apart, and the sweep forgetting only buckets that have refilled.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ratelimit.h"
#include "server.h"

static void
test_ratelimit_burst_then_refill(void **state)
{
	struct rate_spec spec;
	struct ratelimit *rl;
	int i;

	assert_int_equal(srvconf_rate_parse(&spec, "3/60"), 0);	/* 1/20 s */
	rl = rl_new(&spec);
	for (i = 0; i < 3; i++)
		assert_int_equal(rl_take(rl, "1.2.3.4", 1000), 0);
	/* Empty: the next token is 20 s away. */
	assert_int_equal(rl_take(rl, "1.2.3.4", 1000), 20);
	/* 19.5 s later: still half a second short, rounded up to 1. */
	assert_int_equal(rl_take(rl, "1.2.3.4", 20500), 1);
	assert_int_equal(rl_take(rl, "1.2.3.4", 21000), 0);
	assert_int_equal(rl_take(rl, "1.2.3.4", 21000), 20);
	/* Another key has its own bucket. */
	assert_int_equal(rl_take(rl, "5.6.7.8", 21000), 0);
	/* A clock that goes back does not refill or break anything. */
	assert_int_equal(rl_take(rl, "1.2.3.4", 5000), 20);
	rl_free(rl);
}

static void
test_ratelimit_never_above_burst(void **state)
{
	struct rate_spec spec = { 2, 1 };
	struct ratelimit *rl = rl_new(&spec);

	assert_int_equal(rl_take(rl, "k", 0), 0);
	/* An hour idle refills to the burst, not to 3600 tokens. */
	assert_int_equal(rl_take(rl, "k", 3600000), 0);
	assert_int_equal(rl_take(rl, "k", 3600000), 0);
	assert_int_equal(rl_take(rl, "k", 3600000), 1);
	rl_free(rl);
}

static void
test_ratelimit_sweep(void **state)
{
	struct rate_spec spec = { 2, 1 };
	struct ratelimit *rl = rl_new(&spec);

	rl_take(rl, "a", 0);
	rl_take(rl, "b", 0);
	rl_take(rl, "b", 0);
	assert_int_equal(rl_count(rl), 2);
	/* After 1 s: a is full again (2), b has 1: only a goes. */
	rl_sweep(rl, 1000);
	assert_int_equal(rl_count(rl), 1);
	rl_sweep(rl, 2000);
	assert_int_equal(rl_count(rl), 0);
	/* A forgotten key starts full. */
	assert_int_equal(rl_take(rl, "b", 2000), 0);
	rl_free(rl);
}

static void
test_ratelimit_spec_parse(void **state)
{
	struct rate_spec s;

	assert_int_equal(srvconf_rate_parse(&s, "10/60"), 0);
	assert_true(s.burst == 10 && s.per_sec > 0.166 && s.per_sec < 0.167);
	assert_int_not_equal(srvconf_rate_parse(&s, "10"), 0);
	assert_int_not_equal(srvconf_rate_parse(&s, "0/60"), 0);
	assert_int_not_equal(srvconf_rate_parse(&s, "10/0"), 0);
	assert_int_not_equal(srvconf_rate_parse(&s, "x/60"), 0);
	assert_int_not_equal(srvconf_rate_parse(&s, "10/60s"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ratelimit_burst_then_refill),
		cmocka_unit_test(test_ratelimit_never_above_burst),
		cmocka_unit_test(test_ratelimit_sweep),
		cmocka_unit_test(test_ratelimit_spec_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
