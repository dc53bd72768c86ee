/* cmd_help.c - tock help [COMMAND]: the command list, made from the
 * command table, or one command's usage. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "output.h"

int
cmd_help(int argc, char **argv, struct tock_ctx *ctx)
{
	const struct cmd_entry *c;

	if (argc > 2)
		return out_usage("help", EXIT_USAGE, NULL);
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0))
		return out_usage("help", 0, NULL);
	if (argc == 2) {
		if (cmd_find(argv[1]) == NULL) {
			out_error("'%s' is not a tock command. See 'tock help'.",
			    argv[1]);
			return EXIT_USAGE;
		}
		return out_usage(argv[1], 0, NULL);
	}
	printf("usage: tock [--db PATH] [--json] [-v] COMMAND [ARGS]\n\n"
	    "Track tasks and time from the terminal, offline first.\n\n"
	    "Commands:\n");
	for (c = cmd_table; c->name != NULL; c++)
		printf("  %-10s %s\n", c->name, c->desc);
	printf("\nTasks are named by their number in 'tock ls' or by a unique "
	    "id prefix.\n'tock COMMAND --help' shows a command's usage; "
	    "'man tock' has everything.\n");
	return EXIT_OK;
}
