/* SPDX-License-Identifier: ISC */
/*
 * ws.h - the WebSocket sync protocol "tock-sync" on /api/v1/ws
 * (syncd/PROTOCOL.md "WebSocket"): hello/welcome, pokes from fanout.c,
 * lws ping/pong.  Everything here runs on the lws service thread.
 */
#ifndef TOCK_WS_H
#define TOCK_WS_H

#include <stdbool.h>

#include <libwebsockets.h>

#include "route.h"

struct job;

int callback_tock_sync(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len);

/* LWS_CALLBACK_HTTP_CONFIRM_UPGRADE of the HTTP protocol: 0 lets the
 * upgrade go on; 1 after answering 400/401/404 itself; -1 hangs up. */
int ws_confirm_upgrade(struct lws *wsi, const char *upgrade);
/* A finished job of the pool: true if it was a WebSocket one (then ws.c
 * owns and frees it). */
bool ws_take_job(struct job *job);
/* A plain GET /api/v1/ws without an upgrade: 400. */
route_fn ws_plain_get;
/* For /metrics. */
int ws_connections(void);
long long ws_pokes_sent(void);

/* The row of the protocols table.  A small receive buffer keeps an idle
 * connection cheap; larger messages arrive in fragments and are joined. */
#define TOCK_PROTOCOL_SYNC \
	{ "tock-sync", callback_tock_sync, sizeof(struct pss_ws), 1024, 0, \
	    NULL, 0 }

struct pss_ws;
/* Exposed only for its size (the protocol row). */
struct pss_ws {
	struct lws *wsi;
	unsigned long long id;		/* finds the connection for a job */
	struct pss_ws *hnext;		/* id hash chain */
	char user_id[40];
	struct ws_sub *subs;		/* one per readable scope */
	int nsubs;
	int ndirty;			/* subs with a poke to send */
	unsigned char *out;		/* one frame to send, LWS_PRE first */
	size_t outlen;
	char *rx;			/* a message arriving in fragments */
	size_t rxlen;
	bool hello_pending;
	bool linked;
};

#endif
