/*
 * syncd.h - the pieces of tock-syncd and how they fit (syncd/PROTOCOL.md).
 *
 *   http.c     one libcurl easy handle: a request, its status and body
 *   wire.c     the JSON tock-syncd reads (login answers, error bodies,
 *              control commands); the only syncd file that includes cJSON
 *   cred.c     the refresh token: Secret Service keyring, else a 0600 file
 *   session.c  login, refresh, logout and the sync_transport of a round
 *              (adds the access token, refreshes it once on a 401)
 *   link.c     the WebSocket link (lws client, its own thread)
 *   ctl.c      the control socket (poll loop on the main thread)
 *   daemon.c   lock, daemonising, the worker thread that runs rounds
 *   main.c     the command line
 *
 * Ownership: every char * member below is malloc'd and freed by the
 * matching _release/_free function; functions taking const char * borrow.
 */
#ifndef TOCK_SYNCD_H
#define TOCK_SYNCD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf;
struct tock_err;
struct db;

/* Largest REST answer or WebSocket message we accept (sync pages are
 * bounded by the server: 1000 changes per scope, snapshots 5000 rows). */
#define SYNCD_BODY_MAX (64u << 20)

/* ---- http.c ---- */
struct http;
int http_new(struct http **out, struct tock_err *err);
void http_free(struct http *h);
/* One request: url absolute, bearer and body may be NULL.  0 when an HTTP
 * answer arrived (any status; *status and resp filled, resp reset first),
 * TOCK_EIO with err ("cannot reach URL: why") when none did.  With
 * retry_after non-NULL it gets the Retry-After seconds (0 if none). */
int http_request(struct http *h, const char *method, const char *url,
    const char *bearer, const char *body, int *status, struct strbuf *resp,
    long *retry_after, struct tock_err *err);
/* Process-wide libcurl set-up, before any thread starts. */
int http_global_init(struct tock_err *err);
void http_global_cleanup(void);

/* ---- wire.c ---- */
struct login_answer {
	char *access_token;
	char *refresh_token;
	char *user_id;
	char *email;
	char *name;
	char *device_id;	/* NULL when the server does not send it */
	char *default_ws;	/* NULL when the server does not send it */
	long expires_in;	/* seconds */
};
int wire_login_parse(const char *json, size_t len, struct login_answer *out,
    struct tock_err *err);
void wire_login_release(struct login_answer *a);
/* The message of a {"error":{"code","message"}} body, copied into msg
 * (empty when the body is not one); code likewise (may be NULL). */
void wire_error(const char *json, size_t len, char *msg, size_t msgsz,
    char *code, size_t codesz);
/* A top-level string member (malloc'd), or NULL. */
char *wire_string(const char *json, size_t len, const char *key);
/* The "cmd" of a control line into cmd (empty when not one). */
void wire_ctl_cmd(const char *line, size_t len, char *cmd, size_t cmdsz);

/* ---- cred.c ---- */
/* Where the token went (for the messages). */
enum cred_where { CRED_NONE, CRED_KEYRING, CRED_FILE };
/* Store token for (server, user), replacing any older one.  Falls back to
 * the file (and warns on stderr once) when no keyring answers. */
int cred_store(const char *server, const char *user, const char *token,
    enum cred_where *where, struct tock_err *err);
/* *out = the token (malloc'd) or TOCK_ENOTFOUND. */
int cred_lookup(const char *server, const char *user, char **out,
    struct tock_err *err);
/* Remove it from wherever it is; no token is not an error. */
int cred_clear(const char *server, const char *user, struct tock_err *err);
/* The credentials file path (malloc'd) or NULL. */
char *cred_file_path(void);

/* ---- session.c ---- */
/*
 * The auth state of one replica.  The access token is kept in memory only;
 * the refresh token goes to cred_* every time it rotates.  The mutex
 * guards access/refresh: the worker thread refreshes while the link
 * thread reads the access token to connect.
 */
struct session {
	pthread_mutex_t mu;
	struct http *http;
	char *server;		/* base URL without a trailing slash */
	char *user_id;
	char *access;		/* NULL until the first refresh */
	char *refresh;
	int64_t access_until;	/* ms; refresh before this */
	char *lock_path;	/* <db>.syncd.auth: serialises refreshes */
	bool env_token;		/* TOCK_TOKEN: never refresh */
	bool auth_failed;	/* a refresh was refused: log in again */
};
/* From a logged-in replica (sync_status_get), or TOCK_TOKEN.  TOCK_EAUTH
 * when the replica is not logged in or no refresh token is stored. */
