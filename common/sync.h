/*
 * sync.h - the merge/apply half of sync (SYNC.md 3.6-3.8, 3.11, 3.13;
 * the wire format is syncd/PROTOCOL.md).  No network library here: a
 * round talks to the server through a struct sync_transport that the
 * caller provides (tock-syncd's is libcurl; tests may add faults to it).
 * The SQLite half lives in db_sync.c, inside the db module.
 *
 * What a round does: push the outbox oldest first in batches of at most
 * 500 ops (marking them inflight in a local transaction first, and
 * resending inflight ops of a crashed run first), apply each push answer
 * in one local transaction (delete acknowledged ops, quarantine rejected
 * ones and roll their fields back to the server's current values, record
 * conflicts, re-stamp ops refused as clock_ahead and push again), then
 * pull every scope (POST /api/v1/sync/pull) applying each answer with its
 * cursors in one local transaction, snapshotting scopes that are new or
 * reset, dropping revoked ones (their pending ops go to quarantine), until
 * no scope has more.
 *
 * Ownership: strings in the structs below are malloc'd and freed by the
 * matching _release function; callbacks get borrowed structs.
 */
#ifndef TOCK_SYNC_H
#define TOCK_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hlc.h"
#include "uuid.h"

struct db;
struct strbuf;
struct tock_err;

/*
 * How a round reaches the server.  request() sends one request: method
 * "GET" or "POST", path with its query ("/api/v1/sync/pull"), body JSON
 * text or NULL.  It fills *status with the HTTP status and resp with the
 * body, and returns 0 whenever an HTTP answer arrived, whatever its
 * status; TOCK_EIO (err filled) when none did (refused, reset, timeout).
 * The transport adds the Authorization header and refreshes the access
 * token itself (a 401 it could not cure comes back as status 401).
 */
struct sync_transport {
	void *ctx;
	int (*request)(void *ctx, const char *method, const char *path,
	    const char *body, int *status, struct strbuf *resp,
	    struct tock_err *err);
};

struct sync_stats {
	int pushed;		/* ops acknowledged: applied, superseded,
				 * duplicate */
	int rejected;		/* ops moved to quarantine */
	int restamped;		/* ops re-stamped after clock_ahead */
	int pulled;		/* changes applied from pull pages and deltas */
	int snapshot_rows;	/* rows applied from snapshots */
	int conflicts;		/* conflicts newly recorded */
	int revoked;		/* scopes dropped (access revoked) */
	int64_t server_time;	/* from the last answer, 0 if none */
	bool changed;		/* anything applied locally (subscribers) */
};

/*
 * One full round.  0 on success; TOCK_EIO when the server could not be
 * reached (nothing lost: the outbox stays, try later); TOCK_EAUTH on a 401
 * (device revoked, token refused: log in again); TOCK_EPROTO on a 426 or
 * an answer that is not the protocol (message says which); TOCK_EBUSY on
 * 429/503 (err's message has the wait).  Stats accumulate into st.
 * sync_push and sync_pull are the two halves, for the daemon (a kick
 * pushes; a poke pulls).
 */
int sync_round(struct db *db, const struct sync_transport *tp,
    struct sync_stats *st, struct tock_err *err);
int sync_push(struct db *db, const struct sync_transport *tp,
    struct sync_stats *st, struct tock_err *err);
int sync_pull(struct db *db, const struct sync_transport *tp,
    struct sync_stats *st, struct tock_err *err);

/*
 * A WebSocket frame from the server (PROTOCOL.md "WebSocket"), JSON text.
 * A delta whose "from" equals the local cursor is applied like a pull
 * page (*need_pull = false); a poke whose head is past the local cursor,
 * a delta that does not fit, and a welcome with any head past a cursor or
 * an unknown scope set *need_pull = true.  "revoked" sets *need_pull too
 * (the pull drops the scope).  Unknown frames are ignored.
 */
int sync_ws_frame(struct db *db, const char *json, size_t len,
    bool *need_pull, struct sync_stats *st, struct tock_err *err);
/* The hello frame for this replica: {"t":"hello","v":1,"device_id":...,
 * "scopes":{scope: cursor, ...}} (appended to out). */
int sync_ws_hello(struct db *db, struct strbuf *out, struct tock_err *err);

/*
 * Login: make this replica the server user's (DESIGN.md "Local replica").
 * In one transaction: the local user id becomes user_id everywhere (rows,
 * memberships, pending outbox ops), the local personal workspace becomes
 * the server's default_ws (its pending "workspace create" op is dropped:
 * the server has that workspace already), and sync_meta records
 * server_url, device_id, email.  Logging in again as the same user on the
 * same server is a no-op apart from device_id.  A replica that belongs to
 * another user or server is refused (TOCK_ECONFLICT): use another TOCK_DB.
 */
struct sync_login {
	const char *server_url;
	const char *user_id;
	const char *email;
	const char *name;
	const char *default_ws;
	const char *device_id;
};
int sync_adopt(struct db *db, const struct sync_login *in,
    struct tock_err *err);
/* Logout: forget device_id and the "logged in" mark; data and outbox
 * stay (a later login as the same user carries on). */
int sync_forget(struct db *db, struct tock_err *err);
/* The server URL (malloc'd) of a logged-in replica; TOCK_EAUTH when the
 * replica never logged in or logged out. */
int sync_server_url(struct db *db, char **out, struct tock_err *err);

/* For tock sync status, the TUI header and tock-syncd. */
struct sync_status {
	char *server_url;	/* NULL when not logged in */
	char *email;
	char *user_id;
	char *device_id;
	int64_t last_sync;	/* ms of the last successful round, 0 never */
	char *last_error;	/* of the last failed round, or NULL */
	int64_t pending;	/* outbox ops not yet acknowledged */
	int64_t quarantined;
	int64_t conflicts;	/* unseen */
	int nscopes;
	struct sync_scope_status {
		char id[UUID_STRLEN + 3];	/* uuid or "u:<uuid>" */
		char name[128];			/* workspace name or "" */
		int64_t cursor;
		int64_t head;			/* last heard, -1 unknown */
		char state[12];			/* snapshot, live, revoked */
	} *scopes;
};
int sync_status_get(struct db *db, struct sync_status *out,
    struct tock_err *err);
void sync_status_release(struct sync_status *s);
/* Record the outcome of a round (msg NULL = success at now). */
int sync_note_round(struct db *db, const char *msg, struct tock_err *err);

struct sync_conflict {
	int64_t id;
	const char *entity;	/* task, time_entry, comment */
	const char *entity_id;
	const char *field;
	const char *loser_value;	/* JSON text of the losing value */
	const char *loser_hlc;
	const char *winner_hlc;
	const char *title;	/* the task's title, or NULL */
	int64_t detected_at;
	bool seen;
};
typedef int sync_conflict_cb(const struct sync_conflict *c, void *arg);
/* Newest first; all = seen ones too. */
int sync_conflict_list(struct db *db, bool all, sync_conflict_cb *cb,
    void *arg, struct tock_err *err);
/* Mark one conflict (id > 0) or all as seen. */
int sync_conflict_seen(struct db *db, int64_t id, struct tock_err *err);

struct sync_quarantined {
	const char *op_id;
	const char *scope;
	const char *payload;	/* the op as it was pushed (JSON) */
	const char *code;
	const char *message;
	int64_t rejected_at;
};
typedef int sync_quarantine_cb(const struct sync_quarantined *q, void *arg);
int sync_quarantine_list(struct db *db, sync_quarantine_cb *cb, void *arg,
    struct tock_err *err);

#endif
