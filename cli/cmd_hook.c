/* cmd_hook.c - tock hook (being written). */
#include "cmd.h"
#include "output.h"

int
cmd_hook(int argc, char **argv, struct tock_ctx *ctx)
{
	out_error("'hook' is not implemented yet");
	return EXIT_ERROR;
}
