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
#include "xmalloc.h"

#define CLOCK_AHEAD_MS 60000

enum { ST_NONE, ST_APPLIED, ST_SUPERSEDED, ST_REJECTED, ST_DUPLICATE,
	ST_RETRY };

struct scope {
	char id[UUID_STRLEN + 1];
	int64_t last, next;
	char role[8];		/* "" when the user is not a member */
	bool locked;
};

/* An open-addressing set of uuid strings, each with a uuid value. */
struct idmap {
	unsigned cap;		/* a power of two, or 0 */
	unsigned n;
	struct idm_e {
		char id[UUID_STRLEN + 1];
		char val[UUID_STRLEN + 1];
	} *e;
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
	/* Prefetched at the start: task id -> workspace (tasks of the
	 * batch and those its entries name, plus those it creates), and
	 * the ids that exist already; seen = eids of earlier ops. */
	struct idmap tasks, exist, seen;
	/* Creates not written yet (JSON arrays), inserted in bulk before
	 * anything reads those tables again, or with the final statements. */
	struct strbuf pt, pe;
	int npt, npe;
	/* Task rows the ops target, as they stand after the ops so far
	 * (prefetched with the locks, or created by the batch), so a set
	 * is merged in C; their writes go out with the final statements. */
	struct trow *tr;
	int ntr;
	struct idmap trix;	/* task id -> index into tr, in decimal */
	struct strbuf pu;
	char db_now[24];	/* tock_ms(now()): the tx's updated_at */
};

/* JSON object members as (name, compact JSON) pairs, in order. */
struct kvl {
	int n, cap;
	struct kv { char *name, *val; } *a;
};

struct trow {
	char id[UUID_STRLEN + 1], ws[UUID_STRLEN + 1];
	char creator[UUID_STRLEN + 1], assignee[UUID_STRLEN + 1];
	struct kvl f, h;	/* fields (TASK_FIELDS keys) and clocks */
	struct kvl uf, uh;	/* the pending update: fields, clocks */
	int nup;		/* ops merged into it (REST version moves) */
	int64_t seq;
};

static int flush_pending(struct run *r);
static void pend_task(struct run *r, const char *id, const char *ws,
    const char *patch, const char *ph, int64_t seq);

/* ---- small helpers ------------------------------------------------- */

static void cpy(char *dst, size_t n, const char *v);

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

static unsigned
idm_hash(const char *id)
{
	unsigned h = 2166136261u;

	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h;
}

static int
idm_init(struct idmap *m, int n)
{
	m->cap = 16;
	m->n = 0;
	while (m->cap < (unsigned)n * 2 + 16)
		m->cap *= 2;
	m->e = calloc(m->cap, sizeof *m->e);
	return m->e != NULL ? 0 : -1;
}

static struct idm_e *
idm_slot(const struct idmap *m, const char *id)
{
	unsigned i = idm_hash(id) & (m->cap - 1);

	while (m->e[i].id[0] != '\0' && strcmp(m->e[i].id, id) != 0)
		i = (i + 1) & (m->cap - 1);
	return &m->e[i];
}

/* The value stored for id, or NULL. */
static const char *
idm_get(const struct idmap *m, const char *id)
{
	const struct idm_e *e = idm_slot(m, id);

	return e->id[0] != '\0' ? e->val : NULL;
}

/* Sized at init for every id a push can add; full is a bug. */
static void
idm_put(struct idmap *m, const char *id, const char *val)
{
	struct idm_e *e = idm_slot(m, id);

	if (e->id[0] == '\0' && ++m->n >= m->cap)
		TOCK_BUG("idmap full (%u)", m->cap);
	snprintf(e->id, sizeof e->id, "%.36s", id);
	snprintf(e->val, sizeof e->val, "%.36s", val != NULL ? val : "");
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
	    (e == CL_TIME_ENTRY && strcmp(f, "notes") == 0) ||
	    (e == CL_COMMENT && strcmp(f, "body") == 0);
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

static struct kv *
kvl_find(const struct kvl *l, const char *name)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->a[i].name, name) == 0)
			return &l->a[i];
	return NULL;
}

static const char *
kvl_get(const struct kvl *l, const char *name)
{
	const struct kv *e = kvl_find(l, name);

	return e != NULL ? e->val : NULL;
}

static void
kvl_set(struct kvl *l, const char *name, const char *val)
{
	struct kv *e = kvl_find(l, name);

	if (e == NULL) {
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 16;
			l->a = xrealloc(l->a, (size_t)l->cap * sizeof *l->a);
		}
		e = &l->a[l->n++];
		e->name = xstrdup(name);
		e->val = NULL;
	}
	free(e->val);
	e->val = xstrdup(val);
}

static void
kvl_del(struct kvl *l, const char *name)
{
	struct kv *e = kvl_find(l, name);

	if (e == NULL)
		return;
	free(e->name);
	free(e->val);
	*e = l->a[--l->n];
}

static void
kvl_clear(struct kvl *l)
{
	int i;

	for (i = 0; i < l->n; i++) {
		free(l->a[i].name);
		free(l->a[i].val);
	}
	l->n = 0;
}

static void
kvl_json(struct strbuf *b, const struct kvl *l)
{
	int i;

	strbuf_addch(b, '{');
	for (i = 0; i < l->n; i++) {
		strbuf_addstr(b, i ? "," : "");
		strbuf_add_json_str(b, l->a[i].name);
		strbuf_addf(b, ":%s", l->a[i].val);
	}
	strbuf_addch(b, '}');
}

static int
kvl_cb(const char *name, const char *value, void *arg)
{
	kvl_set(arg, name, value);
	return 0;
}

/* Fill l from the JSON object text obj, re-serialized compactly like an
 * op's fields, so values compare as text. */
static int
kvl_parse(struct kvl *l, const char *obj, struct tock_err *err)
{
	struct strbuf w = STRBUF_INIT;
	struct rjson *rj = NULL;
	int rc;

	strbuf_addf(&w, "{\"r\":%s}", obj);
	rc = rjson_parse(&rj, w.buf, w.len, 8, err);
	if (rc == 0)
		rc = rjson_each_member(rj, "r", kvl_cb, l);
	rjson_free(rj);
	strbuf_release(&w);
	return rc;
}

static struct trow *
trow_get(struct run *r, const char *id)
{
	const char *ix = idm_get(&r->trix, id);

	return ix != NULL ? &r->tr[atoi(ix)] : NULL;
}

/* A new cached row; the caller fills f and h. */
static struct trow *
trow_add(struct run *r, const char *id, const char *ws, const char *creator,
    const char *assignee)
{
	struct trow *t;
	char ix[16];

	if (trow_get(r, id) != NULL)
		TOCK_BUG("task %s cached twice", id);
	t = &r->tr[r->ntr];
	memset(t, 0, sizeof *t);
	snprintf(ix, sizeof ix, "%d", r->ntr++);
	idm_put(&r->trix, id, ix);
	cpy(t->id, sizeof t->id, id);
	cpy(t->ws, sizeof t->ws, ws);
	cpy(t->creator, sizeof t->creator, creator);
	cpy(t->assignee, sizeof t->assignee, assignee);
	return t;
}

