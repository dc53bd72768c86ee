/* cmd_edit.c - tock edit: change fields of a task. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "db.h"
#include "err.h"
#include "ops.h"
#include "output.h"
#include "task_opts.h"

#define COMMAND_NAME "edit"

static const struct option opts[] = {
	{ "title", required_argument, NULL, 'T' },
	{ "description", required_argument, NULL, 'd' },
	{ "status", required_argument, NULL, 's' },
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
cmd_edit(int argc, char **argv, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct fieldset fs = FIELDSET_INIT;
	struct task_opts o = { 0 };
	struct task *t = NULL, *after = NULL;
	char ref[16];
	int c, rc;

	while ((c = getopt_long(argc, argv, "d:s:t:p:m:a:h", opts, NULL)) !=
	    -1) {
		switch (c) {
		case 'T': o.title = optarg; break;
		case 'd': o.description = optarg; break;
		case 's': o.status = optarg; break;
		case 'D': o.due = optarg; break;
		case 'a': o.assign = optarg; break;
		case 'p': o.priority = optarg; break;
		case 'b': o.branch = optarg; break;
		case 'J': ctx->json = true; break;
		case 't':
			if (task_opts_tag(&o, optarg, true, &err) != 0)
				return out_fail(&err);
			break;
		case 'm':
			if (task_opts_meta(&o, optarg, &err) != 0)
				return out_fail(&err);
			break;
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	if (argc - optind != 1)
		return out_usage(COMMAND_NAME, EXIT_USAGE, "name one task");
	if ((rc = cmd_db(ctx)) != 0)
		return rc;
	if ((rc = out_load_task(ctx, argv[optind], &t)) != 0)
		return rc;
	out_task_ref(ref, sizeof ref, t);
	if ((rc = task_opts_fields(&o, ctx->db, t->metadata, &fs, &err)) != 0)
		goto fail;
	if (fs.n == 0) {
		task_opts_release(&o);
		task_free(t);
		return out_usage(COMMAND_NAME, EXIT_USAGE, "nothing to change");
	}
	if ((rc = ops_task_update(ctx->db, t->id, &fs, &err)) != 0 ||
	    (rc = db_task_get(ctx->db, &after, t->id, &err)) != 0)
		goto fail;
	if (ctx->json)
		out_task_json(after);
	else
		printf("Updated task %s: %s\n", ref, after->title);
	task_opts_release(&o);
	task_free(t);
	task_free(after);
	return EXIT_OK;
fail:
	task_opts_release(&o);
	task_free(t);
	return out_fail(&err);
}
