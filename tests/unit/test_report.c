/*
 * test_report.c - unit tests of common/report.c: clipping to the range,
 * splitting at local midnights (across DST too), the running timer, and
 * grouping by task, tag, day and user.
 *
 * Every test runs in Europe/Berlin (CET = UTC+1, CEST = UTC+2; 2026
 * springs forward on 29 March at 02:00 and falls back on 25 October at
 * 03:00).  Instants are written in UTC with utc(), next to the local time
 * they mean.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "report.h"
#include "timeparse.h"
#include "tocktest.h"

#define SEC	1000LL
#define MIN	(60 * SEC)
#define HOUR	(60 * MIN)
#define DAY	(24 * HOUR)

static int64_t
utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (int64_t)timegm(&tm) * SEC;
}

static int
setup_berlin(void **state)
{
	(void)state;
	tt_set_tz("Europe/Berlin");
	return 0;
}

/* A report over [since, until) that must start. */
static void
start(struct report *r, enum report_by by, int64_t since, int64_t until,
    int64_t now)
{
	struct tock_err err = TOCK_ERR_INIT;
	int rc = report_init(r, by, since, until, now, &err);

	if (rc != 0)
		fail_msg("report_init: %d %s", rc, err.msg);
}

/* An entry on a task (id "t<num>", title "Task <num>"); end -1 runs. */
static void
add(struct report *r, int num, const char *meta, int64_t s, int64_t e)
{
	struct report_item it;
	char id[16], title[16];

	memset(&it, 0, sizeof it);
	snprintf(id, sizeof id, "t%d", num);
	snprintf(title, sizeof title, "Task %d", num);
	it.start = s;
	it.end = e;
	if (num > 0) {
		it.task_id = id;
		it.task_title = title;
		it.task_num = num;
		it.metadata = meta;
	}
	it.user_id = "u1";
	it.user_name = "Ada";
	report_add(r, &it);
}

static void
add_user(struct report *r, const char *uid, const char *name, int64_t s,
    int64_t e)
{
	struct report_item it;

	memset(&it, 0, sizeof it);
	it.start = s;
	it.end = e;
	it.task_id = "t1";
	it.task_title = "Task 1";
	it.user_id = uid;
	it.user_name = name;
	report_add(r, &it);
}

/* The day of the report starting at local midnight ms (by index). */
static const struct report_day *
day_at(const struct report *r, int64_t ms)
{
	long i = report_day_index(r, ms);

	if (i < 0 || r->days[i].start != ms)
		fail_msg("no day starting at %lld", (long long)ms);
	return &r->days[i];
}

static void
assert_group(const struct report *r, size_t i, const char *key,
    const char *label, int64_t ms)
{
	if (i >= r->ngroups)
		fail_msg("group %zu of %zu", i, r->ngroups);
	assert_string_equal(r->groups[i].key, key);
	assert_string_equal(r->groups[i].label, label);
	if (r->groups[i].ms != ms)
		fail_msg("group '%s': %lld ms, want %lld", label,
		    (long long)r->groups[i].ms, (long long)ms);
}

static void
test_report_by_names(void **state)
{
	struct tock_err err = TOCK_ERR_INIT;
	enum report_by by = REPORT_BY_TASK;

	(void)state;
	assert_int_equal(report_by_parse(&by, "tag", &err), 0);
	assert_int_equal(by, REPORT_BY_TAG);
	assert_int_equal(report_by_parse(&by, "user", &err), 0);
	assert_int_equal(by, REPORT_BY_USER);
	assert_int_equal(report_by_parse(&by, "day", &err), 0);
	assert_int_equal(by, REPORT_BY_DAY);
	assert_int_equal(report_by_parse(&by, "task", &err), 0);
	assert_int_equal(by, REPORT_BY_TASK);
	assert_int_equal(report_by_parse(&by, "tags", &err), TOCK_EINVAL);
	assert_string_equal(err.msg,
	    "cannot group by 'tags': use task, tag, day or user");
	assert_int_equal(by, REPORT_BY_TASK);
	assert_string_equal(report_by_name(REPORT_BY_USER), "user");
}

