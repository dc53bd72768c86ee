/*
 * syncjson.c - decoding sync answers with cJSON (see syncjson.h).
 *
 * Strings are borrowed from the cJSON tree, which lives as long as the
 * message; arrays and printed values come from a small arena of blocks
 * so a 2000-row snapshot page costs a handful of allocations beyond the
 * parse itself.  Missing optional keys are left zero; keys of the wrong
 * type are TOCK_EPROTO, since the server is not speaking the protocol.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "err.h"
#include "syncjson.h"
#include "xmalloc.h"

#define SJ_MAX_INPUT (64 * 1024 * 1024)
#define SAFE_INT 9007199254740992.0	/* 2^53 */

struct blk {
	struct blk *next;
	size_t used, size;
	max_align_t data[];
};

struct priv {
	cJSON *root;
	struct blk *blocks;
};

static void *
arena(struct priv *p, size_t n)
{
	struct blk *b = p->blocks;
	void *r;

	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (b == NULL || b->size - b->used < n) {
		size_t sz = n > 65536 ? n : 65536;

		b = xmalloc(sizeof *b + sz);
		b->size = sz;
		b->used = 0;
		b->next = p->blocks;
		p->blocks = b;
	}
	r = (char *)b->data + b->used;
	b->used += n;
	memset(r, 0, n);
	return r;
}

/* Compact JSON text of v, kept in the arena. */
static const char *
print(struct priv *p, const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);
	size_t n;
	char *r;

	if (s == NULL)
		return "null";
	n = strlen(s) + 1;
	r = arena(p, n);
	memcpy(r, s, n);
	cJSON_free(s);
	return r;
}

static const char *
str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int64_t
num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static bool
truth(const cJSON *o, const char *k)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static void
set_value(struct priv *p, struct sj_field *f, const cJSON *v)
{
	if (cJSON_IsNull(v)) {
		f->type = SJ_NULL;
	} else if (cJSON_IsBool(v)) {
		f->type = SJ_BOOL;
		f->num = cJSON_IsTrue(v);
	} else if (cJSON_IsString(v)) {
		f->type = SJ_TEXT;
		f->text = v->valuestring;
	} else if (cJSON_IsNumber(v) && v->valuedouble == (double)(int64_t)
	    v->valuedouble && v->valuedouble < SAFE_INT &&
	    v->valuedouble > -SAFE_INT) {
		f->type = SJ_INT;
		f->num = (int64_t)v->valuedouble;
	} else {
		f->type = SJ_RAW;
		f->text = print(p, v);
	}
}

/* {"e","eid","kind","seq","fields":{},"fhlc":{}} */
static int
parse_row(struct priv *p, struct sj_row *r, const cJSON *o,
    struct tock_err *err)
{
	const cJSON *fields = cJSON_GetObjectItemCaseSensitive(o, "fields");
	const cJSON *fhlc = cJSON_GetObjectItemCaseSensitive(o, "fhlc");
	const cJSON *v;
	int n = 0;

	if (!cJSON_IsObject(o))
		return tock_err_set(err, TOCK_EPROTO, "change is not an object");
	r->seq = num(o, "seq");
	r->e = str(o, "e");
	r->eid = str(o, "eid");
	r->kind = str(o, "kind");
	if (fields != NULL && !cJSON_IsObject(fields))
		return tock_err_set(err, TOCK_EPROTO, "'fields' is not an "
		    "object");
	cJSON_ArrayForEach(v, fields)
		n++;
	r->f = n ? arena(p, (size_t)n * sizeof *r->f) : NULL;
	cJSON_ArrayForEach(v, fields) {
		struct sj_field *f = &r->f[r->nf++];
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(fhlc,
		    v->string);

		f->name = v->string;
		set_value(p, f, v);
		f->hlc = cJSON_IsString(h) ? h->valuestring : NULL;
	}
	return 0;
}

static int
parse_rows(struct priv *p, struct sj_scope *s, const cJSON *arr,
    struct tock_err *err)
{
	const cJSON *v;
	int rc;

	if (arr == NULL)
		return 0;
	if (!cJSON_IsArray(arr))
		return tock_err_set(err, TOCK_EPROTO, "changes are not an array");
	s->rows = arena(p, (size_t)cJSON_GetArraySize(arr) * sizeof *s->rows +
	    1);
	cJSON_ArrayForEach(v, arr)
		if ((rc = parse_row(p, &s->rows[s->nrows++], v, err)) != 0)
			return rc;
	return 0;
}

