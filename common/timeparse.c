/*
 * timeparse.c - parsing and formatting of times and durations.
 *
 * A small hand-written parser over a [p, end) span, so that a range can
 * hand each side to the WHEN parser without copying.  Every local time goes
 * through local_time(), which settles DST gaps and repeated hours the same
 * way whatever the libc's mktime does with them.  Nothing here reads the
 * clock except time_now_ms().
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "err.h"
#include "timeparse.h"

_Static_assert(sizeof(time_t) >= 8, "tock needs a 64-bit time_t");

/*
 * 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59.999Z: every accepted time has
 * a four-digit year, and the arithmetic below never comes near overflow.
 */
#define TIME_MIN_MS	(-62167219200000LL)
#define TIME_MAX_MS	(253402300799999LL)

#define SECS_PER_DAY	86400
#define MS_PER_SEC	1000LL
#define MS_PER_MIN	(60 * MS_PER_SEC)
#define MS_PER_HOUR	(60 * MS_PER_MIN)
#define MS_PER_DAY	(24 * MS_PER_HOUR)

/* Error messages quote at most this much of the input. */
#define QUOTE_MAX	160

struct span {
	const char *p;
	const char *end;
};

static const char *const weekdays[7] = {
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday",
	"saturday"
};

static bool
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
span_trim(struct span *sp)
{
	while (sp->p < sp->end && is_blank((unsigned char)*sp->p))
		sp->p++;
	while (sp->end > sp->p && is_blank((unsigned char)sp->end[-1]))
		sp->end--;
}

static void
span_init(struct span *sp, const char *s)
{
	sp->p = s;
	sp->end = s + strlen(s);
	span_trim(sp);
}

static bool
span_at_end(const struct span *sp)
{
	return sp->p >= sp->end;
}

/* Length for "%.*s" in messages. */
static int
span_qlen(const struct span *sp)
{
	size_t n = (size_t)(sp->end - sp->p);

	return n > QUOTE_MAX ? QUOTE_MAX : (int)n;
}

static int
span_peek(const struct span *sp)
{
	return sp->p < sp->end ? (unsigned char)*sp->p : -1;
}

/* Consume c (case-insensitive) if it is next. */
static bool
span_eat(struct span *sp, int c)
{
	if (sp->p < sp->end && tolower((unsigned char)*sp->p) == c) {
		sp->p++;
		return true;
	}
	return false;
}

static size_t
span_skip_blanks(struct span *sp)
{
	const char *start = sp->p;

	while (sp->p < sp->end && is_blank((unsigned char)*sp->p))
		sp->p++;
	return (size_t)(sp->p - start);
}

static size_t
span_count_digits(const struct span *sp)
{
	const char *q = sp->p;

	while (q < sp->end && isdigit((unsigned char)*q))
		q++;
	return (size_t)(q - sp->p);
}

/* Between min and max digits (no more may follow) into *out. */
static bool
span_digits(struct span *sp, size_t min, size_t max, int *out)
{
	size_t n = span_count_digits(sp), i;
	int v = 0;

	if (n < min || n > max)
		return false;
	for (i = 0; i < n; i++)
		v = v * 10 + (sp->p[i] - '0');
	sp->p += n;
	*out = v;
	return true;
}

/* Exactly n digits, whatever follows (for "+0530"). */
static bool
span_take_digits(struct span *sp, size_t n, int *out)
{
	size_t i;
	int v = 0;

	if ((size_t)(sp->end - sp->p) < n)
		return false;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)sp->p[i]))
			return false;
		v = v * 10 + (sp->p[i] - '0');
	}
	sp->p += n;
	*out = v;
	return true;
}

/*
 * A run of digits as a non-negative int64: 0 on success, -1 if there are
 * none, -2 on overflow (the digits are consumed either way).
 */
static int
span_uint64(struct span *sp, int64_t *out)
{
	size_t n = span_count_digits(sp), i;
	int64_t v = 0;
	bool overflow = false;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, sp->p[i] - '0', &v))
			overflow = true;
	}
	sp->p += n;
	if (overflow)
		return -2;
	*out = v;
	return 0;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static bool
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
time_days_in_month(int y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && is_leap(y))
		return 29;
	return days[m - 1];
}

static long
gmtoff_at(time_t t)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return tm.tm_gmtoff;
}

