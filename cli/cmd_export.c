/*
 * cmd_export.c - tock export: the replica's tasks, time entries and
 * comments as JSON (read back by `tock import tock`), CSV or iCalendar.
 *
 *   tock export [--format json|csv|ical] [--since WHEN] [--until WHEN]
 *               [--what entries|tasks|comments] [-o FILE]
 *
 * What is exported (db_export.h): without a range, everything the replica
 * holds (deleted tasks included, marked so; deleted entries and comments
 * are gone and not exported).  With --since/--until: entries overlapping
 * the range, comments made in it, tasks created or updated in it and the
 * tasks of every exported entry and comment.  Entries of every user the
 * replica knows are included, each with its user_id.
 *
 * JSON (--format json, the default), version 1.  One record a line, so
 * that an import can name the line of a bad one:
 *
 *   {"format":"tock-export","version":1,"exported_at":ISO,
 *    "since":ISO|null,"until":ISO|null,
 *    "user_id":ID,"workspace_id":ID,        the exporting replica's
 *    "users":[{"id","name","email"(str|null)}...],
 *    "tasks":[task...],                     json.h shapes, exactly as
 *    "time_entries":[entry...],             --json prints them ("at" left
 *    "comments":[comment...]}               out, durations up to now)
 *
 * Times are ISO 8601 UTC with milliseconds.  A reader must ignore keys it
 * does not know; a version it does not know is refused.  The global
 * --json option changes nothing here: --format says what to write.
 *
 * CSV (RFC 4180): a header row, CRLF line ends, a field quoted when it
 * holds a comma, quote, CR or LF, quotes doubled.  --what picks the table:
 *   entries  id,task_id,task_num,task_title,tags,start,end,
 *            duration_minutes,notes,user_id
 *   tasks    id,num,title,description,status,tags,priority,due_date,
 *            assignee_id,created_by,created_at,updated_at,deleted
 *   comments id,task_id,author_id,author,created_at,body
 * Times are local ISO 8601 with the offset; tags are joined by ","; a
 * running entry has an empty end and its minutes up to now.
 *
 * iCalendar (RFC 5545): CRLF, lines folded at 75 octets (never inside a
 * UTF-8 sequence), TEXT escaped.  A VTODO per live task (UID = task id,
 * STATUS NEEDS-ACTION / IN-PROCESS / COMPLETED / CANCELLED, DUE as a DATE,
 * CATEGORIES = tags, PRIORITY from high/medium/low) and a VEVENT per time
 * entry (UID = entry id, DTSTART/DTEND in UTC, SUMMARY = task title,
 * DESCRIPTION = notes, RELATED-TO = the task).  A running entry ends at
 * the export time and is marked X-TOCK-RUNNING:TRUE: a calendar shows the
 * time tracked so far, where an event without an end would show none.
 *
 * With -o FILE the output goes to a temporary file renamed over FILE at
 * the end, so a failed export never leaves half a file.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "db.h"
#include "db_export.h"
#include "err.h"
#include "json.h"
#include "output.h"
#include "strbuf.h"
#include "timeparse.h"
#include "xmalloc.h"

#define COMMAND_NAME "export"
#define FLUSH_AT (64 * 1024)

static const struct option opts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "since", required_argument, NULL, 's' },
	{ "until", required_argument, NULL, 'u' },
	{ "what", required_argument, NULL, 'w' },
	{ "output", required_argument, NULL, 'o' },
	{ "json", no_argument, NULL, 'J' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

enum fmt { FMT_JSON, FMT_CSV, FMT_ICAL };
enum what { WHAT_ENTRIES, WHAT_TASKS, WHAT_COMMENTS };

struct exp {
	struct tock_ctx *ctx;
	FILE *f;
	struct strbuf sb;	/* output not yet written */
	bool write_failed;
	int64_t now;
	char stamp[32];		/* now as an iCalendar UTC time */
	size_t n;		/* records of the current list */
	struct strbuf line;	/* scratch */
};

