/*
 * cmd_workspace.c - tock workspace: the workspaces this replica knows.
 *
 *   tock workspace ls [--json]      the current one starred, with your role
 *   tock workspace use NAME|ID      new tasks go there from now on
 *   tock workspace create NAME      offline: synced with the next round
 *
 * ls prints "* NAME  ID  ROLE" lines ("  " for the others), and
 * "(not synced yet)" after a workspace the server has not seen.  --json:
 * [{"id","name","role","current","synced"}].
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db.h"
#include "err.h"
#include "output.h"
#include "strbuf.h"
#include "text.h"
#include "workspace.h"

#define COMMAND_NAME "workspace"

static const struct option opts[] = {
	{ "json", no_argument, NULL, 'J' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct ls {
	struct tock_ctx *ctx;
	struct strbuf sb;	/* --json array */
	int n;
	size_t width;		/* of the name column */
};

static int
measure(const struct workspace_info *w, void *arg)
{
	struct ls *l = arg;
	size_t n = text_utf8_len(w->name);

	if (n > l->width)
		l->width = n;
	return 0;
}

static int
print_ws(const struct workspace_info *w, void *arg)
{
	struct ls *l = arg;
	struct tock_ctx *ctx = l->ctx;
	size_t pad;

	if (ctx->json) {
		if (l->n++)
			strbuf_addch(&l->sb, ',');
		strbuf_addstr(&l->sb, "{\"id\":");
		strbuf_add_json_str(&l->sb, w->id);
		strbuf_addstr(&l->sb, ",\"name\":");
		strbuf_add_json_str(&l->sb, w->name);
		strbuf_addstr(&l->sb, ",\"role\":");
		if (w->role != NULL)
			strbuf_add_json_str(&l->sb, w->role);
		else
			strbuf_addstr(&l->sb, "null");
		strbuf_addf(&l->sb, ",\"current\":%s,\"synced\":%s}",
		    w->current ? "true" : "false",
		    w->pending ? "false" : "true");
		return 0;
	}
	pad = l->width - text_utf8_len(w->name);
	printf("%s%s%s%*s  %s%.13s%s  %s%s\n", w->current ? "* " : "  ",
	    out_c(ctx, w->current ? C_BOLD : C_RESET), w->name, (int)pad, "",
	    out_c(ctx, C_DIM), w->id, out_c(ctx, C_RESET),
	    w->role != NULL ? w->role : "-",
	    w->pending ? "  (not synced yet)" : "");
	return 0;
}

static int
ws_ls(struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct ls l = { .ctx = ctx };
	int rc;

	strbuf_init(&l.sb, 0);
	strbuf_addch(&l.sb, '[');
	if ((rc = db_workspace_list(ctx->db, measure, &l, &err)) == 0)
		rc = db_workspace_list(ctx->db, print_ws, &l, &err);
	if (rc == 0 && ctx->json) {
		strbuf_addch(&l.sb, ']');
		out_json(&l.sb);
	}
	strbuf_release(&l.sb);
	return rc ? out_fail(&err) : EXIT_OK;
}

static int
ws_use(struct tock_ctx *ctx, const char *ref)
{
	struct tock_err err = TOCK_ERR_INIT;
	char id[UUID_STRLEN + 1], *name;

	if (db_workspace_resolve(ctx->db, id, ref, &err) != 0 ||
	    db_workspace_use(ctx->db, id, &err) != 0)
		return out_fail(&err);
	name = db_workspace_name(ctx->db, id);
	printf("Using workspace %s (%.13s)\n", name != NULL ? name : "?", id);
	free(name);
	return EXIT_OK;
}

static int
ws_create(struct tock_ctx *ctx, const char *name)
{
	struct tock_err err = TOCK_ERR_INIT;
	char id[UUID_STRLEN + 1];

	if (db_workspace_create(ctx->db, name, id, &err) != 0)
		return out_fail(&err);
	printf("Created workspace %s (%.13s); using it now\n", name, id);
	return EXIT_OK;
}

int
cmd_workspace(int argc, char **argv, struct tock_ctx *ctx)
{
	const char *sub;
	int c, rc, nargs;

	/* Options anywhere: getopt moves them before the words. */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'J': ctx->json = true; break;
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	sub = optind < argc ? argv[optind++] : "ls";
	nargs = argc - optind;
	if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0) {
		if (nargs != 0)
			return out_usage(COMMAND_NAME, EXIT_USAGE,
			    "workspace ls takes no arguments");
	} else if (strcmp(sub, "use") == 0 || strcmp(sub, "create") == 0) {
		if (nargs != 1)
			return out_usage(COMMAND_NAME, EXIT_USAGE,
			    strcmp(sub, "use") == 0 ? "name the workspace "
			    "to use" : "give the new workspace's name");
	} else {
		out_error("unknown workspace command '%s'", sub);
		return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
	}
	if ((rc = cmd_db(ctx)) != 0)
		return rc;
	if (strcmp(sub, "use") == 0)
		return ws_use(ctx, argv[optind]);
	if (strcmp(sub, "create") == 0)
		return ws_create(ctx, argv[optind]);
	return ws_ls(ctx);
}
