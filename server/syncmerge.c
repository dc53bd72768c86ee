/* SPDX-License-Identifier: ISC */
/*
 * syncmerge.c - one sync push as one transaction (see syncmerge.h).
 *
 * Every op is validated in C against the row as it stands (loaded inside
 * the transaction, so earlier ops of the batch are seen; no FOR UPDATE:
 * the scope lock already serializes every writer of the row, and under
 * row-level security FOR UPDATE would hide rows a member may read but not
 * change, turning "forbidden" into "not_found")
 * before anything of it is written; a refused op never aborts the
 * transaction.  Entity rows are written per op, and the change log,
 * conflicts and the idempotency ledger in one bulk statement each at the
 * end (jsonb_to_recordset), with tx_last_seq the scope's final seq.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "changelog.h"
#include "err.h"
#include "log.h"
#include "model.h"
#include "pg.h"
#include "reqjson.h"
#include "server.h"
#include "syncmerge.h"
#include "timeparse.h"

#define CLOCK_AHEAD_MS 60000

enum { ST_NONE, ST_APPLIED, ST_SUPERSEDED, ST_REJECTED, ST_DUPLICATE,
	ST_RETRY };

struct scope {
	char id[UUID_STRLEN + 1];
	int64_t last, next;
	char role[8];		/* "" when the user is not a member */
	bool locked;
};

struct run {
	struct push_ctx *c;
	struct tock_err err;
	struct scope *sc;
	int nsc;
	struct strbuf log;	/* JSON array of sync_log rows */
	struct strbuf conf;	/* JSON array of conflicts rows */
	int nlog, nconf;
	int64_t now;
};

/* ---- small helpers ------------------------------------------------- */

static struct scope *
scope_find(struct run *r, const char *id)
{
	int i;

	for (i = 0; i < r->nsc; i++)
		if (strcmp(r->sc[i].id, id) == 0)
			return &r->sc[i];
	return NULL;
}

static struct scope *
scope_add(struct run *r, const char *id)
{
	struct scope *s = scope_find(r, id);

	if (s != NULL)
		return s;
	s = &r->sc[r->nsc++];
	memset(s, 0, sizeof *s);
	snprintf(s->id, sizeof s->id, "%.36s", id);
	return s;
}

static int64_t
seq_next(struct scope *s)
{
	return s->last + ++s->next;
}

/* Queue a log row.  fhlc NULL: every field stamped with hlc. */
static void
log_add(struct run *r, struct scope *s, int64_t seq, const char *op_id,
    int entity, const char *eid, int kind, const char *fields,
    const char *fhlc, const char *hlc)
{
	struct strbuf *b = &r->log;

	strbuf_addstr(b, r->nlog++ ? "," : "[");
	strbuf_addstr(b, "{\"scope_id\":");
	strbuf_add_json_str(b, s->id);
	strbuf_addf(b, ",\"seq\":%lld,\"op_id\":", (long long)seq);
	if (op_id != NULL)
		strbuf_add_json_str(b, op_id);
	else
		strbuf_addstr(b, "null");
	strbuf_addf(b, ",\"entity\":%d,\"entity_id\":", entity);
	strbuf_add_json_str(b, eid);
	strbuf_addf(b, ",\"kind\":%d,\"fields\":%s,\"fhlc\":%s,\"hlc\":", kind,
	    fields, fhlc != NULL ? fhlc : "null");
	strbuf_add_json_str(b, hlc != NULL ? hlc : "");
	strbuf_addch(b, '}');
}

static void
result_head(struct push_op *op, const char *status)
{
	strbuf_reset(&op->result);
	strbuf_addf(&op->result, "{\"seq\":%lld,\"id\":", (long long)op->seq);
	strbuf_add_json_str(&op->result, op->id);
	strbuf_addstr(&op->result, ",\"status\":");
	strbuf_add_json_str(&op->result, status);
}