static void
flush(struct exp *x)
{
	if (x->sb.len > 0 && fwrite(x->sb.buf, 1, x->sb.len, x->f) !=
	    x->sb.len)
		x->write_failed = true;
	strbuf_reset(&x->sb);
}

static int
maybe_flush(struct exp *x)
{
	if (x->sb.len >= FLUSH_AT)
		flush(x);
	return x->write_failed ? TOCK_EIO : 0;
}

/* ----- JSON ----- */

static void
json_sep(struct exp *x)
{
	strbuf_addstr(&x->sb, x->n++ ? ",\n" : "\n");
}

static int
json_user(const char *id, const char *name, const char *email, void *arg)
{
	struct exp *x = arg;

	json_sep(x);
	strbuf_addstr(&x->sb, "{\"id\":");
	strbuf_add_json_str(&x->sb, id);
	strbuf_addstr(&x->sb, ",\"name\":");
	strbuf_add_json_str(&x->sb, name);
	strbuf_addstr(&x->sb, ",\"email\":");
	if (email != NULL)
		strbuf_add_json_str(&x->sb, email);
	else
		strbuf_addstr(&x->sb, "null");
	strbuf_addch(&x->sb, '}');
	return maybe_flush(x);
}

static int
json_task(const struct task *t, const char *tags, void *arg)
{
	struct exp *x = arg;

	(void)tags;
	json_sep(x);
	json_task_encode(&x->sb, t);
	return maybe_flush(x);
}

static int
json_entry(const struct entry *e, const char *tags, void *arg)
{
	struct exp *x = arg;

	(void)tags;
	json_sep(x);
	json_entry_encode(&x->sb, e, 0, x->now);
	return maybe_flush(x);
}

static int
json_entries(struct exp *x, const struct export_range *r,
    struct tock_err *err)
{
	return db_export_entries(x->ctx->db, r, false, json_entry, x, err);
}

static int
json_comment(const struct comment *c, void *arg)
{
	struct exp *x = arg;

	json_sep(x);
	json_comment_encode(&x->sb, c);
	return maybe_flush(x);
}

static void
json_time_or_null(struct strbuf *sb, int64_t ms, bool set)
{
	char buf[64];

	if (!set) {
		strbuf_addstr(sb, "null");
		return;
	}
	timefmt_iso_utc(buf, sizeof buf, ms);
	strbuf_add_json_str(sb, buf);
}

/* Close the list just written: "]" on its own line unless empty. */
static void
json_list_end(struct exp *x, const char *next)
{
	strbuf_addstr(&x->sb, x->n ? "\n]" : "]");
	strbuf_addstr(&x->sb, next);
	x->n = 0;
}

static int
export_json(struct exp *x, const struct export_range *r,
    struct tock_err *err)
{
	struct db *db = x->ctx->db;
	char buf[64];
	int rc;

	timefmt_iso_utc(buf, sizeof buf, x->now);
	strbuf_addstr(&x->sb, "{\"format\":\"tock-export\",\"version\":1,"
	    "\"exported_at\":");
	strbuf_add_json_str(&x->sb, buf);
	strbuf_addstr(&x->sb, ",\"since\":");
	json_time_or_null(&x->sb, r->since, r->since != INT64_MIN);
	strbuf_addstr(&x->sb, ",\"until\":");
	json_time_or_null(&x->sb, r->until, r->until != INT64_MAX);
	strbuf_addstr(&x->sb, ",\"user_id\":");
	strbuf_add_json_str(&x->sb, db_user_id(db));
	strbuf_addstr(&x->sb, ",\"workspace_id\":");
	strbuf_add_json_str(&x->sb, db_workspace_id(db));
	strbuf_addstr(&x->sb, ",\n\"users\":[");
	x->n = 0;
	if ((rc = db_export_users(db, json_user, x, err)) != 0)
		return rc;
	json_list_end(x, ",\n\"tasks\":[");
	if ((rc = db_export_tasks(db, r, json_task, x, err)) != 0)
		return rc;
	json_list_end(x, ",\n\"time_entries\":[");
	if ((rc = json_entries(x, r, err)) != 0)
		return rc;
	json_list_end(x, ",\n\"comments\":[");
	if ((rc = db_export_comments(db, r, json_comment, x, err)) != 0)
		return rc;
	json_list_end(x, "}\n");
	return 0;
}