int session_open(struct session **out, struct db *db, const char *db_path,
    struct tock_err *err);
void session_free(struct session *s);
/* Get a fresh access token (rotates and stores the refresh token). */
int session_refresh(struct session *s, struct tock_err *err);
/* Refresh when the access token is missing or expires within a minute. */
int session_ensure(struct session *s, struct tock_err *err);
/* A copy of the access token (malloc'd) or NULL. */
char *session_access(struct session *s);
/* Authenticated request to server + path; one refresh and retry on 401. */
int session_request(struct session *s, const char *method, const char *path,
    const char *body, int *status, struct strbuf *resp,
    struct tock_err *err);
/* The sync_transport of a round over s. */
struct sync_transport;
void session_transport(struct session *s, struct sync_transport *tp);

/* Login: POST /auth/login, adopt, store the token.  *exit_code gets the
 * CLI exit code on failure (5 other user, 6 refused/unreachable). */
struct login_req {
	const char *url;
	const char *email;
	const char *password;
	const char *device_name;
};
int session_login(struct db *db, const char *db_path,
    const struct login_req *in, struct session **out, int *exit_code,
    struct tock_err *err);
/* Logout: tell the server (warn when it cannot be told), clear the token,
 * forget.  *told = whether the server revoked it. */
int session_logout(struct db *db, const char *db_path, bool *told,
    struct tock_err *err);

/* ---- daemon.c ---- */
struct daemon_opts {
	const char *db_path;
	bool foreground;
	int verbose;
};
/* Runs until SIGTERM/SIGINT; returns the process exit code. */
int daemon_run(const struct daemon_opts *o);

/* ---- link.c ---- */
struct link;
struct link_hooks {
	void *arg;
	/* A text message arrived (borrowed, called on the link thread). */
	void (*frame)(void *arg, const char *json, size_t len);
	/* The link came up (hello sent) or went down. */
	void (*state)(void *arg, bool up);
	/* The handshake was refused with 401: the token needs refreshing. */
	void (*unauthorized)(void *arg);
};
/* Start the link thread: connects to server/api/v1/ws with the access
 * token of s, hello from db_path's replica, reconnecting with backoff. */
int link_start(struct link **out, struct session *s, const char *db_path,
    const struct link_hooks *hooks, struct tock_err *err);
/* The token changed (or the server may be back): try again now.  The
 * link does not connect before it has an access token. */
void link_nudge(struct link *l);
/* A round ended: when the replica's scopes differ from those of the last
 * hello, send a new hello, so the server subscribes the connection to
 * the workspaces the replica just learned (or drops lost ones). */
void link_scopes_changed(struct link *l);
/* Close and join. */
void link_stop(struct link *l);

/* ---- ctl.c ---- */
struct ctl;
struct ctl_hooks {
	void *arg;
	void (*kick)(void *arg);
	/* Ask for a full round; returns its request number. */
	uint64_t (*sync)(void *arg);
	/* Fill the status answer (a JSON object) into out. */
	void (*status)(void *arg, struct strbuf *out);
	/* A sync waited long: true with the answer in out to give up
	 * (offline), false to keep waiting. */
	bool (*overdue)(void *arg, struct strbuf *out);
};
int ctl_open(struct ctl **out, const char *path, const struct ctl_hooks *h,
    struct tock_err *err);
/* Serve until *stop; wake_fd is readable when ctl_poll should look at
 * the round results and changes (ctl_round_done, ctl_changed). */
void ctl_serve(struct ctl *c, int wake_fd, volatile int *stop,
    void (*on_wake)(void *arg, struct ctl *c), void *arg);
/* Answer the sync waiters whose request number is <= done. */
void ctl_round_done(struct ctl *c, uint64_t done, const char *answer);
/* Tell every subscriber {"event":"changed"}. */
void ctl_changed(struct ctl *c);
void ctl_close(struct ctl *c);

/* ---- helpers (session.c) ---- */
int64_t syncd_now_ms(void);
/* CLI exit code for a tock_err code. */
int syncd_exit_code(int code);

#endif
