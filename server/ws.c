/* SPDX-License-Identifier: ISC */
/*
 * ws.c - /api/v1/ws, subprotocol tock-sync (see ws.h).
 *
 * Upgrade: the HTTP protocol's CONFIRM_UPGRADE asks ws_confirm_upgrade,
 * which checks the path, the subprotocol and the access token (header or
 * ?access_token=) and answers 401 itself; FILTER_PROTOCOL_CONNECTION then
 * checks the token again (cheap: an HMAC) to keep the user id, since the
 * upgrade moves the connection to this protocol's own per-session data.
 *
 * hello: a job for a database worker reads the user's readable scopes and
 * their heads (never libpq on this thread); its answer (ws_take_job,
 * called from proto_api.c's drain of the pool) subscribes the connection
 * to each scope and queues the welcome frame.
 *
 * Pokes: fanout.c queues (scope, head); EVENT_WAIT_CANCELLED drains it.
 * Each scope with subscribers has one entry with the last head poked; a
 * newer head marks every subscriber's sub dirty and asks for WRITEABLE,
 * which sends one poke per callback.  So a burst of commits costs one
 * frame per connection per scope, and nothing is allocated per poke.
 *
 * Memory per idle connection: the pss, one sub per readable scope, lws's
 * wsi and a 1 KiB receive buffer.
 */
#include <sys/queue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <libwebsockets.h>

#include "api.h"
#include "err.h"
#include "fanout.h"
#include "jwt.h"
#include "log.h"
#include "pg.h"
#include "pool.h"
#include "proto_api.h"
#include "server.h"
#include "timeparse.h"
#include "ws.h"
#include "xmalloc.h"

#define RX_MAX 65536		/* a client message larger than this: close */
#define NBUCKET 4096

struct ws_scope;

struct ws_sub {
	LIST_ENTRY(ws_sub) link;	/* the scope's subscribers */
	struct pss_ws *pss;
	struct ws_scope *sc;
	bool dirty;			/* a poke to send */
	bool user;			/* the user's own scope: "u:<id>" */
};

struct ws_scope {
	struct ws_scope *hnext;
	LIST_HEAD(, ws_sub) subs;
	long long head;			/* the last head poked */
	char id[40];
};

/* One vhost, one service thread: plain statics. */
static struct ws_scope *scopes[NBUCKET];
static struct pss_ws *conns[NBUCKET];
static unsigned long long next_id;
static int nconns;
static long long pokes_sent;

static void ws_hello_fn(struct req *rq, struct resp *rs, struct pg *pg);
static const struct route hello_route = {
	HTTP_GET, "/api/v1/ws (hello)", 0, ws_hello_fn, { NULL, NULL }
};

static unsigned
hash_str(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % NBUCKET;
}

static struct ws_scope *
scope_find(const char *id, bool create)
{
	struct ws_scope **b = &scopes[hash_str(id)], *sc;

	for (sc = *b; sc != NULL; sc = sc->hnext)
		if (strcmp(sc->id, id) == 0)
			return sc;
	if (!create)
		return NULL;
	sc = xcalloc(1, sizeof *sc);
	snprintf(sc->id, sizeof sc->id, "%s", id);
	LIST_INIT(&sc->subs);
	sc->head = -1;
	sc->hnext = *b;
	*b = sc;
	return sc;
}

static void
scope_drop_if_empty(struct ws_scope *sc)
{
	struct ws_scope **p;

	if (!LIST_EMPTY(&sc->subs))
		return;
	for (p = &scopes[hash_str(sc->id)]; *p != NULL; p = &(*p)->hnext)
		if (*p == sc) {
			*p = sc->hnext;
			break;
		}
	free(sc);
}

static void
unsubscribe(struct pss_ws *pss)
{
	int i;

	for (i = 0; i < pss->nsubs; i++) {
		LIST_REMOVE(&pss->subs[i], link);
		scope_drop_if_empty(pss->subs[i].sc);
	}
	free(pss->subs);
	pss->subs = NULL;
	pss->nsubs = 0;
	pss->ndirty = 0;
}

static struct pss_ws *
conn_find(unsigned long long id)
{
	struct pss_ws *p;

	for (p = conns[id % NBUCKET]; p != NULL; p = p->hnext)
		if (p->id == id)
			return p;
	return NULL;
}

static void
conn_unlink(struct pss_ws *pss)
{
	struct pss_ws **p;

	if (!pss->linked)
		return;
	for (p = &conns[pss->id % NBUCKET]; *p != NULL; p = &(*p)->hnext)
		if (*p == pss) {
			*p = pss->hnext;
			break;
		}
	pss->linked = false;
	nconns--;
}

