/*
 * db_sync.h - the SQLite half of sync (db_sync.c, part of the db module),
 * as used by sync.c.  Each function is one local transaction unless it
 * says otherwise; none talks to the network.
 */
#ifndef TOCK_DB_SYNC_H
#define TOCK_DB_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uuid.h"

struct db;
struct strbuf;
struct tock_err;
struct sj_msg;
struct sync_stats;

#define SYNC_SCOPE_LEN (UUID_STRLEN + 2)

/* The next push body: the oldest ops (inflight ones first) up to max_ops
 * and about max_bytes, marked inflight.  *nops = 0: the outbox is empty. */
int dbs_push_prepare(struct db *db, int max_ops, size_t max_bytes,
    struct strbuf *body, int *nops, struct tock_err *err);
/* Apply a push answer: *acked ops left the outbox, *retry are clock_ahead
 * ops still in it. */
int dbs_push_apply(struct db *db, const struct sj_msg *m,
    struct sync_stats *st, int *acked, int *retry, struct tock_err *err);
/* clock_ahead: store offset_ms, re-stamp every op left in the outbox with
 * new HLCs in seq order (and the row clocks they wrote), mark pending. */
int dbs_restamp(struct db *db, int64_t offset_ms, struct sync_stats *st,
    struct tock_err *err);

/* The pull body for every live scope (the user scope always). */
int dbs_pull_prepare(struct db *db, struct strbuf *body, struct tock_err *err);
/* Apply a pull answer with its cursors; *more when a scope has more. */
int dbs_pull_apply(struct db *db, const struct sj_msg *m,
    struct sync_stats *st, bool *more, struct tock_err *err);

/* A scope waiting for a snapshot and its resume token (malloc'd, NULL to
 * start); TOCK_ENOTFOUND when none waits. */
int dbs_snapshot_next(struct db *db, char scope[SYNC_SCOPE_LEN + 1],
    char **token, struct tock_err *err);
/* Apply one snapshot page (first: the request had no token). */
int dbs_snapshot_apply(struct db *db, const char *scope, bool first,
    const struct sj_msg *m, struct sync_stats *st, struct tock_err *err);

/* WebSocket: apply a delta whose from is the cursor (*applied), or tell
 * whether welcome heads / a poke are past the cursors. */
int dbs_ws_delta(struct db *db, const struct sj_msg *m, bool *applied,
    struct sync_stats *st, struct tock_err *err);
int dbs_ws_behind(struct db *db, const struct sj_msg *m, bool *behind,
    struct tock_err *err);
int dbs_hello(struct db *db, struct strbuf *out, struct tock_err *err);

#endif
