/*
 * cmd_report.c - tock report: time totals over a range (today, this week
 * by default, this month, or --since/--until), grouped by task, tag, day
 * or user, with the running timer counted up to now.
 *
 * People get a table and a bar chart of the days, fitted to the terminal;
 * scripts get --json or --csv:
 *
 * --json  {"since","until"		ISO 8601 UTC with milliseconds
 *          "by"			"task"|"tag"|"day"|"user"
 *          "total_seconds"		int
 *          "running"			bool: the running timer is counted
 *          "groups":[{"key"		task id, tag, user id or YYYY-MM-DD;
 *				null for no task / no tag / unknown user
 *                     "label"		title, tag, user name or
 *				"Mon 2026-11-23"
 *                     "num"		the task's number (by task), else null
 *                     "seconds"	int
 *                     "running"}]	bool
 *          "days":[{"date"		YYYY-MM-DD, local, every day of the
 *				range, oldest first, zeros included
 *                   "seconds","running"}]}
 *         Groups are ordered by seconds (most first), then label; by day,
 *         oldest first and only days with time.  By tag an entry counts
 *         toward each of its task's tags, untagged time under null.
 *         Seconds are whole, truncated.
 * --csv   RFC 4180, CRLF line ends, a header row and one row per group:
 *         key,label,num,seconds,hours (hours with two decimals).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db.h"
#include "db_report.h"
#include "err.h"
#include "output.h"
#include "report.h"
#include "strbuf.h"
#include "text.h"
#include "timeparse.h"
#include "xmalloc.h"

#define COMMAND_NAME "report"

/* The chart keeps to this many rows: a longer range is drawn by week,
 * month or year instead of by day. */
#define CHART_MAX_ROWS 42
#define CHART_WIDTH 80		/* when stdout is not a terminal */

