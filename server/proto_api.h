/* SPDX-License-Identifier: ISC */
/*
 * proto_api.h - the HTTP protocol of tock-server (REST, /healthz,
 * /metrics) and the process state it works with.
 *
 * struct server is made by main.c and handed to lws as the context's user
 * pointer; the protocol callback finds it with lws_context_user().  All of
 * its mutable members are touched only on the lws service thread, except
 * the pool, which locks itself.
 */
#ifndef TOCK_PROTO_API_H
#define TOCK_PROTO_API_H

#include <sys/queue.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "server.h"

struct metrics;
struct pool;
struct ratelimit;

struct server {
	struct srv_config cfg;
	struct srv_shared shared;
	struct pool *pool;
	struct ratelimit *rl_auth;	/* per IP: register, login, refresh */
	struct ratelimit *rl_user;	/* per user: authenticated routes */
	struct ratelimit *rl_ip;	/* per IP: every request */
	struct metrics *metrics;
	struct lws_context *ctx;
	volatile sig_atomic_t *stop;	/* set by the SIGTERM handler */
	bool draining;			/* stop accepting, finish requests */
	bool done;			/* main loop: leave */
	int64_t drain_deadline_us;
	long long inflight;		/* transactions begun, not answered */
};

int callback_tock_api(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len);

enum pss_state {
	PSS_IDLE,	/* between transactions */
	PSS_BODY,	/* reading the body */
	PSS_DISCARD,	/* reading a body that is too large, to answer 413 */
	PSS_WAIT,	/* a database worker has the job */
	PSS_HEADERS,	/* answer ready: write the headers */
	PSS_SEND,	/* write the body */
};

/*
 * One per HTTP connection, allocated and zeroed by lws; it may live across
 * keep-alive transactions, so LWS_CALLBACK_HTTP starts each one afresh.
 * While a worker has the job (PSS_WAIT) the pss sits on the vhd's waiting
 * list under its conn_id; a finished job finds its connection by that id,
 * so a connection closed meanwhile is never touched.
 */
struct pss_api {
	struct lws *wsi;
	uint64_t conn_id;		/* this transaction's id */
	enum pss_state state;
	struct job *job;		/* NULL while the pool owns it */
	size_t sent;			/* body bytes written */
	bool counted;			/* counted in server.inflight */
	bool linked;			/* on the waiting list */
	bool body_pending;		/* a body is announced, not yet read */
	TAILQ_ENTRY(pss_api) link;
	unsigned char *wbuf;		/* LWS_PRE + one chunk */
};

/* The row of the protocols table (protocols.c). */
#define TOCK_PROTOCOL_API \
	{ "tock-api", callback_tock_api, sizeof(struct pss_api), 0, 0, NULL, 0 }

#endif