static void
test_report_init_rejects_bad_ranges(void **state)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct report r;
	int64_t t = utc(2026, 11, 23, 0, 0);

	(void)state;
	assert_int_equal(report_init(&r, REPORT_BY_TASK, t, t, t, &err),
	    TOCK_EINVAL);
	report_release(&r);
	assert_int_equal(report_init(&r, REPORT_BY_TASK, t, t - 1, t, &err),
	    TOCK_EINVAL);
	report_release(&r);
	assert_int_equal(report_init(&r, REPORT_BY_TASK, 0,
	    (int64_t)REPORT_MAX_DAYS * DAY, t, &err), TOCK_ETOOBIG);
	report_release(&r);
}

/* 22:00 -> 02:00 on an ordinary night: two hours on each day. */
static void
test_report_splits_at_midnight(void **state)
{
	struct report r;
	/* Mon 2026-11-23 00:00 CET .. Mon 2026-11-30 00:00 CET */
	int64_t since = utc(2026, 11, 22, 23, 0), until = utc(2026, 11, 29, 23, 0);

	(void)state;
	start(&r, REPORT_BY_TASK, since, until, until);
	assert_int_equal(r.ndays, 7);
	/* Tue 22:00 CET -> Wed 02:00 CET */
	add(&r, 1, NULL, utc(2026, 11, 24, 21, 0), utc(2026, 11, 25, 1, 0));
	report_finish(&r);
	assert_true(r.total_ms == 4 * HOUR);
	assert_true(day_at(&r, utc(2026, 11, 23, 23, 0))->ms == 2 * HOUR);
	assert_true(day_at(&r, utc(2026, 11, 24, 23, 0))->ms == 2 * HOUR);
	assert_true(day_at(&r, utc(2026, 11, 22, 23, 0))->ms == 0);
	assert_int_equal(r.ngroups, 1);
	assert_group(&r, 0, "t1", "Task 1", 4 * HOUR);
	assert_int_equal(r.groups[0].task_num, 1);
	report_release(&r);
}

/* 01:00 -> 04:00 local on 2026-03-29: the hour 02:00-03:00 does not
 * exist, so two hours, all on that day; the day itself is 23 hours. */
static void
test_report_spring_forward(void **state)
{
	struct report r;
	/* Mon 2026-03-23 00:00 CET .. Mon 2026-03-30 00:00 CEST */
	int64_t since = utc(2026, 3, 22, 23, 0), until = utc(2026, 3, 29, 22, 0);
	int64_t sun = utc(2026, 3, 28, 23, 0);	/* Sun 00:00 CET */
	long i;

	(void)state;
	assert_true(time_week_start(utc(2026, 3, 29, 12, 0)) == since);
	start(&r, REPORT_BY_DAY, since, until, until);
	assert_int_equal(r.ndays, 7);
	assert_true(r.days_end == until);
	i = report_day_index(&r, sun);
	assert_int_equal(i, 6);
	assert_true(r.days_end - r.days[i].start == 23 * HOUR);
	/* 01:00 CET = 00:00Z, 04:00 CEST = 02:00Z */
	add(&r, 1, NULL, utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 2, 0));
	report_finish(&r);
	assert_true(r.total_ms == 2 * HOUR);
	assert_true(r.days[6].ms == 2 * HOUR);
	assert_true(r.days[5].ms == 0);
	assert_int_equal(r.ngroups, 1);
	assert_group(&r, 0, "2026-03-29", "Sun 2026-03-29", 2 * HOUR);
	report_release(&r);
}

/* 01:00 -> 04:00 local on 2026-10-25: 02:00-03:00 happens twice, so four
 * hours, all on that 25-hour day; and across its midnights too. */
