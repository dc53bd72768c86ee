/* SPDX-License-Identifier: ISC */
/*
 * fanout.c - the poke queue, cl_notify, and the thread that NOTIFYs the
 * other instances and LISTENs for theirs (see fanout.h).
 *
 * Why a thread of its own rather than the LISTEN socket adopted into the
 * lws loop: the same connection also sends the coalesced pg_notify and
 * runs the catch-up query, both blocking libpq calls that must never run
 * on the service thread.  The thread waits in poll() on the connection's
 * socket and a self-pipe, so it costs nothing while idle, and hands what
 * it learns to the service thread through the same queue as local pokes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "changelog.h"
#include "err.h"
#include "fanout.h"
#include "log.h"
#include "pg.h"
#include "server.h"
#include "strbuf.h"
#include "xmalloc.h"

#define COALESCE_US 5000		/* NOTIFY at most this often */
#define CATCHUP_US 2000000		/* read recent scopes this often */
#define RECONNECT_MS 1000
#define PAYLOAD_MAX 7900		/* PostgreSQL's limit is 8000 bytes */
#define QUEUE_MAX 65536			/* pokes waiting: beyond, drop */

static const char catchup_sql[] =
    "SELECT id, last_seq FROM scopes"
    " WHERE updated_at > now() - interval '10 s'";
/* Row-level security hides scopes from a session that acts as nobody;
 * with this (security definer) function the catch-up sees them all. */
static const char catchup_fn_sql[] =
    "SELECT id, last_seq FROM tock_recent_scopes(10)";

struct fo_list {
	struct fanout_poke *v;
	int n;
	int cap;
};

static struct {
	pthread_mutex_t lock;
	bool started;
	bool stopping;
	struct lws_context *ctx;
	char *conninfo;
	char instance[UUID_STRLEN + 1];
	struct fo_list pokes;		/* for the service thread */
	struct fo_list out;		/* for the other instances */
	bool kicked;			/* a byte is in the pipe */
	int pipe[2];
	pthread_t tid;
	long long notifies;
} fo = { .lock = PTHREAD_MUTEX_INITIALIZER, .pipe = { -1, -1 } };

/* Add or raise (scope, head); lock held.  dedup: look for the scope
 * first (the NOTIFY list is small; the poke list is drained at once). */
static void
list_add(struct fo_list *l, const char *scope, int64_t head, bool dedup)
{
	size_t len;
	int i;

	if (dedup)
		for (i = 0; i < l->n; i++)
			if (strcmp(l->v[i].scope, scope) == 0) {
				if (head > l->v[i].head)
					l->v[i].head = head;
				return;
			}
	if (l->n == QUEUE_MAX)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 64 : l->cap * 2;
		l->v = xrealloc(l->v, (size_t)l->cap * sizeof *l->v);
	}
	len = strnlen(scope, sizeof l->v[0].scope - 1);
	memcpy(l->v[l->n].scope, scope, len);
	l->v[l->n].scope[len] = '\0';
	l->v[l->n].head = head;
	l->n++;
}

void
cl_notify(const char *scope_id, int64_t head)
{
	bool kick = false;

	pthread_mutex_lock(&fo.lock);
	if (!fo.started || fo.stopping) {
		pthread_mutex_unlock(&fo.lock);
		return;
	}
	list_add(&fo.pokes, scope_id, head, false);
	if (fo.pipe[1] >= 0) {
		list_add(&fo.out, scope_id, head, true);
		kick = !fo.kicked;
		fo.kicked = true;
	}
	pthread_mutex_unlock(&fo.lock);
	if (kick && write(fo.pipe[1], "", 1) < 0 && errno != EAGAIN)
		log_warnx("fanout: cannot wake the thread: %s",
		    strerror(errno));
	lws_cancel_service(fo.ctx);
}

int
fanout_take(struct fanout_poke **out)
{
	int n;

	pthread_mutex_lock(&fo.lock);
	*out = fo.pokes.v;
	n = fo.pokes.n;
	memset(&fo.pokes, 0, sizeof fo.pokes);
	pthread_mutex_unlock(&fo.lock);
	return n;
}

long long
fanout_notifies_sent(void)
{
	long long n;

	pthread_mutex_lock(&fo.lock);
	n = fo.notifies;
	pthread_mutex_unlock(&fo.lock);
	return n;
}

