/*
 * link.c - the WebSocket link to SERVER/api/v1/ws (PROTOCOL.md
 * "WebSocket"), an lws 4.1.6 client in the shape of minimal-ws-client:
 * one protocol row, lws_client_connect_via_info, and lws_sul timers for
 * reconnecting.  It runs its own thread, the only one that touches the lws
 * context; other threads reach it only through lws_cancel_service(),
 * which wakes the loop into LWS_CALLBACK_EVENT_WAIT_CANCELLED.
 *
 * The access token goes in the Authorization header of the upgrade
 * (LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER).  Once up it sends the
 * hello (sync_ws_hello, from a read-only handle on the replica) and hands
 * every complete text message to hooks->frame; the worker applies it.
 * Reconnects back off exponentially from 0.5 s to 60 s with full jitter
 * (a random wait in [0, cap]) so a restarted server is not hit by every
 * client at once (SYNC.md P8).  The worker pulls on every (re)connect.
 *
 * The server subscribes a connection to the scopes the user may read at
 * its last hello, so when a round changes the replica's set of scopes
 * (added to a workspace, removed from one) the link says hello again
 * (link_scopes_changed); scopes_sig is the set the last hello carried.
 */
#include <libwebsockets.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "log.h"
#include "strbuf.h"
#include "sync.h"
#include "syncd.h"

#define LINK_BACKOFF_MIN_MS 500
#define LINK_BACKOFF_MAX_MS 60000
#define LINK_FRAME_MAX (16u << 20)

struct link {
	struct session *s;
	char *db_path;
	struct db *db;
	struct link_hooks h;
	pthread_t tid;
	struct lws_context *ctx;
	struct lws *wsi;
	lws_sorted_usec_list_t sul;
	int attempt;
	atomic_int stop;	/* set by other threads, then cancel_service */
	atomic_int nudge;
	atomic_int rescope;	/* a round ended: compare the scopes */
	struct strbuf scopes_sig;	/* "id,id,..." of the last hello */
	char *urlbuf;		/* lws_parse_uri cuts this up */
	const char *addr;
	char *path;
	int port;
	bool tls;
	struct strbuf rx;
	struct strbuf tx;	/* LWS_PRE bytes of room, then the hello */
	bool up;
};

static void connect_now(struct link *l);
static void retry_cb(lws_sorted_usec_list_t *sul);

/* The replica's live scopes as "id,id,...", the set sync_ws_hello sends
 * (it leaves out revoked ones). */
static int
read_scopes(struct link *l, struct strbuf *out, struct tock_err *err)
{
	struct sync_status st;
	int i, rc;

	memset(&st, 0, sizeof st);
	strbuf_reset(out);
	if ((rc = sync_status_get(l->db, &st, err)) != 0)
		return rc;
	for (i = 0; i < st.nscopes; i++) {
		if (strcmp(st.scopes[i].state, "revoked") == 0)
			continue;
		strbuf_addstr(out, st.scopes[i].id);
		strbuf_addch(out, ',');
	}
	sync_status_release(&st);
	return 0;
}

/* Queue a hello with the current cursors and remember its scopes. */
static int
queue_hello(struct link *l, struct lws *wsi, struct tock_err *err)
{
	int rc;

	strbuf_reset(&l->tx);
	strbuf_addf(&l->tx, "%*s", LWS_PRE, "");
	if ((rc = read_scopes(l, &l->scopes_sig, err)) != 0 ||
	    (rc = sync_ws_hello(l->db, &l->tx, err)) != 0)
		return rc;
	lws_callback_on_writable(wsi);
	return 0;
}

static void
schedule_retry(struct link *l)
{
	uint64_t cap = LINK_BACKOFF_MIN_MS;
	uint32_t r;
	int i;

	if (l->stop)
		return;
	for (i = 0; i < l->attempt && cap < LINK_BACKOFF_MAX_MS; i++)
		cap *= 2;
	if (cap > LINK_BACKOFF_MAX_MS)
		cap = LINK_BACKOFF_MAX_MS;
	l->attempt++;
	lws_get_random(l->ctx, &r, sizeof r);
	log_debug("link: retry in %llu ms",
	    (unsigned long long)(r % (cap + 1)));
	lws_sul_schedule(l->ctx, 0, &l->sul, retry_cb,
	    (lws_usec_t)(r % (cap + 1)) * LWS_US_PER_MS);
}

static void
retry_cb(lws_sorted_usec_list_t *sul)
{
	struct link *l = lws_container_of(sul, struct link, sul);

	connect_now(l);
}

