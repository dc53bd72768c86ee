/*
 * cmd_member.c - tock member.  Placeholder until the sync CLI lands.
 */
#include "cmd.h"
#include "output.h"

int
cmd_member(int argc, char **argv, struct tock_ctx *ctx)
{
	(void)argc;
	(void)argv;
	(void)ctx;
	return out_error("member: not built yet");
}
