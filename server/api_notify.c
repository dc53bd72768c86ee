/* SPDX-License-Identifier: ISC */
/*
 * api_notify.c - the caller's notifications and their preferences
 * (DESIGN.md "Notifications"):
 *
 *   GET   /api/v1/me/notifications   {"prefs":{"assigned":true,...},
 *                                     "notifications":[...newest 50...]}
 *   PATCH /api/v1/me/notifications   {"assigned":false,...} -> the same
 *
 * Each kind is on until its user turns it off; turning one off stops new
 * events of that kind from being queued (the triggers ask
 * tock_notify_on), it does not recall mail already queued.
 */
#include <stdbool.h>
#include <string.h>

#include "api.h"
#include "err.h"
#include "pg.h"
#include "reqjson.h"
#include "server.h"

static const char *const kinds[] = { "assigned", "comment", "due" };
#define NKINDS (sizeof kinds / sizeof kinds[0])

#define ANSWER_SQL \
	"SELECT json_build_object('prefs', (SELECT json_object_agg(k," \
	" tock_notify_on($1, k)) FROM unnest(ARRAY['assigned', 'comment'," \
	" 'due']) AS k), 'notifications', coalesce((SELECT json_agg(x)" \
	" FROM (SELECT n.id, n.kind, n.payload, n.status," \
	" tock_ts(n.created_at) AS created_at, tock_ts(n.sent_at) AS sent_at" \
	" FROM notifications n WHERE n.user_id = $1" \
	" ORDER BY n.id DESC LIMIT 50) x), '[]'::json))"

static void
answer(struct req *rq, struct resp *rs, struct pg *pg)
{
	const char *params[1] = { rq->user_id };

	(void)api_answer_json(rq, rs, pg, 200, "user", ANSWER_SQL, 1,
	    params);
}

void
api_notify_get(struct req *rq, struct resp *rs, struct pg *pg)
{
	answer(rq, rs, pg);
}

void
api_notify_patch(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	bool on[NKINDS];
	int kind[NKINDS], rc, n = 0;
	size_t i;

	for (i = 0; i < NKINDS; i++) {
		kind[i] = rjson_get_bool(rq->json, kinds[i], &on[i], &err);
		if (kind[i] < 0 || kind[i] == RJ_NULL) {
			resp_field_error(rs, kinds[i], "'%s' must be true or "
			    "false", kinds[i]);
			return;
		}
		n += kind[i] == RJ_VALUE;
	}
	if (n == 0) {
		resp_field_error(rs, "assigned", "give at least one of "
		    "'assigned', 'comment', 'due'");
		return;
	}
	if ((rc = pg_begin(pg, rq->user_id, &err)) != 0)
		goto dberr;
	for (i = 0; i < NKINDS; i++) {
		if (kind[i] != RJ_VALUE)
			continue;
		if ((rc = pg_query(pg, NULL, &err, "INSERT INTO"
		    " notification_prefs (user_id, kind, enabled)"
		    " VALUES ($1, $2, $3) ON CONFLICT (user_id, kind)"
		    " DO UPDATE SET enabled = excluded.enabled", 3,
		    rq->user_id, kinds[i], on[i] ? "true" : "false")) != 0) {
			pg_rollback(pg);
			goto dberr;
		}
	}
	if ((rc = pg_commit(pg, &err)) != 0) {
		pg_rollback(pg);
		goto dberr;
	}
	answer(rq, rs, pg);
	return;
dberr:
	api_db_error(rq, rs, rc, &err);
}