/* Queue one frame (replacing an unsent one: only the newest matters). */
static void
queue_frame(struct pss_ws *pss, const char *text, size_t len)
{
	free(pss->out);
	pss->out = xmalloc(LWS_PRE + len);
	memcpy(pss->out + LWS_PRE, text, len);
	pss->outlen = len;
	lws_callback_on_writable(pss->wsi);
}

static void
queue_error(struct pss_ws *pss, const char *code)
{
	char buf[96];
	int n = snprintf(buf, sizeof buf, "{\"t\":\"error\",\"code\":\"%s\"}",
	    code);

	queue_frame(pss, buf, (size_t)n);
}

/* The access token of an upgrade request: Authorization: Bearer, or the
 * access_token query parameter.  0 with user filled, else an error code
 * (TOCK_ENOTFOUND: expired). */
static int
check_token(struct lws *wsi, char user[40])
{
	struct server *srv = lws_context_user(lws_get_context(wsi));
	struct tock_err err = TOCK_ERR_INIT;
	struct jwt_claims c;
	char buf[JWT_MAX_LEN + 32];
	const char *tok = NULL;
	int i, n, rc;

	n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
	if (n > 0 && n < (int)sizeof buf && lws_hdr_copy(wsi, buf, sizeof buf,
	    WSI_TOKEN_HTTP_AUTHORIZATION) > 0 &&
	    strncasecmp(buf, "Bearer ", 7) == 0)
		tok = buf + 7;
	for (i = 0; tok == NULL && lws_hdr_fragment_length(wsi,
	    WSI_TOKEN_HTTP_URI_ARGS, i) > 0; i++) {
		if (lws_hdr_copy_fragment(wsi, buf, sizeof buf,
		    WSI_TOKEN_HTTP_URI_ARGS, i) > 0 &&
		    strncmp(buf, "access_token=", 13) == 0)
			tok = buf + 13;
	}
	if (tok == NULL)
		return TOCK_EINVAL;
	rc = jwt_verify(&c, tok, strlen(tok), srv->shared.jwt_key,
	    srv->shared.jwt_keylen, time_now_ms() / 1000, &err);
	explicit_bzero(buf, sizeof buf);
	if (rc == 0 && !uuid_valid(c.sub))
		rc = TOCK_EINVAL;
	if (rc == 0)
		memcpy(user, c.sub, UUID_STRLEN + 1);
	return rc;
}

/* Answer an upgrade request with an error and no upgrade. */
static int
refuse(struct lws *wsi, unsigned int status, const char *code,
    const char *msg)
{
	unsigned char buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start;
	unsigned char *end = buf + sizeof buf - 1;
	char body[256];
	int n;

	n = snprintf(body, sizeof body, "{\"error\":{\"code\":\"%s\","
	    "\"message\":\"%s\"}}", code, msg);
	if (lws_add_http_common_headers(wsi, status, "application/json",
	    (lws_filepos_t)n, &p, end) ||
	    (status == 401 && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"www-authenticate:",
	    (const unsigned char *)"Bearer", 6, &p, end)) ||
	    lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"connection:",
	    (const unsigned char *)"close", 5, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	memcpy(start, body, (size_t)n);
	if (lws_write(wsi, start, (size_t)n, LWS_WRITE_HTTP_FINAL) != n)
		return -1;
	return 1;
}

int
ws_confirm_upgrade(struct lws *wsi, const char *upgrade)
{
	char path[64], proto[256], user[40];
	int rc;

	if (upgrade == NULL || strcasecmp(upgrade, "websocket") != 0)
		return -1;
	if (lws_hdr_copy(wsi, path, sizeof path, WSI_TOKEN_GET_URI) <= 0 ||
	    strcmp(path, "/api/v1/ws") != 0)
		return refuse(wsi, 404, "not_found", "no WebSocket here");
	if (lws_hdr_copy(wsi, proto, sizeof proto, WSI_TOKEN_PROTOCOL) <= 0 ||
	    strstr(proto, "tock-sync") == NULL)
		return refuse(wsi, 400, "invalid",
		    "the subprotocol must be tock-sync");
	rc = check_token(wsi, user);
	if (rc == TOCK_ENOTFOUND)
		return refuse(wsi, 401, "token_expired",
		    "the access token has expired; refresh it");
	if (rc != 0)
		return refuse(wsi, 401, "unauthorized",
		    "a valid access token is required");
	return 0;
}

