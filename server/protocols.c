/* SPDX-License-Identifier: ISC */
/*
 * protocols.c - the one table of lws protocols tock-server serves.  The
 * first row also gets every HTTP request that no mount claims, which is
 * all of them: tock-server has no mounts.  The second is the WebSocket
 * sync protocol (ws.c), reached only by an upgrade of /api/v1/ws.
 */
#include <libwebsockets.h>

#include "proto_api.h"
#include "protocols.h"
#include "ws.h"

const struct lws_protocols tock_protocols[] = {
	TOCK_PROTOCOL_API,
	TOCK_PROTOCOL_SYNC,
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};
