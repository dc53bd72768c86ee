/* cmd_export.c - tock export (being written). */
#include "cmd.h"
#include "output.h"

int
cmd_export(int argc, char **argv, struct tock_ctx *ctx)
{
	out_error("'export' is not implemented yet");
	return EXIT_ERROR;
}