void
ws_plain_get(struct req *rq, struct resp *rs, struct pg *pg)
{
	resp_error(rs, 400, "upgrade_required", "connect with a WebSocket "
	    "upgrade (subprotocol tock-sync)");
}

/* On a worker: the heads of every scope the user may read.  The answer
 * is "id:head,…\n" then the welcome frame. */
static void
ws_hello_fn(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	const char *p[1] = { rq->user_id };
	int rc;

	if ((rc = pg_tx_query(pg, rq->user_id, &res, &err,
	    "SELECT coalesce(string_agg(s.id || ':' || s.last_seq, ','), ''),"
	    " coalesce(json_object_agg(CASE WHEN s.kind = 2 THEN 'u:' || s.id"
	    " ELSE s.id::text END, s.last_seq), '{}')"
	    " FROM scopes s WHERE s.id = $1::uuid OR s.id IN (SELECT"
	    " m.workspace_id FROM memberships m WHERE m.user_id = $1::uuid)",
	    1, p)) != 0) {
		api_db_error(rq, rs, rc, &err);
		return;
	}
	strbuf_reset(&rs->body);
	strbuf_addf(&rs->body, "%s\n{\"t\":\"welcome\",\"v\":1,\"min_v\":1,"
	    "\"max_v\":1,\"server_time\":%lld,\"heads\":%s}",
	    pg_value(res, 0, 0), (long long)time_now_ms(), pg_value(res, 0, 1));
	rs->status = 200;
	pg_res_free(res);
}

static void
mark_dirty(struct ws_sub *s)
{
	if (s->dirty)
		return;
	s->dirty = true;
	s->pss->ndirty++;
	lws_callback_on_writable(s->pss->wsi);
}

/* The hello answer: subscribe to each scope, send the welcome. */
static void
hello_done(struct pss_ws *pss, struct job *job)
{
	const char *list = job->rs.body.buf, *nl, *p;
	struct ws_sub *s;
	struct ws_scope *sc;
	char id[40];
	long long head;
	int n, i;

	pss->hello_pending = false;
	nl = job->rs.status == 200 ? strchr(list, '\n') : NULL;
	if (nl == NULL) {
		queue_error(pss, job->rs.status == 503 ? "busy" : "internal");
		return;
	}
	unsubscribe(pss);
	for (n = 0, p = list; p < nl; p++)
		n += *p == ',';
	pss->subs = xcalloc((size_t)n + 1, sizeof *pss->subs);
	for (i = 0, p = list; p < nl && i <= n; i++) {
		if (sscanf(p, "%36[0-9a-f-]:%lld", id, &head) != 2)
			break;
		s = &pss->subs[pss->nsubs++];
		s->pss = pss;
		s->user = strcmp(id, pss->user_id) == 0;
		sc = scope_find(id, true);
		if (sc->head < 0)
			sc->head = head;
		s->sc = sc;
		LIST_INSERT_HEAD(&sc->subs, s, link);
		/* Another connection was poked past this welcome's head. */
		if (sc->head > head)
			mark_dirty(s);
		if ((p = strchr(p, ',')) == NULL)
			break;
		p++;
	}
	nl++;
	queue_frame(pss, nl, strlen(nl));
}

bool
ws_take_job(struct job *job)
{
	struct pss_ws *pss;

	if (job->route != &hello_route)
		return false;
	if ((pss = conn_find(job->conn_id)) != NULL)
		hello_done(pss, job);
	job_free(job);
	return true;
}

static void
on_hello(struct pss_ws *pss, const cJSON *msg)
{
	struct server *srv = lws_context_user(lws_get_context(pss->wsi));
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(msg, "v");
	struct job *job;

	if (!cJSON_IsNumber(v) || v->valuedouble != 1) {
		queue_error(pss, "proto_unsupported");
		return;
	}
	if (pss->hello_pending)
		return;
	job = job_new();
	job->conn_id = pss->id;
	job->start_us = mono_us();
	job->route = &hello_route;
	memcpy(job->rq.user_id, pss->user_id, sizeof job->rq.user_id);
	job->rq.method = HTTP_GET;
	pss->hello_pending = true;
	pool_submit(srv->pool, job);
}

