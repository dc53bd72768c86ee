/* cmd_add.c - tock add: create a task. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "db.h"
#include "err.h"
#include "ops.h"
#include "output.h"
#include "task_opts.h"

#define COMMAND_NAME "add"

static const struct option opts[] = {
	{ "description", required_argument, NULL, 'd' },
	{ "due", required_argument, NULL, 'D' },
	{ "assign", required_argument, NULL, 'a' },
	{ "tag", required_argument, NULL, 't' },
	{ "priority", required_argument, NULL, 'p' },
	{ "meta", required_argument, NULL, 'm' },
	{ "branch", required_argument, NULL, 'b' },
	{ "json", no_argument, NULL, 'J' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int
cmd_add(int argc, char **argv, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct fieldset fs = FIELDSET_INIT;
	struct task_opts o = { 0 };
	char id[UUID_STRLEN + 1];
	struct task *t = NULL;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "d:t:p:m:a:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o.description = optarg; break;
		case 'D': o.due = optarg; break;
		case 'a': o.assign = optarg; break;
		case 'p': o.priority = optarg; break;
		case 'b': o.branch = optarg; break;
		case 'J': ctx->json = true; break;
		case 't':
			if ((rc = task_opts_tag(&o, optarg, false, &err)) != 0)
				return out_fail(&err);
			break;
		case 'm':
			if ((rc = task_opts_meta(&o, optarg, &err)) != 0)
				return out_fail(&err);
			break;
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	if (argc - optind != 1)
		return out_usage(COMMAND_NAME, EXIT_USAGE, argc == optind ?
		    "a title is required" : "give the title as one argument "
		    "(quote it)");
	o.title = argv[optind];
	if ((rc = cmd_db(ctx)) != 0)
		return rc;
	if ((rc = model_check_title(o.title, &err)) != 0 ||
	    (rc = task_opts_fields(&o, ctx->db, NULL, &fs, &err)) != 0 ||
	    (rc = ops_task_create(ctx->db, id, &fs, &err)) != 0 ||
	    (rc = db_task_get(ctx->db, &t, id, &err)) != 0) {
		task_opts_release(&o);
		return out_fail(&err);
	}
	task_opts_release(&o);
	if (ctx->json)
		out_task_json(t);
	else
		printf("Added task %s%d%s: %s\n", out_c(ctx, C_BOLD), t->num,
		    out_c(ctx, C_RESET), t->title);
	task_free(t);
	return EXIT_OK;
}
