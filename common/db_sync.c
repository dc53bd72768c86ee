/*
 * db_sync.c - the SQLite half of sync (db_sync.h, sync.h): the outbox as
 * push bodies, push answers, pulled pages and snapshots merged per field
 * by HLC (SYNC.md 3.8), revocation, login adoption and the status reads.
 *
 * Merging: a row's _fhlc is read once, compared in C against the incoming
 * field clocks, and the winners go back in one fixed UPDATE per table
 * ("col = CASE WHEN ?flag THEN ?value ELSE col END"), so every table needs
 * two or three cached statements whatever fields a change carries, and
 * nothing parses a page twice.  Only metadata keys take a statement each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_int.h"
#include "db_sync.h"
#include "err.h"
#include "hlc.h"
#include "strbuf.h"
#include "sync.h"
#include "syncjson.h"
#include "timeparse.h"
#include "xmalloc.h"

/* ---- what is stored ---------------------------------------------------- */

struct scol {
	const char *name;
	const char *def;	/* SQL value when a new row lacks it */
};

struct sspec {
	const char *e;
	const char *table;
	const char *key;
	bool meta;
	const struct scol *cols;
	int ncols;
	char sel[512], ins[1536], upd[2048];
};

static const struct scol task_c[] = {
	{ "workspace_id", "''" }, { "title", "''" }, { "description", "''" },
	{ "status", "'todo'" }, { "assignee_id", NULL }, { "created_by", NULL },
	{ "created_at", "0" }, { "updated_at", "0" }, { "due_date", NULL },
	{ "deleted", "0" },
};
static const struct scol entry_c[] = {
	{ "workspace_id", "''" }, { "user_id", "''" }, { "task_id", NULL },
	{ "origin", "'timer'" }, { "start_time", "0" }, { "end_time", NULL },
	{ "end_src", NULL }, { "notes", "''" }, { "deleted", "0" },
};
static const struct scol comment_c[] = {
	{ "workspace_id", "''" }, { "task_id", "''" }, { "author_id", "''" },
	{ "body", "''" }, { "created_at", "0" }, { "deleted", "0" },
};
static const struct scol ws_c[] = {
	{ "name", "''" }, { "deleted", "0" },
};
static const struct scol ustate_c[] = {
	{ "running_entry_id", NULL }, { "running_hlc", NULL },
};

#define NC(a) ((int)(sizeof a / sizeof a[0]))
enum { SP_TASK, SP_ENTRY, SP_COMMENT, SP_WS, SP_USTATE, SP_N };
static struct sspec specs[SP_N] = {
	{ "task", "tasks", "id", true, task_c, NC(task_c), "", "", "" },
	{ "time_entry", "time_entries", "id", false, entry_c, NC(entry_c),
	    "", "", "" },
	{ "comment", "comments", "id", false, comment_c, NC(comment_c),
	    "", "", "" },
	{ "workspace", "workspaces", "id", false, ws_c, NC(ws_c), "", "", "" },
	{ "user_state", "user_state", "user_id", false, ustate_c,
	    NC(ustate_c), "", "", "" },
};
/* Column positions the timer prediction needs. */
#define EC_USER 1
#define EC_START 4
#define EC_END 5
#define EC_SRC 6
#define EC_DELETED 8

/*
 * The three statements of a table, built once from the names above.
 * sel: ?1 key -> _fhlc, _seq, then every column.
 * ins: ?1 key, ?(2+i) column i, then ?F _fhlc, ?S _seq, ?G _gen, ?M
 *      metadata.
 * upd: ?1 key, ?(2+2i) flag and ?(3+2i) value of column i, then ?F, ?S,
 *      ?G (0 = keep).
 */
static struct sspec *
spec_get(const char *e)
{
	struct sspec *s = NULL;
	int i, p;
	size_t n;

	for (i = 0; i < SP_N && e != NULL; i++)
		if (strcmp(specs[i].e, e) == 0)
			s = &specs[i];
	if (s == NULL || s->sel[0] != '\0')
		return s;
	n = (size_t)snprintf(s->sel, sizeof s->sel, "SELECT _fhlc, _seq");
	for (i = 0; i < s->ncols; i++)
		n += (size_t)snprintf(s->sel + n, sizeof s->sel - n, ", %s",
		    s->cols[i].name);
	snprintf(s->sel + n, sizeof s->sel - n, " FROM %s WHERE %s = ?1",
	    s->table, s->key);

	n = (size_t)snprintf(s->ins, sizeof s->ins, "INSERT INTO %s(%s",
	    s->table, s->key);
	for (i = 0; i < s->ncols; i++)
		n += (size_t)snprintf(s->ins + n, sizeof s->ins - n, ", %s",
		    s->cols[i].name);
	n += (size_t)snprintf(s->ins + n, sizeof s->ins - n,
	    ", _fhlc, _seq, _gen%s) VALUES (?1", s->meta ? ", metadata" : "");
	for (i = 0; i < s->ncols; i++) {
		p = 2 + i;
		if (s->cols[i].def != NULL)
			n += (size_t)snprintf(s->ins + n, sizeof s->ins - n,
			    ", coalesce(?%d, %s)", p, s->cols[i].def);
		else
			n += (size_t)snprintf(s->ins + n, sizeof s->ins - n,
			    ", ?%d", p);
	}
	p = 2 + s->ncols;
	n += (size_t)snprintf(s->ins + n, sizeof s->ins - n, ", ?%d, ?%d, ?%d",
	    p, p + 1, p + 2);
	if (s->meta)
		n += (size_t)snprintf(s->ins + n, sizeof s->ins - n,
		    ", coalesce(json(?%d), '{}')", p + 3);
	snprintf(s->ins + n, sizeof s->ins - n, ")");

	n = (size_t)snprintf(s->upd, sizeof s->upd, "UPDATE %s SET ",
	    s->table);
	for (i = 0; i < s->ncols; i++)
		n += (size_t)snprintf(s->upd + n, sizeof s->upd - n,
		    "%s = CASE WHEN ?%d THEN ?%d ELSE %s END, ",
		    s->cols[i].name, 2 + 2 * i, 3 + 2 * i, s->cols[i].name);
	p = 2 + 2 * s->ncols;
	snprintf(s->upd + n, sizeof s->upd - n, "_fhlc = ?%d, _seq = max(_seq, "
	    "?%d), _gen = CASE WHEN ?%d > 0 THEN ?%d ELSE _gen END "
	    "WHERE %s = ?1", p, p + 1, p + 2, p + 2, s->key);
	return s;
}

/* ---- field clocks ------------------------------------------------------ */

/* One _fhlc map: keys point into buf (decoded in place) or at incoming
 * field names, which outlive the map. */
struct kv {
	const char *k;
	char v[HLC_STRLEN + 1];
};
struct fmap {
	struct kv *a;
	int n, cap;
	char *buf;
	size_t bufcap;
};

static void
fmap_put(struct fmap *m, const char *k, const char *v)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->a[i].k, k) == 0)
			break;
	if (i == m->n) {
		if (m->n == m->cap) {
			m->cap = m->cap ? 2 * m->cap : 16;
			m->a = xrealloc(m->a, (size_t)m->cap * sizeof *m->a);
		}
		m->a[m->n++].k = k;
	}
	size_t n = strlen(v);

	if (n > HLC_STRLEN)
		n = HLC_STRLEN;
	memcpy(m->a[i].v, v, n);
	m->a[i].v[n] = '\0';
}

static const char *
fmap_get(const struct fmap *m, const char *k)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->a[i].k, k) == 0)
			return m->a[i].v;
	return "0";
}

/* Decode the JSON string at *p (after its quote) in place; NULL if bad. */
static char *
unquote(char **p)
{
	char *s = *p, *o = s, *r = s;

	while (*s && *s != '"') {
		if (*s == '\\' && s[1]) {
			s++;
			switch (*s) {
			case 'n': *o++ = '\n'; break;
			case 't': *o++ = '\t'; break;
			case 'r': *o++ = '\r'; break;
			case 'b': *o++ = '\b'; break;
			case 'f': *o++ = '\f'; break;
			case 'u': {
				unsigned cp = (unsigned)strtoul((char[5]){ s[1],
				    s[2], s[3], s[4], 0 }, NULL, 16);

				if (cp < 0x80) {
					*o++ = (char)cp;
				} else if (cp < 0x800) {
					*o++ = (char)(0xc0 | cp >> 6);
					*o++ = (char)(0x80 | (cp & 0x3f));
				} else {
					*o++ = (char)(0xe0 | cp >> 12);
					*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
					*o++ = (char)(0x80 | (cp & 0x3f));
				}
				s += 4;
				break;
			}
			default: *o++ = *s; break;
			}
			s++;
		} else
			*o++ = *s++;
	}
	if (*s != '"')
		return NULL;
	*o = '\0';
	*p = s + 1;
	return r;
}

/* Parse a flat {"k":"hlc",...} as SQLite's json_set writes it.  A map
 * that is not one (never written by tock) reads as empty: every incoming
 * clock then wins, which is what a row without clocks deserves. */
static void
fmap_parse(struct fmap *m, const char *text)
{
	size_t len = text ? strlen(text) : 0;
	char *p, *k, *v;

	m->n = 0;
	if (len + 1 > m->bufcap) {
		m->bufcap = len + 256;
		m->buf = xrealloc(m->buf, m->bufcap);
	}
	memcpy(m->buf, text ? text : "", len + 1);
	p = m->buf;
	while (*p && *p != '{')
		p++;
	while (*p) {
		while (*p && *p != '"' && *p != '}')
			p++;
		if (*p != '"')
			return;
		p++;
		if ((k = unquote(&p)) == NULL)
			return;
		while (*p == ' ' || *p == ':')
			p++;
		if (*p != '"')
			return;
		p++;
		if ((v = unquote(&p)) == NULL)
			return;
		fmap_put(m, k, v);
	}
}

static void
fmap_json(const struct fmap *m, struct strbuf *sb)
{
	int i;

	strbuf_reset(sb);
	strbuf_addch(sb, '{');
	for (i = 0; i < m->n; i++) {
		if (i)
			strbuf_addch(sb, ',');
		strbuf_add_json_str(sb, m->a[i].k);
		strbuf_addch(sb, ':');
		strbuf_add_json_str(sb, m->a[i].v);
	}
	strbuf_addch(sb, '}');
}

