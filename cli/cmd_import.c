/* cmd_import.c - tock import (being written). */
#include "cmd.h"
#include "output.h"

int
cmd_import(int argc, char **argv, struct tock_ctx *ctx)
{
	out_error("'import' is not implemented yet");
	return EXIT_ERROR;
}
