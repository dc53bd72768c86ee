/* SPDX-License-Identifier: ISC */
/*
 * proto_api.c - the HTTP side of tock-server, on the lws service thread.
 *
 * One transaction:
 *   LWS_CALLBACK_HTTP             method, path, headers; limits (per-IP and
 *                                 per-user buckets, URL length), routing,
 *                                 the access token;
 *   LWS_CALLBACK_HTTP_BODY        the body into a strbuf bounded by
 *                                 body_max (past it: read and drop the
 *                                 rest, then answer 413);
 *   ..._HTTP_BODY_COMPLETION      parse the JSON (nesting capped), then
 *                                 queue the job for a database worker;
 *   LWS_CALLBACK_EVENT_WAIT_CANCELLED  a worker finished: find the
 *                                 connection by its id and ask for
 *                                 WRITEABLE (it may have closed: then the
 *                                 answer is dropped);
 *   LWS_CALLBACK_HTTP_CONFIRM_UPGRADE  a WebSocket upgrade: ws.c decides;
 *   LWS_CALLBACK_HTTP_WRITEABLE   the headers, then the body in chunks,
 *                                 one lws_write per callback; then the
 *                                 access log line and the metrics.
 * Errors found on this thread (404, 401, 413, 429...) skip the pool and go
 * straight to WRITEABLE.  Nothing here blocks: the body is read here, so a
 * slow client costs a socket and a timeout, never a database worker.
 *
 * Shutdown (SIGTERM): a 100 ms timer sees the flag, new connections are
 * refused (LWS_CALLBACK_FILTER_NETWORK_CONNECTION), answers carry
 * "connection: close", and once nothing is in flight (or the shutdown
 * timeout passes) the main loop is told to leave.
 */
#include <sys/queue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libwebsockets.h>

#include "api.h"
#include "err.h"
#include "fanout.h"
#include "jwt.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "proto_api.h"
#include "ratelimit.h"
#include "reqjson.h"
#include "route.h"
#include "timeparse.h"
#include "ws.h"

#define CHUNK 16384
#define TICK_US (100 * LWS_US_PER_MS)
#define SWEEP_EVERY 600			/* ticks: one minute */
/* A body up to this many times the cap is read and dropped so that the
 * 413 reaches the client; a larger one closes the connection. */
#define DISCARD_FACTOR 16

/* One per vhost (lws_protocol_vh_priv_zalloc), freed in PROTOCOL_DESTROY. */
struct vhd_api {
	struct lws_context *ctx;
	struct server *srv;
	TAILQ_HEAD(, pss_api) waiting;
	uint64_t next_id;
	lws_sorted_usec_list_t sul;
	int ticks;
};

static const struct {
	enum lws_token_indexes tok;
	int method;
} method_tokens[] = {
	{ WSI_TOKEN_GET_URI, HTTP_GET },
	{ WSI_TOKEN_POST_URI, HTTP_POST },
	{ WSI_TOKEN_PATCH_URI, HTTP_PATCH },
	{ WSI_TOKEN_PUT_URI, HTTP_PUT },
	{ WSI_TOKEN_DELETE_URI, HTTP_DELETE },
	{ WSI_TOKEN_OPTIONS_URI, HTTP_OPTIONS },
	{ WSI_TOKEN_HEAD_URI, HTTP_HEAD },
};

static struct vhd_api *
get_vhd(struct lws *wsi)
{
	return lws_protocol_vh_priv_get(lws_get_vhost(wsi),
	    lws_get_protocol(wsi));
}

