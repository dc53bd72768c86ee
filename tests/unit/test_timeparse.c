/*
 * test_timeparse.c - unit tests of common/timeparse.c.
 *
 * Every test pins TZ and passes "now" explicitly, so the results do not
 * depend on the machine or the day.  Expected instants are written in UTC
 * with utc(), next to the local time they mean.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "err.h"
#include "timeparse.h"
#include "tocktest.h"

#define SEC	1000LL
#define MIN	(60 * SEC)
#define HOUR	(60 * MIN)
#define DAY	(24 * HOUR)

static int64_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm) * SEC;
}

/* Wednesday 2024-05-15 10:00 CEST: the "now" of most Berlin tests. */
static int64_t
berlin_now(void)
{
	return utc(2024, 5, 15, 8, 0, 0);
}

static int64_t
when(const char *s, int64_t now)
{
	struct tock_err err = TOCK_ERR_INIT;
	int64_t out = -42;
	int r;

	r = timeparse_when(&out, s, now, &err);
	if (r != 0)
		fail_msg("timeparse_when('%s') = %d: %s", s, r, err.msg);
	return out;
}

static void
when_fails(const char *s, int64_t now, const char *msg)
{
	struct tock_err err = TOCK_ERR_INIT;
	int64_t out = -42;
	int r;

	r = timeparse_when(&out, s, now, &err);
	if (r != TOCK_EINVAL)
		fail_msg("timeparse_when('%s') = %d, want TOCK_EINVAL", s, r);
	assert_int_equal(err.code, TOCK_EINVAL);
	assert_true(out == -42);
	assert_true(err.msg[0] != '\0');
	if (msg != NULL)
		assert_string_equal(err.msg, msg);
}

static int64_t
dur(const char *s)
{
	struct tock_err err = TOCK_ERR_INIT;
	int64_t out = -42;
	int r;

	r = timeparse_duration(&out, s, &err);
	if (r != 0)
		fail_msg("timeparse_duration('%s') = %d: %s", s, r, err.msg);
	return out;
}

static void
dur_fails(const char *s, const char *msg)
{
	struct tock_err err = TOCK_ERR_INIT;
	int64_t out = -42;
	int r;

	r = timeparse_duration(&out, s, &err);
	if (r != TOCK_EINVAL)
		fail_msg("timeparse_duration('%s') = %d, want TOCK_EINVAL",
		    s, r);
	assert_int_equal(err.code, TOCK_EINVAL);
	assert_true(out == -42);
	if (msg != NULL)
		assert_string_equal(err.msg, msg);
}

static void
range_is(const char *s, int64_t now, int64_t from, int64_t to)
{
	struct tock_err err = TOCK_ERR_INIT;
	int64_t f = -42, t = -42;
	int r;

	r = timeparse_range(&f, &t, s, now, &err);
	if (r != 0)
		fail_msg("timeparse_range('%s') = %d: %s", s, r, err.msg);
	if (f != from || t != to)
		fail_msg("timeparse_range('%s'): got %lld..%lld, want "
		    "%lld..%lld", s, (long long)f, (long long)t,
		    (long long)from, (long long)to);
}

static void
range_fails(const char *s, int64_t now, const char *msg)
{
	struct tock_err err = TOCK_ERR_INIT;
	int64_t f = -42, t = -42;
	int r;

	r = timeparse_range(&f, &t, s, now, &err);
	if (r != TOCK_EINVAL)
		fail_msg("timeparse_range('%s') = %d, want TOCK_EINVAL", s, r);
	assert_true(f == -42 && t == -42);
	if (msg != NULL)
		assert_string_equal(err.msg, msg);
}

static void
date_is(const char *s, int64_t now, const char *want)
{
	struct tock_err err = TOCK_ERR_INIT;
	char out[11];
	int r;

	r = timeparse_date(out, s, now, &err);
	if (r != 0)
		fail_msg("timeparse_date('%s') = %d: %s", s, r, err.msg);
	assert_string_equal(out, want);
}

static void
assert_ms(int64_t got, int64_t want)
{
	if (got != want)
		fail_msg("got %lld, want %lld (diff %lld ms)", (long long)got,
		    (long long)want, (long long)(got - want));
}

static void
test_timeparse_now(void **state)
{
	tt_set_tz("Europe/Berlin");
	assert_ms(when("now", berlin_now()), berlin_now());
	assert_ms(when("  NOW\t", berlin_now()), berlin_now());
	assert_ms(when("now", -1), -1);
	assert_true(time_now_ms() > utc(2020, 1, 1, 0, 0, 0));
}

static void
test_timeparse_day_words(void **state)
{
	int64_t now = berlin_now();

	tt_set_tz("Europe/Berlin");
	assert_ms(when("today", now), utc(2024, 5, 14, 22, 0, 0));
	assert_ms(when("yesterday", now), utc(2024, 5, 13, 22, 0, 0));
	assert_ms(when("tomorrow", now), utc(2024, 5, 15, 22, 0, 0));
	assert_ms(when("Today", now), utc(2024, 5, 14, 22, 0, 0));
	assert_ms(when("today 9:30", now), utc(2024, 5, 15, 7, 30, 0));
	assert_ms(when("TOMORROW 18:00", now), utc(2024, 5, 16, 16, 0, 0));
	assert_ms(when("yesterday\t17:00:30", now),
	    utc(2024, 5, 14, 15, 0, 30));
	assert_ms(when("today   23:59:59", now), utc(2024, 5, 15, 21, 59, 59));
	/* Month and year boundaries come from the calendar, not from +1. */
	assert_ms(when("tomorrow", utc(2024, 12, 31, 12, 0, 0)),
	    utc(2024, 12, 31, 23, 0, 0));
	assert_ms(when("yesterday 12:00", utc(2024, 3, 1, 12, 0, 0)),
	    utc(2024, 2, 29, 11, 0, 0));
}

static void
test_timeparse_bare_time(void **state)
{
	int64_t now = berlin_now();

	tt_set_tz("Europe/Berlin");
	assert_ms(when("14:30", now), utc(2024, 5, 15, 12, 30, 0));
	assert_ms(when("9:05", now), utc(2024, 5, 15, 7, 5, 0));
	assert_ms(when("09:05:07", now), utc(2024, 5, 15, 7, 5, 7));
	/* Later today is still today: a bare time never jumps a day. */
	assert_ms(when("23:00", now), utc(2024, 5, 15, 21, 0, 0));
}