/*
 * The instant (Unix seconds) that a local wall-clock time names.  The
 * fields may be out of range (mday 0, mday 32, hour 24): they are
 * normalised as plain calendar arithmetic first, which is what keeps "the
 * same time on another day" at that time across DST.
 *
 * mktime's handling of the hour DST removes or repeats depends on the libc
 * and on tm_isdst, so settle it here instead.  Try the UTC offsets in force
 * a day before, at and a day after the time; keep the readings that really
 * show the asked-for wall time and take the earliest (the first pass
 * through a repeated hour).  No reading at all means a gap: the offset from
 * before it moves the time forward by the length of the gap, as mktime
 * does with tm_isdst=-1.
 */
static time_t
local_time(int year, int mon, int mday, int hour, int min, int sec)
{
	struct tm tm;
	time_t naive, t, best = 0;
	long offs[3];
	bool found = false;
	int i;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = mday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	naive = timegm(&tm);

	offs[0] = gmtoff_at(naive - SECS_PER_DAY);
	offs[1] = gmtoff_at(naive);
	offs[2] = gmtoff_at(naive + SECS_PER_DAY);
	for (i = 0; i < 3; i++) {
		t = naive - offs[i];
		if (gmtoff_at(t) != offs[i])
			continue;
		if (!found || t < best)
			best = t;
		found = true;
	}
	if (!found)
		best = naive - offs[0];
	return best;
}

/* Local calendar fields of ms. */
static bool
local_fields(int64_t ms, struct tm *tm)
{
	time_t t = (time_t)floor_div(ms, MS_PER_SEC);

	return localtime_r(&t, tm) != NULL;
}

/* ms of the local time h:m:s on the day of tm plus ddays days. */
static int64_t
local_on_day(const struct tm *tm, int ddays, int h, int m, int s)
{
	return (int64_t)local_time(tm->tm_year + 1900, tm->tm_mon + 1,
	    tm->tm_mday + ddays, h, m, s) * MS_PER_SEC;
}

enum {
	HMS_OK,
	HMS_SYNTAX,	/* not H:MM[:SS] at all */
	HMS_RANGE	/* well-formed but hour 25, minute 60, ... */
};

/*
 * H:MM or H:MM:SS (hour of one or two digits) as a time of day; has_sec
 * (may be NULL) tells whether the seconds were there.
 */
static int
parse_hms(struct span *sp, int *h, int *m, int *s, bool *has_sec)
{
	bool sec;

	*s = 0;
	if (!span_digits(sp, 1, 2, h) || !span_eat(sp, ':') ||
	    !span_digits(sp, 2, 2, m))
		return HMS_SYNTAX;
	sec = span_eat(sp, ':');
	if (sec && !span_digits(sp, 2, 2, s))
		return HMS_SYNTAX;
	if (has_sec != NULL)
		*has_sec = sec;
	if (*h > 23 || *m > 59 || *s > 59)
		return HMS_RANGE;
	return HMS_OK;
}

/* Is the whole span a bare time of day?  Fills h, m, s if so. */
static int
bare_hms(struct span sp, int *h, int *m, int *s)
{
	int r = parse_hms(&sp, h, m, s, NULL);

	if (r == HMS_OK && !span_at_end(&sp))
		return HMS_SYNTAX;
	return r;
}

static int
err_syntax(struct tock_err *err, const struct span *whole)
{
	return tock_err_set(err, TOCK_EINVAL, "cannot parse time '%.*s'",
	    span_qlen(whole), whole->p);
}

static int
err_clock(struct tock_err *err, const struct span *whole)
{
	return tock_err_set(err, TOCK_EINVAL, "invalid time of day in '%.*s'",
	    span_qlen(whole), whole->p);
}

static int
err_range(struct tock_err *err, const struct span *whole)
{
	return tock_err_set(err, TOCK_EINVAL, "time '%.*s' is out of range",
	    span_qlen(whole), whole->p);
}

static int
err_hms(struct tock_err *err, const struct span *whole, int r)
{
	return r == HMS_RANGE ? err_clock(err, whole) : err_syntax(err, whole);
}

/*
 * DURATION in sp; whole is what error messages quote (the "-15m" of a
 * WHEN, not just its "15m").
 */
static int
parse_duration(int64_t *out, struct span sp, const struct span *whole,
    struct tock_err *err)
{
	static const struct {
		char		c;
		int64_t		ms;
	} units[] = {
		{ 'd', MS_PER_DAY }, { 'h', MS_PER_HOUR },
		{ 'm', MS_PER_MIN }, { 's', MS_PER_SEC }
	};
	int64_t total = 0, ip, v, fnum, fden;
	int last = -1, u, mm, ss = 0, r;
	size_t nd;

