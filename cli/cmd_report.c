/* cmd_report.c - tock report (being written). */
#include "cmd.h"
#include "output.h"

int
cmd_report(int argc, char **argv, struct tock_ctx *ctx)
{
	out_error("'report' is not implemented yet");
	return EXIT_ERROR;
}
