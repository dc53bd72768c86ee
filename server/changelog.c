/* SPDX-License-Identifier: ISC */
/*
 * changelog.c - scope locks, gap-free seqs and the server's HLC for REST
 * writes (see changelog.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "changelog.h"
#include "err.h"
#include "pg.h"
#include "timeparse.h"
#include "xmalloc.h"

static pthread_mutex_t hlc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hlc hlc_state;

void
srvhlc_init(void)
{
	uint64_t node;

	uuid_random(&node, sizeof node);
	pthread_mutex_lock(&hlc_lock);
	memset(&hlc_state, 0, sizeof hlc_state);
	hlc_state.node = node;
	pthread_mutex_unlock(&hlc_lock);
}

void
srvhlc_next(char out[HLC_STRLEN + 1], const char *observed)
{
	struct hlc m;
	int64_t now = time_now_ms();

	pthread_mutex_lock(&hlc_lock);
	if (observed != NULL && *observed != '\0' &&
	    hlc_parse(&m, observed, NULL) == 0)
		hlc_recv(&hlc_state, &m, now);
	hlc_send(&hlc_state, now);
	hlc_format(out, &hlc_state);
	pthread_mutex_unlock(&hlc_lock);
}

void
cl_init(struct changelog *cl, struct pg *pg, const char *user_id)
{
	memset(cl, 0, sizeof *cl);
	cl->pg = pg;
	snprintf(cl->user_id, sizeof cl->user_id, "%s",
	    user_id != NULL ? user_id : "");
}

static int
cmp_ids(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
cl_lock(struct changelog *cl, const char *const *ids, int n,
    struct tock_err *err)
{
	const char *sorted[CL_MAX_SCOPES];
	struct pg_res *res = NULL;
	const char *v;
	int i, rc;

	if (n > CL_MAX_SCOPES || cl->nscopes != 0)
		TOCK_BUG("cl_lock: %d scopes", n);
	memcpy(sorted, ids, (size_t)n * sizeof *ids);
	qsort(sorted, (size_t)n, sizeof *sorted, cmp_ids);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(sorted[i], sorted[i - 1]) == 0)
			continue;
		if ((rc = pg_query(cl->pg, &res, err,
		    "SELECT last_seq FROM scopes WHERE id = $1 FOR UPDATE", 1,
		    sorted[i])) != 0)
			return rc;
		if (pg_nrows(res) != 1 || (v = pg_value(res, 0, 0)) == NULL) {
			pg_res_free(res);
			return tock_err_set(err, TOCK_ENOTFOUND,
			    "no scope '%s'", sorted[i]);
		}
		snprintf(cl->scope[cl->nscopes].id, sizeof cl->scope[0].id,
		    "%s", sorted[i]);
		cl->scope[cl->nscopes].last_seq = strtoll(v, NULL, 10);
		cl->scope[cl->nscopes].next = 0;
		cl->nscopes++;
		pg_res_free(res);
		res = NULL;
	}
	return 0;
}

void
cl_stamp(struct changelog *cl, const char *observed)
{
	srvhlc_next(cl->hlc, observed);
}

int
cl_add(struct changelog *cl, const char *scope_id, int entity,
    const char *entity_id, int kind, const char *fields, int64_t *seq)
{
	struct cl_change *c;
	int i;

	for (i = 0; i < cl->nscopes; i++)
		if (strcmp(cl->scope[i].id, scope_id) == 0)
			break;
	if (i == cl->nscopes || cl->nchanges == CL_MAX_CHANGES)
		TOCK_BUG("cl_add: scope %s not locked or too many changes",
		    scope_id);
	if (cl->hlc[0] == '\0')
		cl_stamp(cl, NULL);
	c = &cl->change[cl->nchanges++];
	c->scope = i;
	c->entity = entity;
	c->kind = kind;
	c->seq = cl->scope[i].last_seq + ++cl->scope[i].next;
	snprintf(c->entity_id, sizeof c->entity_id, "%s", entity_id);
	c->fields = xstrdup(fields);
	if (seq != NULL)
		*seq = c->seq;
	return 0;
}

int
cl_flush(struct changelog *cl, struct tock_err *err)
{
	char seq[24], last[24], entity[8], kind[8];
	struct cl_change *c;
	struct cl_scope *s;
	int i, rc;

	for (i = 0; i < cl->nchanges; i++) {
		c = &cl->change[i];
		s = &cl->scope[c->scope];
		snprintf(seq, sizeof seq, "%lld", (long long)c->seq);
		snprintf(last, sizeof last, "%lld",
		    (long long)(s->last_seq + s->next));
		snprintf(entity, sizeof entity, "%d", c->entity);
		snprintf(kind, sizeof kind, "%d", c->kind);
		if ((rc = pg_query(cl->pg, NULL, err,
		    "INSERT INTO sync_log (scope_id, seq, tx_last_seq, user_id,"
		    " entity, entity_id, kind, fields, fhlc)"
		    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb,"
		    " tock_fhlc($8::jsonb, $9))", 9, s->id, seq, last,
		    cl->user_id[0] != '\0' ? cl->user_id : NULL, entity,
		    c->entity_id, kind, c->fields, cl->hlc)) != 0)
			return rc;
	}
	for (i = 0; i < cl->nscopes; i++) {
		s = &cl->scope[i];
		if (s->next == 0)
			continue;
		snprintf(last, sizeof last, "%lld",
		    (long long)(s->last_seq + s->next));
		if ((rc = pg_query(cl->pg, NULL, err,
		    "UPDATE scopes SET last_seq = $2, updated_at = now()"
		    " WHERE id = $1", 2, s->id, last)) != 0)
			return rc;
		/* Poke subscribers once this transaction commits (pg.c
		 * fires it after COMMIT, or drops it on ROLLBACK). */
		pg_defer_notify(cl->pg, s->id, s->last_seq + s->next);
	}
	return 0;
}

void
cl_release(struct changelog *cl)
{
	int i;

	for (i = 0; i < cl->nchanges; i++)
		free(cl->change[i].fields);
	cl->nchanges = 0;
}
