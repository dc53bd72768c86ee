/*
 * cmd_logout.c - tock logout: tock-syncd --logout forgets this device's
 * credentials (and revokes the device on the server when it can).  The
 * replica's data and unsynced changes stay: logging in again as the same
 * user carries on.
 */
#include <getopt.h>

#include "cmd.h"
#include "db.h"
#include "err.h"
#include "output.h"
#include "syncd_exec.h"

#define COMMAND_NAME "logout"

static const struct option opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int
cmd_logout(int argc, char **argv, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	const char *args[4];
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	if (optind != argc)
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "logout takes no arguments");
	if ((rc = cmd_db(ctx)) != 0)
		return rc;
	db_close(ctx->db);
	ctx->db = NULL;
	args[0] = "--logout";
	args[1] = "--db";
	args[2] = ctx->db_path;
	args[3] = NULL;
	rc = syncd_run(args, NULL, NULL, NULL, &err);
	return rc < 0 ? out_fail(&err) : rc;
}
