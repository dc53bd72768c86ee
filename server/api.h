/* SPDX-License-Identifier: ISC */
/*
 * api.h - the REST handlers and the helpers they share.
 *
 * Every handler has the route_fn shape: it reads the request, runs its
 * transaction on the worker's connection and fills the response; it never
 * returns with a transaction open (pg_recycle would roll it back, loudly).
 * The helpers answer the error themselves and return -1, so handlers read
 * "if (helper(...) != 0) goto out;".
 */
#ifndef TOCK_API_H
#define TOCK_API_H

#include <stdbool.h>
#include <stdint.h>

#include "route.h"
#include "strbuf.h"

struct pg;
struct tock_err;

/* The table proto_api.c routes by (ends with a NULL pattern). */
extern const struct route api_routes[];

/* api_auth.c */
route_fn api_register, api_login, api_refresh, api_logout, api_me;
/* api_workspaces.c */
route_fn api_workspaces_list, api_workspaces_create, api_members_list,
    api_members_add, api_members_update, api_members_remove;
/* api_tasks.c */
route_fn api_tasks_create, api_tasks_list, api_tasks_get, api_tasks_update,
    api_tasks_delete, api_comments_create, api_comments_list;
route_batch_fn api_tasks_create_batch;
/* r's group-commit handler (pool.h), or NULL. */
route_batch_fn *api_batch_for(const struct route *r);
/* api_entries.c */
route_fn api_entries_create, api_entries_list, api_entries_update,
    api_entries_delete;
/* api_sync_push.c */
route_fn api_sync_push;
/* api_sync_pull.c */
route_fn api_sync_pull, api_sync_snapshot;
/* api_notify.c */
route_fn api_notify_get, api_notify_patch;
/* api.c */
route_fn api_healthz, api_not_implemented;

/* Path parameter idx must be a UUID; else 400 naming it. */
int api_param_uuid(const struct req *rq, struct resp *rs, int idx,
    const char *name);

/*
 * Body getters: 0 when the value is fine (or absent, *kind says which:
 * enum rjson_kind), -1 after answering 400 naming the field.  A required
 * field that is absent or null is a 400 too.
 */
int api_body_str(const struct req *rq, struct resp *rs, const char *key,
    bool required, const char **out, int *kind);
/* A UUID string (or null when nullable). */
int api_body_uuid(const struct req *rq, struct resp *rs, const char *key,
    bool nullable, const char **out, int *kind);
/* An ISO 8601 time with an explicit zone ("...Z" or "+01:00"), as Unix
 * milliseconds. */
int api_body_time(const struct req *rq, struct resp *rs, const char *key,
    int64_t *out, int *kind);

/* Answer a failed database call: 503 for busy/unavailable, else 500. */
void api_db_error(const struct req *rq, struct resp *rs, int rc,
    const struct tock_err *err);

/* The caller's role in workspace ws (inside a transaction as the user):
 * 0 with role filled ("admin", "lead", "member"), or -1 after answering
 * 404 (not a member: the workspace is invisible) or an error. */
int api_role(const struct req *rq, struct resp *rs, struct pg *pg,
    const char *ws, char role[8]);

/* Is user a member of workspace ws?  1 yes, 0 no, -1 answered an error. */
int api_is_member(const struct req *rq, struct resp *rs, struct pg *pg,
    const char *ws, const char *user);

/* Run sql, whose single row and column is JSON text, and answer it with
 * status; 404 with what when there is no row.  Parameters as pg_exec. */
int api_answer_json(const struct req *rq, struct resp *rs, struct pg *pg,
    int status, const char *what, const char *sql, int n,
    const char *const *params);

/* A JSON object built member by member (change-log fields, patches). */
struct jobj {
	struct strbuf sb;
	int n;
};

void jo_init(struct jobj *o);
/* A string member; v NULL writes null. */
void jo_str(struct jobj *o, const char *key, const char *v);
/* A member whose value is JSON text already. */
void jo_raw(struct jobj *o, const char *key, const char *json);
/* Close the object and return its text (owned by o). */
const char *jo_end(struct jobj *o);
void jo_release(struct jobj *o);

#endif
