/*
 * sync.c - a sync round: push, pull, snapshot, WebSocket frames (see
 * sync.h).  Placeholder until the engine lands.
 */
#include "err.h"
#include "sync.h"

int
sync_round(struct db *db, const struct sync_transport *tp,
    struct sync_stats *st, struct tock_err *err)
{
	(void)db;
	(void)tp;
	(void)st;
	return tock_err_set(err, TOCK_ERR, "sync is not built yet");
}
