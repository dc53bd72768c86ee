/*
 * output.h - how tock talks to people and scripts: error lines, usage,
 * colour (only on a terminal, never with NO_COLOR), and the human
 * renderings of tasks and time entries.  --json goes through common/json.
 */
#ifndef TOCK_OUTPUT_H
#define TOCK_OUTPUT_H

#include <stdint.h>

#include "model.h"

struct tock_ctx;
struct tock_err;
struct strbuf;

/* "tock: <msg>" on stderr; returns EXIT_ERROR. */
int out_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Report err and return the exit status its code calls for. */
int out_fail(const struct tock_err *err);
int out_exit_status(int code);
/* Usage of a command: on stdout with status 0 (--help), else on stderr
 * prefixed by msg (may be NULL); returns status. */
int out_usage(const char *cmd, int status, const char *msg);

/* SGR sequences, or "" without colour. */
const char *out_c(const struct tock_ctx *ctx, const char *sgr);
#define C_RESET "0"
#define C_BOLD "1"
#define C_DIM "2"
#define C_RED "31"
#define C_GREEN "32"
#define C_YELLOW "33"
#define C_CYAN "36"

/* "3" for an open task, else its 13-character id prefix. */
void out_task_ref(char *buf, size_t n, const struct task *t);
/* Same for an entry's task: number or prefix. */
void out_entry_task_ref(char *buf, size_t n, const struct entry *e);
/* Print a JSON value followed by a newline to stdout. */
void out_json(struct strbuf *sb);
/* Print one task / time entry as JSON (json.h shapes) on a line. */
void out_task_json(const struct task *t);
void out_entry_json(const struct entry *e, int64_t now);
/* Read all of stdin (for "-" arguments), bounded; malloc'd or NULL. */
char *out_read_stdin(size_t max);


/* Resolve a task reference and load it; on failure print the error and
 * return its exit status (the caller returns it). */
int out_load_task(struct tock_ctx *ctx, const char *ref, struct task **out);
/* The end of an entry as "10:30", or "01:30+1" when it ends on a later
 * local day than it started; "" while it runs. */
void out_end_time(char *buf, size_t n, const struct entry *e);
/* "09:30" for today, "Mon 24 09:30" within a week, else "2026-11-20 09:30". */
void out_when(char *buf, size_t n, int64_t ms, int64_t now);
#endif
