/*
 * cmd_status.c - tock status: the running timer in one line, for shell
 * prompts.  Prints nothing and exits 1 when no timer runs.  This runs on
 * every prompt, so it opens the database read-only, never creates or
 * migrates it, and does one indexed query.
 *
 * --format FMT: %t title, %d duration, %i task number (or id prefix),
 * %u task id, %s start time (HH:MM), %n note, %% a percent sign.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "db.h"
#include "err.h"
#include "json.h"
#include "output.h"
#include "paths.h"
#include "statuscache.h"
#include "strbuf.h"
#include "timeparse.h"

#define COMMAND_NAME "status"

static const struct option opts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "json", no_argument, NULL, 'J' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void
format(struct strbuf *sb, const char *fmt, const struct entry *e,
    int64_t now)
{
	char buf[64];
	const char *p;

	for (p = fmt; *p; p++) {
		if (*p != '%' || p[1] == '\0') {
			strbuf_addch(sb, *p);
			continue;
		}
		switch (*++p) {
		case 't':
			strbuf_addstr(sb, e->task_title ? e->task_title : "");
			break;
		case 'd':
			timefmt_duration(buf, sizeof buf, now - e->start_time);
			strbuf_addstr(sb, buf);
			break;
		case 'i':
			out_entry_task_ref(buf, sizeof buf, e);
			strbuf_addstr(sb, buf);
			break;
		case 'u':
			strbuf_addstr(sb, e->task_id);
			break;
		case 's':
			timefmt_local(buf, sizeof buf, e->start_time, "%H:%M");
			strbuf_addstr(sb, buf);
			break;
		case 'n':
			strbuf_addstr(sb, e->notes);
			break;
		case '%':
			strbuf_addch(sb, '%');
			break;
		default:
			strbuf_addch(sb, '%');
			strbuf_addch(sb, *p);
		}
	}
}

int
cmd_status(int argc, char **argv, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	const char *fmt = "▶ %d  %t";
	struct entry *e = NULL;
	int64_t now;
	int c, rc;

	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'J': ctx->json = true; break;
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	if (optind != argc)
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "status takes no arguments");
	if (ctx->db_path == NULL && (ctx->db_path = ctx->db_path_owned =
	    paths_db(&err)) == NULL)
		return out_fail(&err);
	now = time_now_ms();
	/* The fast path: a cache proven fresh, no SQLite at all. */
	if (statuscache_read(&e, ctx->db_path, now) == 0) {
		if (e == NULL)
			goto none;
		goto print;
	}
	rc = db_open(&ctx->db, ctx->db_path, DB_OPEN_READONLY, &err);
	if (rc == TOCK_ENOTFOUND)
		goto none;	/* no database yet: nothing runs */
	if (rc != 0)
		return out_fail(&err);
	db_status_refresh(ctx->db);
	rc = db_entry_running(ctx->db, &e, &err);
	if (rc == TOCK_ENOTRUNNING)
		goto none;
	if (rc != 0)
		return out_fail(&err);
	now = db_now(ctx->db);
print:
	if (ctx->json)
		json_entry_encode(&sb, e, 0, now);
	else
		format(&sb, fmt, e, now);
	out_json(&sb);
	strbuf_release(&sb);
	entry_free(e);
	return EXIT_OK;
none:
	if (ctx->json)
		printf("null\n");
	return EXIT_ERROR;
}
