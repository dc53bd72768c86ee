/*
 * timeparse.h - parsing and formatting of times and durations.
 *
 * Pure functions: "now" is always a parameter, and local time is the
 * process's TZ (localtime_r/mktime), so DST is handled by the C library's
 * zone rules.  Times are Unix milliseconds (UTC).
 *
 * Accepted WHEN forms (case-insensitive, surrounding blanks ignored):
 *   now                        now
 *   today | yesterday | tomorrow            local midnight of that day
 *   HH:MM[:SS]                 that time today (local)
 *   today|yesterday|tomorrow HH:MM[:SS]
 *   monday..sunday [HH:MM]     the most recent such day (today if it is one)
 *   YYYY-MM-DD                 local midnight
 *   YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|+HH:MM|-HH:MM|+HHMM]   ISO 8601;
 *                              without an offset it is local time
 *   -DURATION / +DURATION      now minus / plus a duration ("-15m")
 *   @SECONDS                   Unix seconds ("@-60" is before the epoch)
 * A local time that falls in a DST gap is moved forward by the gap (as
 * mktime does); an ambiguous one (the repeated hour) takes the first, DST,
 * reading (the earlier instant, whatever tm_isdst the zone gives it).
 * Details: the hour of HH:MM may be one digit ("9:05"); weekday names are
 * full ("monday", not "mon"); date and time are separated by one T or by
 * blanks; a fraction of a second needs seconds and is cut to milliseconds;
 * an offset may also be +HH.  Results must lie in years 0000..9999.  On
 * error nothing is written to the outputs and err says why (TOCK_EINVAL).
 *
 * DURATION forms: 1h30m, 2h, 45m, 90s, 1d2h, 1.5h, H:MM (e.g. 1:30).
 * Units d, h, m, s (any case), each at most once and largest first, with
 * optional blanks between them ("1h 30m"); a fraction is allowed on any
 * unit and the total is truncated to milliseconds; H:MM:SS is accepted
 * too.  A bare number ("90") is rejected: the unit is not guessed.  "1d"
 * is always 24 hours, DST or not.
 */
#ifndef TOCK_TIMEPARSE_H
#define TOCK_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

struct tock_err;

/* Wall clock in Unix milliseconds. */
int64_t time_now_ms(void);

int timeparse_when(int64_t *out_ms, const char *s, int64_t now_ms,
    struct tock_err *err);
/* A positive duration in milliseconds; "0m" is rejected (TOCK_EINVAL). */
int timeparse_duration(int64_t *out_ms, const char *s, struct tock_err *err);
/* "FROM..TO": both WHEN forms; TO may also be a bare HH:MM meaning on
 * FROM's day (or the next day if that is before FROM). TO > FROM.
 * Relative forms on either side count from now, not from FROM. */
int timeparse_range(int64_t *from_ms, int64_t *to_ms, const char *s,
    int64_t now_ms, struct tock_err *err);
/* WHEN reduced to its local calendar date, written as YYYY-MM-DD. */
int timeparse_date(char out[11], const char *s, int64_t now_ms,
    struct tock_err *err);

/* A due date, as WHEN reduced to a date, except that a weekday name means
 * the next such day (today if it is one): a due date is about the future,
 * where "log --since friday" is about the past. */
int timeparse_due(char out[11], const char *s, int64_t now_ms,
    struct tock_err *err);
/* Days in month m (1..12) of year y, leap years included. */
int time_days_in_month(int y, int m);

/* Local midnight at or before ms, and the next local midnight after it
 * (23, 24 or 25 hours later across DST). */
int64_t time_day_start(int64_t ms);
int64_t time_day_next(int64_t day_start_ms);
/* Monday 00:00 local of the week containing ms. */
int64_t time_week_start(int64_t ms);

/* "1h12m", "5m", "45s", "0s"; hours may exceed 24 ("26h03m"). Negative
 * values are formatted as "0s". */
void timefmt_duration(char *buf, size_t n, int64_t ms);
/* How long before now ms was: "12s ago", "5m ago", "3h ago", "2d ago";
 * "just now" for a time ahead of now, "never" for 0. */
void timefmt_ago(char *buf, size_t n, int64_t ms, int64_t now);
/* Local time with a strftime format. */
void timefmt_local(char *buf, size_t n, int64_t ms, const char *fmt);
/* ISO 8601 UTC with milliseconds: "2026-11-25T09:30:00.000Z". */
void timefmt_iso_utc(char *buf, size_t n, int64_t ms);
/* ISO 8601 local with offset: "2026-11-25T10:30:00+01:00". */
void timefmt_iso_local(char *buf, size_t n, int64_t ms);

#endif