static void
on_message(struct pss_ws *pss, const char *text, size_t len)
{
	const cJSON *t;
	cJSON *msg;

	msg = cJSON_ParseWithLength(text, len);
	if (msg == NULL || !cJSON_IsObject(msg)) {
		cJSON_Delete(msg);
		queue_error(pss, "invalid_json");
		return;
	}
	t = cJSON_GetObjectItemCaseSensitive(msg, "t");
	if (cJSON_IsString(t) && strcmp(t->valuestring, "hello") == 0)
		on_hello(pss, msg);
	else
		queue_error(pss, "unknown_message");
	cJSON_Delete(msg);
}

static int
on_receive(struct pss_ws *pss, const char *in, size_t len)
{
	bool final = lws_is_final_fragment(pss->wsi) &&
	    lws_remaining_packet_payload(pss->wsi) == 0;

	if (lws_frame_is_binary(pss->wsi)) {
		lws_close_reason(pss->wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
		    (unsigned char *)"text only", 9);
		return -1;
	}
	if (final && pss->rx == NULL) {
		on_message(pss, in, len);
		return 0;
	}
	if (pss->rxlen + len > RX_MAX) {
		lws_close_reason(pss->wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
		    (unsigned char *)"too large", 9);
		return -1;
	}
	pss->rx = xrealloc(pss->rx, pss->rxlen + len + 1);
	memcpy(pss->rx + pss->rxlen, in, len);
	pss->rxlen += len;
	if (final) {
		on_message(pss, pss->rx, pss->rxlen);
		free(pss->rx);
		pss->rx = NULL;
		pss->rxlen = 0;
	}
	return 0;
}

static int
on_writeable(struct pss_ws *pss)
{
	char buf[LWS_PRE + 128];
	struct ws_sub *s;
	int i, n;

	if (pss->out != NULL) {
		n = lws_write(pss->wsi, pss->out + LWS_PRE, pss->outlen,
		    LWS_WRITE_TEXT);
		free(pss->out);
		pss->out = NULL;
		if (n < (int)pss->outlen)
			return -1;
		if (pss->ndirty > 0)
			lws_callback_on_writable(pss->wsi);
		return 0;
	}
	for (i = 0; i < pss->nsubs && pss->ndirty > 0; i++) {
		s = &pss->subs[i];
		if (!s->dirty)
			continue;
		s->dirty = false;
		pss->ndirty--;
		n = snprintf(buf + LWS_PRE, sizeof buf - LWS_PRE,
		    "{\"t\":\"poke\",\"scope\":\"%s%s\",\"head\":%lld}",
		    s->user ? "u:" : "", s->sc->id, s->sc->head);
		if (lws_write(pss->wsi, (unsigned char *)buf + LWS_PRE,
		    (size_t)n, LWS_WRITE_TEXT) < n)
			return -1;
		pokes_sent++;
		break;
	}
	if (pss->ndirty > 0)
		lws_callback_on_writable(pss->wsi);
	return 0;
}

/* What fanout.c queued: mark the subscribers of every newer head. */
static void
drain_pokes(void)
{
	struct fanout_poke *v;
	struct ws_scope *sc;
	struct ws_sub *s;
	int i, n;

	n = fanout_take(&v);
	for (i = 0; i < n; i++) {
		if ((sc = scope_find(v[i].scope, false)) == NULL ||
		    v[i].head <= sc->head)
			continue;
		sc->head = v[i].head;
		LIST_FOREACH(s, &sc->subs, link)
			mark_dirty(s);
	}
	free(v);
}

int
callback_tock_sync(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct pss_ws *pss = user;
	char uid[40];

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		/* ws_confirm_upgrade let it through; keep the user. */
		if (pss == NULL || check_token(wsi, uid) != 0)
			return 1;
		memcpy(pss->user_id, uid, sizeof pss->user_id);
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		if (pss == NULL || pss->user_id[0] == '\0')
			return -1;
		pss->wsi = wsi;
		pss->id = ++next_id;
		pss->hnext = conns[pss->id % NBUCKET];
		conns[pss->id % NBUCKET] = pss;
		pss->linked = true;
		nconns++;
		return 0;
	case LWS_CALLBACK_RECEIVE:
		if (pss == NULL)
			return -1;
		return on_receive(pss, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (pss == NULL)
			return -1;
		return on_writeable(pss);
	case LWS_CALLBACK_CLOSED:
		if (pss == NULL)
			return 0;
		conn_unlink(pss);
		unsubscribe(pss);
		free(pss->out);
		pss->out = NULL;
		free(pss->rx);
		pss->rx = NULL;
		return 0;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		drain_pokes();
		return 0;
	default:
		return 0;
	}
}

int
ws_connections(void)
{
	return nconns;
}

long long
ws_pokes_sent(void)
{
	return pokes_sent;
}