static void
test_timeparse_midnight(void **state)
{
	int64_t now = berlin_now();

	tt_set_tz("Europe/Berlin");
	assert_ms(when("00:00", now), utc(2024, 5, 14, 22, 0, 0));
	assert_ms(when("0:00", now), when("today", now));
	assert_ms(when("23:59:59", now) + SEC, when("tomorrow", now));
	/* Now exactly at midnight, and a millisecond before it. */
	now = utc(2024, 5, 14, 22, 0, 0);
	assert_ms(when("today", now), now);
	assert_ms(when("yesterday", now), now - DAY);
	assert_ms(when("today", now - 1), now - DAY);
	assert_ms(when("2024-05-15", now), now);
	assert_ms(when("2024-05-15T00:00:00", now), now);
}

static void
test_timeparse_weekday(void **state)
{
	int64_t now = berlin_now();	/* a Wednesday */

	tt_set_tz("Europe/Berlin");
	assert_ms(when("monday", now), utc(2024, 5, 12, 22, 0, 0));
	assert_ms(when("tuesday", now), utc(2024, 5, 13, 22, 0, 0));
	assert_ms(when("wednesday", now), utc(2024, 5, 14, 22, 0, 0));
	assert_ms(when("thursday", now), utc(2024, 5, 8, 22, 0, 0));
	assert_ms(when("friday", now), utc(2024, 5, 9, 22, 0, 0));
	assert_ms(when("saturday", now), utc(2024, 5, 10, 22, 0, 0));
	assert_ms(when("sunday", now), utc(2024, 5, 11, 22, 0, 0));
	assert_ms(when("Monday 09:15", now), utc(2024, 5, 13, 7, 15, 0));
	assert_ms(when("THURSDAY 9:00", now), utc(2024, 5, 9, 7, 0, 0));
	/* Today's name with a later time is still today. */
	assert_ms(when("wednesday 18:00", now), utc(2024, 5, 15, 16, 0, 0));
	/* Across a DST change: Saturday before the October switch. */
	assert_ms(when("saturday 09:00", utc(2024, 10, 30, 11, 0, 0)),
	    utc(2024, 10, 26, 7, 0, 0));
	assert_ms(when("friday 09:00", utc(2024, 4, 3, 10, 0, 0)),
	    utc(2024, 3, 29, 8, 0, 0));
	when_fails("mon", now, "cannot parse time 'mon'");
	when_fails("mondays", now, NULL);
	when_fails("monday 25:00", now, NULL);
}

static void
test_timeparse_iso_local(void **state)
{
	int64_t now = berlin_now();

	tt_set_tz("Europe/Berlin");
	assert_ms(when("2024-01-15", now), utc(2024, 1, 14, 23, 0, 0));
	assert_ms(when("2024-07-01", now), utc(2024, 6, 30, 22, 0, 0));
	assert_ms(when("2024-01-15T10:00", now), utc(2024, 1, 15, 9, 0, 0));
	assert_ms(when("2024-01-15 10:00:30", now),
	    utc(2024, 1, 15, 9, 0, 30));
	assert_ms(when("2024-01-15  9:00", now), utc(2024, 1, 15, 8, 0, 0));
	assert_ms(when("2024-01-15t10:00:30.250", now),
	    utc(2024, 1, 15, 9, 0, 30) + 250);
	assert_ms(when("2024-07-15T10:00", now), utc(2024, 7, 15, 8, 0, 0));
	assert_ms(when("1999-12-31T23:59:59", now),
	    utc(1999, 12, 31, 22, 59, 59));
}

static void
test_timeparse_iso_offsets(void **state)
{
	int64_t now = berlin_now(), base = utc(2024, 1, 15, 10, 0, 30);

	tt_set_tz("Europe/Berlin");
	assert_ms(when("2024-01-15T10:00:30Z", now), base);
	assert_ms(when("2024-01-15t10:00:30z", now), base);
	assert_ms(when("2024-01-15 10:00:30Z", now), base);
	assert_ms(when("2024-01-15T10:00:30.250Z", now), base + 250);
	assert_ms(when("2024-01-15T10:00:30.5Z", now), base + 500);
	assert_ms(when("2024-01-15T10:00:30.05Z", now), base + 50);
	assert_ms(when("2024-01-15T10:00:30.123456789Z", now), base + 123);
	assert_ms(when("2024-01-15T10:00:30+00:00", now), base);
	assert_ms(when("2024-01-15T10:00:30-00:00", now), base);
	assert_ms(when("2024-01-15T15:30:30+05:30", now), base);
	assert_ms(when("2024-01-15T02:00:30-0800", now), base);
	assert_ms(when("2024-01-15T11:00:30+01", now), base);
	assert_ms(when("2024-01-15T10:00Z", now), base - 30 * SEC);
	/* An offset crossing the date line moves the UTC day. */
	assert_ms(when("2024-01-01T01:00+14:00", now),
	    utc(2023, 12, 31, 11, 0, 0));
	assert_ms(when("2024-01-15T10:00:30.999-23:59", now),
	    base + 23 * HOUR + 59 * MIN + 999);
}

static void
test_timeparse_iso_errors(void **state)
{
	int64_t now = berlin_now();

	tt_set_tz("Europe/Berlin");
	when_fails("2024-1-15", now, "cannot parse time '2024-1-15'");
	when_fails("24-01-15", now, NULL);
	when_fails("20240115", now, NULL);
	when_fails("2024/01/15", now, NULL);
	when_fails("2024-01-15T", now, NULL);
	when_fails("2024-01-15T10", now, NULL);
	when_fails("2024-01-15T 10:00", now, NULL);
	when_fails("2024-01-15TT10:00", now, NULL);
	when_fails("2024-01-15T10:00:0", now, NULL);
	when_fails("2024-01-15T10:00:00.", now, NULL);
	when_fails("2024-01-15T10:00:00.Z", now, NULL);
	when_fails("2024-01-15T10:00.5Z", now, NULL);
	when_fails("2024-01-15T10:00Z+01:00", now, NULL);
	when_fails("2024-01-15T10:00 Z", now, NULL);
	when_fails("2024-01-15T10:00+5:30", now,
	    "invalid utc offset in '2024-01-15T10:00+5:30'");
	when_fails("2024-01-15T10:00+05:3", now, NULL);
	when_fails("2024-01-15T10:00+05:", now, NULL);
	when_fails("2024-01-15T10:00+053", now, NULL);
	when_fails("2024-01-15T10:00+24:00", now, NULL);
	when_fails("2024-01-15T10:00+05:60", now, NULL);
	when_fails("2024-01-15T10:00-", now, NULL);
	when_fails("2024-01-15T10:00:00.123x", now, NULL);
}

