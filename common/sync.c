/*
 * sync.c - a sync round (sync.h): push the outbox, pull every scope,
 * snapshot new or reset scopes, WebSocket frames.  This file speaks the
 * transport and the wire; the rows are db_sync.c's, the JSON decoding
 * syncjson.c's.
 *
 * Nothing here loses an op: an op leaves the outbox only in the same local
 * transaction that applies the answer naming it, so any failure (network,
 * HTTP error, crash) leaves it to be sent again, and the server dedupes by
 * op id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_sync.h"
#include "err.h"
#include "strbuf.h"
#include "sync.h"
#include "syncjson.h"
#include "timeparse.h"
#include "xmalloc.h"

#define PUSH_MAX_OPS 500
#define PUSH_MAX_BYTES (1024 * 1024)
#define MAX_ROUNDS 10000	/* a server that never says "done" */

/* One request; the HTTP status mapped to the codes of sync.h. */
static int
call(const struct sync_transport *tp, const char *method, const char *path,
    const char *body, struct strbuf *resp, int *status, struct tock_err *err)
{
	char msg[200];
	int rc;

	strbuf_reset(resp);
	*status = 0;
	if ((rc = tp->request(tp->ctx, method, path, body, status, resp,
	    err)) != 0)
		return rc == TOCK_EIO ? rc : tock_err_set(err, TOCK_EIO,
		    "cannot reach the sync server");
	if (*status >= 200 && *status < 300)
		return 0;
	sj_error_message(resp->buf, resp->len, msg, sizeof msg);
	switch (*status) {
	case 401:
		return tock_err_set(err, TOCK_EAUTH, "the server refused this "
		    "device (%s): log in again", *msg ? msg : "unauthorized");
	case 426:
		return tock_err_set(err, TOCK_EPROTO, "the server speaks "
		    "another sync protocol (%s): upgrade tock",
		    *msg ? msg : "upgrade required");
	case 413:
		return tock_err_set(err, TOCK_ETOOBIG, "batch too large");
	case 429:
	case 503:
		return tock_err_set(err, TOCK_EBUSY, "the server is busy (%s): "
		    "try again later", *msg ? msg : "retry later");
	default:
		return tock_err_set(err, TOCK_ERR, "sync server: HTTP %d%s%s",
		    *status, *msg ? ": " : "", msg);
	}
}

int
sync_push(struct db *db, const struct sync_transport *tp,
    struct sync_stats *st, struct tock_err *err)
{
	struct strbuf body = STRBUF_INIT, resp = STRBUF_INIT;
	int max_ops = PUSH_MAX_OPS, nops, status, acked, retry, rc = 0, i;

	for (i = 0; i < MAX_ROUNDS; i++) {
		struct sj_msg m;
		int64_t t0, t1;

		strbuf_reset(&body);
		if ((rc = dbs_push_prepare(db, max_ops, PUSH_MAX_BYTES, &body,
		    &nops, err)) != 0 || nops == 0)
			break;
		t0 = time_now_ms();
		rc = call(tp, "POST", "/api/v1/sync/push", body.buf, &resp,
		    &status, err);
		t1 = time_now_ms();
		if (rc == TOCK_ETOOBIG && max_ops > 1) {
			max_ops = nops / 2 > 0 ? nops / 2 : 1;
			continue;
		}
		if (rc != 0)
			break;
		if ((rc = sj_parse(&m, SJ_PUSH, resp.buf, resp.len, err)) != 0)
			break;
		if (st != NULL && m.server_time)
			st->server_time = m.server_time;
		rc = dbs_push_apply(db, &m, st, &acked, &retry, err);
		if (rc == 0 && retry > 0) {
			int64_t stime = m.server_time;
			int j;

			for (j = 0; j < m.nresults; j++)
				if (strcmp(m.results[j].status, "retry") == 0)
					break;
			/* RTT-corrected: the server read its clock about
			 * half-way through the request. */
			rc = stime > 0 ? dbs_restamp(db, stime - (t0 + t1) / 2,
			    st, err) : tock_err_set(err, TOCK_EPROTO,
			    "clock_ahead without server_time");
		} else if (rc == 0 && acked == 0)
			rc = tock_err_set(err, TOCK_EPROTO, "the server answered "
			    "none of the %d ops pushed", nops);
		sj_msg_free(&m);
		if (rc != 0)
			break;
	}
	strbuf_release(&body);
	strbuf_release(&resp);
	return rc;
}

