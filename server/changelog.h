/* SPDX-License-Identifier: ISC */
/*
 * changelog.h - how a REST write enters the same change log as synced
 * writes (DESIGN.md "Server contract"; SYNC.md 3.4 and 3.6).
 *
 * Inside the write's transaction, in this order:
 *   cl_lock()   lock the scopes the write touches, in ascending uuid
 *               order (SELECT last_seq ... FOR UPDATE): the lock order of
 *               a push, so REST writes and pushes cannot deadlock, and
 *               seqs are handed out under the lock, so commit order equals
 *               seq order and no reader skips a row;
 *   cl_stamp()  take a server HLC newer than anything on the rows about to
 *               change (so replicas' per-field LWW lets the write win);
 *   cl_add()    one change: scope, entity, id, kind and its fields as a
 *               JSON object; returns its seq, for the row's last_seq;
 *   cl_flush()  insert the sync_log rows (fhlc = every field stamped with
 *               the HLC) and move scopes.last_seq on.
 * Times inside fields are Unix milliseconds, as in the replica.
 *
 * One struct changelog per transaction, on one thread.  The HLC state is
 * process-wide and locked.
 */
#ifndef TOCK_CHANGELOG_H
#define TOCK_CHANGELOG_H

#include <stdint.h>

#include "hlc.h"
#include "uuid.h"

struct pg;
struct tock_err;

enum cl_entity {
	CL_TASK = 1,
	CL_TIME_ENTRY = 2,
	CL_COMMENT = 3,
	CL_WORKSPACE = 4,
	CL_MEMBERSHIP = 5,
	CL_USER_STATE = 6,
};

enum cl_kind {
	CL_CREATE = 1,
	CL_SET = 2,
	CL_DELETE = 3,
	CL_RESTORE = 4,
	CL_PURGE = 5,
	CL_MEMBERSHIP_CHANGE = 6,
};

#define CL_MAX_SCOPES 8
#define CL_MAX_CHANGES 16

struct cl_scope {
	char id[UUID_STRLEN + 1];
	int64_t last_seq;	/* as locked */
	int64_t next;		/* seqs handed out so far */
};

struct cl_change {
	int scope;
	int entity;
	int kind;
	int64_t seq;
	char entity_id[UUID_STRLEN + 1];
	char *fields;
};

struct changelog {
	struct pg *pg;
	char user_id[UUID_STRLEN + 1];
	char hlc[HLC_STRLEN + 1];
	int nscopes;
	struct cl_scope scope[CL_MAX_SCOPES];
	int nchanges;
	struct cl_change change[CL_MAX_CHANGES];
};

/* Once at start-up: a random node id for this process's HLC. */
void srvhlc_init(void);
/* The next server HLC after merging observed (an HLC string, or NULL or
 * "" for none).  Thread-safe. */
void srvhlc_next(char out[HLC_STRLEN + 1], const char *observed);

void cl_init(struct changelog *cl, struct pg *pg, const char *user_id);
/* Lock the n scopes (duplicates allowed) in ascending order.
 * TOCK_ENOTFOUND if one is missing or invisible to the user. */
int cl_lock(struct changelog *cl, const char *const *ids, int n,
    struct tock_err *err);
void cl_stamp(struct changelog *cl, const char *observed);
/* Queue a change in a locked scope; *seq (may be NULL) gets its seq.
 * fields is copied. */
int cl_add(struct changelog *cl, const char *scope_id, int entity,
    const char *entity_id, int kind, const char *fields, int64_t *seq);
int cl_flush(struct changelog *cl, struct tock_err *err);
void cl_release(struct changelog *cl);

/*
 * After COMMIT of a transaction that wrote scope_id's log up to head:
 * tell this instance's WebSocket subscribers (a poke) and, coalesced,
 * the other instances (NOTIFY tock_sync).  A hint only: never inside the
 * transaction, and harmless if the transaction did not commit after all.
 * Any thread.  (fanout.c)
 */
void cl_notify(const char *scope_id, int64_t head);

#endif
