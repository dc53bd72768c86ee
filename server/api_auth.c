/* SPDX-License-Identifier: ISC */
/*
 * api_auth.c - register, login, refresh, logout and /me (DESIGN.md
 * "Auth").
 *
 * A login makes a device; the device's id is the family id of the refresh
 * tokens it gets.  Every refresh marks the presented token rotated and
 * issues the next one of the family.  Presenting a rotated token again is
 * theft, so the whole family (the device) is revoked - except within
 * REFRESH_GRACE_SECS of its rotation while its successor is still unused:
 * that is a client whose answer was lost (SYNC.md 3.16), and it gets a
 * new successor while the earlier one is revoked, so one chain stays live.
 * Refresh tokens are stored only as SHA-256.  Access tokens are stateless
 * JWTs: a revoked family stops refreshing, and its last access token dies
 * within 15 minutes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "auth.h"
#include "changelog.h"
#include "err.h"
#include "jwt.h"
#include "log.h"
#include "model.h"
#include "pg.h"
#include "reqjson.h"
#include "strbuf.h"
#include "timeparse.h"

#define ACCESS_TTL 900			/* 15 minutes */
#define REFRESH_TTL "7 days"
#define REFRESH_TTL_SECS 604800
/* How long a rotated refresh token may be retried (its answer lost). */
#define REFRESH_GRACE_SECS "60"
#define NAME_MAX_BYTES 400		/* 100 characters of 4 bytes */
/* pg_advisory_xact_lock key for invite-mode registration. */
#define REGISTER_LOCK "1953457003002"

/* A plausible address: one '@', something on both sides, a dot in the
 * domain, no blanks or controls, at most 254 bytes (RFC 5321). */