static void
test_report_fall_back(void **state)
{
	struct report r;
	/* Mon 2026-10-19 00:00 CEST .. Mon 2026-10-26 00:00 CET */
	int64_t since = utc(2026, 10, 18, 22, 0), until = utc(2026, 10, 25, 23, 0);
	int64_t sat = utc(2026, 10, 23, 22, 0), sun = utc(2026, 10, 24, 22, 0);

	(void)state;
	start(&r, REPORT_BY_DAY, since, until, until);
	assert_int_equal(r.ndays, 7);
	assert_true(until - day_at(&r, sun)->start == 25 * HOUR);
	/* 01:00 CEST = Sat 23:00Z, 04:00 CET = 03:00Z */
	add(&r, 1, NULL, utc(2026, 10, 24, 23, 0), utc(2026, 10, 25, 3, 0));
	/* Sat 23:00 CEST -> Mon 01:00 CET: 1h + 25h + 1h, the last cut off */
	add(&r, 2, NULL, utc(2026, 10, 24, 21, 0), utc(2026, 10, 26, 0, 0));
	report_finish(&r);
	assert_true(day_at(&r, sat)->ms == 1 * HOUR);
	assert_true(day_at(&r, sun)->ms == 4 * HOUR + 25 * HOUR);
	assert_true(r.total_ms == 4 * HOUR + 26 * HOUR);
	assert_int_equal(r.ngroups, 2);
	assert_group(&r, 0, "2026-10-24", "Sat 2026-10-24", 1 * HOUR);
	assert_group(&r, 1, "2026-10-25", "Sun 2026-10-25", 29 * HOUR);
	report_release(&r);
}

/* Week bounds: Monday to Monday, the days at local midnights. */
static void
test_report_week_days(void **state)
{
	struct report r;
	int64_t now = utc(2026, 11, 25, 9, 30);		/* Wed 10:30 CET */
	int64_t mon = time_week_start(now);
	int64_t d = mon;
	size_t i;
	char buf[32];

	(void)state;
	assert_true(mon == utc(2026, 11, 22, 23, 0));
	for (i = 0; i < 7; i++)
		d = time_day_next(d);
	start(&r, REPORT_BY_TASK, mon, d, now);
	assert_int_equal(r.ndays, 7);
	for (i = 0; i < 7; i++)
		assert_true(r.days[i].start == mon + (int64_t)i * DAY);
	timefmt_local(buf, sizeof buf, r.days[6].start, "%a %Y-%m-%d %H:%M");
	assert_string_equal(buf, "Sun 2026-11-29 00:00");
	assert_int_equal(report_day_index(&r, mon - 1), -1);
	assert_int_equal(report_day_index(&r, d), -1);
	assert_int_equal(report_day_index(&r, d - 1), 6);
	report_release(&r);
}

/* A range that does not start at midnight: its first day is cut. */
static void
test_report_clips_to_range(void **state)
{
	struct report r;
	/* Tue 2026-11-24 09:00 CET .. Wed 12:00 CET */
	int64_t since = utc(2026, 11, 24, 8, 0), until = utc(2026, 11, 25, 11, 0);

	(void)state;
	start(&r, REPORT_BY_TASK, since, until, until);
	assert_int_equal(r.ndays, 2);
	assert_true(r.days[0].start == utc(2026, 11, 23, 23, 0));
	/* 07:00 -> 10:00: one hour in range */
	add(&r, 1, NULL, utc(2026, 11, 24, 6, 0), utc(2026, 11, 24, 9, 0));
	/* Wed 11:00 -> 14:00: one hour in range */
	add(&r, 2, NULL, utc(2026, 11, 25, 10, 0), utc(2026, 11, 25, 13, 0));
	/* Entirely before, entirely after, empty: nothing. */
	add(&r, 3, NULL, utc(2026, 11, 24, 5, 0), utc(2026, 11, 24, 8, 0));
	add(&r, 3, NULL, utc(2026, 11, 25, 11, 0), utc(2026, 11, 25, 12, 0));
	add(&r, 3, NULL, utc(2026, 11, 24, 9, 0), utc(2026, 11, 24, 9, 0));
	report_finish(&r);
	assert_true(r.total_ms == 2 * HOUR);
	assert_int_equal(r.nentries, 2);
	assert_true(r.days[0].ms == HOUR && r.days[1].ms == HOUR);
	/* Equal totals: by label. */
	assert_int_equal(r.ngroups, 2);
	assert_group(&r, 0, "t1", "Task 1", HOUR);
	assert_group(&r, 1, "t2", "Task 2", HOUR);
	report_release(&r);
}