/* ---- applying rows ----------------------------------------------------- */

struct apply {
	struct db *db;
	struct sync_stats *st;
	const char *scope;	/* workspace uuid or "u:..." */
	int64_t gen;		/* snapshot generation, 0 = pull */
	int64_t seq_floor;	/* snapshot rows: _seq at least this */
	char maxh[HLC_STRLEN + 1];
	struct fmap fm;
	struct strbuf sb, meta;
	char **tasks;		/* touched task ids, for renumbering */
	int ntasks, atasks;
	char lastws[UUID_STRLEN + 1];
	int changed;
};

static void
apply_free(struct apply *a)
{
	int i;

	for (i = 0; i < a->ntasks; i++)
		free(a->tasks[i]);
	free(a->tasks);
	free(a->fm.a);
	free(a->fm.buf);
	strbuf_release(&a->sb);
	strbuf_release(&a->meta);
}

static void
bind_val(sqlite3_stmt *st, int i, const struct sj_field *f)
{
	switch (f->type) {
	case SJ_NULL:
		sqlite3_bind_null(st, i);
		break;
	case SJ_BOOL:
	case SJ_INT:
		sqlite3_bind_int64(st, i, f->num);
		break;
	case SJ_TEXT:
	case SJ_RAW:
		sqlite3_bind_text(st, i, f->text, -1, SQLITE_STATIC);
		break;
	}
}

/* The value as JSON text, for metadata. */
static void
val_json(struct strbuf *sb, const struct sj_field *f)
{
	switch (f->type) {
	case SJ_NULL:
		strbuf_addstr(sb, "null");
		break;
	case SJ_BOOL:
		strbuf_addstr(sb, f->num ? "true" : "false");
		break;
	case SJ_INT:
		strbuf_addf(sb, "%lld", (long long)f->num);
		break;
	case SJ_TEXT:
		strbuf_add_json_str(sb, f->text);
		break;
	case SJ_RAW:
		strbuf_addstr(sb, f->text);
		break;
	}
}

static bool
is_meta(const char *name)
{
	return strncmp(name, "metadata.", 9) == 0 && name[9] != '\0';
}

static int
col_index(const struct sspec *s, const char *name)
{
	int i;

	for (i = 0; i < s->ncols; i++)
		if (strcmp(s->cols[i].name, name) == 0)
			return i;
	return -1;
}

static void
note_hlc(struct apply *a, const char *h)
{
	if (h != NULL && strlen(h) == HLC_STRLEN && strcmp(h, a->maxh) > 0)
		snprintf(a->maxh, sizeof a->maxh, "%s", h);
}

static void
touch_task(struct apply *a, const char *id)
{
	if (a->ntasks == a->atasks) {
		a->atasks = a->atasks ? 2 * a->atasks : 64;
		a->tasks = xrealloc(a->tasks, (size_t)a->atasks *
		    sizeof *a->tasks);
	}
	a->tasks[a->ntasks++] = xstrdup(id);
}

/* Rows must not dangle: a workspace or task a row points at that is not
 * here yet gets a placeholder, which the snapshot or a create fills in
 * (its empty clocks lose to every real one). */
static int
ensure_parent(struct apply *a, const char *table, const char *id,
    struct tock_err *err)
{
	sqlite3_stmt *st;
	char sql[160];

	if (id == NULL || *id == '\0')
		return 0;
	if (strcmp(table, "workspaces") == 0) {
		if (strcmp(a->lastws, id) == 0)
			return 0;
		snprintf(a->lastws, sizeof a->lastws, "%s", id);
		snprintf(sql, sizeof sql,
		    "INSERT OR IGNORE INTO workspaces(id) VALUES (?1)");
	} else
		snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO tasks(id, "
		    "workspace_id, deleted) VALUES (?1, ?2, 1)");
	if ((st = dbi_stmt(a->db, sql, err)) == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	dbi_bind_text(st, 2, a->lastws);
	return dbi_step_done(a->db, st, err, "cannot add placeholder");
}

static const struct sj_field *
row_field(const struct sj_row *r, const char *name)
{
	int i;

	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, name) == 0)
			return &r->f[i];
	return NULL;
}

/* Per-key metadata writes of the winners. */
static int
meta_write(struct apply *a, const struct sspec *s, const char *key,
    const struct sj_field *f, struct tock_err *err)
{
	sqlite3_stmt *st;
	char *path;

	st = dbi_stmt(a->db, f->type == SJ_NULL ?
	    "UPDATE tasks SET metadata = json_remove(metadata, ?2) "
	    "WHERE id = ?1" :
	    "UPDATE tasks SET metadata = json_set(metadata, ?2, json(?3)) "
	    "WHERE id = ?1", err);
	(void)s;
	if (st == NULL)
		return TOCK_ERR;
	strbuf_reset(&a->meta);
	val_json(&a->meta, f);
	path = xasprintf("$.\"%s\"", f->name + 9);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, path, -1, free);
	if (f->type != SJ_NULL)
		sqlite3_bind_text(st, 3, a->meta.buf, -1, SQLITE_STATIC);
	return dbi_step_done(a->db, st, err, "cannot write metadata");
}

/*
 * Before a time entry becomes running: the one_running_timer index allows
 * one running entry per user, so predict SYNC.md 3.11 locally.  The entry
 * whose start clock is greater runs; the other ends at its start ('auto').
 * The prediction writes no field clock, so the server's rows, which
 * arrive later, win.  *end_out is the end to give the incoming entry, or
 * -1 when it may run.
 */
static int
predict_timer(struct apply *a, const char *id, const char *user,
    int64_t start, const char *start_hlc, int64_t *end_out,
    struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(a->db, "SELECT id, start_time, "
	    "coalesce(json_extract(_fhlc, '$.start_time'), '0') "
	    "FROM time_entries WHERE user_id = ?1 AND end_time IS NULL AND "
	    "deleted = 0 AND id <> ?2", err);
	char other[UUID_STRLEN + 1], ohlc[HLC_STRLEN + 1];
	int64_t ostart;
	int rc;

	*end_out = -1;
	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? 0 : dbi_fail(a->db, err,
		    "cannot read timers");
	}
	dbi_copy_col(other, sizeof other, st, 0);
	ostart = sqlite3_column_int64(st, 1);
	dbi_copy_col(ohlc, sizeof ohlc, st, 2);
	sqlite3_reset(st);
	if (strcmp(start_hlc, ohlc) > 0) {
		if ((st = dbi_stmt(a->db, "UPDATE time_entries SET end_time = "
		    "max(start_time, ?2), end_src = 'auto' WHERE id = ?1",
		    err)) == NULL)
			return TOCK_ERR;
		sqlite3_bind_text(st, 1, other, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, start);
		return dbi_step_done(a->db, st, err, "cannot stop timer");
	}
	*end_out = start > ostart ? start : ostart;
	return 0;
}

static int
apply_membership(struct apply *a, const struct sj_row *r,
    struct tock_err *err);
static int
apply_conflict(struct apply *a, const struct sj_row *r, struct tock_err *err);
static int
apply_notification(struct apply *a, const struct sj_row *r,
    struct tock_err *err);

/* Remove a purged row (or hide it when something still points at it). */
static int
purge_row(struct apply *a, const struct sspec *s, const char *id,
    struct tock_err *err)
{
	char sql[160];
	sqlite3_stmt *st;