/* ----- CSV ----- */

static void
csv_field(struct strbuf *sb, const char *s, bool last)
{
	const char *p;

	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n") == NULL)
		strbuf_addstr(sb, s);
	else {
		strbuf_addch(sb, '"');
		for (p = s; *p; p++) {
			if (*p == '"')
				strbuf_addch(sb, '"');
			strbuf_addch(sb, *p);
		}
		strbuf_addch(sb, '"');
	}
	strbuf_addstr(sb, last ? "\r\n" : ",");
}

static void
csv_time(struct strbuf *sb, int64_t ms, bool last)
{
	char buf[64];

	timefmt_iso_local(buf, sizeof buf, ms);
	csv_field(sb, buf, last);
}

static void
csv_int(struct strbuf *sb, long long v, bool last)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%lld", v);
	csv_field(sb, buf, last);
}

static int
csv_entry(const struct entry *e, const char *tags, void *arg)
{
	struct exp *x = arg;
	int64_t end = e->end_time < 0 ? x->now : e->end_time;

	csv_field(&x->sb, e->id, false);
	csv_field(&x->sb, e->task_id, false);
	if (e->task_num > 0)
		csv_int(&x->sb, e->task_num, false);
	else
		csv_field(&x->sb, "", false);
	csv_field(&x->sb, e->task_title, false);
	csv_field(&x->sb, tags, false);
	csv_time(&x->sb, e->start_time, false);
	if (e->end_time < 0)
		csv_field(&x->sb, "", false);
	else
		csv_time(&x->sb, e->end_time, false);
	csv_int(&x->sb, end > e->start_time ? (end - e->start_time) / 60000 :
	    0, false);
	csv_field(&x->sb, e->notes, false);
	csv_field(&x->sb, e->user_id, true);
	return maybe_flush(x);
}

static int
csv_task(const struct task *t, const char *tags, void *arg)
{
	struct exp *x = arg;
	char *prio = json_meta_string(t->metadata, "priority");

	csv_field(&x->sb, t->id, false);
	if (t->num > 0)
		csv_int(&x->sb, t->num, false);
	else
		csv_field(&x->sb, "", false);
	csv_field(&x->sb, t->title, false);
	csv_field(&x->sb, t->description, false);
	csv_field(&x->sb, task_status_name(t->status), false);
	csv_field(&x->sb, tags, false);
	csv_field(&x->sb, prio, false);
	csv_field(&x->sb, t->due_date, false);
	csv_field(&x->sb, t->assignee_id, false);
	csv_field(&x->sb, t->created_by, false);
	csv_time(&x->sb, t->created_at, false);
	csv_time(&x->sb, t->updated_at, false);
	csv_field(&x->sb, t->deleted ? "true" : "false", true);
	free(prio);
	return maybe_flush(x);
}

static int
csv_comment(const struct comment *c, void *arg)
{
	struct exp *x = arg;

	csv_field(&x->sb, c->id, false);
	csv_field(&x->sb, c->task_id, false);
	csv_field(&x->sb, c->author_id, false);
	csv_field(&x->sb, c->author_name, false);
	csv_time(&x->sb, c->created_at, false);
	csv_field(&x->sb, c->body, true);
	return maybe_flush(x);
}

static int
export_csv(struct exp *x, const struct export_range *r, enum what what,
    struct tock_err *err)
{
	struct db *db = x->ctx->db;

