/*
 * batch.h - commands that act on several tasks (done, rm, restore): each
 * reference is handled on its own, a bad one is reported and the rest go
 * on, and the exit status is that of the last failure (cat(1) style).
 */
#ifndef TOCK_BATCH_H
#define TOCK_BATCH_H

struct tock_ctx;
struct tock_err;
struct task;

typedef int batch_fn(struct tock_ctx *ctx, const struct task *t,
    struct tock_err *err);

/* Parse --json/--help, then run fn on each TASK argument and print
 * "<verb> task N: title" (or the tasks as a JSON array). */
int batch_run(int argc, char **argv, struct tock_ctx *ctx, const char *cmd,
    const char *verb, batch_fn *fn);

#endif