static bool
email_ok(const char *e)
{
	const char *at = strchr(e, '@'), *p;

	if (at == NULL || at == e || strchr(at + 1, '@') != NULL ||
	    strlen(e) > 254 || strchr(at + 1, '.') == NULL ||
	    at[1] == '.' || e[strlen(e) - 1] == '.')
		return false;
	for (p = e; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

static int
body_email(const struct req *rq, struct resp *rs, const char **email)
{
	if (api_body_str(rq, rs, "email", true, email, NULL) != 0)
		return -1;
	if (!email_ok(*email)) {
		resp_field_error(rs, "email", "'email' is not a valid address");
		return -1;
	}
	return 0;
}

static int
body_password(const struct req *rq, struct resp *rs, const char **pw,
    bool check_length)
{
	size_t n;

	if (api_body_str(rq, rs, "password", true, pw, NULL) != 0)
		return -1;
	n = strlen(*pw);
	if (check_length && (n < AUTH_PASSWORD_MIN || n > AUTH_PASSWORD_MAX)) {
		resp_field_error(rs, "password", "'password' must be %d to %d "
		    "bytes long", AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX);
		return -1;
	}
	return 0;
}

/* The access token, the refresh token and the user, as login and refresh
 * answer them; also the browser cookie. */
static void
answer_tokens(const struct req *rq, struct resp *rs, const char *uid,
    const char *refresh, const char *user_json, const char *dev,
    const char *dws)
{
	struct strbuf jwt = STRBUF_INIT;
	char jti[UUID_STRLEN + 1];
	int64_t now = time_now_ms() / 1000;

	srv_new_id(jti);
	jwt_sign(&jwt, rq->shared->jwt_key, rq->shared->jwt_keylen, uid, now,
	    now + ACCESS_TTL, jti);
	strbuf_reset(&rs->body);
	strbuf_addstr(&rs->body, "{\"access_token\":");
	strbuf_add_json_str(&rs->body, jwt.buf);
	strbuf_addf(&rs->body, ",\"token_type\":\"Bearer\",\"expires_in\":%d,"
	    "\"refresh_token\":", ACCESS_TTL);
	strbuf_add_json_str(&rs->body, refresh);
	strbuf_addstr(&rs->body, ",\"user\":");
	strbuf_addstr(&rs->body, user_json);
	/* The replica adopts both (PROTOCOL.md "Login"). */
	strbuf_addstr(&rs->body, ",\"device_id\":");
	strbuf_add_json_str(&rs->body, dev);
	strbuf_addstr(&rs->body, ",\"default_workspace_id\":");
	if (dws != NULL)
		strbuf_add_json_str(&rs->body, dws);
	else
		strbuf_addstr(&rs->body, "null");
	strbuf_addch(&rs->body, '}');
	rs->status = 200;
	free(rs->set_cookie);
	rs->set_cookie = NULL;
	{
		struct strbuf c = STRBUF_INIT;

		strbuf_addf(&c, "tock_refresh=%s; Path=/api/v1/auth; "
		    "Max-Age=%d; HttpOnly; Secure; SameSite=Strict", refresh,
		    REFRESH_TTL_SECS);
		rs->set_cookie = strbuf_detach(&c, NULL);
	}
	snprintf(rs->log_user, sizeof rs->log_user, "%s", uid);
	explicit_bzero(jwt.buf, jwt.len);
	strbuf_release(&jwt);
}

/* Insert a new refresh token of family for user; token gets its text. */
static int
new_refresh(struct pg *pg, const char *family, const char *uid,
    char token[AUTH_TOKEN_LEN + 1], struct tock_err *err)
{
	char hash[AUTH_TOKEN_HASH_LEN + 1];

	auth_new_token(token);
	auth_token_hash(hash, token);
	return pg_query(pg, NULL, err, "INSERT INTO refresh_tokens"
	    " (token_hash, family_id, user_id, expires_at)"
	    " VALUES ($1::bytea, $2, $3, now() + interval '" REFRESH_TTL "')",
	    3, hash, family, uid);
}

void
api_register(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	struct changelog cl;
	struct strbuf fields = STRBUF_INIT;
	const char *email, *pw, *name = NULL, *scopes[CL_MAX_SCOPES];
	char uid[UUID_STRLEN + 1], ws[UUID_STRLEN + 1];
	char hash[AUTH_HASH_MAX], namebuf[101];
	int rc, kind, i, n, nscopes;
	bool in_tx = false;

	cl_init(&cl, pg, NULL);
	if (body_email(rq, rs, &email) != 0 ||
	    body_password(rq, rs, &pw, true) != 0 ||
	    api_body_str(rq, rs, "name", false, &name, &kind) != 0)
		goto out;
	if (kind == RJ_VALUE) {
		const char *p;

		if (model_check_text("name", name, NAME_MAX_BYTES, &err) != 0) {
			resp_field_error(rs, "name", "%s", err.msg);
			goto out;
		}
		for (p = name; *p == ' '; p++)
			;
		if (*p == '\0') {
			resp_field_error(rs, "name", "'name' is empty");
			goto out;
		}
	} else {
		/* The local part of the address is a fine first name. */
		n = (int)(strchr(email, '@') - email);
		snprintf(namebuf, sizeof namebuf, "%.*s", n > 100 ? 100 : n,
		    email);
		name = namebuf;
	}

	/* bcrypt costs a quarter of a second: here on a worker, never on
	 * the service thread. */
	if (auth_hash_password(hash, pw, &err) != 0) {
		resp_internal(rs, rq, err.msg);
		goto out;
	}
	srv_new_id(uid);
	srv_new_id(ws);
	snprintf(cl.user_id, sizeof cl.user_id, "%s", uid);

	if ((rc = pg_begin(pg, uid, &err)) != 0)
		goto dberr;
	in_tx = true;
	if (rq->shared->cfg->registration == REG_INVITE) {
		/* By invitation only, except the very first account, which
		 * is how a fresh server gets its first admin. */
		if ((rc = pg_query(pg, NULL, &err,
		    "SELECT pg_advisory_xact_lock($1)", 1, REGISTER_LOCK)) != 0 ||
		    (rc = pg_query(pg, &res, &err, "SELECT NOT EXISTS"
		    " (SELECT 1 FROM users) OR tock_invited($1)", 1, email)) !=
		    0)
			goto dberr;
		i = pg_value(res, 0, 0) != NULL &&
		    strcmp(pg_value(res, 0, 0), "t") == 0;
		pg_res_free(res);
		res = NULL;
		if (!i) {
			resp_error(rs, 403, "registration_closed",
			    "registration is by invitation only");
			goto out;
		}
	}
	rc = pg_query(pg, NULL, &err, "INSERT INTO users"
	    " (id, email, name, password_hash) VALUES ($1, $2, $3, $4)", 4,
	    uid, email, name, hash);
	if (rc == TOCK_EEXISTS) {
		resp_error(rs, 409, "email_taken",
		    "an account with this email exists");
		goto out;
	}
	if (rc != 0 ||
	    (rc = pg_query(pg, NULL, &err,
	    "INSERT INTO scopes (id, kind) VALUES ($1, 2)", 1, uid)) != 0 ||
	    (rc = pg_query(pg, NULL, &err,
	    "SELECT tock_create_workspace($1, 'Personal', true)", 1, ws)) != 0 ||
	    (rc = pg_query(pg, NULL, &err,
	    "UPDATE users SET default_workspace_id = $2 WHERE id = $1", 2, uid,
	    ws)) != 0 ||
	    (rc = pg_query(pg, &res, &err,
	    "SELECT workspace_id, role FROM tock_accept_invitations()"
	    " ORDER BY workspace_id", 0)) != 0)
		goto dberr;

	/* The change log: the new workspace and every membership; each
	 * accepted invitation also in the user's own scope (SYNC.md 3.13),
	 * as api_workspaces.c logs a member added later. */
	nscopes = 0;
	scopes[nscopes++] = ws;
	scopes[nscopes++] = uid;
	for (i = 0; i < pg_nrows(res) && nscopes < CL_MAX_SCOPES; i++)
		scopes[nscopes++] = pg_value(res, i, 0);
	if ((rc = cl_lock(&cl, scopes, nscopes, &err)) != 0)
		goto dberr;
	strbuf_addstr(&fields, "{\"name\":\"Personal\",\"personal\":true,"
	    "\"created_by\":");
	strbuf_add_json_str(&fields, uid);
	strbuf_addch(&fields, '}');
	cl_add(&cl, ws, CL_WORKSPACE, ws, CL_CREATE, fields.buf, NULL);
	strbuf_reset(&fields);
	strbuf_addstr(&fields, "{\"user_id\":");
	strbuf_add_json_str(&fields, uid);
	strbuf_addstr(&fields, ",\"role\":\"admin\"}");
	cl_add(&cl, ws, CL_MEMBERSHIP, uid, CL_MEMBERSHIP_CHANGE, fields.buf,
	    NULL);
	for (i = 2; i < nscopes; i++) {
		const char *role = pg_value(res, i - 2, 1);
		struct pg_res *wn = NULL;

		strbuf_reset(&fields);
		strbuf_addstr(&fields, "{\"user_id\":");
		strbuf_add_json_str(&fields, uid);
		strbuf_addstr(&fields, ",\"role\":");
		strbuf_add_json_str(&fields, role);
		strbuf_addch(&fields, '}');
		cl_add(&cl, scopes[i], CL_MEMBERSHIP, uid, CL_MEMBERSHIP_CHANGE,
		    fields.buf, NULL);
		if ((rc = pg_query(pg, &wn, &err, "SELECT name FROM workspaces"
		    " WHERE id = $1", 1, scopes[i])) != 0)
			goto dberr;
		strbuf_reset(&fields);
		strbuf_addstr(&fields, "{\"workspace_id\":");
		strbuf_add_json_str(&fields, scopes[i]);
		strbuf_addstr(&fields, ",\"user_id\":");
		strbuf_add_json_str(&fields, uid);
		strbuf_addstr(&fields, ",\"role\":");
		strbuf_add_json_str(&fields, role);
		strbuf_addstr(&fields, ",\"name\":");
		strbuf_add_json_str(&fields, name);
		strbuf_addstr(&fields, ",\"email\":");
		strbuf_add_json_str(&fields, email);
		strbuf_addstr(&fields, ",\"workspace_name\":");
		if (pg_nrows(wn) == 1 && pg_value(wn, 0, 0) != NULL)
			strbuf_add_json_str(&fields, pg_value(wn, 0, 0));
		else
			strbuf_addstr(&fields, "null");
		strbuf_addch(&fields, '}');
		pg_res_free(wn);
		cl_add(&cl, uid, CL_MEMBERSHIP, uid, CL_MEMBERSHIP_CHANGE,
		    fields.buf, NULL);
	}
	if ((rc = cl_flush(&cl, &err)) != 0)
		goto dberr;
	pg_res_free(res);
	res = NULL;
	{
		const char *params[1] = { uid };

		if (api_answer_json(rq, rs, pg, 201, "user",
		    "SELECT tock_user_json(u) FROM users u WHERE id = $1", 1,
		    params) != 0)
			goto out;
	}
	if ((rc = pg_commit(pg, &err)) != 0)
		goto dberr;
	in_tx = false;
	snprintf(rs->log_user, sizeof rs->log_user, "%s", uid);
	goto out;
dberr:
	api_db_error(rq, rs, rc, &err);
out:
	if (in_tx)
		pg_rollback(pg);
	pg_res_free(res);
	cl_release(&cl);
	strbuf_release(&fields);
	explicit_bzero(hash, sizeof hash);
}

void
api_login(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	const char *email, *pw, *devname = NULL;
	char uid[UUID_STRLEN + 1], dev[UUID_STRLEN + 1], node[17];
	char dws[UUID_STRLEN + 1] = "";
	char token[AUTH_TOKEN_LEN + 1], *user_json = NULL;
	unsigned char raw[8];
	bool ok, in_tx = false;
	int rc, kind;

	token[0] = '\0';
	if (body_email(rq, rs, &email) != 0 ||
	    body_password(rq, rs, &pw, false) != 0 ||
	    api_body_str(rq, rs, "device_name", false, &devname, &kind) != 0)
		goto out;
	if (kind != RJ_VALUE)
		devname = "";
	else if (strlen(devname) > 200 ||
	    model_check_text("device_name", devname, 200, &err) != 0) {
		resp_field_error(rs, "device_name", "'device_name' must be at "
		    "most 200 bytes of UTF-8");
		goto out;
	}
	if ((rc = pg_query(pg, &res, &err, "SELECT id, password_hash,"
	    " tock_user_json(u), default_workspace_id FROM users u"
	    " WHERE email = $1", 1, email)) != 0)
		goto dberr;
	/* An unknown email costs a bcrypt too: no timing oracle. */
	ok = auth_check_password(pw, pg_nrows(res) == 1 ?
	    pg_value(res, 0, 1) : NULL);
	if (!ok) {
		resp_error(rs, 401, "invalid_credentials",
		    "wrong email or password");
		goto out;
	}
	snprintf(uid, sizeof uid, "%s", pg_value(res, 0, 0));
	user_json = strdup(pg_value(res, 0, 2));
	if (pg_value(res, 0, 3) != NULL)
		snprintf(dws, sizeof dws, "%s", pg_value(res, 0, 3));
	pg_res_free(res);
	res = NULL;
	if (user_json == NULL) {
		resp_internal(rs, rq, "out of memory");
		goto out;
	}

	srv_new_id(dev);
	uuid_random(raw, sizeof raw);
	snprintf(node, sizeof node, "%02x%02x%02x%02x%02x%02x%02x%02x",
	    raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7]);
	if ((rc = pg_begin(pg, uid, &err)) != 0)
		goto dberr;
	in_tx = true;
	if ((rc = pg_query(pg, NULL, &err, "INSERT INTO devices"
	    " (id, user_id, node_id, name, last_seen)"
	    " VALUES ($1, $2, $3, $4, now())", 4, dev, uid, node, devname)) !=
	    0 ||
	    (rc = new_refresh(pg, dev, uid, token, &err)) != 0 ||
	    (rc = pg_commit(pg, &err)) != 0)
		goto dberr;
	in_tx = false;
	answer_tokens(rq, rs, uid, token, user_json, dev,
	    dws[0] != '\0' ? dws : NULL);
	goto out;
dberr:
	api_db_error(rq, rs, rc, &err);
out:
	if (in_tx)
		pg_rollback(pg);
	pg_res_free(res);
	free(user_json);
	explicit_bzero(token, sizeof token);
}

/* The refresh token from the body, else from the cookie; NULL after
 * answering 400. */
static const char *
presented_token(const struct req *rq, struct resp *rs)
{
	const char *t = NULL;
	int kind = RJ_ABSENT;

	if (rq->json != NULL &&
	    api_body_str(rq, rs, "refresh_token", false, &t, &kind) != 0)
		return NULL;
	if (kind != RJ_VALUE)
		t = rq->refresh_cookie;
	if (t == NULL) {
		resp_field_error(rs, "refresh_token", "'refresh_token' is "
		    "required");
		return NULL;
	}
	return t;
}

void
api_refresh(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	const char *presented;
	char hash[AUTH_TOKEN_HASH_LEN + 1], family[UUID_STRLEN + 1];
	char uid[UUID_STRLEN + 1], token[AUTH_TOKEN_LEN + 1];
	char dws[UUID_STRLEN + 1] = "";
	char *user_json = NULL;
	bool in_tx = false, retry;
	int rc;

	token[0] = '\0';
	if (rq->json != NULL && !rjson_is_object(rq->json)) {
		resp_error(rs, 400, "invalid", "the body must be a JSON object");
		goto out;
	}
	if ((presented = presented_token(rq, rs)) == NULL)
		goto out;
	if (strlen(presented) != AUTH_TOKEN_LEN) {
		resp_error(rs, 401, "invalid_token", "unknown refresh token");
		goto out;
	}
	auth_token_hash(hash, presented);
	if ((rc = pg_begin(pg, NULL, &err)) != 0)
		goto dberr;
	in_tx = true;
	/* Column 7: a retry - rotated within the grace, and no token of the
	 * family rotated since (the successor was never used). */
	if ((rc = pg_query(pg, &res, &err, "SELECT r.family_id, r.user_id,"
	    " r.rotated_at IS NOT NULL, r.revoked_at IS NOT NULL,"
	    " r.expires_at <= now(), tock_user_json(u), u.default_workspace_id,"
	    " r.rotated_at > now() - interval '" REFRESH_GRACE_SECS " seconds'"
	    "  AND NOT EXISTS (SELECT 1 FROM refresh_tokens n"
	    "  WHERE n.family_id = r.family_id AND n.rotated_at > r.rotated_at)"
	    " FROM refresh_tokens r JOIN users u ON u.id = r.user_id"
	    " WHERE r.token_hash = $1::bytea FOR UPDATE OF r", 1, hash)) != 0)
		goto dberr;
	if (pg_nrows(res) != 1) {
		resp_error(rs, 401, "invalid_token", "unknown refresh token");
		goto out;
	}
	snprintf(family, sizeof family, "%s", pg_value(res, 0, 0));
	snprintf(uid, sizeof uid, "%s", pg_value(res, 0, 1));
	if (strcmp(pg_value(res, 0, 3), "t") == 0) {
		resp_error(rs, 401, "token_revoked",
		    "this refresh token was revoked; log in again");
		goto out;
	}
	retry = strcmp(pg_value(res, 0, 2), "t") == 0 &&
	    pg_value(res, 0, 7) != NULL && strcmp(pg_value(res, 0, 7), "t") == 0;
	if (strcmp(pg_value(res, 0, 2), "t") == 0 && !retry) {
		/* Reuse of a rotated token: someone else may hold the
		 * family.  Revoke all of it, and commit that. */
		pg_res_free(res);
		res = NULL;
		if ((rc = pg_query(pg, NULL, &err, "UPDATE refresh_tokens"
		    " SET revoked_at = now() WHERE family_id = $1"
		    " AND revoked_at IS NULL", 1, family)) != 0 ||
		    (rc = pg_query(pg, NULL, &err, "UPDATE devices"
		    " SET revoked_at = now() WHERE id = $1", 1, family)) != 0 ||
		    (rc = pg_commit(pg, &err)) != 0)
			goto dberr;
		in_tx = false;
		log_warnx("request %s: reuse of a rotated refresh token; "
		    "device %s revoked", rq->id, family);
		resp_error(rs, 401, "token_reused", "this refresh token was "
		    "already used; every session of this login is revoked");
		snprintf(rs->log_user, sizeof rs->log_user, "%s", uid);
		goto out;
	}
	if (strcmp(pg_value(res, 0, 4), "t") == 0) {
		resp_error(rs, 401, "token_expired",
		    "this refresh token has expired; log in again");
		goto out;
	}
	if (pg_value(res, 0, 6) != NULL)
		snprintf(dws, sizeof dws, "%s", pg_value(res, 0, 6));
	if ((user_json = strdup(pg_value(res, 0, 5))) == NULL) {
		resp_internal(rs, rq, "out of memory");
		goto out;
	}
	pg_res_free(res);
	res = NULL;
	if ((rc = pg_query(pg, NULL, &err, "SELECT set_config('tock.user_id',"
	    " $1, true)", 1, uid)) != 0)
		goto dberr;
	if (retry) {
		/* The successor we sent may never have arrived: replace it.
		 * rotated_at stays, so the grace runs from the first use. */
		if ((rc = pg_query(pg, NULL, &err, "UPDATE refresh_tokens"
		    " SET revoked_at = now() WHERE family_id = $1"
		    " AND rotated_at IS NULL AND revoked_at IS NULL", 1,
		    family)) != 0)
			goto dberr;
		log_info("request %s: refresh token of device %s retried "
		    "within the grace; its successor replaced", rq->id, family);
	} else if ((rc = pg_query(pg, NULL, &err, "UPDATE refresh_tokens"
	    " SET rotated_at = now() WHERE token_hash = $1::bytea", 1, hash)) !=
	    0) {
		goto dberr;
	}
	if ((rc = new_refresh(pg, family, uid, token, &err)) != 0 ||
	    (rc = pg_query(pg, NULL, &err, "UPDATE devices SET last_seen ="
	    " now() WHERE id = $1", 1, family)) != 0 ||
	    (rc = pg_commit(pg, &err)) != 0)
		goto dberr;
	in_tx = false;
	answer_tokens(rq, rs, uid, token, user_json, family,
	    dws[0] != '\0' ? dws : NULL);
	goto out;
dberr:
	api_db_error(rq, rs, rc, &err);
out:
	if (in_tx)
		pg_rollback(pg);
	pg_res_free(res);
	free(user_json);
	explicit_bzero(token, sizeof token);
}

void
api_logout(struct req *rq, struct resp *rs, struct pg *pg)
{
	static const char clear[] = "tock_refresh=; Path=/api/v1/auth; "
	    "Max-Age=0; HttpOnly; Secure; SameSite=Strict";
	struct tock_err err = TOCK_ERR_INIT;
	const char *presented;
	char hash[AUTH_TOKEN_HASH_LEN + 1];
	int rc;

	if (rq->json != NULL && !rjson_is_object(rq->json)) {
		resp_error(rs, 400, "invalid", "the body must be a JSON object");
		return;
	}
	if ((presented = presented_token(rq, rs)) == NULL)
		return;
	auth_token_hash(hash, presented);
	/* Unknown tokens are fine: logging out twice is not an error. */
	if ((rc = pg_query(pg, NULL, &err, "WITH f AS (SELECT family_id FROM"
	    " refresh_tokens WHERE token_hash = $1::bytea),"
	    " d AS (UPDATE devices SET revoked_at = now() WHERE id IN"
	    "  (SELECT family_id FROM f) AND revoked_at IS NULL)"
	    " UPDATE refresh_tokens SET revoked_at = now() WHERE family_id IN"
	    " (SELECT family_id FROM f) AND revoked_at IS NULL", 1, hash)) != 0) {
		api_db_error(rq, rs, rc, &err);
		return;
	}
	resp_json(rs, 204, "", 0);
	rs->set_cookie = strdup(clear);
}

void
api_me(struct req *rq, struct resp *rs, struct pg *pg)
{
	const char *params[1] = { rq->user_id };
	struct tock_err err = TOCK_ERR_INIT;
	struct pg_res *res = NULL;
	const char *v;
	int rc;

	if ((rc = pg_exec(pg, &res, "SELECT json_build_object('id', id,"
	    " 'email', email, 'name', name, 'default_workspace_id',"
	    " default_workspace_id, 'created_at', tock_ts(created_at))"
	    " FROM users WHERE id = $1", 1, params, &err)) != 0) {
		api_db_error(rq, rs, rc, &err);
		return;
	}
	if ((v = pg_value(res, 0, 0)) == NULL)
		resp_error(rs, 401, "invalid_token", "the user no longer exists");
	else
		resp_json(rs, 200, v, strlen(v));
	pg_res_free(res);
}
