/* cmd_version.c - tock version / tock --version. */
#include <stdio.h>

#include "cmd.h"
#include "db.h"

int
cmd_version(int argc, char **argv, struct tock_ctx *ctx)
{
	printf("tock %s (schema %d)\n", TOCK_VERSION, DB_SCHEMA_VERSION);
	return EXIT_OK;
}