static void
trow_free(struct trow *t)
{
	kvl_clear(&t->f);
	kvl_clear(&t->h);
	kvl_clear(&t->uf);
	kvl_clear(&t->uh);
	free(t->f.a);
	free(t->h.a);
	free(t->uf.a);
	free(t->uh.a);
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

/* Add "key": value (JSON text, or str as a JSON string) to the object
 * being built in patch, and "key": hlc to ph. */
static void
kv_add(struct strbuf *patch, struct strbuf *ph, const char *key,
    const char *json, const char *str, const char *hlc)
{
	bool first = patch->len == 1;

	strbuf_addstr(patch, first ? "" : ",");
	strbuf_add_json_str(patch, key);
	strbuf_addch(patch, ':');
	if (json != NULL)
		strbuf_addstr(patch, json);
	else
		strbuf_add_json_str(patch, str);
	strbuf_addstr(ph, first ? "" : ",");
	strbuf_add_json_str(ph, key);
	strbuf_addch(ph, ':');
	strbuf_add_json_str(ph, hlc);
}

/* The deferred writes of task merges, one row per task: d the fields
 * (last write wins within the batch, as each was a winner when merged),
 * m the metadata keys (null deletes), n the ops merged (the version moves
 * by one per op, as for a REST PATCH with If-Match). */
#define TASK_UPDATE_SQL \
	"UPDATE tasks t SET" \
	" title = CASE WHEN x.d ? 'title' THEN x.d->>'title' ELSE t.title END," \
	" description = CASE WHEN x.d ? 'description'" \
	"  THEN x.d->>'description' ELSE t.description END," \
	" status = CASE WHEN x.d ? 'status' THEN x.d->>'status'" \
	"  ELSE t.status END," \
	" assignee_id = CASE WHEN x.d ? 'assignee_id'" \
	"  THEN (x.d->>'assignee_id')::uuid ELSE t.assignee_id END," \
	" due_date = CASE WHEN x.d ? 'due_date'" \
	"  THEN (x.d->>'due_date')::date ELSE t.due_date END," \
	" deleted = CASE WHEN x.d ? 'deleted'" \
	"  THEN (x.d->>'deleted')::boolean ELSE t.deleted END," \
	" deleted_at = CASE WHEN x.d ? 'deleted' THEN CASE WHEN" \
	"  (x.d->>'deleted')::boolean THEN now() END ELSE t.deleted_at END," \
	" metadata = CASE WHEN x.m IS NULL THEN t.metadata ELSE (SELECT" \
	"  coalesce(jsonb_object_agg(mk, mv), '{}'::jsonb) FROM" \
	"  jsonb_each(t.metadata || x.m) AS e(mk, mv)" \
	"  WHERE mv <> 'null'::jsonb) END," \
	" version = t.version + x.n, updated_at = now()," \
	" fhlc = t.fhlc || x.h, last_seq = x.seq" \
	" FROM jsonb_to_recordset($1) AS x(id uuid, d jsonb, m jsonb, h jsonb," \
	" n int, seq bigint) WHERE t.id = x.id"

/* Apply the winning fields of op (patch: a JSON object) to the cached
 * row and queue them for the deferred write. */
static void
trow_merge(struct run *r, struct trow *t, struct push_op *op,
    const char *patch, int64_t seq)
{
	struct kvl p = { 0, 0, NULL };
	const char *v;
	char hq[HLC_STRLEN + 3];
	int i;

	snprintf(hq, sizeof hq, "\"%s\"", op->hlc);
	if (kvl_parse(&p, patch, &r->err) != 0)
		TOCK_BUG("merged patch is not JSON: %s", patch);
	for (i = 0; i < p.n; i++) {
		const char *f = p.a[i].name, *val = p.a[i].val;

		if (strncmp(f, "metadata.", 9) == 0 &&
		    strcmp(val, "null") == 0)
			kvl_del(&t->f, f);
		else
			kvl_set(&t->f, f, val);
		kvl_set(&t->h, f, hq);
		kvl_set(&t->uf, f, val);
		kvl_set(&t->uh, f, hq);
		if (strcmp(f, "assignee_id") == 0)
			cpy(t->assignee, sizeof t->assignee,
			    (v = sget(op->fields, f)) != NULL ? v : "");
	}
	if (r->db_now[0] != '\0')
		kvl_set(&t->f, "updated_at", r->db_now);
	if (t->nup++ == 0) {
		strbuf_addstr(&r->pu, r->pu.len ? "," : "");
		strbuf_addf(&r->pu, "%d", (int)(t - r->tr));
	}
	t->seq = seq;
	kvl_clear(&p);
	free(p.a);
}

/* The deferred task writes as TASK_UPDATE_SQL's array, in out. */
static void
trow_updates(struct run *r, struct strbuf *out)
{
	const char *p = r->pu.buf;
	struct strbuf d = STRBUF_INIT, m = STRBUF_INIT;
	int i, k = 0;

	strbuf_addch(out, '[');
	while (*p != '\0') {
		struct trow *t = &r->tr[strtol(p, (char **)&p, 10)];

		if (*p == ',')
			p++;
		strbuf_reset(&d);
		strbuf_reset(&m);
		for (i = 0; i < t->uf.n; i++) {
			const char *f = t->uf.a[i].name;
			bool meta = strncmp(f, "metadata.", 9) == 0;
			struct strbuf *b = meta ? &m : &d;

			strbuf_addstr(b, b->len ? "," : "{");
			strbuf_add_json_str(b, meta ? f + 9 : f);
			strbuf_addf(b, ":%s", t->uf.a[i].val);
		}
		strbuf_addstr(out, k++ ? ",{\"id\":" : "{\"id\":");
		strbuf_add_json_str(out, t->id);
		strbuf_addf(out, ",\"d\":%s}", d.len ? d.buf : "{");
		if (m.len)
			strbuf_addf(out, ",\"m\":%s}", m.buf);
		strbuf_addstr(out, ",\"h\":");
		kvl_json(out, &t->uh);
		strbuf_addf(out, ",\"n\":%d,\"seq\":%lld}", t->nup,
		    (long long)t->seq);
	}
	strbuf_addch(out, ']');
	strbuf_release(&d);
	strbuf_release(&m);
}

/* The cached row as a rejection's current. */
static const char *
trow_current(struct strbuf *cur, const struct trow *t)
{
	strbuf_reset(cur);
	strbuf_addstr(cur, "{\"fields\":");
	kvl_json(cur, &t->f);
	strbuf_addstr(cur, ",\"fhlc\":");
	kvl_json(cur, &t->h);
	strbuf_addch(cur, '}');
	return cur->buf;
}

/* -1 on an unexpected database error.  The row comes from the cache
 * (r->tr): every task an op targets was prefetched or created by an
 * earlier op, so no query is needed and the write is deferred. */
static int
do_task(struct run *r, struct push_op *op, struct scope *s)
{
	struct trow *tr = trow_get(r, op->eid);
	struct fvs in = { 0 };
	struct strbuf cur = STRBUF_INIT, patch = STRBUF_INIT,
	    ph = STRBUF_INIT, sup = STRBUF_INIT, confs = STRBUF_INIT;
	char why[200], seqs[24];
	const char *rf;
	int i, rc = 0, chk, np = 0;
	int64_t seq;
	bool exists = tr != NULL, full;

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
		strbuf_addch(&patch, '{');
		strbuf_addch(&ph, '{');
		kv_add(&patch, &ph, "workspace_id", NULL, s->id, op->hlc);
		kv_add(&patch, &ph, "created_by", NULL, r->c->user_id,
		    op->hlc);
		snprintf(seqs, sizeof seqs, "%lld", (long long)r->now);
		kv_add(&patch, &ph, "created_at", seqs, NULL, op->hlc);
		if (sget(op->fields, "description") == NULL)
			kv_add(&patch, &ph, "description", "\"\"", NULL,
			    op->hlc);
		if (sget(op->fields, "status") == NULL)
			kv_add(&patch, &ph, "status", "\"todo\"", NULL, op->hlc);
		if (rjson_get_str(op->fields, "assignee_id", &rf, NULL) ==
		    RJ_ABSENT)
			kv_add(&patch, &ph, "assignee_id", "null", NULL,
			    op->hlc);
		if (rjson_get_str(op->fields, "due_date", &rf, NULL) ==
		    RJ_ABSENT)
			kv_add(&patch, &ph, "due_date", "null", NULL, op->hlc);
		{
			bool b;

			if (rjson_get_bool(op->fields, "deleted", &b, NULL) !=
			    RJ_VALUE)
				kv_add(&patch, &ph, "deleted", "false", NULL,
				    op->hlc);
		}
		for (i = 0; i < in.n; i++)
			if (task_field_known(in.f[i].name))
				kv_add(&patch, &ph, in.f[i].name, in.f[i].val,
				    NULL, op->hlc);
		strbuf_addch(&patch, '}');
		strbuf_addch(&ph, '}');
		seq = seq_next(s);
		pend_task(r, op->eid, s->id, patch.buf, ph.buf, seq);
		log_add(r, s, seq, op->id, CL_TASK, op->eid, CL_CREATE,
		    patch.buf, ph.buf, op->hlc);
		applied(op, seq, &sup, &confs);
		goto out;
	}

	/* The row exists: a merge, whatever the kind. */
	if (strcmp(tr->ws, s->id) != 0) {
		reject(op, "invalid", trow_current(&cur, tr), "the task is in "
		    "another scope");
		goto out;
	}
	if (s->role[0] == '\0' || (strcmp(s->role, "member") == 0 &&
	    strcmp(tr->creator, r->c->user_id) != 0 &&
	    strcmp(tr->assignee, r->c->user_id) != 0)) {
		reject(op, "forbidden", trow_current(&cur, tr), "a member may "
		    "change only tasks they created or are assigned");
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
			reject(op, chk == 2 ? "forbidden" : "invalid",
			    trow_current(&cur, tr), "%s", why);
			goto out;
		}
	}
	strbuf_addch(&patch, '{');
	strbuf_addch(&ph, '{');
	for (i = 0; i < in.n; i++) {
		const char *f = in.f[i].name, *have, *hv;
		char hb[HLC_STRLEN + 1];
		bool win;

		if (!task_field_known(f))
			continue;
		/* Clocks are cached as JSON strings (no escapes in an HLC). */
		have = NULL;
		if ((hv = kvl_get(&tr->h, f)) != NULL && hv[0] == '"') {
			snprintf(hb, sizeof hb, "%.*s", HLC_STRLEN, hv + 1);
			have = hb;
		}
		win = hlc_gt(op->hlc, have);
		/* Both compact JSON of one serializer: equal text = equal
		 * value. */
		hv = kvl_get(&tr->f, f);
		if (is_text_field(op->e, f) && op->base != NULL &&
		    sget(op->base, f) != NULL &&
		    strcmp(sget(op->base, f), have != NULL ? have : "") != 0 &&
		    hv != NULL && hv[0] == '"' && sget(op->fields, f) != NULL &&
		    strcmp(hv, in.f[i].val) != 0) {
			if (win)
				conflict_add(r, s, op, &confs, f, hv,
				    have != NULL ? have : "", in.f[i].val,
				    op->hlc);
			else
				conflict_add(r, s, op, &confs, f, in.f[i].val,
				    op->hlc, hv, have);
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
	trow_merge(r, tr, op, patch.buf, seq);
	if (full) {
		strbuf_reset(&patch);
		kvl_json(&patch, &tr->f);
		strbuf_reset(&ph);
		kvl_json(&ph, &tr->h);
	}
	log_add(r, s, seq, op->id, CL_TASK, op->eid,
	    op->kind == OP_DELETE ? CL_DELETE : full ? CL_RESTORE : CL_SET,
	    patch.buf, ph.buf, op->hlc);
	applied(op, seq, &sup, &confs);
	goto out;
dberr:
	rc = -1;
out:
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
	char end_fhlc[HLC_STRLEN + 1];	/* fhlc.end_time of the row */
};

#define TE_COLS \
	"id, workspace_id, user_id, task_id, origin = 'manual', deleted," \
	" tock_ms(start_time), tock_ms(end_time), end_src, notes, start_hlc," \
	" tock_ms(stop_at), stop_hlc, tock_ms(auto_at), auto_hlc," \
	" tock_ms(edit_end), edit_hlc, fhlc->>'end_time'"
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

static void end_json(struct strbuf *b, const struct te *t);

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
	cpy(t->end_fhlc, sizeof t->end_fhlc, pg_value(res, row, 17));
}

