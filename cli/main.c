/*
 * main.c - tock's entry point: global options, then the command from the
 * table.  Global options come before the command:
 *
 *   tock [--db PATH] [--json] [-v] [--version] [--help] COMMAND [ARGS]
 *
 * The tock binary links no network library (DESIGN.md Layout), so that
 * the commands a shell prompt or git hook runs start in well under a
 * millisecond.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cmd.h"
#include "db.h"
#include "err.h"
#include "output.h"
#include "paths.h"
#include "syncd_exec.h"
#include "workspace.h"

/* Columns to fit tables to; 0 (no limit) when stdout is not a terminal,
 * so that pipes and files get whole lines. */
static int
term_width(void)
{
	struct winsize ws;
	const char *cols;

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if ((cols = getenv("COLUMNS")) != NULL && atoi(cols) > 20)
		return atoi(cols);
	return 80;
}

static bool
want_color(void)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	if (nc != NULL && *nc != '\0')
		return false;
	if (term != NULL && strcmp(term, "dumb") == 0)
		return false;
	return isatty(STDOUT_FILENO);
}

static struct tock_ctx *the_ctx;

int
cmd_open_db(struct tock_ctx *ctx, bool readonly)
{
	struct tock_err err = TOCK_ERR_INIT;
	char *path = NULL;
	int rc;

	if (ctx->db != NULL)
		return 0;
	if (ctx->db_path == NULL) {
		if ((path = paths_db(&err)) == NULL)
			return out_fail(&err);
		ctx->db_path = ctx->db_path_owned = path;
	}
	rc = db_open(&ctx->db, ctx->db_path, readonly ? DB_OPEN_READONLY : 0,
	    &err);
	/* A missing or older database is created or migrated by a
	 * read-write open; reads need not fail on a first run. */
	if (rc != 0 && readonly)
		rc = db_open(&ctx->db, ctx->db_path, 0, &err);
	if (rc != 0)
		return out_fail(&err);
	return 0;
}

int
cmd_db(struct tock_ctx *ctx)
{
	return cmd_open_db(ctx, ctx->cmd->flags & CMD_READONLY);
}

int
main(int argc, char **argv)
{
	struct tock_ctx ctx = { 0 };
	const struct cmd_entry *cmd;
	char prog[32];
	int i, j, rc;

	the_ctx = &ctx;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0)
			ctx.json = true;
		else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
			ctx.verbose++;
		else if (strcmp(a, "--version") == 0)
			return cmd_version(0, NULL, &ctx);
		else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			char *args[] = { "help", NULL };

			return cmd_help(1, args, &ctx);
		} else if (strcmp(a, "--db") == 0) {
			if (i + 1 == argc) {
				out_error("option '--db' needs a path");
				return EXIT_USAGE;
			}
			ctx.db_path = argv[++i];
		}
		else if (strncmp(a, "--db=", 5) == 0)
			ctx.db_path = a + 5;
		else {
			out_error("unknown option '%s'", a);
			fprintf(stderr, "usage: tock [--db PATH] [--json] [-v] "
			    "COMMAND [ARGS]\n");
			return EXIT_USAGE;
		}
	}
	if (i == argc) {
		char *args[] = { "help", NULL };

		return cmd_help(1, args, &ctx);
	}
	if ((cmd = cmd_find(argv[i])) == NULL) {
		out_error("'%s' is not a tock command. See 'tock help'.",
		    argv[i]);
		return EXIT_USAGE;
	}
	/* --help needs no database: answer before opening (or creating) it. */
	for (j = i + 1; !(cmd->flags & CMD_PASS_ARGS) && j < argc &&
	    strcmp(argv[j], "--") != 0; j++)
		if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0)
			return out_usage(cmd->name, 0, NULL);
	ctx.color = want_color();
	ctx.width = term_width();
	ctx.cmd = cmd;
	if ((cmd->flags & CMD_NEEDS_DB) && !(cmd->flags & CMD_LAZY_DB) &&
	    (rc = cmd_open_db(&ctx, cmd->flags & CMD_READONLY)) != 0)
		return rc;
	/* Commands parse their own options; getopt names argv[0] in its
	 * messages, so make that "tock <command>". */
	snprintf(prog, sizeof prog, "tock %s", cmd->name);
	argv[i] = prog;
	optind = 0;
	rc = cmd->fn(argc - i, argv + i, &ctx);
	if (fflush(stdout) != 0 && rc == 0)
		rc = out_error("cannot write output");
	/* A write reaches the server soon when a daemon runs.  Only when
	 * this process changed rows: a listing by a write command (tock
	 * workspace ls, tock conflicts) is a read.  The kick never waits. */
	if (rc == 0 && (cmd->flags & CMD_NEEDS_DB) &&
	    !(cmd->flags & CMD_READONLY) && db_write_count(ctx.db) > 0)
		syncd_kick();
	db_close(ctx.db);
	free(ctx.db_path_owned);
	return rc;
}