/* Pokes learnt on the fan-out thread: queue them, wake the loop. */
static void
queue_remote(const struct fanout_poke *v, int n)
{
	int i;

	if (n == 0)
		return;
	pthread_mutex_lock(&fo.lock);
	for (i = 0; i < n; i++)
		list_add(&fo.pokes, v[i].scope, v[i].head, false);
	pthread_mutex_unlock(&fo.lock);
	lws_cancel_service(fo.ctx);
}

/* "<instance>|<scope>:<head>,…" from another instance. */
static void
on_notify(void *arg, const char *channel, const char *payload)
{
	struct fanout_poke v[128];
	const char *p, *bar = strchr(payload, '|');
	char *end;
	int n = 0;
	size_t len;

	(void)arg;
	if (strcmp(channel, "tock_sync") != 0 || bar == NULL)
		return;
	if ((size_t)(bar - payload) == strlen(fo.instance) &&
	    strncmp(payload, fo.instance, strlen(fo.instance)) == 0)
		return;		/* our own */
	for (p = bar + 1; *p != '\0';) {
		len = strcspn(p, ":");
		if (len != UUID_STRLEN || p[len] != ':')
			return;
		memcpy(v[n].scope, p, len);
		v[n].scope[len] = '\0';
		v[n].head = strtoll(p + len + 1, &end, 10);
		if (end == p + len + 1 || (*end != ',' && *end != '\0') ||
		    !uuid_valid(v[n].scope))
			return;
		if (++n == (int)(sizeof v / sizeof v[0])) {
			queue_remote(v, n);
			n = 0;
		}
		p = *end == ',' ? end + 1 : end;
	}
	queue_remote(v, n);
}

/* Send what cl_notify queued, in payloads under PAYLOAD_MAX. */
static int
send_notifies(struct pg *pg, struct tock_err *err)
{
	struct fo_list l;
	struct strbuf sb = STRBUF_INIT;
	size_t base;
	int i, rc = 0, sent = 0;

	pthread_mutex_lock(&fo.lock);
	l = fo.out;
	memset(&fo.out, 0, sizeof fo.out);
	pthread_mutex_unlock(&fo.lock);
	strbuf_addf(&sb, "%s|", fo.instance);
	base = sb.len;
	for (i = 0; i <= l.n && rc == 0; i++) {
		if (sb.len > base && (i == l.n ||
		    sb.len + UUID_STRLEN + 24 > PAYLOAD_MAX)) {
			rc = pg_query(pg, NULL, err,
			    "SELECT pg_notify('tock_sync', $1)", 1, sb.buf);
			sent++;
			strbuf_setlen(&sb, base);
		}
		if (i < l.n)
			strbuf_addf(&sb, "%s%s:%lld", sb.len > base ? "," : "",
			    l.v[i].scope, (long long)l.v[i].head);
	}
	strbuf_release(&sb);
	free(l.v);
	pthread_mutex_lock(&fo.lock);
	fo.notifies += sent;
	pthread_mutex_unlock(&fo.lock);
	return rc;
}

static int
catch_up(struct pg *pg, bool have_fn, struct tock_err *err)
{
	struct pg_res *res = NULL;
	struct fanout_poke *v;
	int i, n, rc;

	if ((rc = pg_query(pg, &res, err, have_fn ? catchup_fn_sql :
	    catchup_sql, 0)) != 0)
		return rc;
	n = pg_nrows(res);
	v = xcalloc((size_t)n + 1, sizeof *v);
	for (i = 0; i < n; i++) {
		snprintf(v[i].scope, sizeof v[i].scope, "%s",
		    pg_value(res, i, 0));
		v[i].head = strtoll(pg_value(res, i, 1), NULL, 10);
	}
	pg_res_free(res);
	queue_remote(v, n);
	free(v);
	return 0;
}

static struct pg *
fo_connect(bool *have_fn)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	struct pg *pg = NULL;

	if (pg_connect(&pg, fo.conninfo, &err) != 0 ||
	    pg_query(pg, NULL, &err, "LISTEN tock_sync", 0) != 0 ||
	    pg_query(pg, &res, &err,
	    "SELECT to_regproc('tock_recent_scopes') IS NOT NULL", 0) != 0) {
		log_warnx("fanout: %s", err.msg);
		pg_close(pg);
		return NULL;
	}
	*have_fn = strcmp(pg_value(res, 0, 0), "t") == 0;
	pg_res_free(res);
	/* Whatever changed while we were not listening. */
	if (catch_up(pg, *have_fn, &err) != 0) {
		log_warnx("fanout: %s", err.msg);
		pg_close(pg);
		return NULL;
	}
	return pg;
}

