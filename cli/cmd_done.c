/* cmd_done.c - tock done: mark tasks done, stopping a timer on them. */
#include "batch.h"
#include "cmd.h"
#include "err.h"
#include "ops.h"

static int
done_one(struct tock_ctx *ctx, const struct task *t, struct tock_err *err)
{
	struct fieldset fs = FIELDSET_INIT;

	if (t->deleted)
		return tock_err_set(err, TOCK_EINVAL,
		    "deleted (restore it first)");
	if (t->status == TASK_DONE)
		return tock_err_set(err, TOCK_EINVAL, "already done");
	/* ops stops a timer running on it in the same transaction. */
	fieldset_text(&fs, "status", "done");
	return ops_task_update(ctx->db, t->id, &fs, err);
}

int
cmd_done(int argc, char **argv, struct tock_ctx *ctx)
{
	return batch_run(argc, argv, ctx, "done", "Completed", done_one);
}