/* A server clock for a derived end: newer than the op and than the row's
 * end clock, which is at least every client clock that wrote this end
 * (another instance's srvhlc may not have seen them). */
static void
end_stamp(char hlc[HLC_STRLEN + 1], const char *op_hlc, const char *row_hlc)
{
	srvhlc_next(hlc, op_hlc);
	if (row_hlc != NULL && row_hlc[0] != '\0' && strcmp(hlc, row_hlc) <= 0)
		srvhlc_next(hlc, row_hlc);
}

/* The log row's fields and fhlc of a derived end stamped with hlc. */
static void
end_row(struct strbuf *f, struct strbuf *ph, const struct te *t,
    const char *hlc)
{
	strbuf_reset(f);
	strbuf_reset(ph);
	strbuf_addch(f, '{');
	end_json(f, t);
	strbuf_addch(f, '}');
	strbuf_addstr(ph, "{\"end_time\":");
	strbuf_add_json_str(ph, hlc);
	strbuf_addstr(ph, ",\"end_src\":");
	strbuf_add_json_str(ph, hlc);
	strbuf_addch(ph, '}');
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

/* Update the stored row of t with fhlc patch ph and last_seq seq (-1:
 * keep).  New entries go through pend_te. */
static int
te_write(struct run *r, const struct te *t, const char *ph, int64_t seq)
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

/* ---- creates written in bulk ---------------------------------------- */

#define PEND_TASKS_SQL \
	"INSERT INTO tasks (id, workspace_id, title, description, status," \
	" assignee_id, due_date, metadata, created_by, deleted, deleted_at," \
	" fhlc, last_seq) SELECT x.id, x.ws, x.d->>'title'," \
	" x.d->>'description', x.d->>'status', (x.d->>'assignee_id')::uuid," \
	" (x.d->>'due_date')::date, coalesce((SELECT" \
	" jsonb_object_agg(substr(key, 10), value) FROM jsonb_each(x.d)" \
	" WHERE key LIKE 'metadata.%' AND value <> 'null'::jsonb)," \
	" '{}'::jsonb), $2, (x.d->>'deleted')::boolean, CASE WHEN" \
	" (x.d->>'deleted')::boolean THEN now() END, x.h, x.seq" \
	" FROM jsonb_to_recordset($1) AS x(id uuid, ws uuid, d jsonb, h jsonb," \
	" seq bigint)"
#define PEND_TE_SQL \
	"INSERT INTO time_entries (id, workspace_id, user_id, task_id, origin," \
	" start_time, end_time, end_src, notes, deleted, deleted_at," \
	" start_hlc, stop_at, stop_hlc, auto_at, auto_hlc, edit_end," \
	" edit_hlc, fhlc, last_seq) SELECT x.id, x.ws, x.usr, x.task," \
	" x.origin, to_timestamp(x.st::float8 / 1000)," \
	" to_timestamp(x.en::float8 / 1000), x.src, x.notes, x.del," \
	" CASE WHEN x.del THEN now() END, x.sh," \
	" to_timestamp(x.so::float8 / 1000), x.soh," \
	" to_timestamp(x.au::float8 / 1000), x.auh," \
	" to_timestamp(x.ed::float8 / 1000), x.edh, x.h, x.seq" \
	" FROM jsonb_to_recordset($1) AS x(id uuid, ws uuid, usr uuid," \
	" task uuid, origin text, st bigint, en bigint, src text, notes text," \
	" del boolean, sh text, so bigint, soh text, au bigint, auh text," \
	" ed bigint, edh text, h jsonb, seq bigint)"

static void
pend_task(struct run *r, const char *id, const char *ws, const char *patch,
    const char *ph, int64_t seq)
{
	struct strbuf *b = &r->pt;
	struct trow *t;
	const char *a;
	int i;

	strbuf_addstr(b, r->npt++ ? ",{\"id\":" : "[{\"id\":");
	strbuf_add_json_str(b, id);
	strbuf_addstr(b, ",\"ws\":");
	strbuf_add_json_str(b, ws);
	strbuf_addf(b, ",\"d\":%s,\"h\":%s,\"seq\":%lld}", patch, ph,
	    (long long)seq);
	idm_put(&r->tasks, id, ws);
	/* Later ops of the batch merge against it in the cache. */
	t = trow_add(r, id, ws, r->c->user_id, "");
	if (kvl_parse(&t->f, patch, &r->err) != 0 ||
	    kvl_parse(&t->h, ph, &r->err) != 0)
		TOCK_BUG("task create is not JSON");
	if ((a = kvl_get(&t->f, "assignee_id")) != NULL && a[0] == '"')
		snprintf(t->assignee, sizeof t->assignee, "%.36s", a + 1);
	for (i = t->f.n - 1; i >= 0; i--)
		if (strncmp(t->f.a[i].name, "metadata.", 9) == 0 &&
		    strcmp(t->f.a[i].val, "null") == 0)
			kvl_del(&t->f, t->f.a[i].name);
	if (r->db_now[0] != '\0')
		kvl_set(&t->f, "updated_at", r->db_now);
}

static void
json_ms(struct strbuf *b, const char *key, int64_t v)
{
	if (v >= 0)
		strbuf_addf(b, ",\"%s\":%lld", key, (long long)v);
}

static void
json_s(struct strbuf *b, const char *key, const char *v)
{
	if (v != NULL && v[0] != '\0') {
		strbuf_addf(b, ",\"%s\":", key);
		strbuf_add_json_str(b, v);
	}
}

static void
pend_te(struct run *r, const struct te *t, const char *ph, int64_t seq)
{
	struct strbuf *b = &r->pe;

	strbuf_addstr(b, r->npe++ ? ",{\"id\":" : "[{\"id\":");
	strbuf_add_json_str(b, t->id);
	json_s(b, "ws", t->ws);
	json_s(b, "usr", t->user);
	json_s(b, "task", t->task);
	strbuf_addf(b, ",\"origin\":\"%s\",\"st\":%lld",
	    t->manual ? "manual" : "timer", (long long)t->start);
	json_ms(b, "en", t->end);
	json_s(b, "src", t->end_src);
	strbuf_addstr(b, ",\"notes\":");
	strbuf_add_json_str(b, t->notes != NULL ? t->notes : "");
	strbuf_addf(b, ",\"del\":%s", t->deleted ? "true" : "false");
	json_s(b, "sh", t->start_hlc);
	if (t->stop_at >= 0) {
		json_ms(b, "so", t->stop_at);
		json_s(b, "soh", t->stop_hlc);
	}
	if (t->auto_at >= 0) {
		json_ms(b, "au", t->auto_at);
		json_s(b, "auh", t->auto_hlc);
	}
	if (t->edit_end >= 0) {
		json_ms(b, "ed", t->edit_end);
		json_s(b, "edh", t->edit_hlc);
	}
	strbuf_addf(b, ",\"h\":%s,\"seq\":%lld}", ph, (long long)seq);
}

/* Append the pending inserts to calls (tasks first: entries name them);
 * the arrays are closed here, so this is done once per flush. */
static int
pend_calls(struct run *r, struct pg_call *calls, const char **pt,
    const char **pe)
{
	int n = 0;

	if (r->npt > 0) {
		strbuf_addch(&r->pt, ']');
		pt[0] = r->pt.buf;
		pt[1] = r->c->user_id;
		calls[n++] = (struct pg_call){ PEND_TASKS_SQL, 2, pt, 0, NULL,
		    0 };
	}
	if (r->npe > 0) {
		strbuf_addch(&r->pe, ']');
		pe[0] = r->pe.buf;
		calls[n++] = (struct pg_call){ PEND_TE_SQL, 1, pe, 0, NULL, 0 };
	}
	return n;
}

static void
pend_reset(struct run *r)
{
	strbuf_reset(&r->pt);
	strbuf_reset(&r->pe);
	r->npt = r->npe = 0;
}

/* Write the pending creates now: something is about to read them. */
static int
flush_pending(struct run *r)
{
	struct pg_call calls[2];
	const char *pt[2], *pe[1];
	int n, failed, rc = 0;

	n = pend_calls(r, calls, pt, pe);
	if (n > 0)
		rc = pg_pipeline(r->c->pg, calls, n, &failed, &r->err);
	pend_reset(r);
	return rc != 0 ? -1 : 0;
}

/* The fhlc of a create: every key of fields stamped with hlc. */
static void
fhlc_all(struct strbuf *ph, const char *const *keys, int n, const char *hlc)
{
	int i;

	strbuf_addch(ph, '{');
	for (i = 0; i < n; i++) {
		strbuf_addstr(ph, i ? "," : "");
		strbuf_add_json_str(ph, keys[i]);
		strbuf_addch(ph, ':');
		strbuf_add_json_str(ph, hlc);
	}
	strbuf_addch(ph, '}');
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
			end_stamp(hlc, op->hlc, x.end_fhlc);
			end_row(&f, &ph, &x, hlc);
			seq = old_end != x.end || strcmp(old_src, x.end_src) != 0 ?
			    seq_next(xs) : 0;
			if (seq == 0) {
				/* The end did not move: keep the lowered
				 * auto_at only (no log row needed). */
				if (te_write(r, &x, "{}", -1) != 0)
					rc = -1;
			} else if (te_write(r, &x, ph.buf, seq) != 0)
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
do_entry(struct run *r, struct push_op *op, struct scope *s, bool fresh)
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
	int64_t v, seq, old_end, mine_end = -1;
	int i, k, rc = 0, nf = 0;
	bool b, exists, endmoved, mine;
	char old_src[8];

	memset(&t, 0, sizeof t);
	if (fresh)
		exists = false;
	else {
		if (flush_pending(r) != 0 || pg_query(pg, &res, &r->err,
		    "SELECT " TE_COLS ", " TE_FIELDS "::text, fhlc::text FROM"
		    " time_entries WHERE id = $1", 1, op->eid) != 0)
			return -1;
		exists = pg_nrows(res) == 1;
	}
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
			/* The prefetch took every task an entry of the batch
			 * names, and creates add theirs: no query. */
			const char *tw = idm_get(&r->tasks, t.task);

			if (tw == NULL || strcmp(tw, t.ws) != 0) {
				reject(op, "invalid", NULL, "'task_id' is not a "
				    "task of the workspace");
				goto out;
			}
		}
		if (!t.manual) {
			/* Newer starts already stored end this one. */
			struct pg_res *nw = NULL;

			if (flush_pending(r) != 0)
				goto dberr;
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
			static const char *const keys[] = { "workspace_id",
				"user_id", "task_id", "origin", "start_time",
				"end_time", "end_src", "notes", "deleted" };

			fhlc_all(&ph, keys, 9, op->hlc);
		}
		log_add(r, s, seq, op->id, CL_TIME_ENTRY, t.id, CL_CREATE,
		    f.buf, ph.buf, op->hlc);
		applied(op, seq, &sup, &confs);
		if (!t.manual && (t.end != t.stop_at || strcmp(t.end_src,
		    t.stop_at >= 0 ? "stop" : "") != 0)) {
			/* A newer start ended it already.  The device keeps
			 * its own end (clock: this op, or a later stop of
			 * it) unless the server's carries a newer clock. */
			static const char *const keys[] = { "workspace_id",
				"user_id", "task_id", "origin", "start_time",
				"notes", "deleted" };
			struct strbuf ef = STRBUF_INIT, eh = STRBUF_INIT;

			end_stamp(hlc, op->hlc, NULL);
			end_row(&ef, &eh, &t, hlc);
			seq = seq_next(s);
			log_add(r, s, seq, NULL, CL_TIME_ENTRY, t.id, CL_SET,
			    ef.buf, eh.buf, hlc);
			strbuf_reset(&ph);
			fhlc_all(&ph, keys, 7, op->hlc);
			strbuf_setlen(&ph, ph.len - 1);
			strbuf_addf(&ph, ",%s", eh.buf + 1);
			strbuf_release(&ef);
			strbuf_release(&eh);
		}
		pend_te(r, &t, ph.buf, seq);
		goto out;
	}

	te_read(&t, res, 0);
	current_json(&cur, pg_value(res, 0, 18), pg_value(res, 0, 19));
	if (rjson_parse(&rowh, pg_value(res, 0, 19),
	    strlen(pg_value(res, 0, 19)), 8, &r->err) != 0)
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
	/* What the pushing device now believes the end is. */
	mine = !t.manual && rjson_get_int(op->fields, "end_time", &mine_end,
	    NULL) == RJ_VALUE;
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
	/* A stop or edit that did not become the end (or did, but with a
	 * clock newer than the row's end clock) is still the end on the
	 * device that sent it, under the op's clock: only a newer server
	 * clock moves it there (SYNC.md 3.8 is strict LWW). */
	if (mine && (t.end != mine_end || strcmp(t.end_src,
	    op->kind == OP_TIMER_STOP ? "stop" : "edit") != 0 ||
	    hlc_gt(op->hlc, t.end_fhlc)))
		endmoved = true;
	if (endmoved) {
		/* The derived end carries a server clock newer than the
		 * row's, so replicas' LWW follows the server. */
		end_stamp(hlc, op->hlc, t.end_fhlc);
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
		if (te_write(r, &t, "{}", -1) != 0)
			goto dberr;
		superseded(op);
		goto out;
	}
	seq = seq_next(s);
	if (te_write(r, &t, ph.buf, seq) != 0)
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