	switch (what) {
	case WHAT_ENTRIES:
		strbuf_addstr(&x->sb, "id,task_id,task_num,task_title,tags,"
		    "start,end,duration_minutes,notes,user_id\r\n");
		return db_export_entries(db, r, true, csv_entry, x, err);
	case WHAT_TASKS:
		strbuf_addstr(&x->sb, "id,num,title,description,status,tags,"
		    "priority,due_date,assignee_id,created_by,created_at,"
		    "updated_at,deleted\r\n");
		return db_export_tasks(db, r, csv_task, x, err);
	case WHAT_COMMENTS:
		strbuf_addstr(&x->sb, "id,task_id,author_id,author,created_at,"
		    "body\r\n");
		return db_export_comments(db, r, csv_comment, x, err);
	}
	return 0;
}

/* ----- iCalendar ----- */

/* RFC 5545 3.3.11: backslash, semicolon and comma escaped, line breaks
 * as \n; other control characters are not allowed in TEXT and go. */
static void
ical_text(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': strbuf_addstr(sb, "\\\\"); break;
		case ';': strbuf_addstr(sb, "\\;"); break;
		case ',': strbuf_addstr(sb, "\\,"); break;
		case '\n': strbuf_addstr(sb, "\\n"); break;
		case '\r':
			if (s[1] != '\n')
				strbuf_addstr(sb, "\\n");
			break;
		default:
			if ((unsigned char)*s >= 0x20 && *s != 0x7f)
				strbuf_addch(sb, *s);
			else if (*s == '\t')
				strbuf_addch(sb, ' ');
		}
	}
}

/*
 * Write one content line, folded (RFC 5545 3.1): at most 75 octets a
 * line, continuations start with a space, and a cut never falls inside a
 * UTF-8 sequence.
 */
static void
ical_emit(struct exp *x)
{
	const char *s = x->line.buf;
	size_t len = x->line.len, pos = 0, room = 75, cut;

	while (len - pos > room) {
		cut = pos + room;
		while (cut > pos + 1 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
		strbuf_add(&x->sb, s + pos, cut - pos);
		strbuf_addstr(&x->sb, "\r\n ");
		pos = cut;
		room = 74;	/* the leading space counts */
	}
	strbuf_add(&x->sb, s + pos, len - pos);
	strbuf_addstr(&x->sb, "\r\n");
	strbuf_reset(&x->line);
}

static void
ical_prop(struct exp *x, const char *name, const char *text)
{
	strbuf_addf(&x->line, "%s:", name);
	ical_text(&x->line, text);
	ical_emit(x);
}

static void
ical_raw(struct exp *x, const char *name, const char *value)
{
	strbuf_addf(&x->line, "%s:%s", name, value);
	ical_emit(x);
}

static void
ical_utc(char *buf, size_t n, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof tm);
	strftime(buf, n, "%Y%m%dT%H%M%SZ", &tm);
}

static void
ical_time(struct exp *x, const char *name, int64_t ms)
{
	char buf[32];

	ical_utc(buf, sizeof buf, ms);
	ical_raw(x, name, buf);
}

/* tags "a,b" as CATEGORIES, each one escaped. */
static void
ical_categories(struct exp *x, const char *tags)
{
	const char *p, *comma;
	char *one;

	if (tags == NULL || *tags == '\0')
		return;
	strbuf_addstr(&x->line, "CATEGORIES:");
	for (p = tags; ; p = comma + 1) {
		comma = strchr(p, ',');
		one = comma ? xstrndup(p, (size_t)(comma - p)) : xstrdup(p);
		if (p != tags)
			strbuf_addch(&x->line, ',');
		ical_text(&x->line, one);
		free(one);
		if (comma == NULL)
			break;
	}
	ical_emit(x);
}

/* A tock priority as an iCalendar one (1 high, 5 medium, 9 low). */
static const char *
ical_priority(const char *p)
{
	if (p == NULL)
		return NULL;
	if (strcasecmp(p, "h") == 0 || strcasecmp(p, "high") == 0)
		return "1";
	if (strcasecmp(p, "m") == 0 || strcasecmp(p, "medium") == 0)
		return "5";
	if (strcasecmp(p, "l") == 0 || strcasecmp(p, "low") == 0)
		return "9";
	return NULL;
}