static void
connect_now(struct link *l)
{
	struct lws_client_connect_info i;
	static const uint32_t table[] = { 1000 };
	static const lws_retry_bo_t idle = {
		.retry_ms_table = table,
		.retry_ms_table_count = 1,
		.conceal_count = 0,
		/* The server pings every 30 s; a silent minute means gone. */
		.secs_since_valid_ping = 45,
		.secs_since_valid_hangup = 70,
		.jitter_percent = 0,
	};

	if (l->stop || l->wsi != NULL)
		return;
	/* No token yet (offline at start): an upgrade would only be
	 * refused.  The worker nudges once it has one. */
	{
		char *tok = session_access(l->s);

		if (tok == NULL) {
			log_debug("link: no access token yet");
			return;
		}
		memset(tok, 0, strlen(tok));
		free(tok);
	}
	memset(&i, 0, sizeof i);
	i.context = l->ctx;
	i.address = l->addr;
	i.port = l->port;
	i.path = l->path;
	i.host = l->addr;
	i.origin = l->addr;
	i.ssl_connection = l->tls ? LCCSCF_USE_SSL : 0;
	i.protocol = "tock-sync";
	i.local_protocol_name = "tock-sync";
	i.pwsi = &l->wsi;
	i.retry_and_idle_policy = &idle;
	i.userdata = l;
	i.opaque_user_data = l;
	if (lws_client_connect_via_info(&i) == NULL) {
		l->wsi = NULL;
		schedule_retry(l);
	}
}

static int
callback_tock_sync(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct link *l = lws_get_opaque_user_data(wsi);
	struct tock_err err = TOCK_ERR_INIT;

	(void)user;
	if (l == NULL)
		l = lws_context_user(lws_get_context(wsi));
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
		unsigned char **p = in, *end = *p + len;
		struct strbuf v = STRBUF_INIT;
		char *tok = session_access(l->s);
		int rc = 0;

		if (tok != NULL) {
			strbuf_addf(&v, "Bearer %s", tok);
			rc = lws_add_http_header_by_token(wsi,
			    WSI_TOKEN_HTTP_AUTHORIZATION,
			    (unsigned char *)v.buf, (int)v.len, p, end);
			memset(v.buf, 0, v.len);
			memset(tok, 0, strlen(tok));
		}
		free(tok);
		strbuf_release(&v);
		return rc != 0 ? -1 : 0;
	}
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		log_info("link: connected to %s", l->s->server);
		l->up = true;
		l->attempt = 0;
		if (queue_hello(l, wsi, &err) != 0) {
			log_warnx("link: no hello: %s", err.msg);
			return -1;
		}
		strbuf_reset(&l->rx);
		if (l->h.state != NULL)
			l->h.state(l->h.arg, true);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (l->stop)
			return -1;
		if (l->tx.len > LWS_PRE) {
			size_t n = l->tx.len - LWS_PRE;

			if (lws_write(wsi, (unsigned char *)l->tx.buf + LWS_PRE,
			    n, LWS_WRITE_TEXT) < (int)n)
				return -1;
			strbuf_reset(&l->tx);
		}
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (strbuf_add(&l->rx, in, len) != 0) {
			log_warnx("link: a message over %u bytes; reconnecting",
			    LINK_FRAME_MAX);
			return -1;
		}
		if (lws_is_final_fragment(wsi) &&
		    lws_remaining_packet_payload(wsi) == 0) {
			if (l->h.frame != NULL)
				l->h.frame(l->h.arg, l->rx.buf, l->rx.len);
			strbuf_reset(&l->rx);
		}
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		log_info("link: cannot connect: %s",
		    in != NULL ? (const char *)in : "(no reason)");
		/* Refused upgrade: maybe the access token lapsed. */
		if (in != NULL && (strstr(in, "101") != NULL ||
		    strstr(in, "unauthorized") != NULL) &&
		    l->h.unauthorized != NULL)
			l->h.unauthorized(l->h.arg);
		l->wsi = NULL;
		schedule_retry(l);
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		log_info("link: closed");
		l->wsi = NULL;
		if (l->up && l->h.state != NULL)
			l->h.state(l->h.arg, false);
		l->up = false;
		schedule_retry(l);
		break;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (l != NULL && l->nudge && !l->stop) {
			l->nudge = 0;
			if (l->wsi == NULL) {
				lws_sul_cancel(&l->sul);
				connect_now(l);
			}
		}
		if (l != NULL && atomic_exchange(&l->rescope, 0) && !l->stop &&
		    l->up && l->wsi != NULL) {
			struct strbuf now = STRBUF_INIT;

			if (read_scopes(l, &now, &err) != 0) {
				log_warnx("link: %s", err.msg);
			} else if (strcmp(now.buf, l->scopes_sig.buf) != 0) {
				log_info("link: the scopes changed; hello again");
				if (queue_hello(l, l->wsi, &err) != 0)
					log_warnx("link: no hello: %s", err.msg);
			}
			strbuf_release(&now);
		}
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "tock-sync", callback_tock_sync, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

