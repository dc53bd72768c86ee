/* cmd_completion.c - tock completion (being written). */
#include "cmd.h"
#include "output.h"

int
cmd_completion(int argc, char **argv, struct tock_ctx *ctx)
{
	out_error("'completion' is not implemented yet");
	return EXIT_ERROR;
}
