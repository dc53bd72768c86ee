/*
 * cmd_conflicts.c - tock conflicts.  Placeholder until the sync CLI lands.
 */
#include "cmd.h"
#include "output.h"

int
cmd_conflicts(int argc, char **argv, struct tock_ctx *ctx)
{
	(void)argc;
	(void)argv;
	(void)ctx;
	return out_error("conflicts: not built yet");
}
