/* SPDX-License-Identifier: ISC */
/*
 * fanout.h - commit hints to WebSocket subscribers, here and on the other
 * instances (SYNC.md 3.15; syncd/PROTOCOL.md "WebSocket").
 *
 * cl_notify(scope, head) (changelog.h; any thread, after COMMIT) queues a
 * poke for this instance's service thread, wakes it with
 * lws_cancel_service(), and queues the pair for the fan-out thread, which
 * sends the pairs of ~5 ms at a time to the other instances with one
 * autocommit `SELECT pg_notify('tock_sync', '<instance>|<scope>:<head>,…')`
 * (split under 7900 bytes).  The same thread LISTENs on that connection:
 * another instance's pairs become local pokes too.  On (re)connect and
 * every 2 s it reads the scopes changed in the last 10 s, so a lost
 * notification costs at most that delay; duplicate pokes are dropped by
 * the receiver (ws.c keeps each scope's last head).
 *
 * The service thread drains the queue with fanout_take() in
 * LWS_CALLBACK_EVENT_WAIT_CANCELLED.
 */
#ifndef TOCK_FANOUT_H
#define TOCK_FANOUT_H

#include <stdint.h>

struct lws_context;
struct tock_err;

struct fanout_poke {
	char scope[40];		/* scopes.id (a uuid) */
	int64_t head;
};

/* Start the fan-out thread: conninfo for its own connection (NULL: no
 * NOTIFY/LISTEN, local pokes only), ctx to wake the service loop. */
int fanout_start(struct lws_context *ctx, const char *conninfo,
    struct tock_err *err);
/* Stop and join the thread; drop what is queued.  Safe if never started. */
void fanout_stop(void);
/* The pokes queued since the last call (service thread): *out is an
 * array of the returned count, malloc'd, the caller's to free; NULL when
 * there are none. */
int fanout_take(struct fanout_poke **out);
/* Counters for /metrics. */
long long fanout_notifies_sent(void);

#endif