/* ---- comments ------------------------------------------------------ */

#define COMMENT_BODY_MAX 10000
#define COMMENT_FIELDS \
	"jsonb_build_object('workspace_id', workspace_id, 'task_id', task_id," \
	" 'author_id', author_id, 'body', body, 'created_at'," \
	" tock_ms(created_at), 'deleted', deleted)"

/* 0, or fills why: a body is 1..COMMENT_BODY_MAX bytes of UTF-8. */
static int
comment_body_check(const struct push_op *op, char *why, size_t wn)
{
	struct tock_err e = TOCK_ERR_INIT;
	const char *b = sget(op->fields, "body");

	if (b == NULL || b[0] == '\0') {
		snprintf(why, wn, "'body' must be a non-empty string");
		return -1;
	}
	if (model_check_text("body", b, COMMENT_BODY_MAX, &e) != 0) {
		snprintf(why, wn, "%s", e.msg);
		return -1;
	}
	return 0;
}

static int
do_comment(struct run *r, struct push_op *op, struct scope *s)
{
	struct pg *pg = r->c->pg;
	struct pg_res *res = NULL, *w = NULL;
	struct rjson *rowf = NULL, *rowh = NULL;
	struct fvs in = { 0 };
	struct strbuf cur = STRBUF_INIT, patch = STRBUF_INIT,
	    ph = STRBUF_INIT, sup = STRBUF_INIT, confs = STRBUF_INIT;
	char why[200], num_[24];
	const char *v, *author, *tw;
	int i, rc = 0, np = 0;
	int64_t seq, created;
	bool exists, b, admin, full;

	/* The row's task may be a pending create: write those first. */
	if (flush_pending(r) != 0 || pg_query(pg, &res, &r->err, "SELECT"
	    " workspace_id, author_id, " COMMENT_FIELDS "::text, fhlc::text"
	    " FROM comments WHERE id = $1", 1, op->eid) != 0)
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
	if (op->kind == OP_TIMER_START || op->kind == OP_TIMER_STOP) {
		reject(op, "invalid", NULL, "timer ops are for time entries");
		goto out;
	}
	if (rjson_get_bool(op->fields, "deleted", &b, NULL) == TOCK_EINVAL) {
		reject(op, "invalid", NULL, "'deleted' must be a boolean");
		goto out;
	}
	if (!exists) {
		if (op->kind != OP_CREATE) {
			reject(op, "not_found", NULL, "no such comment");
			goto out;
		}
		if (s->role[0] == '\0') {
			reject(op, "forbidden", NULL, "not a member of the "
			    "workspace");
			goto out;
		}
		if ((v = sget(op->fields, "author_id")) != NULL &&
		    strcmp(v, r->c->user_id) != 0) {
			reject(op, "forbidden", NULL, "a comment is created by "
			    "its author only");
			goto out;
		}
		v = sget(op->fields, "task_id");
		if (v == NULL || !uuid_valid(v)) {
			reject(op, "invalid", NULL, "'task_id' must be a UUID");
			goto out;
		}
		/* Prefetched with the batch, creates included. */
		if ((tw = idm_get(&r->tasks, v)) == NULL ||
		    strcmp(tw, s->id) != 0) {
			reject(op, "not_found", NULL, "no such task in the "
			    "workspace");
			goto out;
		}
		if (comment_body_check(op, why, sizeof why) != 0) {
			reject(op, "invalid", NULL, "%s", why);
			goto out;
		}
		if (rjson_get_int(op->fields, "created_at", &created, NULL) !=
		    RJ_VALUE || created < 0)
			created = r->now;
		b = false;
		rjson_get_bool(op->fields, "deleted", &b, NULL);
		strbuf_addch(&patch, '{');
		strbuf_addch(&ph, '{');
		kv_add(&patch, &ph, "workspace_id", NULL, s->id, op->hlc);
		kv_add(&patch, &ph, "task_id", NULL, v, op->hlc);
		kv_add(&patch, &ph, "author_id", NULL, r->c->user_id, op->hlc);
		kv_add(&patch, &ph, "body", NULL, sget(op->fields, "body"),
		    op->hlc);
		snprintf(num_, sizeof num_, "%lld", (long long)created);
		kv_add(&patch, &ph, "created_at", num_, NULL, op->hlc);
		kv_add(&patch, &ph, "deleted", b ? "true" : "false", NULL,
		    op->hlc);
		strbuf_addch(&patch, '}');
		strbuf_addch(&ph, '}');
		seq = seq_next(s);
		{
			char sq[24];
			const char *p[9];

			snprintf(sq, sizeof sq, "%lld", (long long)seq);
			p[0] = op->eid;
			p[1] = s->id;
			p[2] = v;
			p[3] = r->c->user_id;
			p[4] = sget(op->fields, "body");
			p[5] = num_;
			p[6] = b ? "t" : "f";
			p[7] = ph.buf;
			p[8] = sq;
			if (pg_exec(pg, NULL, "INSERT INTO comments (id,"
			    " workspace_id, task_id, author_id, body, created_at,"
			    " updated_at, deleted, fhlc, last_seq) VALUES ($1, $2,"
			    " $3, $4, $5, to_timestamp($6::float8 / 1000), now(),"
			    " $7::boolean, $8::jsonb, $9::bigint)", 9, p,
			    &r->err) != 0)
				goto dberr;
		}
		log_add(r, s, seq, op->id, CL_COMMENT, op->eid, CL_CREATE,
		    patch.buf, ph.buf, op->hlc);
		applied(op, seq, &sup, &confs);
		goto out;
	}

	current_json(&cur, pg_value(res, 0, 2), pg_value(res, 0, 3));
	if (rjson_parse(&rowf, pg_value(res, 0, 2),
	    strlen(pg_value(res, 0, 2)), 8, &r->err) != 0 ||
	    rjson_parse(&rowh, pg_value(res, 0, 3),
	    strlen(pg_value(res, 0, 3)), 8, &r->err) != 0)
		goto dberr;
	if (strcmp(pg_value(res, 0, 0), s->id) != 0) {
		reject(op, "invalid", cur.buf, "the comment is in another "
		    "scope");
		goto out;
	}
	author = pg_value(res, 0, 1);
	admin = strcmp(s->role, "admin") == 0;
	if (s->role[0] == '\0') {
		reject(op, "forbidden", cur.buf, "not a member of the "
		    "workspace");
		goto out;
	}
	/* The body is its author's alone; delete/restore also an admin's. */
	if (strcmp(author, r->c->user_id) != 0 &&
	    (sget(op->fields, "body") != NULL || !admin)) {
		reject(op, "forbidden", cur.buf, "only the author may edit a "
		    "comment (and the author or an admin delete it)");
		goto out;
	}
	if (rjson_get_str(op->fields, "body", &v, NULL) != RJ_ABSENT &&
	    comment_body_check(op, why, sizeof why) != 0) {
		reject(op, "invalid", cur.buf, "%s", why);
		goto out;
	}
	strbuf_addch(&patch, '{');
	strbuf_addch(&ph, '{');
	for (i = 0; i < in.n; i++) {
		const char *f = in.f[i].name, *have = sget(rowh, f);
		bool win;

		if (strcmp(f, "body") != 0 && strcmp(f, "deleted") != 0)
			continue;
		win = hlc_gt(op->hlc, have);
		if (is_text_field(op->e, f) && op->base != NULL &&
		    sget(op->base, f) != NULL &&
		    strcmp(sget(op->base, f), have != NULL ? have : "") != 0 &&
		    sget(rowf, f) != NULL &&
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
		kv_add(&patch, &ph, f, in.f[i].val, NULL, op->hlc);
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
	snprintf(num_, sizeof num_, "%lld", (long long)seq);
	if (pg_query(pg, &w, &r->err, "UPDATE comments SET"
	    " body = CASE WHEN $2::jsonb ? 'body' THEN $2::jsonb->>'body'"
	    "  ELSE body END,"
	    " deleted = CASE WHEN $2::jsonb ? 'deleted'"
	    "  THEN ($2::jsonb->>'deleted')::boolean ELSE deleted END,"
	    " updated_at = now(), fhlc = fhlc || $3::jsonb,"
	    " last_seq = $4::bigint WHERE id = $1"
	    " RETURNING " COMMENT_FIELDS "::text, fhlc::text", 4, op->eid,
	    patch.buf, ph.buf, num_) != 0)
		goto dberr;
	if (pg_nrows(w) != 1) {
		/* Row-level security hid it from the update. */
		rc = tock_err_set(&r->err, TOCK_ERR, "comment %s not updated",
		    op->eid);
		goto dberr;
	}
	log_add(r, s, seq, op->id, CL_COMMENT, op->eid,
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

/* ---- workspaces ------------------------------------------------------ */

static int
ws_name_check(const struct push_op *op, char *why, size_t wn)
{
	struct tock_err e = TOCK_ERR_INIT;
	const char *n = sget(op->fields, "name"), *p;

	if (n == NULL) {
		snprintf(why, wn, "'name' must be a string");
		return -1;
	}
	if (model_check_text("name", n, 400, &e) != 0) {
		snprintf(why, wn, "%s", e.msg);
		return -1;
	}
	for (p = n; *p == ' '; p++)
		;
	if (*p == '\0') {
		snprintf(why, wn, "'name' is empty");
		return -1;
	}
	return 0;
}

/* An offline "workspace create": the scope does not exist yet, so it is
 * made here (after the batch's other scopes are locked: nobody else can
 * know the new id) and locked as it is made.  0, or -1 on a database
 * error; an id that exists but is not the user's is refused. */
static int
ws_create(struct run *r, struct push_op *op, struct scope *s)
{
	struct pg *pg = r->c->pg;
	struct pg_res *res = NULL, *u = NULL;
	struct strbuf f = STRBUF_INIT, ph = STRBUF_INIT, m = STRBUF_INIT;
	char why[200], hlc[HLC_STRLEN + 1], sq[24];
	const char *name = sget(op->fields, "name");
	int64_t seq, mseq;
	bool personal = false;
	int rc = 0;

	if (ws_name_check(op, why, sizeof why) != 0) {
		reject(op, "invalid", NULL, "%s", why);
		return 0;
	}
	if (rjson_get_bool(op->fields, "personal", &personal, NULL) ==
	    TOCK_EINVAL || personal) {
		reject(op, "invalid", NULL, "'personal' must be false: the "
		    "personal workspace is made at registration");
		return 0;
	}
	if (pg_query(pg, NULL, &r->err, "SAVEPOINT push_ws", 0) != 0)
		return -1;
	if (pg_query(pg, NULL, &r->err, "SELECT tock_create_workspace($1,"
	    " $2, false)", 2, op->eid, name) != 0) {
		if (r->err.code != TOCK_EEXISTS)
			return -1;
		/* It exists, invisible to the user: not theirs. */
		if (pg_query(pg, NULL, &r->err, "ROLLBACK TO SAVEPOINT"
		    " push_ws", 0) != 0)
			return -1;
		r->err = (struct tock_err)TOCK_ERR_INIT;
		reject(op, "forbidden", NULL, "that workspace exists and is "
		    "not yours");
		return 0;
	}
	if (pg_query(pg, NULL, &r->err, "RELEASE SAVEPOINT push_ws", 0) != 0 ||
	    pg_query(pg, &res, &r->err, "SELECT last_seq FROM scopes WHERE"
	    " id = $1 FOR UPDATE", 1, op->eid) != 0 ||
	    pg_query(pg, &u, &r->err, "SELECT name, email::text FROM users"
	    " WHERE id = $1", 1, r->c->user_id) != 0 ||
	    pg_nrows(res) != 1 || pg_nrows(u) != 1) {
		if (r->err.code == 0)
			tock_err_set(&r->err, TOCK_ERR, "new workspace %s is "
			    "not visible", op->eid);
		rc = -1;
		goto out;
	}
	s->locked = true;
	s->last = i64(pg_value(res, 0, 0));
	cpy(s->role, sizeof s->role, "admin");

	strbuf_addch(&f, '{');
	strbuf_addch(&ph, '{');
	kv_add(&f, &ph, "name", NULL, name, op->hlc);
	kv_add(&f, &ph, "personal", "false", NULL, op->hlc);
	kv_add(&f, &ph, "created_by", NULL, r->c->user_id, op->hlc);
	strbuf_addch(&f, '}');
	strbuf_addch(&ph, '}');
	seq = seq_next(s);
	log_add(r, s, seq, op->id, CL_WORKSPACE, op->eid, CL_CREATE, f.buf,
	    ph.buf, op->hlc);
	/* The creator's membership, as REST logs it, with a server clock. */
	srvhlc_next(hlc, op->hlc);
	strbuf_addstr(&m, "{\"user_id\":");
	strbuf_add_json_str(&m, r->c->user_id);
	strbuf_addstr(&m, ",\"role\":\"admin\",\"name\":");
	strbuf_add_json_str(&m, pg_value(u, 0, 0));
	strbuf_addstr(&m, ",\"email\":");
	strbuf_add_json_str(&m, pg_value(u, 0, 1));
	strbuf_addch(&m, '}');
	mseq = seq_next(s);
	log_add(r, s, mseq, NULL, CL_MEMBERSHIP, r->c->user_id,
	    CL_MEMBERSHIP_CHANGE, m.buf, NULL, hlc);
	snprintf(sq, sizeof sq, "%lld", (long long)seq);
	{
		char mh[HLC_STRLEN + 16];

		snprintf(mh, sizeof mh, "{\"role\":\"%s\"}", hlc);
		if (pg_query(pg, NULL, &r->err, "UPDATE workspaces SET fhlc ="
		    " $2::jsonb, last_seq = $3::bigint WHERE id = $1", 3,
		    op->eid, ph.buf, sq) != 0 ||
		    pg_query(pg, NULL, &r->err, "UPDATE memberships SET fhlc ="
		    " $3::jsonb WHERE workspace_id = $1 AND user_id = $2", 3,
		    op->eid, r->c->user_id, mh) != 0) {
			rc = -1;
			goto out;
		}
	}
	{
		struct strbuf none = STRBUF_INIT;

		applied(op, seq, &none, &none);
	}
out:
	pg_res_free(res);
	pg_res_free(u);
	strbuf_release(&f);
	strbuf_release(&ph);
	strbuf_release(&m);
	return rc;
}

static int
do_workspace(struct run *r, struct push_op *op, struct scope *s)
{
	struct pg *pg = r->c->pg;
	struct pg_res *res = NULL;
	struct rjson *rowh = NULL;
	struct strbuf cur = STRBUF_INIT, f = STRBUF_INIT, ph = STRBUF_INIT,
	    none = STRBUF_INIT;
	char why[200], sq[24];
	const char *have;
	int64_t seq;
	int rc = 0;

	if (strcmp(op->scope, op->eid) != 0) {
		reject(op, "invalid", NULL, "a workspace op's scope is the "
		    "workspace itself");
		return 0;
	}
	if (op->kind == OP_DELETE || op->kind == OP_RESTORE) {
		reject(op, "invalid", NULL, "delete workspaces over REST");
		return 0;
	}
	if (op->kind != OP_CREATE && op->kind != OP_SET) {
		reject(op, "invalid", NULL, "timer ops are for time entries");
		return 0;
	}
	if (!s->locked) {
		if (op->kind == OP_CREATE)
			return ws_create(r, op, s);
		reject(op, "forbidden", NULL, "no such workspace");
		return 0;
	}
	if (pg_query(pg, &res, &r->err, "SELECT jsonb_build_object('name',"
	    " name, 'personal', personal, 'created_by', created_by,"
	    " 'deleted', false)::text, fhlc::text FROM workspaces WHERE"
	    " id = $1", 1, op->eid) != 0)
		return -1;
	if (pg_nrows(res) != 1) {
		reject(op, "forbidden", NULL, "no such workspace");
		goto out;
	}
	current_json(&cur, pg_value(res, 0, 0), pg_value(res, 0, 1));
	if (strcmp(s->role, "admin") != 0) {
		reject(op, "forbidden", cur.buf, "only an admin may rename a "
		    "workspace");
		goto out;
	}
	/* created_by and personal never change; name is all there is. */
	if (rjson_get_str(op->fields, "name", &have, NULL) == RJ_ABSENT) {
		if (op->kind == OP_CREATE) {
			reject(op, "invalid", cur.buf, "'name' is required");
			goto out;
		}
		superseded(op);
		goto out;
	}
	if (ws_name_check(op, why, sizeof why) != 0) {
		reject(op, "invalid", cur.buf, "%s", why);
		goto out;
	}
	if (rjson_parse(&rowh, pg_value(res, 0, 1),
	    strlen(pg_value(res, 0, 1)), 8, &r->err) != 0) {
		rc = -1;
		goto out;
	}
	if (!hlc_gt(op->hlc, sget(rowh, "name"))) {
		superseded(op);
		goto out;
	}
	strbuf_addch(&f, '{');
	strbuf_addch(&ph, '{');
	kv_add(&f, &ph, "name", NULL, sget(op->fields, "name"), op->hlc);
	strbuf_addch(&f, '}');
	strbuf_addch(&ph, '}');
	seq = seq_next(s);
	snprintf(sq, sizeof sq, "%lld", (long long)seq);
	if (pg_query(pg, NULL, &r->err, "UPDATE workspaces SET name = $2,"
	    " fhlc = fhlc || $3::jsonb, last_seq = $4::bigint,"
	    " updated_at = now() WHERE id = $1", 4, op->eid,
	    sget(op->fields, "name"), ph.buf, sq) != 0) {
		rc = -1;
		goto out;
	}
	log_add(r, s, seq, op->id, CL_WORKSPACE, op->eid, CL_SET, f.buf,
	    ph.buf, op->hlc);
	applied(op, seq, &none, &none);
out:
	pg_res_free(res);
	rjson_free(rowh);
	strbuf_release(&cur);
	strbuf_release(&f);
	strbuf_release(&ph);
	strbuf_release(&none);
	return rc;
}

/* ---- the transaction ------------------------------------------------ */

static const char *
op_scope_uuid(const struct push_op *op)
{
	return strncmp(op->scope, "u:", 2) == 0 ? op->scope + 2 : op->scope;
}

/* Scope heads to answer, merged over the transactions of a push. */
struct heads {
	int n, cap;
	struct { char id[UUID_STRLEN + 1]; int64_t head; } *h;
};

static void
heads_add(struct heads *hs, const char *id, int64_t head)
{
	int i;

	for (i = 0; i < hs->n; i++)
		if (strcmp(hs->h[i].id, id) == 0) {
			if (head > hs->h[i].head)
				hs->h[i].head = head;
			return;
		}
	if (hs->n == hs->cap) {
		hs->cap = hs->cap ? hs->cap * 2 : 16;
		hs->h = xrealloc(hs->h, (size_t)hs->cap * sizeof *hs->h);
	}
	snprintf(hs->h[hs->n].id, sizeof hs->h[0].id, "%.36s", id);
	hs->h[hs->n++].head = head;
}

static void
answer(struct push_ctx *c, int64_t through, const struct heads *hs)
{
	struct resp *rs = c->rs;
	int i;

	strbuf_reset(&rs->body);
	strbuf_addf(&rs->body, "{\"v\":1,\"server_time\":%lld,"
	    "\"applied_through\":%lld,\"results\":[", (long long)time_now_ms(),
	    (long long)through);
	for (i = 0; i < c->nops; i++) {
		if (i > 0)
			strbuf_addch(&rs->body, ',');
		strbuf_addstr(&rs->body, c->ops[i].result.buf);
	}
	strbuf_addstr(&rs->body, "],\"heads\":{");
	for (i = 0; i < hs->n; i++) {
		strbuf_addstr(&rs->body, i ? "," : "");
		strbuf_add_json_str(&rs->body, hs->h[i].id);
		strbuf_addf(&rs->body, ":%lld", (long long)hs->h[i].head);
	}
	strbuf_addstr(&rs->body, "}}");
	rs->status = 200;
}

/* Free the kept results of a pipeline. */
static void
calls_free(struct pg_call *calls, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		pg_res_free(calls[i].res);
		calls[i].res = NULL;
	}
}

#define SET_USER_SQL "SELECT set_config('tock.user_id', $1, true)"
#define PREFETCH_SQL \
	"SELECT id::text, workspace_id::text, 1 FROM tasks" \
	" WHERE id = ANY($1::uuid[]) UNION ALL SELECT id::text," \
	" workspace_id::text, 2 FROM time_entries WHERE id = ANY($2::uuid[])"
/* The rows task ops target, whole, and the transaction's now(). */
#define TASKROWS_SQL \
	"SELECT id::text, workspace_id::text, created_by::text," \
	" assignee_id::text, " TASK_FIELDS "::text, fhlc::text, tock_ms(now())" \
	" FROM tasks WHERE id = ANY($1::uuid[]) UNION ALL SELECT NULL, NULL," \
	" NULL, NULL, NULL, NULL, tock_ms(now())"

/* The batch in one transaction.  0, -1 after answering, or 1 on an
 * unexpected database error (rolled back; r->err says what).  Ops whose
 * status is already set (the fallback's rejected: internal) are only
 * recorded.  Round trips: BEGIN + device + ledger, [user + timer scopes],
 * locks + prefetch, the ops that cannot be decided in C, and the writes
 * + COMMIT. */
static int
run_tx(struct run *r, int64_t *through)
{
	struct push_ctx *c = r->c;
	struct pg *pg = c->pg;
	struct pg_res *dev = NULL, *dup = NULL, *res = NULL;
	struct pg_call calls[12];
	struct strbuf ids = STRBUF_INIT, ap = STRBUF_INIT, tids = STRBUF_INIT,
	    eids = STRBUF_INIT, hd = STRBUF_INIT, kids = STRBUF_INIT,
	    tu = STRBUF_INIT;
	const char *pu[1], *pd[1], *pi[1], *pl[3], *pc[1], *ph[1], *pa[2],
	    *pv[3], *pr[2], *pt[2], *pe[1], *ps[2], *pp[2], *pk[1], *sv;
	char ms[24], rat[24], mss[24];
	int64_t last_client_seq = 0, dev_rat, maxseq = 0, min_start = -1;
	int i, j, nc = 0, failed, retry_from = c->nops, nap = 0, nt = 0, ne = 0,
	    nk = 0, dev_call = -1, lock_call, pre_call = -1, rows_call = -1;
	bool te = false, user_locked = false;

	r->now = time_now_ms();
	strbuf_addch(&ids, '{');
	for (i = 0; i < c->nops; i++) {
		strbuf_addstr(&ids, i ? "," : "");
		strbuf_addstr(&ids, c->ops[i].id);
	}
	strbuf_addch(&ids, '}');
	pu[0] = c->user_id;
	pd[0] = c->device_id;
	pi[0] = ids.buf;
	calls[0] = (struct pg_call){ "BEGIN", 0, NULL, 0, NULL, 0 };
	calls[1] = (struct pg_call){ SET_USER_SQL, 1, pu, 0, NULL, 0 };
	calls[2] = (struct pg_call){ "SELECT user_id, revoked_at IS NOT NULL,"
	    " last_client_seq, results_acked_through FROM devices WHERE"
	    " id = $1 FOR UPDATE", 1, pd, 1, NULL, 0 };
	/* Dedup by op id (never by seq: coalescing leaves gaps). */
	calls[3] = (struct pg_call){ "SELECT op_id, result::text FROM"
	    " applied_ops WHERE op_id = ANY($1::uuid[])", 1, pi, 1, NULL, 0 };
	if (pg_pipeline(pg, calls, 4, &failed, &r->err) != 0) {
		calls_free(calls, 4);
		goto dberr;
	}
	dev = calls[2].res;
	dup = calls[3].res;
	if (pg_nrows(dev) != 1 || strcmp(pg_value(dev, 0, 0), c->user_id) !=
	    0) {
		resp_error(c->rs, 403, "forbidden", "not a device of yours");
		goto refused;
	}
	if (strcmp(pg_value(dev, 0, 1), "t") == 0) {
		resp_error(c->rs, 401, "device_revoked", "this device was "
		    "logged out; log in again");
		goto refused;
	}
	last_client_seq = i64(pg_value(dev, 0, 2));
	dev_rat = i64(pg_value(dev, 0, 3));
	if (c->results_acked_through < dev_rat)
		goto rewound;
	for (j = 0; j < pg_nrows(dup); j++)
		for (i = 0; i < c->nops; i++)
			if ((c->ops[i].status == ST_NONE ||
			    c->ops[i].status == ST_REJECTED) &&
			    strcmp(c->ops[i].id, pg_value(dup, j, 0)) == 0) {
				c->ops[i].status = ST_DUPLICATE;
				result_head(&c->ops[i], "duplicate");
				strbuf_addf(&c->ops[i].result,
				    ",\"original\":%s}", pg_value(dup, j, 1));
			}

	strbuf_addch(&tids, '{');
	strbuf_addch(&eids, '{');
	strbuf_addch(&kids, '{');
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
		scope_add(r, op_scope_uuid(op));
		/* What to prefetch: the tasks named, the entries pushed. */
		if (op->e == CL_TASK) {
			strbuf_addstr(&tids, nt++ ? "," : "");
			strbuf_addstr(&tids, op->eid);
			strbuf_addstr(&kids, nk++ ? "," : "");
			strbuf_addstr(&kids, op->eid);
		} else if (op->e == CL_TIME_ENTRY) {
			strbuf_addstr(&eids, ne++ ? "," : "");
			strbuf_addstr(&eids, op->eid);
		}
		if ((op->e == CL_TIME_ENTRY || op->e == CL_COMMENT) &&
		    (sv = sget(op->fields, "task_id")) != NULL &&
		    uuid_valid(sv)) {
			strbuf_addstr(&tids, nt++ ? "," : "");
			strbuf_addstr(&tids, sv);
		}
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
	strbuf_addch(&tids, '}');
	strbuf_addch(&eids, '}');
	strbuf_addch(&kids, '}');

	/* Lock order: device, user, scopes ascending, rows. */
	if (min_start >= 0) {
		/* Scopes of older entries a timer.start may auto-stop: the
		 * user row lock keeps this set from growing meanwhile. */
		num(mss, sizeof mss, min_start);
		pl[0] = c->user_id;
		pl[1] = mss;
		calls[0] = (struct pg_call){ "SELECT 1 FROM users WHERE id = $1"
		    " FOR NO KEY UPDATE", 1, pl, 0, NULL, 0 };
		calls[1] = (struct pg_call){ "SELECT DISTINCT workspace_id"
		    " FROM time_entries WHERE user_id = $1 AND origin = 'timer'"
		    " AND (end_time IS NULL OR end_src = 'edit' OR end_time >"
		    " to_timestamp($2::float8 / 1000))", 2, pl, 1, NULL, 0 };
		if (pg_pipeline(pg, calls, 2, &failed, &r->err) != 0) {
			calls_free(calls, 2);
			goto dberr;
		}
		for (j = 0; j < pg_nrows(calls[1].res); j++)
			scope_add(r, pg_value(calls[1].res, j, 0));
		calls_free(calls, 2);
		user_locked = true;
	}
	strbuf_addch(&hd, '{');
	for (i = 0; i < r->nsc; i++) {
		strbuf_addstr(&hd, i ? "," : "");
		strbuf_addstr(&hd, r->sc[i].id);
	}
	strbuf_addch(&hd, '}');
	nc = 0;
	if (te && !user_locked) {
		pu[0] = c->user_id;
		calls[nc++] = (struct pg_call){ "SELECT 1 FROM users WHERE"
		    " id = $1 FOR NO KEY UPDATE", 1, pu, 0, NULL, 0 };
	}
	pr[0] = hd.buf;
	pr[1] = c->user_id;
	lock_call = nc;
	calls[nc++] = (struct pg_call){ "SELECT s.id, s.last_seq, (SELECT"
	    " role FROM memberships m WHERE m.workspace_id = s.id AND"
	    " m.user_id = $2) FROM scopes s WHERE s.id = ANY($1::uuid[])"
	    " ORDER BY s.id FOR UPDATE OF s", 2, pr, 1, NULL, 0 };
	if (nt + ne > 0) {
		/* After the locks (a pipeline runs in order): no writer of
		 * these scopes can change what it reads. */
		pp[0] = tids.buf;
		pp[1] = eids.buf;
		pre_call = nc;
		calls[nc++] = (struct pg_call){ PREFETCH_SQL, 2, pp, 1, NULL,
		    0 };
	}
	if (nk > 0) {
		pk[0] = kids.buf;
		rows_call = nc;
		calls[nc++] = (struct pg_call){ TASKROWS_SQL, 1, pk, 1, NULL,
		    0 };
	}
	if (pg_pipeline(pg, calls, nc, &failed, &r->err) != 0) {
		calls_free(calls, nc);
		goto dberr;
	}
	res = calls[lock_call].res;
	for (j = 0; j < pg_nrows(res); j++) {
		struct scope *s = scope_find(r, pg_value(res, j, 0));

		s->locked = true;
		s->last = i64(pg_value(res, j, 1));
		cpy(s->role, sizeof s->role, pg_value(res, j, 2));
	}
	if (pre_call >= 0) {
		struct pg_res *pf = calls[pre_call].res;

		for (j = 0; j < pg_nrows(pf); j++) {
			idm_put(&r->exist, pg_value(pf, j, 0), "");
			if (strcmp(pg_value(pf, j, 2), "1") == 0)
				idm_put(&r->tasks, pg_value(pf, j, 0),
				    pg_value(pf, j, 1));
		}
	}
	if (rows_call >= 0) {
		struct pg_res *tr = calls[rows_call].res;

		for (j = 0; j < pg_nrows(tr); j++) {
			struct trow *t;

			if (pg_value(tr, j, 0) == NULL) {
				cpy(r->db_now, sizeof r->db_now,
				    pg_value(tr, j, 6));
				continue;
			}
			t = trow_add(r, pg_value(tr, j, 0), pg_value(tr, j, 1),
			    pg_value(tr, j, 2), pg_value(tr, j, 3));
			if (kvl_parse(&t->f, pg_value(tr, j, 4), &r->err) != 0 ||
			    kvl_parse(&t->h, pg_value(tr, j, 5), &r->err) != 0) {
				calls_free(calls, nc);
				goto dberr;
			}
		}
	}
	calls_free(calls, nc);
	res = NULL;

	for (i = 0; i < c->nops; i++) {
		struct push_op *op = &c->ops[i];
		struct scope *s;
		bool fresh;
		int rc = 0;

		if (op->status != ST_NONE)
			continue;
		s = scope_find(r, op_scope_uuid(op));
		fresh = (op->kind == OP_CREATE || op->kind == OP_TIMER_START) &&
		    idm_get(&r->exist, op->eid) == NULL &&
		    idm_get(&r->seen, op->eid) == NULL;
		idm_put(&r->seen, op->eid, "");
		if (strncmp(op->scope, "u:", 2) == 0)
			reject(op, "schema", NULL, "nothing is stored in the "
			    "user scope");
		else if (op->e == CL_WORKSPACE)
			rc = do_workspace(r, op, s);
		else if (s == NULL || !s->locked)
			reject(op, "forbidden", NULL, "no such workspace");
		else if (op->e == CL_TASK)
			rc = do_task(r, op, s);
		else if (op->e == CL_TIME_ENTRY)
			rc = do_entry(r, op, s, fresh);
		else
			rc = do_comment(r, op, s);
		if (rc != 0)
			goto dberr;
	}

	/* The ledger, the log, conflicts, scope heads, the device: pending
	 * creates first, all in one round trip with the COMMIT. */
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
	nc = pend_calls(r, calls, pt, pe);
	if (r->pu.len > 0) {
		trow_updates(r, &tu);
		pk[0] = tu.buf;
		calls[nc++] = (struct pg_call){ TASK_UPDATE_SQL, 1, pk, 0, NULL,
		    0 };
	}
	if (r->nlog > 0) {
		strbuf_addch(&r->log, ']');
		pl[0] = r->log.buf;
		pl[1] = c->device_id;
		pl[2] = c->user_id;
		calls[nc++] = (struct pg_call){ "INSERT INTO sync_log (scope_id,"
		    " seq, tx_last_seq, op_id, device_id, user_id, entity,"
		    " entity_id, kind, fields, fhlc) SELECT x.scope_id, x.seq,"
		    " max(x.seq) OVER (PARTITION BY x.scope_id), x.op_id,"
		    " CASE WHEN x.op_id IS NOT NULL THEN $2::uuid END, $3,"
		    " x.entity, x.entity_id, x.kind, x.fields, coalesce(x.fhlc,"
		    " tock_fhlc(x.fields, x.hlc)) FROM jsonb_to_recordset($1)"
		    " AS x(scope_id uuid, seq bigint, op_id uuid, entity"
		    " smallint, entity_id uuid, kind smallint, fields jsonb,"
		    " fhlc jsonb, hlc text)", 3, pl, 0, NULL, 0 };
	}
	if (r->nconf > 0) {
		strbuf_addch(&r->conf, ']');
		pc[0] = r->conf.buf;
		calls[nc++] = (struct pg_call){ "INSERT INTO conflicts"
		    " (scope_id, entity, entity_id, field, loser, loser_hlc,"
		    " winner_hlc) SELECT * FROM jsonb_to_recordset($1) AS"
		    " x(scope_id uuid, entity smallint, entity_id uuid, field"
		    " text, loser jsonb, loser_hlc text, winner_hlc text)", 1, pc,
		    0, NULL, 0 };
	}
	strbuf_reset(&hd);
	for (i = j = 0; i < r->nsc; i++) {
		if (!r->sc[i].locked || r->sc[i].next == 0)
			continue;
		strbuf_addstr(&hd, j++ ? ",{\"id\":" : "[{\"id\":");
		strbuf_add_json_str(&hd, r->sc[i].id);
		strbuf_addf(&hd, ",\"l\":%lld}",
		    (long long)(r->sc[i].last + r->sc[i].next));
	}
	if (j > 0) {
		strbuf_addch(&hd, ']');
		ph[0] = hd.buf;
		calls[nc++] = (struct pg_call){ "UPDATE scopes s SET last_seq ="
		    " x.l, updated_at = now() FROM jsonb_to_recordset($1) AS"
		    " x(id uuid, l bigint) WHERE s.id = x.id", 1, ph, 0, NULL,
		    0 };
	}
	if (nap > 0) {
		pa[0] = ap.buf;
		pa[1] = c->device_id;
		calls[nc++] = (struct pg_call){ "INSERT INTO applied_ops (op_id,"
		    " device_id, client_seq, status, result) SELECT x.op_id, $2,"
		    " x.client_seq, x.status, x.result FROM"
		    " jsonb_to_recordset($1) AS x(op_id uuid, client_seq bigint,"
		    " status smallint, result jsonb)", 2, pa, 0, NULL, 0 };
	}
	num(ms, sizeof ms, maxseq);
	num(rat, sizeof rat, c->results_acked_through);
	pv[0] = c->device_id;
	pv[1] = ms;
	pv[2] = rat;
	dev_call = nc;
	calls[nc++] = (struct pg_call){ "UPDATE devices SET"
	    " last_client_seq = GREATEST(last_client_seq, $2::bigint),"
	    " results_acked_through = GREATEST(results_acked_through,"
	    " $3::bigint), last_seen = now(), proto = 1, schema = 1"
	    " WHERE id = $1 RETURNING last_client_seq", 3, pv, 1, NULL, 0 };
	/* The client promised never to resend these. */
	ps[0] = c->device_id;
	ps[1] = rat;
	calls[nc++] = (struct pg_call){ "DELETE FROM applied_ops WHERE"
	    " device_id = $1 AND client_seq <= $2::bigint", 2, ps, 0, NULL,
	    0 };
	calls[nc++] = (struct pg_call){ "COMMIT", 0, NULL, 0, NULL, 0 };
	if (pg_pipeline(pg, calls, nc, &failed, &r->err) != 0) {
		calls_free(calls, nc);
		goto dberr;
	}
	*through = i64(pg_value(calls[dev_call].res, 0, 0));
	calls_free(calls, nc);
	pg_res_free(dev);
	pg_res_free(dup);
	strbuf_release(&ids);
	strbuf_release(&ap);
	strbuf_release(&tids);
	strbuf_release(&eids);
	strbuf_release(&hd);
	strbuf_release(&kids);
	strbuf_release(&tu);
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
	pg_res_free(dev);
	pg_res_free(dup);
	strbuf_release(&ids);
	strbuf_release(&ap);
	strbuf_release(&tids);
	strbuf_release(&eids);
	strbuf_release(&hd);
	strbuf_release(&kids);
	strbuf_release(&tu);
	return -1;
dberr:
	if (r->err.code == 0)
		tock_err_set(&r->err, TOCK_ERR, "database error");
	pg_rollback(pg);
	pg_res_free(dev);
	pg_res_free(dup);
	strbuf_release(&ids);
	strbuf_release(&ap);
	strbuf_release(&tids);
	strbuf_release(&eids);
	strbuf_release(&hd);
	strbuf_release(&kids);
	strbuf_release(&tu);
	return 1;
}

/* keep: leave the ops' outcomes as they are (the fallback's rejected:
 * internal ops, recorded without being run). */
static int
run_init(struct run *r, struct push_ctx *c, bool keep)
{
	int i, n = c->nops * 2 + 8;

	memset(r, 0, sizeof *r);
	r->c = c;
	strbuf_init(&r->log, 0);
	strbuf_init(&r->conf, 0);
	strbuf_init(&r->pt, 0);
	strbuf_init(&r->pe, 0);
	strbuf_init(&r->pu, 0);
	r->tr = calloc((size_t)c->nops + 1, sizeof *r->tr);
	/* Ops' scopes plus those of auto-stopped entries. */
	r->sc = calloc((size_t)c->nops + 64, sizeof *r->sc);
	if (r->sc == NULL || idm_init(&r->tasks, n) != 0 ||
	    idm_init(&r->exist, n) != 0 || idm_init(&r->seen, n) != 0 ||
	    r->tr == NULL || idm_init(&r->trix, n) != 0)
		return -1;
	for (i = 0; i < c->nops && !keep; i++) {
		c->ops[i].status = ST_NONE;
		strbuf_reset(&c->ops[i].result);
	}
	return 0;
}

static void
run_release(struct run *r)
{
	int i;

	free(r->sc);
	free(r->tasks.e);
	free(r->exist.e);
	free(r->seen.e);
	for (i = 0; i < r->ntr; i++)
		trow_free(&r->tr[i]);
	free(r->tr);
	free(r->trix.e);
	strbuf_release(&r->pu);
	strbuf_release(&r->log);
	strbuf_release(&r->conf);
	strbuf_release(&r->pt);
	strbuf_release(&r->pe);
}

/* fanout.c (another part) defines cl_notify; until it is linked in, this
 * weak no-op keeps the server linking.  A strong definition replaces it. */
__attribute__((weak)) void
cl_notify(const char *scope_id, int64_t head)
{
	(void)scope_id;
	(void)head;
}

/* ops[0..n) of the push in one transaction, retried as a whole on a
 * serialization failure or deadlock.  As run_tx; heads and hints are
 * handed on after a commit. */
static int
run_batch(struct push_ctx *c, struct push_op *ops, int n, bool keep,
    int64_t *through, struct heads *hs, struct tock_err *err)
{
	struct push_ctx sub = *c;
	struct run r;
	int rc, attempt, i;

	sub.ops = ops;
	sub.nops = n;
	for (attempt = 0;; attempt++) {
		if (run_init(&r, &sub, keep) != 0) {
			run_release(&r);
			/* Not the ops' fault: no per-op fallback. */
			tock_err_set(err, TOCK_EIO, "out of memory");
			return 1;
		}
		rc = run_tx(&r, through);
		if (rc == 0)
			for (i = 0; i < r.nsc; i++) {
				if (!r.sc[i].locked)
					continue;
				heads_add(hs, r.sc[i].id,
				    r.sc[i].last + r.sc[i].next);
				if (r.sc[i].next > 0)
					cl_notify(r.sc[i].id,
					    r.sc[i].last + r.sc[i].next);
			}
		if (rc == 1)
			*err = r.err;
		run_release(&r);
		if (rc != 1 || err->code != TOCK_EBUSY || attempt == 2)
			return rc;
	}
}

static void
retry_result(struct push_op *op)
{
	op->status = ST_RETRY;
	result_head(op, "retry");
	strbuf_addf(&op->result, ",\"code\":\"clock_ahead\",\"server_time\":"
	    "%lld}", (long long)time_now_ms());
}

void
push_run(struct push_ctx *c)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct heads hs = { 0, 0, NULL };
	int64_t through = 0, t;
	int rc, i, j;

	rc = run_batch(c, c->ops, c->nops, false, &through, &hs, &err);
	if (rc == 1 && err.code != TOCK_EBUSY && err.code != TOCK_EIO) {
		/* SYNC.md 3.6: an unexpected error; one op per transaction,
		 * so one bad op cannot hold back the others, and one that
		 * fails alone too is set aside (rejected: internal) rather
		 * than wedge the device's outbox. */
		log_warnx("sync push of device %s (%d ops) failed: %s; "
		    "retrying one op per transaction", c->device_id, c->nops,
		    err.msg);
		hs.n = 0;
		for (i = 0; i < c->nops; i++) {
			struct push_op *op = &c->ops[i];

			rc = c->nops > 1 ? run_batch(c, op, 1, false, &t, &hs,
			    &err) : 1;
			if (rc == 1 && err.code != TOCK_EBUSY &&
			    err.code != TOCK_EIO) {
				log_warnx("sync push of device %s: op %s "
				    "(seq %lld) rejected as internal, it failed "
				    "on its own: %s", c->device_id, op->id,
				    (long long)op->seq, err.msg);
				reject(op, "internal", NULL, "the server could "
				    "not apply this op");
				rc = run_batch(c, op, 1, true, &t, &hs, &err);
			}
			if (rc != 0)
				break;
			if (t > through)
				through = t;
			if (op->status == ST_RETRY) {
				/* clock_ahead holds back every later op. */
				for (j = i + 1; j < c->nops; j++)
					retry_result(&c->ops[j]);
				break;
			}
		}
	}
	if (rc == 1) {
		log_warnx("sync push of device %s: %s", c->device_id, err.msg);
		api_db_error(c->rq, c->rs, err.code != 0 ? err.code : TOCK_ERR,
		    &err);
	} else if (rc == 0)
		answer(c, through, &hs);
	free(hs.h);
}