	snprintf(sql, sizeof sql, "DELETE FROM %s WHERE %s = ?1", s->table,
	    s->key);
	if ((st = dbi_stmt(a->db, sql, err)) == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE) {
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (strcmp(s->table, "user_state") == 0)
		return 0;
	snprintf(sql, sizeof sql, "UPDATE %s SET deleted = 1 WHERE id = ?1",
	    s->table);
	if ((st = dbi_stmt(a->db, sql, err)) == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	return dbi_step_done(a->db, st, err, "cannot purge row");
}

/* One change or snapshot row, merged by field clock (SYNC.md 3.8). */
static int
apply_row(struct apply *a, const struct sj_row *r, struct tock_err *err)
{
	struct sspec *s;
	sqlite3_stmt *st;
	bool exists, entry, any = false, win[16] = { false };
	const struct sj_field *val[16] = { NULL };
	struct sj_field fend = { .type = SJ_INT }, fsrc = { .type = SJ_TEXT,
	    .text = "auto" }, fws = { .type = SJ_TEXT };
	int64_t seq = r->seq > a->seq_floor ? r->seq : a->seq_floor, end;
	int64_t cur_start = 0, cur_end = -1, cur_del = 0;
	char cur_user[UUID_STRLEN + 1] = "";
	int i, c, rc, p;

	if (r->e == NULL || r->eid == NULL)
		return 0;
	if (strcmp(r->e, "membership") == 0)
		return apply_membership(a, r, err);
	if (strcmp(r->e, "conflict") == 0)
		return apply_conflict(a, r, err);
	if (strcmp(r->e, "notification") == 0)
		return apply_notification(a, r, err);
	if ((s = spec_get(r->e)) == NULL)
		return 0;	/* an entity this build does not know */
	entry = s == &specs[SP_ENTRY];
	for (i = 0; i < r->nf; i++)
		note_hlc(a, r->f[i].hlc);

	if ((st = dbi_stmt(a->db, s->sel, err)) == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, r->eid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	exists = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqlite3_reset(st);
		return dbi_fail(a->db, err, "cannot read row");
	}
	fmap_parse(&a->fm, exists ? (const char *)sqlite3_column_text(st, 0) :
	    "{}");
	if (exists && entry) {
		dbi_copy_col(cur_user, sizeof cur_user, st, 2 + EC_USER);
		cur_start = sqlite3_column_int64(st, 2 + EC_START);
		cur_end = sqlite3_column_type(st, 2 + EC_END) == SQLITE_NULL ?
		    -1 : sqlite3_column_int64(st, 2 + EC_END);
		cur_del = sqlite3_column_int64(st, 2 + EC_DELETED);
	}
	sqlite3_reset(st);

	if (r->kind != NULL && strcmp(r->kind, "purge") == 0)
		return exists ? purge_row(a, s, r->eid, err) : 0;
	if (!exists && r->kind != NULL && strcmp(r->kind, "create") != 0 &&
	    strcmp(r->kind, "restore") != 0)
		return 0;	/* a set of a row deleted before our snapshot */

	/* Winners: strictly newer clocks (missing = "0"). */
	for (i = 0; i < r->nf; i++) {
		const struct sj_field *f = &r->f[i];

		if (f->hlc == NULL)
			continue;
		c = col_index(s, f->name);
		if (c < 0 && !(s->meta && is_meta(f->name)))
			continue;	/* cannot store it: keep its clock out */
		if (strcmp(f->hlc, fmap_get(&a->fm, f->name)) <= 0)
			continue;
		fmap_put(&a->fm, f->name, f->hlc);
		any = true;
		if (c >= 0) {
			win[c] = true;
			val[c] = f;
		}
	}
	if (!exists && !any)
		return 0;

	if (entry) {
		/* The entry's state after the merge. */
		const char *user = win[EC_USER] && val[EC_USER]->type ==
		    SJ_TEXT ? val[EC_USER]->text : cur_user;
		int64_t start = win[EC_START] ? val[EC_START]->num : cur_start;
		bool running = win[EC_END] ? val[EC_END]->type == SJ_NULL :
		    (exists ? cur_end < 0 : true);
		int64_t del = win[EC_DELETED] ? val[EC_DELETED]->num : cur_del;

		if (running && del == 0 && *user != '\0') {
			if ((rc = predict_timer(a, r->eid, user, start,
			    fmap_get(&a->fm, "start_time"), &end, err)) != 0)
				return rc;
			if (end >= 0) {
				fend.num = end;
				win[EC_END] = win[EC_SRC] = true;
				val[EC_END] = &fend;
				val[EC_SRC] = &fsrc;
			}
		}
	}
	if (s == &specs[SP_TASK] || entry || s == &specs[SP_COMMENT]) {
		const struct sj_field *ws;

		/* A row first seen here belongs to the scope's workspace even
		 * when its log row does not say so (a REST create names only
		 * what the client sent). */
		if (!exists && !win[0] && a->scope[0] != '\0' &&
		    strncmp(a->scope, "u:", 2) != 0) {
			fws.text = a->scope;
			win[0] = true;
			val[0] = &fws;
		}
		ws = val[0];

		if (ws != NULL && ws->type == SJ_TEXT &&
		    (rc = ensure_parent(a, "workspaces", ws->text, err)) != 0)
			return rc;
		if (s != &specs[SP_TASK]) {
			c = entry ? 2 : 1;
			if (val[c] != NULL && val[c]->type == SJ_TEXT &&
			    (rc = ensure_parent(a, "tasks", val[c]->text,
			    err)) != 0)
				return rc;
		}
	}
	fmap_json(&a->fm, &a->sb);

	if (!exists) {
		if ((st = dbi_stmt(a->db, s->ins, err)) == NULL)
			return TOCK_ERR;
		sqlite3_bind_text(st, 1, r->eid, -1, SQLITE_STATIC);
		for (c = 0; c < s->ncols; c++)
			if (win[c])
				bind_val(st, 2 + c, val[c]);
		p = 2 + s->ncols;
		sqlite3_bind_text(st, p, a->sb.buf, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, p + 1, seq);
		sqlite3_bind_int64(st, p + 2, a->gen);
		if (s->meta) {
			/* The whole metadata object at once. */
			int n = 0;

			strbuf_reset(&a->meta);
			strbuf_addch(&a->meta, '{');
			for (i = 0; i < r->nf; i++) {
				const struct sj_field *f = &r->f[i];

				if (!is_meta(f->name) || f->hlc == NULL ||
				    f->type == SJ_NULL)
					continue;
				if (n++)
					strbuf_addch(&a->meta, ',');
				strbuf_add_json_str(&a->meta, f->name + 9);
				strbuf_addch(&a->meta, ':');
				val_json(&a->meta, f);
			}
			strbuf_addch(&a->meta, '}');
			sqlite3_bind_text(st, p + 3, a->meta.buf, -1,
			    SQLITE_STATIC);
		}
		if ((rc = dbi_step_done(a->db, st, err, "cannot insert row")))
			return rc;
	} else {
		if ((st = dbi_stmt(a->db, s->upd, err)) == NULL)
			return TOCK_ERR;
		sqlite3_bind_text(st, 1, r->eid, -1, SQLITE_STATIC);
		for (c = 0; c < s->ncols; c++) {
			sqlite3_bind_int(st, 2 + 2 * c, win[c]);
			if (win[c])
				bind_val(st, 3 + 2 * c, val[c]);
		}
		p = 2 + 2 * s->ncols;
		sqlite3_bind_text(st, p, a->sb.buf, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, p + 1, seq);
		sqlite3_bind_int64(st, p + 2, a->gen);
		if ((rc = dbi_step_done(a->db, st, err, "cannot update row")))
			return rc;
		for (i = 0; s->meta && i < r->nf; i++) {
			const struct sj_field *f = &r->f[i];

			if (is_meta(f->name) && f->hlc != NULL &&
			    strcmp(fmap_get(&a->fm, f->name), f->hlc) == 0 &&
			    (rc = meta_write(a, s, r->eid, f, err)) != 0)
				return rc;
		}
	}
	if (any)
		a->changed++;
	if (s == &specs[SP_TASK])
		touch_task(a, r->eid);
	return 0;
}

static const char *
text_of(const struct sj_field *f)
{
	return f != NULL && f->type == SJ_TEXT ? f->text : NULL;
}

/* A membership change: the member's user row (name, email) and the
 * membership, role and deleted merged by clock (null role = removed). */
static int
apply_membership(struct apply *a, const struct sj_row *r,
    struct tock_err *err)
{
	const struct sj_field *fu = row_field(r, "user_id");
	const struct sj_field *fw = row_field(r, "workspace_id");
	const struct sj_field *fr = row_field(r, "role");
	const struct sj_field *fd = row_field(r, "deleted");
	const struct sj_field *fn = row_field(r, "name");
	const struct sj_field *fe = row_field(r, "email");
	const char *uid = text_of(fu) ? text_of(fu) : r->eid;
	const char *ws = text_of(fw) ? text_of(fw) :
	    (strncmp(a->scope, "u:", 2) != 0 ? a->scope : NULL);
	const char *role = text_of(fr);
	bool exists, wrole = false, wdel = false, removed;
	int64_t seq = r->seq > a->seq_floor ? r->seq : a->seq_floor;
	sqlite3_stmt *st;
	int rc;

	if (ws == NULL)
		return 0;
	if (role != NULL && strcmp(role, "admin") != 0 &&
	    strcmp(role, "lead") != 0 && strcmp(role, "member") != 0)
		role = NULL;
	if ((st = dbi_stmt(a->db, "INSERT INTO users(id, name, email) "
	    "VALUES (?1, coalesce(?2, ''), ?3) ON CONFLICT(id) DO UPDATE SET "
	    "name = coalesce(?2, name), email = coalesce(?3, email)",
	    err)) == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
	dbi_bind_text(st, 2, text_of(fn));
	dbi_bind_text(st, 3, text_of(fe));
	if ((rc = dbi_step_done(a->db, st, err, "cannot write user")) != 0 ||
	    (rc = ensure_parent(a, "workspaces", ws, err)) != 0)
		return rc;

	if ((st = dbi_stmt(a->db, "SELECT _fhlc FROM memberships WHERE "
	    "workspace_id = ?1 AND user_id = ?2", err)) == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, ws, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, uid, -1, SQLITE_STATIC);
	exists = sqlite3_step(st) == SQLITE_ROW;
	fmap_parse(&a->fm, exists ? (const char *)sqlite3_column_text(st, 0) :
	    "{}");
	sqlite3_reset(st);
	if (fr != NULL && fr->hlc != NULL &&
	    strcmp(fr->hlc, fmap_get(&a->fm, "role")) > 0) {
		note_hlc(a, fr->hlc);
		fmap_put(&a->fm, "role", fr->hlc);
		wrole = true;
	}
	if (fd != NULL && fd->hlc != NULL &&
	    strcmp(fd->hlc, fmap_get(&a->fm, "deleted")) > 0) {
		note_hlc(a, fd->hlc);
		fmap_put(&a->fm, "deleted", fd->hlc);
		wdel = true;
	}
	removed = (wrole && role == NULL) || (wdel && fd->num != 0);
	if (!exists && (role == NULL || removed))
		return 0;
	fmap_json(&a->fm, &a->sb);
	if (!exists)
		st = dbi_stmt(a->db, "INSERT INTO memberships(workspace_id, "
		    "user_id, role, deleted, _fhlc, _seq, _gen) VALUES "
		    "(?1, ?2, ?4, 0, ?6, ?7, ?8)", err);
	else
		st = dbi_stmt(a->db, "UPDATE memberships SET "
		    "role = CASE WHEN ?3 AND ?4 IS NOT NULL THEN ?4 ELSE role END, "
		    "deleted = CASE WHEN ?5 >= 0 THEN ?5 ELSE deleted END, "
		    "_fhlc = ?6, _seq = max(_seq, ?7), "
		    "_gen = CASE WHEN ?8 > 0 THEN ?8 ELSE _gen END "
		    "WHERE workspace_id = ?1 AND user_id = ?2", err);
	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, ws, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, uid, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, wrole);
	dbi_bind_text(st, 4, role);
	sqlite3_bind_int(st, 5, removed ? 1 : (wdel || (wrole && role)) ? 0 :
	    -1);
	sqlite3_bind_text(st, 6, a->sb.buf, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, seq);
	sqlite3_bind_int64(st, 8, a->gen);
	if ((rc = dbi_step_done(a->db, st, err, "cannot write membership")))
		return rc;
	a->changed++;
	return 0;
}

/* Insert a conflict unless it is known (from a push result or an earlier
 * page). */
static int
conflict_add(struct db *db, const char *server_id, const char *entity,
    const char *eid, const char *field, const char *loser,
    const char *loser_hlc, const char *winner_hlc, int64_t at, int *added,
    struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "INSERT INTO conflicts(server_id, "
	    "entity, entity_id, field, loser_value, loser_hlc, winner_hlc, "
	    "detected_at, seen) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0 "
	    "WHERE NOT EXISTS (SELECT 1 FROM conflicts WHERE entity_id = ?3 "
	    "AND field = ?4 AND loser_hlc IS ?6 AND winner_hlc IS ?7) AND "
	    "(?1 IS NULL OR NOT EXISTS (SELECT 1 FROM conflicts WHERE "
	    "server_id = ?1))", err);
	int rc;

	if (st == NULL)
		return TOCK_ERR;
	dbi_bind_text(st, 1, server_id);
	dbi_bind_text(st, 2, entity);
	dbi_bind_text(st, 3, eid);
	dbi_bind_text(st, 4, field);
	dbi_bind_text(st, 5, loser);
	dbi_bind_text(st, 6, loser_hlc);
	dbi_bind_text(st, 7, winner_hlc);
	sqlite3_bind_int64(st, 8, at);
	if ((rc = dbi_step_done(db, st, err, "cannot record conflict")) != 0)
		return rc;
	if (sqlite3_changes(db->h) > 0)
		(*added)++;
	return 0;
}

static int
apply_conflict(struct apply *a, const struct sj_row *r, struct tock_err *err)
{
	const struct sj_field *lv = row_field(r, "loser_value");
	const struct sj_field *at = row_field(r, "detected_at");
	const char *ent = text_of(row_field(r, "entity"));
	int added = 0, rc;

	if (lv == NULL)
		lv = row_field(r, "loser");
	if (at == NULL)
		at = row_field(r, "created_at");
	if (ent == NULL)
		ent = text_of(row_field(r, "e"));
	strbuf_reset(&a->meta);
	if (lv != NULL)
		val_json(&a->meta, lv);
	rc = conflict_add(a->db, r->eid, ent ? ent : "task",
	    text_of(row_field(r, "entity_id")) ? text_of(row_field(r,
	    "entity_id")) : text_of(row_field(r, "eid")),
	    text_of(row_field(r, "field")), lv ? a->meta.buf : NULL,
	    text_of(row_field(r, "loser_hlc")),
	    text_of(row_field(r, "winner_hlc")),
	    at && at->type == SJ_INT ? at->num : time_now_ms(), &added, err);
	if (a->st != NULL)
		a->st->conflicts += added;
	return rc;
}

/*
 * A notification from the user's private scope (tock inbox): written once,
 * never merged (the server never changes one); whether it was read is
 * this replica's own business.
 */
static int
apply_notification(struct apply *a, const struct sj_row *r,
    struct tock_err *err)
{
	const char *kind = text_of(row_field(r, "kind"));
	const struct sj_field *at = row_field(r, "created_at");
	sqlite3_stmt *st;
	int i, rc;