static void
test_timeparse_invalid_dates(void **state)
{
	int64_t now = berlin_now();

	tt_set_tz("Europe/Berlin");
	when_fails("2024-13-01", now, "invalid date '2024-13-01'");
	when_fails("2024-00-10", now, NULL);
	when_fails("2024-01-00", now, NULL);
	when_fails("2024-01-32", now, NULL);
	when_fails("2024-02-30", now, "invalid date '2024-02-30'");
	when_fails("2024-04-31", now, NULL);
	when_fails("2024-06-31T10:00Z", now, NULL);
	when_fails("2024-99-99", now, NULL);
	when_fails("25:00", now, "invalid time of day in '25:00'");
	when_fails("24:00", now, NULL);
	when_fails("10:60", now, NULL);
	when_fails("10:00:60", now, NULL);
	when_fails("2024-01-15T25:00", now,
	    "invalid time of day in '2024-01-15T25:00'");
	when_fails("2024-01-15T24:00", now, NULL);
	when_fails("2024-01-15T10:60Z", now, NULL);
	when_fails("2024-01-15T10:00:60Z", now, NULL);
	when_fails("today 24:00", now, NULL);
}

static void
test_timeparse_leap_days(void **state)
{
	int64_t now = berlin_now();

	tt_set_tz("Europe/Berlin");
	assert_ms(when("2024-02-29", now), utc(2024, 2, 28, 23, 0, 0));
	assert_ms(when("2024-02-29T12:00Z", now), utc(2024, 2, 29, 12, 0, 0));
	assert_ms(when("2000-02-29", now), utc(2000, 2, 28, 23, 0, 0));
	when_fails("2023-02-29", now, "invalid date '2023-02-29'");
	when_fails("1900-02-29", now, NULL);
	when_fails("2100-02-29", now, NULL);
	when_fails("2024-02-30", now, NULL);
	/* The day after a leap day, and "yesterday" from March 1st. */
	assert_ms(when("2024-03-01", now) - when("2024-02-29", now), DAY);
	assert_ms(when("yesterday", utc(2024, 3, 1, 10, 0, 0)),
	    utc(2024, 2, 28, 23, 0, 0));
	assert_ms(when("yesterday", utc(2023, 3, 1, 10, 0, 0)),
	    utc(2023, 2, 27, 23, 0, 0));
}

static void
test_timeparse_relative(void **state)
{
	int64_t now = berlin_now();

	tt_set_tz("Europe/Berlin");
	assert_ms(when("-15m", now), now - 15 * MIN);
	assert_ms(when("+15m", now), now + 15 * MIN);
	assert_ms(when("-1h30m", now), now - 90 * MIN);
	assert_ms(when("+90s", now), now + 90 * SEC);
	assert_ms(when("-1:30", now), now - 90 * MIN);
	assert_ms(when("-1.5h", now), now - 90 * MIN);
	/* A duration is elapsed time: "-1d" is 24 hours, even across DST. */
	assert_ms(when("-1d", utc(2024, 3, 31, 12, 0, 0)),
	    utc(2024, 3, 30, 12, 0, 0));
	assert_ms(when("  -2h  ", now), now - 2 * HOUR);
	when_fails("-", now, NULL);
	when_fails("+", now, NULL);
	when_fails("- 15m", now, NULL);
	when_fails("--15m", now, NULL);
	when_fails("-15", now, NULL);
	when_fails("-0m", now, NULL);
	when_fails("-15mx", now, "cannot parse duration '-15mx'");
}

static void
test_timeparse_unix_seconds(void **state)
{
	int64_t now = berlin_now();

	tt_set_tz("Europe/Berlin");
	assert_ms(when("@0", now), 0);
	assert_ms(when("@1700000000", now), 1700000000 * SEC);
	assert_ms(when("@-86400", now), -DAY);
	assert_ms(when("@253402300799", now), 253402300799 * SEC);
	when_fails("@", now, NULL);
	when_fails("@-", now, NULL);
	when_fails("@ 5", now, NULL);
	when_fails("@1.5", now, NULL);
	when_fails("@12x", now, "cannot parse time '@12x'");
	when_fails("@+5", now, NULL);
}

static void
test_timeparse_huge_numbers(void **state)
{
	int64_t now = berlin_now();

	tt_set_tz("Europe/Berlin");
	when_fails("@99999999999999999999", now,
	    "time '@99999999999999999999' is out of range");
	when_fails("@9223372036854775807", now, NULL);
	when_fails("@-9223372036854775808", now, NULL);
	when_fails("@253402300800", now, NULL);
	when_fails("+99999999h", now, NULL);
	when_fails("+99999999999999999999h", now,
	    "duration '+99999999999999999999h' is too large");
	when_fails("-9223372036854775807s", now, NULL);
	when_fails("+9223372036854775807:00", now, NULL);
	when_fails("999999999999:00", now, NULL);
	when_fails("2024-01-15T10:00:00+99:00", now, NULL);
	/* The ends of the four-digit years. */
	assert_ms(when("9999-12-31T23:59:59.999Z", now), 253402300799999LL);
	assert_ms(when("0000-01-01T00:00:00Z", now), -62167219200000LL);
	when_fails("0000-01-01T00:00:00+01:00", now, NULL);
	when_fails("9999-12-31T23:59:59-01:00", now, NULL);
	when_fails("10000-01-01", now, NULL);
	/* now itself far out: relative forms still check the result. */
	when_fails("+1s", 253402300799999LL, NULL);
	when_fails("-1s", INT64_MIN, NULL);
}

