/* SPDX-License-Identifier: ISC */
/*
 * api_sync_pull.c - pull and snapshot (syncd/PROTOCOL.md "Pull",
 * "Snapshot").  Placeholder until the handlers land.
 */
#include "api.h"
#include "server.h"

void
api_sync_pull(struct req *rq, struct resp *rs, struct pg *pg)
{
	api_not_implemented(rq, rs, pg);
}

void
api_sync_snapshot(struct req *rq, struct resp *rs, struct pg *pg)
{
	api_not_implemented(rq, rs, pg);
}