/* The running timer counts up to now, and only up to the range's end. */
static void
test_report_running_timer(void **state)
{
	struct report r;
	int64_t since = utc(2026, 11, 24, 23, 0);	/* Wed 00:00 CET */
	int64_t until = utc(2026, 11, 25, 23, 0);
	int64_t now = utc(2026, 11, 25, 9, 30);		/* 10:30 */

	(void)state;
	start(&r, REPORT_BY_TASK, since, until, now);
	/* Since Tue 23:00: 10h30m of it today. */
	add(&r, 1, NULL, utc(2026, 11, 24, 22, 0), -1);
	add(&r, 2, NULL, utc(2026, 11, 25, 7, 0), utc(2026, 11, 25, 7, 30));
	report_finish(&r);
	assert_true(r.running);
	assert_true(r.total_ms == 10 * HOUR + 30 * MIN + 30 * MIN);
	assert_group(&r, 0, "t1", "Task 1", 10 * HOUR + 30 * MIN);
	assert_true(r.groups[0].running);
	assert_false(r.groups[1].running);
	assert_true(r.days[0].running);
	report_release(&r);

	/* Yesterday's report: the running timer up to its midnight. */
	start(&r, REPORT_BY_TASK, utc(2026, 11, 23, 23, 0), since, now);
	add(&r, 1, NULL, utc(2026, 11, 24, 22, 0), -1);
	report_finish(&r);
	assert_true(r.total_ms == HOUR);
	assert_true(r.running && r.days[0].running);
	report_release(&r);

	/* A timer started after the range: nothing. */
	start(&r, REPORT_BY_TASK, utc(2026, 11, 23, 23, 0), since, now);
	add(&r, 1, NULL, utc(2026, 11, 25, 8, 0), -1);
	report_finish(&r);
	assert_true(r.total_ms == 0);
	assert_false(r.running);
	assert_int_equal(r.ngroups, 0);
	report_release(&r);
}

/* By tag: a task's time counts toward each of its tags; untagged time
 * (no tags, no task, bad metadata) goes under "(no tag)". */
static void
test_report_by_tag(void **state)
{
	struct report r;
	int64_t since = utc(2026, 11, 22, 23, 0), until = utc(2026, 11, 29, 23, 0);
	int64_t t = utc(2026, 11, 24, 8, 0);

	(void)state;
	start(&r, REPORT_BY_TAG, since, until, until);
	add(&r, 1, "{\"tags\":[\"work\",\"writing\"]}", t, t + HOUR);
	add(&r, 2, "{\"tags\":[\"work\"],\"priority\":\"H\"}", t + HOUR,
	    t + 3 * HOUR);
	/* Metadata of a task's later entries is not read again. */
	add(&r, 1, "{\"tags\":[\"other\"]}", t + 3 * HOUR, t + 4 * HOUR);
	add(&r, 3, "{}", t + 4 * HOUR, t + 4 * HOUR + 15 * MIN);
	add(&r, 0, NULL, t + 5 * HOUR, t + 5 * HOUR + 20 * MIN);
	add(&r, 4, "{\"tags\":\"work\"}", t + 6 * HOUR,
	    t + 6 * HOUR + 10 * MIN);
	/* A tag listed twice counts once. */
	add(&r, 5, "{\"tags\":[\"dup\",\"dup\"]}", t + 7 * HOUR,
	    t + 7 * HOUR + 5 * MIN);
	report_finish(&r);
	assert_true(r.total_ms == 4 * HOUR + 50 * MIN);
	assert_int_equal(r.ngroups, 4);
	assert_group(&r, 0, "work", "work", 4 * HOUR);
	assert_group(&r, 1, "writing", "writing", 2 * HOUR);
	assert_group(&r, 2, "", "(no tag)", 45 * MIN);
	assert_group(&r, 3, "dup", "dup", 5 * MIN);
	report_release(&r);
}