static void
test_timeparse_trailing_garbage(void **state)
{
	int64_t now = berlin_now();

	tt_set_tz("Europe/Berlin");
	when_fails("10:00x", now, "cannot parse time '10:00x'");
	when_fails("10:00 x", now, NULL);
	when_fails("10:00am", now, NULL);
	when_fails("now!", now, NULL);
	when_fails("now now", now, NULL);
	when_fails("now 10:00", now, NULL);
	when_fails("noww", now, NULL);
	when_fails("today x", now, NULL);
	when_fails("today10:00", now, NULL);
	when_fails("today 10", now, NULL);
	when_fails("today 10:00 x", now, NULL);
	when_fails("tomorrow 10:00:00:00", now, NULL);
	when_fails("2024-01-15x", now, NULL);
	when_fails("2024-01-15 10:00 +01:00", now, NULL);
	when_fails("10", now, NULL);
	when_fails("10:0", now, NULL);
	when_fails("10:000", now, NULL);
	when_fails("100:00", now, NULL);
	when_fails("1:2:3", now, NULL);
	when_fails(":30", now, NULL);
	when_fails("10:00\n11:00", now, NULL);
	/* Arabic-Indic digits are not digits here. */
	when_fails("\xd9\xa1\xd9\xa0:00", now, NULL);
	when_fails("\xff", now, NULL);
}

static void
test_timeparse_empty(void **state)
{
	tt_set_tz("Europe/Berlin");
	when_fails("", berlin_now(), "empty time");
	when_fails("   ", berlin_now(), "empty time");
	when_fails("\t\n", berlin_now(), "empty time");
	dur_fails("", "empty duration");
	dur_fails("  ", "empty duration");
	range_fails("", berlin_now(), NULL);
	range_fails("..", berlin_now(), "empty time");
}

