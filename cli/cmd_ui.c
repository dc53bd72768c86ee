/*
 * cmd_ui.c - tock ui: run tock-tui.  The TUI is its own binary (it links
 * ncurses, which tock does not need); look for it next to this tock first,
 * so a build tree or an install prefix works without PATH, then in PATH.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "output.h"

int
cmd_ui(int argc, char **argv, struct tock_ctx *ctx)
{
	char self[PATH_MAX], path[PATH_MAX + 16], *slash;
	ssize_t n;

	if (ctx->db_path != NULL)
		setenv("TOCK_DB", ctx->db_path, 1);
	argv[0] = "tock-tui";
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			/* In a build tree the TUI sits in ../tui/. */
			snprintf(path, sizeof path, "%s/tock-tui", self);
			if (access(path, X_OK) == 0)
				execv(path, argv);
			snprintf(path, sizeof path, "%s/../tui/tock-tui", self);
			if (access(path, X_OK) == 0)
				execv(path, argv);
		}
	}
	execvp("tock-tui", argv);
	out_error("cannot run tock-tui: %s", strerror(errno));
	return EXIT_ERROR;
}