	if (span_at_end(&sp))
		goto syntax;

	/* H:MM[:SS] */
	if (memchr(sp.p, ':', (size_t)(sp.end - sp.p)) != NULL) {
		r = span_uint64(&sp, &ip);
		if (r == -2)
			goto toobig;
		if (r != 0 || !span_eat(&sp, ':') ||
		    !span_digits(&sp, 2, 2, &mm))
			goto syntax;
		if (span_eat(&sp, ':') && !span_digits(&sp, 2, 2, &ss))
			goto syntax;
		if (!span_at_end(&sp))
			goto syntax;
		if (mm > 59 || ss > 59)
			return tock_err_set(err, TOCK_EINVAL,
			    "invalid minutes or seconds in duration '%.*s'",
			    span_qlen(whole), whole->p);
		if (__builtin_mul_overflow(ip, MS_PER_HOUR, &total) ||
		    __builtin_add_overflow(total,
		    mm * MS_PER_MIN + ss * MS_PER_SEC, &total))
			goto toobig;
		goto done;
	}

	/* One or more NUMBER[.FRACTION]UNIT, units from days down. */
	while (!span_at_end(&sp)) {
		r = span_uint64(&sp, &ip);
		if (r == -2)
			goto toobig;
		if (r != 0)
			goto syntax;
		fnum = 0;
		fden = 1;
		if (span_eat(&sp, '.')) {
			nd = span_count_digits(&sp);
			if (nd == 0)
				goto syntax;
			/* Digits past the ninth cannot change the ms. */
			for (; nd > 0; nd--, sp.p++) {
				if (fden < 1000000000) {
					fnum = fnum * 10 + (*sp.p - '0');
					fden *= 10;
				}
			}
		}
		if (span_at_end(&sp))
			return tock_err_set(err, TOCK_EINVAL,
			    "missing unit (d, h, m or s) in duration '%.*s'",
			    span_qlen(whole), whole->p);
		for (u = 0; u < 4; u++) {
			if (tolower((unsigned char)*sp.p) == units[u].c)
				break;
		}
		/* Each unit once, largest first: "30m1h" is a typo. */
		if (u == 4 || u <= last)
			goto syntax;
		last = u;
		sp.p++;
		if (__builtin_mul_overflow(ip, units[u].ms, &v) ||
		    __builtin_add_overflow(v, fnum * units[u].ms / fden, &v) ||
		    __builtin_add_overflow(total, v, &total))
			goto toobig;
		span_skip_blanks(&sp);
	}

done:
	if (total <= 0)
		return tock_err_set(err, TOCK_EINVAL,
		    "duration '%.*s' must be positive", span_qlen(whole),
		    whole->p);
	*out = total;
	return 0;

syntax:
	return tock_err_set(err, TOCK_EINVAL, "cannot parse duration '%.*s'",
	    span_qlen(whole), whole->p);
toobig:
	return tock_err_set(err, TOCK_EINVAL, "duration '%.*s' is too large",
	    span_qlen(whole), whole->p);
}

/* A UTC offset after an ISO time: Z, +HH, +HHMM or +HH:MM, in seconds. */
static bool
parse_offset(struct span *sp, bool *has, long *off)
{
	int sign, hh, mm = 0;

	*has = false;
	if (span_eat(sp, 'z')) {
		*has = true;
		*off = 0;
		return true;
	}
	if (span_peek(sp) != '+' && span_peek(sp) != '-')
		return true;
	sign = *sp->p++ == '-' ? -1 : 1;
	if (!span_take_digits(sp, 2, &hh))
		return false;
	if (span_eat(sp, ':') || span_count_digits(sp) > 0) {
		if (!span_digits(sp, 2, 2, &mm))
			return false;
	}
	if (hh > 23 || mm > 59)
		return false;
	*has = true;
	*off = sign * (hh * 3600L + mm * 60L);
	return true;
}