static void
test_report_by_task_no_task(void **state)
{
	struct report r;
	int64_t since = utc(2026, 11, 22, 23, 0), until = utc(2026, 11, 29, 23, 0);
	int64_t t = utc(2026, 11, 24, 8, 0);
	struct report_item it;

	(void)state;
	start(&r, REPORT_BY_TASK, since, until, until);
	add(&r, 0, NULL, t, t + 2 * HOUR);
	add(&r, 7, NULL, t + 2 * HOUR, t + 3 * HOUR);
	/* A task id the replica has no row for. */
	memset(&it, 0, sizeof it);
	it.start = t + 3 * HOUR;
	it.end = t + 3 * HOUR + MIN;
	it.task_id = "gone";
	report_add(&r, &it);
	/* Out of order. */
	add(&r, 7, NULL, t - 3 * HOUR, t - 2 * HOUR);
	report_finish(&r);
	assert_int_equal(r.ngroups, 3);
	/* Equal totals: by label, "(" before "T". */
	assert_group(&r, 0, "", "(no task)", 2 * HOUR);
	assert_int_equal(r.groups[0].task_num, 0);
	assert_group(&r, 1, "t7", "Task 7", 2 * HOUR);
	assert_int_equal(r.groups[1].task_num, 7);
	assert_group(&r, 2, "gone", "(untitled)", MIN);
	report_release(&r);
}

static void
test_report_by_user(void **state)
{
	struct report r;
	int64_t since = utc(2026, 11, 22, 23, 0), until = utc(2026, 11, 29, 23, 0);
	int64_t t = utc(2026, 11, 24, 8, 0);

	(void)state;
	start(&r, REPORT_BY_USER, since, until, until);
	add_user(&r, "u1", "Ada", t, t + HOUR);
	add_user(&r, "u2", "Bob", t, t + 3 * HOUR);
	add_user(&r, "u1", "Ada", t + 2 * HOUR, t + 4 * HOUR);
	add_user(&r, "u3", NULL, t, t + 30 * MIN);
	add_user(&r, "u4", "Cy", t, t + 30 * MIN);
	report_finish(&r);
	assert_true(r.total_ms == 7 * HOUR);
	assert_int_equal(r.ngroups, 4);
	assert_group(&r, 0, "u1", "Ada", 3 * HOUR);
	assert_group(&r, 1, "u2", "Bob", 3 * HOUR);
	assert_group(&r, 2, "u4", "Cy", 30 * MIN);
	assert_group(&r, 3, "u3", "u3", 30 * MIN);
	report_release(&r);
}

/* Many tasks: the hash grows and keeps every total apart. */
static void
test_report_many_groups(void **state)
{
	struct report r;
	int64_t since = utc(2026, 1, 1, 0, 0), until = utc(2026, 12, 1, 0, 0);
	int64_t t = since, sum = 0;
	int i;

	(void)state;
	start(&r, REPORT_BY_TASK, since, until, until);
	for (i = 1; i <= 3000; i++) {
		add(&r, i % 1000 + 1, NULL, t, t + (i % 1000 + 1) * SEC);
		sum += (i % 1000 + 1) * SEC;
		t += HOUR + 7 * MIN;
	}
	report_finish(&r);
	assert_true(r.total_ms == sum);
	assert_int_equal(r.ngroups, 1000);
	assert_group(&r, 0, "t1000", "Task 1000", 3 * 1000 * SEC);
	assert_group(&r, 999, "t1", "Task 1", 3 * SEC);
	for (i = 0; i < 1000; i++)
		sum -= r.groups[i].ms;
	assert_true(sum == 0);
	for (i = 0; i < (int)r.ndays; i++)
		sum += r.days[i].ms;
	assert_true(sum == r.total_ms);
	report_release(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_by_names),
		cmocka_unit_test(test_report_init_rejects_bad_ranges),
		cmocka_unit_test(test_report_splits_at_midnight),
		cmocka_unit_test(test_report_spring_forward),
		cmocka_unit_test(test_report_fall_back),
		cmocka_unit_test(test_report_week_days),
		cmocka_unit_test(test_report_clips_to_range),
		cmocka_unit_test(test_report_running_timer),
		cmocka_unit_test(test_report_by_tag),
		cmocka_unit_test(test_report_by_task_no_task),
		cmocka_unit_test(test_report_by_user),
		cmocka_unit_test(test_report_many_groups),
	};

	return cmocka_run_group_tests(tests, setup_berlin, NULL);
}
