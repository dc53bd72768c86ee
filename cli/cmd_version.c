/* cmd_version.c - tock version / tock --version. */
#include <stdio.h>

#include "cmd.h"
#include "db.h"
#include "output.h"

int
cmd_version(int argc, char **argv, struct tock_ctx *ctx)
{
	if (argc > 1)
		return out_usage("version", EXIT_USAGE, "version takes no "
		    "arguments");
	printf("tock %s (schema %d)\n", TOCK_VERSION, DB_SCHEMA_VERSION);
	return EXIT_OK;
}