/* YYYY-MM-DD[(T| )HH:MM[:SS[.fff]][offset]] */
static int
parse_iso(int64_t *out, struct span sp, const struct span *whole,
    struct tock_err *err)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, s = 0, msec = 0, r;
	size_t nd, i;
	long off = 0;
	bool has_off = false, has_sec = false;
	int64_t t;

	if (!span_digits(&sp, 4, 4, &y) || !span_eat(&sp, '-') ||
	    !span_digits(&sp, 2, 2, &mo) || !span_eat(&sp, '-') ||
	    !span_digits(&sp, 2, 2, &d))
		return err_syntax(err, whole);

	if (!span_at_end(&sp)) {
		if (!span_eat(&sp, 't') && span_skip_blanks(&sp) == 0)
			return err_syntax(err, whole);
		r = parse_hms(&sp, &h, &mi, &s, &has_sec);
		if (r == HMS_SYNTAX)
			return err_syntax(err, whole);
		if (span_eat(&sp, '.')) {
			/* Fractions only follow seconds: "10:00.5" is odd. */
			if (!has_sec)
				return err_syntax(err, whole);
			nd = span_count_digits(&sp);
			if (nd == 0)
				return err_syntax(err, whole);
			for (i = 0; i < 3; i++)
				msec = msec * 10 + (i < nd ? sp.p[i] - '0' : 0);
			sp.p += nd;
		}
		if (!parse_offset(&sp, &has_off, &off)) {
			return tock_err_set(err, TOCK_EINVAL,
			    "invalid utc offset in '%.*s'", span_qlen(whole),
			    whole->p);
		}
		if (!span_at_end(&sp))
			return err_syntax(err, whole);
		if (r == HMS_RANGE)
			return err_clock(err, whole);
	}
	if (mo < 1 || mo > 12 || d < 1 || d > time_days_in_month(y, mo))
		return tock_err_set(err, TOCK_EINVAL, "invalid date '%.*s'",
		    span_qlen(whole), whole->p);

	if (has_off) {
		memset(&tm, 0, sizeof tm);
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_sec = s;
		t = (int64_t)timegm(&tm) - off;
	} else
		t = local_time(y, mo, d, h, mi, s);
	*out = t * MS_PER_SEC + msec;
	return 0;
}

/* today/yesterday/tomorrow/monday..sunday [H:MM[:SS]], or now. */
static int
parse_word(int64_t *out, struct span sp, int64_t now_ms,
    const struct span *whole, struct tock_err *err)
{
	const char *w = sp.p;
	size_t wl;
	struct tm nt;
	int dd, h = 0, m = 0, s = 0, i = 0, r;

	while (sp.p < sp.end && isalpha((unsigned char)*sp.p))
		sp.p++;
	wl = (size_t)(sp.p - w);

	if (wl == 3 && strncasecmp(w, "now", 3) == 0) {
		if (!span_at_end(&sp))
			return err_syntax(err, whole);
		*out = now_ms;
		return 0;
	}

	if (wl == 5 && strncasecmp(w, "today", 5) == 0)
		dd = 0;
	else if (wl == 9 && strncasecmp(w, "yesterday", 9) == 0)
		dd = -1;
	else if (wl == 8 && strncasecmp(w, "tomorrow", 8) == 0)
		dd = 1;
	else {
		for (i = 0; i < 7; i++) {
			if (wl == strlen(weekdays[i]) &&
			    strncasecmp(w, weekdays[i], wl) == 0)
				break;
		}
		if (i == 7)
			return err_syntax(err, whole);
		dd = INT32_MIN;	/* set once now's weekday is known */
	}

	if (!span_at_end(&sp)) {
		if (span_skip_blanks(&sp) == 0)
			return err_syntax(err, whole);
		if ((r = bare_hms(sp, &h, &m, &s)) != HMS_OK)
			return err_hms(err, whole, r);
	}

	if (!local_fields(now_ms, &nt))
		return err_range(err, whole);
	if (dd == INT32_MIN) {
		/* The most recent such day, today included. */
		dd = -((nt.tm_wday - i + 7) % 7);
	}
	*out = local_on_day(&nt, dd, h, m, s);
	return 0;
}

