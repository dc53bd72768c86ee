/* SPDX-License-Identifier: ISC */
/*
 * pg.h - tock-server's PostgreSQL access: one connection (struct pg) and
 * one result (struct pg_res), both opaque.  pg.c is the only file that
 * includes <libpq-fe.h> (STYLE.md 3.8); callers never see a PGresult, an
 * ExecStatusType or a libpq error buffer.
 *
 * Every statement is sent with text parameters (prepared once per
 * connection, PQexecPrepared), so no value is ever spliced into SQL.  Errors are copied into struct tock_err
 * at once (libpq's buffers belong to the connection) and mapped to codes:
 *   TOCK_EEXISTS    unique violation (23505)
 *   TOCK_ENOTFOUND  foreign key violation (23503), or a row-level
 *                   security refusal (42501): invisible means not found
 *   TOCK_EINVAL     bad data (class 22, check violation 23514)
 *   TOCK_EBUSY      serialization failure or deadlock (40001, 40P01),
 *                   lock or statement timeout (55P03, 57014)
 *   TOCK_EIO        the connection is gone
 *   TOCK_ERR        anything else
 * pg_sqlstate() and pg_constraint() tell the details of the last error.
 *
 * Threads: a struct pg belongs to one thread at a time (a pool worker).
 */
#ifndef TOCK_PG_H
#define TOCK_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tock_err;
struct pg;
struct pg_res;

/* Connect with a libpq URL or key=value string and set the session up
 * (statement and idle-in-transaction timeouts, UTC). */
int pg_connect(struct pg **out, const char *conninfo, struct tock_err *err);
void pg_close(struct pg *pg);

/* Run one statement with n text parameters (a NULL parameter is SQL
 * NULL).  With out non-NULL the result is handed to the caller, who
 * frees it with pg_res_free; otherwise it is freed here. */
int pg_exec(struct pg *pg, struct pg_res **out, const char *sql, int n,
    const char *const *params, struct tock_err *err);
/* pg_exec with the n parameters as const char * arguments. */
int pg_query(struct pg *pg, struct pg_res **out, struct tock_err *err,
    const char *sql, int n, ...);

int pg_nrows(const struct pg_res *res);
/* The value at (row, col) as text, or NULL for SQL NULL or out of range.
 * Borrowed from res. */
const char *pg_value(const struct pg_res *res, int row, int col);
/* Rows affected by an INSERT/UPDATE/DELETE. */
long pg_affected(const struct pg_res *res);
void pg_res_free(struct pg_res *res);

/* BEGIN, and make user_id the row-level security user of this
 * transaction (set_config('tock.user_id', user_id, true)); user_id may be
 * NULL for a transaction that acts as nobody yet. */
int pg_begin(struct pg *pg, const char *user_id, struct tock_err *err);
int pg_commit(struct pg *pg, struct tock_err *err);
/* One statement (returning rows) in its own transaction as user_id:
 * BEGIN, set the user, sql, COMMIT, pipelined into one round trip.
 * Parameters and result as pg_exec; no transaction is left open. */
int pg_tx_query(struct pg *pg, const char *user_id, struct pg_res **out,
    struct tock_err *err, const char *sql, int n, const char *const *params);
/*
 * One statement of pg_pipeline: sql with n text parameters.  keep asks for
 * its result in res (freed by the caller with pg_res_free); rc is its
 * outcome: 0, the error code of a failure, or TOCK_ECONFLICT when the server
 * skipped it because an earlier statement of the pipeline failed.
 */
struct pg_call {
	const char *sql;
	int n;
	const char *const *params;
	int keep;
	struct pg_res *res;
	int rc;
};
/*
 * Send the n calls as one libpq pipeline ended by one sync, so they cost
 * one round trip, and collect every result.  Returns 0 when all succeeded;
 * else the code of the first failure, whose index is *failed (-1 when the
 * connection itself failed: nothing is known).  Inside a transaction
 * block a failure leaves the transaction failed (ROLLBACK TO SAVEPOINT is
 * the caller's).  The caller keeps the pipeline's input and output small
 * (tens of kilobytes): the connection is blocking, so a pipeline whose
 * results fill the socket while its statements are still being written
 * could stall.
 */
int pg_pipeline(struct pg *pg, struct pg_call *calls, int n, int *failed,
    struct tock_err *err);

/* ROLLBACK if a transaction is open; errors are ignored (the pool checks
 * the connection when it comes back). */
void pg_rollback(struct pg *pg);

/* Called when a connection returns to the pool: 0 if it is idle and
 * reusable (an open or failed transaction is rolled back first), -1 if it
 * must be closed. */
int pg_recycle(struct pg *pg);
/* Is the connection itself still up (not merely idle or in a failed
 * transaction)? */
bool pg_alive(const struct pg *pg);

/* SQLSTATE and constraint name of the last failed statement ("" if
 * none); borrowed, valid until the next call on pg. */
const char *pg_sqlstate(const struct pg *pg);
const char *pg_constraint(const struct pg *pg);

/*
 * After-commit hints (fan-out of WebSocket pokes and NOTIFY): queue
 * (scope, head) on the connection inside a write transaction; when that
 * transaction commits -- pg_commit, a "COMMIT" statement of pg_exec or
 * pg_pipeline, or pg_tx_query -- each is handed to the hook, after the
 * COMMIT returned; a ROLLBACK, a failed COMMIT or pg_recycle drops them.
 * The hook is set once at start-up, before any worker runs.
 */
void pg_set_commit_hook(void (*fn)(const char *scope, int64_t head));
void pg_defer_notify(struct pg *pg, const char *scope, int64_t head);

/* LISTEN support: the connection's socket (to poll), and every
 * notification that has arrived, each handed to fn.  TOCK_EIO when the
 * connection is gone. */
int pg_socket(const struct pg *pg);
int pg_notifies(struct pg *pg, void (*fn)(void *arg, const char *channel,
    const char *payload), void *arg, struct tock_err *err);

#endif
