/*
 * cmd_log.c - tock log: the user's time entries, grouped by local day,
 * with day totals.  Entries are numbered @1 (newest) upwards as in
 * Timewarrior; tock entry edit/rm take those numbers.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db.h"
#include "err.h"
#include "json.h"
#include "output.h"
#include "strbuf.h"
#include "text.h"
#include "timeparse.h"

#define COMMAND_NAME "log"

static const struct option opts[] = {
	{ "since", required_argument, NULL, 's' },
	{ "until", required_argument, NULL, 'u' },
	{ "task", required_argument, NULL, 't' },
	{ "json", no_argument, NULL, 'J' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct logstate {
	struct tock_ctx *ctx;
	struct strbuf json;
	int64_t now;
	int64_t day;		/* start of the day being printed, or -1 */
	int64_t day_total;
	int64_t total;
	int n;
};

static void
day_footer(struct logstate *ls)
{
	char dur[32];

	if (ls->day < 0)
		return;
	timefmt_duration(dur, sizeof dur, ls->day_total);
	printf("%*s%s%7s%s\n", 18, "", out_c(ls->ctx, C_BOLD), dur,
	    out_c(ls->ctx, C_RESET));
}

static int
log_entry(const struct entry *e, int at, void *arg)
{
	struct logstate *ls = arg;
	struct tock_ctx *ctx = ls->ctx;
	struct strbuf line = STRBUF_INIT;
	int64_t end = e->end_time < 0 ? ls->now : e->end_time;
	int64_t day = time_day_start(e->start_time);
	char head[64], from[16], to[32], dur[32], ref[16], atb[16];

	ls->n++;
	ls->total += end - e->start_time;
	if (ctx->json) {
		if (ls->n > 1)
			strbuf_addch(&ls->json, ',');
		json_entry_encode(&ls->json, e, at, ls->now);
		return 0;
	}
	if (day != ls->day) {
		day_footer(ls);
		timefmt_local(head, sizeof head, day, "%a %Y-%m-%d");
		printf("%s%s%s\n", out_c(ctx, C_BOLD), head,
		    out_c(ctx, C_RESET));
		ls->day = day;
		ls->day_total = 0;
	}
	ls->day_total += end - e->start_time;
	timefmt_local(from, sizeof from, e->start_time, "%H:%M");
	out_end_time(to, sizeof to, e);
	timefmt_duration(dur, sizeof dur, end - e->start_time);
	out_entry_task_ref(ref, sizeof ref, e);
	snprintf(atb, sizeof atb, "@%d", at);
	strbuf_addstr(&line, e->task_title ? e->task_title : "(no task)");
	if (e->notes[0] != '\0')
		strbuf_addf(&line, " — %s", e->notes);
	if (e->end_time < 0)
		strbuf_addstr(&line, " (running)");
	printf("  %s%-5s%s %s–%-7s %7s  %3s  ", out_c(ctx, C_DIM), atb,
	    out_c(ctx, C_RESET), from, to, dur, ref);
	if (ctx->width > 45) {
		struct strbuf fit = STRBUF_INIT;

		text_add_fit(&fit, line.buf, ctx->width - 45, false);
		printf("%s\n", fit.buf);
		strbuf_release(&fit);
	} else
		printf("%s\n", line.buf);
	strbuf_release(&line);
	return 0;
}

int
cmd_log(int argc, char **argv, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct entry_filter f = { 0 };
	struct logstate ls = { 0 };
	char task_id[UUID_STRLEN + 1], dur[32];
	const char *since = NULL, *until = NULL, *task = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "s:u:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': since = optarg; break;
		case 'u': until = optarg; break;
		case 't': task = optarg; break;
		case 'J': ctx->json = true; break;
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	if (optind != argc)
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "log takes options only");
	if ((rc = cmd_db(ctx)) != 0)
		return rc;
	ls.ctx = ctx;
	ls.now = db_now(ctx->db);
	ls.day = -1;
	/* Default: the last seven days, today included. */
	f.since = time_day_start(ls.now);
	for (c = 0; c < 6; c++)
		f.since = time_day_start(f.since - 1);
	f.until = INT64_MAX;
	if (since != NULL &&
	    (rc = timeparse_when(&f.since, since, ls.now, &err)) != 0)
		return out_fail(&err);
	if (until != NULL &&
	    (rc = timeparse_when(&f.until, until, ls.now, &err)) != 0)
		return out_fail(&err);
	if (f.until <= f.since) {
		out_error("--until must be after --since");
		return EXIT_ERROR;
	}
	if (task != NULL) {
		if ((rc = db_task_resolve(ctx->db, task_id, task, &err)) != 0)
			return out_fail(&err);
		f.task_id = task_id;
	}
	if (ctx->json)
		strbuf_addch(&ls.json, '[');
	if ((rc = db_entry_list(ctx->db, &f, log_entry, &ls, &err)) != 0) {
		strbuf_release(&ls.json);
		return out_fail(&err);
	}
	if (ctx->json) {
		strbuf_addch(&ls.json, ']');
		out_json(&ls.json);
		strbuf_release(&ls.json);
	} else if (ls.n == 0)
		printf("No time entries in this range.\n");
	else {
		day_footer(&ls);
		timefmt_duration(dur, sizeof dur, ls.total);
		printf("Total %s in %d entr%s\n", dur, ls.n,
		    ls.n == 1 ? "y" : "ies");
	}
	return EXIT_OK;
}
