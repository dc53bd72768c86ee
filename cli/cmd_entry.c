/*
 * cmd_entry.c - tock entry edit|rm: change or delete one time entry,
 * named by its @N from tock log or by a UUID prefix.  Subcommands use the
 * same table shape as the top level (git OPT_SUBCOMMAND).
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

#define COMMAND_NAME "entry"

static const struct option opts[] = {
	{ "start", required_argument, NULL, 's' },
	{ "end", required_argument, NULL, 'e' },
	{ "note", required_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'J' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void
report(struct tock_ctx *ctx, const char *verb, const char *ref,
    const struct entry *e)
{
	int64_t now = db_now(ctx->db);
	char from[32], to[32], dur[32];

	if (ctx->json) {
		out_entry_json(e, now);
		return;
	}
	out_when(from, sizeof from, e->start_time, now);
	if (e->end_time < 0)
		snprintf(to, sizeof to, "now");
	else
		out_end_time(to, sizeof to, e);
	timefmt_duration(dur, sizeof dur, (e->end_time < 0 ? now :
	    e->end_time) - e->start_time);
	printf("%s entry %s: %s–%s %s  %s\n", verb, ref, from, to, dur,
	    e->task_title ? e->task_title : "");
}

static int
entry_edit(int argc, char **argv, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct fieldset fs = FIELDSET_INIT;
	char id[UUID_STRLEN + 1];
	const char *start = NULL, *end = NULL;
	struct entry *e = NULL;
	int64_t now, t;
	int c, rc;

	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': start = optarg; break;
		case 'e': end = optarg; break;
		case 'n': fieldset_text(&fs, "notes", optarg); break;
		case 'J': ctx->json = true; break;
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	if (argc - optind != 1)
		return out_usage(COMMAND_NAME, EXIT_USAGE, "name one entry");
	if (fs.n == 0 && start == NULL && end == NULL)
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "nothing to change (--start, --end or --note)");
	if ((rc = cmd_db(ctx)) != 0)
		return rc;
	now = db_now(ctx->db);
	if (start != NULL) {
		if ((rc = timeopt_past(&t, "--start", start, now, &err)) != 0)
			return out_fail(&err);
		fieldset_int(&fs, "start_time", t);
	}
	if (end != NULL) {
		if ((rc = timeopt_past(&t, "--end", end, now, &err)) != 0)
			return out_fail(&err);
		fieldset_int(&fs, "end_time", t);
	}
	if ((rc = db_entry_resolve(ctx->db, id, argv[optind], &err)) != 0 ||
	    (rc = ops_entry_update(ctx->db, id, &fs, &err)) != 0 ||
	    (rc = db_entry_get(ctx->db, &e, id, &err)) != 0)
		return out_fail(&err);
	report(ctx, "Updated", argv[optind], e);
	entry_free(e);
	return EXIT_OK;
}

static int
entry_rm(int argc, char **argv, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	char id[UUID_STRLEN + 1];
	struct entry *e = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts + 3, NULL)) != -1) {
		switch (c) {
		case 'J': ctx->json = true; break;
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	if (argc - optind != 1)
		return out_usage(COMMAND_NAME, EXIT_USAGE, "name one entry");
	if ((rc = cmd_db(ctx)) != 0)
		return rc;
	if ((rc = db_entry_resolve(ctx->db, id, argv[optind], &err)) != 0 ||
	    (rc = db_entry_get(ctx->db, &e, id, &err)) != 0 ||
	    (rc = ops_entry_delete(ctx->db, id, &err)) != 0) {
		entry_free(e);
		return out_fail(&err);
	}
	e->deleted = true;
	report(ctx, "Deleted", argv[optind], e);
	entry_free(e);
	return EXIT_OK;
}

static const struct {
	const char *name;
	cmd_fn *fn;
} subcmds[] = {
	{ "edit", entry_edit },
	{ "rm", entry_rm },
};

int
cmd_entry(int argc, char **argv, struct tock_ctx *ctx)
{
	size_t i;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)
		return out_usage(COMMAND_NAME, argc < 2 ? EXIT_USAGE : 0,
		    NULL);
	for (i = 0; i < sizeof subcmds / sizeof subcmds[0]; i++)
		if (strcmp(argv[1], subcmds[i].name) == 0)
			return subcmds[i].fn(argc - 1, argv + 1, ctx);
	out_error("'%s' is not an entry command (edit, rm)", argv[1]);
	return EXIT_USAGE;
}