	if (kind == NULL)
		return 0;
	strbuf_reset(&a->meta);
	strbuf_addch(&a->meta, '{');
	for (i = 0; i < r->nf; i++) {
		if (i > 0)
			strbuf_addch(&a->meta, ',');
		strbuf_add_json_str(&a->meta, r->f[i].name);
		strbuf_addch(&a->meta, ':');
		val_json(&a->meta, &r->f[i]);
	}
	strbuf_addch(&a->meta, '}');
	if ((st = dbi_stmt(a->db, "INSERT INTO notifications(id, kind, "
	    "payload, created_at, _seq) VALUES (?1, ?2, ?3, ?4, ?5) "
	    "ON CONFLICT(id) DO NOTHING", err)) == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, r->eid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->meta.buf, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, at != NULL && at->type == SJ_INT ? at->num :
	    time_now_ms());
	sqlite3_bind_int64(st, 5, r->seq);
	if ((rc = dbi_step_done(a->db, st, err, "cannot store notification")))
		return rc;
	if (sqlite3_changes(a->db->h) > 0)
		a->changed++;
	return 0;
}

/* Short numbers for the tasks a page touched.  A few: the smallest free
 * number each (as the CLI does); many (a snapshot): one after the largest,
 * since looking for gaps per task would be quadratic. */
static int
renumber(struct apply *a, struct tock_err *err)
{
	sqlite3_stmt *st;
	int64_t next;
	int i, rc;

	if (a->ntasks <= 32) {
		for (i = 0; i < a->ntasks; i++)
			if ((rc = dbi_task_renumber(a->db, a->tasks[i], err)))
				return rc;
		return 0;
	}
	if ((rc = dbi_int64(a->db, "SELECT coalesce(max(num), 0) FROM tasks",
	    &next, err)) != 0)
		return rc;
	for (i = 0; i < a->ntasks; i++) {
		if ((st = dbi_stmt(a->db, "UPDATE tasks SET num = CASE WHEN "
		    "deleted = 0 AND status IN ('todo','in_progress') THEN "
		    "coalesce(num, ?2) ELSE NULL END WHERE id = ?1 AND "
		    "(num IS NULL) = (deleted = 0 AND status IN "
		    "('todo','in_progress'))", err)) == NULL)
			return TOCK_ERR;
		sqlite3_bind_text(st, 1, a->tasks[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, next + 1);
		if ((rc = dbi_step_done(a->db, st, err, "cannot number task")))
			return rc;
		if (sqlite3_changes(a->db->h) > 0)
			next++;
	}
	return 0;
}

/* Kulkarni's recv with the page's highest clock. */
static int
hlc_merge(struct db *db, const char *maxh, struct tock_err *err)
{
	struct hlc m;

	if (maxh[0] == '\0' || hlc_parse(&m, maxh, NULL) != 0)
		return 0;
	return dbi_hlc_advance(db, &m, NULL, err);
}

static int
apply_rows(struct apply *a, const struct sj_scope *s, struct tock_err *err)
{
	int i, rc;

	for (i = 0; i < s->nrows; i++)
		if ((rc = apply_row(a, &s->rows[i], err)) != 0)
			return rc;
	return 0;
}

/* What every apply transaction ends with. */
static int
apply_finish(struct apply *a, struct tock_err *err)
{
	int rc;

	if ((rc = renumber(a, err)) != 0)
		return rc;
	return hlc_merge(a->db, a->maxh, err);
}

/* ---- transactions ------------------------------------------------------ */

static int
commit_or_rollback(struct db *db, int rc, struct tock_err *err)
{
	if (rc != 0) {
		db_rollback(db);
		return rc;
	}
	return db_commit(db, err);
}

#define OP_PAYLOAD \
	"json_object('seq', seq, 'id', op_id, 'scope', scope, 'e', entity, " \
	"'eid', entity_id, 'kind', kind, 'hlc', hlc, 'fields', json(fields), " \
	"'base', json(base))"

/* SYNC.md 3.13: the scope's pending ops to quarantine, its rows gone, the
 * cursor revoked; the current workspace moves to the personal one. */
static int
revoke_scope(struct apply *a, const char *scope, struct tock_err *err)
{
	static const char *const del[] = {
		"DELETE FROM comments WHERE workspace_id = ?1",
		"DELETE FROM time_entries WHERE workspace_id = ?1",
		"DELETE FROM tasks WHERE workspace_id = ?1",
		"DELETE FROM memberships WHERE workspace_id = ?1",
		"DELETE FROM workspaces WHERE id = ?1",
		"UPDATE sync_cursor SET state = 'revoked', snap_token = NULL, "
		"updated_at = ?2 WHERE scope = ?1",
	};
	char cur[UUID_STRLEN + 1] = "", def[UUID_STRLEN + 1] = "";
	sqlite3_stmt *st;
	size_t i;
	int rc;

	if ((st = dbi_stmt(a->db, "INSERT OR REPLACE INTO quarantine(op_id, "
	    "scope, payload, code, message, rejected_at) SELECT op_id, scope, "
	    OP_PAYLOAD ", 'access_revoked', 'access to the workspace was "
	    "revoked', ?2 FROM outbox WHERE scope = ?1", err)) == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, time_now_ms());
	if ((rc = dbi_step_done(a->db, st, err, "cannot quarantine")) != 0)
		return rc;
	if ((st = dbi_stmt(a->db, "DELETE FROM outbox WHERE scope = ?1",
	    err)) == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	if ((rc = dbi_step_done(a->db, st, err, "cannot drop ops")) != 0)
		return rc;
	for (i = 0; i < sizeof del / sizeof del[0]; i++) {
		if ((st = dbi_stmt(a->db, del[i], err)) == NULL)
			return TOCK_ERR;
		sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
		if (i == 5)
			sqlite3_bind_int64(st, 2, time_now_ms());
		if ((rc = dbi_step_done(a->db, st, err, "cannot drop scope")))
			return rc;
	}
	if (a->st != NULL)
		a->st->revoked++;
	a->changed++;
	dbi_meta_get(a->db, "workspace_id", cur, sizeof cur, NULL);
	if (strcmp(cur, scope) != 0)
		return 0;
	/* The personal workspace, else any left. */
	if (dbi_meta_get(a->db, "default_workspace_id", def, sizeof def,
	    NULL) != 0 || strcmp(def, scope) == 0) {
		if ((st = dbi_stmt(a->db, "SELECT workspace_id FROM memberships "
		    "WHERE user_id = ?1 AND deleted = 0 ORDER BY workspace_id "
		    "LIMIT 1", err)) == NULL)
			return TOCK_ERR;
		sqlite3_bind_text(st, 1, a->db->user_id, -1, SQLITE_STATIC);
		def[0] = '\0';
		if (sqlite3_step(st) == SQLITE_ROW)
			dbi_copy_col(def, sizeof def, st, 0);
		sqlite3_reset(st);
	}
	if (def[0] == '\0')
		return 0;
	if ((rc = dbi_meta_set(a->db, "workspace_id", def, err)) != 0)
		return rc;
	snprintf(a->db->workspace_id, sizeof a->db->workspace_id, "%s", def);
	return 0;
}

int
dbs_pull_prepare(struct db *db, struct strbuf *body, struct tock_err *err)
{
	char dev[UUID_STRLEN + 1] = "", us[SYNC_SCOPE_LEN + 1];
	sqlite3_stmt *st;
	int n = 0, rc;

	snprintf(us, sizeof us, "u:%s", db->user_id);
	if ((st = dbi_stmt(db, "INSERT OR IGNORE INTO sync_cursor(scope, "
	    "cursor, state, updated_at) VALUES (?1, 0, 'live', ?2)",
	    err)) == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, us, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, time_now_ms());
	if ((rc = dbi_step_done(db, st, err, "cannot add user scope")) != 0)
		return rc;
	dbi_meta_get(db, "device_id", dev, sizeof dev, NULL);
	strbuf_addstr(body, "{\"v\":1,\"schema\":1,\"device_id\":");
	strbuf_add_json_str(body, dev);
	strbuf_addstr(body, ",\"scopes\":[");
	if ((st = dbi_stmt(db, "SELECT scope, cursor FROM sync_cursor WHERE "
	    "state = 'live' ORDER BY scope", err)) == NULL)
		return TOCK_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		strbuf_addstr(body, n++ ? ",{\"id\":" : "{\"id\":");
		strbuf_add_json_str(body, (const char *)sqlite3_column_text(st,
		    0));
		strbuf_addf(body, ",\"cursor\":%lld}",
		    (long long)sqlite3_column_int64(st, 1));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dbi_fail(db, err, "cannot read cursors");
	strbuf_addstr(body, "],\"limit\":1000}");
	return 0;
}

/* One scope's page: its rows and its cursor. */
static int
apply_page(struct apply *a, const struct sj_scope *s, struct tock_err *err)
{
	sqlite3_stmt *st;
	int rc;

	a->scope = s->id;
	if ((rc = apply_rows(a, s, err)) != 0)
		return rc;
	if (a->st != NULL)
		a->st->pulled += s->nrows;
	if ((st = dbi_stmt(a->db, "UPDATE sync_cursor SET cursor = ?2, "
	    "head = ?3, updated_at = ?4 WHERE scope = ?1 AND "
	    "(cursor IS NOT ?2 OR head IS NOT ?3)", err)) == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, s->next_cursor);
	sqlite3_bind_int64(st, 3, s->head > s->next_cursor ? s->head :
	    s->next_cursor);
	sqlite3_bind_int64(st, 4, time_now_ms());
	return dbi_step_done(a->db, st, err, "cannot save cursor");
}

static int
scope_state(struct db *db, const char *scope, char state[12], int64_t *cursor,
    struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "SELECT state, cursor FROM sync_cursor "
	    "WHERE scope = ?1", err);
	int rc;

	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	state[0] = '\0';
	if (rc == SQLITE_ROW) {
		dbi_copy_col(state, 12, st, 0);
		*cursor = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
	    dbi_fail(db, err, "cannot read cursor");
}

static int
pull_apply(struct apply *a, const struct sj_msg *m, bool *more,
    struct tock_err *err)
{
	char state[12];
	int64_t cursor = 0;
	sqlite3_stmt *st;
	int i, rc;

	for (i = 0; i < m->nscopes; i++) {
		const struct sj_scope *s = &m->scopes[i];

		if ((rc = scope_state(a->db, s->id, state, &cursor, err)) != 0)
			return rc;
		if (strcmp(state, "live") != 0)
			continue;	/* not asked for, or changed meanwhile */
		if (s->reset != NULL && strcmp(s->reset, "access_revoked") == 0) {
			if ((rc = revoke_scope(a, s->id, err)) != 0)
				return rc;
			continue;
		}
		if (s->reset != NULL) {
			/* Re-snapshot, then sweep what the server forgot. */
			if ((st = dbi_stmt(a->db, "UPDATE sync_cursor SET "
			    "state = 'snapshot', snap_token = NULL WHERE "
			    "scope = ?1", err)) == NULL)
				return TOCK_ERR;
			sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC);
			if ((rc = dbi_step_done(a->db, st, err,
			    "cannot reset scope")) != 0)
				return rc;
			continue;
		}
		if ((rc = apply_page(a, s, err)) != 0)
			return rc;
		if (s->has_more)
			*more = true;
	}
	/* New scopes get snapshotted; a revoked one that is back too. */
	for (i = 0; i < m->nheads; i++) {
		const struct sj_head *h = &m->heads[i];

		if ((st = dbi_stmt(a->db, "INSERT INTO sync_cursor(scope, cursor, "
		    "state, head, updated_at) VALUES (?1, 0, 'snapshot', ?2, ?3) "
		    "ON CONFLICT(scope) DO UPDATE SET head = excluded.head, "
		    "state = CASE WHEN state = 'revoked' THEN 'snapshot' ELSE "
		    "state END WHERE head IS NOT excluded.head OR "
		    "state = 'revoked'", err)) == NULL)
			return TOCK_ERR;
		sqlite3_bind_text(st, 1, h->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, h->head);
		sqlite3_bind_int64(st, 3, time_now_ms());
		if ((rc = dbi_step_done(a->db, st, err, "cannot add scope")))
			return rc;
		if (h->name != NULL && strncmp(h->id, "u:", 2) != 0) {
			if ((st = dbi_stmt(a->db, "INSERT OR IGNORE INTO "
			    "workspaces(id, name) VALUES (?1, ?2)", err)) == NULL)
				return TOCK_ERR;
			sqlite3_bind_text(st, 1, h->id, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, h->name, -1, SQLITE_STATIC);
			if ((rc = dbi_step_done(a->db, st, err,
			    "cannot add workspace")) != 0)
				return rc;
		}
	}
	return apply_finish(a, err);
}

int
dbs_pull_apply(struct db *db, const struct sj_msg *m, struct sync_stats *st,
    bool *more, struct tock_err *err)
{
	struct apply a = { .db = db, .st = st, .sb = STRBUF_INIT,
	    .meta = STRBUF_INIT };
	int rc;

	*more = false;
	if ((rc = db_begin(db, err)) != 0)
		return rc;
	rc = commit_or_rollback(db, pull_apply(&a, m, more, err), err);
	if (rc == 0 && a.changed && st != NULL)
		st->changed = true;
	apply_free(&a);
	return rc;
}

int
dbs_snapshot_next(struct db *db, char scope[SYNC_SCOPE_LEN + 1],
    char **token, struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "SELECT scope, snap_token FROM "
	    "sync_cursor WHERE state = 'snapshot' ORDER BY scope LIMIT 1", err);
	int rc;

	*token = NULL;
	if (st == NULL)
		return TOCK_ERR;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		dbi_copy_col(scope, SYNC_SCOPE_LEN + 1, st, 0);
		*token = dbi_dup_col_or_null(st, 1);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return TOCK_ENOTFOUND;
	return rc == SQLITE_ROW ? 0 : dbi_fail(db, err, "cannot read cursors");
}

/* After a snapshot: rows of the scope the server no longer has. */
static int
sweep(struct apply *a, const char *scope, struct tock_err *err)
{
	static const char *const sql[] = {
		"DELETE FROM comments WHERE workspace_id = ?1 AND _seq > 0 AND "
		"_gen < ?2 AND NOT EXISTS (SELECT 1 FROM outbox o WHERE "
		"o.entity = 'comment' AND o.entity_id = comments.id)",
		"DELETE FROM time_entries WHERE workspace_id = ?1 AND _seq > 0 "
		"AND _gen < ?2 AND NOT EXISTS (SELECT 1 FROM outbox o WHERE "
		"o.entity = 'time_entry' AND o.entity_id = time_entries.id)",
		"DELETE FROM tasks WHERE workspace_id = ?1 AND _seq > 0 AND "
		"_gen < ?2 AND NOT EXISTS (SELECT 1 FROM outbox o WHERE "
		"o.entity = 'task' AND o.entity_id = tasks.id) AND NOT EXISTS "
		"(SELECT 1 FROM time_entries e WHERE e.task_id = tasks.id) AND "
		"NOT EXISTS (SELECT 1 FROM comments c WHERE c.task_id = tasks.id)",
		"DELETE FROM memberships WHERE workspace_id = ?1 AND _seq > 0 AND "
		"_gen < ?2",
	};
	sqlite3_stmt *st;
	size_t i;
	int rc;

	if (strncmp(scope, "u:", 2) == 0)
		return 0;
	for (i = 0; i < sizeof sql / sizeof sql[0]; i++) {
		if ((st = dbi_stmt(a->db, sql[i], err)) == NULL)
			return TOCK_ERR;
		sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, a->gen);
		if ((rc = dbi_step_done(a->db, st, err, "cannot sweep")) != 0)
			return rc;
		if (sqlite3_changes(a->db->h) > 0)
			a->changed++;
	}
	return 0;
}