/* Percent-encode s for a query string. */
static void
add_query(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~')
			strbuf_addch(sb, c);
		else
			strbuf_addf(sb, "%%%02X", c);
	}
}

/* Every scope waiting for a snapshot, page by page; a crash resumes from
 * the saved token. */
static int
snapshots(struct db *db, const struct sync_transport *tp,
    struct sync_stats *st, struct tock_err *err)
{
	char scope[SYNC_SCOPE_LEN + 1];
	struct strbuf path = STRBUF_INIT, resp = STRBUF_INIT;
	char *token = NULL;
	int rc, status, i;

	for (i = 0; i < MAX_ROUNDS; i++) {
		struct sj_msg m;

		rc = dbs_snapshot_next(db, scope, &token, err);
		if (rc == TOCK_ENOTFOUND) {
			rc = 0;
			break;
		}
		if (rc != 0)
			break;
		strbuf_reset(&path);
		strbuf_addstr(&path, "/api/v1/sync/snapshot?scope=");
		add_query(&path, scope);
		strbuf_addstr(&path, "&token=");
		add_query(&path, token ? token : "");
		strbuf_addstr(&path, "&limit=2000");
		if ((rc = call(tp, "GET", path.buf, NULL, &resp, &status,
		    err)) != 0 ||
		    (rc = sj_parse(&m, SJ_SNAPSHOT, resp.buf, resp.len,
		    err)) != 0)
			break;
		rc = dbs_snapshot_apply(db, scope, token == NULL, &m, st, err);
		sj_msg_free(&m);
		free(token);
		token = NULL;
		if (rc != 0)
			break;
	}
	free(token);
	strbuf_release(&path);
	strbuf_release(&resp);
	return rc;
}

int
sync_pull(struct db *db, const struct sync_transport *tp,
    struct sync_stats *st, struct tock_err *err)
{
	struct strbuf body = STRBUF_INIT, resp = STRBUF_INIT;
	bool more = true;
	int rc, status, i;

	for (i = 0; i < MAX_ROUNDS && more; i++) {
		struct sj_msg m;

		if ((rc = snapshots(db, tp, st, err)) != 0)
			break;
		strbuf_reset(&body);
		if ((rc = dbs_pull_prepare(db, &body, err)) != 0 ||
		    (rc = call(tp, "POST", "/api/v1/sync/pull", body.buf, &resp,
		    &status, err)) != 0 ||
		    (rc = sj_parse(&m, SJ_PULL, resp.buf, resp.len, err)) != 0)
			break;
		if (st != NULL && m.server_time)
			st->server_time = m.server_time;
		rc = dbs_pull_apply(db, &m, st, &more, err);
		sj_msg_free(&m);
		if (rc != 0)
			break;
		/* New or reset scopes: snapshot them before we finish. */
		if (!more && (rc = snapshots(db, tp, st, err)) != 0)
			break;
	}
	strbuf_release(&body);
	strbuf_release(&resp);
	return rc;
}

int
sync_round(struct db *db, const struct sync_transport *tp,
    struct sync_stats *st, struct tock_err *err)
{
	int rc;

	if ((rc = sync_push(db, tp, st, err)) != 0)
		return rc;
	return sync_pull(db, tp, st, err);
}

int
sync_ws_frame(struct db *db, const char *json, size_t len, bool *need_pull,
    struct sync_stats *st, struct tock_err *err)
{
	struct sj_msg m;
	bool applied = false;
	int rc;

	*need_pull = false;
	if ((rc = sj_parse(&m, SJ_WS, json, len, err)) != 0)
		return rc;
	if (strcmp(m.t, "delta") == 0) {
		rc = dbs_ws_delta(db, &m, &applied, st, err);
		*need_pull = rc == 0 && !applied;
	} else if (strcmp(m.t, "poke") == 0 || strcmp(m.t, "welcome") == 0) {
		rc = dbs_ws_behind(db, &m, need_pull, err);
	} else if (strcmp(m.t, "revoked") == 0) {
		*need_pull = true;
	}
	if (st != NULL && m.server_time)
		st->server_time = m.server_time;
	sj_msg_free(&m);
	return rc;
}

int
sync_ws_hello(struct db *db, struct strbuf *out, struct tock_err *err)
{
	return dbs_hello(db, out, err);
}