static int
parse_scope(struct priv *p, struct sj_scope *s, const cJSON *o,
    struct tock_err *err)
{
	const cJSON *reset = cJSON_GetObjectItemCaseSensitive(o, "reset");

	s->id = str(o, "id");
	if (s->id == NULL)
		s->id = str(o, "scope");
	if (s->id == NULL)
		return tock_err_set(err, TOCK_EPROTO, "scope without an id");
	if (reset != NULL) {
		s->reset = str(reset, "reason");
		if (s->reset == NULL)
			s->reset = "unknown";
		return 0;
	}
	s->next_cursor = num(o, "next_cursor");
	s->head = num(o, "head");
	s->has_more = truth(o, "has_more");
	return parse_rows(p, s, cJSON_GetObjectItemCaseSensitive(o, "changes"),
	    err);
}

/* available: [{id,name,head}], heads: {id: head} */
static void
parse_heads(struct priv *p, struct sj_msg *m, const cJSON *v)
{
	const cJSON *h;
	int n = 0;

	cJSON_ArrayForEach(h, v)
		n++;
	m->heads = arena(p, (size_t)n * sizeof *m->heads + 1);
	cJSON_ArrayForEach(h, v) {
		struct sj_head *x = &m->heads[m->nheads];

		if (cJSON_IsObject(v)) {
			x->id = h->string;
			x->head = cJSON_IsNumber(h) ? (int64_t)h->valuedouble : 0;
		} else {
			x->id = str(h, "id");
			x->name = str(h, "name");
			x->head = num(h, "head");
		}
		if (x->id != NULL)
			m->nheads++;
	}
}

static int
parse_result(struct priv *p, struct sj_result *r, const cJSON *o,
    struct tock_err *err)
{
	const cJSON *orig = cJSON_GetObjectItemCaseSensitive(o, "original");
	const cJSON *cur, *conf, *v;
	int rc;

	r->seq = num(o, "seq");
	r->id = str(o, "id");
	r->status = str(o, "status");
	if (r->id == NULL || r->status == NULL)
		return tock_err_set(err, TOCK_EPROTO,
		    "push result without id or status");
	/* A duplicate is handled as its first result. */
	if (strcmp(r->status, "duplicate") == 0 && cJSON_IsObject(orig) &&
	    str(orig, "status") != NULL &&
	    strcmp(str(orig, "status"), "duplicate") != 0)
		o = orig;
	r->status = str(o, "status");
	r->code = str(o, "code");
	r->message = str(o, "message");
	cur = cJSON_GetObjectItemCaseSensitive(o, "current");
	if (cJSON_IsObject(cur)) {
		r->has_current = true;
		if ((rc = parse_row(p, &r->current, cur, err)) != 0)
			return rc;
	}
	conf = cJSON_GetObjectItemCaseSensitive(o, "conflicts");
	if (cJSON_IsArray(conf)) {
		r->conf = arena(p, (size_t)cJSON_GetArraySize(conf) *
		    sizeof *r->conf + 1);
		cJSON_ArrayForEach(v, conf) {
			struct sj_conflict *c = &r->conf[r->nconf];
			const cJSON *l = cJSON_GetObjectItemCaseSensitive(v,
			    "loser");

			c->field = str(v, "field");
			c->loser_hlc = str(v, "loser_hlc");
			c->winner_hlc = str(v, "winner_hlc");
			c->loser = l ? print(p, l) : "null";
			if (c->field != NULL)
				r->nconf++;
		}
	}
	return 0;
}