static int
snapshot_apply(struct apply *a, const char *scope, bool first,
    const struct sj_msg *m, struct tock_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (first) {
		if ((st = dbi_stmt(a->db, "UPDATE sync_cursor SET snap_gen = "
		    "snap_gen + 1 WHERE scope = ?1", err)) == NULL)
			return TOCK_ERR;
		sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
		if ((rc = dbi_step_done(a->db, st, err, "cannot start snapshot")))
			return rc;
	}
	if ((st = dbi_stmt(a->db, "SELECT snap_gen FROM sync_cursor WHERE "
	    "scope = ?1 AND state = 'snapshot'", err)) == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	a->gen = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return tock_err_set(err, TOCK_ENOTFOUND, "scope '%s' is not "
		    "being snapshotted", scope);
	a->scope = scope;
	a->seq_floor = m->snapshot_seq;
	if ((rc = apply_rows(a, &m->scopes[0], err)) != 0)
		return rc;
	if (a->st != NULL)
		a->st->snapshot_rows += m->scopes[0].nrows;
	if (m->done) {
		if ((rc = sweep(a, scope, err)) != 0)
			return rc;
		st = dbi_stmt(a->db, "UPDATE sync_cursor SET cursor = ?2, "
		    "state = 'live', snap_token = NULL, head = max(coalesce(head, "
		    "0), ?2), updated_at = ?3 WHERE scope = ?1", err);
	} else
		st = dbi_stmt(a->db, "UPDATE sync_cursor SET snap_token = ?4, "
		    "updated_at = ?3 WHERE scope = ?1", err);
	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, m->snapshot_seq);
	sqlite3_bind_int64(st, 3, time_now_ms());
	dbi_bind_text(st, 4, m->token);
	if ((rc = dbi_step_done(a->db, st, err, "cannot save snapshot")) != 0)
		return rc;
	return apply_finish(a, err);
}