/* WHEN in sp (already trimmed). *out is only set on success. */
static int
parse_when(int64_t *out, struct span sp, int64_t now_ms, struct tock_err *err)
{
	struct span whole = sp;
	struct tm nt;
	int64_t v = 0, d = 0;
	int c, r, h, m, s;
	bool neg;

	if (span_at_end(&sp))
		return tock_err_set(err, TOCK_EINVAL, "empty time");

	c = span_peek(&sp);
	if (c == '@') {
		sp.p++;
		neg = span_eat(&sp, '-');
		r = span_uint64(&sp, &v);
		if (r == -1 || !span_at_end(&sp))
			return err_syntax(err, &whole);
		if (r == -2 || __builtin_mul_overflow(v, MS_PER_SEC, &v))
			return err_range(err, &whole);
		if (neg)
			v = -v;
	} else if (c == '-' || c == '+') {
		sp.p++;
		if ((r = parse_duration(&d, sp, &whole, err)) != 0)
			return r;
		if (c == '-' ? __builtin_sub_overflow(now_ms, d, &v) :
		    __builtin_add_overflow(now_ms, d, &v))
			return err_range(err, &whole);
	} else if (isalpha(c)) {
		if ((r = parse_word(&v, sp, now_ms, &whole, err)) != 0)
			return r;
	} else if (span_count_digits(&sp) == 4 && sp.p + 4 < sp.end &&
	    sp.p[4] == '-') {
		if ((r = parse_iso(&v, sp, &whole, err)) != 0)
			return r;
	} else {
		/* A bare time of day, today. */
		if ((r = bare_hms(sp, &h, &m, &s)) != HMS_OK)
			return err_hms(err, &whole, r);
		if (!local_fields(now_ms, &nt))
			return err_range(err, &whole);
		v = local_on_day(&nt, 0, h, m, s);
	}

	if (v < TIME_MIN_MS || v > TIME_MAX_MS)
		return err_range(err, &whole);
	*out = v;
	return 0;
}

int64_t
time_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * MS_PER_SEC + ts.tv_nsec / 1000000;
}

int
timeparse_when(int64_t *out_ms, const char *s, int64_t now_ms,
    struct tock_err *err)
{
	struct span sp;

	span_init(&sp, s);
	return parse_when(out_ms, sp, now_ms, err);
}

int
timeparse_duration(int64_t *out_ms, const char *s, struct tock_err *err)
{
	struct span sp;

	span_init(&sp, s);
	if (span_at_end(&sp))
		return tock_err_set(err, TOCK_EINVAL, "empty duration");
	return parse_duration(out_ms, sp, &sp, err);
}

int
timeparse_range(int64_t *from_ms, int64_t *to_ms, const char *s,
    int64_t now_ms, struct tock_err *err)
{
	struct span whole, a, b;
	struct tm ft;
	const char *dots;
	int64_t from, to;
	int r, h, m, sec;

	span_init(&whole, s);
	dots = strstr(whole.p, "..");
	if (dots == NULL || dots >= whole.end)
		return tock_err_set(err, TOCK_EINVAL,
		    "cannot parse range '%.*s' (expected FROM..TO)",
		    span_qlen(&whole), whole.p);
	a.p = whole.p;
	a.end = dots;
	b.p = dots + 2;
	b.end = whole.end;
	span_trim(&a);
	span_trim(&b);

	if ((r = parse_when(&from, a, now_ms, err)) != 0)
		return r;
	r = bare_hms(b, &h, &m, &sec);
	if (r == HMS_RANGE)
		return err_clock(err, &b);
	if (r == HMS_OK) {
		/* On FROM's day, or the next when that would be earlier. */
		if (!local_fields(from, &ft))
			return err_range(err, &b);
		to = local_on_day(&ft, 0, h, m, sec);
		if (to < from)
			to = local_on_day(&ft, 1, h, m, sec);
		if (to > TIME_MAX_MS)
			return err_range(err, &b);
	} else if ((r = parse_when(&to, b, now_ms, err)) != 0)
		return r;

	if (to <= from)
		return tock_err_set(err, TOCK_EINVAL,
		    "range '%.*s' must end after it starts",
		    span_qlen(&whole), whole.p);
	*from_ms = from;
	*to_ms = to;
	return 0;
}

