/* batch.c - the loop shared by done, rm and restore (see batch.h). */
#include <getopt.h>
#include <stdio.h>

#include "batch.h"
#include "cmd.h"
#include "db.h"
#include "err.h"
#include "json.h"
#include "output.h"
#include "strbuf.h"

static const struct option opts[] = {
	{ "json", no_argument, NULL, 'J' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int
batch_run(int argc, char **argv, struct tock_ctx *ctx, const char *cmd,
    const char *verb, batch_fn *fn)
{
	struct strbuf sb = STRBUF_INIT;
	int c, i, rc, status = EXIT_OK, n = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'J': ctx->json = true; break;
		case 'h': return out_usage(cmd, 0, NULL);
		default: return out_usage(cmd, EXIT_USAGE, NULL);
		}
	}
	if (optind == argc)
		return out_usage(cmd, EXIT_USAGE, "name at least one task");
	if ((rc = cmd_db(ctx)) != 0)
		return rc;
	strbuf_addch(&sb, '[');
	for (i = optind; i < argc; i++) {
		struct tock_err err = TOCK_ERR_INIT;
		struct task *t = NULL, *after = NULL;
		char ref[16];

		if ((rc = out_load_task(ctx, argv[i], &t)) != 0) {
			status = rc;
			continue;
		}
		out_task_ref(ref, sizeof ref, t);
		if ((rc = fn(ctx, t, &err)) != 0 ||
		    (rc = db_task_get(ctx->db, &after, t->id, &err)) != 0) {
			out_error("task %s: %s", argv[i], err.msg);
			status = out_exit_status(err.code);
			task_free(t);
			continue;
		}
		/* A restored task has a number again: show the new one. */
		if (after->num > 0)
			out_task_ref(ref, sizeof ref, after);
		if (ctx->json) {
			if (n++)
				strbuf_addch(&sb, ',');
			json_task_encode(&sb, after);
		} else
			printf("%s task %s: %s\n", verb, ref, t->title);
		task_free(t);
		task_free(after);
	}
	strbuf_addch(&sb, ']');
	if (ctx->json)
		out_json(&sb);
	strbuf_release(&sb);
	return status;
}