static void *
fo_main(void *arg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pollfd pfd[2];
	struct pg *pg = NULL;
	int64_t now, last_notify = 0, next_catchup = 0, wait_us;
	bool have_fn = false, pending, stop;
	char buf[64];
	int rc;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&fo.lock);
		stop = fo.stopping;
		pending = fo.out.n > 0;
		pthread_mutex_unlock(&fo.lock);
		if (stop)
			break;
		now = mono_us();
		if (pg == NULL) {
			if ((pg = fo_connect(&have_fn)) == NULL) {
				pfd[0].fd = fo.pipe[0];
				pfd[0].events = POLLIN;
				poll(pfd, 1, RECONNECT_MS);
				continue;
			}
			log_debug("fanout: listening on tock_sync");
			next_catchup = mono_us() + CATCHUP_US;
		}
		rc = 0;
		if (pending && now - last_notify >= COALESCE_US) {
			rc = send_notifies(pg, &err);
			last_notify = now;
			pending = false;
		}
		if (rc == 0 && now >= next_catchup) {
			rc = catch_up(pg, have_fn, &err);
			next_catchup = now + CATCHUP_US;
		}
		if (rc == 0)
			rc = pg_notifies(pg, on_notify, NULL, &err);
		if (rc != 0) {
			log_warnx("fanout: %s; reconnecting", err.msg);
			pg_close(pg);
			pg = NULL;
			continue;
		}
		wait_us = next_catchup - now;
		if (pending && COALESCE_US - (now - last_notify) < wait_us)
			wait_us = COALESCE_US - (now - last_notify);
		pfd[0].fd = fo.pipe[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = pg_socket(pg);
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, (int)((wait_us + 999) / 1000)) > 0 &&
		    (pfd[0].revents & POLLIN)) {
			while (read(fo.pipe[0], buf, sizeof buf) > 0)
				;
			pthread_mutex_lock(&fo.lock);
			fo.kicked = false;
			pthread_mutex_unlock(&fo.lock);
		}
	}
	pg_close(pg);
	return NULL;
}

int
fanout_start(struct lws_context *ctx, const char *conninfo,
    struct tock_err *err)
{
	int rc;

	fo.ctx = ctx;
	srv_new_id(fo.instance);
	if (conninfo != NULL) {
		if (pipe(fo.pipe) != 0)
			return tock_err_set(err, TOCK_ERR, "pipe: %s",
			    strerror(errno));
		fcntl(fo.pipe[0], F_SETFL, O_NONBLOCK);
		fcntl(fo.pipe[1], F_SETFL, O_NONBLOCK);
		fo.conninfo = xstrdup(conninfo);
		if ((rc = pthread_create(&fo.tid, NULL, fo_main, NULL)) != 0) {
			close(fo.pipe[0]);
			close(fo.pipe[1]);
			fo.pipe[0] = fo.pipe[1] = -1;
			return tock_err_set(err, TOCK_ERR, "cannot start the "
			    "fan-out thread: %s", strerror(rc));
		}
	}
	pthread_mutex_lock(&fo.lock);
	fo.started = true;
	pthread_mutex_unlock(&fo.lock);
	return 0;
}

void
fanout_stop(void)
{
	bool had_thread;

	pthread_mutex_lock(&fo.lock);
	had_thread = fo.started && fo.pipe[1] >= 0;
	fo.stopping = true;
	pthread_mutex_unlock(&fo.lock);
	if (had_thread) {
		if (write(fo.pipe[1], "", 1) < 0)
			log_debug("fanout: wake on stop: %s", strerror(errno));
		pthread_join(fo.tid, NULL);
		close(fo.pipe[0]);
		close(fo.pipe[1]);
	}
	pthread_mutex_lock(&fo.lock);
	free(fo.pokes.v);
	free(fo.out.v);
	memset(&fo.pokes, 0, sizeof fo.pokes);
	memset(&fo.out, 0, sizeof fo.out);
	fo.pipe[0] = fo.pipe[1] = -1;
	fo.started = false;
	pthread_mutex_unlock(&fo.lock);
	free(fo.conninfo);
	fo.conninfo = NULL;
}