int
dbs_snapshot_apply(struct db *db, const char *scope, bool first,
    const struct sj_msg *m, struct sync_stats *st, struct tock_err *err)
{
	struct apply a = { .db = db, .st = st, .sb = STRBUF_INIT,
	    .meta = STRBUF_INIT };
	int rc;

	if (!m->done && (m->token == NULL || *m->token == '\0'))
		return tock_err_set(err, TOCK_EPROTO,
		    "snapshot page without a token");
	/* A snapshot page lost to a power cut is fetched again (its token
	 * commits with it), and it holds no outbox change: it may skip the
	 * fsync that synchronous=FULL pays for every commit. */
	if ((rc = dbi_exec(db, "PRAGMA synchronous = NORMAL", err)) != 0)
		return rc;
	if ((rc = db_begin(db, err)) == 0)
		rc = commit_or_rollback(db, snapshot_apply(&a, scope, first, m,
		    err), err);
	dbi_exec(db, "PRAGMA synchronous = FULL", NULL);
	if (rc == 0 && a.changed && st != NULL)
		st->changed = true;
	apply_free(&a);
	return rc;
}

/* ---- push -------------------------------------------------------------- */

static int
push_prepare(struct db *db, int max_ops, size_t max_bytes, struct strbuf *body,
    int *nops, struct tock_err *err)
{
	char dev[UUID_STRLEN + 1] = "";
	struct strbuf ops = STRBUF_INIT;
	sqlite3_stmt *st, *up;
	int64_t rat = 0, *seqs = xmalloc((size_t)max_ops * sizeof *seqs);
	int rc, i, n = 0;

	dbi_meta_get(db, "device_id", dev, sizeof dev, NULL);
	if ((rc = dbi_int64(db, "SELECT coalesce((SELECT min(seq) - 1 FROM "
	    "outbox), (SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), "
	    "0)", &rat, err)) != 0)
		goto out;
	if ((st = dbi_stmt(db, "SELECT seq, op_id, scope, entity, entity_id, "
	    "kind, hlc, fields, base FROM outbox ORDER BY state = 'inflight' "
	    "DESC, seq LIMIT ?1", err)) == NULL) {
		rc = TOCK_ERR;
		goto out;
	}
	sqlite3_bind_int(st, 1, max_ops);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t mark = ops.len;

		strbuf_addf(&ops, "%s{\"seq\":%lld,\"id\":", n ? "," : "",
		    (long long)sqlite3_column_int64(st, 0));
		strbuf_add_json_str(&ops, (const char *)sqlite3_column_text(st, 1));
		strbuf_addstr(&ops, ",\"scope\":");
		strbuf_add_json_str(&ops, (const char *)sqlite3_column_text(st, 2));
		strbuf_addstr(&ops, ",\"e\":");
		strbuf_add_json_str(&ops, (const char *)sqlite3_column_text(st, 3));
		strbuf_addstr(&ops, ",\"eid\":");
		strbuf_add_json_str(&ops, (const char *)sqlite3_column_text(st, 4));
		strbuf_addstr(&ops, ",\"kind\":");
		strbuf_add_json_str(&ops, (const char *)sqlite3_column_text(st, 5));
		strbuf_addstr(&ops, ",\"hlc\":");
		strbuf_add_json_str(&ops, (const char *)sqlite3_column_text(st, 6));
		strbuf_addstr(&ops, ",\"fields\":");
		strbuf_addstr(&ops, (const char *)sqlite3_column_text(st, 7));
		if (sqlite3_column_type(st, 8) != SQLITE_NULL) {
			strbuf_addstr(&ops, ",\"base\":");
			strbuf_addstr(&ops, (const char *)sqlite3_column_text(st,
			    8));
		}
		strbuf_addch(&ops, '}');
		if (n > 0 && ops.len + 256 > max_bytes) {
			strbuf_setlen(&ops, mark);
			break;
		}
		seqs[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = dbi_fail(db, err, "cannot read outbox");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((up = dbi_stmt(db, "UPDATE outbox SET state = 'inflight', "
		    "attempts = attempts + 1 WHERE seq = ?1", err)) == NULL) {
			rc = TOCK_ERR;
			goto out;
		}
		sqlite3_bind_int64(up, 1, seqs[i]);
		if ((rc = dbi_step_done(db, up, err, "cannot mark op")) != 0)
			goto out;
	}
	strbuf_addstr(body, "{\"v\":1,\"schema\":1,\"device_id\":");
	strbuf_add_json_str(body, dev);
	strbuf_addf(body, ",\"results_acked_through\":%lld,\"ops\":[",
	    (long long)rat);
	strbuf_add(body, ops.buf, ops.len);
	strbuf_addstr(body, "]}");
	*nops = n;
	rc = 0;
out:
	free(seqs);
	strbuf_release(&ops);
	return rc;
}

int
dbs_push_prepare(struct db *db, int max_ops, size_t max_bytes,
    struct strbuf *body, int *nops, struct tock_err *err)
{
	int rc;

	*nops = 0;
	if (max_ops < 1)
		max_ops = 1;
	if ((rc = db_begin(db, err)) != 0)
		return rc;
	rc = push_prepare(db, max_ops, max_bytes, body, nops, err);
	if (rc == 0 && *nops == 0) {
		db_rollback(db);	/* nothing written */
		return 0;
	}
	return commit_or_rollback(db, rc, err);
}

static const struct sspec *
spec_of_table(const char *e)
{
	return spec_get(e);
}

/* A rejected op: the row back to the server's current, or gone when the
 * server never had it. */
static int
roll_back_row(struct apply *a, const char *e, const char *eid,
    const char *kind, const struct sj_result *r, struct tock_err *err)
{
	const struct sspec *s = spec_of_table(e);
	sqlite3_stmt *st;
	char sql[160];
	int rc;

	if (s == NULL)
		return 0;
	if (r->has_current) {
		struct sj_row row = r->current;

		row.e = e;
		row.eid = eid;
		row.kind = NULL;
		row.seq = 0;
		/* Its clocks replace ours, even the higher ones: our write
		 * exists nowhere else. */
		snprintf(sql, sizeof sql, "UPDATE %s SET _fhlc = '{}'%s WHERE "
		    "%s = ?1", s->table, s->meta ? ", metadata = '{}'" : "",
		    s->key);
		if ((st = dbi_stmt(a->db, sql, err)) == NULL)
			return TOCK_ERR;
		sqlite3_bind_text(st, 1, eid, -1, SQLITE_STATIC);
		if ((rc = dbi_step_done(a->db, st, err, "cannot roll back")))
			return rc;
		return apply_row(a, &row, err);
	}
	if (strcmp(kind, "create") != 0 && strcmp(kind, "timer.start") != 0)
		return 0;
	if (s == &specs[SP_TASK]) {
		static const char *const dep[] = {
			"DELETE FROM comments WHERE task_id = ?1 AND _seq = 0",
			"UPDATE time_entries SET task_id = NULL WHERE "
			"task_id = ?1",
		};
		size_t i;

		for (i = 0; i < 2; i++) {
			if ((st = dbi_stmt(a->db, dep[i], err)) == NULL)
				return TOCK_ERR;
			sqlite3_bind_text(st, 1, eid, -1, SQLITE_STATIC);
			if ((rc = dbi_step_done(a->db, st, err,
			    "cannot roll back")) != 0)
				return rc;
		}
	}
	return purge_row(a, (struct sspec *)s, eid, err);
}

static int
push_apply(struct apply *a, const struct sj_msg *m, int *acked, int *retry,
    struct tock_err *err)
{
	char e[16], eid[UUID_STRLEN + 1], kind[16];
	sqlite3_stmt *st;
	int i, j, rc, added = 0;

	for (i = 0; i < m->nresults; i++) {
		const struct sj_result *r = &m->results[i];
		bool ack = true;

		if ((st = dbi_stmt(a->db, "SELECT entity, entity_id, kind FROM "
		    "outbox WHERE op_id = ?1", err)) == NULL)
			return TOCK_ERR;
		sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			dbi_copy_col(e, sizeof e, st, 0);
			dbi_copy_col(eid, sizeof eid, st, 1);
			dbi_copy_col(kind, sizeof kind, st, 2);
		}
		sqlite3_reset(st);
		if (rc != SQLITE_ROW)
			continue;	/* answered before */
		if (strcmp(r->status, "retry") == 0) {
			(*retry)++;
			continue;
		}
		if (strcmp(r->status, "rejected") == 0) {
			if ((st = dbi_stmt(a->db, "INSERT OR REPLACE INTO "
			    "quarantine(op_id, scope, payload, code, message, "
			    "rejected_at) SELECT op_id, scope, " OP_PAYLOAD
			    ", ?2, ?3, ?4 FROM outbox WHERE op_id = ?1",
			    err)) == NULL)
				return TOCK_ERR;
			sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, r->code ? r->code : "internal",
			    -1, SQLITE_STATIC);
			dbi_bind_text(st, 3, r->message);
			sqlite3_bind_int64(st, 4, time_now_ms());
			if ((rc = dbi_step_done(a->db, st, err,
			    "cannot quarantine")) != 0 ||
			    (rc = roll_back_row(a, e, eid, kind, r, err)) != 0)
				return rc;
			if (a->st != NULL)
				a->st->rejected++;
			a->changed++;
			ack = false;
		} else if (strcmp(r->status, "applied") != 0 &&
		    strcmp(r->status, "superseded") != 0 &&
		    strcmp(r->status, "duplicate") != 0)
			continue;	/* unknown: keep the op */
		for (j = 0; j < r->nconf; j++)
			if ((rc = conflict_add(a->db, NULL, e, eid,
			    r->conf[j].field, r->conf[j].loser,
			    r->conf[j].loser_hlc, r->conf[j].winner_hlc,
			    time_now_ms(), &added, err)) != 0)
				return rc;
		if ((st = dbi_stmt(a->db, "DELETE FROM outbox WHERE op_id = ?1",
		    err)) == NULL)
			return TOCK_ERR;
		sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
		if ((rc = dbi_step_done(a->db, st, err, "cannot drop op")) != 0)
			return rc;
		(*acked)++;
		if (ack && a->st != NULL)
			a->st->pushed++;
	}
	if (a->st != NULL)
		a->st->conflicts += added;
	return apply_finish(a, err);
}

