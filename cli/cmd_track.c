/*
 * cmd_track.c - tock track: record time after the fact.
 *
 *   tock track 3 9:00..10:30          a range
 *   tock track 3 1h30m                the last 1h30m, ending now
 *   tock track 3 1h30m --at 14:00     1h30m starting at 14:00
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "db.h"
#include "err.h"
#include "ops.h"
#include "output.h"
#include "timeopt.h"
#include "timeparse.h"

#define COMMAND_NAME "track"

static const struct option opts[] = {
	{ "at", required_argument, NULL, 'A' },
	{ "note", required_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'J' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int
cmd_track(int argc, char **argv, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	const char *at_s = NULL, *note = NULL, *span;
	char id[UUID_STRLEN + 1], from_s[32], to_s[32], dur[32], ref[16];
	struct entry *e = NULL;
	struct task *t = NULL;
	int64_t now, from, to, len;
	int c, rc;

	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'A': at_s = optarg; break;
		case 'n': note = optarg; break;
		case 'J': ctx->json = true; break;
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	if (argc - optind != 2)
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "give a task and a range or duration");
	if ((rc = cmd_db(ctx)) != 0)
		return rc;
	now = db_now(ctx->db);
	span = argv[optind + 1];
	if (strstr(span, "..") != NULL) {
		if (at_s != NULL)
			return out_usage(COMMAND_NAME, EXIT_USAGE,
			    "--at goes with a duration, not a range");
		if ((rc = timeparse_range(&from, &to, span, now, &err)) != 0)
			return out_fail(&err);
	} else {
		if ((rc = timeparse_duration(&len, span, &err)) != 0)
			return out_fail(&err);
		if (at_s != NULL) {
			if ((rc = timeopt_past(&from, "--at", at_s, now,
			    &err)) != 0)
				return out_fail(&err);
			to = from + len;
		} else {
			to = now;
			from = now - len;
		}
	}
	if (to > now + 60000) {
		out_error("the entry would end in the future");
		return EXIT_ERROR;
	}
	if ((rc = out_load_task(ctx, argv[optind], &t)) != 0)
		return rc;
	if ((rc = ops_track(ctx->db, t->id, from, to, note, id, &err)) != 0 ||
	    (rc = db_entry_get(ctx->db, &e, id, &err)) != 0) {
		task_free(t);
		return out_fail(&err);
	}
	if (ctx->json)
		out_entry_json(e, now);
	else {
		out_task_ref(ref, sizeof ref, t);
		out_when(from_s, sizeof from_s, from, now);
		timefmt_local(to_s, sizeof to_s, to, "%H:%M");
		timefmt_duration(dur, sizeof dur, to - from);
		printf("Tracked %s on '%s' (task %s): %s–%s\n", dur, t->title,
		    ref, from_s, to_s);
	}
	entry_free(e);
	task_free(t);
	return EXIT_OK;
}