/* A header's value as a malloc'd string, or NULL if absent. */
static char *
header_dup(struct lws *wsi, enum lws_token_indexes tok)
{
	int n = lws_hdr_total_length(wsi, tok);
	char *s;

	if (n <= 0)
		return NULL;
	s = malloc((size_t)n + 1);
	if (s == NULL)
		return NULL;
	if (lws_hdr_copy(wsi, s, n + 1, tok) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* One JSON line per request on stderr: no tokens, no bodies, no query. */
static void
access_log(const struct job *job, bool client_gone)
{
	struct strbuf line = STRBUF_INIT;
	const char *user = job->rq.user_id[0] != '\0' ? job->rq.user_id :
	    job->rs.log_user[0] != '\0' ? job->rs.log_user : NULL;
	char when[32];

	timefmt_iso_utc(when, sizeof when, time_now_ms());
	strbuf_addstr(&line, "{\"time\":");
	strbuf_add_json_str(&line, when);
	strbuf_addstr(&line, ",\"request_id\":");
	strbuf_add_json_str(&line, job->rq.id);
	strbuf_addstr(&line, ",\"method\":");
	strbuf_add_json_str(&line, http_method_name(job->rq.method));
	strbuf_addstr(&line, ",\"route\":");
	strbuf_add_json_str(&line, job->route != NULL ? job->route->pattern :
	    "unmatched");
	strbuf_addstr(&line, ",\"path\":");
	strbuf_add_json_str(&line, job->rq.path);
	strbuf_addf(&line, ",\"status\":%d,\"duration_ms\":%.3f,\"user_id\":",
	    job->rs.status, (double)(mono_us() - job->start_us) / 1000.0);
	if (user != NULL)
		strbuf_add_json_str(&line, user);
	else
		strbuf_addstr(&line, "null");
	strbuf_addstr(&line, ",\"ip\":");
	strbuf_add_json_str(&line, job->rq.ip);
	if (client_gone)
		strbuf_addstr(&line, ",\"client_gone\":true");
	strbuf_addstr(&line, "}\n");
	fputs(line.buf, stderr);
	strbuf_release(&line);
}

/* A transaction is over: log it, count it, forget it. */
static void
finish_job(struct server *srv, struct job *job, bool client_gone)
{
	access_log(job, client_gone);
	metrics_observe(srv->metrics, job->route, job->rs.status,
	    mono_us() - job->start_us);
	job_free(job);
}

static void
uncount(struct server *srv, struct pss_api *pss)
{
	if (pss->counted) {
		pss->counted = false;
		srv->inflight--;
	}
}

/* Forget whatever the pss holds (the connection closes, or a new
 * transaction starts on it). */
static void
pss_cleanup(struct vhd_api *vhd, struct pss_api *pss)
{
	if (pss->linked) {
		TAILQ_REMOVE(&vhd->waiting, pss, link);
		pss->linked = false;
	}
	if (pss->job != NULL) {
		job_free(pss->job);
		pss->job = NULL;
	}
	if (vhd != NULL)
		uncount(vhd->srv, pss);
	free(pss->wbuf);
	pss->wbuf = NULL;
	pss->state = PSS_IDLE;
}

/* The answer is in pss->job->rs: write it when the socket can take it.
 * An answer given before an announced body was read closes the
 * connection, or the unread body would be parsed as the next request. */
static void
respond(struct pss_api *pss)
{
	if (pss->body_pending)
		pss->job->rs.close = true;
	pss->state = PSS_HEADERS;
	lws_callback_on_writable(pss->wsi);
}

static void
answer_error(struct pss_api *pss, int status, const char *code,
    const char *msg)
{
	resp_error(&pss->job->rs, status, code, "%s", msg);
	respond(pss);
}

static void
answer_metrics(struct server *srv, struct resp *rs)
{
	struct metrics_gauges g;
	struct pool_stats ps;

	pool_stats(srv->pool, &ps);
	memset(&g, 0, sizeof g);
	g.pool_in_use = ps.busy;
	g.pool_connections = ps.conns;
	g.pool_queued = ps.queued;
	g.ws_connections = ws_connections();
	g.sync_ops_applied = 0;
	g.inflight = srv->inflight;
	strbuf_reset(&rs->body);
	metrics_render(srv->metrics, &rs->body, &g);
	strbuf_addf(&rs->body,
	    "# HELP tock_ws_pokes_sent_total Poke frames sent.\n"
	    "# TYPE tock_ws_pokes_sent_total counter\n"
	    "tock_ws_pokes_sent_total %lld\n"
	    "# HELP tock_sync_notifies_sent_total NOTIFY tock_sync sent.\n"
	    "# TYPE tock_sync_notifies_sent_total counter\n"
	    "tock_sync_notifies_sent_total %lld\n",
	    ws_pokes_sent(), fanout_notifies_sent());
	rs->status = 200;
}

/* Body complete (or none): parse it and hand the job on. */
static void
dispatch(struct vhd_api *vhd, struct pss_api *pss)
{
	struct server *srv = vhd->srv;
	struct job *job = pss->job;
	struct req *rq = &job->rq;
	struct tock_err err = TOCK_ERR_INIT;
	struct pool_stats ps;
	int rc;

	if (rq->body.len > 0) {
		rc = rjson_parse(&rq->json, rq->body.buf, rq->body.len,
		    srv->cfg.json_depth_max, &err);
		if (rc != 0) {
			resp_error(&job->rs, 400, "invalid_json", "%s", err.msg);
			respond(pss);
			return;
		}
	}
	if (job->route->flags & ROUTE_JSON) {
		if (rq->json == NULL) {
			answer_error(pss, 400, "invalid_json",
			    "a JSON object body is required");
			return;
		}
		if (!rjson_is_object(rq->json)) {
			answer_error(pss, 400, "invalid_json",
			    "the body must be a JSON object");
			return;
		}
	}
	if (job->route->flags & ROUTE_LOCAL) {
		if (job->route->fn == NULL)
			answer_metrics(srv, &job->rs);
		else
			job->route->fn(rq, &job->rs, NULL);
		respond(pss);
		return;
	}
	pool_stats(srv->pool, &ps);
	if (ps.queued >= srv->cfg.queue_max) {
		job->rs.retry_after = 1;
		answer_error(pss, 503, "busy", "the server is busy; retry later");
		return;
	}
	pss->job = NULL;
	pss->state = PSS_WAIT;
	TAILQ_INSERT_TAIL(&vhd->waiting, pss, link);
	pss->linked = true;
	/* lws timed the body; the worker gets the job timeout (and the
	 * pool answers 503 itself if the job waited that long). */
	lws_set_timeout(pss->wsi, PENDING_TIMEOUT_HTTP_CONTENT,
	    srv->cfg.job_timeout + 5);
	job->batch = api_batch_for(job->route);
	pool_submit(srv->pool, job);
}

/* "Bearer <jwt>": 0 with rq->user_id set, else answered 401. */
static int
authenticate(struct server *srv, struct pss_api *pss)
{
	struct req *rq = &pss->job->rq;
	struct tock_err err = TOCK_ERR_INIT;
	struct jwt_claims c;
	char *h;
	int rc;

	h = header_dup(pss->wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
		free(h);
		answer_error(pss, 401, "unauthorized",
		    "an access token is required (Authorization: Bearer)");
		return -1;
	}
	rc = jwt_verify(&c, h + 7, strlen(h + 7), srv->shared.jwt_key,
	    srv->shared.jwt_keylen, time_now_ms() / 1000, &err);
	explicit_bzero(h, strlen(h));
	free(h);
	if (rc == TOCK_ENOTFOUND) {
		answer_error(pss, 401, "token_expired",
		    "the access token has expired; refresh it");
		return -1;
	}
	if (rc != 0 || !uuid_valid(c.sub)) {
		answer_error(pss, 401, "invalid_token", err.msg[0] != '\0' ?
		    err.msg : "bad access token");
		return -1;
	}
	memcpy(rq->user_id, c.sub, sizeof rq->user_id);
	return 0;
}

/* A bucket said no. */
static void
answer_limited(struct pss_api *pss, int wait)
{
	pss->job->rs.retry_after = wait;
	answer_error(pss, 429, "rate_limited",
	    "too many requests; retry after the given seconds");
}

/* If-Match: "N", N, W/"N" or "*".  0, or -1 answered 400. */
static int
read_if_match(struct pss_api *pss)
{
	struct req *rq = &pss->job->rq;
	char *h = header_dup(pss->wsi, WSI_TOKEN_HTTP_IF_MATCH), *p, *end;
	long long v;
	size_t n;

	if (h == NULL)
		return 0;
	p = h;
	if (strncmp(p, "W/", 2) == 0)
		p += 2;
	n = strlen(p);
	if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
		p[n - 1] = '\0';
		p++;
	}
	if (strcmp(p, "*") == 0) {
		free(h);
		return 0;
	}
	v = strtoll(p, &end, 10);
	if (*p == '\0' || *end != '\0' || v < 0) {
		free(h);
		pss->job->rs.status = 400;
		resp_field_error(&pss->job->rs, "If-Match",
		    "'If-Match' must be a version number");
		respond(pss);
		return -1;
	}
	rq->has_if_match = true;
	rq->if_match = v;
	free(h);
	return 0;
}

/* The tock_refresh cookie, for browsers. */
static void
read_cookie(struct pss_api *pss)
{
	char *h = header_dup(pss->wsi, WSI_TOKEN_HTTP_COOKIE), *p, *e;

	if (h == NULL)
		return;
	for (p = h; (p = strstr(p, "tock_refresh=")) != NULL; p++) {
		if (p != h && p[-1] != ' ' && p[-1] != ';')
			continue;
		p += strlen("tock_refresh=");
		for (e = p; *e != '\0' && *e != ';' && *e != ' '; e++)
			;
		if (e > p)
			pss->job->rq.refresh_cookie = strndup(p, (size_t)(e - p));
		break;
	}
	explicit_bzero(h, strlen(h));
	free(h);
}

/* Copy the query arguments (lws has split and URL-decoded them).  0, or
 * -1 answered 400/414. */
static int
read_query(struct pss_api *pss)
{
	struct req *rq = &pss->job->rq;
	char buf[1024], *eq;
	int i, n;

	for (i = 0; lws_hdr_fragment_length(pss->wsi, WSI_TOKEN_HTTP_URI_ARGS,
	    i) > 0; i++) {
		if (lws_hdr_fragment_length(pss->wsi, WSI_TOKEN_HTTP_URI_ARGS,
		    i) >= (int)sizeof buf) {
			answer_error(pss, 414, "uri_too_long",
			    "a query parameter is too long");
			return -1;
		}
		if (rq->nquery == REQ_QUERY_MAX) {
			answer_error(pss, 400, "invalid",
			    "too many query parameters");
			return -1;
		}
		n = lws_hdr_copy_fragment(pss->wsi, buf, sizeof buf,
		    WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n < 0)
			break;
		if ((eq = strchr(buf, '=')) != NULL)
			*eq++ = '\0';
		rq->query[rq->nquery].key = strdup(buf);
		rq->query[rq->nquery].value = strdup(eq != NULL ? eq : "");
		if (rq->query[rq->nquery].key == NULL ||
		    rq->query[rq->nquery].value == NULL)
			TOCK_BUG("out of memory");
		rq->nquery++;
	}
	return 0;
}

/* LWS_CALLBACK_HTTP: a request's headers are in. */
static int
http_begin(struct vhd_api *vhd, struct pss_api *pss, struct lws *wsi)
{
	struct server *srv = vhd->srv;
	struct job *job;
	struct req *rq;
	const struct route *r;
	char allow[64], clen[32];
	int i, n, status, wait;
	long long cl = -1;
	int64_t now_ms = time_now_ms();

	pss_cleanup(vhd, pss);
	pss->wsi = wsi;
	pss->conn_id = ++vhd->next_id;
	pss->job = job = job_new();
	pss->counted = true;
	srv->inflight++;
	job->conn_id = pss->conn_id;
	job->start_us = mono_us();
	rq = &job->rq;
	rq->shared = &srv->shared;
	strbuf_init(&rq->body, srv->cfg.body_max);
	srv_new_id(rq->id);
	lws_get_peer_simple(wsi, rq->ip, sizeof rq->ip);
	/* The listener is dual-stack: IPv4 peers come as ::ffff:a.b.c.d. */
	if (strncmp(rq->ip, "::ffff:", 7) == 0 && strchr(rq->ip, '.') != NULL)
		memmove(rq->ip, rq->ip + 7, strlen(rq->ip + 7) + 1);
	if (srv->draining)
		job->rs.close = true;

	for (i = 0; i < (int)(sizeof method_tokens / sizeof method_tokens[0]);
	    i++)
		if (lws_hdr_total_length(wsi, method_tokens[i].tok) > 0)
			break;
	if (i == (int)(sizeof method_tokens / sizeof method_tokens[0])) {
		answer_error(pss, 400, "invalid", "unsupported method");
		return 0;
	}
	rq->method = method_tokens[i].method;
	pss->body_pending = lws_hdr_total_length(wsi,
	    WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 || lws_hdr_total_length(wsi,
	    WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
	n = lws_hdr_copy(wsi, rq->path, sizeof rq->path, method_tokens[i].tok);
	if (n < 0) {
		snprintf(rq->path, sizeof rq->path, "(too long)");
		answer_error(pss, 414, "uri_too_long", "the path is too long");
		return 0;
	}

	if ((wait = rl_take(srv->rl_ip, rq->ip, now_ms)) != 0) {
		answer_limited(pss, wait);
		return 0;
	}
	r = route_match(api_routes, rq->method, rq->path, rq->param, &status,
	    allow, sizeof allow);
	if (r == NULL) {
		if (status == 405) {
			snprintf(job->rs.allow, sizeof job->rs.allow, "%s", allow);
			answer_error(pss, 405, "method_not_allowed",
			    "method not allowed on this path");
		} else
			answer_error(pss, 404, "not_found", "no such endpoint");
		return 0;
	}
	job->route = r;
	if (read_query(pss) != 0)
		return 0;
	if ((r->flags & ROUTE_AUTH_RATE) &&
	    (wait = rl_take(srv->rl_auth, rq->ip, now_ms)) != 0) {
		answer_limited(pss, wait);
		return 0;
	}
	if (r->flags & ROUTE_AUTH) {
		if (authenticate(srv, pss) != 0)
			return 0;
		if ((wait = rl_take(srv->rl_user, rq->user_id, now_ms)) != 0) {
			answer_limited(pss, wait);
			return 0;
		}
	}
	if (read_if_match(pss) != 0)
		return 0;
	read_cookie(pss);

	if (lws_hdr_copy(wsi, clen, sizeof clen,
	    WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0) {
		char *end;

		cl = strtoll(clen, &end, 10);
		if (*end != '\0' || cl < 0 || (cl == 0 && *clen != '0')) {
			job->rs.close = true;
			answer_error(pss, 400, "invalid",
			    "bad Content-Length header");
			return 0;
		}
	}
	if (cl > (long long)srv->cfg.body_max) {
		job->rs.close = true;
		if (cl > (long long)srv->cfg.body_max * DISCARD_FACTOR) {
			resp_error(&job->rs, 413, "too_large", "the body is "
			    "larger than %zu bytes", srv->cfg.body_max);
			respond(pss);
		} else
			pss->state = PSS_DISCARD;
		return 0;
	}
	/* lws 4.1.6 does not deliver chunked request bodies: ask for a
	 * length rather than wait for a body that never completes. */
	if (cl < 0 && lws_hdr_total_length(wsi,
	    WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
		answer_error(pss, 411, "length_required",
		    "send the body with a Content-Length");
		return 0;
	}
	if (pss->body_pending && cl > 0) {
		pss->state = PSS_BODY;
		return 0;
	}
	pss->body_pending = false;
	dispatch(vhd, pss);
	return 0;
}

static int
http_body(struct vhd_api *vhd, struct pss_api *pss, const void *in,
    size_t len)
{
	struct server *srv = vhd->srv;

	if (pss->job == NULL)
		return 0;
	/* lws times the body as a whole from the request's start; this
	 * makes sure a trickle cannot outlast it however it is timed. */
	if (mono_us() - pss->job->start_us >
	    (int64_t)srv->cfg.client_timeout * 1000000)
		return -1;
	if (pss->state == PSS_BODY &&
	    strbuf_add(&pss->job->rq.body, in, len) != 0) {
		pss->job->rs.close = true;
		pss->state = PSS_DISCARD;
	}
	return 0;
}

static int
http_body_done(struct vhd_api *vhd, struct pss_api *pss)
{
	pss->body_pending = false;
	if (pss->job == NULL)
		return 0;
	if (pss->state == PSS_DISCARD) {
		resp_error(&pss->job->rs, 413, "too_large",
		    "the body is larger than %zu bytes", vhd->srv->cfg.body_max);
		respond(pss);
	} else if (pss->state == PSS_BODY)
		dispatch(vhd, pss);
	return 0;
}

/* Finished jobs from the pool: back to their connections. */
static void
drain_done(struct vhd_api *vhd)
{
	struct pss_api *pss;
	struct job *job;

	while ((job = pool_take_done(vhd->srv->pool)) != NULL) {
		if (ws_take_job(job))
			continue;	/* a WebSocket hello (ws.c) */
		TAILQ_FOREACH(pss, &vhd->waiting, link)
			if (pss->conn_id == job->conn_id)
				break;
		if (pss == NULL) {
			/* The client went away while a worker ran it. */
			finish_job(vhd->srv, job, true);
			continue;
		}
		TAILQ_REMOVE(&vhd->waiting, pss, link);
		pss->linked = false;
		pss->job = job;
		if (vhd->srv->draining)
			job->rs.close = true;
		respond(pss);
	}
}

static int
write_headers(struct pss_api *pss)
{
	unsigned char buf[LWS_PRE + 4096], *start = buf + LWS_PRE, *p = start;
	unsigned char *end = buf + sizeof buf - 1;
	struct lws *wsi = pss->wsi;
	struct resp *rs = &pss->job->rs;
	char num[24];

#define ADD(name, val) \
	do { \
		if (lws_add_http_header_by_name(wsi, \
		    (const unsigned char *)(name), \
		    (const unsigned char *)(val), (int)strlen(val), &p, end)) \
			return -1; \
	} while (0)

	if (lws_add_http_common_headers(wsi, (unsigned int)rs->status,
	    rs->status == 204 ? NULL : rs->status == 200 &&
	    pss->job->route != NULL && pss->job->route->fn == NULL &&
	    (pss->job->route->flags & ROUTE_LOCAL) ?
	    "text/plain; version=0.0.4" : "application/json",
	    rs->body.len, &p, end))
		return -1;
	ADD("cache-control:", "no-store");
	ADD("x-request-id:", pss->job->rq.id);
	if (rs->retry_after > 0) {
		snprintf(num, sizeof num, "%d", rs->retry_after);
		ADD("retry-after:", num);
	}
	if (rs->etag[0] != '\0')
		ADD("etag:", rs->etag);
	if (rs->allow[0] != '\0')
		ADD("allow:", rs->allow);
	if (rs->status == 401)
		ADD("www-authenticate:", "Bearer");
	if (rs->set_cookie != NULL)
		ADD("set-cookie:", rs->set_cookie);
	if (rs->close)
		ADD("connection:", "close");
#undef ADD
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	return 0;
}

/* The last byte is out: log, count, and close or wait for the next. */
static int
complete(struct vhd_api *vhd, struct pss_api *pss)
{
	struct job *job = pss->job;
	bool close = job->rs.close || vhd->srv->draining;

	pss->job = NULL;
	pss->state = PSS_IDLE;
	uncount(vhd->srv, pss);
	finish_job(vhd->srv, job, false);
	if (close)
		return -1;
	if (lws_http_transaction_completed(pss->wsi))
		return -1;
	return 0;
}

static int
http_writeable(struct vhd_api *vhd, struct pss_api *pss)
{
	struct resp *rs;
	size_t n;
	int flags;

	if (pss->job == NULL)
		return 0;
	rs = &pss->job->rs;
	if (pss->state == PSS_HEADERS) {
		if (write_headers(pss) != 0)
			return -1;
		pss->state = PSS_SEND;
		pss->sent = 0;
		if (rs->body.len == 0)
			return complete(vhd, pss);
		lws_callback_on_writable(pss->wsi);
		return 0;
	}
	if (pss->state != PSS_SEND)
		return 0;
	if (pss->wbuf == NULL && (pss->wbuf = malloc(LWS_PRE + CHUNK)) == NULL)
		return -1;
	n = rs->body.len - pss->sent;
	if (n > CHUNK)
		n = CHUNK;
	flags = pss->sent + n == rs->body.len ? LWS_WRITE_HTTP_FINAL :
	    LWS_WRITE_HTTP;
	memcpy(pss->wbuf + LWS_PRE, rs->body.buf + pss->sent, n);
	if (lws_write(pss->wsi, pss->wbuf + LWS_PRE, n,
	    (enum lws_write_protocol)flags) != (int)n)
		return -1;
	pss->sent += n;
	if (flags == LWS_WRITE_HTTP_FINAL)
		return complete(vhd, pss);
	lws_callback_on_writable(pss->wsi);
	return 0;
}

/* Every 100 ms: the shutdown flag, the drain, the bucket sweep. */
static void
tick(lws_sorted_usec_list_t *sul)
{
	struct vhd_api *vhd = lws_container_of(sul, struct vhd_api, sul);
	struct server *srv = vhd->srv;
	struct pool_stats ps;
	int64_t now = mono_us();

	if (*srv->stop && !srv->draining) {
		srv->draining = true;
		srv->drain_deadline_us = now +
		    (int64_t)srv->cfg.shutdown_timeout * 1000000;
		log_info("draining: %lld requests in flight", srv->inflight);
	}
	if (srv->draining) {
		pool_stats(srv->pool, &ps);
		if ((srv->inflight == 0 && ps.busy == 0 && ps.queued == 0) ||
		    now > srv->drain_deadline_us) {
			if (srv->inflight > 0)
				log_warnx("shutdown timeout: %lld requests "
				    "unanswered", srv->inflight);
			srv->done = true;
			lws_cancel_service(vhd->ctx);
			return;
		}
	}
	if (++vhd->ticks % SWEEP_EVERY == 0) {
		int64_t ms = time_now_ms();

		rl_sweep(srv->rl_ip, ms);
		rl_sweep(srv->rl_user, ms);
		rl_sweep(srv->rl_auth, ms);
	}
	lws_sul_schedule(vhd->ctx, 0, &vhd->sul, tick, TICK_US);
}

int
callback_tock_api(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct pss_api *pss = user;
	struct vhd_api *vhd = get_vhd(wsi);

	switch (reason) {
	case LWS_CALLBACK_PROTOCOL_INIT:
		vhd = lws_protocol_vh_priv_zalloc(lws_get_vhost(wsi),
		    lws_get_protocol(wsi), sizeof *vhd);
		if (vhd == NULL)
			return -1;
		vhd->ctx = lws_get_context(wsi);
		vhd->srv = lws_context_user(vhd->ctx);
		TAILQ_INIT(&vhd->waiting);
		lws_sul_schedule(vhd->ctx, 0, &vhd->sul, tick, TICK_US);
		return 0;
	case LWS_CALLBACK_PROTOCOL_DESTROY:
		if (vhd != NULL)
			lws_sul_schedule(vhd->ctx, 0, &vhd->sul, NULL,
			    LWS_SET_TIMER_USEC_CANCEL);
		return 0;
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
		/* Draining: no new connections. */
		if (vhd != NULL && vhd->srv->draining)
			return 1;
		return 0;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (vhd != NULL)
			drain_done(vhd);
		return 0;
	case LWS_CALLBACK_HTTP:
		if (vhd == NULL || pss == NULL)
			return -1;
		return http_begin(vhd, pss, wsi);
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		/* Only /api/v1/ws upgrades, with a valid token (ws.c). */
		if (vhd != NULL && vhd->srv->draining)
			return -1;
		return ws_confirm_upgrade(wsi, in);
	case LWS_CALLBACK_HTTP_BODY:
		if (vhd == NULL || pss == NULL)
			return -1;
		return http_body(vhd, pss, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (vhd == NULL || pss == NULL)
			return -1;
		return http_body_done(vhd, pss);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (vhd == NULL || pss == NULL)
			return 0;
		return http_writeable(vhd, pss);
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		if (pss != NULL)
			pss_cleanup(vhd, pss);
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}