int
dbs_push_apply(struct db *db, const struct sj_msg *m, struct sync_stats *st,
    int *acked, int *retry, struct tock_err *err)
{
	struct apply a = { .db = db, .st = st, .sb = STRBUF_INIT,
	    .meta = STRBUF_INIT, .scope = "" };
	int rc;

	*acked = *retry = 0;
	if ((rc = db_begin(db, err)) != 0)
		return rc;
	rc = commit_or_rollback(db, push_apply(&a, m, acked, retry, err), err);
	if (rc == 0 && a.changed && st != NULL)
		st->changed = true;
	apply_free(&a);
	return rc;
}

struct stamp {
	int64_t seq;
	char e[16], eid[UUID_STRLEN + 1], hlc[HLC_STRLEN + 1];
};

static int
restamp(struct db *db, int64_t offset, int *count, struct tock_err *err)
{
	struct stamp *v = NULL;
	char buf[32], nh[HLC_STRLEN + 1], sql[256];
	const struct sspec *s;
	sqlite3_stmt *st;
	int n = 0, cap = 0, i, rc;

	snprintf(buf, sizeof buf, "%lld", (long long)offset);
	if ((rc = dbi_meta_set(db, "clock_offset_ms", buf, err)) != 0)
		return rc;
	snprintf(buf, sizeof buf, "%lld", (long long)time_now_ms());
	if ((rc = dbi_meta_set(db, "clock_offset_at", buf, err)) != 0)
		return rc;
	db->clock_offset = offset;
	/* The clock ran ahead: nobody has seen the stamps being replaced, so
	 * the logical time may come back to the corrected clock. */
	if ((st = dbi_stmt(db, "UPDATE hlc_state SET l = ?1, c = 0 WHERE "
	    "id = 1 AND l > ?1", err)) == NULL)
		return TOCK_ERR;
	sqlite3_bind_int64(st, 1, db_now(db));
	if ((rc = dbi_step_done(db, st, err, "cannot reset the clock")) != 0)
		return rc;
	if ((st = dbi_stmt(db, "SELECT seq, entity, entity_id, hlc FROM outbox "
	    "ORDER BY seq", err)) == NULL)
		return TOCK_ERR;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			v = xrealloc(v, (size_t)cap * sizeof *v);
		}
		v[n].seq = sqlite3_column_int64(st, 0);
		dbi_copy_col(v[n].e, sizeof v[n].e, st, 1);
		dbi_copy_col(v[n].eid, sizeof v[n].eid, st, 2);
		dbi_copy_col(v[n].hlc, sizeof v[n].hlc, st, 3);
		n++;
	}
	sqlite3_reset(st);
	for (i = 0, rc = 0; i < n && rc == 0; i++) {
		if ((rc = dbi_hlc_next(db, nh, err)) != 0)
			break;
		if ((st = dbi_stmt(db, "UPDATE outbox SET hlc = ?2, state = "
		    "'pending' WHERE seq = ?1", err)) == NULL) {
			rc = TOCK_ERR;
			break;
		}
		sqlite3_bind_int64(st, 1, v[i].seq);
		sqlite3_bind_text(st, 2, nh, -1, SQLITE_STATIC);
		if ((rc = dbi_step_done(db, st, err, "cannot re-stamp")) != 0 ||
		    (s = spec_get(v[i].e)) == NULL)
			continue;
		/* The row's clocks this op wrote (and no later op replaced). */
		snprintf(sql, sizeof sql, "UPDATE %s SET _fhlc = (SELECT "
		    "json_group_object(key, CASE WHEN value = ?2 THEN ?3 ELSE "
		    "value END) FROM json_each(_fhlc)) WHERE %s = ?1", s->table,
		    s->key);
		if ((st = dbi_stmt(db, sql, err)) == NULL) {
			rc = TOCK_ERR;
			break;
		}
		sqlite3_bind_text(st, 1, v[i].eid, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, v[i].hlc, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, nh, -1, SQLITE_STATIC);
		rc = dbi_step_done(db, st, err, "cannot re-stamp row");
	}
	*count = n;
	free(v);
	return rc;
}

int
dbs_restamp(struct db *db, int64_t offset_ms, struct sync_stats *st,
    struct tock_err *err)
{
	int rc, n = 0;

	if ((rc = db_begin(db, err)) != 0)
		return rc;
	rc = commit_or_rollback(db, restamp(db, offset_ms, &n, err), err);
	if (rc == 0 && st != NULL)
		st->restamped += n;
	return rc;
}

/* ---- WebSocket --------------------------------------------------------- */

int
dbs_ws_delta(struct db *db, const struct sj_msg *m, bool *applied,
    struct sync_stats *st, struct tock_err *err)
{
	struct apply a = { .db = db, .st = st, .sb = STRBUF_INIT,
	    .meta = STRBUF_INIT };
	char state[12];
	int64_t cursor = -1;
	int rc;

	*applied = false;
	if ((rc = db_begin(db, err)) != 0)
		return rc;
	rc = scope_state(db, m->scopes[0].id, state, &cursor, err);
	if (rc == 0 && (strcmp(state, "live") != 0 ||
	    cursor != m->scopes[0].from)) {
		db_rollback(db);
		apply_free(&a);
		return 0;
	}
	if (rc == 0 && (rc = apply_page(&a, &m->scopes[0], err)) == 0)
		rc = apply_finish(&a, err);
	rc = commit_or_rollback(db, rc, err);
	if (rc == 0) {
		*applied = true;
		if (a.changed && st != NULL)
			st->changed = true;
	}
	apply_free(&a);
	return rc;
}

int
dbs_ws_behind(struct db *db, const struct sj_msg *m, bool *behind,
    struct tock_err *err)
{
	char state[12];
	int64_t cursor = 0;
	int i, rc;

	*behind = false;
	for (i = 0; i < m->nheads && !*behind; i++) {
		if ((rc = scope_state(db, m->heads[i].id, state, &cursor,
		    err)) != 0)
			return rc;
		if (state[0] == '\0' || (strcmp(state, "revoked") != 0 &&
		    (strcmp(state, "live") != 0 || m->heads[i].head > cursor)))
			*behind = true;
	}
	return 0;
}

int
dbs_hello(struct db *db, struct strbuf *out, struct tock_err *err)
{
	char dev[UUID_STRLEN + 1] = "";
	sqlite3_stmt *st;
	int n = 0, rc;

	dbi_meta_get(db, "device_id", dev, sizeof dev, NULL);
	if ((st = dbi_stmt(db, "SELECT scope, cursor FROM sync_cursor WHERE "
	    "state <> 'revoked' ORDER BY scope", err)) == NULL)
		return TOCK_ERR;
	strbuf_addstr(out, "{\"t\":\"hello\",\"v\":1,\"device_id\":");
	strbuf_add_json_str(out, dev);
	strbuf_addstr(out, ",\"scopes\":{");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++)
			strbuf_addch(out, ',');
		strbuf_add_json_str(out, (const char *)sqlite3_column_text(st,
		    0));
		strbuf_addf(out, ":%lld", (long long)sqlite3_column_int64(st, 1));
	}
	sqlite3_reset(st);
	strbuf_addstr(out, "}}");
	return rc == SQLITE_DONE ? 0 : dbi_fail(db, err, "cannot read cursors");
}

/* ---- login, status, lists (sync.h) ------------------------------------- */

static int
adopt(struct db *db, const struct sync_login *in, struct tock_err *err)
{
	static const char *const rewrite[] = {
		/* ?1 old user, ?2 new user, ?3 old ws, ?4 new ws */
		"UPDATE users SET id = ?2 WHERE id = ?1",
		"UPDATE memberships SET user_id = ?2 WHERE user_id = ?1",
		"UPDATE memberships SET workspace_id = ?4 WHERE workspace_id = ?3",
		"UPDATE workspaces SET id = ?4 WHERE id = ?3",
		"UPDATE tasks SET workspace_id = ?4 WHERE workspace_id = ?3",
		"UPDATE tasks SET created_by = ?2 WHERE created_by = ?1",
		"UPDATE tasks SET assignee_id = ?2 WHERE assignee_id = ?1",
		"UPDATE time_entries SET workspace_id = ?4 WHERE workspace_id = ?3",
		"UPDATE time_entries SET user_id = ?2 WHERE user_id = ?1",
		"UPDATE comments SET workspace_id = ?4 WHERE workspace_id = ?3",
		"UPDATE comments SET author_id = ?2 WHERE author_id = ?1",
		"UPDATE user_state SET user_id = ?2 WHERE user_id = ?1",
		/* UUIDs never occur inside other text by accident. */
		"UPDATE outbox SET scope = replace(replace(scope, ?1, ?2), ?3, ?4), "
		"entity_id = replace(replace(entity_id, ?1, ?2), ?3, ?4), "
		"fields = replace(replace(fields, ?1, ?2), ?3, ?4)",
		"DELETE FROM outbox WHERE entity = 'workspace' AND "
		"entity_id = ?4 AND kind = 'create'",
		"UPDATE sync_cursor SET scope = replace(replace(scope, ?1, ?2), "
		"?3, ?4)",
	};
	char url[512] = "", user[UUID_STRLEN + 1] = "", ws[UUID_STRLEN + 1] = "";
	char def[UUID_STRLEN + 1] = "", us[SYNC_SCOPE_LEN + 1];
	sqlite3_stmt *st;
	size_t i;
	int rc;

	dbi_meta_get(db, "server_url", url, sizeof url, NULL);
	if (url[0] != '\0' && (strcmp(url, in->server_url) != 0 ||
	    strcmp(db->user_id, in->user_id) != 0))
		return tock_err_set(err, TOCK_ECONFLICT, "this replica belongs "
		    "to another account or server (%s): use another TOCK_DB",
		    url);
	snprintf(user, sizeof user, "%s", db->user_id);
	dbi_meta_get(db, "default_workspace_id", def, sizeof def, NULL);
	/* The personal workspace is the one created with the replica. */
	if (url[0] == '\0') {
		if ((rc = dbi_meta_get(db, "workspace_id", ws, sizeof ws,
		    err)) != 0)
			return rc;
		if (def[0] != '\0')
			snprintf(ws, sizeof ws, "%s", def);
		if ((rc = dbi_exec(db, "PRAGMA defer_foreign_keys = ON",
		    err)) != 0)
			return rc;
		for (i = 0; i < sizeof rewrite / sizeof rewrite[0]; i++) {
			if ((st = dbi_stmt(db, rewrite[i], err)) == NULL)
				return TOCK_ERR;
			sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, in->user_id, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, ws, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, in->default_ws, -1,
			    SQLITE_STATIC);
			if ((rc = dbi_step_done(db, st, err,
			    "cannot adopt the replica")) != 0)
				return rc;
		}
		if ((st = dbi_stmt(db, "UPDATE users SET name = coalesce(?2, "
		    "name), email = ?3 WHERE id = ?1", err)) == NULL)
			return TOCK_ERR;
		sqlite3_bind_text(st, 1, in->user_id, -1, SQLITE_STATIC);
		dbi_bind_text(st, 2, in->name);
		dbi_bind_text(st, 3, in->email);
		if ((rc = dbi_step_done(db, st, err, "cannot name user")) != 0)
			return rc;
		if ((rc = dbi_meta_set(db, "user_id", in->user_id, err)) != 0 ||
		    (rc = dbi_meta_set(db, "server_url", in->server_url,
		    err)) != 0 ||
		    (rc = dbi_meta_set(db, "default_workspace_id",
		    in->default_ws, err)) != 0)
			return rc;
		if (strcmp(db->workspace_id, ws) == 0 && (rc = dbi_meta_set(db,
		    "workspace_id", in->default_ws, err)) != 0)
			return rc;
	}
	if ((rc = dbi_meta_set(db, "device_id", in->device_id, err)) != 0 ||
	    (rc = dbi_meta_set(db, "email", in->email ? in->email : "",
	    err)) != 0 ||
	    (rc = dbi_meta_set(db, "logged_in", "1", err)) != 0)
		return rc;
	snprintf(us, sizeof us, "u:%s", in->user_id);
	for (i = 0; i < 2; i++) {
		if ((st = dbi_stmt(db, "INSERT OR IGNORE INTO sync_cursor(scope, "
		    "cursor, state, updated_at) VALUES (?1, 0, 'snapshot', ?2)",
		    err)) == NULL)
			return TOCK_ERR;
		sqlite3_bind_text(st, 1, i ? us : in->default_ws, -1,
		    SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, time_now_ms());
		if ((rc = dbi_step_done(db, st, err, "cannot add scope")) != 0)
			return rc;
	}
	return 0;
}