static void
lws_to_log(int level, const char *line)
{
	size_t n = strlen(line);

	/* lws lines end in a newline; ours add one. */
	while (n > 0 && line[n - 1] == '\n')
		n--;
	if (level & LLL_ERR)
		log_warnx("lws: %.*s", (int)n, line);
	else
		log_debug("lws: %.*s", (int)n, line);
}

static void *
link_main(void *arg)
{
	struct link *l = arg;

	connect_now(l);
	while (!l->stop)
		if (lws_service(l->ctx, 0) < 0)
			break;
	return NULL;
}

int
link_start(struct link **out, struct session *s, const char *db_path,
    const struct link_hooks *hooks, struct tock_err *err)
{
	struct lws_context_creation_info info;
	struct strbuf path = STRBUF_INIT;
	const char *prot, *p;
	struct link *l;
	sigset_t all, old;
	int rc;

	if ((l = calloc(1, sizeof *l)) == NULL)
		return tock_err_set(err, TOCK_ERR, "out of memory");
	l->s = s;
	l->h = *hooks;
	l->db_path = strdup(db_path);
	strbuf_init(&l->rx, LINK_FRAME_MAX);
	strbuf_init(&l->tx, 0);
	strbuf_init(&l->scopes_sig, 0);
	l->urlbuf = strdup(s->server);
	if (lws_parse_uri(l->urlbuf, &prot, &l->addr, &l->port, &p) != 0 ||
	    (strcmp(prot, "http") != 0 && strcmp(prot, "https") != 0)) {
		rc = tock_err_set(err, TOCK_EINVAL, "cannot parse the server URL "
		    "'%s'", s->server);
		goto fail;
	}
	l->tls = strcmp(prot, "https") == 0;
	/* lws_parse_uri drops the leading slash of the path. */
	strbuf_addch(&path, '/');
	strbuf_addstr(&path, p);
	while (path.len > 0 && path.buf[path.len - 1] == '/')
		strbuf_setlen(&path, path.len - 1);
	strbuf_addstr(&path, "/api/v1/ws");
	l->path = strbuf_detach(&path, NULL);
	if ((rc = db_open(&l->db, l->db_path, DB_OPEN_READONLY, err)) != 0)
		goto fail;

	lws_set_log_level(LLL_ERR | (log_level >= LOG_LVL_DEBUG ?
	    LLL_WARN | LLL_NOTICE : 0), lws_to_log);
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.user = l;
	/* A client with one connection: no fd table sized by ulimit -n. */
	info.fd_limit_per_thread = 8;
	if (l->tls)
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	if ((l->ctx = lws_create_context(&info)) == NULL) {
		rc = tock_err_set(err, TOCK_ERR, "cannot create the lws context");
		goto fail;
	}
	/* Signals are the main thread's. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&l->tid, NULL, link_main, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		rc = tock_err_set(err, TOCK_ERR, "cannot start the link thread");
		goto fail;
	}
	*out = l;
	return 0;
fail:
	if (l->ctx != NULL)
		lws_context_destroy(l->ctx);
	db_close(l->db);
	strbuf_release(&l->rx);
	strbuf_release(&l->tx);
	strbuf_release(&l->scopes_sig);
	free(l->urlbuf);
	free(l->path);
	free(l->db_path);
	free(l);
	return rc;
}

void
link_nudge(struct link *l)
{
	l->nudge = 1;
	lws_cancel_service(l->ctx);
}

void
link_scopes_changed(struct link *l)
{
	l->rescope = 1;
	lws_cancel_service(l->ctx);
}

void
link_stop(struct link *l)
{
	if (l == NULL)
		return;
	l->stop = 1;
	lws_cancel_service(l->ctx);
	pthread_join(l->tid, NULL);
	lws_context_destroy(l->ctx);
	db_close(l->db);
	strbuf_release(&l->rx);
	strbuf_release(&l->tx);
	strbuf_release(&l->scopes_sig);
	free(l->urlbuf);
	free(l->path);
	free(l->db_path);
	free(l);
}
