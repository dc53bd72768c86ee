/*
 * cmd_workspace.c - tock workspace.  Placeholder until the sync CLI lands.
 */
#include "cmd.h"
#include "output.h"

int
cmd_workspace(int argc, char **argv, struct tock_ctx *ctx)
{
	(void)argc;
	(void)argv;
	(void)ctx;
	return out_error("workspace: not built yet");
}
