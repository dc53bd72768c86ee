/* cmd_stop.c - tock stop: stop the running timer. */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "db.h"
#include "err.h"
#include "ops.h"
#include "output.h"
#include "timeopt.h"
#include "timeparse.h"

#define COMMAND_NAME "stop"

static const struct option opts[] = {
	{ "at", required_argument, NULL, 'A' },
	{ "json", no_argument, NULL, 'J' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int
cmd_stop(int argc, char **argv, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct entry *e = NULL;
	const char *at_s = NULL;
	int64_t now, at;
	char when[32], dur[32];
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'A': at_s = optarg; break;
		case 'J': ctx->json = true; break;
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	if (optind != argc)
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "stop takes no arguments");
	if ((rc = cmd_db(ctx)) != 0)
		return rc;
	at = now = db_now(ctx->db);
	if (at_s != NULL && (rc = timeopt_past(&at, "--at", at_s, now,
	    &err)) != 0)
		return out_fail(&err);
	if ((rc = ops_timer_stop(ctx->db, at, &e, &err)) != 0)
		return out_fail(&err);
	if (ctx->json)
		out_entry_json(e, now);
	else {
		timefmt_local(when, sizeof when, e->end_time, "%H:%M");
		timefmt_duration(dur, sizeof dur, e->end_time - e->start_time);
		printf("Stopped '%s' at %s after %s\n",
		    e->task_title ? e->task_title : "", when, dur);
	}
	entry_free(e);
	return EXIT_OK;
}
