/* SPDX-License-Identifier: ISC */
/*
 * syncmerge.h - the transaction of one sync push: dedup, locks, per-field
 * LWW merge (SYNC.md 3.10), the timer rule (3.11), the change log and the
 * answer.  api_sync_push.c parses the request into struct push_op.
 */
#ifndef TOCK_SYNCMERGE_H
#define TOCK_SYNCMERGE_H

#include <stdint.h>

#include "hlc.h"
#include "strbuf.h"
#include "uuid.h"

struct pg;
struct req;
struct resp;
struct rjson;

enum push_kind {
	OP_CREATE = 1,
	OP_SET = 2,
	OP_DELETE = 3,
	OP_RESTORE = 4,
	OP_TIMER_START = 7,
	OP_TIMER_STOP = 8,
};

struct push_op {
	int64_t seq;
	char id[UUID_STRLEN + 1];
	char scope[UUID_STRLEN + 3];
	int e;				/* sync_log.entity */
	char eid[UUID_STRLEN + 1];
	int kind;			/* enum push_kind */
	char hlc[HLC_STRLEN + 1];
	struct hlc h;
	struct rjson *doc, *fields, *base;
	char *fields_text, *base_text;
	/* Outcome. */
	int status;			/* enum in syncmerge.c */
	struct strbuf result;		/* the result object's JSON */
};

struct push_ctx {
	struct pg *pg;
	struct req *rq;
	struct resp *rs;
	char device_id[UUID_STRLEN + 1];
	char user_id[UUID_STRLEN + 1];
	int64_t results_acked_through;
	struct push_op *ops;
	int nops;
};

/* Run the push and answer it (200, or an error status). */
void push_run(struct push_ctx *ctx);

#endif