int
sync_adopt(struct db *db, const struct sync_login *in, struct tock_err *err)
{
	int rc;

	if ((rc = db_begin(db, err)) != 0)
		return rc;
	if ((rc = commit_or_rollback(db, adopt(db, in, err), err)) != 0)
		return rc;
	/* The in-memory identity follows what was committed. */
	dbi_meta_get(db, "user_id", db->user_id, sizeof db->user_id, NULL);
	dbi_meta_get(db, "workspace_id", db->workspace_id,
	    sizeof db->workspace_id, NULL);
	return 0;
}

int
sync_forget(struct db *db, struct tock_err *err)
{
	int rc;

	if ((rc = db_begin(db, err)) != 0)
		return rc;
	rc = dbi_exec(db, "DELETE FROM sync_meta WHERE k IN ('device_id', "
	    "'logged_in')", err);
	return commit_or_rollback(db, rc, err);
}

int
sync_server_url(struct db *db, char **out, struct tock_err *err)
{
	char url[512] = "", in[8] = "";

	*out = NULL;
	dbi_meta_get(db, "logged_in", in, sizeof in, NULL);
	dbi_meta_get(db, "server_url", url, sizeof url, NULL);
	if (strcmp(in, "1") != 0 || url[0] == '\0')
		return tock_err_set(err, TOCK_EAUTH,
		    "not logged in: run 'tock login'");
	*out = xstrdup(url);
	return 0;
}

static char *
meta_dup(struct db *db, const char *k)
{
	char buf[512];

	if (dbi_meta_get(db, k, buf, sizeof buf, NULL) != 0 || buf[0] == '\0')
		return NULL;
	return xstrdup(buf);
}

int
sync_status_get(struct db *db, struct sync_status *out, struct tock_err *err)
{
	sqlite3_stmt *st;
	char *v;
	int rc, cap = 0;

	memset(out, 0, sizeof *out);
	if (sync_server_url(db, &out->server_url, NULL) != 0)
		out->server_url = NULL;
	out->email = meta_dup(db, "email");
	out->user_id = xstrdup(db->user_id);
	out->device_id = meta_dup(db, "device_id");
	out->last_error = meta_dup(db, "last_error");
	if ((v = meta_dup(db, "last_sync")) != NULL) {
		out->last_sync = strtoll(v, NULL, 10);
		free(v);
	}
	if ((rc = dbi_int64(db, "SELECT count(*) FROM outbox", &out->pending,
	    err)) != 0 ||
	    (rc = dbi_int64(db, "SELECT count(*) FROM quarantine",
	    &out->quarantined, err)) != 0 ||
	    (rc = dbi_int64(db, "SELECT count(*) FROM conflicts WHERE seen = 0",
	    &out->conflicts, err)) != 0)
		goto fail;
	if ((st = dbi_stmt(db, "SELECT c.scope, coalesce(w.name, ''), c.cursor, "
	    "coalesce(c.head, -1), c.state FROM sync_cursor c LEFT JOIN "
	    "workspaces w ON w.id = c.scope ORDER BY c.scope", err)) == NULL) {
		rc = TOCK_ERR;
		goto fail;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sync_scope_status *s;

		if (out->nscopes == cap) {
			cap = cap ? 2 * cap : 8;
			out->scopes = xrealloc(out->scopes, (size_t)cap *
			    sizeof *out->scopes);
		}
		s = &out->scopes[out->nscopes++];
		dbi_copy_col(s->id, sizeof s->id, st, 0);
		dbi_copy_col(s->name, sizeof s->name, st, 1);
		s->cursor = sqlite3_column_int64(st, 2);
		s->head = sqlite3_column_int64(st, 3);
		dbi_copy_col(s->state, sizeof s->state, st, 4);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	rc = dbi_fail(db, err, "cannot read cursors");
fail:
	sync_status_release(out);
	return rc;
}

void
sync_status_release(struct sync_status *s)
{
	free(s->server_url);
	free(s->email);
	free(s->user_id);
	free(s->device_id);
	free(s->last_error);
	free(s->scopes);
	memset(s, 0, sizeof *s);
}

int
sync_note_round(struct db *db, const char *msg, struct tock_err *err)
{
	char buf[32];
	int rc;

	if ((rc = db_begin(db, err)) != 0)
		return rc;
	if (msg == NULL) {
		snprintf(buf, sizeof buf, "%lld", (long long)time_now_ms());
		if ((rc = dbi_meta_set(db, "last_sync", buf, err)) == 0)
			rc = dbi_exec(db, "DELETE FROM sync_meta WHERE "
			    "k = 'last_error'", err);
	} else
		rc = dbi_meta_set(db, "last_error", msg, err);
	return commit_or_rollback(db, rc, err);
}

int
sync_conflict_list(struct db *db, bool all, sync_conflict_cb *cb, void *arg,
    struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "SELECT c.id, c.entity, c.entity_id, "
	    "c.field, c.loser_value, c.loser_hlc, c.winner_hlc, t.title, "
	    "c.detected_at, c.seen FROM conflicts c LEFT JOIN tasks t ON t.id = "
	    "CASE c.entity WHEN 'task' THEN c.entity_id "
	    "WHEN 'time_entry' THEN (SELECT task_id FROM time_entries WHERE "
	    "id = c.entity_id) WHEN 'comment' THEN (SELECT task_id FROM "
	    "comments WHERE id = c.entity_id) END "
	    "WHERE ?1 OR c.seen = 0 ORDER BY c.detected_at DESC, c.id DESC",
	    err);
	int rc, r;

	if (st == NULL)
		return TOCK_ERR;
	sqlite3_bind_int(st, 1, all);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sync_conflict c = {
			.id = sqlite3_column_int64(st, 0),
			.entity = (const char *)sqlite3_column_text(st, 1),
			.entity_id = (const char *)sqlite3_column_text(st, 2),
			.field = (const char *)sqlite3_column_text(st, 3),
			.loser_value = (const char *)sqlite3_column_text(st, 4),
			.loser_hlc = (const char *)sqlite3_column_text(st, 5),
			.winner_hlc = (const char *)sqlite3_column_text(st, 6),
			.title = (const char *)sqlite3_column_text(st, 7),
			.detected_at = sqlite3_column_int64(st, 8),
			.seen = sqlite3_column_int(st, 9) != 0,
		};

		if ((r = cb(&c, arg)) != 0) {
			sqlite3_reset(st);
			return r;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : dbi_fail(db, err,
	    "cannot list conflicts");
}

int
sync_conflict_seen(struct db *db, int64_t id, struct tock_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_begin(db, err)) != 0)
		return rc;
	if ((st = dbi_stmt(db, "UPDATE conflicts SET seen = 1 WHERE "
	    "?1 <= 0 OR id = ?1", err)) == NULL) {
		db_rollback(db);
		return TOCK_ERR;
	}
	sqlite3_bind_int64(st, 1, id);
	rc = dbi_step_done(db, st, err, "cannot mark conflict");
	if (rc == 0 && id > 0 && sqlite3_changes(db->h) == 0)
		rc = tock_err_set(err, TOCK_ENOTFOUND, "no conflict %lld",
		    (long long)id);
	return commit_or_rollback(db, rc, err);
}

int
sync_quarantine_list(struct db *db, sync_quarantine_cb *cb, void *arg,
    struct tock_err *err)
{
	sqlite3_stmt *st = dbi_stmt(db, "SELECT op_id, scope, payload, code, "
	    "message, rejected_at FROM quarantine ORDER BY rejected_at, op_id",
	    err);
	int rc, r;

	if (st == NULL)
		return TOCK_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sync_quarantined q = {
			.op_id = (const char *)sqlite3_column_text(st, 0),
			.scope = (const char *)sqlite3_column_text(st, 1),
			.payload = (const char *)sqlite3_column_text(st, 2),
			.code = (const char *)sqlite3_column_text(st, 3),
			.message = (const char *)sqlite3_column_text(st, 4),
			.rejected_at = sqlite3_column_int64(st, 5),
		};

		if ((r = cb(&q, arg)) != 0) {
			sqlite3_reset(st);
			return r;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : dbi_fail(db, err,
	    "cannot list quarantine");
}
