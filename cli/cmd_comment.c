/* cmd_comment.c - tock comment: add a comment to a task ("-" reads it from
 * standard input, for longer text). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db.h"
#include "err.h"
#include "json.h"
#include "ops.h"
#include "output.h"
#include "strbuf.h"

#define COMMAND_NAME "comment"

static const struct option opts[] = {
	{ "json", no_argument, NULL, 'J' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int
print_new(const struct comment *c, void *arg)
{
	const char *id = arg;
	struct strbuf sb = STRBUF_INIT;

	if (strcmp(c->id, id) != 0)
		return 0;
	json_comment_encode(&sb, c);
	out_json(&sb);
	strbuf_release(&sb);
	return 0;
}

int
cmd_comment(int argc, char **argv, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	char id[UUID_STRLEN + 1], ref[16];
	struct task *t = NULL;
	char *body = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'J': ctx->json = true; break;
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	if (argc - optind != 2)
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "give a task and the text (quoted, or - for stdin)");
	if ((rc = cmd_db(ctx)) != 0)
		return rc;
	if (strcmp(argv[optind + 1], "-") == 0) {
		if ((body = out_read_stdin(TEXT_MAX)) == NULL) {
			out_error("comment is too long (at most %d bytes)",
			    TEXT_MAX);
			return EXIT_ERROR;
		}
	} else
		body = strdup(argv[optind + 1]);
	if ((rc = out_load_task(ctx, argv[optind], &t)) != 0) {
		free(body);
		return rc;
	}
	if ((rc = ops_comment_add(ctx->db, t->id, body, id, &err)) != 0) {
		free(body);
		task_free(t);
		return out_fail(&err);
	}
	if (ctx->json)
		rc = db_comment_list(ctx->db, t->id, print_new, id, &err);
	else {
		out_task_ref(ref, sizeof ref, t);
		printf("Commented on task %s: %s\n", ref, t->title);
	}
	free(body);
	task_free(t);
	return rc ? out_fail(&err) : EXIT_OK;
}
