/* SPDX-License-Identifier: ISC */
/*
 * api_sync_push.c - POST /api/v1/sync/push (syncd/PROTOCOL.md "Push").
 * Placeholder until the push handler lands.
 */
#include "api.h"
#include "server.h"

void
api_sync_push(struct req *rq, struct resp *rs, struct pg *pg)
{
	api_not_implemented(rq, rs, pg);
}
