/*
 * session.c - the auth side of tock-syncd: login, refresh, logout, and the
 * sync_transport a round talks through (PROTOCOL.md "Login",
 * "Credentials"; server/api_auth.c).
 *
 * The access token (15 minutes) lives in memory only.  The refresh token
 * rotates on every use and the server revokes the whole family when an
 * old one is presented again, so two processes of one replica (the daemon
 * and a `--request`) must never refresh with the same token: a refresh
 * takes an flock on <db>.syncd.auth, re-reads the stored token (another
 * process may have rotated it), refreshes, stores the new one, unlocks.
 * When the answer is lost the old token is kept: the server takes it
 * again within a minute of its rotation as a retry (api_auth.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "err.h"
#include "strbuf.h"
#include "sync.h"
#include "syncd.h"

int64_t
syncd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
syncd_exit_code(int code)
{
	switch (code) {
	case 0:
		return 0;
	case TOCK_EIO:
	case TOCK_EAUTH:
	case TOCK_EBUSY:	/* 429/503: the network is needed later */
		return 6;
	case TOCK_EFORBIDDEN:
	case TOCK_ECONFLICT:
		return 5;
	default:
		return 1;
	}
}

static void
scrub_free(char *s)
{
	if (s != NULL) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

static char *
trim_url(const char *url)
{
	char *s = strdup(url);
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

static int
session_new(struct session **out, const char *server, const char *user_id,
    const char *db_path, struct tock_err *err)
{
	struct session *s = calloc(1, sizeof *s);
	struct strbuf lp = STRBUF_INIT;
	int rc;

	if (s == NULL)
		return tock_err_set(err, TOCK_ERR, "out of memory");
	if ((rc = http_new(&s->http, err)) != 0) {
		free(s);
		return rc;
	}
	pthread_mutex_init(&s->mu, NULL);
	s->server = trim_url(server);
	s->user_id = user_id != NULL ? strdup(user_id) : NULL;
	if (db_path != NULL) {
		strbuf_addf(&lp, "%s.syncd.auth", db_path);
		s->lock_path = strbuf_detach(&lp, NULL);
	}
	*out = s;
	return 0;
}

void
session_free(struct session *s)
{
	if (s == NULL)
		return;
	http_free(s->http);
	pthread_mutex_destroy(&s->mu);
	free(s->server);
	free(s->user_id);
	scrub_free(s->access);
	scrub_free(s->refresh);
	free(s->lock_path);
	free(s);
}

int
session_open(struct session **out, struct db *db, const char *db_path,
    struct tock_err *err)
{
	struct sync_status st;
	const char *env = getenv("TOCK_TOKEN");
	const char *srv;
	int rc;

	memset(&st, 0, sizeof st);
	*out = NULL;
	rc = sync_status_get(db, &st, err);
	if (rc != 0 && !(env != NULL && *env != '\0'))
		return rc;
	srv = st.server_url;
	if (env != NULL && *env != '\0') {
		/* Scripts: an access token, no refresh; the server is the
		 * replica's, else TOCK_SERVER. */
		if (srv == NULL)
			srv = getenv("TOCK_SERVER");
		if (srv == NULL || *srv == '\0') {
			sync_status_release(&st);
			return tock_err_set(err, TOCK_EAUTH, "TOCK_TOKEN is set "
			    "but the replica is not logged in and TOCK_SERVER "
			    "is unset");
		}
		if ((rc = session_new(out, srv, st.user_id, db_path, err)) == 0) {
			(*out)->access = strdup(env);
			(*out)->access_until = INT64_MAX;
			(*out)->env_token = true;
		}
		sync_status_release(&st);
		return rc;
	}
	if (srv == NULL || st.user_id == NULL) {
		sync_status_release(&st);
		return tock_err_set(err, TOCK_EAUTH, "not logged in (tock login "
		    "URL)");
	}
	rc = session_new(out, srv, st.user_id, db_path, err);
	if (rc == 0 && (rc = cred_lookup((*out)->server, st.user_id,
	    &(*out)->refresh, err)) != 0) {
		session_free(*out);
		*out = NULL;
		if (rc == TOCK_ENOTFOUND)
			rc = tock_err_set(err, TOCK_EAUTH, "no refresh token "
			    "stored for %s; log in again (tock login %s)", srv,
			    srv);
	}
	sync_status_release(&st);
	return rc;
}

/* The server's refusal as a tock_err, status known. */
static int
http_failure(const char *what, int status, const struct strbuf *body,
    struct tock_err *err)
{
	char msg[200], code[48];
	int ec = status == 401 ? TOCK_EAUTH : status == 403 ? TOCK_EFORBIDDEN :
	    status == 429 || status == 503 ? TOCK_EBUSY : TOCK_ERR;

	wire_error(body->buf, body->len, msg, sizeof msg, code, sizeof code);
	if (msg[0] != '\0')
		return tock_err_set(err, ec, "%s: %s", what, msg);
	return tock_err_set(err, ec, "%s: HTTP status %d", what, status);
}

static int
lock_auth(const char *path)
{
	int fd;

	if (path == NULL)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0 && flock(fd, LOCK_EX) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int
session_refresh(struct session *s, struct tock_err *err)
{
	struct strbuf url = STRBUF_INIT, body = STRBUF_INIT,
	    resp = STRBUF_INIT;
	struct login_answer a;
	char *stored = NULL;
	int status = 0, rc, lfd;

	if (s->env_token)
		return tock_err_set(err, TOCK_EAUTH, "the server refused "
		    "TOCK_TOKEN");
	lfd = lock_auth(s->lock_path);
	/* Another process may have rotated the token since we read it. */
	if (cred_lookup(s->server, s->user_id, &stored, NULL) == 0) {
		pthread_mutex_lock(&s->mu);
		scrub_free(s->refresh);
		s->refresh = stored;
		pthread_mutex_unlock(&s->mu);
	}
	if (s->refresh == NULL) {
		rc = tock_err_set(err, TOCK_EAUTH, "no refresh token stored for "
		    "%s; log in again (tock login %s)", s->server, s->server);
		goto out;
	}
	strbuf_addf(&url, "%s/api/v1/auth/refresh", s->server);
	strbuf_addstr(&body, "{\"refresh_token\":");
	strbuf_add_json_str(&body, s->refresh);
	strbuf_addch(&body, '}');
	rc = http_request(s->http, "POST", url.buf, NULL, body.buf, &status,
	    &resp, NULL, err);
	if (rc != 0)
		goto out;
	if (status != 200) {
		struct tock_err why = TOCK_ERR_INIT;

		rc = http_failure("the server refused the refresh token", status,
		    &resp, &why);
		if (status == 401) {
			s->auth_failed = true;
			rc = tock_err_set(err, TOCK_EAUTH, "%s; log in again "
			    "(tock login %s)", why.msg, s->server);
		} else {
			tock_err_set(err, rc, "%s", why.msg);
		}
		goto out;
	}
	if ((rc = wire_login_parse(resp.buf, resp.len, &a, err)) != 0)
		goto out;
	/* The new refresh token is stored before the new access token is
	 * used: the old one is now rotated, and a crash with only that on
	 * disk would cost the login after the server's grace.  A network
	 * error above kept the old one, which the server takes as a retry. */
	if ((rc = cred_store(s->server, s->user_id, a.refresh_token, NULL,
	    err)) != 0) {
		wire_login_release(&a);
		goto out;
	}
	pthread_mutex_lock(&s->mu);
	scrub_free(s->access);
	scrub_free(s->refresh);
	s->access = a.access_token;
	s->refresh = a.refresh_token;
	a.access_token = a.refresh_token = NULL;
	/* A minute early, so a request never carries a token about to lapse. */
	s->access_until = syncd_now_ms() + (int64_t)a.expires_in * 1000 - 60000;
	s->auth_failed = false;
	pthread_mutex_unlock(&s->mu);
	wire_login_release(&a);
out:
	if (lfd >= 0)
		close(lfd);
	if (body.len > 0)
		memset(body.buf, 0, body.len);
	if (resp.len > 0)
		memset(resp.buf, 0, resp.len);
	strbuf_release(&url);
	strbuf_release(&body);
	strbuf_release(&resp);
	return rc;
}

int
session_ensure(struct session *s, struct tock_err *err)
{
	bool fresh;

	pthread_mutex_lock(&s->mu);
	fresh = s->access != NULL && syncd_now_ms() < s->access_until;
	pthread_mutex_unlock(&s->mu);
	return fresh ? 0 : session_refresh(s, err);
}

char *
session_access(struct session *s)
{
	char *t;

	pthread_mutex_lock(&s->mu);
	t = s->access != NULL ? strdup(s->access) : NULL;
	pthread_mutex_unlock(&s->mu);
	return t;
}

int
session_request(struct session *s, const char *method, const char *path,
    const char *body, int *status, struct strbuf *resp,
    struct tock_err *err)
{
	struct strbuf url = STRBUF_INIT;
	char *tok;
	int rc, tries;

	if ((rc = session_ensure(s, err)) != 0)
		return rc;
	strbuf_addf(&url, "%s%s", s->server, path);
	for (tries = 0; tries < 2; tries++) {
		tok = session_access(s);
		rc = http_request(s->http, method, url.buf, tok, body, status,
		    resp, NULL, err);
		scrub_free(tok);
		if (rc != 0 || *status != 401 || s->env_token || tries > 0)
			break;
		/* Expired early or revoked: one refresh decides which. */
		if (session_refresh(s, NULL) != 0)
			break;
	}
	strbuf_release(&url);
	return rc;
}

static int
transport_request(void *ctx, const char *method, const char *path,
    const char *body, int *status, struct strbuf *resp,
    struct tock_err *err)
{
	int rc = session_request(ctx, method, path, body, status, resp, err);

	/* A refused refresh is an answer: the round reports it as a 401. */
	if (rc == TOCK_EAUTH) {
		*status = 401;
		strbuf_reset(resp);
		return 0;
	}
	return rc;
}

void
session_transport(struct session *s, struct sync_transport *tp)
{
	tp->ctx = s;
	tp->request = transport_request;
}

/* Tell the server to revoke refresh's family; 0 when it answered 2xx. */
static int
post_logout(struct http *h, const char *server, const char *refresh,
    struct tock_err *err)
{
	struct strbuf url = STRBUF_INIT, body = STRBUF_INIT,
	    resp = STRBUF_INIT;
	int status = 0, rc;

	strbuf_addf(&url, "%s/api/v1/auth/logout", server);
	strbuf_addstr(&body, "{\"refresh_token\":");
	strbuf_add_json_str(&body, refresh);
	strbuf_addch(&body, '}');
	rc = http_request(h, "POST", url.buf, NULL, body.buf, &status, &resp,
	    NULL, err);
	if (rc == 0 && (status < 200 || status > 299))
		rc = http_failure("logout", status, &resp, err);
	memset(body.buf, 0, body.len);
	strbuf_release(&url);
	strbuf_release(&body);
	strbuf_release(&resp);
	return rc;
}

int
session_login(struct db *db, const char *db_path, const struct login_req *in,
    struct session **out, int *exit_code, struct tock_err *err)
{
	struct strbuf url = STRBUF_INIT, body = STRBUF_INIT,
	    resp = STRBUF_INIT;
	struct login_answer a;
	struct sync_login sl;
	struct session *s = NULL;
	enum cred_where where = CRED_NONE;
	int status = 0, rc;

	memset(&a, 0, sizeof a);
	*out = NULL;
	*exit_code = 1;
	if (strncmp(in->url, "http://", 7) != 0 &&
	    strncmp(in->url, "https://", 8) != 0)
		return tock_err_set(err, TOCK_EINVAL, "'%s' is not an http:// "
		    "or https:// URL", in->url);
	if ((rc = session_new(&s, in->url, NULL, db_path, err)) != 0)
		return rc;
	strbuf_addf(&url, "%s/api/v1/auth/login", s->server);
	strbuf_addstr(&body, "{\"email\":");
	strbuf_add_json_str(&body, in->email);
	strbuf_addstr(&body, ",\"password\":");
	strbuf_add_json_str(&body, in->password);
	if (in->device_name != NULL) {
		strbuf_addstr(&body, ",\"device_name\":");
		strbuf_add_json_str(&body, in->device_name);
	}
	strbuf_addch(&body, '}');
	rc = http_request(s->http, "POST", url.buf, NULL, body.buf, &status,
	    &resp, NULL, err);
	memset(body.buf, 0, body.len);
	if (rc != 0) {
		*exit_code = 6;
		if (err != NULL && rc == TOCK_EIO) {
			char why[sizeof err->msg];
			const char *p = strstr(err->msg, ": ");

			snprintf(why, sizeof why, "%s", p != NULL ? p + 2 :
			    err->msg);
			tock_err_set(err, TOCK_EIO, "cannot reach %s: %s",
			    s->server, why);
		}
		goto out;
	}
	if (status == 401) {
		*exit_code = 6;
		rc = tock_err_set(err, TOCK_EAUTH, "wrong email or password "
		    "for %s", s->server);
		goto out;
	}
	if (status != 200) {
		rc = http_failure("login refused", status, &resp, err);
		*exit_code = syncd_exit_code(rc);
		goto out;
	}
	if ((rc = wire_login_parse(resp.buf, resp.len, &a, err)) != 0)
		goto out;
	s->user_id = strdup(a.user_id);
	s->access = strdup(a.access_token);
	s->access_until = syncd_now_ms() + (int64_t)a.expires_in * 1000 - 60000;
	s->refresh = strdup(a.refresh_token);
	if (a.default_ws == NULL) {
		/* Older servers: the personal workspace is on /me. */
		strbuf_reset(&url);
		strbuf_addf(&url, "%s/api/v1/me", s->server);
		if (http_request(s->http, "GET", url.buf, s->access, NULL,
		    &status, &resp, NULL, NULL) == 0 && status == 200)
			a.default_ws = wire_string(resp.buf, resp.len,
			    "default_workspace_id");
	}
	sl.server_url = s->server;
	sl.user_id = a.user_id;
	sl.email = a.email != NULL ? a.email : in->email;
	sl.name = a.name;
	sl.default_ws = a.default_ws;
	sl.device_id = a.device_id;
	if ((rc = sync_adopt(db, &sl, err)) != 0) {
		*exit_code = rc == TOCK_ECONFLICT ? 5 : 1;
		/* Do not leave a device behind on the server. */
		post_logout(s->http, s->server, s->refresh, NULL);
		goto out;
	}
	if ((rc = cred_store(s->server, s->user_id, s->refresh, &where,
	    err)) != 0)
		goto out;
	*exit_code = 0;
	*out = s;
	s = NULL;
out:
	wire_login_release(&a);
	if (resp.len > 0)
		memset(resp.buf, 0, resp.len);
	strbuf_release(&url);
	strbuf_release(&body);
	strbuf_release(&resp);
	session_free(s);
	return rc;
}

int
session_logout(struct db *db, const char *db_path, bool *told,
    struct tock_err *err)
{
	struct tock_err lerr = TOCK_ERR_INIT;
	struct sync_status st;
	struct http *h = NULL;
	char *refresh = NULL, *server = NULL;
	int rc, lfd = -1;

	memset(&st, 0, sizeof st);
	*told = false;
	if ((rc = sync_status_get(db, &st, err)) != 0)
		return rc;
	if (st.server_url == NULL) {
		sync_status_release(&st);
		return tock_err_set(err, TOCK_EAUTH, "not logged in");
	}
	server = trim_url(st.server_url);
	if (db_path != NULL) {
		struct strbuf lp = STRBUF_INIT;

		strbuf_addf(&lp, "%s.syncd.auth", db_path);
		lfd = lock_auth(lp.buf);
		strbuf_release(&lp);
	}
	if (st.user_id != NULL &&
	    cred_lookup(server, st.user_id, &refresh, NULL) == 0 &&
	    http_new(&h, NULL) == 0) {
		if (post_logout(h, server, refresh, &lerr) == 0)
			*told = true;
		else
			fprintf(stderr, "tock-syncd: warning: the server could "
			    "not be told (%s); the token is forgotten here "
			    "only\n", lerr.msg);
	}
	if (st.user_id != NULL)
		rc = cred_clear(server, st.user_id, err);
	if (rc == 0)
		rc = sync_forget(db, err);
	if (lfd >= 0)
		close(lfd);
	http_free(h);
	scrub_free(refresh);
	free(server);
	sync_status_release(&st);
	return rc;
}
