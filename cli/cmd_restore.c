/* cmd_restore.c - tock restore: bring back deleted tasks. */
#include "batch.h"
#include "cmd.h"
#include "err.h"
#include "model.h"
#include "ops.h"

static int
restore_one(struct tock_ctx *ctx, const struct task *t, struct tock_err *err)
{
	if (!t->deleted)
		return tock_err_set(err, TOCK_EINVAL, "not deleted");
	return ops_task_restore(ctx->db, t->id, err);
}

int
cmd_restore(int argc, char **argv, struct tock_ctx *ctx)
{
	return batch_run(argc, argv, ctx, "restore", "Restored", restore_one);
}
