/*
 * cmd_login.c - tock login.  Placeholder until the sync CLI lands.
 */
#include "cmd.h"
#include "output.h"

int
cmd_login(int argc, char **argv, struct tock_ctx *ctx)
{
	(void)argc;
	(void)argv;
	(void)ctx;
	return out_error("login: not built yet");
}