/* A rejection; current is {"fields":…,"fhlc":…} text or NULL. */
static void
reject(struct push_op *op, const char *code, const char *current,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
reject(struct push_op *op, const char *code, const char *current,
    const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	op->status = ST_REJECTED;
	result_head(op, "rejected");
	strbuf_addstr(&op->result, ",\"code\":");
	strbuf_add_json_str(&op->result, code);
	strbuf_addstr(&op->result, ",\"message\":");
	strbuf_add_json_str(&op->result, msg);
	if (current != NULL)
		strbuf_addf(&op->result, ",\"current\":%s", current);
	strbuf_addch(&op->result, '}');
}

/* The fields of an op, as (name, JSON value) pairs. */
#define MAXF 64
struct fv {
	char name[80];
	char *val;
};
struct fvs {
	int n;
	struct fv f[MAXF];
};

static int
fv_cb(const char *name, const char *value, void *arg)
{
	struct fvs *v = arg;

	if (v->n == MAXF || strlen(name) >= sizeof v->f[0].name)
		return 1;
	snprintf(v->f[v->n].name, sizeof v->f[0].name, "%s", name);
	v->f[v->n].val = strdup(value);
	if (v->f[v->n].val == NULL)
		return 1;
	v->n++;
	return 0;
}

static void
fvs_free(struct fvs *v)
{
	int i;

	for (i = 0; i < v->n; i++)
		free(v->f[i].val);
	v->n = 0;
}

static bool
is_text_field(int e, const char *f)
{
	return (e == CL_TASK && (strcmp(f, "title") == 0 ||
	    strcmp(f, "description") == 0)) ||
	    (e == CL_TIME_ENTRY && strcmp(f, "notes") == 0);
}

static bool
hlc_gt(const char *a, const char *b)
{
	return b == NULL || strcmp(a, b) > 0;
}

/* A string member of rj, or NULL. */
static const char *
sget(const struct rjson *rj, const char *key)
{
	const char *s;

	if (rj == NULL || rjson_get_str(rj, key, &s, NULL) != RJ_VALUE)
		return NULL;
	return s;
}

static void
current_json(struct strbuf *b, const char *fields, const char *fhlc)
{
	strbuf_reset(b);
	strbuf_addf(b, "{\"fields\":%s,\"fhlc\":%s}", fields, fhlc);
}

/* Record a text conflict (SYNC.md 3.10): the conflicts table, a log row
 * of entity 7 in the scope, and the op's result. */
static void
conflict_add(struct run *r, struct scope *s, struct push_op *op,
    struct strbuf *confs, const char *field, const char *loser,
    const char *loser_hlc, const char *winner, const char *winner_hlc)
{
	struct strbuf f = STRBUF_INIT;
	char cid[UUID_STRLEN + 1], hlc[HLC_STRLEN + 1];
	int64_t seq;

	strbuf_addf(&f, "{\"entity\":\"%s\",\"entity_id\":",
	    op->e == CL_TASK ? "task" : op->e == CL_TIME_ENTRY ? "time_entry" :
	    "comment");
	strbuf_add_json_str(&f, op->eid);
	strbuf_addstr(&f, ",\"field\":");
	strbuf_add_json_str(&f, field);
	strbuf_addf(&f, ",\"loser\":%s,\"loser_hlc\":", loser);
	strbuf_add_json_str(&f, loser_hlc);
	strbuf_addstr(&f, ",\"winner_hlc\":");
	strbuf_add_json_str(&f, winner_hlc);
	strbuf_addf(&f, ",\"winner\":%s}", winner);
	srv_new_id(cid);
	srvhlc_next(hlc, op->hlc);
	seq = seq_next(s);
	log_add(r, s, seq, NULL, 7, cid, CL_CREATE, f.buf, NULL, hlc);

	strbuf_addstr(&r->conf, r->nconf++ ? "," : "[");
	strbuf_addstr(&r->conf, "{\"scope_id\":");
	strbuf_add_json_str(&r->conf, s->id);
	strbuf_addf(&r->conf, ",\"entity\":%d,\"entity_id\":", op->e);
	strbuf_add_json_str(&r->conf, op->eid);
	strbuf_addstr(&r->conf, ",\"field\":");
	strbuf_add_json_str(&r->conf, field);
	strbuf_addf(&r->conf, ",\"loser\":%s,\"loser_hlc\":", loser);
	strbuf_add_json_str(&r->conf, loser_hlc);
	strbuf_addstr(&r->conf, ",\"winner_hlc\":");
	strbuf_add_json_str(&r->conf, winner_hlc);
	strbuf_addch(&r->conf, '}');

	strbuf_addstr(confs, confs->len ? "," : "");
	strbuf_addstr(confs, "{\"field\":");
	strbuf_add_json_str(confs, field);
	strbuf_addf(confs, ",\"loser\":%s,\"loser_hlc\":", loser);
	strbuf_add_json_str(confs, loser_hlc);
	strbuf_addstr(confs, ",\"winner_hlc\":");
	strbuf_add_json_str(confs, winner_hlc);
	strbuf_addch(confs, '}');
	strbuf_release(&f);
}

static void
applied(struct push_op *op, int64_t seq, const struct strbuf *superseded,
    const struct strbuf *confs)
{
	op->status = ST_APPLIED;
	result_head(op, "applied");
	strbuf_addf(&op->result, ",\"scope_seq\":%lld", (long long)seq);
	if (superseded->len > 0)
		strbuf_addf(&op->result, ",\"superseded_fields\":[%s]",
		    superseded->buf);
	if (confs->len > 0)
		strbuf_addf(&op->result, ",\"conflicts\":[%s]", confs->buf);
	strbuf_addch(&op->result, '}');
}

static void
superseded(struct push_op *op)
{
	op->status = ST_SUPERSEDED;
	result_head(op, "superseded");
	strbuf_addch(&op->result, '}');
}

/* ---- tasks ---------------------------------------------------------- */

#define TASK_FIELDS \
	"(jsonb_build_object('workspace_id', workspace_id, 'title', title," \
	" 'description', description, 'status', status, 'assignee_id'," \
	" assignee_id, 'created_by', created_by, 'created_at'," \
	" tock_ms(created_at), 'updated_at', tock_ms(updated_at)," \
	" 'due_date', due_date, 'deleted', deleted) || coalesce((SELECT" \
	" jsonb_object_agg('metadata.' || mk, mv) FROM jsonb_each(metadata)" \
	" AS m(mk, mv)), '{}'::jsonb))"

static bool
valid_date(const char *s)
{
	int i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	return true;
}

/* Check one task field of op; 0 ok, else fills why and returns the
 * rejection code's index: 1 invalid, 2 forbidden. */
static int
task_field_check(struct run *r, struct push_op *op, const char *ws,
    const char *role, const char *name, char *why, size_t wn)
{
	struct tock_err e = TOCK_ERR_INIT;
	const char *s;
	struct pg_res *res = NULL;
	bool b;
	int k;

	if (strcmp(name, "title") == 0) {
		if ((s = sget(op->fields, name)) == NULL ||
		    model_check_title(s, &e) != 0)
			goto bad;
	} else if (strcmp(name, "description") == 0) {
		if ((s = sget(op->fields, name)) == NULL ||
		    model_check_text(name, s, TEXT_MAX, &e) != 0)
			goto bad;
	} else if (strcmp(name, "status") == 0) {
		s = sget(op->fields, name);
		if (s == NULL || (strcmp(s, "todo") != 0 &&
		    strcmp(s, "in_progress") != 0 && strcmp(s, "done") != 0 &&
		    strcmp(s, "cancelled") != 0)) {
			snprintf(why, wn, "'status' must be todo, in_progress, "
			    "done or cancelled");
			return 1;
		}
	} else if (strcmp(name, "due_date") == 0) {
		k = rjson_get_str(op->fields, name, &s, NULL);
		if (k != RJ_NULL && (k != RJ_VALUE || !valid_date(s))) {
			snprintf(why, wn, "'due_date' must be YYYY-MM-DD or "
			    "null");
			return 1;
		}
	} else if (strcmp(name, "deleted") == 0) {
		if (rjson_get_bool(op->fields, name, &b, NULL) != RJ_VALUE) {
			snprintf(why, wn, "'deleted' must be a boolean");
			return 1;
		}
	} else if (strcmp(name, "assignee_id") == 0) {
		k = rjson_get_str(op->fields, name, &s, NULL);
		if (k == RJ_NULL)
			return 0;
		if (k != RJ_VALUE || !uuid_valid(s)) {
			snprintf(why, wn, "'assignee_id' must be a UUID or "
			    "null");
			return 1;
		}
		if (strcmp(role, "member") == 0 &&
		    strcmp(s, r->c->user_id) != 0) {
			snprintf(why, wn, "a member may assign only themselves");
			return 2;
		}
		if (pg_query(r->c->pg, &res, &r->err, "SELECT 1 FROM"
		    " memberships WHERE workspace_id = $1 AND user_id = $2", 2,
		    ws, s) != 0)
			return -1;
		k = pg_nrows(res);
		pg_res_free(res);
		if (k != 1) {
			snprintf(why, wn, "'assignee_id' is not a member of the "
			    "workspace");
			return 1;
		}
	} else if (strncmp(name, "metadata.", 9) == 0) {
		if (model_check_meta_key(name + 9, &e) != 0)
			goto bad;
	}
	return 0;
bad:
	snprintf(why, wn, "%s", e.msg[0] != '\0' ? e.msg : "bad value");
	return 1;
}

static bool
task_field_known(const char *f)
{
	static const char *const k[] = { "title", "description", "status",
		"assignee_id", "due_date", "deleted", NULL };
	int i;

	if (strncmp(f, "metadata.", 9) == 0)
		return true;
	for (i = 0; k[i] != NULL; i++)
		if (strcmp(f, k[i]) == 0)
			return true;
	return false;
}

/* -1 on an unexpected database error. */
static int
do_task(struct run *r, struct push_op *op, struct scope *s)
{
	struct pg *pg = r->c->pg;
	struct pg_res *res = NULL, *w = NULL;
	struct rjson *rowf = NULL, *rowh = NULL;
	struct fvs in = { 0 };
	struct strbuf cur = STRBUF_INIT, patch = STRBUF_INIT,
	    ph = STRBUF_INIT, sup = STRBUF_INIT, confs = STRBUF_INIT;
	char why[200], seqs[24];
	const char *rf, *rh, *creator, *assignee;
	int i, rc = 0, chk, np = 0;
	int64_t seq;
	bool exists, full;

	if (pg_query(pg, &res, &r->err, "SELECT workspace_id, created_by,"
	    " assignee_id, " TASK_FIELDS "::text, fhlc::text FROM tasks"
	    " WHERE id = $1", 1, op->eid) != 0)
		return -1;
	exists = pg_nrows(res) == 1;
	if (op->kind == OP_DELETE || op->kind == OP_RESTORE) {
		fvs_free(&in);
		in.n = 1;
		snprintf(in.f[0].name, sizeof in.f[0].name, "deleted");
		in.f[0].val = strdup(op->kind == OP_DELETE ? "true" : "false");
	} else if (rjson_each_member(op->doc, "fields", fv_cb, &in) != 0) {
		reject(op, "invalid", NULL, "too many fields");
		goto out;
	}
	if (op->kind == OP_TIMER_START || op->kind == OP_TIMER_STOP) {
		reject(op, "invalid", NULL, "timer ops are for time entries");
		goto out;
	}
	if (!exists) {
		if (op->kind != OP_CREATE) {
			reject(op, "not_found", NULL, "no such task");
			goto out;
		}
		if (s->role[0] == '\0') {
			reject(op, "forbidden", NULL, "not a member of the "
			    "workspace");
			goto out;
		}
		if (sget(op->fields, "title") == NULL) {
			reject(op, "invalid", NULL, "'title' is required");
			goto out;
		}
		for (i = 0; i < in.n; i++) {
			if (!task_field_known(in.f[i].name))
				continue;
			chk = task_field_check(r, op, s->id, s->role,
			    in.f[i].name, why, sizeof why);
			if (chk < 0)
				goto dberr;
			if (chk > 0) {
				reject(op, chk == 2 ? "forbidden" : "invalid",
				    NULL, "%s", why);
				goto out;
			}
		}
		/* Every field, defaults included, so a replica can build
		 * the row from this one log row. */
		strbuf_addstr(&patch, "{\"workspace_id\":");
		strbuf_add_json_str(&patch, s->id);
		strbuf_addstr(&patch, ",\"created_by\":");
		strbuf_add_json_str(&patch, r->c->user_id);
		strbuf_addf(&patch, ",\"created_at\":%lld",
		    (long long)r->now);
		if (sget(op->fields, "description") == NULL)
			strbuf_addstr(&patch, ",\"description\":\"\"");
		if (sget(op->fields, "status") == NULL)
			strbuf_addstr(&patch, ",\"status\":\"todo\"");
		if (rjson_get_str(op->fields, "assignee_id", &rf, NULL) ==
		    RJ_ABSENT)
			strbuf_addstr(&patch, ",\"assignee_id\":null");
		if (rjson_get_str(op->fields, "due_date", &rf, NULL) ==
		    RJ_ABSENT)
			strbuf_addstr(&patch, ",\"due_date\":null");
		{
			bool b;

			if (rjson_get_bool(op->fields, "deleted", &b, NULL) !=
			    RJ_VALUE)
				strbuf_addstr(&patch, ",\"deleted\":false");
		}
		for (i = 0; i < in.n; i++) {
			if (!task_field_known(in.f[i].name))
				continue;
			strbuf_addch(&patch, ',');
			strbuf_add_json_str(&patch, in.f[i].name);
			strbuf_addf(&patch, ":%s", in.f[i].val);
		}
		strbuf_addch(&patch, '}');
		seq = seq_next(s);
		snprintf(seqs, sizeof seqs, "%lld", (long long)seq);
		if (pg_query(pg, &w, &r->err, "INSERT INTO tasks (id,"
		    " workspace_id, title, description, status, assignee_id,"
		    " due_date, metadata, created_by, deleted, deleted_at, fhlc,"
		    " last_seq) SELECT $1, $2, d->>'title', d->>'description',"
		    " d->>'status', (d->>'assignee_id')::uuid,"
		    " (d->>'due_date')::date, coalesce((SELECT"
		    " jsonb_object_agg(substr(key, 10), value) FROM jsonb_each(d)"
		    " WHERE key LIKE 'metadata.%' AND value <> 'null'::jsonb),"
		    " '{}'::jsonb), $3, (d->>'deleted')::boolean, CASE WHEN"
		    " (d->>'deleted')::boolean THEN now() END, tock_fhlc(d, $4),"
		    " $5::bigint FROM (SELECT $6::jsonb AS d) AS x"
		    " RETURNING tock_fhlc($6::jsonb, $4)::text", 6, op->eid,
		    s->id, r->c->user_id, op->hlc, seqs, patch.buf) != 0)
			goto dberr;
		log_add(r, s, seq, op->id, CL_TASK, op->eid, CL_CREATE,
		    patch.buf, pg_value(w, 0, 0), op->hlc);
		applied(op, seq, &sup, &confs);
		goto out;
	}

	/* The row exists: a merge, whatever the kind. */
	rf = pg_value(res, 0, 3);
	rh = pg_value(res, 0, 4);
	creator = pg_value(res, 0, 1);
	assignee = pg_value(res, 0, 2);
	current_json(&cur, rf, rh);
	if (rjson_parse(&rowf, rf, strlen(rf), 8, &r->err) != 0 ||
	    rjson_parse(&rowh, rh, strlen(rh), 8, &r->err) != 0)
		goto dberr;
	if (strcmp(pg_value(res, 0, 0), s->id) != 0) {
		reject(op, "invalid", cur.buf, "the task is in another scope");
		goto out;
	}
	if (s->role[0] == '\0' || (strcmp(s->role, "member") == 0 &&
	    strcmp(creator, r->c->user_id) != 0 &&
	    (assignee == NULL || strcmp(assignee, r->c->user_id) != 0))) {
		reject(op, "forbidden", cur.buf, "a member may change only "
		    "tasks they created or are assigned");
		goto out;
	}
	/* Validate all first: a refused op writes nothing. */
	for (i = 0; i < in.n; i++) {
		if (!task_field_known(in.f[i].name))
			continue;
		if (op->kind == OP_DELETE || op->kind == OP_RESTORE)
			break;
		chk = task_field_check(r, op, s->id, s->role, in.f[i].name,
		    why, sizeof why);
		if (chk < 0)
			goto dberr;
		if (chk > 0) {
			reject(op, chk == 2 ? "forbidden" : "invalid", cur.buf,
			    "%s", why);
			goto out;
		}
	}
	strbuf_addch(&patch, '{');
	strbuf_addch(&ph, '{');
	for (i = 0; i < in.n; i++) {
		const char *f = in.f[i].name, *have = sget(rowh, f);
		bool win;

		if (!task_field_known(f))
			continue;
		win = hlc_gt(op->hlc, have);
		if (is_text_field(op->e, f) && op->base != NULL &&
		    sget(op->base, f) != NULL &&
		    strcmp(sget(op->base, f), have != NULL ? have : "") != 0 &&
		    sget(rowf, f) != NULL && sget(op->fields, f) != NULL &&
		    strcmp(sget(rowf, f), sget(op->fields, f)) != 0) {
			struct strbuf old = STRBUF_INIT;

			strbuf_add_json_str(&old, sget(rowf, f));
			if (win)
				conflict_add(r, s, op, &confs, f, old.buf,
				    have != NULL ? have : "", in.f[i].val,
				    op->hlc);
			else
				conflict_add(r, s, op, &confs, f, in.f[i].val,
				    op->hlc, old.buf, have);
			strbuf_release(&old);
		}
		if (!win) {
			strbuf_addstr(&sup, sup.len ? "," : "");
			strbuf_add_json_str(&sup, f);
			continue;
		}
		strbuf_addstr(&patch, np ? "," : "");
		strbuf_add_json_str(&patch, f);
		strbuf_addf(&patch, ":%s", in.f[i].val);
		strbuf_addstr(&ph, np ? "," : "");
		strbuf_add_json_str(&ph, f);
		strbuf_addch(&ph, ':');
		strbuf_add_json_str(&ph, op->hlc);
		np++;
	}
	strbuf_addch(&patch, '}');
	strbuf_addch(&ph, '}');
	if (np == 0) {
		superseded(op);
		goto out;
	}
	full = op->kind == OP_RESTORE;
	seq = seq_next(s);
	snprintf(seqs, sizeof seqs, "%lld", (long long)seq);
	/* version/updated_at move as for a REST PATCH (If-Match). */
	if (pg_query(pg, &w, &r->err, "UPDATE tasks SET"
	    " title = CASE WHEN $2::jsonb ? 'title' THEN $2::jsonb->>'title'"
	    "  ELSE title END,"
	    " description = CASE WHEN $2::jsonb ? 'description'"
	    "  THEN $2::jsonb->>'description' ELSE description END,"
	    " status = CASE WHEN $2::jsonb ? 'status' THEN $2::jsonb->>'status'"
	    "  ELSE status END,"
	    " assignee_id = CASE WHEN $2::jsonb ? 'assignee_id'"
	    "  THEN ($2::jsonb->>'assignee_id')::uuid ELSE assignee_id END,"
	    " due_date = CASE WHEN $2::jsonb ? 'due_date'"
	    "  THEN ($2::jsonb->>'due_date')::date ELSE due_date END,"
	    " deleted = CASE WHEN $2::jsonb ? 'deleted'"
	    "  THEN ($2::jsonb->>'deleted')::boolean ELSE deleted END,"
	    " deleted_at = CASE WHEN $2::jsonb ? 'deleted' THEN CASE WHEN"
	    "  ($2::jsonb->>'deleted')::boolean THEN now() END"
	    "  ELSE deleted_at END,"
	    " metadata = (SELECT coalesce(jsonb_object_agg(mk, mv),"
	    "  '{}'::jsonb) FROM jsonb_each(metadata || coalesce((SELECT"
	    "  jsonb_object_agg(substr(key, 10), value) FROM"
	    "  jsonb_each($2::jsonb) WHERE key LIKE 'metadata.%'),"
	    "  '{}'::jsonb)) AS m(mk, mv) WHERE mv <> 'null'::jsonb),"
	    " version = version + 1, updated_at = now(),"
	    " fhlc = fhlc || $3::jsonb, last_seq = $4::bigint"
	    " WHERE id = $1 RETURNING " TASK_FIELDS "::text, fhlc::text", 4,
	    op->eid, patch.buf, ph.buf, seqs) != 0)
		goto dberr;
	log_add(r, s, seq, op->id, CL_TASK, op->eid,
	    op->kind == OP_DELETE ? CL_DELETE : full ? CL_RESTORE : CL_SET,
	    full ? pg_value(w, 0, 0) : patch.buf,
	    full ? pg_value(w, 0, 1) : ph.buf, op->hlc);
	applied(op, seq, &sup, &confs);
	goto out;
dberr:
	rc = -1;
out:
	pg_res_free(res);
	pg_res_free(w);
	rjson_free(rowf);
	rjson_free(rowh);
	fvs_free(&in);
	strbuf_release(&cur);
	strbuf_release(&patch);
	strbuf_release(&ph);
	strbuf_release(&sup);
	strbuf_release(&confs);
	return rc;
}

/* ---- time entries (SYNC.md 3.11) ------------------------------------ */

struct te {
	char id[UUID_STRLEN + 1];
	char ws[UUID_STRLEN + 1];
	char user[UUID_STRLEN + 1];
	char task[UUID_STRLEN + 1];	/* "" = none */
	bool manual, deleted;
	int64_t start, end;		/* end -1 = running */
	char end_src[8];
	char *notes;
	char start_hlc[HLC_STRLEN + 1];
	int64_t stop_at, auto_at, edit_end;	/* -1 = none */
	char stop_hlc[HLC_STRLEN + 1], auto_hlc[HLC_STRLEN + 1],
	    edit_hlc[HLC_STRLEN + 1];
};

#define TE_COLS \
	"id, workspace_id, user_id, task_id, origin = 'manual', deleted," \
	" tock_ms(start_time), tock_ms(end_time), end_src, notes, start_hlc," \
	" tock_ms(stop_at), stop_hlc, tock_ms(auto_at), auto_hlc," \
	" tock_ms(edit_end), edit_hlc"
#define TE_FIELDS \
	"jsonb_build_object('workspace_id', workspace_id, 'user_id'," \
	" user_id, 'task_id', task_id, 'origin', origin, 'start_time'," \
	" tock_ms(start_time), 'end_time', tock_ms(end_time), 'end_src'," \
	" end_src, 'notes', notes, 'deleted', deleted)"

static int64_t
i64(const char *v)
{
	return v != NULL ? strtoll(v, NULL, 10) : -1;
}

static void
cpy(char *dst, size_t n, const char *v)
{
	snprintf(dst, n, "%s", v != NULL ? v : "");
}

static void
te_read(struct te *t, const struct pg_res *res, int row)
{
	memset(t, 0, sizeof *t);
	cpy(t->id, sizeof t->id, pg_value(res, row, 0));
	cpy(t->ws, sizeof t->ws, pg_value(res, row, 1));
	cpy(t->user, sizeof t->user, pg_value(res, row, 2));
	cpy(t->task, sizeof t->task, pg_value(res, row, 3));
	t->manual = strcmp(pg_value(res, row, 4), "t") == 0;
	t->deleted = strcmp(pg_value(res, row, 5), "t") == 0;
	t->start = i64(pg_value(res, row, 6));
	t->end = i64(pg_value(res, row, 7));
	cpy(t->end_src, sizeof t->end_src, pg_value(res, row, 8));
	t->notes = strdup(pg_value(res, row, 9));
	cpy(t->start_hlc, sizeof t->start_hlc, pg_value(res, row, 10));
	t->stop_at = i64(pg_value(res, row, 11));
	cpy(t->stop_hlc, sizeof t->stop_hlc, pg_value(res, row, 12));
	t->auto_at = i64(pg_value(res, row, 13));
	cpy(t->auto_hlc, sizeof t->auto_hlc, pg_value(res, row, 14));
	t->edit_end = i64(pg_value(res, row, 15));
	cpy(t->edit_hlc, sizeof t->edit_hlc, pg_value(res, row, 16));
}

/* ended_at as a pure function of the stops, newer starts and the edit. */
static void
te_recompute(struct te *t)
{
	int64_t m = -1;
	const char *mh = NULL, *src = NULL;

	if (t->manual)
		return;
	if (t->stop_at >= 0) {
		m = t->stop_at;
		mh = t->stop_hlc;
		src = "stop";
	}
	if (t->auto_at >= 0 && (m < 0 || t->auto_at < m)) {
		m = t->auto_at;
		mh = t->auto_hlc;
		src = "auto";
	}
	if (t->edit_end >= 0 && (m < 0 || strcmp(t->edit_hlc, mh) > 0)) {
		t->end = t->edit_end < t->start ? t->start : t->edit_end;
		snprintf(t->end_src, sizeof t->end_src, "edit");
	} else if (m >= 0) {
		t->end = m < t->start ? t->start : m;
		snprintf(t->end_src, sizeof t->end_src, "%s", src);
	} else {
		t->end = -1;
		t->end_src[0] = '\0';
	}
}

static void
num(char *b, size_t n, int64_t v)
{
	snprintf(b, n, "%lld", (long long)v);
}

/* Write t (insert when new) with fhlc patch ph and last_seq seq. */
static int
te_write(struct run *r, const struct te *t, bool insert, const char *ph,
    int64_t seq)
{
	char st[24], en[24], so[24], au[24], ed[24], sq[24];
	const char *p[19];

	num(st, sizeof st, t->start);
	num(en, sizeof en, t->end);
	num(so, sizeof so, t->stop_at);
	num(au, sizeof au, t->auto_at);
	num(ed, sizeof ed, t->edit_end);
	num(sq, sizeof sq, seq);
	p[0] = t->id;
	p[1] = t->ws;
	p[2] = t->user;
	p[3] = t->task[0] != '\0' ? t->task : NULL;
	p[4] = t->manual ? "manual" : "timer";
	p[5] = st;
	p[6] = t->end >= 0 ? en : NULL;
	p[7] = t->end_src[0] != '\0' ? t->end_src : NULL;
	p[8] = t->notes != NULL ? t->notes : "";
	p[9] = t->deleted ? "t" : "f";
	p[10] = t->start_hlc;
	p[11] = t->stop_at >= 0 ? so : NULL;
	p[12] = t->stop_at >= 0 ? t->stop_hlc : NULL;
	p[13] = t->auto_at >= 0 ? au : NULL;
	p[14] = t->auto_at >= 0 ? t->auto_hlc : NULL;
	p[15] = t->edit_end >= 0 ? ed : NULL;
	p[16] = t->edit_end >= 0 ? t->edit_hlc : NULL;
	p[17] = ph;
	p[18] = sq;
	if (insert)
		return pg_exec(r->c->pg, NULL, "INSERT INTO time_entries (id,"
		    " workspace_id, user_id, task_id, origin, start_time,"
		    " end_time, end_src, notes, deleted, start_hlc, stop_at,"
		    " stop_hlc, auto_at, auto_hlc, edit_end, edit_hlc, fhlc,"
		    " last_seq) VALUES ($1, $2, $3, $4, $5,"
		    " to_timestamp($6::float8 / 1000),"
		    " to_timestamp($7::float8 / 1000), $8, $9, $10::boolean, $11,"
		    " to_timestamp($12::float8 / 1000), $13,"
		    " to_timestamp($14::float8 / 1000), $15,"
		    " to_timestamp($16::float8 / 1000), $17, $18::jsonb,"
		    " $19::bigint)", 19, p, &r->err);
	return pg_exec(r->c->pg, NULL, "UPDATE time_entries SET task_id = $4,"
	    " start_time = to_timestamp($6::float8 / 1000),"
	    " end_time = to_timestamp($7::float8 / 1000), end_src = $8,"
	    " notes = $9, deleted = $10::boolean, deleted_at = CASE WHEN"
	    "  NOT $10::boolean THEN NULL WHEN deleted THEN deleted_at"
	    "  ELSE now() END, stop_at = to_timestamp($12::float8 / 1000),"
	    " stop_hlc = $13, auto_at = to_timestamp($14::float8 / 1000),"
	    " auto_hlc = $15, edit_end = to_timestamp($16::float8 / 1000),"
	    " edit_hlc = $17, fhlc = fhlc || $18::jsonb,"
	    " last_seq = CASE WHEN $19::bigint < 0 THEN last_seq"
	    "  ELSE $19::bigint END, version = version + 1,"
	    " updated_at = now()"
	    " WHERE id = $1 AND ($2::uuid IS NOT NULL OR $3::uuid IS NOT NULL"
	    "  OR $5::text IS NOT NULL OR $11::text IS NOT NULL)", 19, p,
	    &r->err);
}

static void
end_json(struct strbuf *b, const struct te *t)
{
	if (t->end >= 0)
		strbuf_addf(b, "\"end_time\":%lld,\"end_src\":",
		    (long long)t->end);
	else
		strbuf_addstr(b, "\"end_time\":null,\"end_src\":");
	if (t->end_src[0] != '\0')
		strbuf_add_json_str(b, t->end_src);
	else
		strbuf_addstr(b, "null");
}

/* A newer start y (at ystart, clock yhlc) lowers the auto end of every
 * older timer entry of the user; each changed one gets an effect row. */
static int
timer_effects(struct run *r, struct push_op *op, int64_t ystart)
{
	struct pg_res *res = NULL;
	struct te x;
	struct strbuf f = STRBUF_INIT, ph = STRBUF_INIT;
	char ys[24], hlc[HLC_STRLEN + 1];
	struct scope *xs;
	int i, rc = 0;
	int64_t old_end, seq;
	char old_src[8];

	num(ys, sizeof ys, ystart);
	if (pg_query(r->c->pg, &res, &r->err, "SELECT " TE_COLS
	    " FROM time_entries WHERE user_id = $1 AND origin = 'timer'"
	    " AND start_hlc < $2 AND (end_time IS NULL OR end_src = 'edit'"
	    " OR end_time > to_timestamp($3::float8 / 1000))"
	    " ORDER BY id FOR UPDATE", 3, r->c->user_id, op->hlc, ys) != 0)
		return -1;
	for (i = 0; i < pg_nrows(res) && rc == 0; i++) {
		te_read(&x, res, i);
		old_end = x.end;
		snprintf(old_src, sizeof old_src, "%s", x.end_src);
		if (x.auto_at < 0 || ystart < x.auto_at) {
			x.auto_at = ystart;
			snprintf(x.auto_hlc, sizeof x.auto_hlc, "%s", op->hlc);
		}
		te_recompute(&x);
		if ((xs = scope_find(r, x.ws)) == NULL || !xs->locked) {
			rc = tock_err_set(&r->err, TOCK_ERR, "scope %s of an "
			    "auto-stopped entry is not locked", x.ws);
			rc = -1;
		} else {
			/* A server HLC: newer than anything on the row. */
			srvhlc_next(hlc, op->hlc);
			strbuf_reset(&f);
			strbuf_reset(&ph);
			strbuf_addch(&f, '{');
			end_json(&f, &x);
			strbuf_addch(&f, '}');
			strbuf_addstr(&ph, "{\"end_time\":");
			strbuf_add_json_str(&ph, hlc);
			strbuf_addstr(&ph, ",\"end_src\":");
			strbuf_add_json_str(&ph, hlc);
			strbuf_addch(&ph, '}');
			seq = old_end != x.end || strcmp(old_src, x.end_src) != 0 ?
			    seq_next(xs) : 0;
			if (seq == 0) {
				/* The end did not move: keep the lowered
				 * auto_at only (no log row needed). */
				if (te_write(r, &x, false, "{}", -1) != 0)
					rc = -1;
			} else if (te_write(r, &x, false, ph.buf, seq) != 0)
				rc = -1;
			else
				log_add(r, xs, seq, NULL, CL_TIME_ENTRY, x.id,
				    CL_SET, f.buf, ph.buf, hlc);
		}
		free(x.notes);
	}
	pg_res_free(res);
	strbuf_release(&f);
	strbuf_release(&ph);
	return rc;
}

static bool
te_field_known(const char *f)
{
	static const char *const k[] = { "task_id", "start_time", "end_time",
		"notes", "deleted", NULL };
	int i;

	for (i = 0; k[i] != NULL; i++)
		if (strcmp(f, k[i]) == 0)
			return true;
	return false;
}

static int
do_entry(struct run *r, struct push_op *op, struct scope *s)
{
	struct pg *pg = r->c->pg;
	struct pg_res *res = NULL;
	struct rjson *rowh = NULL;
	struct te t;
	struct fvs in = { 0 };
	struct strbuf cur = STRBUF_INIT, f = STRBUF_INIT, ph = STRBUF_INIT,
	    sup = STRBUF_INIT, confs = STRBUF_INIT;
	const char *sv, *have;
	char hlc[HLC_STRLEN + 1];
	int64_t v, seq, old_end;
	int i, k, rc = 0, nf = 0;
	bool b, exists, endmoved;
	char old_src[8];

	memset(&t, 0, sizeof t);
	if (pg_query(pg, &res, &r->err, "SELECT " TE_COLS ", " TE_FIELDS
	    "::text, fhlc::text FROM time_entries WHERE id = $1", 1,
	    op->eid) != 0)
		return -1;
	exists = pg_nrows(res) == 1;
	if (op->kind == OP_DELETE || op->kind == OP_RESTORE) {
		in.n = 1;
		snprintf(in.f[0].name, sizeof in.f[0].name, "deleted");
		in.f[0].val = strdup(op->kind == OP_DELETE ? "true" : "false");
	} else if (rjson_each_member(op->doc, "fields", fv_cb, &in) != 0) {
		reject(op, "invalid", NULL, "too many fields");
		goto out;
	}
	/* Types of the fields given. */
	if ((k = rjson_get_str(op->fields, "task_id", &sv, NULL)) < 0 ||
	    (k == RJ_VALUE && !uuid_valid(sv))) {
		reject(op, "invalid", NULL, "'task_id' must be a UUID or null");
		goto out;
	}
	if (rjson_get_int(op->fields, "start_time", &v, NULL) == TOCK_EINVAL ||
	    rjson_get_int(op->fields, "end_time", &v, NULL) == TOCK_EINVAL ||
	    rjson_get_str(op->fields, "notes", &sv, NULL) == TOCK_EINVAL ||
	    rjson_get_bool(op->fields, "deleted", &b, NULL) == TOCK_EINVAL) {
		reject(op, "invalid", NULL, "bad field type");
		goto out;
	}
	if ((sv = sget(op->fields, "notes")) != NULL &&
	    model_check_text("notes", sv, TEXT_MAX, &r->err) != 0) {
		reject(op, "invalid", NULL, "%s", r->err.msg);
		goto out;
	}

	if (!exists) {
		if (op->kind != OP_CREATE && op->kind != OP_TIMER_START) {
			reject(op, "not_found", NULL, "no such time entry");
			goto out;
		}
		if (s->role[0] == '\0') {
			reject(op, "forbidden", NULL, "not a member of the "
			    "workspace");
			goto out;
		}
		if ((sv = sget(op->fields, "user_id")) != NULL &&
		    strcmp(sv, r->c->user_id) != 0) {
			reject(op, "forbidden", NULL, "a time entry is created "
			    "by its own user only");
			goto out;
		}
		snprintf(t.id, sizeof t.id, "%s", op->eid);
		snprintf(t.ws, sizeof t.ws, "%s", s->id);
		snprintf(t.user, sizeof t.user, "%s", r->c->user_id);
		if ((sv = sget(op->fields, "task_id")) != NULL)
			snprintf(t.task, sizeof t.task, "%s", sv);
		sv = sget(op->fields, "origin");
		t.manual = op->kind == OP_CREATE && ((sv != NULL &&
		    strcmp(sv, "manual") == 0) || (sv == NULL &&
		    rjson_get_int(op->fields, "end_time", &v, NULL) ==
		    RJ_VALUE));
		if (rjson_get_int(op->fields, "start_time", &t.start, NULL) !=
		    RJ_VALUE || t.start < 0) {
			reject(op, "invalid", NULL, "'start_time' is required");
			goto out;
		}
		t.end = t.stop_at = t.auto_at = t.edit_end = -1;
		t.notes = strdup((sv = sget(op->fields, "notes")) != NULL ?
		    sv : "");
		b = false;
		rjson_get_bool(op->fields, "deleted", &b, NULL);
		t.deleted = b;
		snprintf(t.start_hlc, sizeof t.start_hlc, "%s", op->hlc);
		if (rjson_get_int(op->fields, "end_time", &v, NULL) == RJ_VALUE) {
			if (v < t.start) {
				reject(op, "invalid", NULL, "'end_time' is "
				    "before 'start_time'");
				goto out;
			}
			if (t.manual) {
				t.end = v;
				snprintf(t.end_src, sizeof t.end_src, "edit");
			} else {
				t.stop_at = v;
				snprintf(t.stop_hlc, sizeof t.stop_hlc, "%s",
				    op->hlc);
			}
		}
		if (t.task[0] != '\0') {
			struct pg_res *tk = NULL;

			if (pg_query(pg, &tk, &r->err, "SELECT 1 FROM tasks"
			    " WHERE id = $1 AND workspace_id = $2", 2, t.task,
			    t.ws) != 0)
				goto dberr;
			k = pg_nrows(tk);
			pg_res_free(tk);
			if (k != 1) {
				reject(op, "invalid", NULL, "'task_id' is not a "
				    "task of the workspace");
				goto out;
			}
		}
		if (!t.manual) {
			/* Newer starts already stored end this one. */
			struct pg_res *nw = NULL;

			if (pg_query(pg, &nw, &r->err, "SELECT"
			    " tock_ms(start_time), start_hlc FROM time_entries"
			    " WHERE user_id = $1 AND origin = 'timer' AND"
			    " start_hlc > $2 ORDER BY start_time, start_hlc"
			    " LIMIT 1", 2, r->c->user_id, op->hlc) != 0)
				goto dberr;
			if (pg_nrows(nw) == 1) {
				t.auto_at = i64(pg_value(nw, 0, 0));
				cpy(t.auto_hlc, sizeof t.auto_hlc,
				    pg_value(nw, 0, 1));
			}
			pg_res_free(nw);
			te_recompute(&t);
			/* Older entries stop first: one_running_timer is
			 * checked per statement. */
			if (timer_effects(r, op, t.start) != 0)
				goto dberr;
		}
		strbuf_addch(&f, '{');
		strbuf_addstr(&f, "\"workspace_id\":");
		strbuf_add_json_str(&f, t.ws);
		strbuf_addstr(&f, ",\"user_id\":");
		strbuf_add_json_str(&f, t.user);
		strbuf_addstr(&f, ",\"task_id\":");
		if (t.task[0] != '\0')
			strbuf_add_json_str(&f, t.task);
		else
			strbuf_addstr(&f, "null");
		strbuf_addf(&f, ",\"origin\":\"%s\",\"start_time\":%lld,",
		    t.manual ? "manual" : "timer", (long long)t.start);
		end_json(&f, &t);
		strbuf_addstr(&f, ",\"notes\":");
		strbuf_add_json_str(&f, t.notes);
		strbuf_addf(&f, ",\"deleted\":%s}", t.deleted ? "true" :
		    "false");
		seq = seq_next(s);
		{
			struct pg_res *fh = NULL;
			const char *fp[2] = { f.buf, op->hlc };

			if (pg_exec(pg, &fh, "SELECT tock_fhlc($1::jsonb, $2)"
			    "::text", 2, fp, &r->err) != 0)
				goto dberr;
			strbuf_addstr(&ph, pg_value(fh, 0, 0));
			pg_res_free(fh);
		}
		if (te_write(r, &t, true, ph.buf, seq) != 0)
			goto dberr;
		log_add(r, s, seq, op->id, CL_TIME_ENTRY, t.id, CL_CREATE,
		    f.buf, ph.buf, op->hlc);
		applied(op, seq, &sup, &confs);
		goto out;
	}

	te_read(&t, res, 0);
	current_json(&cur, pg_value(res, 0, 17), pg_value(res, 0, 18));
	if (rjson_parse(&rowh, pg_value(res, 0, 18),
	    strlen(pg_value(res, 0, 18)), 8, &r->err) != 0)
		goto dberr;
	if (strcmp(t.ws, s->id) != 0) {
		reject(op, "invalid", cur.buf, "the entry is in another scope");
		goto out;
	}
	if (s->role[0] == '\0' || (strcmp(t.user, r->c->user_id) != 0 &&
	    strcmp(s->role, "admin") != 0)) {
		reject(op, "forbidden", cur.buf, "only its owner or an admin "
		    "may change a time entry");
		goto out;
	}
	if ((sv = sget(op->fields, "task_id")) != NULL) {
		struct pg_res *tk = NULL;

		if (pg_query(pg, &tk, &r->err, "SELECT 1 FROM tasks WHERE"
		    " id = $1 AND workspace_id = $2", 2, sv, t.ws) != 0)
			goto dberr;
		k = pg_nrows(tk);
		pg_res_free(tk);
		if (k != 1) {
			reject(op, "invalid", cur.buf, "'task_id' is not a task "
			    "of the workspace");
			goto out;
		}
	}
	if (op->kind == OP_TIMER_STOP && (t.manual ||
	    rjson_get_int(op->fields, "end_time", &v, NULL) != RJ_VALUE)) {
		reject(op, "invalid", cur.buf, "timer.stop needs 'end_time' "
		    "of a timer entry");
		goto out;
	}
	if (rjson_get_int(op->fields, "end_time", &v, NULL) == RJ_NULL) {
		reject(op, "invalid", cur.buf, "'end_time' cannot be cleared");
		goto out;
	}
	old_end = t.end;
	snprintf(old_src, sizeof old_src, "%s", t.end_src);
	strbuf_addch(&f, '{');
	strbuf_addch(&ph, '{');
	for (i = 0; i < in.n; i++) {
		const char *fn = in.f[i].name;
		bool win;

		if (!te_field_known(fn))
			continue;
		have = sget(rowh, fn);
		win = hlc_gt(op->hlc, have);
		if (strcmp(fn, "end_time") == 0 && !t.manual) {
			/* Derived (SYNC.md 3.11): stops take the min, an
			 * edit is LWW against the op behind the min. */
			rjson_get_int(op->fields, "end_time", &v, NULL);
			if (op->kind == OP_TIMER_STOP) {
				if (t.stop_at < 0 || v < t.stop_at) {
					t.stop_at = v;
					snprintf(t.stop_hlc, sizeof t.stop_hlc,
					    "%s", op->hlc);
				}
			} else if (t.edit_end < 0 ||
			    strcmp(op->hlc, t.edit_hlc) > 0) {
				t.edit_end = v;
				snprintf(t.edit_hlc, sizeof t.edit_hlc, "%s",
				    op->hlc);
			}
			continue;
		}
		if (is_text_field(op->e, fn) && op->base != NULL &&
		    sget(op->base, fn) != NULL &&
		    strcmp(sget(op->base, fn), have != NULL ? have : "") != 0 &&
		    sget(op->fields, fn) != NULL &&
		    strcmp(t.notes, sget(op->fields, fn)) != 0) {
			struct strbuf old = STRBUF_INIT;

			strbuf_add_json_str(&old, t.notes);
			if (win)
				conflict_add(r, s, op, &confs, fn, old.buf,
				    have != NULL ? have : "", in.f[i].val,
				    op->hlc);
			else
				conflict_add(r, s, op, &confs, fn, in.f[i].val,
				    op->hlc, old.buf, have);
			strbuf_release(&old);
		}
		if (!win) {
			strbuf_addstr(&sup, sup.len ? "," : "");
			strbuf_add_json_str(&sup, fn);
			continue;
		}
		if (strcmp(fn, "task_id") == 0)
			cpy(t.task, sizeof t.task, sget(op->fields, fn));
		else if (strcmp(fn, "start_time") == 0)
			rjson_get_int(op->fields, fn, &t.start, NULL);
		else if (strcmp(fn, "notes") == 0) {
			free(t.notes);
			t.notes = strdup(sget(op->fields, fn));
		} else if (strcmp(fn, "deleted") == 0) {
			b = strcmp(in.f[i].val, "true") == 0;
			t.deleted = b;
		} else if (strcmp(fn, "end_time") == 0) {
			rjson_get_int(op->fields, fn, &t.end, NULL);
			snprintf(t.end_src, sizeof t.end_src, "edit");
		}
		strbuf_addstr(&f, nf ? "," : "");
		strbuf_add_json_str(&f, fn);
		strbuf_addf(&f, ":%s", in.f[i].val);
		strbuf_addstr(&ph, nf ? "," : "");
		strbuf_add_json_str(&ph, fn);
		strbuf_addch(&ph, ':');
		strbuf_add_json_str(&ph, op->hlc);
		nf++;
	}
	te_recompute(&t);
	if (t.end >= 0 && t.end < t.start) {
		reject(op, "invalid", cur.buf, "'end_time' would be before "
		    "'start_time'");
		goto out;
	}
	endmoved = t.end != old_end || strcmp(old_src, t.end_src) != 0;
	if (endmoved) {
		/* The derived end carries a server clock newer than the
		 * row's, so replicas' LWW follows the server. */
		srvhlc_next(hlc, op->hlc);
		if ((have = sget(rowh, "end_time")) != NULL &&
		    strcmp(hlc, have) <= 0)
			srvhlc_next(hlc, have);
		strbuf_addstr(&f, nf ? "," : "");
		end_json(&f, &t);
		strbuf_addstr(&ph, nf ? ",\"end_time\":" : "\"end_time\":");
		strbuf_add_json_str(&ph, hlc);
		strbuf_addstr(&ph, ",\"end_src\":");
		strbuf_add_json_str(&ph, hlc);
		nf++;
	}
	strbuf_addch(&f, '}');
	strbuf_addch(&ph, '}');
	if (nf == 0) {
		/* Nothing visible moved; a stop or edit that lost is still
		 * kept in the row's state for later recomputes. */
		if (te_write(r, &t, false, "{}", -1) != 0)
			goto dberr;
		superseded(op);
		goto out;
	}
	seq = seq_next(s);
	if (te_write(r, &t, false, ph.buf, seq) != 0)
		goto dberr;
	log_add(r, s, seq, op->id, CL_TIME_ENTRY, t.id,
	    op->kind == OP_DELETE ? CL_DELETE : op->kind == OP_RESTORE ?
	    CL_RESTORE : CL_SET, f.buf, ph.buf, op->hlc);
	applied(op, seq, &sup, &confs);
	goto out;
dberr:
	rc = -1;
out:
	pg_res_free(res);
	rjson_free(rowh);
	free(t.notes);
	fvs_free(&in);
	strbuf_release(&cur);
	strbuf_release(&f);
	strbuf_release(&ph);
	strbuf_release(&sup);
	strbuf_release(&confs);
	return rc;
}

/* ---- the transaction ------------------------------------------------ */

/* "{a,b}" for = ANY($1::uuid[]). */
static void
uuid_array(struct strbuf *b, const char *const *ids, int n)
{
	int i;

	strbuf_addch(b, '{');
	for (i = 0; i < n; i++) {
		if (i > 0)
			strbuf_addch(b, ',');
		strbuf_addstr(b, ids[i]);
	}
	strbuf_addch(b, '}');
}

static const char *
op_scope_uuid(const struct push_op *op)
{
	return strncmp(op->scope, "u:", 2) == 0 ? op->scope + 2 : op->scope;
}

static void
answer(struct run *r, int64_t through)
{
	struct resp *rs = r->c->rs;
	int i, first = 1;

	strbuf_reset(&rs->body);
	strbuf_addf(&rs->body, "{\"v\":1,\"server_time\":%lld,"
	    "\"applied_through\":%lld,\"results\":[", (long long)time_now_ms(),
	    (long long)through);
	for (i = 0; i < r->c->nops; i++) {
		if (i > 0)
			strbuf_addch(&rs->body, ',');
		strbuf_addstr(&rs->body, r->c->ops[i].result.buf);
	}
	strbuf_addstr(&rs->body, "],\"heads\":{");
	for (i = 0; i < r->nsc; i++) {
		if (!r->sc[i].locked)
			continue;
		strbuf_addstr(&rs->body, first ? "" : ",");
		first = 0;
		strbuf_add_json_str(&rs->body, r->sc[i].id);
		strbuf_addf(&rs->body, ":%lld",
		    (long long)(r->sc[i].last + r->sc[i].next));
	}
	strbuf_addstr(&rs->body, "}}");
	rs->status = 200;
}

/* The whole batch in one transaction.  0, -1 after answering, or 1 on
 * an unexpected database error (rolled back; r->err says what). */
static int
run_tx(struct run *r, int64_t *through)
{
	struct push_ctx *c = r->c;
	struct pg *pg = c->pg;
	struct pg_res *res = NULL;
	struct strbuf ids = STRBUF_INIT, ap = STRBUF_INIT;
	const char **v = NULL;
	int64_t last_client_seq, dev_rat, maxseq = 0;
	int i, j, nv = 0, retry_from = c->nops, nap = 0;
	bool te = false;
	int64_t min_start = -1;

	r->now = time_now_ms();
	if (pg_begin(pg, c->user_id, &r->err) != 0 ||
	    pg_query(pg, &res, &r->err, "SELECT user_id, revoked_at IS NOT"
	    " NULL, last_client_seq, results_acked_through FROM devices"
	    " WHERE id = $1 FOR UPDATE", 1, c->device_id) != 0)
		goto dberr;
	if (pg_nrows(res) != 1 || strcmp(pg_value(res, 0, 0), c->user_id) !=
	    0) {
		resp_error(c->rs, 403, "forbidden", "not a device of yours");
		goto refused;
	}
	if (strcmp(pg_value(res, 0, 1), "t") == 0) {
		resp_error(c->rs, 401, "device_revoked", "this device was "
		    "logged out; log in again");
		goto refused;
	}
	last_client_seq = i64(pg_value(res, 0, 2));
	dev_rat = i64(pg_value(res, 0, 3));
	pg_res_free(res);
	res = NULL;
	if (c->results_acked_through < dev_rat)
		goto rewound;

	/* Dedup by op id (never by seq: coalescing leaves gaps). */
	v = calloc((size_t)c->nops + 1, sizeof *v);
	for (i = 0; i < c->nops; i++)
		v[i] = c->ops[i].id;
	uuid_array(&ids, v, c->nops);
	if (pg_query(pg, &res, &r->err, "SELECT op_id, result::text FROM"
	    " applied_ops WHERE op_id = ANY($1::uuid[])", 1, ids.buf) != 0)
		goto dberr;
	for (j = 0; j < pg_nrows(res); j++)
		for (i = 0; i < c->nops; i++)
			if (c->ops[i].status == ST_NONE &&
			    strcmp(c->ops[i].id, pg_value(res, j, 0)) == 0) {
				c->ops[i].status = ST_DUPLICATE;
				result_head(&c->ops[i], "duplicate");
				strbuf_addf(&c->ops[i].result,
				    ",\"original\":%s}", pg_value(res, j, 1));
			}
	pg_res_free(res);
	res = NULL;
	for (i = 0; i < c->nops; i++) {
		struct push_op *op = &c->ops[i];

		if (op->status == ST_NONE && op->seq <= last_client_seq)
			goto rewound;
		if (op->status == ST_NONE && retry_from == c->nops &&
		    (int64_t)op->h.l > r->now + CLOCK_AHEAD_MS)
			retry_from = i;
		if (op->status == ST_NONE && i >= retry_from) {
			op->status = ST_RETRY;
			result_head(op, "retry");
			strbuf_addf(&op->result, ",\"code\":\"clock_ahead\","
			    "\"server_time\":%lld}", (long long)r->now);
		}
		if (op->status != ST_NONE)
			continue;
		if (op->e == CL_TIME_ENTRY) {
			int64_t st;

			te = true;
			if (op->kind == OP_TIMER_START &&
			    rjson_get_int(op->fields, "start_time", &st,
			    NULL) == RJ_VALUE && (min_start < 0 ||
			    st < min_start))
				min_start = st;
		}
	}

	/* Lock order: device, user, scopes ascending, rows. */
	if (te && pg_query(pg, NULL, &r->err, "SELECT 1 FROM users WHERE"
	    " id = $1 FOR NO KEY UPDATE", 1, c->user_id) != 0)
		goto dberr;
	for (i = 0; i < c->nops; i++)
		if (c->ops[i].status == ST_NONE)
			scope_add(r, op_scope_uuid(&c->ops[i]));
	if (min_start >= 0) {
		/* Scopes of older entries a timer.start may auto-stop: the
		 * user row lock keeps this set from growing meanwhile. */
		char ms[24];

		num(ms, sizeof ms, min_start);
		if (pg_query(pg, &res, &r->err, "SELECT DISTINCT workspace_id"
		    " FROM time_entries WHERE user_id = $1 AND origin = 'timer'"
		    " AND (end_time IS NULL OR end_src = 'edit' OR end_time >"
		    " to_timestamp($2::float8 / 1000))", 2, c->user_id, ms) !=
		    0)
			goto dberr;
		for (j = 0; j < pg_nrows(res); j++)
			scope_add(r, pg_value(res, j, 0));
		pg_res_free(res);
		res = NULL;
	}
	strbuf_reset(&ids);
	free(v);
	v = calloc((size_t)r->nsc + 1, sizeof *v);
	for (i = 0; i < r->nsc; i++)
		v[nv++] = r->sc[i].id;
	uuid_array(&ids, v, nv);
	if (pg_query(pg, &res, &r->err, "SELECT s.id, s.last_seq, (SELECT"
	    " role FROM memberships m WHERE m.workspace_id = s.id AND"
	    " m.user_id = $2) FROM scopes s WHERE s.id = ANY($1::uuid[])"
	    " ORDER BY s.id FOR UPDATE OF s", 2, ids.buf, c->user_id) != 0)
		goto dberr;
	for (j = 0; j < pg_nrows(res); j++) {
		struct scope *s = scope_find(r, pg_value(res, j, 0));

		s->locked = true;
		s->last = i64(pg_value(res, j, 1));
		cpy(s->role, sizeof s->role, pg_value(res, j, 2));
	}
	pg_res_free(res);
	res = NULL;

	for (i = 0; i < c->nops; i++) {
		struct push_op *op = &c->ops[i];
		struct scope *s;
		int rc = 0;

		if (op->status != ST_NONE)
			continue;
		s = scope_find(r, op_scope_uuid(op));
		if (strncmp(op->scope, "u:", 2) == 0)
			reject(op, "schema", NULL, "nothing is stored in the "
			    "user scope");
		else if (s == NULL || !s->locked)
			reject(op, "forbidden", NULL, "no such workspace");
		else if (op->e == CL_TASK)
			rc = do_task(r, op, s);
		else if (op->e == CL_TIME_ENTRY)
			rc = do_entry(r, op, s);
		else
			reject(op, "schema", NULL, "this server does not take "
			    "%s ops yet", op->e == CL_COMMENT ? "comment" :
			    "workspace");
		if (rc != 0)
			goto dberr;
	}

	/* The ledger, the log, conflicts, scope heads, the device. */
	strbuf_addch(&ap, '[');
	for (i = 0; i < c->nops; i++) {
		struct push_op *op = &c->ops[i];
		int st;

		if (op->status == ST_RETRY || op->status == ST_DUPLICATE)
			continue;
		if (op->seq > maxseq)
			maxseq = op->seq;
		st = op->status == ST_APPLIED ? 1 : op->status ==
		    ST_SUPERSEDED ? 2 : 3;
		strbuf_addstr(&ap, nap++ ? "," : "");
		strbuf_addstr(&ap, "{\"op_id\":");
		strbuf_add_json_str(&ap, op->id);
		strbuf_addf(&ap, ",\"client_seq\":%lld,\"status\":%d,"
		    "\"result\":%s}", (long long)op->seq, st, op->result.buf);
	}
	strbuf_addch(&ap, ']');
	if (r->nlog > 0) {
		strbuf_addch(&r->log, ']');
		if (pg_query(pg, NULL, &r->err, "INSERT INTO sync_log (scope_id,"
		    " seq, tx_last_seq, op_id, device_id, user_id, entity,"
		    " entity_id, kind, fields, fhlc) SELECT x.scope_id, x.seq,"
		    " max(x.seq) OVER (PARTITION BY x.scope_id), x.op_id,"
		    " CASE WHEN x.op_id IS NOT NULL THEN $2::uuid END, $3,"
		    " x.entity, x.entity_id, x.kind, x.fields, coalesce(x.fhlc,"
		    " tock_fhlc(x.fields, x.hlc)) FROM jsonb_to_recordset($1)"
		    " AS x(scope_id uuid, seq bigint, op_id uuid, entity"
		    " smallint, entity_id uuid, kind smallint, fields jsonb,"
		    " fhlc jsonb, hlc text)", 3, r->log.buf, c->device_id,
		    c->user_id) != 0)
			goto dberr;
	}
	if (r->nconf > 0) {
		strbuf_addch(&r->conf, ']');
		if (pg_query(pg, NULL, &r->err, "INSERT INTO conflicts"
		    " (scope_id, entity, entity_id, field, loser, loser_hlc,"
		    " winner_hlc) SELECT * FROM jsonb_to_recordset($1) AS"
		    " x(scope_id uuid, entity smallint, entity_id uuid, field"
		    " text, loser jsonb, loser_hlc text, winner_hlc text)", 1,
		    r->conf.buf) != 0)
			goto dberr;
	}
	for (i = 0; i < r->nsc; i++) {
		char last[24];

		if (!r->sc[i].locked || r->sc[i].next == 0)
			continue;
		num(last, sizeof last, r->sc[i].last + r->sc[i].next);
		if (pg_query(pg, NULL, &r->err, "UPDATE scopes SET last_seq ="
		    " $2, updated_at = now() WHERE id = $1", 2, r->sc[i].id,
		    last) != 0)
			goto dberr;
	}
	{
		char ms[24], rat[24];

		num(ms, sizeof ms, maxseq);
		num(rat, sizeof rat, c->results_acked_through);
		if ((nap > 0 && pg_query(pg, NULL, &r->err, "INSERT INTO"
		    " applied_ops (op_id, device_id, client_seq, status, result)"
		    " SELECT x.op_id, $2, x.client_seq, x.status, x.result FROM"
		    " jsonb_to_recordset($1) AS x(op_id uuid, client_seq bigint,"
		    " status smallint, result jsonb)", 2, ap.buf,
		    c->device_id) != 0) ||
		    pg_query(pg, &res, &r->err, "UPDATE devices SET"
		    " last_client_seq = GREATEST(last_client_seq, $2::bigint),"
		    " results_acked_through = GREATEST(results_acked_through,"
		    " $3::bigint), last_seen = now(), proto = 1, schema = 1"
		    " WHERE id = $1 RETURNING last_client_seq", 3,
		    c->device_id, ms, rat) != 0)
			goto dberr;
		*through = i64(pg_value(res, 0, 0));
		pg_res_free(res);
		res = NULL;
		/* The client promised never to resend these. */
		if (pg_query(pg, NULL, &r->err, "DELETE FROM applied_ops WHERE"
		    " device_id = $1 AND client_seq <= $2::bigint", 2,
		    c->device_id, rat) != 0 ||
		    pg_commit(pg, &r->err) != 0)
			goto dberr;
	}
	free(v);
	strbuf_release(&ids);
	strbuf_release(&ap);
	return 0;
rewound:
	strbuf_reset(&c->rs->body);
	resp_error(c->rs, 409, "replica_rewound", "this replica was restored "
	    "from an old copy: register it as a new device");
	strbuf_setlen(&c->rs->body, c->rs->body.len - 1);
	strbuf_addf(&c->rs->body, ",\"last_client_seq\":%lld}",
	    (long long)last_client_seq);
refused:
	pg_rollback(pg);
	pg_res_free(res);
	free(v);
	strbuf_release(&ids);
	strbuf_release(&ap);
	return -1;
dberr:
	pg_rollback(pg);
	pg_res_free(res);
	free(v);
	strbuf_release(&ids);
	strbuf_release(&ap);
	return 1;
}

static void
run_init(struct run *r, struct push_ctx *c)
{
	int i;

	memset(r, 0, sizeof *r);
	r->c = c;
	/* Ops' scopes plus those of auto-stopped entries. */
	r->sc = calloc((size_t)c->nops + 64, sizeof *r->sc);
	strbuf_init(&r->log, 0);
	strbuf_init(&r->conf, 0);
	for (i = 0; i < c->nops; i++) {
		c->ops[i].status = ST_NONE;
		strbuf_reset(&c->ops[i].result);
	}
}

static void
run_release(struct run *r)
{
	free(r->sc);
	strbuf_release(&r->log);
	strbuf_release(&r->conf);
}

/* fanout.c (another part) defines cl_notify; until it is linked in, this
 * weak no-op keeps the server linking.  A strong definition replaces it. */
__attribute__((weak)) void
cl_notify(const char *scope_id, int64_t head)
{
	(void)scope_id;
	(void)head;
}

void
push_run(struct push_ctx *c)
{
	struct run r;
	int64_t through = 0;
	int rc, i;

	run_init(&r, c);
	if (r.sc == NULL) {
		resp_internal(c->rs, c->rq, "out of memory");
		return;
	}
	rc = run_tx(&r, &through);
	if (rc == 1) {
		/* TODO(push): re-run one op per transaction, recording an op
		 * that fails twice as rejected: internal. */
		log_warnx("sync push of device %s: %s", c->device_id,
		    r.err.msg);
		api_db_error(c->rq, c->rs, r.err.code != 0 ? r.err.code :
		    TOCK_ERR, &r.err);
	} else if (rc == 0) {
		answer(&r, through);
		for (i = 0; i < r.nsc; i++)
			if (r.sc[i].locked && r.sc[i].next > 0)
				cl_notify(r.sc[i].id,
				    r.sc[i].last + r.sc[i].next);
	}
	run_release(&r);
}
