/* cmd_rm.c - tock rm: delete tasks (a tombstone; tock restore undoes it). */
#include "batch.h"
#include "cmd.h"
#include "err.h"
#include "model.h"
#include "ops.h"

static int
rm_one(struct tock_ctx *ctx, const struct task *t, struct tock_err *err)
{
	if (t->deleted)
		return tock_err_set(err, TOCK_EINVAL,
		    "already deleted");
	return ops_task_delete(ctx->db, t->id, err);
}

int
cmd_rm(int argc, char **argv, struct tock_ctx *ctx)
{
	return batch_run(argc, argv, ctx, "rm", "Deleted", rm_one);
}