/* n decimal digits of v (0 <= v < 10^n), zero-padded. */
static void
put_digits(char *p, int v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

int
timeparse_date(char out[11], const char *s, int64_t now_ms,
    struct tock_err *err)
{
	struct span sp;
	struct tm tm;
	int64_t ms;
	int r, y;

	span_init(&sp, s);
	if ((r = parse_when(&ms, sp, now_ms, err)) != 0)
		return r;
	/* The local date of 9999-12-31T23:00Z can be in year 10000. */
	if (!local_fields(ms, &tm) ||
	    (y = tm.tm_year + 1900) < 0 || y > 9999)
		return err_range(err, &sp);
	put_digits(out, y, 4);
	out[4] = '-';
	put_digits(out + 5, tm.tm_mon + 1, 2);
	out[7] = '-';
	put_digits(out + 8, tm.tm_mday, 2);
	out[10] = '\0';
	return 0;
}

int64_t
time_day_start(int64_t ms)
{
	struct tm tm;

	if (!local_fields(ms, &tm))
		return ms;
	return local_on_day(&tm, 0, 0, 0, 0);
}

int64_t
time_day_next(int64_t day_start_ms)
{
	struct tm tm;

	if (!local_fields(day_start_ms, &tm))
		return day_start_ms + MS_PER_DAY;
	return local_on_day(&tm, 1, 0, 0, 0);
}

int64_t
time_week_start(int64_t ms)
{
	struct tm tm;

	if (!local_fields(ms, &tm))
		return ms;
	return local_on_day(&tm, -((tm.tm_wday + 6) % 7), 0, 0, 0);
}

void
timefmt_duration(char *buf, size_t n, int64_t ms)
{
	int64_t secs, mins;

	if (n == 0)
		return;
	if (ms < 0)
		ms = 0;
	secs = ms / MS_PER_SEC;
	mins = secs / 60;
	if (secs < 60)
		snprintf(buf, n, "%" PRId64 "s", secs);
	else if (mins < 60)
		snprintf(buf, n, "%" PRId64 "m", mins);
	else
		snprintf(buf, n, "%" PRId64 "h%02" PRId64 "m", mins / 60,
		    mins % 60);
}

void
timefmt_local(char *buf, size_t n, int64_t ms, const char *fmt)
{
	struct tm tm;

	if (n == 0)
		return;
	/*
	 * The format is the caller's (it may come from the configuration), so
	 * it cannot be a literal here.  strftime leaves buf undefined when the
	 * result does not fit.
	 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (!local_fields(ms, &tm) || strftime(buf, n, fmt, &tm) == 0)
		buf[0] = '\0';
#pragma GCC diagnostic pop
}

void
timefmt_iso_utc(char *buf, size_t n, int64_t ms)
{
	struct tm tm;
	time_t t;
	int64_t secs;

	if (n == 0)
		return;
	secs = floor_div(ms, MS_PER_SEC);
	t = (time_t)secs;
	if (gmtime_r(&t, &tm) == NULL) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms - secs * MS_PER_SEC));
}

void
timefmt_iso_local(char *buf, size_t n, int64_t ms)
{
	struct tm tm;
	long off;
	char sign = '+';

	if (n == 0)
		return;
	if (!local_fields(ms, &tm)) {
		buf[0] = '\0';
		return;
	}
	off = tm.tm_gmtoff;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	/* Historic offsets with seconds (LMT) lose them: ISO has no field. */
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, sign, off / 3600, off % 3600 / 60);
}

int
timeparse_due(char out[11], const char *s, int64_t now_ms,
    struct tock_err *err)
{
	static const char *const days[] = { "sunday", "monday", "tuesday",
	    "wednesday", "thursday", "friday", "saturday" };
	char today[11];
	struct tm tm;
	size_t i;
	int rc;

	if ((rc = timeparse_date(out, s, now_ms, err)) != 0)
		return rc;
	timefmt_local(today, sizeof today, now_ms, "%Y-%m-%d");
	for (i = 0; i < sizeof days / sizeof days[0]; i++)
		if (strncasecmp(s, days[i], strlen(days[i])) == 0)
			break;
	if (i == sizeof days / sizeof days[0] || strcmp(out, today) >= 0)
		return 0;
	/* The same weekday a week on: calendar arithmetic on the date. */
	memset(&tm, 0, sizeof tm);
	if (sscanf(out, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_mday += 7;
	tm.tm_hour = 12;
	timegm(&tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
	return 0;
}

void
timefmt_ago(char *buf, size_t n, int64_t ms, int64_t now)
{
	int64_t s = (now - ms) / 1000;

	if (ms <= 0)
		snprintf(buf, n, "never");
	else if (s < 0)
		snprintf(buf, n, "just now");
	else if (s < 60)
		snprintf(buf, n, "%llds ago", (long long)s);
	else if (s < 3600)
		snprintf(buf, n, "%lldm ago", (long long)(s / 60));
	else if (s < 86400)
		snprintf(buf, n, "%lldh ago", (long long)(s / 3600));
	else
		snprintf(buf, n, "%lldd ago", (long long)(s / 86400));
}
