/* SPDX-License-Identifier: ISC */
/*
 * protocols.c - the one table of lws protocols tock-server serves.  The
 * first row also gets every HTTP request that no mount claims, which is
 * all of them: tock-server has no mounts.  The WebSocket sync protocol
 * (proto_sync.c) joins with the sync issue.
 */
#include <libwebsockets.h>

#include "proto_api.h"
#include "protocols.h"

const struct lws_protocols tock_protocols[] = {
	TOCK_PROTOCOL_API,
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};
