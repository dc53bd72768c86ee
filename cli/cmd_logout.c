/*
 * cmd_logout.c - tock logout.  Placeholder until the sync CLI lands.
 */
#include "cmd.h"
#include "output.h"

int
cmd_logout(int argc, char **argv, struct tock_ctx *ctx)
{
	(void)argc;
	(void)argv;
	(void)ctx;
	return out_error("logout: not built yet");
}