static int
ical_task(const struct task *t, const char *tags, void *arg)
{
	static const char *const status[] = {
		[TASK_TODO] = "NEEDS-ACTION",
		[TASK_IN_PROGRESS] = "IN-PROCESS",
		[TASK_DONE] = "COMPLETED",
		[TASK_CANCELLED] = "CANCELLED",
	};
	struct exp *x = arg;
	char due[16], *prio;
	const char *p;

	if (t->deleted)
		return 0;
	ical_raw(x, "BEGIN", "VTODO");
	ical_raw(x, "UID", t->id);
	ical_raw(x, "DTSTAMP", x->stamp);
	ical_time(x, "CREATED", t->created_at);
	ical_time(x, "LAST-MODIFIED", t->updated_at);
	ical_prop(x, "SUMMARY", t->title);
	if (t->description[0] != '\0')
		ical_prop(x, "DESCRIPTION", t->description);
	ical_raw(x, "STATUS", status[t->status]);
	if (t->due_date[0] != '\0') {
		/* YYYY-MM-DD -> YYYYMMDD */
		snprintf(due, sizeof due, "%.4s%.2s%.2s", t->due_date,
		    t->due_date + 5, t->due_date + 8);
		ical_raw(x, "DUE;VALUE=DATE", due);
	}
	ical_categories(x, tags);
	prio = json_meta_string(t->metadata, "priority");
	if ((p = ical_priority(prio)) != NULL)
		ical_raw(x, "PRIORITY", p);
	free(prio);
	ical_raw(x, "END", "VTODO");
	return maybe_flush(x);
}

static int
ical_entry(const struct entry *e, const char *tags, void *arg)
{
	struct exp *x = arg;
	bool running = e->end_time < 0;
	int64_t end = running ? x->now : e->end_time;

	ical_raw(x, "BEGIN", "VEVENT");
	ical_raw(x, "UID", e->id);
	ical_raw(x, "DTSTAMP", x->stamp);
	ical_time(x, "DTSTART", e->start_time);
	ical_time(x, "DTEND", end < e->start_time ? e->start_time : end);
	ical_prop(x, "SUMMARY", e->task_title != NULL ? e->task_title :
	    "(no task)");
	if (e->notes[0] != '\0')
		ical_prop(x, "DESCRIPTION", e->notes);
	ical_categories(x, tags);
	if (e->task_id[0] != '\0')
		ical_raw(x, "RELATED-TO", e->task_id);
	if (running)
		ical_raw(x, "X-TOCK-RUNNING", "TRUE");
	ical_raw(x, "END", "VEVENT");
	return maybe_flush(x);
}

static int
export_ical(struct exp *x, const struct export_range *r,
    struct tock_err *err)
{
	struct db *db = x->ctx->db;
	int rc;

	ical_utc(x->stamp, sizeof x->stamp, x->now);
	ical_raw(x, "BEGIN", "VCALENDAR");
	ical_raw(x, "VERSION", "2.0");
	ical_raw(x, "PRODID", "-//tock//tock " TOCK_VERSION "//EN");
	ical_raw(x, "CALSCALE", "GREGORIAN");
	if ((rc = db_export_tasks(db, r, ical_task, x, err)) != 0 ||
	    (rc = db_export_entries(db, r, true, ical_entry, x, err)) != 0)
		return rc;
	ical_raw(x, "END", "VCALENDAR");
	return 0;
}

/* ----- the command ----- */