static void
test_timeparse_error_struct(void **state)
{
	struct tock_err err = TOCK_ERR_INIT;
	int64_t out;
	char date[11];

	tt_set_tz("Europe/Berlin");
	/* Left alone on success, so calls can chain. */
	err.code = 77;
	strcpy(err.msg, "earlier");
	assert_int_equal(timeparse_when(&out, "now", 5, &err), 0);
	assert_int_equal(timeparse_duration(&out, "5m", &err), 0);
	assert_int_equal(timeparse_date(date, "today", 5, &err), 0);
	assert_int_equal(err.code, 77);
	assert_string_equal(err.msg, "earlier");
	/* NULL is allowed. */
	assert_int_equal(timeparse_when(&out, "bogus", 5, NULL), TOCK_EINVAL);
	assert_int_equal(timeparse_duration(&out, "0m", NULL), TOCK_EINVAL);
	/* Long input is quoted, cut, and does not overflow the message. */
	{
		char big[1000];

		memset(big, '9', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		assert_int_equal(timeparse_when(&out, big, 5, &err),
		    TOCK_EINVAL);
		assert_true(strlen(err.msg) < sizeof err.msg);
		assert_true(strncmp(err.msg, "cannot parse time '999",
		    22) == 0);
	}
}

static void
test_timeparse_duration_forms(void **state)
{
	assert_ms(dur("1h30m"), 90 * MIN);
	assert_ms(dur("2h"), 2 * HOUR);
	assert_ms(dur("45m"), 45 * MIN);
	assert_ms(dur("90s"), 90 * SEC);
	assert_ms(dur("1d2h"), 26 * HOUR);
	assert_ms(dur("2d"), 2 * DAY);
	assert_ms(dur("1d2h3m4s"), DAY + 2 * HOUR + 3 * MIN + 4 * SEC);
	assert_ms(dur("1.5h"), 90 * MIN);
	assert_ms(dur("0.5m"), 30 * SEC);
	assert_ms(dur("1.25s"), 1250);
	assert_ms(dur("0.001s"), 1);
	assert_ms(dur("0.3333333333h"), 1199999);
	assert_ms(dur("1h0.5m"), HOUR + 30 * SEC);
	assert_ms(dur("1:30"), 90 * MIN);
	assert_ms(dur("0:05"), 5 * MIN);
	assert_ms(dur("12:00"), 12 * HOUR);
	assert_ms(dur("100:00"), 100 * HOUR);
	assert_ms(dur("1:30:15"), 90 * MIN + 15 * SEC);
	assert_ms(dur("1H30M"), 90 * MIN);
	assert_ms(dur("1h 30m"), 90 * MIN);
	assert_ms(dur("  45m\t"), 45 * MIN);
	assert_ms(dur("0h5m"), 5 * MIN);
	assert_ms(dur("120m"), 2 * HOUR);
	assert_ms(dur("007m"), 7 * MIN);
}

static void
test_timeparse_duration_errors(void **state)
{
	dur_fails("0m", "duration '0m' must be positive");
	dur_fails("0s", NULL);
	dur_fails("0h0m", NULL);
	dur_fails("0:00", NULL);
	dur_fails("0.0001s", NULL);
	dur_fails("90", "missing unit (d, h, m or s) in duration '90'");
	dur_fails("1.5", NULL);
	dur_fails("1x", "cannot parse duration '1x'");
	dur_fails("1h30", NULL);
	dur_fails("30m1h", NULL);
	dur_fails("1h1h", NULL);
	dur_fails("1s1m", NULL);
	dur_fails("1.h", NULL);
	dur_fails(".5h", NULL);
	dur_fails("1..5h", NULL);
	dur_fails("h", NULL);
	dur_fails("1 h", NULL);
	dur_fails("-5m", NULL);
	dur_fails("+5m", NULL);
	dur_fails("1h30mx", NULL);
	dur_fails("1hour", NULL);
	dur_fails("1:5", NULL);
	dur_fails("1:60", "invalid minutes or seconds in duration '1:60'");
	dur_fails("1:30:60", NULL);
	dur_fails("1:30:", NULL);
	dur_fails(":30", NULL);
	dur_fails("1:30m", NULL);
	dur_fails("1h:30", NULL);
	dur_fails("99999999999999999999s",
	    "duration '99999999999999999999s' is too large");
	dur_fails("9223372036854775807h", NULL);
	dur_fails("9223372036854776s", NULL);
	dur_fails("2562047788016:00", NULL);
	dur_fails("9223372036854775807d", NULL);
	/* Sums that overflow only when added up. */
	dur_fails("106751991167d23h", NULL);
	/* The largest that fit. */
	assert_ms(dur("9223372036854775s"), 9223372036854775000LL);
	assert_ms(dur("2562047788015:00"), 9223372036854000000LL);
}

static void
test_timeparse_range_forms(void **state)
{
	int64_t now = berlin_now();

	tt_set_tz("Europe/Berlin");
	range_is("09:00..10:30", now, utc(2024, 5, 15, 7, 0, 0),
	    utc(2024, 5, 15, 8, 30, 0));
	range_is("09:00 .. 10:30", now, utc(2024, 5, 15, 7, 0, 0),
	    utc(2024, 5, 15, 8, 30, 0));
	range_is("09:00..09:00:01", now, utc(2024, 5, 15, 7, 0, 0),
	    utc(2024, 5, 15, 7, 0, 1));
	range_is("2024-05-01..2024-05-02", now, utc(2024, 4, 30, 22, 0, 0),
	    utc(2024, 5, 1, 22, 0, 0));
	range_is("2024-05-01 09:00..2024-05-03 17:00", now,
	    utc(2024, 5, 1, 7, 0, 0), utc(2024, 5, 3, 15, 0, 0));
	range_is("yesterday 09:00..17:30", now, utc(2024, 5, 14, 7, 0, 0),
	    utc(2024, 5, 14, 15, 30, 0));
	range_is("monday 09:00..tuesday 10:00", now,
	    utc(2024, 5, 13, 7, 0, 0), utc(2024, 5, 14, 8, 0, 0));
	range_is("-2h..-30m", now, now - 2 * HOUR, now - 30 * MIN);
	range_is("-2h..now", now, now - 2 * HOUR, now);
	range_is("@0..@60", now, 0, 60 * SEC);
	/* A bare TO is on FROM's local day, not on today. */
	range_is("2024-05-01T10:00Z..13:00", now, utc(2024, 5, 1, 10, 0, 0),
	    utc(2024, 5, 1, 11, 0, 0));
	range_is("2024-05-01T10:00Z..11:00", now, utc(2024, 5, 1, 10, 0, 0),
	    utc(2024, 5, 2, 9, 0, 0));
}

static void
test_timeparse_range_crosses_midnight(void **state)
{
	int64_t now = berlin_now();

	tt_set_tz("Europe/Berlin");
	range_is("22:00..01:30", now, utc(2024, 5, 15, 20, 0, 0),
	    utc(2024, 5, 15, 23, 30, 0));
	range_is("yesterday 22:00..01:30", now, utc(2024, 5, 14, 20, 0, 0),
	    utc(2024, 5, 14, 23, 30, 0));
	range_is("23:59..00:00", now, utc(2024, 5, 15, 21, 59, 0),
	    utc(2024, 5, 15, 22, 0, 0));
	range_is("10:00..09:59:59", now, utc(2024, 5, 15, 8, 0, 0),
	    utc(2024, 5, 16, 7, 59, 59));
	/* Into the night DST starts: 22:00 CET to 03:00 CEST is 4 hours. */
	range_is("2024-03-30 22:00..03:00", now, utc(2024, 3, 30, 21, 0, 0),
	    utc(2024, 3, 31, 1, 0, 0));
	/* And where it ends: 02:30 is the first (CEST) one, 3.5 hours. */
	range_is("2024-10-26 23:00..02:30", now, utc(2024, 10, 26, 21, 0, 0),
	    utc(2024, 10, 27, 0, 30, 0));
	/* New Year. */
	range_is("2024-12-31 23:00..00:30", now, utc(2024, 12, 31, 22, 0, 0),
	    utc(2024, 12, 31, 23, 30, 0));
}

static void
test_timeparse_range_errors(void **state)
{
	int64_t now = berlin_now();

	tt_set_tz("Europe/Berlin");
	range_fails("10:00..10:00", now,
	    "range '10:00..10:00' must end after it starts");
	range_fails("2024-05-02..2024-05-01", now, NULL);
	range_fails("2024-05-01..2024-05-01", now, NULL);
	range_fails("tomorrow..today", now, NULL);
	range_fails("-30m..-2h", now, NULL);
	range_fails("2024-05-01 10:00..2024-05-01 09:00", now, NULL);
	range_fails("today 10:00..today 09:00", now, NULL);
	range_fails("09:00-10:00", now,
	    "cannot parse range '09:00-10:00' (expected FROM..TO)");
	range_fails("09:00", now, NULL);
	range_fails("09:00..", now, "empty time");
	range_fails("..10:00", now, "empty time");
	range_fails("09:00..25:00", now, "invalid time of day in '25:00'");
	range_fails("09:00..10:00x", now, "cannot parse time '10:00x'");
	range_fails("xx..10:00", now, "cannot parse time 'xx'");
	range_fails("09:00...10:00", now, NULL);
	range_fails("09:00..10:00..11:00", now, NULL);
	range_fails("2024-02-30..2024-03-01", now,
	    "invalid date '2024-02-30'");
	range_fails("09:00..2024-13-01", now, NULL);
	range_fails("9999-12-31T23:00Z..23:30", now, NULL);
}

static void
test_timeparse_date(void **state)
{
	struct tock_err err = TOCK_ERR_INIT;
	int64_t now = berlin_now();
	char out[11] = "unchanged";

	tt_set_tz("Europe/Berlin");
	date_is("today", now, "2024-05-15");
	date_is("yesterday", now, "2024-05-14");
	date_is("tomorrow 23:59", now, "2024-05-16");
	date_is("monday", now, "2024-05-13");
	date_is("-1d", now, "2024-05-14");
	date_is("2024-02-29", now, "2024-02-29");
	/* The local date, not the UTC one. */
	date_is("2024-02-29T23:30Z", now, "2024-03-01");
	date_is("2024-03-01T00:30+02:00", now, "2024-02-29");
	date_is("0001-01-01T12:00Z", now, "0001-01-01");
	tt_set_tz("America/New_York");
	date_is("@0", now, "1969-12-31");
	date_is("now", utc(2024, 1, 1, 3, 0, 0), "2023-12-31");

	tt_set_tz("Europe/Berlin");
	assert_int_equal(timeparse_date(out, "bogus", now, &err),
	    TOCK_EINVAL);
	assert_string_equal(err.msg, "cannot parse time 'bogus'");
	assert_string_equal(out, "unchanged");
	/* Its Berlin date is in year 10000, which has no YYYY. */
	assert_int_equal(timeparse_date(out, "9999-12-31T23:30Z", now, &err),
	    TOCK_EINVAL);
	assert_string_equal(out, "unchanged");
}

static void
test_timeparse_day_length_berlin(void **state)
{
	int64_t s, n;

	tt_set_tz("Europe/Berlin");
	/* An ordinary day. */
	s = time_day_start(utc(2024, 5, 15, 8, 0, 0));
	assert_ms(s, utc(2024, 5, 14, 22, 0, 0));
	n = time_day_next(s);
	assert_ms(n - s, 24 * HOUR);
	/* Spring forward, Sunday 2024-03-31: 23 hours. */
	s = time_day_start(utc(2024, 3, 31, 12, 0, 0));
	assert_ms(s, utc(2024, 3, 30, 23, 0, 0));
	n = time_day_next(s);
	assert_ms(n, utc(2024, 3, 31, 22, 0, 0));
	assert_ms(n - s, 23 * HOUR);
	/* Fall back, Sunday 2024-10-27: 25 hours. */
	s = time_day_start(utc(2024, 10, 27, 12, 0, 0));
	assert_ms(s, utc(2024, 10, 26, 22, 0, 0));
	n = time_day_next(s);
	assert_ms(n, utc(2024, 10, 27, 23, 0, 0));
	assert_ms(n - s, 25 * HOUR);
	/* Inside the repeated hour, both passes are on the same day. */
	assert_ms(time_day_start(utc(2024, 10, 27, 0, 30, 0)), s);
	assert_ms(time_day_start(utc(2024, 10, 27, 1, 30, 0)), s);
	/* A day start is its own start; the last ms belongs to the day. */
	assert_ms(time_day_start(s), s);
	assert_ms(time_day_start(n - 1), s);
	assert_ms(time_day_start(n), n);
	/* Walking a whole year by days lands on New Year again. */
	s = when("2024-01-01", 0);
	for (int i = 0; i < 366; i++)
		s = time_day_next(s);
	assert_ms(s, when("2025-01-01", 0));
}

static void
test_timeparse_day_length_new_york(void **state)
{
	int64_t s, n;

	tt_set_tz("America/New_York");
	s = time_day_start(utc(2024, 3, 10, 16, 0, 0));
	assert_ms(s, utc(2024, 3, 10, 5, 0, 0));
	n = time_day_next(s);
	assert_ms(n, utc(2024, 3, 11, 4, 0, 0));
	assert_ms(n - s, 23 * HOUR);
	s = time_day_start(utc(2024, 11, 3, 16, 0, 0));
	assert_ms(s, utc(2024, 11, 3, 4, 0, 0));
	n = time_day_next(s);
	assert_ms(n, utc(2024, 11, 4, 5, 0, 0));
	assert_ms(n - s, 25 * HOUR);
	/* Before the epoch: negative milliseconds round down. */
	tt_set_tz("UTC");
	assert_ms(time_day_start(-1), -DAY);
	assert_ms(time_day_start(-DAY), -DAY);
	assert_ms(time_day_next(-DAY), 0);
}

static void
test_timeparse_day_length_odd_zones(void **state)
{
	int64_t s, n;

	/* Chile springs forward at midnight: the day starts at 01:00. */
	tt_set_tz("America/Santiago");
	s = time_day_start(utc(2024, 9, 8, 15, 0, 0));
	assert_ms(s, utc(2024, 9, 8, 4, 0, 0));
	assert_ms(when("2024-09-08", 0), s);
	assert_ms(when("2024-09-08 00:30", 0), utc(2024, 9, 8, 4, 30, 0));
	n = time_day_next(s);
	assert_ms(n - s, 23 * HOUR);
	assert_ms(time_day_next(time_day_start(utc(2024, 9, 7, 15, 0, 0))), s);
	/* ... and falls back at midnight, repeating 23:00 on Saturday. */
	s = time_day_start(utc(2024, 4, 6, 15, 0, 0));
	assert_ms(s, utc(2024, 4, 6, 3, 0, 0));
	assert_ms(time_day_next(s) - s, 25 * HOUR);
	assert_ms(when("2024-04-06 23:30", 0), utc(2024, 4, 7, 2, 30, 0));

	/* Lord Howe Island moves its clocks by half an hour. */
	tt_set_tz("Australia/Lord_Howe");
	s = time_day_start(utc(2024, 10, 6, 3, 0, 0));
	assert_ms(s, utc(2024, 10, 5, 13, 30, 0));
	assert_ms(time_day_next(s) - s, 23 * HOUR + 30 * MIN);
	assert_ms(when("2024-10-06 02:15", 0), utc(2024, 10, 5, 15, 45, 0));
	s = time_day_start(utc(2024, 4, 7, 3, 0, 0));
	assert_ms(time_day_next(s) - s, 24 * HOUR + 30 * MIN);
}

static void
test_timeparse_yesterday_across_dst(void **state)
{
	int64_t now;

	tt_set_tz("Europe/Berlin");
	/* Sunday 2024-03-31 18:00 CEST; yesterday was still CET. */
	now = utc(2024, 3, 31, 16, 0, 0);
	assert_ms(when("yesterday 17:00", now), utc(2024, 3, 30, 16, 0, 0));
	assert_ms(when("today 17:00", now), utc(2024, 3, 31, 15, 0, 0));
	assert_ms(when("today 17:00", now) - when("yesterday 17:00", now),
	    23 * HOUR);
	assert_ms(when("yesterday", now), utc(2024, 3, 29, 23, 0, 0));
	/* Monday after: yesterday was the short day. */
	now = utc(2024, 4, 1, 8, 0, 0);
	assert_ms(when("yesterday 17:00", now), utc(2024, 3, 31, 15, 0, 0));
	/* Saturday 2024-10-26 12:00 CEST: tomorrow morning is CET. */
	now = utc(2024, 10, 26, 10, 0, 0);
	assert_ms(when("tomorrow 09:00", now), utc(2024, 10, 27, 8, 0, 0));
	assert_ms(when("tomorrow", now), utc(2024, 10, 26, 22, 0, 0));

	tt_set_tz("America/New_York");
	/* Sunday 2024-11-03 12:00 EST; yesterday was EDT. */
	now = utc(2024, 11, 3, 17, 0, 0);
	assert_ms(when("yesterday 17:00", now), utc(2024, 11, 2, 21, 0, 0));
	assert_ms(when("today 17:00", now) - when("yesterday 17:00", now),
	    25 * HOUR);
	/* Sunday 2024-03-10 12:00 EDT. */
	now = utc(2024, 3, 10, 16, 0, 0);
	assert_ms(when("yesterday 17:00", now), utc(2024, 3, 9, 22, 0, 0));
	assert_ms(when("yesterday", now), utc(2024, 3, 9, 5, 0, 0));
}

static void
test_timeparse_dst_gap(void **state)
{
	tt_set_tz("Europe/Berlin");
	/* 02:00..02:59 does not exist on 2024-03-31: moved forward. */
	assert_ms(when("2024-03-31 02:30", 0), utc(2024, 3, 31, 1, 30, 0));
	assert_ms(when("2024-03-31T02:00", 0), utc(2024, 3, 31, 1, 0, 0));
	assert_ms(when("2024-03-31T02:59:59", 0), utc(2024, 3, 31, 1, 59, 59));
	assert_ms(when("02:30", utc(2024, 3, 31, 10, 0, 0)),
	    utc(2024, 3, 31, 1, 30, 0));
	assert_ms(when("today 02:30", utc(2024, 3, 31, 10, 0, 0)),
	    utc(2024, 3, 31, 1, 30, 0));
	assert_ms(when("tomorrow 02:30", utc(2024, 3, 30, 10, 0, 0)),
	    utc(2024, 3, 31, 1, 30, 0));
	/* Either side of the gap is untouched. */
	assert_ms(when("2024-03-31T01:59:59", 0), utc(2024, 3, 31, 0, 59, 59));
	assert_ms(when("2024-03-31T03:00", 0), utc(2024, 3, 31, 1, 0, 0));
	/* An explicit offset is taken as given. */
	assert_ms(when("2024-03-31T02:30+01:00", 0),
	    utc(2024, 3, 31, 1, 30, 0));

	tt_set_tz("America/New_York");
	assert_ms(when("2024-03-10 02:30", 0), utc(2024, 3, 10, 7, 30, 0));
	assert_ms(when("2024-03-10 01:59", 0), utc(2024, 3, 10, 6, 59, 0));
	assert_ms(when("2024-03-10 03:00", 0), utc(2024, 3, 10, 7, 0, 0));
}

static void
test_timeparse_dst_repeated_hour(void **state)
{
	tt_set_tz("Europe/Berlin");
	/* 02:00..02:59 happens twice on 2024-10-27: the CEST one first. */
	assert_ms(when("2024-10-27 02:30", 0), utc(2024, 10, 27, 0, 30, 0));
	assert_ms(when("2024-10-27 02:00", 0), utc(2024, 10, 27, 0, 0, 0));
	assert_ms(when("2024-10-27 02:59:59", 0), utc(2024, 10, 27, 0, 59, 59));
	assert_ms(when("02:30", utc(2024, 10, 27, 12, 0, 0)),
	    utc(2024, 10, 27, 0, 30, 0));
	/* The same answer however often it is asked. */
	for (int i = 0; i < 3; i++)
		assert_ms(when("2024-10-27 02:30", 0),
		    utc(2024, 10, 27, 0, 30, 0));
	/* The second pass is reachable with an offset. */
	assert_ms(when("2024-10-27T02:30+01:00", 0),
	    utc(2024, 10, 27, 1, 30, 0));
	assert_ms(when("2024-10-27 01:59", 0), utc(2024, 10, 26, 23, 59, 0));
	assert_ms(when("2024-10-27 03:00", 0), utc(2024, 10, 27, 2, 0, 0));

	tt_set_tz("America/New_York");
	assert_ms(when("2024-11-03 01:30", 0), utc(2024, 11, 3, 5, 30, 0));
	assert_ms(when("2024-11-03 02:00", 0), utc(2024, 11, 3, 7, 0, 0));

	/* Dublin's winter time is the tzdata "DST": still the first pass. */
	tt_set_tz("Europe/Dublin");
	assert_ms(when("2024-10-27 01:30", 0), utc(2024, 10, 27, 0, 30, 0));
	assert_ms(when("2024-03-31 01:30", 0), utc(2024, 3, 31, 1, 30, 0));
}

static void
test_timeparse_week_start_monday(void **state)
{
	int64_t mon = utc(2024, 5, 12, 22, 0, 0);	/* Mon 2024-05-13 */

	tt_set_tz("Europe/Berlin");
	assert_ms(time_week_start(utc(2024, 5, 15, 8, 0, 0)), mon);
	assert_ms(time_week_start(mon), mon);
	assert_ms(time_week_start(mon - 1), mon - 7 * DAY);
	assert_ms(time_week_start(utc(2024, 5, 19, 21, 59, 59)), mon);
	assert_ms(time_week_start(utc(2024, 5, 19, 22, 0, 0)), mon + 7 * DAY);
	/* The week DST starts is 167 hours long. */
	assert_ms(time_week_start(utc(2024, 3, 31, 12, 0, 0)),
	    utc(2024, 3, 24, 23, 0, 0));
	assert_ms(time_week_start(utc(2024, 4, 1, 8, 0, 0)),
	    utc(2024, 3, 31, 22, 0, 0));
	/* Across New Year: Wednesday 2025-01-01 is in 2024's last week. */
	assert_ms(time_week_start(utc(2025, 1, 1, 12, 0, 0)),
	    utc(2024, 12, 29, 23, 0, 0));

	tt_set_tz("UTC");
	/* 1970-01-01 was a Thursday. */
	assert_ms(time_week_start(0), -3 * DAY);
	assert_ms(time_week_start(-1), -3 * DAY);
}

static void
test_timeparse_fmt_duration(void **state)
{
	char buf[32];
	static const struct {
		int64_t		ms;
		const char	*want;
	} cases[] = {
		{ 0, "0s" },
		{ 999, "0s" },
		{ 1000, "1s" },
		{ 59999, "59s" },
		{ 60000, "1m" },
		{ 119999, "1m" },
		{ 3599999, "59m" },
		{ 3600000, "1h00m" },
		{ 3600000 + 12 * 60000 + 59999, "1h12m" },
		{ 26 * 3600000LL + 3 * 60000, "26h03m" },
		{ 1000 * 3600000LL, "1000h00m" },
		{ -1, "0s" },
		{ -3600000, "0s" },
		{ INT64_MIN, "0s" },
		{ INT64_MAX, "2562047788015h12m" },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		timefmt_duration(buf, sizeof buf, cases[i].ms);
		assert_string_equal(buf, cases[i].want);
	}
	/* A short buffer truncates and stays NUL-terminated. */
	timefmt_duration(buf, 3, 3600000);
	assert_string_equal(buf, "1h");
	buf[0] = 'x';
	timefmt_duration(buf, 0, 3600000);
	assert_int_equal(buf[0], 'x');
}

static void
test_timeparse_fmt_iso_utc(void **state)
{
	char buf[64];
	int64_t ms = utc(2026, 11, 25, 9, 30, 0) + 123;

	timefmt_iso_utc(buf, sizeof buf, ms);
	assert_string_equal(buf, "2026-11-25T09:30:00.123Z");
	assert_ms(when(buf, 0), ms);
	timefmt_iso_utc(buf, sizeof buf, 0);
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
	timefmt_iso_utc(buf, sizeof buf, -1);
	assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
	assert_ms(when(buf, 0), -1);
	timefmt_iso_utc(buf, 5, ms);
	assert_string_equal(buf, "2026");
}

static void
test_timeparse_fmt_iso_local(void **state)
{
	char buf[64];
	int64_t winter = utc(2026, 11, 25, 9, 30, 0);
	int64_t summer = utc(2026, 7, 1, 9, 30, 0);

	tt_set_tz("Europe/Berlin");
	timefmt_iso_local(buf, sizeof buf, winter);
	assert_string_equal(buf, "2026-11-25T10:30:00+01:00");
	assert_ms(when(buf, 0), winter);
	timefmt_iso_local(buf, sizeof buf, summer);
	assert_string_equal(buf, "2026-07-01T11:30:00+02:00");
	assert_ms(when(buf, 0), summer);
	tt_set_tz("America/New_York");
	timefmt_iso_local(buf, sizeof buf, winter);
	assert_string_equal(buf, "2026-11-25T04:30:00-05:00");
	assert_ms(when(buf, 0), winter);
	tt_set_tz("America/St_Johns");
	timefmt_iso_local(buf, sizeof buf, winter);
	assert_string_equal(buf, "2026-11-25T06:00:00-03:30");
	assert_ms(when(buf, 0), winter);
	tt_set_tz("Asia/Kolkata");
	timefmt_iso_local(buf, sizeof buf, winter);
	assert_string_equal(buf, "2026-11-25T15:00:00+05:30");
	tt_set_tz("UTC");
	timefmt_iso_local(buf, sizeof buf, winter);
	assert_string_equal(buf, "2026-11-25T09:30:00+00:00");
	/* Both passes through the repeated hour round-trip. */
	tt_set_tz("Europe/Berlin");
	timefmt_iso_local(buf, sizeof buf, utc(2024, 10, 27, 0, 30, 0));
	assert_string_equal(buf, "2024-10-27T02:30:00+02:00");
	timefmt_iso_local(buf, sizeof buf, utc(2024, 10, 27, 1, 30, 0));
	assert_string_equal(buf, "2024-10-27T02:30:00+01:00");
	assert_ms(when(buf, 0), utc(2024, 10, 27, 1, 30, 0));
}

static void
test_timeparse_fmt_local(void **state)
{
	char buf[64];

	tt_set_tz("Europe/Berlin");
	timefmt_local(buf, sizeof buf, berlin_now(), "%Y-%m-%d %H:%M %Z");
	assert_string_equal(buf, "2024-05-15 10:00 CEST");
	timefmt_local(buf, sizeof buf, utc(2024, 1, 1, 0, 0, 0), "%H:%M %a");
	assert_string_equal(buf, "01:00 Mon");
	/* Too small: empty rather than undefined. */
	timefmt_local(buf, 5, berlin_now(), "%Y-%m-%d");
	assert_string_equal(buf, "");
	timefmt_local(buf, sizeof buf, berlin_now(), "");
	assert_string_equal(buf, "");
}

static void
test_timeparse_fmt_ago(void **state)
{
	const int64_t now = 1700000000000LL;
	char buf[32];

	(void)state;
	timefmt_ago(buf, sizeof buf, 0, now);
	assert_string_equal(buf, "never");
	timefmt_ago(buf, sizeof buf, now + 5000, now);
	assert_string_equal(buf, "just now");
	timefmt_ago(buf, sizeof buf, now - 12000, now);
	assert_string_equal(buf, "12s ago");
	timefmt_ago(buf, sizeof buf, now - 5 * 60000 - 59000, now);
	assert_string_equal(buf, "5m ago");
	timefmt_ago(buf, sizeof buf, now - 3 * 3600000LL, now);
	assert_string_equal(buf, "3h ago");
	timefmt_ago(buf, sizeof buf, now - 2 * 86400000LL - 1, now);
	assert_string_equal(buf, "2d ago");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timeparse_now),
		cmocka_unit_test(test_timeparse_day_words),
		cmocka_unit_test(test_timeparse_bare_time),
		cmocka_unit_test(test_timeparse_midnight),
		cmocka_unit_test(test_timeparse_weekday),
		cmocka_unit_test(test_timeparse_iso_local),
		cmocka_unit_test(test_timeparse_iso_offsets),
		cmocka_unit_test(test_timeparse_iso_errors),
		cmocka_unit_test(test_timeparse_invalid_dates),
		cmocka_unit_test(test_timeparse_leap_days),
		cmocka_unit_test(test_timeparse_relative),
		cmocka_unit_test(test_timeparse_unix_seconds),
		cmocka_unit_test(test_timeparse_huge_numbers),
		cmocka_unit_test(test_timeparse_trailing_garbage),
		cmocka_unit_test(test_timeparse_empty),
		cmocka_unit_test(test_timeparse_error_struct),
		cmocka_unit_test(test_timeparse_duration_forms),
		cmocka_unit_test(test_timeparse_duration_errors),
		cmocka_unit_test(test_timeparse_range_forms),
		cmocka_unit_test(test_timeparse_range_crosses_midnight),
		cmocka_unit_test(test_timeparse_range_errors),
		cmocka_unit_test(test_timeparse_date),
		cmocka_unit_test(test_timeparse_day_length_berlin),
		cmocka_unit_test(test_timeparse_day_length_new_york),
		cmocka_unit_test(test_timeparse_day_length_odd_zones),
		cmocka_unit_test(test_timeparse_yesterday_across_dst),
		cmocka_unit_test(test_timeparse_dst_gap),
		cmocka_unit_test(test_timeparse_dst_repeated_hour),
		cmocka_unit_test(test_timeparse_week_start_monday),
		cmocka_unit_test(test_timeparse_fmt_duration),
		cmocka_unit_test(test_timeparse_fmt_iso_utc),
		cmocka_unit_test(test_timeparse_fmt_iso_local),
		cmocka_unit_test(test_timeparse_fmt_local),
		cmocka_unit_test(test_timeparse_fmt_ago),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
