/* SPDX-License-Identifier: ISC */
/*
 * server.h - the types tock-server's modules share: its configuration,
 * one HTTP request and its response as they travel from the lws service
 * thread to a database worker and back (struct job), and the error-body
 * helpers every handler uses.
 *
 * Threads: a struct req is filled on the service thread before the job is
 * queued and is read-only afterwards; a struct resp is written only by the
 * thread that owns the job at the time (the worker while it runs the
 * handler, the service thread before and after).  struct srv_config is
 * filled once at start-up and read-only from then on, so any thread may
 * read it without a lock.
 */
#ifndef TOCK_SERVER_H
#define TOCK_SERVER_H

#include <sys/queue.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"
#include "uuid.h"

struct pg;
struct rjson;
struct route;

enum registration_mode { REG_OPEN, REG_INVITE };

/* One rate: a bucket of burst tokens refilled at per_sec. */
struct rate_spec {
	double burst;
	double per_sec;
};

struct srv_config {
	char *database_url;	/* TOCK_DATABASE_URL: what serve connects as */
	char *migrate_url;	/* TOCK_MIGRATE_DATABASE_URL, else the above */
	char *listen_host;	/* TOCK_LISTEN host part */
	int listen_port;
	char *tls_cert;		/* TOCK_TLS_CERT / TOCK_TLS_KEY */
	char *tls_key;
	char *jwt_secret_file;	/* TOCK_JWT_SECRET_FILE */
	int pool_min;		/* TOCK_POOL_MIN (10) */
	int pool_max;		/* TOCK_POOL_MAX (50) */
	enum registration_mode registration; /* TOCK_REGISTRATION */
	size_t body_max;	/* TOCK_BODY_MAX: request body cap (1 MiB) */
	int header_max;		/* TOCK_HEADER_MAX: all headers + URL (8 KiB) */
	int json_depth_max;	/* TOCK_JSON_DEPTH_MAX (32) */
	int client_timeout;	/* TOCK_CLIENT_TIMEOUT: slow clients (10 s) */
	int job_timeout;	/* TOCK_JOB_TIMEOUT: queue + handler (30 s) */
	int shutdown_timeout;	/* TOCK_SHUTDOWN_TIMEOUT: drain on SIGTERM */
	int queue_max;		/* TOCK_QUEUE_MAX: waiting jobs before 503 */
	int bcrypt_cost;	/* TOCK_BCRYPT_COST (12); lower is for tests */
	struct rate_spec rate_auth;	/* TOCK_RATE_AUTH: per IP, auth */
	struct rate_spec rate_user;	/* TOCK_RATE_USER: per user */
	struct rate_spec rate_ip;	/* TOCK_RATE_IP: per IP, everything */
	int verbose;
};

/* Parse flags and TOCK_* variables (flags win).  *cmd is the subcommand
 * (borrowed from argv).  Returns 0, 1 when --help or --version was
 * answered, or 2 on a usage error after printing it. */
int srvconf_load(struct srv_config *cfg, const char **cmd, int argc,
    char **argv);
void srvconf_release(struct srv_config *cfg);
/* "N/S": N requests per S seconds, burst N. */
int srvconf_rate_parse(struct rate_spec *out, const char *s);

enum http_method {
	HTTP_OTHER = 0,
	HTTP_GET,
	HTTP_POST,
	HTTP_PATCH,
	HTTP_DELETE,
	HTTP_PUT,
	HTTP_HEAD,
	HTTP_OPTIONS,
};

const char *http_method_name(int method);

#define REQ_QUERY_MAX 16
#define REQ_PARAM_MAX 2
#define REQ_PARAM_LEN 64

struct req_query {
	char *key;
	char *value;
};

/* The server-wide values a handler may read. */
struct srv_shared {
	const struct srv_config *cfg;
	const unsigned char *jwt_key;
	size_t jwt_keylen;
};

struct req {
	char id[UUID_STRLEN + 1];	/* request id, for logs */
	int method;
	char path[256];			/* for the log, cut if longer */
	char param[REQ_PARAM_MAX][REQ_PARAM_LEN];	/* path parameters */
	struct req_query query[REQ_QUERY_MAX];
	int nquery;
	struct strbuf body;		/* bounded by body_max */
	struct rjson *json;		/* parsed body or NULL */
	char user_id[UUID_STRLEN + 1];	/* from the access token, or "" */
	char ip[64];
	bool has_if_match;
	int64_t if_match;
	char *refresh_cookie;		/* tock_refresh cookie or NULL */
	const struct srv_shared *shared;
};

struct resp {
	int status;			/* 0 until a handler answers */
	struct strbuf body;
	int retry_after;		/* seconds; 0 = no header */
	char *set_cookie;		/* malloc'd Set-Cookie value or NULL */
	char etag[32];			/* "" = none */
	char allow[64];			/* Allow header for 405 */
	bool close;			/* close the connection afterwards */
	char log_user[UUID_STRLEN + 1];	/* user id for the log line */
};

/* One request on its way through the worker pool. */
struct job {
	TAILQ_ENTRY(job) link;
	uint64_t conn_id;		/* the transaction it answers */
	int64_t start_us;		/* monotonic, request start */
	int64_t queued_us;		/* monotonic, when queued */
	const struct route *route;
	/* The route's group-commit handler (route_batch_fn), or NULL. */
	void (*batch)(struct job **jobs, int n, struct pg *pg);
	struct req rq;
	struct resp rs;
};

struct job *job_new(void);
void job_free(struct job *job);
/* The value of query parameter key, or NULL. */
const char *req_query_get(const struct req *rq, const char *key);

/*
 * Error bodies: {"error":{"code":...,"message":...[,"field":...]}}.
 * resp_error replaces whatever body was there.
 */
void resp_error(struct resp *rs, int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* 400 with the field named both in the message and as "field". */
void resp_field_error(struct resp *rs, const char *field, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
/* 500: logs msg with the request id; the client sees a generic text. */
void resp_internal(struct resp *rs, const struct req *rq, const char *msg);
/* Replace the body with text of len bytes and set status. */
void resp_json(struct resp *rs, int status, const char *text, size_t len);

/* Monotonic clock in microseconds. */
int64_t mono_us(void);
/* A new UUIDv7.  uuid_v7 keeps process-wide state, so the server's threads
 * take turns through this lock. */
void srv_new_id(char out[UUID_STRLEN + 1]);

#endif