/* A temporary file next to path, with the mode a new file would get. */
static FILE *
open_tmp(const char *path, char **tmp)
{
	mode_t mask;
	FILE *f;
	int fd;

	*tmp = xasprintf("%s.XXXXXX", path);
	if ((fd = mkstemp(*tmp)) < 0) {
		out_error("cannot create '%s': %s", path, strerror(errno));
		free(*tmp);
		*tmp = NULL;
		return NULL;
	}
	mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	if ((f = fdopen(fd, "w")) == NULL) {
		out_error("cannot write '%s': %s", path, strerror(errno));
		close(fd);
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
	}
	return f;
}

int
cmd_export(int argc, char **argv, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct export_range r = { INT64_MIN, INT64_MAX };
	struct exp x;
	const char *since = NULL, *until = NULL, *path = NULL;
	char *tmp = NULL;
	enum fmt fmt = FMT_JSON;
	enum what what = WHAT_ENTRIES;
	bool what_given = false;
	int c, rc, status = EXIT_OK;

	while ((c = getopt_long(argc, argv, "f:s:u:w:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "json") == 0)
				fmt = FMT_JSON;
			else if (strcmp(optarg, "csv") == 0)
				fmt = FMT_CSV;
			else if (strcmp(optarg, "ical") == 0 ||
			    strcmp(optarg, "ics") == 0)
				fmt = FMT_ICAL;
			else
				return out_usage(COMMAND_NAME, EXIT_USAGE,
				    "--format takes json, csv or ical");
			break;
		case 'w':
			if (strcmp(optarg, "entries") == 0)
				what = WHAT_ENTRIES;
			else if (strcmp(optarg, "tasks") == 0)
				what = WHAT_TASKS;
			else if (strcmp(optarg, "comments") == 0)
				what = WHAT_COMMENTS;
			else
				return out_usage(COMMAND_NAME, EXIT_USAGE,
				    "--what takes entries, tasks or comments");
			what_given = true;
			break;
		case 's': since = optarg; break;
		case 'u': until = optarg; break;
		case 'o': path = optarg; break;
		case 'J': break;	/* --format decides */
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	if (optind != argc)
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "export takes options only");
	if (what_given && fmt != FMT_CSV)
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "--what is for --format csv");
	if ((rc = cmd_db(ctx)) != 0)
		return rc;
	memset(&x, 0, sizeof x);
	x.ctx = ctx;
	x.now = db_now(ctx->db);
	strbuf_init(&x.sb, 0);
	strbuf_init(&x.line, 0);
	if (since != NULL &&
	    timeparse_when(&r.since, since, x.now, &err) != 0)
		return out_fail(&err);
	if (until != NULL &&
	    timeparse_when(&r.until, until, x.now, &err) != 0)
		return out_fail(&err);
	if (r.until <= r.since)
		return out_error("--until must be after --since");
	if (path != NULL && strcmp(path, "-") != 0) {
		if ((x.f = open_tmp(path, &tmp)) == NULL)
			return EXIT_ERROR;
	} else
		x.f = stdout;

	if ((rc = db_export_begin(ctx->db, &err)) == 0) {
		switch (fmt) {
		case FMT_JSON:
			rc = export_json(&x, &r, &err);
			break;
		case FMT_CSV:
			rc = export_csv(&x, &r, what, &err);
			break;
		case FMT_ICAL:
			rc = export_ical(&x, &r, &err);
			break;
		}
		db_export_end(ctx->db);
	}
	if (rc == 0)
		flush(&x);
	if (rc == TOCK_EIO || (rc == 0 && x.write_failed))
		status = out_error("cannot write %s: %s", path != NULL ?
		    path : "the output", strerror(errno));
	else if (rc != 0)
		status = out_fail(&err);
	if (tmp != NULL) {
		if (fclose(x.f) != 0 && status == EXIT_OK)
			status = out_error("cannot write %s: %s", path,
			    strerror(errno));
		if (status == EXIT_OK && rename(tmp, path) != 0)
			status = out_error("cannot write %s: %s", path,
			    strerror(errno));
		if (status != EXIT_OK)
			unlink(tmp);
		free(tmp);
	}
	strbuf_release(&x.sb);
	strbuf_release(&x.line);
	return status;
}