static const struct option opts[] = {
	{ "day", no_argument, NULL, 'd' },
	{ "week", no_argument, NULL, 'w' },
	{ "month", no_argument, NULL, 'm' },
	{ "since", required_argument, NULL, 's' },
	{ "until", required_argument, NULL, 'u' },
	{ "by", required_argument, NULL, 'b' },
	{ "json", no_argument, NULL, 'J' },
	{ "csv", no_argument, NULL, 'C' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int
add_item(const struct report_item *it, void *arg)
{
	report_add(arg, it);
	return 0;
}

/* Local midnight of the first day of the month holding ms, plus months. */
static int
month_start(int64_t *out, int64_t ms, int months, struct tock_err *err)
{
	char ym[16], date[16];
	int y, m;

	timefmt_local(ym, sizeof ym, ms, "%Y %m");
	if (sscanf(ym, "%d %d", &y, &m) != 2)
		return tock_err_set(err, TOCK_ERR, "cannot work out the month");
	m += months;
	y += (m - 1) / 12;
	m = (m - 1) % 12 + 1;
	snprintf(date, sizeof date, "%04d-%02d-01", y, m);
	return timeparse_when(out, date, ms, err);
}

/* "Mon 2026-11-23", with the time unless it is midnight. */
static void
fmt_bound(char *buf, size_t n, int64_t ms)
{
	timefmt_local(buf, n, ms, time_day_start(ms) == ms ? "%a %Y-%m-%d" :
	    "%a %Y-%m-%d %H:%M");
}

/* The range as people read it: the last day is inclusive. */
static void
range_text(struct strbuf *sb, int64_t since, int64_t until)
{
	char a[48], b[48];

	fmt_bound(a, sizeof a, since);
	if (time_day_start(until) == until) {
		/* Up to a midnight: name the day before it. */
		if (time_day_start(until - 1) == since) {
			strbuf_addstr(sb, a);
			return;
		}
		fmt_bound(b, sizeof b, time_day_start(until - 1));
	} else
		fmt_bound(b, sizeof b, until);
	strbuf_addf(sb, "%s – %s", a, b);
}

/* ----- --json and --csv ----- */

static void
json_key(struct strbuf *sb, const char *key, const char *s)
{
	strbuf_addf(sb, "\"%s\":", key);
	if (s == NULL || *s == '\0')
		strbuf_addstr(sb, "null");
	else
		strbuf_add_json_str(sb, s);
}

static void
print_json(const struct report *r)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[40];
	size_t i;

	strbuf_addch(&sb, '{');
	timefmt_iso_utc(buf, sizeof buf, r->since);
	json_key(&sb, "since", buf);
	timefmt_iso_utc(buf, sizeof buf, r->until);
	strbuf_addch(&sb, ',');
	json_key(&sb, "until", buf);
	strbuf_addch(&sb, ',');
	json_key(&sb, "by", report_by_name(r->by));
	strbuf_addf(&sb, ",\"total_seconds\":%" PRId64 ",\"running\":%s",
	    r->total_ms / 1000, r->running ? "true" : "false");
	strbuf_addstr(&sb, ",\"groups\":[");
	for (i = 0; i < r->ngroups; i++) {
		const struct report_group *g = &r->groups[i];

		strbuf_addstr(&sb, i ? ",{" : "{");
		json_key(&sb, "key", g->key);
		strbuf_addch(&sb, ',');
		json_key(&sb, "label", g->label);
		if (g->task_num > 0)
			strbuf_addf(&sb, ",\"num\":%d", g->task_num);
		else
			strbuf_addstr(&sb, ",\"num\":null");
		strbuf_addf(&sb, ",\"seconds\":%" PRId64 ",\"running\":%s}",
		    g->ms / 1000, g->running ? "true" : "false");
	}
	strbuf_addstr(&sb, "],\"days\":[");
	for (i = 0; i < r->ndays; i++) {
		timefmt_local(buf, sizeof buf, r->days[i].start, "%Y-%m-%d");
		strbuf_addf(&sb, "%s{\"date\":\"%s\",\"seconds\":%" PRId64
		    ",\"running\":%s}", i ? "," : "", buf,
		    r->days[i].ms / 1000, r->days[i].running ? "true" : "false");
	}
	strbuf_addstr(&sb, "]}");
	out_json(&sb);
	strbuf_release(&sb);
}

/* A CSV field, quoted when it has to be (RFC 4180 2.6, 2.7). */
static void
csv_field(const char *s)
{
	const char *p;

	if (s[strcspn(s, ",\"\r\n")] == '\0') {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			putchar('"');
		putchar(*p);
	}
	putchar('"');
}

static void
print_csv(const struct report *r)
{
	size_t i;

	fputs("key,label,num,seconds,hours\r\n", stdout);
	for (i = 0; i < r->ngroups; i++) {
		const struct report_group *g = &r->groups[i];

		csv_field(g->key);
		putchar(',');
		csv_field(g->label);
		putchar(',');
		if (g->task_num > 0)
			printf("%d", g->task_num);
		printf(",%" PRId64 ",%.2f\r\n", g->ms / 1000,
		    (double)(g->ms / 1000) / 3600.0);
	}
}

/* ----- for people ----- */

static int
max_int(int a, int b)
{
	return a > b ? a : b;
}

static void
print_table(struct tock_ctx *ctx, const struct report *r)
{
	static const char *const heads[] = { "Task", "Tag", "Day", "User" };
	struct strbuf lab = STRBUF_INIT, fit = STRBUF_INIT;
	char dur[32], num[16];
	int numw = 0, labw = 5, durw = 5, w;
	size_t i;

	for (i = 0; i < r->ngroups; i++) {
		const struct report_group *g = &r->groups[i];

		if (g->task_num > 0) {
			w = snprintf(num, sizeof num, "%d", g->task_num);
			numw = max_int(numw, w);
		}
		labw = max_int(labw, text_width(g->label));
		timefmt_duration(dur, sizeof dur, g->ms);
		durw = max_int(durw, (int)strlen(dur));
	}
	timefmt_duration(dur, sizeof dur, r->total_ms);
	durw = max_int(durw, (int)strlen(dur));
	if (numw > 0)
		labw += numw + 2;
	/* Marker, label, two blanks, duration, two blanks, "100.0%". */
	if (ctx->width > 0 && labw > ctx->width - (2 + 2 + durw + 2 + 6))
		labw = max_int(10, ctx->width - (2 + 2 + durw + 2 + 6));

	text_add_fit(&fit, heads[r->by], labw, true);
	printf("  %s%s  %*s  %6s%s\n", out_c(ctx, C_BOLD), fit.buf, durw,
	    "Total", "Share", out_c(ctx, C_RESET));
	for (i = 0; i < r->ngroups; i++) {
		const struct report_group *g = &r->groups[i];

		strbuf_reset(&lab);
		strbuf_reset(&fit);
		if (numw > 0) {
			if (g->task_num > 0)
				strbuf_addf(&lab, "%*d  ", numw, g->task_num);
			else
				strbuf_addf(&lab, "%*s  ", numw, "");
		}
		strbuf_addstr(&lab, g->label);
		text_add_fit(&fit, lab.buf, labw, true);
		timefmt_duration(dur, sizeof dur, g->ms);
		if (g->running)
			printf("%s▶%s ", out_c(ctx, C_GREEN),
			    out_c(ctx, C_RESET));
		else
			fputs("  ", stdout);
		printf("%s  %*s  %5.1f%%\n", fit.buf, durw, dur,
		    r->total_ms > 0 ? 100.0 * (double)g->ms /
		    (double)r->total_ms : 0.0);
	}
	strbuf_reset(&fit);
	text_add_fit(&fit, "Total", labw, true);
	timefmt_duration(dur, sizeof dur, r->total_ms);
	printf("  %s%s  %*s%s\n", out_c(ctx, C_BOLD), fit.buf, durw, dur,
	    out_c(ctx, C_RESET));
	strbuf_release(&lab);
	strbuf_release(&fit);
}

/* One row of the chart: a day, or a week, month or year of days. */
struct chart_row {
	char label[32];
	int64_t ms;
	bool running;
};

enum chart_unit { UNIT_DAY, UNIT_WEEK, UNIT_MONTH, UNIT_YEAR };

/* The days of r from first on, as rows of unit (malloc'd in *out); returns
 * how many. */
static size_t
chart_rows(struct chart_row **out, const struct report *r, size_t first,
    enum chart_unit unit)
{
	/* key tells periods apart, label names them. */
	static const char *const keyfmt[] = { "%Y-%m-%d", "%G-W%V", "%Y-%m",
	    "%Y" };
	static const char *const labfmt[] = { "%a %m-%d", "%G-W%V", "%Y-%m",
	    "%Y" };
	struct chart_row *v = NULL;
	size_t i, n = 0, alloc = 0;
	char key[32], last[32] = "";

	for (i = first; i < r->ndays; i++) {
		timefmt_local(key, sizeof key, r->days[i].start, keyfmt[unit]);
		if (n == 0 || strcmp(key, last) != 0) {
			if (n == alloc) {
				alloc = alloc ? 2 * alloc : 16;
				v = xrealloc(v, alloc * sizeof *v);
			}
			memset(&v[n], 0, sizeof v[n]);
			timefmt_local(v[n].label, sizeof v[n].label,
			    r->days[i].start, labfmt[unit]);
			memcpy(last, key, sizeof last);
			n++;
		}
		v[n - 1].ms += r->days[i].ms;
		v[n - 1].running |= r->days[i].running;
	}
	*out = v;
	return n;
}

static void
print_chart(struct tock_ctx *ctx, const struct report *r)
{
	/* One to seven eighths of a cell. */
	static const char *const eighths[] = { "", "▏", "▎", "▍", "▌", "▋",
	    "▊", "▉" };
	struct chart_row *rows;
	enum chart_unit unit = UNIT_DAY;
	size_t i, first = 0, n;
	int64_t max = 0, cells;
	int labw = 0, durw = 0, barw, width, j;
	char dur[32];

	/* A long range starts at its first tracked day, in coarser rows. */
	if (r->ndays > CHART_MAX_ROWS)
		while (first < r->ndays && r->days[first].ms == 0)
			first++;
	if (r->ndays - first > CHART_MAX_ROWS)
		unit = UNIT_WEEK;
	if (r->ndays - first > CHART_MAX_ROWS * 7)
		unit = UNIT_MONTH;
	if (r->ndays - first > CHART_MAX_ROWS * 30)
		unit = UNIT_YEAR;
	n = chart_rows(&rows, r, first, unit);
	for (i = 0; i < n; i++) {
		if (rows[i].ms > max)
			max = rows[i].ms;
		labw = max_int(labw, text_width(rows[i].label));
		timefmt_duration(dur, sizeof dur, rows[i].ms);
		durw = max_int(durw, (int)strlen(dur));
	}
	width = ctx->width > 0 ? ctx->width : CHART_WIDTH;
	/* Label, two blanks, bar, blank, duration, " ▶". */
	barw = max_int(10, width - labw - 2 - 1 - durw - 2);
	for (i = 0; i < n; i++) {
		if (rows[i].ms == 0) {
			printf("%s\n", rows[i].label);
			continue;
		}
		printf("%-*s  ", labw, rows[i].label);
		/* In eighths of a cell, rounded, never less than one. */
		cells = (rows[i].ms * barw * 8 + max / 2) / max;
		if (cells == 0)
			cells = 1;
		fputs(out_c(ctx, C_CYAN), stdout);
		for (j = 0; j < cells / 8; j++)
			fputs("█", stdout);
		fputs(eighths[cells % 8], stdout);
		fputs(out_c(ctx, C_RESET), stdout);
		timefmt_duration(dur, sizeof dur, rows[i].ms);
		printf("%*s %*s", (int)(barw - (cells + 7) / 8), "", durw, dur);
		if (rows[i].running)
			printf(" %s▶%s", out_c(ctx, C_GREEN),
			    out_c(ctx, C_RESET));
		putchar('\n');
	}
	free(rows);
}

static void
print_human(struct tock_ctx *ctx, const struct report *r)
{
	struct strbuf range = STRBUF_INIT;
	char now[16];
	int64_t sum;
	size_t i;

	range_text(&range, r->since, r->until);
	if (r->nentries == 0) {
		printf("No time tracked in %s.\n", range.buf);
		strbuf_release(&range);
		return;
	}
	printf("%s%s%s, by %s\n\n", out_c(ctx, C_BOLD), range.buf,
	    out_c(ctx, C_RESET), report_by_name(r->by));
	print_table(ctx, r);
	printf("\n");
	print_chart(ctx, r);
	if (r->running) {
		timefmt_local(now, sizeof now, r->now, "%H:%M");
		printf("\n%s▶%s the running timer is counted up to %s.\n",
		    out_c(ctx, C_GREEN), out_c(ctx, C_RESET),
		    r->until < r->now ? "the end of the range" : now);
	}
	for (i = 0, sum = 0; i < r->ngroups; i++)
		sum += r->groups[i].ms;
	if (sum > r->total_ms)
		printf("Time on a task with several tags counts toward "
		    "each.\n");
	strbuf_release(&range);
}

int
cmd_report(int argc, char **argv, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct db_report_query q = { 0 };
	struct report r = { 0 };
	enum report_by by = REPORT_BY_TASK;
	const char *since = NULL, *until = NULL, *bystr = NULL;
	int64_t now;
	int c, rc, span = 0, nspans = 0;
	bool csv = false;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
		case 'w':
		case 'm':
			span = c;
			nspans++;
			break;
		case 's':
			since = optarg;
			span = c;
			nspans++;
			break;
		case 'u': until = optarg; break;
		case 'b': bystr = optarg; break;
		case 'J': ctx->json = true; break;
		case 'C': csv = true; break;
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	if (optind != argc)
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "report takes options only");
	if (nspans > 1)
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "give one of --day, --week, --month and --since");
	if (until != NULL && since == NULL)
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "--until goes with --since");
	if (ctx->json && csv)
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "give --json or --csv, not both");
	if (bystr != NULL && report_by_parse(&by, bystr, &err) != 0)
		return out_usage(COMMAND_NAME, EXIT_USAGE, err.msg);
	/* Only now: a usage error never creates or touches the database. */
	if ((rc = cmd_db(ctx)) != 0)
		return rc;

	now = db_now(ctx->db);
	switch (span) {
	case 'd':
		q.since = time_day_start(now);
		q.until = time_day_next(q.since);
		break;
	case 'm':
		if ((rc = month_start(&q.since, now, 0, &err)) != 0 ||
		    (rc = month_start(&q.until, now, 1, &err)) != 0)
			return out_fail(&err);
		break;
	case 's':
		if (timeparse_when(&q.since, since, now, &err) != 0)
			return out_fail(&err);
		q.until = now;
		if (until != NULL &&
		    timeparse_when(&q.until, until, now, &err) != 0)
			return out_fail(&err);
		if (q.until <= q.since)
			return out_error(until != NULL ?
			    "--until must be after --since" :
			    "--since must be in the past");
		break;
	default:
		q.since = time_week_start(now);
		q.until = q.since;
		for (c = 0; c < 7; c++)
			q.until = time_day_next(q.until);
		break;
	}
	q.all_users = by == REPORT_BY_USER;

	if ((rc = report_init(&r, by, q.since, q.until, now, &err)) != 0 ||
	    (rc = db_report_entries(ctx->db, &q, add_item, &r, &err)) != 0) {
		report_release(&r);
		return out_fail(&err);
	}
	report_finish(&r);
	if (ctx->json)
		print_json(&r);
	else if (csv)
		print_csv(&r);
	else
		print_human(ctx, &r);
	report_release(&r);
	return EXIT_OK;
}