static int
parse_body(struct priv *p, struct sj_msg *m, enum sj_kind kind,
    const cJSON *root, struct tock_err *err)
{
	const cJSON *v, *a;
	int rc;

	m->server_time = num(root, "server_time");
	switch (kind) {
	case SJ_PUSH:
		a = cJSON_GetObjectItemCaseSensitive(root, "results");
		if (!cJSON_IsArray(a))
			return tock_err_set(err, TOCK_EPROTO,
			    "push answer without results");
		m->results = arena(p, (size_t)cJSON_GetArraySize(a) *
		    sizeof *m->results + 1);
		cJSON_ArrayForEach(v, a)
			if ((rc = parse_result(p, &m->results[m->nresults++],
			    v, err)) != 0)
				return rc;
		parse_heads(p, m, cJSON_GetObjectItemCaseSensitive(root,
		    "heads"));
		return 0;
	case SJ_PULL:
		a = cJSON_GetObjectItemCaseSensitive(root, "scopes");
		if (!cJSON_IsArray(a))
			return tock_err_set(err, TOCK_EPROTO,
			    "pull answer without scopes");
		m->scopes = arena(p, (size_t)cJSON_GetArraySize(a) *
		    sizeof *m->scopes + 1);
		cJSON_ArrayForEach(v, a)
			if ((rc = parse_scope(p, &m->scopes[m->nscopes++], v,
			    err)) != 0)
				return rc;
		parse_heads(p, m, cJSON_GetObjectItemCaseSensitive(root,
		    "available"));
		return 0;
	case SJ_SNAPSHOT:
		m->scopes = arena(p, sizeof *m->scopes);
		m->nscopes = 1;
		m->scopes[0].id = str(root, "scope");
		m->snapshot_seq = num(root, "snapshot_seq");
		m->token = str(root, "token");
		m->done = truth(root, "done");
		return parse_rows(p, &m->scopes[0],
		    cJSON_GetObjectItemCaseSensitive(root, "rows"), err);
	case SJ_WS:
		m->t = str(root, "t");
		if (m->t == NULL)
			return tock_err_set(err, TOCK_EPROTO, "frame without t");
		if (strcmp(m->t, "welcome") == 0) {
			parse_heads(p, m, cJSON_GetObjectItemCaseSensitive(root,
			    "heads"));
		} else if (strcmp(m->t, "poke") == 0 ||
		    strcmp(m->t, "revoked") == 0) {
			m->heads = arena(p, sizeof *m->heads);
			m->heads[0].id = str(root, "scope");
			m->heads[0].head = num(root, "head");
			m->nheads = m->heads[0].id != NULL;
		} else if (strcmp(m->t, "delta") == 0) {
			struct sj_scope *s;

			m->scopes = s = arena(p, sizeof *m->scopes);
			m->nscopes = 1;
			s->id = str(root, "scope");
			s->from = num(root, "from");
			s->next_cursor = s->head = num(root, "to");
			if (s->id == NULL)
				return tock_err_set(err, TOCK_EPROTO,
				    "delta without scope");
			return parse_rows(p, s,
			    cJSON_GetObjectItemCaseSensitive(root, "changes"),
			    err);
		}
		return 0;
	}
	return 0;
}

int
sj_parse(struct sj_msg *m, enum sj_kind kind, const char *json, size_t len,
    struct tock_err *err)
{
	struct priv *p;
	int rc;

	memset(m, 0, sizeof *m);
	if (json == NULL || len == 0 || len > SJ_MAX_INPUT)
		return tock_err_set(err, TOCK_EPROTO, "empty or oversized "
		    "answer from the server");
	p = xcalloc(1, sizeof *p);
	m->priv = p;
	p->root = cJSON_ParseWithLength(json, len);
	if (p->root == NULL || !cJSON_IsObject(p->root)) {
		sj_msg_free(m);
		return tock_err_set(err, TOCK_EPROTO,
		    "the server's answer is not a JSON object");
	}
	if ((rc = parse_body(p, m, kind, p->root, err)) != 0)
		sj_msg_free(m);
	return rc;
}

void
sj_msg_free(struct sj_msg *m)
{
	struct priv *p = m->priv;

	if (p != NULL) {
		while (p->blocks != NULL) {
			struct blk *b = p->blocks;

			p->blocks = b->next;
			free(b);
		}
		cJSON_Delete(p->root);
		free(p);
	}
	memset(m, 0, sizeof *m);
}

void
sj_error_message(const char *json, size_t len, char *buf, size_t n)
{
	cJSON *root = json && len ? cJSON_ParseWithLength(json, len) : NULL;
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
	const char *msg = str(e, "message");

	if (msg == NULL)
		msg = str(e, "code");
	if (msg == NULL && cJSON_IsString(e))
		msg = e->valuestring;
	snprintf(buf, n, "%s", msg ? msg : "");
	cJSON_Delete(root);
}
